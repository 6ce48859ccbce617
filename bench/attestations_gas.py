"""Validators' attestations' gas (issue 17), from receipts, on the bench's fresh suite.

An anchor is one storage write whatever the batch holds (the count is only logged), so the
figure is the same for 1 attestation or 1,000,000; EAS's on-chain `attest` costs 180–275k
gas for one. `certify` proves one attestation of a 1,024-attestation batch (10 levels) and
recomputes its EAS UID on chain.
"""

from __future__ import annotations

import os
from typing import Any

from bench.harness import Results
from seedbed.core import attestations as att
from seedbed.workflows.attest import struct_of


def run(res: Results, bench: Any) -> None:
    a, r = bench.suite.attestations, bench.suite.registry
    validator = bench.gateway
    rec = r.register(0, os.urandom(32), bytes(32), bench.small.top(), "ipfs://x", b"\x11" * 32,
                     [], sender=bench.publisher)  # fmt: skip
    asset = rec.events.filter(r.AssetRegistered)[0].assetId
    root = bytes(r.asset(asset).contentRoot)
    claim = att.QualityClaim(root, asset, True, 120, 0, True, b"\x42" * 32)
    now = int(bench.chain.blocks.head.timestamp)
    msg = att.make_claim_attestation(claim, validator.address, now - 60, 0)
    uids = [msg.uid()] + [os.urandom(32) for _ in range(1023)]
    a.anchor(os.urandom(32), 1, sender=validator)  # not the validator's first anchor
    rec = a.anchor(att.batch_root(uids), 1_000_000, sender=validator)
    res.gas("attestation_anchor_gas", rec, 50_000, "any number of attestations: one root")
    proof = att.batch_proofs(uids)[0]
    rec = a.certify(asset, validator, struct_of(msg), proof, sender=bench.buyer)
    res.gas("attestation_certify_gas", rec, None, "1 of 1,024 (10-level proof), UID on chain")
    rec = a.revokeOffchain(msg.uid(), sender=validator)
    res.gas("attestation_revoke_gas", rec, None, "one UID, EAS's RevokedOffchain event")
