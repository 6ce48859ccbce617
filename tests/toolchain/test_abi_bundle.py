"""The integrator docs (docs/abi/, docs/errors.md, docs/INTEGRATING.md) say what the build says."""

import importlib.util
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from eth_utils import keccak

ROOT = Path(__file__).resolve().parents[2]
TOOL = ROOT / "tools" / "abi_bundle.py"
ERRORS = ROOT / "docs" / "errors.md"
ROW = re.compile(r"^\| `(0x[0-9a-f]{8})` \| `([^`]+)` \| (.*?) \| (.*) \|$")


def _tool():
    spec = importlib.util.spec_from_file_location("abi_bundle", TOOL)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _rows():
    return [m.groups() for line in ERRORS.read_text().splitlines() if (m := ROW.match(line))]


def test_committed_docs_match_the_build():
    out = subprocess.run(
        [sys.executable, str(TOOL), "--check"],
        capture_output=True,
        text=True,
        cwd=ROOT,
        check=False,
    )
    assert out.returncode == 0, out.stdout + out.stderr
    assert out.stdout == ""


def test_every_error_in_the_table_has_a_notice_and_its_own_selector():
    rows = _rows()
    assert len(rows) > 60  # the suite's own errors alone are more than that
    for selector, signature, where, notice in rows:
        assert notice.strip(), f"{signature} has no notice"
        assert where.strip(), f"{signature} names no contract"
        assert selector == "0x" + keccak(text=signature)[:4].hex(), signature
    assert len({r[0] for r in rows}) == len(rows), "two errors share a selector"


def test_the_table_includes_inherited_and_library_errors():
    signatures = {r[1] for r in _rows()}
    for expected in (
        "ERC721NonexistentToken(uint256)",
        "ReentrancyGuardReentrantCall()",
        "SafeERC20FailedOperation(address)",
        "ERC20InsufficientAllowance(address,uint256,uint256)",
        "AssetRegistryUnknownAsset(uint256)",
        "RoyaltyVaultInvalidTreasury(address)",
    ):
        assert expected in signatures


def test_a_drifted_doc_fails_the_check_with_one_line(tmp_path, monkeypatch, capsys):
    tool = _tool()
    docs = tmp_path / "docs"
    shutil.copytree(ROOT / "docs", docs)
    shutil.copytree(ROOT / "seedbed" / "chain" / "abi", tmp_path / "seedbed" / "chain" / "abi")
    monkeypatch.setattr(tool, "ROOT", tmp_path)
    monkeypatch.setattr(tool, "DOCS", docs)
    monkeypatch.setattr(tool, "INTEGRATING", docs / "INTEGRATING.md")
    assert tool.main(["--check"]) == 0
    path = docs / "errors.md"
    path.write_text(path.read_text().replace("No asset has this id", "No such asset"))
    assert tool.main(["--check"]) == 1
    out = capsys.readouterr().out
    assert out.count("\n") == 1 and "docs/errors.md differs" in out
    # The package's copy of an ABI is held to the build as well.
    path.write_text(path.read_text().replace("No such asset", "No asset has this id"))
    assert tool.main(["--check"]) == 0
    packaged = tmp_path / "seedbed" / "chain" / "abi" / "UsageMeter.json"
    packaged.write_text("[]\n")
    assert tool.main(["--check"]) == 1
    assert "seedbed/chain/abi/UsageMeter.json differs" in capsys.readouterr().out


@pytest.mark.parametrize(
    "edit, complaint",
    [
        (("deposit(uint256,address,uint256)", "deposit(uint256)"), "deposit(uint256)"),
        (('"Seedbed UsageMeter"', '"Seedbed Meter"'), '"Seedbed UsageMeter"'),
    ],
)
def test_integrating_must_quote_the_contracts(tmp_path, monkeypatch, capsys, edit, complaint):
    tool = _tool()
    docs = tmp_path / "docs"
    shutil.copytree(ROOT / "docs", docs)
    monkeypatch.setattr(tool, "DOCS", docs)
    page = docs / "INTEGRATING.md"
    monkeypatch.setattr(tool, "INTEGRATING", page)
    page.write_text(page.read_text().replace(*edit))
    assert tool.main(["--check"]) == 1
    assert complaint in capsys.readouterr().out
