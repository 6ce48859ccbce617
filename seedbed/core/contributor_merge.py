"""Merging contributor weights by fixed shares: the documented rule that gives validators (or
any group) a share of a dataset's contributor tree, so they are paid on every later use.

    merge([(campaign_weights, 9_500), (validators, 500)])

Each part brings weights {address: w} and a share in basis points; the shares sum to 10,000.
The merged tree's total is SCALE = 10^18, and part p holds exactly SCALE × share_p / 10,000 of
it: inside the part, each address gets ⌊part total × w / Σw⌋, and the units those floors leave
are handed out one each to the largest remainders (ties: the lower address), so a part's sum is
exact and every address is within one unit (10^-18 of the tree) of its exact share (one whose
share rounds to 0 units is left out: a tree holds no zero weight). An address in several parts
adds its weights up. Pure and deterministic: the same parts give the same tree.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from seedbed.core.errors import InputError
from seedbed.core.sumtree import MAX_WEIGHT

SCALE = 10**18  # the merged total: < 2^96 (MAX_WEIGHT), and divisible by 10,000
BPS = 10_000
_ZERO = bytes(20)


def merge(parts: Sequence[tuple[Mapping[bytes, int], int]]) -> dict[bytes, int]:
    """The merged weights of `parts` [(weights, share_bps)], shares summing to 10,000."""
    if not parts:
        raise InputError("Merging needs at least one part.")
    shares = [share for _, share in parts]
    for share in shares:
        if isinstance(share, bool) or not isinstance(share, int) or not 0 < share <= BPS:
            raise InputError(f"A part's share must be 1..10000 basis points, not {share!r}.")
    if sum(shares) != BPS:
        raise InputError(f"The parts' shares add up to {sum(shares)} bps, not 10000 (100%).")
    merged: dict[bytes, int] = {}
    for i, (weights, share) in enumerate(parts, 1):
        for address, units in _split(weights, SCALE * share // BPS, i).items():
            merged[address] = merged.get(address, 0) + units
    assert sum(merged.values()) == SCALE < MAX_WEIGHT
    return {a: w for a, w in merged.items() if w}


def _split(weights: Mapping[bytes, int], total: int, index: int) -> dict[bytes, int]:
    """`total` units over `weights` in proportion: floors, then largest remainders."""
    if not weights:
        raise InputError(f"Part {index} names no contributor.")
    for address, w in weights.items():
        if len(address) != 20 or address == _ZERO:
            raise InputError(f"Part {index} names an invalid contributor 0x{bytes(address).hex()}.")
        if isinstance(w, bool) or not isinstance(w, int) or w <= 0:
            raise InputError(f"Part {index}: the weight {w!r} is not a positive integer.")
    whole = sum(weights.values())
    out, rest = {}, []
    for address, w in weights.items():
        units, remainder = divmod(total * w, whole)
        out[address] = units
        rest.append((-remainder, address))
    for _, address in sorted(rest)[: total - sum(out.values())]:
        out[address] += 1
    return out
