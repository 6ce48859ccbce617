"""The royalty ledger rebuilt from events alone, with the checks a single event allows.

Events are applied in chain order. Every figure is an exact Python int. Event-level checks
(does each payment split as the asset's terms say, is each claim within its entitlement at
that moment, is each settlement covered by a live license, ...) report into `Findings`.
"""

from __future__ import annotations

import json
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, fields
from typing import Any

from seedbed.core.constants import BPS, DERIVE, ETH
from seedbed.core.keccak import keccak
from seedbed.workflows.audit.findings import Findings

ZERO = ETH
# Bump when the way events are applied changes: stored snapshots of older versions are ignored.
# 3: lineage floors, DERIVE uses, redirected claims, sweeps, commitments, failed claims.
LEDGER_VERSION = 3


@dataclass(slots=True)
class Asset:
    id: int
    publisher: str
    kind: int
    contributors_root: str
    total_weight: int
    upstream_bps: int
    parents: list[tuple[int, int, int]]  # (parent id, share bps, parent's upstream bps)
    metadata_uri: str
    block: int
    owner: str = ""
    delisted: bool = False
    # Rebuilt by the audit from earlier registrations (L3): the least share a derivative must
    # pass to this asset, and per parent edge what that parent required and the DERIVE
    # license used for it (0: the registrant owned the parent).
    floor_bps: int = 0
    required: list[int] = field(default_factory=list)
    licenses: list[int] = field(default_factory=list)


@dataclass(slots=True)
class Pool:
    """One (asset, currency) pool of the vault."""

    from_license: int = 0
    from_meter: int = 0
    direct: int = 0
    payments: int = 0
    fees: int = 0
    upstream_in: int = 0
    upstream_out: int = 0
    accrued: int = 0
    pending: int = 0
    claimed: int = 0
    claims: int = 0

    @property
    def paid(self) -> int:
        return self.from_license + self.from_meter + self.direct

    @property
    def unclaimed(self) -> int:
        return self.accrued - self.claimed


@dataclass(slots=True)
class Claimant:
    claimed: int = 0
    weight: int = 0
    claims: int = 0
    weights: set[int] = field(default_factory=set)


@dataclass(slots=True)
class Edge:
    amount: int = 0
    to_contributors: int = 0
    to_upstream: int = 0
    flows: int = 0


@dataclass(slots=True)
class Books:
    """Vault totals per currency."""

    paid: int = 0
    fees_earned: int = 0
    fees_withdrawn: int = 0
    claimed: int = 0
    excess_swept: int = 0
    failed_claims: int = 0

    @property
    def held(self) -> int:
        return self.paid - self.claimed - self.fees_withdrawn

    @property
    def fees(self) -> int:
        return self.fees_earned - self.fees_withdrawn


@dataclass(slots=True)
class Offer:
    id: int
    asset: int
    currency: str
    price: int
    unit_price: int
    duration: int
    max_units: int
    scopes: int
    status: int = 1
    service_bps: int = 0
    min_upstream_bps: int = 0  # Terms.minUpstreamBps: what a DERIVE licensee must pass up


@dataclass(slots=True)
class License:
    id: int
    offer: int
    asset: int
    currency: str
    buyer: str
    holder: str
    price: int
    expires_at: int
    bought_at: int
    unit_price: int
    max_units: int
    service_bps: int = 0
    units: int = 0  # units settled over all its channels
    settled_amount: int = 0
    settlements: int = 0
    allotted: int = 0  # units of a capped license allotted to channels (the meter's Cap)
    metered: bool = False  # a channel opened on it: the meter cached its terms


@dataclass(slots=True)
class Channel:
    """One (license, payer, operator) channel of the meter, rebuilt from its events."""

    id: str
    license: int
    payer: str
    operator: str
    currency: str
    asset: int
    unit_limit: int = 0
    units: int = 0
    reserve: int = 0
    deposited: int = 0
    withdrawn: int = 0
    settled: int = 0  # what left the reserve through settlements
    service: int = 0  # of that, the operator's share
    settlements: int = 0
    withdrawal: int = 0  # the pending withdrawal (0, 0, 0 when none)
    ready_at: int = 0
    window_end: int = 0
    opened_at: int = 0


@dataclass(slots=True)
class Holder:
    """The meter's (license, payer) slot: the voucher signer and the settlement window."""

    signer: str = ""
    closes_at: int = 0
    held: bool = False
    next_signer: str = ""
    switch_at: int = 0


@dataclass(slots=True)
class Owed:
    """What settlements owe an asset in one currency, and what payAsset pushed to the vault."""

    accrued: int = 0
    paid: int = 0
    payments: int = 0

    @property
    def due(self) -> int:
        return self.accrued - self.paid


@dataclass(slots=True)
class Earnings:
    """An operator's service share in one currency."""

    earned: int = 0
    withdrawn: int = 0
    settlements: int = 0

    @property
    def balance(self) -> int:
        return self.earned - self.withdrawn


@dataclass(slots=True)
class DeriveUse:
    """A DERIVE license used up by a registration (DeriveUsed); `uses` above 1 is a bug."""

    license: int
    parent: int
    registrant: str
    child: int = 0  # the derivative registered with it (0 until its AssetRegistered)
    uses: int = 0
    block: int = 0
    tx: str = ""


@dataclass(slots=True)
class Redirect:
    """Claims of one account paid to another recipient (claimTo, claimToSigned)."""

    amount: int = 0
    claims: int = 0


@dataclass(slots=True)
class Sweep:
    """Money sent to a contract by mistake and returned to the treasury, per contract and
    currency (vault and meter ExcessSwept, license and registry Swept)."""

    amount: int = 0
    sweeps: int = 0
    treasuries: list[str] = field(default_factory=list)


@dataclass(slots=True)
class FailedClaim:
    """A batch claim whose transfer failed (ClaimFailed), with no successful claim since."""

    amount: int = 0  # the last failed claim's amount
    failures: int = 0
    block: int = 0


UINT40_MAX = 2**40 - 1
UINT64_MAX = 2**64 - 1


@dataclass
class Params:
    fee_bps: int
    grace_period: int
    license: str  # addresses, lower case: Paid's payer tells the revenue source
    meter: str
    vault_is_suite: bool = True  # False when auditing another vault: no sale/usage cross-check
    withdrawal_delay: int = 2 * 86_400  # UsageMeter.WITHDRAWAL_DELAY()
    withdrawal_window: int = 3 * 86_400  # UsageMeter.WITHDRAWAL_WINDOW()


class Ledger:
    def __init__(self, params: Params, findings: Findings) -> None:
        self.p = params
        self.f = findings
        self.assets: dict[int, Asset] = {}
        self.pools: dict[tuple[int, str], Pool] = defaultdict(Pool)
        self.claimants: dict[tuple[int, str, str], Claimant] = defaultdict(Claimant)
        self.edges: dict[tuple[int, int, str], Edge] = defaultdict(Edge)
        self.books: dict[str, Books] = defaultdict(Books)
        self.offers: dict[int, Offer] = {}
        self.licenses: dict[int, License] = {}
        self.channels: dict[str, Channel] = {}
        self.holders: dict[tuple[int, str], Holder] = defaultdict(Holder)
        self.owed: dict[tuple[int, str], Owed] = defaultdict(Owed)
        self.earnings: dict[tuple[str, str], Earnings] = defaultdict(Earnings)
        self.derive_uses: dict[int, DeriveUse] = {}
        self.redirects: dict[tuple[int, str, str, str], Redirect] = defaultdict(Redirect)
        self.sweeps: dict[tuple[str, str], Sweep] = defaultdict(Sweep)
        self.failed_claims: dict[tuple[int, str, str], FailedClaim] = defaultdict(FailedClaim)
        self.commitments: Counter[str] = Counter()  # committer -> Committed events
        # Per currency, what the meter holds for others by its running events (deposits in,
        # withdrawals, asset payments and earnings out): Σ reserves + Σ owed + Σ earnings.
        self.meter_held: dict[str, int] = defaultdict(int)
        self.currencies: set[str] = set()
        self.counts: Counter[str] = Counter()
        self.token_fee_loss: dict[str, int] = defaultdict(int)
        self.events = 0
        self.last_block = 0
        self._tx = ""
        self._block = 0
        self._due: dict[tuple[str, int, str], int] = defaultdict(int)
        self._flow: list[Any] | None = None
        # Within the transaction: DeriveUsed not yet matched by its AssetRegistered, and the
        # last Claimed (a ClaimRedirected must follow it).
        self._derives: list[tuple[int, int, str]] = []
        self._claim: tuple[int, str, str, int] | None = None
        self._handlers: dict[tuple[str, str], Callable[[list[Any], int, str], None]] = {
            ("registry", "AssetRegistered"): self._registered,
            ("registry", "Transfer"): self._asset_transfer,
            ("registry", "ListingChanged"): self._listing,
            ("registry", "Committed"): self._committed,
            ("registry", "Swept"): self._sweep_of("registry"),
            ("vault", "Paid"): self._paid,
            ("vault", "UpstreamFlowed"): self._flowed,
            ("vault", "Claimed"): self._claimed,
            ("vault", "ClaimFailed"): self._claim_failed,
            ("vault", "FeesWithdrawn"): self._fees_withdrawn,
            ("vault", "ExcessSwept"): self._swept,
            ("vault", "ClaimRedirected"): self._redirected,
            ("license", "OfferCreated"): self._offer,
            ("license", "OfferStatusChanged"): self._offer_status,
            ("license", "LicenseBought"): self._bought,
            ("license", "Transfer"): self._license_transfer,
            ("license", "DeriveUsed"): self._derive_used,
            ("license", "Swept"): self._sweep_of("license"),
            ("meter", "ChannelOpened"): self._opened,
            ("meter", "Deposited"): self._deposited,
            ("meter", "WithdrawalRequested"): self._requested,
            ("meter", "WithdrawalCancelled"): self._cancelled,
            ("meter", "Withdrawn"): self._withdrawn,
            ("meter", "UsageSettled"): self._settled,
            ("meter", "HolderLeft"): self._holder_left,
            ("meter", "HolderReturned"): self._holder_returned,
            ("meter", "SignerChangeScheduled"): self._signer_change,
            ("meter", "UnitsReleased"): self._released,
            ("meter", "AssetPaid"): self._asset_paid,
            ("meter", "EarningsWithdrawn"): self._earnings_withdrawn,
            ("meter", "ExcessSwept"): self._sweep_of("meter"),
        }
        self._emptied: set[str] = set()  # channels a withdrawal emptied in this transaction

    # -- snapshot: a warm run restores the ledger and applies only newer events --------------

    def state(self) -> dict[str, Any]:
        """Everything the ledger knows, as JSON-ready lists (ints stay exact)."""
        out: dict[str, Any] = {}
        for name, cls in _TABLES.items():
            columns = [f.name for f in fields(cls)]
            out[name] = [
                [list(k) if isinstance(k, tuple) else k, [_plain(getattr(v, c)) for c in columns]]
                for k, v in getattr(self, name).items()
            ]
        out["meter_held"] = list(self.meter_held.items())
        out["token_fee_loss"] = list(self.token_fee_loss.items())
        out["counts"] = list(self.counts.items())
        out["commitments"] = list(self.commitments.items())
        out["currencies"] = sorted(self.currencies)
        out["events"], out["last_block"] = self.events, self.last_block
        return out

    def restore(self, state: dict[str, Any]) -> None:
        for name, cls in _TABLES.items():
            table = getattr(self, name)
            for key, values in state[name]:
                item = cls(*values)
                if isinstance(item, Claimant):
                    item.weights = set(item.weights)
                elif isinstance(item, Asset):
                    item.parents = [(p[0], p[1], p[2]) for p in item.parents]
                table[tuple(key) if isinstance(key, list) else key] = item
        self.meter_held.update(dict(state["meter_held"]))
        self.token_fee_loss.update(dict(state["token_fee_loss"]))
        self.counts.update(dict(state["counts"]))
        self.commitments.update(dict(state["commitments"]))
        self.currencies.update(state["currencies"])
        self.events, self.last_block = state["events"], state["last_block"]

    # -- driving -------------------------------------------------------------------------------

    def apply_rows(self, rows: Iterable[tuple[int, int, int, str, str, str, str]]) -> None:
        """Apply stored rows (block, log index, time, tx, role, name, json args) in order."""
        handlers = self._handlers
        counts = self.counts
        loads = json.loads
        n = 0
        block = self.last_block
        for block, _index, stamp, tx, role, name, args in rows:
            n += 1
            self._block = block
            if tx != self._tx:
                self._end_tx()
                self._tx = tx
            counts[name] += 1
            handler = handlers.get((role, name))
            if handler is not None:
                handler(loads(args), stamp, tx)
            elif name == "?":
                self.f.warn(
                    "known event signatures", f"A {role} log has an unknown signature.", tx=tx
                )
        self._end_tx()
        self.events += n
        self.last_block = block

    def _end_tx(self) -> None:
        """Cross-checks within the transaction just finished: what licenses sold reached the
        vault, and every AssetPaid of the meter arrived as a vault Paid with the meter as payer
        (and no such Paid came without one). A fee-on-transfer token may deliver less, never
        more."""
        self._flow = None
        self._emptied.clear()
        self._claim = None
        for license_id, parent_id, registrant in self._derives:
            self._derive_unmatched(license_id, parent_id, registrant, None)
        self._derives = []
        if not self._due:
            return
        due = self._due
        self._due = defaultdict(int)
        if not self.p.vault_is_suite:
            return
        for kind, check, what in (
            ("sale", "revenue reached the vault", "license sales"),
            ("usage", "asset payment reached the vault", "the meter's AssetPaid"),
        ):
            keys = {(a, c) for k, a, c in due if k in (kind, kind + "-paid")}
            for asset, cur in sorted(keys):
                owed = due.get((kind, asset, cur), 0)
                arrived = due.get((kind + "-paid", asset, cur), 0)
                # ETH arrives whole; a fee-on-transfer token may deliver less, never more.
                if arrived == owed or (cur != ZERO and 0 < arrived < owed):
                    self.f.passed(check)
                    self.token_fee_loss[cur] += owed - arrived
                else:
                    self.f.fail(
                        check,
                        f"{what} of asset {asset} owed the vault {owed} but it was paid {arrived}.",
                        asset=asset,
                        currency=cur,
                        expected=owed,
                        found=arrived,
                        tx=self._tx,
                    )

    # -- registry ------------------------------------------------------------------------------

    def _registered(self, a: list[Any], stamp: int, tx: str) -> None:
        asset_id, publisher, _content, kind, root, total, up, parents, uri, _h = a
        asset = Asset(
            asset_id,
            publisher,
            kind,
            root,
            total,
            up,
            [(int(p[0]), int(p[1]), int(p[2])) for p in parents],
            uri,
            self._block,
            owner=publisher,
        )
        self._lineage(asset, tx)
        self.assets[asset_id] = asset

    def _lineage(self, asset: Asset, tx: str) -> None:
        """L3 from events: each parent receives at least what it requires, the larger of its
        floor (rebuilt from earlier registrations) and the minimum of the DERIVE license used
        for it in this transaction; the new asset's floor is the largest
        ceil(required × 10,000 / share). Every parent the registrant does not own needs a
        license used here. A violation is a contract bug: the registry refuses them."""
        names = {pid for pid, _s, _u in asset.parents}
        uses: dict[int, int] = {}
        for license_id, parent_id, registrant in self._derives:
            if registrant == asset.publisher and parent_id in names:
                uses[parent_id] = license_id
            else:
                self._derive_unmatched(license_id, parent_id, registrant, asset.id)
        self._derives = []
        where = {"asset": asset.id, "account": asset.publisher, "tx": tx}
        floor = 0
        for pid, share, _up in asset.parents:
            parent = self.assets.get(pid)
            license_id, minimum = 0, 0
            if pid in uses:
                license_id = uses[pid]
                use = self.derive_uses.get(license_id)
                if use is not None:
                    use.child = asset.id
                lic = self.licenses.get(license_id)
                offer = self.offers.get(lic.offer) if lic is not None else None
                minimum = offer.min_upstream_bps if offer is not None else 0
            if parent is None:
                self.f.fail(
                    "lineage floor (L3)",
                    f"Asset {asset.id} names parent {pid}, which was not registered before it.",
                    **where,
                )
                asset.required.append(minimum)
                asset.licenses.append(license_id)
                continue
            if parent.owner != asset.publisher and not license_id:
                self.f.fail(
                    "DERIVE license for every foreign parent",
                    f"Asset {asset.id} names parent {pid}, owned by {parent.owner}, not by its "
                    f"registrant {asset.publisher}, but no DERIVE license was used for it in "
                    "the registration's transaction: the registry should have refused it (a "
                    "contract bug).",
                    **where,
                )
            elif parent.owner != asset.publisher:
                self.f.passed("DERIVE license for every foreign parent")
            required = max(parent.floor_bps, minimum)
            asset.required.append(required)
            asset.licenses.append(license_id)
            if share >= required:
                self.f.passed("lineage floor (L3)")
            else:
                why = f"its floor {parent.floor_bps} bps"
                if license_id:
                    why = f"the larger of {why} and license {license_id}'s minimum {minimum} bps"
                self.f.fail(
                    "lineage floor (L3)",
                    f"Asset {asset.id} passes parent {pid} {share} bps, below the {required} "
                    f"bps it requires ({why}): its ancestors' minimums no longer hold through "
                    "this edge; the registry should have refused it (a contract bug).",
                    expected=required,
                    found=share,
                    **where,
                )
            if share:
                floor = max(floor, -(-required * BPS // share))
        asset.floor_bps = floor

    def _asset_transfer(self, a: list[Any], stamp: int, tx: str) -> None:
        asset = self.assets.get(a[2])
        if asset is not None:
            asset.owner = a[1]

    def _listing(self, a: list[Any], stamp: int, tx: str) -> None:
        asset = self.assets.get(a[0])
        if asset is not None:
            asset.delisted = bool(a[1])

    def _derive_unmatched(
        self, license_id: int, parent_id: int, registrant: str, child: int | None
    ) -> None:
        what = (
            "no registration followed in the transaction"
            if child is None
            else f"the registration that followed (asset {child}) does not name that parent "
            "for that registrant"
        )
        self.f.fail(
            "DERIVE use names a registration's parent",
            f"License {license_id} was used up to derive from asset {parent_id} by "
            f"{registrant}, but {what}: the license token spent it outside a registration (a "
            "contract bug).",
            asset=parent_id,
            account=registrant,
            tx=self._tx,
        )

    def _committed(self, a: list[Any], stamp: int, tx: str) -> None:
        # Counted only: a pending or unrevealed commitment is nobody's loss.
        self.commitments[a[0]] += 1

    def _sweep_of(self, role: str) -> Callable[[list[Any], int, str], None]:
        def swept(a: list[Any], stamp: int, tx: str) -> None:
            cur, treasury, amount = a
            self.currencies.add(cur)
            s = self.sweeps[role, cur]
            s.amount += amount
            s.sweeps += 1
            if treasury not in s.treasuries:
                s.treasuries.append(treasury)

        return swept

    # -- vault ---------------------------------------------------------------------------------

    def _paid(self, a: list[Any], stamp: int, tx: str) -> None:
        asset_id, cur, payer, amount, to_c, to_u, fee = a
        self.currencies.add(cur)
        pool = self.pools[asset_id, cur]
        if payer == self.p.license:
            pool.from_license += amount
            self._due["sale-paid", asset_id, cur] += amount
        elif payer == self.p.meter:
            pool.from_meter += amount
            self._due["usage-paid", asset_id, cur] += amount
        else:
            pool.direct += amount
        pool.payments += 1
        pool.fees += fee
        pool.accrued += to_c
        pool.pending += to_u
        books = self.books[cur]
        books.paid += amount
        books.fees_earned += fee

        asset = self.assets.get(asset_id)
        if asset is None:
            self.f.fail(
                "payments go to registered assets",
                f"A payment of {amount} went to asset {asset_id}, which is not registered.",
                asset=asset_id,
                currency=cur,
                tx=tx,
            )
            return
        exp_fee = amount * self.p.fee_bps // BPS
        exp_up = (amount - exp_fee) * asset.upstream_bps // BPS
        expected = [amount - exp_fee - exp_up, exp_up, exp_fee]
        found = [to_c, to_u, fee]
        if expected == found:
            self.f.passed("payment split")
        else:
            self.f.fail(
                "payment split",
                f"A payment of {amount} to asset {asset_id} split into contributors/upstream/fee "
                f"{found} (sum {sum(found)}), not {expected}.",
                asset=asset_id,
                currency=cur,
                expected=expected,
                found=found,
                tx=tx,
            )

    def _flowed(self, a: list[Any], stamp: int, tx: str) -> None:
        child_id, parent_id, cur, amount, to_c, to_u = a
        child_pool = self.pools[child_id, cur]
        flow = self._flow
        if flow is None or flow[0] != (child_id, cur) or flow[2] >= len(flow[5]):
            # flowUpstream moves all the child's pending, one event per parent, in order;
            # a second call in the same transaction starts a new group.
            child = self.assets.get(child_id)
            parents = child.parents if child else []
            up = child.upstream_bps if child else 0
            flow = self._flow = [
                (child_id, cur),
                child_pool.pending,
                0,
                child_pool.pending,
                up,
                parents,
            ]
        _key, moved, index, rest, up, parents = flow
        expected: list[int] | None = None
        if index < len(parents) and up > 0:
            pid, share_bps, parent_up = parents[index]
            share = rest if index + 1 == len(parents) else moved * share_bps // up
            exp_up = share * parent_up // BPS
            expected = [pid, share, share - exp_up, exp_up]
            flow[3] = rest - share
        flow[2] = index + 1
        found = [parent_id, amount, to_c, to_u]
        if expected == found:
            self.f.passed("upstream flow split")
        else:
            self.f.fail(
                "upstream flow split",
                f"Upstream flow #{index + 1} of asset {child_id} moved parent/amount/to "
                f"contributors/to upstream {found}, not {expected} "
                f"(pending was {moved}, lineage {parents}).",
                asset=child_id,
                currency=cur,
                expected=expected,
                found=found,
                tx=tx,
            )
        child_pool.pending -= amount
        child_pool.upstream_out += amount
        parent_pool = self.pools[parent_id, cur]
        parent_pool.upstream_in += amount
        parent_pool.accrued += to_c
        parent_pool.pending += to_u
        edge = self.edges[child_id, parent_id, cur]
        edge.amount += amount
        edge.to_contributors += to_c
        edge.to_upstream += to_u
        edge.flows += 1

    def _claimed(self, a: list[Any], stamp: int, tx: str) -> None:
        asset_id, cur, account, amount, weight, total_claimed = a
        self._claim = (asset_id, cur, account, amount)
        self.failed_claims.pop((asset_id, cur, account), None)  # it has claimed since
        if account == ZERO:
            self.f.fail(
                "the zero address never claims",
                f"A claim of {amount} was booked for the zero address in asset {asset_id}: "
                "the vault must refuse it (RoyaltyVaultZeroAccount), nobody holds its key (a "
                "contract bug).",
                asset=asset_id,
                account=account,
                currency=cur,
                found=amount,
                tx=tx,
            )
        else:
            self.f.passed("the zero address never claims")
        pool = self.pools[asset_id, cur]
        pool.claimed += amount
        pool.claims += 1
        c = self.claimants[asset_id, cur, account]
        c.claimed += amount
        c.claims += 1
        c.weight = weight
        c.weights.add(weight)
        self.books[cur].claimed += amount
        if c.claimed == total_claimed:
            self.f.passed("claim running total")
        else:
            self.f.fail(
                "claim running total",
                f"{account} has claimed {c.claimed} in all from asset {asset_id}, but the "
                f"Claimed event says {total_claimed}.",
                expected=c.claimed,
                found=total_claimed,
                asset=asset_id,
                account=account,
                currency=cur,
                tx=tx,
            )
        asset = self.assets.get(asset_id)
        total = asset.total_weight if asset else 0
        entitled = pool.accrued * weight // total if total and weight <= total else 0
        if c.claimed <= entitled:
            self.f.passed("claim within entitlement")
        else:
            self.f.fail(
                "claim within entitlement",
                f"{account} had claimed {c.claimed} from asset {asset_id} with weight "
                f"{weight}/{total}, above its entitlement {entitled} at that time.",
                expected=entitled,
                found=c.claimed,
                asset=asset_id,
                account=account,
                currency=cur,
                tx=tx,
            )

    def _redirected(self, a: list[Any], stamp: int, tx: str) -> None:
        """claimTo / claimToSigned: the Claimed just before booked it under the account, and
        the money went to `recipient`."""
        asset_id, cur, account, recipient, amount = a
        r = self.redirects[asset_id, cur, account, recipient]
        r.amount += amount
        r.claims += 1
        problems = []
        if self._claim != (asset_id, cur, account, amount):
            problems.append(
                f"the claim before it in the transaction was {self._claim} (asset, currency, "
                "account, amount), not this one"
            )
        if recipient == ZERO:
            problems.append("it names the zero address as recipient")
        self._claim = None
        self._report(
            "redirected claim follows its claim",
            problems,
            f"ClaimRedirected of {amount} from {account} to {recipient}",
            {"asset": asset_id, "account": account, "currency": cur, "tx": tx},
        )

    def _claim_failed(self, a: list[Any], stamp: int, tx: str) -> None:
        asset_id, cur, account, amount = a
        self.books[cur].failed_claims += 1
        failed = self.failed_claims[asset_id, cur, account]
        failed.amount = amount
        failed.failures += 1
        failed.block = self._block

    def _fees_withdrawn(self, a: list[Any], stamp: int, tx: str) -> None:
        cur, _to, amount = a
        books = self.books[cur]
        self.f.equal(
            "fees withdrawn whole",
            books.fees,
            amount,
            lambda: f"A fee withdrawal took {amount} while the accrued fees were {books.fees}.",
            currency=cur,
            tx=tx,
        )
        books.fees_withdrawn += amount

    def _swept(self, a: list[Any], stamp: int, tx: str) -> None:
        self.books[a[0]].excess_swept += a[2]
        self._sweep_of("vault")(a, stamp, tx)

    # -- licenses ------------------------------------------------------------------------------

    def _offer(self, a: list[Any], stamp: int, tx: str) -> None:
        offer_id, _asset, _creator, t = a
        self.currencies.add(t[1])
        service = t[10] if len(t) > 10 else 0
        self.offers[offer_id] = Offer(
            offer_id,
            t[0],
            t[1],
            t[2],
            t[3],
            t[4],
            t[5],
            t[6],
            service_bps=service,
            min_upstream_bps=t[7] if len(t) > 7 else 0,
        )

    def _offer_status(self, a: list[Any], stamp: int, tx: str) -> None:
        offer = self.offers.get(a[0])
        if offer is not None:
            offer.status = a[1]

    def _bought(self, a: list[Any], stamp: int, tx: str) -> None:
        license_id, offer_id, asset_id, buyer, holder, cur, price, expires = a
        offer = self.offers.get(offer_id)
        if offer is None:
            self.f.fail(
                "license sale matches its offer",
                f"License {license_id} was sold from offer {offer_id}, which was never created.",
                asset=asset_id,
                tx=tx,
            )
            offer = Offer(offer_id, asset_id, cur, price, 0, 0, 0, 0)
        else:
            expected = [offer.asset, offer.currency, offer.price]
            expected.append(stamp + offer.duration if offer.duration else 0)
            self.f.equal(
                "license sale matches its offer",
                expected,
                [asset_id, cur, price, expires],
                lambda: (
                    f"License {license_id}'s asset/currency/price/expiry differ from offer "
                    f"{offer_id}."
                ),
                asset=asset_id,
                currency=cur,
                tx=tx,
            )
        self.licenses[license_id] = License(
            license_id,
            offer_id,
            asset_id,
            cur,
            buyer,
            holder,
            price,
            expires,
            stamp,
            offer.unit_price,
            offer.max_units,
            offer.service_bps,
        )
        if price:
            self._due["sale", asset_id, cur] += price

    def _license_transfer(self, a: list[Any], stamp: int, tx: str) -> None:
        lic = self.licenses.get(a[2])
        if lic is not None:
            lic.holder = a[1]

    def _derive_used(self, a: list[Any], stamp: int, tx: str) -> None:
        """A DERIVE license used up by a registration in this transaction (its
        AssetRegistered follows). A license registers one derivative: a second use is a
        contract bug."""
        license_id, parent_id, registrant = a
        where = {"asset": parent_id, "account": registrant, "tx": tx}
        use = self.derive_uses.get(license_id)
        if use is None:
            use = self.derive_uses[license_id] = DeriveUse(
                license_id, parent_id, registrant, block=self._block, tx=tx
            )
            self.f.passed("DERIVE license used once")
        else:
            self.f.fail(
                "DERIVE license used once",
                f"License {license_id} was used a second time, by {registrant} to derive from "
                f"asset {parent_id}; it had registered asset {use.child} already (transaction "
                f"{use.tx}): a license registers one derivative, so this is a contract bug.",
                expected=1,
                found=use.uses + 1,
                **where,
            )
        use.uses += 1
        lic = self.licenses.get(license_id)
        problems = []
        if lic is None:
            problems.append("it was never sold")
        else:
            offer = self.offers.get(lic.offer)
            if lic.asset != parent_id:
                problems.append(f"it is a license of asset {lic.asset}")
            if lic.holder != registrant:
                problems.append(f"it is held by {lic.holder}")
            if lic.expires_at and stamp >= lic.expires_at:
                problems.append(f"it expired at {lic.expires_at}")
            if offer is not None and not offer.scopes & DERIVE:
                problems.append(f"its offer {offer.id} has no DERIVE scope")
        self._report(
            "DERIVE use by a valid license's holder",
            problems,
            f"DeriveUsed of license {license_id} for asset {parent_id} by {registrant}",
            where,
        )
        self._derives.append((license_id, parent_id, registrant))

    # -- meter ---------------------------------------------------------------------------------

    def _channel(self, channel_id: str, event: str, tx: str) -> Channel | None:
        ch = self.channels.get(channel_id)
        if ch is None:
            self.f.fail(
                "meter events name open channels",
                f"{event} names channel {channel_id}, which never opened.",
                tx=tx,
            )
        return ch

    def _close_time(self, expires_at: int) -> int:
        if not expires_at:
            return UINT40_MAX
        return min(expires_at + self.p.grace_period, UINT40_MAX)

    def _opened(self, a: list[Any], stamp: int, tx: str) -> None:
        channel_id, license_id, payer, operator, signer, limit, closes_at = a
        where = {"account": payer, "tx": tx}
        lic = self.licenses.get(license_id)
        expected_id = (
            "0x"
            + keccak(int(license_id).to_bytes(32, "big") + _word(payer) + _word(operator)).hex()
        )
        problems = []
        if channel_id != expected_id:
            problems.append(f"its id {channel_id} is not keccak(license, payer, operator)")
        if lic is None:
            problems.append(f"license {license_id} was never sold")
            cur, asset_id = ZERO, 0
        else:
            cur, asset_id = lic.currency, lic.asset
            where |= {"asset": asset_id, "currency": cur}
            if payer != lic.holder:
                problems.append(f"the payer {payer} does not hold it ({lic.holder} does)")
            if lic.expires_at and stamp >= lic.expires_at:
                problems.append(f"it expired at {lic.expires_at}")
            if closes_at != self._close_time(lic.expires_at):
                problems.append(
                    f"closesAt {closes_at}, not {self._close_time(lic.expires_at)} (expiry + grace)"
                )
        if operator == ZERO:
            problems.append("it names no operator")
        ch = self.channels.get(channel_id)
        if ch is None:
            ch = self.channels[channel_id] = Channel(
                channel_id, license_id, payer, operator, cur, asset_id, opened_at=stamp
            )
        elif ch.unit_limit != 0 and ch.unit_limit != ch.units:
            # The meter reopens a channel only once it has no units left (used or released).
            problems.append("it was open already, with units left")
        if lic is not None:
            lic.metered = True
            if lic.max_units:
                want = limit - ch.units
                if want <= 0 or lic.allotted + want > lic.max_units:
                    problems.append(
                        f"it was allotted {want} units with {lic.allotted} of the license's "
                        f"{lic.max_units} allotted already"
                    )
                lic.allotted += max(want, 0)
            elif limit != UINT64_MAX:
                problems.append(f"an uncapped license's channel has the limit {limit}")
        self._report("channel opened by the holder", problems, f"Channel {channel_id}", where)
        ch.unit_limit = limit
        h = self.holders[license_id, payer]
        if not h.signer:
            h.signer = signer
        h.held = True
        h.closes_at = closes_at

    def _deposited(self, a: list[Any], stamp: int, tx: str) -> None:
        channel_id, amount, reserve = a
        ch = self._channel(channel_id, "Deposited", tx)
        if ch is None:
            return
        ch.deposited += amount
        ch.reserve += amount
        self.meter_held[ch.currency] += amount
        self.currencies.add(ch.currency)
        self._reserve_matches(ch, reserve, tx)
        h = self.holders[ch.license, ch.payer]
        problems = []
        if not h.held:
            problems.append("its payer no longer holds the license")
        if stamp > h.closes_at:
            problems.append(f"it closed at {h.closes_at}")
        self._report(
            "deposit into an open channel", problems, f"A deposit of {amount}", self._at(ch, tx)
        )

    def _requested(self, a: list[Any], stamp: int, tx: str) -> None:
        channel_id, amount, ready_at, window_end = a
        ch = self._channel(channel_id, "WithdrawalRequested", tx)
        if ch is None:
            return
        expected = [stamp + self.p.withdrawal_delay]
        expected.append(expected[0] + self.p.withdrawal_window)
        problems = []
        if [ready_at, window_end] != expected:
            problems.append(f"its window is {[ready_at, window_end]}, not {expected}")
        if not 0 < amount <= ch.reserve:
            problems.append(f"it asks for {amount} of a reserve of {ch.reserve}")
        self._report(
            "withdrawal request",
            problems,
            f"A withdrawal request on channel {channel_id}",
            self._at(ch, tx),
        )
        ch.withdrawal, ch.ready_at, ch.window_end = amount, ready_at, window_end

    def _cancelled(self, a: list[Any], stamp: int, tx: str) -> None:
        ch = self._channel(a[0], "WithdrawalCancelled", tx)
        if ch is not None:
            ch.withdrawal = ch.ready_at = ch.window_end = 0

    def _withdrawn(self, a: list[Any], stamp: int, tx: str) -> None:
        channel_id, to, amount, reserve = a
        ch = self._channel(channel_id, "Withdrawn", tx)
        if ch is None:
            return
        where = self._at(ch, tx)
        if ch.ready_at and ch.ready_at <= stamp <= ch.window_end:
            self.f.passed("withdrawal within its window")
        else:
            window = f"[{ch.ready_at}, {ch.window_end}]" if ch.ready_at else "none requested"
            self.f.fail(
                "withdrawal within its window",
                f"Channel {channel_id} paid out a withdrawal of {amount} at {stamp}, outside "
                f"its window ({window}).",
                expected=[ch.ready_at, ch.window_end],
                found=stamp,
                **where,
            )
        allowed = min(ch.withdrawal, ch.reserve)
        if amount <= ch.reserve and amount == allowed and to == ch.payer:
            self.f.passed("withdrawal within the reserve")
        else:
            self.f.fail(
                "withdrawal within the reserve",
                f"Channel {channel_id} paid {amount} to {to}; min(requested {ch.withdrawal}, "
                f"reserve {ch.reserve}) = {allowed} was due to its payer {ch.payer}.",
                expected=allowed,
                found=amount,
                **where,
            )
        self._spend(ch, amount, "A withdrawal", tx)
        ch.withdrawn += amount
        ch.withdrawal = ch.ready_at = ch.window_end = 0
        self.meter_held[ch.currency] -= amount
        self._reserve_matches(ch, reserve, tx)
        if ch.reserve == 0:
            self._emptied.add(channel_id)

    def _spend(self, ch: Channel, amount: int, what: str, tx: str) -> None:
        """Take `amount` from the reserve: never below zero."""
        if amount <= ch.reserve:
            self.f.passed("reserve never negative")
        else:
            self.f.fail(
                "reserve never negative",
                f"{what} took {amount} from channel {ch.id}, whose reserve was {ch.reserve}.",
                expected=ch.reserve,
                found=amount,
                **self._at(ch, tx),
            )
        ch.reserve -= amount

    def _reserve_matches(self, ch: Channel, reserve: int, tx: str) -> None:
        self.f.equal(
            "reserve running balance",
            ch.reserve,
            reserve,
            lambda: (
                f"Channel {ch.id}'s reserve rebuilt from events is {ch.reserve}, the "
                f"event says {reserve}."
            ),
            **self._at(ch, tx),
        )

    def _at(self, ch: Channel, tx: str) -> dict[str, Any]:
        return {"asset": ch.asset, "account": ch.payer, "currency": ch.currency, "tx": tx}

    def _report(self, check: str, problems: list[str], what: str, where: dict[str, Any]) -> None:
        if problems:
            self.f.fail(check, f"{what}: " + "; ".join(problems) + ".", **where)
        else:
            self.f.passed(check)

    def _settled(self, a: list[Any], stamp: int, tx: str) -> None:
        channel_id, license_id, units, amount, share, cumulative, via_voucher = a
        ch = self._channel(channel_id, "UsageSettled", tx)
        if ch is None:
            return
        where = self._at(ch, tx)
        lic = self.licenses.get(license_id)
        h = self.holders[ch.license, ch.payer]
        problems = []
        if license_id != ch.license:
            problems.append(f"it names license {license_id}, the channel is on {ch.license}")
        if stamp > h.closes_at:
            problems.append(f"settled at {stamp}, after the channel closed at {h.closes_at}")
        if lic is not None and lic.expires_at and stamp > lic.expires_at + self.p.grace_period:
            problems.append(
                f"settled at {stamp}, after expiry {lic.expires_at} + grace {self.p.grace_period}"
            )
        if not via_voucher and not h.held:
            problems.append(f"metered on chain by {ch.payer}, who no longer holds the license")
        self._report(
            "settlement within the channel's window",
            problems,
            f"Settlement on channel {channel_id}",
            where,
        )
        if cumulative > ch.units:
            self.f.passed("channel units only grow")
        else:
            self.f.fail(
                "channel units only grow",
                f"Channel {channel_id} settled to {cumulative} units in all after {ch.units}.",
                expected=ch.units + 1,
                found=cumulative,
                **where,
            )
        price = lic.unit_price if lic else 0
        bps = lic.service_bps if lic else 0
        charged = cumulative - ch.units
        expected = [charged, charged * price, charged * price * bps // BPS]
        found = [units, amount, share]
        over = cumulative > ch.unit_limit
        if expected == found and not over:
            self.f.passed("settlement charge")
        else:
            self.f.fail(
                "settlement charge",
                f"Settlement on channel {channel_id} charged units/amount/service share "
                f"{found}, expected {expected}"
                + (f" within the channel's limit {ch.unit_limit}" if over else "")
                + ".",
                expected=expected,
                found=found,
                **where,
            )
        self._spend(ch, amount, "A settlement", tx)
        ch.units = max(ch.units, cumulative)
        ch.settled += amount
        ch.service += share
        ch.settlements += 1
        self.owed[ch.asset, ch.currency].accrued += amount - share
        e = self.earnings[ch.operator, ch.currency]
        e.earned += share
        e.settlements += 1
        if lic is not None:
            lic.units += units
            lic.settled_amount += amount
            lic.settlements += 1

    def _holder_left(self, a: list[Any], stamp: int, tx: str) -> None:
        license_id, payer, closes_at = a
        h = self.holders[license_id, payer]
        lic = self.licenses.get(license_id)
        expected = min(h.closes_at, stamp + self.p.grace_period)
        problems = []
        if closes_at != expected:
            problems.append(f"closesAt {closes_at}, not min({h.closes_at}, now + grace)")
        if not h.held:
            problems.append("it had left already")
        if lic is not None and lic.holder == payer:
            problems.append("the license did not move away from it")
        self._report(
            "holder left: settlement window shrinks to the grace period",
            problems,
            f"HolderLeft of {payer} on license {license_id}",
            {"account": payer, "tx": tx, "asset": lic.asset if lic else None},
        )
        h.held, h.closes_at = False, closes_at

    def _holder_returned(self, a: list[Any], stamp: int, tx: str) -> None:
        license_id, payer, closes_at = a
        h = self.holders[license_id, payer]
        lic = self.licenses.get(license_id)
        problems = []
        if lic is not None:
            if lic.holder != payer:
                problems.append(f"the license is held by {lic.holder}")
            if closes_at != self._close_time(lic.expires_at):
                problems.append(f"closesAt {closes_at}, not expiry + grace")
        self._report(
            "holder returned",
            problems,
            f"HolderReturned of {payer} on license {license_id}",
            {"account": payer, "tx": tx},
        )
        h.held, h.closes_at = True, closes_at

    def _signer_change(self, a: list[Any], stamp: int, tx: str) -> None:
        license_id, payer, signer, switch_at = a
        h = self.holders[license_id, payer]
        if h.switch_at:
            until = h.switch_at + self.p.grace_period
            if stamp <= until:
                self._report(
                    "signer change delayed",
                    [
                        f"scheduled at {stamp}, while the previous change's old signer still "
                        f"settles (until {until})"
                    ],
                    f"SignerChangeScheduled of {payer} on license {license_id}",
                    {"account": payer, "tx": tx},
                )
            h.signer = h.next_signer  # the earlier change is in force
        self.f.equal(
            "signer change delayed",
            stamp + self.p.withdrawal_delay,
            switch_at,
            f"A signer change of {payer} on license {license_id} takes effect at {switch_at}, "
            f"not {stamp + self.p.withdrawal_delay} (now + the withdrawal delay).",
            account=payer,
            tx=tx,
        )
        h.next_signer, h.switch_at = signer, switch_at

    def _released(self, a: list[Any], stamp: int, tx: str) -> None:
        channel_id, units = a
        ch = self._channel(channel_id, "UnitsReleased", tx)
        if ch is None:
            return
        h = self.holders[ch.license, ch.payer]
        problems = []
        if units != ch.unit_limit - ch.units:
            problems.append(
                f"it released {units}, the channel had {ch.unit_limit - ch.units} unused"
            )
        if not (stamp > h.closes_at or channel_id in self._emptied):
            problems.append(f"it is open until {h.closes_at} and its reserve was not emptied")
        self._report(
            "units released from a closed or emptied channel",
            problems,
            f"UnitsReleased on channel {channel_id}",
            self._at(ch, tx),
        )
        ch.unit_limit -= units
        lic = self.licenses.get(ch.license)
        if lic is not None:
            lic.allotted -= units

    def _asset_paid(self, a: list[Any], stamp: int, tx: str) -> None:
        asset_id, cur, amount = a
        o = self.owed[asset_id, cur]
        self.f.equal(
            "asset paid what it was owed",
            o.due,
            amount,
            lambda: f"payAsset sent {amount} for asset {asset_id}, which was owed {o.due}.",
            asset=asset_id,
            currency=cur,
            tx=tx,
        )
        o.paid += amount
        o.payments += 1
        self.meter_held[cur] -= amount
        self._due["usage", asset_id, cur] += amount

    def _earnings_withdrawn(self, a: list[Any], stamp: int, tx: str) -> None:
        operator, cur, _to, amount = a
        e = self.earnings[operator, cur]
        self.f.equal(
            "earnings withdrawn whole",
            e.balance,
            amount,
            lambda: f"{operator} withdrew {amount} of earnings, its balance was {e.balance}.",
            account=operator,
            currency=cur,
            tx=tx,
        )
        e.withdrawn += amount
        self.meter_held[cur] -= amount

    # -- totals the checks compare with the chain ---------------------------------------------

    def meter_books(self, currency: str) -> tuple[int, int, int]:
        """(Σ reserves, Σ owed to assets, Σ operator earnings) in `currency`."""
        reserves = sum(c.reserve for c in self.channels.values() if c.currency == currency)
        owed = sum(o.due for (_, c), o in self.owed.items() if c == currency)
        earned = sum(e.balance for (_, c), e in self.earnings.items() if c == currency)
        return reserves, owed, earned

    def earnings_currencies(self) -> set[str]:
        return {c for (_, c), e in self.earnings.items() if e.earned}

    def meter_currencies(self) -> set[str]:
        return (
            {c.currency for c in self.channels.values()}
            | {c for _, c in self.owed}
            | {c for _, c in self.earnings}
            | set(self.meter_held)
        )


_TABLES: dict[str, type] = {
    "assets": Asset,
    "pools": Pool,
    "claimants": Claimant,
    "edges": Edge,
    "books": Books,
    "offers": Offer,
    "licenses": License,
    "channels": Channel,
    "holders": Holder,
    "owed": Owed,
    "earnings": Earnings,
    "derive_uses": DeriveUse,
    "redirects": Redirect,
    "sweeps": Sweep,
    "failed_claims": FailedClaim,
}


def _word(address: str) -> bytes:
    return bytes(12) + bytes.fromhex(address[2:])


def _plain(value: Any) -> Any:
    return sorted(value) if isinstance(value, set) else value
