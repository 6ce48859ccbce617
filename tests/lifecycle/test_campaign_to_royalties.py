"""Accepted work becomes royalty weight, end to end on anvil: the street-signs labeling campaign
(examples/campaigns/street-signs: six annotators, one answering at random, 30 gold items) is
scored by `ape run labels score`; its requester escrows a pool on LabelCampaigns, the operator
posts that tree's root, annotators claim their bounty; the dataset is registered by
`ape run register --contributors` with the same root; a licensee's metered use is settled by
`ape run settle`; an annotator claims its royalty with `ape run claim`; `ape run audit` checks
every flow, the campaign's pool, claims and refund among them, conserved to the wei."""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path

import pytest
from eth_utils import keccak
from testkit.campaigns import ETH, Params, report

from seedbed.core.addresses import to_checksum_address
from seedbed.core.campaigns import items_root
from seedbed.core.labels.gold import gold_commitment
from seedbed.core.treefile import ContributorTree

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "scripts"))
from script_fuzzkit import Runner  # noqa: E402

CAMPAIGN = Path(__file__).resolve().parents[2] / "examples" / "campaigns" / "street-signs"
DATASET = Path(__file__).resolve().parents[2] / "examples" / "datasets" / "street-signs"
POOL, BOND = 10**18, 10**16


@pytest.fixture(scope="module")
def runner(chain, deployments_dir, tmp_path_factory):
    return Runner(chain, deployments_dir, tmp_path_factory.mktemp("campaign-e2e"))


def ok(outcome) -> str:
    assert outcome.code == 0, outcome.explain()
    return outcome.stdout


def test_a_campaign_root_is_paid_its_bounty_then_royalties_and_the_audit_agrees(
    runner, suite, chain, accounts, tmp_path
):
    requester, operator, gateway = accounts[1], accounts[2], accounts[4]  # buyer: TEST::3
    c = suite.campaigns
    gold = json.loads((CAMPAIGN / "gold.json").read_text())
    salt = keccak(b"the requester's secret salt")
    commitment = gold_commitment(gold, salt)  # what `labels commit` prints

    # The requester escrows the pool before the work, committed to its gold.
    head = int(chain.blocks.head.timestamp)
    items = items_root((CAMPAIGN / "items.txt").read_text().split())  # as `campaign create`
    p = Params(requester.address, ETH, POOL, items, commitment, operator.address, BOND,
               head + 30 * 86_400, 3_600, 30 * 86_400)  # fmt: skip
    cid = c.create(p.t(), value=POOL, sender=requester).events[0].id

    # The work is done; the operator scores it as anyone can rerun it, and posts the root.
    out = tmp_path / "scored"
    text = ok(runner("labels", "score", CAMPAIGN / "export.json", "--label-studio", "--out", out,
                     "--gold", CAMPAIGN / "gold.json", "--salt", "0x" + salt.hex(),
                     "--commitment", "0x" + commitment.hex(),
                     "--addresses", CAMPAIGN / "names.csv", account=None))  # fmt: skip
    assert "5 of 6 paid, 1 flagged" in text and "matching the commitment" in text
    quality = json.loads((out / "quality-report.json").read_bytes())
    tree = ContributorTree.load(out / "contributors.sbtree")
    spammer = "0x1A653075d6f0b4cC35AB8a97734513fD90246a3f"
    assert spammer not in quality["weights"] and len(quality["weights"]) == 5
    gold_root = bytes.fromhex(quality["inputs"]["gold"])  # the goldRoot committed to
    published = report(tree.root, gold_root, (out / "quality-report.json").read_bytes())
    c.postResult(cid, p.t(), tree.top(), keccak(published), salt, gold_root, value=BOND,
                 sender=operator)  # fmt: skip
    chain.pending_timestamp += 3_601
    chain.mine()
    annotators = [(to_checksum_address(a), w) for a, w in tree.items()]
    requests = [(a, w, list(tree.proof(a)[1])) for a, w in annotators]
    bounty = {
        ev.account: ev.amount
        for ev in c.claimBatch(cid, p.t(), requests, sender=gateway).events.filter(c.Claimed)
    }
    assert set(bounty) == {a for a, _ in annotators}
    assert all(bounty[a] == POOL * w // tree.total for a, w in annotators)

    # The dataset is registered with the same weights: the same root.
    text = ok(runner("register", DATASET, "--spdx", "CC-BY-SA-4.0", "--contributors",
                     out / "contributors.csv", "--out", tmp_path / "registered"))  # fmt: skip
    asset = int(re.search(r"^asset (\d+):", text, re.M)[1])
    view = suite.registry.asset(asset)
    assert bytes(view.contributorsRoot) == tree.root and int(view.totalWeight) == tree.total

    # A licensee's metered use, settled by the gateway.
    text = ok(runner("offer", asset, "--scopes", "train", "--price", "0.01",
                     "--unit-price", "0.001", "--duration", "30d"))  # fmt: skip
    offer = int(re.search(r"offer #?(\d+)", text)[1])
    text = ok(runner("buy", offer, account=3))
    license_id = int(re.search(r"license #?(\d+)", text)[1])
    ok(runner("deposit", license_id, "0.5", "--operator", gateway.address, account=3))
    vouchers = tmp_path / "vouchers.json"
    ok(runner("sign_voucher", license_id, 200, "--operator", gateway.address, "--out", vouchers,
              account=3))  # fmt: skip
    ok(runner("settle", "--ledger", tmp_path / "ledger.sqlite", "--import", vouchers, account=4))

    # An annotator who was paid the bounty claims its royalty on the same tree.
    annotator = annotators[0][0]
    before = chain.provider.get_balance(annotator)
    ok(runner("claim", "--tree", out / "contributors.sbtree", "--asset", asset,
              "--for", annotator))  # fmt: skip
    royalty = chain.provider.get_balance(annotator) - before
    price, metered = 10**16, 200 * 10**15
    assert royalty == (price + metered) * annotators[0][1] // tree.total

    # The audit rebuilds both: the campaign's pool, claims and refund, and the royalties.
    chain.pending_timestamp += 31 * 86_400
    chain.mine()
    c.finish(cid, p.t(), sender=gateway)
    text = ok(runner("audit", "--out", tmp_path / "audit", "--db", tmp_path / "audit.sqlite",
                     "--tree", f"{asset}={out / 'contributors.sbtree'}", account=None))  # fmt: skip
    data = json.loads((tmp_path / "audit" / "audit.json").read_text())
    assert data["ok"], [f for f in data["findings"] if f["status"] == "fail"]
    (row,) = [r for r in data["campaigns"] if r["campaign"] == cid]
    assert int(row["claimed"]) + int(row["refund"]) == POOL and row["status"] == "finished"
    assert int(row["claimed"]) == sum(bounty.values())
    paid = [r for r in data["campaign_claims"] if r["campaign"] == cid]
    assert {r["account"].lower() for r in paid} == {a.lower() for a in bounty}
    pool = [r for r in data["pools"] if r["asset"] == asset][0]
    assert int(pool["claimed"]) == royalty
    tree.close()
