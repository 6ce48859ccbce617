"""Publishing license offers and changing their status: what `ape run offer` and
`Seedbed.offer` do. Everything is checked and simulated before the transaction is sent."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from seedbed.chain.client import Suite, require_asset
from seedbed.chain.reverts import simulate
from seedbed.core.constants import OFFER_ACTIVE, OFFER_PAUSED, OFFER_RETIRED
from seedbed.core.errors import ChainError
from seedbed.workflows.licensing import (
    OfferState,
    Terms,
    build_terms,
    check_status_change,
    require_offer_id,
)
from seedbed.workflows.royalties import Currency, currency_of

STATUS_WORDS = {OFFER_PAUSED: "paused", OFFER_ACTIVE: "resumed", OFFER_RETIRED: "retired"}


@dataclass(frozen=True)
class OfferPublished:
    offer_id: int
    terms: Terms
    currency: Currency
    listed: bool
    tx: str


@dataclass(frozen=True)
class OfferStatusChanged:
    offer_id: int
    asset_id: int
    status: int
    tx: str

    @property
    def word(self) -> str:
        return STATUS_WORDS[self.status]


def publish_offer(
    suite: Suite,
    chain: Any,
    account: Any,
    asset_id: int,
    *,
    scopes: str,
    price: str = "0",
    unit_price: str = "0",
    duration: str = "perpetual",
    max_units: str = "0",
    supply: str = "0",
    soulbound: bool = False,
    min_share: str = "0",
    service_share: str = "0",
    token: str | None = None,
) -> OfferPublished:
    """Publish an offer for `asset_id` (the caller must own it or be an approved operator).
    `service_share` (bps or %, at most 50%) of every metered charge goes to the gateway
    operator named in the payer's voucher."""
    lt = suite.license
    require_asset(suite, asset_id)
    require_operator(suite.registry, asset_id, account.address)
    currency = currency_of(chain, token)
    terms = build_terms(
        asset_id, currency, price=price, unit_price=unit_price, duration=duration,
        scopes=scopes, max_units=max_units, supply=supply, soulbound=soulbound,
        min_share=min_share, service_share=service_share,
    )  # fmt: skip
    simulate(lt, "createOffer", terms.as_tuple(), sender=account.address)
    receipt = lt.createOffer(terms.as_tuple(), sender=account)
    offer_id = int(receipt.events.filter(lt.OfferCreated)[0].offerId)
    listed = bool(suite.registry.isListed(asset_id))
    return OfferPublished(offer_id, terms, currency, listed, str(receipt.txn_hash))


def set_offer_status(suite: Suite, account: Any, offer_id: int, status: int) -> OfferStatusChanged:
    """Pause, resume or retire an offer (retired is final)."""
    lt = suite.license
    require_offer_id(offer_id, int(lt.offerCount()))
    offer = OfferState.from_chain(offer_id, lt.offer(offer_id))
    require_operator(suite.registry, offer.terms.asset_id, account.address)
    check_status_change(offer, status)
    simulate(lt, "setOfferStatus", offer_id, status, sender=account.address)
    receipt = lt.setOfferStatus(offer_id, status, sender=account)
    return OfferStatusChanged(offer_id, offer.terms.asset_id, status, str(receipt.txn_hash))


def require_operator(registry: Any, asset_id: int, address: str) -> None:
    """The asset's owner, or an operator the owner approved for all its assets (LicenseToken
    refuses an approval for the one NFT: an offer would outlive it)."""
    owner = str(registry.ownerOf(asset_id))
    if address.lower() == owner.lower() or registry.isApprovedForAll(owner, address):
        return
    raise ChainError(
        f"{address} is not the owner of asset {asset_id} ({owner}) nor an operator it approved "
        "for all its assets (an approval for the one asset NFT does not publish offers)."
    )
