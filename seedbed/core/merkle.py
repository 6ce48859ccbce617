"""The content Merkle tree over a dataset's files (the registry's `contentRoot`).

Encoding, shared with the Solidity verifier (keep both sides identical):

    leaf = keccak(0x00 || keccak(utf8(path)) || sha256(file) || uint64 size)   73 bytes
    node = keccak(0x01 || min(a, b) || max(a, b))                              65 bytes

Leaves are ordered by the UTF-8 bytes of their POSIX path. Levels pair (0,1), (2,3)...;
an odd last node is promoted unchanged. The 0x00 / 0x01 prefixes keep a leaf from ever
being read as a node (second-preimage attacks), and sorted pairs let the verifier fold a
proof without position bits.
"""

from collections.abc import Sequence

from seedbed.core.errors import InputError
from seedbed.core.keccak import keccak

_LEAF = b"\x00"
_NODE = b"\x01"
_MAX_SIZE = 2**64


def file_leaf(path: str, sha256: bytes, size: int) -> bytes:
    """The leaf of one file: `path` is POSIX and relative to the dataset folder."""
    if len(sha256) != 32:
        raise InputError(f"The SHA-256 of {path!r} must be 32 bytes, not {len(sha256)}.")
    if not 0 <= size < _MAX_SIZE:
        raise InputError(f"The size of {path!r} must fit in uint64, not {size}.")
    return keccak(_LEAF + keccak(path.encode("utf-8")) + bytes(sha256) + size.to_bytes(8, "big"))


def node(a: bytes, b: bytes) -> bytes:
    """The parent of two nodes, whatever their order."""
    return keccak(_NODE + a + b if a <= b else _NODE + b + a)


def build_levels(leaves: Sequence[bytes]) -> list[list[bytes]]:
    """Every level of the tree, leaves first and the one-node root level last."""
    if not leaves:
        raise InputError("A Merkle tree needs at least one leaf.")
    levels = [list(leaves)]
    while len(levels[-1]) > 1:
        below = levels[-1]
        above = [node(below[i], below[i + 1]) for i in range(0, len(below) - 1, 2)]
        if len(below) % 2:
            above.append(below[-1])  # promoted unchanged
        levels.append(above)
    return levels


def merkle_root(leaves: Sequence[bytes]) -> bytes:
    """The root over `leaves`, in the order given."""
    return build_levels(leaves)[-1][0]


def merkle_proof(levels: Sequence[Sequence[bytes]], index: int) -> list[bytes]:
    """Siblings of leaf `index`, bottom-up; levels where the node was promoted add nothing."""
    if not 0 <= index < len(levels[0]):
        raise InputError(f"Leaf {index} is outside the tree of {len(levels[0])} leaves.")
    proof = []
    for level in levels[:-1]:
        sibling = index ^ 1
        if sibling < len(level):
            proof.append(level[sibling])
        index //= 2
    return proof


def verify_proof(leaf: bytes, proof: Sequence[bytes], root: bytes) -> bool:
    """True when folding `proof` onto `leaf` gives `root`."""
    h = leaf
    for sibling in proof:
        h = node(h, sibling)
    return h == root


def proof_as_contract_args(proof: Sequence[bytes | str]) -> list[bytes]:
    """A file proof as `bytes32[]` calldata (accepts bytes or 0x-hex strings)."""
    return [as_bytes32(item) for item in proof]


def as_bytes32(value: bytes | bytearray | memoryview | str) -> bytes:
    """32 bytes from bytes or a 0x-prefixed hex string; anything else is an InputError."""
    if isinstance(value, str):
        text = value[2:] if value[:2] in ("0x", "0X") else value
        try:
            raw = bytes.fromhex(text)
        except ValueError:
            raise InputError(f"{value!r} is not a hex string.") from None
    else:
        raw = bytes(value)
    if len(raw) != 32:
        raise InputError(f"A bytes32 value must be 32 bytes, not {len(raw)}.")
    return raw
