"""seedbed.workflows.disputes on the session suite: every step of every kind of claim, the
checks that refuse a claim before anything is sent, and re-runs that change nothing.

The session court: a PanelArbiter of the deployer alone (threshold 1, no fee), bond 0.1 ETH,
answer period 7 days, ruling timeout 60 days, shared files from 65,536 bytes; commitments
off (MIN_COMMIT_AGE 0), so a commitment is only ever evidence here."""

from __future__ import annotations

import hashlib
import os

import pytest
from testkit.registering import commitment_of, increase_time, registration_leaf

from seedbed.core.constants import ETH
from seedbed.core.errors import ChainError, InputError
from seedbed.core.manifest import FileEntry, Manifest, build_manifest, write_manifest
from seedbed.workflows import disputes
from seedbed.workflows.commitments import Pending, RevealBatch, save_pending

BOND = 10**17
DAY = 86_400
BIG = 70 * 1024  # above MIN_DUPLICATE_SIZE (65,536)
MILLI = 10**15


# -- helpers shared with test_dispute_script ------------------------------------------------------


def head(chain):
    return int(chain.provider.web3.eth.block_number)


def write_folder(folder, files):
    """Files (path -> bytes) under `folder`, and its manifest saved as `register` saves it."""
    for rel, data in files.items():
        path = folder / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
    manifest = build_manifest(folder)
    (folder / ".seedbed").mkdir(exist_ok=True)
    write_manifest(manifest, folder / ".seedbed" / "manifest.json")
    return manifest


def make_copied(tmp_path, register_asset, owner_a, owner_b, payee):
    """Asset A (owner_a's) and a later asset B (owner_b's) holding A's 70 KiB file under
    another path, each with its folder and saved manifest: (a, b, folder_a, folder_b)."""
    big = os.urandom(BIG)
    fa = tmp_path / "a"
    fb = tmp_path / "b"
    ma = write_folder(fa, {"data/big.bin": big, "README.md": b"# A\n", "LICENSE": b"MIT\n"})
    mb = write_folder(fb, {"copy/big.bin": big, "README.md": b"# B\n", "LICENSE": b"MIT\n"})
    a, _ = register_asset(owner_a, {payee.address: 1}, content_root=ma.root)
    b, _ = register_asset(owner_b, {owner_b.address: 1}, content_root=mb.root)
    return a, b, fa, fb


@pytest.fixture
def copied(tmp_path, register_asset, publisher, alice, bob):
    """make_copied: A the publisher's, B alice's."""
    return make_copied(tmp_path, register_asset, publisher, alice, bob)


def pay(vault, asset, amount, sender):
    vault.pay(asset, ETH, amount, value=amount, sender=sender)


def entry(path, content, size=None):
    data = content if isinstance(content, bytes) else content.encode()
    return FileEntry(path, hashlib.sha256(data).digest(), len(data) if size is None else size)


# -- pure parts ---------------------------------------------------------------------------------


def test_evidence_is_a_given_hash_or_a_files_sha256(tmp_path):
    digest = "0x" + "ab" * 32
    assert disputes.evidence_of(digest) == disputes.Evidence(bytes.fromhex("ab" * 32), "given")
    paper = tmp_path / "complaint.pdf"
    paper.write_bytes(b"%PDF evidence")
    found = disputes.evidence_of(str(paper))
    assert found.digest == hashlib.sha256(b"%PDF evidence").digest()
    assert found.source == f"sha256 of {paper}"
    with pytest.raises(InputError, match="is zero"):
        disputes.evidence_of("0x" + "0" * 64)
    with pytest.raises(InputError, match="neither a file nor a 32-byte hash"):
        disputes.evidence_of(str(tmp_path / "missing.pdf"))
    with pytest.raises(InputError, match="neither a file"):
        disputes.evidence_of("0x1234")


def test_the_largest_shared_file_is_picked_unless_one_is_named():
    big, mid, small = "x" * 300, "y" * 200, "z" * 10
    a = Manifest.from_files(
        [entry("a/big", big), entry("a/mid", mid), entry("LICENSE", small), entry("only", "q")]
    )
    b = Manifest.from_files(
        [entry("b/big", big), entry("mid", mid), entry("LICENSE", small), entry("other", "w")]
    )
    shared = disputes.shared_files(a, b)
    assert [(s.earlier.path, s.later.path) for s in shared] == [
        ("a/big", "b/big"),
        ("a/mid", "mid"),
        ("LICENSE", "LICENSE"),
    ]
    assert disputes.pick_shared(a, b, 100, None, (1, 2)).earlier.path == "a/big"
    assert disputes.pick_shared(a, b, 100, "mid", (1, 2)).earlier.path == "a/mid"  # B's path
    assert disputes.pick_shared(a, b, 100, "a/mid", (1, 2)).later.path == "mid"
    with pytest.raises(InputError, match="below the court's minimum of 100"):
        disputes.pick_shared(a, b, 100, "LICENSE", (1, 2))
    with pytest.raises(InputError, match="neither asset 1 nor asset 2"):
        disputes.pick_shared(a, b, 100, "nope", (1, 2))
    with pytest.raises(InputError, match="only of asset 1 is not in asset 2"):
        disputes.pick_shared(a, b, 100, "only", (1, 2))
    with pytest.raises(InputError, match="none of at least 1000 bytes.*a/big, 300 bytes"):
        disputes.pick_shared(a, b, 1000, None, (1, 2))
    lone = Manifest.from_files([entry("c", "c")])
    with pytest.raises(InputError, match="share no file"):
        disputes.pick_shared(a, lone, 1, None, (1, 3))


# -- lineage ------------------------------------------------------------------------------------


def test_a_lineage_path_is_the_shortest_and_at_most_eight_hops(
    registry, register_asset, publisher, alice
):
    people = {alice.address: 1}
    root, _ = register_asset(publisher, people)
    other, _ = register_asset(publisher, people)
    line = [root]
    for _ in range(9):
        child, _ = register_asset(publisher, people, [(line[-1], 100)])
        line.append(child)
    # A shortcut: a child of `other` and, as its second parent, of line[2].
    short, _ = register_asset(publisher, people, [(other, 100), (line[2], 100)])
    assert disputes.lineage_path(registry, line[8], root) == [0] * 8
    assert disputes.lineage_path(registry, line[9], root) is None  # nine hops
    assert disputes.lineage_path(registry, short, root) == [1, 0, 0]
    assert disputes.lineage_path(registry, short, other) == [0]
    assert disputes.lineage_path(registry, root, short) is None  # parents only, never children


# -- subjective claims --------------------------------------------------------------------------


def test_a_contested_claim_upheld_by_the_panel_redirects_the_escrow(
    project, suite, chain, court, registry, vault, register_asset, deployer, alice, bob, stranger
):
    target, _ = register_asset(alice, {alice.address: 1})
    home, _ = register_asset(bob, {bob.address: 1})
    pay(vault, target, 5 * MILLI, deployer)
    accrued = vault.accrued(target, ETH)
    evidence = disputes.evidence_of("0x" + "11" * 32)
    opened = disputes.open_subjective(suite, chain, bob, target, 1, evidence, beneficiary=home)
    assert (opened.bond, opened.fee, opened.kind) == (BOND, 0, "subjective (infringement)")
    assert opened.evidence == bytes.fromhex("11" * 32) and not opened.upheld
    dispute_id = opened.dispute_id
    assert registry.asset(target).status == 1 and not registry.isListed(target)
    pay(vault, target, 3 * MILLI, deployer)  # held aside; what accrued before stays
    assert vault.escrowed(target, ETH) == 3 * MILLI and vault.accrued(target, ETH) == accrued

    start = head(chain)
    with pytest.raises(ChainError, match=f"under dispute already: dispute {dispute_id}"):
        disputes.open_subjective(suite, chain, stranger, target, 2, evidence)
    with pytest.raises(InputError, match=f"Only asset {target}'s owner"):
        disputes.contest(suite, chain, stranger, dispute_id)
    with pytest.raises(ChainError, match="runs until .* cannot be resolved yet"):
        disputes.resolve(suite, chain, stranger, dispute_id)
    with pytest.raises(ChainError, match="is open, not at the arbiter"):
        disputes.rule(project, suite, chain, deployer, dispute_id, True)
    with pytest.raises(ChainError, match="still open"):
        disputes.release(suite, chain, stranger, target)
    with pytest.raises(InputError, match="subjective .* claim: only duplicate-content"):
        disputes.answer(suite, chain, stranger, dispute_id)
    assert head(chain) == start  # every refusal came before sending

    report = disputes.show(suite, chain, dispute_id=dispute_id, project=project)
    assert [s.command for s in report.steps] == [
        f"contest --dispute {dispute_id}",
        f"resolve --dispute {dispute_id}",
    ]
    assert report.escrow[0].amount == 3 * MILLI

    step = disputes.contest(suite, chain, alice, dispute_id)
    assert step.dispute.state == 2 and step.dispute.contested and step.accepted
    assert step.dispute.defendant == alice.address
    assert step.ruling_deadline == step.dispute.at_arbiter_at + 60 * DAY
    with pytest.raises(InputError, match="not a member of the arbiter panel"):
        disputes.rule(project, suite, chain, stranger, dispute_id, True)
    report = disputes.show(suite, chain, dispute_id=dispute_id, project=project)
    assert report.votes == (0, 0, 1) and report.accepted is True
    assert report.steps[0].what == "rule (0 for upheld, 0 for dismissed, 1 needed)"
    assert report.steps[0].by == report.deadline == step.ruling_deadline
    assert (report.steps[1].command, report.steps[1].by) == (f"lapse --dispute {dispute_id}", 0)
    assert report.steps[1].after == step.ruling_deadline

    vote = disputes.rule(project, suite, chain, deployer, dispute_id, True)
    assert vote.ruled and (vote.yes, vote.no, vote.threshold) == (1, 0, 1)
    assert vote.dispute.state == 3 and registry.asset(target).status == 2
    with pytest.raises(ChainError, match="is over \\(upheld\\)"):
        disputes.rule(project, suite, chain, deployer, dispute_id, False)

    run = disputes.release(suite, chain, stranger, target)
    assert run.redirected and run.beneficiary == home
    assert [(r.amount, r.to_asset) for r in run.released] == [(3 * MILLI, home)]
    assert vault.escrowed(target, ETH) == 0 and vault.accrued(home, ETH) == 3 * MILLI
    assert disputes.release(suite, chain, stranger, target).released == []  # a re-run: nothing

    assert court.deposits(bob) == 2 * BOND  # its bond back and the defendant's
    done = disputes.withdraw(suite, bob)
    assert done.amount == 2 * BOND and court.deposits(bob) == 0
    with pytest.raises(ChainError, match="Nothing to withdraw"):
        disputes.withdraw(suite, bob)
    with pytest.raises(ChainError, match="taken down already"):
        disputes.open_subjective(suite, chain, stranger, target, 3, evidence)


def test_an_unanswered_claim_goes_to_the_arbiter_and_lapses(
    project, suite, chain, court, registry, vault, register_asset, deployer, alice, bob, stranger
):
    target, _ = register_asset(alice, {alice.address: 1})
    opened = disputes.open_subjective(
        suite, chain, bob, target, 3, disputes.evidence_of("0x" + "22" * 32)
    )
    dispute_id = opened.dispute_id
    pay(vault, target, 2 * MILLI, deployer)
    increase_time(chain.provider, 7 * DAY + 1)
    with pytest.raises(ChainError, match="answer period .* ended"):
        disputes.contest(suite, chain, alice, dispute_id)
    step = disputes.resolve(suite, chain, stranger, dispute_id)
    assert step.dispute.state == 2 and not step.dispute.contested  # never won by default
    assert step.dispute.defendant == alice.address
    with pytest.raises(ChainError, match="has until .* to rule"):
        disputes.lapse(suite, chain, stranger, dispute_id)
    increase_time(chain.provider, 60 * DAY + 1)
    report = disputes.show(suite, chain, dispute_id=dispute_id)
    assert [s.command for s in report.steps] == [f"lapse --dispute {dispute_id}"]
    step = disputes.lapse(suite, chain, stranger, dispute_id)
    assert step.dispute.state == 5 and registry.asset(target).status == 0
    assert registry.isListed(target)
    assert court.deposits(bob) == BOND and court.deposits(alice) == 0

    report = disputes.show(suite, chain, asset_id=target)
    assert report.dispute.dispute.state == 5
    assert [s.command for s in report.dispute.steps] == [f"release --asset {target}", "withdraw"]
    run = disputes.release(suite, chain, stranger, target, ["ETH"])
    assert not run.redirected
    assert [(r.amount, r.to_asset) for r in run.released] == [(2 * MILLI, target)]
    assert vault.accrued(target, ETH) == 2 * MILLI  # its own pool, as if just paid
    with pytest.raises(ChainError, match="is over \\(lapsed\\)"):
        disputes.resolve(suite, chain, stranger, dispute_id)


# -- duplicate content ------------------------------------------------------------------------


def test_an_unanswered_duplicate_claim_is_upheld_and_pays_the_earlier_asset(
    suite, chain, court, registry, vault, copied, deployer, publisher, alice, stranger, token
):
    a, b, fa, fb = copied
    token.mint(deployer, 10**18, sender=deployer)
    token.approve(vault, 10**18, sender=deployer)
    opened, shared = disputes.open_duplicate(suite, chain, stranger, a, b, fa, fb)
    assert (shared.earlier.path, shared.later.path, shared.size) == (
        "data/big.bin",
        "copy/big.bin",
        BIG,
    )
    assert opened.kind == "duplicate content" and opened.beneficiary == a
    assert opened.evidence == shared.earlier.sha256
    pay(vault, b, 4 * MILLI, deployer)
    vault.pay(b, token.address, 7, sender=deployer)
    with pytest.raises(ChainError, match="does not descend from asset"):
        disputes.answer(suite, chain, stranger, opened.dispute_id)
    increase_time(chain.provider, 7 * DAY + 1)
    step = disputes.resolve(suite, chain, stranger, opened.dispute_id)
    assert step.dispute.state == 3 and registry.asset(b).status == 2
    assert court.deposits(stranger) == BOND

    # A crash after the first release: the re-run releases only what is left.
    vault.release(b, ETH, sender=stranger)
    run = disputes.release(suite, chain, stranger, b)
    assert [(r.currency.symbol, r.amount, r.to_asset) for r in run.released] == [("TUSD", 7, a)]
    assert vault.accrued(a, ETH) == 4 * MILLI and vault.accrued(a, token.address) == 7


def test_a_duplicate_claim_that_cannot_stand_is_refused_before_sending(
    suite, chain, registry, copied, register_asset, publisher, alice, stranger, tmp_path
):
    a, b, fa, fb = copied
    mine = write_folder(tmp_path / "mine", {"big.bin": (fa / "data/big.bin").read_bytes()})
    own, _ = register_asset(publisher, {publisher.address: 1}, content_root=mine.root)
    start = head(chain)
    with pytest.raises(InputError, match=f"Asset {b} is not earlier than asset {a}"):
        disputes.open_duplicate(suite, chain, stranger, b, a, fb, fa)
    with pytest.raises(InputError, match="are the same asset"):
        disputes.open_duplicate(suite, chain, stranger, a, a, fa, fa)
    with pytest.raises(InputError, match=f"is not asset {b}'s manifest"):
        disputes.open_duplicate(suite, chain, stranger, a, b, fa, fa)
    with pytest.raises(InputError, match="has no .seedbed/manifest.json"):
        disputes.open_duplicate(suite, chain, stranger, a, b, fa, tmp_path)
    with pytest.raises(InputError, match="does not exist"):
        disputes.open_duplicate(suite, chain, stranger, a, b, fa, tmp_path / "gone")
    with pytest.raises(InputError, match="below the court's minimum of 65536"):
        disputes.open_duplicate(suite, chain, stranger, a, b, fa, fb, "LICENSE")
    with pytest.raises(InputError, match="both belong to"):
        disputes.open_duplicate(suite, chain, stranger, a, own, fa, tmp_path / "mine")
    assert head(chain) == start


def test_a_lineage_answer_dismisses_a_duplicate_claim(
    suite, chain, court, registry, copied, register_asset, publisher, alice, stranger, tmp_path
):
    # A <- M <- C, all first the publisher's; C (holding A's file) then goes to alice.
    a, _, fa, _ = copied
    mid, _ = register_asset(publisher, {publisher.address: 1}, [(a, 100)])
    big = (fa / "data/big.bin").read_bytes()
    mc = write_folder(tmp_path / "c", {"inherited/big.bin": big, "new.csv": b"1,2\n"})
    c, _ = register_asset(publisher, {alice.address: 1}, [(mid, 100)], content_root=mc.root)
    registry.transferFrom(publisher, alice, c, sender=publisher)
    with pytest.raises(InputError, match=f"descends from asset {a} \\({c} -> {mid} -> {a}\\)"):
        disputes.open_duplicate(suite, chain, stranger, a, c, fa, tmp_path / "c")
    # Sent anyway (not through the tooling): the lineage answers it.
    ma = disputes.registered_manifest(fa, a, registry.asset(a).contentRoot)
    fe = next(f for f in ma.files if f.path == "data/big.bin")
    fc = next(f for f in mc.files if f.path == "inherited/big.bin")
    proofs = [(f.path, f.sha256, f.size, m.proof(f.path)) for f, m in ((fe, ma), (fc, mc))]
    receipt = court.openDuplicate(a, c, *proofs, value=BOND, sender=stranger)
    dispute_id = receipt.events.filter(court.DisputeOpened)[0].disputeId
    report = disputes.show(suite, chain, dispute_id=dispute_id)
    assert report.lineage == (c, mid, a)
    assert report.steps[0].command == f"answer --dispute {dispute_id}"
    step = disputes.answer(suite, chain, stranger, dispute_id)
    assert step.path == (0, 0) and step.assets == (c, mid, a)
    assert step.dispute.state == 4 and registry.asset(c).status == 0
    assert court.deposits(alice) == BOND  # the claimant's bond, to the owner it froze
    with pytest.raises(ChainError, match="is over \\(dismissed\\)"):
        disputes.answer(suite, chain, stranger, dispute_id)


# -- prior commitment ---------------------------------------------------------------------------


def _pending(tmp_path, suite, committer, roots, committed=True):
    salts = [os.urandom(32) for _ in roots]
    leaves = [registration_leaf(committer, r, s) for r, s in zip(roots, salts, strict=True)]
    commitment = commitment_of(leaves)
    at = None
    if committed:
        receipt = suite.registry.commit(commitment, sender=committer)
        at = int(receipt.events.filter(suite.registry.Committed)[0].committedAt)
        increase_time(suite.registry.provider, 1)  # what registers next is strictly later
    batch = RevealBatch(
        tuple(roots), tuple(salts), tuple(f"f{i}" for i in range(len(roots))),
        tuple(leaves), commitment, None, at,
    )  # fmt: skip
    path = tmp_path / "out" / "commitment.json"
    save_pending(Pending(path, suite.chain_id, suite.registry.address, committer.address, (batch,)))
    return path


def test_an_older_commitment_takes_down_a_squatter_at_once(
    suite, chain, court, registry, register_asset, alice, bob, stranger, tmp_path
):
    root, other = os.urandom(32), os.urandom(32)
    path = _pending(tmp_path, suite, bob, [other, root])
    home, _ = register_asset(bob, {bob.address: 1})
    unrelated, _ = register_asset(alice, {alice.address: 1})
    squat, _ = register_asset(alice, {alice.address: 1}, content_root=root)
    start = head(chain)
    with pytest.raises(InputError, match=f"holds commitments of {bob.address}"):
        disputes.claim_prior(suite, chain, alice, squat, path)
    with pytest.raises(InputError, match="commits no registration of asset"):
        disputes.claim_prior(suite, chain, bob, unrelated, path)
    with pytest.raises(InputError, match="is yours already"):
        disputes.claim_prior(suite, chain, bob, home, path)
    with pytest.raises(InputError, match="is not yours"):
        disputes.claim_prior(suite, chain, bob, squat, path, beneficiary=unrelated)
    with pytest.raises(InputError, match="does not exist"):
        disputes.claim_prior(suite, chain, bob, squat, tmp_path / "none.json")
    assert head(chain) == start
    opened = disputes.claim_prior(suite, chain, bob, squat, path, beneficiary=home)
    assert opened.upheld and opened.kind == "prior commitment" and opened.bond == 0
    assert registry.asset(squat).status == 2
    d = disputes.read_dispute(suite, opened.dispute_id)
    assert (d.state, d.beneficiary, d.claimant) == (3, home, bob.address)
    report = disputes.show(suite, chain, dispute_id=opened.dispute_id)
    assert report.steps == [] and report.bonds == [
        "bonds: none (a prior-commitment claim cannot be false)"
    ]
    with pytest.raises(ChainError, match="taken down already"):  # a re-run sends nothing
        disputes.claim_prior(suite, chain, bob, squat, path, beneficiary=home)


def test_a_commitment_that_proves_nothing_is_refused(
    suite, chain, register_asset, alice, bob, tmp_path
):
    root = os.urandom(32)
    squat, _ = register_asset(alice, {alice.address: 1}, content_root=root)
    never = _pending(tmp_path / "never", suite, bob, [root], committed=False)
    with pytest.raises(ChainError, match="never reached the chain"):
        disputes.claim_prior(suite, chain, bob, squat, never)
    later = _pending(tmp_path / "later", suite, bob, [root])  # committed after the registration
    with pytest.raises(ChainError, match="is not older than asset"):
        disputes.claim_prior(suite, chain, bob, squat, later)
    early_root = os.urandom(32)
    early = _pending(tmp_path / "early", suite, bob, [early_root])
    late_squat, _ = register_asset(alice, {alice.address: 1}, content_root=early_root)
    increase_time(chain.provider, 2 * int(suite.registry.MAX_COMMIT_AGE()) + 1)
    with pytest.raises(ChainError, match="Too late"):
        disputes.claim_prior(suite, chain, bob, late_squat, early)


# -- the court's errors, explained --------------------------------------------------------------


def test_every_court_error_has_an_explanation_over_its_own_values(project):
    from seedbed.core.reverts import DecodedError, explain

    errors = project.AssetCourt.contract_type.errors
    names = [e.name for e in errors if e.name.startswith("AssetCourt")]
    assert len(names) >= 25
    for error in errors:
        if not error.name.startswith("AssetCourt"):
            continue
        decoded = DecodedError(error.name, {i.name: 7 for i in error.inputs})
        assert explain(decoded) != str(decoded), f"{error.name} has no working explanation"


def test_a_refused_call_is_explained_before_sending(suite, chain, register_asset, alice, bob):
    from seedbed.workflows.disputes.facts import would

    target, _ = register_asset(alice, {alice.address: 1})
    evidence = disputes.evidence_of("0x" + "33" * 32)
    dispute_id = disputes.open_subjective(suite, chain, bob, target, 2, evidence).dispute_id
    with pytest.raises(ChainError) as info:
        would(suite.court, "resolve", dispute_id, sender=bob.address)
    assert str(info.value).startswith(
        f"The contract would refuse: dispute {dispute_id}'s answer period runs until "
    )
    assert str(info.value).endswith(": the owner may still answer (AssetCourtAnswerPeriodRunning).")
    with pytest.raises(ChainError, match="exactly 100000000000000000 wei"):
        would(suite.court, "contest", dispute_id, sender=alice.address, value=1)
