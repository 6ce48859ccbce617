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

from seedbed.core.constants import ACCESS, BPS, DERIVE, ETH
from seedbed.core.keccak import keccak
from seedbed.workflows.audit.campaigns import TABLES as CAMPAIGN_TABLES
from seedbed.workflows.audit.campaigns import CampaignBook
from seedbed.workflows.audit.findings import Findings

ZERO = ETH
# Bump when the way events are applied changes: stored snapshots of older versions are ignored.
# 3: lineage floors, DERIVE uses, redirected claims, sweeps, commitments, failed claims.
# 4: disputes: the court's book, holds (with their escrow rounds), escrow and redirected
#    credits, prior-commitment takeovers.
# 5: private data: seals, key services and key grants.
# 6: labeling campaigns: pools, results, disputes, claims, credits.
LEDGER_VERSION = 6

# The vault's holds, the registry's dispute status and the court's kinds and states
# (IRoyaltyVault.setHold, IAssetRegistry.setStatus, IAssetCourt.Kind and State).
HOLD_NONE, HOLD_ESCROW, HOLD_REDIRECTED = 0, 1, 2
STATUS_NONE, STATUS_DISPUTED, STATUS_UPHELD = 0, 1, 2
SUBJECTIVE, DUPLICATE, PRIOR_COMMITMENT = 0, 1, 2
OPEN, AT_ARBITER, UPHELD, DISMISSED, LAPSED = 1, 2, 3, 4, 5
KIND_NAMES = {
    SUBJECTIVE: "subjective",
    DUPLICATE: "duplicate",
    PRIOR_COMMITMENT: "prior commitment",
}
STATE_NAMES = {
    OPEN: "open",
    AT_ARBITER: "at the arbiter",
    UPHELD: "upheld",
    DISMISSED: "dismissed",
    LAPSED: "lapsed",
}
REASON_NAMES = {1: "infringement", 2: "licence breach", 3: "bad data"}
HOLD_NAMES = {HOLD_NONE: "none", HOLD_ESCROW: "escrow", HOLD_REDIRECTED: "redirected"}
STATUS_NAMES = {STATUS_NONE: "none", STATUS_DISPUTED: "disputed", STATUS_UPHELD: "upheld"}


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
    status: int = STATUS_NONE  # the court's (StatusChanged): 0 none, 1 disputed, 2 upheld


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
    diverted: int = 0  # credits to the asset a dispute sent to escrow or its beneficiary
    released: int = 0  # its escrow credited back to it (a dismissed or lapsed dispute)

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
    diverted: int = 0  # the parent's share a dispute on the parent held or redirected


@dataclass(slots=True)
class Books:
    """Vault totals per currency."""

    paid: int = 0
    fees_earned: int = 0
    fees_withdrawn: int = 0
    claimed: int = 0
    excess_swept: int = 0
    failed_claims: int = 0
    forfeited: int = 0  # credits of upheld disputes with no beneficiary: the fee book's

    @property
    def held(self) -> int:
        return self.paid - self.claimed - self.fees_withdrawn

    @property
    def fees(self) -> int:
        return self.fees_earned + self.forfeited - self.fees_withdrawn


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


@dataclass(slots=True)
class Hold:
    """The vault's hold on an asset (HoldChanged): 0 none, 1 escrow, 2 redirected to
    `beneficiary` (0: the fee book)."""

    state: int = HOLD_NONE
    beneficiary: int = 0
    changes: int = 0
    # +1 at each change into escrow from another state (the vault's Hold.round): one per
    # dispute, except a prior-commitment takeover, which keeps the round it found.
    round: int = 0


@dataclass(slots=True)
class Escrow:
    """One (asset, currency) escrow of the vault: credits held aside while the asset was
    disputed, and where they went."""

    escrowed: int = 0  # every credit that went in
    released: int = 0  # back to the asset's own pool (dismissed, lapsed, or an earlier round)
    redirected: int = 0  # to its beneficiary's pool or the fee book (upheld, its round)
    credits: int = 0
    releases: int = 0
    round: int = 0  # the hold round that filled it (the vault's Escrow.round)

    @property
    def held(self) -> int:
        return self.escrowed - self.released - self.redirected


@dataclass(slots=True)
class Diversion:
    """Credits of a taken-down asset sent to its beneficiary (or, with `to` 0, the fee
    book), per (from, to, currency): straight from a payment or flow, or from its escrow."""

    amount: int = 0
    to_contributors: int = 0
    to_upstream: int = 0
    from_escrow: int = 0
    credits: int = 0


@dataclass(slots=True)
class Dispute:
    """One dispute of the court, rebuilt from its events."""

    id: int
    asset: int
    kind: int
    claimant: str
    beneficiary: int
    reason: int
    evidence: str
    deposit: int  # what the claimant sent with the open: BOND + the ruling fee (0: prior)
    opened_at: int
    state: int = OPEN
    contested: bool = False
    defendant: str = ETH  # the zero address until the owner contests or is answered for
    answer_deposit: int = 0  # the defendant's bond
    at_arbiter_at: int = 0
    ruling_fee: int = 0  # what requestRuling sent (or offered, when refused)
    fee_spent: int = 0  # what the arbiter kept
    fee_refused: bool = False  # the arbiter refused the case: the fee went back
    resolved_at: int = 0
    credited: dict[str, int] = field(default_factory=dict)  # account -> bonds and fees
    block: int = 0
    tx: str = ""
    round: int = 0  # the asset's hold round its open started (or, taken over, kept)
    superseded_by: int = 0  # the prior-commitment claim that ended it as lapsed

    @property
    def posted(self) -> int:
        return self.deposit + self.answer_deposit

    @property
    def live(self) -> int:
        """What the court still holds for this dispute (not yet anyone's to withdraw)."""
        return self.posted - self.fee_spent - sum(self.credited.values())


@dataclass(slots=True)
class Seal:
    """An asset's seal (PrivateData Sealed): the root of its encrypted files and its key
    check, and who sealed it; `seals` above 1 is a contract bug (an asset is sealed once)."""

    asset: int
    seal_root: str
    key_check: str
    sealer: str
    sealed_at: int
    block: int = 0
    tx: str = ""
    seals: int = 0


@dataclass(slots=True)
class Granter:
    """A key service an owner named for an asset (PrivateData GranterChanged), keyed by
    (asset, owner, granter): a granter serves the owner who named it."""

    allowed: bool = False
    changes: int = 0


@dataclass(slots=True)
class KeyGrant:
    """A dataset key handed to a license holder (PrivateData KeyGranted), in chain order. The
    wrapped key itself stays in the log; its size and keccak identify it."""

    license: int
    asset: int
    holder: str
    granter: str
    wrapped_size: int
    wrapped_hash: str
    granted_at: int
    block: int = 0
    tx: str = ""
    by_owner: bool = False  # the granter owned the asset then (else one of its key services)


@dataclass(slots=True)
class Depositor:
    """An account's withdrawable deposits at the court."""

    credited: int = 0
    withdrawn: int = 0
    withdrawals: int = 0

    @property
    def balance(self) -> int:
        return self.credited - self.withdrawn


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
    court_bond: int = 0  # AssetCourt.BOND(): who gets which bond is checked when known


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
        self.holds: dict[int, Hold] = defaultdict(Hold)
        self.escrow: dict[tuple[int, str], Escrow] = defaultdict(Escrow)
        self.diversions: dict[tuple[int, int, str], Diversion] = defaultdict(Diversion)
        self.disputes: dict[int, Dispute] = {}
        self.depositors: dict[str, Depositor] = defaultdict(Depositor)
        # The court's book (totalDeposits) by its running events: deposits in, ruling fees
        # the arbiter took, withdrawals out.
        self.court_totals: dict[str, int] = defaultdict(int)
        self.court_wired: dict[str, str] = {}  # role -> the court its CourtWired named
        # PrivateData: no money moves, so none of this enters the conservation checks.
        self.seals: dict[int, Seal] = {}
        self.granters: dict[tuple[int, str, str], Granter] = defaultdict(Granter)
        self.key_grants: dict[int, KeyGrant] = {}  # 1, 2, … in chain order
        # LabelCampaigns: its own books (audit/campaigns.py), apart from the royalty ones.
        self.campaign_book = CampaignBook(findings)
        self.campaigns = self.campaign_book.campaigns
        self.campaign_claims = self.campaign_book.campaign_claims
        self.campaign_credits = self.campaign_book.campaign_credits
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
        # Within the transaction: credits diverted by a hold (Escrowed, Redirected) not yet
        # matched by the Paid, UpstreamFlowed or Released they belong to; the status and
        # hold changes the court's disputes call for; the disputes resolved.
        self._diverted: list[tuple[str, int, str, int]] = []
        self._expected: list[tuple[str, int, tuple[int, ...], int]] = []
        self._resolved: list[int] = []
        # Disputes lapsed in the transaction, by asset, with the state they left (a prior-
        # commitment claim may take them over), and the takeovers seen: (lapsed, claim).
        self._lapsed: dict[int, tuple[int, int]] = {}
        self._superseded: list[tuple[int, int]] = []
        self._handlers: dict[tuple[str, str], Callable[[list[Any], int, str], None]] = {
            ("registry", "AssetRegistered"): self._registered,
            ("registry", "Transfer"): self._asset_transfer,
            ("registry", "ListingChanged"): self._listing,
            ("registry", "Committed"): self._committed,
            ("registry", "Swept"): self._sweep_of("registry"),
            ("registry", "StatusChanged"): self._status_changed,
            ("registry", "CourtWired"): self._court_wired_of("registry"),
            ("vault", "Paid"): self._paid,
            ("vault", "UpstreamFlowed"): self._flowed,
            ("vault", "Claimed"): self._claimed,
            ("vault", "ClaimFailed"): self._claim_failed,
            ("vault", "FeesWithdrawn"): self._fees_withdrawn,
            ("vault", "ExcessSwept"): self._swept,
            ("vault", "ClaimRedirected"): self._redirected,
            ("vault", "HoldChanged"): self._hold_changed,
            ("vault", "Escrowed"): self._escrowed,
            ("vault", "Redirected"): self._credit_redirected,
            ("vault", "Released"): self._escrow_released,
            ("vault", "CourtWired"): self._court_wired_of("vault"),
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
            ("court", "DisputeOpened"): self._dispute_opened,
            ("court", "DisputeAnswered"): self._dispute_answered,
            ("court", "RulingRequested"): self._ruling_requested,
            ("court", "DisputeResolved"): self._dispute_resolved,
            ("court", "DepositCredited"): self._deposit_credited,
            ("court", "DepositsWithdrawn"): self._deposits_withdrawn,
            ("court", "ExcessSwept"): self._sweep_of("court"),
            ("private", "Sealed"): self._sealed,
            ("private", "GranterChanged"): self._granter_changed,
            ("private", "KeyGranted"): self._key_granted,
        }
        for name, handler in self.campaign_book.handlers().items():
            self._handlers["campaigns", name] = handler
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
        out["court_totals"] = list(self.court_totals.items())
        out["court_wired"] = list(self.court_wired.items())
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
        self.court_totals.update(dict(state["court_totals"]))
        self.court_wired.update(dict(state["court_wired"]))
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
        if self.campaign_book.expected_credits:
            self.campaign_book.end_tx(self._tx)
        self._claim = None
        if self._diverted or self._expected or self._resolved:
            self._end_dispute_tx()
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
        hold = self.holds.get(asset_id)
        if hold is not None and hold.state != HOLD_NONE:
            # Diverted whole by the dispute: an Escrowed or Redirected event came before.
            expected = [0, 0, exp_fee]
            pool.diverted += amount - fee
            self._diversion_matched(hold.state, asset_id, cur, amount - fee, "payment", tx)
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
        hold = self.holds.get(parent_id)
        diverted = hold is not None and hold.state != HOLD_NONE
        if diverted and hold is not None:
            # The parent is disputed or taken down: its share went whole to escrow or on.
            if expected is not None:
                expected[2:] = [0, 0]
            self._diversion_matched(hold.state, parent_id, cur, amount, "upstream flow", tx)
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
        if diverted:
            edge.diverted += amount
            parent_pool.diverted += amount

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

    # -- disputes: the vault's holds and escrow ------------------------------------------------

    def _take(self, entry: tuple[str, int, str, int]) -> bool:
        """Match (and drop) a diversion booked earlier in the transaction."""
        try:
            self._diverted.remove(entry)
        except ValueError:
            return False
        return True

    def _diversion_matched(
        self, state: int, asset_id: int, cur: str, amount: int, what: str, tx: str
    ) -> None:
        """A payment or flow credited to a held asset: the Escrowed (hold 1) or Redirected
        (hold 2) event of the same amount must have come just before it."""
        kind, event = ("escrow", "Escrowed") if state == HOLD_ESCROW else ("redirect", "Redirected")
        if self._take((kind, asset_id, cur, amount)):
            self.f.passed("credits follow the hold")
            return
        self.f.fail(
            "credits follow the hold",
            f"A {what} of {amount} to asset {asset_id} was diverted by its hold "
            f"({HOLD_NAMES.get(state, state)}), but no {event} event of that amount for it "
            "came before in the transaction: the diverted credit is booked nowhere.",
            asset=asset_id,
            currency=cur,
            expected=amount,
            tx=tx,
        )

    def _hold_state(self, asset_id: int) -> int:
        hold = self.holds.get(asset_id)
        return hold.state if hold is not None else HOLD_NONE

    def _hold_changed(self, a: list[Any], stamp: int, tx: str) -> None:
        asset_id, state, beneficiary = a
        h = self.holds[asset_id]
        if state == HOLD_ESCROW and h.state != HOLD_ESCROW:
            h.round += 1  # a new dispute's hold: what escrow held before is the asset's own
        h.state, h.beneficiary = state, beneficiary
        h.changes += 1
        self._court_expected("hold", asset_id, (state, beneficiary), tx)

    def _status_changed(self, a: list[Any], stamp: int, tx: str) -> None:
        asset_id, status = a
        asset = self.assets.get(asset_id)
        if asset is not None:
            asset.status = status
        self._court_expected("status", asset_id, (status,), tx)

    def _court_wired_of(self, role: str) -> Callable[[list[Any], int, str], None]:
        def wired(a: list[Any], stamp: int, tx: str) -> None:
            self.court_wired[role] = a[0]

        return wired

    def _court_expected(self, kind: str, asset_id: int, found: tuple[int, ...], tx: str) -> None:
        """A status (registry) or hold (vault) change: the court's DisputeOpened or
        DisputeResolved earlier in the transaction called for it."""
        who = "vault" if kind == "hold" else "registry"
        for i, (k, aid, want, dispute_id) in enumerate(self._expected):
            if k == kind and aid == asset_id:
                del self._expected[i]
                d = self.disputes.get(dispute_id)
                if kind == "hold" and want == found == (HOLD_ESCROW, 0) and d is not None:
                    d.round = self.holds[asset_id].round
                self.f.equal(
                    "holds follow the court",
                    list(want),
                    list(found),
                    f"Dispute {dispute_id} calls for asset {asset_id}'s {kind} "
                    f"{list(want)}, but the {who} set {list(found)}.",
                    asset=asset_id,
                    tx=tx,
                )
                return
        if kind == "hold" and not self.p.vault_is_suite:
            return  # another vault: the suite's court does not hold its assets
        self.f.fail(
            "holds follow the court",
            f"The {who} set asset {asset_id}'s {kind} to {list(found)} with no dispute of it "
            "opened or resolved in the transaction: only the court's disputes move it (a "
            "contract bug).",
            asset=asset_id,
            found=list(found),
            tx=tx,
        )

    def _escrowed(self, a: list[Any], stamp: int, tx: str) -> None:
        asset_id, cur, amount = a
        self.currencies.add(cur)
        self.pools[asset_id, cur]  # noqa: B018 (the asset's pool row shows its escrow)
        e = self.escrow[asset_id, cur]
        h = self.holds.get(asset_id)
        state = h.state if h is not None else HOLD_NONE
        if h is not None and state == HOLD_ESCROW and e.held and e.round != h.round:
            # The vault credits an earlier round's escrow to the asset's own pool (Released,
            # split) before it adds the new round's: an escrow holds one dispute's revenue.
            self.f.fail(
                "credits follow the hold",
                f"{amount} of {cur} went into asset {asset_id}'s escrow of hold round "
                f"{h.round}, but {e.held} of round {e.round} (a dispute that had ended) was "
                "still in it: no Released credited that to the asset's own pool first, so the "
                "escrow mixes two disputes' revenue.",
                asset=asset_id,
                currency=cur,
                expected=0,
                found=e.held,
                tx=tx,
            )
        elif state == HOLD_ESCROW:
            self.f.passed("credits follow the hold")
        if h is not None:
            e.round = h.round
        e.escrowed += amount
        e.credits += 1
        if state != HOLD_ESCROW:
            self.f.fail(
                "credits follow the hold",
                f"{amount} of {cur} went into asset {asset_id}'s escrow, but its hold is "
                f"{HOLD_NAMES.get(state, state)}, not escrow: only the credits of a disputed "
                "asset are held (a contract bug).",
                asset=asset_id,
                currency=cur,
                found=amount,
                tx=tx,
            )
        self._diverted.append(("escrow", asset_id, cur, amount))

    def _credit_redirected(self, a: list[Any], stamp: int, tx: str) -> None:
        """A credit (or the released escrow) of a taken-down asset went to its beneficiary's
        pool, split there, or into the beneficiary's own escrow when it is disputed, or to the
        fee book (to = 0) when there is none or the beneficiary is taken down too."""
        source, to, cur, amount, to_c, to_u = a
        self.currencies.add(cur)
        problems = []
        hold = self.holds.get(source)
        beneficiary = to
        if hold is None or hold.state != HOLD_REDIRECTED:
            state = hold.state if hold is not None else HOLD_NONE
            problems.append(
                f"asset {source}'s hold is {HOLD_NAMES.get(state, state)}, not redirected"
            )
        else:
            beneficiary = hold.beneficiary
        b_state = self._hold_state(beneficiary) if beneficiary else HOLD_REDIRECTED
        expected_to = 0 if b_state == HOLD_REDIRECTED else beneficiary
        if to != expected_to:
            problems.append(f"it went to {_book(to)}, not {_book(expected_to)}")
        t_state = self._hold_state(to) if to else HOLD_REDIRECTED
        expected = [0, 0]
        if not to:
            self.books[cur].forfeited += amount
        elif t_state == HOLD_ESCROW:
            if not self._take(("escrow", to, cur, amount)):
                problems.append(f"no Escrowed event of {amount} for asset {to} came before it")
        else:
            target = self.assets.get(to)
            if target is None:
                problems.append(f"asset {to} is not registered")
                expected = [to_c, to_u]
            else:
                exp_up = amount * target.upstream_bps // BPS
                expected = [amount - exp_up, exp_up]
            pool = self.pools[to, cur]
            pool.accrued += to_c
            pool.pending += to_u
        if [to_c, to_u] != expected:
            problems.append(f"it credited contributors/upstream {[to_c, to_u]}, not {expected}")
        d = self.diversions[source, to, cur]
        d.amount += amount
        d.to_contributors += to_c
        d.to_upstream += to_u
        d.credits += 1
        if self._take(("release", source, cur, amount)):
            d.from_escrow += amount
        else:  # a payment or flow to `source`: its Paid or UpstreamFlowed follows
            self._diverted.append(("redirect", source, cur, amount))
        self._report(
            "credits follow the hold",
            problems,
            f"Redirected of {amount} of {cur} from asset {source}",
            {"asset": source, "currency": cur, "tx": tx},
        )

    def _escrow_released(self, a: list[Any], stamp: int, tx: str) -> None:
        """release(asset, currency): the whole escrow, to the asset's own pool after a
        dismissed or lapsed dispute, or (with zeros, a Redirected follows) to its beneficiary.
        Escrow of a round before the hold's current one (a dispute that ended before the one
        now holding the asset opened) is the asset's own whatever the hold: `release` credits
        it to its pool even while held or taken down, and so does a new credit into the escrow
        just before its Escrowed."""
        asset_id, cur, amount, to_c, to_u = a
        e = self.escrow[asset_id, cur]
        h = self.holds.get(asset_id, Hold())
        earlier = e.held != 0 and e.round != h.round
        e.releases += 1
        self.f.equal(
            "escrow released whole",
            e.held,
            amount,
            lambda: f"release took {amount} out of asset {asset_id}'s escrow, which held {e.held}.",
            asset=asset_id,
            currency=cur,
            tx=tx,
        )
        state = h.state
        problems = []
        if state == HOLD_ESCROW and not earlier:
            problems.append(
                f"its dispute is still open (hold escrow) and the escrow is of its round {h.round}"
            )
        if state == HOLD_REDIRECTED and not earlier:
            e.redirected += amount
            expected = [0, 0]
            self._diverted.append(("release", asset_id, cur, amount))
        else:
            e.released += amount
            asset = self.assets.get(asset_id)
            exp_up = amount * (asset.upstream_bps if asset is not None else 0) // BPS
            expected = [amount - exp_up, exp_up]
            pool = self.pools[asset_id, cur]
            pool.accrued += to_c
            pool.pending += to_u
            pool.released += amount
        if [to_c, to_u] != expected:
            problems.append(f"it credited contributors/upstream {[to_c, to_u]}, not {expected}")
        self._report(
            "credits follow the hold",
            problems,
            f"Released of {amount} of {cur} from asset {asset_id}'s escrow",
            {"asset": asset_id, "currency": cur, "tx": tx},
        )

    # -- disputes: the court -------------------------------------------------------------------

    @property
    def court_book(self) -> int:
        """totalDeposits by the events: live bonds and fees, and withdrawable deposits."""
        t = self.court_totals
        return t["deposited"] - t["fees_spent"] - t["withdrawn"]

    def _dispute(self, dispute_id: int, event: str, tx: str) -> Dispute | None:
        d = self.disputes.get(dispute_id)
        if d is None:
            self.f.fail(
                "dispute events in order",
                f"{event} names dispute {dispute_id}, which never opened.",
                tx=tx,
            )
        return d

    def _dispute_opened(self, a: list[Any], stamp: int, tx: str) -> None:
        dispute_id, asset_id, kind, claimant, beneficiary, reason, evidence, deposit = a
        problems = []
        asset = self.assets.get(asset_id)
        taken = self._takeover(dispute_id, kind, asset_id)
        if asset is None:
            problems.append(f"asset {asset_id} is not registered")
        elif taken and asset.status == STATUS_DISPUTED:
            # claimPriorCommitment ended the running dispute as lapsed just before, keeping
            # the asset disputed and held: this claim takes over its status and its escrow.
            hold = self._hold_state(asset_id)
            if self.p.vault_is_suite and hold != HOLD_ESCROW:
                problems.append(
                    f"it took over dispute {taken}, but the asset's hold was "
                    f"{HOLD_NAMES.get(hold, hold)}, not escrow"
                )
        elif asset.status != STATUS_NONE:
            status = STATUS_NAMES.get(asset.status, asset.status)
            problems.append(f"the asset was {status} already (one dispute at a time)")
        if dispute_id in self.disputes:
            problems.append("its id was used before")
        elif dispute_id != len(self.disputes) + 1:
            problems.append(f"ids run from 1 in order, {len(self.disputes) + 1} was next")
        if beneficiary == asset_id:
            problems.append("the asset is its own beneficiary")
        elif beneficiary and beneficiary not in self.assets:
            problems.append(f"the beneficiary {beneficiary} is not registered")
        if (kind == PRIOR_COMMITMENT) != (deposit == 0):
            problems.append(f"a {KIND_NAMES.get(kind, kind)} claim deposited {deposit}")
        self.disputes[dispute_id] = Dispute(
            dispute_id,
            asset_id,
            kind,
            claimant,
            beneficiary,
            reason,
            evidence,
            deposit,
            stamp,
            block=self._block,
            tx=tx,
        )
        self.court_totals["deposited"] += deposit
        self._expected.append(("status", asset_id, (STATUS_DISPUTED,), dispute_id))
        if self.p.vault_is_suite:
            self._expected.append(("hold", asset_id, (HOLD_ESCROW, 0), dispute_id))
        self._report(
            "dispute events in order",
            problems,
            f"DisputeOpened {dispute_id} of asset {asset_id}",
            {"asset": asset_id, "account": claimant, "tx": tx},
        )

    def _takeover(self, dispute_id: int, kind: int, asset_id: int) -> int:
        """A prior-commitment claim opened right after the asset's running dispute lapsed in
        the same transaction, with no status or hold change for that lapse (`_supersede`):
        the lapsed dispute's calls for status 0 and hold 0 are dropped and it is marked as
        taken over. Returns its id, 0 when this open takes nothing over."""
        lapsed = self._lapsed.get(asset_id)
        if kind != PRIOR_COMMITMENT or lapsed is None:
            return 0
        old = lapsed[0]
        calls = [i for i, e in enumerate(self._expected) if e[1] == asset_id and e[3] == old]
        kinds = sorted(self._expected[i][0] for i in calls)
        if kinds != (["hold", "status"] if self.p.vault_is_suite else ["status"]):
            return 0  # the lapse moved the status or hold: an ordinary lapse
        for i in reversed(calls):
            del self._expected[i]
        del self._lapsed[asset_id]
        self.disputes[old].superseded_by = dispute_id
        self._superseded.append((old, dispute_id))
        return old

    def _dispute_answered(self, a: list[Any], stamp: int, tx: str) -> None:
        dispute_id, by, contested, deposit = a
        d = self._dispute(dispute_id, "DisputeAnswered", tx)
        if d is None:
            return
        problems = []
        if d.state != OPEN:
            problems.append(f"it was {STATE_NAMES.get(d.state, d.state)}, not open")
        asset = self.assets.get(d.asset)
        owner = asset.owner if asset is not None else ZERO
        if contested:
            d.contested = True
            d.defendant = by
            d.answer_deposit += deposit
            self.court_totals["deposited"] += deposit
            if by != owner:
                problems.append(f"{by} contested it, not the asset's owner {owner}")
        else:
            d.defendant = owner
            if deposit:
                problems.append(f"a lineage answer deposits nothing, this one says {deposit}")
            if d.kind != DUPLICATE:
                problems.append("only a duplicate claim is answered with a lineage")
        self._report(
            "dispute events in order",
            problems,
            f"DisputeAnswered of dispute {dispute_id}",
            {"asset": d.asset, "account": by, "tx": tx},
        )

    def _ruling_requested(self, a: list[Any], stamp: int, tx: str) -> None:
        dispute_id, _arbiter, fee, accepted = a
        d = self._dispute(dispute_id, "RulingRequested", tx)
        if d is None:
            return
        problems = []
        # The arbiter may rule from inside requestRuling: then DisputeResolved came first.
        ruled_inside = d.state in (UPHELD, DISMISSED) and dispute_id in self._resolved
        if d.state != OPEN and not ruled_inside:
            problems.append(f"it was {STATE_NAMES.get(d.state, d.state)}, not open")
        if d.at_arbiter_at:
            problems.append("it had gone to the arbiter before")
        bond = self.p.court_bond
        if bond and d.kind != PRIOR_COMMITMENT and fee != d.deposit - bond:
            problems.append(
                f"it sent a fee of {fee}, the claimant paid {d.deposit - bond} beyond the bond"
            )
        d.at_arbiter_at = stamp
        d.ruling_fee = fee
        if d.state == OPEN:
            d.state = AT_ARBITER
        if not d.contested and d.defendant == ZERO:
            asset = self.assets.get(d.asset)
            d.defendant = asset.owner if asset is not None else ZERO
        if accepted:
            d.fee_spent = fee
            self.court_totals["fees_spent"] += fee
        else:
            d.fee_refused = True  # the fee went back to the claimant (DepositCredited)
            if ruled_inside:
                # A reverted requestRuling undoes whatever the arbiter did inside it.
                problems.append("the arbiter refused the case, yet its ruling from inside stands")
            # Nothing is credited before the case goes to the arbiter but, on a refusal, the
            # fee back to the claimant just before this event.
            found = {k: v for k, v in d.credited.items() if v}
            want = {d.claimant: fee} if fee else {}
            if found != want:
                problems.append(
                    f"the arbiter refused it, so its fee {fee} goes back to the claimant at "
                    f"once; the dispute's credits were {found}"
                )
        self._report(
            "dispute events in order",
            problems,
            f"RulingRequested of dispute {dispute_id}",
            {"asset": d.asset, "tx": tx},
        )

    def _dispute_resolved(self, a: list[Any], stamp: int, tx: str) -> None:
        dispute_id, asset_id, outcome = a
        d = self._dispute(dispute_id, "DisputeResolved", tx)
        if d is None:
            return
        problems = []
        if asset_id != d.asset:
            problems.append(f"it names asset {asset_id}, the dispute is about {d.asset}")
        if outcome not in (UPHELD, DISMISSED, LAPSED):
            problems.append(f"its outcome {outcome} is no end state")
        elif d.state not in (OPEN, AT_ARBITER):
            was = STATE_NAMES.get(d.state, d.state)
            problems.append(f"it went from {was} to {STATE_NAMES[outcome]}")
        elif outcome == LAPSED:
            # `lapse` ends a case at the arbiter; a prior-commitment claim's takeover ends an
            # open one too (checked when the transaction ends).
            self._lapsed[d.asset] = (dispute_id, d.state)
        elif d.fee_refused:
            problems.append(
                f"the arbiter refused the case (RulingRequested accepted=false), so the court "
                f"refuses every ruling on it (AssetCourtCaseRefused): it cannot end "
                f"{STATE_NAMES[outcome]}, only lapse"
            )
        d.state = outcome
        d.resolved_at = stamp
        self._resolved.append(dispute_id)
        upheld = outcome == UPHELD
        self._expected.append(
            ("status", d.asset, (STATUS_UPHELD if upheld else STATUS_NONE,), dispute_id)
        )
        if self.p.vault_is_suite:
            hold = (HOLD_REDIRECTED, d.beneficiary) if upheld else (HOLD_NONE, 0)
            self._expected.append(("hold", d.asset, hold, dispute_id))
        self._report(
            "dispute events in order",
            problems,
            f"DisputeResolved of dispute {dispute_id}",
            {"asset": d.asset, "tx": tx},
        )

    def _deposit_credited(self, a: list[Any], stamp: int, tx: str) -> None:
        dispute_id, account, amount = a
        d = self._dispute(dispute_id, "DepositCredited", tx)
        if d is not None:
            d.credited[account] = d.credited.get(account, 0) + amount
        self.depositors[account].credited += amount

    def _deposits_withdrawn(self, a: list[Any], stamp: int, tx: str) -> None:
        account, amount = a
        dep = self.depositors[account]
        self.f.equal(
            "deposits withdrawn whole",
            dep.balance,
            amount,
            lambda: f"{account} withdrew {amount} from the court, its deposits were {dep.balance}.",
            account=account,
            currency=ZERO,
            tx=tx,
        )
        dep.withdrawn += amount
        dep.withdrawals += 1
        self.court_totals["withdrawn"] += amount

    def bond_shares(self, d: Dispute) -> dict[str, int] | None:
        """Who must have been credited what when `d` ended (docs/integrity.md §5.5), from
        BOND (None when unknown). The claimant's deposit is BOND + the ruling fee F."""
        bond = self.p.court_bond
        if not bond or d.state not in (UPHELD, DISMISSED, LAPSED):
            return None
        out: Counter[str] = Counter()
        if d.kind == PRIOR_COMMITMENT:
            return {}
        fee = d.deposit - bond
        if not d.at_arbiter_at:  # an objective claim: unanswered, or answered by a lineage
            if d.state == UPHELD:
                out[d.claimant] += bond + fee
            elif d.state == DISMISSED:
                out[d.defendant] += bond
                out[d.claimant] += fee
            else:  # lapsed while open: a prior-commitment claim took it over, all back
                out[d.claimant] += bond + fee
        else:
            if d.fee_refused:
                out[d.claimant] += d.ruling_fee
            bonds = bond * (2 if d.contested else 1)
            if d.state == UPHELD:
                out[d.claimant] += bonds
            elif d.state == DISMISSED:
                out[d.defendant] += bonds
            else:  # lapsed: each side its own bond back
                out[d.claimant] += bond
                if d.contested:
                    out[d.defendant] += bond
        return {k: v for k, v in out.items() if v}

    def _end_dispute_tx(self) -> None:
        """Every diverted credit matched its payment, flow or release; every status and hold
        change a dispute called for happened; every dispute that ended settled its bonds."""
        tx = self._tx
        what = {
            "escrow": ("Escrowed", "payment, upstream flow or redirect"),
            "redirect": ("Redirected", "payment or upstream flow"),
            "release": ("Released", "Redirected"),
        }
        for kind, asset_id, cur, amount in self._diverted:
            event, follow = what[kind]
            self.f.fail(
                "credits follow the hold",
                f"The {event} event of {amount} of {cur} for asset {asset_id} was followed "
                f"by no {follow} it belongs to in the transaction.",
                asset=asset_id,
                currency=cur,
                found=amount,
                tx=tx,
            )
        for kind, asset_id, want, dispute_id in self._expected:
            who = "vault" if kind == "hold" else "registry"
            self.f.fail(
                "holds follow the court",
                f"Dispute {dispute_id} of asset {asset_id} called for its {kind} {list(want)}, "
                f"but the {who} changed none in the transaction.",
                asset=asset_id,
                expected=list(want),
                tx=tx,
            )
        for asset_id, (dispute_id, was) in sorted(self._lapsed.items()):
            if was != OPEN:
                continue
            self.f.fail(
                "dispute events in order",
                f"Dispute {dispute_id} of asset {asset_id} went from open to lapsed with no "
                "prior-commitment claim taking it over in the transaction (its status and hold "
                "unchanged, the claim opened next): `lapse` ends only a case at the arbiter.",
                asset=asset_id,
                tx=tx,
            )
        for old, new in self._superseded:
            claim = self.disputes[new]
            if claim.state != UPHELD:
                self.f.fail(
                    "dispute events in order",
                    f"Prior-commitment claim {new} took over dispute {old} of asset "
                    f"{claim.asset} but ended the transaction "
                    f"{STATE_NAMES.get(claim.state, claim.state)}: the court upholds such a "
                    "claim in the call that opens it.",
                    asset=claim.asset,
                    account=claim.claimant,
                    tx=tx,
                )
        for dispute_id in self._resolved:
            self._bonds_settled(self.disputes[dispute_id], tx)
        self._diverted, self._expected, self._resolved = [], [], []
        self._lapsed, self._superseded = {}, []

    def _bonds_settled(self, d: Dispute, tx: str) -> None:
        found = {k: v for k, v in d.credited.items() if v}
        expected = self.bond_shares(d)
        where = {"asset": d.asset, "account": d.claimant, "currency": ZERO, "tx": tx}
        state = STATE_NAMES.get(d.state, d.state)
        if d.live:
            self.f.fail(
                "bonds settled at resolution",
                f"Dispute {d.id} ended {state} with {d.live} of its deposits left to nobody "
                f"({d.posted} posted, {d.fee_spent} kept by the arbiter, "
                f"{sum(found.values())} credited): the court's book no longer says whose it is.",
                expected=0,
                found=d.live,
                **where,
            )
        elif expected is not None and expected != found:
            self.f.fail(
                "bonds settled at resolution",
                f"Dispute {d.id} ended {state} and credited its deposits as {found}; the "
                f"rules (docs/integrity.md §5.5) give {expected}.",
                expected=expected,
                found=found,
                **where,
            )
        else:
            self.f.passed("bonds settled at resolution")

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

    # -- private data ------------------------------------------------------------------------
    # Each event is checked against the rules PrivateData enforces, from the registry's and the
    # license token's events: a violation is a contract bug (the contract refuses them).

    def _sealed(self, a: list[Any], stamp: int, tx: str) -> None:
        asset_id, seal_root, key_check, sealer = a
        problems = []
        asset = self.assets.get(asset_id)
        if asset is None:
            problems.append("the asset was never registered")
        elif sealer != asset.owner:
            problems.append(f"the sealer {sealer} is not its owner {asset.owner}")
        old = self.seals.get(asset_id)
        if old is not None:
            problems.append(f"it was sealed already (root {old.seal_root}, transaction {old.tx})")
        if int(seal_root, 16) == 0 or int(key_check, 16) == 0:
            problems.append("its seal root or key check is zero")
        self._report(
            "seals follow the rules",
            problems,
            f"Asset {asset_id} was sealed by {sealer}",
            {"asset": asset_id, "account": sealer, "tx": tx},
        )
        if old is not None:
            old.seals += 1  # the first seal is the one the contract keeps
            return
        self.seals[asset_id] = Seal(
            asset_id, seal_root, key_check, sealer, stamp, self._block, tx, seals=1
        )

    def _granter_changed(self, a: list[Any], stamp: int, tx: str) -> None:
        asset_id, owner, granter, allowed = a
        asset = self.assets.get(asset_id)
        g = self.granters[asset_id, owner, granter]
        problems = []
        if asset is None or owner != asset.owner:
            now = asset.owner if asset is not None else "nobody (never registered)"
            problems.append(f"{owner} named it, but the asset's owner was {now}")
        if bool(allowed) == g.allowed:
            problems.append(f"it was already {'named' if g.allowed else 'not named'}")
        self._report(
            "key services named by the owner",
            problems,
            f"Asset {asset_id}'s key service {granter} was {'named' if allowed else 'removed'}",
            {"asset": asset_id, "account": owner, "tx": tx},
        )
        g.allowed = bool(allowed)
        g.changes += 1

    def _key_granted(self, a: list[Any], stamp: int, tx: str) -> None:
        license_id, asset_id, holder, granter, wrapped = a
        raw = bytes.fromhex(str(wrapped).removeprefix("0x"))
        grant = KeyGrant(
            license_id,
            asset_id,
            holder,
            granter,
            len(raw),
            "0x" + keccak(raw).hex(),
            stamp,
            self._block,
            tx,
        )
        asset = self.assets.get(asset_id)
        grant.by_owner = asset is not None and granter == asset.owner
        self.key_grants[len(self.key_grants) + 1] = grant
        self._report(
            "key grants follow the rules",
            self._grant_problems(grant),
            f"The key of asset {asset_id} was granted to {holder} under license {license_id} "
            f"by {granter}",
            {"asset": asset_id, "account": holder, "tx": tx},
        )

    def _grant_problems(self, g: KeyGrant) -> list[str]:
        problems = []
        if g.asset not in self.seals:
            problems.append("the asset was not sealed")
        asset = self.assets.get(g.asset)
        if asset is None:
            problems.append("the asset was never registered")
        else:
            named = self.granters.get((g.asset, asset.owner, g.granter))
            if g.granter != asset.owner and not (named is not None and named.allowed):
                problems.append(
                    f"{g.granter} is neither the asset's owner {asset.owner} nor a key service "
                    "it named"
                )
            if asset.delisted or asset.status != STATUS_NONE:
                problems.append(
                    f"the asset was not listed (delisted {asset.delisted}, status {asset.status})"
                )
        lic = self.licenses.get(g.license)
        if lic is None:
            problems.append("the license was never sold")
            return problems
        if lic.asset != g.asset:
            problems.append(f"the license is for asset {lic.asset}")
        if lic.holder != g.holder:
            problems.append(f"the license's holder was {lic.holder}")
        if lic.expires_at and g.granted_at >= lic.expires_at:
            problems.append(f"the license had expired at {lic.expires_at}")
        offer = self.offers.get(lic.offer)
        if offer is not None and not offer.scopes & ACCESS:
            problems.append(f"the license's scopes ({offer.scopes}) lack ACCESS")
        return problems

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
    "holds": Hold,
    "escrow": Escrow,
    "diversions": Diversion,
    "disputes": Dispute,
    "depositors": Depositor,
    "seals": Seal,
    "granters": Granter,
    "key_grants": KeyGrant,
    **CAMPAIGN_TABLES,
}


def _book(asset_id: int) -> str:
    return f"asset {asset_id}" if asset_id else "the fee book"


def _word(address: str) -> bytes:
    return bytes(12) + bytes.fromhex(address[2:])


def _plain(value: Any) -> Any:
    return sorted(value) if isinstance(value, set) else value
