"""What a sold license answers: validity in time (units are per channel, in the meter), scope
and holder checks, transfers (transferable vs soulbound, ERC-5192; every move tells the
meter), on-chain metadata, and terms that never change."""

import base64
import json

import ape
import pytest
from license_helpers import block_time, raw_terms, terms_dict, warp_to

from seedbed.core.constants import (
    ACCESS,
    COMMERCIAL,
    DERIVE,
    INFER,
    OFFER_PAUSED,
    OFFER_RETIRED,
    TRAIN,
)

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
    for view in (lt.license, lt.expiresAt, lt.locked, lt.usageTerms, lt.tokenURI):
        with ape.reverts(lt.LicenseTokenUnknownLicense, licenseId=missing):
            view(missing)


def test_usage_terms_tell_the_meter_everything(
    chain, license_token, token, dataset, make_offer, bob
):
    asset_id, _ = dataset
    offer_id = make_offer(
        asset_id,
        currency=token.address,
        unitPrice=7,
        maxUnits=9,
        duration=60,
        scopes=INFER,
        serviceBps=250,
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
    assert (u.expiresAt, u.scopes, u.serviceBps) == (block_time(chain, receipt) + 60, INFER, 250)


# --------------------------------------------------------------------------- units


def test_units_are_counted_per_channel_and_never_void_the_license(
    meter, metered, metered_offer, metered_buy, dataset, gateway, bob
):
    """A capped license's units are allotted to channels in the meter; a channel that used
    them all meters no more, while the license stays valid."""
    asset_id, _ = dataset
    license_id = metered_buy(metered_offer(asset_id, maxUnits=5, scopes=INFER), bob)
    meter.open(license_id, gateway, bob, 0, sender=bob)
    meter.meter(license_id, gateway, 5, sender=bob)  # free units: no reserve needed
    cid = meter.channelId(license_id, bob, gateway)
    with ape.reverts(meter.UsageMeterUnitsAboveCap, channelId=cid, cumulativeUnits=6, unitLimit=5):
        meter.meter(license_id, gateway, 1, sender=bob)
    assert metered.isValid(license_id)
    assert metered.isValidFor(license_id, bob, INFER)
    assert metered.license(license_id).valid


def test_the_license_token_no_longer_records_usage(metered):
    names = {abi.name for abi in metered.contract_type.abi if abi.type in ("function", "event")}
    assert not names & {"recordUsage", "unitsLeft", "UsageRecorded"}


def test_a_license_token_wired_to_an_account_cannot_transfer(
    project, registry, vault, attestations, dataset, deployer, publisher, gateway, bob, alice
):
    """Every transfer calls the meter's onLicenseTransfer: wiring an account (no code) as the
    meter makes transfers revert, so the deployment always wires the real meter."""
    asset_id, _ = dataset
    lt = deployer.deploy(project.LicenseToken, registry, vault, attestations, deployer)
    lt.wireMeter(gateway, sender=deployer)
    offer = (
        lt.createOffer(raw_terms(asset_id), sender=publisher)
        .events.filter(lt.OfferCreated)[0]
        .offerId
    )
    license_id = lt.buy(offer, bob, 0, sender=bob).events.filter(lt.LicenseBought)[0].licenseId
    with ape.reverts():
        lt.transferFrom(bob, alice, license_id, sender=bob)
    assert lt.ownerOf(license_id) == bob.address


def test_meter_is_wired_once_by_the_wirer(
    project, license_token, meter, registry, vault, attestations, deployer, stranger, gateway
):
    with ape.reverts(license_token.LicenseTokenAlreadyWired, meter=meter.address):
        license_token.wireMeter(stranger, sender=deployer)
    with ape.reverts(license_token.LicenseTokenNotWirer, caller=stranger.address):
        license_token.wireMeter(stranger, sender=stranger)
    fresh = deployer.deploy(project.LicenseToken, registry, vault, attestations, deployer)
    with ape.reverts(fresh.LicenseTokenNotWirer, caller=stranger.address):
        fresh.wireMeter(stranger, sender=stranger)
    receipt = fresh.wireMeter(gateway, sender=deployer)
    assert receipt.events == [fresh.MeterWired(meter=gateway.address)]
    assert fresh.meter() == gateway.address
    with ape.reverts(fresh.LicenseTokenAlreadyWired, meter=gateway.address):
        fresh.wireMeter(stranger, sender=deployer)


# --------------------------------------------------------------------------- transfers


def test_transferable_license_moves_with_its_time_and_tells_the_meter(
    chain, meter, metered, metered_offer, metered_buy, dataset, gateway, bob, alice, carol
):
    asset_id, _ = dataset
    license_id = metered_buy(metered_offer(asset_id, duration=500, maxUnits=10, scopes=TRAIN), bob)
    meter.open(license_id, gateway, bob, 0, sender=bob)
    meter.meter(license_id, gateway, 4, sender=bob)
    before = metered.license(license_id)
    assert not metered.locked(license_id)

    receipt = metered.transferFrom(bob, alice, license_id, sender=bob)
    closes = block_time(chain, receipt) + meter.GRACE_PERIOD()
    assert (
        meter.HolderLeft(license_id, bob, min(closes, before.expiresAt + meter.GRACE_PERIOD()))
        in receipt.events
    )
    after = metered.license(license_id)
    assert after.holder == alice.address
    assert (after.startsAt, after.expiresAt) == (before.startsAt, before.expiresAt)
    assert meter.channel(license_id, bob, gateway).units == 4  # bob's channel, not alice's
    assert meter.channel(license_id, alice, gateway).units == 0
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
        serviceBps=400,
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
        "service_bps": 400,
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
