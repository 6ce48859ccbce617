"""One named regression per attack of issue 13, each showing the attack no longer works on
UsageMeter v2 (every one of them worked on v1), plus hostile-party tests."""

import ape
import pytest
from meterkit import (
    DAY,
    ERR,
    FAR,
    ZERO,
    as_args,
    batch,
    channel_id,
    error,
    settled,
    skips,
)

from seedbed.core.constants import DATASET, ETH, INFER, SIGNATURE_GAS

U = "uint256"


@pytest.fixture
def wallet(project, deployer, bob):
    """A ContractWallet owned by bob."""
    return deployer.deploy(project.ContractWallet, bob)


def wallet_buys(wallet, license_token, offer, owner):
    receipt = wallet.execute(
        license_token, 0, license_token.buy.encode_input(offer, wallet, 0), sender=owner
    )
    return receipt.events.filter(license_token.LicenseBought)[0].licenseId


def wallet_deposits(wallet, meter, license_id, operator, amount, owner):
    data = meter.deposit.encode_input(license_id, operator, amount)
    return wallet.execute(meter, amount, data, value=amount, sender=owner)


# ------------------------------------------------------------------ (a) one-transaction escape


def test_attack_a_one_transaction_escape_through_a_throwaway_asset_leaves_the_reserve(
    chain,
    meter,
    vault,
    registry,
    license_token,
    make_offer,
    signer,
    contributors_of,
    wallet,
    bob,
    gateway,
):
    """v1: a contract wallet registered an asset it alone contributes to, sold itself a free
    license priced at its whole escrow, metered one unit and claimed the money back, all in one
    transaction, so the gateway's accepted voucher then failed. v2: the throw-away license has
    its own (empty) channel; the real reserve only pays its own vouchers or leaves after the
    delay."""
    real = wallet_buys(wallet, license_token, make_offer(unit_price=10), bob)
    wallet_deposits(wallet, meter, real, gateway, 10_000, bob)
    accepted = signer(bob, real, 1_000, payer=wallet)  # charges 10_000: exactly covered

    people = contributors_of({wallet.address: 1})
    weight, proof = people.proof(wallet)
    asset = registry.assetCount() + 1
    offer = license_token.offerCount() + 1
    throwaway = license_token.licenseCount() + 1
    terms = (asset, ETH, 0, 10_000, 0, 0, INFER, 0, False, 0, 0)
    root = b"\x5a" * 32
    calls = [
        (
            registry,
            registry.register.encode_input(
                DATASET, root, bytes(32), people.top, "ipfs://x", b"\x11" * 32, []
            ),
        ),
        (license_token, license_token.createOffer.encode_input(terms)),
        (license_token, license_token.buy.encode_input(offer, wallet, 0)),
        (meter, meter.meter.encode_input(throwaway, gateway, 1)),  # v1's drain
        (meter, meter.open.encode_input(throwaway, gateway, ZERO, 0)),
        (meter, meter.meter.encode_input(throwaway, gateway, 1)),
        (meter, meter.requestWithdrawal.encode_input(real, gateway, 10_000)),
        (meter, meter.completeWithdrawal.encode_input(real, gateway)),
        (vault, vault.claim.encode_input(asset, ETH, wallet, weight, proof)),
    ]
    receipt = wallet.executeAll(
        [c[0].address for c in calls], [0] * len(calls), [c[1] for c in calls], sender=bob
    )
    now = chain.blocks[receipt.block_number].timestamp
    results = [(log.ok, bytes(log.returned)) for log in receipt.events.filter(wallet.CallResult)]
    assert [ok for ok, _ in results] == [True, True, True, False, True, False, True, False, False]
    real_channel = channel_id(real, wallet, gateway)
    other_channel = channel_id(throwaway, wallet, gateway)
    ready_at = now + meter.WITHDRAWAL_DELAY()
    assert results[3][1] == error(ERR["no_channel"], other_channel)
    assert results[5][1] == error(ERR["reserve"], other_channel, 0, 10_000)
    assert results[7][1] == error(
        f"UsageMeterWithdrawalNotReady(bytes32,{U},{U})", real_channel, ready_at, now
    )
    assert results[8][1] == error(
        f"RoyaltyVaultNothingToClaim({U},address,address)", asset, ETH, wallet.address
    )
    assert meter.channel(real, wallet, gateway).reserve == 10_000
    assert meter.owedToAsset(asset, ETH) == 0

    # The gateway's accepted voucher settles in full, pending withdrawal or not.
    done = meter.settle(*as_args(accepted), sender=gateway)
    assert settled(meter, done) == [(real_channel, 1_000, 10_000, 0, 1_000, True)]
    chain.pending_timestamp = ready_at
    out = wallet.execute(meter, 0, meter.completeWithdrawal.encode_input(real, gateway), sender=bob)
    assert meter.Withdrawn(real_channel, wallet, 0, 0) in out.events


# ------------------------------------------------------------------ (b) license transfer


def test_attack_b_a_transfer_neither_voids_alices_vouchers_nor_charges_the_new_holder(
    chain, meter, license_token, licensed, signer, deposit, alice, bob, gateway
):
    """v1: after a transfer Alice's unsettled vouchers failed (checked against the new holder)
    and the new holder's cumulative vouchers paid for Alice's units. v2: Alice's channel keeps
    settling for GRACE_PERIOD after the transfer; Bob's channel starts at 0 and only Bob's
    signatures move it."""
    lic = licensed(alice, unit_price=10)
    deposit(alice, lic, 10_000)
    accepted = signer(alice, lic, 600)  # 6_000 of 10_000
    meter.requestWithdrawal(lic, gateway, 10_000, sender=alice)  # she also tries to leave
    ready_at = meter.channel(lic, alice, gateway).readyAt

    moved = license_token.transferFrom(alice, bob, lic, sender=alice)
    closes = chain.blocks[moved.block_number].timestamp + meter.GRACE_PERIOD()
    assert meter.HolderLeft(lic, alice, closes) in moved.events
    assert ready_at >= closes  # the delay is never shorter than the grace period
    view = meter.channel(lic, alice, gateway)
    assert (view.held, view.closesAt, view.reserve, view.units) == (False, closes, 10_000, 0)

    deposit(bob, lic, 5_000)
    bobs = meter.channel(lic, bob, gateway)
    assert (bobs.units, bobs.reserve, bobs.signer, bobs.held) == (0, 5_000, bob.address, True)
    # Alice's signature cannot touch Bob's channel, re-pointed or freshly signed.
    repointed = (lic, bob.address, gateway.address, 600, FAR)
    with ape.reverts(
        meter.UsageMeterBadSignature, licenseId=lic, payer=bob.address, signer=bob.address
    ):
        meter.settle(repointed, accepted.signature, sender=gateway)
    with ape.reverts(
        meter.UsageMeterBadSignature, licenseId=lic, payer=bob.address, signer=bob.address
    ):
        meter.settle(*as_args(signer(alice, lic, 600, payer=bob)), sender=gateway)
    with ape.reverts(meter.UsageMeterNotHeld, licenseId=lic, payer=alice.address):
        deposit(alice, lic, 1)

    chain.pending_timestamp = closes  # the last second of Alice's window
    done = meter.settle(*as_args(accepted), sender=gateway)
    assert [s[2] for s in settled(meter, done)] == [6_000]
    later = signer(alice, lic, 700)
    chain.pending_timestamp = closes + 1
    with ape.reverts(
        meter.UsageMeterChannelClosed, licenseId=lic, payer=alice.address, closesAt=closes
    ):
        meter.settle(*as_args(later), sender=gateway)

    # Bob was never charged; his own voucher charges only his own units.
    assert meter.channel(lic, bob, gateway).reserve == 5_000
    receipt = meter.settle(*as_args(signer(bob, lic, 5)), sender=gateway)
    assert settled(meter, receipt) == [(channel_id(lic, bob, gateway), 5, 50, 0, 5, True)]
    assert meter.channel(lic, bob, gateway).reserve == 4_950


def test_attack_b_rotating_a_wallets_signer_keeps_old_vouchers_good_past_the_switch(
    chain, meter, license_token, make_offer, signer, wallet, accounts, bob, gateway
):
    """v1: rotating an ERC-1271 wallet's signers voided its unsettled vouchers at once. v2: a
    wallet that signs with a session key rotates it with changeSigner, which takes effect
    WITHDRAWAL_DELAY later, and the old key's vouchers settle for GRACE_PERIOD after that."""
    old_key, new_key = accounts[6], accounts[7]
    lic = wallet_buys(wallet, license_token, make_offer(unit_price=10), bob)
    opened = wallet.execute(meter, 0, meter.open.encode_input(lic, gateway, old_key, 0), sender=bob)
    cid = channel_id(lic, wallet, gateway)
    [log] = opened.events.filter(meter.ChannelOpened)
    assert (bytes(log.channelId), log.signer) == (cid, old_key.address)
    wallet_deposits(wallet, meter, lic, gateway, 10_000, bob)
    early, late = signer(old_key, lic, 100, payer=wallet), signer(old_key, lic, 200, payer=wallet)

    receipt = wallet.execute(meter, 0, meter.changeSigner.encode_input(lic, new_key), sender=bob)
    switch_at = chain.blocks[receipt.block_number].timestamp + meter.WITHDRAWAL_DELAY()
    assert meter.SignerChangeScheduled(lic, wallet, new_key, switch_at) in receipt.events
    view = meter.channel(lic, wallet, gateway)
    assert (view.nextSigner, view.switchAt) == (new_key.address, switch_at)
    grace_end = switch_at + meter.GRACE_PERIOD()
    again = meter.changeSigner.encode_input(lic, bob)
    with ape.reverts(
        meter.UsageMeterSignerChangePending, licenseId=lic, payer=wallet.address, until=grace_end
    ):
        wallet.execute(meter, 0, again, sender=bob)

    chain.pending_timestamp = switch_at - 1
    meter.settle(*as_args(early), sender=gateway)
    assert meter.signerOf(lic, wallet) == old_key.address
    # From the switch the new key is in force, and the old key's vouchers still settle for
    # GRACE_PERIOD: a voucher the gateway accepted just before the switch is paid.
    chain.pending_timestamp = grace_end
    meter.settle(*as_args(late), sender=gateway)
    assert meter.signerOf(lic, wallet) == new_key.address
    stale = signer(old_key, lic, 300, payer=wallet)
    chain.pending_timestamp = grace_end + 1
    with ape.reverts(
        meter.UsageMeterBadSignature, licenseId=lic, payer=wallet.address, signer=new_key.address
    ):
        meter.settle(*as_args(stale), sender=gateway)
    meter.settle(*as_args(signer(new_key, lic, 300, payer=wallet)), sender=gateway)
    assert meter.channel(lic, wallet, gateway).reserve == 7_000


# ------------------------------------------------------------------ (c) hostile ERC-1271


@pytest.fixture
def hostile_batch(
    project,
    deployer,
    meter,
    license_token,
    licensed,
    make_offer,
    signer,
    deposit,
    alice,
    stranger,
    bob,
    gateway,
):
    """30 honest vouchers (3 channels of alice, stranger and bob's licenses, 10 steps each) and one
    from a HostileSigner wallet in the middle: (hostile wallet, signed vouchers, hostile index)."""
    honest = []
    for person in (alice, stranger, bob):
        lic = licensed(person, unit_price=10)
        deposit(person, lic, 1_000)
        honest.append([signer(person, lic, units) for units in range(1, 11)])
    hostile = deployer.deploy(project.HostileSigner, bob)
    lic = wallet_buys(hostile, license_token, make_offer(unit_price=10), bob)
    wallet_deposits(hostile, meter, lic, gateway, 1_000, bob)
    vouchers = (
        honest[0] + honest[1][:5] + [signer(bob, lic, 7, payer=hostile)] + honest[1][5:] + honest[2]
    )
    return hostile, vouchers, 15


@pytest.mark.parametrize(
    "mode,settles",
    [(1, False), (2, False), (3, False), (4, True)],
    ids=["gas-burner", "returndata-bomb", "revert-bomb", "magic-plus-bomb"],
)
def test_attack_c_a_hostile_erc1271_signer_armed_after_simulation_cannot_block_the_batch(
    chain, meter, hostile_batch, bob, gateway, mode, settles
):
    """v1: a wallet that signed honestly while the gateway simulated and burned gas once armed
    made a 31-voucher batch use all 16M gas, settling none of the 30 honest vouchers. v2: the
    ERC-1271 check gets at most SIGNATURE_GAS and 32 bytes back; the 30 settle, the hostile one
    is skipped, and the batch stays far below the block's gas."""
    hostile, vouchers, index = hostile_batch
    args = batch(vouchers)
    assert meter.settleBatch.call(*args, sender=gateway)[0] == 31  # honest while simulated
    estimate = meter.settleBatch.estimate_gas_cost(*args, sender=gateway)
    hostile.arm(mode, sender=bob)
    # The gateway budgets the worst case of each contract signer on top of its simulation.
    receipt = meter.settleBatch(*args, sender=gateway, gas=estimate + SIGNATURE_GAS + 20_000)
    assert not receipt.failed
    assert receipt.gas_used < 2_000_000
    honest = [s for i, s in enumerate(settled(meter, receipt))]
    assert len(honest) == (31 if settles else 30)
    hostile_voucher = vouchers[index].voucher
    if not settles:
        cid = channel_id(hostile_voucher.license_id, hostile, gateway)
        reason = error(
            ERR["signature"], hostile_voucher.license_id, hostile.address, hostile.address
        )
        assert skips(meter, receipt) == [(cid, hostile_voucher.license_id, reason)]
        assert meter.channel(hostile_voucher.license_id, hostile, gateway).reserve == 1_000
    else:
        assert skips(meter, receipt) == []
    for person_vouchers in (vouchers[:10],):
        v = person_vouchers[-1].voucher
        assert meter.channel(v.license_id, v.payer, v.operator).units == 10


def test_a_hostile_signer_costs_a_batch_at_most_its_signature_gas(
    meter, hostile_batch, bob, gateway
):
    """The extra gas an armed gas-burner costs is bounded by SIGNATURE_GAS (plus the 1/64
    EIP-150 keeps back), not by what the sender gave the transaction."""
    hostile, vouchers, _ = hostile_batch
    args = batch(vouchers)
    honest_cost = meter.settleBatch.estimate_gas_cost(*args, sender=gateway)
    hostile.arm(1, sender=bob)
    receipt = meter.settleBatch(*args, sender=gateway, gas=10_000_000)
    assert receipt.gas_used < honest_cost + SIGNATURE_GAS + 5_000


def test_with_too_little_gas_for_the_erc1271_check_a_contract_voucher_is_refused_not_judged(
    meter, license_token, make_offer, signer, wallet, bob, gateway
):
    """Too little gas left for a full SIGNATURE_GAS check is UsageMeterGasTooLow, never a bad
    signature: an honest contract signer is not misjudged for want of gas."""
    lic = wallet_buys(wallet, license_token, make_offer(unit_price=10), bob)
    wallet_deposits(wallet, meter, lic, gateway, 1_000, bob)
    good = signer(bob, lic, 3, payer=wallet)
    with ape.reverts(meter.UsageMeterGasTooLow):
        meter.settle(*as_args(good), sender=gateway, gas=90_000)
    assert meter.channel(lic, wallet, gateway).units == 0
    meter.settle(*as_args(good), sender=gateway)
    assert meter.channel(lic, wallet, gateway).units == 3


# ------------------------------------------------------------------ (d) standing exit


def test_attack_d_a_ready_withdrawal_lapses_after_its_window_and_must_wait_again(
    chain, meter, licensed, deposit, alice, gateway
):
    """v1: a ready request never expired, a standing instant exit. v2: it completes only
    during WITHDRAWAL_WINDOW after readyAt; then it lapses and a new request waits the delay."""
    lic = licensed(alice, unit_price=10)
    deposit(alice, lic, 1_000)
    cid = channel_id(lic, alice, gateway)
    receipt = meter.requestWithdrawal(lic, gateway, 400, sender=alice)
    now = chain.blocks[receipt.block_number].timestamp
    ready_at = now + meter.WITHDRAWAL_DELAY()
    window_end = ready_at + meter.WITHDRAWAL_WINDOW()
    assert meter.WITHDRAWAL_WINDOW() == 3 * DAY
    assert receipt.events == [meter.WithdrawalRequested(cid, 400, ready_at, window_end)]

    chain.pending_timestamp = window_end + 1
    with ape.reverts(
        meter.UsageMeterWithdrawalLapsed,
        channelId=cid,
        windowEnd=window_end,
        nowTime=window_end + 1,
    ):
        meter.completeWithdrawal(lic, gateway, sender=alice)
    view = meter.channel(lic, alice, gateway)
    assert (view.reserve, view.withdrawalAmount, view.readyAt, view.windowEnd) == (
        1_000,
        400,
        ready_at,
        window_end,
    )

    again = meter.requestWithdrawal(lic, gateway, 400, sender=alice)
    new_ready = chain.blocks[again.block_number].timestamp + meter.WITHDRAWAL_DELAY()
    chain.pending_timestamp = new_ready - 1
    with ape.reverts(
        meter.UsageMeterWithdrawalNotReady, channelId=cid, readyAt=new_ready, nowTime=new_ready - 1
    ):
        meter.completeWithdrawal(lic, gateway, sender=alice)
    chain.pending_timestamp = new_ready
    done = meter.completeWithdrawal(lic, gateway, sender=alice)
    assert meter.Withdrawn(cid, alice, 400, 600) in done.events


def test_a_withdrawal_completes_on_the_last_second_of_its_window(
    chain, meter, licensed, deposit, alice, gateway
):
    lic = licensed(alice, unit_price=10)
    deposit(alice, lic, 1_000)
    meter.requestWithdrawal(lic, gateway, 1_000, sender=alice)
    chain.pending_timestamp = meter.channel(lic, alice, gateway).windowEnd
    done = meter.completeWithdrawal(lic, gateway, sender=alice)
    assert meter.Withdrawn(channel_id(lic, alice, gateway), alice, 1_000, 0) in done.events


# ------------------------------------------------------------------ (e) twin wallets


def test_attack_e_two_wallets_of_one_owner_cannot_settle_each_others_vouchers(
    project, deployer, meter, license_token, make_offer, signer, bob, gateway
):
    """v1: the digest did not name the payer, so two ERC-1271 wallets with one owner key
    accepted each other's vouchers. v2: the payer is in the digest."""
    first = deployer.deploy(project.ContractWallet, bob)
    second = deployer.deploy(project.ContractWallet, bob)
    lic = wallet_buys(first, license_token, make_offer(unit_price=10), bob)
    wallet_deposits(first, meter, lic, gateway, 1_000, bob)
    for_first = signer(bob, lic, 50, payer=first)
    first.execute(
        license_token, 0, license_token.transferFrom.encode_input(first, second, lic), sender=bob
    )
    wallet_deposits(second, meter, lic, gateway, 1_000, bob)

    as_second = (lic, second.address, gateway.address, 50, FAR)
    with ape.reverts(
        meter.UsageMeterBadSignature, licenseId=lic, payer=second.address, signer=second.address
    ):
        meter.settle(as_second, for_first.signature, sender=gateway)
    assert meter.channel(lic, second, gateway).reserve == 1_000
    meter.settle(*as_args(for_first), sender=gateway)  # on its own channel, within grace
    assert meter.channel(lic, first, gateway).reserve == 500
