"""settleBatch(): bad vouchers are skipped with the exact custom error they would revert
with (values included), good ones settle, and nothing in the batch calls out but ERC-1271."""

import ape
from meterkit import DAY, ERR, FAR, ZERO, batch, channel_id, error, settled, skips

from seedbed.core.constants import ETH
from seedbed.workflows.meter import suite_decoder


def send(meter, signed, sender):
    args = batch(signed)
    expected = meter.settleBatch.call(*args, sender=sender)
    return expected, meter.settleBatch(*args, sender=sender)


def test_a_mixed_batch_skips_each_bad_voucher_with_its_error_and_settles_the_good(
    suite, meter, license_token, chain, licensed, signer, deposit, alice, bob, gateway, stranger
):
    paid = licensed(alice, unit_price=10)
    second = licensed(alice, unit_price=10)
    capped = licensed(alice, unit_price=10, max_units=5)
    broke = licensed(bob, unit_price=10)
    short = licensed(alice, unit_price=10, duration=DAY)
    for lic in (paid, second, capped, short):
        deposit(alice, lic, 10_000)
    meter.open(broke, gateway, ZERO, 0, sender=bob)
    now = chain.blocks.head.timestamp + 10 * DAY
    short_closes = license_token.expiresAt(short) + meter.GRACE_PERIOD()

    vouchers = [
        signer(alice, paid, 20),
        signer(alice, paid, 10),  # below the 20 just settled in this same batch
        signer(bob, second, 5, payer=alice),
        signer(alice, second, 5, deadline=now - 1),
        signer(alice, 999, 1),
        signer(alice, capped, 6),
        signer(bob, broke, 1),
        signer(alice, paid, 30, operator=stranger),
        signer(alice, short, 1),
        signer(alice, second, 5),
    ]
    chain.mine(timestamp=now)  # the static call in `send` runs on this block
    chain.pending_timestamp = now + 1  # and the transaction in the next
    (count, total), receipt = send(meter, vouchers, gateway)
    assert (count, total) == (2, 250)

    c = lambda lic, payer=alice, op=gateway: channel_id(lic, payer, op)  # noqa: E731
    expected = [
        (c(paid), paid, error(ERR["stale"], c(paid), 10, 20)),
        (c(second), second, error(ERR["signature"], second, alice.address, alice.address)),
        (c(second), second, error(ERR["expired"], second, now - 1, now + 1)),
        (c(999), 999, error(ERR["no_channel"], c(999))),
        (c(capped), capped, error(ERR["cap"], c(capped), 6, 5)),
        (c(broke, bob), broke, error(ERR["reserve"], c(broke, bob), 0, 10)),
        (c(paid, alice, stranger), paid, error(ERR["no_channel"], c(paid, alice, stranger))),
        (c(short), short, error(ERR["closed"], short, alice.address, short_closes)),
    ]
    assert skips(meter, receipt) == expected
    assert [(s[0], s[1], s[2]) for s in settled(meter, receipt)] == [
        (c(paid), 20, 200),
        (c(second), 5, 50),
    ]
    assert meter.channel(paid, alice, gateway).reserve == 10_000 - 200

    decoder = suite_decoder(suite)
    decoded = [decoder.decode(reason) for _, _, reason in expected]
    assert [d.name for d in decoded] == [
        "UsageMeterStaleVoucher",
        "UsageMeterBadSignature",
        "UsageMeterVoucherExpired",
        "UsageMeterNoChannel",
        "UsageMeterUnitsAboveCap",
        "UsageMeterInsufficientReserve",
        "UsageMeterNoChannel",
        "UsageMeterChannelClosed",
    ]


def test_one_channel_twice_in_a_batch_settles_both_steps(
    meter, signer, licensed, deposit, alice, gateway
):
    lic = licensed(alice, unit_price=10)
    deposit(alice, lic, 1_000)
    (count, total), receipt = send(meter, [signer(alice, lic, 10), signer(alice, lic, 25)], gateway)
    assert [(s[1], s[4]) for s in settled(meter, receipt)] == [(10, 10), (15, 25)]
    assert (count, total) == (2, 250)


def test_a_batch_of_only_bad_vouchers_settles_nothing_and_does_not_revert(
    meter, signer, licensed, deposit, alice, bob, gateway
):
    lic = licensed(alice, unit_price=10)
    deposit(alice, lic, 1_000)
    (count, total), receipt = send(
        meter, [signer(bob, lic, 1, payer=alice), signer(alice, lic, 1000)], gateway
    )
    assert (count, total) == (0, 0)
    assert len(skips(meter, receipt)) == 2
    assert meter.channel(lic, alice, gateway).reserve == 1_000


def test_a_batch_over_many_channels_conserves_the_books(
    meter, asset_id, licensed, signer, deposit, alice, bob, gateway
):
    lics = [licensed(p, unit_price=10, service_bps=1_000) for p in (alice, bob, alice)]
    payers = [alice, bob, alice]
    for lic, p in zip(lics, payers, strict=True):
        deposit(p, lic, 1_000)
    held, owed = meter.totalHeld(ETH), meter.owedToAsset(asset_id, ETH)
    vouchers = [
        signer(p, lic, 10 * (i + 1)) for i, (lic, p) in enumerate(zip(lics, payers, strict=True))
    ]
    (count, total), _ = send(meter, vouchers, gateway)
    assert (count, total) == (3, 600)
    assert meter.totalHeld(ETH) == held
    assert meter.earningsOf(gateway, ETH) == 60
    assert meter.owedToAsset(asset_id, ETH) - owed == 540
    reserves = [meter.channel(lic, p, gateway).reserve for lic, p in zip(lics, payers, strict=True)]
    assert reserves == [900, 800, 700]


def test_mismatched_lengths_revert(meter, signer, licensed, alice, gateway):
    lic = licensed(alice, unit_price=10)
    vouchers, signatures = batch([signer(alice, lic, 1), signer(alice, lic, 2)])
    with ape.reverts(meter.UsageMeterBatchMismatch, vouchers=2, signatures=1):
        meter.settleBatch(vouchers, signatures[:1], sender=gateway)


def test_a_batch_above_the_maximum_reverts(meter, alice, gateway):
    assert meter.MAX_BATCH() == 256
    vouchers = [(1, alice.address, gateway.address, 1, FAR)] * 257
    with ape.reverts(meter.UsageMeterBatchTooLarge, count=257, max=256):
        meter.settleBatch(vouchers, [b""] * 257, sender=gateway)


def test_an_empty_batch_does_nothing(meter, gateway):
    receipt = meter.settleBatch([], [], sender=gateway)
    assert not list(receipt.events)
