"""`ape run labels` and `ape run value` as a user runs them (in this process, as the script
fuzzers do): a campaign and a dataset turned into contributor weights that `ape run register`
accepts, reruns identical byte for byte, and every bad input refused with one `error:` line,
no traceback and nothing written. Neither script touches the chain."""

from __future__ import annotations

import json
import os
import re
import sys
from pathlib import Path

import numpy as np
import pytest
from lifecycle_helpers import address, write_campaign, write_valued

from seedbed.core.contributors import read_contributors
from seedbed.core.manifest import build_manifest
from seedbed.core.treefile import ContributorTree

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "scripts"))
from script_fuzzkit import Runner, assert_refused  # noqa: E402

OUTPUTS = ("contributors.csv", "contributors.sbtree")


@pytest.fixture(scope="module")
def runner(chain, deployments_dir, tmp_path_factory):
    return Runner(chain, deployments_dir, tmp_path_factory.mktemp("lifecycle-cwd"))


@pytest.fixture
def campaign(tmp_path):
    return write_campaign(tmp_path / "campaign")


@pytest.fixture
def valued(tmp_path):
    return write_valued(tmp_path / "valued")


def ok(outcome):
    assert outcome.code == 0, outcome.explain()
    assert "Traceback" not in outcome.stderr and outcome.sent == 0
    return outcome.stdout


def refused(outcome, phrase):
    line = assert_refused(outcome)
    assert phrase.lower() in line.lower(), line
    return line


def files(out, report):
    return {name: (out / name).read_bytes() for name in (*OUTPUTS, report)}


def commit(runner, gold):
    return json.loads(ok(runner("labels", "commit", "--gold", gold, "--json", account=None)))


def score(runner, campaign, out, *extra, gold=True):
    args = ["labels", "score", campaign.export, "--label-studio", "--out", out,
            "--addresses", campaign.names, *extra]  # fmt: skip
    if gold:
        args += ["--gold", campaign.gold]
    return runner(*args, account=None)


# -- labels ---------------------------------------------------------------------------------------


def test_a_campaign_becomes_weights_that_register_accepts(runner, campaign, suite, tmp_path):
    sealed = commit(runner, campaign.gold)
    assert re.fullmatch(r"0x[0-9a-f]{64}", sealed["salt"]) and sealed["fresh_salt"]
    out = tmp_path / "weights"
    text = ok(score(runner, campaign, out, "--salt", sealed["salt"],
                    "--commitment", sealed["commitment"]))  # fmt: skip
    report = json.loads((out / "quality-report.json").read_bytes())
    root, total = report["root"], report["total"]
    assert f"root        {root}" in text and f"total       {total}" in text
    assert f"method hash {report['method_hash']}" in text
    assert "8 gold items, matching the commitment" in text
    assert f"spam@example.org ({campaign.spammer})" in text
    assert "flagged (quality 0): not paid" in text and "4 of 5 paid, 1 flagged" in text
    line = f"ape run register FOLDER --spdx SPDX-ID --contributors {out / 'contributors.csv'}"
    assert f"next: {line}" in text

    weights = read_contributors(out / "contributors.csv")
    paid = {address for address in report["weights"]}
    assert {bytes.fromhex(a[2:]) for a in paid} == set(weights)
    assert set(paid) == set(campaign.honest) and campaign.spammer not in paid
    tree = ContributorTree.load(out / "contributors.sbtree")
    assert "0x" + tree.root.hex() == root and tree.total == total == sum(weights.values())
    tree.close()

    dataset = tmp_path / "dataset"
    dataset.mkdir()
    (dataset / "labels.json").write_bytes(os.urandom(64))
    text = _register(runner, dataset, out / "contributors.csv")
    asset = int(re.search(r"^asset (\d+):", text, re.M)[1])
    view = suite.registry.asset(asset)
    assert "0x" + bytes(view.contributorsRoot).hex() == root
    assert int(view.totalWeight) == total
    assert bytes(view.contentRoot) == build_manifest(dataset).root


def _register(runner, dataset, contributors):
    outcome = runner("register", dataset, "--spdx", "CC-BY-4.0", "--contributors", contributors)
    assert outcome.code == 0, outcome.explain()
    return outcome.stdout


def test_a_rerun_writes_the_same_bytes_from_label_studio_or_csv(runner, campaign, tmp_path):
    first, again, from_csv = tmp_path / "a", tmp_path / "b", tmp_path / "c"
    ok(score(runner, campaign, first))
    ok(score(runner, campaign, again))
    assert files(first, "quality-report.json") == files(again, "quality-report.json")
    ok(score(runner, campaign, first))  # over its own outputs
    assert files(first, "quality-report.json") == files(again, "quality-report.json")
    ok(runner("labels", "score", campaign.csv, "--csv", "--out", from_csv, "--addresses",
              campaign.names, "--gold", campaign.gold, account=None))  # fmt: skip
    assert files(from_csv, "quality-report.json") == files(first, "quality-report.json")


def test_merge_gives_validators_a_fixed_share_of_the_registered_tree(
    runner, campaign, suite, tmp_path
):
    scored = tmp_path / "scored"
    ok(score(runner, campaign, scored))
    validators = tmp_path / "validators.csv"
    v1, v2 = "0x" + "ab" * 20, "0x" + "cd" * 20
    validators.write_text(f"address,weight\n{v1},3\n{v2},1\n")
    out = tmp_path / "merged"
    args = ["labels", "merge", "--part", f"{scored / 'contributors.csv'}:95%",
            "--part", f"{validators}:500", "--out", out]  # fmt: skip
    data = json.loads(ok(runner(*args, "--json", account=None)))
    merged = read_contributors(out / "contributors.csv")
    assert sum(merged.values()) == data["total"] == 10**18
    vs = {bytes.fromhex(v1[2:]), bytes.fromhex(v2[2:])}
    assert sum(w for a, w in merged.items() if a in vs) == 5 * 10**16  # exactly 5 %
    assert merged[bytes.fromhex(v1[2:])] == 3 * merged[bytes.fromhex(v2[2:])]
    report = json.loads((out / "merge-report.json").read_text())
    assert [p["share_bps"] for p in report["parts"]] == [9_500, 500]
    before = files(out, "merge-report.json")
    ok(runner(*args, account=None))  # a rerun writes the same bytes
    assert files(out, "merge-report.json") == before
    text = _register(runner, _dataset(tmp_path), out / "contributors.csv")
    asset = int(re.search(r"^asset (\d+):", text, re.M)[1])
    assert "0x" + bytes(suite.registry.asset(asset).contributorsRoot).hex() == data["root"]
    refused(runner("labels", "merge", "--part", f"{validators}:60%", "--part",
                   f"{validators}:30%", "--out", tmp_path / "x", account=None), "9000")  # fmt: skip
    refused(runner("labels", "merge", "--part", "nope.csv", "--out", tmp_path / "y",
                   account=None), "FILE:SHARE")  # fmt: skip


def _dataset(tmp_path):
    dataset = tmp_path / "merged-dataset"
    dataset.mkdir()
    (dataset / "labels.json").write_bytes(os.urandom(64))
    return dataset


def test_json_output_is_one_document(runner, campaign, tmp_path):
    data = json.loads(ok(score(runner, campaign, tmp_path / "out", "--json")))
    assert (
        data["root"] == json.loads((tmp_path / "out" / "quality-report.json").read_text())["root"]
    )
    assert {r["name"]: r["flagged"] for r in data["annotators"]}["spam@example.org"] is True
    assert data["register"].endswith("contributors.csv") and data["gold"]["items"] == 8


def test_a_gold_reveal_that_does_not_open_the_commitment_is_refused(runner, campaign, tmp_path):
    sealed = commit(runner, campaign.gold)
    out = tmp_path / "out"
    other_salt = "0x" + "11" * 32
    line = refused(
        score(runner, campaign, out, "--salt", other_salt, "--commitment", sealed["commitment"]),
        "not the commitment",
    )
    assert sealed["commitment"] in line
    changed = json.loads(campaign.gold.read_text())
    changed["1"] = "bird" if changed["1"] != "bird" else "cat"
    campaign.gold.write_text(json.dumps(changed))
    refused(
        score(
            runner, campaign, out, "--salt", sealed["salt"], "--commitment", sealed["commitment"]
        ),
        "not the commitment",
    )
    assert not out.exists()


def test_commit_reuses_a_given_salt(runner, campaign):
    salt = "0x" + "ab" * 32
    first = commit_with(runner, campaign.gold, salt)
    assert first == commit_with(runner, campaign.gold, salt) and not first["fresh_salt"]
    assert commit(runner, campaign.gold)["commitment"] != first["commitment"]


def commit_with(runner, gold, salt):
    return json.loads(ok(runner("labels", "commit", "--gold", gold, "--salt", salt, "--json",
                                account=None)))  # fmt: skip


BAD_LABELS = {
    "export-not-json": (lambda c, t: [_write(t / "x.json", "{nope"), "--label-studio"],
                        "not valid JSON"),
    "export-missing": (lambda c, t: [t / "gone.json", "--label-studio"], "gone.json"),
    "export-a-folder": (lambda c, t: [t, "--label-studio"], "not a file"),
    "csv-header": (lambda c, t: [_write(t / "x.csv", "a,b,c\n1,2,3\n"), "--csv"], "header"),
    "csv-as-json": (lambda c, t: [c.csv, "--label-studio"], "not valid JSON"),
    "no-format": (lambda c, t: [c.export], "--label-studio"),
    "two-formats": (lambda c, t: [c.export, "--csv", "--label-studio"], "--label-studio"),
    "gold-not-object": (lambda c, t: [c.export, "--label-studio", "--gold",
                                      _write(t / "g.json", "[1, 2]")], "JSON object"),
    "gold-label-number": (lambda c, t: [c.export, "--label-studio", "--gold",
                                        _write(t / "g.json", '{"1": 3}')], "non-empty text"),
    "salt-no-gold": (lambda c, t: [c.export, "--label-studio", "--salt", "0x" + "00" * 32],
                     "--gold"),
    "commitment-no-salt": (lambda c, t: [c.export, "--label-studio", "--gold", c.gold,
                                         "--commitment", "0x" + "00" * 32], "--salt"),
    "short-salt": (lambda c, t: [c.export, "--label-studio", "--gold", c.gold, "--salt", "0x12"],
                   "32 bytes"),
    "names-missing": (lambda c, t: [c.export, "--label-studio", "--addresses",
                                    _write(t / "n.csv", "name,address\n")], "no address"),
    "names-bad": (lambda c, t: [c.export, "--label-studio", "--addresses",
                                _write(t / "n.csv", "name,address\nx,0x12\n")], "not an address"),
    "method": (lambda c, t: [c.export, "--label-studio", "--method", "vote"], "vote"),
    "out-a-file": (lambda c, t: [c.export, "--label-studio", "--out", c.gold], "is a file"),
    "out-an-input": (lambda c, t: [_write(t / "contributors.csv", "item,annotator,label\n"),
                                   "--csv", "--out", t], "is an input"),
}  # fmt: skip


def _write(path, text):
    path.write_text(text)
    return path


@pytest.mark.parametrize("case", sorted(BAD_LABELS))
def test_bad_label_inputs_are_refused_with_one_error_line(runner, campaign, tmp_path, case):
    build, phrase = BAD_LABELS[case]
    bad = tmp_path / "bad"
    bad.mkdir()
    args = [str(a) for a in build(campaign, bad)]
    if "--out" not in args:
        args += ["--out", str(tmp_path / "out")]
    if "--addresses" not in args:
        args += ["--addresses", str(campaign.names)]
    outcome = runner("labels", "score", *args, account=None, watch=[tmp_path])
    refused(outcome, phrase)
    assert not (tmp_path / "out").exists()


def test_bad_commit_and_group_arguments_are_refused(runner, campaign, tmp_path):
    refused(runner("labels", "commit", "--gold", tmp_path / "gone.json", account=None), "gone")
    refused(runner("labels", account=None), "Name a subcommand")
    refused(runner("labels", "weigh", account=None), "weigh")
    refused(runner("labels", "commit", "--gold", campaign.gold, account=1), "--account")


def test_labels_runs_under_ape_run_without_a_chain(run_script, campaign):
    done = run_script("labels", "commit", "--gold", campaign.gold, account=None)
    assert done.returncode == 0, done.stderr
    assert re.search(r"commitment 0x[0-9a-f]{64}", done.stdout)


# -- value ----------------------------------------------------------------------------------------


def test_a_mislabelled_owner_is_flagged_and_copies_earn_nothing(runner, valued, tmp_path):
    out = tmp_path / "out"
    text = ok(runner("value", *valued.args(out), account=None))
    report = json.loads((out / "valuation-report.json").read_bytes())
    rows = {row["address"]: row for row in report["owners"]}
    assert rows[valued.mislabelled]["flagged"] and rows[valued.mislabelled]["value"] < 0
    assert rows[valued.copier]["duplicates"] == 6 and rows[valued.copier]["weight"] == 0
    assert report["items"] == 42 and report["kept"] == 36 and report["duplicates_dropped"] == 6
    weights = read_contributors(out / "contributors.csv")
    assert {to_hex(a) for a in weights} == set(valued.good)
    assert f"{valued.mislabelled}: 12 items" in text and "flagged (value <= 0): not paid" in text
    assert "every item a duplicate" in text and "2 of 4 owners paid, 1 flagged" in text
    tree = ContributorTree.load(out / "contributors.sbtree")
    assert f"root        0x{tree.root.hex()}" in text and report["root"] == "0x" + tree.root.hex()
    tree.close()
    assert f"method hash {report['method_hash']}" in text
    assert set(report["inputs"]) == {"features", "labels", "owners", "val_features",
                                     "val_labels", "hashes"}  # fmt: skip

    without = tmp_path / "all"
    ok(runner("value", *valued.args(without, hashes=False), account=None))
    copied = read_contributors(without / "contributors.csv")
    assert bytes.fromhex(valued.copier[2:]) in copied  # copies pay when not dropped
    again = json.loads((without / "valuation-report.json").read_bytes())
    assert again["method_hash"] != report["method_hash"] and again["kept"] == 42


def to_hex(raw):
    from seedbed.core.addresses import to_checksum_address

    return to_checksum_address(raw)


def test_a_value_rerun_writes_the_same_bytes(runner, valued, tmp_path):
    ok(runner("value", *valued.args(tmp_path / "a"), account=None))
    ok(runner("value", *valued.args(tmp_path / "b"), account=None))
    ok(runner("value", *valued.args(tmp_path / "a"), account=None))
    assert files(tmp_path / "a", "valuation-report.json") == files(
        tmp_path / "b", "valuation-report.json"
    )
    data = json.loads(ok(runner("value", *valued.args(tmp_path / "c"), "--json", account=None)))
    assert data["flagged"] == [valued.mislabelled] and data["kept"] == 36


def _replace(args, option, value):
    args = list(args)
    args[args.index(option) + 1] = value
    return args


def _pickled(path):
    np.save(path, np.array([{"a": 1}], dtype=object), allow_pickle=True)
    return path


BAD_VALUES = {
    "features-missing": ("--features", lambda v, t: t / "gone.npy", "gone.npy"),
    "features-pickled": ("--features", lambda v, t: _pickled(t / "p.npy"), "object arrays"),
    "features-text": ("--features", lambda v, t: _write(t / "x.npy", "1,2\n"), "npy"),
    "features-1d": ("--features", lambda v, t: _save(t / "x.npy", np.zeros(42)), "2-D"),
    "features-npz": ("--features", lambda v, t: _savez(t / "x.npz"), "npz"),
    "features-nan": ("--features", lambda v, t: _save(t / "x.npy", np.full((42, 2), np.nan)),
                     "NaN"),
    "labels-short": ("--labels", lambda v, t: _save(t / "y.npy", np.zeros(41)), "one per"),
    "val-columns": ("--val-features", lambda v, t: _save(t / "v.npy", np.zeros((30, 3))),
                    "features per point"),
    "owners-no-header": ("--owners", lambda v, t: _write(t / "o.csv", address(1) + "\n"),
                         "header"),
    "owners-short": ("--owners", lambda v, t: _write(t / "o.csv", f"owner\n{address(1)}\n"),
                     "one per item"),
    "owners-bad": ("--owners", lambda v, t: _write(t / "o.csv", "owner\nnobody\n"),
                   "not an address"),
    "owners-zero": ("--owners", lambda v, t: _write(t / "o.csv", "owner\n0x" + "0" * 40 + "\n"),
                    "zero address"),
    "owners-gap": ("--owners", lambda v, t: _write(t / "o.csv", f"owner\n{address(1)}\n\n"
                                                   f"{address(2)}\n"), "blank"),
    "hashes-short": ("--hashes", lambda v, t: _write(t / "h.txt", "ab\n"), "one per item"),
    "hashes-bad": ("--hashes", lambda v, t: _write(t / "h.txt", "zz\n"), "not a hex hash"),
    "k-zero": ("--k", lambda v, t: "0", "--k"),
    "k-junk": ("--k", lambda v, t: "five", "--k"),
    "out-a-file": ("--out", lambda v, t: v.owners, "is a file"),
}  # fmt: skip


def _save(path, array):
    np.save(path, array)
    return path


def _savez(path):
    np.savez(path, a=np.zeros((2, 2)))
    return path


@pytest.mark.parametrize("case", sorted(BAD_VALUES))
def test_bad_value_inputs_are_refused_with_one_error_line(runner, valued, tmp_path, case):
    option, build, phrase = BAD_VALUES[case]
    bad = tmp_path / "bad"
    bad.mkdir()
    out = tmp_path / "out"
    args = _replace(valued.args(out), option, build(valued, bad))
    refused(runner("value", *args, account=None, watch=[tmp_path]), phrase)
    assert not out.exists()


def test_every_owner_flagged_is_refused(runner, valued, tmp_path):
    unknown = tmp_path / "unknown.npy"  # a class no training item has: nothing helps
    np.save(unknown, np.full(30, 7))
    args = _replace(valued.args(tmp_path / "out"), "--val-labels", unknown)
    refused(runner("value", *args, account=None, watch=[tmp_path]), "No owner has a positive value")
