"""Everything the model predicts about the chain, as one batch of reads.

Each probe is a label, a JSON-RPC request and the value the model expects. One batch per
step reads them all; the invariants then compare labels by family (vault, license, ...).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

import suite_abi as abi
from suite_rpc import RpcError, eth_call, get_balance
from testkit.model import (
    ETH,
    HELD,
    UINT40_MAX,
    Protocol,
    Revert,
    SignedClaim,
    SignedVoucher,
)

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

    def __init__(
        self,
        world: Any,
        model: Protocol,
        proof: Callable[[int, str], tuple],
        vouchers: Sequence[tuple[SignedVoucher, bytes]] = (),
        claims: Sequence[tuple[SignedClaim, bytes]] = (),
        priors: Sequence[tuple[str, int, list[bytes], int, bytes]] = (),
        campaign_claims: Sequence[tuple[int, str, int, list, Any]] = (),
    ) -> None:
        self.w = world
        self.m = model
        self.proof = proof
        self.vouchers = vouchers
        self.claims = claims
        self.priors = priors  # (victim, squatted asset, leaves, index, salt)
        # (campaign, account, weight, proof nodes, the root the proof is of): the posted trees'
        self.campaign_claims = campaign_claims
        self.out: list[Probe] = []

    def add(self, label: Label, request: tuple, decode: Callable, expected: Any) -> None:
        self.out.append(Probe(label, request, decode, expected))

    def build(self) -> list[Probe]:
        self._registry()
        self._vault()
        self._court()
        self._licenses()
        self._meter()
        self._campaigns()
        self._balances()
        return self.out

    def _registry(self) -> None:
        w, m = self.w, self.m
        self.add(("registry.count",), *_view(w.registry, abi.ASSET_COUNT), m.next_asset_id - 1)
        for a in m.assets.values():
            self.add(("registry.asset", a.id), *_view(w.registry, abi.ASSET, a.id), a.view())
            edges = tuple((p.asset_id, p.share_bps, p.upstream_bps) for p in a.parents)
            self.add(("registry.parents", a.id), *_view(w.registry, abi.PARENTS, a.id), edges)
            listed = m.is_listed(a.id)
            self.add(("registry.isListed", a.id), *_view(w.registry, abi.IS_LISTED, a.id), listed)
        for (committer, commitment), at in m.commitments.items():
            call = _view(w.registry, abi.COMMITTED_AT, committer, commitment)
            self.add(("registry.committedAt", committer, commitment), *call, at)

    def _vault(self) -> None:
        w, m = self.w, self.m
        for c in w.currencies:
            self.add(("vault.held", c), *_view(w.vault, abi.HELD, c), m.held.get(c, 0))
            self.add(("vault.fees", c), *_view(w.vault, abi.FEES, c), m.fees.get(c, 0))
            for a in m.assets.values():
                escrow = m.escrowed.get((a.id, c), 0)
                call = _view(w.vault, abi.ESCROWED, a.id, c)
                self.add(("vault.escrowed", a.id, c), *call, escrow)
                if escrow and m.hold(a.id)[0] != HELD:  # a resolution's escrow always moves
                    call = _view(w.vault, abi.RELEASE, a.id, c, sender=w.actors["stranger"])
                    self.add(("live.release", a.id, c), *call, escrow)
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
        # A signed claim to a recipient that the model says pays now does pay, what it says,
        # whoever sends it (the newest few).
        for signed, signature in self.claims:
            try:
                weight, nodes = self.proof(signed.asset_id, signed.account)
                amount = m.quote_claim_to_signed(signed, weight)
            except (Revert, KeyError):
                continue
            args = (signed.asset_id, signed.currency, signed.account, weight, nodes)
            args += (signed.recipient, signed.up_to, signed.deadline, signature)
            call = _view(w.vault, abi.CLAIM_TO_SIGNED, *args, sender=w.actors["gateway"])
            self.add(("live.claimToSigned", signed, signature), *call, amount)

    def _court(self) -> None:
        """Every dispute, each asset's latest dispute and hold, every actor's deposits (each
        withdrawable: eth_call), the book; the arbiter's settings and cases."""
        w, m = self.w, self.m
        self.add(("court.count",), *_view(w.court, abi.DISPUTE_COUNT), len(m.disputes))
        self.add(("court.total",), *_view(w.court, abi.TOTAL_DEPOSITS), m.total_deposits)
        for i in m.disputes:
            self.add(("court.dispute", i), *_view(w.court, abi.DISPUTE, i), m.dispute_view(i))
        for a in m.assets:
            self.add(("vault.hold", a), *_view(w.vault, abi.HOLD, a), m.hold(a))
            latest = m.dispute_of.get(a, 0)
            self.add(("court.disputeOf", a), *_view(w.court, abi.DISPUTE_OF, a), latest)
        for account in dict.fromkeys([*w.actors.values(), w.copier]):
            owed = m.deposits.get(account, 0)
            self.add(("court.deposits", account), *_view(w.court, abi.DEPOSITS, account), owed)
            if owed:
                call = _view(w.court, abi.WITHDRAW_DEPOSITS, sender=account)
                self.add(("live.withdrawDeposits", account), *call, owed)
        # A squatted asset's victim can take it down with its older commitment, until late.
        for victim, asset_id, leaves, index, salt in self.priors:
            args = (asset_id, leaves, index, salt, 0)
            call = _view(w.court, abi.CLAIM_PRIOR, *args, sender=victim, at=m.now)
            try:
                expected, family = m.quote_prior_commitment(victim, *args), "live.prior"
            except Revert as err:
                expected, family = err.key, "edge.prior"
            self.add((family, asset_id), *call, expected)
        arb = m.arbiter
        assert arb is not None
        if arb.panel:
            for (court, i), case in arb.cases.items():
                call = _view(w.arbiter, abi.CASE_OF, court, i)
                self.add(("arbiter.case", court, i), *call, case.view())
            return
        for label, fn, expected in (
            ("fee", abi.ARBITER_FEE, arb.fee),
            ("refuse", abi.ARBITER_REFUSE, arb.refuse),
            ("instant", abi.ARBITER_INSTANT, arb.instant),
            ("verdict", abi.ARBITER_VERDICT, arb.verdict),
            ("burn", abi.ARBITER_BURN, arb.burn),
            ("received", abi.ARBITER_RECEIVED, arb.received),
            ("requested", abi.ARBITER_REQUESTED, len(arb.requested)),
        ):
            self.add(("arbiter." + label,), *_view(w.arbiter, fn), expected)

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
                ("license.expiresAt", lid), *_view(w.license, abi.EXPIRES_AT, lid), lic.expires_at
            )
            self.add(("license.ownerOf", lid), *_view(w.license, abi.OWNER_OF, lid), lic.holder)
            parent = m.terms_of(lid).asset_id  # whether it still registers a derivative
            call = _view(w.license, abi.CHECK_DERIVE, lid, lic.holder, parent)
            self.add(("license.checkDerive", lid), *call, m.check_derive(lid, lic.holder, parent))
            if lic.expires_at:  # the boundaries, whatever the time now
                for t in (lic.expires_at - 1, lic.expires_at):
                    call = _view(w.license, abi.IS_VALID, lid, at=t)
                    self.add(("edge.isValid", lid, t), *call, _at(m, t, m.is_valid, lid))
            self.add(("meter.metered", lid), *_view(w.meter, abi.METERED, lid), m.metered_view(lid))

    def _meter(self) -> None:
        """Every channel, what each asset is owed, each actor's earnings, totalHeld; and the
        promises at their edges: a withdrawal completes exactly inside [readyAt, windowEnd],
        on-chain metering stops after closesAt, and the newest voucher of each channel that
        the model says settles now does settle (eth_call), for what the model says."""
        w, m = self.w, self.m
        for c in w.currencies:
            self.add(("meter.total", c), *_view(w.meter, abi.TOTAL_HELD, c), m.held_by_meter(c))
            for a in m.assets:
                owed = m.owed_to_asset(a, c)
                self.add(("meter.owed", a, c), *_view(w.meter, abi.OWED_TO_ASSET, a, c), owed)
            for account in w.actors.values():
                earned = m.earnings_of(account, c)
                call = _view(w.meter, abi.EARNINGS_OF, account, c)
                self.add(("meter.earnings", account, c), *call, earned)
        for key in m.channels:
            lid, payer, operator = key
            call = _view(w.meter, abi.CHANNEL, *key)
            self.add(("meter.channel", *key), *call, m.channel_view(*key))
            pending = m.withdrawals.get(key)
            if pending is not None:
                ready, end = pending.ready_at, pending.window_end
                times = {ready - 1, end, end + 1} | ({max(ready, m.now)} if m.now <= end else set())
                for t in sorted(times):
                    call = _view(
                        w.meter, abi.COMPLETE_WITHDRAWAL, lid, operator, sender=payer, at=t
                    )
                    expected = _at(m, t, m.quote_withdrawal, *key)
                    family = "live.withdraw" if ready <= t <= end else "edge.withdraw"
                    self.add((family, *key, t), *call, expected)
            closes = m.holder(lid, payer).closes_at
            if m.now <= closes < UINT40_MAX:  # on-chain metering stops after closesAt
                for t in (closes, closes + 1):
                    call = _view(w.meter, abi.METER, lid, operator, 1, sender=payer, at=t)
                    expected = _at(m, t, m.quote_meter, payer, lid, operator, 1)
                    self.add(("edge.meter", *key, t), *call, expected)
        newest: dict[tuple[int, str, str], tuple[SignedVoucher, bytes, int]] = {}
        for v, sig in self.vouchers:
            try:
                newest[v.channel] = (v, sig, m.quote_settle(v))
            except Revert:
                continue
        for key, (v, sig, amount) in newest.items():
            call = _view(w.meter, abi.SETTLE, v.as_tuple(), sig, sender=w.actors["stranger"])
            self.add(("live.settle", *key), *call, amount)

    def _campaigns(self) -> None:
        """Once a campaign was tried: the count, each campaign's parameters hash and state,
        who claimed, what each posted share's claim would pay (or its error), every actor's
        credit in every currency (each withdrawable: eth_call)."""
        w, m = self.w, self.m
        if m.campaign_book is None or not w.campaigns:
            return
        book = m.campaigns
        n = len(book.campaigns)
        self.add(("campaign.count",), *_view(w.campaigns, abi.CAMPAIGN_COUNT), n)
        for i, c in book.campaigns.items():
            call = _view(w.campaigns, abi.CAMPAIGN_PARAMS_HASH, i)
            self.add(("campaign.paramsHash", i), *call, c.params.hash())
            self.add(("campaign.state", i), *_view(w.campaigns, abi.CAMPAIGN_STATE, i), c.view())
        for i, account, weight, nodes, proof_of in self.campaign_claims:
            c = book.campaigns[i]
            call = _view(w.campaigns, abi.CAMPAIGN_CLAIMED, i, account)
            self.add(("campaign.claimed", i, account), *call, account in c.claims)
            try:
                owed = m.campaign_view("claimable", i, c.params, account, weight, proof_of)
            except Revert as err:
                owed = err.key
            args = (i, c.params.t(), account, weight, nodes)
            call = _view(w.campaigns, abi.CAMPAIGN_CLAIMABLE, *args, at=m.now)
            self.add(("campaign.claimable", i, account), *call, owed)
        for account in w.actors.values():
            for cur in w.currencies:
                owed = book.credit(account, cur)
                call = _view(w.campaigns, abi.CAMPAIGN_CREDIT, account, cur)
                self.add(("campaign.credit", account, cur), *call, owed)
                if owed:
                    fn = abi.CAMPAIGN_WITHDRAW_CREDIT
                    call = _view(w.campaigns, fn, cur, account, sender=account)
                    self.add(("live.withdrawCredit", account, cur), *call, owed)

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
