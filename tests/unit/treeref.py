"""Reference hashing for the tree tests, independent of the code under test.

pycryptodome's keccak, not the pysha3 binding `seedbed.core.keccak` uses, so a broken binding
cannot agree with itself.
"""

import hashlib

from Crypto.Hash import keccak as _keccak


def K(data: bytes) -> bytes:
    return _keccak.new(digest_bits=256, data=data).digest()


def sha256(data: bytes) -> bytes:
    return hashlib.sha256(data).digest()


def u(value: int, size: int) -> bytes:
    return value.to_bytes(size, "big")


def file_leaf(path: str, content: bytes) -> bytes:
    return K(b"\x00" + K(path.encode()) + sha256(content) + u(len(content), 8))


def file_node(a: bytes, b: bytes) -> bytes:
    return K(b"\x01" + min(a, b) + max(a, b))


def sum_leaf(address: bytes, weight: int) -> tuple[bytes, int]:
    return K(b"\x00" + address + u(weight, 12)), weight


def sum_node(a: tuple[bytes, int], b: tuple[bytes, int]) -> tuple[bytes, int]:
    (ha, sa), (hb, sb) = sorted([a, b], key=lambda n: int.from_bytes(n[0], "big"))
    return K(b"\x01" + ha + u(sa, 32) + hb + u(sb, 32)), sa + sb
