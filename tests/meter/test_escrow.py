"""Escrow: deposits in ETH and ERC-20 (credited by what arrived), and two-step withdrawals
that settlements may still draw on during the delay."""

import ape
import pytest
from eth_utils import keccak
from meterkit import DAY, as_args

from seedbed.core.constants import ETH

# -------------------------------------------------------------------------------- deposits


def test_eth_deposit_credits_escrow_and_total_and_emits_the_new_escrow(meter, alice, bob):
    before = meter.balance
    first = meter.deposit(ETH, 300, value=300, sender=alice)
    second = meter.deposit(ETH, 200, value=200, sender=alice)
    meter.deposit(ETH, 50, value=50, sender=bob)
    assert meter.escrowOf(alice, ETH) == 500
    assert meter.escrowOf(bob, ETH) == 50
    assert meter.totalEscrow(ETH) == 550
    assert meter.balance - before == 550
    assert first.events == [meter.Deposited(alice, ETH, 300, 300)]
    assert second.events == [meter.Deposited(alice, ETH, 200, 500)]


def test_deposit_refuses_zero_and_a_value_that_does_not_match(meter, token, alice):
    with ape.reverts(meter.UsageMeterZeroAmount):
        meter.deposit(ETH, 0, sender=alice)
    with ape.reverts(meter.UsageMeterWrongValue, sent=99, expected=100):
        meter.deposit(ETH, 100, value=99, sender=alice)
    with ape.reverts(meter.UsageMeterWrongValue, sent=5, expected=0):
        meter.deposit(token, 100, value=5, sender=alice)
    assert meter.escrowOf(alice, ETH) == 0
    assert meter.totalEscrow(ETH) == 0


def test_token_deposit_credits_the_amount_transferred(meter, token, alice):
    token.mint(alice, 10**20, sender=alice)
    token.approve(meter, 10**20, sender=alice)
    receipt = meter.deposit(token, 7 * 10**18, sender=alice)
    assert meter.escrowOf(alice, token) == 7 * 10**18
    assert meter.totalEscrow(token) == token.balanceOf(meter) == 7 * 10**18
    assert meter.Deposited(alice, token, 7 * 10**18, 7 * 10**18) in receipt.events


def test_fee_on_transfer_deposit_credits_what_arrived_not_what_was_sent(meter, fot_token, alice):
    fot_token.mint(alice, 10_000, sender=alice)
    fot_token.approve(meter, 10_000, sender=alice)
    receipt = meter.deposit(fot_token, 1_000, sender=alice)
    assert fot_token.balanceOf(meter) == 990  # 1% burned on the way
    assert meter.escrowOf(alice, fot_token) == 990
    assert meter.totalEscrow(fot_token) == 990
    assert meter.Deposited(alice, fot_token, 990, 990) in receipt.events


def test_a_token_that_delivers_nothing_is_refused(project, meter, deployer, alice):
    everything_burned = deployer.deploy(project.FeeOnTransferToken, 10_000)
    everything_burned.mint(alice, 500, sender=alice)
    everything_burned.approve(meter, 500, sender=alice)
    with ape.reverts(
        meter.UsageMeterNothingArrived, currency=everything_burned.address, requested=500
    ):
        meter.deposit(everything_burned, 500, sender=alice)
    assert meter.escrowOf(alice, everything_burned) == 0


# ----------------------------------------------------------------------------- withdrawals


def test_withdrawal_waits_exactly_the_delay_then_pays_and_emits(meter, chain, alice):
    meter.deposit(ETH, 1_000, value=1_000, sender=alice)
    requested = meter.requestWithdrawal(ETH, 600, sender=alice)
    ready_at = chain.blocks.head.timestamp + DAY
    assert meter.WITHDRAWAL_DELAY() == DAY
    assert requested.events == [meter.WithdrawalRequested(alice, ETH, 600, ready_at)]
    assert meter.withdrawalOf(alice, ETH) == (600, ready_at)

    chain.pending_timestamp = ready_at - 1
    with ape.reverts(
        meter.UsageMeterWithdrawalNotReady,
        account=alice.address,
        currency=ETH,
        readyAt=ready_at,
        nowTime=ready_at - 1,
    ):
        meter.completeWithdrawal(ETH, sender=alice)

    chain.pending_timestamp = ready_at
    before = alice.balance
    done = meter.completeWithdrawal(ETH, sender=alice)
    assert alice.balance == before + 600 - done.total_fees_paid
    assert done.events == [meter.Withdrawn(alice, ETH, 600, 400)]
    assert meter.escrowOf(alice, ETH) == 400
    assert meter.totalEscrow(ETH) == 400
    assert meter.withdrawalOf(alice, ETH) == (0, 0)
    with ape.reverts(meter.UsageMeterNoWithdrawalRequested, account=alice.address, currency=ETH):
        meter.completeWithdrawal(ETH, sender=alice)


def test_withdrawal_request_is_checked_against_escrow(meter, alice, bob):
    meter.deposit(ETH, 100, value=100, sender=alice)
    with ape.reverts(meter.UsageMeterZeroAmount):
        meter.requestWithdrawal(ETH, 0, sender=alice)
    with ape.reverts(
        meter.UsageMeterInsufficientEscrow,
        account=alice.address,
        currency=ETH,
        available=100,
        needed=101,
    ):
        meter.requestWithdrawal(ETH, 101, sender=alice)
    with ape.reverts(meter.UsageMeterNoWithdrawalRequested, account=bob.address, currency=ETH):
        meter.completeWithdrawal(ETH, sender=bob)


def test_a_new_request_replaces_the_old_one_and_restarts_the_clock(meter, chain, alice):
    meter.deposit(ETH, 100, value=100, sender=alice)
    meter.requestWithdrawal(ETH, 30, sender=alice)
    chain.pending_timestamp += DAY // 2
    meter.requestWithdrawal(ETH, 70, sender=alice)
    ready_at = chain.blocks.head.timestamp + DAY
    assert meter.withdrawalOf(alice, ETH) == (70, ready_at)


def test_withdrawal_racing_a_settlement_pays_only_what_is_left(
    meter, chain, licensed, signer, alice, gateway
):
    """The holder asks for everything; the gateway settles during the delay; completing
    pays only the escrow the settlement left."""
    license_id = licensed(alice, unit_price=10)
    meter.deposit(ETH, 1_000, value=1_000, sender=alice)
    meter.requestWithdrawal(ETH, 1_000, sender=alice)
    chain.pending_timestamp += DAY - 60  # still inside the delay
    meter.settle(*as_args(signer(alice, license_id, 35)), sender=gateway)
    assert meter.escrowOf(alice, ETH) == 650

    chain.pending_timestamp += 60
    before = alice.balance
    done = meter.completeWithdrawal(ETH, sender=alice)
    assert done.events == [meter.Withdrawn(alice, ETH, 650, 0)]
    assert alice.balance == before + 650 - done.total_fees_paid
    assert meter.escrowOf(alice, ETH) == 0
    assert meter.totalEscrow(ETH) == 0


def test_withdrawal_fully_consumed_by_settlements_pays_zero(
    meter, chain, licensed, signer, alice, gateway
):
    license_id = licensed(alice, unit_price=10)
    meter.deposit(ETH, 100, value=100, sender=alice)
    meter.requestWithdrawal(ETH, 100, sender=alice)
    meter.settle(*as_args(signer(alice, license_id, 10)), sender=gateway)
    chain.pending_timestamp += DAY
    done = meter.completeWithdrawal(ETH, sender=alice)
    assert done.events == [meter.Withdrawn(alice, ETH, 0, 0)]
    assert meter.withdrawalOf(alice, ETH) == (0, 0)


@pytest.mark.parametrize("fee_bps", [0, 100])
def test_token_withdrawal_returns_tokens_and_debits_the_escrow(
    project, meter, chain, deployer, alice, fee_bps
):
    coin = deployer.deploy(project.FeeOnTransferToken, fee_bps)
    coin.mint(alice, 10_000, sender=alice)
    coin.approve(meter, 10_000, sender=alice)
    meter.deposit(coin, 10_000, sender=alice)
    credited = meter.escrowOf(alice, coin)
    meter.requestWithdrawal(coin, 5_000, sender=alice)
    chain.pending_timestamp += DAY
    done = meter.completeWithdrawal(coin, sender=alice)
    assert meter.Withdrawn(alice, coin, 5_000, credited - 5_000) in done.events
    assert coin.balanceOf(alice) == 5_000 - 5_000 * fee_bps // 10_000
    assert coin.balanceOf(meter) == meter.totalEscrow(coin) == credited - 5_000


def test_withdrawal_cannot_be_reentered_by_the_receiver(project, meter, chain, deployer):
    """A receiver that calls completeWithdrawal again from its receive() is refused by the
    guard; the one withdrawal completes once."""
    receiver = deployer.deploy(project.ReentrantReceiver)
    receiver.call(meter, 500, meter.deposit.encode_input(ETH, 500), value=500, sender=deployer)
    receiver.call(meter, 0, meter.requestWithdrawal.encode_input(ETH, 300), sender=deployer)
    chain.pending_timestamp += DAY
    receiver.arm(meter, meter.completeWithdrawal.encode_input(ETH), sender=deployer)
    receiver.call(meter, 0, meter.completeWithdrawal.encode_input(ETH), sender=deployer)
    assert receiver.attempted()
    assert not receiver.reentered()
    assert receiver.lastError() == keccak(text="ReentrancyGuardReentrantCall()")[:4]
    assert meter.escrowOf(receiver, ETH) == 200
    assert receiver.balance == 300


def test_a_receiver_that_refuses_eth_keeps_its_escrow_and_its_request(
    project, meter, chain, accounts, deployer
):
    """The payout reverts with TransferFailed and nothing is lost: escrow and request stay."""
    receiver = deployer.deploy(project.RevertingReceiver)
    chain.provider.set_balance(receiver.address, 10**18)
    as_receiver = accounts[receiver.address]  # impersonated: the contract sends transactions
    meter.deposit(ETH, 100, value=100, sender=as_receiver)
    meter.requestWithdrawal(ETH, 60, sender=as_receiver)
    ready_at = meter.withdrawalOf(receiver, ETH).readyAt
    chain.pending_timestamp += DAY
    with ape.reverts(meter.UsageMeterTransferFailed, currency=ETH, to=receiver.address, amount=60):
        meter.completeWithdrawal(ETH, sender=as_receiver)
    assert meter.escrowOf(receiver, ETH) == meter.totalEscrow(ETH) == 100
    assert meter.withdrawalOf(receiver, ETH) == (60, ready_at)
