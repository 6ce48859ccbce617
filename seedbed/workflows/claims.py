"""Moving revenue: paying an asset, flowing pending upstream to the parents, and claiming a
contributor's share (with the flows that raise it sent first). What `ape run pay`, `flow`,
`claim` and the API do; every transaction is simulated before it is sent."""

from __future__ import annotations

import functools
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from seedbed.chain.client import Suite, require_asset
from seedbed.chain.reverts import simulate
from seedbed.core.errors import ChainError, InputError
from seedbed.workflows.royalties import (
    ClaimLine,
    Currency,
    cascade,
    claim_request,
    currency_of,
    ensure_allowance,
    flows_to_send,
    positions,
    proof_args,
    require_balance,
    require_parents,
    send_claims,
)


@dataclass(frozen=True)
class Paid:
    asset_id: int
    currency: Currency
    sent: int
    arrived: int
    to_contributors: int
    to_upstream: int
    fee: int
    tx: str


@dataclass(frozen=True)
class Flowed:
    child: int
    parent: int
    currency: Currency
    amount: int
    to_contributors: int
    to_upstream: int


@dataclass
class ClaimRun:
    account: str
    lines: list[ClaimLine]
    flows: list[Flowed] = field(default_factory=list)
    claimed: list[tuple[int, Currency, int]] = field(default_factory=list)
    failed: list[tuple[int, Currency, int]] = field(default_factory=list)


def pay(
    suite: Suite,
    chain: Any,
    account: Any,
    asset_id: int,
    amount: str,
    *,
    token: str | None = None,
    approve: bool = False,
    say: Callable[[str], None] = lambda _: None,
) -> Paid:
    """Pay `amount` into `asset_id`'s pool; the vault splits it at once."""
    vault = suite.vault
    require_asset(suite, asset_id)
    currency = currency_of(chain, token)
    value = currency.parse(amount)
    if value == 0:
        raise InputError("The amount must be more than zero.")
    require_balance(
        currency,
        account,
        value,
        "Insufficient balance: {who} has {has}, the payment needs {needed}.",
    )
    ensure_allowance(currency, account, vault.address, "vault", value, approve, say)
    eth = value if currency.is_eth else 0
    simulate(vault, "pay", asset_id, currency.address, value, sender=account.address, value=eth)
    receipt = vault.pay(asset_id, currency.address, value, value=eth, sender=account)
    log = receipt.events.filter(vault.Paid)[0]
    return Paid(
        asset_id, currency, value, int(log.amount), int(log.toContributors),
        int(log.toUpstream), int(log.fee), str(receipt.txn_hash),
    )  # fmt: skip


def _flowed(log: Any, currency: Currency) -> Flowed:
    return Flowed(
        int(log.childId), int(log.parentId), currency, int(log.amount),
        int(log.toContributors), int(log.toUpstream),
    )  # fmt: skip


def _record_flow(into: list[Flowed], currency: Currency, log: Any) -> None:
    into.append(_flowed(log, currency))


def pay_owed(
    suite: Suite, account: Any, pairs: Sequence[tuple[int, str]]
) -> list[tuple[int, str, int]]:
    """Push what metered settlements owe these (asset, currency) pairs from the meter into the
    vault (`payAsset`: anyone may send it, the money only goes to the asset), so flows and
    claims see it. Returns (asset, currency, amount) per payment sent."""
    meter, sent = suite.meter, []
    for asset_id, currency in dict.fromkeys(pairs):
        owed = int(meter.owedToAsset(asset_id, currency))
        if owed:
            simulate(meter, "payAsset", asset_id, currency, sender=account.address)
            meter.payAsset(asset_id, currency, sender=account)
            sent.append((asset_id, currency, owed))
    return sent


def flow(
    suite: Suite,
    chain: Any,
    account: Any,
    asset_id: int,
    *,
    token: str | None = None,
    all_levels: bool = False,
) -> list[Flowed]:
    """Move `asset_id`'s pending upstream into its parents' pools (with `all_levels`, on up
    the lineage); anyone may send it, the money only goes to the parents."""
    vault = suite.vault
    require_asset(suite, asset_id)
    require_parents(suite.registry, asset_id)
    currency = currency_of(chain, token)
    pay_owed(suite, account, [(asset_id, currency.address)])  # settled usage not yet in the vault
    if int(vault.pendingUpstream(asset_id, currency.address)) == 0:
        raise ChainError(
            f"Nothing to flow: asset {asset_id} has no pending upstream in {currency.symbol}."
        )
    flows: list[Flowed] = []
    cascade(vault, asset_id, currency.address, account,
            lambda log: flows.append(_flowed(log, currency)), all_levels=all_levels)  # fmt: skip
    return flows


def claim(
    suite: Suite,
    chain: Any,
    sender: Any,
    who: str,
    tree_paths: Sequence[str],
    *,
    asset_ids: Sequence[int] = (),
    tokens: Sequence[str] = (),
    before_send: Callable[[ClaimRun], None] = lambda _: None,
    recipient: str | None = None,
) -> ClaimRun:
    """Claim everything `who` is owed in the assets of the trees (or the named ones), after
    flowing what raises it; `sender` pays the gas, the money goes to `who`, or to `recipient`
    (claimTo: only the contributor itself may choose where its money goes)."""
    vault = suite.vault
    if recipient is not None:
        if str(who).lower() != str(sender.address).lower():
            raise InputError(
                f"--to needs the contributor's own account: {sender.address} cannot choose "
                f"where {who}'s money goes (the contributor can sign a ClaimTo instead)."
            )
        if int(recipient, 16) == 0:
            raise InputError("--to cannot be the zero address: the money would be lost.")
    _, lines = positions(suite, chain, who, tree_paths, asset_ids, tokens)
    # Settled usage the meter still holds for these assets (or the children that feed them)
    # is paid into the vault first, so the claim includes it.
    owed = [(line.target.asset_id, line.currency.address) for line in lines]
    owed += [(child, line.currency.address) for line in lines for child in line.feeders]
    if pay_owed(suite, sender, owed):
        _, lines = positions(suite, chain, who, tree_paths, asset_ids, tokens)
    todo = [line for line in lines if line.after_flows > 0]
    if not todo:
        assets = ", ".join(sorted({str(line.target.asset_id) for line in lines}))
        raise ChainError(f"Nothing to claim: {who} is owed nothing yet on asset {assets}.")
    run = ClaimRun(who, todo)
    flows = flows_to_send(todo)
    if not flows and recipient is not None:
        t, line = todo[0].target, todo[0]
        to_args = (t.asset_id, line.currency.address, t.weight, proof_args(t.proof), recipient)
        simulate(vault, "claimTo", *to_args, sender=sender.address)
    elif not flows:  # with flows to send first, the claim can only be simulated after them
        if len(todo) == 1:
            t, line = todo[0].target, todo[0]
            args = (t.asset_id, line.currency.address, who, t.weight, proof_args(t.proof))
            simulate(vault, "claim", *args, sender=sender.address)
        else:
            batch = [claim_request(x, who) for x in todo[: int(vault.MAX_BATCH())]]
            simulate(vault, "claimBatch", batch, sender=sender.address)
    before_send(run)
    for child, currency in flows:
        record = functools.partial(_record_flow, run.flows, currency)
        cascade(vault, child, currency.address, sender, record, all_levels=False)
    failed: list[tuple[ClaimLine, int]] = []
    if recipient is not None:
        done = _send_claims_to(vault, todo, sender, recipient)
    else:
        done, failed = send_claims(vault, todo, who, sender)
    run.claimed = [(x.target.asset_id, x.currency, amount) for x, amount in done]
    run.failed = [(x.target.asset_id, x.currency, amount) for x, amount in failed]
    return run


def _send_claims_to(
    vault: Any, lines: Sequence[ClaimLine], sender: Any, recipient: str
) -> list[tuple[ClaimLine, int]]:
    """One claimTo per line (there is no batch form: each names its own recipient)."""
    done: list[tuple[ClaimLine, int]] = []
    for line in lines:
        t = line.target
        args = (t.asset_id, line.currency.address, t.weight, proof_args(t.proof), recipient)
        receipt = vault.claimTo(*args, sender=sender)
        done.append((line, int(receipt.events.filter(vault.Claimed)[0].amount)))
    return done
