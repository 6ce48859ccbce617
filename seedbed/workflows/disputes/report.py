"""`ape run dispute show`: a dispute's state, kind, parties, deadlines, bonds and escrow,
and what the next step is and who may take it; or an asset's dispute and hold; or every
dispute of the court. Reads only."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from seedbed.chain.client import Suite, require_asset
from seedbed.workflows.disputes.facts import (
    AT_ARBITER,
    COMMAND,
    DISMISSED,
    DUPLICATE,
    HOLD_ESCROW,
    HOLD_REDIRECTED,
    LAPSED,
    OPEN,
    PRIOR,
    SUBJECTIVE,
    UPHELD,
    Court,
    Dispute,
    Escrow,
    checksum,
    court_of,
    escrow_of,
    eth,
    left,
    lineage_path,
    now_of,
    read_dispute,
    until,
    walk,
    when,
)

OVERVIEW_LIMIT = 100  # disputes the court's overview reads, the latest first
STATUS_TEXT = {0: "listed as usual", 1: "disputed", 2: "taken down"}


@dataclass(frozen=True)
class NextStep:
    """`who` may do `what` (with `ape run dispute <command>`), by the time `by` (an owner's or
    the arbiter's step) or after the time `after` (anyone's next step); 0: now."""

    who: str
    what: str
    command: str = ""
    by: int = 0
    after: int = 0


@dataclass
class DisputeReport:
    dispute: Dispute
    court: Court
    now: int
    owner: str  # the disputed asset's owner now
    status: int  # the asset's registry status
    hold: tuple[int, int]  # the vault's (state, beneficiary)
    escrow: list[Escrow]
    deadline: int  # the answer or ruling deadline running now (0 once over)
    lineage: tuple[int, ...] = ()  # assets of a lineage that answers an open duplicate claim
    accepted: bool | None = None  # whether the arbiter took the case
    votes: tuple[int, int, int] | None = None  # a panel's (yes, no, threshold)
    deposits: dict[str, int] = field(default_factory=dict)  # withdrawable, per party address
    bonds: list[str] = field(default_factory=list)
    steps: list[NextStep] = field(default_factory=list)


@dataclass
class AssetReport:
    asset_id: int
    owner: str
    status: int
    hold: tuple[int, int]
    escrow: list[Escrow]
    dispute: DisputeReport | None


@dataclass
class Overview:
    court: Court
    disputes: list[Dispute]  # the latest OVERVIEW_LIMIT
    account: str | None
    deposits: int
    earlier: int = 0  # disputes before those, not read


def show(
    suite: Suite,
    chain: Any,
    *,
    dispute_id: int | None = None,
    asset_id: int | None = None,
    account: str | None = None,
    project: Any = None,
) -> DisputeReport | AssetReport | Overview:
    if dispute_id is not None:
        return report(suite, chain, dispute_id, project)
    if asset_id is not None:
        require_asset(suite, asset_id)
        view = suite.registry.asset(asset_id)
        latest = int(suite.court.disputeOf(asset_id))
        state, beneficiary = (int(x) for x in suite.vault.hold(asset_id))
        return AssetReport(
            asset_id, checksum(view.owner), int(view.status), (state, beneficiary),
            escrow_of(suite, chain, asset_id),
            report(suite, chain, latest, project) if latest else None,
        )  # fmt: skip
    court = court_of(suite)
    first = max(1, court.disputes - OVERVIEW_LIMIT + 1)
    disputes = [read_dispute(suite, i) for i in range(first, court.disputes + 1)]
    me = checksum(account) if account else None
    return Overview(court, disputes, me, int(suite.court.deposits(me)) if me else 0, first - 1)


def report(suite: Suite, chain: Any, dispute_id: int, project: Any = None) -> DisputeReport:
    d = read_dispute(suite, dispute_id)
    court = court_of(suite)
    view = suite.registry.asset(d.asset_id)
    state, beneficiary = (int(x) for x in suite.vault.hold(d.asset_id))
    r = DisputeReport(
        dispute=d, court=court, now=now_of(chain), owner=checksum(view.owner),
        status=int(view.status), hold=(state, beneficiary),
        escrow=escrow_of(suite, chain, d.asset_id), deadline=0,
    )  # fmt: skip
    if d.state == OPEN:
        r.deadline = d.answer_deadline(court)
        if d.kind == DUPLICATE:
            path = lineage_path(suite.registry, d.asset_id, d.beneficiary)
            r.lineage = tuple(walk(suite.registry, d.asset_id, path)) if path else ()
    elif d.state == AT_ARBITER:
        r.deadline = d.ruling_deadline(court)
        r.accepted = _accepted(suite, chain, dispute_id)
        r.votes = _votes(project, suite, court, dispute_id)
    parties = [d.claimant] + ([d.defendant] if int(d.defendant, 16) else [])
    r.deposits = {p: int(suite.court.deposits(p)) for p in dict.fromkeys(parties)}
    r.bonds = bond_lines(d, court)
    r.steps = next_steps(r)
    return r


def _accepted(suite: Suite, chain: Any, dispute_id: int) -> bool | None:
    start = int(suite.record.get("block", 0) or 0)
    logs = list(
        suite.court.RulingRequested.range(
            start, int(chain.blocks.height) + 1, search_topics={"disputeId": dispute_id}
        )
    )
    return bool(logs[-1].accepted) if logs else None


def _votes(
    project: Any, suite: Suite, court: Court, dispute_id: int
) -> tuple[int, int, int] | None:
    """A PanelArbiter's tally of the case, when the arbiter is one (None otherwise)."""
    if project is None:
        return None
    try:
        panel = project.PanelArbiter.at(court.arbiter)
        case = panel.caseOf(court.address, dispute_id)
        return int(case.yes), int(case.no), int(panel.THRESHOLD())
    except Exception:  # another kind of arbiter: no tally to show
        return None


def bond_lines(d: Dispute, court: Court) -> list[str]:
    """Where each bond (and the ruling fee) is, for the dispute's state."""
    bond, fee = eth(court.bond), eth(d.fee)
    theirs, mine = "claimant's bond", "defendant's bond"
    if d.kind == PRIOR:
        return ["bonds: none (a prior-commitment claim cannot be false)"]
    if d.state == OPEN:
        return [f"{theirs}: {bond} and the ruling fee {fee}, held by the court"]
    ruled = d.at_arbiter_at != 0
    if d.state == AT_ARBITER:
        held = f"{mine}: {bond}, held by the court" if d.contested else f"{mine}: none"
        return [f"{theirs}: {bond}, held by the court", held]
    if d.state == UPHELD and not ruled:
        return [f"{theirs}: {bond} and the ruling fee back (the evidence stood unanswered)"]
    if d.state == DISMISSED and not ruled:
        return [f"{theirs}: {bond} to the defendant (a lineage answered it); the fee back"]
    contested = {
        UPHELD: f"{mine}: {bond} to the claimant",
        DISMISSED: f"{mine}: {bond} back",
        LAPSED: f"{mine}: {bond} back",
    }
    first = {
        UPHELD: f"{theirs}: {bond} back",
        DISMISSED: f"{theirs}: {bond} to the defendant",
        LAPSED: f"{theirs}: {bond} back",
    }
    if d.state not in first:
        return []
    return [first[d.state]] + ([contested[d.state]] if d.contested else [])


def next_steps(r: DisputeReport) -> list[NextStep]:
    """Who may do what now (or from when), with the command that does it."""
    d, court, now = r.dispute, r.court, r.now
    arg = f"--dispute {d.dispute_id}"
    out: list[NextStep] = []
    if d.state == OPEN:
        running = now <= r.deadline
        after = r.deadline if running else 0
        if running and r.lineage:
            path = " -> ".join(map(str, r.lineage))
            out.append(NextStep("anyone", f"dismiss it with the lineage {path}", f"answer {arg}"))
        if running:
            what = f"contest it with {eth(court.bond)} (to the arbiter)"
            out.append(NextStep(f"the owner {r.owner}", what, f"contest {arg}", r.deadline))
        then = (
            "uphold it (unanswered; an asset with parents goes to the arbiter instead)"
            if d.kind == DUPLICATE
            else "send it to the arbiter"
        )
        out.append(NextStep("anyone", then, f"resolve {arg}", after=after))
    elif d.state == AT_ARBITER:
        running = now <= r.deadline
        if running and r.accepted is not False:
            tally = ""
            if r.votes:
                yes, no, need = r.votes
                tally = f" ({yes} for upheld, {no} for dismissed, {need} needed)"
            vote = f"rule {arg} --upheld|--dismissed" if r.votes else ""
            out.append(NextStep(f"the arbiter {court.arbiter}", f"rule{tally}", vote, r.deadline))
        out.append(
            NextStep("anyone", "lapse it", f"lapse {arg}", after=r.deadline if running else 0)
        )
    else:
        if r.escrow:
            where = _release_target(r)
            command = f"release --asset {d.asset_id}"
            out.append(NextStep("anyone", f"release the escrow to {where}", command))
        for who, amount in r.deposits.items():
            if amount:
                out.append(NextStep(who, f"withdraw {eth(amount)} of deposits", "withdraw"))
    return out


def _release_target(r: DisputeReport) -> str:
    state, beneficiary = r.hold
    if state == HOLD_REDIRECTED:
        return f"asset {beneficiary}" if beneficiary else "the protocol's fee book"
    return f"asset {r.dispute.asset_id}'s own pool"


# -- lines for people ---------------------------------------------------------------------------


def dispute_lines(r: DisputeReport) -> list[str]:
    d, court, now = r.dispute, r.court, r.now
    against = f"against asset {d.asset_id}"
    if d.kind == DUPLICATE:
        against += f" (copied from asset {d.beneficiary})"
    lines = [f"dispute {d.dispute_id}: {d.kind_name}, {against}, {d.state_name}"]
    lines.append(
        f"  asset {d.asset_id}: {STATUS_TEXT.get(r.status, str(r.status))}, owner {r.owner}; "
        f"revenue hold: {_hold_text(r.hold)}"
    )
    lines.append(f"  claimant: {d.claimant}")
    if int(d.defendant, 16):
        lines.append(f"  defendant: {d.defendant}{' (contested)' if d.contested else ''}")
    gets = f"asset {d.beneficiary}" if d.beneficiary else "the protocol's fee book"
    lines.append(f"  beneficiary if upheld: {gets}")
    label = {DUPLICATE: "shared file sha256", PRIOR: "commitment", SUBJECTIVE: "evidence"}
    lines.append(f"  {label.get(d.kind, 'evidence')}: 0x{d.evidence.hex()}")
    lines.append(f"  opened: {when(d.opened_at)}")
    if d.state == OPEN:
        lines.append(f"  answer period ends: {until(r.deadline, now)}")
    if d.at_arbiter_at:
        lines.append(f"  at the arbiter {court.arbiter} since {when(d.at_arbiter_at)}")
    if d.state == AT_ARBITER:
        lines.append(f"  ruling due by: {until(r.deadline, now)}")
        if r.accepted is False:
            lines.append("  the arbiter refused the case (the fee went back): it can only lapse")
    for line in r.bonds:
        lines.append(f"  {line}")
    lines += escrow_lines(r.escrow)
    for who, amount in r.deposits.items():
        if amount:
            lines.append(f"  withdrawable by {who}: {eth(amount)}")
    for step in r.steps:
        lines.append("  next: " + step_text(step))
    if not r.steps:
        lines.append("  next: nothing, the dispute is over")
    return lines


def step_text(step: NextStep) -> str:
    when_ = f" by {when(step.by)}" if step.by else ""
    if step.after:
        when_ = f" after {when(step.after)}"
    command = f": `{COMMAND} {step.command}`" if step.command else ""
    return f"{step.who} may {step.what}{when_}{command}"


def _hold_text(hold: tuple[int, int]) -> str:
    state, beneficiary = hold
    if state == HOLD_REDIRECTED:
        to = f"asset {beneficiary}" if beneficiary else "the protocol's fee book"
        return f"redirected to {to}"
    return "every credit goes to escrow" if state == HOLD_ESCROW else "none"


def escrow_lines(escrow: list[Escrow]) -> list[str]:
    if not escrow:
        return ["  escrow: none"]
    return [f"  escrow: {e.currency.format(e.amount)}" for e in escrow]


def asset_lines(r: AssetReport) -> list[str]:
    lines = [
        f"asset {r.asset_id}: {STATUS_TEXT.get(r.status, str(r.status))}, owner {r.owner}; "
        f"revenue hold: {_hold_text(r.hold)}"
    ]
    if r.dispute is None:
        lines.append("  never disputed")
        return lines + escrow_lines(r.escrow)
    return dispute_lines(r.dispute)


def overview_lines(o: Overview) -> list[str]:
    c = o.court
    lines = [
        f"court {c.address}: bond {eth(c.bond)}, ruling fee {eth(c.fee)}, arbiter {c.arbiter}",
        f"  answer period {_span(c.answer_period)}, ruling timeout {_span(c.ruling_timeout)}, "
        f"shared files from {c.min_duplicate_size} bytes",
    ]
    if not o.disputes:
        lines.append("  no disputes yet")
    if o.earlier:
        lines.append(f"  ({o.earlier} earlier disputes not shown: name one with --dispute ID)")
    for d in o.disputes:
        lines.append(
            f"  dispute {d.dispute_id}: {d.kind_name} against asset {d.asset_id}, "
            f"{d.state_name}, opened {when(d.opened_at)} by {d.claimant}"
        )
    if o.account:
        lines.append(f"  withdrawable by {o.account}: {eth(o.deposits)}")
    return lines


def _span(seconds: int) -> str:
    return left(seconds) if seconds else "0s"
