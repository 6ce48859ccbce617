"""What the court holds, read into plain values, and the one way a dispute step is sent.

Every step checks the dispute's state and deadlines here first, so a wrong step is one
sentence that says what the dispute is waiting for; `send` then simulates the call (an
AssetCourt revert comes back explained by `seedbed.core.reverts.explain`), checks the
account can pay the value and the gas, and only then sends.
"""

from __future__ import annotations

import time
from collections import deque
from dataclasses import dataclass
from typing import Any

from seedbed.chain.client import Suite
from seedbed.core.addresses import parse_address, to_checksum_address
from seedbed.core.constants import MAX_LINEAGE_HOPS
from seedbed.core.errors import ChainError
from seedbed.core.reverts import explain
from seedbed.core.units import format_amount
from seedbed.workflows.commitments import chain_time
from seedbed.workflows.registration import fee_of, with_margin
from seedbed.workflows.royalties import ETHER, Currency, currency_of

# IAssetCourt.Kind, IAssetCourt.State, the subjective reasons, the registry's status and the
# vault's hold, as the contracts number them.
SUBJECTIVE, DUPLICATE, PRIOR = 0, 1, 2
OPEN, AT_ARBITER, UPHELD, DISMISSED, LAPSED = 1, 2, 3, 4, 5
FINAL = (UPHELD, DISMISSED, LAPSED)
KIND_NAMES = {SUBJECTIVE: "subjective", DUPLICATE: "duplicate content", PRIOR: "prior commitment"}
STATE_NAMES = {
    OPEN: "open",
    AT_ARBITER: "at the arbiter",
    UPHELD: "upheld",
    DISMISSED: "dismissed",
    LAPSED: "lapsed",
}
REASONS = {"infringement": 1, "licence-breach": 2, "bad-data": 3}
REASON_NAMES = {1: "infringement", 2: "licence breach", 3: "bad data"}
STATUS_NONE, STATUS_DISPUTED, STATUS_UPHELD = 0, 1, 2
HOLD_NONE, HOLD_ESCROW, HOLD_REDIRECTED = 0, 1, 2

COMMAND = "ape run dispute"


def checksum(address: Any) -> str:
    return to_checksum_address(parse_address(str(address)))


def same(a: Any, b: Any) -> bool:
    return str(a).lower() == str(b).lower()


def eth(amount: int) -> str:
    """An ETH amount for people (bonds and fees are ETH)."""
    return ETHER.format(amount)


def when(timestamp: int) -> str:
    """A chain time as a UTC date and time."""
    return time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime(timestamp))


def left(seconds: int) -> str:
    """A span for people, in days (never weeks: periods are set in days): "7d", to the minute
    from an hour up ("6d23h59m"), else to the second ("45s")."""
    if seconds <= 0:
        return "0s"
    if seconds >= 3600:
        seconds -= seconds % 60
    parts = []
    for unit, size in (("d", 86_400), ("h", 3_600), ("m", 60), ("s", 1)):
        count, seconds = divmod(seconds, size)
        if count:
            parts.append(f"{count}{unit}")
    return "".join(parts)


def until(deadline: int, now: int) -> str:
    """A deadline and how far off it is: "... UTC (in 6d23h)" or "... UTC (ended 2h ago)"."""
    if deadline >= now:
        return f"{when(deadline)} (in {left(deadline - now)})"
    return f"{when(deadline)} (ended {left(now - deadline)} ago)"


def now_of(chain: Any) -> int:
    """The time a transaction sent now would see (the pending block's, where the node says)."""
    return chain_time(chain.provider, "pending")


# -- the court and its disputes ---------------------------------------------------------------


@dataclass(frozen=True)
class Court:
    """The deployment's court: its arbiter, the bond each side posts, the arbiter's fee now,
    and its periods (seconds) and minimum shared-file size (bytes)."""

    address: str
    arbiter: str
    bond: int
    fee: int
    answer_period: int
    ruling_timeout: int
    min_duplicate_size: int
    disputes: int


def court_of(suite: Suite) -> Court:
    court = _court(suite)
    arbiter = checksum(court.ARBITER())
    return Court(
        address=checksum(court.address),
        arbiter=arbiter,
        bond=int(court.BOND()),
        fee=ruling_fee(suite, arbiter),
        answer_period=int(court.ANSWER_PERIOD()),
        ruling_timeout=int(court.RULING_TIMEOUT()),
        min_duplicate_size=int(court.MIN_DUPLICATE_SIZE()),
        disputes=int(court.disputeCount()),
    )


def _court(suite: Suite) -> Any:
    if suite.court is None:
        raise ChainError(
            f"The deployment on chain {suite.chain_id} has no AssetCourt: it was deployed by "
            "an older Seedbed; run `ape run deploy` again."
        )
    return suite.court


def ruling_fee(suite: Suite, arbiter: str) -> int:
    """IArbiter.rulingFee(), read with a plain call (any arbiter contract answers it)."""
    from eth_abi import decode

    from seedbed.core.keccak import keccak

    provider = _court(suite).provider
    data = "0x" + keccak(b"rulingFee()")[:4].hex()
    try:
        raw = provider.web3.eth.call({"to": arbiter, "data": data})
        return int(decode(["uint256"], bytes(raw))[0])
    except Exception as err:  # an arbiter that cannot say its fee cannot take a case
        raise ChainError(
            f"The court's arbiter {arbiter} does not answer rulingFee(): {err}"
        ) from err


@dataclass(frozen=True)
class Dispute:
    """One dispute as the court stores it. `beneficiary` is the asset that gets the revenue
    if upheld (0: the protocol's fee book); `evidence` the claimant's hash (a duplicate
    claim's shared file's sha256, a prior-commitment claim's commitment)."""

    dispute_id: int
    asset_id: int
    beneficiary: int
    kind: int
    state: int
    reason: int
    contested: bool
    opened_at: int
    at_arbiter_at: int
    claimant: str
    defendant: str
    fee: int
    evidence: bytes

    @property
    def kind_name(self) -> str:
        if self.kind == SUBJECTIVE:
            return f"subjective ({REASON_NAMES.get(self.reason, str(self.reason))})"
        return KIND_NAMES.get(self.kind, str(self.kind))

    @property
    def state_name(self) -> str:
        return STATE_NAMES.get(self.state, str(self.state))

    def answer_deadline(self, court: Court) -> int:
        """The last second the owner may answer or contest (resolve works after it)."""
        return self.opened_at + court.answer_period

    def ruling_deadline(self, court: Court) -> int:
        """The last second the arbiter may rule (lapse works after it)."""
        return self.at_arbiter_at + court.ruling_timeout


def read_dispute(suite: Suite, dispute_id: int) -> Dispute:
    court = _court(suite)
    count = int(court.disputeCount())
    if not 0 < dispute_id <= count:
        raise ChainError(
            f"Dispute {dispute_id} does not exist on chain {suite.chain_id} "
            f"({count} dispute{'s' if count != 1 else ''} opened so far)."
        )
    v = court.dispute(dispute_id)
    return Dispute(
        dispute_id=dispute_id,
        asset_id=int(v.assetId),
        beneficiary=int(v.beneficiary),
        kind=int(v.kind),
        state=int(v.state),
        reason=int(v.reason),
        contested=bool(v.contested),
        opened_at=int(v.openedAt),
        at_arbiter_at=int(v.atArbiterAt),
        claimant=checksum(v.claimant),
        defendant=checksum(v.defendant),
        fee=int(v.fee),
        evidence=bytes(v.evidenceHash),
    )


def require_state(d: Dispute, want: int, done: str) -> None:
    """One sentence when the dispute is not in the state a step needs (`done`: "contested")."""
    if d.state == want:
        return
    where = f"see `{COMMAND} show --dispute {d.dispute_id}`"
    if d.state in FINAL:
        raise ChainError(
            f"Dispute {d.dispute_id} is over ({d.state_name}): it cannot be {done} any more; "
            f"{where}."
        )
    raise ChainError(
        f"Dispute {d.dispute_id} is {d.state_name}, not {STATE_NAMES[want]}: it cannot be "
        f"{done} now; {where}."
    )


def escrow_currencies(suite: Suite, chain: Any, asset_id: int) -> list[str]:
    """Every currency a dispute ever held aside for the asset: the vault keeps no list, so
    its Escrowed logs since the deployment's block say which (in first-seen order)."""
    start = int(suite.record.get("block", 0) or 0)
    logs = suite.vault.Escrowed.range(
        start, int(chain.blocks.height) + 1, search_topics={"assetId": asset_id}
    )
    seen: dict[str, None] = {}
    for log in logs:
        seen[checksum(log.currency)] = None
    return list(seen)


@dataclass(frozen=True)
class Escrow:
    currency: Currency
    amount: int


def escrow_of(suite: Suite, chain: Any, asset_id: int) -> list[Escrow]:
    """What the vault holds aside for the asset now, per currency it ever escrowed."""
    out = []
    for address in escrow_currencies(suite, chain, asset_id):
        amount = int(suite.vault.escrowed(asset_id, address))
        if amount:
            out.append(Escrow(currency_of(chain, address), amount))
    return out


# -- lineage ---------------------------------------------------------------------------------


def lineage_path(
    registry: Any, start: int, goal: int, hops: int = MAX_LINEAGE_HOPS
) -> list[int] | None:
    """Parent indices leading from `start` up to its ancestor `goal` in at most `hops` steps
    (the shortest such path, found breadth-first), or None."""
    back: dict[int, tuple[int, int] | None] = {start: None}
    frontier: deque[tuple[int, int]] = deque([(start, 0)])
    while frontier:
        node, depth = frontier.popleft()
        if depth == hops:
            continue
        for index, parent in enumerate(registry.parents(node)):
            pid = int(parent.assetId)
            if pid in back:
                continue
            back[pid] = (node, index)
            if pid == goal:
                path: list[int] = []
                cur = pid
                while (step := back[cur]) is not None:
                    cur, i = step
                    path.append(i)
                return path[::-1]
            frontier.append((pid, depth + 1))
    return None


def walk(registry: Any, start: int, path: list[int]) -> list[int]:
    """The assets a path of parent indices visits from `start` (start included)."""
    out = [start]
    for index in path:
        out.append(int(registry.parents(out[-1])[index].assetId))
    return out


# -- sending --------------------------------------------------------------------------------


def would(contract: Any, method: str, *args: Any, sender: str, value: int = 0) -> None:
    """Run the call as `sender` would send it, without sending: a revert becomes one
    ChainError with the custom error explained."""
    from web3.exceptions import ContractCustomError, ContractLogicError

    from seedbed.chain.reverts import project_decoder

    data = getattr(contract, method).encode_input(*args)
    tx = {"from": sender, "to": str(contract.address), "data": "0x" + bytes(data).hex()}
    if value:
        tx["value"] = hex(value)
    try:
        contract.provider.web3.eth.call(tx)
    except ContractCustomError as err:
        raw = err.data if isinstance(err.data, str) else str(err)
        decoded = project_decoder().decode(bytes.fromhex(raw.removeprefix("0x")))
        reason = explain(decoded)
        shown = str(decoded) if reason == str(decoded) else f"{reason} ({decoded.name})"
        raise ChainError(f"The contract would refuse: {shown}.") from None
    except ContractLogicError as err:
        raise ChainError(f"The contract would refuse: {err.message or 'reverted'}.") from None


def send(contract: Any, method: str, *args: Any, account: Any, what: str, value: int = 0) -> Any:
    """Simulate, check the account can pay `value` and the gas, then send; the receipt."""
    balance = int(account.balance)
    if balance < value:
        raise ChainError(
            f"{account.address} holds {format_amount(balance)} but {what} needs "
            f"{format_amount(value)}."
        )
    would(contract, method, *args, sender=account.address, value=value)
    handler = getattr(contract, method)
    limit = with_margin(handler.estimate_gas_cost(*args, sender=account.address, value=value))
    cost = value + limit * fee_of(handler.as_transaction(*args, value=value, gas_limit=limit))
    if balance < cost:
        raise ChainError(
            f"{account.address} holds {format_amount(balance)} but {what} may cost up to "
            f"{format_amount(cost)} ({format_amount(value)} and the gas)."
        )
    return handler(*args, sender=account, value=value, gas_limit=limit)
