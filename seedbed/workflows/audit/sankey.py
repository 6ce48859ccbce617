"""A small Sankey layout rendered to SVG on the server: no script, no network.

Columns are given by the caller (sources, assets by lineage depth, recipients), each with a
heading. Node height is proportional to the larger of its in- and outflow; each link is a
band whose width is its value, coloured by its kind (named in the legend under the chart).
A link between neighbouring columns is one cubic curve across the gap. A link that skips
columns never crosses their nodes: it dips into a lane under each skipped column's stack,
runs flat under the nodes and rises again in the next gap, so every curve stays inside a gap
between columns.

Amounts on the chart are rounded for reading (`fmt`); hovering a node or a band shows the
exact amount (`exact`).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from html import escape


@dataclass
class Node:
    key: str
    label: str
    column: int
    color: str
    value: int = 0
    x: float = 0.0
    y: float = 0.0
    h: float = 0.0
    out_offset: float = 0.0
    in_offset: float = 0.0
    links_out: list[Link] = field(default_factory=list)
    links_in: list[Link] = field(default_factory=list)


@dataclass
class Link:
    source: str
    target: str
    value: int
    kind: str = ""  # a key of the legend: the band's colour
    width: float = 0.0
    lanes: dict[int, float] = field(default_factory=dict)  # skipped column -> band centre y


NODE_W = 14
PAD = 12  # between nodes of a column
MIN_SLOT = 16  # a node's label needs this much height, however small its flow
MARGIN = 24
HEADING = 26  # room above the nodes for the column headings
LANE_GAP = 14  # between a column's lowest node and the lane of links that skip it
LANE_SIDE = 8  # the lane runs flat this far either side of the skipped nodes
LABEL_ROOM = 230  # room at the right for the last column's labels
MIN_STEP = 230  # between columns at least: room for "dataset #12 (name…) · 0.1 ETH"
LEGEND = 40  # room under the chart for the legend's first row
LEGEND_ROW = 20  # and for each row it wraps to
FONT_W = 6.6  # average width of a 12px character: to lay out the legend and fit labels


def _curve(xa: float, ya: float, xb: float, yb: float) -> str:
    """A cubic from (xa, ya) to (xb, yb), flat at both ends; x only grows along it."""
    mid = (xa + xb) / 2
    return f" C{mid:.1f},{ya:.1f} {mid:.1f},{yb:.1f} {xb:.1f},{yb:.1f}"


def _fit(name: str, amount: str, chars: int) -> str:
    """`name` + `amount`, the name cut short with "…" to fit `chars` characters (the hover
    title keeps it whole)."""
    if len(name) + len(amount) <= chars:
        return name + amount
    return name[: max(chars - len(amount) - 1, 4)] + "…" + amount


def render(
    nodes: list[Node],
    links: list[Link],
    fmt: Callable[[int], str],
    exact: Callable[[int], str] | None = None,
    headings: dict[int, str] | None = None,
    legend: Sequence[tuple[str, str, str]] = (),
    width: int = 1100,
) -> str:
    """The chart as an <svg> element string, `width` wide or wider for many columns.

    `fmt` writes an amount on the chart, `exact` in the hover titles; `headings` names the
    columns; `legend` is (kind, label, colour) for every link kind."""
    exact = exact or fmt
    colors = {kind: color for kind, _label, color in legend}
    links = [lk for lk in links if lk.value > 0]
    by_key = {n.key: n for n in nodes}
    for lk in links:
        by_key[lk.source].links_out.append(lk)
        by_key[lk.target].links_in.append(lk)
    shown = [n for n in nodes if n.links_in or n.links_out]
    if not shown:
        return (
            f'<svg class="sankey" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} 60" '
            f'width="{width}" height="60"><text x="12" y="34">No revenue yet.</text></svg>'
        )
    for n in shown:
        n.value = max(sum(lk.value for lk in n.links_in), sum(lk.value for lk in n.links_out))
    columns: dict[int, list[Node]] = defaultdict(list)
    for n in shown:
        columns[n.column].append(n)
    order = sorted(columns)
    index = {col: i for i, col in enumerate(order)}
    skipping: dict[int, list[Link]] = defaultdict(list)  # column -> links passing under it
    for lk in links:
        first, last = index[by_key[lk.source].column], index[by_key[lk.target].column]
        for i in range(first + 1, last):
            skipping[order[i]].append(lk)

    # One scale for every column, so that each column's nodes and the lane under them fit.
    tallest = max(len(c) for c in columns.values())
    usable = max(280, tallest * (MIN_SLOT + PAD))
    scale = min(
        (usable - PAD * (len(columns[c]) - 1) - (LANE_GAP if skipping[c] else 0))
        / (sum(n.value for n in columns[c]) + sum(lk.value for lk in skipping[c]))
        for c in order
    )
    # A deep lineage widens the chart (the page scrolls it) rather than squeeze the labels.
    width = max(width, int(2 * MARGIN + LABEL_ROOM + NODE_W + (len(order) - 1) * MIN_STEP))
    step = (width - 2 * MARGIN - LABEL_ROOM - NODE_W) / max(len(order) - 1, 1)
    top = MARGIN + HEADING
    bottom = float(top)
    for lk in links:
        lk.width = max(lk.value * scale, 1.0)
    stack_end: dict[int, float] = {}
    for i, col in enumerate(order):
        y = float(top)
        for n in columns[col]:
            n.x = MARGIN + i * step
            n.h = max(n.value * scale, 2.0)
            n.y = y
            y += max(n.h, MIN_SLOT) + PAD
        stack_end[col] = y - PAD
    for col in order:  # every node placed: lanes stack their bands in the nodes' order
        lane = stack_end[col] + LANE_GAP
        in_lane = sorted(skipping[col], key=lambda lk: (by_key[lk.source].y, by_key[lk.target].y))
        for lk in in_lane:
            lk.lanes[col] = lane + lk.width / 2
            lane += lk.width
        bottom = max(bottom, stack_end[col], lane)
    # The legend wraps to another row rather than run past the chart's right edge.
    places: list[tuple[float, int]] = []
    x, row = float(MARGIN), 0
    for _kind, label, _color in legend:
        room = 24 + len(label) * FONT_W
        if places and x + room > width - MARGIN:
            x, row = float(MARGIN), row + 1
        places.append((x, row))
        x += room + 22
    rows = row + 1 if legend else 0
    height = int(bottom + MARGIN + (LEGEND + (rows - 1) * LEGEND_ROW if legend else 0) + 0.999)

    def leaving(lk: Link) -> float:  # the height a band heads for after leaving its source
        return lk.lanes[min(lk.lanes)] if lk.lanes else by_key[lk.target].y

    def arriving(lk: Link) -> float:
        if lk.lanes:
            return lk.lanes[max(lk.lanes)]
        return by_key[lk.source].y

    parts = [
        f'<svg class="sankey" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" '
        f'width="{width}" height="{height}" role="img" aria-label="revenue flow chart">'
    ]
    for col in order:
        if headings and col in headings:
            x = MARGIN + index[col] * step
            parts.append(
                f'<text class="heading" x="{x:.1f}" y="{MARGIN + 6}" text-anchor="start">'
                f"{escape(headings[col])}</text>"
            )
    starts: dict[int, float] = {}
    ends: dict[int, float] = {}
    for n in shown:
        for lk in sorted(n.links_out, key=leaving):
            starts[id(lk)] = n.y + n.out_offset + lk.width / 2
            n.out_offset += lk.width
        for lk in sorted(n.links_in, key=arriving):
            ends[id(lk)] = n.y + n.in_offset + lk.width / 2
            n.in_offset += lk.width
    for lk in links:  # bands first, so nodes and labels draw over them
        source, target = by_key[lk.source], by_key[lk.target]
        x, y = source.x + NODE_W, starts[id(lk)]
        d = f"M{x:.1f},{y:.1f}"
        for col in sorted(lk.lanes):
            lane_x = MARGIN + index[col] * step
            ly = lk.lanes[col]
            d += _curve(x, y, lane_x - LANE_SIDE, ly)
            x, y = lane_x + NODE_W + LANE_SIDE, ly
            d += f" L{x:.1f},{y:.1f}"
        d += _curve(x, y, target.x, ends[id(lk)])
        title = f"{source.label} → {target.label}: {fmt(lk.value)} ({exact(lk.value)})"
        color = colors.get(lk.kind, source.color)
        parts.append(
            f'<path class="link" data-kind="{escape(lk.kind)}" d="{d}" stroke="{color}" '
            f'stroke-width="{lk.width:.1f}" fill="none" stroke-opacity="0.4">'
            f"<title>{escape(title)}</title></path>"
        )
    for n in shown:
        last = index[n.column] == len(order) - 1
        room = (LABEL_ROOM if last else step - NODE_W) - 13  # short of the next column's nodes
        # A chart label is rounded by nature (the hover title is exact): no "~" marker, so
        # the asset's name keeps the room.
        label = _fit(n.label, f" · {fmt(n.value).removeprefix('~')}", int(room / FONT_W))
        parts.append(
            f'<rect class="node" x="{n.x:.1f}" y="{n.y:.1f}" width="{NODE_W}" height="{n.h:.1f}" '
            f'fill="{n.color}"><title>{escape(f"{n.label}: {exact(n.value)}")}</title></rect>'
        )
        parts.append(
            f'<text class="label" x="{n.x + NODE_W + 5:.1f}" y="{n.y + n.h / 2:.1f}" '
            f'dy="0.35em" text-anchor="start">{escape(label)}</text>'
        )
    for (kind, label, color), (x, row) in zip(legend, places, strict=True):
        y = bottom + MARGIN + 8 + row * LEGEND_ROW
        parts.append(
            f'<g class="legend" data-kind="{escape(kind)}"><rect x="{x:.1f}" y="{y - 6:.1f}" '
            f'width="18" height="12" fill="{color}" fill-opacity="0.6"/>'
            f'<text class="legend" x="{x + 24:.1f}" y="{y:.1f}" dy="0.35em">'
            f"{escape(label)}</text></g>"
        )
    parts.append("</svg>")
    return "".join(parts)
