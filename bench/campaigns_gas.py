"""Labeling campaigns' gas (issue 17), from receipts, on the bench's fresh suite: a campaign of a
1,000,000-annotator result (the bench's big tree), in ETH and in an ERC-20.

Steady state as in bench/gas.py: the contract and the requester have been used before. A claim's
figure is the annotator's own first claim in its range of 256 campaigns (a new claimed-bits
slot); a third party sending it pays ~2.6k more (the annotator's cold account), a later claim
in the same range ~30k less.
"""

from __future__ import annotations

import os
from typing import Any

from bench.harness import Results
from seedbed.core.keccak import keccak

DAY = 86_400
POOL, BOND = 10**18, 10**17
MAX_UINT = 2**256 - 1


def _params(bench: Any, currency: str, gold: bytes) -> tuple:
    head = int(bench.chain.blocks.head.timestamp)
    return (
        bench.publisher.address, currency, POOL, keccak(b"items"), gold, bench.gateway.address,
        BOND, head + 30 * DAY, 3600, 30 * DAY,
    )  # fmt: skip


def run(res: Results, bench: Any) -> None:
    c = bench.suite.campaigns
    big = bench.big
    salt, gold_root = os.urandom(32), os.urandom(32)
    commitment = keccak(salt + gold_root)
    eth = "0x" + "00" * 20

    def create(params: tuple, value: int) -> tuple[int, Any]:
        receipt = c.create(params, value=value, sender=bench.publisher)
        return receipt.events.filter(c.CampaignCreated)[0].id, receipt

    create(_params(bench, eth, commitment), POOL)  # not the contract's first campaign
    p = _params(bench, eth, commitment)
    cid, rec = create(p, POOL)
    res.gas("campaign_create_gas", rec, 120_000, "ETH pool; parameters stored as one hash")
    report = bytes(32) * 2 + b"{}"  # its hash only is posted
    rec = c.postResult(
        cid, p, big.top(), keccak(report), salt, gold_root, value=BOND, sender=bench.gateway
    )
    res.gas(
        "campaign_post_result_gas", rec, 90_000, "ETH bond, gold revealed, 1,000,000-annotator root"
    )
    bench.chain.provider.make_request("evm_increaseTime", [3601])
    bench.chain.provider.make_request("evm_mine", [])
    weight, proof = big.proof(bench.alice.address)
    rec = c.claim(cid, p, bench.alice, weight, list(proof), sender=bench.alice)
    res.gas(
        "campaign_claim_gas",
        rec,
        85_000,
        "20-level proof of 1,000,000, sent by the annotator",
    )
    weight, proof = big.proof(bench.bob.address)
    rec = c.claim(cid, p, bench.bob, weight, list(proof), sender=bench.gateway)
    res.gas("campaign_claim_third_party_gas", rec, None, "the same, sent for the annotator")

    token = bench.deployer.deploy(bench.project.MockERC20, "Bench USD", "BUSD", 18)
    for who in (bench.publisher, bench.gateway):
        token.mint(who, 10**24, sender=who)
        token.approve(c, MAX_UINT, sender=who)
    tp = _params(bench, token.address, commitment)
    create(tp, 0)
    tp = _params(bench, token.address, commitment)
    tid, rec = create(tp, 0)
    res.gas("campaign_create_erc20_gas", rec, None, "ERC-20 pool pulled, arrival measured")
    rec = c.postResult(tid, tp, big.top(), keccak(report), salt, gold_root, sender=bench.gateway)
    res.gas("campaign_post_result_erc20_gas", rec, None, "ERC-20 bond pulled, arrival measured")
    rec = c.dispute(tid, tp, keccak(b"evidence"), sender=bench.publisher)
    res.gas("campaign_dispute_gas", rec, None, "ERC-20 bond, case sent to the panel arbiter")
