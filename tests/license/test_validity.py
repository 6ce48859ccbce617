"""What a sold license answers: validity in time and units, scope and holder checks, transfers
(transferable vs soulbound, ERC-5192), on-chain metadata, and terms that never change."""

import base64
import json

import ape
import pytest
from license_helpers import block_time, terms_dict, warp_to

from seedbed.core.constants import (
    ACCESS,
    COMMERCIAL,
    DERIVE,
    INFER,
    OFFER_PAUSED,
    OFFER_RETIRED,
    TRAIN,
)

UINT64_MAX = 2**64 - 1
ERC5192_ID = "0xb45a3c0e"
ERC721_ID = "0x80ac58cd"


# --------------------------------------------------------------------------- time


def test_license_expires_exactly_at_expires_at(chain, license_token, dataset, make_offer, bob):
    asset_id, _ = dataset
    offer_id = make_offer(asset_id, duration=1000, scopes=TRAIN)
    receipt = license_token.buy(offer_id, bob, 0, sender=bob)
    license_id = receipt.events.filter(license_token.LicenseBought)[0].licenseId
    start = block_time(chain, receipt)
    expiry = license_token.expiresAt(license_id)
    assert expiry == start + 1000
    view = license_token.license(license_id)
    assert (view.startsAt, view.expiresAt, view.offerId) == (start, expiry, offer_id)

    warp_to(chain, expiry - 1)
    assert license_token.isValid(license_id)
    assert license_token.isValidFor(license_id, bob, TRAIN)
    assert license_token.license(license_id).valid

    warp_to(chain, expiry)
    assert not license_token.isValid(license_id)
    assert not license_token.isValidFor(license_id, bob, TRAIN)
    assert not license_token.license(license_id).valid
    assert license_token.ownerOf(license_id) == bob.address  # expired, still owned


def test_perpetual_license_never_expires(chain, license_token, dataset, make_offer, buy, bob):
    asset_id, _ = dataset
    license_id = buy(make_offer(asset_id, duration=0), bob)
    assert license_token.expiresAt(license_id) == 0
    chain.pending_timestamp += 50 * 365 * 86400
    chain.mine()
    assert license_token.isValid(license_id)
    assert license_token.unitsLeft(license_id) == UINT64_MAX


# --------------------------------------------------------------------------- scope and holder


def test_is_valid_for_needs_holder_and_every_scope(
    license_token, dataset, make_offer, buy, bob, alice
):
    asset_id, _ = dataset
    license_id = buy(make_offer(asset_id, scopes=TRAIN | INFER), bob)
    lt = license_token
    assert lt.isValidFor(license_id, bob, TRAIN)
    assert lt.isValidFor(license_id, bob, TRAIN | INFER)
    assert lt.isValidFor(license_id, bob, 0)  # no scope asked: holder and validity only
    assert not lt.isValidFor(license_id, bob, TRAIN | COMMERCIAL)
    assert not lt.isValidFor(license_id, bob, DERIVE)
    assert not lt.isValidFor(license_id, alice, TRAIN)
    assert not lt.isValidFor(lt.licenseCount() + 1, bob, 0)
    assert not lt.isValid(lt.licenseCount() + 1)
    assert not lt.isValid(0)


def test_views_of_an_unknown_license_revert(license_token):
    missing = license_token.licenseCount() + 1
    lt = license_token
    for view in (lt.license, lt.expiresAt, lt.unitsLeft, lt.locked, lt.usageTerms, lt.tokenURI):
        with ape.reverts(lt.LicenseTokenUnknownLicense, licenseId=missing):
            view(missing)


def test_usage_terms_tell_the_meter_everything(
    chain, license_token, token, dataset, make_offer, bob
):
    asset_id, _ = dataset
    offer_id = make_offer(
        asset_id, currency=token.address, unitPrice=7, maxUnits=9, duration=60, scopes=INFER
    )
    receipt = license_token.buy(offer_id, bob, 0, sender=bob)
    license_id = receipt.events.filter(license_token.LicenseBought)[0].licenseId
    u = license_token.usageTerms(license_id)
    assert (u.holder, u.assetId, u.currency, u.unitPrice, u.maxUnits) == (
        bob.address,
        asset_id,
        token.address,
        7,
        9,
    )
    assert (u.expiresAt, u.unitsUsed, u.scopes) == (block_time(chain, receipt) + 60, 0, INFER)


# --------------------------------------------------------------------------- units


def test_units_run_out_at_the_cap(metered, metered_offer, metered_buy, dataset, gateway, bob):
    asset_id, _ = dataset
    license_id = metered_buy(metered_offer(asset_id, maxUnits=5, scopes=INFER), bob)
    assert metered.unitsLeft(license_id) == 5

    receipt = metered.recordUsage(license_id, 3, sender=gateway)
    assert receipt.events == [metered.UsageRecorded(licenseId=license_id, unitsUsed=3)]
    assert metered.unitsLeft(license_id) == 2
    assert metered.isValidFor(license_id, bob, INFER)

    metered.recordUsage(license_id, 5, sender=gateway)
    assert metered.unitsLeft(license_id) == 0
    assert not metered.isValid(license_id)
    assert not metered.isValidFor(license_id, bob, INFER)
    view = metered.license(license_id)
    assert (view.unitsUsed, view.valid) == (5, False)


def test_record_usage_rules(metered, metered_offer, metered_buy, dataset, gateway, bob, stranger):
    asset_id, _ = dataset
    license_id = metered_buy(metered_offer(asset_id, maxUnits=5), bob)
    lt = metered
    with ape.reverts(lt.LicenseTokenNotMeter, caller=stranger.address):
        lt.recordUsage(license_id, 1, sender=stranger)
    with ape.reverts(lt.LicenseTokenUnknownLicense, licenseId=license_id + 1):
        lt.recordUsage(license_id + 1, 1, sender=gateway)
    with ape.reverts(
        lt.LicenseTokenUnitsNotIncreasing, licenseId=license_id, unitsUsed=0, current=0
    ):
        lt.recordUsage(license_id, 0, sender=gateway)
    with ape.reverts(lt.LicenseTokenUnitsExceeded, licenseId=license_id, unitsUsed=6, maxUnits=5):
        lt.recordUsage(license_id, 6, sender=gateway)
    lt.recordUsage(license_id, 3, sender=gateway)
    for again in (3, 2):
        with ape.reverts(
            lt.LicenseTokenUnitsNotIncreasing, licenseId=license_id, unitsUsed=again, current=3
        ):
            lt.recordUsage(license_id, again, sender=gateway)
    assert lt.license(license_id).unitsUsed == 3


def test_unlimited_units_never_run_out(metered, metered_offer, metered_buy, dataset, gateway, bob):
    asset_id, _ = dataset
    license_id = metered_buy(metered_offer(asset_id, maxUnits=0), bob)
    metered.recordUsage(license_id, UINT64_MAX, sender=gateway)
    assert metered.isValid(license_id)
    assert metered.unitsLeft(license_id) == UINT64_MAX


def test_meter_is_wired_once_by_the_wirer(
    project, license_token, meter, registry, vault, deployer, stranger, gateway
):
    with ape.reverts(license_token.LicenseTokenAlreadyWired, meter=meter.address):
        license_token.wireMeter(stranger, sender=deployer)
    with ape.reverts(license_token.LicenseTokenNotWirer, caller=stranger.address):
        license_token.wireMeter(stranger, sender=stranger)
    fresh = deployer.deploy(project.LicenseToken, registry, vault, deployer)
    with ape.reverts(fresh.LicenseTokenNotWirer, caller=stranger.address):
        fresh.wireMeter(stranger, sender=stranger)
    receipt = fresh.wireMeter(gateway, sender=deployer)
    assert receipt.events == [fresh.MeterWired(meter=gateway.address)]
    assert fresh.meter() == gateway.address
    with ape.reverts(fresh.LicenseTokenAlreadyWired, meter=gateway.address):
        fresh.wireMeter(stranger, sender=deployer)


# --------------------------------------------------------------------------- transfers


def test_transferable_license_moves_with_its_time_and_units(
    chain, metered, metered_offer, metered_buy, dataset, gateway, bob, alice, carol
):
    asset_id, _ = dataset
    license_id = metered_buy(metered_offer(asset_id, duration=500, maxUnits=10, scopes=TRAIN), bob)
    metered.recordUsage(license_id, 4, sender=gateway)
    before = metered.license(license_id)
    assert not metered.locked(license_id)

    metered.transferFrom(bob, alice, license_id, sender=bob)
    after = metered.license(license_id)
    assert after.holder == alice.address
    assert (after.startsAt, after.expiresAt, after.unitsUsed) == (
        before.startsAt,
        before.expiresAt,
        4,
    )
    assert metered.unitsLeft(license_id) == 6
    assert metered.isValidFor(license_id, alice, TRAIN)
    assert not metered.isValidFor(license_id, bob, TRAIN)

    # An approved operator may move it too, with the safe variant.
    metered.approve(carol, license_id, sender=alice)
    metered.safeTransferFrom(alice, bob, license_id, sender=carol)
    assert metered.ownerOf(license_id) == bob.address
    warp_to(chain, after.expiresAt)
    assert not metered.isValidFor(license_id, bob, TRAIN)  # moving never extends the clock


def test_soulbound_license_never_moves(license_token, dataset, make_offer, bob, alice, carol):
    asset_id, _ = dataset
    offer_id = make_offer(asset_id, soulbound=True)
    receipt = license_token.buy(offer_id, bob, 0, sender=bob)
    license_id = receipt.events.filter(license_token.LicenseBought)[0].licenseId
    assert receipt.events.filter(license_token.Locked) == [license_token.Locked(tokenId=license_id)]
    assert license_token.locked(license_id)

    with ape.reverts(license_token.LicenseTokenSoulbound, licenseId=license_id):
        license_token.transferFrom(bob, alice, license_id, sender=bob)
    with ape.reverts(license_token.LicenseTokenSoulbound, licenseId=license_id):
        license_token.safeTransferFrom(bob, alice, license_id, sender=bob)
    license_token.setApprovalForAll(carol, True, sender=bob)
    with ape.reverts(license_token.LicenseTokenSoulbound, licenseId=license_id):
        license_token.transferFrom(bob, alice, license_id, sender=carol)
    assert license_token.ownerOf(license_id) == bob.address


def test_transferable_license_emits_no_locked_event(license_token, dataset, make_offer, bob):
    asset_id, _ = dataset
    receipt = license_token.buy(make_offer(asset_id), bob, 0, sender=bob)
    assert receipt.events.filter(license_token.Locked) == []


def test_supports_erc5192_and_erc721(license_token):
    assert license_token.supportsInterface(ERC5192_ID)
    assert license_token.supportsInterface(ERC721_ID)
    assert not license_token.supportsInterface("0xffffffff")


# --------------------------------------------------------------------------- metadata


def decode_uri(uri):
    prefix = "data:application/json;base64,"
    assert uri.startswith(prefix)
    return json.loads(base64.b64decode(uri[len(prefix) :]))


def test_token_uri_states_the_terms(chain, license_token, token, dataset, make_offer, bob):
    asset_id, _ = dataset
    offer_id = make_offer(
        asset_id,
        currency=token.address,
        price=0,
        unitPrice=123,
        duration=3600,
        maxUnits=77,
        scopes=TRAIN | DERIVE,
        minUpstreamBps=1500,
        soulbound=True,
    )
    receipt = license_token.buy(offer_id, bob, 0, sender=bob)
    license_id = receipt.events.filter(license_token.LicenseBought)[0].licenseId
    expiry = block_time(chain, receipt) + 3600

    meta = decode_uri(license_token.tokenURI(license_id))
    assert meta["name"] == f"Seedbed license #{license_id}"
    assert f"asset #{asset_id}" in meta["description"]
    assert "train,derive" in meta["description"]
    assert str(expiry) in meta["description"]
    traits = {a["trait_type"]: a["value"] for a in meta["attributes"]}
    assert traits == {
        "asset": asset_id,
        "scopes": "train,derive",
        "expires_at": expiry,
        "units_used": 0,
        "price": 0,
        "min_upstream_bps": 1500,
        "max_units": 77,
        "unit_price": 123,
        "currency": token.address.lower(),
        "soulbound": True,
        "valid": True,
    }
    warp_to(chain, expiry)
    assert decode_uri(license_token.tokenURI(license_id))["attributes"][-1] == {
        "trait_type": "valid",
        "value": False,
    }


def test_token_uri_of_a_perpetual_license(license_token, dataset, make_offer, buy, bob):
    asset_id, _ = dataset
    license_id = buy(make_offer(asset_id, scopes=ACCESS), bob)
    meta = decode_uri(license_token.tokenURI(license_id))
    assert "perpetual" in meta["description"]
    traits = {a["trait_type"]: a["value"] for a in meta["attributes"]}
    assert (traits["expires_at"], traits["soulbound"], traits["scopes"]) == (0, False, "access")


# --------------------------------------------------------------------------- snapshot


@pytest.mark.parametrize("final_status", [OFFER_PAUSED, OFFER_RETIRED])
def test_sold_license_terms_survive_offer_pause_and_retirement(
    license_token, token, dataset, make_offer, publisher, bob, final_status
):
    asset_id, _ = dataset
    offer_id = make_offer(
        asset_id,
        currency=token.address,
        price=0,
        unitPrice=5,
        duration=10_000,
        maxUnits=40,
        scopes=TRAIN | INFER,
        minUpstreamBps=250,
        supplyCap=3,
    )
    license_id = (
        license_token.buy(offer_id, bob, 0, sender=bob)
        .events.filter(license_token.LicenseBought)[0]
        .licenseId
    )
    before = license_token.license(license_id)

    license_token.setOfferStatus(offer_id, OFFER_PAUSED, sender=publisher)
    if final_status == OFFER_RETIRED:
        license_token.setOfferStatus(offer_id, OFFER_RETIRED, sender=publisher)
    after = license_token.license(license_id)

    assert terms_dict(after.terms) == terms_dict(before.terms)
    assert (after.startsAt, after.expiresAt, after.holder) == (
        before.startsAt,
        before.expiresAt,
        before.holder,
    )
    assert after.valid and license_token.isValidFor(license_id, bob, TRAIN | INFER)
    assert terms_dict(license_token.offer(offer_id).terms) == terms_dict(before.terms)
