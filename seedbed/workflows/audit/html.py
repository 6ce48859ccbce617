"""The self-contained HTML report: inline CSS and server-rendered SVG, nothing fetched."""

from __future__ import annotations

from collections import defaultdict
from datetime import UTC, datetime
from html import escape
from typing import TYPE_CHECKING, Any

from seedbed.core.constants import ETH
from seedbed.workflows.audit import sankey
from seedbed.workflows.audit.report import addr, base_units, money, rounded

if TYPE_CHECKING:
    from seedbed.workflows.audit.run import AuditResult

MAX_ROWS = 200  # per table; the CSV files have every row
TOP_CONTRIBUTORS = 10

_CSS = """
body{font:14px/1.45 system-ui,-apple-system,Segoe UI,Roboto,sans-serif;margin:24px;color:#222}
h1{font-size:22px;margin:0 0 4px}h2{font-size:18px;margin:28px 0 8px;border-bottom:1px solid #ddd}
table{border-collapse:collapse;margin:6px 0 14px;font-size:13px}
th,td{border:1px solid #e2e2e2;padding:3px 8px;text-align:right;white-space:nowrap}
td.w{white-space:normal;min-width:320px;max-width:640px}
th{background:#f5f5f5}td.l,th.l{text-align:left}
.verdict{display:inline-block;padding:4px 10px;border-radius:4px;font-weight:600;color:#fff}
.pass{background:#2e7d32}.fail{background:#c62828}.warn{background:#ef6c00}
tr.fail td{background:#fdecea}tr.warn td{background:#fff4e5}
.mono{font-family:ui-monospace,Menlo,Consolas,monospace;font-size:12px}
svg.sankey{background:#fff}figure.chart{overflow-x:auto;max-width:100%}
svg.sankey text{font-size:12px;fill:#222;paint-order:stroke;stroke:#fff;stroke-width:3px}
svg.sankey text.heading{font-size:13px;font-weight:600;fill:#444}
details{margin:8px 0}.scroll{overflow-x:auto;max-width:100%}figure{margin:8px 0}
summary{cursor:pointer;font-weight:600}.note{color:#666}
"""

# Flow kinds: the legend under each chart, and the colour of every band of that kind.
FLOWS = [
    ("license", "license sale", "#4e79a7"),
    ("meter", "metered use", "#f28e2b"),
    ("service", "operator service share", "#b07aa1"),
    ("direct", "direct pay", "#59a14f"),
    ("upstream", "upstream flow", "#76b7b2"),
    ("claim", "claim", "#d4a017"),
    ("fee", "fee", "#e15759"),
    ("held", "held (unclaimed, pending)", "#9d8f89"),
]
# Disputes' flows, in the legend only when a chart has them: credits held in escrow while an
# asset is disputed, and those an upheld dispute sent to its beneficiary or the fee book.
DISPUTE_FLOWS = [
    ("escrow", "escrow (disputed)", "#8c6d31"),
    ("redirect", "redirected (upheld)", "#e377c2"),
    ("forfeit", "forfeited to the fee book", "#a33a3a"),
]
# Labeling campaigns' flows, in the legend only when a chart has them: bounties paid from a
# campaign's pool, and what went back to its requester.
CAMPAIGN_FLOWS = [
    ("campaign", "campaign pool", "#17becf"),
    ("bounty", "campaign bounty", "#bcbd22"),
    ("refund", "refunded to the requester", "#7f7f7f"),
]
_COLORS = {kind: color for kind, _label, color in FLOWS + DISPUTE_FLOWS + CAMPAIGN_FLOWS}
_COLORS |= {"asset": "#5f6b7a"}
TOP_OPERATORS = 5
_KINDS = {0: "dataset", 1: "model", 2: "other"}


def asset_label(result: AuditResult, asset_id: int) -> str:
    """The chart's and report's name for an asset: "dataset #3 (Cat photos)" when a Croissant
    file gave its name, else "asset #3 (dataset)"."""
    a = result.ledger.assets.get(asset_id)
    kind = _KINDS.get(a.kind, "asset") if a is not None else "asset"
    name = result.names.get(asset_id)
    return f"{kind} #{asset_id} ({name})" if name else f"asset #{asset_id} ({kind})"


def _short(value: str | None) -> str:
    """0x1234…abcd for addresses and hashes in narrow cells (the CSV has them whole)."""
    return "" if not value else f"{value[:6]}…{value[-4:]}"


def _symbol(result: AuditResult, currency: str | None) -> str:
    if not currency:
        return ""
    return result.tokens.get(currency.lower(), (_short(currency), 18))[0]


def _date(timestamp: int) -> str:
    if not timestamp:
        return "never"
    return datetime.fromtimestamp(timestamp, UTC).strftime("%Y-%m-%d %H:%M UTC")


def _table(
    headers: list[str],
    rows: list[list[Any]],
    left: int = 1,
    cls: list[str] | None = None,
    wrap: int | None = None,
) -> str:
    """A table; the first `left` columns align left, column `wrap` wraps its text."""
    out = ['<div class="scroll"><table><tr>']
    out += [
        f'<th class="{"l" if i < left else ""}">{escape(h)}</th>' for i, h in enumerate(headers)
    ]
    out.append("</tr>")
    for n, row in enumerate(rows[:MAX_ROWS]):
        klass = f' class="{cls[n]}"' if cls and cls[n] else ""
        out.append(f"<tr{klass}>")
        out += [
            f'<td class="{_cell_class(i, left, wrap)}">{escape(str(v))}</td>'
            for i, v in enumerate(row)
        ]
        out.append("</tr>")
    out.append("</table></div>")
    if len(rows) > MAX_ROWS:
        out.append(f'<p class="note">{len(rows) - MAX_ROWS} more rows in the CSV files.</p>')
    return "".join(out)


def _cell_class(i: int, left: int, wrap: int | None) -> str:
    """ "l" aligns left; "w" lets the column's text wrap (a finding's sentence)."""
    return " ".join(c for c, on in (("l", i < left), ("w", i == wrap)) if on)


def flow_chart(result: AuditResult, currency: str) -> str:
    """Revenue sources → assets (by lineage depth) → lineage edges → contributors, as SVG.

    Metered use starts at the payers' reserves in the meter: each settlement's service share
    goes straight to the gateway operator its voucher named (a recipient, next to the
    contributors), the rest to the asset, through the vault once `payAsset` pushed it (what
    is still owed is shown as held by the meter)."""
    ledger = result.ledger
    wanted = result.assets
    pools = {
        a: p for (a, c), p in ledger.pools.items() if c == currency and (not wanted or a in wanted)
    }
    edges = {
        (ch, pa): e
        for (ch, pa, c), e in ledger.edges.items()
        if c == currency and ch in pools and pa in pools
    }
    children: dict[int, list[int]] = defaultdict(list)
    for ch, pa in edges:
        children[pa].append(ch)
    depth: dict[int, int] = {}
    for a in sorted(pools, reverse=True):  # a child's id is always above its parents'
        depth[a] = max((depth.get(ch, 0) + 1 for ch in children[a]), default=0)
    sink_col = 2 + max(depth.values(), default=0)

    nodes = [
        sankey.Node("src:license", "License sales", 0, _COLORS["license"]),
        sankey.Node("src:meter", "Metered usage (reserves)", 0, _COLORS["meter"]),
        sankey.Node("src:direct", "Direct payments", 0, _COLORS["direct"]),
    ]
    links: list[sankey.Link] = []
    for a in sorted(pools):
        nodes.append(
            sankey.Node(f"asset:{a}", asset_label(result, a), 1 + depth[a], _COLORS["asset"])
        )
        p = pools[a]
        owed = ledger.owed[a, currency].due if (a, currency) in ledger.owed else 0
        links += [
            sankey.Link("src:license", f"asset:{a}", p.from_license, "license"),
            sankey.Link("src:meter", f"asset:{a}", p.from_meter + owed, "meter"),
            sankey.Link(f"asset:{a}", "sink:owed", owed, "held"),
            sankey.Link("src:direct", f"asset:{a}", p.direct, "direct"),
            sankey.Link(f"asset:{a}", "sink:fees", p.fees, "fee"),
            sankey.Link(f"asset:{a}", "sink:pending", p.pending, "held"),
            sankey.Link(f"asset:{a}", "sink:unclaimed", p.unclaimed, "held"),
        ]
    for (ch, pa), e in sorted(edges.items()):
        links.append(sankey.Link(f"asset:{ch}", f"asset:{pa}", e.amount, "upstream"))
    links += _dispute_links(result, currency, set(pools))

    per_account: dict[str, int] = defaultdict(int)
    for (a, c, account), cl in ledger.claimants.items():
        if c == currency and a in pools:
            per_account[account] += cl.claimed
    # Campaigns belong to no asset: shown only when the chart is not filtered to some assets.
    campaigns = (
        {} if wanted else {i: k for i, k in ledger.campaigns.items() if k.currency == currency}
    )
    for (cid, account), k in ledger.campaign_claims.items():
        if cid in campaigns:
            per_account[account] += k.amount
    top = set(sorted(per_account, key=lambda k: -per_account[k])[:TOP_CONTRIBUTORS])
    for account in sorted(top, key=lambda k: -per_account[k]):
        label = _short(addr(account))
        nodes.append(sankey.Node(f"acct:{account}", label, sink_col, _COLORS["claim"]))
    nodes.append(sankey.Node("acct:other", "Other contributors", sink_col, _COLORS["claim"]))
    for (a, c, account), cl in ledger.claimants.items():
        if c == currency and a in pools:
            target = f"acct:{account}" if account in top else "acct:other"
            links.append(sankey.Link(f"asset:{a}", target, cl.claimed, "claim"))
    nodes += _campaign_nodes(campaigns, sink_col)
    links += _campaign_links(ledger, campaigns, top)
    earned = {op: e.earned for (op, c), e in ledger.earnings.items() if c == currency and e.earned}
    if wanted:  # only the operators of the assets shown, for what those assets' use paid
        earned = defaultdict(int)
        for channel in ledger.channels.values():
            if channel.currency == currency and channel.asset in pools and channel.service:
                earned[channel.operator] += channel.service
    top_ops = sorted(earned, key=lambda k: -earned[k])[:TOP_OPERATORS]
    for op in top_ops:
        node = sankey.Node(f"op:{op}", f"operator {_short(addr(op))}", sink_col, _COLORS["service"])
        nodes.append(node)
        links.append(sankey.Link("src:meter", f"op:{op}", earned[op], "service"))
    rest = sum(v for op, v in earned.items() if op not in top_ops)
    nodes.append(sankey.Node("op:other", "Other operators", sink_col, _COLORS["service"]))
    links.append(sankey.Link("src:meter", "op:other", rest, "service"))
    nodes += [
        sankey.Node("sink:owed", "Owed by the meter", sink_col, _COLORS["held"]),
        sankey.Node("sink:unclaimed", "Not yet claimed", sink_col, _COLORS["held"]),
        sankey.Node("sink:pending", "Pending upstream", sink_col, _COLORS["held"]),
        sankey.Node("sink:fees", "Protocol fees", sink_col, _COLORS["fee"]),
        sankey.Node("src:redirect", "Redirected by disputes", 0, _COLORS["redirect"]),
        sankey.Node("sink:escrow", "In escrow (disputed)", sink_col, _COLORS["escrow"]),
        sankey.Node("sink:redirect", "Redirected (upheld)", sink_col, _COLORS["redirect"]),
        sankey.Node("sink:forfeit", "Forfeited (fee book)", sink_col, _COLORS["forfeit"]),
        sankey.Node("sink:refund", "Refunds", sink_col, _COLORS["refund"]),
    ]
    drawn = {lk.kind for lk in links if lk.value > 0}
    headings = {0: "Sources", 1: "Assets", sink_col: "Recipients"}
    for col in range(2, sink_col):
        headings[col] = "Upstream" if sink_col == 3 else f"Upstream, level {col - 1}"
    return sankey.render(
        nodes,
        links,
        lambda v: rounded(result, currency, v),
        exact=lambda v: f"{money(result, currency, v)} = {base_units(result, currency, v)}",
        headings=headings,
        legend=FLOWS + [k for k in DISPUTE_FLOWS + CAMPAIGN_FLOWS if k[0] in drawn],
    )


def _campaign_nodes(campaigns: dict[int, Any], sink_col: int) -> list[sankey.Node]:
    nodes = [sankey.Node("src:campaign", "Campaign pools", 0, _COLORS["campaign"])]
    for cid in sorted(campaigns):
        nodes.append(sankey.Node(f"campaign:{cid}", f"campaign #{cid}", 1, _COLORS["campaign"]))
    return nodes


def _campaign_links(ledger: Any, campaigns: dict[int, Any], top: set[str]) -> list[sankey.Link]:
    """Pool in = bounties + refund + what is still to claim: each campaign's node balances."""
    links = []
    for cid, k in sorted(campaigns.items()):
        node = f"campaign:{cid}"
        links.append(sankey.Link("src:campaign", node, k.pool, "campaign"))
        links.append(sankey.Link(node, "sink:refund", k.refund, "refund"))
        links.append(sankey.Link(node, "sink:unclaimed", k.pool - k.claimed - k.refund, "held"))
    for (cid, account), claim in sorted(ledger.campaign_claims.items()):
        if cid in campaigns:
            target = f"acct:{account}" if account in top else "acct:other"
            links.append(sankey.Link(f"campaign:{cid}", target, claim.amount, "bounty"))
    return links


def _dispute_links(result: AuditResult, currency: str, shown: set[int]) -> list[sankey.Link]:
    """Escrow and redirects: an asset's credits still held aside go to "In escrow", those an
    upheld dispute sent on leave it for "Redirected" (another asset) or "Forfeited"; the
    beneficiary receives them from "Redirected by disputes". Every asset's node balances:
    what came in (payments, flows, redirects received) = what it accrued, its pending
    upstream, fees, its escrow now and what left it by a redirect."""
    ledger = result.ledger
    links = []
    for (asset, cur), e in sorted(ledger.escrow.items()):
        if cur == currency and asset in shown:
            links.append(sankey.Link(f"asset:{asset}", "sink:escrow", e.held, "escrow"))
    for (source, to, cur), d in sorted(ledger.diversions.items()):
        if cur != currency:
            continue
        if source in shown:
            sink, kind = ("sink:redirect", "redirect") if to else ("sink:forfeit", "forfeit")
            links.append(sankey.Link(f"asset:{source}", sink, d.amount, kind))
        if to and to in shown:
            links.append(sankey.Link("src:redirect", f"asset:{to}", d.amount, "redirect"))
    return links


def render_html(result: AuditResult, data: dict[str, Any]) -> str:
    f = result.findings
    fails, warns = len(f.failures), len(f.warnings)
    verdict = "fail" if fails else ("warn" if warns else "pass")
    word = {"fail": "FAILED", "warn": "PASSED with warnings", "pass": "PASSED"}[verdict]
    title = f"Seedbed royalty audit · chain {result.chain_id} · block {result.block}"
    out = [
        '<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width,initial-scale=1">',
        f"<title>{escape(title)}</title><style>{_CSS}</style></head><body>",
        f"<h1>{escape(title)}</h1>",
        f'<p><span class="verdict {verdict}" id="verdict">{word}</span> '
        f"{data['summary']['checks']} checks, {fails} failed, {warns} warnings; "
        f"{result.ledger.events} events rebuilt.</p>",
    ]
    if f.items:
        rows = data["findings"]
        out += [
            "<h2>Failures and warnings</h2>",
            _table(
                ["status", "check", "asset", "account", "currency", "what", "tx"],
                [
                    [
                        r["status"],
                        r["check"],
                        r["asset"] or "",
                        _short(r["account"]),
                        _symbol(result, r["currency"]),
                        r["message"],
                        _short(r["tx"]),
                    ]
                    for r in rows
                ],
                left=7,
                wrap=5,
                cls=[r["status"] for r in rows],
            ),
        ]

    out.append("<h2>Revenue flows</h2>")
    charted = set(result.ledger.books) | result.ledger.earnings_currencies()
    charted |= {k.currency for k in result.ledger.campaigns.values()}
    for cur in sorted(charted):
        symbol = result.tokens.get(cur, ("?", 18))[0]
        out.append(f'<figure class="chart"><figcaption>{escape(symbol)} ({addr(cur)})</figcaption>')
        out.append(flow_chart(result, cur))
        out.append("</figure>")
    if not charted:
        out.append('<p class="note">No payments yet.</p>')

    out += [
        "<h2>Checks</h2>",
        _table(
            ["check", "checked", "failed", "warnings"],
            [[r["check"], r["checked"], r["failed"], r["warnings"]] for r in data["checks"]],
            cls=[
                "fail" if r["failed"] else ("warn" if r["warnings"] else "") for r in data["checks"]
            ],
        ),
    ]
    out.append("<h2>Contracts</h2>")
    out.append(
        _table(
            ["contract", "address"],
            [[role, addr(a)] for role, a in result.addresses.items()],
        ),
    )
    out.append("<h2>Currencies</h2>")
    out.append(
        _table(
            [
                "currency",
                "paid in",
                "fees earned",
                "fees withdrawn",
                "claimed",
                "held",
                "swept",
                "meter: reserves",
                "owed to assets",
                "operator earnings",
            ],
            [
                [
                    r["symbol"],
                    *(
                        money(result, r["currency"].lower(), r[k])
                        for k in (
                            "paid_in",
                            "fees_earned",
                            "fees_withdrawn",
                            "claimed",
                            "held",
                            "excess_swept",
                            "reserves",
                            "owed_to_assets",
                            "operator_earnings",
                        )
                    ),
                ]
                for r in data["currencies"]
            ],
        )
    )
    out.append("<h2>Assets</h2>")
    accounts: dict[int, list[dict[str, Any]]] = defaultdict(list)
    for r in data["accounts"]:
        accounts[r["asset"]].append(r)
    pools: dict[int, list[dict[str, Any]]] = defaultdict(list)
    for r in data["pools"]:
        pools[r["asset"]].append(r)
    for asset_id in sorted(pools)[:MAX_ROWS]:
        a = result.ledger.assets.get(asset_id)
        head = asset_label(result, asset_id)
        if a is not None:
            head += f" · owner {addr(a.owner)}"
            if a.parents:
                head += " · parents " + ", ".join(f"{p[0]} ({p[1] / 100:g}%)" for p in a.parents)
        out.append(f"<details open><summary>{escape(head)}</summary>")
        out.append(
            _table(
                [
                    "currency",
                    "license sales",
                    "metered",
                    "direct",
                    "fees",
                    "upstream in",
                    "upstream out",
                    "accrued",
                    "claimed",
                    "unclaimed",
                    "pending upstream",
                ],
                [
                    [
                        r["symbol"],
                        *(
                            money(result, r["currency"].lower(), r[k])
                            for k in (
                                "license_sales",
                                "metered_usage",
                                "direct_payments",
                                "fees",
                                "upstream_in",
                                "upstream_out",
                                "accrued",
                                "claimed",
                                "unclaimed",
                                "pending_upstream",
                            )
                        ),
                    ]
                    for r in pools[asset_id]
                ],
            )
        )
        rows = accounts.get(asset_id, [])
        if rows:
            out.append(
                _table(
                    ["contributor", "currency", "weight", "entitled", "claimed", "claimable"],
                    [
                        [
                            r["account"],
                            _symbol(result, r["currency"]),
                            f"{r['weight']}/{r['total_weight']}",
                            *(
                                money(result, r["currency"].lower(), r[k])
                                for k in ("entitled", "claimed", "claimable")
                            ),
                        ]
                        for r in rows
                    ],
                    left=2,
                )
            )
        out.append("</details>")

    if data["flows"]:
        out.append("<h2>Lineage flows</h2>")
        out.append(
            _table(
                ["child → parent", "currency", "amount", "to contributors", "to upstream", "flows"],
                [
                    [
                        f"{r['child']} → {r['parent']}",
                        _symbol(result, r["currency"]),
                        *(
                            money(result, r["currency"].lower(), r[k])
                            for k in ("amount", "to_contributors", "to_upstream")
                        ),
                        r["flows"],
                    ]
                    for r in data["flows"]
                ],
                left=2,
            )
        )
    if data["operators"]:
        out.append("<h2>Gateway operators</h2>")
        out.append(
            '<p class="note">The service share of every metered charge, credited in the '
            "settlement's transaction to the operator the payer's voucher named.</p>"
        )
        out.append(
            _table(
                ["operator", "currency", "earned", "withdrawn", "earnings", "settlements"],
                [
                    [
                        r["operator"],
                        r["symbol"],
                        *(
                            money(result, r["currency"].lower(), r[k])
                            for k in ("earned", "withdrawn", "earnings")
                        ),
                        r["settlements"],
                    ]
                    for r in data["operators"]
                ],
                left=2,
            )
        )
    if data["channels"]:
        out.append("<h2>Usage channels</h2>")
        out.append(
            _table(
                [
                    "license",
                    "payer",
                    "operator",
                    "currency",
                    "deposited",
                    "withdrawn",
                    "to asset",
                    "to operator",
                    "reserve",
                    "units",
                    "closes",
                    "withdrawal",
                ],
                [
                    [
                        r["license"],
                        _short(r["payer"]),
                        _short(r["operator"]),
                        _symbol(result, r["currency"]),
                        *(
                            money(result, r["currency"].lower(), r[k])
                            for k in ("deposited", "withdrawn", "to_asset", "service_share")
                        ),
                        money(result, r["currency"].lower(), r["reserve"]),
                        r["units"],
                        _date(r["closes_at"]) if r["closes_at"] < 2**40 - 1 else "never",
                        (
                            f"{money(result, r['currency'].lower(), r['withdrawal'])} "
                            f"{_date(r['ready_at'])} – {_date(r['window_end'])}"
                            if r["ready_at"]
                            else ""
                        ),
                    ]
                    for r in data["channels"]
                ],
                left=4,
            )
        )
    if data["licenses"]:
        out.append("<h2>Licenses</h2>")
        out.append(
            _table(
                ["license", "asset", "holder", "price", "expires", "units settled", "settled"],
                [
                    [
                        r["license"],
                        r["asset"],
                        r["holder"],
                        money(result, r["currency"].lower(), r["price"]),
                        _date(r["expires_at"]),
                        r["units_settled"],
                        money(result, r["currency"].lower(), r["amount_settled"]),
                    ]
                    for r in data["licenses"]
                ],
                left=3,
            )
        )
    out += _dispute_sections(result, data)
    out += _private_sections(result, data)
    out += _campaign_sections(result, data)
    out += _integrity_sections(result, data)
    out.append("</body></html>\n")
    return "".join(out)


def _eth(result: AuditResult, amount: int | None) -> str:
    return "unreadable" if amount is None else money(result, ETH, amount)


def _dispute_sections(result: AuditResult, data: dict[str, Any]) -> list[str]:
    """The court's book against its balance, every dispute, and per disputed asset the
    revenue its hold kept, released, redirected and forfeited."""
    court, disputes, escrow = data["court"], data["disputes"], data["escrow"]
    if court is None or not (disputes or escrow or court["book"] or court["excess"]):
        return []
    out = [
        "<h2>Disputes</h2>",
        '<p class="note">While an asset is disputed, every credit to it (a payment, or its '
        "share of a derivative's upstream flow) is held whole in escrow; revenue accrued "
        "before the dispute stays claimable (D2). Dismissed or lapsed, the escrow is released "
        "to the asset; upheld, it and every later credit go to the beneficiary asset, or to "
        "the fee book when there is none. An earlier dispute's escrow stays the asset's own "
        "even while a later dispute holds it or after that one is upheld; a prior-commitment "
        "claim that takes over a running dispute (ending it lapsed, every deposit back) takes "
        "over its escrow too. The court holds the bonds and ruling fees in ETH: "
        "its book, totalDeposits, is the live bonds and fees plus the deposits accounts may "
        "withdraw, and its balance must equal it.</p>",
        _table(
            ["court", "book (totalDeposits)", "live bonds and fees", "withdrawable", "balance"]
            + ["excess", "bond", "answer period", "ruling timeout"],
            [
                [
                    _short(court["address"]),
                    _eth(result, court["book"]),
                    _eth(result, court["live"]),
                    _eth(result, court["withdrawable"]),
                    _eth(result, court["balance"]),
                    _eth(result, court["excess"]),
                    _eth(result, court["bond"]),
                    _days(court["answer_period"]),
                    _days(court["ruling_timeout"]),
                ]
            ],
            cls=["fail" if court["excess"] else ""],
        ),
    ]
    if disputes:
        out.append(
            _table(
                ["id", "asset", "kind", "state", "claimant", "beneficiary", "bonds"]
                + ["bonds went to", "deadline"],
                [
                    [
                        r["dispute"],
                        r["asset"],
                        r["kind"] + (f": {r['reason']}" if r["reason"] else ""),
                        r["state"]
                        + (f" (taken over by #{r['superseded_by']})" if r["superseded_by"] else ""),
                        _short(r["claimant"]),
                        f"asset {r['beneficiary']}" if r["beneficiary"] else "fee book",
                        _bonds(result, r),
                        ", ".join(
                            f"{_short(a)} {rounded(result, ETH, v)}"
                            for a, v in r["credited"].items()
                        )
                        or "–",
                        (_date(r["deadline"]) + (" (overdue)" if r["overdue"] else ""))
                        if r["deadline"]
                        else "–",
                    ]
                    for r in disputes
                ],
                left=6,
                cls=["warn" if r["overdue"] else "" for r in disputes],
            )
        )
    if escrow:
        out.append(
            '<p class="note">Disputed revenue, per asset and currency: what its hold put in '
            "escrow and still holds, what was released back to it, what was redirected to its "
            "beneficiary or forfeited to the fee book, and what it received as a beneficiary."
            "</p>"
        )
        out.append(
            _table(
                ["asset", "currency", "hold", "escrowed", "in escrow", "released"]
                + ["redirected", "forfeited", "received"],
                [
                    [
                        asset_label(result, r["asset"]),
                        r["symbol"],
                        _hold(r),
                        *(
                            money(result, r["currency"].lower(), r[k])
                            for k in ("escrowed", "held", "released")
                        ),
                        ", ".join(
                            f"{money(result, r['currency'].lower(), t['amount'])} → #{t['asset']}"
                            for t in r["redirected_to"]
                        )
                        or money(result, r["currency"].lower(), 0),
                        money(result, r["currency"].lower(), r["forfeited"]),
                        money(result, r["currency"].lower(), r["received"]),
                    ]
                    for r in escrow
                ],
                left=3,
                cls=[
                    "warn" if r["held"] and (r["hold"] != "escrow" or r["earlier_round"]) else ""
                    for r in escrow
                ],
            )
        )
    if court["depositors"]:
        out.append(
            _table(
                ["account", "deposits credited", "withdrawn", "withdrawable"],
                [
                    [
                        r["account"],
                        *(_eth(result, r[k]) for k in ("credited", "withdrawn", "withdrawable")),
                    ]
                    for r in court["depositors"]
                ],
            )
        )
    return out


def _campaign_sections(result: AuditResult, data: dict[str, Any]) -> list[str]:
    """Each labeling campaign's pool = its claims + its refund (+ what is still to claim), its
    bonds, and every bounty paid."""
    campaigns, claims = data["campaigns"], data["campaign_claims"]
    if not campaigns:
        return []
    out = [
        "<h2>Labeling campaigns</h2>",
        '<p class="note">A requester escrows a pool; the operator posts the result root (the '
        "same contributors tree the dataset is registered with); annotators and reviewers claim "
        "pool × weight / total; the rest goes back to the requester. Every row is rebuilt from "
        "the events and checked against the contract.</p>",
        _table(
            ["#", "status", "requester", "operator", "pool", "claims", "claimed", "refunded"]
            + ["to claim", "result root", "bond", "slashed", "disputes"],
            [
                [
                    r["campaign"],
                    r["status"],
                    _short(r["requester"]),
                    _short(r["operator"]),
                    rounded(result, r["currency"].lower(), r["pool"]),
                    r["claims"],
                    *(
                        rounded(result, r["currency"].lower(), r[k])
                        for k in ("claimed", "refund", "unclaimed")
                    ),
                    _short(r["result_root"]) or "–",
                    rounded(result, r["currency"].lower(), r["bond"]),
                    rounded(result, r["currency"].lower(), r["slashed"]),
                    r["disputes"],
                ]
                for r in campaigns
            ],
            left=4,
        ),
    ]
    if claims:
        out.append(
            _table(
                ["campaign", "account", "weight", "bounty", "paid to", "claimed", "tx"],
                [
                    [
                        r["campaign"],
                        _short(r["account"]),
                        r["weight"],
                        rounded(result, r["currency"].lower(), r["amount"]),
                        _short(r["to"]),
                        _date(r["claimed_at"]),
                        _short(r["tx"]),
                    ]
                    for r in claims
                ],
                left=2,
            )
        )
    return out


def _private_sections(result: AuditResult, data: dict[str, Any]) -> list[str]:
    """Sealed assets and every dataset key granted: who received which asset's key, under
    which license, from whom."""
    private, seals, grants = data["private"], data["seals"], data["key_grants"]
    if private is None or not (seals or grants):
        return []
    out = [
        "<h2>Private data</h2>",
        '<p class="note">A sealed asset\'s files are encrypted; its seal root and key check are '
        "on chain. Its owner, or a key service the owner named, records each dataset key handed "
        "to a license holder: the key, wrapped for that holder, is in the KeyGranted log, so "
        "every recipient below has it for good. No money moves here.</p>",
    ]
    if seals:
        out.append(
            _table(
                ["asset", "seal root", "key check", "sealed by", "sealed", "key services"]
                + ["grants", "holders"],
                [
                    [
                        asset_label(result, r["asset"]),
                        _short(r["seal_root"]),
                        _short(r["key_check"]),
                        _short(r["sealer"]),
                        _date(r["sealed_at"]),
                        ", ".join(_short(g) for g in r["key_services"]) or "–",
                        r["grants"],
                        r["holders"],
                    ]
                    for r in seals
                ],
                left=6,
            )
        )
    if grants:
        out.append(
            _table(
                ["#", "asset", "license", "key to", "granted by", "granted", "still holds"]
                + ["license expires", "wrapped key", "tx"],
                [
                    [
                        r["grant"],
                        asset_label(result, r["asset"]),
                        r["license"],
                        r["holder"],
                        ("owner " if r["by_owner"] else "key service ") + _short(r["granter"]),
                        _date(r["granted_at"]),
                        "yes" if r["still_holds"] else "no (transferred since)",
                        _date(r["expires_at"]) if r["expires_at"] else "perpetual",
                        f"{r['wrapped_size']} bytes, keccak {_short(r['wrapped_hash'])}",
                        _short(r["tx"]),
                    ]
                    for r in grants
                ],
                left=5,
            )
        )
    return out


def _bonds(result: AuditResult, row: dict[str, Any]) -> str:
    """What the claimant (bond + ruling fee) and the defendant posted."""
    text = _eth(result, row["claimant_deposit"])
    if row["defendant_deposit"]:
        text += f" + {_eth(result, row['defendant_deposit'])}"
    if row["ruling_fee"]:
        text += f" (fee {_eth(result, row['ruling_fee'])} spent)"
    return text


def _hold(row: dict[str, Any]) -> str:
    """The asset's hold now: disputed (escrow), taken down (redirected to whom), or none; and
    escrow an earlier dispute left, which is the asset's own whatever the hold."""
    own = " (escrow of an earlier dispute: its own)" if row.get("earlier_round") else ""
    if row["hold"] == "escrow":
        return "disputed: escrow" + own
    if row["hold"] == "redirected":
        to = f"asset {row['beneficiary']}" if row["beneficiary"] else "the fee book"
        return f"upheld: → {to}" + own
    return "none"


def _days(seconds: int | None) -> str:
    if seconds is None:
        return "unreadable"
    days, rest = divmod(seconds, 86_400)
    return f"{days} days" if not rest else f"{seconds} s"


def _integrity_sections(result: AuditResult, data: dict[str, Any]) -> list[str]:
    """Registration, redirected claims, sweeps, lineage floors and DERIVE uses."""
    out = []
    reg = data["registration"]
    if reg["min_commit_age"] is not None:
        out.append("<h2>Registration</h2>")
        out.append(
            f'<p class="note">MIN_COMMIT_AGE {reg["min_commit_age"]} s, MAX_COMMIT_AGE '
            f"{reg['max_commit_age']} s; {reg['commitments']} commitments by "
            f"{reg['committers']} accounts (pending or unrevealed ones are no finding).</p>"
        )
    if data["redirects"]:
        out.append("<h2>Claims paid to another recipient</h2>")
        out.append(
            '<p class="note">claimTo and claimToSigned: booked under the contributor, sent '
            "to the recipient it chose.</p>"
        )
        out.append(
            _table(
                ["asset", "contributor", "recipient", "currency", "claims", "amount"],
                [
                    [
                        r["asset"],
                        r["account"],
                        r["recipient"],
                        r["symbol"],
                        r["claims"],
                        money(result, r["currency"].lower(), r["amount"]),
                    ]
                    for r in data["redirects"]
                ],
                left=4,
            )
        )
    if data["sweeps"]:
        out.append("<h2>Sent by mistake, returned to the treasury</h2>")
        out.append(
            _table(
                ["contract", "currency", "sweeps", "amount", "treasury"],
                [
                    [
                        r["contract"],
                        r["symbol"],
                        r["sweeps"],
                        money(result, r["currency"].lower(), r["amount"]),
                        r["treasury"],
                    ]
                    for r in data["sweeps"]
                ],
                left=2,
            )
        )
    lineage = [r for r in data["floors"] if r["parents"] or r["floor_bps"]]
    if lineage:
        out.append("<h2>Lineage floors</h2>")
        out.append(
            '<p class="note">What a derivative must pass to each asset so that every '
            "ancestor's minimum still holds (L3), rebuilt from the registrations; per parent, "
            "the share passed and what that parent required.</p>"
        )
        out.append(
            _table(
                ["asset", "floor", "parents (share ≥ required, license)"],
                [
                    [
                        r["asset"],
                        f"{r['floor_bps'] / 100:g}%",
                        ", ".join(
                            f"{e['parent']}: {e['share_bps'] / 100:g}% ≥ "
                            f"{e['required_bps'] / 100:g}%"
                            + (f" (license {e['license']})" if e["license"] else "")
                            for e in r["parents"]
                        ),
                    ]
                    for r in lineage
                ],
                left=1,
            )
        )
    if data["derives"]:
        out.append("<h2>DERIVE licenses used</h2>")
        out.append(
            _table(
                ["license", "parent", "derivative", "registrant", "uses"],
                [
                    [r["license"], r["parent"], r["derivative"], r["registrant"], r["uses"]]
                    for r in data["derives"]
                ],
                left=1,
            )
        )
    return out
