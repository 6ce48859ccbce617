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

from seedbed.core.constants import BPS, ETH
from seedbed.workflows.audit.findings import Findings

ZERO = ETH
# Bump when the way events are applied changes: stored snapshots of older versions are ignored.
LEDGER_VERSION = 1


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
    units: int = 0  # cumulative units settled (UsageSettled)
    recorded: int = 0  # cumulative units recorded by the license contract (UsageRecorded)
    settled_amount: int = 0
    settlements: int = 0


@dataclass(slots=True)
class Escrow:
    deposited: int = 0
    withdrawn: int = 0
    settled: int = 0
    balance: int = 0
    requested: int = 0


@dataclass
class Params:
    fee_bps: int
    grace_period: int
    license: str  # addresses, lower case: Paid's payer tells the revenue source
    meter: str
    vault_is_suite: bool = True  # False when auditing another vault: no sale/usage cross-check


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
        self.escrows: dict[tuple[str, str], Escrow] = defaultdict(Escrow)
        self.escrow_total: dict[str, int] = defaultdict(int)
        self.currencies: set[str] = set()
        self.counts: Counter[str] = Counter()
        self.token_fee_loss: dict[str, int] = defaultdict(int)
        self.events = 0
        self.last_block = 0
        self._tx = ""
        self._block = 0
        self._due: dict[tuple[str, int, str], int] = defaultdict(int)
        self._flow: list[Any] | None = None
        self._handlers: dict[tuple[str, str], Callable[[list[Any], int, str], None]] = {
            ("registry", "AssetRegistered"): self._registered,
            ("registry", "Transfer"): self._asset_transfer,
            ("registry", "ListingChanged"): self._listing,
            ("vault", "Paid"): self._paid,
            ("vault", "UpstreamFlowed"): self._flowed,
            ("vault", "Claimed"): self._claimed,
            ("vault", "ClaimFailed"): self._claim_failed,
            ("vault", "FeesWithdrawn"): self._fees_withdrawn,
            ("vault", "ExcessSwept"): self._swept,
            ("license", "OfferCreated"): self._offer,
            ("license", "OfferStatusChanged"): self._offer_status,
            ("license", "LicenseBought"): self._bought,
            ("license", "Transfer"): self._license_transfer,
            ("license", "UsageRecorded"): self._recorded,
            ("meter", "Deposited"): self._deposited,
            ("meter", "WithdrawalRequested"): self._requested,
            ("meter", "Withdrawn"): self._withdrawn,
            ("meter", "UsageSettled"): self._settled,
        }

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
        out["escrow_total"] = list(self.escrow_total.items())
        out["token_fee_loss"] = list(self.token_fee_loss.items())
        out["counts"] = list(self.counts.items())
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
        self.escrow_total.update(dict(state["escrow_total"]))
        self.token_fee_loss.update(dict(state["token_fee_loss"]))
        self.counts.update(dict(state["counts"]))
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
        """Cross-check within the transaction just finished: what licenses sold and meters
        charged reached the vault (a fee-on-transfer token may deliver less, never more)."""
        self._flow = None
        if not self._due:
            return
        due = self._due
        self._due = defaultdict(int)
        if not self.p.vault_is_suite:
            return
        for kind, what in (("sale", "license sales"), ("usage", "metered usage")):
            keys = {(a, c) for k, a, c in due if k in (kind, kind + "-paid")}
            for asset, cur in sorted(keys):
                owed = due.get((kind, asset, cur), 0)
                arrived = due.get((kind + "-paid", asset, cur), 0)
                # ETH arrives whole; a fee-on-transfer token may deliver less, never more.
                if arrived == owed or (cur != ZERO and 0 < arrived < owed):
                    self.f.passed("revenue reached the vault")
                    self.token_fee_loss[cur] += owed - arrived
                else:
                    self.f.fail(
                        "revenue reached the vault",
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
        self.assets[asset_id] = Asset(
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

    def _asset_transfer(self, a: list[Any], stamp: int, tx: str) -> None:
        asset = self.assets.get(a[2])
        if asset is not None:
            asset.owner = a[1]

    def _listing(self, a: list[Any], stamp: int, tx: str) -> None:
        asset = self.assets.get(a[0])
        if asset is not None:
            asset.delisted = bool(a[1])

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

    def _claim_failed(self, a: list[Any], stamp: int, tx: str) -> None:
        self.books[a[1]].failed_claims += 1

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

    # -- licenses ------------------------------------------------------------------------------

    def _offer(self, a: list[Any], stamp: int, tx: str) -> None:
        offer_id, _asset, _creator, t = a
        self.currencies.add(t[1])
        self.offers[offer_id] = Offer(offer_id, t[0], t[1], t[2], t[3], t[4], t[5], t[6])

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
        )
        if price:
            self._due["sale", asset_id, cur] += price

    def _license_transfer(self, a: list[Any], stamp: int, tx: str) -> None:
        lic = self.licenses.get(a[2])
        if lic is not None:
            lic.holder = a[1]

    def _recorded(self, a: list[Any], stamp: int, tx: str) -> None:
        lic = self.licenses.get(a[0])
        if lic is not None:
            lic.recorded = a[1]

    # -- meter ---------------------------------------------------------------------------------

    def _deposited(self, a: list[Any], stamp: int, tx: str) -> None:
        account, cur, amount, escrow = a
        self.currencies.add(cur)
        e = self.escrows[account, cur]
        e.deposited += amount
        e.balance += amount
        self.escrow_total[cur] += amount
        self._escrow_matches(e, escrow, account, cur, tx)

    def _requested(self, a: list[Any], stamp: int, tx: str) -> None:
        self.escrows[a[0], a[1]].requested = a[2]

    def _withdrawn(self, a: list[Any], stamp: int, tx: str) -> None:
        account, cur, amount, escrow = a
        e = self.escrows[account, cur]
        e.withdrawn += amount
        e.balance -= amount
        e.requested = 0
        self.escrow_total[cur] -= amount
        self._escrow_matches(e, escrow, account, cur, tx)

    def _escrow_matches(self, e: Escrow, escrow: int, account: str, cur: str, tx: str) -> None:
        self.f.equal(
            "escrow running balance",
            e.balance,
            escrow,
            lambda: (
                f"{account}'s escrow rebuilt from events is {e.balance}, the event says {escrow}."
            ),
            account=account,
            currency=cur,
            tx=tx,
        )

    def _settled(self, a: list[Any], stamp: int, tx: str) -> None:
        license_id, asset_id, payer, cur, units, amount, cumulative, _via = a
        where = {"asset": asset_id, "account": payer, "currency": cur, "tx": tx}
        e = self.escrows[payer, cur]
        e.settled += amount
        e.balance -= amount
        self.escrow_total[cur] -= amount
        if e.balance < 0:
            self.f.fail(
                "escrow covers settlements",
                f"Settling license {license_id} took {amount}, more than {payer}'s escrow.",
                expected=e.balance + amount,
                found=amount,
                **where,
            )
        self._due["usage", asset_id, cur] += amount
        lic = self.licenses.get(license_id)
        if lic is None:
            self.f.fail(
                "settlement covered by a live license",
                f"Usage of license {license_id} was settled, but that license was never sold.",
                **where,
            )
            return
        problems = []
        if (asset_id, cur) != (lic.asset, lic.currency):
            problems.append(
                f"asset/currency {asset_id}/{cur} instead of {lic.asset}/{lic.currency}"
            )
        if payer != lic.holder:
            problems.append(f"charged {payer}, not the holder {lic.holder}")
        if lic.expires_at and stamp > lic.expires_at + self.p.grace_period:
            problems.append(
                f"settled at {stamp}, after expiry {lic.expires_at} + grace {self.p.grace_period}"
            )
        if problems:
            self.f.fail(
                "settlement covered by a live license",
                f"Settlement of license {license_id}: " + "; ".join(problems) + ".",
                **where,
            )
        else:
            self.f.passed("settlement covered by a live license")
        expected = [cumulative - lic.units, (cumulative - lic.units) * lic.unit_price, cumulative]
        found = [units, amount, lic.recorded]
        over_cap = lic.max_units and cumulative > lic.max_units
        if expected == found and not over_cap:
            self.f.passed("settlement charge")
        else:
            self.f.fail(
                "settlement charge",
                f"Settlement of license {license_id} charged units/amount/recorded total {found}, "
                f"expected {expected}"
                + (f" within the cap {lic.max_units}" if over_cap else "")
                + ".",
                expected=expected,
                found=found,
                **where,
            )
        lic.units = cumulative
        lic.settled_amount += amount
        lic.settlements += 1


_TABLES: dict[str, type] = {
    "assets": Asset,
    "pools": Pool,
    "claimants": Claimant,
    "edges": Edge,
    "books": Books,
    "offers": Offer,
    "licenses": License,
    "escrows": Escrow,
}


def _plain(value: Any) -> Any:
    return sorted(value) if isinstance(value, set) else value
