"""`ape run audit`: a clean audit exits 0 with its files; failures list one line each."""

import json
from pathlib import Path

import pytest

from seedbed.core.constants import ETH
from seedbed.core.errors import InputError
from seedbed.core.units import format_amount


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
        "channels.csv",
        "operators.csv",
    }
    assert "FAIL" not in done.stdout and "Traceback" not in done.stderr
    # The table rounds for people (0.001 + 0.5 ETH and a little metered use: "0.501 ETH");
    # the JSON keeps every wei. Metered use reached the asset less the operator's share,
    # which the operators table shows.
    (model,) = [p for p in data["pools"] if p["asset"] == economy.model and p["symbol"] == "ETH"]
    revenue = sum(int(model[k]) for k in ("license_sales", "metered_usage", "direct_payments"))
    assert revenue == 10**15 + economy.to_asset + 5 * 10**17
    assert "Gateway operators" in done.stdout and economy.operator.address in done.stdout
    assert "0.501 ETH" in done.stdout and format_amount(revenue) not in done.stdout

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
    fails = sorted(line for line in tampered.stdout.splitlines() if line.startswith("FAIL "))
    stranded, skim = fails  # "balance" sorts before "payouts"
    assert skim.startswith(
        f"FAIL vault payouts match transfers [asset {economy.dataset}, {alice.address}, ETH]"
    )
    assert stranded.startswith("FAIL vault balance = books")  # the skimmed wei stay behind
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


def test_a_start_after_deployment_or_past_the_head_is_refused_and_writes_nothing(
    run_script, economy, chain, suite, tmp_path
):
    deployed, head = suite.record["block"], chain.blocks.head.number
    cases = [
        (deployed + 1, f"after the deployment block {deployed}, the latest block"),
        (head, f"after the deployment block {deployed}"),
        (head + 1, f"--from-block {head + 1} is past the chain head (block {head})"),
        (head + 10**6, "is past the chain head"),
        (-1, "'-1' is not a block number"),
        ("-0", "'-0' is not a block number"),  # ASCII digits only, as every script reads ids
    ]
    for start, message in cases:
        out = tmp_path / f"from-{start}"
        done = run_script("audit", "--out", out, f"--from-block={start}", account=None)
        assert done.returncode == 2, (start, done.stderr[-2000:])
        lines = done.stderr.strip().splitlines()
        assert lines[-1].startswith("error: ") and message in lines[-1], (start, lines[-1])
        assert "Traceback" not in done.stderr and "FAIL" not in done.stdout
        assert not out.exists(), list(out.iterdir())  # no database, no half a report


def test_a_start_at_or_before_deployment_audits_clean(audit, economy, suite):
    for start in (suite.record["block"], suite.record["block"] - 1):
        result = audit(from_block=start)
        assert result.ok and not result.findings.items, result.findings.items
        assert result.ledger.assets.keys() >= {economy.dataset, economy.model}


def test_a_record_without_its_block_finds_the_deployment_from_the_code(chain, suite):
    from seedbed.chain.rpc import Rpc
    from seedbed.workflows.audit.run import audit_addresses, check_start, deployment_block

    rpc = Rpc(chain.provider)
    addresses = audit_addresses(rpc, suite)
    head = chain.blocks.head.number
    first = deployment_block(rpc, addresses, head)
    assert first == suite.record["block"]  # the first deployment transaction's block
    assert check_start(rpc, addresses, 0, first) == first
    with pytest.raises(InputError, match=f"after the deployment block {first}"):
        check_start(rpc, addresses, 0, first + 1)
