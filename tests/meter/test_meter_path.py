"""meter(): the on-chain path for contracts that consume on-chain. Only the holder calls it,
on its own channel, and it shares the voucher path's unit counter."""

import ape
import pytest
from meterkit import DAY, as_args, channel_id, settled

from seedbed.core.constants import ETH


@pytest.fixture
def funded(licensed, deposit, alice):
    license_id = licensed(alice, unit_price=7, max_units=50)
    deposit(alice, license_id, 1_000)
    return license_id


def test_the_holder_meters_units_from_its_reserve_marked_not_via_voucher(
    meter, asset_id, funded, alice, gateway
):
    owed = meter.owedToAsset(asset_id, ETH)
    assert meter.meter.call(funded, gateway, 4, sender=alice) == 28
    receipt = meter.meter(funded, gateway, 4, sender=alice)
    cid = channel_id(funded, alice, gateway)
    assert receipt.events == [meter.UsageSettled(cid, funded, 4, 28, 0, 4, False)]
    assert meter.channel(funded, alice, gateway).reserve == 1_000 - 28
    assert meter.owedToAsset(asset_id, ETH) - owed == 28


def test_only_the_holder_of_an_open_channel_may_meter(
    meter, license_token, funded, alice, bob, gateway, stranger
):
    with ape.reverts(meter.UsageMeterNoChannel, channelId=channel_id(funded, bob, gateway)):
        meter.meter(funded, gateway, 1, sender=bob)
    with ape.reverts(meter.UsageMeterNoChannel, channelId=channel_id(funded, alice, stranger)):
        meter.meter(funded, stranger, 1, sender=alice)
    license_token.transferFrom(alice, bob, funded, sender=alice)
    with ape.reverts(meter.UsageMeterNotHeld, licenseId=funded, payer=alice.address):
        meter.meter(funded, gateway, 1, sender=alice)
    assert meter.channel(funded, alice, gateway).reserve == 1_000


def test_metering_zero_units_is_refused(meter, funded, alice, gateway):
    with ape.reverts(meter.UsageMeterZeroAmount):
        meter.meter(funded, gateway, 0, sender=alice)


def test_metering_obeys_the_unit_limit_and_the_reserve(
    meter, licensed, deposit, funded, alice, gateway
):
    cid = channel_id(funded, alice, gateway)
    meter.meter(funded, gateway, 45, sender=alice)
    with ape.reverts(
        meter.UsageMeterUnitsAboveCap, channelId=cid, cumulativeUnits=51, unitLimit=50
    ):
        meter.meter(funded, gateway, 6, sender=alice)
    meter.meter(funded, gateway, 5, sender=alice)
    pricey = licensed(alice, unit_price=10**6)
    deposit(alice, pricey, 1_000)
    pid = channel_id(pricey, alice, gateway)
    with ape.reverts(
        meter.UsageMeterInsufficientReserve, channelId=pid, available=1_000, needed=10**6
    ):
        meter.meter(pricey, gateway, 1, sender=alice)


def test_metering_stops_after_the_grace_period(
    meter, license_token, chain, licensed, deposit, alice, gateway
):
    license_id = licensed(alice, unit_price=1, duration=DAY)
    deposit(alice, license_id, 100)
    closes = license_token.expiresAt(license_id) + meter.GRACE_PERIOD()
    chain.pending_timestamp = closes
    meter.meter(license_id, gateway, 1, sender=alice)
    chain.pending_timestamp = closes + 1
    with ape.reverts(
        meter.UsageMeterChannelClosed, licenseId=license_id, payer=alice.address, closesAt=closes
    ):
        meter.meter(license_id, gateway, 1, sender=alice)


def test_metered_units_make_older_vouchers_stale(meter, signer, funded, alice, gateway):
    voucher = signer(alice, funded, 10)
    meter.meter(funded, gateway, 12, sender=alice)
    cid = channel_id(funded, alice, gateway)
    with ape.reverts(
        meter.UsageMeterStaleVoucher, channelId=cid, cumulativeUnits=10, unitsCharged=12
    ):
        meter.settle(*as_args(voucher), sender=gateway)
    receipt = meter.settle(*as_args(signer(alice, funded, 20)), sender=gateway)
    assert settled(meter, receipt) == [(cid, 8, 56, 0, 20, True)]
