"""Reports: one data model for the terminal summary, JSON, CSV and HTML.

Amounts are exact base-unit integers; JSON carries them as decimal strings (uint256 does not
survive a JavaScript number), CSV as plain digits, and displays format them with the
currency's decimals and symbol.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from eth_utils import to_checksum_address

from seedbed.core.atomic import write_atomic
from seedbed.core.units import format_amount, round_amount
from seedbed.workflows.audit.checks import entitlements
from seedbed.workflows.audit.ledger import Books

if TYPE_CHECKING:
    from rich.console import Console

    from seedbed.workflows.audit.run import AuditResult

_CHECKSUMS: dict[str, str] = {}


def addr(a: str) -> str:
    """EIP-55 form of a lower-case address (cached: the same few recur everywhere)."""
    out = _CHECKSUMS.get(a)
    if out is None:
        out = _CHECKSUMS[a] = to_checksum_address(a)
    return out


def money(result: AuditResult, currency: str, amount: int) -> str:
    """Exact: every base unit shown ("0.000000000000000001 ETH")."""
    symbol, decimals = result.tokens.get(currency, (currency[:8], 18))
    return format_amount(amount, decimals, symbol)


def rounded(result: AuditResult, currency: str, amount: int) -> str:
    """For people: 4 significant digits ("~0.2222 ETH"); the JSON and CSV stay exact."""
    symbol, decimals = result.tokens.get(currency, (currency[:8], 18))
    return round_amount(amount, decimals, symbol)


def base_units(result: AuditResult, currency: str, amount: int) -> str:
    """The exact integer, named: "222000000000000000 wei" (ETH) or "... base units"."""
    ether = result.tokens.get(currency, ("", 18)) == ("ETH", 18)
    return f"{amount} {'wei' if ether else 'base units'}"


def _wanted(result: AuditResult, *assets: int) -> bool:
    return result.assets is None or any(a in result.assets for a in assets)


# -- the data model ------------------------------------------------------------------------------


def pool_rows(result: AuditResult) -> list[dict[str, Any]]:
    rows = []
    for (asset, cur), p in sorted(result.ledger.pools.items()):
        if not _wanted(result, asset):
            continue
        rows.append(
            {
                "asset": asset,
                "currency": addr(cur),
                "symbol": result.tokens.get(cur, ("?", 18))[0],
                "license_sales": p.from_license,
                "metered_usage": p.from_meter,
                "direct_payments": p.direct,
                "payments": p.payments,
                "fees": p.fees,
                "upstream_in": p.upstream_in,
                "upstream_out": p.upstream_out,
                "accrued": p.accrued,
                "claimed": p.claimed,
                "unclaimed": p.unclaimed,
                "pending_upstream": p.pending,
                "owed_by_meter": result.ledger.owed[asset, cur].due
                if (asset, cur) in result.ledger.owed
                else 0,
            }
        )
    return rows


def account_rows(result: AuditResult) -> list[dict[str, Any]]:
    rows = []
    for aid, cur, account, weight, entitled, claimed in entitlements(result.ledger, result.trees):
        if not _wanted(result, aid):
            continue
        rows.append(
            {
                "asset": aid,
                "currency": addr(cur),
                "account": addr(account),
                "weight": weight,
                "total_weight": result.ledger.assets[aid].total_weight,
                "entitled": entitled,
                "claimed": claimed,
                "claimable": max(entitled - claimed, 0),
                "in_tree": aid in result.trees,
            }
        )
    return rows


def flow_rows(result: AuditResult) -> list[dict[str, Any]]:
    return [
        {
            "child": child,
            "parent": parent,
            "currency": addr(cur),
            "amount": e.amount,
            "to_contributors": e.to_contributors,
            "to_upstream": e.to_upstream,
            "flows": e.flows,
        }
        for (child, parent, cur), e in sorted(result.ledger.edges.items())
        if _wanted(result, child, parent)
    ]


def channel_rows(result: AuditResult) -> list[dict[str, Any]]:
    """Every meter channel: where its payer's reserve went (settled to the asset and the
    operator, withdrawn, still reserved)."""
    ledger = result.ledger
    rows = []
    for ch in sorted(ledger.channels.values(), key=lambda c: (c.license, c.payer, c.operator)):
        if not _wanted(result, ch.asset):
            continue
        h = ledger.holders.get((ch.license, ch.payer))
        rows.append(
            {
                "channel": ch.id,
                "license": ch.license,
                "asset": ch.asset,
                "payer": addr(ch.payer),
                "operator": addr(ch.operator),
                "currency": addr(ch.currency),
                "deposited": ch.deposited,
                "withdrawn": ch.withdrawn,
                "settled": ch.settled,
                "to_asset": ch.settled - ch.service,
                "service_share": ch.service,
                "reserve": ch.reserve,
                "units": ch.units,
                "unit_limit": ch.unit_limit,
                "closes_at": h.closes_at if h else 0,
                "held": h.held if h else False,
                "withdrawal": ch.withdrawal,
                "ready_at": ch.ready_at,
                "window_end": ch.window_end,
            }
        )
    return rows


def operator_rows(result: AuditResult) -> list[dict[str, Any]]:
    """Gateway operators: the service share every settlement credited them, per currency."""
    return [
        {
            "operator": addr(operator),
            "currency": addr(cur),
            "symbol": result.tokens.get(cur, ("?", 18))[0],
            "earned": e.earned,
            "withdrawn": e.withdrawn,
            "earnings": e.balance,
            "settlements": e.settlements,
        }
        for (operator, cur), e in sorted(result.ledger.earnings.items())
        if e.earned or e.withdrawn
    ]


def license_rows(result: AuditResult) -> list[dict[str, Any]]:
    return [
        {
            "license": x.id,
            "offer": x.offer,
            "asset": x.asset,
            "holder": addr(x.holder),
            "currency": addr(x.currency),
            "price": x.price,
            "expires_at": x.expires_at,
            "units_settled": x.units,
            "amount_settled": x.settled_amount,
            "settlements": x.settlements,
        }
        for x in sorted(result.ledger.licenses.values(), key=lambda x: x.id)
        if _wanted(result, x.asset)
    ]


def currency_rows(result: AuditResult) -> list[dict[str, Any]]:
    rows = []
    books = result.ledger.books
    for cur in sorted(set(books) | result.ledger.meter_currencies()):
        b = books[cur] if cur in books else Books()
        rows.append(
            {
                "currency": addr(cur),
                "symbol": result.tokens.get(cur, ("?", 18))[0],
                "decimals": result.tokens.get(cur, ("?", 18))[1],
                "paid_in": b.paid,
                "fees_earned": b.fees_earned,
                "fees_withdrawn": b.fees_withdrawn,
                "claimed": b.claimed,
                "held": b.held,
                "excess_swept": b.excess_swept,
                "failed_claims": b.failed_claims,
                **_meter_columns(result, cur),
                "lost_to_token_fees": result.ledger.token_fee_loss.get(cur, 0),
            }
        )
    return rows


def _meter_columns(result: AuditResult, cur: str) -> dict[str, int]:
    reserves, owed, earnings = result.ledger.meter_books(cur)
    return {
        "reserves": reserves,
        "owed_to_assets": owed,
        "operator_earnings": earnings,
        "meter_held": reserves + owed + earnings,
    }


def redirect_rows(result: AuditResult) -> list[dict[str, Any]]:
    """Claims paid to another recipient (claimTo, claimToSigned), per account: booked under
    the account, sent to the recipient."""
    return [
        {
            "asset": asset,
            "currency": addr(cur),
            "symbol": result.tokens.get(cur, ("?", 18))[0],
            "account": addr(account),
            "recipient": addr(recipient),
            "claims": r.claims,
            "amount": r.amount,
        }
        for (asset, cur, account, recipient), r in sorted(result.ledger.redirects.items())
        if _wanted(result, asset)
    ]


def sweep_rows(result: AuditResult) -> list[dict[str, Any]]:
    """Money sent to a contract by mistake and returned to the treasury."""
    return [
        {
            "contract": role,
            "address": addr(result.addresses[role]),
            "currency": addr(cur),
            "symbol": result.tokens.get(cur, ("?", 18))[0],
            "sweeps": s.sweeps,
            "amount": s.amount,
            "treasury": ", ".join(addr(t) for t in s.treasuries),
        }
        for (role, cur), s in sorted(result.ledger.sweeps.items())
    ]


def floor_rows(result: AuditResult) -> list[dict[str, Any]]:
    """Every asset's lineage floor (L3), rebuilt from the registrations: what a derivative
    must pass to it, and per parent edge the share, what the parent required and the DERIVE
    license used (0: the registrant owned the parent)."""
    rows = []
    for asset_id, a in sorted(result.ledger.assets.items()):
        if not _wanted(result, asset_id):
            continue
        edges = [
            {
                "parent": pid,
                "share_bps": share,
                "required_bps": a.required[i] if i < len(a.required) else 0,
                "license": a.licenses[i] if i < len(a.licenses) else 0,
            }
            for i, (pid, share, _up) in enumerate(a.parents)
        ]
        rows.append(
            {
                "asset": asset_id,
                "floor_bps": a.floor_bps,
                "upstream_bps": a.upstream_bps,
                "parents": edges,
            }
        )
    return rows


def derive_rows(result: AuditResult) -> list[dict[str, Any]]:
    """DERIVE licenses used up by registrations (one derivative each)."""
    return [
        {
            "license": u.license,
            "parent": u.parent,
            "derivative": u.child,
            "registrant": addr(u.registrant),
            "uses": u.uses,
            "tx": u.tx,
        }
        for u in sorted(result.ledger.derive_uses.values(), key=lambda u: u.license)
        if _wanted(result, u.parent, u.child)
    ]


def registration_data(result: AuditResult) -> dict[str, Any]:
    reg = result.registration
    commitments = result.ledger.commitments
    return {
        "min_commit_age": reg.min_commit_age if reg else None,
        "max_commit_age": reg.max_commit_age if reg else None,
        "commitments": sum(commitments.values()),
        "committers": len(commitments),
    }


def check_rows(result: AuditResult) -> list[dict[str, Any]]:
    return [
        {"check": t.name, "checked": t.checked, "failed": t.failed, "warnings": t.warned}
        for t in sorted(result.findings.tallies.values(), key=lambda t: t.name)
    ]


def finding_rows(result: AuditResult) -> list[dict[str, Any]]:
    rows = []
    for f in result.findings.items:
        row = f.as_dict()
        for key in ("account", "currency"):
            if row[key]:
                row[key] = addr(row[key])
        rows.append(row)
    return rows


def report_data(result: AuditResult) -> dict[str, Any]:
    failures = len(result.findings.failures)
    return {
        "ok": result.ok,
        "chain_id": result.chain_id,
        "block": result.block,
        "contracts": {role: addr(a) for role, a in result.addresses.items()},
        "assets_filter": sorted(result.assets) if result.assets is not None else None,
        "events": result.ledger.events,
        "summary": {
            "checks": sum(t.checked for t in result.findings.tallies.values()),
            "failures": failures,
            "warnings": len(result.findings.warnings),
        },
        "currencies": currency_rows(result),
        "pools": pool_rows(result),
        "accounts": account_rows(result),
        "flows": flow_rows(result),
        "channels": channel_rows(result),
        "operators": operator_rows(result),
        "licenses": license_rows(result),
        "registration": registration_data(result),
        "redirects": redirect_rows(result),
        "sweeps": sweep_rows(result),
        "floors": floor_rows(result),
        "derives": derive_rows(result),
        "checks": check_rows(result),
        "findings": finding_rows(result),
        "ingest": {
            "new_events": result.ingest.new_events,
            "ranges": result.ingest.ranges,
            "rewound_to": result.ingest.rewound_to,
            "rpc_calls": result.ingest.rpc_calls,
        },
    }


# -- files -----------------------------------------------------------------------------------


# Value fields (uint256 amounts, uint96 weights) go out as strings: a JavaScript number would
# round them. Ids and counters stay numbers.
_VALUE_KEYS = frozenset(
    "license_sales metered_usage direct_payments fees upstream_in upstream_out accrued claimed "
    "unclaimed pending_upstream weight total_weight entitled claimable amount to_contributors "
    "to_upstream deposited withdrawn settled price amount_settled paid_in fees_earned "
    "fees_withdrawn held excess_swept lost_to_token_fees expected found owed_by_meter to_asset "
    "service_share reserve withdrawal earned earnings reserves owed_to_assets "
    "operator_earnings meter_held".split()
)


def _jsonable(value: Any, key: str = "") -> Any:
    if isinstance(value, dict):
        return {k: _jsonable(v, k) for k, v in value.items()}
    if isinstance(value, list | tuple | set):
        items = sorted(value) if isinstance(value, set) else value
        return [_jsonable(v, key) for v in items]
    if key in _VALUE_KEYS and isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    return value


def _csv(rows: Iterable[dict[str, Any]], columns: list[str]) -> bytes:
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=columns, extrasaction="ignore", lineterminator="\n")
    writer.writeheader()
    for row in rows:
        writer.writerow({k: _cell(v) for k, v in row.items()})
    return buf.getvalue().encode()


def _cell(value: Any) -> Any:
    if isinstance(value, list | dict | set):
        return json.dumps(_jsonable(sorted(value) if isinstance(value, set) else value))
    return value


_CSV_FILES = {
    "pools": "pools",
    "accounts": "accounts",
    "flows": "flows",
    "channels": "channels",
    "operators": "operators",
    "licenses": "licenses",
    "redirects": "redirects",
    "sweeps": "sweeps",
    "floors": "floors",
    "derives": "derives",
    "currencies": "currencies",
    "checks": "checks",
    "findings": "findings",
}
_FINDING_COLUMNS = ["status", "check", "asset", "account", "currency", "expected", "found", "tx"]


def write_reports(result: AuditResult, out_dir: Path) -> dict[str, Path]:
    """audit.json, one CSV per table and report.html in `out_dir`; returns their paths."""
    from seedbed.workflows.audit.html import render_html

    out_dir.mkdir(parents=True, exist_ok=True)
    data = report_data(result)
    paths: dict[str, Path] = {}
    paths["json"] = out_dir / "audit.json"
    write_atomic(paths["json"], (json.dumps(_jsonable(data), indent=1) + "\n").encode())
    for key, name in _CSV_FILES.items():
        rows = data[key]
        if key == "findings":
            columns = [*_FINDING_COLUMNS, "message"]
        elif rows:
            columns = list(rows[0])
        else:
            columns = []
        path = out_dir / f"{name}.csv"
        write_atomic(path, _csv(rows, columns) if columns else b"")
        paths[f"csv_{name}"] = path
    paths["html"] = out_dir / "report.html"
    write_atomic(paths["html"], render_html(result, data).encode())
    return paths


# -- terminal --------------------------------------------------------------------------------


def failure_lines(result: AuditResult, limit: int | None = None) -> list[str]:
    """One line per failure and warning, for the terminal."""
    lines = []
    items = sorted(result.findings.items, key=lambda f: f.status)  # fail before warn
    for f in items[:limit] if limit else items:
        where = []
        if f.asset is not None:
            where.append(f"asset {f.asset}")
        if f.account:
            where.append(addr(f.account))
        if f.currency:
            where.append(result.tokens.get(f.currency, (addr(f.currency), 18))[0])
        values = ""
        if f.expected is not None and not (
            str(f.expected) in f.message and str(f.found) in f.message
        ):
            values = f" (expected {f.expected}, found {f.found})"
        prefix = "FAIL" if f.status == "fail" else "WARN"
        lines.append(f"{prefix} {f.check} [{', '.join(where) or 'global'}]: {f.message}{values}")
    return lines


def print_summary(result: AuditResult, console: Console) -> None:
    from rich.table import Table

    table = Table(
        title=f"Royalty ledger at block {result.block} (chain {result.chain_id})",
        caption="Rounded to 4 significant digits; audit.json and the CSV files are exact.",
    )
    for column in ("asset", "currency", "revenue", "fees", "upstream in", "upstream out"):
        table.add_column(column, justify="right", no_wrap=True)
    for column in ("accrued", "claimed", "unclaimed", "pending"):
        table.add_column(column, justify="right", no_wrap=True)
    for row in pool_rows(result)[:200]:
        cur = row["currency"].lower()
        revenue = row["license_sales"] + row["metered_usage"] + row["direct_payments"]
        table.add_row(
            str(row["asset"]),
            row["symbol"],
            *(
                rounded(result, cur, row[k] if k != "revenue" else revenue)
                for k in (
                    "revenue",
                    "fees",
                    "upstream_in",
                    "upstream_out",
                    "accrued",
                    "claimed",
                    "unclaimed",
                    "pending_upstream",
                )
            ),
        )
    console.print(table)
    operators = operator_rows(result)
    if operators:
        ops = Table(title="Gateway operators (service share of metered use)")
        for column in ("operator", "currency", "earned", "withdrawn", "earnings", "settlements"):
            ops.add_column(column, justify="left" if column == "operator" else "right")
        for row in operators[:200]:
            cur = row["currency"].lower()
            ops.add_row(
                row["operator"],
                row["symbol"],
                *(rounded(result, cur, row[k]) for k in ("earned", "withdrawn", "earnings")),
                str(row["settlements"]),
            )
        console.print(ops)
    redirects = redirect_rows(result)
    if redirects:
        moved = Table(title="Claims paid to another recipient (claimTo)")
        for column in ("asset", "account", "recipient", "currency", "claims", "amount"):
            moved.add_column(column, justify="right" if column in ("claims", "amount") else "left")
        for row in redirects[:200]:
            cur = row["currency"].lower()
            moved.add_row(
                str(row["asset"]),
                row["account"],
                row["recipient"],
                row["symbol"],
                str(row["claims"]),
                rounded(result, cur, row["amount"]),
            )
        console.print(moved)
    sweeps = sweep_rows(result)
    if sweeps:
        back = Table(title="Sent by mistake, returned to the treasury")
        for column in ("contract", "currency", "sweeps", "amount", "treasury"):
            back.add_column(column, justify="right" if column in ("sweeps", "amount") else "left")
        for row in sweeps:
            cur = row["currency"].lower()
            back.add_row(
                row["contract"],
                row["symbol"],
                str(row["sweeps"]),
                rounded(result, cur, row["amount"]),
                row["treasury"],
            )
        console.print(back)
    reg = registration_data(result)
    if reg["min_commit_age"] is not None:
        console.print(
            f"Registration: MIN_COMMIT_AGE {reg['min_commit_age']} s, MAX_COMMIT_AGE "
            f"{reg['max_commit_age']} s; {reg['commitments']} commitments by "
            f"{reg['committers']} accounts."
        )
    checks = Table(title="Checks")
    for column in ("check", "checked", "failed", "warnings"):
        checks.add_column(column, justify="left" if column == "check" else "right")
    for row in check_rows(result):
        style = "red" if row["failed"] else ("yellow" if row["warnings"] else "green")
        checks.add_row(
            row["check"], str(row["checked"]), str(row["failed"]), str(row["warnings"]), style=style
        )
    console.print(checks)
