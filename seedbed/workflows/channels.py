"""Channels as the meter reports them: a license's metered terms, one channel's state (what
backs a gateway's vouchers), the channels opened on a license, and a `ChannelReader` that
feeds a gateway's ledger. Reads only."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from seedbed.chain.client import Suite
from seedbed.core.constants import UINT64_MAX, USAGE_SCOPES
from seedbed.core.errors import ChainError, InputError
from seedbed.core.vouchers import checksum_address
from seedbed.workflows.ledger import ChannelReader, ChannelState

NEVER = 2**40 - 1  # the meter's closesAt for a perpetual license


@dataclass(frozen=True)
class LicenseTerms:
    """A license as the meter charges it (LicenseToken.usageTerms, and what the meter has
    allotted of a capped license to channels)."""

    license_id: int
    holder: str
    asset_id: int
    currency: str
    unit_price: int
    max_units: int  # 0 = unlimited
    expires_at: int  # 0 = perpetual
    scopes: int
    service_bps: int
    units_allotted: int
    grace_period: int

    @property
    def meterable(self) -> bool:
        return bool(self.scopes & USAGE_SCOPES)

    @property
    def grace_end(self) -> int | None:
        return None if self.expires_at == 0 else self.expires_at + self.grace_period

    @property
    def units_unallotted(self) -> int | None:
        """Units a new channel may still be allotted; None when unlimited."""
        return None if self.max_units == 0 else self.max_units - self.units_allotted


@dataclass(frozen=True)
class ChannelView:
    """One channel now: `state` is what backs vouchers; `held` whether the payer still holds
    the license; the pending withdrawal completes from `ready_at` to `window_end`."""

    state: ChannelState
    held: bool
    ready_at: int
    window_end: int
    now: int

    @property
    def opened(self) -> bool:
        return self.state.unit_limit != 0

    @property
    def units_left(self) -> int:
        return self.state.unit_limit - self.state.units

    @property
    def withdrawal_status(self) -> str:
        """ "none", "waiting", "ready" or "lapsed"."""
        if self.ready_at == 0:
            return "none"
        if self.now < self.ready_at:
            return "waiting"
        return "ready" if self.now <= self.window_end else "lapsed"

    @property
    def closed(self) -> bool:
        return self.now > self.state.closes_at


def license_terms(suite: Suite, license_id: int) -> LicenseTerms:
    """A license's usage terms; ChainError if it does not exist."""
    from ape.exceptions import ContractLogicError

    if license_id < 1:
        raise InputError(f"license ids start at 1, not {license_id}.")
    try:
        t = suite.license.usageTerms(license_id)
    except ContractLogicError:
        raise ChainError(
            f"license {license_id} does not exist on chain {suite.chain_id}."
        ) from None
    metered = suite.meter.metered(license_id)
    return LicenseTerms(
        license_id=license_id,
        holder=str(t.holder),
        asset_id=int(t.assetId),
        currency=str(t.currency),
        unit_price=int(t.unitPrice),
        max_units=int(t.maxUnits),
        expires_at=int(t.expiresAt),
        scopes=int(t.scopes),
        service_bps=int(t.serviceBps),
        units_allotted=int(metered.unitsAllotted),
        grace_period=int(suite.meter.GRACE_PERIOD()),
    )


def channel_view(
    suite: Suite, chain: Any, license_id: int, payer: str, operator: str
) -> ChannelView:
    """The channel (license, payer, operator) now, with the terms its vouchers are priced at.

    The meter caches a license's terms when its first channel opens; before that they come
    from the license token (they never change once sold)."""
    meter = suite.meter
    payer = checksum_address(payer, "payer")
    operator = checksum_address(operator, "operator")
    v = meter.channel(license_id, payer, operator)
    m = meter.metered(license_id)
    if bool(m.opened):
        asset_id, currency, price = int(m.assetId), str(m.currency), int(m.unitPrice)
    else:
        terms = license_terms(suite, license_id)
        asset_id, currency, price = terms.asset_id, terms.currency, terms.unit_price
    now = int(chain.blocks.head.timestamp)
    signer = str(v.signer) if int(v.unitLimit) else payer
    state = ChannelState(
        license_id=license_id,
        payer=payer,
        operator=operator,
        asset_id=asset_id,
        currency=currency,
        unit_price=price,
        reserve=int(v.reserve),
        units=int(v.units),
        unit_limit=int(v.unitLimit),
        signer=signer,
        closes_at=int(v.closesAt),
        withdrawal=int(v.withdrawalAmount),
        window_end=int(v.windowEnd),
        signer_is_contract=len(chain.provider.get_code(signer)) > 0,
        # A gateway accepts the signer in force only until a scheduled switch (its vouchers
        # then settle for GRACE_PERIOD more); a switch already past is simply in force.
        signer_until=int(v.switchAt) if int(v.switchAt) > now else 0,
    )
    return ChannelView(state, bool(v.held), int(v.readyAt), int(v.windowEnd), now)


def reader(suite: Suite, chain: Any) -> ChannelReader:
    """A ChannelReader for a gateway's ledger: each call reads the channel from the chain."""

    def read(license_id: int, payer: str, operator: str) -> ChannelState:
        try:
            return channel_view(suite, chain, license_id, payer, operator).state
        except ChainError as err:  # an unknown license: the voucher is refused with this
            raise InputError(err.message) from None

    return read


def channels_of(suite: Suite, license_id: int) -> list[tuple[str, str]]:
    """(payer, operator) of every channel ever opened on a license, in opening order."""
    meter = suite.meter
    start = int(suite.record.get("block", 0))
    head = int(meter.chain_manager.blocks.height)
    logs = meter.ChannelOpened.range(start, head + 1, search_topics={"licenseId": license_id})
    seen: dict[tuple[str, str], None] = {}
    for log in logs:
        seen[(str(log.payer), str(log.operator))] = None
    return list(seen)


def unit_limit_text(limit: int) -> str:
    return "unlimited" if limit >= UINT64_MAX else str(limit)
