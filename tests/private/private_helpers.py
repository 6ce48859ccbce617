"""Helpers of the private-data tests (importable: tests/private is on sys.path).

`PrivateWorld` is what tests/private/conftest.py's `world` fixture builds once per module: the
session suite, a real small folder sealed with seedbed.core.sealed (its index and dataset
key), the dataset registered with the folder's content root (not yet sealed on chain: the
`sealed` fixture does that), and licenses of every kind the rules tell apart, with their
holders' private keys.
"""

from __future__ import annotations

from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import ape
import pytest
from eth_abi import encode
from eth_utils import keccak, to_checksum_address

from seedbed.core import ecies
from seedbed.core.sealed import SealIndex

ACCESS_ONLY, TRAIN_ONLY = 1, 2  # ILicenseToken scope bits
EXPIRY = 86_400  # the expiring license's duration, in seconds
INFRINGEMENT = 1  # IAssetCourt subjective reason
STATUS_NONE, STATUS_DISPUTED, STATUS_UPHELD = 0, 1, 2


@dataclass(frozen=True)
class Licensed:
    """A license bought in the world: its id, offer, holder and the holder's private key."""

    id: int
    offer: int
    holder: Any  # the ape test account
    private_key: str

    @property
    def public_key(self) -> bytes:
        return ecies.public_key_of(self.private_key)


@dataclass
class PrivateWorld:
    chain: Any
    suite: Any
    folder: Path  # the plaintext dataset
    out: Path  # its sealed copy (seal.json, files/)
    index: SealIndex
    key: bytes  # the dataset key
    asset: int  # the dataset, registered with index.content_root; unsealed on chain
    owner: Any  # its owner (the publisher)
    granter: Any  # a key service account the owner has not named yet
    stranger: Any
    other_asset: int  # another dataset of the same owner, unsealed, never to be sealed here
    access: Licensed  # ACCESS, perpetual, on `asset`
    train: Licensed  # TRAIN only, perpetual, on `asset`
    expiring: Licensed  # ACCESS, EXPIRY seconds from its purchase, on `asset`
    other: Licensed  # ACCESS, perpetual, on `other_asset`
    expires_at: int  # the expiring license's expiresAt

    @property
    def private(self) -> Any:
        return self.suite.private

    @property
    def registry(self) -> Any:
        return self.suite.registry

    @property
    def license(self) -> Any:
        return self.suite.license

    @property
    def court(self) -> Any:
        return self.suite.court

    @property
    def now(self) -> int:
        return int(self.chain.blocks.head.timestamp)

    def seal(self, sender: Any = None) -> Any:
        """Seals `asset` with the folder's real seal root and key check."""
        return self.private.seal(
            self.asset, self.index.seal_root, self.index.key_check, sender=sender or self.owner
        )

    def wrapped(self, lic: Licensed) -> bytes:
        """The dataset key wrapped for the license's holder (what a key service sends)."""
        return ecies.wrap(lic.public_key, self.key)

    def grant(self, lic: Licensed, sender: Any = None, wrapped: bytes | None = None) -> Any:
        return self.private.grantKey(
            lic.id,
            wrapped if wrapped is not None else self.wrapped(lic),
            sender=sender or self.owner,
        )

    def dispute(self, asset_id: int, claimant: Any) -> int:
        """Opens a subjective claim against the asset (the session panel charges no fee)."""
        court = self.court
        receipt = court.openSubjective(
            asset_id, INFRINGEMENT, keccak(text="evidence"), 0, value=court.BOND(), sender=claimant
        )
        return int(receipt.events.filter(court.DisputeOpened)[0].disputeId)


def terms(asset_id: int, scopes: int, duration: int = 0) -> tuple[Any, ...]:
    """ILicenseToken.Terms: free, ETH, no cap, transferable."""
    zero = "0x" + "00" * 20
    return (asset_id, zero, 0, 0, duration, 0, scopes, 0, False, 0, 0)


def _plain(value: Any) -> Any:
    if hasattr(value, "address"):
        return str(value.address).lower()
    if isinstance(value, str):
        return value.lower()
    if isinstance(value, bytes | bytearray):
        return bytes(value)
    return value


@contextmanager
def reverts(error: Any, **inputs: Any):
    """The call reverts with exactly `error` and exactly these `inputs` (all of them)."""
    with pytest.raises(ape.exceptions.ContractLogicError) as info:
        yield info
    err = info.value
    abi = error.abi
    assert sorted(inputs) == sorted(i.name for i in abi.inputs), "give every input"
    if type(err).__name__ == error.__name__:
        actual = {k: _plain(v) for k, v in dict(err.inputs or {}).items()}
        assert actual == {k: _plain(v) for k, v in inputs.items()}
        return
    values = [
        to_checksum_address(str(getattr(v, "address", v))) if i.type == "address" else v
        for i, v in ((i, inputs[i.name]) for i in abi.inputs)
    ]
    data = keccak(text=abi.selector)[:4] + encode([i.canonical_type for i in abi.inputs], values)
    assert str(err) == "0x" + data.hex(), f"reverted with {err!r}, not {error.__name__}{inputs}"
