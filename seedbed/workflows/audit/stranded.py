"""Money nobody can ever claim, with the amounts: failing findings, never informational.

Where an asset's contributors tree is known (`--tree ID=FILE`), every leaf is read once and
each pool (asset, currency) is checked for what its contributors can never take out:

- a registered `totalWeight` that is not the tree's sum: every claim reverts InvalidProof, so
  all the asset accrued, and what its descendants' pending upstream will bring it, is locked;
- the zero address as a contributor: anyone can "claim" its share into the void (ETH is
  burned; a token transfer to it reverts, so the tokens stay locked);
- an address listed twice: a claim pays the larger leaf's share, never the sum, so every
  smaller leaf's share stays in the vault;
- dust: every claim floors, so what no contributor can take out stays below one wei per
  contributor per pool (the README's bound); more would be an arithmetic fault (a failure).
  A contributor whose share floors to 0 (accrued × weight < totalWeight) cannot claim yet: a
  warning with what it is owed, claimable once the pool grows.

The amounts are exact: the vault's own floor(accrued × weight / totalWeight).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field

from seedbed.core.constants import BPS, ETH
from seedbed.core.treefile import ContributorTree
from seedbed.workflows.audit.findings import Findings
from seedbed.workflows.audit.ledger import Asset, Ledger

ZERO = ETH  # the zero address (also the vault's currency id for ETH)

Inflow = dict[tuple[int, str], int]


def upstream_inflow(ledger: Ledger) -> Inflow:
    """(asset, currency) -> what its contributors will accrue once every pending upstream
    share in the lineage has flowed (by the vault's flowUpstream arithmetic, to the wei)."""
    pending: dict[str, dict[int, int]] = defaultdict(dict)
    for (aid, cur), pool in ledger.pools.items():
        if pool.pending:
            pending[cur][aid] = pool.pending
    inflow: Inflow = defaultdict(int)
    for cur, left in pending.items():
        # Parents have lower ids than their children: one pass from the top id down.
        for aid in sorted(set(left) | set(ledger.assets), reverse=True):
            moved = left.pop(aid, 0)
            asset = ledger.assets.get(aid)
            if moved and asset is not None and asset.parents and asset.upstream_bps:
                _flow(asset, cur, moved, left, inflow)
    return inflow


def _flow(asset: Asset, cur: str, moved: int, left: dict[int, int], inflow: Inflow) -> None:
    rest = moved
    for i, (pid, share_bps, parent_up) in enumerate(asset.parents):
        # The last-listed parent takes the rounding remainder, as the vault does.
        share = rest if i + 1 == len(asset.parents) else moved * share_bps // asset.upstream_bps
        rest -= share
        onward = share * parent_up // BPS
        inflow[pid, cur] += share - onward
        left[pid] = left.get(pid, 0) + onward


def _currencies(ledger: Ledger, asset_id: int, inflow: Inflow) -> list[str | None]:
    """The currencies the asset has a pool (or an inflow) in; [None] when none yet."""
    found = {c for a, c in ledger.pools if a == asset_id} | {c for a, c in inflow if a == asset_id}
    out: list[str | None] = [*sorted(found)]
    return out or [None]


def _accrued(ledger: Ledger, asset_id: int, cur: str | None) -> int:
    pool = ledger.pools.get((asset_id, cur)) if cur is not None else None
    return pool.accrued if pool is not None else 0


# -- the registered total --------------------------------------------------------------------


def check_total(
    ledger: Ledger, asset_id: int, tree: ContributorTree, inflow: Inflow, f: Findings
) -> bool:
    """False (and a failure per currency, with what is locked) when the asset's registered
    total is not its tree's sum: no proof can end at the registered total."""
    total = ledger.assets[asset_id].total_weight
    if tree.total == total:
        f.passed("registered total = tree sum")
        return True
    for cur in _currencies(ledger, asset_id, inflow):
        accrued = _accrued(ledger, asset_id, cur)
        coming = inflow.get((asset_id, cur), 0) if cur is not None else 0
        what = (
            f"{accrued + coming} of {cur} can never be claimed ({accrued} accrued, {coming} "
            "pending upstream from its descendants)"
            if cur is not None
            else "nothing has accrued yet, but every payment to it will be locked"
        )
        f.fail(
            "registered total = tree sum",
            f"Asset {asset_id} was registered with totalWeight {total} but its tree's weights "
            f"sum to {tree.total}: every claim reverts InvalidProof, so {what}.",
            asset=asset_id,
            currency=cur,
            expected=0,
            found=accrued + coming,
        )
    return False


# -- one pass over a known tree --------------------------------------------------------------


@dataclass
class Shares:
    """What one pass over an asset's tree found, against the asset's pools."""

    leaves: int = 0
    zero: int = 0  # the zero address's weight (0: not a contributor)
    duplicates: dict[str, list[int]] = field(default_factory=dict)  # address -> its weights
    floors: dict[str, int] = field(default_factory=dict)  # Σ floor(accrued × w / total)
    claimable: dict[str, int] = field(default_factory=dict)  # leaves whose share is ≥ 1 wei
    unfloored: dict[str, int] = field(default_factory=dict)  # Σ weights whose share is 0
    unfloored_leaves: dict[str, int] = field(default_factory=dict)  # how many such leaves


def scan_tree(ledger: Ledger, asset_id: int, tree: ContributorTree) -> Shares:
    """Every leaf once (addresses are sorted, so a repeated address is adjacent)."""
    total = ledger.assets[asset_id].total_weight
    accrued = {c: p.accrued for (a, c), p in ledger.pools.items() if a == asset_id and p.accrued}
    out = Shares(
        floors=dict.fromkeys(accrued, 0),
        claimable=dict.fromkeys(accrued, 0),
        unfloored=dict.fromkeys(accrued, 0),
        unfloored_leaves=dict.fromkeys(accrued, 0),
    )
    previous, weights = b"", [0]
    for raw, weight in tree.items():
        out.leaves += 1
        if raw == previous:
            weights.append(weight)
            if len(weights) == 2:
                out.duplicates["0x" + raw.hex()] = weights
        else:
            previous, weights = raw, [weight]
        if raw == bytes(20):
            out.zero = max(out.zero, weight)
        for cur, amount in accrued.items():
            share = amount * weight // total
            out.floors[cur] += share
            if share:
                out.claimable[cur] += 1
            elif raw != bytes(20):  # the zero address's share is reported as lost already
                out.unfloored[cur] += weight
                out.unfloored_leaves[cur] += 1
    return out


def check_shares(ledger: Ledger, asset_id: int, shares: Shares, f: Findings) -> None:
    """Zero-address and repeated contributors, and dust above the bound, as failures; shares
    that floor to 0, as warnings."""
    if shares.zero:
        _zero_address(ledger, asset_id, shares.zero, f)
    else:
        f.passed("no zero-address contributor")
    for account, weights in sorted(shares.duplicates.items()):
        _duplicate(ledger, asset_id, account, weights, f)
    if not shares.duplicates:
        f.passed("no duplicate contributor")
    for cur, floors in sorted(shares.floors.items()):
        _dust(ledger, asset_id, cur, floors, shares, f)


def check_zero_claims(ledger: Ledger, scanned: Iterable[int], f: Findings) -> None:
    """Without a tree (or with a wrong one), a claim paid to the zero address still shows it
    is a contributor, with its weight. `scanned`: assets whose tree was read."""
    known = set(scanned)
    weights = {a: c.weight for (a, _cur, who), c in ledger.claimants.items() if who == ZERO}
    for asset_id, weight in sorted(weights.items()):
        if asset_id not in known and asset_id in ledger.assets:
            _zero_address(ledger, asset_id, weight, f)


def _zero_address(ledger: Ledger, asset_id: int, weight: int, f: Findings) -> None:
    total = ledger.assets[asset_id].total_weight
    for cur in _currencies(ledger, asset_id, {}):
        lost = _accrued(ledger, asset_id, cur) * weight // total
        c = ledger.claimants.get((asset_id, cur, ZERO)) if cur is not None else None
        gone = f", {c.claimed} of it already claimed into the void" if c and c.claimed else ""
        f.fail(
            "no zero-address contributor",
            f"The zero address is a contributor of asset {asset_id} (weight {weight} of "
            f"{total}): anyone can claim its share into the void (ETH is burned, a token "
            f"transfer to it reverts and stays locked), so {lost} of {cur} is lost{gone}.",
            asset=asset_id,
            account=ZERO,
            currency=cur,
            expected=0,
            found=lost,
        )


def _duplicate(
    ledger: Ledger, asset_id: int, account: str, weights: list[int], f: Findings
) -> None:
    total = ledger.assets[asset_id].total_weight
    smaller = sorted(weights)[:-1]
    for cur in _currencies(ledger, asset_id, {}):
        accrued = _accrued(ledger, asset_id, cur)
        lost = sum(accrued * w // total for w in smaller)
        f.fail(
            "no duplicate contributor",
            f"{account} is listed {len(weights)} times in asset {asset_id}'s tree (weights "
            f"{sorted(weights, reverse=True)}): a claim pays the largest share only, so the "
            f"other leaves' {lost} of {cur} can never be claimed.",
            asset=asset_id,
            account=account,
            currency=cur,
            expected=0,
            found=lost,
        )


def _dust(
    ledger: Ledger, asset_id: int, cur: str, floors: int, shares: Shares, f: Findings
) -> None:
    """What no contributor can claim is dust. Each claim floors its own share, so the dust of
    a pool stays below one wei per contributor (README): each leaf's fraction is < 1 wei.
    A share that floors to 0 cannot be claimed yet; it is a warning with what those
    contributors are owed together (exactly, as a fraction of a wei each), claimable once
    the pool grows."""
    accrued = ledger.pools[asset_id, cur].accrued
    total = ledger.assets[asset_id].total_weight
    dust, leaves = accrued - floors, shares.leaves
    if dust < leaves:
        f.passed("dust within bound")
    else:
        f.fail(
            "dust within bound",
            f"{dust} of {cur} in asset {asset_id}'s pool can never be claimed: more than the "
            f"bound of less than one wei per contributor per pool ({leaves} contributors), "
            f"so the claims' floors do not add up (accrued {accrued}, Σ floor(accrued × "
            f"weight / {total}) = {floors}).",
            asset=asset_id,
            currency=cur,
            expected=max(leaves - 1, 0),
            found=dust,
        )
    weight = shares.unfloored.get(cur, 0)
    zero = shares.unfloored_leaves.get(cur, 0)
    if not weight:
        f.passed("no share floors to 0")
        return
    owed = _wei(accrued * weight, total)
    f.warn(
        "no share floors to 0",
        f"{zero} of asset {asset_id}'s {leaves} contributors have a share of {cur} that "
        f"floors to 0 (accrued {accrued} × weight < totalWeight {total}): they cannot claim "
        f"yet; together they are owed {owed} wei (less than 1 wei each), part of the pool's "
        f"dust of {dust} wei, claimable once the pool grows.",
        asset=asset_id,
        currency=cur,
        expected=0,
        found=dust,
    )


def _wei(numerator: int, denominator: int) -> str:
    """numerator / denominator wei, exact when it ends within 3 decimals, else '≈'."""
    whole, rest = divmod(numerator, denominator)
    thousandths, left = divmod(rest * 1000, denominator)
    text = f"{whole}.{thousandths:03d}".rstrip("0").rstrip(".")
    return text if not left else f"≈{text}"
