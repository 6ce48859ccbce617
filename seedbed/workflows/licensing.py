"""License offers and licenses in human terms: build Terms from user input, check a purchase
or a license before anything is sent, and describe both in plain lines.

Pure functions over plain values (currencies are `seedbed.workflows.royalties.Currency`); the
scripts read the chain, so everything here tests without one.
"""

from __future__ import annotations

import re
from dataclasses import astuple, dataclass
from datetime import UTC, datetime
from typing import Any

from seedbed.core.constants import (
    ALL_SCOPES,
    BPS,
    ETH,
    MAX_DURATION,
    MAX_SERVICE_BPS,
    OFFER_ACTIVE,
    OFFER_PAUSED,
    OFFER_RETIRED,
    UINT32_MAX,
    UINT64_MAX,
    UINT128_MAX,
)
from seedbed.core.errors import ChainError, InputError
from seedbed.core.units import (
    PERPETUAL,
    format_duration,
    format_scopes,
    parse_duration,
    parse_scopes,
)
from seedbed.workflows.royalties import Currency

_YEAR = 365 * 86_400
STATUS_NAMES = {OFFER_ACTIVE: "active", OFFER_PAUSED: "paused", OFFER_RETIRED: "retired"}

# ---------------------------------------------------------------------------- terms


@dataclass(frozen=True)
class Terms:
    """An offer's terms, in the contract's field order and units (see ILicenseToken.Terms)."""

    asset_id: int
    currency: str = ETH
    price: int = 0
    unit_price: int = 0
    duration: int = PERPETUAL
    max_units: int = 0
    scopes: int = 1
    min_upstream_bps: int = 0
    soulbound: bool = False
    supply_cap: int = 0
    service_bps: int = 0  # of every metered charge, to the gateway operator a voucher names

    def __post_init__(self) -> None:
        _check_range("the asset id", self.asset_id, 1, UINT64_MAX)
        _check_range("the price", self.price, 0, UINT128_MAX)
        _check_range("the unit price", self.unit_price, 0, UINT128_MAX)
        if self.duration < 0:
            raise InputError(f"a duration is zero or more seconds, not {self.duration}.")
        if self.duration > MAX_DURATION:
            raise InputError(
                f"a duration of {format_period(self.duration)} is longer than the contract's "
                f"maximum of {format_period(MAX_DURATION)} ({MAX_DURATION // _YEAR} years); "
                "use 'perpetual' for a license that never expires."
            )
        _check_range("--max-units", self.max_units, 0, UINT64_MAX)
        _check_range("--supply", self.supply_cap, 0, UINT32_MAX)
        _check_range("--min-share (bps)", self.min_upstream_bps, 0, BPS)
        if not 0 <= self.service_bps <= MAX_SERVICE_BPS:
            raise InputError(
                f"--service-share of {format_bps(self.service_bps)} is more than the "
                f"contract's maximum of {format_bps(MAX_SERVICE_BPS)} ({MAX_SERVICE_BPS} bps)."
            )
        if not 0 < self.scopes <= ALL_SCOPES:
            raise InputError(f"scope mask {self.scopes} is not valid: name at least one scope.")

    def as_tuple(self) -> tuple[Any, ...]:
        """The Terms struct as the contract takes it."""
        return astuple(self)

    @classmethod
    def from_chain(cls, t: Any) -> Terms:
        """From a Terms struct returned by the contract (attribute access)."""
        return cls(
            asset_id=int(t.assetId),
            currency=str(t.currency),
            price=int(t.price),
            unit_price=int(t.unitPrice),
            duration=int(t.duration),
            max_units=int(t.maxUnits),
            scopes=int(t.scopes),
            min_upstream_bps=int(t.minUpstreamBps),
            soulbound=bool(t.soulbound),
            supply_cap=int(t.supplyCap),
            service_bps=int(t.serviceBps),
        )


def _check_range(what: str, value: int, low: int, high: int) -> None:
    if not low <= value <= high:
        raise InputError(f"{what} must be between {low} and {high}, not {value}.")


def parse_count(text: str, what: str) -> int:
    """A whole number of at least 0 ("1000", "1_000" or "1,000"), e.g. --max-units."""
    cleaned = text.strip().replace("_", "").replace(",", "")
    if not re.fullmatch(r"\d+", cleaned, re.ASCII):
        raise InputError(f"{what} must be a whole number, not {text!r}.")
    return int(cleaned)


def parse_bps(text: str, what: str = "--min-share") -> int:
    """Basis points: "500" or a percentage "5%" / "2.5%" (at most two decimals)."""
    cleaned = text.strip()
    if cleaned.endswith("%"):
        match = re.fullmatch(r"(\d+)(?:\.(\d{1,2}))?", cleaned[:-1].strip(), re.ASCII)
        if match is None:
            raise InputError(f"{what} {text!r} is not a percentage like 5% or 2.5%.")
        bps = int(match[1]) * 100 + int((match[2] or "").ljust(2, "0"))
    else:
        bps = parse_count(cleaned, what)
    if bps > BPS:
        raise InputError(f"{what} of {format_bps(bps)} is more than 100% ({BPS} bps).")
    return bps


def format_bps(bps: int) -> str:
    """500 -> "5%", 250 -> "2.5%", 1 -> "0.01%"."""
    whole, frac = divmod(bps, 100)
    return f"{whole}.{frac:02d}".rstrip("0").rstrip(".") + "%"


def build_terms(
    asset_id: int,
    currency: Currency,
    *,
    price: str = "0",
    unit_price: str = "0",
    duration: str = "perpetual",
    scopes: str,
    max_units: str = "0",
    supply: str = "0",
    soulbound: bool = False,
    min_share: str = "0",
    service_share: str = "0",
) -> Terms:
    """Terms from the words a publisher types; every syntax error is one InputError."""
    return Terms(
        asset_id=asset_id,
        currency=currency.address,
        price=currency.parse(price),
        unit_price=currency.parse(unit_price),
        duration=parse_duration(duration),
        max_units=parse_count(max_units, "--max-units"),
        scopes=parse_scopes(scopes),
        min_upstream_bps=parse_bps(min_share),
        soulbound=soulbound,
        supply_cap=parse_count(supply, "--supply"),
        service_bps=parse_bps(service_share, "--service-share"),
    )


def describe_terms(terms: Terms, currency: Currency) -> list[str]:
    """The terms as short "name: value" lines."""
    return [
        f"asset:       {terms.asset_id}",
        f"scopes:      {format_scopes(terms.scopes)}",
        f"price:       {currency.format(terms.price)}",
        f"unit price:  {currency.format(terms.unit_price)}",
        f"duration:    {format_period(terms.duration)}",
        f"max units:   {terms.max_units or 'unlimited'}",
        f"supply:      {terms.supply_cap or 'unlimited'}",
        f"min share:   {format_bps(terms.min_upstream_bps)} to pass upstream from derivatives",
        f"service:     {format_bps(terms.service_bps)} of each metered charge to the gateway "
        "operator",
        f"transfers:   {'soulbound (cannot move)' if terms.soulbound else 'transferable'}",
    ]


# ---------------------------------------------------------------------------- offers


@dataclass(frozen=True)
class OfferState:
    """An offer as the contract reports it (ILicenseToken.OfferView)."""

    offer_id: int
    terms: Terms
    status: int
    sold: int
    creator: str

    @property
    def status_name(self) -> str:
        return STATUS_NAMES.get(self.status, "unknown")

    @property
    def supply_left(self) -> int | None:
        """Licenses that can still be sold; None when the supply is unlimited."""
        cap = self.terms.supply_cap
        return None if cap == 0 else max(cap - self.sold, 0)

    @classmethod
    def from_chain(cls, offer_id: int, v: Any) -> OfferState:
        return cls(offer_id, Terms.from_chain(v.terms), int(v.status), int(v.sold), str(v.creator))


def describe_offer(offer: OfferState, currency: Currency) -> str:
    """One line: id, status, asset, price, scopes, duration, units, sales."""
    t = offer.terms
    cap = f"{offer.sold} of {t.supply_cap} sold" if t.supply_cap else f"{offer.sold} sold"
    extras = [f"{currency.format(t.unit_price)} per unit"] if t.unit_price else []
    extras += [f"max {t.max_units} units"] if t.max_units else []
    extras += [f"min share {format_bps(t.min_upstream_bps)}"] if t.min_upstream_bps else []
    extras += [f"service share {format_bps(t.service_bps)}"] if t.service_bps else []
    extras += ["soulbound"] if t.soulbound else []
    return ", ".join(
        [
            f"offer {offer.offer_id}: {offer.status_name}",
            f"asset {t.asset_id}",
            currency.format(t.price),
            format_scopes(t.scopes),
            format_period(t.duration),
            *extras,
            cap,
        ]
    )


def require_offer_id(offer_id: int, offer_count: int) -> None:
    if not 0 < offer_id <= offer_count:
        raise ChainError(f"Offer {offer_id} does not exist (there are {offer_count} offers).")


def check_buyable(
    offer: OfferState, listed: bool, max_price: int | None, currency: Currency
) -> None:
    """Every reason LicenseToken.buy would refuse, as one sentence, checked before sending."""
    oid = offer.offer_id
    if offer.status != OFFER_ACTIVE:
        raise ChainError(f"Offer {oid} is {offer.status_name}: it sells no licenses now.")
    if offer.supply_left == 0:
        raise ChainError(f"Offer {oid} is sold out ({offer.sold} of {offer.terms.supply_cap}).")
    if max_price is not None and offer.terms.price > max_price:
        raise ChainError(
            f"Offer {oid} costs {currency.exact(offer.terms.price)}, above your --max-price of "
            f"{currency.exact(max_price)}."
        )
    if not listed:
        raise ChainError(f"Asset {offer.terms.asset_id} is delisted: it sells no new licenses.")


def check_status_change(offer: OfferState, new_status: int) -> None:
    """Why setOfferStatus would refuse moving `offer` to `new_status`, as one sentence."""
    if offer.status == OFFER_RETIRED:
        raise ChainError(f"Offer {offer.offer_id} is retired: a retired offer never changes.")
    if offer.status == new_status:
        raise ChainError(f"Offer {offer.offer_id} is already {offer.status_name}.")


# ---------------------------------------------------------------------------- licenses


@dataclass(frozen=True)
class LicenseState:
    """A license as the contract reports it (ILicenseToken.LicenseView)."""

    license_id: int
    offer_id: int
    holder: str
    terms: Terms
    starts_at: int
    expires_at: int

    @classmethod
    def from_chain(cls, license_id: int, v: Any) -> LicenseState:
        return cls(
            license_id=license_id,
            offer_id=int(v.offerId),
            holder=str(v.holder),
            terms=Terms.from_chain(v.terms),
            starts_at=int(v.startsAt),
            expires_at=int(v.expiresAt),
        )

    def status(self, now: int) -> str:
        """ "expired" or "valid" at unix time `now`, by the contract's rule: expired from
        `expires_at` on (inclusive). Units used are per channel, in the meter."""
        if self.expires_at != 0 and now >= self.expires_at:
            return "expired"
        return "valid"


def format_period(seconds: int) -> str:
    """A duration as a publisher writes it: "30d" rather than "4w2d"; "perpetual" for 0."""
    if seconds and seconds % 86_400 == 0:
        return f"{seconds // 86_400}d"
    return format_duration(seconds)


def approx_duration(seconds: int) -> str:
    """Time left in its two largest units: "29d23h", "5h3m", "42s"."""
    days, rest = divmod(seconds, 86_400)
    hours, rest = divmod(rest, 3_600)
    minutes, secs = divmod(rest, 60)
    parts = [(days, "d"), (hours, "h"), (minutes, "m"), (secs, "s")]
    first = next((i for i, (n, _) in enumerate(parts) if n), len(parts) - 1)
    return "".join(f"{n}{u}" for n, u in parts[first : first + 2] if n) or "0s"


def format_time(timestamp: int) -> str:
    return datetime.fromtimestamp(timestamp, UTC).strftime("%Y-%m-%d %H:%M:%S UTC")


def describe_expiry(expires_at: int, now: int) -> str:
    if expires_at == 0:
        return "never expires"
    if now >= expires_at:
        return f"expired {format_time(expires_at)}"
    return f"expires {format_time(expires_at)} (in {approx_duration(expires_at - now)})"


def describe_license(lic: LicenseState, now: int) -> str:
    """One line: id, status, asset, scopes, expiry, unit cap (units used are per channel)."""
    cap = lic.terms.max_units
    units = "unlimited units" if cap == 0 else f"capped at {cap} units"
    transfer = ", soulbound" if lic.terms.soulbound else ""
    return (
        f"license {lic.license_id}: {lic.status(now)}, asset {lic.terms.asset_id}, "
        f"offer {lic.offer_id}, scopes {format_scopes(lic.terms.scopes)}, "
        f"{describe_expiry(lic.expires_at, now)}, {units}{transfer}"
    )


def check_license(
    lic: LicenseState,
    now: int,
    *,
    account: str | None = None,
    scopes: int = 0,
    asset_id: int | None = None,
    share_bps: int | None = None,
) -> None:
    """Every reason a license would not serve, as one sentence: what a gateway checks
    (valid, held by `account`, carries `scopes`) and, for a derivative registration, that it
    is for `asset_id` and that `share_bps` meets the offer's minimum upstream share."""
    lid = lic.license_id
    status = lic.status(now)
    if status == "expired":
        raise ChainError(f"License {lid} expired at {format_time(lic.expires_at)}.")
    if account is not None and lic.holder.lower() != account.lower():
        raise ChainError(f"License {lid} is held by {lic.holder}, not {account}.")
    missing = scopes & ~lic.terms.scopes
    if missing:
        raise ChainError(
            f"License {lid} lacks the {format_scopes(missing)} scope (it has "
            f"{format_scopes(lic.terms.scopes)})."
        )
    if asset_id is not None and lic.terms.asset_id != asset_id:
        raise ChainError(f"License {lid} is for asset {lic.terms.asset_id}, not asset {asset_id}.")
    minimum = lic.terms.min_upstream_bps
    if share_bps is not None and share_bps < minimum:
        raise ChainError(
            f"A {format_bps(share_bps)} upstream share is below the {format_bps(minimum)} "
            f"minimum that license {lid}'s terms require."
        )
