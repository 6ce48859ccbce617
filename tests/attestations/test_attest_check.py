"""`ape run attest check`, then `sign --check`: a validator's checks of a registered folder
(re-hash, duplicates, Croissant, label noise) give a reproducible verdict it signs."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from test_attest_scripts import ok, refused

from seedbed.core import attestations as att
from seedbed.workflows.register import register_folders

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "datasets" / "city-trees"


def _register(suite, publisher, folder):
    run = register_folders(suite, publisher, [folder], spdx="CC-BY-4.0")
    return run.assets[0].asset_id


def test_a_checked_asset_is_signed_with_its_figures_and_a_change_fails_it(
    run_script, suite, publisher, tmp_path
):
    folder = tmp_path / "trees"
    shutil.copytree(EXAMPLE, folder)
    asset = _register(suite, publisher, folder)
    other = tmp_path / "other"
    other.mkdir()
    first = sorted(p for p in folder.rglob("*") if p.is_file() and ".seedbed" not in p.parts)[0]
    shutil.copy(first, other / "copied.bin")
    (other / "own.txt").write_text("nothing shared")
    _register(suite, publisher, other)
    labels = tmp_path / "labels.csv"
    # Six items by three annotators; item i0 is split three ways: 1 item of 6 is noisy.
    rows = ["item,annotator,label"] + [
        f"i{i},{w},{'abc'['xyz'.index(w)] if i == 0 else 'a'}" for i in range(6) for w in "xyz"
    ]
    labels.write_text("\n".join(rows) + "\n")

    report = tmp_path / "check.json"
    c = ok(run_script("attest", "check", folder, asset, "--out", report, "--labels", labels,
                      "--json", account=None))["check"]  # fmt: skip
    assert c["passed"] and c["rehash"]["ok"] and c["croissant_valid"]
    assert c["label_noise_bps"] == 1667  # 1 item of 6 with no majority, rounded up
    # Rerun: the same verdict and method hash, byte for byte.
    again = tmp_path / "again.json"
    ok(run_script("attest", "check", folder, asset, "--out", again, "--labels", labels,
                  account=None))  # fmt: skip
    assert again.read_bytes() == report.read_bytes()

    pkg = tmp_path / "att.json"
    ok(run_script("attest", "sign", asset, "--check", report, "--out", pkg, account=6))
    claim = att.QualityClaim.decode(att.verify(json.loads(pkg.read_text())).data)
    assert claim.passed and claim.label_noise_bps == 1667 and claim.croissant_valid
    assert "0x" + claim.method_hash.hex() == c["method_hash"]
    refused(run_script("attest", "sign", asset, "--check", report, "--noise-bps", "5", "--out",
                       tmp_path / "x.json", account=6), "drop --noise-bps")  # fmt: skip

    dup = ok(run_script("attest", "check", folder, asset, "--out", tmp_path / "d.json",
                        "--against", other / ".seedbed" / "manifest.json", "--json",
                        account=None))["check"]  # fmt: skip
    assert dup["duplicate_files"] == 1 and not dup["passed"]

    first.write_bytes(first.read_bytes() + b"tampered")
    bad = ok(run_script("attest", "check", folder, asset, "--out", tmp_path / "b.json", "--json",
                        account=None))["check"]  # fmt: skip
    assert not bad["rehash"]["ok"] and not bad["passed"]
    assert bad["rehash"]["changed"] == [first.relative_to(folder).as_posix()]
    refused(run_script("attest", "sign", asset + 1, "--check", report, "--out",
                       tmp_path / "y.json", account=6), "another asset")  # fmt: skip
