"""LabelCampaigns: creation and escrow, the result post with its gold reveal, the objective
challenge (both outcomes) and finish: every rule with its error and values."""

import os

import pytest
from campaign_helpers import (
    DAY,
    ETH,
    FINISHED,
    OPEN,
    POSTED,
    Posted,
    at,
    balance_of,
    gold_commitment,
    report,
    reverts,
)
from eth_utils import keccak

MAX_WINDOW = 365 * DAY


def fields(struct):
    """A decoded struct (event argument or view) as a plain tuple."""
    return tuple(struct[i] for i in range(len(struct)))


def paid_gas(receipt) -> int:
    return receipt.gas_used * receipt.gas_price


# -- create ----------------------------------------------------------------------------------


def test_create_escrows_eth_and_logs_every_parameter(campaigns, kit, requester, operator):
    p = kit.params(requester, operator)
    before = balance_of(ETH, campaigns)
    count = campaigns.campaignCount()
    receipt = kit.create(p)
    event = receipt.events.filter(campaigns.CampaignCreated)[0]
    assert event.id == count + 1 == campaigns.campaignCount()
    assert (event.requester, event.operator) == (requester.address, operator.address)
    assert _norm(fields(event.params)) == _norm(p.t())
    assert bytes(campaigns.paramsHash(event.id)) == p.hash() == bytes(campaigns.hashParams(p.t()))
    assert fields(campaigns.state(event.id)) == (OPEN, 0, 0, p.pool)
    assert balance_of(ETH, campaigns) - before == p.pool
    second = kit.create(p).events.filter(campaigns.CampaignCreated)[0]
    assert second.id == event.id + 1  # the same parameters make a new campaign


def _norm(values):
    def one(v):
        if isinstance(v, bytes | bytearray):
            return bytes(v)
        return v.lower() if isinstance(v, str) else v

    return tuple(one(v) for v in values)


def test_only_the_requester_creates(campaigns, kit, requester, operator, stranger):
    p = kit.params(requester, operator)
    with reverts(campaigns.CampaignNotRequester, caller=stranger, requester=requester):
        kit.create(p, sender=stranger)


@pytest.mark.parametrize(
    "field,change",
    [
        (1, {"operator": ETH}),
        (2, {"itemsRoot": bytes(32)}),
        (3, {"goldCommitment": bytes(32)}),
        (4, {"pool": 0}),
        (4, {"pool": 2**112}),
        (5, {"bond": 0}),
        (5, {"bond": 2**96}),
        (6, {"postBy": 0}),
        (7, {"challengeWindow": 0}),
        (7, {"challengeWindow": MAX_WINDOW + 1}),
        (8, {"claimWindow": 0}),
        (8, {"claimWindow": MAX_WINDOW + 1}),
    ],
    ids=lambda v: str(v) if isinstance(v, int) else "-".join(f"{k}" for k in v),
)
def test_bad_parameters_are_refused_with_the_field_and_value(
    campaigns, kit, funded, requester, operator, chain, field, change
):
    # In the token: no msg.value needed, so even a pool of 2^112 reaches the check.
    p = kit.params(requester, operator, currency=funded["token"]).but(**change)
    value = list(change.values())[0]
    expected = value if isinstance(value, int) else 0
    if field == 6:
        p = p.but(postBy=kit.params(requester, operator).postBy - DAY)  # now, not later
        expected = p.postBy
    with reverts(campaigns.CampaignBadParams, field=field, value=expected):
        kit.create(p)


def test_post_by_must_be_in_the_future(campaigns, kit, requester, operator, chain):
    p = kit.params(requester, operator)
    t = p.postBy - DAY + 100
    at(chain, t)
    with reverts(campaigns.CampaignBadParams, field=6, value=t):
        kit.create(p.but(postBy=t))
    at(chain, t + 1)
    kit.create(p.but(postBy=t + 2))  # one second ahead is enough


def test_the_escrow_must_be_exact(campaigns, kit, funded, requester, operator):
    p = kit.params(requester, operator)
    with reverts(campaigns.CampaignWrongValue, sent=p.pool - 1, expected=p.pool):
        kit.create(p, value=p.pool - 1)
    t = kit.params(requester, operator, currency=funded["token"])
    with reverts(campaigns.CampaignWrongValue, sent=1, expected=0):
        kit.create(t, value=1)


def test_an_erc20_pool_is_pulled_from_the_requester(campaigns, kit, funded, requester, operator):
    token = funded["token"]
    p = kit.params(requester, operator, currency=token, pool=5 * 10**18)
    before = token.balanceOf(requester), token.balanceOf(campaigns)
    cid, stored = kit.created(p)
    assert stored == p
    assert token.balanceOf(requester) == before[0] - p.pool
    assert token.balanceOf(campaigns) == before[1] + p.pool
    assert campaigns.state(cid).remaining == p.pool


def test_a_fee_on_transfer_pool_is_what_arrived(campaigns, kit, funded, requester, operator):
    fot = funded["fot"]
    p = kit.params(requester, operator, currency=fot, pool=10_000)
    cid, stored = kit.created(p)
    assert stored.pool == 9_900  # 1% burnt on the way in
    assert bytes(campaigns.paramsHash(cid)) == stored.hash()
    assert campaigns.state(cid).remaining == 9_900 == fot.balanceOf(campaigns)
    # The parameters as sent are not the campaign's.
    people = kit.contributors_of({requester.address: 1})
    with reverts(campaigns.CampaignParamsMismatch, id=cid, stored=stored.hash(), given=p.hash()):
        kit.post(cid, p, people, os.urandom(32), os.urandom(32), b"")


def test_a_token_that_returns_false_is_refused(
    campaigns, kit, project, deployer, requester, operator
):
    false_token = deployer.deploy(project.FalseReturningToken, False)
    p = kit.params(requester, operator, currency=false_token)  # no balance: transferFrom → false
    with reverts(campaigns.SafeERC20FailedOperation, token=false_token.address):
        kit.create(p)


def test_plain_eth_transfers_are_refused(campaigns, stranger):
    with pytest.raises(Exception):  # noqa: B017  (no receive(): any revert)
        stranger.transfer(campaigns, 1)


# -- postResult --------------------------------------------------------------------------------


@pytest.fixture
def open_campaign(kit, requester, operator):
    salt, gold_root = os.urandom(32), os.urandom(32)
    cid, p = kit.created(kit.params(requester, operator, salt=salt, gold_root=gold_root))
    return cid, p, salt, gold_root


def test_post_result_takes_the_bond_and_reveals_the_gold(
    campaigns, kit, open_campaign, operator, alice, bob, chain
):
    cid, p, salt, gold_root = open_campaign
    people = kit.contributors_of({alice.address: 3, bob.address: 1})
    body = report(people.root, gold_root)
    before = balance_of(ETH, campaigns)
    receipt = kit.post(cid, p, people, gold_root, salt, body)
    event = receipt.events.filter(campaigns.ResultPosted)[0]
    assert event.id == cid and bytes(event.resultRoot) == people.root
    assert event.totalWeight == 4 == people.total
    assert bytes(event.reportHash) == keccak(body)
    assert (bytes(event.goldRoot), bytes(event.goldSalt)) == (gold_root, salt)
    assert keccak(bytes(event.goldSalt) + bytes(event.goldRoot)) == p.goldCommitment
    assert event.bond == p.bond
    ts = chain.blocks[receipt.block_number].timestamp
    assert fields(campaigns.state(cid)) == (POSTED, ts + p.challengeWindow, p.bond, p.pool)
    assert balance_of(ETH, campaigns) - before == p.bond


def test_post_result_rules(campaigns, kit, open_campaign, operator, stranger, alice, bob):
    cid, p, salt, gold_root = open_campaign
    people = kit.contributors_of({alice.address: 3, bob.address: 1})
    body = report(people.root, gold_root)
    with reverts(campaigns.CampaignUnknown, id=cid + 100):
        kit.post(cid + 100, p, people, gold_root, salt, body)
    wrong = p.but(bond=p.bond + 1)
    with reverts(campaigns.CampaignParamsMismatch, id=cid, stored=p.hash(), given=wrong.hash()):
        kit.post(cid, wrong, people, gold_root, salt, body, value=p.bond + 1)
    with reverts(campaigns.CampaignNotOperator, id=cid, caller=stranger, operator=operator):
        kit.post(cid, p, people, gold_root, salt, body, sender=stranger)
    bad_salt = os.urandom(32)
    with reverts(
        campaigns.CampaignGoldRevealMismatch,
        id=cid,
        commitment=p.goldCommitment,
        revealed=gold_commitment(bad_salt, gold_root),
    ):
        kit.post(cid, p, people, gold_root, bad_salt, body)
    other_gold = os.urandom(32)
    with reverts(campaigns.CampaignGoldRevealMismatch, revealed=gold_commitment(salt, other_gold)):
        kit.post(cid, p, people, other_gold, salt, body)
    with reverts(campaigns.CampaignWrongValue, sent=p.bond - 1, expected=p.bond):
        kit.post(cid, p, people, gold_root, salt, body, value=p.bond - 1)
    kit.post(cid, p, people, gold_root, salt, body)
    with reverts(campaigns.CampaignWrongStatus, id=cid, status=POSTED, required=OPEN):
        kit.post(cid, p, people, gold_root, salt, body)


@pytest.mark.parametrize(
    "top,error,values",
    [
        ([], "CampaignBadTop", {"length": 0}),
        ([(b"\x01" * 32, 1)] * 3, "CampaignBadTop", {"length": 3}),
        ([(b"\x01" * 32, 1)], "CampaignBadTop", {"length": 1}),  # not an address
        ([(bytes(32), 5)], "CampaignZeroContributor", {}),
        ([(bytes(31) + b"\x07", 0)], "CampaignBadTotalWeight", {"totalWeight": 0}),
        ([(bytes(31) + b"\x07", 2**96)], "CampaignBadTotalWeight", {"totalWeight": 2**96}),
        ([(b"\x01" * 32, 0), (b"\x02" * 32, 0)], "CampaignBadTotalWeight", {"totalWeight": 0}),
        (
            [(b"\x01" * 32, 2**96), (b"\x02" * 32, 1)],
            "CampaignBadTotalWeight",
            {"totalWeight": 2**96},
        ),
        (
            [(b"\x01" * 32, 2**95), (b"\x02" * 32, 2**95)],
            "CampaignBadTotalWeight",
            {"totalWeight": 2**96},
        ),
    ],
    ids=[
        "empty",
        "three",
        "not-address",
        "zero-address",
        "zero",
        "big-leaf",
        "zero-pair",
        "big-child",
        "big-sum",
    ],
)
def test_the_top_is_checked_as_the_registry_does(
    campaigns, kit, open_campaign, alice, top, error, values
):
    cid, p, salt, gold_root = open_campaign
    people = kit.contributors_of({alice.address: 1})
    with reverts(getattr(campaigns, error), **values):
        kit.post(cid, p, people, gold_root, salt, b"", top=top)


def test_post_by_is_the_last_second(campaigns, kit, open_campaign, alice, chain):
    cid, p, salt, gold_root = open_campaign
    people = kit.contributors_of({alice.address: 1})
    at(chain, p.postBy + 1)
    with reverts(campaigns.CampaignPostDeadlinePassed, id=cid, postBy=p.postBy, now_=p.postBy + 1):
        kit.post(cid, p, people, gold_root, salt, b"")


def test_a_post_at_post_by_is_accepted(campaigns, kit, open_campaign, alice, chain):
    cid, p, salt, gold_root = open_campaign
    people = kit.contributors_of({alice.address: 1})
    at(chain, p.postBy)
    kit.post(cid, p, people, gold_root, salt, b"")
    assert campaigns.state(cid).status == POSTED


def test_a_one_annotator_result(campaigns, kit, requester, operator, alice):
    posted = kit.launch(requester, operator, {alice.address: 7})
    assert posted.people.top == [(bytes(12) + bytes.fromhex(alice.address[2:]), 7)]
    assert campaigns.state(posted.id).status == POSTED


def test_an_erc20_bond_is_pulled_and_a_fee_on_transfer_bond_is_what_arrived(
    campaigns, kit, funded, requester, operator, alice
):
    token, fot = funded["token"], funded["fot"]
    before = token.balanceOf(operator)
    posted = kit.launch(requester, operator, {alice.address: 1}, currency=token, bond=10**18)
    assert token.balanceOf(operator) == before - 10**18
    assert campaigns.state(posted.id).bond == 10**18
    posted = kit.launch(requester, operator, {alice.address: 1}, currency=fot, bond=10_000)
    assert campaigns.state(posted.id).bond == 9_900


# -- challengeReport ---------------------------------------------------------------------------


def _launch_with_report(kit, requester, operator, weights, header, **kw):
    """A campaign whose posted report names `header(people, gold_root)` = (root, gold)."""
    salt, gold_root = os.urandom(32), os.urandom(32)
    cid, p = kit.created(kit.params(requester, operator, salt=salt, gold_root=gold_root, **kw))
    people = kit.contributors_of(weights)
    body = report(*header(people, gold_root))
    receipt = kit.post(cid, p, people, gold_root, salt, body)
    return cid, p, people, gold_root, salt, body, receipt


@pytest.mark.parametrize(
    "header",
    [lambda people, g: (os.urandom(32), g), lambda people, g: (people.root, os.urandom(32))],
    ids=["other-root", "other-gold"],
)
def test_a_report_that_contradicts_the_result_slashes_the_bond(
    campaigns, kit, requester, operator, challenger, alice, bob, header
):
    cid, p, people, gold_root, salt, body, _ = _launch_with_report(
        kit, requester, operator, {alice.address: 1, bob.address: 1}, header, bond=101
    )
    before = challenger.balance
    receipt = campaigns.challengeReport(cid, p.t(), body, gold_root, sender=challenger)
    event = receipt.events.filter(campaigns.ResultSlashed)[0]
    assert (event.id, event.challenger, event.bond) == (cid, challenger.address, 101)
    assert (event.toChallenger, event.toRequester) == (50, 51)  # the odd wei to the requester
    assert challenger.balance == before + 50 - paid_gas(receipt)
    assert campaigns.credit(requester, ETH) == 51
    credited = receipt.events.filter(campaigns.Credited)[0]
    assert (credited.account, credited.amount) == (requester.address, 51)
    assert fields(campaigns.state(cid)) == (OPEN, 0, 0, p.pool)
    # The void result pays nobody; the operator may post again (with a new bond) by postBy.
    with reverts(campaigns.CampaignWrongStatus, id=cid, status=OPEN, required=POSTED):
        kit.claim(_posted(cid, p, people, gold_root, salt, body), alice, sender=challenger)
    good = report(people.root, gold_root)
    kit.post(cid, p, people, gold_root, salt, good)
    assert fields(campaigns.state(cid))[:1] == (POSTED,) and campaigns.state(cid).bond == 101
    with reverts(campaigns.CampaignReportMatches, id=cid, reportHash=keccak(good)):
        campaigns.challengeReport(cid, p.t(), good, gold_root, sender=challenger)
    # The requester takes its half.
    before = requester.balance
    receipt = campaigns.withdrawCredit(ETH, requester, sender=requester)
    assert requester.balance == before + 51 - paid_gas(receipt)
    event = receipt.events.filter(campaigns.CreditWithdrawn)[0]
    assert (event.account, event.currency, event.amount) == (requester.address, ETH, 51)
    with reverts(campaigns.CampaignNoCredit, account=requester, currency=ETH):
        campaigns.withdrawCredit(ETH, requester, sender=requester)


def _posted(cid, p, people, gold_root, salt, body):
    return Posted(cid, p, people, gold_root, salt, body, 0)


def test_a_matching_report_cannot_be_challenged(
    campaigns, kit, requester, operator, challenger, alice
):
    posted = kit.launch(requester, operator, {alice.address: 1})
    with reverts(campaigns.CampaignReportMatches, id=posted.id, reportHash=posted.report_hash):
        campaigns.challengeReport(
            posted.id, posted.params.t(), posted.report, posted.gold_root, sender=challenger
        )


def test_only_the_posted_report_and_gold_root_count(
    campaigns, kit, requester, operator, challenger, alice
):
    cid, p, people, gold_root, salt, body, _ = _launch_with_report(
        kit, requester, operator, {alice.address: 1}, lambda people, g: (os.urandom(32), g)
    )
    forged = report(os.urandom(32), gold_root)  # contradicts, but was never posted
    with reverts(
        campaigns.CampaignNotPostedReport, id=cid, reportHash=keccak(forged), goldRoot=gold_root
    ):
        campaigns.challengeReport(cid, p.t(), forged, gold_root, sender=challenger)
    other = os.urandom(32)
    with reverts(
        campaigns.CampaignNotPostedReport, id=cid, reportHash=keccak(body), goldRoot=other
    ):
        campaigns.challengeReport(cid, p.t(), body, other, sender=challenger)
    with reverts(campaigns.CampaignReportTooShort, length=63):
        campaigns.challengeReport(cid, p.t(), body[:63], gold_root, sender=challenger)
    wrong = p.but(claimWindow=p.claimWindow + 1)
    with reverts(campaigns.CampaignParamsMismatch, id=cid, stored=p.hash(), given=wrong.hash()):
        campaigns.challengeReport(cid, wrong.t(), body, gold_root, sender=challenger)


def test_challenges_close_with_the_window(
    campaigns, kit, requester, operator, challenger, alice, chain
):
    cid, p, people, gold_root, salt, body, receipt = _launch_with_report(
        kit, requester, operator, {alice.address: 1}, lambda people, g: (os.urandom(32), g)
    )
    end = chain.blocks[receipt.block_number].timestamp + p.challengeWindow
    snapshot = chain.snapshot()
    at(chain, end + 1)
    with reverts(campaigns.CampaignChallengeWindowOver, id=cid, endedAt=end):
        campaigns.challengeReport(cid, p.t(), body, gold_root, sender=challenger)
    chain.restore(snapshot)
    at(chain, end)  # the last second still counts
    campaigns.challengeReport(cid, p.t(), body, gold_root, sender=challenger)
    assert campaigns.state(cid).status == OPEN


def test_no_challenge_without_a_result(campaigns, kit, open_campaign, challenger):
    cid, p, salt, gold_root = open_campaign
    with reverts(campaigns.CampaignWrongStatus, id=cid, status=OPEN, required=POSTED):
        campaigns.challengeReport(
            cid, p.t(), report(bytes(32), gold_root), gold_root, sender=challenger
        )


def test_an_erc20_bond_is_slashed_in_the_token(
    campaigns, kit, funded, requester, operator, challenger, alice
):
    token = funded["token"]
    cid, p, people, gold_root, salt, body, _ = _launch_with_report(
        kit, requester, operator, {alice.address: 1}, lambda people, g: (os.urandom(32), g),
        currency=token, bond=10**18,
    )  # fmt: skip
    before = token.balanceOf(challenger)
    campaigns.challengeReport(cid, p.t(), body, gold_root, sender=challenger)
    assert token.balanceOf(challenger) == before + 5 * 10**17
    assert campaigns.credit(requester, token) == 5 * 10**17


def test_a_slashed_campaign_not_reposted_by_post_by_refunds_everything(
    campaigns, kit, requester, operator, challenger, alice, chain
):
    cid, p, people, gold_root, salt, body, _ = _launch_with_report(
        kit, requester, operator, {alice.address: 1}, lambda people, g: (os.urandom(32), g)
    )
    campaigns.challengeReport(cid, p.t(), body, gold_root, sender=challenger)
    at(chain, p.postBy + 1)
    with reverts(campaigns.CampaignPostDeadlinePassed, id=cid, postBy=p.postBy, now_=p.postBy + 1):
        kit.post(cid, p, people, gold_root, salt, report(people.root, gold_root))
    before_r, before_o = requester.balance, operator.balance
    receipt = kit.finish(cid, p, sender=challenger)
    event = receipt.events.filter(campaigns.Finished)[0]
    assert (event.refund, event.bondReturned, event.posted) == (p.pool, 0, False)
    assert requester.balance == before_r + p.pool and operator.balance == before_o


# -- finish --------------------------------------------------------------------------------------


def test_finish_returns_the_rest_and_the_bond_after_the_claim_window(
    campaigns, kit, requester, operator, alice, bob, stranger, chain
):
    posted = kit.launch(requester, operator, {alice.address: 3, bob.address: 1}, pool=1000)
    at(chain, posted.claims_open)
    kit.claim(posted, alice, sender=stranger)  # 750; bob never claims
    with reverts(campaigns.CampaignNotOver, id=posted.id, at=posted.claims_end + 1):
        kit.finish(posted.id, posted.params, sender=stranger)
    at(chain, posted.claims_end + 1)
    before_r, before_o = requester.balance, operator.balance
    receipt = kit.finish(posted.id, posted.params, sender=stranger)
    event = receipt.events.filter(campaigns.Finished)[0]
    assert (event.id, event.refund, event.bondReturned, event.posted) == (
        posted.id, 250, posted.params.bond, True,
    )  # fmt: skip
    assert requester.balance == before_r + 250
    assert operator.balance == before_o + posted.params.bond
    assert fields(campaigns.state(posted.id))[0::2] == (FINISHED, 0)
    assert campaigns.state(posted.id).remaining == 0
    with reverts(campaigns.CampaignWrongStatus, id=posted.id, status=FINISHED, required=POSTED):
        kit.finish(posted.id, posted.params, sender=stranger)
    with reverts(campaigns.CampaignWrongStatus, id=posted.id, status=FINISHED, required=POSTED):
        kit.claim(posted, bob, sender=stranger)


def test_finish_without_a_result_waits_for_post_by(
    campaigns, kit, open_campaign, requester, stranger, chain
):
    cid, p, salt, gold_root = open_campaign
    with reverts(campaigns.CampaignNotOver, id=cid, at=p.postBy + 1):
        kit.finish(cid, p, sender=stranger)
    wrong = p.but(requester=stranger.address)
    with reverts(campaigns.CampaignParamsMismatch, id=cid, stored=p.hash(), given=wrong.hash()):
        kit.finish(cid, wrong, sender=stranger)
    at(chain, p.postBy + 1)
    before = requester.balance
    receipt = kit.finish(cid, p, sender=stranger)
    event = receipt.events.filter(campaigns.Finished)[0]
    assert (event.refund, event.bondReturned, event.posted) == (p.pool, 0, False)
    assert requester.balance == before + p.pool
    with reverts(campaigns.CampaignUnknown, id=cid + 100):
        kit.finish(cid + 100, p, sender=stranger)


def test_a_requester_that_burns_its_gas_cannot_block_the_bond(
    campaigns, kit, project, deployer, operator, alice, stranger, chain
):
    """The requester is a contract whose receive() burns all the gas it gets: finish still
    returns the operator's bond; the requester's refund waits as its credit."""
    griefer = deployer.deploy(project.GasGriefingReceiver)
    wallet = deployer.deploy(project.ReentrantReceiver)
    wallet.arm(griefer, b"", sender=deployer)  # its receive() forwards all its gas to the griefer
    p = kit.params(wallet, operator, pool=1000)
    data = campaigns.create.encode_input(p.t())
    receipt = wallet.call(campaigns, p.pool, data, value=p.pool, sender=deployer)
    cid = receipt.events.filter(campaigns.CampaignCreated)[0].id
    people = kit.contributors_of({alice.address: 1})
    salt_gold = (b"\x5a" * 32, keccak(b"gold answers"))  # kit.params' defaults
    kit.post(cid, p, people, salt_gold[1], salt_gold[0], report(people.root, salt_gold[1]))
    at(chain, chain.blocks.head.timestamp + p.challengeWindow + p.claimWindow + 10)
    before = operator.balance
    receipt = kit.finish(cid, p, sender=stranger)
    assert operator.balance == before + p.bond
    credited = receipt.events.filter(campaigns.Credited)[0]
    assert (credited.account, credited.amount) == (wallet.address, 1000)
    assert campaigns.credit(wallet, ETH) == 1000
    # Its own withdrawal gets all the gas (and the wallet, now spent, accepts it).
    wallet.call(campaigns, 0, campaigns.withdrawCredit.encode_input(ETH, wallet), sender=deployer)
    assert campaigns.credit(wallet, ETH) == 0 and wallet.balance == 1000
