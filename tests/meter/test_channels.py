"""Channels (license, payer, operator): opening, two gateways on one payer and license, a
capped license's units allotted per channel and released, transfers, the operator's service
share, payAsset into the vault and withdrawEarnings."""

import ape
import pytest
from meterkit import (
    DAY,
    ERR,
    UINT40_MAX,
    UINT64_MAX,
    ZERO,
    as_args,
    batch,
    channel_id,
    error,
    settled,
    skips,
)

from seedbed.core.constants import COMMERCIAL, ETH


@pytest.fixture(scope="session")
def gateway2(accounts):
    """A second gateway operator."""
    return accounts[8]


# ------------------------------------------------------------------------------- open


def test_open_fixes_the_signer_caches_the_terms_and_emits_the_channel(
    chain, meter, asset_id, licensed, alice, gateway, gateway2, stranger
):
    lic = licensed(alice, unit_price=10, service_bps=1_500)
    assert meter.metered(lic).opened is False
    assert meter.unitsUnallotted(lic) == UINT64_MAX
    assert meter.signerOf(lic, alice) == ZERO
    receipt = meter.open(lic, gateway, stranger, 0, sender=alice)
    cid = channel_id(lic, alice, gateway)
    assert receipt.events == [
        meter.ChannelOpened(cid, lic, alice, gateway, stranger, UINT64_MAX, UINT40_MAX)
    ]
    m = meter.metered(lic)
    assert (
        m.currency,
        m.assetId,
        m.serviceBps,
        m.unitPrice,
        m.maxUnits,
        m.unitsAllotted,
        m.opened,
    ) == (
        ETH,
        asset_id,
        1_500,
        10,
        0,
        0,
        True,
    )
    view = meter.channel(lic, alice, gateway)
    assert (view.reserve, view.units, view.unitLimit, view.signer, view.held) == (
        0,
        0,
        UINT64_MAX,
        stranger.address,
        True,
    )
    # The signer is per (license, payer): a second channel ignores the one it names.
    second = meter.open(lic, gateway2, ZERO, 0, sender=alice)
    assert [log.signer for log in second.events.filter(meter.ChannelOpened)] == [stranger.address]
    assert bytes(meter.channelId(lic, alice, gateway)) == cid


def test_open_refuses_each_bad_input_and_changes_nothing(
    chain, meter, license_token, licensed, alice, bob, gateway
):
    lic = licensed(alice, unit_price=10)
    with ape.reverts(
        meter.UsageMeterNotHolder, licenseId=lic, caller=bob.address, holder=alice.address
    ):
        meter.open(lic, gateway, ZERO, 0, sender=bob)
    with ape.reverts(meter.UsageMeterNoOperator, licenseId=lic):
        meter.open(lic, ZERO, ZERO, 0, sender=alice)
    with ape.reverts(license_token.LicenseTokenUnknownLicense, licenseId=99_999):
        meter.open(99_999, gateway, ZERO, 0, sender=alice)
    commercial = licensed(alice, unit_price=10, scopes=COMMERCIAL)
    with ape.reverts(meter.UsageMeterScopeMissing, licenseId=commercial, scopes=COMMERCIAL):
        meter.open(commercial, gateway, ZERO, 0, sender=alice)
    short = licensed(alice, unit_price=10, duration=DAY)
    expires = license_token.expiresAt(short)
    chain.pending_timestamp = expires
    with ape.reverts(meter.UsageMeterLicenseExpired, licenseId=short, expiresAt=expires):
        meter.open(short, gateway, ZERO, 0, sender=alice)
    for bad in (lic, commercial, short):
        assert meter.metered(bad).opened is False
        assert meter.channel(bad, alice, gateway).unitLimit == 0
    meter.open(lic, gateway, ZERO, 0, sender=alice)
    with ape.reverts(meter.UsageMeterChannelExists, channelId=channel_id(lic, alice, gateway)):
        meter.open(lic, gateway, ZERO, 0, sender=alice)


def test_a_timed_license_channel_closes_grace_after_expiry(
    meter, license_token, licensed, alice, gateway
):
    lic = licensed(alice, unit_price=10, duration=2 * DAY)
    receipt = meter.open(lic, gateway, ZERO, 0, sender=alice)
    closes = license_token.expiresAt(lic) + meter.GRACE_PERIOD()
    assert [log.closesAt for log in receipt.events.filter(meter.ChannelOpened)] == [closes]
    assert meter.channel(lic, alice, gateway).closesAt == closes


# ------------------------------------------------------------------------ two gateways


def test_two_gateways_on_one_payer_and_license_are_paid_independently(
    meter, licensed, signer, deposit, alice, gateway, gateway2
):
    """Each gateway's accepted vouchers settle whatever the other settles: separate reserves
    and separate cumulative counters."""
    lic = licensed(alice, unit_price=10)
    deposit(alice, lic, 1_000, operator=gateway)
    deposit(alice, lic, 500, operator=gateway2)
    first = [signer(alice, lic, n, operator=gateway) for n in (10, 50, 100)]
    second = [signer(alice, lic, n, operator=gateway2) for n in (20, 50)]
    meter.settle(*as_args(second[1]), sender=gateway2)  # the other gateway goes first, fully
    meter.settle(*as_args(first[2]), sender=gateway)
    one, two = meter.channel(lic, alice, gateway), meter.channel(lic, alice, gateway2)
    assert (one.units, one.reserve, two.units, two.reserve) == (100, 0, 50, 0)
    # Each counter is its own: gateway's older vouchers are stale only against its own 100.
    with ape.reverts(
        meter.UsageMeterStaleVoucher,
        channelId=channel_id(lic, alice, gateway),
        cumulativeUnits=50,
        unitsCharged=100,
    ):
        meter.settle(*as_args(first[1]), sender=gateway)


def test_a_capped_licenses_units_are_allotted_per_channel(
    chain, meter, licensed, signer, deposit, alice, gateway, gateway2, stranger
):
    lic = licensed(alice, unit_price=1, max_units=100)
    receipt = meter.open(lic, gateway, ZERO, 30, sender=alice)
    assert [log.unitLimit for log in receipt.events.filter(meter.ChannelOpened)] == [30]
    assert meter.unitsUnallotted(lic) == 70
    with ape.reverts(meter.UsageMeterNoUnitsLeft, licenseId=lic, asked=80, left=70):
        meter.open(lic, gateway2, ZERO, 80, sender=alice)
    meter.open(lic, gateway2, ZERO, 0, sender=alice)  # 0 = all that are left
    assert meter.channel(lic, alice, gateway2).unitLimit == 70
    assert (meter.metered(lic).maxUnits, meter.metered(lic).unitsAllotted) == (100, 100)
    with ape.reverts(meter.UsageMeterNoUnitsLeft, licenseId=lic, asked=0, left=0):
        meter.open(lic, stranger, ZERO, 0, sender=alice)
    deposit(alice, lic, 1_000, operator=gateway)
    cid = channel_id(lic, alice, gateway)
    with ape.reverts(
        meter.UsageMeterUnitsAboveCap, channelId=cid, cumulativeUnits=31, unitLimit=30
    ):
        meter.settle(*as_args(signer(alice, lic, 31)), sender=gateway)
    meter.settle(*as_args(signer(alice, lic, 30)), sender=gateway)


def test_an_emptied_reserve_releases_its_unused_units(
    chain, meter, licensed, deposit, alice, gateway, gateway2
):
    lic = licensed(alice, unit_price=1, max_units=100)
    deposit(alice, lic, 50)  # opens with all 100 units
    assert meter.unitsUnallotted(lic) == 0
    meter.requestWithdrawal(lic, gateway, 50, sender=alice)
    chain.pending_timestamp += meter.WITHDRAWAL_DELAY()
    done = meter.completeWithdrawal(lic, gateway, sender=alice)
    cid = channel_id(lic, alice, gateway)
    assert meter.UnitsReleased(cid, 100) in done.events
    assert meter.unitsUnallotted(lic) == 100
    meter.open(lic, gateway2, ZERO, 0, sender=alice)  # another gateway may have them now
    assert meter.channel(lic, alice, gateway2).unitLimit == 100


def test_a_closed_channels_units_are_released_to_the_next_holder(
    chain, meter, license_token, licensed, signer, deposit, alice, bob, gateway, stranger
):
    lic = licensed(alice, unit_price=1, max_units=100)
    deposit(alice, lic, 1_000)
    meter.settle(*as_args(signer(alice, lic, 40)), sender=gateway)
    moved = license_token.transferFrom(alice, bob, lic, sender=alice)
    closes = chain.blocks[moved.block_number].timestamp + meter.GRACE_PERIOD()
    cid = channel_id(lic, alice, gateway)
    with ape.reverts(meter.UsageMeterNoUnitsLeft, licenseId=lic, asked=0, left=0):
        meter.open(lic, gateway, ZERO, 0, sender=bob)
    chain.pending_timestamp = closes
    with ape.reverts(meter.UsageMeterChannelOpen, channelId=cid, closesAt=closes):
        meter.releaseUnits(lic, alice, gateway, sender=stranger)
    with ape.reverts(meter.UsageMeterNoChannel, channelId=channel_id(lic, bob, gateway)):
        meter.releaseUnits(lic, bob, gateway, sender=stranger)
    chain.mine(timestamp=closes + 1)
    assert meter.releaseUnits.call(lic, alice, gateway, sender=stranger) == 60
    receipt = meter.releaseUnits(lic, alice, gateway, sender=stranger)
    assert receipt.events == [meter.UnitsReleased(cid, 60)]
    assert meter.releaseUnits.call(lic, alice, gateway, sender=stranger) == 0  # once
    meter.open(lic, gateway, ZERO, 0, sender=bob)
    assert meter.channel(lic, bob, gateway).unitLimit == 60
    # Alice's reserve is still hers to withdraw.
    assert meter.channel(lic, alice, gateway).reserve == 960


def test_a_used_channel_whose_units_were_released_can_be_given_units_again(
    chain, meter, licensed, signer, deposit, alice, gateway
):
    """After a withdrawal empties a capped channel that charged some units, its unused units go
    back to the license. The payer should be able to use that gateway again (open or deposit
    allot units anew, as `_open`'s "reopen" path intends) — not be locked out of it for ever."""
    lic = licensed(alice, unit_price=1, max_units=100)
    deposit(alice, lic, 50)
    meter.settle(*as_args(signer(alice, lic, 10)), sender=gateway)
    meter.requestWithdrawal(lic, gateway, 40, sender=alice)
    chain.pending_timestamp += meter.WITHDRAWAL_DELAY()
    meter.completeWithdrawal(lic, gateway, sender=alice)
    assert meter.channel(lic, alice, gateway).unitLimit == 10
    assert meter.unitsUnallotted(lic) == 90
    # The top-up of a channel out of units reopens it with every unit left.
    receipt = deposit(alice, lic, 50)
    assert len(receipt.events.filter(meter.ChannelOpened)) == 1
    assert meter.channel(lic, alice, gateway).unitLimit == 100
    assert meter.unitsUnallotted(lic) == 0
    meter.settle(*as_args(signer(alice, lic, 60)), sender=gateway)
    assert meter.channel(lic, alice, gateway).reserve == 0
    # A channel with units left is not reopened.
    with ape.reverts(meter.UsageMeterChannelExists):
        meter.open(lic, gateway, ZERO, 0, sender=alice)


# ------------------------------------------------------------------------------ transfers


def test_only_the_license_token_reports_transfers(meter, licensed, alice, bob, stranger):
    lic = licensed(alice, unit_price=1)
    meter.open(lic, stranger, ZERO, 0, sender=alice)
    with ape.reverts(meter.UsageMeterNotLicense, caller=stranger.address):
        meter.onLicenseTransfer(lic, alice, bob, 0, sender=stranger)
    assert meter.channel(lic, alice, stranger).held


def test_a_license_that_comes_back_reopens_its_holders_channels(
    chain, meter, license_token, licensed, signer, deposit, alice, bob, gateway
):
    lic = licensed(alice, unit_price=1)
    deposit(alice, lic, 100)
    license_token.transferFrom(alice, bob, lic, sender=alice)
    back = license_token.transferFrom(bob, alice, lic, sender=bob)
    assert back.events.filter(meter.HolderReturned) == [
        meter.HolderReturned(lic, alice, UINT40_MAX)
    ]
    assert not back.events.filter(meter.HolderLeft)  # bob never opened a channel
    chain.pending_timestamp += meter.GRACE_PERIOD() + 1
    deposit(alice, lic, 1)
    meter.settle(*as_args(signer(alice, lic, 5)), sender=gateway)
    assert meter.channel(lic, alice, gateway).reserve == 96


# --------------------------------------------------------------------------- service share


def test_the_service_share_goes_to_the_vouchers_operator_in_the_same_transaction(
    meter, asset_id, licensed, signer, deposit, alice, gateway, stranger
):
    lic = licensed(alice, unit_price=100, service_bps=2_500)
    deposit(alice, lic, 10_000)
    owed_before = meter.owedToAsset(asset_id, ETH)
    receipt = meter.settle(*as_args(signer(alice, lic, 7)), sender=stranger)  # anyone submits
    assert settled(meter, receipt) == [(channel_id(lic, alice, gateway), 7, 700, 175, 7, True)]
    assert meter.earningsOf(gateway, ETH) == 175
    assert meter.earningsOf(stranger, ETH) == 0
    assert meter.owedToAsset(asset_id, ETH) - owed_before == 525


def test_the_submitter_cannot_redirect_the_share(
    meter, licensed, signer, deposit, alice, gateway, gateway2, stranger
):
    """The operator is signed into the voucher: pointing it at another operator is another
    channel, absent (NoChannel) or not signed for (BadSignature)."""
    lic = licensed(alice, unit_price=100, service_bps=5_000)
    deposit(alice, lic, 10_000)
    good = signer(alice, lic, 7)
    v = good.voucher
    to_stranger = (v.license_id, v.payer, stranger.address, 7, v.deadline)
    with ape.reverts(meter.UsageMeterNoChannel, channelId=channel_id(lic, alice, stranger)):
        meter.settle(to_stranger, good.signature, sender=stranger)
    deposit(alice, lic, 10_000, operator=gateway2)
    to_gateway2 = (v.license_id, v.payer, gateway2.address, 7, v.deadline)
    with ape.reverts(
        meter.UsageMeterBadSignature, licenseId=lic, payer=alice.address, signer=alice.address
    ):
        meter.settle(to_gateway2, good.signature, sender=gateway2)
    assert meter.earningsOf(gateway2, ETH) == 0
    meter.settle(*as_args(good), sender=stranger)
    assert meter.earningsOf(gateway, ETH) == 350


def test_withdraw_earnings_pays_the_operator_once(
    meter, licensed, signer, deposit, alice, gateway, stranger
):
    lic = licensed(alice, unit_price=100, service_bps=1_000)
    deposit(alice, lic, 10_000)
    meter.settle(*as_args(signer(alice, lic, 30)), sender=gateway)
    held = meter.totalHeld(ETH)
    before = stranger.balance
    assert meter.withdrawEarnings.call(ETH, stranger, sender=gateway) == 300
    receipt = meter.withdrawEarnings(ETH, stranger, sender=gateway)
    assert receipt.events == [meter.EarningsWithdrawn(gateway, ETH, stranger, 300)]
    assert stranger.balance - before == 300
    assert meter.totalHeld(ETH) == held - 300
    with ape.reverts(meter.UsageMeterZeroAmount):
        meter.withdrawEarnings(ETH, stranger, sender=gateway)
    with ape.reverts(meter.UsageMeterZeroAmount):
        meter.withdrawEarnings(ETH, stranger, sender=stranger)


def test_earnings_sent_to_a_refusing_receiver_stay_owed(
    project, deployer, meter, licensed, signer, deposit, alice, gateway
):
    refuser = deployer.deploy(project.RevertingReceiver)
    lic = licensed(alice, unit_price=100, service_bps=1_000)
    deposit(alice, lic, 10_000)
    meter.settle(*as_args(signer(alice, lic, 30)), sender=gateway)
    with ape.reverts(meter.UsageMeterTransferFailed, currency=ETH, to=refuser.address, amount=300):
        meter.withdrawEarnings(ETH, refuser, sender=gateway)
    assert meter.earningsOf(gateway, ETH) == 300


def test_meter_on_chain_credits_the_channels_operator_too(meter, licensed, deposit, alice, gateway):
    lic = licensed(alice, unit_price=100, service_bps=3_000)
    deposit(alice, lic, 10_000)
    receipt = meter.meter(lic, gateway, 4, sender=alice)
    assert settled(meter, receipt) == [(channel_id(lic, alice, gateway), 4, 400, 120, 4, False)]
    assert meter.earningsOf(gateway, ETH) == 120


# ------------------------------------------------------------------------------ payAsset


def test_pay_asset_pushes_what_is_owed_into_the_vault(
    meter,
    vault,
    register_asset,
    make_offer,
    buy,
    signer,
    deposit,
    publisher,
    alice,
    gateway,
    stranger,
):
    asset, _ = register_asset(publisher, {alice.address: 1})
    lic = buy(make_offer(unit_price=100, asset=asset, service_bps=1_000), alice)
    deposit(alice, lic, 10_000)
    meter.settle(*as_args(signer(alice, lic, 50)), sender=gateway)
    assert meter.owedToAsset(asset, ETH) == 4_500
    held, vault_held = meter.totalHeld(ETH), vault.held(ETH)
    meter_before, vault_before = meter.balance, vault.balance
    receipt = meter.payAsset(asset, ETH, sender=stranger)
    assert meter.AssetPaid(asset, ETH, 4_500) in receipt.events
    assert vault.Paid(asset, ETH, meter, 4_500, 4_500, 0, 0) in receipt.events
    assert meter.owedToAsset(asset, ETH) == 0
    assert meter.totalHeld(ETH) == held - 4_500
    assert meter_before - meter.balance == 4_500 == vault.balance - vault_before
    assert vault.held(ETH) - vault_held == 4_500
    assert vault.accrued(asset, ETH) == 4_500
    with ape.reverts(meter.UsageMeterNothingOwed, assetId=asset, currency=ETH):
        meter.payAsset(asset, ETH, sender=stranger)


def test_pay_asset_in_a_fee_on_transfer_token_keeps_both_books(
    meter, vault, fot_token, register_asset, make_offer, buy, signer, publisher, alice, gateway
):
    asset, _ = register_asset(publisher, {alice.address: 1})
    lic = buy(make_offer(unit_price=1_000, asset=asset, currency=fot_token.address), alice)
    fot_token.mint(alice, 1_000_000, sender=alice)
    fot_token.approve(meter, 1_000_000, sender=alice)
    meter.deposit(lic, gateway, 1_000_000, sender=alice)  # 990_000 arrive
    meter.settle(*as_args(signer(alice, lic, 100)), sender=gateway)
    receipt = meter.payAsset(asset, fot_token, sender=gateway)
    assert meter.AssetPaid(asset, fot_token, 100_000) in receipt.events
    [paid] = receipt.events.filter(vault.Paid)
    assert paid.amount == 99_000  # the vault credits what reached it
    assert fot_token.balanceOf(meter) == meter.totalHeld(fot_token) == 890_000
    assert fot_token.balanceOf(vault) >= vault.held(fot_token)


def test_a_batch_skips_an_entry_whose_operator_has_no_channel_and_pays_the_rest(
    meter, licensed, signer, deposit, alice, gateway, stranger
):
    lic = licensed(alice, unit_price=10, service_bps=1_000)
    deposit(alice, lic, 1_000)
    vouchers = [signer(alice, lic, 5, operator=stranger), signer(alice, lic, 5)]
    receipt = meter.settleBatch(*batch(vouchers), sender=gateway)
    cid = channel_id(lic, alice, stranger)
    assert skips(meter, receipt) == [(cid, lic, error(ERR["no_channel"], cid))]
    assert meter.earningsOf(gateway, ETH) == 5
