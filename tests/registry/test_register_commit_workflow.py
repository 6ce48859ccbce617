"""The register workflow under commit-reveal: every batch's commitment sent in one
transaction, one wait (anvil's clock moved, not slept), then each batch revealed opening only
its own leaves; a crash after the commit or between reveals resumes the same batches; an
expired batch is committed anew alone; and one transaction when the registry asks for no
commitment."""

import json
import os
from dataclasses import replace
from pathlib import Path

import pytest
from registry_helpers import write_folder

from seedbed.chain.client import Suite
from seedbed.chain.deploy import Params, deploy
from seedbed.core.errors import ChainError, InputError
from seedbed.core.keccak import keccak
from seedbed.workflows import commitments as cm
from seedbed.workflows import registration as reg
from seedbed.workflows.register import register_folders

MIN, MAX = 60, 600
COMMITTED = keccak(b"Committed(address,bytes32,uint40)")


class Crash(Exception):
    """Stands for the process dying (Ctrl-C, a lost connection) while the commitment ripens."""


@pytest.fixture(scope="module")
def committing(project, chain, deployer, treasury, suite):
    """A suite whose registry asks for commitments (MIN 60 s, MAX 10 min), as on public
    chains; the session's `suite` (deployed first, outside this module's snapshot) has them
    off."""
    params = Params(
        wirer=deployer.address,
        treasury=treasury.address,
        min_commit_age=MIN,
        max_commit_age=MAX,
        salt="0x" + keccak(b"seedbed.tests.commit-workflow").hex(),
    )
    return Suite.from_record(
        project, chain, deploy(project, chain, deployer, params, write_record=False)
    )


def advance(provider, seconds):
    provider.make_request("evm_increaseTime", [int(seconds)])
    provider.make_request("evm_mine", [])


class Clock:
    """The workflow's `wait` hook: moves anvil's time instead of sleeping, and can crash."""

    def __init__(self, provider, crash=False):
        self.provider, self.crash, self.waited = provider, crash, []

    def __call__(self, seconds):
        self.waited.append(seconds)
        if self.crash:
            raise Crash()
        advance(self.provider, seconds)


def folders(tmp_path, *names):
    """Dataset folders with contents no other test registers."""
    return [
        write_folder(tmp_path / name, {"data.csv": os.urandom(16).hex().encode(), "README": b"x"})
        for name in names
    ]


def commit_logs(chain, registry, committer, since):
    """(commitment, transaction) of each commitment `committer` made on `registry` since
    block `since`, in order."""
    logs = chain.provider.web3.eth.get_logs(
        {
            "address": str(registry.address),
            "fromBlock": since,
            "toBlock": "latest",
            "topics": ["0x" + COMMITTED.hex(), "0x" + bytes(12).hex() + committer[2:].lower()],
        }
    )
    return [(bytes(log["topics"][2]), "0x" + bytes(log["transactionHash"]).hex()) for log in logs]


def commitments(chain, registry, committer, since):
    """The commitments `committer` made on `registry` since block `since`, in order."""
    return [c for c, _tx in commit_logs(chain, registry, committer, since)]


def reveal_of(chain, registry, tx):
    """(leaves opened, salts registered) by a reveal transaction, decoded from its input: a
    multicall opens its batch's commitment first; a plain register opens nothing."""
    raw = bytes(chain.provider.web3.eth.get_transaction(tx)["input"])
    method, args = registry.decode_input(raw)
    calls = [(method, args)]
    if method.startswith("multicall"):
        calls = [registry.decode_input(bytes(call)) for call in args["data"]]
    opened = []
    if calls[0][0].startswith("openCommitment"):
        opened = [bytes(leaf) for leaf in calls.pop(0)[1]["leaves"]]
    assert calls and all(m.startswith("register(") for m, _ in calls), calls
    return opened, [bytes(a["salt"]) for _, a in calls]


def run(suite, account, paths, out, clock, notes, **options):
    return register_folders(
        suite, account, paths, spdx="CC-BY-4.0", out=out, wait=clock, note=notes.append, **options
    )


def crash_when(name):
    """A `sent` hook that dies once `name`'s registration has landed (between two reveals)."""

    def sent(asset):
        if asset.name == name:
            raise Crash()

    return sent


def test_a_run_commits_then_reveals_every_batch_once_the_commitment_is_ripe(
    committing, chain, publisher, tmp_path
):
    registry = committing.registry
    start = chain.blocks.head.number
    paths = folders(tmp_path, "a", "b", "c")
    out = tmp_path / "out"
    seen = []

    class Watch(Clock):
        def __call__(self, seconds):
            # While the commitments ripen, the salts are on disk and the commitments on chain.
            pending = cm.load_pending(out / "a" / cm.PENDING_FILE)
            seen.append(pending)
            for batch in pending.batches:
                assert batch.commit_tx and registry.committedAt(publisher, batch.commitment)
            super().__call__(seconds)

    notes = []
    done = run(committing, publisher, paths, out, Watch(chain.provider), notes, batch_size=2)

    pending = seen[0]
    assert [len(b.roots) for b in pending.batches] == [2, 1]
    made = commitments(chain, registry, publisher.address, start)
    assert made == [b.commitment for b in pending.batches]
    assert {r for b in pending.batches for r in b.roots} == {a.content_root for a in done.assets}
    assert [a.name for a in done.new] == ["a", "b", "c"]
    assert len({a.tx for a in done.new}) == 2  # a multicall of two, then a plain register
    for asset in done.new:
        view = registry.asset(asset.asset_id)
        assert view.owner == publisher.address and bytes(view.contentRoot) == asset.content_root
        assert MIN <= view.commitLag <= MAX
        receipt = json.loads((out / asset.name / reg.RECEIPT_FILE).read_text())
        assert receipt["asset_id"] == asset.asset_id
    assert not (out / "a" / cm.PENDING_FILE).exists()  # removed after the last reveal
    (committed,) = [n for n in notes if n.startswith("committed 3 registration(s)")]
    assert "as 2 commitment(s) in tx 0x" in committed
    assert "(reveal after " in committed and committed.endswith(" UTC)")

    again = run(committing, publisher, paths, out, Clock(chain.provider, crash=True), notes)
    assert not again.new and [a.already for a in again.assets] == [True] * 3


def test_each_batch_has_its_own_commitment_all_sent_in_one_transaction(
    committing, chain, publisher, tmp_path
):
    registry = committing.registry
    start = chain.blocks.head.number
    paths = folders(tmp_path, *"abcde")
    out = tmp_path / "out"
    seen = []

    class Watch(Clock):
        def __call__(self, seconds):
            seen.append(cm.load_pending(out / "a" / cm.PENDING_FILE))
            super().__call__(seconds)

    done = run(committing, publisher, paths, out, Watch(chain.provider), [], batch_size=2)

    batches = seen[0].batches
    assert [[Path(f).name for f in b.folders] for b in batches] == [["a", "b"], ["c", "d"], ["e"]]
    for batch in batches:
        assert batch.commitment == keccak(b"".join(batch.leaves))
    # One transaction holding the three commits.
    logs = commit_logs(chain, registry, publisher.address, start)
    assert [c for c, _ in logs] == [b.commitment for b in batches]
    assert len({tx for _, tx in logs}) == 1 and logs[0][1] == batches[0].commit_tx
    # Three reveals, each opening only its own batch's leaves.
    txs = list(dict.fromkeys(a.tx for a in done.new))
    assert len(txs) == 3
    for tx, batch in zip(txs, batches, strict=True):
        opened, salts = reveal_of(chain, registry, tx)
        assert opened == (list(batch.leaves) if len(batch.leaves) > 1 else [])
        assert salts == list(batch.salts)
    assert [a.name for a in done.new] == list("abcde")
    assert not (out / "a" / cm.PENDING_FILE).exists()


def test_a_crash_after_the_commit_resumes_the_same_commitment(
    committing, chain, publisher, tmp_path
):
    registry = committing.registry
    start = chain.blocks.head.number
    (path,) = folders(tmp_path, "solo")
    out = tmp_path / "out"
    with pytest.raises(Crash):
        run(committing, publisher, [path], out, Clock(chain.provider, crash=True), [])
    pending = cm.load_pending(out / cm.PENDING_FILE)
    (batch,) = pending.batches
    assert registry.committedAt(publisher, batch.commitment) == batch.committed_at > 0
    assert batch.commitment == keccak(batch.leaves[0])  # one leaf: a plain register reveals it
    assert pending.committer == publisher.address and pending.chain_id == chain.chain_id
    assert all(registry.assetIdOf(root) == 0 for root in batch.roots)
    assert (out / reg.MANIFEST_FILE).is_file()  # the outputs were written before the commit

    notes = []
    clock = Clock(chain.provider)
    done = run(committing, publisher, [path], out, clock, notes)
    (asset,) = done.new
    assert registry.ownerOf(asset.asset_id) == publisher.address
    assert commitments(chain, registry, publisher.address, start) == [batch.commitment]
    assert any(n.startswith("resuming 1 commitment(s) of 1 registration(s)") for n in notes)
    assert sum(clock.waited) <= MIN
    assert reveal_of(chain, registry, asset.tx) == ([], [batch.salts[0]])
    assert not (out / cm.PENDING_FILE).exists()


def test_a_crash_between_reveals_resumes_with_what_is_left(committing, chain, publisher, tmp_path):
    registry = committing.registry
    start = chain.blocks.head.number
    paths = folders(tmp_path, "x", "y", "z")
    out = tmp_path / "out"
    landed = []

    def sent(asset):
        landed.append(asset)
        raise Crash()

    with pytest.raises(Crash):
        register_folders(
            committing, publisher, paths, spdx="MIT", out=out, batch_size=1, sent=sent,
            wait=Clock(chain.provider),
        )  # fmt: skip
    assert [a.name for a in landed] == ["x"]
    done = run(committing, publisher, paths, out, Clock(chain.provider), [], batch_size=1)
    assert [a.name for a in done.new] == ["y", "z"]
    assert [a.already for a in done.assets] == [True, False, False]
    logs = commit_logs(chain, registry, publisher.address, start)
    assert len(logs) == 3 and len({tx for _, tx in logs}) == 1  # three commits, one transaction
    assert not (out / "x" / cm.PENDING_FILE).exists()


def test_a_crash_after_the_first_reveal_resumes_the_committed_batches(
    committing, chain, publisher, tmp_path
):
    registry = committing.registry
    paths = folders(tmp_path, *"abcde")
    out = tmp_path / "out"
    with pytest.raises(Crash):
        run(committing, publisher, paths, out, Clock(chain.provider), [], batch_size=2,
            sent=crash_when("b"))  # fmt: skip
    pending = cm.load_pending(out / "a" / cm.PENDING_FILE)
    assert registry.assetIdOf(pending.batches[0].roots[1]) and not any(
        registry.assetIdOf(root) for batch in pending.batches[1:] for root in batch.roots
    )
    since = chain.blocks.head.number + 1

    notes = []
    clock = Clock(chain.provider)
    # The batches come from the pending file, whatever --batch-size says now.
    done = run(committing, publisher, paths, out, clock, notes, batch_size=20)
    assert [a.name for a in done.new] == ["c", "d", "e"]
    assert [a.already for a in done.assets] == [True, True, False, False, False]
    assert not commitments(chain, registry, publisher.address, since)  # no new commit
    assert not clock.waited  # ripe already
    txs = list(dict.fromkeys(a.tx for a in done.new))
    assert [reveal_of(chain, registry, tx) for tx in txs] == [
        (list(pending.batches[1].leaves), list(pending.batches[1].salts)),
        ([], list(pending.batches[2].salts)),
    ]
    assert any(n.startswith("resuming 2 commitment(s) of 3 registration(s)") for n in notes)
    assert not (out / "a" / cm.PENDING_FILE).exists()


def test_an_expired_batch_is_committed_anew_alone(committing, chain, publisher, tmp_path):
    registry = committing.registry
    paths = folders(tmp_path, *"abcde")
    out = tmp_path / "out"
    with pytest.raises(Crash):
        run(committing, publisher, paths, out, Clock(chain.provider), [], batch_size=2,
            sent=crash_when("d"))  # fmt: skip
    old = cm.load_pending(out / "a" / cm.PENDING_FILE).batches[2]
    advance(chain.provider, MAX + 1)
    since = chain.blocks.head.number + 1

    notes = []
    done = run(committing, publisher, paths, out, Clock(chain.provider), notes, batch_size=2)
    (asset,) = done.new
    assert asset.name == "e" and MIN <= registry.asset(asset.asset_id).commitLag <= MAX
    ((commitment, tx),) = commit_logs(chain, registry, publisher.address, since)
    opened, (salt,) = reveal_of(chain, registry, asset.tx)
    assert not opened and salt != old.salts[0]  # a plain register, under a new salt
    assert commitment == keccak(cm.registration_leaf(publisher.address, old.roots[0], salt))
    (expired,) = [n for n in notes if "expired at" in n]
    assert (
        expired.endswith("committing anew with new salts")
        and "commitment of e (committed " in expired
    )
    assert any(n.startswith(f"committed 1 registration(s) as 1 commitment(s) in tx {tx}")
               for n in notes)  # fmt: skip
    assert not (out / "a" / cm.PENDING_FILE).exists()


def test_a_batch_whose_commit_never_landed_is_committed_anew_beside_the_live_ones(
    committing, chain, publisher, tmp_path
):
    """As when a run dies between two commit transactions: the pending file holds a batch
    whose commitment is not on chain (here: its salts replaced)."""
    registry = committing.registry
    paths = folders(tmp_path, *"abcde")
    out = tmp_path / "out"
    with pytest.raises(Crash):
        run(committing, publisher, paths, out, Clock(chain.provider, crash=True), [],
            batch_size=2)  # fmt: skip
    file = out / "a" / cm.PENDING_FILE
    pending = cm.load_pending(file)
    first, second, third = pending.batches
    salts = (os.urandom(32), os.urandom(32))
    leaves = tuple(
        cm.registration_leaf(publisher.address, r, s)
        for r, s in zip(second.roots, salts, strict=True)
    )
    lost = replace(
        second, salts=salts, leaves=leaves, commitment=keccak(b"".join(leaves)),
        commit_tx=None, committed_at=None,
    )  # fmt: skip
    cm.save_pending(replace(pending, batches=(first, lost, third)))
    since = chain.blocks.head.number + 1

    notes = []
    done = run(committing, publisher, paths, out, Clock(chain.provider), notes, batch_size=5)
    assert [a.name for a in done.new] == list("abcde")
    ((commitment, _tx),) = commit_logs(chain, registry, publisher.address, since)
    txs = list(dict.fromkeys(a.tx for a in done.new))
    reveals = [reveal_of(chain, registry, tx) for tx in txs]
    assert reveals[0] == (list(first.leaves), list(first.salts))  # as committed
    assert reveals[2] == ([], list(third.salts))
    opened, new_salts = reveals[1]
    assert commitment == keccak(b"".join(opened)) and set(new_salts).isdisjoint(salts)
    assert any("never reached the chain; committing anew" in n for n in notes), notes
    for asset in done.new:
        assert MIN <= registry.asset(asset.asset_id).commitLag <= MAX
    assert not file.exists()


def test_commits_are_chunked_into_several_transactions(
    committing, chain, publisher, tmp_path, monkeypatch
):
    monkeypatch.setattr(cm, "COMMITS_PER_TX", 2)
    registry = committing.registry
    start = chain.blocks.head.number
    paths = folders(tmp_path, *"vwxyz")
    notes = []
    done = run(committing, publisher, paths, tmp_path / "out", Clock(chain.provider), notes,
               batch_size=1)  # fmt: skip
    assert len(done.new) == 5
    logs = commit_logs(chain, registry, publisher.address, start)
    txs = list(dict.fromkeys(tx for _, tx in logs))
    assert len(logs) == 5 and [sum(t == tx for _, t in logs) for tx in txs] == [2, 2, 1]
    assert len([n for n in notes if n.startswith("committed ")]) == 3


def test_an_expired_pending_commitment_is_replaced_with_new_salts(
    committing, chain, publisher, tmp_path
):
    registry = committing.registry
    start = chain.blocks.head.number
    paths = folders(tmp_path, "p", "q")
    out = tmp_path / "out"
    with pytest.raises(Crash):
        run(committing, publisher, paths, out, Clock(chain.provider, crash=True), [])
    (old,) = cm.load_pending(out / "p" / cm.PENDING_FILE).batches
    advance(chain.provider, MAX + 1)

    notes = []
    done = run(committing, publisher, paths[::-1], out, Clock(chain.provider), notes)
    assert sorted(a.name for a in done.new) == ["p", "q"]
    made = commitments(chain, registry, publisher.address, start)
    assert len(made) == 2 and made[0] == old.commitment != made[1]
    assert any("expired at" in n and "committing anew with new salts" in n for n in notes), notes
    for asset in done.new:
        assert MIN <= registry.asset(asset.asset_id).commitLag <= MAX
    assert not any((out / name / cm.PENDING_FILE).exists() for name in ("p", "q"))


def test_a_pending_file_reads_back_and_one_that_does_not_add_up_is_refused(publisher, tmp_path):
    root, salt = keccak(b"root"), keccak(b"salt")
    leaf = cm.registration_leaf(publisher.address, root, salt)
    # The first format: the whole run under one commitment, read as one batch.
    old = {
        "version": 1, "chain_id": 31337, "registry": "0x" + "11" * 20,
        "committer": publisher.address, "commitment": "0x" + keccak(leaf).hex(),
        "commit_tx": None, "committed_at": 5, "leaves": ["0x" + leaf.hex()],
        "registrations": [{"content_root": "0x" + root.hex(), "salt": "0x" + salt.hex()}],
    }  # fmt: skip
    path = tmp_path / cm.PENDING_FILE
    path.write_text(json.dumps(old))
    pending = cm.load_pending(path)
    (batch,) = pending.batches
    assert (batch.roots, batch.salts, batch.committed_at) == ((root,), (salt,), 5)
    cm.save_pending(pending)
    assert json.loads(path.read_text())["version"] == 2 and cm.load_pending(path) == pending
    old["registrations"][0]["salt"] = "0x" + keccak(b"another").hex()
    path.write_text(json.dumps(old))
    with pytest.raises(InputError, match="salts, leaves and commitments do not match"):
        cm.load_pending(path)


def test_a_pending_file_of_another_account_or_run_is_left_alone(
    committing, chain, publisher, accounts, tmp_path
):
    other = accounts[2]
    paths = folders(tmp_path, "m", "n", "o")
    out = tmp_path / "out"
    with pytest.raises(Crash):
        run(committing, publisher, paths[:2], out, Clock(chain.provider, crash=True), [])
    file = out / "m" / cm.PENDING_FILE
    before = file.read_bytes()
    with pytest.raises(InputError, match=f"pending commitment of {publisher.address}"):
        run(committing, other, paths[:2], out, Clock(chain.provider), [])
    with pytest.raises(InputError, match=f"does not cover {paths[2]}"):
        run(committing, publisher, paths, out, Clock(chain.provider), [])
    assert file.read_bytes() == before  # the salts are still there to finish that run
    done = run(committing, publisher, paths[:2], out, Clock(chain.provider), [])
    assert [committing.registry.ownerOf(a.asset_id) for a in done.new] == [publisher.address] * 2


def test_bad_input_commits_nothing(committing, chain, publisher, tmp_path):
    start = chain.blocks.head.number
    (path,) = folders(tmp_path, "orphan")
    with pytest.raises(ChainError, match="Parent asset 7 does not exist"):
        run(committing, publisher, [path], tmp_path / "out", Clock(chain.provider), [],
            parents=["7:10%"])  # fmt: skip
    assert not commitments(chain, committing.registry, publisher.address, start)
    assert not (tmp_path / "out").exists()


def test_one_transaction_when_the_registry_asks_for_no_commitment(
    suite, chain, publisher, tmp_path
):
    assert suite.registry.MIN_COMMIT_AGE() == 0
    start = chain.blocks.head.number
    paths = folders(tmp_path, "one", "two")
    clock = Clock(chain.provider, crash=True)  # never called: nothing to wait for
    done = run(suite, publisher, paths, tmp_path / "out", clock, [])
    assert len(done.new) == 2 and len({a.tx for a in done.new}) == 1 and not clock.waited
    assert not commitments(chain, suite.registry, publisher.address, start)
    assert all(suite.registry.asset(a.asset_id).commitLag == 0 for a in done.new)
    assert not any((tmp_path / "out" / n / cm.PENDING_FILE).exists() for n in ("one", "two"))


def test_commit_ages_are_checked_and_zero_is_for_the_local_chain_only(project, deployer):
    from types import SimpleNamespace

    for low, high, message in [
        (60, 65_536, "maximum commitment age must be between 0 and 65535"),
        (60, 60, "must be 0 \\(commitments off\\) or below the maximum \\(60 s\\)"),
        (-1, 600, "minimum commitment age"),
    ]:
        with pytest.raises(InputError, match=message):
            Params(deployer.address, deployer.address, min_commit_age=low, max_commit_age=high)
    Params(deployer.address, deployer.address, min_commit_age=0, max_commit_age=0)
    off = Params(deployer.address, deployer.address, min_commit_age=0)
    elsewhere = SimpleNamespace(provider=SimpleNamespace(chain_id=11155111))
    with pytest.raises(InputError, match="only for the local chain 31337.*squattable"):
        deploy(project, elsewhere, deployer, off, write_record=False)
