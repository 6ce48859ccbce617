"""Royalty tooling shared by `ape run pay / flow / claim / claimable`.

- The vault's split arithmetic, to the wei (`split`, `flow_shares`), so a script can say what
  a flow will bring before it sends anything.
- Currencies (ETH or an ERC-20) with their symbol and decimals.
- Lineage read from the registry's AssetRegistered logs (children are not stored on chain).
- Proofs from saved contributor trees, matched to assets by root and total weight.
- Claim planning: what an account can claim now, and after flowing the pending upstream of
  the asset's children into it; and the transactions that do it.
- Static-call simulation with the contracts' custom errors decoded into one sentence.
"""

from __future__ import annotations

import heapq
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from seedbed.core.addresses import parse_address, to_checksum_address
from seedbed.core.constants import BPS, ETH
from seedbed.core.errors import ChainError, InputError
from seedbed.core.sumtree import SumNode
from seedbed.core.treefile import ContributorTree
from seedbed.core.units import format_amount, parse_amount, parse_id, round_amount

# ---------------------------------------------------------------------- split arithmetic


@dataclass(frozen=True)
class Edge:
    """A lineage edge as the registry stores it: the parent, the child's share for it, and
    the parent's own upstream share (copied at registration)."""

    parent: int
    share_bps: int
    upstream_bps: int


@dataclass(frozen=True)
class FlowShare:
    """What one edge of a flow moves, and how the parent's pool splits it."""

    child: int
    parent: int
    amount: int
    to_contributors: int
    to_upstream: int


def fee_of(amount: int, fee_bps: int) -> int:
    """The protocol fee the vault takes from a payment (rounded down)."""
    return amount * fee_bps // BPS


def split(amount: int, upstream_bps: int) -> tuple[int, int]:
    """(to contributors, to pending upstream) of `amount` credited to a pool: the upstream
    part rounds down, so the contributors get the rounding."""
    to_upstream = amount * upstream_bps // BPS
    return amount - to_upstream, to_upstream


def flow_shares(child: int, moved: int, edges: Sequence[Edge]) -> list[FlowShare]:
    """Each parent's share of `moved` as `flowUpstream` computes it: pro rata to the shares,
    rounded down, with the last-listed parent taking the remainder."""
    up = sum(e.share_bps for e in edges)
    out: list[FlowShare] = []
    rest = moved
    for i, edge in enumerate(edges):
        amount = rest if i == len(edges) - 1 else moved * edge.share_bps // up
        rest -= amount
        to_c, to_u = split(amount, edge.upstream_bps)
        out.append(FlowShare(child, edge.parent, amount, to_c, to_u))
    return out


def entitlement(accrued: int, weight: int, total_weight: int, claimed: int) -> int:
    """`accrued × weight / totalWeight − claimed`, as the vault computes it (never negative)."""
    return max(0, accrued * weight // total_weight - claimed)


def parse_asset_id(text: str | int) -> int:
    """An asset id from the command line: a positive whole number (ASCII digits only)."""
    return parse_id(str(text), "an asset id")


# ---------------------------------------------------------------------------- currencies

_ERC20_ABI: list[dict[str, Any]] = [
    {
        "type": "function",
        "name": name,
        "stateMutability": "view",
        "inputs": [{"name": n, "type": "address"} for n in ins],
        "outputs": [{"name": "", "type": out}],
    }
    for name, ins, out in (
        ("decimals", (), "uint8"),
        ("symbol", (), "string"),
        ("balanceOf", ("owner",), "uint256"),
        ("allowance", ("owner", "spender"), "uint256"),
    )
] + [
    {
        "type": "function",
        "name": "approve",
        "stateMutability": "nonpayable",
        "inputs": [{"name": "spender", "type": "address"}, {"name": "amount", "type": "uint256"}],
        "outputs": [{"name": "", "type": "bool"}],
    }
]


@dataclass(frozen=True)
class Currency:
    """ETH (the zero address) or an ERC-20, with what it takes to print its amounts."""

    address: str
    symbol: str
    decimals: int
    contract: Any = field(default=None, compare=False, repr=False)

    @property
    def is_eth(self) -> bool:
        return self.address == ETH

    def format(self, amount: int) -> str:
        """For people: "0.5 ETH", "~0.0006667 ETH" (rounded, see `round_amount`)."""
        return round_amount(amount, self.decimals, self.symbol)

    def exact(self, amount: int) -> str:
        """Every base unit: "0.000666666666666666 ETH" (what `parse` reads back)."""
        return format_amount(amount, self.decimals, self.symbol)

    def parse(self, text: str) -> int:
        return parse_amount(text, self.decimals, self.symbol)


ETHER = Currency(ETH, "ETH", 18)


def require_balance(currency: Currency, account: Any, needed: int, message: str) -> None:
    """Before sending: the account holds `needed` of the currency, or one ChainError.
    `message` is a template over {who}, {has} and {needed} (exact amounts)."""
    held = int(account.balance if currency.is_eth else currency.contract.balanceOf(account))
    if held < needed:
        raise ChainError(
            message.format(
                who=account.address, has=currency.exact(held), needed=currency.exact(needed)
            )
        )


def ensure_allowance(
    currency: Currency,
    account: Any,
    spender: str,
    spender_name: str,
    amount: int,
    approve: bool,
    say: Callable[[str], None],
    error: type[ChainError] | type[InputError] = ChainError,
) -> None:
    """Before an ERC-20 pull: a short allowance is one clear error, or, with `approve`, one
    approval of exactly `amount` (so nothing is left approved afterwards). ETH needs none."""
    if currency.is_eth or amount == 0:
        return
    allowance = int(currency.contract.allowance(account.address, spender))
    if allowance >= amount:
        return
    if not approve:
        raise error(
            f"Token without allowance: the {spender_name} may spend "
            f"{currency.exact(allowance)} of yours but {currency.exact(amount)} is needed; "
            "re-run with --approve to approve exactly it (one more transaction)."
        )
    currency.contract.approve(spender, amount, sender=account)
    say(f"approved the {spender_name} to spend {currency.format(amount)}")


def erc20(address: str) -> Any:
    """An ERC-20 at `address`, through a minimal ABI (any token contract will do)."""
    from ape.contracts import ContractInstance
    from ethpm_types import ContractType

    contract_type = ContractType.model_validate({"contractName": "ERC20", "abi": _ERC20_ABI})
    return ContractInstance(address, contract_type=contract_type)


def currency_of(chain: Any, text: str | None) -> Currency:
    """ETH for None, "ETH" or the zero address; otherwise the ERC-20 at that address."""
    if text is None or text.strip().lower() in ("eth", ETH):
        return ETHER
    address = to_checksum_address(parse_address(text.strip()))
    if len(chain.provider.get_code(address)) == 0:
        raise InputError(f"{address} is not a token: there is no contract at it on this chain.")
    token = erc20(address)
    try:
        decimals = int(token.decimals())
        symbol = str(token.symbol())
    except Exception as err:  # any failure to answer means it is not an ERC-20 we can price
        raise InputError(f"{address} does not look like an ERC-20 (no decimals/symbol).") from err
    return Currency(address, symbol or address[:10], decimals, token)


# ------------------------------------------------------------------------------ lineage


@dataclass(frozen=True)
class AssetNode:
    """What the registry's AssetRegistered log says about an asset."""

    asset_id: int
    contributors_root: bytes
    total_weight: int
    upstream_bps: int
    parents: tuple[Edge, ...]


class Lineage:
    """Every asset and its parents, from the registry's logs; children by reverse lookup."""

    def __init__(self, nodes: Iterable[AssetNode]) -> None:
        self.nodes = {n.asset_id: n for n in nodes}
        self._children: dict[int, list[int]] = {}
        for node in self.nodes.values():
            for edge in node.parents:
                self._children.setdefault(edge.parent, []).append(node.asset_id)

    @classmethod
    def from_chain(cls, suite: Any, chain: Any) -> Lineage:
        start = int(suite.record.get("block", 0) or 0)
        logs = suite.registry.AssetRegistered.range(start, chain.blocks.height + 1)
        return cls(_node_of(log) for log in logs)

    def children(self, asset_id: int) -> list[int]:
        return sorted(self._children.get(asset_id, []))

    def with_contributors(self, root: bytes, total: int) -> list[int]:
        return sorted(
            n.asset_id
            for n in self.nodes.values()
            if n.contributors_root == root and n.total_weight == total
        )


def _node_of(log: Any) -> AssetNode:
    edges = tuple(Edge(int(p[0]), int(p[1]), int(p[2])) for p in log.parents)
    return AssetNode(
        int(log.assetId), bytes(log.contributorsRoot), int(log.totalWeight),
        int(log.upstreamBps), edges,
    )  # fmt: skip


def require_parents(registry: Any, asset_id: int) -> None:
    if int(registry.upstreamBps(asset_id)) == 0:
        raise InputError(
            f"Asset {asset_id} has no parents: all its revenue goes to its contributors and "
            "nothing ever flows upstream."
        )


def cascade(
    vault: Any,
    asset_id: int,
    currency: str,
    account: Any,
    say: Callable[[Any], None],
    all_levels: bool = True,
) -> int:
    """Flows `asset_id`'s pending upstream and, with `all_levels`, every parent's pending it
    raised, up the lineage, children before parents (ids only grow, so a parent's id is
    smaller than its child's: a max-heap on ids flows each asset once, after all its feeders).
    Calls `say` with each UpstreamFlowed log; returns the number of flows sent."""
    heap, queued, sent = [-asset_id], {asset_id}, 0
    while heap:
        current = -heapq.heappop(heap)
        queued.discard(current)
        if int(vault.pendingUpstream(current, currency)) == 0:
            continue
        receipt = vault.flowUpstream(current, currency, sender=account)
        sent += 1
        for log in receipt.events.filter(vault.UpstreamFlowed):
            say(log)
            parent = int(log.parentId)
            if all_levels and int(log.toUpstream) > 0 and parent not in queued:
                queued.add(parent)
                heapq.heappush(heap, -parent)
    return sent


# -------------------------------------------------------------------------------- trees


class Trees:
    """Saved contributor trees, each usable for every asset registered with its root."""

    def __init__(self, paths: Sequence[str | Path]) -> None:
        if not paths:
            raise InputError("Give at least one contributors tree with --tree FILE.")
        self.trees = [(str(p), ContributorTree.load(p)) for p in paths]

    def for_root(self, root: bytes, total: int) -> tuple[str, ContributorTree] | None:
        for path, tree in self.trees:
            if tree.root == root and tree.total == total:
                return path, tree
        return None

    def for_asset(self, registry: Any, asset_id: int) -> tuple[str, ContributorTree]:
        root, total = registry.contributors(asset_id)
        found = self.for_root(bytes(root), int(total))
        if found is None:
            names = ", ".join(path for path, _ in self.trees)
            raise InputError(
                f"Wrong tree for the asset: asset {asset_id}'s contributors root is "
                f"0x{bytes(root).hex()[:16]}… (total weight {int(total)}), and {names} "
                "does not match it."
            )
        return found


@dataclass(frozen=True)
class Target:
    """One asset to claim from, with the claimant's leaf in its contributors tree."""

    asset_id: int
    tree_path: str
    weight: int
    total_weight: int
    proof: list[SumNode]


def targets_for(
    suite: Any,
    lineage: Lineage,
    trees: Trees,
    asset_ids: Sequence[int],
    account: str,
) -> list[Target]:
    """The assets to claim from: those named (each must match a tree), or else every asset
    registered with one of the trees' roots. The account must be in each one's tree."""
    from seedbed.chain.client import require_asset

    pairs: list[tuple[int, str, ContributorTree]] = []
    if asset_ids:
        for asset_id in dict.fromkeys(asset_ids):
            require_asset(suite, asset_id)
            pairs.append((asset_id, *trees.for_asset(suite.registry, asset_id)))
    else:
        for path, tree in trees.trees:
            found = lineage.with_contributors(tree.root, tree.total)
            if not found:
                raise InputError(
                    f"Wrong tree for the asset: no asset on chain {suite.chain_id} is "
                    f"registered with the contributors in {path}."
                )
            pairs.extend((asset_id, path, tree) for asset_id in found)
    out = []
    for asset_id, path, tree in pairs:
        try:
            weight, proof = tree.proof(account)
        except InputError:
            raise InputError(
                f"{account} is not in the tree {path} (asset {asset_id}'s contributors)."
            ) from None
        out.append(Target(asset_id, path, weight, tree.total, proof))
    return out


# ------------------------------------------------------------------------------ claims


def paid_currencies(suite: Any, chain: Any) -> list[str]:
    """ETH and every currency ever paid into the vault (from its Paid logs): every pool's
    money arrived through some payment, so no other currency can be owed to anyone."""
    start = int(suite.record.get("block", 0) or 0)
    seen = {ETH: None}
    for log in suite.vault.Paid.range(start, chain.blocks.height + 1):
        seen[to_checksum_address(parse_address(str(log.currency)))] = None
    return list(seen)


@dataclass(frozen=True)
class ClaimLine:
    """An account's position in one (asset, currency) pool."""

    target: Target
    currency: Currency
    accrued: int
    claimed: int
    inflow: int  # to the contributors, if the feeders' pending flowed now
    feeders: tuple[int, ...]  # children whose pending flows into this pool

    @property
    def now(self) -> int:
        t = self.target
        return entitlement(self.accrued, t.weight, t.total_weight, self.claimed)

    @property
    def after_flows(self) -> int:
        t = self.target
        return entitlement(self.accrued + self.inflow, t.weight, t.total_weight, self.claimed)

    @property
    def flows_help(self) -> bool:
        return self.after_flows > self.now


def plan_claims(
    vault: Any,
    lineage: Lineage,
    targets: Sequence[Target],
    account: str,
    currencies: Sequence[Currency],
) -> list[ClaimLine]:
    """Every (asset, currency) position of `account`, with what flowing the asset's children
    would add (one level: `ape run flow --all` cascades further)."""
    lines = []
    for target in targets:
        for currency in currencies:
            cur = currency.address
            inflow, feeders = 0, []
            for child in lineage.children(target.asset_id):
                pending = int(vault.pendingUpstream(child, cur))
                if pending == 0:
                    continue
                for share in flow_shares(child, pending, lineage.nodes[child].parents):
                    if share.parent == target.asset_id and share.to_contributors > 0:
                        inflow += share.to_contributors
                        feeders.append(child)
            accrued = int(vault.accrued(target.asset_id, cur))
            claimed = int(vault.claimed(target.asset_id, cur, account))
            lines.append(ClaimLine(target, currency, accrued, claimed, inflow, tuple(feeders)))
    return lines


def positions(
    suite: Any,
    chain: Any,
    account: str,
    tree_paths: Sequence[str],
    asset_ids: Sequence[int],
    tokens: Sequence[str],
) -> tuple[Lineage, list[ClaimLine]]:
    """Everything `claim` and `claimable` need: the account's lines in every asset of the
    trees (or the named assets) and every currency (or the named ones)."""
    trees = Trees(tree_paths)
    lineage = Lineage.from_chain(suite, chain)
    targets = targets_for(suite, lineage, trees, asset_ids, account)
    addresses = list(dict.fromkeys(tokens)) or paid_currencies(suite, chain)
    currencies = [currency_of(chain, a) for a in addresses]
    return lineage, plan_claims(suite.vault, lineage, targets, account, currencies)


def flows_to_send(lines: Iterable[ClaimLine]) -> list[tuple[int, Currency]]:
    """(child, currency) to flow before claiming: only where it raises a claim; each once."""
    out: dict[tuple[int, str], Currency] = {}
    for line in lines:
        if line.flows_help:
            for child in line.feeders:
                out[(child, line.currency.address)] = line.currency
    return [(child, cur) for (child, _), cur in sorted(out.items(), key=lambda kv: -kv[0][0])]


def claim_request(line: ClaimLine, account: str) -> tuple[Any, ...]:
    """A `ClaimRequest` tuple for `claimBatch`."""
    t = line.target
    return (t.asset_id, line.currency.address, account, t.weight, proof_args(t.proof))


def send_claims(
    vault: Any, lines: Sequence[ClaimLine], account: str, sender: Any
) -> tuple[list[tuple[ClaimLine, int]], list[tuple[ClaimLine, int]]]:
    """Claims `lines` for `account`: one `claim`, or `claimBatch` in chunks of MAX_BATCH.
    Returns (claimed, failed) as (line, amount); a batch claim fails alone when the
    recipient refuses the transfer (ClaimFailed), and its books are rolled back."""
    if len(lines) == 1:
        t, line = lines[0].target, lines[0]
        args = (t.asset_id, line.currency.address, account, t.weight, proof_args(t.proof))
        receipt = vault.claim(*args, sender=sender)
        return [(line, int(receipt.events.filter(vault.Claimed)[0].amount))], []
    done: list[tuple[ClaimLine, int]] = []
    failed: list[tuple[ClaimLine, int]] = []
    size = int(vault.MAX_BATCH())
    for start in range(0, len(lines), size):
        chunk = lines[start : start + size]
        receipt = vault.claimBatch([claim_request(x, account) for x in chunk], sender=sender)
        events = {
            (int(e.assetId), to_checksum_address(parse_address(str(e.currency)))): e
            for e in receipt.events
            if e.event_name in ("Claimed", "ClaimFailed")
        }
        for line in chunk:
            event = events.get((line.target.asset_id, line.currency.address))
            if event is not None:
                bucket = done if event.event_name == "Claimed" else failed
                bucket.append((line, int(event.amount)))
    return done, failed


def proof_args(proof: Sequence[SumNode]) -> list[tuple[bytes, int]]:
    return [(bytes(h), int(s)) for h, s in proof]


# ---------------------------------------------------------------------------- formatting


def format_table(
    headers: Sequence[str], rows: Sequence[Sequence[str]], align: str = ""
) -> list[str]:
    """Plain aligned columns; `align` has one letter per column, "l" or "r" (default: the
    first column left, the others right)."""
    align = align or "l" + "r" * (len(headers) - 1)
    widths = [max(len(str(r[i])) for r in [headers, *rows]) for i in range(len(headers))]
    out = []
    for row in [headers, *rows]:
        cells = [
            str(cell).ljust(w) if a == "l" else str(cell).rjust(w)
            for cell, w, a in zip(row, widths, align, strict=True)
        ]
        out.append("  ".join(cells).rstrip())
    return out


def share_text(weight: int, total: int) -> str:
    return f"{weight}/{total} ({100 * weight / total:.4g}%)"


def flow_text(flowed: Any) -> str:
    """One upstream flow (`seedbed.workflows.claims.Flowed`) as a line."""
    fmt = flowed.currency.format
    return (
        f"asset {flowed.child} -> asset {flowed.parent}: {fmt(flowed.amount)} "
        f"({fmt(flowed.to_contributors)} to its contributors, "
        f"{fmt(flowed.to_upstream)} pending further upstream)"
    )
