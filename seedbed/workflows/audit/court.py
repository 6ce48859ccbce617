"""Disputes against the chain (docs/integrity.md §5, and §3 item 3).

- The court: `totalDeposits`, each account's `deposits`, each `dispute(id)` and `disputeCount`
  against what its events rebuilt; every bonded claim posted BOND (plus the ruling fee) and
  every contest exactly BOND. Its ETH balance against `totalDeposits` (short is a failure,
  more is stranded, with the amount) is checked with the other contracts' balances, in
  `checks.check_balances`.
- Holds: the vault's `hold` and the registry's `status` of every asset a dispute touched.
  The escrow itself (`vault.escrowed`) and D1 are in `checks.check_views`.
- Warnings: escrow still in the vault after its dispute ended (anyone may `release` it, and
  nobody can claim it until then), also while a later dispute holds the asset: escrow of an
  earlier hold round is the asset's own (the vault's `release`, or the next credit into the
  escrow, credits it to the asset's pool); a case at the arbiter past RULING_TIMEOUT (anyone may
  `lapse` it); an open claim past its answer period (anyone may `resolve` it).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Protocol

from seedbed.chain.chainread import selector
from seedbed.core.constants import ETH
from seedbed.workflows.audit.findings import Findings
from seedbed.workflows.audit.ledger import (
    AT_ARBITER,
    DUPLICATE,
    HOLD_ESCROW,
    HOLD_NONE,
    OPEN,
    PRIOR_COMMITMENT,
    STATE_NAMES,
    Dispute,
    Hold,
    Ledger,
)

ESCROW_LEFT = "escrow released after its dispute"
RULING_LATE = "rulings within RULING_TIMEOUT"
ANSWER_LATE = "open disputes resolved after their answer period"
DISPUTE_VIEW_WORDS = 12  # IAssetCourt.DisputeView: every field is one static word
STATUS_WORD = 11  # AssetView: owner, kind, contentRoot, …, floorBps, commitLag, status


class Reader(Protocol):
    """What the checks read with (ChainReader)."""

    def words(
        self, address: str, signature: str, arg_lists: Sequence[Sequence[Any]], index: int = 0
    ) -> list[int | None]: ...

    def call_many(self, calls: Sequence[tuple[str, bytes]]) -> list[bytes | None]: ...

    def balances(self, pairs: Sequence[tuple[str, str]]) -> list[int | None]: ...


@dataclass
class CourtInfo:
    """The court's parameters and book as read at the audit block (None: unreadable)."""

    address: str
    bond: int | None
    answer_period: int | None
    ruling_timeout: int | None
    total_deposits: int | None
    balance: int | None
    now: int | None  # the audit block's timestamp

    def deadline(self, d: Dispute) -> int | None:
        """When the dispute's current step runs out: the answer period of an open claim, the
        ruling timeout of a case at the arbiter; None when it ended or is unknown."""
        if d.state == OPEN and d.kind != PRIOR_COMMITMENT and self.answer_period is not None:
            return d.opened_at + self.answer_period
        if d.state == AT_ARBITER and self.ruling_timeout is not None:
            return d.at_arbiter_at + self.ruling_timeout
        return None

    def overdue(self, d: Dispute) -> bool:
        deadline = self.deadline(d)
        return deadline is not None and self.now is not None and self.now > deadline


def court_bond(reader: Reader, court: str) -> int:
    """AssetCourt.BOND(), 0 when the court does not answer (the bond rules are then not
    checked)."""
    return reader.words(court, "BOND()", [[]])[0] or 0


def _address(word: int) -> str:
    return "0x" + word.to_bytes(20, "big").hex()


def _struct(
    reader: Reader, address: str, signature: str, args: list[list[int]], n: int
) -> list[list[int] | None]:
    sel = selector(signature)
    out = reader.call_many(
        [(address, sel + b"".join(a.to_bytes(32, "big") for a in x)) for x in args]
    )
    return [
        None
        if r is None or len(r) < 32 * n
        else [int.from_bytes(r[32 * i : 32 * (i + 1)], "big") for i in range(n)]
        for r in out
    ]


def check_court(
    ledger: Ledger, reader: Reader, court: str, f: Findings, now: int | None
) -> CourtInfo:
    """The court's views against its rebuilt book. Never filtered by asset: the book is
    global."""
    one: list[list[Any]] = [[]]
    bond, answer, timeout, total, count = (
        reader.words(court, sig, one)[0]
        for sig in (
            "BOND()",
            "ANSWER_PERIOD()",
            "RULING_TIMEOUT()",
            "totalDeposits()",
            "disputeCount()",
        )
    )
    (balance,) = reader.balances([(court, ETH)])
    info = CourtInfo(court, bond, answer, timeout, total, balance, now)
    f.equal(
        "court.totalDeposits",
        ledger.court_book,
        total,
        f"court.totalDeposits() is {total} on chain but {ledger.court_book} rebuilt from "
        "events (deposits in, ruling fees the arbiter took, withdrawals).",
        account=court,
        currency=ETH,
    )
    f.equal(
        "court.disputeCount",
        len(ledger.disputes),
        count,
        f"court.disputeCount() is {count} on chain but {len(ledger.disputes)} disputes opened "
        "by the events.",
        account=court,
    )
    for role, wired in sorted(ledger.court_wired.items()):
        if role == "vault" and not ledger.p.vault_is_suite:
            continue  # another vault: whatever it wired is not this suite's court
        f.equal(
            "court wired",
            court,
            wired,
            f"The {role}'s CourtWired named {wired}, not the deployment's court {court}: its "
            "holds (or statuses) are set by a contract the audit does not read.",
            account=wired,
        )
    accounts = sorted(ledger.depositors)
    deposits = reader.words(court, "deposits(address)", [[a] for a in accounts])
    for account, found in zip(accounts, deposits, strict=True):
        expected = ledger.depositors[account].balance
        f.equal(
            "court.deposits",
            expected,
            found,
            f"court.deposits({account}) is {found} on chain but {expected} rebuilt from "
            "events (credited less withdrawn).",
            account=account,
            currency=ETH,
        )
    disputes = [ledger.disputes[i] for i in sorted(ledger.disputes)]
    views = _struct(
        reader, court, "dispute(uint256)", [[d.id] for d in disputes], DISPUTE_VIEW_WORDS
    )
    for d, view in zip(disputes, views, strict=True):
        _dispute_view(d, view, bond, f)
        _bonds_posted(d, bond, f)
    return info


def _dispute_view(d: Dispute, view: list[int] | None, bond: int | None, f: Findings) -> None:
    found: list[Any] | None = None
    if view is not None:
        found = [
            *view[:5],
            bool(view[5]),
            view[6],
            view[7],
            _address(view[8]),
            _address(view[9]),
            view[10],
            "0x" + view[11].to_bytes(32, "big").hex(),
        ]
    # The ruling fee paid at open stays in the dispute until the case goes to the arbiter
    # (or is answered or resolved): the deposit beyond the bond while open, else 0.
    fee: Any = 0
    if d.state == OPEN and d.kind != PRIOR_COMMITMENT:
        fee = d.deposit - bond if bond else (found[10] if found else None)
    expected = [
        d.asset,
        d.beneficiary,
        d.kind,
        d.state,
        d.reason,
        d.contested,
        d.opened_at,
        d.at_arbiter_at,
        d.claimant,
        d.defendant,
        fee,
        d.evidence,
    ]
    f.equal(
        "court.dispute",
        expected,
        found,
        f"court.dispute({d.id}) (asset, beneficiary, kind, state, reason, contested, "
        f"openedAt, atArbiterAt, claimant, defendant, fee, evidence) is {found} on chain but "
        f"{expected} rebuilt from events.",
        asset=d.asset,
        account=d.claimant,
    )


def _bonds_posted(d: Dispute, bond: int | None, f: Findings) -> None:
    """A bonded claim deposits BOND + the ruling fee; a contest exactly BOND; a prior
    commitment nothing."""
    if not bond:
        return
    problems = []
    if d.kind != PRIOR_COMMITMENT and d.deposit < bond:
        problems.append(f"the claimant deposited {d.deposit}, below the bond {bond}")
    if d.contested and d.answer_deposit != bond:
        problems.append(f"the contest deposited {d.answer_deposit}, not the bond {bond}")
    if problems:
        f.fail(
            "bonds posted",
            f"Dispute {d.id} of asset {d.asset}: " + "; ".join(problems) + ".",
            asset=d.asset,
            account=d.claimant,
            currency=ETH,
        )
    else:
        f.passed("bonds posted")


def check_holds(
    ledger: Ledger,
    reader: Reader,
    vault: str,
    registry: str,
    f: Findings,
    assets: set[int] | None,
) -> None:
    """The vault's hold and the registry's status of every asset a dispute or hold touched."""
    touched = set(ledger.holds) | {d.asset for d in ledger.disputes.values()}
    ids = sorted(a for a in touched if assets is None or a in assets)
    holds = _struct(reader, vault, "hold(uint256)", [[i] for i in ids], 2)
    statuses = reader.words(registry, "asset(uint256)", [[i] for i in ids], index=STATUS_WORD)
    for i, view, status in zip(ids, holds, statuses, strict=True):
        h = ledger.holds.get(i, Hold())
        f.equal(
            "vault.hold",
            [h.state, h.beneficiary],
            view,
            f"vault.hold({i}) (state, beneficiary) is {view} on chain but "
            f"{[h.state, h.beneficiary]} rebuilt from HoldChanged events.",
            asset=i,
        )
        a = ledger.assets.get(i)
        expected = a.status if a is not None else None
        f.equal(
            "registry.status",
            expected,
            status,
            f"registry.asset({i}).status is {status} on chain but {expected} rebuilt from "
            "StatusChanged events.",
            asset=i,
        )


def _date(timestamp: int) -> str:
    return datetime.fromtimestamp(timestamp, UTC).strftime("%Y-%m-%d %H:%M UTC")


def _span(seconds: int | None) -> str:
    if seconds and seconds % 86_400 == 0:
        return f"{seconds // 86_400} days"
    return f"{seconds} s"


def _held(ledger: Ledger, asset: int) -> str:
    amounts = [
        f"{e.held} of {c}" for (a, c), e in sorted(ledger.escrow.items()) if a == asset and e.held
    ]
    return " and ".join(amounts) if amounts else "nothing yet"


def check_overdue(
    ledger: Ledger, info: CourtInfo | None, f: Findings, assets: set[int] | None
) -> None:
    """Warnings: escrow nobody released after its dispute ended, a case the arbiter left
    past RULING_TIMEOUT, a claim nobody resolved after its answer period."""

    def wanted(asset: int) -> bool:
        return assets is None or asset in assets

    latest: dict[int, Dispute] = {}
    of_round: dict[tuple[int, int], Dispute] = {}  # (asset, hold round) -> its last dispute
    for d in sorted(ledger.disputes.values(), key=lambda d: d.id):
        latest[d.asset] = d
        of_round[d.asset, d.round] = d
    for (asset, cur), e in sorted(ledger.escrow.items()):
        if not wanted(asset) or e.held <= 0:
            continue
        h = ledger.holds.get(asset, Hold())
        earlier = e.round != h.round  # a dispute before the one holding the asset now
        if h.state == HOLD_ESCROW and not earlier:
            continue  # still disputed: held as it should be
        last = of_round.get((asset, e.round), latest.get(asset)) if earlier else latest.get(asset)
        ended = (
            f"dispute {last.id} ended {STATE_NAMES.get(last.state, last.state)}"
            if last is not None
            else "hold ended"
        )
        if earlier and h.state != HOLD_NONE:
            now = latest.get(asset)
            later = f"dispute {now.id}" if now is not None and now is not last else "a later hold"
            does = "holds the asset now" if h.state == HOLD_ESCROW else "took the asset down since"
            ended += f" and {later} {does}, which redirects only revenue from its own open on"
        if h.state == HOLD_NONE or earlier:
            where = "its own pool (its contributors and parents)"
        elif h.beneficiary:
            where = f"its beneficiary, asset {h.beneficiary}"
        else:
            where = "the fee book (no beneficiary)"
        f.warn(
            ESCROW_LEFT,
            f"Asset {asset}'s {ended}, but {e.held} of {cur} is still in its escrow: nobody "
            f"can claim it until someone calls release({asset}, {cur}), which credits it to "
            f"{where}"
            + (
                " (so does the next credit to the asset in that currency, before it escrows "
                "the new one)"
                if earlier and h.state == HOLD_ESCROW
                else ""
            )
            + ".",
            asset=asset,
            currency=cur,
            expected=0,
            found=e.held,
        )
    if info is None:
        return
    _late: dict[int, Callable[[Dispute, int], str]] = {
        AT_ARBITER: lambda d, at: (
            f"Dispute {d.id} of asset {d.asset} has been at the arbiter since "
            f"{_date(d.at_arbiter_at)} with no ruling, past RULING_TIMEOUT "
            f"({_span(info.ruling_timeout)}, until {_date(at)}): anyone may lapse({d.id}) it "
            "(bonds back, the asset listed and paid again); meanwhile its escrow holds "
            f"{_held(ledger, d.asset)}."
        ),
        OPEN: lambda d, at: (
            f"Dispute {d.id} of asset {d.asset} was opened {_date(d.opened_at)}, its answer "
            f"period ended {_date(at)} and nobody resolved it: anyone may resolve({d.id}) "
            + (
                "(upheld: the duplicate stands unanswered)"
                if d.kind == DUPLICATE
                else "(the case goes to the arbiter)"
            )
            + f"; meanwhile its escrow holds {_held(ledger, d.asset)}."
        ),
    }
    for d in sorted(ledger.disputes.values(), key=lambda d: d.id):
        deadline = info.deadline(d)
        if deadline is None or info.now is None or not wanted(d.asset):
            continue
        check = RULING_LATE if d.state == AT_ARBITER else ANSWER_LATE
        if info.now <= deadline:
            f.passed(check)
            continue
        f.warn(
            check,
            _late[d.state](d, deadline),
            asset=d.asset,
            account=d.claimant,
            expected=deadline,
            found=info.now,
        )
