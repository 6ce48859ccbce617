"""Campaign parameters, gold commitments, reports and time control for the campaign tests
(importable: tests/campaigns is on sys.path)."""

from __future__ import annotations

from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import ape
from eth_utils import keccak
from testkit.campaigns import (
    ETH,
    FINISHED,
    OPEN,
    POSTED,
    Params,
    case_of,
    gold_commitment,
    report,
)

__all__ = ["ETH", "FINISHED", "OPEN", "POSTED", "Params", "case_of", "gold_commitment", "report"]
HOUR, DAY = 3600, 86_400
RULING_TIMEOUT = 7 * DAY  # the campaigns fixture's


@dataclass
class Posted:
    """A campaign with a standing result; `people` is a contributors tree (conftest's
    Contributors or MillionTree): .root, .total, .top, .proof(address)."""

    id: int
    params: Params
    people: Any
    gold_root: bytes
    salt: bytes
    report: bytes
    posted_at: int

    @property
    def report_hash(self) -> bytes:
        return keccak(self.report)

    @property
    def claims_open(self) -> int:
        return self.posted_at + self.params.challengeWindow + 1

    @property
    def claims_end(self) -> int:
        return self.posted_at + self.params.challengeWindow + self.params.claimWindow


def addr(who: Any) -> str:
    return str(getattr(who, "address", who))


@contextmanager
def reverts(error, **inputs):
    """Like ape.reverts, but the error must be exactly `error` (by name) and each input named
    in `inputs` exactly its value (as tests/vault/vault_helpers.reverts, which needs all)."""
    with ape.reverts(error) as info:
        yield info
    assert type(info.value).__name__ == error.__name__, f"reverted with {info.value!r}"
    actual = {k: _plain(v) for k, v in dict(info.value.inputs).items()}
    assert set(inputs) <= set(actual), f"{error.__name__} has no input {set(inputs) - set(actual)}"
    assert {k: actual[k] for k in inputs} == {k: _plain(v) for k, v in inputs.items()}


def _plain(value):
    if hasattr(value, "address"):
        value = str(value.address)
    if isinstance(value, bytes | bytearray):
        return bytes(value)
    if isinstance(value, str) and value.startswith("0x") and len(value) == 66:
        return bytes.fromhex(value[2:])
    if isinstance(value, str) and value.startswith("0x") and len(value) == 42:
        return value.lower()
    return value


@contextmanager
def isolated(chain):
    """Snapshot, run, restore: one Hypothesis example's chain (see vault_helpers.isolated)."""
    snapshot = chain.snapshot()
    try:
        yield
    finally:
        chain.restore(snapshot)


def at(chain, timestamp: int) -> None:
    """The next transaction (or call) runs at exactly `timestamp`."""
    chain.provider.make_request("evm_setNextBlockTimestamp", [int(timestamp)])


def now(chain) -> int:
    return int(chain.blocks.head.timestamp)


def balance_of(currency, who) -> int:
    address = addr(who)
    if currency == ETH:
        return ape.chain.provider.get_balance(address)
    return int(currency.balanceOf(address))


def cur(currency) -> str:
    return ETH if currency == ETH else currency.address
