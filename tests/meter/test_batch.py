"""settleBatch(): bad vouchers are skipped with the exact custom error they would revert
with, good ones settle, and consecutive charges to one (asset, currency) reach the vault as
one payment."""

import ape
from eth_abi import encode
from eth_utils import keccak
from meterkit import DAY, FAR

from seedbed.core.constants import COMMERCIAL, ETH
from seedbed.workflows.meter import batch_args, suite_decoder


def error(signature, *values):
    """The ABI encoding of a custom error, as VoucherSkipped carries it."""
    types = signature[signature.index("(") + 1 : -1].split(",") if values else []
    return keccak(text=signature)[:4] + encode(types, list(values))


def send(meter, signed, sender):
    vouchers, signatures = batch_args(signed)
    expected = meter.settleBatch.call(vouchers, signatures, sender=sender)
    return expected, meter.settleBatch(vouchers, signatures, sender=sender)


def test_a_mixed_batch_skips_each_bad_voucher_with_its_error_and_settles_the_good(
    suite, meter, license_token, chain, licensed, signer, alice, bob, gateway
):
    paid = licensed(alice, unit_price=10)
    second = licensed(alice, unit_price=10)
    capped = licensed(alice, unit_price=10, max_units=5)
    broke = licensed(bob, unit_price=10)
    commercial = licensed(alice, unit_price=10, scopes=COMMERCIAL)
    short = licensed(alice, unit_price=10, duration=DAY)
    meter.deposit(ETH, 10_000, value=10_000, sender=alice)
    now = chain.blocks.head.timestamp + 10 * DAY
    short_expiry = license_token.expiresAt(short)

    batch = [
        signer(alice, paid, 20),
        signer(alice, paid, 10),  # below the 20 just settled in this same batch
        signer(bob, second, 5),
        signer(alice, second, 5, deadline=now - 1),
        signer(alice, 999, 1),
        signer(alice, capped, 6),
        signer(bob, broke, 1),
        signer(alice, commercial, 1),
        signer(alice, short, 1),
        signer(alice, second, 5),
    ]
    chain.mine(timestamp=now)  # the static call in `send` runs on this block
    chain.pending_timestamp = now + 1  # and the transaction in the next
    (count, total), receipt = send(meter, batch, gateway)
    assert (count, total) == (2, 250)

    U = "uint256"
    expected_skips = [
        (paid, error(f"UsageMeterStaleVoucher({U},{U},{U})", paid, 10, 20)),
        (second, error(f"UsageMeterBadSignature({U},address)", second, alice.address)),
        (second, error(f"UsageMeterVoucherExpired({U},{U},{U})", second, now - 1, now + 1)),
        (999, error(f"LicenseTokenUnknownLicense({U})", 999)),
        (capped, error(f"UsageMeterUnitsAboveCap({U},{U},{U})", capped, 6, 5)),
        (
            broke,
            error(
                f"UsageMeterInsufficientEscrow(address,address,{U},{U})", bob.address, ETH, 0, 10
            ),
        ),
        (commercial, error("UsageMeterScopeMissing(uint256,uint8)", commercial, COMMERCIAL)),
        (
            short,
            error(
                f"UsageMeterLicenseClosed({U},{U},{U})", short, short_expiry, short_expiry + 7 * DAY
            ),
        ),
    ]
    skipped = list(receipt.events.filter(meter.VoucherSkipped))
    assert [(log.licenseId, bytes(log.reason)) for log in skipped] == expected_skips
    settled = [
        (log.licenseId, log.units, log.amount) for log in receipt.events.filter(meter.UsageSettled)
    ]
    assert settled == [(paid, 20, 200), (second, 5, 50)]
    assert meter.escrowOf(alice, ETH) == 10_000 - 250

    # The library decodes every reason by selector, values included.
    decoder = suite_decoder(suite)
    decoded = [decoder.decode(bytes(log.reason)) for log in skipped]
    assert [d.name for d in decoded] == [
        "UsageMeterStaleVoucher",
        "UsageMeterBadSignature",
        "UsageMeterVoucherExpired",
        "LicenseTokenUnknownLicense",
        "UsageMeterUnitsAboveCap",
        "UsageMeterInsufficientEscrow",
        "UsageMeterScopeMissing",
        "UsageMeterLicenseClosed",
    ]
    assert decoded[0].args == {"licenseId": paid, "cumulativeUnits": 10, "unitsUsed": 20}
    assert decoded[5].args["available"] == 0 and decoded[5].args["needed"] == 10


def test_consecutive_charges_to_one_asset_and_currency_are_paid_in_one_payment(
    meter, vault, asset_id, register_asset, make_offer, buy, signer, publisher, alice, gateway
):
    other_asset, _ = register_asset(publisher, {alice.address: 1})
    on_a, on_b = make_offer(unit_price=10), make_offer(unit_price=100, asset=other_asset)
    a1, a2, a3, b1 = buy(on_a, alice), buy(on_a, alice), buy(on_a, alice), buy(on_b, alice)
    meter.deposit(ETH, 100_000, value=100_000, sender=alice)

    batch = [
        signer(alice, a1, 1),
        signer(alice, a2, 2),
        signer(alice, 999, 1),  # a skipped voucher does not break the run
        signer(alice, a3, 3),
        signer(alice, b1, 4),
        signer(alice, a1, 5),
    ]
    (count, total), receipt = send(meter, batch, gateway)
    payments = [(log.assetId, log.amount) for log in receipt.events.filter(vault.Paid)]
    assert payments == [(asset_id, 60), (other_asset, 400), (asset_id, 40)]
    assert (count, total) == (5, 500)
    assert vault.accrued(other_asset, ETH) == 400


def test_one_license_twice_in_a_batch_settles_both_steps(
    meter, vault, signer, licensed, alice, gateway
):
    license_id = licensed(alice, unit_price=10)
    meter.deposit(ETH, 1_000, value=1_000, sender=alice)
    (count, total), receipt = send(
        meter, [signer(alice, license_id, 10), signer(alice, license_id, 25)], gateway
    )
    units = [(log.units, log.cumulativeUnits) for log in receipt.events.filter(meter.UsageSettled)]
    assert units == [(10, 10), (15, 25)]
    assert [log.amount for log in receipt.events.filter(vault.Paid)] == [250]
    assert (count, total) == (2, 250)


def test_a_batch_of_only_bad_vouchers_settles_nothing_and_does_not_revert(
    meter, vault, signer, licensed, alice, bob, gateway
):
    license_id = licensed(alice, unit_price=10)
    (count, total), receipt = send(
        meter, [signer(bob, license_id, 1), signer(alice, license_id, 1)], gateway
    )
    assert (count, total) == (0, 0)
    assert len(list(receipt.events.filter(meter.VoucherSkipped))) == 2
    assert not list(receipt.events.filter(vault.Paid))


def test_mismatched_lengths_revert(meter, signer, licensed, alice, gateway):
    license_id = licensed(alice, unit_price=10)
    vouchers, signatures = batch_args([signer(alice, license_id, 1), signer(alice, license_id, 2)])
    with ape.reverts(meter.UsageMeterBatchMismatch, vouchers=2, signatures=1):
        meter.settleBatch(vouchers, signatures[:1], sender=gateway)


def test_a_batch_above_the_maximum_reverts(meter, gateway):
    assert meter.MAX_BATCH() == 256
    vouchers = [(1, 1, FAR)] * 257
    with ape.reverts(meter.UsageMeterBatchTooLarge, count=257, max=256):
        meter.settleBatch(vouchers, [b""] * 257, sender=gateway)


def test_an_empty_batch_does_nothing(meter, gateway):
    receipt = meter.settleBatch([], [], sender=gateway)
    assert not list(receipt.events)
