"""A contributors tree saved to disk, so that one address's proof needs no rebuild.

File format (all integers big-endian), `.sbtree`:

    offset  size       field
    0       8          magic b"SEEDSUM1" (format version 1)
    8       8          uint64 n, the number of contributors
    16      32         root hash
    48      32         uint256 total weight
    80      20 * n     addresses, ascending (the i-th is the i-th leaf)
    ...     64 * n_k   level k = 0 (leaves) .. top (the root alone): n_0 = n,
                       n_(k+1) = ceil(n_k / 2); each record is hash (32) || uint256 sum (32)

A proof is a binary search in the address block and one record read per level, on a
read-only memory map: microseconds, whatever the number of contributors. docs/TREEFILE.md
specifies the tree, the file and the exported proof JSON precisely enough to re-implement.
"""

import mmap
import os
import struct
from collections.abc import Iterator, Mapping, Sequence
from types import TracebackType

from seedbed.core.addresses import parse_address
from seedbed.core.atomic import write_atomic
from seedbed.core.errors import InputError
from seedbed.core.sumtree import (
    MAX_WEIGHT,
    RECORD_SIZE,
    SumNode,
    build_packed,
    unpack,
    verify_sum_proof,
)

MAGIC = b"SEEDSUM1"
_HEADER = struct.Struct(">8sQ32s32s")
HEADER_SIZE = _HEADER.size  # 80
ADDRESS_SIZE = 20
ZERO_ADDRESS = bytes(ADDRESS_SIZE)


def level_sizes(n: int) -> list[int]:
    """Nodes per level of a tree of n leaves, leaves first."""
    sizes = [n]
    while sizes[-1] > 1:
        sizes.append((sizes[-1] + 1) // 2)
    return sizes


class ContributorTree:
    """A Merkle-sum tree of contributors, in memory (`build`) or memory-mapped (`load`)."""

    def __init__(self, data: bytes | mmap.mmap, source: str = "contributors tree") -> None:
        self._data = data
        self._source = source
        if len(data) < HEADER_SIZE:
            raise InputError(f"{source} is not a Seedbed contributors tree (too short).")
        magic, n, root, total = _HEADER.unpack_from(data)
        if magic != MAGIC or n == 0:
            raise InputError(f"{source} is not a Seedbed contributors tree (bad header).")
        self.count: int = n
        self.root: bytes = root
        self.total: int = int.from_bytes(total, "big")
        self._sizes = level_sizes(n)
        self._offsets = []
        offset = HEADER_SIZE + ADDRESS_SIZE * n
        for size in self._sizes:
            self._offsets.append(offset)
            offset += RECORD_SIZE * size
        if offset != len(data):
            raise InputError(f"{source} is truncated or has trailing bytes.")
        if self._record(len(self._sizes) - 1, 0) != (self.root, self.total):
            raise InputError(f"{source} is corrupt: its top level is not its root.")
        if self.total >= MAX_WEIGHT:
            raise InputError(f"{source} is corrupt: its total weight exceeds uint96.")

    # -- making and storing --------------------------------------------------------------------

    @classmethod
    def build(cls, weights: Mapping[bytes, int]) -> "ContributorTree":
        """The tree of `weights` (20-byte address -> positive weight), in memory.

        The zero address is refused: nobody holds its key, so its share could never be
        claimed (a hand-made tree can still hold it: `ContributorTree(pack_tree(...))`)."""
        if ZERO_ADDRESS in weights:
            raise InputError(
                "The zero address 0x0000000000000000000000000000000000000000 cannot be a "
                "contributor: nobody holds its key, so its share could never be claimed."
            )
        return cls(pack_tree(*build_packed(weights)))

    def save(self, path: str | os.PathLike[str]) -> None:
        """Write the tree to `path` atomically."""
        write_atomic(path, bytes(self._data))

    @classmethod
    def load(cls, path: str | os.PathLike[str]) -> "ContributorTree":
        """Open a saved tree read-only; nothing is read until a proof is asked for."""
        try:
            with open(path, "rb") as f:
                if os.fstat(f.fileno()).st_size < HEADER_SIZE:
                    raise InputError(f"{path} is not a Seedbed contributors tree (too short).")
                data = mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ)
        except OSError as err:
            raise InputError(f"Cannot read the tree {path}: {err.strerror or err}.") from err
        try:
            return cls(data, str(path))
        except InputError:
            data.close()
            raise

    def close(self) -> None:
        if isinstance(self._data, mmap.mmap):
            self._data.close()

    def __enter__(self) -> "ContributorTree":
        return self

    def __exit__(
        self, kind: type[BaseException] | None, err: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    # -- reading -------------------------------------------------------------------------------

    def __len__(self) -> int:
        return self.count

    def items(self) -> Iterator[tuple[bytes, int]]:
        """(address, weight) of every contributor, by address."""
        for i in range(self.count):
            yield self._address(i), self._record(0, i)[1]

    def top(self) -> list[SumNode]:
        """The root's preimage, the registry's `top`: the root's two children (hash, sum),
        or for one contributor `(account left-padded to 32 bytes, weight)`."""
        if self.count == 1:
            return [(bytes(12) + self._address(0), self._record(0, 0)[1])]
        below = len(self._sizes) - 2  # the level under the root always holds two nodes
        return [self._record(below, 0), self._record(below, 1)]

    def index_of(self, address: str | bytes) -> int:
        """The leaf index of `address` (binary search in the sorted address block)."""
        raw = _address_bytes(address)
        lo, hi = 0, self.count
        while lo < hi:
            mid = (lo + hi) // 2
            if self._address(mid) < raw:
                lo = mid + 1
            else:
                hi = mid
        if lo == self.count or self._address(lo) != raw:
            raise InputError(f"0x{raw.hex()} is not a contributor in {self._source}.")
        return lo

    def proof(self, address: str | bytes) -> tuple[int, list[SumNode]]:
        """(weight, sibling (hash, sum) pairs bottom-up) of one contributor."""
        raw = _address_bytes(address)
        index = self.index_of(raw)
        weight = self._record(0, index)[1]
        proof = []
        for level, size in enumerate(self._sizes[:-1]):
            sibling = index ^ 1
            if sibling < size:  # otherwise this node was promoted: no sibling at this level
                proof.append(self._record(level, sibling))
            index //= 2
        # Twenty hashes: cheap insurance against a damaged file handing out a bad proof.
        if not verify_sum_proof(raw, weight, proof, self.root, self.total):
            raise InputError(f"{self._source} is corrupt: the proof of 0x{raw.hex()} fails.")
        return weight, proof

    def _address(self, index: int) -> bytes:
        start = HEADER_SIZE + ADDRESS_SIZE * index
        return bytes(self._data[start : start + ADDRESS_SIZE])

    def _record(self, level: int, index: int) -> SumNode:
        start = self._offsets[level] + RECORD_SIZE * index
        return unpack(self._data[start : start + RECORD_SIZE])


def pack_tree(addresses: Sequence[bytes], levels: Sequence[Sequence[bytes]]) -> bytes:
    """The file bytes of a tree from `build_packed`'s output (the format above), unchecked."""
    root = levels[-1][0]
    header = _HEADER.pack(MAGIC, len(addresses), root[:32], root[32:])
    parts = [header, b"".join(addresses)]
    parts.extend(b"".join(level) for level in levels)
    return b"".join(parts)


def _address_bytes(address: str | bytes) -> bytes:
    if isinstance(address, str):
        return parse_address(address)
    if len(address) != ADDRESS_SIZE:
        raise InputError(f"An address must be 20 bytes, not {len(address)}.")
    return bytes(address)
