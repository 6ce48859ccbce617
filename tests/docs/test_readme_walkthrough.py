"""The README's commands, run exactly as written: the walkthrough by hand on a chain that
stays up (`make node` … `make node-stop`), then the Python API example against the same node
after `make node` resumed its saved state. They run in a copy of the project (the tools are
linked, not reinstalled) on a free port, so a developer's own node and outputs are untouched."""

import os
import re
import shutil
import socket
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
README = ROOT / "README.md"
LINKED = (".venv", "node_modules", ".solc", "deps", "seedbed")
COPIED = ("contracts", "interfaces", "scripts", "examples", "tools", ".build")
FILES = ("Makefile", "ape-config.yaml", "requirements.lock", "package-lock.json", "package.json")


def block(marker: str) -> str:
    text = README.read_text()
    found = re.search(rf"<!-- {marker} -->\n```\w+\n(.*?)```\n<!-- /{marker} -->", text, re.S)
    assert found, f"README has no {marker} block"
    return found.group(1)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def project_copy(tmp_path):
    for name in LINKED:
        (tmp_path / name).symlink_to(ROOT / name)
    for name in COPIED:
        shutil.copytree(ROOT / name, tmp_path / name, symlinks=True)
    for name in FILES:
        shutil.copy(ROOT / name, tmp_path / name)
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("SEEDBED_")}
    env["SEEDBED_NODE_PORT"] = str(port)
    yield tmp_path, env
    subprocess.run(["bash", "tools/node.sh", "stop"], cwd=tmp_path, env=env, capture_output=True)


def run_bash(script: str, cwd: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["bash", "-euo", "pipefail", "-c", script], cwd=cwd, env=env, text=True,
        capture_output=True, stdin=subprocess.DEVNULL, timeout=900,
    )  # fmt: skip


def test_the_readme_walkthrough_and_api_example_run_as_written(project_copy):
    work, env = project_copy
    walk = run_bash(block("walkthrough"), work, env)
    assert walk.returncode == 0, (walk.stdout[-3000:], walk.stderr[-3000:])
    out = walk.stdout
    assert (
        "settled license 2 from 0x90F79bf6EB2c4f870365E785982E1f101E93b906: 1000 units, "
        "0.01 ETH, 0.001 ETH to the operator" in out
    )
    assert "paid asset 2 0.009 ETH into the vault" in out  # 10% went to the gateway
    assert "withdrew 0.001 ETH of service earnings" in out
    # The gateway: a 402 without payment, a call paid with curl and cast, one on an API key,
    # both settled afterwards from the gateway's ledger (units 1001 and 1002 of the channel).
    assert "HTTP/1.1 402 Payment Required" in out
    assert '{"label":"stop"' in out and '{"label":"yield"' in out
    assert "{'label': 'no entry'" in out and "served 1004" in out
    assert "verified out/walk/west.csv" in out
    # The private dataset: sealed, registered, its key granted on chain to license 3's holder
    # (the model maker), who decrypted a copy that re-hashes to the registered content root.
    assert "granted the key of asset 3 to license 3's holder" in out
    assert "0x3C44CdDdB6a900fa2b585dd299e03d12FA4293BC" in out  # account 2, the buyer
    assert "unsealed asset 3 (license 3) into out/walk/inspections-copy: 3 files" in out
    copy = work / "out" / "walk" / "inspections-copy" / "inspections" / "2025.csv"
    original = ROOT / "examples/datasets/tree-inspections/inspections/2025.csv"
    assert copy.read_bytes() == original.read_bytes()
    assert (work / "out/walk/west.csv").read_bytes() == (
        ROOT / "examples/datasets/city-trees/census/west.csv"
    ).read_bytes()
    assert "settled license 2 from 0x90F79bf6EB2c4f870365E785982E1f101E93b906: 4 units" in out
    assert "asset 2 -> asset 1: 0.0018 ETH" in out
    assert "claimed" in out and "for 0xe1f3fbD02271bF92C432891368417D8A3b44Cfa1" in out
    assert "claimed ~0.1 ETH for 5 account(s)" in out  # the campaign's bounty, to 5 of 6
    assert "campaign 1: posted" in out and "asset 4: street-signs" in out
    assert "asset 4 passes; report in out/walk/signs-check.json" in out
    assert "certified: asset 4 by 0x976EA74026E726554dB657fA54763abd0C3a0aa9" in out
    assert "offer 4 now requires validator set 1's attestations" in out
    assert "asset 4 satisfies set 1: 1 live of 1 needed" in out
    assert (work / "out/walk/audit/report.html").is_file()
    assert "node: stopped" in out

    # `make node` resumes the saved chain; the API example then runs from the project folder.
    api = block("api-example")
    resumed = run_bash(f"make node\nsource tools/env.sh\npython - <<'PY'\n{api}PY\n", work, env)
    assert resumed.returncode == 0, (resumed.stdout[-3000:], resumed.stderr[-3000:])
    assert "node: already running" not in resumed.stdout
    assert "already at" in resumed.stdout  # the resumed chain kept the deployed suite
    claimed = re.search(r"claimed (\d+) wei for an annotator", resumed.stdout)
    assert claimed and int(claimed.group(1)) > 0
