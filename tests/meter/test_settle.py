"""settle(): every rule of a voucher (signature, domain, staleness, deadline, grace period,
cap, scope, escrow) with the exact custom error, and what a good one charges and emits."""

import ape
import pytest
from eth_keys import keys
from meterkit import DAY, as_args

from seedbed.core.constants import COMMERCIAL, DERIVE, ETH, INFER
from seedbed.core.errors import InputError
from seedbed.core.vouchers import SECP256K1_N, digest, recover

UINT64_MAX = 2**64 - 1


@pytest.fixture
def funded(meter, licensed, alice):
    """A perpetual ETH license of alice at 10 wei/unit, with 10_000 wei of escrow."""
    license_id = licensed(alice, unit_price=10)
    meter.deposit(ETH, 10_000, value=10_000, sender=alice)
    return license_id


def test_anyone_settles_a_voucher_which_charges_escrow_into_the_vault(
    meter, vault, license_token, asset_id, signer, funded, alice, stranger
):
    license_id = funded
    vault_before = vault.balance
    voucher = signer(alice, license_id, 25)
    assert meter.settle.call(*as_args(voucher), sender=stranger) == 250
    receipt = meter.settle(*as_args(voucher), sender=stranger)

    settled = meter.UsageSettled(license_id, asset_id, alice, ETH, 25, 250, 25, True)
    assert settled in receipt.events
    assert vault.Paid(asset_id, ETH, meter, 250, 250, 0, 0) in receipt.events
    assert license_token.UsageRecorded(license_id, 25) in receipt.events
    assert meter.escrowOf(alice, ETH) == meter.totalEscrow(ETH) == 9_750
    assert vault.balance - vault_before == 250
    assert license_token.usageTerms(license_id).unitsUsed == 25


def test_a_later_voucher_charges_only_the_units_above_the_last(
    meter, signer, funded, alice, gateway
):
    meter.settle(*as_args(signer(alice, funded, 25)), sender=gateway)
    receipt = meter.settle(*as_args(signer(alice, funded, 40)), sender=gateway)
    [log] = receipt.events.filter(meter.UsageSettled)
    assert (log.units, log.amount, log.cumulativeUnits) == (15, 150, 40)
    assert meter.escrowOf(alice, ETH) == 10_000 - 400


def test_a_replayed_or_older_voucher_is_stale(meter, signer, funded, alice, gateway):
    old, new = signer(alice, funded, 10), signer(alice, funded, 30)
    meter.settle(*as_args(old), sender=gateway)
    meter.settle(*as_args(new), sender=gateway)
    for voucher in (old, new):
        with ape.reverts(
            meter.UsageMeterStaleVoucher,
            licenseId=funded,
            cumulativeUnits=voucher.voucher.cumulative_units,
            unitsUsed=30,
        ):
            meter.settle(*as_args(voucher), sender=gateway)
    with ape.reverts(
        meter.UsageMeterStaleVoucher, licenseId=funded, cumulativeUnits=0, unitsUsed=30
    ):
        meter.settle(*as_args(signer(alice, funded, 0)), sender=gateway)
    assert meter.escrowOf(alice, ETH) == 10_000 - 300


@pytest.mark.parametrize("domain", ["chain", "meter"])
def test_a_voucher_signed_for_another_domain_is_a_bad_signature(
    meter, vault, signer, funded, alice, gateway, domain
):
    other = {"chain": {"chain_id": 1}, "meter": {"meter_address": vault.address}}[domain]
    voucher = signer(alice, funded, 5, **other)
    with ape.reverts(meter.UsageMeterBadSignature, licenseId=funded, holder=alice.address):
        meter.settle(*as_args(voucher), sender=gateway)
    assert meter.escrowOf(alice, ETH) == 10_000


@pytest.mark.parametrize("field", ["licenseId", "cumulativeUnits", "deadline"])
def test_a_tampered_field_breaks_the_signature(
    meter, licensed, signer, funded, alice, gateway, field
):
    other_license = licensed(alice, unit_price=10)  # also alice's: only the signature can fail
    good = signer(alice, funded, 5)
    (license_id, units, deadline), signature = as_args(good)
    tampered = {
        "licenseId": (other_license, units, deadline),
        "cumulativeUnits": (license_id, units + 1, deadline),
        "deadline": (license_id, units, deadline - 1),
    }[field]
    with ape.reverts(meter.UsageMeterBadSignature, licenseId=tampered[0], holder=alice.address):
        meter.settle(tampered, signature, sender=gateway)
    meter.settle(*as_args(good), sender=gateway)  # the original still settles


def test_a_malleable_high_s_signature_is_rejected(suite, meter, signer, funded, alice, gateway):
    good = signer(alice, funded, 5)
    r, s, v = good.signature[:32], int.from_bytes(good.signature[32:64], "big"), good.signature[64]
    twin_v = 55 - v  # 27 <-> 28: the other point with the same x
    flipped = r + (SECP256K1_N - s).to_bytes(32, "big") + bytes([twin_v])
    # The twin is a valid ECDSA signature by alice: only the low-s rule refuses it.
    twin = keys.Signature(vrs=(twin_v - 27, int.from_bytes(r, "big"), SECP256K1_N - s))
    message_hash = digest(good.voucher, suite.chain_id, meter.address)
    assert (
        twin.recover_public_key_from_msg_hash(message_hash).to_checksum_address() == alice.address
    )
    with pytest.raises(InputError, match="high s"):
        recover(good.voucher, suite.chain_id, meter.address, flipped)
    with ape.reverts(meter.UsageMeterBadSignature, licenseId=funded, holder=alice.address):
        meter.settle(as_args(good)[0], flipped, sender=gateway)


@pytest.mark.parametrize("length", [0, 64, 66])
def test_a_signature_of_the_wrong_length_is_a_bad_signature(
    meter, signer, funded, alice, gateway, length
):
    good = signer(alice, funded, 5)
    signature = (good.signature + b"\x00")[:length]
    with ape.reverts(meter.UsageMeterBadSignature, licenseId=funded, holder=alice.address):
        meter.settle(as_args(good)[0], signature, sender=gateway)


def test_a_voucher_signed_by_someone_else_is_a_bad_signature(
    meter, signer, funded, alice, bob, gateway
):
    with ape.reverts(meter.UsageMeterBadSignature, licenseId=funded, holder=alice.address):
        meter.settle(*as_args(signer(bob, funded, 5)), sender=gateway)


# ------------------------------------------------------------------------------ time


def test_a_voucher_settles_at_its_deadline_and_not_a_second_later(
    meter, chain, signer, funded, alice, gateway
):
    deadline = chain.blocks.head.timestamp + 3_600
    on_time = signer(alice, funded, 5, deadline=deadline)
    late = signer(alice, funded, 9, deadline=deadline)
    chain.pending_timestamp = deadline
    meter.settle(*as_args(on_time), sender=gateway)
    assert chain.blocks.head.timestamp == deadline
    chain.pending_timestamp = deadline + 1
    with ape.reverts(
        meter.UsageMeterVoucherExpired, licenseId=funded, deadline=deadline, nowTime=deadline + 1
    ):
        meter.settle(*as_args(late), sender=gateway)


def test_an_expired_license_settles_until_the_end_of_its_grace_period_exactly(
    meter, license_token, chain, licensed, signer, alice, gateway
):
    license_id = licensed(alice, unit_price=10, duration=2 * DAY)
    meter.deposit(ETH, 1_000, value=1_000, sender=alice)
    expires_at = license_token.usageTerms(license_id).expiresAt
    grace_end = expires_at + meter.GRACE_PERIOD()
    assert meter.GRACE_PERIOD() == 7 * DAY

    chain.pending_timestamp = expires_at + 1  # expired: no longer valid, still settleable
    meter.settle(*as_args(signer(alice, license_id, 3)), sender=gateway)
    assert not license_token.isValid(license_id)
    chain.pending_timestamp = grace_end
    meter.settle(*as_args(signer(alice, license_id, 5)), sender=gateway)
    chain.pending_timestamp = grace_end + 1
    with ape.reverts(
        meter.UsageMeterLicenseClosed,
        licenseId=license_id,
        expiresAt=expires_at,
        graceEnd=grace_end,
    ):
        meter.settle(*as_args(signer(alice, license_id, 6)), sender=gateway)
    assert license_token.usageTerms(license_id).unitsUsed == 5


# ------------------------------------------------------------------------------ terms


def test_units_above_the_license_cap_are_refused_up_to_the_cap_they_settle(
    meter, license_token, licensed, signer, alice, gateway
):
    license_id = licensed(alice, unit_price=10, max_units=100)
    meter.deposit(ETH, 10_000, value=10_000, sender=alice)
    with ape.reverts(
        meter.UsageMeterUnitsAboveCap, licenseId=license_id, cumulativeUnits=101, maxUnits=100
    ):
        meter.settle(*as_args(signer(alice, license_id, 101)), sender=gateway)
    meter.settle(*as_args(signer(alice, license_id, 100)), sender=gateway)
    assert license_token.unitsLeft(license_id) == 0
    assert not license_token.isValid(license_id)


def test_units_beyond_uint64_are_above_the_cap_of_an_unlimited_license(
    meter, signer, funded, alice, gateway
):
    with ape.reverts(
        meter.UsageMeterUnitsAboveCap,
        licenseId=funded,
        cumulativeUnits=UINT64_MAX + 1,
        maxUnits=UINT64_MAX,
    ):
        meter.settle(*as_args(signer(alice, funded, UINT64_MAX + 1)), sender=gateway)


@pytest.mark.parametrize("scopes", [COMMERCIAL, DERIVE, COMMERCIAL | DERIVE])
def test_a_license_without_a_usage_scope_cannot_be_metered(
    meter, licensed, signer, alice, gateway, scopes
):
    license_id = licensed(alice, unit_price=10, scopes=scopes)
    meter.deposit(ETH, 1_000, value=1_000, sender=alice)
    with ape.reverts(meter.UsageMeterScopeMissing, licenseId=license_id, scopes=scopes):
        meter.settle(*as_args(signer(alice, license_id, 1)), sender=gateway)
    with ape.reverts(meter.UsageMeterScopeMissing, licenseId=license_id, scopes=scopes):
        meter.meter(license_id, 1, sender=alice)


def test_one_usage_scope_is_enough(meter, licensed, signer, alice, gateway):
    license_id = licensed(alice, unit_price=10, scopes=INFER | COMMERCIAL)
    meter.deposit(ETH, 1_000, value=1_000, sender=alice)
    meter.settle(*as_args(signer(alice, license_id, 1)), sender=gateway)
    assert meter.escrowOf(alice, ETH) == 990


def test_a_charge_above_the_escrow_is_refused_with_both_amounts(
    meter, signer, funded, alice, gateway
):
    with ape.reverts(
        meter.UsageMeterInsufficientEscrow,
        account=alice.address,
        currency=ETH,
        available=10_000,
        needed=10_010,
    ):
        meter.settle(*as_args(signer(alice, funded, 1_001)), sender=gateway)
    meter.settle(*as_args(signer(alice, funded, 1_000)), sender=gateway)
    assert meter.escrowOf(alice, ETH) == 0


def test_an_unknown_license_reverts_with_the_license_tokens_error(
    meter, license_token, signer, alice, gateway
):
    with ape.reverts(license_token.LicenseTokenUnknownLicense, licenseId=999):
        meter.settle(*as_args(signer(alice, 999, 1)), sender=gateway)


def test_a_free_license_records_units_and_pays_nothing(
    meter, vault, license_token, licensed, signer, alice, gateway
):
    license_id = licensed(alice, unit_price=0)
    receipt = meter.settle(*as_args(signer(alice, license_id, 7)), sender=gateway)
    assert license_token.usageTerms(license_id).unitsUsed == 7
    assert [log.amount for log in receipt.events.filter(meter.UsageSettled)] == [0]
    assert not list(receipt.events.filter(vault.Paid))


# ------------------------------------------------------------------------ holder changes


def test_after_a_transfer_only_the_new_holders_vouchers_settle(
    meter, license_token, signer, funded, alice, bob, gateway
):
    meter.settle(*as_args(signer(alice, funded, 10)), sender=gateway)
    unsettled_by_alice = signer(alice, funded, 20)
    license_token.transferFrom(alice, bob, funded, sender=alice)
    with ape.reverts(meter.UsageMeterBadSignature, licenseId=funded, holder=bob.address):
        meter.settle(*as_args(unsettled_by_alice), sender=gateway)

    meter.deposit(ETH, 1_000, value=1_000, sender=bob)
    receipt = meter.settle(*as_args(signer(bob, funded, 15)), sender=gateway)
    [log] = receipt.events.filter(meter.UsageSettled)
    assert (log.payer, log.units, log.amount) == (bob.address, 5, 50)
    assert meter.escrowOf(bob, ETH) == 950
    assert meter.escrowOf(alice, ETH) == 10_000 - 100


# ------------------------------------------------------------------------------ ERC-20


def test_a_token_license_settles_from_token_escrow(
    meter, vault, token, asset_id, licensed, signer, alice, gateway
):
    license_id = licensed(alice, unit_price=10**15, currency=token.address)
    token.mint(alice, 10**18, sender=alice)
    token.approve(meter, 10**18, sender=alice)
    meter.deposit(token, 10**18, sender=alice)
    vault_before = token.balanceOf(vault)
    for units in (100, 250):  # the second reuses the meter's standing approval
        meter.settle(*as_args(signer(alice, license_id, units)), sender=gateway)
    assert token.balanceOf(vault) - vault_before == 250 * 10**15
    assert meter.escrowOf(alice, token) == meter.totalEscrow(token) == 10**18 - 250 * 10**15
    assert token.balanceOf(meter) == meter.totalEscrow(token)
    assert vault.accrued(asset_id, token) >= 250 * 10**15


def test_a_fee_on_transfer_license_keeps_the_meters_books_exact(
    meter, vault, fot_token, licensed, signer, alice, gateway
):
    license_id = licensed(alice, unit_price=1_000, currency=fot_token.address)
    fot_token.mint(alice, 1_000_000, sender=alice)
    fot_token.approve(meter, 1_000_000, sender=alice)
    meter.deposit(fot_token, 1_000_000, sender=alice)  # 990_000 arrive
    vault_before = fot_token.balanceOf(vault)
    receipt = meter.settle(*as_args(signer(alice, license_id, 100)), sender=gateway)
    [paid] = receipt.events.filter(vault.Paid)
    assert paid.amount == 99_000  # the vault credits what reached it
    assert fot_token.balanceOf(vault) - vault_before == 99_000
    assert meter.escrowOf(alice, fot_token) == 990_000 - 100_000
    assert fot_token.balanceOf(meter) == meter.totalEscrow(fot_token) == 890_000
