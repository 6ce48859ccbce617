"""settle(): every rule of a voucher (signature, domain, payer, operator, staleness,
deadline, channel close, unit limit, reserve) with the exact custom error, and what a good one
charges and emits. A refused voucher changes nothing."""

import ape
import pytest
from eth_keys import keys
from meterkit import DAY, UINT64_MAX, as_args, channel_id, settled

from seedbed.core.constants import ETH
from seedbed.core.errors import InputError
from seedbed.core.signatures import SECP256K1_N
from seedbed.core.vouchers import digest, recover


@pytest.fixture
def funded(licensed, deposit, alice):
    """A perpetual ETH license of alice at 10 wei/unit, with 10_000 wei in its gateway channel."""
    license_id = licensed(alice, unit_price=10)
    deposit(alice, license_id, 10_000)
    return license_id


def test_anyone_settles_a_voucher_which_moves_its_reserve_to_the_assets_books(
    meter, vault, asset_id, signer, funded, alice, gateway, stranger
):
    voucher = signer(alice, funded, 25)
    held, owed, vault_before = meter.totalHeld(ETH), meter.owedToAsset(asset_id, ETH), vault.balance
    assert meter.settle.call(*as_args(voucher), sender=stranger) == 250
    receipt = meter.settle(*as_args(voucher), sender=stranger)
    cid = channel_id(funded, alice, gateway)
    assert receipt.events == [meter.UsageSettled(cid, funded, 25, 250, 0, 25, True)]
    view = meter.channel(funded, alice, gateway)
    assert (view.reserve, view.units) == (9_750, 25)
    assert meter.owedToAsset(asset_id, ETH) - owed == 250
    assert meter.totalHeld(ETH) == held  # moved between the meter's own books
    assert vault.balance == vault_before  # no external call: payAsset pushes it later


def test_a_later_voucher_charges_only_the_units_above_the_last(
    meter, signer, funded, alice, gateway
):
    meter.settle(*as_args(signer(alice, funded, 25)), sender=gateway)
    receipt = meter.settle(*as_args(signer(alice, funded, 40)), sender=gateway)
    [log] = receipt.events.filter(meter.UsageSettled)
    assert (log.units, log.amount, log.cumulativeUnits) == (15, 150, 40)
    assert meter.channel(funded, alice, gateway).reserve == 10_000 - 400


def test_a_replayed_or_older_voucher_is_stale(meter, signer, funded, alice, gateway):
    old, new = signer(alice, funded, 10), signer(alice, funded, 30)
    meter.settle(*as_args(old), sender=gateway)
    meter.settle(*as_args(new), sender=gateway)
    cid = channel_id(funded, alice, gateway)
    for voucher, units in ((old, 10), (new, 30), (signer(alice, funded, 0), 0)):
        with ape.reverts(
            meter.UsageMeterStaleVoucher, channelId=cid, cumulativeUnits=units, unitsCharged=30
        ):
            meter.settle(*as_args(voucher), sender=gateway)
    assert meter.channel(funded, alice, gateway).reserve == 10_000 - 300


@pytest.mark.parametrize("domain", ["chain", "meter"])
def test_a_voucher_signed_for_another_domain_is_a_bad_signature(
    meter, vault, signer, funded, alice, gateway, domain
):
    other = {"chain": {"chain_id": 1}, "meter": {"meter_address": vault.address}}[domain]
    voucher = signer(alice, funded, 5, **other)
    with ape.reverts(
        meter.UsageMeterBadSignature, licenseId=funded, payer=alice.address, signer=alice.address
    ):
        meter.settle(*as_args(voucher), sender=gateway)
    assert meter.channel(funded, alice, gateway).reserve == 10_000


@pytest.mark.parametrize("field", ["licenseId", "cumulativeUnits", "deadline"])
def test_a_tampered_field_breaks_the_signature(
    meter, licensed, deposit, signer, funded, alice, gateway, field
):
    other_license = licensed(
        alice, unit_price=10
    )  # also alice's and funded: only the signature fails
    deposit(alice, other_license, 1_000)
    good = signer(alice, funded, 5)
    (license_id, payer, operator, units, deadline), signature = as_args(good)
    tampered = {
        "licenseId": (other_license, payer, operator, units, deadline),
        "cumulativeUnits": (license_id, payer, operator, units + 1, deadline),
        "deadline": (license_id, payer, operator, units, deadline - 1),
    }[field]
    with ape.reverts(
        meter.UsageMeterBadSignature,
        licenseId=tampered[0],
        payer=alice.address,
        signer=alice.address,
    ):
        meter.settle(tampered, signature, sender=gateway)
    meter.settle(*as_args(good), sender=gateway)  # the original still settles


def test_a_malleable_high_s_signature_is_rejected(suite, meter, signer, funded, alice, gateway):
    good = signer(alice, funded, 5)
    r, s, v = good.signature[:32], int.from_bytes(good.signature[32:64], "big"), good.signature[64]
    twin_v = 55 - v  # 27 <-> 28: the other point with the same x
    flipped = r + (SECP256K1_N - s).to_bytes(32, "big") + bytes([twin_v])
    twin = keys.Signature(vrs=(twin_v - 27, int.from_bytes(r, "big"), SECP256K1_N - s))
    message_hash = digest(good.voucher, suite.chain_id, meter.address)
    assert (
        twin.recover_public_key_from_msg_hash(message_hash).to_checksum_address() == alice.address
    )
    with pytest.raises(InputError, match="high s"):
        recover(good.voucher, suite.chain_id, meter.address, flipped)
    with ape.reverts(
        meter.UsageMeterBadSignature, licenseId=funded, payer=alice.address, signer=alice.address
    ):
        meter.settle(as_args(good)[0], flipped, sender=gateway)


@pytest.mark.parametrize("length", [0, 64, 66])
def test_a_signature_of_the_wrong_length_is_a_bad_signature(
    meter, signer, funded, alice, gateway, length
):
    good = signer(alice, funded, 5)
    signature = (good.signature + b"\x00")[:length]
    with ape.reverts(
        meter.UsageMeterBadSignature, licenseId=funded, payer=alice.address, signer=alice.address
    ):
        meter.settle(as_args(good)[0], signature, sender=gateway)


def test_a_voucher_signed_by_someone_else_is_a_bad_signature(
    meter, signer, funded, alice, bob, gateway
):
    with ape.reverts(
        meter.UsageMeterBadSignature, licenseId=funded, payer=alice.address, signer=alice.address
    ):
        meter.settle(*as_args(signer(bob, funded, 5, payer=alice)), sender=gateway)


def test_a_voucher_for_a_channel_never_opened_is_refused(
    meter, signer, funded, alice, bob, gateway, stranger
):
    for payer, operator in ((bob, gateway), (alice, stranger)):
        with ape.reverts(meter.UsageMeterNoChannel, channelId=channel_id(funded, payer, operator)):
            meter.settle(*as_args(signer(payer, funded, 1, operator=operator)), sender=gateway)
    with ape.reverts(meter.UsageMeterNoChannel, channelId=channel_id(999, alice, gateway)):
        meter.settle(*as_args(signer(alice, 999, 1)), sender=gateway)


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
    meter, license_token, chain, licensed, signer, deposit, alice, gateway
):
    license_id = licensed(alice, unit_price=10, duration=2 * DAY)
    deposit(alice, license_id, 1_000)
    expires_at = license_token.usageTerms(license_id).expiresAt
    closes = expires_at + meter.GRACE_PERIOD()
    chain.pending_timestamp = expires_at + 1  # expired: no longer valid, still settleable
    meter.settle(*as_args(signer(alice, license_id, 3)), sender=gateway)
    assert not license_token.isValid(license_id)
    chain.pending_timestamp = closes
    meter.settle(*as_args(signer(alice, license_id, 5)), sender=gateway)
    chain.pending_timestamp = closes + 1
    with ape.reverts(
        meter.UsageMeterChannelClosed, licenseId=license_id, payer=alice.address, closesAt=closes
    ):
        meter.settle(*as_args(signer(alice, license_id, 6)), sender=gateway)
    assert meter.channel(license_id, alice, gateway).units == 5
    with ape.reverts(
        meter.UsageMeterChannelClosed, licenseId=license_id, payer=alice.address, closesAt=closes
    ):
        deposit(alice, license_id, 1)


# ------------------------------------------------------------------------------ terms


def test_units_above_the_channel_limit_are_refused_up_to_it_they_settle(
    meter, licensed, signer, deposit, alice, gateway
):
    license_id = licensed(alice, unit_price=10, max_units=100)
    deposit(alice, license_id, 10_000)
    cid = channel_id(license_id, alice, gateway)
    with ape.reverts(
        meter.UsageMeterUnitsAboveCap, channelId=cid, cumulativeUnits=101, unitLimit=100
    ):
        meter.settle(*as_args(signer(alice, license_id, 101)), sender=gateway)
    meter.settle(*as_args(signer(alice, license_id, 100)), sender=gateway)
    assert meter.channel(license_id, alice, gateway).units == 100


def test_units_beyond_uint64_are_above_the_limit_of_an_unlimited_license(
    meter, signer, funded, alice, gateway
):
    with ape.reverts(
        meter.UsageMeterUnitsAboveCap,
        channelId=channel_id(funded, alice, gateway),
        cumulativeUnits=UINT64_MAX + 1,
        unitLimit=UINT64_MAX,
    ):
        meter.settle(*as_args(signer(alice, funded, UINT64_MAX + 1)), sender=gateway)


def test_a_charge_above_the_reserve_is_refused_with_both_amounts(
    meter, signer, funded, alice, gateway
):
    with ape.reverts(
        meter.UsageMeterInsufficientReserve,
        channelId=channel_id(funded, alice, gateway),
        available=10_000,
        needed=10_010,
    ):
        meter.settle(*as_args(signer(alice, funded, 1_001)), sender=gateway)
    meter.settle(*as_args(signer(alice, funded, 1_000)), sender=gateway)
    assert meter.channel(funded, alice, gateway).reserve == 0


def test_a_free_license_counts_units_and_moves_no_money(
    meter, asset_id, licensed, signer, alice, gateway
):
    license_id = licensed(alice, unit_price=0)
    meter.open(license_id, gateway, alice, 0, sender=alice)
    owed = meter.owedToAsset(asset_id, ETH)
    receipt = meter.settle(*as_args(signer(alice, license_id, 7)), sender=gateway)
    assert settled(meter, receipt) == [(channel_id(license_id, alice, gateway), 7, 0, 0, 7, True)]
    assert meter.owedToAsset(asset_id, ETH) == owed


# ------------------------------------------------------------------------------ ERC-20


def test_a_token_license_settles_from_its_token_reserve(
    meter, token, asset_id, licensed, signer, alice, gateway
):
    license_id = licensed(alice, unit_price=10**15, currency=token.address)
    token.mint(alice, 10**18, sender=alice)
    token.approve(meter, 10**18, sender=alice)
    meter.deposit(license_id, gateway, 10**18, sender=alice)
    for units in (100, 250):
        meter.settle(*as_args(signer(alice, license_id, units)), sender=gateway)
    assert meter.channel(license_id, alice, gateway).reserve == 10**18 - 250 * 10**15
    assert meter.owedToAsset(asset_id, token) == 250 * 10**15
    assert token.balanceOf(meter) == meter.totalHeld(token) == 10**18
