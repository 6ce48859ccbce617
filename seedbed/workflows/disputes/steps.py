"""The steps after the open: a lineage answer, a contest, resolving, a panel vote, a lapse;
then releasing the escrow and withdrawing deposits. Each checks the dispute's state and
deadline first (one sentence saying what the dispute waits for), then simulates and sends."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from seedbed.chain.client import Suite, require_asset
from seedbed.core.errors import ChainError, InputError
from seedbed.workflows.disputes.facts import (
    AT_ARBITER,
    COMMAND,
    DUPLICATE,
    HOLD_ESCROW,
    HOLD_REDIRECTED,
    OPEN,
    STATE_NAMES,
    Dispute,
    checksum,
    court_of,
    escrow_currencies,
    lineage_path,
    now_of,
    read_dispute,
    require_state,
    same,
    send,
    until,
    walk,
    when,
)
from seedbed.workflows.royalties import Currency, currency_of


@dataclass(frozen=True)
class Step:
    """A step sent: the dispute as it stands after it, and the transaction."""

    dispute: Dispute
    tx: str
    arbiter: str = ""
    accepted: bool = True  # for a step that went to the arbiter: whether it took the case
    ruling_deadline: int = 0
    path: tuple[int, ...] = ()  # a lineage answer's parent indices
    assets: tuple[int, ...] = ()  # and the assets it walks, later first


def _open_and_answerable(suite: Suite, chain: Any, dispute_id: int, done: str) -> Dispute:
    d = read_dispute(suite, dispute_id)
    require_state(d, OPEN, done)
    court = court_of(suite)
    deadline = d.answer_deadline(court)
    if now_of(chain) > deadline:
        raise ChainError(
            f"The answer period of dispute {dispute_id} ended at {when(deadline)}: it can "
            f"only be resolved now (`{COMMAND} resolve --dispute {dispute_id}`)."
        )
    return d


def _after(suite: Suite, receipt: Any, dispute_id: int) -> Step:
    d = read_dispute(suite, dispute_id)
    court = court_of(suite)
    requested = receipt.events.filter(suite.court.RulingRequested)
    accepted = bool(requested[0].accepted) if requested else True
    deadline = d.ruling_deadline(court) if d.at_arbiter_at else 0
    return Step(d, str(receipt.txn_hash), court.arbiter, accepted, deadline)


def answer(suite: Suite, chain: Any, account: Any, dispute_id: int) -> Step:
    """Dismiss a duplicate claim with the lineage that makes the earlier asset an ancestor
    of the later one (anyone may send it; the claimant's bond goes to the owner)."""
    d = read_dispute(suite, dispute_id)
    if d.kind != DUPLICATE:
        raise InputError(
            f"Dispute {dispute_id} is a {d.kind_name} claim: only duplicate-content claims are "
            f"answered with a lineage (the owner may `{COMMAND} contest --dispute {dispute_id}`)."
        )
    d = _open_and_answerable(suite, chain, dispute_id, "answered")
    path = lineage_path(suite.registry, d.asset_id, d.beneficiary)
    if path is None:
        raise ChainError(
            f"Asset {d.asset_id} does not descend from asset {d.beneficiary} within 8 "
            "generations of parents: no lineage answers dispute "
            f"{dispute_id}; its owner may contest it (`{COMMAND} contest --dispute {dispute_id}`)."
        )
    assets = walk(suite.registry, d.asset_id, path)
    receipt = send(
        suite.court, "answerLineage", dispute_id, path, account=account, what="the answer"
    )
    step = _after(suite, receipt, dispute_id)
    return Step(step.dispute, step.tx, path=tuple(path), assets=tuple(assets))


def contest(suite: Suite, chain: Any, account: Any, dispute_id: int) -> Step:
    """The owner posts the bond; the case goes to the arbiter."""
    d = _open_and_answerable(suite, chain, dispute_id, "contested")
    owner = checksum(suite.registry.ownerOf(d.asset_id))
    if not same(owner, account.address):
        raise InputError(
            f"Only asset {d.asset_id}'s owner {owner} may contest dispute {dispute_id}, not "
            f"{checksum(account.address)}."
        )
    court = court_of(suite)
    receipt = send(
        suite.court, "contest", dispute_id, account=account, value=court.bond,
        what="the contest's bond",
    )  # fmt: skip
    return _after(suite, receipt, dispute_id)


def resolve(suite: Suite, chain: Any, account: Any, dispute_id: int) -> Step:
    """After the answer period of an uncontested claim: a duplicate claim against an asset
    without parents is upheld; one against an asset with parents, and a subjective one, go to
    the arbiter (never won by default)."""
    d = read_dispute(suite, dispute_id)
    require_state(d, OPEN, "resolved")
    deadline = d.answer_deadline(court_of(suite))
    now = now_of(chain)
    if now <= deadline:
        raise ChainError(
            f"The answer period of dispute {dispute_id} runs until {until(deadline, now)}: "
            "the owner may still answer, so it cannot be resolved yet."
        )
    receipt = send(suite.court, "resolve", dispute_id, account=account, what="resolving")
    return _after(suite, receipt, dispute_id)


def lapse(suite: Suite, chain: Any, account: Any, dispute_id: int) -> Step:
    """RULING_TIMEOUT after the case went to the arbiter with no ruling: everything returns."""
    d = read_dispute(suite, dispute_id)
    require_state(d, AT_ARBITER, "lapsed")
    deadline = d.ruling_deadline(court_of(suite))
    now = now_of(chain)
    if now <= deadline:
        raise ChainError(
            f"The arbiter has until {until(deadline, now)} to rule on dispute {dispute_id}: "
            "it lapses only after that."
        )
    receipt = send(suite.court, "lapse", dispute_id, account=account, what="the lapse")
    return _after(suite, receipt, dispute_id)


# -- the panel ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Vote:
    """A panel member's vote, and whether it reached the threshold (then it ruled)."""

    dispute: Dispute
    upheld: bool
    yes: int
    no: int
    threshold: int
    ruled: bool
    tx: str


def panel_of(project: Any, suite: Suite) -> Any:
    """The court's arbiter as a PanelArbiter, or one clear error if it is another arbiter."""
    address = court_of(suite).arbiter
    recorded = suite.record.get("contracts", {}).get("PanelArbiter", {}).get("address")
    panel = project.PanelArbiter.at(address)
    if recorded is None or not same(recorded, address):
        try:
            int(panel.THRESHOLD())
        except Exception:  # no such function there: another IArbiter
            raise InputError(
                f"The court's arbiter {address} is not a PanelArbiter: rule through that "
                "arbiter's own interface."
            ) from None
    return panel


def rule(
    project: Any, suite: Suite, chain: Any, account: Any, dispute_id: int, upheld: bool
) -> Vote:
    """A panel member's vote on a case at the arbiter; the vote that reaches the panel's
    threshold rules (through the court)."""
    d = read_dispute(suite, dispute_id)
    require_state(d, AT_ARBITER, "ruled on")
    panel = panel_of(project, suite)
    court = suite.court
    me = checksum(account.address)
    if not panel.isMember(me):
        members = ", ".join(checksum(m) for m in panel.members())
        raise InputError(f"{me} is not a member of the arbiter panel (its members: {members}).")
    case = panel.caseOf(court.address, dispute_id)
    if not case.open:
        deadline = d.ruling_deadline(court_of(suite))
        raise ChainError(
            f"The panel never took dispute {dispute_id} (it refused the ruling request): the "
            f"case can only lapse, after {when(deadline)}."
        )
    if panel.voted(_case_key(court.address, dispute_id), me):
        raise InputError(f"{me} has voted on dispute {dispute_id} already.")
    receipt = send(
        panel, "vote", court.address, dispute_id, upheld, account=account, what="the vote"
    )
    ruled = bool(receipt.events.filter(panel.Ruled))
    case = panel.caseOf(court.address, dispute_id)
    return Vote(
        read_dispute(suite, dispute_id), upheld, int(case.yes), int(case.no),
        int(panel.THRESHOLD()), ruled, str(receipt.txn_hash),
    )  # fmt: skip


def _case_key(court: str, dispute_id: int) -> bytes:
    """PanelArbiter's key: keccak(abi.encode(court, disputeId))."""
    from eth_abi import encode

    from seedbed.core.keccak import keccak

    return keccak(encode(["address", "uint256"], [checksum(court), dispute_id]))


# -- money ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Released:
    """One currency's escrow released: to the asset's own pool (split into contributors and
    pending upstream), or to its beneficiary asset, or (0) to the protocol's fee book."""

    currency: Currency
    amount: int
    to_asset: int | None  # None: the fee book
    to_contributors: int
    to_upstream: int


@dataclass
class Release:
    asset_id: int
    dispute_id: int
    redirected: bool  # the dispute was upheld: escrow goes to the beneficiary
    beneficiary: int
    released: list[Released] = field(default_factory=list)
    txs: list[str] = field(default_factory=list)


def release(
    suite: Suite, chain: Any, account: Any, asset_id: int, currencies: Sequence[str] = ()
) -> Release:
    """Release an asset's escrow once its dispute has ended, in every currency it holds
    (or those named); a re-run releases what is left, and nothing twice."""
    require_asset(suite, asset_id)
    dispute_id = int(suite.court.disputeOf(asset_id))
    if dispute_id == 0:
        raise InputError(f"Asset {asset_id} has never been disputed: it has no escrow.")
    vault = suite.vault
    state, beneficiary = (int(x) for x in vault.hold(asset_id))
    if state == HOLD_ESCROW:
        d = read_dispute(suite, dispute_id)
        raise ChainError(
            f"Asset {asset_id}'s dispute {dispute_id} is still {STATE_NAMES[d.state]}: its "
            f"escrow is released once the dispute ends (see `{COMMAND} show --dispute "
            f"{dispute_id}`)."
        )
    run = Release(asset_id, dispute_id, state == HOLD_REDIRECTED, beneficiary)
    named = [currency_of(chain, text) for text in currencies]
    todo = named or [currency_of(chain, a) for a in escrow_currencies(suite, chain, asset_id)]
    for currency in dict.fromkeys(todo):
        if int(vault.escrowed(asset_id, currency.address)) == 0:
            continue
        receipt = send(
            vault, "release", asset_id, currency.address, account=account, what="the release"
        )
        log = receipt.events.filter(vault.Released)[0]
        to_c, to_u, to = int(log.toContributors), int(log.toUpstream), asset_id
        if run.redirected:
            moved = receipt.events.filter(vault.Redirected)[0]
            to_c, to_u = int(moved.toContributors), int(moved.toUpstream)
            to = int(moved.to)
        run.released.append(Released(currency, int(log.amount), to or None, to_c, to_u))
        run.txs.append(str(receipt.txn_hash))
    return run


@dataclass(frozen=True)
class Withdrawn:
    account: str
    amount: int
    tx: str


def withdraw(suite: Suite, account: Any) -> Withdrawn:
    """Send the caller its deposits (bonds back or won, ruling fees unspent)."""
    me = checksum(account.address)
    amount = int(suite.court.deposits(me))
    if amount == 0:
        raise ChainError(f"Nothing to withdraw: {me} has no deposits in the court.")
    receipt = send(suite.court, "withdrawDeposits", account=account, what="the withdrawal")
    return Withdrawn(me, amount, str(receipt.txn_hash))
