"""Shamir secret sharing of a 32-byte dataset key over the prime field p = 2**521 - 1.

A secret s (a 256-bit integer) becomes the constant term of a random polynomial f of degree
k - 1 over GF(p); share i is (i, f(i)) for i = 1..n. Any k shares give s back by Lagrange
interpolation at 0; k - 1 shares say nothing about it. p is a Mersenne prime far above 2**256,
so every key fits and reduction is cheap. docs/private-data.md gives the JSON encoding.

Combining the wrong shares (a lying custodian) gives a wrong key, not an error: callers check
the result against the published keyCheck (`seedbed.core.sealed.key_check`).
"""

import secrets
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from seedbed.core.errors import InputError

__all__ = ["MAX_SHARES", "PRIME", "SECRET_SIZE", "Share", "combine", "split"]

PRIME = 2**521 - 1
SECRET_SIZE = 32
MAX_SHARES = 255  # a handful of custodians in practice; bounds the work of combine
_VALUE_SIZE = 66  # bytes of a field element (521 bits), the width of its JSON hex


@dataclass(frozen=True, slots=True)
class Share:
    """One share: the polynomial's value at `index` (1..n)."""

    index: int
    value: int

    def __post_init__(self) -> None:
        if type(self.index) is not int or not 1 <= self.index <= MAX_SHARES:
            raise InputError(f"A share's index must be 1..{MAX_SHARES}, not {self.index!r}.")
        if type(self.value) is not int or not 0 <= self.value < PRIME:
            raise InputError(f"Share {self.index}'s value is not an element of GF(2**521 - 1).")

    def to_json(self) -> dict[str, Any]:
        return {"index": self.index, "value": "0x" + self.value.to_bytes(_VALUE_SIZE, "big").hex()}

    @classmethod
    def from_json(cls, data: Any, source: str = "share") -> "Share":
        if not isinstance(data, Mapping):
            raise InputError(f"{source} must be a JSON object with index and value.")
        index, value = data.get("index"), data.get("value")
        if not isinstance(value, str) or not value.startswith("0x"):
            raise InputError(f"{source}'s value {value!r} is not a 0x hex string.")
        try:
            number = int(value, 16)
        except ValueError:
            raise InputError(f"{source}'s value {value!r} is not a 0x hex string.") from None
        return cls(index, number)  # type: ignore[arg-type]  # checked in __post_init__


def split(secret: bytes, k: int, n: int) -> list[Share]:
    """n shares of `secret`, any k of which give it back."""
    if not isinstance(secret, bytes | bytearray) or len(secret) != SECRET_SIZE:
        raise InputError(f"The secret to split must be {SECRET_SIZE} bytes.")
    _check_threshold(k, n)
    # Uniform coefficients from the OS CSPRNG; the top one may be 0 (still uniform, still k).
    coefficients = [int.from_bytes(secret, "big")] + [
        secrets.randbelow(PRIME) for _ in range(k - 1)
    ]
    return [Share(x, _evaluate(coefficients, x)) for x in range(1, n + 1)]


def combine(shares: Sequence[Share], k: int) -> bytes:
    """The secret from the first k of `shares` (indices distinct). With shares of another
    secret, or fewer than the real threshold, the result is a wrong 32-byte key."""
    if type(k) is not int or not 1 <= k <= MAX_SHARES:
        raise InputError(f"The threshold must be 1..{MAX_SHARES}, not {k!r}.")
    if len(shares) < k:
        raise InputError(f"{k} shares are needed to recover the key; {len(shares)} were given.")
    chosen = list(shares[:k])
    indices = [s.index for s in chosen]
    if len(set(indices)) != k:
        twice = sorted({i for i in indices if indices.count(i) > 1})
        raise InputError(f"The shares must have distinct indices; {twice} appear more than once.")
    secret = 0
    for s in chosen:
        # Lagrange basis at 0: prod x_j / (x_j - x_i) over j != i.
        num, den = 1, 1
        for t in chosen:
            if t.index != s.index:
                num = num * t.index % PRIME
                den = den * (t.index - s.index) % PRIME
        secret = (secret + s.value * num * pow(den, -1, PRIME)) % PRIME
    # A real secret is below 2**256; wrong shares give a field element, cut to a wrong key.
    return (secret % 2 ** (8 * SECRET_SIZE)).to_bytes(SECRET_SIZE, "big")


def _evaluate(coefficients: Sequence[int], x: int) -> int:
    value = 0
    for c in reversed(coefficients):  # Horner
        value = (value * x + c) % PRIME
    return value


def _check_threshold(k: int, n: int) -> None:
    if type(n) is not int or not 1 <= n <= MAX_SHARES:
        raise InputError(f"The number of shares must be 1..{MAX_SHARES}, not {n!r}.")
    if type(k) is not int or not 1 <= k <= n:
        raise InputError(f"The threshold must be 1..{n} (the number of shares), not {k!r}.")
