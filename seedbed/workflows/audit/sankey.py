"""A small Sankey layout rendered to SVG on the server: no script, no network.

Columns are given by the caller (sources, assets by lineage depth, sinks); node height is
proportional to the larger of its in- and outflow, and each link is a band whose width is
its value, drawn as a cubic curve between the two nodes' stacked slots.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
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
    links_out: list[Link] = field(default_factory=list)
    links_in: list[Link] = field(default_factory=list)


@dataclass
class Link:
    source: str
    target: str
    value: int
    width: float = 0.0


NODE_W = 14
PAD = 14
MARGIN = 24
LABEL_ROOM = 300  # room at the right for the last column's labels


def render(
    nodes: list[Node], links: list[Link], fmt: Callable[[int], str], width: int = 1100
) -> str:
    """The chart as an <svg> element string."""
    links = [lk for lk in links if lk.value > 0]
    by_key = {n.key: n for n in nodes}
    for lk in links:
        by_key[lk.source].links_out.append(lk)
        by_key[lk.target].links_in.append(lk)
    shown = [n for n in nodes if n.links_in or n.links_out]
    for n in shown:
        n.value = max(sum(lk.value for lk in n.links_in), sum(lk.value for lk in n.links_out))
    columns: dict[int, list[Node]] = defaultdict(list)
    for n in shown:
        columns[n.column].append(n)
    if not shown:
        return (
            f'<svg class="sankey" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} 60" '
            f'width="{width}" height="60"><text x="12" y="34">No revenue yet.</text></svg>'
        )
    order = sorted(columns)
    tallest = max(len(c) for c in columns.values())
    height = max(320, 2 * MARGIN + tallest * 42)
    usable = height - 2 * MARGIN
    scale = min((usable - PAD * (len(c) - 1)) / sum(n.value for n in c) for c in columns.values())
    step = (width - 2 * MARGIN - LABEL_ROOM - NODE_W) / max(len(order) - 1, 1)
    for i, col in enumerate(order):
        y = float(MARGIN)
        for n in columns[col]:
            n.x = MARGIN + i * step
            n.h = max(n.value * scale, 2.0)
            n.y = y
            y += n.h + PAD
    for lk in links:
        lk.width = max(lk.value * scale, 1.0)

    parts = [
        f'<svg class="sankey" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" '
        f'width="{width}" height="{height}" role="img" aria-label="revenue flow chart">'
    ]
    for n in shown:  # bands first, so nodes and labels draw over them
        for lk in sorted(n.links_out, key=lambda lk: by_key[lk.target].y):
            target = by_key[lk.target]
            y0 = n.y + n.out_offset + lk.width / 2
            src = sorted(target.links_in, key=lambda x: by_key[x.source].y)
            y1 = target.y + sum(x.width for x in src[: src.index(lk)]) + lk.width / 2
            n.out_offset += lk.width
            x0, x1 = n.x + NODE_W, target.x
            mid = (x0 + x1) / 2
            title = f"{n.label} → {target.label}: {fmt(lk.value)}"
            parts.append(
                f'<path class="link" d="M{x0:.1f},{y0:.1f} C{mid:.1f},{y0:.1f} {mid:.1f},{y1:.1f} '
                f'{x1:.1f},{y1:.1f}" stroke="{n.color}" stroke-width="{lk.width:.1f}" '
                f'fill="none" stroke-opacity="0.35"><title>{escape(title)}</title></path>'
            )
    for n in shown:
        label = f"{n.label} · {fmt(n.value)}"
        parts.append(
            f'<rect class="node" x="{n.x:.1f}" y="{n.y:.1f}" width="{NODE_W}" height="{n.h:.1f}" '
            f'fill="{n.color}"><title>{escape(label)}</title></rect>'
        )
        parts.append(
            f'<text x="{n.x + NODE_W + 5:.1f}" y="{n.y + n.h / 2:.1f}" dy="0.35em" '
            f'text-anchor="start">{escape(label)}</text>'
        )
    parts.append("</svg>")
    return "".join(parts)
