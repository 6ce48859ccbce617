"""A plain-Python model of Seedbed's rules: what every action must do, to the wei.

The whole-suite state machine (tests/system) drives the deployed contracts and this model
side by side. For each action the model either raises `Revert` with the exact custom error
(name and values) the chain must revert with, or applies it; afterwards it predicts every
balance, claimable amount and license answer. It follows the rules of the design, not the
Solidity: no storage packing, no caches, no gas.

The usage meter is modelled as docs/metering.md states it: channels (license, payer,
operator) with reserves; settlement moves money inside the meter's books (reserve → owed to
the asset, and → the operator's earnings by the offer's service share); `pay_asset` pushes
what is owed into the vault; withdrawals are delayed one-time windows; a license transfer
closes the previous holder's channels after the grace period.

The registry derives each asset's contributors root and total weight from the root's
preimage (`top`), so the total is the tree's sum by construction; with MIN_COMMIT_AGE > 0 a
registration is revealed from the committer's own commitment, aged MIN..MAX (one leaf alone,
or a batch opened by `openCommitment` inside a `multicall`). Lineage keeps every ancestor's
minimum along every path: each parent requires max(its license minimum, its floor), and the
new asset's floor is the largest ceil(required × 10,000 / share); a DERIVE license registers
one derivative. `violations()` checks the money rules and the lineage guarantee L3 in exact
fractions.

The court (AssetCourt) opens disputes against assets: subjective claims (bonded, decided by the
deployment's arbiter, never by default), duplicate-content claims (one file, proven in an
earlier asset and a later one, at least MIN_DUPLICATE_SIZE bytes; answered by a lineage path, or
contested, or upheld when unanswered) and prior-commitment claims (an older commitment of the
asset's content root, upheld in the same call). An open dispute sets the asset's status
(disputed: no sales, no new derivatives) and the vault's hold: every credit to the asset goes
whole into escrow, before the upstream split; an upheld one redirects every credit (and the
escrow, when released) to the beneficiary's pool, one hop only, or to the fee book. Bonds and
ruling fees are the court's book, paid out only by `withdraw_deposits`. The arbiter is a
PanelArbiter (members voting to a threshold) or the TestArbiter (a settable fee, refusals,
instant rulings, `ruleOn` for anyone). Assets carry their content tree's files, so duplicate
claims are checked against them.

Labeling campaigns (LabelCampaigns) are modelled in testkit.model_campaigns; their state lives
in the Protocol (`campaigns`, made on first use) and every action goes through
`Protocol.campaign`, so one atomic snapshot covers it, the balances and the arbiter it shares
with the court (a panel's vote or an instant ruling reaches either, by the case's contract).

Simplifications, on purpose: ERC-721 approvals are not modelled (only owners act on their
tokens), EOAs accept ETH and the suite's contracts refuse plain ETH, voucher and claim signers
are accounts (no ERC-1271 wallets) and signatures are reduced to "who signed for this meter
(or vault) and chain", and gas is charged by the caller from receipts (`Balances.burn`).
Every mutation is atomic: a `Revert` leaves the model exactly as it was.
"""

from __future__ import annotations

import copy
import functools
from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import astuple, dataclass, field
from fractions import Fraction
from typing import Any, TypeVar

from eth_utils import keccak

ETH = "0x0000000000000000000000000000000000000000"
ZERO_ADDRESS = ETH
ZERO32 = bytes(32)
BPS = 10_000
MAX_PARENTS = 16
MAX_CLAIM_BATCH = 64
MAX_SETTLE_BATCH = 256
UINT40_MAX = 2**40 - 1
UINT160_MAX = 2**160 - 1
MAX_WEIGHT = 2**96  # exclusive bound of the registered total (uint96)
UINT64_MAX = 2**64 - 1
UINT128_MAX = 2**128 - 1
UINT256_MAX = 2**256 - 1
MAX_SERVICE_BPS = 5_000
ALL_SCOPES = 31
MAX_DURATION = 100 * 365 * 24 * 3600  # LicenseToken.MAX_DURATION: expiries fit a uint40
DERIVE = 16
USAGE_SCOPES = 1 | 2 | 4  # ACCESS | TRAIN | INFER: what metered use needs
NONE, ACTIVE, PAUSED, RETIRED = 0, 1, 2, 3  # ILicenseToken.OfferStatus
UINT96_MAX = 2**96 - 1
SUBJECTIVE, DUPLICATE, PRIOR_COMMITMENT = 0, 1, 2  # IAssetCourt.Kind
OPEN, AT_ARBITER, UPHELD, DISMISSED, LAPSED = 1, 2, 3, 4, 5  # IAssetCourt.State (0: none)
DISPUTED, TAKEN_DOWN = 1, 2  # the registry's asset status (0: none)
HELD, REDIRECTED = 1, 2  # the vault's hold (0: none)
REASON_MAX = 3  # subjective reasons 1..3
MAX_LINEAGE_HOPS = 8

T = TypeVar("T")


class Revert(Exception):
    """The custom error an action must revert with, values as the ABI decodes them."""

    def __init__(self, name: str, *values: object) -> None:
        super().__init__(f"{name}{values!r}")
        self.name = name
        self.values = values

    @property
    def key(self) -> tuple[str, tuple[object, ...]]:
        return self.name, self.values


def _atomic(method: Callable[..., T]) -> Callable[..., T]:
    """Run a mutation on a copy of the state's dicts and lists; a Revert restores them."""

    @functools.wraps(method)
    def wrapper(self: Any, *args: Any, **kwargs: Any) -> T:
        saved = copy.deepcopy(self.__dict__)
        try:
            return method(self, *args, **kwargs)
        except Revert:
            self.__dict__.clear()
            self.__dict__.update(saved)
            raise

    return wrapper


# -- trees and commitments ----------------------------------------------------------------------

SumNode = tuple[bytes, int]  # (hash, sum of the weights below): IAssetRegistry.SumNode


def contributor_leaf(account: str, weight: int) -> bytes:
    """keccak(0x00 ‖ account ‖ uint96 weight)."""
    return keccak(b"\x00" + bytes.fromhex(account[2:]) + weight.to_bytes(12, "big"))


def sum_node(a: SumNode, b: SumNode) -> SumNode:
    """The node above two children, whatever their order (pairs sort by hash)."""
    (ha, sa), (hb, sb) = (a, b) if a[0] < b[0] else (b, a)
    return keccak(b"\x01" + ha + sa.to_bytes(32, "big") + hb + sb.to_bytes(32, "big")), sa + sb


def tree_top(weights: Mapping[str, int]) -> list[SumNode]:
    """The registry's `top` for the tree the tooling builds of `weights` (leaves by address
    ascending, pairs (0,1), (2,3) …, an odd last node promoted): the root's two children, or
    for one contributor (its address left-padded to 32 bytes, its weight)."""
    accounts = sorted(weights, key=lambda a: bytes.fromhex(a[2:]))
    if len(accounts) == 1:
        return [(bytes(12) + bytes.fromhex(accounts[0][2:]), weights[accounts[0]])]
    level = [(contributor_leaf(a, weights[a]), weights[a]) for a in accounts]
    while len(level) > 2:
        above = [sum_node(level[i], level[i + 1]) for i in range(0, len(level) - 1, 2)]
        level = above + level[len(level) - len(level) % 2 :]
    return level


def root_of_top(top: Sequence[SumNode]) -> tuple[bytes, int]:
    """(contributors root, total weight) as the registry derives them from `top`, or its
    Revert: the total is the preimage's sum, so it is always the tree's."""
    if len(top) == 2:
        if top[0][1] + top[1][1] > UINT256_MAX:
            raise Revert("Panic", 0x11)
        root, total = sum_node(top[0], top[1])
    elif len(top) == 1:
        word, total = top[0]
        raw = int.from_bytes(word, "big")
        if raw > UINT160_MAX:
            raise Revert("AssetRegistryBadContributorsTop", 1)
        if raw == 0:
            raise Revert("AssetRegistryZeroContributor")
        if total >= MAX_WEIGHT:
            raise Revert("AssetRegistryWeightTooLarge", total)
        root = contributor_leaf("0x" + word[12:].hex(), total)
    else:
        raise Revert("AssetRegistryBadContributorsTop", len(top))
    if total == 0:
        raise Revert("AssetRegistryNoContributors", root, 0)
    if total >= MAX_WEIGHT:
        raise Revert("AssetRegistryWeightTooLarge", total)
    return root, total


File = tuple[str, bytes, int]  # (path, sha256, size): one leaf of a content tree


def file_leaf(path: str, sha256: bytes, size: int) -> bytes:
    """keccak(0x00 ‖ keccak(path) ‖ sha256 ‖ uint64 size)."""
    return keccak(b"\x00" + keccak(path.encode()) + sha256 + size.to_bytes(8, "big"))


def content_tree(files: Collection[File]) -> tuple[bytes, dict[File, list[bytes]]]:
    """The content root the tooling builds over `files` (leaves by path bytes, pairs (0,1),
    (2,3) …, an odd last node promoted; a node hashes its children sorted) and each file's
    proof, sibling hashes bottom-up."""
    if not files:
        raise ValueError("a content tree needs at least one file")
    ordered = sorted(files, key=lambda f: f[0].encode())
    level = [file_leaf(*f) for f in ordered]
    members = [[i] for i in range(len(level))]  # the leaves below each node
    proofs: dict[int, list[bytes]] = {i: [] for i in range(len(level))}
    while len(level) > 1:
        above, below = [], []
        for i in range(0, len(level) - 1, 2):
            a, b = level[i], level[i + 1]
            for leaf in members[i]:
                proofs[leaf].append(b)
            for leaf in members[i + 1]:
                proofs[leaf].append(a)
            above.append(keccak(b"\x01" + min(a, b) + max(a, b)))
            below.append(members[i] + members[i + 1])
        if len(level) % 2:
            above.append(level[-1])
            below.append(members[-1])
        level, members = above, below
    return level[0], {f: proofs[i] for i, f in enumerate(ordered)}


def registration_leaf(committer: str, content_root: bytes, salt: bytes) -> bytes:
    """keccak(0x02 ‖ committer ‖ contentRoot ‖ salt): what a commitment holds for one
    registration. The committer is inside, so a copy of a public commitment made from
    another account commits to a leaf that account cannot reveal."""
    return keccak(b"\x02" + bytes.fromhex(committer[2:]) + content_root + salt)


def commitment_of(leaves: Sequence[bytes]) -> bytes:
    """keccak of one leaf (a single registration) or of several packed (a batch)."""
    return keccak(b"".join(leaves))


def held_only(asset: Any, accrued: int, pending: int, left: int, pool: Any) -> bool:
    """D2 for one pool of a held asset: since its hold began, its accrued and pending are what
    they were (pending may have flowed up), or that plus the split of `left`, the escrow an
    earlier dispute left unreleased (the asset's own, credited as if just paid)."""
    to_upstream = left * asset.upstream_bps // BPS
    for a, p in ((accrued, pending), (accrued + left - to_upstream, pending + to_upstream)):
        if pool.accrued == a and pool.pending <= p:
            return True
    return False


# -- currencies ---------------------------------------------------------------------------------


@dataclass
class Balances:
    """Balances and allowances of ETH and ERC-20s, with tokens that burn a fee per transfer."""

    fee_bps: dict[str, int] = field(default_factory=dict)  # fee-on-transfer tokens
    balance: dict[tuple[str, str], int] = field(default_factory=dict)  # (currency, holder)
    allowances: dict[tuple[str, str, str], int] = field(default_factory=dict)

    def of(self, currency: str, holder: str) -> int:
        return self.balance.get((currency, holder), 0)

    def set(self, currency: str, holder: str, amount: int) -> None:
        self.balance[(currency, holder)] = amount

    def allowance(self, currency: str, owner: str, spender: str) -> int:
        return self.allowances.get((currency, owner, spender), 0)

    def approve(self, currency: str, owner: str, spender: str, amount: int) -> None:
        self.allowances[(currency, owner, spender)] = amount

    def burn(self, holder: str, wei: int) -> None:
        """Gas paid by `holder`."""
        self._debit(ETH, holder, wei)

    def transfer(self, currency: str, src: str, dst: str, amount: int) -> int:
        """Moves `amount` from `src`; returns what `dst` received (less a token's fee)."""
        if currency == ETH:
            if self.of(ETH, src) < amount:
                raise ValueError(f"{src} cannot send {amount} wei: the model's actors are funded")
            self._debit(ETH, src, amount)
            self._credit(ETH, dst, amount)
            return amount
        fee = amount * self.fee_bps.get(currency, 0) // BPS
        if fee:  # the fee-on-transfer token burns the fee first, in its own _update
            self._erc20_debit(currency, src, fee)
        self._erc20_debit(currency, src, amount - fee)
        self._credit(currency, dst, amount - fee)
        return amount - fee

    def transfer_from(self, currency: str, spender: str, src: str, dst: str, amount: int) -> int:
        """ERC-20 transferFrom: OpenZeppelin spends the allowance (unless infinite) first."""
        allowed = self.allowance(currency, src, spender)
        if allowed != UINT256_MAX:
            if allowed < amount:
                raise Revert("ERC20InsufficientAllowance", spender, allowed, amount)
            self.allowances[(currency, src, spender)] = allowed - amount
        return self.transfer(currency, src, dst, amount)

    def _erc20_debit(self, currency: str, holder: str, amount: int) -> None:
        have = self.of(currency, holder)
        if have < amount:
            raise Revert("ERC20InsufficientBalance", holder, have, amount)
        self._debit(currency, holder, amount)

    def _debit(self, currency: str, holder: str, amount: int) -> None:
        self.balance[(currency, holder)] = self.of(currency, holder) - amount

    def _credit(self, currency: str, holder: str, amount: int) -> None:
        self.balance[(currency, holder)] = self.of(currency, holder) + amount


# -- records ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Link:
    """A parent named at registration (IAssetRegistry.ParentLink)."""

    asset_id: int
    share_bps: int
    license_id: int = 0


@dataclass(frozen=True)
class Parent:
    asset_id: int
    share_bps: int
    upstream_bps: int


@dataclass
class Asset:
    id: int
    owner: str
    kind: int
    content_root: bytes
    contributors_root: bytes
    total_weight: int
    weights: dict[str, int]  # what the contributors tree holds
    parents: tuple[Parent, ...]
    upstream_bps: int
    created_at: int
    delisted: bool = False
    floor_bps: int = 0  # the least share a derivative must pass it (every ancestor's minimum)
    commit_lag: int = 0  # how much older the registration's commitment was (0: none needed)
    required: tuple[int, ...] = ()  # per parent: what the edge had to pass, in bps
    files: frozenset[File] = frozenset()  # what the content tree holds (file proofs can show)
    status: int = 0  # the court's: 0 none, DISPUTED, TAKEN_DOWN (final)

    @property
    def committed_at(self) -> int:
        """When its registration was committed (R3: the earlier asset is the one committed
        first, then the lower id)."""
        return self.created_at - self.commit_lag

    def view(self) -> tuple[Any, ...]:
        """IAssetRegistry.AssetView, field for field."""
        return (
            self.owner,
            self.kind,
            self.content_root,
            self.contributors_root,
            self.total_weight,
            self.upstream_bps,
            len(self.parents),
            self.created_at,
            self.delisted,
            self.floor_bps,
            self.commit_lag,
            self.status,
        )


@dataclass
class Pool:
    accrued: int = 0
    pending: int = 0


@dataclass(frozen=True)
class Credit:
    """One inflow into an asset's pool (a payment, or a parent's share of a flow)."""

    asset_id: int
    currency: str
    amount: int
    upstream_bps: int
    to_contributors: int
    to_upstream: int


@dataclass(frozen=True)
class Terms:
    """ILicenseToken.Terms, in ABI order."""

    asset_id: int
    currency: str
    price: int
    unit_price: int
    duration: int
    max_units: int
    scopes: int
    min_upstream_bps: int
    soulbound: bool
    supply_cap: int
    service_bps: int = 0

    def as_tuple(self) -> tuple[Any, ...]:
        return astuple(self)


@dataclass
class Offer:
    terms: Terms
    creator: str
    status: int = ACTIVE
    sold: int = 0


@dataclass
class License:
    offer_id: int
    holder: str
    starts_at: int
    expires_at: int
    derived: bool = False  # a DERIVE license registers one derivative, whoever holds it


@dataclass
class Channel:
    """A (license, payer, operator) channel: `unit_limit` 0 = not open."""

    reserve: int = 0
    units: int = 0
    unit_limit: int = 0


@dataclass
class Withdrawal:
    amount: int
    ready_at: int
    window_end: int


@dataclass
class Holder:
    """A payer on a license: its voucher signer and the settlement window of its channels."""

    signer: str = ZERO_ADDRESS
    closes_at: int = 0
    held: bool = False
    switch_at: int = 0
    next_signer: str = ZERO_ADDRESS


@dataclass
class Metered:
    """The terms the meter copied when a license's first channel opened."""

    currency: str
    asset_id: int
    service_bps: int
    unit_price: int
    max_units: int
    allotted: int = 0


@dataclass(frozen=True)
class Deployment:
    registry: str
    vault: str
    license: str
    meter: str
    treasury: str
    fee_bps: int = 0
    min_commit_age: int = 0  # 0: commitments off, `register` is one transaction
    max_commit_age: int = 0
    withdrawal_delay: int = 2 * 24 * 3600
    grace_period: int = 24 * 3600
    withdrawal_window: int = 3 * 24 * 3600
    court: str = ZERO_ADDRESS
    arbiter: str = ZERO_ADDRESS
    dispute_bond: int = 10**17
    answer_period: int = 7 * 24 * 3600
    ruling_timeout: int = 60 * 24 * 3600
    min_duplicate_size: int = 64 * 1024
    campaigns: str = ZERO_ADDRESS  # LabelCampaigns: the court's arbiter and RULING_TIMEOUT


@dataclass(frozen=True)
class FileClaim:
    """A FileProof as the court takes it: the file, and the content root of the tree its proof
    was built from (None: a proof of no tree, e.g. another file's siblings)."""

    path: str
    sha256: bytes
    size: int
    proof_of: bytes | None

    @property
    def file(self) -> File:
        return (self.path, self.sha256, self.size)


@dataclass
class Dispute:
    asset_id: int
    beneficiary: int
    kind: int
    state: int
    reason: int
    opened_at: int
    claimant: str
    fee: int
    evidence: bytes
    contested: bool = False
    at_arbiter_at: int = 0
    defendant: str = ZERO_ADDRESS
    refused: bool = False  # the arbiter refused the case: it can only lapse

    def view(self) -> tuple[Any, ...]:
        """IAssetCourt.DisputeView, field for field."""
        return (
            self.asset_id,
            self.beneficiary,
            self.kind,
            self.state,
            self.reason,
            self.contested,
            self.opened_at,
            self.at_arbiter_at,
            self.claimant,
            self.defendant,
            self.fee,
            self.evidence,
        )


@dataclass
class PanelCase:
    """PanelArbiter.Case, and who voted."""

    open: bool = False
    decided: bool = False
    yes: int = 0
    no: int = 0
    voted: set[str] = field(default_factory=set)

    def view(self) -> tuple[bool, bool, int, int]:
        return (self.open, self.decided, self.yes, self.no)


@dataclass
class Arbiter:
    """The court's arbiter: a PanelArbiter (`members` deciding by `threshold`, free) or, with no
    members, the TestArbiter (a fee anyone sets, switches to refuse cases, to rule from inside
    requestRuling and to run out of gas there, and `ruleOn` that anyone may call)."""

    address: str
    members: tuple[str, ...] = ()
    threshold: int = 1
    fee: int = 0
    refuse: bool = False
    instant: bool = False
    verdict: bool = False
    burn: bool = False  # requestRuling spins until out of gas
    received: int = 0
    requested: list[int] = field(default_factory=list)
    cases: dict[tuple[str, int], PanelCase] = field(default_factory=dict)  # (court, dispute)

    @property
    def panel(self) -> bool:
        return bool(self.members)

    def ruling_fee(self) -> int:
        return 0 if self.panel else self.fee


@dataclass(frozen=True)
class SignedVoucher:
    """A voucher and who signed it for this meter and chain (None: signed for another domain)."""

    license_id: int
    payer: str
    operator: str
    cumulative_units: int
    deadline: int
    signer: str | None

    @property
    def channel(self) -> tuple[int, str, str]:
        return (self.license_id, self.payer, self.operator)

    def as_tuple(self) -> tuple[int, str, str, int, int]:
        """IUsageMeter.Voucher, in ABI order."""
        return (self.license_id, self.payer, self.operator, self.cumulative_units, self.deadline)


@dataclass(frozen=True)
class SignedClaim:
    """A ClaimTo and who signed it for this vault and chain (None: another domain)."""

    asset_id: int
    currency: str
    account: str
    recipient: str
    up_to: int
    deadline: int
    signer: str | None


@dataclass(frozen=True)
class ClaimRequest:
    asset_id: int
    currency: str
    account: str
    weight: int
    genuine: bool = True  # the proof came from the asset's real tree for (account, weight)


@dataclass
class _Charge:
    key: tuple[int, str, str]  # the channel
    asset_id: int
    currency: str
    amount: int
    share: int
    new_total: int


def channel_id(license_id: int, payer: str, operator: str) -> bytes:
    """keccak256(abi.encode(licenseId, payer, operator))."""
    word = license_id.to_bytes(32, "big")
    return keccak(
        word + bytes(12) + bytes.fromhex(payer[2:]) + bytes(12) + bytes.fromhex(operator[2:])
    )


# -- the protocol -------------------------------------------------------------------------------


@dataclass
class Protocol:
    """The four contracts' state and rules. `now` is the timestamp actions and views see."""

    deployment: Deployment
    balances: Balances
    contracts: set[str] = field(default_factory=set)  # addresses with code (valid currencies)
    now: int = 0
    assets: dict[int, Asset] = field(default_factory=dict)
    by_root: dict[bytes, int] = field(default_factory=dict)
    pools: dict[tuple[int, str], Pool] = field(default_factory=dict)
    claimed: dict[tuple[int, str, str], int] = field(default_factory=dict)
    held: dict[str, int] = field(default_factory=dict)
    fees: dict[str, int] = field(default_factory=dict)
    credits: list[Credit] = field(default_factory=list)
    offers: dict[int, Offer] = field(default_factory=dict)
    licenses: dict[int, License] = field(default_factory=dict)
    channels: dict[tuple[int, str, str], Channel] = field(default_factory=dict)
    withdrawals: dict[tuple[int, str, str], Withdrawal] = field(default_factory=dict)
    holders: dict[tuple[int, str], Holder] = field(default_factory=dict)
    metered: dict[int, Metered] = field(default_factory=dict)
    owed: dict[tuple[int, str], list[int]] = field(default_factory=dict)  # [accrued, paid]
    earnings: dict[tuple[str, str], int] = field(default_factory=dict)  # (operator, currency)
    total_held: dict[str, int] = field(default_factory=dict)
    commitments: dict[tuple[str, bytes], int] = field(default_factory=dict)  # → committedAt
    opened: dict[tuple[str, bytes], int] = field(default_factory=dict)  # transient, per tx
    derivatives: dict[int, list[int]] = field(default_factory=dict)  # license → assets
    next_asset_id: int = 1
    next_offer_id: int = 1
    next_license_id: int = 1
    arbiter: Arbiter | None = None  # None: a TestArbiter at deployment.arbiter, fee 0
    disputes: dict[int, Dispute] = field(default_factory=dict)
    dispute_of: dict[int, int] = field(default_factory=dict)  # asset → its latest dispute
    deposits: dict[str, int] = field(default_factory=dict)  # withdrawable by each account
    total_deposits: int = 0  # the court's book: live bonds and fees, and deposits
    holds: dict[int, tuple[int, int]] = field(default_factory=dict)  # asset → (state, beneficiary)
    rounds: dict[int, int] = field(default_factory=dict)  # asset → escrow holds entered so far
    escrowed: dict[tuple[int, str], int] = field(default_factory=dict)
    escrow_rounds: dict[tuple[int, str], int] = field(default_factory=dict)  # the round it holds
    # D2: per disputed asset and currency, (accrued, pending, escrow an earlier round left) when
    # its hold began.
    frozen: dict[int, dict[str, tuple[int, int, int]]] = field(default_factory=dict)
    campaign_book: Any = None  # testkit.model_campaigns.Campaigns, made on first use

    def __post_init__(self) -> None:
        if self.arbiter is None:
            self.arbiter = Arbiter(self.deployment.arbiter)

    # ---- labeling campaigns (testkit.model_campaigns) ----

    @property
    def campaigns(self) -> Any:
        """LabelCampaigns' state, inside the Protocol so that one atomic snapshot covers it,
        the balances and the arbiter it shares with the court (imported here: it imports us)."""
        if self.campaign_book is None:
            from testkit.model_campaigns import Campaigns

            d = self.deployment
            self.campaign_book = Campaigns(d.campaigns, d.ruling_timeout)
        return self.campaign_book

    @_atomic
    def campaign(self, action: str, sender: str, *args: Any) -> Any:
        """LabelCampaigns' `action` (create, reveal_gold, post_result, challenge_report,
        dispute, lapse, claim, claim_to, claim_batch, finish, withdraw_credit), sent by
        `sender`; atomic over every contract."""
        return getattr(self.campaigns, action)(self, sender, *args)

    def campaign_view(self, view: str, *args: Any) -> Any:
        """A LabelCampaigns view at the model's clock: a value, or its Revert."""
        fn = getattr(self.campaigns, view)
        return fn(self, *args) if view == "claimable" else fn(*args)

    # ---- registry ----

    @_atomic
    def register(
        self,
        sender: str,
        kind: int,
        content_root: bytes,
        top: Sequence[SumNode],
        weights: Mapping[str, int],
        links: Sequence[Link] = (),
        salt: bytes = ZERO32,
        files: Collection[File] = (),
    ) -> int:
        """`top` is the contributors root's preimage; `weights` the leaves of the tree it
        names (what claims can prove); `files` those of the content tree `content_root` names
        (what file proofs can show)."""
        return self._register(sender, kind, content_root, top, weights, links, salt, files)

    def _register(
        self,
        sender: str,
        kind: int,
        content_root: bytes,
        top: Sequence[SumNode],
        weights: Mapping[str, int],
        links: Sequence[Link],
        salt: bytes,
        files: Collection[File] = (),
    ) -> int:
        if content_root == ZERO32:
            raise Revert("AssetRegistryEmptyContentRoot")
        contributors_root, total = root_of_top(top)
        if content_root in self.by_root:
            raise Revert("AssetRegistryDuplicateContent", content_root, self.by_root[content_root])
        lag = self._reveal(sender, content_root, salt) if self.deployment.min_commit_age else 0
        if len(links) > MAX_PARENTS:
            raise Revert("AssetRegistryTooManyParents", len(links), MAX_PARENTS)
        parents: list[Parent] = []
        required: list[int] = []
        floor = 0
        asset_id = self.next_asset_id
        for i, link in enumerate(links):
            parent = self.asset(link.asset_id)
            if parent.status:  # disputed or taken down: no new derivatives
                raise Revert("AssetRegistryParentDisputed", link.asset_id, parent.status)
            if link.share_bps == 0:
                raise Revert("AssetRegistryZeroShare", link.asset_id)
            if any(earlier.asset_id == link.asset_id for earlier in links[:i]):
                raise Revert("AssetRegistryDuplicateParent", link.asset_id)
            need = parent.floor_bps
            if parent.owner != sender:
                ok, minimum = self.use_derive(link.license_id, sender, link.asset_id, asset_id)
                if not ok:
                    raise Revert(
                        "AssetRegistryParentNotLicensed", link.asset_id, link.license_id, sender
                    )
                need = max(need, minimum)
            if link.share_bps < need:
                raise Revert("AssetRegistryShareBelowMinimum", link.asset_id, link.share_bps, need)
            # An ancestor through this edge gets share × its part of the parent: a child
            # passing ≥ ceil(need × 10,000 / share) keeps it ≥ need, along every path.
            floor = max(floor, -(-need * BPS // link.share_bps))
            parents.append(Parent(link.asset_id, link.share_bps, parent.upstream_bps))
            required.append(need)
        upstream = sum(p.share_bps for p in parents)
        if upstream > BPS:
            raise Revert("AssetRegistryUpstreamOver100Percent", upstream)
        self.next_asset_id += 1
        self.assets[asset_id] = Asset(
            asset_id,
            sender,
            kind,
            content_root,
            contributors_root,
            total,
            dict(weights),
            tuple(parents),
            upstream,
            self.now,
            floor_bps=floor,
            commit_lag=lag,
            required=tuple(required),
            files=frozenset(files),
        )
        self.by_root[content_root] = asset_id
        return asset_id

    @_atomic
    def commit(self, sender: str, commitment: bytes) -> None:
        at = self.commitments.get((sender, commitment))
        if at is not None:
            raise Revert("AssetRegistryAlreadyCommitted", commitment, at)
        self.commitments[(sender, commitment)] = self.now

    @_atomic
    def open_commitment(self, sender: str, leaves: Sequence[bytes]) -> None:
        """Alone in a transaction: checks the batch commitment and opens nothing lasting."""
        self._open_commitment(sender, leaves)
        self.opened = {}

    @_atomic
    def multicall(self, sender: str, calls: Sequence[tuple[str, tuple[Any, ...]]]) -> list[Any]:
        """`calls`: ("openCommitment", (leaves,)) or ("register", (kind, content_root, top,
        weights, links, salt[, files])), in order; one failing call reverts them all with its error.
        Leaves opened by `openCommitment` stay open until the transaction ends."""
        try:
            results: list[Any] = []
            for name, args in calls:
                if name == "openCommitment":
                    self._open_commitment(sender, *args)
                    results.append(None)
                elif name == "register":
                    results.append(self._register(sender, *args))
                else:
                    raise ValueError(f"the model's multicall has no {name}")
            return results
        finally:
            self.opened = {}

    def _open_commitment(self, sender: str, leaves: Sequence[bytes]) -> None:
        at = self._ripe(sender, commitment_of(leaves))
        for leaf in leaves:
            self.opened[(sender, leaf)] = at

    def _reveal(self, sender: str, content_root: bytes, salt: bytes) -> int:
        """The registration's leaf is open (a batch) or committed alone by `sender`, aged
        MIN..MAX; returns the commitment's age. The commitment is kept as evidence."""
        leaf = registration_leaf(sender, content_root, salt)
        at = self.opened.pop((sender, leaf), 0)
        if not at:
            at = self._ripe(sender, keccak(leaf))
        return self.now - at

    def _ripe(self, sender: str, commitment: bytes) -> int:
        d = self.deployment
        at = self.commitments.get((sender, commitment))
        if at is None:
            raise Revert("AssetRegistryNotCommitted", sender, commitment)
        if self.now < at + d.min_commit_age:
            raise Revert("AssetRegistryCommitmentTooYoung", commitment, at + d.min_commit_age)
        if self.now > at + d.max_commit_age:
            raise Revert("AssetRegistryCommitmentExpired", commitment, at + d.max_commit_age)
        return at

    def committed_at(self, committer: str, commitment: bytes) -> int:
        return self.commitments.get((committer, commitment), 0)

    @_atomic
    def registry_sweep(self, currency: str) -> int:
        """The registry owes nothing: its whole balance goes to the treasury."""
        amount = self.balances.of(currency, self.deployment.registry)
        if amount == 0:
            raise Revert("AssetRegistryNothingToSweep", currency)
        self.balances.transfer(currency, self.deployment.registry, self.deployment.treasury, amount)
        return amount

    @_atomic
    def set_delisted(self, sender: str, asset_id: int, delisted: bool) -> None:
        asset = self.asset(asset_id)
        if asset.owner != sender:
            raise Revert("AssetRegistryNotAuthorized", asset_id, sender)
        if asset.delisted == delisted:
            raise Revert("AssetRegistryListingUnchanged", asset_id, delisted)
        asset.delisted = delisted

    @_atomic
    def transfer_asset(self, sender: str, src: str, dst: str, asset_id: int) -> None:
        """ERC-721 transferFrom on the registry."""
        if dst == ZERO_ADDRESS:
            raise Revert("ERC721InvalidReceiver", dst)
        asset = self._owned_asset(asset_id)
        if sender != asset.owner:
            raise Revert("ERC721InsufficientApproval", sender, asset_id)
        if src != asset.owner:
            raise Revert("ERC721IncorrectOwner", src, asset_id, asset.owner)
        asset.owner = dst

    def is_listed(self, asset_id: int) -> bool:
        """Licenses sell: not delisted by the owner, and no dispute open or upheld."""
        asset = self.asset(asset_id)
        return not asset.delisted and asset.status == 0

    def verify_file(self, asset_id: int, claim: FileClaim) -> bool:
        """The registry's verifyFile: the file is in the asset's tree, and the proof is from
        that tree."""
        asset = self.asset(asset_id)
        return claim.proof_of == asset.content_root and claim.file in asset.files

    def asset(self, asset_id: int) -> Asset:
        if asset_id not in self.assets:
            raise Revert("AssetRegistryUnknownAsset", asset_id)
        return self.assets[asset_id]

    def _owned_asset(self, asset_id: int) -> Asset:
        if asset_id not in self.assets:
            raise Revert("ERC721NonexistentToken", asset_id)
        return self.assets[asset_id]

    # ---- vault ----

    @_atomic
    def pay(self, sender: str, asset_id: int, currency: str, amount: int, value: int = 0) -> int:
        if amount == 0:
            raise Revert("RoyaltyVaultZeroAmount")
        upstream = self.asset(asset_id).upstream_bps
        vault = self.deployment.vault
        if currency == ETH:
            if value != amount:
                raise Revert("RoyaltyVaultWrongValue", value, amount)
            received = self.balances.transfer(ETH, sender, vault, amount)
        else:
            if value != 0:
                raise Revert("RoyaltyVaultWrongValue", value, 0)
            received = self.balances.transfer_from(currency, vault, sender, vault, amount)
            if received == 0:
                raise Revert("RoyaltyVaultNothingArrived", currency, amount)
        fee = received * self.deployment.fee_bps // BPS
        self.fees[currency] = self.fees.get(currency, 0) + fee
        self._receive(asset_id, currency, received - fee, upstream)
        self.held[currency] = self.held.get(currency, 0) + received
        return received

    @_atomic
    def flow_upstream(self, asset_id: int, currency: str) -> int:
        pool = self.pool(asset_id, currency)
        moved = pool.pending
        if moved == 0:
            raise Revert("RoyaltyVaultNothingToFlow", asset_id, currency)
        asset = self.assets[asset_id]
        pool.pending = 0
        rest = moved
        for i, parent in enumerate(asset.parents):
            last = i + 1 == len(asset.parents)
            # The last-listed parent takes the rounding remainder.
            share = rest if last else moved * parent.share_bps // asset.upstream_bps
            rest -= share
            self._receive(parent.asset_id, currency, share, parent.upstream_bps)
        return moved

    @_atomic
    def release(self, asset_id: int, currency: str) -> int:
        """Anyone moves an asset's escrow where it belongs: its own pool, split as if just paid
        (the dispute was dismissed or lapsed, or it is an earlier dispute's escrow, left while
        a later one holds the asset), or the beneficiary (upheld)."""
        state, beneficiary = self.hold(asset_id)
        key = (asset_id, currency)
        amount = self.escrowed.get(key, 0)
        earlier = amount != 0 and self.escrow_rounds.get(key, 0) != self.rounds.get(asset_id, 0)
        if state == HELD and not earlier:
            raise Revert("RoyaltyVaultStillHeld", asset_id)
        if amount == 0:
            raise Revert("RoyaltyVaultNothingToRelease", asset_id, currency)
        self.escrowed[key] = 0
        self.escrow_rounds[key] = 0
        if earlier or state == 0:
            self._credit(asset_id, currency, amount, self.assets[asset_id].upstream_bps)
        else:
            self._redirect(beneficiary, currency, amount)
        return amount

    def hold(self, asset_id: int) -> tuple[int, int]:
        """(state, beneficiary): 0 none, HELD (escrow), REDIRECTED (to the beneficiary)."""
        return self.holds.get(asset_id, (0, 0))

    def set_hold(self, asset_id: int, state: int, beneficiary: int) -> None:
        """The court's hook. Each entry into escrow starts a new round (one per dispute)."""
        if state == HELD and self.hold(asset_id)[0] != HELD:
            self.rounds[asset_id] = self.rounds.get(asset_id, 0) + 1
        self.holds[asset_id] = (state, beneficiary)

    def _receive(self, asset_id: int, currency: str, amount: int, upstream_bps: int) -> None:
        """A credit to the asset, unless the court holds it: then all of it goes to escrow, or
        to the beneficiary, before the upstream split."""
        state, beneficiary = self.hold(asset_id)
        if state == 0:
            self._credit(asset_id, currency, amount, upstream_bps)
        elif state == HELD:
            self._escrow(asset_id, currency, amount)
        else:
            self._redirect(beneficiary, currency, amount)

    def _escrow(self, asset_id: int, currency: str, amount: int) -> None:
        """Into the escrow of the asset's current round; what an earlier round left there
        (nobody released it) is first credited to the asset's own pool, as `release` would."""
        key, now = (asset_id, currency), self.rounds.get(asset_id, 0)
        if self.escrow_rounds.get(key, 0) != now:
            if self.escrowed.get(key, 0):
                left = self.escrowed[key]
                self._credit(asset_id, currency, left, self.assets[asset_id].upstream_bps)
            self.escrowed[key] = 0
        self.escrowed[key] = self.escrowed.get(key, 0) + amount
        self.escrow_rounds[key] = now

    def _redirect(self, to: int, currency: str, amount: int) -> None:
        """One hop: the beneficiary's pool (its own split), its escrow when it is held itself,
        the fee book when there is none or it is redirected itself."""
        state = REDIRECTED if to == 0 else self.hold(to)[0]
        if state == 0:
            self._credit(to, currency, amount, self.assets[to].upstream_bps)
        elif state == HELD:
            self._escrow(to, currency, amount)
        else:
            self.fees[currency] = self.fees.get(currency, 0) + amount

    @_atomic
    def claim(
        self, asset_id: int, currency: str, account: str, weight: int, genuine: bool = True
    ) -> int:
        amount = self.claimable(asset_id, currency, account, weight, genuine)
        if amount == 0:
            raise Revert("RoyaltyVaultNothingToClaim", asset_id, currency, account)
        self._pay_out(asset_id, currency, account, amount)
        return amount

    @_atomic
    def claim_batch(self, requests: Sequence[ClaimRequest]) -> list[int]:
        if len(requests) > MAX_CLAIM_BATCH:
            raise Revert("RoyaltyVaultBatchTooLarge", len(requests), MAX_CLAIM_BATCH)
        amounts = []
        for r in requests:
            amount = self.claimable(r.asset_id, r.currency, r.account, r.weight, r.genuine)
            if amount:
                self._pay_out(r.asset_id, r.currency, r.account, amount)
            amounts.append(amount)
        return amounts

    @_atomic
    def withdraw_fees(self, currency: str) -> int:
        amount = self.fees.get(currency, 0)
        if amount == 0:
            raise Revert("RoyaltyVaultNoFees", currency)
        self.fees[currency] = 0
        self.held[currency] -= amount
        self.balances.transfer(currency, self.deployment.vault, self.deployment.treasury, amount)
        return amount

    @_atomic
    def sweep_excess(self, currency: str) -> int:
        balance = self.balances.of(currency, self.deployment.vault)
        owed = self.held.get(currency, 0)
        if balance <= owed:
            raise Revert("RoyaltyVaultNoExcess", currency, balance, owed)
        self.balances.transfer(
            currency, self.deployment.vault, self.deployment.treasury, balance - owed
        )
        return balance - owed

    def pool(self, asset_id: int, currency: str) -> Pool:
        return self.pools.setdefault((asset_id, currency), Pool())

    def claimable(
        self, asset_id: int, currency: str, account: str, weight: int, genuine: bool = True
    ) -> int:
        """What `claim` would pay: accrued × weight / total − claimed, floored. The divisor is
        the proof's own sum, which every valid proof ends at: the registered total. The vault
        reads only the contributors root (zero for an unknown asset: no proof reaches it), and
        nobody claims for the zero address."""
        if account == ZERO_ADDRESS:
            raise Revert("RoyaltyVaultZeroAccount")
        asset = self.assets.get(asset_id)
        valid = asset is not None and genuine and asset.weights.get(account) == weight
        if asset is None or not valid:
            raise Revert("RoyaltyVaultInvalidProof", asset_id, account, weight)
        entitled = self.pool(asset_id, currency).accrued * weight // asset.total_weight
        already = self.claimed.get((asset_id, currency, account), 0)
        return max(entitled - already, 0)

    @_atomic
    def claim_to(
        self,
        sender: str,
        asset_id: int,
        currency: str,
        weight: int,
        recipient: str,
        genuine: bool = True,
    ) -> int:
        """The sender's own share, paid to `recipient`."""
        return self._claim_to(asset_id, currency, sender, weight, recipient, UINT256_MAX, genuine)

    @_atomic
    def claim_to_signed(self, signed: SignedClaim, weight: int, genuine: bool = True) -> int:
        """Anyone sends `account`'s signed ClaimTo: pays min(entitled, upTo) − claimed."""
        if signed.account == ZERO_ADDRESS:
            raise Revert("RoyaltyVaultZeroAccount")
        if self.now > signed.deadline:
            raise Revert("RoyaltyVaultClaimExpired", signed.deadline)
        if signed.signer is None or signed.signer != signed.account:
            raise Revert("RoyaltyVaultBadClaimSignature", signed.account)
        return self._claim_to(
            signed.asset_id,
            signed.currency,
            signed.account,
            weight,
            signed.recipient,
            signed.up_to,
            genuine,
        )

    def quote_claim_to_signed(self, signed: SignedClaim, weight: int) -> int:
        """What `claim_to_signed` would pay now (or its Revert), changing nothing."""
        saved = copy.deepcopy(self.__dict__)
        try:
            return self.claim_to_signed(signed, weight)
        finally:
            self.__dict__.clear()
            self.__dict__.update(saved)

    def _claim_to(
        self,
        asset_id: int,
        currency: str,
        account: str,
        weight: int,
        recipient: str,
        up_to: int,
        genuine: bool,
    ) -> int:
        if recipient in (ZERO_ADDRESS, self.deployment.vault):
            raise Revert("RoyaltyVaultInvalidRecipient", recipient)
        amount = self.claimable(asset_id, currency, account, weight, genuine)
        already = self.claimed.get((asset_id, currency, account), 0)
        amount = min(amount, max(up_to - already, 0))
        if amount == 0:
            raise Revert("RoyaltyVaultNothingToClaim", asset_id, currency, account)
        if currency == ETH and recipient in self.contracts:  # no receive(): the send fails
            raise Revert("RoyaltyVaultTransferFailed", currency, recipient, amount)
        key = (asset_id, currency, account)
        self.claimed[key] = already + amount
        self.held[currency] -= amount
        self.balances.transfer(currency, self.deployment.vault, recipient, amount)
        return amount

    def excess(self, currency: str) -> int:
        return max(
            self.balances.of(currency, self.deployment.vault) - self.held.get(currency, 0), 0
        )

    def _credit(self, asset_id: int, currency: str, amount: int, upstream_bps: int) -> None:
        to_upstream = amount * upstream_bps // BPS
        pool = self.pool(asset_id, currency)
        pool.accrued += amount - to_upstream
        pool.pending += to_upstream
        self.credits.append(
            Credit(asset_id, currency, amount, upstream_bps, amount - to_upstream, to_upstream)
        )

    def _pay_out(self, asset_id: int, currency: str, account: str, amount: int) -> None:
        key = (asset_id, currency, account)
        self.claimed[key] = self.claimed.get(key, 0) + amount
        self.held[currency] -= amount
        self.balances.transfer(currency, self.deployment.vault, account, amount)

    # ---- licenses ----

    @_atomic
    def create_offer(self, sender: str, terms: Terms) -> int:
        self._require_asset_owner(sender, terms.asset_id)
        if terms.scopes == 0 or terms.scopes > ALL_SCOPES:
            raise Revert("LicenseTokenInvalidScopes", terms.scopes)
        if terms.min_upstream_bps > BPS:
            raise Revert("LicenseTokenInvalidMinShare", terms.min_upstream_bps)
        if terms.duration > MAX_DURATION:
            raise Revert("LicenseTokenInvalidDuration", terms.duration, MAX_DURATION)
        if terms.currency != ETH and terms.currency not in self.contracts:
            raise Revert("LicenseTokenInvalidCurrency", terms.currency)
        if terms.service_bps > MAX_SERVICE_BPS:
            raise Revert("LicenseTokenInvalidServiceShare", terms.service_bps, MAX_SERVICE_BPS)
        offer_id = self.next_offer_id
        self.next_offer_id += 1
        self.offers[offer_id] = Offer(terms, sender)
        return offer_id

    @_atomic
    def set_offer_status(self, sender: str, offer_id: int, status: int) -> None:
        offer = self._offer(offer_id)
        self._require_asset_owner(sender, offer.terms.asset_id)
        if offer.status == RETIRED:
            raise Revert("LicenseTokenOfferRetired", offer_id)
        if status == offer.status:
            raise Revert("LicenseTokenStatusUnchanged", offer_id, status)
        if status == NONE:
            raise Revert("LicenseTokenOfferNotActive", offer_id, status)
        offer.status = status

    @_atomic
    def buy(self, sender: str, offer_id: int, to: str, max_price: int, value: int = 0) -> int:
        offer = self._offer(offer_id)
        t = offer.terms
        if offer.status != ACTIVE:
            raise Revert("LicenseTokenOfferNotActive", offer_id, offer.status)
        if t.supply_cap != 0 and offer.sold >= t.supply_cap:
            raise Revert("LicenseTokenSoldOut", offer_id, t.supply_cap)
        if t.price > max_price:
            raise Revert("LicenseTokenPriceAboveMax", offer_id, t.price, max_price)
        if not self.is_listed(t.asset_id):
            raise Revert("LicenseTokenAssetDelisted", t.asset_id)
        expected = t.price if t.currency == ETH else 0
        if value != expected:
            raise Revert("LicenseTokenWrongValue", value, expected)
        offer.sold += 1
        license_id = self.next_license_id
        self.next_license_id += 1
        expiry = 0 if t.duration == 0 else self.now + t.duration
        self.licenses[license_id] = License(offer_id, to, self.now, expiry)
        if t.price:
            self._license_pays_vault(sender, t.asset_id, t.currency, t.price)
        if to == ZERO_ADDRESS:  # _safeMint comes last; the whole purchase reverts
            raise Revert("ERC721InvalidReceiver", to)
        return license_id

    @_atomic
    def transfer_license(self, sender: str, src: str, dst: str, license_id: int) -> None:
        """ERC-721 transferFrom on the license token; soulbound licenses never move."""
        lic = self.licenses.get(license_id)
        if dst == ZERO_ADDRESS:
            raise Revert("ERC721InvalidReceiver", dst)
        if lic is None:
            raise Revert("ERC721NonexistentToken", license_id)
        if sender != lic.holder:
            raise Revert("ERC721InsufficientApproval", sender, license_id)
        if self.offers[lic.offer_id].terms.soulbound:
            raise Revert("LicenseTokenSoulbound", license_id)
        if src != lic.holder:
            raise Revert("ERC721IncorrectOwner", src, license_id, lic.holder)
        lic.holder = dst
        if src != dst:  # the license token tells the meter of every move
            self._on_license_transfer(license_id, src, dst, lic.expires_at)

    def license(self, license_id: int) -> License:
        if license_id not in self.licenses:
            raise Revert("LicenseTokenUnknownLicense", license_id)
        return self.licenses[license_id]

    def terms_of(self, license_id: int) -> Terms:
        return self.offers[self.license(license_id).offer_id].terms

    def is_valid(self, license_id: int) -> bool:
        """Exists and not expired (expiresAt is the first invalid second); units are per
        channel, in the meter."""
        lic = self.licenses.get(license_id)
        if lic is None:
            return False
        return lic.expires_at == 0 or self.now < lic.expires_at

    def is_valid_for(self, license_id: int, account: str, scopes: int) -> bool:
        if not self.is_valid(license_id):
            return False
        lic = self.licenses[license_id]
        return lic.holder == account and self.terms_of(license_id).scopes & scopes == scopes

    def check_derive(self, license_id: int, registrant: str, parent_id: int) -> tuple[bool, int]:
        """Whether `use_derive` would accept the license now: valid, held by `registrant`,
        for `parent_id`, with the DERIVE scope, and not used for a derivative yet."""
        if not self.is_valid_for(license_id, registrant, DERIVE):
            return False, 0
        if self.licenses[license_id].derived:
            return False, 0
        terms = self.terms_of(license_id)
        if terms.asset_id != parent_id:
            return False, 0
        return True, terms.min_upstream_bps

    def use_derive(
        self, license_id: int, registrant: str, parent_id: int, child_id: int
    ) -> tuple[bool, int]:
        """The registry's call for a foreign parent (only the registry may make it): a used
        license reverts, a good one is used up by this derivative."""
        lic = self.licenses.get(license_id)
        if lic is not None and lic.derived:
            raise Revert("LicenseTokenDeriveUsed", license_id)
        ok, minimum = self.check_derive(license_id, registrant, parent_id)
        if ok:
            self.licenses[license_id].derived = True
            self.derivatives.setdefault(license_id, []).append(child_id)
        return ok, minimum

    @_atomic
    def license_sweep(self, currency: str) -> int:
        """The license contract holds nothing between calls: its whole balance goes to the
        vault's treasury."""
        amount = self.balances.of(currency, self.deployment.license)
        if amount == 0:
            raise Revert("LicenseTokenNothingToSweep", currency)
        self.balances.transfer(currency, self.deployment.license, self.deployment.treasury, amount)
        return amount

    def license_view(self, license_id: int) -> tuple[Any, ...]:
        """ILicenseToken.LicenseView, field for field."""
        lic = self.license(license_id)
        terms = self.terms_of(license_id).as_tuple()
        valid = self.is_valid(license_id)
        return (
            lic.offer_id,
            lic.holder,
            terms,
            lic.starts_at,
            lic.expires_at,
            valid,
            lic.derived,
        )

    def offer_view(self, offer_id: int) -> tuple[Any, ...]:
        o = self._offer(offer_id)
        return (o.terms.as_tuple(), o.status, o.sold, o.creator)

    def _offer(self, offer_id: int) -> Offer:
        if offer_id not in self.offers:
            raise Revert("LicenseTokenUnknownOffer", offer_id)
        return self.offers[offer_id]

    def _require_asset_owner(self, sender: str, asset_id: int) -> None:
        owner = self.asset(asset_id).owner
        if sender != owner:
            raise Revert("LicenseTokenNotAssetOwner", asset_id, sender)

    def _license_pays_vault(self, buyer: str, asset_id: int, currency: str, price: int) -> None:
        lic = self.deployment.license
        if currency == ETH:
            self.balances.transfer(ETH, buyer, lic, price)
            self._vault_pay(lic, asset_id, currency, price)
            return
        received = self.balances.transfer_from(currency, lic, buyer, lic, price)
        if received == 0:
            raise Revert("LicenseTokenNothingArrived", currency, price)
        self.balances.approve(currency, lic, self.deployment.vault, received)  # forceApprove
        self._vault_pay(lic, asset_id, currency, received)

    def _vault_pay(self, payer: str, asset_id: int, currency: str, amount: int) -> None:
        self.pay(payer, asset_id, currency, amount, amount if currency == ETH else 0)

    # ---- meter ----

    @_atomic
    def open(
        self,
        sender: str,
        license_id: int,
        operator: str,
        signer: str = ZERO_ADDRESS,
        units: int = 0,
    ) -> bytes:
        key = (license_id, sender, operator)
        ch = self.channel(*key)
        # A channel that used every unit it was allotted may be opened again for more.
        if ch.unit_limit != 0 and ch.unit_limit != ch.units:
            raise Revert("UsageMeterChannelExists", channel_id(*key))
        self._open(key, signer, units)
        return channel_id(*key)

    @_atomic
    def deposit(
        self, sender: str, license_id: int, operator: str, amount: int, value: int = 0
    ) -> int:
        if amount == 0:
            raise Revert("UsageMeterZeroAmount")
        key = (license_id, sender, operator)
        ch = self.channel(*key)
        if ch.unit_limit == ch.units:  # new, or out of units: (re)open with all units left
            self._open(key, ZERO_ADDRESS, 0)
        else:
            self._require_open(license_id, sender)
        currency = self.metered[license_id].currency
        meter = self.deployment.meter
        if currency == ETH:
            if value != amount:
                raise Revert("UsageMeterWrongValue", value, amount)
            received = self.balances.transfer(ETH, sender, meter, amount)
        else:
            if value != 0:
                raise Revert("UsageMeterWrongValue", value, 0)
            received = self.balances.transfer_from(currency, meter, sender, meter, amount)
            if received == 0:
                raise Revert("UsageMeterNothingArrived", currency, amount)
        ch = self.channels[key]
        if ch.reserve + received > UINT128_MAX:
            raise Revert("UsageMeterReserveTooLarge", ch.reserve + received)
        ch.reserve += received
        self._hold(currency, received)
        return received

    @_atomic
    def request_withdrawal(self, sender: str, license_id: int, operator: str, amount: int) -> None:
        if amount == 0:
            raise Revert("UsageMeterZeroAmount")
        key = (license_id, sender, operator)
        reserve = self.channel(*key).reserve
        if amount > reserve:
            raise Revert("UsageMeterInsufficientReserve", channel_id(*key), reserve, amount)
        ready = self.now + self.deployment.withdrawal_delay
        self.withdrawals[key] = Withdrawal(amount, ready, ready + self.deployment.withdrawal_window)

    @_atomic
    def cancel_withdrawal(self, sender: str, license_id: int, operator: str) -> None:
        key = (license_id, sender, operator)
        if key not in self.withdrawals:
            raise Revert("UsageMeterNoWithdrawalRequested", channel_id(*key))
        del self.withdrawals[key]

    @_atomic
    def complete_withdrawal(self, sender: str, license_id: int, operator: str) -> int:
        key = (license_id, sender, operator)
        amount = self.quote_withdrawal(*key)
        del self.withdrawals[key]
        ch = self.channels[key]
        ch.reserve -= amount
        currency = self.metered[license_id].currency
        self._hold(currency, -amount)
        if ch.reserve == 0:  # an empty reserve pays nothing: its unused units may go elsewhere
            self._release(key)
        if amount:
            self.balances.transfer(currency, self.deployment.meter, sender, amount)
        return amount

    @_atomic
    def change_signer(self, sender: str, license_id: int, signer: str) -> None:
        h = self.holders.get((license_id, sender))
        if h is None or h.signer == ZERO_ADDRESS:
            raise Revert("UsageMeterNoChannel", channel_id(license_id, sender, ZERO_ADDRESS))
        if h.switch_at:
            until = h.switch_at + self.deployment.grace_period  # the old signer's tail
            if self.now <= until:
                raise Revert("UsageMeterSignerChangePending", license_id, sender, until)
            h.signer = h.next_signer  # the earlier change is in force: fold it in
        h.next_signer = sender if signer == ZERO_ADDRESS else signer
        h.switch_at = self.now + self.deployment.withdrawal_delay

    @_atomic
    def release_units(self, license_id: int, payer: str, operator: str) -> int:
        key = (license_id, payer, operator)
        if self.channel(*key).unit_limit == 0:
            raise Revert("UsageMeterNoChannel", channel_id(*key))
        closes = self.holder(license_id, payer).closes_at
        if self.now <= closes:
            raise Revert("UsageMeterChannelOpen", channel_id(*key), closes)
        return self._release(key)

    @_atomic
    def settle(self, voucher: SignedVoucher) -> int:
        charge = self._prepare_voucher(voucher)
        self._apply(charge)
        return charge.amount

    @_atomic
    def settle_batch(
        self, vouchers: Sequence[SignedVoucher], signatures: int | None = None
    ) -> tuple[int, int, list[tuple[bytes, int, Revert]]]:
        """Returns (settled count, total amount, skipped (channel id, license id, error))."""
        n = len(vouchers)
        count = n if signatures is None else signatures
        if n != count:
            raise Revert("UsageMeterBatchMismatch", n, count)
        if n > MAX_SETTLE_BATCH:
            raise Revert("UsageMeterBatchTooLarge", n, MAX_SETTLE_BATCH)
        settled, total, skipped = 0, 0, []
        for v in vouchers:
            try:
                charge = self._prepare_voucher(v)
            except Revert as err:
                skipped.append((channel_id(*v.channel), v.license_id, err))
                continue
            self._apply(charge)
            settled += 1
            total += charge.amount
        return settled, total, skipped

    @_atomic
    def meter(self, sender: str, license_id: int, operator: str, units: int) -> int:
        """The on-chain path: the holder charges `units` to its own channel."""
        charge = self._quote_meter(sender, license_id, operator, units)
        self._apply(charge)
        return charge.amount

    @_atomic
    def pay_asset(self, asset_id: int, currency: str) -> int:
        o = self.owed.get((asset_id, currency), [0, 0])
        amount = o[0] - o[1]
        if amount == 0:
            raise Revert("UsageMeterNothingOwed", asset_id, currency)
        o[1] = o[0]
        self._hold(currency, -amount)
        meter = self.deployment.meter
        if currency != ETH:
            self.balances.approve(currency, meter, self.deployment.vault, amount)  # forceApprove
        self._vault_pay(meter, asset_id, currency, amount)
        return amount

    @_atomic
    def withdraw_earnings(self, sender: str, currency: str, to: str) -> int:
        amount = self.earnings.get((sender, currency), 0)
        if amount == 0:
            raise Revert("UsageMeterZeroAmount")
        self.earnings[(sender, currency)] = 0
        self._hold(currency, -amount)
        self.balances.transfer(currency, self.deployment.meter, to, amount)
        return amount

    @_atomic
    def meter_sweep_excess(self, currency: str) -> int:
        """The meter's balance above what it owes (totalHeld) goes to the vault's treasury."""
        meter = self.deployment.meter
        balance, owed = self.balances.of(currency, meter), self.held_by_meter(currency)
        if balance <= owed:
            raise Revert("UsageMeterNoExcess", currency, balance, owed)
        self.balances.transfer(currency, meter, self.deployment.treasury, balance - owed)
        return balance - owed

    # -- meter views --

    def channel(self, license_id: int, payer: str, operator: str) -> Channel:
        return self.channels.get((license_id, payer, operator), Channel())

    def holder(self, license_id: int, payer: str) -> Holder:
        return self.holders.get((license_id, payer), Holder())

    def signer_of(self, license_id: int, payer: str) -> str:
        h = self.holder(license_id, payer)
        if h.switch_at and self.now >= h.switch_at:
            return h.next_signer
        return h.signer

    def channel_view(self, license_id: int, payer: str, operator: str) -> tuple[Any, ...]:
        """IUsageMeter.ChannelView, field for field."""
        ch = self.channel(license_id, payer, operator)
        h = self.holder(license_id, payer)
        w = self.withdrawals.get((license_id, payer, operator), Withdrawal(0, 0, 0))
        signer = self.signer_of(license_id, payer)
        nxt = h.next_signer if h.switch_at else ZERO_ADDRESS
        return (
            (ch.reserve, ch.units, ch.unit_limit, signer, h.closes_at, h.held)
            + astuple(w)
            + (nxt, h.switch_at)
        )

    def metered_view(self, license_id: int) -> tuple[Any, ...]:
        """IUsageMeter.MeteredView."""
        m = self.metered.get(license_id)
        if m is None:
            return (ZERO_ADDRESS, 0, 0, 0, 0, 0, False)
        return (m.currency, m.asset_id, m.service_bps, m.unit_price, m.max_units, m.allotted, True)

    def owed_to_asset(self, asset_id: int, currency: str) -> int:
        o = self.owed.get((asset_id, currency), [0, 0])
        return o[0] - o[1]

    def earnings_of(self, operator: str, currency: str) -> int:
        return self.earnings.get((operator, currency), 0)

    def held_by_meter(self, currency: str) -> int:
        """totalHeld: Σ reserves + Σ owed to assets + Σ operator earnings."""
        return self.total_held.get(currency, 0)

    def meter_books(self, currency: str) -> tuple[int, int, int]:
        """(Σ reserves, Σ owed, Σ earnings) in `currency`, summed from the parts."""
        reserves = sum(
            ch.reserve
            for (lid, _, _), ch in self.channels.items()
            if self.metered[lid].currency == currency
        )
        owed = sum(o[0] - o[1] for (_, c), o in self.owed.items() if c == currency)
        earned = sum(v for (_, c), v in self.earnings.items() if c == currency)
        return reserves, owed, earned

    def quote_withdrawal(self, license_id: int, payer: str, operator: str) -> int:
        """What `complete_withdrawal` would pay now (or its Revert), changing nothing."""
        key = (license_id, payer, operator)
        w = self.withdrawals.get(key)
        if w is None:
            raise Revert("UsageMeterNoWithdrawalRequested", channel_id(*key))
        if self.now < w.ready_at:
            raise Revert("UsageMeterWithdrawalNotReady", channel_id(*key), w.ready_at, self.now)
        if self.now > w.window_end:
            raise Revert("UsageMeterWithdrawalLapsed", channel_id(*key), w.window_end, self.now)
        # Settlements during the delay may have used part of the requested amount.
        return min(w.amount, self.channels[key].reserve)

    def quote_meter(self, sender: str, license_id: int, operator: str, units: int) -> int:
        """What `meter` would charge now (or its Revert), changing nothing."""
        return self._quote_meter(sender, license_id, operator, units).amount

    def quote_settle(self, voucher: SignedVoucher) -> int:
        return self._prepare_voucher(voucher).amount

    # -- meter internals --

    def _close_time(self, expires_at: int) -> int:
        if expires_at == 0:
            return UINT40_MAX
        return min(expires_at + self.deployment.grace_period, UINT40_MAX)

    def _hold(self, currency: str, delta: int) -> None:
        self.total_held[currency] = self.total_held.get(currency, 0) + delta

    def _open(self, key: tuple[int, str, str], signer: str, units: int) -> None:
        license_id, sender, operator = key
        if operator == ZERO_ADDRESS:
            raise Revert("UsageMeterNoOperator", license_id)
        lic = self.license(license_id)  # LicenseTokenUnknownLicense, from usageTerms
        t = self.terms_of(license_id)
        if lic.holder != sender:
            raise Revert("UsageMeterNotHolder", license_id, sender, lic.holder)
        if t.scopes & USAGE_SCOPES == 0:
            raise Revert("UsageMeterScopeMissing", license_id, t.scopes)
        if lic.expires_at != 0 and self.now >= lic.expires_at:
            raise Revert("UsageMeterLicenseExpired", license_id, lic.expires_at)
        if license_id not in self.metered:
            self.metered[license_id] = Metered(
                t.currency, t.asset_id, t.service_bps, t.unit_price, t.max_units
            )
        m = self.metered[license_id]
        ch = self.channels.setdefault(key, Channel())
        limit = UINT64_MAX
        if t.max_units != 0:
            left = t.max_units - m.allotted
            want = left if units == 0 else units
            if want == 0 or want > left:
                raise Revert("UsageMeterNoUnitsLeft", license_id, units, left)
            m.allotted += want
            limit = ch.units + want
        ch.unit_limit = limit
        h = self.holders.setdefault((license_id, sender), Holder())
        if h.signer == ZERO_ADDRESS:
            h.signer = sender if signer == ZERO_ADDRESS else signer
        h.held = True
        h.closes_at = self._close_time(lic.expires_at)

    def _require_open(self, license_id: int, payer: str) -> None:
        """Deposits and on-chain metering need the payer to hold the license, channel open."""
        h = self.holder(license_id, payer)
        if not h.held:
            raise Revert("UsageMeterNotHeld", license_id, payer)
        if self.now > h.closes_at:
            raise Revert("UsageMeterChannelClosed", license_id, payer, h.closes_at)

    def _release(self, key: tuple[int, str, str]) -> int:
        m = self.metered[key[0]]
        if m.max_units == 0:
            return 0  # uncapped: nothing was allotted
        ch = self.channels[key]
        unused = ch.unit_limit - ch.units
        if unused:
            ch.unit_limit = ch.units
            m.allotted -= unused
        return unused

    def _on_license_transfer(self, license_id: int, src: str, dst: str, expires_at: int) -> None:
        f = self.holders.get((license_id, src))
        if f is not None and f.signer != ZERO_ADDRESS and f.held:
            f.held = False
            f.closes_at = min(f.closes_at, self.now + self.deployment.grace_period)
        t = self.holders.get((license_id, dst))
        if t is not None and t.signer != ZERO_ADDRESS and not t.held:
            t.held = True
            t.closes_at = self._close_time(expires_at)

    def _quote_meter(self, sender: str, license_id: int, operator: str, units: int) -> _Charge:
        if units == 0:
            raise Revert("UsageMeterZeroAmount")
        key = (license_id, sender, operator)
        ch = self.channel(*key)
        if ch.unit_limit == 0:
            raise Revert("UsageMeterNoChannel", channel_id(*key))
        self._require_open(license_id, sender)
        if units > ch.unit_limit - ch.units:
            raise Revert(
                "UsageMeterUnitsAboveCap", channel_id(*key), ch.units + units, ch.unit_limit
            )
        return self._price(key, ch.units + units)

    def _prepare_voucher(self, v: SignedVoucher) -> _Charge:
        key = v.channel
        cid = channel_id(*key)
        if self.now > v.deadline:
            raise Revert("UsageMeterVoucherExpired", v.license_id, v.deadline, self.now)
        ch = self.channel(*key)
        if ch.unit_limit == 0:
            raise Revert("UsageMeterNoChannel", cid)
        h = self.holder(v.license_id, v.payer)
        if self.now > h.closes_at:
            raise Revert("UsageMeterChannelClosed", v.license_id, v.payer, h.closes_at)
        if v.cumulative_units <= ch.units:
            raise Revert("UsageMeterStaleVoucher", cid, v.cumulative_units, ch.units)
        if v.cumulative_units > ch.unit_limit:
            raise Revert("UsageMeterUnitsAboveCap", cid, v.cumulative_units, ch.unit_limit)
        signer = self.signer_of(v.license_id, v.payer)
        # For GRACE_PERIOD after a switch the previous signer's vouchers still settle.
        in_tail = (
            h.switch_at != 0
            and h.switch_at <= self.now <= h.switch_at + self.deployment.grace_period
            and v.signer == h.signer
        )
        if v.signer != signer and not in_tail:
            raise Revert("UsageMeterBadSignature", v.license_id, v.payer, signer)
        return self._price(key, v.cumulative_units)

    def _price(self, key: tuple[int, str, str], new_total: int) -> _Charge:
        ch = self.channels[key]
        m = self.metered[key[0]]
        amount = (new_total - ch.units) * m.unit_price
        if amount > ch.reserve:
            raise Revert("UsageMeterInsufficientReserve", channel_id(*key), ch.reserve, amount)
        share = amount * m.service_bps // BPS
        accrued = self.owed.get((m.asset_id, m.currency), [0, 0])[0] + amount - share
        if accrued > UINT128_MAX:
            raise Revert("UsageMeterReserveTooLarge", accrued)
        return _Charge(key, m.asset_id, m.currency, amount, share, new_total)

    def _apply(self, c: _Charge) -> None:
        ch = self.channels[c.key]
        ch.reserve -= c.amount
        ch.units = c.new_total
        if c.share:
            op = (c.key[2], c.currency)
            self.earnings[op] = self.earnings.get(op, 0) + c.share
        if c.amount - c.share:
            o = self.owed.setdefault((c.asset_id, c.currency), [0, 0])
            o[0] += c.amount - c.share

    # ---- court ----

    @_atomic
    def open_subjective(
        self, sender: str, asset_id: int, reason: int, evidence: bytes, beneficiary: int, value: int
    ) -> int:
        """A bonded claim for the arbiter, sent with BOND + its ruling fee."""
        if reason == 0 or reason > REASON_MAX:
            raise Revert("AssetCourtBadReason", reason)
        if evidence == ZERO32:
            raise Revert("AssetCourtNoEvidence")
        self._require_openable(asset_id)
        if beneficiary == asset_id:
            raise Revert("AssetCourtBadBeneficiary", beneficiary)
        if beneficiary:
            self.asset(beneficiary)
        fee = self._take_bond_and_fee(sender, value)
        return self._open_dispute(sender, SUBJECTIVE, asset_id, beneficiary, reason, evidence, fee)

    @_atomic
    def open_duplicate(
        self,
        sender: str,
        earlier: int,
        later: int,
        earlier_file: FileClaim,
        later_file: FileClaim,
        value: int,
    ) -> int:
        """One file proven in both assets: `later` is disputed, `earlier` the beneficiary."""
        d = self.deployment
        if (earlier_file.sha256, earlier_file.size) != (later_file.sha256, later_file.size):
            raise Revert("AssetCourtNotTheSameFile")
        if earlier_file.size < d.min_duplicate_size:
            raise Revert("AssetCourtFileTooSmall", earlier_file.size, d.min_duplicate_size)
        for asset_id, claim in ((earlier, earlier_file), (later, later_file)):
            if not self.verify_file(asset_id, claim):
                raise Revert("AssetCourtBadFileProof", asset_id)
        a = self.asset(earlier)
        b = self._require_openable(later)
        if a.committed_at > b.committed_at or (
            a.committed_at == b.committed_at and earlier >= later
        ):
            raise Revert("AssetCourtNotEarlier", earlier, later)
        if a.owner == b.owner:
            raise Revert("AssetCourtSameOwner", earlier, later)
        if a.status:
            raise Revert("AssetCourtAlreadyDisputed", earlier, a.status)
        if any(p.asset_id == earlier for p in b.parents):
            raise Revert("AssetCourtIsParent", earlier, later)
        fee = self._take_bond_and_fee(sender, value)
        return self._open_dispute(sender, DUPLICATE, later, earlier, 0, earlier_file.sha256, fee)

    @_atomic
    def claim_prior_commitment(
        self,
        sender: str,
        asset_id: int,
        leaves: Sequence[bytes],
        index: int,
        salt: bytes,
        beneficiary: int,
    ) -> int:
        """The sender's own older commitment of the asset's root takes it down at once; a
        dispute running on the asset ends as if lapsed (every deposit back), so a squatter's
        friend cannot shield it past the claim's window."""
        commitment = self._check_prior(sender, asset_id, leaves, index, salt, beneficiary)
        if self.assets[asset_id].status == DISPUTED:
            self._supersede(self.dispute_of[asset_id])
        dispute_id = self._open_dispute(
            sender, PRIOR_COMMITMENT, asset_id, beneficiary, 0, commitment, 0
        )
        self._finish(dispute_id, UPHELD)
        return dispute_id

    def quote_prior_commitment(
        self,
        sender: str,
        asset_id: int,
        leaves: Sequence[bytes],
        index: int,
        salt: bytes,
        beneficiary: int,
    ) -> int:
        """The dispute id `claim_prior_commitment` would open now (or its Revert), changing
        nothing."""
        self._check_prior(sender, asset_id, leaves, index, salt, beneficiary)
        return len(self.disputes) + 1

    def _check_prior(
        self,
        sender: str,
        asset_id: int,
        leaves: Sequence[bytes],
        index: int,
        salt: bytes,
        beneficiary: int,
    ) -> bytes:
        b = self.asset(asset_id)
        if b.status == TAKEN_DOWN:  # a running dispute does not shield a squat: see below
            raise Revert("AssetCourtAlreadyDisputed", asset_id, b.status)
        if index >= len(leaves) or leaves[index] != registration_leaf(sender, b.content_root, salt):
            raise Revert("AssetCourtNotYourLeaf", index)
        commitment = commitment_of(leaves)
        at = self.committed_at(sender, commitment)
        if at == 0:
            raise Revert("AssetCourtNotCommitted", commitment)
        if at >= b.committed_at:
            raise Revert("AssetCourtNotOlder", at, b.committed_at)
        window = self.deployment.max_commit_age
        if b.created_at > at + window:  # it expired before the asset came: no squat
            raise Revert("AssetCourtCommitmentExpired", at + window, b.created_at)
        if self.now > at + 2 * window:
            raise Revert("AssetCourtClaimTooLate", at + 2 * window)
        if beneficiary == asset_id:
            raise Revert("AssetCourtBadBeneficiary", beneficiary)
        if beneficiary and self.asset(beneficiary).owner != sender:
            raise Revert("AssetCourtBadBeneficiary", beneficiary)
        return commitment

    @_atomic
    def answer_lineage(self, sender: str, dispute_id: int, path: Sequence[int]) -> None:
        """Anyone shows parent indices from the later asset to the earlier one: dismissed, the
        claimant's bond to the owner it froze, the unspent fee back to the claimant."""
        d = self._in_state(dispute_id, OPEN)
        if d.kind != DUPLICATE:
            raise Revert("AssetCourtNotDuplicate", dispute_id)
        self._before_deadline(dispute_id, d)
        if not path or len(path) > MAX_LINEAGE_HOPS:
            raise Revert("AssetCourtBadLineage", dispute_id)
        at = d.asset_id
        for i in path:
            parents = self.assets[at].parents
            if i >= len(parents):
                raise Revert("AssetCourtBadLineage", dispute_id)
            at = parents[i].asset_id
        if at != d.beneficiary:
            raise Revert("AssetCourtBadLineage", dispute_id)
        owner = self.assets[d.asset_id].owner
        d.defendant = owner
        self._owe(owner, self.deployment.dispute_bond)
        self._owe(d.claimant, d.fee)
        d.fee = 0
        self._finish(dispute_id, DISMISSED)

    @_atomic
    def contest(self, sender: str, dispute_id: int, value: int) -> None:
        """The owner posts BOND within the answer period: the case goes to the arbiter."""
        d = self._in_state(dispute_id, OPEN)
        self._before_deadline(dispute_id, d)
        if self.assets[d.asset_id].owner != sender:
            raise Revert("AssetCourtNotDefendant", dispute_id, sender)
        bond = self.deployment.dispute_bond
        if value != bond:
            raise Revert("AssetCourtWrongDeposit", value, bond)
        self.balances.transfer(ETH, sender, self.deployment.court, value)
        self.total_deposits += value
        d.contested = True
        d.defendant = sender
        self._request_ruling(dispute_id, d)

    @_atomic
    def resolve(self, dispute_id: int) -> None:
        """After an unanswered answer period: a duplicate claim against an asset without
        parents is upheld; a subjective one, or a duplicate claim against an asset with
        parents, goes to the arbiter (never won by default)."""
        d = self._in_state(dispute_id, OPEN)
        deadline = d.opened_at + self.deployment.answer_period
        if self.now <= deadline:
            raise Revert("AssetCourtAnswerPeriodRunning", dispute_id, deadline)
        asset = self.assets[d.asset_id]
        if d.kind == DUPLICATE and not asset.parents:
            self._owe(d.claimant, self.deployment.dispute_bond + d.fee)
            d.fee = 0
            self._finish(dispute_id, UPHELD)
        else:  # nor is one against an asset with parents, who could not answer it
            d.defendant = asset.owner
            self._request_ruling(dispute_id, d)

    @_atomic
    def court_rule(self, sender: str, dispute_id: int, upheld: bool) -> None:
        """The court's `rule`, sent by `sender` (only the arbiter may)."""
        self._rule(sender, dispute_id, upheld)

    @_atomic
    def lapse(self, dispute_id: int) -> None:
        """RULING_TIMEOUT after the case went to the arbiter without a ruling: bonds back."""
        d = self._in_state(dispute_id, AT_ARBITER)
        deadline = d.at_arbiter_at + self.deployment.ruling_timeout
        if self.now <= deadline:
            raise Revert("AssetCourtRulingPending", dispute_id, deadline)
        bond = self.deployment.dispute_bond
        self._owe(d.claimant, bond)
        if d.contested:
            self._owe(d.defendant, bond)
        self._finish(dispute_id, LAPSED)

    @_atomic
    def withdraw_deposits(self, sender: str) -> int:
        amount = self.deposits.get(sender, 0)
        if amount == 0:
            raise Revert("AssetCourtNoDeposit", sender)
        self.deposits[sender] = 0
        self.total_deposits -= amount
        self.balances.transfer(ETH, self.deployment.court, sender, amount)
        return amount

    @_atomic
    def court_sweep_excess(self, currency: str) -> int:
        """The court holds ETH deposits only: anything above them goes to the treasury."""
        court = self.deployment.court
        book = self.total_deposits if currency == ETH else 0
        balance = self.balances.of(currency, court)
        if balance <= book:
            raise Revert("AssetCourtNoExcess", currency, balance, book)
        self.balances.transfer(currency, court, self.deployment.treasury, balance - book)
        return balance - book

    # -- the arbiters --

    @_atomic
    def set_arbiter(
        self,
        fee: int | None = None,
        refuse: bool | None = None,
        instant: tuple[bool, bool] | None = None,
        burn: bool | None = None,
    ) -> None:
        """TestArbiter's setFee, setRefuse, setInstant(instant, verdict), setBurn: anyone, no
        checks."""
        arb = self._arbiter()
        if arb.panel:
            raise ValueError("a PanelArbiter has no settings")
        if fee is not None:
            arb.fee = fee
        if refuse is not None:
            arb.refuse = refuse
        if instant is not None:
            arb.instant, arb.verdict = instant
        if burn is not None:
            arb.burn = burn

    @_atomic
    def rule_on(self, court: str, dispute_id: int, upheld: bool) -> None:
        """TestArbiter.ruleOn, which anyone may call: the arbiter rules."""
        arb = self._arbiter()
        if arb.panel or court not in (self.deployment.court, self.deployment.campaigns):
            raise ValueError("ruleOn is the TestArbiter's, on this court or the campaigns")
        self._arbiter_rules(court, dispute_id, upheld)

    def _arbiter_rules(self, court: str, case: int, upheld: bool) -> None:
        """The arbiter calls `rule(case, upheld)` on the court or on LabelCampaigns."""
        arb = self._arbiter()
        if court == self.deployment.campaigns != ZERO_ADDRESS:
            self.campaigns.rule(self, arb.address, case, upheld)
        else:
            self._rule(arb.address, case, upheld)

    @_atomic
    def vote(self, sender: str, court: str, dispute_id: int, upheld: bool) -> None:
        """PanelArbiter.vote: the vote that reaches THRESHOLD on one side rules (and the whole
        vote reverts with the court's error if the court refuses the ruling)."""
        arb = self._arbiter()
        if not arb.panel:
            raise ValueError("vote is the PanelArbiter's")
        if sender not in arb.members:
            raise Revert("PanelArbiterNotMember", sender)
        case = arb.cases.get((court, dispute_id))
        if case is None or not case.open or case.decided:
            raise Revert("PanelArbiterNoCase", court, dispute_id)
        if sender in case.voted:
            raise Revert("PanelArbiterAlreadyVoted", sender)
        case.voted.add(sender)
        if upheld:
            case.yes += 1
        else:
            case.no += 1
        if (case.yes if upheld else case.no) >= arb.threshold:
            case.decided = True
            self._arbiter_rules(court, dispute_id, upheld)

    # -- court views --

    def dispute_view(self, dispute_id: int) -> tuple[Any, ...]:
        if dispute_id not in self.disputes:
            raise Revert("AssetCourtUnknownDispute", dispute_id)
        return self.disputes[dispute_id].view()

    def live_bonds(self) -> int:
        """What the court holds for disputes not ended: an open claim's BOND and fee; at the
        arbiter, the bonds posted (the fee went to the arbiter, or back to the claimant)."""
        bond = self.deployment.dispute_bond
        live = 0
        for d in self.disputes.values():
            if d.state == OPEN:
                live += bond + d.fee
            elif d.state == AT_ARBITER:
                live += bond * (1 + d.contested)
        return live

    def lineage_path(self, later: int, earlier: int) -> list[int] | None:
        """Parent indices from `later` up to `earlier`, shortest first (None: not an ancestor
        within MAX_LINEAGE_HOPS)."""
        frontier: list[tuple[int, list[int]]] = [(later, [])]
        for _ in range(MAX_LINEAGE_HOPS):
            step = []
            for at, path in frontier:
                for i, p in enumerate(self.assets[at].parents):
                    if p.asset_id == earlier:
                        return [*path, i]
                    step.append((p.asset_id, [*path, i]))
            frontier = step
        return None

    # -- court internals --

    def _arbiter(self) -> Arbiter:
        assert self.arbiter is not None
        return self.arbiter

    def _require_openable(self, asset_id: int) -> Asset:
        asset = self.asset(asset_id)
        if asset.status:
            raise Revert("AssetCourtAlreadyDisputed", asset_id, asset.status)
        return asset

    def _take_bond_and_fee(self, sender: str, value: int) -> int:
        fee = self._arbiter().ruling_fee()
        if fee > UINT96_MAX:
            raise Revert("AssetCourtWrongDeposit", value, fee)
        need = self.deployment.dispute_bond + fee
        if value != need:
            raise Revert("AssetCourtWrongDeposit", value, need)
        self.balances.transfer(ETH, sender, self.deployment.court, value)
        self.total_deposits += value
        return fee

    def _open_dispute(
        self,
        sender: str,
        kind: int,
        asset_id: int,
        beneficiary: int,
        reason: int,
        evidence: bytes,
        fee: int,
    ) -> int:
        dispute_id = len(self.disputes) + 1
        self.disputes[dispute_id] = Dispute(
            asset_id, beneficiary, kind, OPEN, reason, self.now, sender, fee, evidence
        )
        self.dispute_of[asset_id] = dispute_id
        self.assets[asset_id].status = DISPUTED
        if self.hold(asset_id)[0] != HELD:  # a new hold (not one a prior claim takes over)
            left = {c: v for (a, c), v in self.escrowed.items() if a == asset_id and v}
            self.frozen[asset_id] = {
                c: (pool.accrued, pool.pending, left.pop(c, 0))
                for (a, c), pool in self.pools.items()
                if a == asset_id
            } | {c: (0, 0, v) for c, v in left.items()}
        self.set_hold(asset_id, HELD, 0)
        return dispute_id

    def _finish(self, dispute_id: int, outcome: int) -> None:
        d = self.disputes[dispute_id]
        d.state = outcome
        asset = self.assets[d.asset_id]
        if outcome == UPHELD:
            asset.status = TAKEN_DOWN
            self.set_hold(d.asset_id, REDIRECTED, d.beneficiary)
        else:
            asset.status = 0
            self.set_hold(d.asset_id, 0, 0)

    def _request_ruling(self, dispute_id: int, d: Dispute) -> None:
        """The fee goes with the case; an arbiter that refuses it returns it to the claimant
        (the case can then only lapse). One that runs out of gas reverts the whole call: a
        sender must not make it refuse by starving it."""
        arb = self._arbiter()
        if not arb.panel and arb.burn and not arb.refuse:
            raise Revert("AssetCourtArbiterOutOfGas")
        d.state = AT_ARBITER
        d.at_arbiter_at = self.now
        fee = d.fee
        self.total_deposits -= fee
        if (fee == 0) if arb.panel else not arb.refuse:
            self.balances.transfer(ETH, self.deployment.court, arb.address, fee)
            if arb.panel:
                arb.cases.setdefault((self.deployment.court, dispute_id), PanelCase()).open = True
            else:
                arb.received += fee
                arb.requested.append(dispute_id)
                if arb.instant:  # it rules from inside requestRuling
                    self._rule(arb.address, dispute_id, arb.verdict)
        else:
            d.refused = True
            self.total_deposits += fee
            self._owe(d.claimant, fee)
        d.fee = 0

    def _supersede(self, dispute_id: int) -> None:
        """A running dispute a prior-commitment claim takes over: bonds and any unspent fee
        back, as a lapse; the asset stays held."""
        d = self.disputes[dispute_id]
        self._owe(d.claimant, self.deployment.dispute_bond + d.fee)
        d.fee = 0
        if d.contested:
            self._owe(d.defendant, self.deployment.dispute_bond)
        d.state = LAPSED

    def _rule(self, sender: str, dispute_id: int, upheld: bool) -> None:
        if sender != self._arbiter().address:
            raise Revert("AssetCourtNotArbiter", sender)
        d = self._in_state(dispute_id, AT_ARBITER)
        if d.refused:
            raise Revert("AssetCourtCaseRefused", dispute_id)
        bond = self.deployment.dispute_bond
        winner = d.claimant if upheld else d.defendant
        self._owe(winner, bond)
        if d.contested:
            self._owe(winner, bond)
        self._finish(dispute_id, UPHELD if upheld else DISMISSED)

    def _in_state(self, dispute_id: int, want: int) -> Dispute:
        d = self.disputes.get(dispute_id)
        if d is None:
            raise Revert("AssetCourtUnknownDispute", dispute_id)
        if d.state != want:
            raise Revert("AssetCourtWrongState", dispute_id, d.state)
        return d

    def _before_deadline(self, dispute_id: int, d: Dispute) -> None:
        deadline = d.opened_at + self.deployment.answer_period
        if self.now > deadline:
            raise Revert("AssetCourtAnswerPeriodOver", dispute_id, deadline)

    def _owe(self, account: str, amount: int) -> None:
        """Part of the court's book becomes `account`'s to withdraw (the book is unchanged)."""
        if amount:
            self.deposits[account] = self.deposits.get(account, 0) + amount

    # ---- audits: the money invariants, over the model's own history ----

    def currencies(self) -> set[str]:
        pools = {c for (_, c) in self.pools} | {c for (_, c) in self.escrowed}
        return pools | set(self.held) | set(self.total_held)

    def books(self, currency: str) -> int:
        """D1: fees + Σ (accrued − claimed + pending) + Σ escrowed, what the vault owes in
        `currency`."""
        owed = self.fees.get(currency, 0)
        for (_, c), pool in self.pools.items():
            if c == currency:
                owed += pool.accrued + pool.pending
        owed -= sum(v for (_, c, _), v in self.claimed.items() if c == currency)
        owed += sum(v for (_, c), v in self.escrowed.items() if c == currency)
        return owed

    def court_books(self) -> tuple[int, int]:
        """(Σ withdrawable deposits, live bonds and fees): what the court owes, in ETH."""
        return sum(self.deposits.values()), self.live_bonds()

    def court_violations(self) -> list[str]:
        """The court's book (totalDeposits = Σ deposits + live bonds and fees, its balance never
        below it), the hooks (an asset's status is its hold's state, its beneficiary the
        upheld dispute's; a disputed asset's latest dispute is open or at the arbiter), and D2:
        while an asset is held its pools get nothing but what an earlier dispute's escrow
        returns to them (`held_only`), and accrued never falls below what it was at the open."""
        out: list[str] = []
        deposits, live = self.court_books()
        if self.total_deposits != deposits + live:
            out.append(f"court: totalDeposits {self.total_deposits} != {deposits} + {live}")
        if any(v < 0 for v in self.deposits.values()):
            out.append("court: a deposit is negative")
        court_balance = self.balances.of(ETH, self.deployment.court)
        if court_balance < self.total_deposits:
            out.append(f"the court holds {court_balance}, owes {self.total_deposits}")
        for asset in self.assets.values():
            state, beneficiary = self.hold(asset.id)
            latest = self.disputes.get(self.dispute_of.get(asset.id, 0))
            if state != asset.status:
                out.append(f"asset {asset.id}: status {asset.status}, hold {state}")
            if asset.status == DISPUTED and (latest is None or latest.state not in (1, 2)):
                out.append(f"asset {asset.id} is disputed without a live dispute")
            if asset.status == TAKEN_DOWN and (
                latest is None or latest.state != UPHELD or beneficiary != latest.beneficiary
            ):
                out.append(f"asset {asset.id} is taken down without its upheld dispute")
            for c, (accrued, pending, left) in self.frozen.get(asset.id, {}).items():
                pool = self.pool(asset.id, c)
                if pool.accrued < accrued:
                    out.append(f"D2: asset {asset.id} accrued {pool.accrued} < {accrued} at open")
                if state and not held_only(asset, accrued, pending, left, pool):
                    out.append(f"D2: held asset {asset.id} was credited in {c}")
            if state:
                credited = {c for (a, c), p in self.pools.items() if a == asset.id and p.accrued}
                if credited - set(self.frozen.get(asset.id, {})):
                    out.append(f"D2: held asset {asset.id} gained a pool")
        return out

    def dust(self, asset_id: int, currency: str) -> int:
        """What floor division leaves unclaimable once everyone has claimed. Bound: each
        contributor's floor(accrued × weight / total) loses < 1 wei and the exact shares add up
        to `accrued`, so dust is an integer < the number of contributors (≤ n − 1 wei) per
        (asset, currency), whatever the amounts."""
        asset = self.assets[asset_id]
        accrued = self.pool(asset_id, currency).accrued
        shares = sum(accrued * w // asset.total_weight for w in asset.weights.values())
        return accrued - shares

    def entitlement(self, asset_id: int, currency: str, account: str) -> Fraction:
        """The exact (unfloored) share of `account` in everything accrued to the asset."""
        asset = self.assets[asset_id]
        weight = asset.weights.get(account, 0)
        return Fraction(self.pool(asset_id, currency).accrued * weight, asset.total_weight)

    def promised(self, asset_id: int, currency: str) -> tuple[Fraction, int]:
        """(exact contributors' part of every inflow by the asset's terms, number of inflows)."""
        exact, n = Fraction(0), 0
        for c in self.credits:
            if c.asset_id == asset_id and c.currency == currency:
                exact += Fraction(c.amount * (BPS - c.upstream_bps), BPS)
                n += 1
        return exact, n

    def lineage(self, asset_id: int) -> dict[tuple[int, int], Fraction]:
        """For every edge (child C → parent A) above `asset_id` (the asset's own edges
        included), the least exact fraction of a payment to the asset that reaches A through
        that edge: the product of the shares along the path, each over 10,000, the smallest
        over every path (a lineage is a DAG: parents are always older)."""
        memo: dict[int, dict[tuple[int, int], Fraction]] = {}

        def reach(aid: int) -> dict[tuple[int, int], Fraction]:
            if aid in memo:
                return memo[aid]
            out: dict[tuple[int, int], Fraction] = {}
            for p in self.assets[aid].parents:
                share = Fraction(p.share_bps, BPS)
                for edge, f in [((aid, p.asset_id), Fraction(1)), *reach(p.asset_id).items()]:
                    f = share * f
                    out[edge] = min(out.get(edge, f), f)
            memo[aid] = out
            return out

        return reach(asset_id)

    def requirement(self, child: int, parent: int) -> int:
        """What the edge child → parent had to pass at registration, in bps."""
        asset = self.assets[child]
        (i,) = [i for i, p in enumerate(asset.parents) if p.asset_id == parent]
        return asset.required[i]

    def violations(self) -> list[str]:
        """Every broken invariant of the model's state (empty when sound): the money books
        (conservation with escrow, D1; exact entitlements, dust), C1 (each total is its tree's
        sum), C4 (no contract holds less than it owes), L2 (a DERIVE license registered at
        most one derivative), L3 (along every path, each ancestor gets at least what its edge
        required, in exact fractions) and the court's (`court_violations`, D2 among them)."""
        out: list[str] = []
        for currency in self.currencies():
            if self.books(currency) != self.held.get(currency, 0):
                out.append(f"books {self.books(currency)} != held {self.held.get(currency)}")
            vault_balance = self.balances.of(currency, self.deployment.vault)
            if vault_balance < self.held.get(currency, 0):
                out.append(f"the vault holds {vault_balance} {currency}, owes more")
            meter_balance = self.balances.of(currency, self.deployment.meter)
            if meter_balance < self.held_by_meter(currency):
                out.append(f"the meter holds {meter_balance} {currency}, owes more")
            parts = self.meter_books(currency)
            if sum(parts) != self.held_by_meter(currency):
                out.append(
                    f"meter {parts} do not add up to totalHeld {self.held_by_meter(currency)}"
                )
            if any(ch.reserve < 0 for ch in self.channels.values()):
                out.append("a reserve is negative")
        for (asset_id, currency, account), got in self.claimed.items():
            if got > self.entitlement(asset_id, currency, account):
                out.append(f"{account} claimed {got} > its share of asset {asset_id}")
        for (asset_id, currency), pool in self.pools.items():
            if asset_id not in self.assets:
                continue
            exact, n = self.promised(asset_id, currency)
            # Splits round the upstream part down: contributors get the exact part plus < 1 wei.
            if not exact <= pool.accrued < exact + n + (n == 0):
                out.append(f"asset {asset_id} accrued {pool.accrued}, terms say {exact}")
            if not 0 <= self.dust(asset_id, currency) < max(len(self.assets[asset_id].weights), 1):
                out.append(f"asset {asset_id} dust {self.dust(asset_id, currency)} over bound")
        for asset in self.assets.values():
            if asset.total_weight != sum(asset.weights.values()):
                out.append(f"asset {asset.id}: total {asset.total_weight} is not its tree's sum")
            for (child, parent), fraction in self.lineage(asset.id).items():
                need = Fraction(self.requirement(child, parent), BPS)
                if fraction < need:
                    out.append(
                        f"L3: a payment to asset {asset.id} gives {fraction} to asset {parent} "
                        f"through {child}, whose edge required {need}"
                    )
        for license_id, children in self.derivatives.items():
            if len(children) > 1 or not self.licenses[license_id].derived:
                out.append(f"license {license_id} registered derivatives {children}")
        if self.campaign_book is not None:
            out += self.campaign_book.violations()
        return out + self.court_violations()
