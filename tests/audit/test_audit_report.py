"""Reports: JSON and CSV carry the exact ledger; the HTML is self-contained and renders."""

import csv
import json
import os
import re
import shutil
import struct
import subprocess
import zlib

import pytest

from seedbed.core.constants import ETH


def test_json_and_csv_carry_the_exact_ledger(audit, economy, vault):
    result = audit(trees=economy.trees)
    data = json.loads(result.paths["json"].read_text())
    assert data["ok"] is True and data["summary"]["failures"] == 0
    pools = {(p["asset"], p["currency"].lower()): p for p in data["pools"]}
    model = pools[economy.model, ETH]
    assert int(model["accrued"]) == vault.accrued(economy.model, ETH)
    assert int(model["license_sales"]) == 10**15
    assert int(model["metered_usage"]) == 250 * 10**9
    assert int(model["direct_payments"]) == 5 * 10**17
    (edge,) = data["flows"]
    assert (edge["child"], edge["parent"]) == (economy.model, economy.dataset)
    assert int(edge["amount"]) == int(model["upstream_out"])
    # Every contributor of a given tree is listed, claimed or not, with what is claimable.
    accounts = [a for a in data["accounts"] if a["asset"] == economy.dataset]
    assert len(accounts) == 4  # two contributors x two currencies
    for a in accounts:
        assert int(a["claimable"]) == int(a["entitled"]) - int(a["claimed"]) >= 0

    with open(result.paths["csv_pools"]) as fh:
        rows = list(csv.DictReader(fh))
    assert {(int(r["asset"]), r["currency"].lower()): int(r["accrued"]) for r in rows} == {
        k: int(p["accrued"]) for k, p in pools.items()
    }
    with open(result.paths["csv_checks"]) as fh:
        checks = {r["check"]: r for r in csv.DictReader(fh)}
    assert checks["vault.accrued"]["failed"] == "0" and int(checks["vault.accrued"]["checked"]) == 3


def test_asset_filter_limits_the_report_not_the_global_checks(audit, economy):
    result = audit(assets=[economy.dataset])
    data = json.loads(result.paths["json"].read_text())
    assert {p["asset"] for p in data["pools"]} == {economy.dataset}
    assert {lic["asset"] for lic in data["licenses"]} == set()  # the license is for the model
    assert result.findings.tallies["conservation"].checked == 2  # both currencies, all assets


def test_html_is_self_contained(audit, economy):
    html = audit(trees=economy.trees).paths["html"].read_text()
    assert html.startswith("<!DOCTYPE html>")
    assert not re.search(r"""(src|href)\s*=\s*["']?(https?:)?//""", html)
    assert "<script" not in html and "@import" not in html
    assert html.count('<svg class="sankey"') == 2  # one chart per currency
    assert 'id="verdict">PASSED<' in html
    assert "Asset 2 (model)" in html and "License sales" in html


# -- headless Chromium ---------------------------------------------------------------------------


def _chromium():
    for name in ("chromium", "chromium-browser", "google-chrome", "chrome"):
        path = shutil.which(name)
        if path:
            return path
    return None


def _png_pixels(path):
    """(width, height, rows of RGB(A) bytes) of an 8-bit RGB/RGBA PNG."""
    raw = path.read_bytes()
    assert raw[:8] == b"\x89PNG\r\n\x1a\n"
    pos, idat, header = 8, b"", None
    while pos < len(raw):
        length, kind = struct.unpack(">I4s", raw[pos : pos + 8])
        body = raw[pos + 8 : pos + 8 + length]
        if kind == b"IHDR":
            header = struct.unpack(">IIBBBBB", body)
        elif kind == b"IDAT":
            idat += body
        pos += 12 + length
    width, height, depth, color = header[:4]
    assert depth == 8 and color in (2, 6)
    bpp = 3 if color == 2 else 4
    data = zlib.decompress(idat)
    stride = width * bpp
    rows, prev = [], bytearray(stride)
    for y in range(height):
        kind = data[y * (stride + 1)]
        line = bytearray(data[y * (stride + 1) + 1 : (y + 1) * (stride + 1)])
        for i in range(stride):
            left = line[i - bpp] if i >= bpp else 0
            up, corner = prev[i], prev[i - bpp] if i >= bpp else 0
            if kind == 1:
                line[i] = (line[i] + left) & 255
            elif kind == 2:
                line[i] = (line[i] + up) & 255
            elif kind == 3:
                line[i] = (line[i] + (left + up) // 2) & 255
            elif kind == 4:
                p = left + up - corner
                pa, pb, pc = abs(p - left), abs(p - up), abs(p - corner)
                pred = left if pa <= pb and pa <= pc else (up if pb <= pc else corner)
                line[i] = (line[i] + pred) & 255
        rows.append(bytes(line))
        prev = line
    return width, height, bpp, rows


CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@pytest.mark.skipif(_chromium() is None, reason="no chromium on PATH (apt-get install chromium)")
def test_html_renders_in_headless_chromium_with_the_chart(audit, economy, tmp_path):
    html = audit(trees=economy.trees).paths["html"]
    browser = [_chromium(), *CHROMIUM_FLAGS, f"--user-data-dir={tmp_path / 'profile'}"]
    env = {**os.environ, "HOME": str(tmp_path)}
    dom = subprocess.run(
        [*browser, "--enable-logging=stderr", "--v=0", "--dump-dom", html.as_uri()],
        capture_output=True,
        text=True,
        timeout=120,
        env=env,
        check=False,
    )
    assert dom.returncode == 0, dom.stderr[-2000:]
    assert "Uncaught" not in dom.stderr
    assert dom.stdout.count('<svg class="sankey"') == 2
    assert dom.stdout.count('class="link"') >= 8  # sources, lineage, contributors, unclaimed

    shot = tmp_path / "report.png"
    run = subprocess.run(
        [
            *browser,
            f"--screenshot={shot}",
            "--window-size=1200,900",
            "--force-device-scale-factor=0.5",
            html.as_uri(),
        ],
        capture_output=True,
        text=True,
        timeout=120,
        env=env,
        check=False,
    )
    assert run.returncode == 0 and shot.exists(), run.stderr[-2000:]
    width, height, bpp, rows = _png_pixels(shot)
    assert (width, height) == (600, 450)  # half scale keeps the pure-Python decode quick
    # The chart sits under the verdict: its bands and nodes are the coloured pixels (text and
    # table borders are grey). A blank or chart-less page has next to none.
    coloured = sum(
        1
        for row in rows
        for x in range(0, width * bpp, bpp)
        if max(row[x : x + 3]) - min(row[x : x + 3]) > 15
    )
    assert coloured > 30_000, coloured  # of 270,000; about 90,000 when this was written
