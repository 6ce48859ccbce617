"""The contributors Merkle-sum tree (the registry's `contributorsRoot` and `totalWeight`).

Encoding, shared with the Solidity verifier (keep both sides identical):

    leaf = (keccak(0x00 || address || uint96 weight), weight)                   33 bytes
    node = (keccak(0x01 || ha || uint256 sa || hb || uint256 sb), sa + sb)      129 bytes
           with the children ordered so that ha < hb (as uint256)

Leaves are ordered by address ascending. Levels pair (0,1), (2,3)...; an odd last node is
promoted unchanged. Because every node commits to its subtree's weight, a proof also proves
that the weights add up to `totalWeight`: no publisher can hand out more than 100%.

The registry is not given the root and the total but the root's preimage, `top`
(`ContributorTree.top`), and computes both (`root_of_top`): the total is always the tree's sum.

    two or more leaves   top = [child_a, child_b]  the root's two children (hash, sum)
    one leaf             top = [(bytes32(uint160(account)), weight)]  the root is that leaf

The builder works on packed 64-byte records `hash || uint256 sum`: a node's preimage is then
just `0x01 || record_a || record_b`, which keeps the per-node Python work to a few slices.
"""

from collections.abc import Mapping, Sequence

from seedbed.core.errors import InputError
from seedbed.core.keccak import keccak, keccak_256
from seedbed.core.merkle import as_bytes32

SumNode = tuple[bytes, int]
"""(hash, sum) of one node; the contract's `SumNode` struct."""

RECORD_SIZE = 64
MAX_WEIGHT = 2**96  # exclusive bound for each weight and for the total (uint96 on chain)

_LEAF = b"\x00"
_NODE = b"\x01"


def sum_leaf(address: bytes, weight: int) -> SumNode:
    """The leaf of one contributor (`address` is the 20 raw bytes)."""
    if len(address) != 20:
        raise InputError(f"An address must be 20 bytes, not {len(address)}.")
    if not 0 < weight < MAX_WEIGHT:
        raise InputError(f"A weight must be between 1 and 2**96 - 1, not {weight}.")
    return keccak(_LEAF + bytes(address) + weight.to_bytes(12, "big")), weight


def sum_node(a: SumNode, b: SumNode) -> SumNode:
    """The parent of two nodes, whatever their order."""
    (ha, sa), (hb, sb) = (a, b) if a[0] < b[0] else (b, a)
    preimage = _NODE + ha + sa.to_bytes(32, "big") + hb + sb.to_bytes(32, "big")
    return keccak(preimage), sa + sb


def check_weights(weights: Mapping[bytes, int]) -> int:
    """Raise InputError unless the weights can form a tree; return their total."""
    if not weights:
        raise InputError("A contributors tree needs at least one contributor.")
    for address, weight in weights.items():
        if len(address) != 20:
            raise InputError(f"An address must be 20 bytes, not {len(address)}.")
        if not 0 < weight < MAX_WEIGHT:
            raise InputError(f"The weight of 0x{address.hex()} must be 1 to 2**96 - 1.")
    total = sum(weights.values())
    if total >= MAX_WEIGHT:
        raise InputError(f"The total weight {total} does not fit in uint96.")
    return total


def leaf_records(addresses: Sequence[bytes], weights: Sequence[int]) -> list[bytes]:
    """Packed leaf records, in the order given (callers sort by address)."""
    out: list[bytes] = []
    append = out.append
    hasher = keccak_256  # a local: this loop runs once per contributor
    for address, weight in zip(addresses, weights, strict=True):
        w = weight.to_bytes(32, "big")
        # w[20:] is the weight as uint96: the same bytes the leaf preimage needs.
        append(hasher(_LEAF + address + w[20:]).digest() + w)
    return out


def parent_records(records: Sequence[bytes]) -> list[bytes]:
    """The packed level above `records`."""
    out: list[bytes] = []
    append = out.append
    hasher = keccak_256
    n = len(records)
    for i in range(0, n - 1, 2):
        a = records[i]
        b = records[i + 1]
        if a[:32] >= b[:32]:
            a, b = b, a
        total = int.from_bytes(a[32:], "big") + int.from_bytes(b[32:], "big")
        append(hasher(_NODE + a + b).digest() + total.to_bytes(32, "big"))
    if n % 2:
        append(records[-1])  # promoted unchanged
    return out


def build_packed(weights: Mapping[bytes, int]) -> tuple[list[bytes], list[list[bytes]]]:
    """The sorted addresses, and every level as packed records (leaves first, root last)."""
    check_weights(weights)
    addresses = sorted(weights)
    levels = [leaf_records(addresses, [weights[a] for a in addresses])]
    while len(levels[-1]) > 1:
        levels.append(parent_records(levels[-1]))
    return addresses, levels


def unpack(record: bytes) -> SumNode:
    """(hash, sum) of one packed record."""
    return bytes(record[:32]), int.from_bytes(record[32:64], "big")


def sum_root(weights: Mapping[bytes, int]) -> SumNode:
    """(root hash, total weight) of the contributors `weights` (address bytes -> weight)."""
    _, levels = build_packed(weights)
    return unpack(levels[-1][0])


def verify_sum_proof(
    address: bytes, weight: int, proof: Sequence[SumNode], root: bytes, total: int
) -> bool:
    """True when the proof links (address, weight) to (root, total)."""
    try:
        h = sum_leaf(address, weight)
    except InputError:
        return False
    for sibling in proof:
        h = sum_node(h, sibling)
    return h == (root, total)


def root_of_top(top: Sequence[SumNode]) -> SumNode:
    """(root, total) from `top`, as the registry computes them; InputError where it reverts."""
    if len(top) == 2:
        root = sum_node(top[0], top[1])
    elif len(top) == 1:
        word, weight = top[0]
        if len(word) != 32 or any(word[:12]):
            raise InputError("A one-contributor top must hold an address padded to 32 bytes.")
        if not any(word):
            raise InputError("The zero address cannot be a contributor.")
        root = sum_leaf(bytes(word[12:]), weight)
    else:
        raise InputError(f"A contributors top holds one or two nodes, not {len(top)}.")
    if not 0 < root[1] < MAX_WEIGHT:
        raise InputError(f"The total weight must be between 1 and 2**96 - 1, not {root[1]}.")
    return root


def proof_as_contract_args(proof: Sequence[tuple[bytes | str, int]]) -> list[tuple[bytes, int]]:
    """A contributor proof as `SumNode[]` calldata: (bytes32 hash, uint256 sum) tuples."""
    out: list[SumNode] = []
    for h, s in proof:
        if not 0 <= s < 2**256:
            raise InputError(f"A proof sum must fit in uint256, not {s}.")
        out.append((as_bytes32(h), int(s)))
    return out
