"""Return what was sent to a Seedbed contract by mistake, never what it owes.

Each contract's book is what it owes: the vault's `held`, the meter's `totalHeld` (reserves,
amounts owed to assets, operators' earnings); the registry and the license token owe nothing
between calls. A sweep sends only the balance above the book, and only to the treasury. Anyone
may send it: the money's destination is fixed by the contract.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from seedbed.chain.client import Suite
from seedbed.workflows.royalties import Currency, currency_of


@dataclass(frozen=True)
class Sweepable:
    contract: str  # registry, license, meter or vault
    currency: Currency
    balance: int
    owed: int

    @property
    def excess(self) -> int:
        return max(self.balance - self.owed, 0)


# (role, function, book view or None when the contract owes nothing)
_SWEEPS = (
    ("vault", "sweepExcess", "held"),
    ("meter", "sweepExcess", "totalHeld"),
    ("license", "sweep", None),
    ("registry", "sweep", None),
)


def _contract(suite: Suite, role: str) -> Any:
    return {
        "vault": suite.vault,
        "meter": suite.meter,
        "license": suite.license,
        "registry": suite.registry,
    }[role]


def _balance(chain: Any, currency: Currency, address: str) -> int:
    if currency.is_eth:
        return int(chain.provider.get_balance(address))
    return int(currency.contract.balanceOf(address))


def survey(suite: Suite, chain: Any, tokens: Sequence[str]) -> list[Sweepable]:
    """Every contract's balance and book in each currency (ETH when none is named)."""
    out: list[Sweepable] = []
    for text in tokens or ("ETH",):
        currency = currency_of(chain, text)
        for role, _fn, book in _SWEEPS:
            contract = _contract(suite, role)
            owed = int(getattr(contract, book)(currency.address)) if book else 0
            out.append(Sweepable(role, currency, _balance(chain, currency, contract.address), owed))
    return out


def sweep(suite: Suite, chain: Any, sender: Any, tokens: Sequence[str]) -> list[Sweepable]:
    """Sweep every contract holding more than it owes; returns what was swept."""
    fns = {role: fn for role, fn, _ in _SWEEPS}
    done: list[Sweepable] = []
    for item in survey(suite, chain, tokens):
        if item.excess == 0:
            continue
        getattr(_contract(suite, item.contract), fns[item.contract])(
            item.currency.address, sender=sender
        )
        done.append(item)
    return done
