"""`ape run dispute ...` as a user runs it (in this process, as the script fuzzers do; one
real process at the end): what each subcommand prints and does, and every bad input refused
with one `error:` line, no traceback, nothing sent and no file written."""

from __future__ import annotations

import json
import os
import re
import sys
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from test_dispute_workflow import BIG, BOND, DAY, MILLI, make_copied, pay, write_folder
from testkit.registering import ZERO_SALT, increase_time

from seedbed.workflows import disputes

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "scripts"))
import script_strategies as s  # noqa: E402
from script_fuzzkit import Runner, assert_refused  # noqa: E402


@pytest.fixture(scope="module")
def run(chain, deployments_dir, tmp_path_factory):
    """run("open", "--asset", 3, ..., account=1) runs `ape run dispute open ...` in-process."""
    runner = Runner(chain, deployments_dir, tmp_path_factory.mktemp("dispute-cwd"))

    def call(*args, account=1, **kw):
        return runner("dispute", *args, account=account, **kw)

    return call


def ok(outcome):
    assert outcome.code == 0, outcome.explain()
    assert "Traceback" not in outcome.stderr
    return outcome.stdout


def refused(outcome, phrase):
    line = assert_refused(outcome)
    assert phrase.lower() in line.lower(), line
    return line


def number(text, before):
    """The integer after `before` in `text` ("dispute 4 ..." -> 4)."""
    return int(text.split(before, 1)[1].split()[0].strip("(:,"))


@pytest.fixture
def copied(tmp_path, register_asset, publisher, alice, bob):
    return make_copied(tmp_path, register_asset, publisher, alice, bob)


@pytest.fixture
def pair(register_asset, alice, bob):
    """(target: alice's asset, home: bob's asset)."""
    target, _ = register_asset(alice, {alice.address: 1})
    home, _ = register_asset(bob, {bob.address: 1})
    return target, home


# -- the subjective path ------------------------------------------------------------------------


def test_open_contest_rule_release_withdraw(
    run, court, registry, vault, pair, deployer, alice, bob, tmp_path
):
    target, home = pair
    paper = tmp_path / "complaint.txt"
    paper.write_text("asset copies our images\n")
    out = ok(
        run("open", "--asset", target, "--reason", "Infringement", "--evidence", paper,
            "--beneficiary", home, account=3)
    )  # fmt: skip
    dispute_id = number(out, "opened dispute ")
    assert (
        f"opened dispute {dispute_id} (subjective (infringement)) against asset {target}: "
        "bonded 0.1 ETH and the ruling fee 0 ETH" in out
    )
    digest = disputes.evidence_of(str(paper)).digest.hex()
    assert f"evidence, sha256 of {paper}: 0x{digest}" in out
    assert registry.asset(target).status == 1
    pay(vault, target, 3 * MILLI, deployer)

    out = ok(run("show", "--dispute", dispute_id, account=None))
    assert f"dispute {dispute_id}: subjective (infringement), against asset {target}, open" in out
    assert f"beneficiary if upheld: asset {home}" in out
    assert "escrow: 0.003 ETH" in out
    assert "claimant's bond: 0.1 ETH and the ruling fee 0 ETH, held by the court" in out
    assert re.search(r"answer period ends: .* UTC \(in (7d|6d23h\d+m)\)", out), out
    assert f"next: the owner {alice.address} may contest it with 0.1 ETH" in out
    assert f"`ape run dispute contest --dispute {dispute_id}`" in out

    out = ok(run("contest", "--dispute", dispute_id, account=2))
    assert f"contested dispute {dispute_id}: bonded 0.1 ETH" in out
    assert f"the arbiter {court.ARBITER()} has until" in out
    out = ok(run("show", "--dispute", dispute_id, account=None))
    assert "claimant's bond: 0.1 ETH, held by the court" in out
    assert "defendant's bond: 0.1 ETH, held by the court" in out
    assert "may rule (0 for upheld, 0 for dismissed, 1 needed) by " in out
    assert f"`ape run dispute rule --dispute {dispute_id} --upheld|--dismissed`" in out

    out = ok(run("rule", "--dispute", dispute_id, "--upheld", account=0))
    assert (
        f"voted upheld on dispute {dispute_id} (1 for upheld, 0 for dismissed, 1 needed): " in out
    )
    assert "ruled upheld" in out
    out = ok(run("release", "--asset", target))
    assert f"released 0.003 ETH of asset {target}'s escrow to asset {home}" in out
    assert "(0.003 ETH to contributors, 0 ETH pending upstream)" in out
    assert "nothing to release" in ok(run("release", "--asset", target))  # a re-run

    data = json.loads(ok(run("show", "--asset", target, "--json", account=3)))
    assert data["status"] == 2 and data["dispute"]["dispute"]["state"] == 3
    assert data["dispute"]["deposits"] == {bob.address: 2 * BOND, alice.address: 0}
    out = ok(run("withdraw", account=3))
    assert f"withdrew 0.2 ETH of deposits to {bob.address}" in out
    refused(run("withdraw", account=3), "Nothing to withdraw")
    out = ok(run("show", account=3))
    assert f"dispute {dispute_id}: subjective (infringement) against asset {target}, upheld" in out
    assert f"withdrawable by {bob.address}: 0 ETH" in out


def test_an_unanswered_claim_resolves_to_the_arbiter_then_lapses(run, chain, pair, stranger):
    target, _ = pair
    out = ok(run("open", "--asset", target, "--reason", "bad-data", "--evidence",
                 "0x" + "ab" * 32, account=5))  # fmt: skip
    dispute_id = number(out, "opened dispute ")
    assert "evidence, given: 0x" + "ab" * 32 in out
    refused(run("resolve", "--dispute", dispute_id), "cannot be resolved yet")
    refused(run("lapse", "--dispute", dispute_id), "is open, not at the arbiter")
    increase_time(chain.provider, 7 * DAY + 1)
    refused(run("contest", "--dispute", dispute_id, account=2), "answer period")
    out = ok(run("resolve", "--dispute", dispute_id))
    assert f"resolved dispute {dispute_id}: unanswered, so it went to the arbiter" in out
    refused(run("lapse", "--dispute", dispute_id), "to rule on dispute")
    increase_time(chain.provider, 60 * DAY + 1)
    out = ok(run("lapse", "--dispute", dispute_id))
    assert f"lapsed dispute {dispute_id}: the arbiter did not rule; asset {target} is listed" in out
    refused(run("lapse", "--dispute", dispute_id), "is over (lapsed)")  # a re-run sends nothing
    refused(run("rule", "--dispute", dispute_id, "--dismissed", account=0), "is over")


# -- the objective claims -------------------------------------------------------------------------


def test_duplicate_found_resolved_and_released_to_the_earlier_asset(
    run, chain, vault, copied, deployer, stranger
):
    a, b, fa, fb = copied
    args = ["--earlier", a, "--later", b, "--earlier-folder", fa, "--later-folder", fb]
    refused(run("duplicate", *args, "--file", "README.md", account=5), "is not in asset")
    out = ok(run("duplicate", *args, account=5, watch=[fa, fb]))
    assert f"shared file: data/big.bin, {BIG} bytes (in asset {b} as copy/big.bin)" in out
    dispute_id = number(out, "opened dispute ")
    assert f"(duplicate content) against asset {b}" in out
    refused(run("duplicate", *args, account=5), "under dispute already")  # a re-run
    refused(run("answer", "--dispute", dispute_id), "does not descend from asset")
    pay(vault, b, 2 * MILLI, deployer)
    out = ok(run("show", "--asset", b, account=None))
    assert (
        f"dispute {dispute_id}: duplicate content, against asset {b} (copied from asset {a})" in out
    )
    assert "shared file sha256: 0x" in out and "escrow: 0.002 ETH" in out
    increase_time(chain.provider, 7 * DAY + 1)
    out = ok(run("resolve", "--dispute", dispute_id))
    assert f"resolved dispute {dispute_id}: upheld (unanswered); asset {b} is taken down" in out
    assert f"its revenue goes to asset {a}" in out
    out = ok(run("release", "--asset", b, "--currency", "ETH"))
    assert f"released 0.002 ETH of asset {b}'s escrow to asset {a}" in out


def test_answer_dismisses_with_the_lineage(
    run, court, registry, copied, register_asset, publisher, alice, stranger, tmp_path
):
    a, _, fa, _ = copied
    mid, _ = register_asset(publisher, {publisher.address: 1}, [(a, 100)])
    mc = write_folder(tmp_path / "c", {"big.bin": (fa / "data/big.bin").read_bytes()})
    c, _ = register_asset(publisher, {alice.address: 1}, [(mid, 100)], content_root=mc.root)
    registry.transferFrom(publisher, alice, c, sender=publisher)
    ma = disputes.registered_manifest(fa, a, registry.asset(a).contentRoot)
    fe, fc = next(f for f in ma.files if f.path == "data/big.bin"), mc.files[0]
    proofs = [(f.path, f.sha256, f.size, m.proof(f.path)) for f, m in ((fe, ma), (fc, mc))]
    receipt = court.openDuplicate(a, c, *proofs, value=BOND, sender=stranger)
    dispute_id = receipt.events.filter(court.DisputeOpened)[0].disputeId
    out = ok(run("answer", "--dispute", dispute_id, account=5))
    assert (
        f"answered dispute {dispute_id}: asset {c} descends from asset {a} "
        f"({c} -> {mid} -> {a}, parent indices [0, 0]); dismissed" in out
    )
    assert f"goes to the owner {alice.address}" in out
    refused(run("answer", "--dispute", dispute_id), "is over (dismissed)")


def test_prior_takes_down_a_squatter(run, suite, registry, register_asset, alice, bob, tmp_path):
    from test_dispute_workflow import _pending

    root = os.urandom(32)
    path = _pending(tmp_path, suite, bob, [root])
    squat, _ = register_asset(alice, {alice.address: 1}, content_root=root)
    refused(run("prior", "--asset", squat, "--commitment", path, account=2), "holds commitments of")
    out = ok(run("prior", "--asset", squat, "--commitment", path, account=3))
    assert (
        f"took down asset {squat}: dispute " in out and "(prior commitment) upheld at once" in out
    )
    assert "no bond; its revenue goes to the protocol's fee book from now on" in out
    assert registry.asset(squat).status == 2
    refused(run("prior", "--asset", squat, "--commitment", path, account=3), "taken down already")


def test_a_vote_below_the_panels_threshold_does_not_rule_yet(
    project, chain, deployer, treasury, stranger, alice, bob, contributors_of, tmp_path_factory
):
    """A second deployment whose panel is the deployer and the stranger, deciding by 2."""
    from script_fuzzkit import Runner as FreshRunner

    from seedbed.chain.client import Suite
    from seedbed.chain.deploy import Params, deploy

    params = Params(
        wirer=deployer.address, treasury=treasury.address, min_commit_age=0,
        salt="0x" + "5e" * 32, arbiter_members=(deployer.address, stranger.address),
        arbiter_threshold=2,
    )  # fmt: skip
    record = deploy(project, chain, deployer, params, write_record=False)
    other = Suite.from_record(project, chain, record)
    folder = tmp_path_factory.mktemp("panel-deployments")
    (folder / f"{other.chain_id}.json").write_text(json.dumps(record))
    runner = FreshRunner(chain, folder, tmp_path_factory.mktemp("panel-cwd"))
    people = contributors_of({alice.address: 1})
    receipt = other.registry.register(
        0, os.urandom(32), ZERO_SALT, people.top, "ipfs://x", b"\x11" * 32, [], sender=alice
    )
    target = receipt.events.filter(other.registry.AssetRegistered)[0].assetId
    out = ok(runner("dispute", "open", "--asset", target, "--reason", "licence-breach",
                    "--evidence", "0x" + "cd" * 32, account=3))  # fmt: skip
    dispute_id = number(out, "opened dispute ")
    ok(runner("dispute", "contest", "--dispute", dispute_id, account=2))
    out = ok(runner("dispute", "rule", "--dispute", dispute_id, "--dismissed", account=0))
    assert (
        f"voted dismissed on dispute {dispute_id}: not ruled yet, the threshold is not reached "
        "(0 for upheld, 1 for dismissed, 2 needed)" in out
    )
    refused(runner("dispute", "rule", "--dispute", dispute_id, "--dismissed", account=0),
            "has voted on dispute")  # fmt: skip
    refused(runner("dispute", "rule", "--dispute", dispute_id, "--upheld", account=3),
            "not a member of the arbiter panel")  # fmt: skip
    out = ok(runner("dispute", "rule", "--dispute", dispute_id, "--dismissed", account=5))
    assert "(0 for upheld, 2 for dismissed, 2 needed): ruled dismissed" in out
    assert other.court.deposits(alice) == 2 * BOND  # both bonds to the defendant


# -- refusals -------------------------------------------------------------------------------------


@pytest.fixture
def opened(run, pair):
    """An open subjective dispute against alice's asset, by bob: (dispute id, target, home)."""
    target, home = pair
    out = ok(run("open", "--asset", target, "--reason", "infringement", "--evidence",
                 "0x" + "77" * 32, account=3))  # fmt: skip
    return number(out, "opened dispute "), target, home


def test_each_bad_input_is_one_error_line_and_sends_nothing(run, opened, tmp_path, copied):
    dispute_id, target, home = opened
    a, b, fa, fb = copied
    hash_ = "0x" + "12" * 32
    folders = ["--earlier-folder", fa, "--later-folder", fb]
    cases = [
        ((), 1, "Name a subcommand first"),
        (("nope",), 1, "No such command"),
        (("open", "--asset", home, "--evidence", hash_), 3, "Missing option '--reason'"),
        (("open", "--asset", home, "--reason", "rude", "--evidence", hash_), 3, "is not one of"),
        (("open", "--asset", "0", "--reason", "bad-data", "--evidence", hash_), 3, "not an asset"),
        (("open", "--asset", "10000", "--reason", "bad-data", "--evidence", hash_), 3,
         "does not exist"),
        (("open", "--asset", home, "--reason", "bad-data", "--evidence", tmp_path / "no.pdf"), 3,
         "neither a file nor"),
        (("open", "--asset", home, "--reason", "bad-data", "--evidence", "0x" + "0" * 64), 3,
         "is zero"),
        (("open", "--asset", home, "--reason", "bad-data", "--evidence", hash_, "--beneficiary",
          home), 3, "cannot be asset"),
        (("open", "--asset", target, "--reason", "bad-data", "--evidence", hash_), 5,
         "under dispute already"),
        (("duplicate", "--earlier", b, "--later", a, *folders), 5, "is not earlier than"),
        (("duplicate", "--earlier", a, "--later", b, "--earlier-folder", tmp_path / "x",
          "--later-folder", fb), 5, "does not exist"),
        (("duplicate", "--earlier", a, "--later", b, *folders, "--file", "LICENSE"), 5,
         "below the court's minimum"),
        (("prior", "--asset", target, "--commitment", tmp_path / "c.json"), 3, "does not exist"),
        (("answer", "--dispute", "999"), 1, "Dispute 999 does not exist"),
        (("answer", "--dispute", "x"), 1, "not a dispute id"),
        (("answer", "--dispute", dispute_id), 1, "only duplicate-content claims"),
        (("contest", "--dispute", dispute_id), 5, "owner"),
        (("resolve", "--dispute", dispute_id), 1, "cannot be resolved yet"),
        (("lapse", "--dispute", dispute_id), 1, "is open, not at the arbiter"),
        (("rule", "--dispute", dispute_id), 0, "--upheld or --dismissed"),
        (("rule", "--dispute", dispute_id, "--upheld"), 0, "is open, not at the arbiter"),
        (("release", "--asset", home), 1, "has never been disputed"),
        (("release", "--asset", target), 1, "still open"),
        (("withdraw",), 4, "Nothing to withdraw"),
        (("show", "--dispute", dispute_id, "--asset", target), 1, "not both"),
        (("show", "--dispute", "0"), 1, "not a dispute id"),
    ]  # fmt: skip
    for args, account, phrase in cases:
        refused(run(*args, account=account, watch=[fa, fb, tmp_path]), phrase)
    # The signer and the node: one line too, before anything is sent.
    refused(run("withdraw", account=None, key="0x1234"), "key")
    refused(run("withdraw", account=None), "No account")
    refused(run("show", account=None, network="http://127.0.0.1:1"), "Cannot reach the node")
    poor = f"0x{2**200 + 7:064x}"
    refused(run("open", "--asset", home, "--reason", "bad-data", "--evidence", hash_,
                account=None, key=poor), "holds 0 ETH")  # fmt: skip


@settings(max_examples=6)
@given(data=st.data())
def test_generated_bad_ids_and_addresses_are_refused_cleanly(run, data, suite):
    """The script fuzzers' strategies, over the dispute subcommands' ids and currencies."""
    count = int(suite.court.disputeCount())
    assets = int(suite.registry.assetCount())
    which = data.draw(st.sampled_from(["answer", "contest", "resolve", "lapse", "show", "release"]))
    if which == "release":
        args = ["release", "--asset", data.draw(s.bad_ids(assets))]
    else:
        args = [which, f"--dispute={data.draw(s.bad_ids(count))}"]
    if data.draw(st.booleans()):
        args += [f"--currency={data.draw(s.bad_addresses())}"] if which == "release" else []
    outcome = run(*args)
    line = assert_refused(outcome)
    assert not line.startswith("error: unexpected"), line


def test_one_real_process_prints_the_court(run_script, suite):
    """`ape run dispute show` in its own process (the group under ape's own runner)."""
    result = run_script("dispute", "show", account=None)
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr
    assert f"court {suite.court.address}: bond 0.1 ETH, ruling fee 0 ETH" in result.stdout
