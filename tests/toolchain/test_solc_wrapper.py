"""The solcjs wrapper stands in for native solc: version, multi-file imports, large output."""

import json
import os
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
VERSION = json.loads((ROOT / "package.json").read_text())["dependencies"]["solc"]
SOLC = Path(os.environ.get("SOLCX_BINARY_PATH", ROOT / ".solc")) / f"solc-v{VERSION}"


def run_solc(args, stdin="", cwd=None):
    return subprocess.run(
        [str(SOLC), *args], input=stdin, capture_output=True, text=True, cwd=cwd, check=False
    )


def test_version_line_matches_the_pinned_compiler():
    out = run_solc(["--version"])
    assert out.returncode == 0
    assert f"Version: {VERSION}+commit." in out.stdout


def _many_contracts(tmp_path: Path, n: int) -> dict:
    """n files, each importing a shared library file by a relative path from base-path."""
    lib = tmp_path / "lib" / "Shared.sol"
    lib.parent.mkdir(parents=True)
    lib.write_text(
        "// SPDX-License-Identifier: MIT\npragma solidity 0.8.30;\n"
        "library Shared { function twice(uint256 x) internal pure returns (uint256) "
        "{ return 2 * x; } }\n"
    )
    sources = {}
    for i in range(n):
        body = "\n".join(
            f"    function f{j}(uint256 x) external pure returns (uint256) "
            f"{{ return Shared.twice(x + {i * 100 + j}); }}"
            for j in range(20)
        )
        sources[f"src/C{i}.sol"] = {
            "content": "// SPDX-License-Identifier: MIT\npragma solidity 0.8.30;\n"
            f'import {{Shared}} from "lib/Shared.sol";\ncontract C{i} {{\n{body}\n}}\n'
        }
    return {
        "language": "Solidity",
        "sources": sources,
        "settings": {
            "outputSelection": {"*": {"*": ["abi", "evm.bytecode.object", "evm.deployedBytecode"]}}
        },
    }


def test_multi_file_project_with_imports_and_large_output_comes_through_whole(tmp_path):
    n = 40
    std_in = _many_contracts(tmp_path, n)
    out = run_solc(
        ["--standard-json", "--base-path", str(tmp_path), "--allow-paths", "."], json.dumps(std_in)
    )
    assert out.returncode == 0, out.stderr
    assert len(out.stdout) > 300_000, "expected several hundred KB of output"
    result = json.loads(out.stdout)  # a cut stream would not parse
    errors = [e for e in result.get("errors", []) if e["severity"] == "error"]
    assert errors == []
    # the imported library was read from disk through --base-path
    assert sorted(result["contracts"]) == sorted([*std_in["sources"], "lib/Shared.sol"])
    for i in range(n):
        compiled = result["contracts"][f"src/C{i}.sol"][f"C{i}"]
        assert len(compiled["abi"]) == 20
        assert len(compiled["evm"]["bytecode"]["object"]) > 1000


def test_missing_import_is_reported_as_an_error(tmp_path):
    std_in = {
        "language": "Solidity",
        "sources": {"a.sol": {"content": 'pragma solidity 0.8.30; import "nowhere/B.sol";'}},
        "settings": {"outputSelection": {"*": {"*": ["abi"]}}},
    }
    out = run_solc(["--standard-json", "--base-path", str(tmp_path)], json.dumps(std_in))
    result = json.loads(out.stdout)
    messages = [e["message"] for e in result["errors"] if e["severity"] == "error"]
    assert any("nowhere/B.sol" in m for m in messages)


def test_unsupported_cli_mode_fails():
    out = run_solc(["--bin", "x.sol"])
    assert out.returncode != 0


@pytest.mark.parametrize("code", ["contract Broken { function f( }", "contract T { uint x = ; }"])
def test_ape_compile_fails_loudly_on_a_solc_error(compilers, code):
    from ape.exceptions import CompilerError

    with pytest.raises(CompilerError):
        compilers.compile_source("solidity", f"pragma solidity 0.8.30;\n{code}")
