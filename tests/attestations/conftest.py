"""Attestation fixtures: validators with private keys (they sign off chain), an asset to
attest, and a `kit` that signs, batches, anchors and certifies as a validator would."""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Any

import pytest

from seedbed.core import attestations as att
from seedbed.workflows.attest import struct_of


@dataclass
class Signed:
    """One signed attestation: the message, its UID and the signed package."""

    message: att.Offchain
    uid: bytes
    package: dict[str, Any]


class Kit:
    def __init__(self, attestations, registry, chain):
        self.contract, self.registry, self.chain = attestations, registry, chain

    def now(self) -> int:
        return int(self.chain.pending_timestamp)

    def claim(self, asset: int, **fields: Any) -> att.QualityClaim:
        """A passing claim of `asset` (its registered content root); `fields` override."""
        values = {
            "content_root": bytes(self.registry.asset(asset).contentRoot),
            "asset_id": asset,
            "passed": True,
            "label_noise_bps": 120,
            "duplicate_files": 0,
            "croissant_valid": True,
            "method_hash": b"\x42" * 32,
        }
        values.update(fields)
        return att.QualityClaim(**values)

    def sign(self, validator, claim: att.QualityClaim, *, time=None, expiry=0, **over) -> Signed:
        t = self.now() - 60 if time is None else time
        msg = att.make_claim_attestation(claim, validator.address, t, expiry, os.urandom(32))
        if over:
            fields = {**msg.__dict__, **over}
            msg = att.Offchain(**fields)
        domain = att.Domain(int(self.chain.chain_id), self.contract.address)
        return Signed(msg, msg.uid(), att.sign(msg, domain, validator.private_key))

    def anchor(self, validator, signed: list[Signed]) -> tuple[bytes, list[list[bytes]]]:
        uids = [s.uid for s in signed]
        root = att.batch_root(uids)
        self.contract.anchor(root, len(uids), sender=validator)
        return root, att.batch_proofs(uids)

    def certify(self, asset_id, validator, signed: Signed, proof, sender):
        return self.contract.certify(
            asset_id, validator, struct_of(signed.message), proof, sender=sender
        )

    def attest(self, asset_id, validator, sender=None, **kw) -> Signed:
        """Sign, anchor alone and certify one passing attestation of `asset_id`."""
        signed = self.sign(validator, self.claim(asset_id), **kw)
        _, proofs = self.anchor(validator, [signed])
        self.certify(asset_id, validator, signed, proofs[0], sender or validator)
        return signed


@pytest.fixture(scope="session")
def kit(attestations, registry, chain):
    return Kit(attestations, registry, chain)


@pytest.fixture(scope="session")
def validators(accounts):
    """Three validators, sorted by address as a set must list them."""
    return sorted((accounts[6], accounts[7], accounts[8]), key=lambda a: int(a.address, 16))


@pytest.fixture
def dataset(register_asset, publisher, alice, bob):
    asset_id, _ = register_asset(publisher, {alice.address: 3, bob.address: 1})
    return asset_id
