"""Publishing offers: who may, which terms are accepted, and the pause/resume/retire rules."""

import ape
import pytest
from license_helpers import raw_terms, terms_dict

from seedbed.core.constants import (
    DERIVE,
    ETH,
    INFER,
    OFFER_ACTIVE,
    OFFER_NONE,
    OFFER_PAUSED,
    OFFER_RETIRED,
    TRAIN,
)


def test_owner_publishes_offer_with_event_and_view(license_token, dataset, publisher, token):
    asset_id, _ = dataset
    count = license_token.offerCount()
    terms = raw_terms(
        asset_id,
        currency=token.address,
        price=5 * 10**16,
        unitPrice=10**14,
        duration=30 * 86400,
        maxUnits=1000,
        scopes=TRAIN | INFER,
        minUpstreamBps=500,
        soulbound=True,
        supplyCap=7,
        serviceBps=1_250,
    )
    receipt = license_token.createOffer(terms, sender=publisher)
    event = receipt.events.filter(license_token.OfferCreated)[0]
    offer_id = event.offerId
    assert offer_id == count + 1 == license_token.offerCount()
    assert event.assetId == asset_id
    assert event.creator == publisher.address
    assert normalized(event.terms) == normalized(terms)

    view = license_token.offer(offer_id)
    assert normalized(terms_dict(view.terms).values()) == normalized(terms)
    assert view.status == OFFER_ACTIVE
    assert view.sold == 0
    assert view.creator == publisher.address


def normalized(values):
    return tuple(v.lower() if isinstance(v, str) else v for v in values)


def test_stranger_cannot_publish_an_offer(license_token, dataset, stranger):
    asset_id, _ = dataset
    with ape.reverts(license_token.LicenseTokenNotAssetOwner, assetId=asset_id, caller=stranger):
        license_token.createOffer(raw_terms(asset_id), sender=stranger)


def test_offer_on_a_missing_asset_is_refused(license_token, registry, publisher):
    missing = registry.assetCount() + 1
    # The license contract raises the registry's own error (same name and selector).
    with ape.reverts(license_token.AssetRegistryUnknownAsset, assetId=missing):
        license_token.createOffer(raw_terms(missing), sender=publisher)


def test_operators_the_owner_approved_may_publish(
    license_token, registry, dataset, publisher, alice, bob, make_offer
):
    asset_id, _ = dataset
    # An operator for all the owner's assets.
    registry.setApprovalForAll(alice, True, sender=publisher)
    offer_id = make_offer(asset_id, sender=alice)
    assert license_token.offer(offer_id).creator == alice.address
    registry.setApprovalForAll(alice, False, sender=publisher)
    with ape.reverts(license_token.LicenseTokenNotAssetOwner, caller=alice):
        make_offer(asset_id, sender=alice)
    # Operators may also pause the owner's offers.
    registry.setApprovalForAll(alice, True, sender=publisher)
    license_token.setOfferStatus(offer_id, OFFER_PAUSED, sender=alice)
    assert license_token.offer(offer_id).status == OFFER_PAUSED


def test_an_approval_for_one_asset_nft_publishes_no_offer_that_would_outlive_it(
    license_token, registry, dataset, publisher, bob, make_offer
):
    """Review finding (issue 15): an operator approved for one asset NFT published offers that
    outlived the approval (free, perpetual DERIVE with no minimum share)."""
    asset_id, _ = dataset
    offer_id = make_offer(asset_id)
    registry.approve(bob, asset_id, sender=publisher)
    with ape.reverts(license_token.LicenseTokenNotAssetOwner, assetId=asset_id, caller=bob):
        make_offer(asset_id, sender=bob)
    with ape.reverts(license_token.LicenseTokenNotAssetOwner, assetId=asset_id, caller=bob):
        license_token.setOfferStatus(offer_id, OFFER_PAUSED, sender=bob)


def test_new_asset_owner_takes_over_the_offers(
    license_token, registry, dataset, publisher, alice, make_offer
):
    asset_id, _ = dataset
    offer_id = make_offer(asset_id)
    registry.transferFrom(publisher, alice, asset_id, sender=publisher)
    with ape.reverts(license_token.LicenseTokenNotAssetOwner, caller=publisher):
        license_token.setOfferStatus(offer_id, OFFER_PAUSED, sender=publisher)
    license_token.setOfferStatus(offer_id, OFFER_PAUSED, sender=alice)
    assert license_token.offer(offer_id).status == OFFER_PAUSED


@pytest.mark.parametrize("scopes", [0, 32, 255])
def test_scopes_outside_1_to_31_are_refused(license_token, dataset, publisher, scopes):
    asset_id, _ = dataset
    with ape.reverts(license_token.LicenseTokenInvalidScopes, scopes=scopes):
        license_token.createOffer(raw_terms(asset_id, scopes=scopes), sender=publisher)


def test_every_scope_mask_from_1_to_31_edges_is_accepted(license_token, dataset, make_offer):
    asset_id, _ = dataset
    for scopes in (1, DERIVE, 31):
        assert license_token.offer(make_offer(asset_id, scopes=scopes)).terms.scopes == scopes


def test_min_share_above_100_percent_is_refused(license_token, dataset, publisher, make_offer):
    asset_id, _ = dataset
    with ape.reverts(license_token.LicenseTokenInvalidMinShare, minUpstreamBps=10_001):
        license_token.createOffer(raw_terms(asset_id, minUpstreamBps=10_001), sender=publisher)
    offer_id = make_offer(asset_id, minUpstreamBps=10_000)
    assert license_token.offer(offer_id).terms.minUpstreamBps == 10_000


def test_a_service_share_above_the_maximum_is_refused(
    license_token, dataset, publisher, make_offer
):
    asset_id, _ = dataset
    cap = license_token.MAX_SERVICE_BPS()
    assert cap == 5_000
    count = license_token.offerCount()
    with ape.reverts(license_token.LicenseTokenInvalidServiceShare, serviceBps=cap + 1, max=cap):
        license_token.createOffer(raw_terms(asset_id, serviceBps=cap + 1), sender=publisher)
    assert license_token.offerCount() == count
    offer_id = make_offer(asset_id, serviceBps=cap)
    assert license_token.offer(offer_id).terms.serviceBps == cap


def test_a_duration_whose_expiry_would_overflow_the_clock_is_refused(
    license_token, dataset, publisher, make_offer, buy, bob
):
    """Without the cap, such an offer could be published but every buy would revert."""
    asset_id, _ = dataset
    cap = license_token.MAX_DURATION()
    with ape.reverts(license_token.LicenseTokenInvalidDuration, duration=cap + 1, maxDuration=cap):
        license_token.createOffer(raw_terms(asset_id, duration=cap + 1), sender=publisher)
    license_id = buy(make_offer(asset_id, duration=cap), bob)
    assert license_token.isValid(license_id)


def test_currency_must_be_eth_or_a_contract(
    license_token, dataset, publisher, stranger, token, make_offer
):
    asset_id, _ = dataset
    with ape.reverts(license_token.LicenseTokenInvalidCurrency, currency=stranger.address):
        license_token.createOffer(raw_terms(asset_id, currency=stranger.address), sender=publisher)
    assert license_token.offer(make_offer(asset_id, currency=token.address)).terms.currency == (
        token.address
    )
    assert license_token.offer(make_offer(asset_id)).terms.currency == ETH


def test_status_changes_follow_the_rules(license_token, dataset, publisher, stranger, make_offer):
    asset_id, _ = dataset
    offer_id = make_offer(asset_id)
    lt = license_token
    with ape.reverts(lt.LicenseTokenUnknownOffer, offerId=offer_id + 1):
        lt.setOfferStatus(offer_id + 1, OFFER_PAUSED, sender=publisher)
    with ape.reverts(lt.LicenseTokenNotAssetOwner, assetId=asset_id, caller=stranger):
        lt.setOfferStatus(offer_id, OFFER_PAUSED, sender=stranger)
    with ape.reverts(lt.LicenseTokenStatusUnchanged, offerId=offer_id, status=OFFER_ACTIVE):
        lt.setOfferStatus(offer_id, OFFER_ACTIVE, sender=publisher)
    with ape.reverts(lt.LicenseTokenOfferNotActive, offerId=offer_id, status=OFFER_NONE):
        lt.setOfferStatus(offer_id, OFFER_NONE, sender=publisher)

    receipt = lt.setOfferStatus(offer_id, OFFER_PAUSED, sender=publisher)
    assert receipt.events == [lt.OfferStatusChanged(offerId=offer_id, status=OFFER_PAUSED)]
    with ape.reverts(lt.LicenseTokenStatusUnchanged, offerId=offer_id, status=OFFER_PAUSED):
        lt.setOfferStatus(offer_id, OFFER_PAUSED, sender=publisher)
    lt.setOfferStatus(offer_id, OFFER_ACTIVE, sender=publisher)
    assert lt.offer(offer_id).status == OFFER_ACTIVE
    lt.setOfferStatus(offer_id, OFFER_PAUSED, sender=publisher)
    lt.setOfferStatus(offer_id, OFFER_RETIRED, sender=publisher)
    assert lt.offer(offer_id).status == OFFER_RETIRED
    # Retirement is final, whatever is asked.
    for status in (OFFER_NONE, OFFER_ACTIVE, OFFER_PAUSED, OFFER_RETIRED):
        with ape.reverts(lt.LicenseTokenOfferRetired, offerId=offer_id):
            lt.setOfferStatus(offer_id, status, sender=publisher)


def test_unknown_offer_view_reverts(license_token):
    missing = license_token.offerCount() + 1
    with ape.reverts(license_token.LicenseTokenUnknownOffer, offerId=missing):
        license_token.offer(missing)
    with ape.reverts(license_token.LicenseTokenUnknownOffer, offerId=0):
        license_token.offer(0)
