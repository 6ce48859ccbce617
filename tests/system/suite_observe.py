"""Everything the model predicts about the chain, as one batch of reads.

Each probe is a label, a JSON-RPC request and the value the model expects. One batch per
step reads them all; the invariants then compare labels by family (vault, license, ...).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import suite_abi as abi
from suite_rpc import RpcError, eth_call, get_balance
from testkit.model import ETH, Protocol, Revert

Label = tuple[Any, ...]


@dataclass
class Probe:
    label: Label
    request: tuple[str, list[Any]]
    decode: Callable[[Any], Any]
    expected: Any


@dataclass
class Observation:
    label: Label
    actual: Any
    expected: Any

    @property
    def ok(self) -> bool:
        return self.actual == self.expected


def _hex_int(raw: str) -> int:
    return int(raw, 16)


def _view(
    to: str, fn: Any, *args: Any, sender: str | None = None, at: int | None = None
) -> tuple[tuple, Callable]:
    return eth_call(to, fn.data(*args), sender, at), fn.decode


def _at(model: Protocol, when: int, view: Callable[..., Any], *args: Any) -> Any:
    """What a model view answers (a value, or the error's key) at another timestamp."""
    now = model.now
    model.now = when
    try:
        return view(*args)
    except Revert as err:
        return err.key
    finally:
        model.now = now


class Probes:
    """Builds the probes for one model state; `proof(asset, account)` gives (weight, nodes)."""

    def __init__(self, world: Any, model: Protocol, proof: Callable[[int, str], tuple]) -> None:
        self.w = world
        self.m = model
        self.proof = proof
        self.out: list[Probe] = []

    def add(self, label: Label, request: tuple, decode: Callable, expected: Any) -> None:
        self.out.append(Probe(label, request, decode, expected))

    def build(self) -> list[Probe]:
        self._registry()
        self._vault()
        self._licenses()
        self._meter()
        self._balances()
        return self.out

    def _registry(self) -> None:
        w, m = self.w, self.m
        self.add(("registry.count",), *_view(w.registry, abi.ASSET_COUNT), m.next_asset_id - 1)
        for a in m.assets.values():
            self.add(("registry.asset", a.id), *_view(w.registry, abi.ASSET, a.id), a.view())

    def _vault(self) -> None:
        w, m = self.w, self.m
        for c in w.currencies:
            self.add(("vault.held", c), *_view(w.vault, abi.HELD, c), m.held.get(c, 0))
            self.add(("vault.fees", c), *_view(w.vault, abi.FEES, c), m.fees.get(c, 0))
            for a in m.assets.values():
                pool = m.pool(a.id, c)
                self.add(
                    ("vault.accrued", a.id, c), *_view(w.vault, abi.ACCRUED, a.id, c), pool.accrued
                )
                self.add(
                    ("vault.pending", a.id, c), *_view(w.vault, abi.PENDING, a.id, c), pool.pending
                )
                for account in a.weights:
                    weight, nodes = self.proof(a.id, account)
                    owed = m.claimable(a.id, c, account, weight)
                    done = m.claimed.get((a.id, c, account), 0)
                    args = (a.id, c, account, weight, nodes)
                    self.add(
                        ("vault.claimed", a.id, c, account),
                        *_view(w.vault, abi.CLAIMED, a.id, c, account),
                        done,
                    )
                    self.add(
                        ("vault.claimable", *args[:3]), *_view(w.vault, abi.CLAIMABLE, *args), owed
                    )
                    if owed:  # liveness: the claim itself must go through, whoever sends it
                        stranger = w.actors["stranger"]
                        self.add(
                            ("live.claim", *args[:3]),
                            *_view(w.vault, abi.CLAIM, *args, sender=stranger),
                            owed,
                        )

    def _licenses(self) -> None:
        w, m = self.w, self.m
        self.add(("license.offers",), *_view(w.license, abi.OFFER_COUNT), m.next_offer_id - 1)
        self.add(("license.count",), *_view(w.license, abi.LICENSE_COUNT), m.next_license_id - 1)
        for o in m.offers:
            self.add(("license.offer", o), *_view(w.license, abi.OFFER, o), m.offer_view(o))
        for lid, lic in m.licenses.items():
            self.add(
                ("license.view", lid), *_view(w.license, abi.LICENSE, lid), m.license_view(lid)
            )
            self.add(
                ("license.isValid", lid), *_view(w.license, abi.IS_VALID, lid), m.is_valid(lid)
            )
            self.add(
                ("license.unitsLeft", lid),
                *_view(w.license, abi.UNITS_LEFT, lid),
                m.units_left(lid),
            )
            self.add(
                ("license.expiresAt", lid), *_view(w.license, abi.EXPIRES_AT, lid), lic.expires_at
            )
            self.add(("license.ownerOf", lid), *_view(w.license, abi.OWNER_OF, lid), lic.holder)
            if lic.expires_at:  # the boundaries, whatever the time now
                grace_end = lic.expires_at + m.deployment.grace_period
                for t in (lic.expires_at - 1, lic.expires_at):
                    call = _view(w.license, abi.IS_VALID, lid, at=t)
                    self.add(("edge.isValid", lid, t), *call, _at(m, t, m.is_valid, lid))
                for t in (grace_end, grace_end + 1):  # metering closes after the grace period
                    call = _view(w.meter, abi.METER, lid, 1, sender=lic.holder, at=t)
                    self.add(
                        ("edge.meter", lid, t), *call, _at(m, t, m.quote_meter, lic.holder, lid, 1)
                    )

    def _meter(self) -> None:
        w, m = self.w, self.m
        for c in w.currencies:
            self.add(("meter.total", c), *_view(w.meter, abi.TOTAL_ESCROW, c), m.total_escrow(c))
            for account in w.actors.values():
                escrow = m.escrow_of(account, c)
                self.add(
                    ("meter.escrow", account, c), *_view(w.meter, abi.ESCROW_OF, account, c), escrow
                )
                pending = m.withdrawal_of(account, c)
                self.add(
                    ("meter.withdrawal", account, c),
                    *_view(w.meter, abi.WITHDRAWAL_OF, account, c),
                    pending,
                )
                if pending[1]:  # liveness: it goes through from readyAt on, never before
                    ready = pending[1]
                    for t in (ready - 1, max(ready, m.now)):
                        call = _view(w.meter, abi.COMPLETE_WITHDRAWAL, c, sender=account, at=t)
                        expected = _at(m, t, m.quote_withdrawal, account, c)
                        family = "live.withdraw" if t >= ready else "edge.withdraw"
                        self.add((family, account, c, t), *call, expected)

    def _balances(self) -> None:
        w, m = self.w, self.m
        for holder in w.tracked:
            self.add(
                ("balance", ETH, holder), get_balance(holder), _hex_int, m.balances.of(ETH, holder)
            )
            for token in (w.token, w.fot):
                expected = m.balances.of(token, holder)
                self.add(
                    ("balance", token, holder), *_view(token, abi.BALANCE_OF, holder), expected
                )


def observe(world: Any, probes: list[Probe]) -> Iterator[Observation]:
    results = world.chain.read([p.request for p in probes])
    for probe, raw in zip(probes, results, strict=True):
        if isinstance(raw, RpcError):
            reverted = raw.data is not None
            actual: Any = world.chain.errors.decode(raw.data) if reverted else ("rpc", str(raw))
        else:
            actual = probe.decode(raw)
        yield Observation(probe.label, actual, probe.expected)
