"""The court attacked: one test per guarantee (docs/integrity.md §5, §8).

Nobody but the owner contests; nobody but the arbiter rules, and only once; a contract posing
as a court gets nothing applied to the real one; nobody but the court sets a status or a
hold; a DERIVE license bought before a dispute registers no derivative during it; a claimant
that re-enters its withdrawal is paid once; a sweep takes only what is above the deposits.
"""

import ape
import pytest
from court_helpers import (
    AT_ARBITER,
    DISMISSED,
    HOLD_ESCROW,
    OPEN,
    STATUS_DISPUTED,
    UPHELD,
    logs,
    reverts,
)
from eth_utils import keccak

from seedbed.core.constants import DERIVE, ETH, MODEL

pytestmark = pytest.mark.usefixtures(
    "world", "paid", "token", "deployer", "publisher", "alice", "bob", "stranger", "treasury"
)


def lo(account):
    return str(getattr(account, "address", account)).lower()


def test_nobody_but_the_owner_contests(w, publisher, alice, bob, carol, stranger):
    asset = w.register(publisher, {alice.address: 1})
    dispute_id = w.open_subjective(asset, stranger)
    for caller in (stranger, alice, bob):  # the claimant, a contributor, anyone
        with reverts(w.court.AssetCourtNotDefendant, disputeId=dispute_id, caller=caller):
            w.court.contest(dispute_id, value=w.bond, sender=caller)
    # The owner is whoever holds the asset now.
    w.registry.transferFrom(publisher, carol, asset, sender=publisher)
    with reverts(w.court.AssetCourtNotDefendant, disputeId=dispute_id, caller=publisher):
        w.court.contest(dispute_id, value=w.bond, sender=publisher)
    w.court.contest(dispute_id, value=w.bond, sender=carol)
    assert lo(w.dispute(dispute_id).defendant) == lo(carol)
    with reverts(w.court.AssetCourtWrongState, disputeId=dispute_id, state=AT_ARBITER):
        w.court.contest(dispute_id, value=w.bond, sender=carol)
    with reverts(w.court.AssetCourtUnknownDispute, disputeId=dispute_id + 1):
        w.court.contest(dispute_id + 1, value=w.bond, sender=carol)
    w.court_books()


def test_nobody_but_the_arbiter_rules_and_only_once(pw, w, deployer, publisher, stranger, carol):
    # The session court: even the panel's only member cannot call `rule` itself.
    asset = w.register(publisher)
    dispute_id = w.open_subjective(asset, stranger)
    w.court.contest(dispute_id, value=w.bond, sender=publisher)
    for caller in (deployer, stranger, publisher):
        with reverts(w.court.AssetCourtNotArbiter, caller=caller):
            w.court.rule(dispute_id, True, sender=caller)
    with reverts(w.arbiter.PanelArbiterNotMember, caller=stranger):
        w.arbiter.vote(w.court, dispute_id, True, sender=stranger)
    w.arbiter.vote(w.court, dispute_id, True, sender=deployer)
    with reverts(w.arbiter.PanelArbiterNoCase, court=w.court, disputeId=dispute_id):
        w.arbiter.vote(w.court, dispute_id, False, sender=deployer)
    assert w.state(dispute_id) == UPHELD

    # A TestArbiter told to rule: not before the case is at the arbiter, and only once.
    asset = pw.register(publisher)
    dispute_id = pw.open_subjective(asset, carol)
    with reverts(pw.court.AssetCourtWrongState, disputeId=dispute_id, state=OPEN):
        pw.rule(dispute_id, True)
    with reverts(pw.court.AssetCourtUnknownDispute, disputeId=dispute_id + 1):
        pw.rule(dispute_id + 1, True)
    pw.court.contest(dispute_id, value=pw.bond, sender=publisher)
    pw.rule(dispute_id, False)
    with reverts(pw.court.AssetCourtWrongState, disputeId=dispute_id, state=DISMISSED):
        pw.rule(dispute_id, True)
    assert pw.court.deposits(publisher) == 2 * pw.bond
    pw.court_books()


def test_a_fake_court_cannot_get_a_ruling_applied_to_the_real_one(w, deployer, publisher, stranger):
    """The panel keys cases by the court that asked: a caller posing as a court only opens
    cases of its own, and a vote on them calls back that caller, never the real court."""
    asset = w.register(publisher)
    dispute_id = w.open_subjective(asset, stranger)
    fake = stranger  # any account, contract or not, may call requestRuling
    w.arbiter.requestRuling(dispute_id, keccak(text="forged"), sender=fake)
    assert w.arbiter.caseOf(fake, dispute_id).open
    assert not w.arbiter.caseOf(w.court, dispute_id).open
    with reverts(w.arbiter.PanelArbiterNoCase, court=w.court, disputeId=dispute_id):
        w.arbiter.vote(w.court, dispute_id, True, sender=deployer)
    with pytest.raises(ape.exceptions.ContractLogicError):
        w.arbiter.vote(fake, dispute_id, True, sender=deployer)  # calls back the fake only
    with reverts(w.arbiter.PanelArbiterNoFee, sent=1):
        w.arbiter.requestRuling(dispute_id, keccak(text="forged"), value=1, sender=fake)
    d = w.dispute(dispute_id)
    assert (d.state, w.registry.asset(asset).status) == (OPEN, STATUS_DISPUTED)
    # The real case, once the real court asks, is ruled on its own.
    w.court.contest(dispute_id, value=w.bond, sender=publisher)
    assert w.arbiter.caseOf(w.court, dispute_id).open
    w.arbiter.vote(w.court, dispute_id, False, sender=deployer)
    assert w.court.deposits(publisher) == 2 * w.bond
    assert not w.arbiter.caseOf(fake, dispute_id).decided


def test_nobody_but_the_court_sets_a_status_or_a_hold(w, deployer, publisher, stranger):
    asset = w.register(publisher)
    for caller in (deployer, publisher, stranger):  # the wirer and the owner included
        with reverts(w.registry.AssetRegistryNotCourt, caller=caller):
            w.registry.setStatus(asset, 2, sender=caller)
        with reverts(w.vault.RoyaltyVaultNotCourt, caller=caller):
            w.vault.setHold(asset, 2, 0, sender=caller)
    with reverts(w.registry.AssetRegistryAlreadyWired, licenseGate=w.court):
        w.registry.wireCourt(stranger, sender=deployer)
    with reverts(w.vault.RoyaltyVaultAlreadyWired, court=w.court):
        w.vault.wireCourt(stranger, sender=deployer)
    assert w.registry.isListed(asset)
    assert tuple(w.vault.hold(asset)) == (0, 0)


def test_a_derive_license_bought_before_a_dispute_registers_no_derivative_during_it(
    w, publisher, bob, stranger
):
    asset = w.register(publisher)
    terms = (asset, ETH, 0, 0, 0, 0, DERIVE, 500, False, 0, 0)
    receipt = w.license.createOffer(terms, sender=publisher)
    offer = receipt.events.filter(w.license.OfferCreated)[0].offerId
    receipt = w.license.buy(offer, bob, 0, sender=bob)
    license_id = receipt.events.filter(w.license.LicenseBought)[0].licenseId
    dispute_id = w.open_subjective(asset, stranger)
    with reverts(w.registry.AssetRegistryParentDisputed, parentId=asset, status=STATUS_DISPUTED):
        w.register(bob, parents=[(asset, 500, license_id)], kind=MODEL)
    w.decide(dispute_id, False, stranger)  # dismissed: the license is good again, unused
    child = w.register(bob, parents=[(asset, 500, license_id)], kind=MODEL)
    assert w.registry.parents(child)[0].assetId == asset


def test_a_claimant_that_reenters_its_withdrawal_is_paid_once(
    project, w, chain, accounts, deployer, publisher
):
    receiver = deployer.deploy(project.ReentrantReceiver)
    chain.provider.set_balance(receiver.address, 10**18)
    claimant = accounts[receiver.address]  # impersonated: the contract opens the claim
    for _ in range(2):  # two bonds back: a second withdrawal would find one
        dispute_id = w.open_subjective(w.register(publisher), claimant)
        w.to_arbiter(dispute_id, publisher)
        w.chain.mine(timestamp=w.now + int(w.court.RULING_TIMEOUT()) + 1)
        w.court.lapse(dispute_id, sender=publisher)
    assert w.court.deposits(receiver) == 2 * w.bond
    withdraw = w.court.withdrawDeposits.as_transaction(sender=deployer).data
    receiver.arm(w.court, withdraw, sender=deployer)
    before = chain.provider.get_balance(receiver.address)
    receipt = receiver.call(w.court, 0, withdraw, sender=deployer)
    assert receiver.attempted()
    assert not receiver.reentered()
    assert bytes(receiver.lastError()) == keccak(text="ReentrancyGuardReentrantCall()")[:4]
    assert logs(receipt, w.court, "DepositsWithdrawn") == [
        {"account": lo(receiver), "amount": 2 * w.bond}
    ]
    assert chain.provider.get_balance(receiver.address) == before + 2 * w.bond
    assert w.court.deposits(receiver) == 0
    w.court_books([receiver])


def test_a_sweep_takes_only_what_is_above_the_deposits(
    w, chain, token, deployer, publisher, stranger, treasury
):
    court = w.court
    asset = w.register(publisher)
    dispute_id = w.open_subjective(asset, stranger)
    total = int(court.totalDeposits())
    balance = chain.provider.get_balance(court.address)
    assert balance == total
    with reverts(court.AssetCourtNoExcess, currency=ETH, balance=balance, deposits=total):
        court.sweepExcess(ETH, sender=stranger)
    # ETH that arrives without a call (a selfdestruct, a coinbase reward): the court has no
    # receive function, so it is forced in with anvil.
    chain.provider.set_balance(court.address, balance + 12_345)
    before = chain.provider.get_balance(treasury.address)
    receipt = court.sweepExcess(ETH, sender=stranger)  # anyone
    assert logs(receipt, court, "ExcessSwept") == [
        {"currency": ETH, "to": lo(treasury), "amount": 12_345}
    ]
    assert chain.provider.get_balance(treasury.address) == before + 12_345
    assert chain.provider.get_balance(court.address) == total == court.totalDeposits()
    # The court holds no tokens: every token balance is a mistake, swept whole.
    with reverts(court.AssetCourtNoExcess, currency=token, balance=0, deposits=0):
        court.sweepExcess(token, sender=stranger)
    token.transfer(court, 777, sender=deployer)
    before = token.balanceOf(treasury)
    court.sweepExcess(token, sender=stranger)
    assert token.balanceOf(treasury) == before + 777
    assert token.balanceOf(court) == 0
    # The live bond is untouched, and still comes back.
    w.decide(dispute_id, True, stranger)
    assert w.withdraw(stranger) == w.bond
    w.court_books()


def test_one_dispute_at_a_time_and_the_asset_stays_held_until_it_ends(
    w, deployer, publisher, alice, stranger, carol
):
    asset = w.register(publisher, {alice.address: 1})
    dispute_id = w.open_subjective(asset, stranger)
    with reverts(w.court.AssetCourtAlreadyDisputed, assetId=asset, status=STATUS_DISPUTED):
        w.open_subjective(asset, carol)
    w.court.contest(dispute_id, value=w.bond, sender=publisher)  # at the arbiter now
    with reverts(w.court.AssetCourtAlreadyDisputed, assetId=asset, status=STATUS_DISPUTED):
        w.open_subjective(asset, carol)
    assert tuple(w.vault.hold(asset)) == (HOLD_ESCROW, 0)
    w.rule(dispute_id, False)
    second = w.open_subjective(asset, carol)  # a new dispute after the first ended
    assert w.court.disputeOf(asset) == second
    assert w.court.disputeCount() >= 2
    w.court_books()
