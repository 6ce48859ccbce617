"""The demo's labeling campaign: the street-signs publisher pays six annotators to label its
300 training images (examples/campaigns/street-signs: one of them answers at random, 30 images
are gold), escrows the bounty on LabelCampaigns before the work, and gets back the weights
its dataset is then registered with, so the annotators who were paid the bounty are paid
royalties on every later use too (the demo shows both at the end).

The steps are the ones `ape run labels` and `ape run campaign` take: commit to the gold, create
the campaign with the pool, score the export (majority vote and the paying rule of
seedbed.core.labels, reproducible by anyone), post the root with the published report, wait
out the challenge window, claim every annotator's share in one batch.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from seedbed.core.addresses import to_checksum_address
from seedbed.core.campaigns import items_root, published_report
from seedbed.core.constants import ETH
from seedbed.core.keccak import keccak
from seedbed.core.labels import gold_commitment, quality_report, read_addresses, read_label_studio
from seedbed.core.treefile import ContributorTree
from seedbed.core.units import round_amount as format_amount
from seedbed.workflows.lifecycle import QUALITY_REPORT, read_gold, write_weights

if TYPE_CHECKING:
    from seedbed.workflows.demo import Demo

CAMPAIGN = Path(__file__).resolve().parents[2] / "examples" / "campaigns" / "street-signs"
POOL, BOND = 5 * 10**17, 5 * 10**16  # 0.5 ETH of bounty, a 0.05 ETH bond
CHALLENGE, CLAIMS = 3_600, 30 * 86_400


@dataclass
class Campaign:
    id: int
    contributors: Path  # contributors.csv: what the dataset is registered with
    tree: ContributorTree
    bounty: dict[str, int]  # checksummed address -> wei claimed
    names: dict[str, str]  # checksummed address -> annotator's name


def run(demo: Demo) -> Campaign:
    demo.say(
        "2. A labeling campaign for street-signs: the publisher escrows a bounty, six annotators "
        "label 300 images (one answers at random), 30 gold items"
    )
    c = demo.suite.campaigns
    requester, operator = demo.signs_pub, demo.operator
    gold = read_gold(CAMPAIGN / "gold.json")
    salt = keccak(b"seedbed demo: the street-signs gold salt")
    commitment = gold_commitment(gold, salt)
    head = int(demo.chain.blocks.head.timestamp)
    items = items_root((CAMPAIGN / "items.txt").read_text().split())  # as `campaign create`
    params = (
        requester.address, ETH, POOL, items, commitment, operator.address, BOND, head + CLAIMS,
        CHALLENGE, CLAIMS,
    )  # fmt: skip
    receipt = c.create(params, value=POOL, sender=requester)
    cid = int(receipt.events.filter(c.CampaignCreated)[0].id)
    demo.say(
        f"   campaign #{cid}: {format_amount(POOL)} escrowed on LabelCampaigns before the work "
        f"({receipt.gas_used:,} gas), gold committed as 0x{commitment.hex()[:16]}…"
    )

    labels = read_label_studio(CAMPAIGN / "export.json")
    addresses = read_addresses(CAMPAIGN / "names.csv")
    report = quality_report(labels.annotations, gold, labels.reviews, addresses=addresses)
    out = demo.out / "street-signs-campaign"
    written = write_weights(out, report.tree, report.weights, QUALITY_REPORT, report.to_json())
    names = {to_checksum_address(a): n for n, a in addresses.items()}
    for row in report.rows:
        weight = report.weights.get(bytes.fromhex(str(row["address"])[2:]), 0)
        demo.say(
            f"   {row['name']}: {row['labels']} labels, gold {_pct(row['gold_accuracy'])}, "
            f"quality {float(str(row['quality'])):.2f} -> weight {weight:,}"
            + ("" if weight else " (not paid)")
        )
    gold_root = bytes.fromhex(report.inputs["gold"])
    # What the operator publishes: the 64-byte header (result root, gold root), then the JSON.
    published = published_report(report.tree.root, gold_root, report.to_json())
    (out / "campaign-report.bin").write_bytes(published)
    receipt = c.postResult(
        cid, params, report.tree.top(), keccak(published), salt, gold_root,
        value=BOND, sender=operator,
    )  # fmt: skip
    demo.say(
        f"   the operator posted the result root 0x{report.tree.root.hex()[:16]}… with its bond "
        f"and the gold reveal ({receipt.gas_used:,} gas); the method hash "
        f"0x{report.method_hash.hex()[:16]}… lets anyone rerun the scoring byte for byte"
    )
    # Nobody challenges or disputes within the hour.
    demo.chain.provider.make_request("evm_increaseTime", [CHALLENGE + 1])
    demo.chain.provider.make_request("evm_mine", [])
    requests = [
        (to_checksum_address(a), w, list(report.tree.proof(a)[1])) for a, w in report.tree.items()
    ]
    receipt = c.claimBatch(cid, params, requests, sender=operator)
    bounty = {str(ev.account): int(ev.amount) for ev in receipt.events.filter(c.Claimed)}
    demo.say(
        f"   after the challenge window, {len(bounty)} annotators were paid "
        f"{format_amount(sum(bounty.values()))} in one claimBatch ({receipt.gas_used:,} gas); "
        "the one who answered at random got nothing"
    )
    return Campaign(cid, written.contributors, report.tree, bounty, names)


def show_royalties(demo: Demo, campaign: Campaign, asset_id: int, claimed: dict[str, int]) -> None:
    """Each annotator's bounty beside the royalties street-signs has paid it so far."""
    for address, amount in sorted(campaign.bounty.items(), key=lambda kv: -kv[1]):
        name = campaign.names.get(address, address)
        demo.say(
            f"   {name}: bounty {format_amount(amount)}, then royalties "
            f"{format_amount(claimed.get(address, 0))} from asset #{asset_id} so far"
        )


def _pct(value: Any) -> str:
    return "–" if value is None else f"{float(str(value)):.0%}"
