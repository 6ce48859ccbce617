"""Subjective claims: a bond, an answer period, the deployment's arbiter (docs/integrity.md
§5.4, §5.5).

The claimant sends BOND + F (F = ARBITER.rulingFee()); the owner may post BOND to contest;
at the contest, or at the end of the answer period, the case goes to the arbiter with F, and
the arbiter rules once. After RULING_TIMEOUT without a ruling anyone lapses it and everything
returns. Never won by default. Bonds go exactly per the table of §5.5, pulled with
`withdrawDeposits`; the court's balance is its `totalDeposits` after every step.

Most tests run on `pw`, a suite whose arbiter is a TestArbiter with F = 0.03 ETH; `w` is the
session suite (a PanelArbiter of the deployer, F = 0).
"""

import ape
import pytest
from court_helpers import (
    AT_ARBITER,
    BAD_DATA,
    DISMISSED,
    EVIDENCE,
    HOLD_ESCROW,
    HOLD_NONE,
    LAPSED,
    OPEN,
    STATUS_DISPUTED,
    STATUS_NONE,
    STATUS_UPHELD,
    UPHELD,
    big_file,
    logs,
    reverts,
    with_filler,
)
from testkit.registering import commitment_of, registration_leaf

from seedbed.core.constants import ETH

SHARED = "data/shared.bin"


# Every module-scoped world and session account first, so ape snapshots them before any test.
pytestmark = pytest.mark.usefixtures(
    "world", "paid", "deployer", "publisher", "alice", "bob", "stranger"
)


def lo(account):
    return str(getattr(account, "address", account)).lower()


def books(w):
    w.vault_books(ETH)
    w.court_books()


@pytest.mark.parametrize("upheld", [True, False], ids=["upheld", "dismissed"])
def test_the_arbiter_decides_a_contested_claim_and_the_winner_takes_both_bonds(
    pw, upheld, deployer, publisher, alice, carol, stranger
):
    bond, fee = pw.bond, pw.fee
    assert fee > 0
    asset = pw.register(publisher, {alice.address: 1})
    theirs = pw.register(carol)
    pw.pay(asset, 1_000, deployer)
    dispute_id = pw.open_subjective(asset, carol, theirs, reason=BAD_DATA)
    assert pw.dispute(dispute_id).fee == fee
    books(pw)
    receipt = pw.court.contest(dispute_id, value=bond, sender=publisher)
    assert logs(receipt, pw.court, "DisputeAnswered") == [
        {"disputeId": dispute_id, "by": lo(publisher), "contested": True, "deposit": bond}
    ]
    assert logs(receipt, pw.court, "RulingRequested") == [
        {"disputeId": dispute_id, "arbiter": lo(pw.arbiter), "fee": fee, "accepted": True}
    ]
    d = pw.dispute(dispute_id)
    assert (d.state, d.contested, lo(d.defendant), d.fee) == (AT_ARBITER, True, lo(publisher), 0)
    assert pw.arbiter.received() == fee  # spent: the arbiter's
    pw.pay(asset, 2_000, deployer)
    books(pw)

    receipt = pw.rule(dispute_id, upheld)
    winner, loser = (carol, publisher) if upheld else (publisher, carol)
    assert logs(receipt, pw.court, "DepositCredited") == [
        {"disputeId": dispute_id, "account": lo(winner), "amount": bond},
        {"disputeId": dispute_id, "account": lo(winner), "amount": bond},
    ]
    assert (pw.court.deposits(winner), pw.court.deposits(loser)) == (2 * bond, 0)
    assert pw.state(dispute_id) == (UPHELD if upheld else DISMISSED)
    assert pw.registry.asset(asset).status == (STATUS_UPHELD if upheld else STATUS_NONE)
    books(pw)
    pw.vault.release(asset, ETH, sender=stranger)
    assert pw.vault.accrued(theirs if upheld else asset, ETH) == (2_000 if upheld else 3_000)
    assert pw.withdraw(winner) == 2 * bond
    with reverts(pw.court.AssetCourtNoDeposit, account=loser):
        pw.court.withdrawDeposits(sender=loser)
    books(pw)


def test_a_silent_arbiter_lapses_and_everything_returns(pw, deployer, publisher, alice, stranger):
    bond, fee = pw.bond, pw.fee
    asset = pw.register(publisher, {alice.address: 1})
    dispute_id = pw.open_subjective(asset, stranger)
    pw.court.contest(dispute_id, value=bond, sender=publisher)
    pw.pay(asset, 1_000, deployer)
    books(pw)
    d = pw.dispute(dispute_id)
    deadline = int(d.atArbiterAt) + int(pw.court.RULING_TIMEOUT())
    pw.at(deadline)
    with reverts(pw.court.AssetCourtRulingPending, disputeId=dispute_id, deadline=deadline):
        pw.court.lapse(dispute_id, sender=alice)
    pw.at(deadline + 1)
    receipt = pw.court.lapse(dispute_id, sender=alice)  # anyone
    assert logs(receipt, pw.court, "DisputeResolved") == [
        {"disputeId": dispute_id, "assetId": asset, "outcome": LAPSED}
    ]
    assert (pw.court.deposits(stranger), pw.court.deposits(publisher)) == (bond, bond)
    assert pw.arbiter.received() == fee  # the arbiter's, spent when it took the case
    assert pw.registry.isListed(asset)
    assert tuple(pw.vault.hold(asset)) == (HOLD_NONE, 0)
    books(pw)
    # A ruling that comes too late changes nothing.
    with reverts(pw.court.AssetCourtWrongState, disputeId=dispute_id, state=LAPSED):
        pw.rule(dispute_id, True)
    pw.vault.release(asset, ETH, sender=stranger)
    assert pw.claim(asset, alice) == 1_000
    pw.withdraw(stranger)
    pw.withdraw(publisher)
    books(pw)


def test_an_uncontested_subjective_claim_is_not_won_by_default(
    w, deployer, publisher, alice, stranger, record_property
):
    """The owner lost its keys and never answers: the claim still goes to the arbiter, and
    a silent arbiter lapses it. Nothing is taken down, no revenue moves to the claimant."""
    asset = w.register(publisher, {alice.address: 1})
    mine = w.register(stranger)
    dispute_id = w.open_subjective(asset, stranger, mine)
    record_property("dispute_open_gas", w.last_receipt.gas_used)
    w.pay(asset, 1_000, deployer)
    deadline = int(w.dispute(dispute_id).openedAt) + int(w.court.ANSWER_PERIOD())
    w.at(deadline)
    with reverts(w.court.AssetCourtAnswerPeriodRunning, disputeId=dispute_id, deadline=deadline):
        w.court.resolve(dispute_id, sender=stranger)
    w.at(deadline + 1)
    receipt = w.court.resolve(dispute_id, sender=stranger)
    assert logs(receipt, w.court, "DisputeResolved") == []
    assert logs(receipt, w.court, "RulingRequested")[0]["accepted"]
    d = w.dispute(dispute_id)
    assert (d.state, d.contested, lo(d.defendant)) == (AT_ARBITER, False, lo(publisher))
    assert w.registry.asset(asset).status == STATUS_DISPUTED
    assert tuple(w.vault.hold(asset)) == (HOLD_ESCROW, 0)
    assert w.arbiter.caseOf(w.court, dispute_id).open
    with reverts(w.court.AssetCourtWrongState, disputeId=dispute_id, state=AT_ARBITER):
        w.court.resolve(dispute_id, sender=stranger)
    books(w)

    w.after_ruling_timeout(dispute_id)
    w.court.lapse(dispute_id, sender=stranger)
    assert w.court.deposits(stranger) == w.bond
    assert w.registry.asset(asset).status == STATUS_NONE
    w.vault.release(asset, ETH, sender=stranger)
    assert (w.vault.accrued(asset, ETH), w.vault.accrued(mine, ETH)) == (1_000, 0)
    books(w)


def test_a_receiver_that_refuses_eth_cannot_block_a_resolution(
    project, w, chain, accounts, deployer, publisher, stranger
):
    """Claimant and owner are contracts that refuse ETH (sending as themselves through anvil
    impersonation). Every resolution only credits deposits, so each one goes through; their
    withdrawals fail and leave the deposit where it was."""
    bond = w.bond
    refusers = [deployer.deploy(project.RevertingReceiver) for _ in range(2)]
    for r in refusers:
        chain.provider.set_balance(r.address, 10**18)
    claimant, owner = (accounts[r.address] for r in refusers)
    asset = w.register(publisher)
    w.registry.transferFrom(publisher, owner, asset, sender=publisher)

    first = w.open_subjective(asset, claimant)
    w.court.contest(first, value=bond, sender=owner)
    w.rule(first, False)  # dismissed: both bonds to the refusing owner
    assert w.court.deposits(owner) == 2 * bond
    second = w.open_subjective(asset, claimant)
    w.court.contest(second, value=bond, sender=owner)
    w.after_ruling_timeout(second)
    w.court.lapse(second, sender=stranger)
    assert (w.court.deposits(claimant), w.court.deposits(owner)) == (bond, 3 * bond)
    third = w.open_subjective(asset, claimant)
    w.decide(third, True, stranger)  # upheld, uncontested: the bond back to the claimant
    assert w.state(third) == UPHELD
    w.court_books(refusers)
    for who, owed in ((claimant, 2 * bond), (owner, 3 * bond)):
        assert w.court.deposits(who) == owed
        with ape.reverts("no thanks"):
            w.court.withdrawDeposits(sender=who)
        assert w.court.deposits(who) == owed
    w.court_books(refusers)


# ------------------------------------------------------------------------------ the bonds


OUTCOMES = [
    "duplicate unanswered",
    "duplicate answered by lineage",
    "duplicate contested, upheld",
    "prior commitment",
    "upheld, contested",
    "upheld, uncontested",
    "dismissed, contested",
    "dismissed, uncontested",
    "lapsed, contested",
    "lapsed, uncontested",
]


@pytest.mark.parametrize("outcome", OUTCOMES)
def test_bonds_go_exactly_per_the_table(pw, outcome, publisher, bob, carol, stranger):
    """§5.5, with F > 0. After every step: the deposits expected, `totalDeposits` = what is
    withdrawable + what running disputes hold, and the court's balance = `totalDeposits`.
    Then each account withdraws exactly what it is owed, and nothing more."""
    court, bond, fee = pw.court, pw.bond, pw.fee
    claimant, defendant = carol, bob
    spent = pw.arbiter.received()

    def expect(claimant_gets, defendant_gets, arbiter_gets):
        assert court.deposits(claimant) == claimant_gets
        assert court.deposits(defendant) == defendant_gets
        assert pw.arbiter.received() - spent == arbiter_gets
        pw.court_books()

    if outcome.startswith("duplicate"):
        sha, size = big_file(outcome)
        fa, fb = with_filler({SHARED: (sha, size)}), with_filler({SHARED: (sha, size)})
        earlier = pw.register(publisher, root=fa.root)
        parents = [(earlier, 1_000)] if "lineage" in outcome else []
        middle = pw.register(publisher, parents=parents)
        parents = [(middle, 1_000)] if "lineage" in outcome else []
        later = pw.register(publisher, parents=parents, root=fb.root)
        pw.registry.transferFrom(publisher, defendant, later, sender=publisher)
        dispute_id = pw.open_duplicate(earlier, later, fa.proof(SHARED), fb.proof(SHARED), claimant)
        expect(0, 0, 0)
        if outcome == "duplicate unanswered":
            pw.after_answer_period(dispute_id)
            court.resolve(dispute_id, sender=stranger)
            expect(bond + fee, 0, 0)  # bond back, F back unspent
        elif outcome == "duplicate answered by lineage":
            court.answerLineage(dispute_id, [0, 0], sender=stranger)
            expect(fee, bond, 0)  # the bond to the owner it froze, F back
        else:
            court.contest(dispute_id, value=bond, sender=defendant)
            expect(0, 0, fee)
            pw.rule(dispute_id, True)
            expect(2 * bond, 0, fee)
    elif outcome == "prior commitment":
        root, salt = b"\x77" * 32, b"\x01" * 32
        leaves = [registration_leaf(claimant, root, salt)]
        pw.registry.commit(commitment_of(leaves), sender=claimant)
        pw.elapse(1)
        squat = pw.register(defendant, root=root)
        total = court.totalDeposits()
        receipt = court.claimPriorCommitment(squat, leaves, 0, salt, 0, sender=claimant)
        pw.disputes.append(int(logs(receipt, court, "DisputeOpened")[0]["disputeId"]))
        expect(0, 0, 0)  # no bond, no fee
        assert court.totalDeposits() == total
    else:
        asset = pw.register(defendant)
        dispute_id = pw.open_subjective(asset, claimant)
        expect(0, 0, 0)
        if "uncontested" in outcome:
            pw.to_arbiter(dispute_id, stranger)
        else:
            court.contest(dispute_id, value=bond, sender=defendant)
        expect(0, 0, fee)  # F is the arbiter's once it takes the case
        posted = 1 if "uncontested" in outcome else 2
        if outcome.startswith("upheld"):
            pw.rule(dispute_id, True)
            expect(posted * bond, 0, fee)
        elif outcome.startswith("dismissed"):
            pw.rule(dispute_id, False)
            expect(0, posted * bond, fee)
        else:
            pw.after_ruling_timeout(dispute_id)
            court.lapse(dispute_id, sender=stranger)
            expect(bond, (posted - 1) * bond, fee)

    for account in (claimant, defendant):
        if court.deposits(account):
            pw.withdraw(account)
        with reverts(court.AssetCourtNoDeposit, account=account):
            court.withdrawDeposits(sender=account)
    expect(0, 0, pw.arbiter.received() - spent)
    assert court.totalDeposits() == pw.court_base


# ------------------------------------------------------------------------ odd arbiters


@pytest.mark.parametrize("contested", [True, False], ids=["contested", "uncontested"])
def test_a_refusing_arbiter_returns_the_fee_and_the_case_lapses(
    pw, contested, deployer, publisher, stranger
):
    """A broken adapter reverts in requestRuling: the case stays at the arbiter with no case
    opened there, the fee is the claimant's again at once, and only a lapse ends it."""
    bond, fee = pw.bond, pw.fee
    pw.arbiter.setRefuse(True, sender=deployer)
    asset = pw.register(publisher)
    dispute_id = pw.open_subjective(asset, stranger)
    if contested:
        receipt = pw.court.contest(dispute_id, value=bond, sender=publisher)
    else:
        receipt = pw.to_arbiter(dispute_id, stranger)
    assert logs(receipt, pw.court, "RulingRequested") == [
        {"disputeId": dispute_id, "arbiter": lo(pw.arbiter), "fee": fee, "accepted": False}
    ]
    assert logs(receipt, pw.court, "DepositCredited") == [
        {"disputeId": dispute_id, "account": lo(stranger), "amount": fee}
    ]
    assert (pw.arbiter.received(), pw.arbiter.requestedCount()) == (0, 0)
    assert pw.court.deposits(stranger) == fee  # withdrawable at once
    assert pw.state(dispute_id) == AT_ARBITER
    assert pw.registry.asset(asset).status == STATUS_DISPUTED
    pw.court_books()
    pw.withdraw(stranger)
    # The adapter that refused the case cannot rule on it later.
    with reverts(pw.court.AssetCourtCaseRefused, disputeId=dispute_id):
        pw.arbiter.ruleOn(pw.court, dispute_id, True, sender=deployer)

    deadline = int(pw.dispute(dispute_id).atArbiterAt) + int(pw.court.RULING_TIMEOUT())
    with reverts(pw.court.AssetCourtRulingPending, disputeId=dispute_id, deadline=deadline):
        pw.court.lapse(dispute_id, sender=stranger)
    pw.after_ruling_timeout(dispute_id)
    pw.court.lapse(dispute_id, sender=stranger)
    assert pw.court.deposits(stranger) == bond
    assert pw.court.deposits(publisher) == (bond if contested else 0)
    assert pw.registry.isListed(asset)
    pw.court_books()


@pytest.mark.parametrize("verdict", [True, False], ids=["upheld", "dismissed"])
def test_an_instant_arbiter_that_rules_inside_request_ruling_works(
    pw, verdict, deployer, publisher, carol
):
    bond, fee = pw.bond, pw.fee
    pw.arbiter.setInstant(True, verdict, sender=deployer)
    asset = pw.register(publisher)
    dispute_id = pw.open_subjective(asset, carol)
    receipt = pw.court.contest(dispute_id, value=bond, sender=publisher)
    outcome = UPHELD if verdict else DISMISSED
    assert logs(receipt, pw.court, "DisputeResolved") == [
        {"disputeId": dispute_id, "assetId": asset, "outcome": outcome}
    ]
    assert logs(receipt, pw.court, "RulingRequested")[0]["accepted"]
    d = pw.dispute(dispute_id)
    assert (d.state, d.fee) == (outcome, 0)
    assert pw.arbiter.received() == fee
    winner = carol if verdict else publisher
    assert pw.court.deposits(winner) == 2 * bond
    assert pw.registry.asset(asset).status == (STATUS_UPHELD if verdict else STATUS_NONE)
    pw.court_books()
    # And uncontested, from inside `resolve`.
    other = pw.register(publisher)
    second = pw.open_subjective(other, carol)
    pw.to_arbiter(second, carol)
    assert pw.state(second) == outcome
    assert pw.court.deposits(winner) == 3 * bond
    pw.court_books()


# ------------------------------------------------------------------------ refused claims


def test_a_subjective_claim_needs_a_reason_evidence_the_exact_deposit_and_a_free_asset(
    pw, deployer, publisher, stranger
):
    court, bond, fee = pw.court, pw.bond, pw.fee
    asset = pw.register(publisher)
    for reason in (0, 4):
        with reverts(court.AssetCourtBadReason, reason=reason):
            pw.open_subjective(asset, stranger, reason=reason)
    with reverts(court.AssetCourtNoEvidence):
        pw.open_subjective(asset, stranger, evidence=bytes(32))
    with reverts(court.AssetCourtBadBeneficiary, beneficiary=asset):
        pw.open_subjective(asset, stranger, asset)
    with reverts(pw.registry.AssetRegistryUnknownAsset, assetId=99):
        pw.open_subjective(asset, stranger, 99)
    with reverts(pw.registry.AssetRegistryUnknownAsset, assetId=99):
        pw.open_subjective(99, stranger)
    for value in (0, bond, bond + fee - 1, bond + fee + 1):
        with reverts(court.AssetCourtWrongDeposit, sent=value, required=bond + fee):
            pw.open_subjective(asset, stranger, value=value)
    # The fee is the arbiter's when the claim opens.
    pw.arbiter.setFee(fee + 1, sender=deployer)
    with reverts(court.AssetCourtWrongDeposit, sent=bond + fee, required=bond + fee + 1):
        pw.open_subjective(asset, stranger, value=bond + fee)
    dispute_id = pw.open_subjective(asset, stranger)
    assert pw.dispute(dispute_id).fee == fee + 1
    assert bytes(pw.dispute(dispute_id).evidenceHash) == EVIDENCE
    with reverts(court.AssetCourtAlreadyDisputed, assetId=asset, status=STATUS_DISPUTED):
        pw.open_subjective(asset, publisher)
    for value in (0, bond - 1, bond + 1, bond + fee):
        with reverts(court.AssetCourtWrongDeposit, sent=value, required=bond):
            court.contest(dispute_id, value=value, sender=publisher)
    assert pw.state(dispute_id) == OPEN
    pw.court_books()


def test_starving_the_arbiters_call_of_gas_cannot_fake_a_refusal(pw, deployer, publisher, stranger):
    """Review finding: with a costly adapter, a sender could pick a gas limit that runs the
    arbiter's call out of gas while the court's own refusal branch still fits, turning any case
    into one that can only lapse. An arbiter call that ran out of gas reverts the whole call."""
    pw.arbiter.setBurn(True, sender=deployer)
    asset = pw.register(publisher)
    dispute_id = pw.open_subjective(asset, stranger)
    with reverts(pw.court.AssetCourtArbiterOutOfGas):
        pw.court.contest(dispute_id, value=pw.bond, sender=publisher, gas=1_000_000)
    assert pw.state(dispute_id) == OPEN
    pw.arbiter.setBurn(False, sender=deployer)
    pw.court.contest(dispute_id, value=pw.bond, sender=publisher)
    assert pw.state(dispute_id) == AT_ARBITER
    pw.court_books()
