"""A plain-Python model of Seedbed's rules: what every action must do, to the wei.

The whole-suite state machine (tests/system) drives the deployed contracts and this model
side by side. For each action the model either raises `Revert` with the exact custom error
(name and values) the chain must revert with, or applies it; afterwards it predicts every
balance, claimable amount and license answer. It follows the rules of the design, not the
Solidity: no storage packing, no caches, no gas.

Simplifications, on purpose: ERC-721 approvals are not modelled (only owners act on their
tokens), every ETH recipient accepts ETH, voucher signatures are reduced to "who signed for
this meter and chain", and gas is charged by the caller from receipts (`Balances.burn`).
Every mutation is atomic: a `Revert` leaves the model exactly as it was.
"""

from __future__ import annotations

import copy
import functools
from collections.abc import Callable, Mapping, Sequence
from dataclasses import astuple, dataclass, field
from fractions import Fraction
from typing import Any, TypeVar

ETH = "0x0000000000000000000000000000000000000000"
ZERO_ADDRESS = ETH
ZERO32 = bytes(32)
BPS = 10_000
MAX_PARENTS = 16
MAX_CLAIM_BATCH = 64
MAX_SETTLE_BATCH = 256
UINT64_MAX = 2**64 - 1
UINT256_MAX = 2**256 - 1
ALL_SCOPES = 31
MAX_DURATION = 100 * 365 * 24 * 3600  # LicenseToken.MAX_DURATION: expiries fit a uint40
DERIVE = 16
USAGE_SCOPES = 1 | 2 | 4  # ACCESS | TRAIN | INFER: what metered use needs
NONE, ACTIVE, PAUSED, RETIRED = 0, 1, 2, 3  # ILicenseToken.OfferStatus

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
    units_used: int = 0


@dataclass
class Withdrawal:
    amount: int
    ready_at: int


@dataclass(frozen=True)
class Deployment:
    registry: str
    vault: str
    license: str
    meter: str
    treasury: str
    fee_bps: int = 0
    withdrawal_delay: int = 24 * 3600
    grace_period: int = 7 * 24 * 3600


@dataclass(frozen=True)
class SignedVoucher:
    """A voucher and who signed it for this meter and chain (None: signed for another domain)."""

    license_id: int
    cumulative_units: int
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
    license_id: int
    payer: str
    asset_id: int
    currency: str
    amount: int
    new_total: int


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
    escrow: dict[tuple[str, str], int] = field(default_factory=dict)
    withdrawals: dict[tuple[str, str], Withdrawal] = field(default_factory=dict)
    next_asset_id: int = 1
    next_offer_id: int = 1
    next_license_id: int = 1

    # ---- registry ----

    @_atomic
    def register(
        self,
        sender: str,
        kind: int,
        content_root: bytes,
        contributors_root: bytes,
        weights: Mapping[str, int],
        links: Sequence[Link] = (),
        total_weight: int | None = None,
    ) -> int:
        total = sum(weights.values()) if total_weight is None else total_weight
        if content_root == ZERO32:
            raise Revert("AssetRegistryEmptyContentRoot")
        if contributors_root == ZERO32 or total == 0:
            raise Revert("AssetRegistryNoContributors", contributors_root, total)
        if content_root in self.by_root:
            raise Revert("AssetRegistryDuplicateContent", content_root, self.by_root[content_root])
        if len(links) > MAX_PARENTS:
            raise Revert("AssetRegistryTooManyParents", len(links), MAX_PARENTS)
        parents: list[Parent] = []
        for i, link in enumerate(links):
            parent = self.asset(link.asset_id)
            if link.share_bps == 0:
                raise Revert("AssetRegistryZeroShare", link.asset_id)
            if any(earlier.asset_id == link.asset_id for earlier in links[:i]):
                raise Revert("AssetRegistryDuplicateParent", link.asset_id)
            if parent.owner != sender:
                ok, minimum = self.check_derive(link.license_id, sender, link.asset_id)
                if not ok:
                    raise Revert(
                        "AssetRegistryParentNotLicensed", link.asset_id, link.license_id, sender
                    )
                if link.share_bps < minimum:
                    raise Revert(
                        "AssetRegistryShareBelowMinimum", link.asset_id, link.share_bps, minimum
                    )
            parents.append(Parent(link.asset_id, link.share_bps, parent.upstream_bps))
        upstream = sum(p.share_bps for p in parents)
        if upstream > BPS:
            raise Revert("AssetRegistryUpstreamOver100Percent", upstream)
        asset_id = self.next_asset_id
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
        )
        self.by_root[content_root] = asset_id
        return asset_id

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
        self._credit(asset_id, currency, received - fee, upstream)
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
            self._credit(parent.asset_id, currency, share, parent.upstream_bps)
        return moved

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
        """What `claim` would pay: accrued × weight / totalWeight − claimed, floored."""
        asset = self.asset(asset_id)
        tree_total = sum(asset.weights.values())
        valid = genuine and asset.weights.get(account) == weight
        if not valid or tree_total != asset.total_weight:
            raise Revert("RoyaltyVaultInvalidProof", asset_id, account, weight)
        entitled = self.pool(asset_id, currency).accrued * weight // asset.total_weight
        already = self.claimed.get((asset_id, currency, account), 0)
        return max(entitled - already, 0)

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
        if self.asset(t.asset_id).delisted:
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

    def license(self, license_id: int) -> License:
        if license_id not in self.licenses:
            raise Revert("LicenseTokenUnknownLicense", license_id)
        return self.licenses[license_id]

    def terms_of(self, license_id: int) -> Terms:
        return self.offers[self.license(license_id).offer_id].terms

    def is_valid(self, license_id: int) -> bool:
        """Exists, not expired (expiresAt is the first invalid second) and not exhausted."""
        lic = self.licenses.get(license_id)
        if lic is None:
            return False
        cap = self.offers[lic.offer_id].terms.max_units
        return (lic.expires_at == 0 or self.now < lic.expires_at) and (
            cap == 0 or lic.units_used < cap
        )

    def is_valid_for(self, license_id: int, account: str, scopes: int) -> bool:
        if not self.is_valid(license_id):
            return False
        lic = self.licenses[license_id]
        return lic.holder == account and self.terms_of(license_id).scopes & scopes == scopes

    def check_derive(self, license_id: int, registrant: str, parent_id: int) -> tuple[bool, int]:
        if not self.is_valid_for(license_id, registrant, DERIVE):
            return False, 0
        terms = self.terms_of(license_id)
        if terms.asset_id != parent_id:
            return False, 0
        return True, terms.min_upstream_bps

    def units_left(self, license_id: int) -> int:
        cap = self.terms_of(license_id).max_units
        return UINT64_MAX if cap == 0 else cap - self.license(license_id).units_used

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
            lic.units_used,
            valid,
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
    def deposit(self, sender: str, currency: str, amount: int, value: int = 0) -> int:
        if amount == 0:
            raise Revert("UsageMeterZeroAmount")
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
        self.escrow[(sender, currency)] = self.escrow_of(sender, currency) + received
        return received

    @_atomic
    def request_withdrawal(self, sender: str, currency: str, amount: int) -> None:
        if amount == 0:
            raise Revert("UsageMeterZeroAmount")
        escrow = self.escrow_of(sender, currency)
        if amount > escrow:
            raise Revert("UsageMeterInsufficientEscrow", sender, currency, escrow, amount)
        self.withdrawals[(sender, currency)] = Withdrawal(
            amount, self.now + self.deployment.withdrawal_delay
        )

    @_atomic
    def complete_withdrawal(self, sender: str, currency: str) -> int:
        amount = self.quote_withdrawal(sender, currency)
        escrow = self.escrow_of(sender, currency)
        del self.withdrawals[(sender, currency)]
        self.escrow[(sender, currency)] = escrow - amount
        if amount:
            self.balances.transfer(currency, self.deployment.meter, sender, amount)
        return amount

    @_atomic
    def settle(self, voucher: SignedVoucher) -> int:
        charge = self._prepare_voucher(voucher)
        self._apply(charge)
        if charge.amount:
            self._meter_pays_vault(charge.asset_id, charge.currency, charge.amount)
        return charge.amount

    @_atomic
    def settle_batch(
        self, vouchers: Sequence[SignedVoucher], signatures: int | None = None
    ) -> tuple[int, int, list[tuple[int, Revert]]]:
        """Returns (settled count, total amount, skipped (license id, error) in order)."""
        n = len(vouchers)
        count = n if signatures is None else signatures
        if n != count:
            raise Revert("UsageMeterBatchMismatch", n, count)
        if n > MAX_SETTLE_BATCH:
            raise Revert("UsageMeterBatchTooLarge", n, MAX_SETTLE_BATCH)
        settled, total, skipped = 0, 0, []
        # Consecutive charges to the same (asset, currency) reach the vault as one payment.
        run: tuple[int, str] | None = None
        run_amount = 0
        for v in vouchers:
            try:
                charge = self._prepare_voucher(v)
            except Revert as err:
                skipped.append((v.license_id, err))
                continue
            self._apply(charge)
            settled += 1
            total += charge.amount
            if charge.amount == 0:
                continue
            key = (charge.asset_id, charge.currency)
            if run_amount and run is not None and key != run:
                self._meter_pays_vault(run[0], run[1], run_amount)
                run_amount = 0
            run = key
            run_amount += charge.amount
        if run_amount and run is not None:
            self._meter_pays_vault(run[0], run[1], run_amount)
        return settled, total, skipped

    @_atomic
    def meter(self, sender: str, license_id: int, units: int) -> int:
        """The on-chain path: the holder charges `units` to its own escrow."""
        charge = self._quote_meter(sender, license_id, units)
        self._apply(charge)
        if charge.amount:
            self._meter_pays_vault(charge.asset_id, charge.currency, charge.amount)
        return charge.amount

    def quote_withdrawal(self, sender: str, currency: str) -> int:
        """What `complete_withdrawal` would pay now (or its Revert), changing nothing."""
        w = self.withdrawals.get((sender, currency))
        if w is None:
            raise Revert("UsageMeterNoWithdrawalRequested", sender, currency)
        if self.now < w.ready_at:
            raise Revert("UsageMeterWithdrawalNotReady", sender, currency, w.ready_at, self.now)
        # Settlements during the delay may have used part of the requested amount.
        return min(w.amount, self.escrow_of(sender, currency))

    def quote_meter(self, sender: str, license_id: int, units: int) -> int:
        """What `meter` would charge now (or its Revert), changing nothing."""
        return self._quote_meter(sender, license_id, units).amount

    def _quote_meter(self, sender: str, license_id: int, units: int) -> _Charge:
        lic = self.license(license_id)
        if sender != lic.holder:
            raise Revert("UsageMeterNotHolder", license_id, sender, lic.holder)
        if units == 0:
            raise Revert("UsageMeterZeroAmount")
        return self._prepare(license_id, lic.units_used + units)

    def escrow_of(self, account: str, currency: str) -> int:
        return self.escrow.get((account, currency), 0)

    def total_escrow(self, currency: str) -> int:
        return sum(v for (_, c), v in self.escrow.items() if c == currency)

    def withdrawal_of(self, account: str, currency: str) -> tuple[int, int]:
        w = self.withdrawals.get((account, currency))
        return (w.amount, w.ready_at) if w else (0, 0)

    def _prepare_voucher(self, v: SignedVoucher) -> _Charge:
        lic = self.license(v.license_id)
        if self.now > v.deadline:
            raise Revert("UsageMeterVoucherExpired", v.license_id, v.deadline, self.now)
        if v.cumulative_units <= lic.units_used:
            raise Revert("UsageMeterStaleVoucher", v.license_id, v.cumulative_units, lic.units_used)
        if v.cumulative_units > UINT64_MAX:
            raise Revert("UsageMeterUnitsAboveCap", v.license_id, v.cumulative_units, UINT64_MAX)
        if v.signer != lic.holder:
            raise Revert("UsageMeterBadSignature", v.license_id, lic.holder)
        return self._prepare(v.license_id, v.cumulative_units)

    def _prepare(self, license_id: int, new_total: int) -> _Charge:
        lic = self.licenses[license_id]
        t = self.terms_of(license_id)
        grace_end = lic.expires_at + self.deployment.grace_period
        if lic.expires_at != 0 and self.now > grace_end:
            raise Revert("UsageMeterLicenseClosed", license_id, lic.expires_at, grace_end)
        if t.scopes & USAGE_SCOPES == 0:
            raise Revert("UsageMeterScopeMissing", license_id, t.scopes)
        cap = UINT64_MAX if t.max_units == 0 else t.max_units
        if new_total > cap:
            raise Revert("UsageMeterUnitsAboveCap", license_id, new_total, cap)
        amount = (new_total - lic.units_used) * t.unit_price
        escrow = self.escrow_of(lic.holder, t.currency)
        if amount > escrow:
            raise Revert("UsageMeterInsufficientEscrow", lic.holder, t.currency, escrow, amount)
        return _Charge(license_id, lic.holder, t.asset_id, t.currency, amount, new_total)

    def _apply(self, c: _Charge) -> None:
        self.escrow[(c.payer, c.currency)] = self.escrow_of(c.payer, c.currency) - c.amount
        self.licenses[c.license_id].units_used = c.new_total

    def _meter_pays_vault(self, asset_id: int, currency: str, amount: int) -> None:
        meter, vault = self.deployment.meter, self.deployment.vault
        if currency != ETH and self.balances.allowance(currency, meter, vault) < amount:
            self.balances.approve(currency, meter, vault, UINT256_MAX)  # one unlimited approval
        self._vault_pay(meter, asset_id, currency, amount)

    # ---- audits: the money invariants, over the model's own history ----

    def currencies(self) -> set[str]:
        return {c for (_, c) in self.pools} | set(self.held) | {c for (_, c) in self.escrow}

    def books(self, currency: str) -> int:
        """Σ (accrued − Σ claimed) + Σ pending + fees: what the vault owes in `currency`."""
        owed = self.fees.get(currency, 0)
        for (_, c), pool in self.pools.items():
            if c == currency:
                owed += pool.accrued + pool.pending
        owed -= sum(v for (_, c, _), v in self.claimed.items() if c == currency)
        return owed

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

    def violations(self) -> list[str]:
        """Every broken money invariant of the model's state (empty when sound)."""
        out: list[str] = []
        for currency in self.currencies():
            if self.books(currency) != self.held.get(currency, 0):
                out.append(f"books {self.books(currency)} != held {self.held.get(currency)}")
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
        return out
