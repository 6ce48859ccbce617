"""Reports: JSON and CSV carry the exact ledger; the HTML is self-contained and renders."""

import csv
import json
import os
import re
import shutil
import struct
import subprocess
import zlib
from html.parser import HTMLParser

import pytest

from seedbed.core.constants import ETH

PRICE = 10**15  # the economy's license price


def test_json_and_csv_carry_the_exact_ledger(audit, economy, vault):
    result = audit(trees=economy.trees)
    data = json.loads(result.paths["json"].read_text())
    assert data["ok"] is True and data["summary"]["failures"] == 0
    pools = {(p["asset"], p["currency"].lower()): p for p in data["pools"]}
    model = pools[economy.model, ETH]
    assert int(model["accrued"]) == vault.accrued(economy.model, ETH)
    assert int(model["license_sales"]) == 10**15
    assert int(model["metered_usage"]) == economy.to_asset  # the service share went elsewhere
    assert int(model["owed_by_meter"]) == 0  # payAsset pushed it all
    # Operator earnings next to the contributors': the flow reserve -> asset and -> operator.
    (operator,) = data["operators"]
    assert operator["operator"] == economy.operator.address
    assert int(operator["earned"]) == int(operator["withdrawn"]) == economy.service
    assert int(operator["earnings"]) == 0 and operator["settlements"] == 2
    (channel,) = data["channels"]
    assert (channel["payer"], channel["operator"]) == (
        economy.consumer.address,
        economy.operator.address,
    )
    assert int(channel["to_asset"]) + int(channel["service_share"]) == int(channel["settled"])
    assert int(channel["deposited"]) - int(channel["settled"]) - int(channel["withdrawn"]) == int(
        channel["reserve"]
    )
    (eth,) = [c for c in data["currencies"] if c["symbol"] == "ETH"]
    assert int(eth["meter_held"]) == int(eth["reserves"]) == int(channel["reserve"])
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
    with open(result.paths["csv_operators"]) as fh:
        (row,) = list(csv.DictReader(fh))
    assert int(row["earned"]) == economy.service
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
    assert f"asset #{economy.model} (model)" in html and "License sales" in html
    assert "Gateway operators" in html and "Usage channels" in html
    assert 'data-kind="service"' in html  # the reserve -> operator band
    assert "operator " + economy.operator.address[:6] in html


@pytest.mark.parametrize(
    ("amount", "decimals", "shown"),
    [
        (222_222_222_222_222_222, 18, "~0.2222 ETH"),
        (10**15, 18, "0.001 ETH"),
        (350 * 10**9, 18, "0.00000035 ETH"),  # exact: plain digits, never exponents
        (1, 18, "0.000000000000000001 ETH"),
        (999_996 * 10**12, 18, "~1 ETH"),  # rounds up to a whole unit, marked as rounded
        (12_345_678 * 10**18, 18, "12,345,678 ETH"),  # whole units are never rounded away
        (1_500_000, 6, "1.5 ETH"),
        (0, 18, "0 ETH"),
    ],
)
def test_amounts_for_people_have_four_significant_digits(amount, decimals, shown):
    from seedbed.workflows.audit.report import round_amount

    assert round_amount(amount, decimals, "ETH") == shown


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


class _Svg(HTMLParser):
    """The charts of a rendered page: node rects, link paths (d, width, hover title) and
    every text (class, x, y, content), per <svg class="sankey">."""

    def __init__(self):
        super().__init__()
        self.charts, self._text, self._title = [], None, None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "svg" and a.get("class") == "sankey":
            self.charts.append({"width": float(a["width"]), "rects": [], "paths": [], "texts": []})
        elif not self.charts:
            return
        chart = self.charts[-1]
        if tag == "rect" and a.get("class") == "node":
            chart["rects"].append(tuple(float(a[k]) for k in ("x", "y", "width", "height")))
        elif tag == "path" and a.get("class") == "link":
            path = {"d": a["d"], "w": float(a["stroke-width"]), "title": ""}
            chart["paths"].append(path)
            self._title = path
        elif tag == "text":
            self._text = {"cls": a.get("class", ""), "x": float(a["x"]), "y": float(a["y"])}
            self._text["s"] = ""
            chart["texts"].append(self._text)

    def handle_endtag(self, tag):
        if tag == "text":
            self._text = None
        elif tag == "path":
            self._title = None

    def handle_data(self, data):
        if self._text is not None:
            self._text["s"] += data
        elif self._title is not None:
            self._title["title"] += data


def _points(d, steps=24):
    """Points along an SVG path of absolute M, L and C commands."""
    tokens = re.findall(r"[MLC]|-?\d+(?:\.\d+)?", d)
    out, i, cmd, here = [], 0, None, (0.0, 0.0)
    while i < len(tokens):
        if tokens[i] in "MLC":
            cmd, i = tokens[i], i + 1
        take = 6 if cmd == "C" else 2
        v = [float(t) for t in tokens[i : i + take]]
        i += take
        if cmd == "M":
            here = (v[0], v[1])
            out.append(here)
            continue
        ends = [here, (v[0], v[1])] if cmd == "L" else [here, *zip(v[::2], v[1::2], strict=True)]
        for k in range(1, steps + 1):
            t = k / steps
            if cmd == "L":
                (x0, y0), (x1, y1) = ends
                out.append((x0 + (x1 - x0) * t, y0 + (y1 - y0) * t))
            else:
                (x0, y0), (x1, y1), (x2, y2), (x3, y3) = ends
                u = 1 - t
                out.append(
                    (
                        u**3 * x0 + 3 * u * u * t * x1 + 3 * u * t * t * x2 + t**3 * x3,
                        u**3 * y0 + 3 * u * u * t * y1 + 3 * u * t * t * y2 + t**3 * y3,
                    )
                )
        here = out[-1]
    return out


def _bands_crossing_skipped_nodes(chart):
    """(path title, rect) for every band that touches a node of a column it skips; also the
    number of bands that skip a column. Columns come from the rects' x positions."""
    xs = sorted({round(x, 1) for x, _y, _w, _h in chart["rects"]})
    crossings, skipping = [], 0
    for path in chart["paths"]:
        pts = _points(path["d"])
        first = min(range(len(xs)), key=lambda i: abs(xs[i] + 14 - pts[0][0]))
        last = min(range(len(xs)), key=lambda i: abs(xs[i] - pts[-1][0]))
        skipped = {xs[i] for i in range(first + 1, last)}
        skipping += bool(skipped)
        half = path["w"] / 2
        for rect in chart["rects"]:
            rx, ry, rw, rh = rect
            if round(rx, 1) not in skipped:
                continue
            if any(rx <= x <= rx + rw and y + half > ry and y - half < ry + rh for x, y in pts):
                crossings.append((path["title"], rect))
    return crossings, skipping


def _overlapping_texts(chart, char_w=6.6, line_h=14):
    """Pairs of texts whose boxes (estimated from their length) overlap, and texts that run
    past the chart's right edge."""
    boxes = [
        (t["s"], t["x"], t["y"] - line_h / 2, t["x"] + len(t["s"]) * char_w, t["y"] + line_h / 2)
        for t in chart["texts"]
        if t["cls"] in ("label", "heading", "legend")
    ]
    clashes = [
        (a[0], b[0])
        for i, a in enumerate(boxes)
        for b in boxes[i + 1 :]
        if a[1] < b[3] and b[1] < a[3] and a[2] < b[4] and b[2] < a[4]
    ]
    return clashes, [b[0] for b in boxes if b[3] > chart["width"]]


@pytest.mark.parametrize("seed", range(12))
def test_random_lineages_chart_without_bands_through_skipped_nodes_or_clashing_labels(seed):
    """Property: whatever the lineage depth and flows, no band crosses a node of a column it
    skips, no two labels overlap and none runs off the chart."""
    import random

    from seedbed.workflows.audit import sankey

    rng = random.Random(seed)
    depth = rng.randint(1, 5)
    nodes = [sankey.Node(f"s{i}", f"Source {i}", 0, "#888") for i in range(3)]
    nodes += [sankey.Node(f"k{i}", f"0x{i:04x}…abcd", depth + 2, "#888") for i in range(12)]
    links = []
    for a in range(rng.randint(depth, 3 * depth)):
        column = 1 + (a % depth if a < depth else rng.randrange(depth))
        name = f"dataset #{a} ({'a long Croissant name ' * rng.randint(0, 3)})"
        nodes.append(sankey.Node(f"a{a}", name, column, "#888"))
        for target in rng.sample([n for n in nodes if n.column > column], k=3):
            links.append(sankey.Link(f"a{a}", target.key, rng.randint(1, 10**18)))
        links.append(sankey.Link(f"s{rng.randrange(3)}", f"a{a}", rng.randint(1, 10**18)))
    svg = sankey.render(nodes, links, lambda v: f"{v / 1e18:.4g} ETH")
    parsed = _Svg()
    parsed.feed(svg)
    (chart,) = parsed.charts
    crossings, _skipping = _bands_crossing_skipped_nodes(chart)
    assert not crossings, crossings
    clashes, cut = _overlapping_texts(chart)
    assert not clashes and not cut, (clashes, cut)


@pytest.mark.skipif(_chromium() is None, reason="no chromium on PATH (apt-get install chromium)")
def test_html_renders_in_headless_chromium_with_a_chart_a_person_can_read(
    audit, economy, offer_of, publisher, gateway, deployer, license_token, vault, tmp_path
):
    # A license sale and a direct payment to the dataset: bands from the sources that skip
    # the model's column (the model's own payouts skip the dataset's column).
    offer = offer_of(economy.dataset, publisher)
    license_token.buy(offer, gateway, PRICE, value=PRICE, sender=gateway)
    direct = 123_456_789_012_345_678
    vault.pay(economy.dataset, ETH, direct, value=direct, sender=deployer)
    # The Croissant file `ape run register` writes next to the tree names the dataset.
    folder = tmp_path / "cats"
    folder.mkdir()
    shutil.copy(economy.trees[economy.dataset], folder / "contributors.sbtree")
    (folder / "croissant.json").write_text(json.dumps({"name": "Cat photos"}))
    trees = {**economy.trees, economy.dataset: folder / "contributors.sbtree"}
    result = audit(trees=trees)
    assert result.ok, result.findings.items
    html = result.paths["html"]

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
    parsed = _Svg()
    parsed.feed(dom.stdout)
    assert len(parsed.charts) == 2  # one per currency
    eth = next(c for c in parsed.charts if any("ETH" in t["s"] for t in c["texts"]))
    texts = [t["s"] for t in eth["texts"]]
    headings = [t["s"] for t in eth["texts"] if t["cls"] == "heading"]
    assert headings == ["Sources", "Assets", "Upstream", "Recipients"]
    legends = ("license sale", "metered use", "operator service share", "direct pay")
    for legend in (*legends, "upstream flow", "claim", "fee"):
        assert legend in texts, legend
    assert any(t.startswith("held") for t in texts)
    labels = {t.split(" · ")[0]: t.split(" · ")[1] for t in texts if " · " in t}
    assert f"dataset #{economy.dataset} (Cat photos)" in labels
    assert f"asset #{economy.model} (model)" in labels
    # Rounded on the chart, exact in the hover title: 0.5 + 0.1234... ETH paid directly.
    assert labels["Direct payments"] == "0.6235 ETH"
    assert labels["License sales"] == "0.002 ETH"
    assert any(f"= {direct} wei" in p["title"] for p in eth["paths"])
    assert len(eth["paths"]) >= 8  # sources, lineage, contributors, unclaimed

    for chart in parsed.charts:
        crossings, skipping = _bands_crossing_skipped_nodes(chart)
        assert not crossings, crossings
        clashes, cut = _overlapping_texts(chart)
        assert not clashes and not cut, (clashes, cut)
    assert _bands_crossing_skipped_nodes(eth)[1] >= 4  # license + direct to the dataset, ...

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
