"""Objective claims, decided on chain (docs/integrity.md §5.3; R2, R3).

DuplicateContent(earlier A, later B): two file proofs of one file of at least
MIN_DUPLICATE_SIZE, checked at open; A committed first (createdAt − commitLag, then the lower
id), owned by someone else, not disputed and not B's direct parent. B's owner answers with a
lineage path (dismissed: the claimant's bond is the owner's) or contests; unanswered, anyone
resolves it upheld and B's revenue goes to A. PriorCommitment: the claimant shows its own
older commitment of B's content root, made while it could still have been revealed when B
was registered, within 2 × MAX_COMMIT_AGE; upheld in the same call, with no bond.
"""

import os

import pytest
from court_helpers import (
    AT_ARBITER,
    DISMISSED,
    DUPLICATE,
    HOLD_REDIRECTED,
    LAPSED,
    MIN_SIZE,
    OPEN,
    PRIOR,
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

from seedbed.core.constants import ETH, MODEL
from seedbed.core.merkle import file_leaf, node

SHARED = "data/shared.bin"


# Every module-scoped world and session account first, so ape snapshots them before any test.
pytestmark = pytest.mark.usefixtures(
    "world", "committed", "deployer", "publisher", "alice", "bob", "gateway", "stranger"
)


def lo(account):
    return str(getattr(account, "address", account)).lower()


def books(w):
    w.vault_books(ETH)
    w.court_books()


def pair(w, first_owner, second_owner, size=MIN_SIZE, path_b=SHARED):
    """Two assets holding one file (at SHARED in the first, `path_b` in the second), each
    beside a file of its own; returns (a, files_a, b, files_b)."""
    sha, n = big_file(os.urandom(8).hex(), size)
    fa = with_filler({SHARED: (sha, n)})
    fb = with_filler({path_b: (sha, n)})
    a = w.register(first_owner, {first_owner.address: 1}, root=fa.root)
    b = w.register(second_owner, {second_owner.address: 1}, root=fb.root)
    return a, fa, b, fb


def deep(owner, w, path, sha, size):
    """An asset whose content root holds (path, sha, size) under 20 random siblings: the proof
    of a file in a 1,048,576-file tree (as bench/gas.py builds it)."""
    siblings = [os.urandom(32) for _ in range(20)]
    h = file_leaf(path, sha, size)
    for sibling in siblings:
        h = node(h, sibling)
    return w.register(owner, {owner.address: 1}, root=h), (path, sha, size, siblings)


# ------------------------------------------------------------------------ duplicate content


def test_an_unanswered_duplicate_claim_pays_the_earlier_asset(
    w, deployer, publisher, alice, bob, stranger, record_property
):
    sha, size = big_file("the original's weights", 1 << 20)
    earlier, proof_a = deep(publisher, w, "weights/model.bin", sha, size)
    later, proof_b = deep(bob, w, "copy/of/model.bin", sha, size)
    w.pay(later, 1_000, deployer)  # before the claim: stays the copier's contributors'
    dispute_id = w.open_duplicate(earlier, later, proof_a, proof_b, alice)
    record_property("dispute_duplicate_open_gas", w.last_receipt.gas_used)  # two 20-level proofs
    d = w.dispute(dispute_id)
    assert (d.kind, d.state, d.assetId, d.beneficiary, bytes(d.evidenceHash)) == (
        DUPLICATE, OPEN, later, earlier, sha,
    )  # fmt: skip
    assert w.registry.asset(later).status == STATUS_DISPUTED
    assert w.registry.asset(earlier).status == STATUS_NONE  # the original sells on
    assert w.registry.isListed(earlier)
    w.pay(later, 2_000, deployer)
    books(w)

    deadline = int(d.openedAt) + int(w.court.ANSWER_PERIOD())
    w.at(deadline)  # the last second of the answer period: still running
    with reverts(w.court.AssetCourtAnswerPeriodRunning, disputeId=dispute_id, deadline=deadline):
        w.court.resolve(dispute_id, sender=stranger)
    w.chain.mine()
    w.at(deadline + 1)
    with reverts(w.court.AssetCourtAnswerPeriodOver, disputeId=dispute_id, deadline=deadline):
        w.court.contest(dispute_id, value=w.bond, sender=bob)
    receipt = w.court.resolve(dispute_id, sender=stranger)  # anyone
    assert logs(receipt, w.court, "DisputeResolved") == [
        {"disputeId": dispute_id, "assetId": later, "outcome": UPHELD}
    ]
    assert w.court.deposits(alice) == w.bond  # bond back (and the fee, 0 here)
    assert w.registry.asset(later).status == STATUS_UPHELD
    assert tuple(w.vault.hold(later)) == (HOLD_REDIRECTED, earlier)
    books(w)

    w.vault.release(later, ETH, sender=stranger)
    w.pay(later, 3_000, deployer)
    assert w.vault.accrued(earlier, ETH) == 5_000
    assert w.claim(earlier, publisher) == 5_000
    assert w.claim(later, bob) == 1_000  # D2: what was accrued before the claim
    w.withdraw(alice)
    books(w)


def test_a_derivative_dismisses_a_duplicate_claim_with_its_lineage(
    w, deployer, publisher, alice, bob, gateway, stranger
):
    """B derives from C, which derives from A: B holds A's file under licence. A claim of
    A against B is dismissed by the path B → C → A, sent by anyone; the bond pays the owner
    it froze. Paths that do not end at A, or run over 8 hops, are refused."""
    sha, size = big_file("licensed corpus")
    fa = with_filler({SHARED: (sha, size)})
    fb = with_filler({"inherited/corpus.bin": (sha, size)})
    a = w.register(publisher, root=fa.root)
    other = w.register(publisher)
    c = w.register(publisher, {alice.address: 1}, parents=[(a, 1_000)], kind=MODEL)
    b = w.register(
        publisher, {bob.address: 1}, [(other, 500), (c, 2_000)], root=fb.root, kind=MODEL
    )
    w.registry.transferFrom(publisher, bob, b, sender=publisher)
    dispute_id = w.open_duplicate(
        a, b, fa.proof(SHARED), fb.proof("inherited/corpus.bin"), stranger
    )
    w.pay(b, 1_000, deployer)
    books(w)

    bad = w.court.AssetCourtBadLineage
    for path in ([], [2], [0], [1], [1, 1], [1, 0, 0], [0] * 9):
        with reverts(bad, disputeId=dispute_id):
            w.court.answerLineage(dispute_id, path, sender=bob)
    receipt = w.court.answerLineage(dispute_id, [1, 0], sender=gateway)  # anyone
    assert logs(receipt, w.court, "DisputeAnswered") == [
        {"disputeId": dispute_id, "by": lo(gateway), "contested": False, "deposit": 0}
    ]
    assert w.state(dispute_id) == DISMISSED
    assert lo(w.dispute(dispute_id).defendant) == lo(bob)
    assert w.court.deposits(bob) == w.bond  # the claimant's bond, to the owner it froze
    assert w.court.deposits(stranger) == 0  # its fee back: 0 on this suite
    assert w.registry.isListed(b)
    with reverts(w.court.AssetCourtWrongState, disputeId=dispute_id, state=DISMISSED):
        w.court.answerLineage(dispute_id, [1, 0], sender=bob)
    w.vault.release(b, ETH, sender=bob)
    assert w.vault.accrued(b, ETH) == 750  # its own split: 25 % upstream
    books(w)
    w.withdraw(bob)
    books(w)


def test_a_lineage_answer_needs_a_duplicate_claim_in_its_answer_period(w, publisher, bob, stranger):
    a, fa, b, fb = pair(w, publisher, bob)
    dispute_id = w.open_duplicate(a, b, fa.proof(SHARED), fb.proof(SHARED), stranger)
    subjective = w.open_subjective(w.register(publisher), stranger)
    with reverts(w.court.AssetCourtNotDuplicate, disputeId=subjective):
        w.court.answerLineage(subjective, [0], sender=publisher)
    with reverts(w.court.AssetCourtUnknownDispute, disputeId=99):
        w.court.answerLineage(99, [0], sender=publisher)
    w.after_answer_period(dispute_id)
    deadline = int(w.dispute(dispute_id).openedAt) + int(w.court.ANSWER_PERIOD())
    with reverts(w.court.AssetCourtAnswerPeriodOver, disputeId=dispute_id, deadline=deadline):
        w.court.answerLineage(dispute_id, [0], sender=bob)


def test_files_below_the_minimum_size_cannot_be_claimed(w, publisher, bob, stranger):
    assert w.court.MIN_DUPLICATE_SIZE() == MIN_SIZE
    a, fa, b, fb = pair(w, publisher, bob, size=MIN_SIZE - 1)  # a LICENSE, a README...
    with reverts(w.court.AssetCourtFileTooSmall, size=MIN_SIZE - 1, minimum=MIN_SIZE):
        w.open_duplicate(a, b, fa.proof(SHARED), fb.proof(SHARED), stranger)
    a, fa, b, fb = pair(w, publisher, bob, size=MIN_SIZE)  # exactly the minimum: enough
    dispute_id = w.open_duplicate(a, b, fa.proof(SHARED), fb.proof(SHARED), stranger)
    assert w.state(dispute_id) == OPEN


def test_a_duplicate_claim_is_refused_without_the_same_file_in_both(w, publisher, bob, stranger):
    a, fa, b, fb = pair(w, publisher, bob)
    pa, pb = fa.proof(SHARED), fb.proof(SHARED)
    court, bond = w.court, w.bond
    other_sha = (pb[0], os.urandom(32), pb[2], pb[3])
    other_size = (pb[0], pb[1], pb[2] + 1, pb[3])
    for fake in (other_sha, other_size):
        with reverts(court.AssetCourtNotTheSameFile):
            w.open_duplicate(a, b, pa, fake, stranger)
    # Proofs that do not hold: swapped, another path, a truncated one, the wrong asset.
    with reverts(court.AssetCourtBadFileProof, assetId=a):
        w.open_duplicate(a, b, pb, pb, stranger)
    with reverts(court.AssetCourtBadFileProof, assetId=b):
        w.open_duplicate(a, b, pa, ("elsewhere.bin", *pb[1:]), stranger)
    with reverts(court.AssetCourtBadFileProof, assetId=b):
        w.open_duplicate(a, b, pa, (*pb[:3], pb[3][:-1]), stranger)
    c = w.register(bob)
    with reverts(court.AssetCourtBadFileProof, assetId=c):
        w.open_duplicate(a, c, pa, pb, stranger)
    with reverts(w.registry.AssetRegistryUnknownAsset, assetId=99):
        w.open_duplicate(a, 99, pa, pb, stranger)
    # The deposit is exactly BOND + fee.
    for value in (0, bond - 1, bond + 1):
        with reverts(court.AssetCourtWrongDeposit, sent=value, required=bond):
            w.open_duplicate(a, b, pa, pb, stranger, value=value)
    assert court.disputeOf(b) == 0
    assert w.registry.isListed(b)


def test_a_duplicate_claim_is_refused_between_the_wrong_pair(w, deployer, publisher, bob, stranger):
    a, fa, b, fb = pair(w, publisher, bob)
    pa, pb = fa.proof(SHARED), fb.proof(SHARED)
    court = w.court
    # The later one is not later.
    with reverts(court.AssetCourtNotEarlier, earlier=b, later=a):
        w.open_duplicate(b, a, pb, pa, stranger)
    with reverts(court.AssetCourtNotEarlier, earlier=a, later=a):
        w.open_duplicate(a, a, pa, pa, stranger)
    # Same owner: nothing was taken from anyone.
    same_files = with_filler({SHARED: fa.files[SHARED]})
    same = w.register(publisher, root=same_files.root)
    with reverts(court.AssetCourtSameOwner, earlier=a, later=same):
        w.open_duplicate(a, same, pa, same_files.proof(SHARED), stranger)
    # A direct parent licensed the file to its derivative.
    child_files = with_filler({"from-parent.bin": fa.files[SHARED]})
    child = w.register(publisher, parents=[(a, 1_000)], root=child_files.root, kind=MODEL)
    w.registry.transferFrom(publisher, bob, child, sender=publisher)
    with reverts(court.AssetCourtIsParent, earlier=a, later=child):
        w.open_duplicate(a, child, pa, child_files.proof("from-parent.bin"), stranger)
    # Either side already disputed.
    first = w.open_subjective(a, stranger)
    with reverts(court.AssetCourtAlreadyDisputed, assetId=a, status=STATUS_DISPUTED):
        w.open_duplicate(a, b, pa, pb, stranger)
    w.decide(first, False, stranger)
    w.open_subjective(b, stranger)
    with reverts(court.AssetCourtAlreadyDisputed, assetId=b, status=STATUS_DISPUTED):
        w.open_duplicate(a, b, pa, pb, stranger)


def test_the_earlier_asset_is_the_one_committed_first_then_the_lower_id(
    w, cw, publisher, alice, bob, stranger
):
    """R3. In one block, the lower id is earlier. With commitments on, an asset revealed
    late but committed first is earlier than one registered before it."""
    sha, size = big_file("tie")
    fx, fy = with_filler({SHARED: (sha, size)}), with_filler({SHARED: (sha, size)})
    calls = [
        w.registry.register.as_transaction(
            0, f.root, bytes(32), w.contributors_of({publisher.address: 1}).top, "u",
            bytes(32), [], sender=publisher,
        ).data
        for f in (fx, fy)
    ]  # fmt: skip
    receipt = w.registry.multicall([bytes(c) for c in calls], sender=publisher)
    x, y = (int(e.assetId) for e in receipt.events.filter(w.registry.AssetRegistered))
    assert w.registry.asset(x).createdAt == w.registry.asset(y).createdAt
    w.registry.transferFrom(publisher, bob, y, sender=publisher)
    with reverts(w.court.AssetCourtNotEarlier, earlier=y, later=x):
        w.open_duplicate(y, x, fy.proof(SHARED), fx.proof(SHARED), stranger)
    assert w.state(w.open_duplicate(x, y, fx.proof(SHARED), fy.proof(SHARED), stranger)) == OPEN

    # Commitments on: alice commits X first, bob commits Y later but reveals first.
    r = cw.registry
    salt_x, salt_y = os.urandom(32), os.urandom(32)
    leaf_x = registration_leaf(alice, fx.root, salt_x)
    leaf_y = registration_leaf(bob, fy.root, salt_y)
    r.commit(commitment_of([leaf_x]), sender=alice)
    cw.elapse(100)
    r.commit(commitment_of([leaf_y]), sender=bob)
    cw.elapse(60)
    y2 = cw.register(bob, root=fy.root, salt=salt_y)
    cw.elapse(1_000)
    x2 = cw.register(alice, root=fx.root, salt=salt_x)
    assert y2 < x2
    ax, ay = r.asset(x2), r.asset(y2)
    assert ax.createdAt - ax.commitLag < ay.createdAt - ay.commitLag
    with reverts(cw.court.AssetCourtNotEarlier, earlier=y2, later=x2):
        cw.open_duplicate(y2, x2, fy.proof(SHARED), fx.proof(SHARED), stranger)
    dispute_id = cw.open_duplicate(x2, y2, fx.proof(SHARED), fy.proof(SHARED), stranger)
    assert cw.dispute(dispute_id).assetId == y2


# ------------------------------------------------------------------------ prior commitment


def test_an_older_commitment_takes_down_a_squatter_that_revealed_first(
    cw, deployer, alice, bob, stranger
):
    """R2, on a suite with commitments on. Alice commits two roots in one batch; Bob sees the
    files, commits one of the roots later and reveals first. Alice's reveal of it fails, her
    other asset registers, and her older commitment takes Bob's asset down at once, with no
    bond: its revenue from then on goes to her asset."""
    r = cw.registry
    mine, taken = os.urandom(32), os.urandom(32)
    salts = [os.urandom(32), os.urandom(32)]
    leaves = [
        registration_leaf(alice, root, s) for root, s in zip((mine, taken), salts, strict=True)
    ]
    r.commit(commitment_of(leaves), sender=alice)
    committed_at = cw.now
    cw.elapse(10)
    bob_salt = os.urandom(32)
    r.commit(commitment_of([registration_leaf(bob, taken, bob_salt)]), sender=bob)
    cw.elapse(60)
    squat = cw.register(bob, root=taken, salt=bob_salt)
    with reverts(r.AssetRegistryDuplicateContent, contentRoot=taken, existingAssetId=squat):
        cw.register(alice, root=taken, salt=salts[1])
    people = cw.contributors_of({alice.address: 1})
    calls = [
        r.openCommitment.as_transaction(leaves, sender=alice).data,
        r.register.as_transaction(
            0, mine, salts[0], people.top, "u", bytes(32), [], sender=alice
        ).data,
    ]
    receipt = r.multicall([bytes(c) for c in calls], sender=alice)
    own = int(receipt.events.filter(r.AssetRegistered)[0].assetId)
    cw.people[own] = people
    cw.watch(own, [alice.address])
    cw.pay(squat, 1_000, deployer)  # paid to the squat before the claim
    deposits = cw.court.totalDeposits()

    receipt = cw.court.claimPriorCommitment(squat, leaves, 1, salts[1], own, sender=alice)
    dispute_id = int(logs(receipt, cw.court, "DisputeOpened")[0]["disputeId"])
    cw.disputes.append(dispute_id)
    assert logs(receipt, cw.court, "DisputeOpened")[0]["deposit"] == 0
    assert logs(receipt, cw.court, "DisputeResolved") == [
        {"disputeId": dispute_id, "assetId": squat, "outcome": UPHELD}
    ]
    d = cw.dispute(dispute_id)
    assert (d.kind, d.state, d.beneficiary, bytes(d.evidenceHash)) == (
        PRIOR, UPHELD, own, commitment_of(leaves),
    )  # fmt: skip
    assert r.committedAt(alice, commitment_of(leaves)) == committed_at
    assert r.asset(squat).status == STATUS_UPHELD
    assert tuple(cw.vault.hold(squat)) == (HOLD_REDIRECTED, own)
    assert cw.court.totalDeposits() == deposits  # no bond
    cw.pay(squat, 4_000, deployer)
    assert cw.vault.accrued(own, ETH) == 4_000
    assert cw.claim(squat, bob) == 1_000  # D2
    with reverts(cw.court.AssetCourtAlreadyDisputed, assetId=squat, status=STATUS_UPHELD):
        cw.court.claimPriorCommitment(squat, leaves, 1, salts[1], own, sender=alice)
    books(cw)


def test_a_prior_commitment_claim_is_refused_unless_older_ripe_in_time_and_the_claimants(
    w, publisher, alice, bob, stranger
):
    """MIN_COMMIT_AGE 0 here: the squats register directly, the claimant only commits."""
    r, court = w.registry, w.court
    window = int(r.MAX_COMMIT_AGE())
    roots = [os.urandom(32) for _ in range(4)]
    salt = os.urandom(32)
    leaves = [registration_leaf(alice, root, salt) for root in roots]
    commitment = commitment_of(leaves)
    early = w.register(bob, root=roots[3])  # registered before alice committed
    r.commit(commitment, sender=alice)
    t0 = w.now
    w.at(t0 + 10)
    soon = w.register(bob, root=roots[0])
    w.at(t0 + window)
    last_second = w.register(bob, root=roots[1])  # alice could still have revealed
    w.at(t0 + window + 1)
    expired = w.register(bob, root=roots[2])  # her commitment had expired
    mine = w.register(alice)

    def claim(asset, index, sender=alice, s=salt, beneficiary=0, the_leaves=leaves):
        return court.claimPriorCommitment(asset, the_leaves, index, s, beneficiary, sender=sender)

    theirs = r.asset(early).createdAt
    with reverts(court.AssetCourtNotOlder, ours=t0, theirs=theirs):
        claim(early, 3)
    with reverts(
        court.AssetCourtCommitmentExpired, expiredAt=t0 + window, registeredAt=t0 + window + 1
    ):
        claim(expired, 2)
    # Leaves that are not hers for this root: another index, another salt, out of range,
    # her exact arguments sent by someone else, leaves she never committed.
    for index, s, sender in ((1, salt, alice), (0, os.urandom(32), alice), (0, salt, stranger)):
        with reverts(court.AssetCourtNotYourLeaf, index=index):
            claim(soon, index, sender=sender, s=s)
    with reverts(court.AssetCourtNotYourLeaf, index=4):
        claim(soon, 4)
    with reverts(court.AssetCourtNotCommitted, commitment=commitment_of(leaves[:1])):
        claim(soon, 0, the_leaves=leaves[:1])
    # A beneficiary must be the claimant's own asset, and not the squat.
    with reverts(court.AssetCourtBadBeneficiary, beneficiary=early):
        claim(soon, 0, beneficiary=early)
    with reverts(court.AssetCourtBadBeneficiary, beneficiary=soon):
        claim(soon, 0, beneficiary=soon)
    with reverts(r.AssetRegistryUnknownAsset, assetId=99):
        claim(soon, 0, beneficiary=99)
    with reverts(r.AssetRegistryUnknownAsset, assetId=99):
        claim(99, 0)

    w.at(t0 + 2 * window)  # the claim's last second
    claim(last_second, 1, beneficiary=mine)
    assert r.asset(last_second).status == STATUS_UPHELD
    w.at(t0 + 2 * window + 1)
    with reverts(court.AssetCourtClaimTooLate, deadline=t0 + 2 * window):
        claim(soon, 0)
    assert r.asset(soon).status == STATUS_NONE
    books(w)


def test_a_running_dispute_cannot_shield_a_squat_from_an_older_commitment(
    w, publisher, alice, bob, stranger
):
    """The squatter's friend opens a subjective claim against the squat at once and the squatter
    contests: with one dispute per asset that would outlast the prior claim's window (2 × MAX,
    12 h, against a 7-day answer period). The prior claim takes over instead: the running
    dispute ends as lapsed with every deposit back, the squat is taken down in the same call,
    and what it earned during the shield goes to the claimant's asset."""
    r, court, bond = w.registry, w.court, w.bond
    root, salt = os.urandom(32), os.urandom(32)
    leaves = [registration_leaf(alice, root, salt)]
    r.commit(commitment_of(leaves), sender=alice)
    w.elapse(10)
    squat = w.register(bob, root=root)
    own = w.register(alice)
    shield = w.open_subjective(squat, stranger)
    court.contest(shield, value=bond, sender=bob)
    assert w.state(shield) == AT_ARBITER
    w.pay(squat, 5_000, publisher)
    assert w.vault.escrowed(squat, ETH) == 5_000

    receipt = court.claimPriorCommitment(squat, leaves, 0, salt, own, sender=alice)
    claim_id = int(logs(receipt, court, "DisputeOpened")[0]["disputeId"])
    w.disputes.append(claim_id)
    assert logs(receipt, court, "DisputeResolved") == [
        {"disputeId": shield, "assetId": squat, "outcome": LAPSED},
        {"disputeId": claim_id, "assetId": squat, "outcome": UPHELD},
    ]
    assert (w.state(shield), w.state(claim_id)) == (LAPSED, UPHELD)
    assert court.deposits(stranger) == bond and court.deposits(bob) == bond
    assert tuple(w.vault.hold(squat)) == (HOLD_REDIRECTED, own)
    assert r.asset(squat).status == STATUS_UPHELD
    w.vault.release(squat, ETH, sender=stranger)
    assert w.vault.accrued(own, ETH) == 5_000
    # The arbiter's late ruling on the ended case changes nothing.
    with reverts(court.AssetCourtWrongState, disputeId=shield, state=LAPSED):
        w.arbiter.vote(court, shield, True, sender=w.ruler)
    w.court_books()
    books(w)


def test_an_unanswered_duplicate_claim_against_an_asset_with_parents_goes_to_the_arbiter(
    w, deployer, publisher, alice, bob, stranger
):
    """Review finding: with a free default, an owner could claim from a second account that its
    own derivative duplicates an earlier asset of its own, and divert the parents' shares of
    every later payment; the parents have no standing to answer. So an unanswered claim
    against an asset with parents is never upheld by default: the arbiter decides."""
    sha, size = big_file("padding the owner put in both", 1 << 17)
    earlier, proof_a = deep(alice, w, "pad.bin", sha, size)
    parent = w.register(publisher)
    siblings = [os.urandom(32) for _ in range(3)]
    h = file_leaf("pad.bin", sha, size)
    for sibling in siblings:
        h = node(h, sibling)
    w.register(publisher, root=h, parents=[(parent, 2_000, 0)])
    later = int(w.registry.assetCount())
    dispute_id = w.open_duplicate(earlier, later, proof_a, ("pad.bin", sha, size, siblings), alice)
    w.after_answer_period(dispute_id)
    receipt = w.court.resolve(dispute_id, sender=stranger)
    assert logs(receipt, w.court, "DisputeResolved") == []
    d = w.dispute(dispute_id)
    assert (d.state, d.defendant) == (AT_ARBITER, publisher.address)
    assert w.registry.asset(later).status == STATUS_DISPUTED
    w.arbiter.vote(w.court, dispute_id, False, sender=w.ruler)
    assert w.state(dispute_id) == DISMISSED
    assert w.court.deposits(publisher) == w.bond  # the claimant's bond, to the owner
    assert w.registry.isListed(later)
    books(w)
