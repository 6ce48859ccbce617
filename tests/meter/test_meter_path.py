"""meter(): the on-chain path for contracts that consume on-chain. Only the holder calls it,
it charges the holder's own escrow, and it shares the voucher path's unit counter."""

import ape
import pytest
from meterkit import DAY, as_args

from seedbed.core.constants import ETH


@pytest.fixture
def funded(meter, licensed, alice):
    license_id = licensed(alice, unit_price=7, max_units=50)
    meter.deposit(ETH, 1_000, value=1_000, sender=alice)
    return license_id


def test_the_holder_meters_units_from_its_escrow_marked_not_via_voucher(
    meter, vault, license_token, asset_id, funded, alice
):
    vault_before = vault.balance
    assert meter.meter.call(funded, 4, sender=alice) == 28
    receipt = meter.meter(funded, 4, sender=alice)
    assert meter.UsageSettled(funded, asset_id, alice, ETH, 4, 28, 4, False) in receipt.events
    assert license_token.usageTerms(funded).unitsUsed == 4
    assert meter.escrowOf(alice, ETH) == meter.totalEscrow(ETH) == 1_000 - 28
    assert vault.balance - vault_before == 28


def test_only_the_holder_may_meter(meter, funded, alice, bob):
    with ape.reverts(
        meter.UsageMeterNotHolder, licenseId=funded, caller=bob.address, holder=alice.address
    ):
        meter.meter(funded, 1, sender=bob)
    assert meter.escrowOf(alice, ETH) == 1_000


def test_metering_zero_units_is_refused(meter, funded, alice):
    with ape.reverts(meter.UsageMeterZeroAmount):
        meter.meter(funded, 0, sender=alice)


def test_metering_obeys_the_cap_and_the_escrow(meter, licensed, funded, alice):
    meter.meter(funded, 45, sender=alice)
    with ape.reverts(
        meter.UsageMeterUnitsAboveCap, licenseId=funded, cumulativeUnits=51, maxUnits=50
    ):
        meter.meter(funded, 6, sender=alice)
    meter.meter(funded, 5, sender=alice)

    pricey = licensed(alice, unit_price=10**6)
    with ape.reverts(
        meter.UsageMeterInsufficientEscrow,
        account=alice.address,
        currency=ETH,
        available=1_000 - 50 * 7,
        needed=10**6,
    ):
        meter.meter(pricey, 1, sender=alice)


def test_metering_stops_after_the_grace_period(meter, license_token, chain, licensed, alice):
    license_id = licensed(alice, unit_price=1, duration=DAY)
    meter.deposit(ETH, 100, value=100, sender=alice)
    expires_at = license_token.expiresAt(license_id)
    grace_end = expires_at + meter.GRACE_PERIOD()
    chain.pending_timestamp = grace_end
    meter.meter(license_id, 1, sender=alice)
    chain.pending_timestamp = grace_end + 1
    with ape.reverts(
        meter.UsageMeterLicenseClosed,
        licenseId=license_id,
        expiresAt=expires_at,
        graceEnd=grace_end,
    ):
        meter.meter(license_id, 1, sender=alice)


def test_metered_units_make_older_vouchers_stale(meter, signer, funded, alice, gateway):
    voucher = signer(alice, funded, 10)
    meter.meter(funded, 12, sender=alice)
    with ape.reverts(
        meter.UsageMeterStaleVoucher, licenseId=funded, cumulativeUnits=10, unitsUsed=12
    ):
        meter.settle(*as_args(voucher), sender=gateway)
    receipt = meter.settle(*as_args(signer(alice, funded, 20)), sender=gateway)
    [log] = receipt.events.filter(meter.UsageSettled)
    assert (log.units, log.amount, log.viaVoucher) == (8, 56, True)
