"""What the review found and the campaign now answers: disputes at the arbiter (an operator
that pays itself), the gold revealed on chain by the requester (no stall), postBy bounded,
claimTo and withdrawCredit(to) for accounts that cannot receive, and capped payouts that a
caller cannot starve of gas. Every rule with its error and values."""

import os

import pytest
from campaign_helpers import (
    DAY,
    ETH,
    OPEN,
    POSTED,
    RULING_TIMEOUT,
    Posted,
    at,
    balance_of,
    case_of,
    report,
    reverts,
)
from eth_utils import keccak

DISPUTED = 4
EVIDENCE = keccak(b"the weights do not follow from the labels")


def fields(struct):
    return tuple(struct[i] for i in range(len(struct)))


@pytest.fixture
def selfish(kit, campaigns, requester, operator, alice, chain):
    """The operator posts a result paying itself 9 of 10, with a report that matches it: no
    objective challenge can slash it."""
    salt, gold_root = os.urandom(32), os.urandom(32)
    cid, p = kit.created(
        kit.params(requester, operator, pool=10_000, salt=salt, gold_root=gold_root)
    )
    people = kit.contributors_of({operator.address: 9, alice.address: 1})
    body = report(people.root, gold_root)
    receipt = kit.post(cid, p, people, gold_root, salt, body)
    ts = chain.blocks[receipt.block_number].timestamp
    return Posted(cid, p, people, gold_root, salt, body, int(ts))


def _dispute(campaigns, posted, sender, fee=0, value=None):
    p = posted.params
    value = p.bond + fee if value is None else value
    return campaigns.dispute(posted.id, p.t(), EVIDENCE, value=value, sender=sender)


# -- disputes ------------------------------------------------------------------------------------


def test_a_matching_report_cannot_be_slashed_but_can_be_disputed(
    campaigns, kit, arbiter, selfish, requester, challenger
):
    p = selfish.params
    with reverts(campaigns.CampaignReportMatches, id=selfish.id):
        campaigns.challengeReport(
            selfish.id, p.t(), selfish.report, selfish.gold_root, sender=challenger
        )
    before = arbiter.requestedCount()
    receipt = _dispute(campaigns, selfish, requester)
    event = receipt.events.filter(campaigns.ResultDisputed)[0]
    assert (event.id, event.claimant, event.bond, event.fee) == (
        selfish.id,
        requester.address,
        p.bond,
        0,
    )
    assert bytes(event.evidenceHash) == EVIDENCE
    assert event.caseId == case_of(selfish.id) == 1 << 128 | selfish.id
    assert campaigns.state(selfish.id).status == DISPUTED
    assert arbiter.requestedCount() == before + 1
    assert arbiter.requested(before) == case_of(selfish.id)


def test_claims_and_finish_wait_for_the_ruling(
    campaigns, kit, selfish, requester, operator, stranger, chain
):
    _dispute(campaigns, selfish, requester)
    at(chain, selfish.claims_end + 10)
    with reverts(campaigns.CampaignWrongStatus, id=selfish.id, status=DISPUTED, required=POSTED):
        kit.claim(selfish, operator, sender=operator)
    with reverts(campaigns.CampaignWrongStatus, id=selfish.id, status=DISPUTED, required=POSTED):
        kit.finish(selfish.id, selfish.params, sender=stranger)


def test_an_upheld_dispute_voids_the_result_and_pays_both_bonds_to_the_claimant(
    campaigns, kit, arbiter, selfish, requester, operator, alice, stranger, chain
):
    p = selfish.params
    _dispute(campaigns, selfish, requester)
    receipt = arbiter.ruleOn(campaigns, case_of(selfish.id), True, sender=stranger)
    ruled = receipt.events.filter(campaigns.DisputeRuled)[0]
    assert (ruled.id, ruled.upheld, ruled.credited, ruled.amount) == (
        selfish.id,
        True,
        requester.address,
        2 * p.bond,
    )
    assert fields(campaigns.state(selfish.id)) == (OPEN, 0, 0, p.pool)
    assert campaigns.credit(requester, ETH) == 2 * p.bond
    # The operator may post an honest result before postBy; the void one pays nobody.
    honest = kit.contributors_of({alice.address: 1})
    kit.post(
        selfish.id,
        p,
        honest,
        selfish.gold_root,
        selfish.salt,
        report(honest.root, selfish.gold_root),
    )
    at(chain, chain.blocks.head.timestamp + p.challengeWindow + 1)
    with reverts(campaigns.CampaignInvalidProof, id=selfish.id, account=operator, weight=9):
        kit.claim(selfish, operator, sender=operator)
    before = alice.balance
    campaigns.claim(selfish.id, p.t(), alice, *honest.proof(alice.address), sender=stranger)
    assert alice.balance == before + p.pool
    with reverts(campaigns.CampaignUnknownCase, caseId=case_of(selfish.id)):
        arbiter.ruleOn(campaigns, case_of(selfish.id), True, sender=stranger)  # once


def test_a_dismissed_dispute_lets_the_result_stand_and_pays_the_claimants_bond_to_the_operator(
    campaigns, kit, arbiter, selfish, requester, operator, stranger, chain
):
    p = selfish.params
    _dispute(campaigns, selfish, requester)
    at(chain, selfish.claims_open + 100)  # the arbiter took longer than the challenge window
    receipt = arbiter.ruleOn(campaigns, case_of(selfish.id), False, sender=stranger)
    ts = chain.blocks[receipt.block_number].timestamp
    ruled = receipt.events.filter(campaigns.DisputeRuled)[0]
    assert (ruled.upheld, ruled.credited, ruled.amount) == (False, operator.address, p.bond)
    assert fields(campaigns.state(selfish.id)) == (POSTED, ts, p.bond, p.pool)
    assert campaigns.credit(operator, ETH) == p.bond
    # The claim window runs from the ruling.
    at(chain, ts + p.claimWindow)
    assert kit.claim(selfish, operator, sender=operator).return_value == 9000
    at(chain, ts + p.claimWindow + 1)
    assert kit.finish(selfish.id, p, sender=stranger).return_value == (1000, p.bond)


def test_an_unanswered_dispute_lapses_after_the_ruling_timeout(
    campaigns, kit, selfish, requester, stranger, chain
):
    p = selfish.params
    opened = chain.blocks[_dispute(campaigns, selfish, requester).block_number].timestamp
    at(chain, opened + RULING_TIMEOUT)
    with reverts(campaigns.CampaignRulingPending, id=selfish.id, at=opened + RULING_TIMEOUT + 1):
        campaigns.lapse(selfish.id, sender=stranger)
    at(chain, opened + RULING_TIMEOUT + 1)
    receipt = campaigns.lapse(selfish.id, sender=stranger)
    event = receipt.events.filter(campaigns.DisputeLapsed)[0]
    assert (event.id, event.claimant, event.bondReturned) == (selfish.id, requester.address, p.bond)
    assert campaigns.state(selfish.id).status == POSTED
    assert campaigns.state(selfish.id).opensAt == opened + RULING_TIMEOUT + 1
    assert campaigns.credit(requester, ETH) == p.bond
    with reverts(campaigns.CampaignWrongStatus, id=selfish.id, status=POSTED, required=DISPUTED):
        campaigns.lapse(selfish.id, sender=stranger)


def test_a_result_reposted_after_an_upheld_dispute_is_a_new_case_for_a_panel(
    project, deployer, kit, requester, operator, alice, stranger, chain
):
    """A panel remembers the cases it decided. The operator's second self-paying post is
    disputed again: a new case (round 2) the panel rules on, not one it would refuse as decided
    and leave to lapse (which would let the result stand). A stale round is refused."""
    panel = deployer.deploy(project.PanelArbiter, [deployer.address], 1)
    campaigns = deployer.deploy(project.LabelCampaigns, panel, RULING_TIMEOUT)
    k = type(kit)(campaigns, chain, kit.accounts.values(), kit.contributors_of)
    salt, gold_root = os.urandom(32), os.urandom(32)
    cid, p = k.created(k.params(requester, operator, pool=1_000, salt=salt, gold_root=gold_root))
    greedy = kit.contributors_of({operator.address: 1})
    for round_ in (1, 2):
        k.post(cid, p, greedy, gold_root, salt, report(greedy.root, gold_root))
        receipt = campaigns.dispute(cid, p.t(), EVIDENCE, value=p.bond, sender=requester)
        assert receipt.events.filter(campaigns.ResultDisputed)[0].caseId == case_of(cid, round_)
        if round_ == 2:
            with reverts(project.PanelArbiter.PanelArbiterNoCase):
                panel.vote(campaigns, case_of(cid, 1), True, sender=deployer)
        panel.vote(campaigns, case_of(cid, round_), True, sender=deployer)
        assert campaigns.state(cid).status == OPEN
    assert campaigns.credit(requester, ETH) == 4 * p.bond


def test_a_stale_case_number_is_refused(campaigns, kit, arbiter, selfish, requester, stranger):
    _dispute(campaigns, selfish, requester)
    for stale in (case_of(selfish.id, 2), case_of(selfish.id, 0), selfish.id + 1):
        with reverts(campaigns.CampaignUnknownCase, caseId=stale):
            arbiter.ruleOn(campaigns, stale, True, sender=stranger)


def test_an_empty_batch_checks_its_campaign(campaigns, selfish, open_campaign, stranger):
    p = selfish.params
    with reverts(campaigns.CampaignUnknown, id=10**6):
        campaigns.claimBatch(10**6, p.t(), [], sender=stranger)
    with reverts(campaigns.CampaignParamsMismatch, id=selfish.id):
        campaigns.claimBatch(selfish.id, p.but(pool=1).t(), [], sender=stranger)
    cid, op = open_campaign[:2]
    with reverts(campaigns.CampaignWrongStatus, id=cid, status=OPEN, required=POSTED):
        campaigns.claimBatch(cid, op.t(), [], sender=stranger)


def test_dispute_rules(campaigns, kit, arbiter, selfish, requester, stranger, chain, open_campaign):
    p = selfish.params
    with reverts(campaigns.CampaignWrongValue, sent=p.bond - 1, expected=p.bond):
        _dispute(campaigns, selfish, requester, value=p.bond - 1)
    arbiter.setFee(5, sender=stranger)
    with reverts(campaigns.CampaignWrongValue, sent=p.bond, expected=p.bond + 5):
        _dispute(campaigns, selfish, requester, value=p.bond)
    arbiter.setFee(0, sender=stranger)
    with reverts(campaigns.CampaignParamsMismatch, id=selfish.id):
        campaigns.dispute(selfish.id, p.but(bond=1).t(), EVIDENCE, value=1, sender=requester)
    cid, op = open_campaign[:2]
    with reverts(campaigns.CampaignWrongStatus, id=cid, status=OPEN, required=POSTED):
        campaigns.dispute(cid, op.t(), EVIDENCE, value=op.bond, sender=requester)
    with reverts(campaigns.CampaignNotArbiter, caller=stranger, arbiter=arbiter):
        campaigns.rule(case_of(selfish.id), True, sender=stranger)
    with reverts(campaigns.CampaignWrongStatus, id=selfish.id, status=POSTED, required=DISPUTED):
        campaigns.lapse(selfish.id, sender=stranger)
    at(chain, selfish.claims_open)
    with reverts(
        campaigns.CampaignChallengeWindowOver, id=selfish.id, endedAt=selfish.claims_open - 1
    ):
        _dispute(campaigns, selfish, stranger)


def test_anyone_may_dispute_with_the_fee_and_only_one_case_runs(
    campaigns, arbiter, selfish, alice, requester, stranger
):
    """An annotator the operator cheated disputes too; the fee goes to the arbiter."""
    arbiter.setFee(7, sender=stranger)
    before = arbiter.received()
    _dispute(campaigns, selfish, alice, fee=7)
    assert arbiter.received() == before + 7
    with reverts(campaigns.CampaignWrongStatus, id=selfish.id, status=DISPUTED, required=POSTED):
        _dispute(campaigns, selfish, requester, fee=7)


def test_an_arbiter_that_refuses_changes_nothing(campaigns, arbiter, selfish, requester, stranger):
    arbiter.setRefuse(True, sender=stranger)
    before = balance_of(ETH, campaigns)
    with reverts(campaigns.CampaignArbiterRefused, id=selfish.id):
        _dispute(campaigns, selfish, requester)
    assert campaigns.state(selfish.id).status == POSTED and balance_of(ETH, campaigns) == before


def test_a_dispute_starved_of_gas_is_not_a_refusal(
    campaigns, arbiter, selfish, requester, stranger
):
    """An arbiter call that ran out of gas reverts the whole dispute (CampaignGasTooLow), so a
    sender cannot pass off a starved call as the arbiter's refusal."""
    arbiter.setBurn(True, sender=stranger)
    with reverts(campaigns.CampaignGasTooLow):
        campaigns.dispute(
            selfish.id,
            selfish.params.t(),
            EVIDENCE,
            value=selfish.params.bond,
            sender=requester,
            gas_limit=300_000,
        )
    assert campaigns.state(selfish.id).status == POSTED


def test_an_arbiter_may_rule_inside_the_request(campaigns, arbiter, selfish, requester, stranger):
    arbiter.setInstant(True, False, sender=stranger)
    receipt = _dispute(campaigns, selfish, requester)
    assert not receipt.events.filter(campaigns.DisputeRuled)[0].upheld
    assert campaigns.state(selfish.id).status == POSTED


def test_an_erc20_dispute_bond_is_pulled_and_the_fee_is_eth(
    campaigns, kit, funded, arbiter, requester, operator, alice, stranger
):
    token = funded["token"]
    posted = kit.launch(
        requester, operator, {operator.address: 1}, currency=token, pool=500, bond=40
    )
    arbiter.setFee(3, sender=stranger)
    with reverts(campaigns.CampaignWrongValue, sent=0, expected=3):
        campaigns.dispute(posted.id, posted.params.t(), EVIDENCE, sender=requester)
    before = token.balanceOf(requester)
    campaigns.dispute(posted.id, posted.params.t(), EVIDENCE, value=3, sender=requester)
    assert token.balanceOf(requester) == before - 40
    arbiter.ruleOn(campaigns, case_of(posted.id), True, sender=stranger)
    assert campaigns.credit(requester, token) == 80
    campaigns.withdrawCredit(token, alice, sender=requester)  # to another address
    assert token.balanceOf(alice) == 80 and campaigns.credit(requester, token) == 0


# -- the gold, revealed on chain ------------------------------------------------------------------


def test_the_requester_reveals_the_gold_and_every_post_must_carry_it(
    campaigns, kit, open_campaign, requester, alice, stranger
):
    cid, p, salt, gold_root = open_campaign
    with reverts(campaigns.CampaignGoldRevealMismatch, id=cid):
        campaigns.revealGold(cid, p.t(), os.urandom(32), gold_root, sender=requester)
    receipt = campaigns.revealGold(cid, p.t(), salt, gold_root, sender=requester)
    event = receipt.events.filter(campaigns.GoldRevealed)[0]
    assert (event.id, event.by) == (cid, requester.address)
    assert (bytes(event.goldRoot), bytes(event.goldSalt)) == (gold_root, salt)
    with reverts(
        campaigns.CampaignGoldAlreadyRevealed, id=cid, revealed=gold_root, given=gold_root
    ):
        campaigns.revealGold(cid, p.t(), salt, gold_root, sender=stranger)
    people = kit.contributors_of({alice.address: 1})
    other = os.urandom(32)
    with reverts(campaigns.CampaignGoldAlreadyRevealed, id=cid, revealed=gold_root, given=other):
        kit.post(cid, p, people, other, salt, report(people.root, other))
    with reverts(
        campaigns.CampaignGoldAlreadyRevealed, id=cid, revealed=gold_root, given=b"\0" * 32
    ):
        kit.post(cid, p, people, b"\0" * 32, b"\0" * 32, report(people.root, b"\0" * 32))
    # The operator no longer needs the salt: any salt, the revealed root.
    receipt = kit.post(cid, p, people, gold_root, b"\0" * 32, report(people.root, gold_root))
    posted = receipt.events.filter(campaigns.ResultPosted)[0]
    assert bytes(posted.goldRoot) == gold_root and bytes(posted.goldSalt) == b"\0" * 32
    with reverts(campaigns.CampaignWrongStatus, id=cid, status=POSTED, required=OPEN):
        campaigns.revealGold(cid, p.t(), salt, gold_root, sender=requester)


def test_a_requester_that_withholds_the_salt_cannot_stall_the_post(
    campaigns, kit, open_campaign, alice
):
    """No salt, no reveal: the operator posts a result scored without gold (goldRoot 0), which
    stands unless disputed."""
    cid, p = open_campaign[:2]
    people = kit.contributors_of({alice.address: 1})
    zero = b"\0" * 32
    receipt = kit.post(cid, p, people, zero, os.urandom(32), report(people.root, zero))
    event = receipt.events.filter(campaigns.ResultPosted)[0]
    assert bytes(event.goldRoot) == zero and bytes(event.goldSalt) == zero


def test_revealing_a_zero_gold_root_is_refused(campaigns, open_campaign, requester):
    cid, p = open_campaign[:2]
    with reverts(campaigns.CampaignBadParams, field=3, value=0):
        campaigns.revealGold(cid, p.t(), b"\1" * 32, b"\0" * 32, sender=requester)


def test_post_by_is_at_most_max_window_ahead(campaigns, kit, requester, operator, chain):
    ts = chain.blocks.head.timestamp + 5
    at(chain, ts)
    too_far = ts + 365 * DAY + 1
    with reverts(campaigns.CampaignBadParams, field=6, value=too_far):
        kit.create(kit.params(requester, operator, postBy=too_far))
    at(chain, ts + 1)
    kit.create(kit.params(requester, operator, postBy=ts + 1 + 365 * DAY))


# -- claimTo, withdrawCredit(to) ------------------------------------------------------------------


def test_claim_to_pays_the_callers_share_elsewhere(
    campaigns, kit, posted_small, alice, bob, stranger, chain
):
    at(chain, posted_small.claims_open)
    p = posted_small.params
    weight, proof = posted_small.people.proof(alice.address)
    with reverts(campaigns.CampaignZeroRecipient):
        campaigns.claimTo(posted_small.id, p.t(), weight, proof, ETH, sender=alice)
    with reverts(
        campaigns.CampaignInvalidProof, id=posted_small.id, account=stranger, weight=weight
    ):
        campaigns.claimTo(posted_small.id, p.t(), weight, proof, stranger, sender=stranger)
    before = bob.balance
    receipt = campaigns.claimTo(posted_small.id, p.t(), weight, proof, bob, sender=alice)
    assert bob.balance == before + 3000
    to = receipt.events.filter(campaigns.ClaimedTo)[0]
    assert (to.account, to.to, to.amount) == (alice.address, bob.address, 3000)
    with reverts(campaigns.CampaignAlreadyClaimed, id=posted_small.id, account=alice):
        kit.claim(posted_small, alice, sender=stranger)


def test_a_wallet_that_cannot_receive_claims_to_another_address(
    campaigns, kit, project, deployer, requester, operator, alice, stranger, chain
):
    """The wallet refuses every ETH transfer: its claim cannot be sent to it (and is not
    booked), but the wallet claims to another address."""
    wallet = deployer.deploy(project.EthRefusingWallet, deployer)
    posted = kit.launch(requester, operator, {wallet.address: 1, alice.address: 1}, pool=100)
    at(chain, posted.claims_open)
    weight, proof = posted.people.proof(wallet.address)
    with reverts(campaigns.CampaignTransferFailed, to=wallet, amount=50):
        campaigns.claim(posted.id, posted.params.t(), wallet, weight, proof, sender=stranger)
    data = campaigns.claimTo.encode_input(posted.id, posted.params.t(), weight, proof, alice)
    before = alice.balance
    wallet.execute(campaigns, data, sender=deployer)
    assert alice.balance == before + 50 and campaigns.claimed(posted.id, wallet)


def test_withdraw_credit_to_zero_is_refused(campaigns, requester):
    with reverts(campaigns.CampaignZeroRecipient):
        campaigns.withdrawCredit(ETH, ETH, sender=requester)


# -- gas-capped payouts cannot be starved ---------------------------------------------------------


def test_finish_with_too_little_gas_for_a_capped_payout_reverts(
    campaigns, kit, posted_small, stranger, chain
):
    """Starving `finish` so the requester's 100k-gas payout fails would turn it into a credit:
    the call is refused instead, and the payout happens whole with enough gas."""
    at(chain, posted_small.claims_end + 1)
    with reverts(campaigns.CampaignGasTooLow):
        campaigns.finish(
            posted_small.id, posted_small.params.t(), sender=stranger, gas_limit=110_000
        )
    receipt = kit.finish(posted_small.id, posted_small.params, sender=stranger)
    assert not receipt.events.filter(campaigns.Credited)


def test_a_batch_with_too_little_gas_reverts_instead_of_skipping(
    campaigns, posted_small, alice, bob, stranger, chain
):
    at(chain, posted_small.claims_open)
    p = posted_small.params
    requests = [(a.address, *posted_small.people.proof(a.address)) for a in (alice, bob)]
    with reverts(campaigns.CampaignGasTooLow):
        campaigns.claimBatch(posted_small.id, p.t(), requests, sender=stranger, gas_limit=160_000)
    amounts = campaigns.claimBatch(posted_small.id, p.t(), requests, sender=stranger).return_value
    assert list(amounts) == [3000, 1000]


@pytest.fixture
def posted_small(kit, requester, operator, alice, bob, carol):
    return kit.launch(
        requester, operator, {alice.address: 3, bob.address: 1, carol.address: 2}, pool=6000
    )


@pytest.fixture
def open_campaign(kit, requester, operator):
    salt, gold_root = os.urandom(32), os.urandom(32)
    cid, p = kit.created(kit.params(requester, operator, salt=salt, gold_root=gold_root))
    return cid, p, salt, gold_root
