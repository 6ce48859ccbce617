"""Reserves: deposits into a channel in ETH and ERC-20 (credited by what arrived, hostile
tokens refused), and the two-step, one-time withdrawal that settlements may still draw on
during the delay."""

import ape
import pytest
from eth_utils import keccak
from meterkit import ZERO, as_args, channel_id

from seedbed.core.constants import ETH

# -------------------------------------------------------------------------------- deposits


def test_eth_deposit_opens_the_channel_credits_the_reserve_and_emits(
    meter, licensed, alice, bob, gateway
):
    lic = licensed(alice, unit_price=10)
    before, held = meter.balance, meter.totalHeld(ETH)
    first = meter.deposit(lic, gateway, 300, value=300, sender=alice)
    second = meter.deposit(lic, gateway, 200, value=200, sender=alice)
    cid = channel_id(lic, alice, gateway)
    assert [log.event_name for log in first.events] == ["ChannelOpened", "Deposited"]
    assert first.events[1] == meter.Deposited(cid, 300, 300)
    assert second.events == [meter.Deposited(cid, 200, 500)]
    assert meter.channel(lic, alice, gateway).reserve == 500
    assert meter.signerOf(lic, alice) == alice.address  # the default signer: the payer
    assert meter.totalHeld(ETH) - held == 500 == meter.balance - before
    other = licensed(bob, unit_price=10)
    meter.deposit(other, gateway, 50, value=50, sender=bob)
    assert meter.channel(other, bob, gateway).reserve == 50
    assert meter.channel(lic, alice, gateway).reserve == 500


def test_deposit_refuses_zero_a_wrong_value_and_a_non_holder(
    meter, token, licensed, alice, bob, gateway
):
    lic = licensed(alice, unit_price=10)
    tlic = licensed(alice, unit_price=10, currency=token.address)
    held = meter.totalHeld(ETH)
    with ape.reverts(meter.UsageMeterZeroAmount):
        meter.deposit(lic, gateway, 0, sender=alice)
    with ape.reverts(meter.UsageMeterWrongValue, sent=99, expected=100):
        meter.deposit(lic, gateway, 100, value=99, sender=alice)
    with ape.reverts(meter.UsageMeterWrongValue, sent=5, expected=0):
        meter.deposit(tlic, gateway, 100, value=5, sender=alice)
    with ape.reverts(
        meter.UsageMeterNotHolder, licenseId=lic, caller=bob.address, holder=alice.address
    ):
        meter.deposit(lic, gateway, 100, value=100, sender=bob)
    with ape.reverts(meter.UsageMeterNoOperator, licenseId=lic):
        meter.deposit(lic, ZERO, 100, value=100, sender=alice)
    assert meter.channel(lic, alice, gateway).unitLimit == 0
    assert meter.totalHeld(ETH) == held


def test_token_deposit_credits_the_amount_transferred(meter, token, licensed, alice, gateway):
    lic = licensed(alice, unit_price=10, currency=token.address)
    token.mint(alice, 10**20, sender=alice)
    token.approve(meter, 10**20, sender=alice)
    receipt = meter.deposit(lic, gateway, 7 * 10**18, sender=alice)
    assert meter.channel(lic, alice, gateway).reserve == 7 * 10**18
    assert meter.totalHeld(token) == token.balanceOf(meter) == 7 * 10**18
    assert (
        meter.Deposited(channel_id(lic, alice, gateway), 7 * 10**18, 7 * 10**18) in receipt.events
    )


def test_fee_on_transfer_deposit_credits_what_arrived_not_what_was_sent(
    meter, fot_token, licensed, alice, gateway
):
    lic = licensed(alice, unit_price=10, currency=fot_token.address)
    fot_token.mint(alice, 10_000, sender=alice)
    fot_token.approve(meter, 10_000, sender=alice)
    receipt = meter.deposit(lic, gateway, 1_000, sender=alice)
    assert fot_token.balanceOf(meter) == 990  # 1% burned on the way
    assert meter.channel(lic, alice, gateway).reserve == meter.totalHeld(fot_token) == 990
    assert meter.Deposited(channel_id(lic, alice, gateway), 990, 990) in receipt.events
    assert meter.deposit.call(lic, gateway, 1_000, sender=alice) == 990


def test_a_token_that_delivers_nothing_is_refused(
    project, meter, licensed, deployer, alice, gateway
):
    burned = deployer.deploy(project.FeeOnTransferToken, 10_000)
    lic = licensed(alice, unit_price=10, currency=burned.address)
    burned.mint(alice, 500, sender=alice)
    burned.approve(meter, 500, sender=alice)
    with ape.reverts(meter.UsageMeterNothingArrived, currency=burned.address, requested=500):
        meter.deposit(lic, gateway, 500, sender=alice)
    assert meter.channel(lic, alice, gateway).reserve == 0
    assert meter.totalHeld(burned) == 0


@pytest.mark.parametrize("no_return", [False, True], ids=["returns-false", "returns-nothing"])
def test_a_false_returning_token_is_refused_when_it_fails_and_credited_when_it_pays(
    project, meter, licensed, deployer, alice, gateway, no_return
):
    coin = deployer.deploy(project.FalseReturningToken, no_return)
    lic = licensed(alice, unit_price=10, currency=coin.address)
    coin.mint(alice, 1_000, sender=alice)
    # Not approved: the token says false (or reverts): nothing is credited.
    with ape.reverts():
        meter.deposit(lic, gateway, 1_000, sender=alice)
    assert meter.totalHeld(coin) == 0 and coin.balanceOf(meter) == 0
    coin.approve(meter, 1_000, sender=alice)
    meter.deposit(lic, gateway, 1_000, sender=alice)
    assert (
        meter.channel(lic, alice, gateway).reserve
        == meter.totalHeld(coin)
        == coin.balanceOf(meter)
        == 1_000
    )


def test_a_reserve_cannot_pass_uint128(meter, token, licensed, alice, gateway):
    lic = licensed(alice, unit_price=10, currency=token.address)
    big = 2**128 - 1
    token.mint(alice, big + 1, sender=alice)
    token.approve(meter, big + 1, sender=alice)
    meter.deposit(lic, gateway, big, sender=alice)
    with ape.reverts(meter.UsageMeterReserveTooLarge, reserve=2**128):
        meter.deposit(lic, gateway, 1, sender=alice)
    assert meter.channel(lic, alice, gateway).reserve == big == meter.totalHeld(token)


# ----------------------------------------------------------------------------- withdrawals


def test_withdrawal_waits_exactly_the_delay_then_pays_and_emits(
    chain, meter, licensed, deposit, alice, gateway
):
    lic = licensed(alice, unit_price=10)
    deposit(alice, lic, 1_000)
    cid = channel_id(lic, alice, gateway)
    requested = meter.requestWithdrawal(lic, gateway, 600, sender=alice)
    ready_at = chain.blocks[requested.block_number].timestamp + meter.WITHDRAWAL_DELAY()
    window_end = ready_at + meter.WITHDRAWAL_WINDOW()
    assert meter.WITHDRAWAL_DELAY() == 2 * 86_400 and meter.GRACE_PERIOD() == 86_400
    assert requested.events == [meter.WithdrawalRequested(cid, 600, ready_at, window_end)]
    view = meter.channel(lic, alice, gateway)
    assert (view.withdrawalAmount, view.readyAt, view.windowEnd) == (600, ready_at, window_end)

    chain.pending_timestamp = ready_at - 1
    with ape.reverts(
        meter.UsageMeterWithdrawalNotReady, channelId=cid, readyAt=ready_at, nowTime=ready_at - 1
    ):
        meter.completeWithdrawal(lic, gateway, sender=alice)
    chain.pending_timestamp = ready_at
    before, held = alice.balance, meter.totalHeld(ETH)
    done = meter.completeWithdrawal(lic, gateway, sender=alice)
    assert alice.balance == before + 600 - done.total_fees_paid
    assert done.events == [meter.Withdrawn(cid, alice, 600, 400)]
    assert meter.channel(lic, alice, gateway).reserve == 400
    assert held - meter.totalHeld(ETH) == 600
    view = meter.channel(lic, alice, gateway)
    assert (view.withdrawalAmount, view.readyAt, view.windowEnd) == (0, 0, 0)
    with ape.reverts(meter.UsageMeterNoWithdrawalRequested, channelId=cid):
        meter.completeWithdrawal(lic, gateway, sender=alice)


def test_withdrawal_requests_are_checked_against_the_reserve(
    meter, licensed, deposit, alice, bob, gateway
):
    lic = licensed(alice, unit_price=10)
    deposit(alice, lic, 100)
    cid = channel_id(lic, alice, gateway)
    with ape.reverts(meter.UsageMeterZeroAmount):
        meter.requestWithdrawal(lic, gateway, 0, sender=alice)
    with ape.reverts(meter.UsageMeterInsufficientReserve, channelId=cid, available=100, needed=101):
        meter.requestWithdrawal(lic, gateway, 101, sender=alice)
    bobs = channel_id(lic, bob, gateway)
    with ape.reverts(meter.UsageMeterInsufficientReserve, channelId=bobs, available=0, needed=1):
        meter.requestWithdrawal(lic, gateway, 1, sender=bob)
    with ape.reverts(meter.UsageMeterNoWithdrawalRequested, channelId=bobs):
        meter.completeWithdrawal(lic, gateway, sender=bob)
    with ape.reverts(meter.UsageMeterNoWithdrawalRequested, channelId=cid):
        meter.cancelWithdrawal(lic, gateway, sender=alice)
    assert meter.channel(lic, alice, gateway).readyAt == 0


def test_a_new_request_replaces_the_old_one_and_restarts_the_clock(
    chain, meter, licensed, deposit, alice, gateway
):
    lic = licensed(alice, unit_price=10)
    deposit(alice, lic, 100)
    meter.requestWithdrawal(lic, gateway, 30, sender=alice)
    chain.pending_timestamp += 3_600
    again = meter.requestWithdrawal(lic, gateway, 70, sender=alice)
    ready_at = chain.blocks[again.block_number].timestamp + meter.WITHDRAWAL_DELAY()
    view = meter.channel(lic, alice, gateway)
    assert (view.withdrawalAmount, view.readyAt) == (70, ready_at)


def test_cancel_removes_the_request(chain, meter, licensed, deposit, alice, gateway):
    lic = licensed(alice, unit_price=10)
    deposit(alice, lic, 100)
    meter.requestWithdrawal(lic, gateway, 30, sender=alice)
    cid = channel_id(lic, alice, gateway)
    receipt = meter.cancelWithdrawal(lic, gateway, sender=alice)
    assert receipt.events == [meter.WithdrawalCancelled(cid)]
    chain.pending_timestamp += meter.WITHDRAWAL_DELAY()
    with ape.reverts(meter.UsageMeterNoWithdrawalRequested, channelId=cid):
        meter.completeWithdrawal(lic, gateway, sender=alice)
    assert meter.channel(lic, alice, gateway).reserve == 100


def test_withdrawal_racing_a_settlement_pays_only_what_is_left(
    meter, chain, licensed, signer, deposit, alice, gateway
):
    """The payer asks for everything; the gateway settles during the delay; completing pays
    only the reserve the settlement left."""
    lic = licensed(alice, unit_price=10)
    deposit(alice, lic, 1_000)
    meter.requestWithdrawal(lic, gateway, 1_000, sender=alice)
    ready_at = meter.channel(lic, alice, gateway).readyAt
    chain.pending_timestamp = ready_at - 60  # still inside the delay
    meter.settle(*as_args(signer(alice, lic, 35)), sender=gateway)
    assert meter.channel(lic, alice, gateway).reserve == 650
    chain.pending_timestamp = ready_at
    before = alice.balance
    done = meter.completeWithdrawal(lic, gateway, sender=alice)
    assert done.events == [meter.Withdrawn(channel_id(lic, alice, gateway), alice, 650, 0)]
    assert alice.balance == before + 650 - done.total_fees_paid
    assert meter.channel(lic, alice, gateway).reserve == 0


def test_withdrawal_fully_consumed_by_settlements_pays_zero(
    meter, chain, licensed, signer, deposit, alice, gateway
):
    lic = licensed(alice, unit_price=10)
    deposit(alice, lic, 100)
    meter.requestWithdrawal(lic, gateway, 100, sender=alice)
    meter.settle(*as_args(signer(alice, lic, 10)), sender=gateway)
    chain.pending_timestamp += meter.WITHDRAWAL_DELAY()
    done = meter.completeWithdrawal(lic, gateway, sender=alice)
    assert done.events == [meter.Withdrawn(channel_id(lic, alice, gateway), alice, 0, 0)]
    assert meter.channel(lic, alice, gateway).readyAt == 0


@pytest.mark.parametrize("fee_bps", [0, 100])
def test_token_withdrawal_returns_tokens_and_debits_the_reserve(
    project, meter, chain, licensed, deployer, alice, gateway, fee_bps
):
    coin = deployer.deploy(project.FeeOnTransferToken, fee_bps)
    lic = licensed(alice, unit_price=10, currency=coin.address)
    coin.mint(alice, 10_000, sender=alice)
    coin.approve(meter, 10_000, sender=alice)
    meter.deposit(lic, gateway, 10_000, sender=alice)
    credited = meter.channel(lic, alice, gateway).reserve
    meter.requestWithdrawal(lic, gateway, 5_000, sender=alice)
    chain.pending_timestamp += meter.WITHDRAWAL_DELAY()
    done = meter.completeWithdrawal(lic, gateway, sender=alice)
    assert (
        meter.Withdrawn(channel_id(lic, alice, gateway), alice, 5_000, credited - 5_000)
        in done.events
    )
    assert coin.balanceOf(alice) == 5_000 - 5_000 * fee_bps // 10_000
    assert coin.balanceOf(meter) == meter.totalHeld(coin) == credited - 5_000


def _wallet_license(meter, license_token, make_offer, receiver, deployer):
    offer = make_offer(unit_price=10)
    receipt = receiver.call(
        license_token, 0, license_token.buy.encode_input(offer, receiver, 0), sender=deployer
    )
    return receipt.events.filter(license_token.LicenseBought)[0].licenseId


def test_withdrawal_cannot_be_reentered_by_the_receiver(
    project, meter, chain, license_token, make_offer, deployer, gateway
):
    """A receiver that calls completeWithdrawal again from its receive() is refused by the
    guard; the one withdrawal completes once."""
    receiver = deployer.deploy(project.ReentrantReceiver)
    lic = _wallet_license(meter, license_token, make_offer, receiver, deployer)
    receiver.call(
        meter, 500, meter.deposit.encode_input(lic, gateway, 500), value=500, sender=deployer
    )
    receiver.call(
        meter, 0, meter.requestWithdrawal.encode_input(lic, gateway, 300), sender=deployer
    )
    chain.pending_timestamp += meter.WITHDRAWAL_DELAY()
    complete = meter.completeWithdrawal.encode_input(lic, gateway)
    receiver.arm(meter, complete, sender=deployer)
    receiver.call(meter, 0, complete, sender=deployer)
    assert receiver.attempted()
    assert not receiver.reentered()
    assert receiver.lastError() == keccak(text="ReentrancyGuardReentrantCall()")[:4]
    assert meter.channel(lic, receiver, gateway).reserve == 200
    assert receiver.balance == 300


def test_a_receiver_that_refuses_eth_keeps_its_reserve_and_its_request(
    project, meter, chain, license_token, make_offer, accounts, deployer, gateway
):
    """The payout reverts with TransferFailed and nothing is lost: reserve and request stay."""
    receiver = deployer.deploy(project.RevertingReceiver)
    chain.provider.set_balance(receiver.address, 10**18)
    as_receiver = accounts[receiver.address]  # impersonated: the contract sends transactions
    offer = make_offer(unit_price=10)
    lic = (
        license_token.buy(offer, deployer, 0, sender=deployer)
        .events.filter(license_token.LicenseBought)[0]
        .licenseId
    )
    license_token.transferFrom(deployer, receiver, lic, sender=deployer)
    meter.deposit(lic, gateway, 100, value=100, sender=as_receiver)
    meter.requestWithdrawal(lic, gateway, 60, sender=as_receiver)
    ready_at = meter.channel(lic, receiver, gateway).readyAt
    chain.pending_timestamp = ready_at
    held = meter.totalHeld(ETH)
    with ape.reverts(meter.UsageMeterTransferFailed, currency=ETH, to=receiver.address, amount=60):
        meter.completeWithdrawal(lic, gateway, sender=as_receiver)
    view = meter.channel(lic, receiver, gateway)
    assert (view.reserve, view.withdrawalAmount, view.readyAt) == (100, 60, ready_at)
    assert meter.totalHeld(ETH) == held


def test_a_payer_who_left_the_license_still_withdraws_its_reserve(
    chain, meter, license_token, licensed, deposit, alice, bob, gateway
):
    lic = licensed(alice, unit_price=10)
    deposit(alice, lic, 100)
    license_token.transferFrom(alice, bob, lic, sender=alice)
    meter.requestWithdrawal(lic, gateway, 100, sender=alice)
    chain.pending_timestamp += meter.WITHDRAWAL_DELAY()
    done = meter.completeWithdrawal(lic, gateway, sender=alice)
    assert meter.Withdrawn(channel_id(lic, alice, gateway), alice, 100, 0) in done.events
