"""Where did a contract's unexplained balance come from? Token movements versus the books.

Only run when a contract's balance differs from what its events say it holds: then every
transaction that moved the currency in or out of it is compared with the events it emitted.
ERC-20 movements are read from the token's Transfer logs; ETH movements from call traces
(`debug_traceTransaction` with the callTracer), when the node has them. A payout event whose
transfer moved a different amount is a failure (e.g. a vault skimming claims); tokens that
arrived outside any payment were sent directly (a warning: `sweepExcess` or `sweep` returns
them to the treasury, and the sweep's event books what left).

The court holds ETH bonds and ruling fees: a dispute's open and contest bring them in, a
ruling request sends the fee to the arbiter (when it accepts the case), withdrawals pay
deposits out; its events name no currency, since it holds no other.

The license token and the registry hold nothing between calls: a sale's price passes through
the license token to the vault in its transaction. For them, what each transaction left
behind (in − out, plus what its Swept events sent to the treasury) is what was sent by
mistake.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

from seedbed.chain.rpc import Rpc, RpcError
from seedbed.core.constants import ETH
from seedbed.core.keccak import keccak
from seedbed.workflows.audit.findings import Findings

TRANSFER = "0x" + keccak(b"Transfer(address,address,uint256)").hex()
MAX_TRACES = 20_000

# (role, event) -> (index of currency, index of amount, +1 in / -1 out / 0 no movement of its
# own, index of account). A negative currency index -1 - i means: the currency of the channel
# at index i; None: ETH (the court's events). Settlement moves money inside the meter's books
# only: UsageSettled is no token movement. ClaimRedirected follows the Claimed that booked the
# amount: it only names who received it. Sweeps return what was sent by mistake to the
# treasury. The vault's dispute events (Escrowed, Redirected, Released) move credits between
# its own books, never money. A RulingRequested the arbiter refused sent nothing (its call
# reverted); DepositCredited moves a bond inside the court's book.
_BOOK: dict[tuple[str, str], tuple[int | None, int, int, int | None]] = {
    ("vault", "Paid"): (1, 3, +1, None),
    ("vault", "Claimed"): (1, 3, -1, 2),
    ("vault", "ClaimRedirected"): (1, 4, 0, 3),
    ("vault", "FeesWithdrawn"): (0, 2, -1, 1),
    ("vault", "ExcessSwept"): (0, 2, -1, 1),
    ("meter", "Deposited"): (-1, 1, +1, None),
    ("meter", "Withdrawn"): (-1, 2, -1, 1),
    ("meter", "AssetPaid"): (1, 2, -1, None),
    ("meter", "EarningsWithdrawn"): (1, 3, -1, 0),
    ("meter", "ExcessSwept"): (0, 2, -1, 1),
    ("license", "Swept"): (0, 2, -1, 1),
    ("registry", "Swept"): (0, 2, -1, 1),
    ("court", "DisputeOpened"): (None, 7, +1, 3),
    ("court", "DisputeAnswered"): (None, 3, +1, 1),
    ("court", "RulingRequested"): (None, 2, -1, 1),
    ("court", "DepositsWithdrawn"): (None, 1, -1, 0),
    ("court", "ExcessSwept"): (0, 2, -1, 1),
}
SWEEPS = frozenset({"ExcessSwept", "Swept"})
PASS_THROUGH = frozenset({"license", "registry"})  # roles that hold nothing between calls
_WHAT = {"vault": "vault", "meter": "usage meter", "license": "license token"}
_WHAT["registry"] = "registry"
_WHAT["court"] = "court"
_RETURNS = {
    "vault": "nobody's revenue, sweepExcess returns it to the treasury.",
    "meter": "nobody's revenue, sweepExcess returns it to the treasury (never what is owed).",
    "license": "nobody's revenue, sweep returns it to the treasury.",
    "registry": "nobody's revenue, sweep returns it to the treasury.",
    "court": "nobody's deposit, sweepExcess returns it to the treasury (never a deposit).",
}


class _Tx:
    __slots__ = ("book_in", "book_out", "real_in", "real_out", "asset", "account", "names")

    def __init__(self) -> None:
        self.book_in = self.book_out = self.real_in = self.real_out = 0
        self.asset: int | None = None
        self.account: str | None = None
        self.names: list[str] = []


def book_moves(
    rows: Iterable[tuple[int, int, int, str, str, str, str]],
    role: str,
    currency: str,
    channels: dict[str, str] | None = None,
) -> dict[str, _Tx]:
    """Per transaction: what the contract's events say came in and went out. `channels`
    maps the meter's channel ids to their currency (its Deposited and Withdrawn name none)."""
    txs: dict[str, _Tx] = {}
    channels = channels or {}
    for _b, _i, _t, tx, r, name, args in rows:
        spec = _BOOK.get((r, name)) if r == role else None
        if spec is None:
            continue
        a = json.loads(args)
        cur_i, amount_i, sign, account_i = spec
        cur: str | None = ETH
        if cur_i is not None:
            cur = a[cur_i] if cur_i >= 0 else channels.get(a[-1 - cur_i])
        if cur != currency or (name == "RulingRequested" and not a[3]):
            continue
        t = txs.get(tx) or txs.setdefault(tx, _Tx())
        if sign > 0:
            t.book_in += a[amount_i]
        elif sign < 0:
            t.book_out += a[amount_i]
        if name in ("Claimed", "ClaimRedirected", "Paid", "AssetPaid"):
            t.asset = a[0]
        elif name == "DisputeOpened":
            t.asset = a[1]
        if account_i is not None:
            t.account = a[account_i]
        t.names.append(name)
    return txs


def token_moves(
    rpc: Rpc, token: str, holder: str, start: int, end: int, txs: dict[str, _Tx], step: int
) -> None:
    """Add the token's Transfer logs in and out of `holder` to `txs`."""
    padded = "0x" + "0" * 24 + holder[2:].lower()
    for topics, inbound in (([TRANSFER, padded], False), ([TRANSFER, None, padded], True)):
        lo = start
        size = step
        while lo <= end:
            hi = min(lo + size - 1, end)
            try:
                logs = rpc.call(
                    "eth_getLogs",
                    [
                        {
                            "fromBlock": hex(lo),
                            "toBlock": hex(hi),
                            "address": token,
                            "topics": topics,
                        }
                    ],
                )
            except RpcError:
                if size == 1:
                    raise
                size = max(1, size // 2)
                continue
            for log in logs:
                if len(log["topics"]) != 3 or log.get("removed"):
                    continue  # an ERC-721 Transfer has the id as a fourth topic
                value = int(log["data"], 16)
                t = txs.get(log["transactionHash"]) or txs.setdefault(log["transactionHash"], _Tx())
                if inbound:
                    t.real_in += value
                else:
                    t.real_out += value
            lo = hi + 1


def eth_moves(rpc: Rpc, holder: str, txs: dict[str, _Tx]) -> bool:
    """Add ETH moved in and out of `holder` by each transaction (from call traces).
    False when the node has no callTracer."""
    holder = holder.lower()
    hashes = list(txs)[:MAX_TRACES]
    replies = rpc.batch([("debug_traceTransaction", [h, {"tracer": "callTracer"}]) for h in hashes])
    for h, reply in zip(hashes, replies, strict=True):
        if isinstance(reply, RpcError) or not isinstance(reply, dict):
            return False
        t = txs[h]
        stack: list[dict[str, Any]] = [reply]
        while stack:
            frame = stack.pop()
            if frame.get("error"):
                continue  # reverted: its value moves were undone, and its children's too
            if frame.get("type") in ("CALL", "CREATE", "CREATE2", "SELFDESTRUCT"):
                value = int(frame.get("value") or "0x0", 16)
                if (frame.get("to") or "").lower() == holder:
                    t.real_in += value
                if (frame.get("from") or "").lower() == holder:
                    t.real_out += value
            stack.extend(frame.get("calls") or [])
    return True


def investigate(
    rpc: Rpc,
    rows: Iterable[tuple[int, int, int, str, str, str, str]],
    role: str,
    holder: str,
    currency: str,
    excess: int,
    start: int,
    end: int,
    findings: Findings,
    step: int = 10_000,
    channels: dict[str, str] | None = None,
) -> None:
    """Explain `excess` (balance minus books) of `holder` in `currency`, as findings."""
    where = {"currency": currency}
    if role not in _WHAT:
        # LabelCampaigns' events name a campaign, not its currency or amounts in one place:
        # the balance check's finding stands without a per-transaction trace.
        return
    what = _WHAT[role]
    txs = book_moves(rows, role, currency, channels)
    if currency == ETH:
        if not eth_moves(rpc, holder, txs):
            findings.warn(
                f"{role} balance explained",
                f"The {what} holds {excess} wei of ETH beyond its books, and the node has no "
                "call traces to see which transaction left it there.",
                expected=0,
                found=excess,
                **where,
            )
            return
    else:
        token_moves(rpc, currency, holder, start, end, txs, step)
    if role in PASS_THROUGH:
        _pass_through(role, txs, excess, findings, where)
        return

    direct = 0
    explained = 0
    for tx, t in txs.items():
        explained += (t.real_in - t.book_in) - (t.real_out - t.book_out)
        ids = {"asset": t.asset, "account": t.account, "tx": tx}
        if t.real_out != t.book_out:
            findings.fail(
                f"{role} payouts match transfers",
                f"{'/'.join(t.names) or 'A transaction'} of the {what} says {t.book_out} went "
                f"out but {t.real_out} left it.",
                expected=t.book_out,
                found=t.real_out,
                **ids,
                **where,
            )
        else:
            findings.passed(f"{role} payouts match transfers")
        if t.real_in < t.book_in:
            findings.fail(
                f"{role} payments arrived",
                f"{'/'.join(t.names)} of the {what} credits {t.book_in} but only {t.real_in} "
                "arrived.",
                expected=t.book_in,
                found=t.real_in,
                **ids,
                **where,
            )
        else:
            direct += t.real_in - t.book_in
    swept = sum(t.book_out for t in txs.values() if SWEEPS & set(t.names))
    # balance - books = what arrived beyond the books - payout mismatches - what was swept
    residual = excess - (explained - swept)
    if direct - swept > 0:
        findings.warn(
            f"{role} excess",
            f"{direct - swept} arrived at the {what} outside any payment (sent directly); "
            + _RETURNS[role],
            expected=0,
            found=direct - swept,
            **where,
        )
    _residual(role, what, currency, residual, findings, where)


def _residual(
    role: str, what: str, currency: str, residual: int, findings: Findings, where: dict[str, Any]
) -> None:
    if residual > 0 and currency == ETH:
        findings.warn(
            f"{role} excess",
            f"{residual} wei of ETH reached the {what} without a call (selfdestruct or block "
            "reward).",
            expected=0,
            found=residual,
            **where,
        )
    elif residual == 0:
        findings.passed(f"{role} balance explained")
    else:
        findings.fail(
            f"{role} balance explained",
            f"{residual} of the {what}'s balance is explained by no transfer.",
            expected=0,
            found=residual,
            **where,
        )


def _pass_through(
    role: str, txs: dict[str, _Tx], excess: int, findings: Findings, where: dict[str, Any]
) -> None:
    """A contract that holds nothing between calls (books 0): per transaction, what came in
    and was not passed on or swept stayed behind; a transaction that took out more than that
    is a failure, and so is a sweep whose event and transfer differ."""
    what = _WHAT[role]
    left = 0
    for tx, t in txs.items():
        ids = {"asset": t.asset, "account": t.account, "tx": tx}
        kept = t.real_in - t.real_out + t.book_out
        if t.book_out and t.real_out < t.book_out:
            findings.fail(
                f"{role} payouts match transfers",
                f"{'/'.join(t.names)} of the {what} says {t.book_out} went to the treasury "
                f"but only {t.real_out} left it.",
                expected=t.book_out,
                found=t.real_out,
                **ids,
                **where,
            )
        elif kept < 0:
            findings.fail(
                f"{role} payouts match transfers",
                f"A transaction took {-kept} out of the {what} beyond what arrived in it and "
                "what its sweeps booked.",
                expected=0,
                found=-kept,
                **ids,
                **where,
            )
        else:
            findings.passed(f"{role} payouts match transfers")
        left += kept
    swept = sum(t.book_out for t in txs.values())
    if left - swept > 0:
        findings.warn(
            f"{role} excess",
            f"{left - swept} arrived at the {what} outside any sale or call of it (sent "
            f"directly){f', after {swept} was swept to the treasury' if swept else ''}; "
            + _RETURNS[role],
            expected=0,
            found=left - swept,
            **where,
        )
    _residual(role, what, where["currency"], excess - (left - swept), findings, where)
