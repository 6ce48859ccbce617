"""Buying a license: what `ape run buy` and `Seedbed.buy` do. Balance, allowance, the
offer's state and the price ceiling are checked, and the purchase simulated, before sending."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from seedbed.chain.client import Suite
from seedbed.chain.reverts import simulate
from seedbed.workflows.licensing import OfferState, check_buyable, require_offer_id
from seedbed.workflows.royalties import Currency, currency_of, ensure_allowance, require_balance


@dataclass(frozen=True)
class LicenseBought:
    license_id: int
    offer_id: int
    holder: str
    price: int
    currency: Currency
    expires_at: int
    bought_at: int
    tx: str


def offer_state(suite: Suite, offer_id: int) -> OfferState:
    require_offer_id(offer_id, int(suite.license.offerCount()))
    return OfferState.from_chain(offer_id, suite.license.offer(offer_id))


def buy_license(
    suite: Suite,
    chain: Any,
    account: Any,
    offer_id: int,
    *,
    to: str | None = None,
    max_price: str | None = None,
    approve: bool = False,
    say: Callable[[str], None] = lambda _: None,
) -> LicenseBought:
    """Buy a license from `offer_id` for `to` (default: the buyer); the price goes to the
    asset's pool in the vault. `max_price` guards against a price raised meanwhile."""
    lt = suite.license
    state = offer_state(suite, offer_id)
    terms = state.terms
    currency = currency_of(chain, terms.currency)
    holder = to or account.address
    ceiling = currency.parse(max_price) if max_price is not None else terms.price
    check_buyable(state, bool(suite.registry.isListed(terms.asset_id)), ceiling, currency)
    price = terms.price
    require_balance(
        currency,
        account,
        price,
        "Insufficient balance: {who} has {has}, the license costs {needed}.",
    )
    ensure_allowance(currency, account, lt.address, "license contract", price, approve, say)
    value = price if currency.is_eth else 0
    simulate(lt, "buy", offer_id, holder, ceiling, sender=account.address, value=value)
    receipt = lt.buy(offer_id, holder, ceiling, value=value, sender=account)
    bought = receipt.events.filter(lt.LicenseBought)[0]
    return LicenseBought(
        license_id=int(bought.licenseId),
        offer_id=offer_id,
        holder=holder,
        price=price,
        currency=currency,
        expires_at=int(bought.expiresAt),
        bought_at=int(chain.blocks[receipt.block_number].timestamp),
        tx=str(receipt.txn_hash),
    )
