"""Claims: the exact share, once, by anyone for the account, in the window; wrong proofs and
parameters; batches; hostile receivers; ERC-20 pools; the gas with a 1,000,000-annotator
proof; and conservation of every pool to the wei (a property test)."""

import os
import random
import time

import pytest
from ape.exceptions import ContractLogicError
from campaign_helpers import (
    ETH,
    FINISHED,
    OPEN,
    POSTED,
    addr,
    at,
    balance_of,
    case_of,
    isolated,
    report,
    reverts,
)
from eth_utils import keccak
from hypothesis import given, settings
from hypothesis import strategies as st

from seedbed.core.treefile import ContributorTree


@pytest.fixture
def posted(kit, requester, operator, alice, bob, carol):
    """alice 3, bob 1, carol 2 of a 6,000-wei pool: 3,000 / 1,000 / 2,000."""
    return kit.launch(
        requester, operator, {alice.address: 3, bob.address: 1, carol.address: 2}, pool=6000
    )


def test_a_claim_pays_the_exact_share_to_the_account(
    campaigns, kit, posted, alice, stranger, chain
):
    at(chain, posted.claims_open)
    weight, proof = posted.people.proof(alice.address)
    before = alice.balance
    receipt = campaigns.claim(posted.id, posted.params.t(), alice, weight, proof, sender=stranger)
    assert receipt.return_value == 3000
    assert alice.balance == before + 3000  # the stranger paid the gas
    event = receipt.events.filter(campaigns.Claimed)[0]
    assert (event.id, event.account, event.amount, event.weight) == (
        posted.id,
        alice.address,
        3000,
        3,
    )
    assert campaigns.claimed(posted.id, alice) and not campaigns.claimed(posted.id, stranger)
    assert campaigns.state(posted.id).remaining == 3000
    assert campaigns.claimable(posted.id, posted.params.t(), alice, weight, proof) == 0
    with reverts(campaigns.CampaignAlreadyClaimed, id=posted.id, account=alice):
        kit.claim(posted, alice, sender=stranger)
    with reverts(campaigns.CampaignAlreadyClaimed, id=posted.id, account=alice):
        kit.claim(posted, alice, sender=alice)  # nor by the account itself


def test_claims_open_after_the_challenge_window_and_close_with_the_claim_window(
    campaigns, kit, posted, alice, bob, carol, stranger, chain
):
    snapshot = chain.snapshot()
    at(chain, posted.claims_open - 1)
    with reverts(campaigns.CampaignClaimsNotOpen, id=posted.id, opensAt=posted.claims_open):
        kit.claim(posted, alice, sender=stranger)
    chain.restore(snapshot)
    at(chain, posted.claims_open)
    kit.claim(posted, alice, sender=stranger)
    at(chain, posted.claims_end)
    kit.claim(posted, bob, sender=stranger)  # the last second still counts
    at(chain, posted.claims_end + 1)
    with reverts(campaigns.CampaignClaimsClosed, id=posted.id, endedAt=posted.claims_end):
        kit.claim(posted, carol, sender=stranger)


def test_invalid_proofs_are_refused(campaigns, kit, posted, alice, bob, stranger, chain):
    at(chain, posted.claims_open)
    weight, proof = posted.people.proof(alice.address)
    bob_weight, bob_proof = posted.people.proof(bob.address)
    other = kit.contributors_of({alice.address: 3, bob.address: 2})
    for account, w, pf in [
        (alice, weight + 1, proof),  # a larger weight
        (alice, bob_weight, bob_proof),  # someone else's leaf
        (alice, weight, other.proof(alice.address)[1]),  # another tree's proof
        (alice, weight, []),  # no proof
        (bob, weight, proof),  # alice's proof for bob
        (
            alice,
            weight,
            [(h, s - 1 if i == 0 else s) for i, (h, s) in enumerate(proof)],
        ),  # a sum lie
    ]:
        with reverts(campaigns.CampaignInvalidProof, id=posted.id, account=account, weight=w):
            campaigns.claim(posted.id, posted.params.t(), account, w, pf, sender=stranger)
    assert campaigns.state(posted.id).remaining == 6000


def test_a_wrong_params_struct_is_refused_everywhere(
    campaigns, kit, posted, alice, stranger, chain
):
    at(chain, posted.claims_open)
    p = posted.params
    for wrong in (
        p.but(pool=p.pool * 2),
        p.but(claimWindow=p.claimWindow * 10),
        p.but(operator=addr(stranger)),
    ):
        with reverts(
            campaigns.CampaignParamsMismatch, id=posted.id, stored=p.hash(), given=wrong.hash()
        ):
            kit.claim(posted, alice, sender=stranger, params=wrong)
        weight, proof = posted.people.proof(alice.address)
        with pytest.raises(ContractLogicError) as info:  # the view too (ape shows the raw error)
            campaigns.claimable(posted.id, wrong.t(), alice, weight, proof)
        assert _selector("CampaignParamsMismatch(uint256,bytes32,bytes32)") in str(info.value)


def test_claim_preconditions(campaigns, kit, posted, requester, operator, alice, stranger, chain):
    at(chain, posted.claims_open)
    weight, proof = posted.people.proof(alice.address)
    unknown = posted.id + 50
    with reverts(campaigns.CampaignWrongStatus, id=unknown, status=0, required=POSTED):
        campaigns.claim(unknown, posted.params.t(), alice, weight, proof, sender=stranger)
    with reverts(campaigns.CampaignZeroAccount):
        campaigns.claim(posted.id, posted.params.t(), ETH, weight, proof, sender=stranger)
    cid, p = kit.created(kit.params(requester, operator))
    with reverts(campaigns.CampaignWrongStatus, id=cid, status=OPEN, required=POSTED):
        campaigns.claim(cid, p.t(), alice, weight, proof, sender=stranger)


def test_a_share_that_rounds_to_nothing_is_refused(
    campaigns, kit, requester, operator, alice, bob, stranger, chain
):
    posted = kit.launch(requester, operator, {alice.address: 1, bob.address: 100}, pool=10)
    at(chain, posted.claims_open)
    with reverts(campaigns.CampaignNothingToClaim, id=posted.id, account=alice, weight=1):
        kit.claim(posted, alice, sender=stranger)
    assert kit.claim(posted, bob, sender=stranger).return_value == 9  # 10 × 100 / 101
    assert campaigns.state(posted.id).remaining == 1  # alice's 0.099 and the dust


def _selector(signature: str) -> str:
    return "0x" + keccak(text=signature)[:4].hex()


# -- batches -------------------------------------------------------------------------------------


def _requests(posted, accounts):
    out = []
    for a in accounts:
        w, pf = posted.people.proof(addr(a))
        out.append((addr(a), w, pf))
    return out


def test_a_batch_pays_each_once_and_skips_what_was_claimed(
    campaigns, kit, posted, alice, bob, carol, stranger, chain
):
    at(chain, posted.claims_open)
    kit.claim(posted, bob, sender=stranger)
    before = alice.balance, carol.balance
    receipt = campaigns.claimBatch(
        posted.id, posted.params.t(), _requests(posted, [alice, bob, carol, alice]), sender=stranger
    )
    assert list(receipt.return_value) == [3000, 0, 2000, 0]
    assert (alice.balance - before[0], carol.balance - before[1]) == (3000, 2000)
    assert [e.account for e in receipt.events.filter(campaigns.Claimed)] == [
        alice.address,
        carol.address,
    ]
    assert campaigns.state(posted.id).remaining == 0
    too_many = _requests(posted, [alice]) * 65
    with reverts(campaigns.CampaignBatchTooLarge, count=65, max=64):
        campaigns.claimBatch(posted.id, posted.params.t(), too_many, sender=stranger)


def test_a_batch_with_an_invalid_proof_reverts(campaigns, posted, alice, bob, stranger, chain):
    at(chain, posted.claims_open)
    reqs = _requests(posted, [alice, bob])
    reqs[1] = (reqs[1][0], reqs[1][1] + 1, reqs[1][2])
    with reverts(campaigns.CampaignInvalidProof, id=posted.id, account=bob, weight=2):
        campaigns.claimBatch(posted.id, posted.params.t(), reqs, sender=stranger)


# -- hostile receivers ---------------------------------------------------------------------------


@pytest.fixture
def hostile(project, deployer):
    return {
        "reverting": deployer.deploy(project.RevertingReceiver),
        "griefer": deployer.deploy(project.GasGriefingReceiver),
        "reentrant": deployer.deploy(project.ReentrantReceiver),
    }


def test_a_reverting_receiver_blocks_nobody_else(
    campaigns, kit, hostile, requester, operator, alice, stranger, chain
):
    rev, grief = hostile["reverting"], hostile["griefer"]
    posted = kit.launch(
        requester, operator, {rev.address: 1, grief.address: 1, alice.address: 2}, pool=4000
    )
    at(chain, posted.claims_open)
    with reverts(campaigns.CampaignTransferFailed, currency=ETH, to=rev.address, amount=1000):
        kit.claim(posted, rev, sender=stranger)
    assert not campaigns.claimed(posted.id, rev)
    receipt = campaigns.claimBatch(
        posted.id, posted.params.t(), _requests(posted, [rev, grief, alice]), sender=stranger,
        gas=2_000_000,
    )  # fmt: skip
    assert list(receipt.return_value) == [0, 0, 2000]
    failed = receipt.events.filter(campaigns.ClaimFailed)
    assert [(e.account, e.amount) for e in failed] == [(rev.address, 1000), (grief.address, 1000)]
    assert receipt.gas_used < 400_000  # the griefer burnt its BATCH_ETH_GAS, not the batch's gas
    assert not campaigns.claimed(posted.id, rev) and not campaigns.claimed(posted.id, grief)
    assert campaigns.state(posted.id).remaining == 2000  # theirs goes back to the requester
    at(chain, posted.claims_end + 1)
    before = requester.balance
    kit.finish(posted.id, posted.params, sender=stranger)
    assert requester.balance == before + 2000


def test_a_reentrant_receiver_cannot_claim_twice(
    campaigns, kit, hostile, requester, operator, alice, stranger, chain
):
    wallet = hostile["reentrant"]
    posted = kit.launch(requester, operator, {wallet.address: 1, alice.address: 1}, pool=2000)
    at(chain, posted.claims_open)
    w, pf = posted.people.proof(wallet.address)
    again = campaigns.claim.encode_input(posted.id, posted.params.t(), wallet.address, w, pf)
    wallet.arm(campaigns, again, sender=stranger)
    kit.claim(posted, wallet, sender=stranger)
    assert wallet.attempted() and not wallet.reentered()
    guard = _selector("ReentrancyGuardReentrantCall()")
    assert bytes(wallet.lastError()).hex() == guard[2:]
    assert wallet.balance == 1000 and campaigns.state(posted.id).remaining == 1000


# -- ERC-20 pools --------------------------------------------------------------------------------


@pytest.mark.parametrize("kind", ["token", "fot"])
def test_erc20_claims_and_refund(
    campaigns, kit, funded, requester, operator, alice, bob, stranger, chain, kind
):
    t = funded[kind]
    posted = kit.launch(
        requester, operator, {alice.address: 2, bob.address: 1}, currency=t, pool=30_000
    )
    pool = posted.params.pool  # 29,700 for the fee-on-transfer token
    at(chain, posted.claims_open)
    before = t.balanceOf(alice)
    amount = kit.claim(posted, alice, sender=stranger).return_value
    assert amount == pool * 2 // 3
    burnt = amount * 100 // 10_000 if kind == "fot" else 0
    assert t.balanceOf(alice) == before + amount - burnt
    at(chain, posted.claims_end + 1)
    before = t.balanceOf(requester), t.balanceOf(operator)
    receipt = kit.finish(posted.id, posted.params, sender=stranger)
    event = receipt.events.filter(campaigns.Finished)[0]
    bond = posted.params.bond - (posted.params.bond * 100 // 10_000 if kind == "fot" else 0)
    assert (event.refund, event.bondReturned) == (pool - amount, bond)  # the bond as it arrived
    assert t.balanceOf(requester) - before[0] == event.refund - (
        event.refund // 100 if kind == "fot" else 0
    )
    assert t.balanceOf(operator) - before[1] == bond - (bond // 100 if kind == "fot" else 0)
    assert campaigns.state(posted.id).status == FINISHED


# -- gas with a million annotators ---------------------------------------------------------------


class MillionTree:
    """A ContributorTree shaped like conftest's Contributors (root, total, top, proof)."""

    def __init__(self, tree):
        self.tree = tree
        self.root, self.total = tree.root, tree.total
        self.top = [(bytes(h), int(s)) for h, s in tree.top()]

    def proof(self, account):
        weight, nodes = self.tree.proof(addr(account))
        return weight, [(bytes(h), int(s)) for h, s in nodes]


@pytest.fixture(scope="module")
def million(alice, bob):
    rng = random.Random(17)
    weights = {rng.randbytes(20): rng.randint(1, 10**6) for _ in range(999_998)}
    weights[bytes.fromhex(alice.address[2:])] = 123_456
    weights[bytes.fromhex(bob.address[2:])] = 654_321
    start = time.perf_counter()
    tree = ContributorTree.build(weights)
    print(f"\n1,000,000-annotator tree built in {time.perf_counter() - start:.1f} s")
    return MillionTree(tree)


def test_gas_with_a_million_annotators(
    campaigns, kit, funded, million, requester, operator, alice, bob, stranger, chain
):
    kit.create(kit.params(requester, operator))  # not the contract's first campaign
    salt, gold_root = os.urandom(32), os.urandom(32)
    p = kit.params(requester, operator, salt=salt, gold_root=gold_root)
    create = kit.create(p)
    cid = create.events.filter(campaigns.CampaignCreated)[0].id
    body = report(million.root, gold_root)
    post = kit.post(cid, p, million, gold_root, salt, body)
    assert campaigns.state(cid).status == POSTED
    weight, proof = million.proof(alice)
    assert len(proof) == 20
    ts = chain.blocks[post.block_number].timestamp
    at(chain, ts + p.challengeWindow + 1)
    before = alice.balance
    claim = campaigns.claim(cid, p.t(), alice, weight, proof, sender=stranger)
    assert alice.balance - before == p.pool * weight // million.total
    bob_weight, bob_proof = million.proof(bob)
    own = campaigns.claim(cid, p.t(), bob, bob_weight, bob_proof, sender=bob)
    # A second campaign: an annotator's later claims write a slot it already used.
    again = kit.launch(requester, operator, {alice.address: 1}, pool=10**18)
    at(chain, again.claims_open)
    repeat = kit.claim(again, alice, sender=stranger)
    token_p = kit.params(
        requester, operator, currency=funded["token"], salt=salt, gold_root=gold_root
    )
    token_create = kit.create(token_p)
    tid = token_create.events.filter(campaigns.CampaignCreated)[0].id
    token_post = kit.post(tid, token_p, million, gold_root, salt, body)
    print(f"\ngas create (ETH): {create.gas_used}; ERC-20: {token_create.gas_used}")
    print(f"gas postResult (ERC-20 bond): {token_post.gas_used}")
    print(f"gas postResult (ETH bond, 1,000,000-annotator root): {post.gas_used}")
    print(f"gas claim (20-level proof, sent by a third party): {claim.gas_used}")
    print(f"gas claim (20-level proof, sent by the annotator): {own.gas_used}")
    print(f"gas claim (an annotator's later campaign, 0-level proof): {repeat.gas_used}")
    assert create.gas_used <= 120_000
    assert post.gas_used <= 90_000
    assert own.gas_used <= 85_000
    # Sent by a third party: +2.6k for the annotator's cold account (EIP-2929) in the ETH send.
    assert claim.gas_used <= 88_000


# -- conservation --------------------------------------------------------------------------------

ANNOTATORS = (2, 3, 5, 6, 8)  # never the requester (1), operator (4), challenger (7), sender (0)


@settings(max_examples=12)
@given(data=st.data())
def test_every_pool_is_conserved_to_the_wei(
    campaigns, kit, funded, accounts, requester, operator, challenger, arbiter, chain, data
):
    """pool = Σ claims + refund, to the wei; each claim is ⌊pool × weight / total⌋; the dust
    (refund − the unclaimed shares) is below the number of annotators; a bond comes back
    whole, is split challenger + requester, or (a dispute) goes whole with the other side's to
    the winner; the contract ends holding what it held once every credit is taken."""
    with isolated(chain):
        sender = accounts[0]
        kind = data.draw(st.sampled_from(["eth", "token", "fot"]), label="currency")
        currency = ETH if kind == "eth" else funded[kind]
        cur = ETH if kind == "eth" else currency.address
        n = data.draw(st.integers(1, len(ANNOTATORS)), label="annotators")
        people = [accounts[i] for i in ANNOTATORS[:n]]
        weights = {
            a.address: data.draw(st.integers(1, 5) | st.integers(1, 10**12), label="weight")
            for a in people
        }
        pool = data.draw(st.integers(1, 100) | st.integers(1, 10**21), label="pool")
        if kind == "fot":
            pool = max(pool, 100)  # something must arrive
        bond = data.draw(st.integers(1, 10**18), label="bond")
        first = data.draw(
            st.sampled_from(["none", "slash", "upheld", "dismissed", "lapsed"]), label="first"
        )
        fee = data.draw(st.sampled_from([0, 7]), label="ruling fee")
        claimers = data.draw(st.sets(st.sampled_from(people)), label="claimers")
        batch = data.draw(st.booleans(), label="batch")
        held = balance_of(currency, campaigns)
        arbiter.setFee(fee, sender=sender)

        salt, gold_root = os.urandom(32), os.urandom(32)
        cid, p = kit.created(
            kit.params(
                requester, operator, currency, pool=pool, bond=bond, salt=salt, gold_root=gold_root
            )
        )
        tree = kit.contributors_of(weights)
        parties = {a.address: a for a in (requester, operator, challenger)}
        credits = dict.fromkeys(parties, 0)
        if first == "slash":
            bad = report(os.urandom(32), gold_root)
            kit.post(cid, p, tree, gold_root, salt, bad)
            slashed = campaigns.state(cid).bond
            campaigns.challengeReport(cid, p.t(), bad, gold_root, sender=challenger)
            credits[requester.address] += slashed - slashed // 2
        body = report(tree.root, gold_root)
        if first == "upheld":  # a result the requester disputes and the arbiter voids
            kit.post(cid, p, tree, gold_root, salt, report(os.urandom(32), gold_root))
            op_bond = campaigns.state(cid).bond
            got = _dispute(campaigns, p, cid, requester, currency, fee)
            arbiter.ruleOn(campaigns, case_of(cid), True, sender=sender)
            credits[requester.address] += op_bond + got
        receipt = kit.post(cid, p, tree, gold_root, salt, body)
        bond_in = campaigns.state(cid).bond
        opens = chain.blocks[receipt.block_number].timestamp + p.challengeWindow
        if first in ("dismissed", "lapsed"):  # disputed, and the result stands
            got = _dispute(campaigns, p, cid, requester, currency, fee)
            if first == "dismissed":
                receipt = arbiter.ruleOn(campaigns, case_of(cid), False, sender=sender)
                credits[operator.address] += got
            else:
                at(chain, chain.blocks.head.timestamp + campaigns.RULING_TIMEOUT() + 1)
                receipt = campaigns.lapse(cid, sender=sender)
                credits[requester.address] += got
            opens = chain.blocks[receipt.block_number].timestamp
        at(chain, opens + 1)

        share = {a: p.pool * weights[a.address] // tree.total for a in people}
        paying = [a for a in claimers if share[a] > 0]
        paid = 0
        if batch and paying:
            amounts = campaigns.claimBatch(
                cid, p.t(), _requests(_as_posted(cid, p, tree), paying), sender=sender
            ).return_value
            assert list(amounts) == [share[a] for a in paying]
            paid = sum(amounts)
        else:
            for a in paying:
                before = balance_of(currency, a)
                amount = kit.claim(_as_posted(cid, p, tree), a, sender=sender).return_value
                assert amount == share[a]
                burnt = amount * 100 // 10_000 if kind == "fot" else 0
                assert balance_of(currency, a) == before + amount - burnt
                paid += amount
        assert campaigns.state(cid).remaining == p.pool - paid

        at(chain, opens + p.claimWindow + 1)
        before = balance_of(currency, requester)
        event = kit.finish(cid, p, sender=sender).events.filter(campaigns.Finished)[0]
        refund = event.refund
        assert paid + refund == p.pool  # conservation, to the wei
        dust = refund - sum(share[a] for a in people if a not in paying)
        assert 0 <= dust < n
        assert event.bondReturned == bond_in
        if currency == ETH:
            assert balance_of(ETH, requester) == before + refund
        for account, expected in credits.items():
            assert campaigns.credit(account, cur) == expected, (first, account)
            if expected:
                campaigns.withdrawCredit(cur, account, sender=parties[account])
        assert balance_of(currency, campaigns) == held  # nothing left behind, nothing missing


def _dispute(campaigns, p, cid, claimant, currency, fee) -> int:
    """`claimant` disputes the standing result; returns its bond as it arrived."""
    value = p.bond + fee if currency == ETH else fee
    receipt = campaigns.dispute(cid, p.t(), keccak(b"evidence"), value=value, sender=claimant)
    return receipt.events.filter(campaigns.ResultDisputed)[0].bond


def _as_posted(cid, p, tree):
    from campaign_helpers import Posted

    return Posted(cid, p, tree, b"", b"", b"", 0)
