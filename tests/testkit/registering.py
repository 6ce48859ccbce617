"""Registering through the registry's ABI in tests: the contributors root's preimage (`top`),
salts and commitment leaves, and time jumps on anvil for commit-reveal.

`register(kind, contentRoot, salt, top, metadataURI, metadataHash, parents)`: with
MIN_COMMIT_AGE = 0 the salt is ignored (ZERO_SALT will do); otherwise the caller first commits
keccak(registrationLeaf(caller, contentRoot, salt)) (one asset) or keccak(leaf₁ ‖ … ‖ leafₙ)
(a batch, revealed by `multicall([openCommitment(leaves), register …])`) and reveals it
MIN..MAX later, from the same account.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from typing import Any

from eth_utils import keccak

ZERO_SALT = bytes(32)


def top_of(tree: Any) -> list[tuple[bytes, int]]:
    """The registry's `top` argument (the root's preimage) for a ContributorTree."""
    return [(bytes(h), int(s)) for h, s in tree.top()]


def new_salt() -> bytes:
    return os.urandom(32)


def registration_leaf(committer: Any, content_root: bytes, salt: bytes) -> bytes:
    """AssetRegistry.registrationLeaf: keccak(0x02 ‖ committer ‖ contentRoot ‖ salt)."""
    address = str(getattr(committer, "address", committer))
    return keccak(b"\x02" + bytes.fromhex(address[2:]) + bytes(content_root) + bytes(salt))


def commitment_of(leaves: Iterable[bytes]) -> bytes:
    """What `commit` takes: keccak of one leaf, or of several packed in order."""
    return keccak(b"".join(bytes(leaf) for leaf in leaves))


def increase_time(provider: Any, seconds: int) -> None:
    """Moves anvil's clock forward by `seconds` and mines a block there."""
    provider.make_request("evm_increaseTime", [int(seconds)])
    provider.make_request("evm_mine", [])


def commit_and_wait(registry: Any, sender: Any, content_roots: Iterable[bytes]) -> list[bytes]:
    """Commits fresh salts for `content_roots` (one commitment for all of them) and moves
    time to MIN_COMMIT_AGE past it; returns the salts, in order."""
    roots = list(content_roots)
    salts = [new_salt() for _ in roots]
    leaves = [registration_leaf(sender, r, s) for r, s in zip(roots, salts, strict=True)]
    registry.commit(commitment_of(leaves), sender=sender)
    increase_time(registry.provider, int(registry.MIN_COMMIT_AGE()))
    return salts
