"""`pip install` of the project into a clean venv gives a package whose public API drives the
whole job against a node, from an empty folder, with nothing of the repository on the path."""

import json
import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

JOB = textwrap.dedent(
    """
    import json, sys
    from pathlib import Path
    import seedbed
    from seedbed import Seedbed, SeedbedError

    url, record, publisher, consumer, gateway, contributor, publisher_address, operator = (
        sys.argv[1:9]
    )
    assert "site-packages" in seedbed.__file__, seedbed.__file__
    Path("data").mkdir()
    Path("data/labels.csv").write_text("id,label\\n1,stop\\n2,yield\\n")
    Path("people.csv").write_text(f"address,weight\\n{contributor},3\\n{publisher_address},1\\n")
    out = {}
    with Seedbed.connect(url, key=publisher, deployment=record) as sb:
        run = sb.register("data", spdx="CC-BY-4.0", contributors="people.csv", out="out/data")
        asset = run.assets[0]
        offer = sb.offer(asset.asset_id, scopes="infer", price="0.001", unit_price="0.00001",
                         service_share="10%")
        out["asset"], out["offer"] = asset.asset_id, offer.offer_id
    with Seedbed.connect(url, key=consumer, deployment=record) as app:
        bought = app.buy(offer.offer_id)
        app.deposit(bought.license_id, "0.01", operator=operator)
        signed = app.sign_voucher(bought.license_id, 250, operator=operator)
        out["license"] = bought.license_id
        out["reserve"] = app.channel(bought.license_id, operator=operator).state.reserve
    with Seedbed.connect(url, key=gateway, deployment=record) as gw:
        settled = gw.settle([signed.signed], ledger="gateway.sqlite")
        out["settled_units"] = sum(s.units for s in settled.report.settled)
        out["paid_to_asset"] = [p.amount for p in settled.paid]
        out["earned"] = gw.withdraw_earnings().amount
        claimed = gw.claim(asset.tree, who=contributor)
        out["claimed"] = [amount for _, _, amount in claimed.claimed]
        result = gw.audit("audit")
        out["audit_ok"] = result.ok
    try:
        Seedbed.connect(url, deployment="nowhere")
    except SeedbedError as err:
        out["missing_record"] = str(err)
    print(json.dumps(out))
    """
)


@pytest.fixture(scope="module")
def clean_venv(tmp_path_factory):
    """The package as a user installs it: a copy of the sources (so the build leaves nothing in
    the repository), pip-installed with the lock file as constraints into a new venv."""
    base = tmp_path_factory.mktemp("installed")
    src = base / "src"
    src.mkdir()
    shutil.copy(ROOT / "pyproject.toml", src)
    shutil.copytree(ROOT / "seedbed", src / "seedbed", ignore=shutil.ignore_patterns("__pycache__"))
    venv = base / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    python = str(venv / "bin" / "python")
    pip = [python, "-m", "pip", "install", "-q", "--disable-pip-version-check"]
    done = subprocess.run(
        [*pip, "-c", str(ROOT / "requirements.lock"), str(src)], capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr[-2000:]
    return venv / "bin" / "python"


def test_pip_install_declares_every_dependency_the_api_needs(clean_venv):
    check = subprocess.run([str(clean_venv), "-m", "pip", "check"], capture_output=True, text=True)
    assert check.returncode == 0, check.stdout
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    imported = subprocess.run(
        [str(clean_venv), "-c", "import seedbed, seedbed.workflows.audit; print(seedbed.__all__)"],
        capture_output=True, text=True, cwd="/", env=env,
    )  # fmt: skip
    assert imported.returncode == 0, imported.stderr
    assert "Seedbed" in imported.stdout


def test_the_installed_api_runs_the_whole_job_from_an_empty_folder(
    clean_venv, tmp_path, suite, chain, accounts, publisher, alice, gateway
):
    record = tmp_path / "deployments" / f"{chain.chain_id}.json"
    record.parent.mkdir()
    record.write_text(json.dumps(suite.record))
    work = tmp_path / "work"
    work.mkdir()
    contributor = accounts[7].address
    url = chain.provider.http_uri
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    keys = [a.private_key for a in (publisher, alice, gateway)]
    done = subprocess.run(
        [str(clean_venv), "-c", JOB, url, str(record.parent), *keys, contributor,
         publisher.address, gateway.address],
        capture_output=True, text=True, cwd=work, env=env, stdin=subprocess.DEVNULL,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-3000:]
    out = json.loads(done.stdout.strip().splitlines()[-1])
    assert out["settled_units"] == 250 and out["reserve"] == 10**16
    assert suite.meter.channel(out["license"], alice, gateway).units == 250
    # 250 units at 0.00001 ETH: 10% to the gateway, the rest paid into the asset (payAsset);
    # with the 0.001 ETH sale the asset took 0.00325 ETH, of which the contributor holds 3/4.
    assert out["earned"] == 250 * 10**12 and out["paid_to_asset"] == [250 * 9 * 10**12]
    assert out["claimed"] == [(10**15 + 250 * 9 * 10**12) * 3 // 4]
    assert out["audit_ok"] is True
    assert "No Seedbed deployment recorded" in out["missing_record"]
