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
from seedbed.core.constants import ETH
from seedbed.core.units import format_amount, round_amount
from seedbed.workflows.audit.checks import entitlements
from seedbed.workflows.audit.ledger import (
    HOLD_NAMES,
    KIND_NAMES,
    REASON_NAMES,
    STATE_NAMES,
    STATUS_NAMES,
    Books,
    Hold,
)

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
                # Disputes: credits held aside or sent on, and escrow credited back.
                "diverted": p.diverted,
                "in_escrow": result.ledger.escrow[asset, cur].held
                if (asset, cur) in result.ledger.escrow
                else 0,
                "released": p.released,
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
    escrow: dict[str, int] = {}
    for (_asset, c), e in result.ledger.escrow.items():
        escrow[c] = escrow.get(c, 0) + e.held
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
                "in_escrow": escrow.get(cur, 0),
                "forfeited": b.forfeited,
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


def dispute_rows(result: AuditResult) -> list[dict[str, Any]]:
    """Every dispute of the court: who claimed what against which asset, its state, the
    bonds each side posted and where they went, and the deadline of its current step."""
    court = result.court
    rows = []
    for d in sorted(result.ledger.disputes.values(), key=lambda d: d.id):
        if not _wanted(result, d.asset, d.beneficiary):
            continue
        deadline = court.deadline(d) if court is not None else None
        rows.append(
            {
                "dispute": d.id,
                "asset": d.asset,
                "kind": KIND_NAMES.get(d.kind, str(d.kind)),
                "reason": REASON_NAMES.get(d.reason, ""),
                "state": STATE_NAMES.get(d.state, str(d.state)),
                "claimant": addr(d.claimant),
                "defendant": addr(d.defendant) if int(d.defendant, 16) else "",
                "beneficiary": d.beneficiary,  # an asset id; 0: the fee book
                "claimant_deposit": d.deposit,
                "defendant_deposit": d.answer_deposit,
                "ruling_fee": d.fee_spent,
                "credited": {addr(a): v for a, v in sorted(d.credited.items()) if v},
                "live": d.live,
                "opened_at": d.opened_at,
                "at_arbiter_at": d.at_arbiter_at,
                "resolved_at": d.resolved_at,
                "superseded_by": d.superseded_by,  # the prior-commitment claim that took over
                "deadline": deadline or 0,
                "overdue": court.overdue(d) if court is not None else False,
                "evidence": d.evidence,
                "tx": d.tx,
            }
        )
    return rows


def escrow_rows(result: AuditResult) -> list[dict[str, Any]]:
    """Per disputed (or beneficiary) asset and currency: what its hold kept in escrow and
    still holds, what was released back to it, what was redirected to whom, and what was
    forfeited to the fee book; and what it received as a beneficiary."""
    ledger = result.ledger
    keys = set(ledger.escrow)
    for source, to, cur in ledger.diversions:
        keys |= {(source, cur), *([(to, cur)] if to else [])}
    latest: dict[int, int] = {}
    for d in ledger.disputes.values():
        latest[d.asset] = max(latest.get(d.asset, 0), d.id)
    rows = []
    for asset, cur in sorted(keys):
        if not _wanted(result, asset):
            continue
        e = ledger.escrow.get((asset, cur))
        out = [
            (to, d)
            for (source, to, c), d in sorted(ledger.diversions.items())
            if source == asset and c == cur
        ]
        into = sum(
            d.amount for (_s, to, c), d in ledger.diversions.items() if to == asset and c == cur
        )
        h = ledger.holds.get(asset, Hold())
        a = ledger.assets.get(asset)
        rows.append(
            {
                "asset": asset,
                "currency": addr(cur),
                "symbol": result.tokens.get(cur, ("?", 18))[0],
                "dispute": latest.get(asset, 0),
                "status": STATUS_NAMES.get(a.status, str(a.status)) if a is not None else "",
                "hold": HOLD_NAMES.get(h.state, str(h.state)),
                "beneficiary": h.beneficiary,
                "escrowed": e.escrowed if e else 0,
                "held": e.held if e else 0,
                # The hold round that filled the escrow, and the asset's now: escrow of an
                # earlier round is the asset's own, whatever the hold (release credits it to
                # its own pool).
                "round": e.round if e else 0,
                "hold_round": h.round,
                "earlier_round": bool(e and e.held and e.round != h.round),
                "released": e.released if e else 0,
                "redirected": sum(d.amount for to, d in out if to),
                "redirected_to": [
                    {
                        "asset": to,
                        "amount": d.amount,
                        "to_contributors": d.to_contributors,
                        "to_upstream": d.to_upstream,
                        "from_escrow": d.from_escrow,
                    }
                    for to, d in out
                    if to
                ],
                "forfeited": sum(d.amount for to, d in out if not to),
                "received": into,
            }
        )
    return rows


def court_data(result: AuditResult) -> dict[str, Any] | None:
    """The court's book: totalDeposits = live bonds and fees + withdrawable deposits, against
    its ETH balance; and each account's deposits."""
    court = result.court
    if court is None:
        return None
    ledger = result.ledger
    withdrawable = sum(d.balance for d in ledger.depositors.values())
    book = ledger.court_book
    return {
        "address": addr(court.address),
        "bond": court.bond,
        "answer_period": court.answer_period,
        "ruling_timeout": court.ruling_timeout,
        "disputes": len(ledger.disputes),
        "book": book,
        "live": book - withdrawable,
        "withdrawable": withdrawable,
        "fees_spent": ledger.court_totals.get("fees_spent", 0),
        "withdrawn": ledger.court_totals.get("withdrawn", 0),
        "balance": court.balance,
        "excess": None if court.balance is None else court.balance - book,
        "depositors": [
            {
                "account": addr(account),
                "credited": d.credited,
                "withdrawn": d.withdrawn,
                "withdrawable": d.balance,
            }
            for account, d in sorted(ledger.depositors.items())
        ],
    }


def seal_rows(result: AuditResult) -> list[dict[str, Any]]:
    """Every sealed asset: its roots, who sealed it, and how many keys went to how many
    holders."""
    ledger = result.ledger
    rows = []
    for asset_id, s in sorted(ledger.seals.items()):
        if not _wanted(result, asset_id):
            continue
        grants = [g for g in ledger.key_grants.values() if g.asset == asset_id]
        asset = ledger.assets.get(asset_id)
        services = sorted(
            granter
            for (a, owner, granter), g in ledger.granters.items()
            if a == asset_id and g.allowed and asset is not None and owner == asset.owner
        )
        rows.append(
            {
                "asset": asset_id,
                "seal_root": s.seal_root,
                "key_check": s.key_check,
                "sealer": addr(s.sealer),
                "sealed_at": s.sealed_at,
                "key_services": [addr(g) for g in services],
                "grants": len(grants),
                "holders": len({g.holder for g in grants}),
                "tx": s.tx,
            }
        )
    return rows


def grant_rows(result: AuditResult) -> list[dict[str, Any]]:
    """Every key grant in chain order: who received the key of which asset under which
    license, from whom (the owner or one of its key services), and whether the recipient
    still holds the license."""
    ledger = result.ledger
    rows = []
    for n, g in sorted(ledger.key_grants.items()):
        if not _wanted(result, g.asset):
            continue
        lic = ledger.licenses.get(g.license)
        rows.append(
            {
                "grant": n,
                "license": g.license,
                "asset": g.asset,
                "holder": addr(g.holder),
                "granter": addr(g.granter),
                "by_owner": g.by_owner,
                "granted_at": g.granted_at,
                "still_holds": lic is not None and lic.holder == g.holder,
                "expires_at": lic.expires_at if lic is not None else 0,
                "wrapped_size": g.wrapped_size,
                "wrapped_hash": g.wrapped_hash,
                "tx": g.tx,
            }
        )
    return rows


def campaign_rows(result: AuditResult) -> list[dict[str, Any]]:
    """Every labeling campaign: its pool, what its claims paid, what went back, its bonds."""
    from seedbed.workflows.audit.campaigns import STATUS_NAMES

    rows = []
    for cid, c in sorted(result.ledger.campaigns.items()):
        rows.append(
            {
                "campaign": cid,
                "status": STATUS_NAMES.get(c.status, str(c.status)),
                "requester": addr(c.requester),
                "operator": addr(c.operator),
                "currency": addr(c.currency),
                "symbol": result.tokens.get(c.currency, ("?", 18))[0],
                "pool": c.pool,
                "claimed": c.claimed,
                "claims": c.claims,
                "refund": c.refund,
                "unclaimed": c.pool - c.claimed - c.refund,
                "result_root": c.result_root,
                "total_weight": c.total_weight,
                "bond": c.bond_held,
                "bond_returned": c.bond_returned,
                "slashed": c.slashed,
                "posts": c.posts,
                "disputes": c.disputes,
                "claims_open": c.opens_at,
                "claims_end": c.opens_at + c.claim_window if c.opens_at else 0,
                "tx": c.tx,
            }
        )
    return rows


def campaign_claim_rows(result: AuditResult) -> list[dict[str, Any]]:
    """Every annotator's or reviewer's bounty: campaign, account, weight, amount, paid to."""
    out = []
    for (cid, account), k in sorted(result.ledger.campaign_claims.items()):
        c = result.ledger.campaigns.get(cid)
        out.append(
            {
                "campaign": cid,
                "account": addr(account),
                "weight": k.weight,
                "amount": k.amount,
                "currency": addr(c.currency) if c else "",
                "to": addr(k.to),
                "claimed_at": k.claimed_at,
                "tx": k.tx,
            }
        )
    return out


def private_data(result: AuditResult) -> dict[str, Any] | None:
    """The contract, its seals and its key grants (None: no PrivateData audited)."""
    address = result.addresses.get("private")
    if address is None:
        return None
    seals, grants = seal_rows(result), grant_rows(result)
    return {
        "address": addr(address),
        "sealed": len(seals),
        "grants": len(grants),
        "recipients": len({g["holder"] for g in grants}),
    }


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
        "court": court_data(result),
        "disputes": dispute_rows(result),
        "escrow": escrow_rows(result),
        "private": private_data(result),
        "seals": seal_rows(result),
        "key_grants": grant_rows(result),
        "campaigns": campaign_rows(result),
        "campaign_claims": campaign_claim_rows(result),
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
    "operator_earnings meter_held diverted in_escrow released forfeited claimant_deposit "
    "defendant_deposit ruling_fee live escrowed redirected received book withdrawable "
    "fees_spent balance excess bond credited from_escrow pool refund bond_returned "
    "slashed".split()
)


def _jsonable(value: Any, key: str = "") -> Any:
    if isinstance(value, dict):
        if key in _VALUE_KEYS:  # account -> amount (a dispute's credited deposits)
            return {k: _jsonable(v, key) for k, v in value.items()}
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
    "disputes": "disputes",
    "escrow": "escrow",
    "seals": "seals",
    "key_grants": "key_grants",
    "campaigns": "campaigns",
    "campaign_claims": "campaign_claims",
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
    _print_disputes(result, console)
    _print_key_grants(result, console)
    _print_campaigns(result, console)
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


def _print_key_grants(result: AuditResult, console: Console) -> None:
    """Who received which asset's dataset key (the listing is whole in audit.json)."""
    from rich.table import Table

    grants = grant_rows(result)
    if not grants:
        return
    table = Table(title="Dataset keys granted (PrivateData)")
    for column in ("asset", "license", "key to", "granted by", "still holds"):
        table.add_column(column, justify="right" if column in ("asset", "license") else "left")
    for row in grants[:200]:
        table.add_row(
            str(row["asset"]),
            str(row["license"]),
            row["holder"],
            ("owner " if row["by_owner"] else "key service ") + row["granter"],
            "yes" if row["still_holds"] else "no",
        )
    console.print(table)


def _print_campaigns(result: AuditResult, console: Console) -> None:
    """Each campaign's pool = claims + refund (+ what is still to claim)."""
    from rich.table import Table

    rows = campaign_rows(result)
    if not rows:
        return
    table = Table(title="Labeling campaigns (LabelCampaigns)")
    for column in ("id", "status", "pool", "claims", "claimed", "refunded", "unclaimed"):
        table.add_column(column, justify="left" if column == "status" else "right")
    for r in rows[:200]:
        cur = r["currency"].lower()
        table.add_row(
            str(r["campaign"]),
            r["status"],
            rounded(result, cur, r["pool"]),
            str(r["claims"]),
            *(rounded(result, cur, r[k]) for k in ("claimed", "refund", "unclaimed")),
        )
    console.print(table)


def _print_disputes(result: AuditResult, console: Console) -> None:
    from rich.table import Table

    disputes = dispute_rows(result)
    court = court_data(result)
    if court is None or not (disputes or court["book"] or court["balance"]):
        return
    table = Table(title="Disputes")
    for column in ("id", "asset", "kind", "state", "claimant", "beneficiary", "bonds"):
        table.add_column(column, justify="right" if column in ("id", "asset") else "left")
    for row in disputes[:200]:
        bonds = rounded(result, ETH, row["claimant_deposit"])
        if row["defendant_deposit"]:
            bonds += " + " + rounded(result, ETH, row["defendant_deposit"])
        table.add_row(
            str(row["dispute"]),
            str(row["asset"]),
            row["kind"],
            row["state"]
            + (" (overdue)" if row["overdue"] else "")
            + (f" (taken over by #{row['superseded_by']})" if row["superseded_by"] else ""),
            row["claimant"],
            f"asset {row['beneficiary']}" if row["beneficiary"] else "fee book",
            bonds,
        )
    console.print(table)
    escrow = escrow_rows(result)
    if escrow:
        held = Table(title="Disputed revenue")
        for column in ("asset", "currency", "hold", "in escrow", "released", "redirected"):
            held.add_column(column, justify="left" if column in ("currency", "hold") else "right")
        held.add_column("forfeited", justify="right")
        for row in escrow[:200]:
            cur = row["currency"].lower()
            held.add_row(
                str(row["asset"]),
                row["symbol"],
                row["hold"],
                *(rounded(result, cur, row[k]) for k in ("held", "released", "redirected")),
                rounded(result, cur, row["forfeited"]),
            )
        console.print(held)
    balance = court["balance"]
    console.print(
        f"Court: book (totalDeposits) {rounded(result, ETH, court['book'])} = live "
        f"{rounded(result, ETH, court['live'])} + withdrawable "
        f"{rounded(result, ETH, court['withdrawable'])}; balance "
        + ("unreadable" if balance is None else rounded(result, ETH, balance))
        + "."
    )
