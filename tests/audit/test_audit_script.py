"""`ape run audit`: a clean audit exits 0 with its files; failures list one line each."""

import json
from pathlib import Path

from seedbed.core.constants import ETH


def test_clean_audit_writes_reports_and_exits_zero(run_script, economy, chain, tmp_path):
    out = tmp_path / "report"
    trees = [f"--tree={asset}={path}" for asset, path in economy.trees.items()]
    done = run_script("audit", "--out", out, *trees, account=None)
    assert done.returncode == 0, done.stderr[-3000:]
    last = done.stdout.strip().splitlines()[-1]
    assert last == f"HTML report: {(out / 'report.html').resolve()}"
    assert (out / "report.html").is_file() and (out / "events.sqlite").is_file()
    data = json.loads((out / "audit.json").read_text())
    assert data["ok"] and data["block"] == chain.blocks.head.number
    assert {p.name for p in out.glob("*.csv")} >= {
        "pools.csv",
        "accounts.csv",
        "flows.csv",
        "checks.csv",
        "findings.csv",
    }
    assert "FAIL" not in done.stdout and "Traceback" not in done.stderr

    again = run_script("audit", "--out", out, account=None)  # warm: nothing new to fetch
    assert again.returncode == 0
    assert "(0 new in 0 ranges)" in again.stdout


def test_failing_audits_list_each_failure_on_one_line(
    run_script,
    economy,
    chain,
    project,
    registry,
    treasury,
    deployer,
    token,
    alice,
    stranger,
    tmp_path,
):
    head = chain.blocks.head.number
    wrong = run_script(
        "audit",
        "--out",
        tmp_path / "a",
        f"--tree={economy.dataset}={economy.trees[economy.model]}",
        account=None,
    )
    assert wrong.returncode == 1
    fails = [line for line in wrong.stdout.splitlines() if line.startswith("FAIL ")]
    assert len(fails) == 1
    assert fails[0].startswith(f"FAIL tree matches registration [asset {economy.dataset}]")
    assert wrong.stderr.strip().splitlines()[-1].startswith("error: the audit failed: 1 check")
    assert "Traceback" not in wrong.stderr
    assert wrong.stdout.strip().splitlines()[-1].startswith("HTML report: ")
    assert chain.blocks.head.number == head  # an audit never sends a transaction

    skimmer = deployer.deploy(project.SkimmingVault, registry, treasury)
    weight, proof = economy.d_people.proof(alice.address)
    skimmer.pay(economy.dataset, ETH, 10**18, value=10**18, sender=deployer)
    skimmer.claim(economy.dataset, ETH, alice, weight, proof, sender=stranger)
    tampered = run_script(
        "audit", "--out", tmp_path / "b", "--vault", skimmer.address, account=None
    )
    assert tampered.returncode == 1
    (skim,) = [line for line in tampered.stdout.splitlines() if line.startswith("FAIL ")]
    assert skim.startswith(
        f"FAIL vault payouts match transfers [asset {economy.dataset}, {alice.address}, ETH]"
    )
    assert "Traceback" not in tampered.stderr


def test_bad_arguments_are_one_line_errors(run_script, economy, tmp_path):
    junk = tmp_path / "junk.sbtree"
    junk.write_bytes(b"not a tree")
    cases = [
        (["--tree", "one=x.sbtree"], "--tree takes ASSET_ID=FILE"),
        (["--tree", f"1={junk}"], "is not a Seedbed contributors tree"),
        (["--vault", "0x0000000000000000000000000000000000000001"], "no contract at"),
    ]
    for args, message in cases:
        done = run_script("audit", "--out", tmp_path / "x", *args, account=None)
        assert done.returncode == 2, (args, done.stderr[-2000:])
        lines = done.stderr.strip().splitlines()
        assert lines[-1].startswith("error: ") and message in lines[-1], (args, lines[-1])
        assert "Traceback" not in done.stderr
    assert not Path(tmp_path / "x" / "report.html").exists()
