"""The signed release request: a license holder asks one service for a sealed dataset's key
(or a share of it, or a stream of its plaintext) with an EIP-712 signature.

    domain  = ("Seedbed PrivateData", "1", chainId, verifyingContract = PrivateData)
    Release(uint256 licenseId,address audience,bytes32 nonce,uint64 deadline)

`audience` is the service asked (its own address), so a request cannot be replayed to another
service; `nonce` is a one-time challenge that service issued (`Challenges`), so it cannot be
replayed to the same one. The signature recovers the holder's address and public key; the
service checks the address on chain and encrypts to the key (`seedbed.core.ecies`).
"""

from __future__ import annotations

import copy
import heapq
import secrets
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from eth_account import Account
from eth_account.messages import encode_typed_data
from eth_keys.exceptions import ValidationError
from eth_typing import ChecksumAddress
from eth_utils import keccak

from seedbed.core.errors import InputError
from seedbed.core.signatures import recover_public_key, split_rsv
from seedbed.core.vouchers import checksum_address

__all__ = [
    "DOMAIN_NAME",
    "DOMAIN_VERSION",
    "RELEASE_TYPE",
    "Challenges",
    "Release",
    "SignedRelease",
    "digest",
    "recover",
    "sign",
    "typed_data",
]

DOMAIN_NAME = "Seedbed PrivateData"
DOMAIN_VERSION = "1"
RELEASE_TYPE = "Release(uint256 licenseId,address audience,bytes32 nonce,uint64 deadline)"
RELEASE_TYPEHASH = keccak(text=RELEASE_TYPE)
NONCE_SIZE = 32
_UINT256_MAX = 2**256 - 1
_UINT64_MAX = 2**64 - 1

_TYPES: dict[str, list[dict[str, str]]] = {
    "EIP712Domain": [
        {"name": "name", "type": "string"},
        {"name": "version", "type": "string"},
        {"name": "chainId", "type": "uint256"},
        {"name": "verifyingContract", "type": "address"},
    ],
    "Release": [
        {"name": "licenseId", "type": "uint256"},
        {"name": "audience", "type": "address"},
        {"name": "nonce", "type": "bytes32"},
        {"name": "deadline", "type": "uint64"},
    ],
}


@dataclass(frozen=True, slots=True)
class Release:
    """The holder of `license_id` asks `audience` to release, answering challenge `nonce`,
    until `deadline` (unix seconds)."""

    license_id: int
    audience: str
    nonce: bytes
    deadline: int

    def __post_init__(self) -> None:
        _check_uint("licenseId", self.license_id, _UINT256_MAX)
        _check_uint("deadline", self.deadline, _UINT64_MAX)
        if not isinstance(self.nonce, bytes) or len(self.nonce) != NONCE_SIZE:
            raise InputError(f"A release nonce must be {NONCE_SIZE} bytes, not {self.nonce!r}.")
        object.__setattr__(self, "audience", checksum_address(self.audience, "audience"))

    def to_json(self, signature: bytes | None = None) -> dict[str, str]:
        """JSON-ready dict (numbers as decimal strings), with the signature when given."""
        data = {
            "licenseId": str(self.license_id),
            "audience": self.audience,
            "nonce": "0x" + self.nonce.hex(),
            "deadline": str(self.deadline),
        }
        if signature is not None:
            data["signature"] = "0x" + bytes(signature).hex()
        return data

    @classmethod
    def from_json(cls, data: Any) -> Release:
        """Read what `to_json` wrote (a "signature" key is ignored: see SignedRelease)."""
        if not isinstance(data, Mapping):
            raise InputError("A release request must be a JSON object.")
        audience = data.get("audience")
        if not isinstance(audience, str):
            raise InputError(f"The release's audience {audience!r} is not a 0x address.")
        return cls(
            license_id=_json_uint(data, "licenseId"),
            audience=audience,
            nonce=_json_hex(data, "nonce", NONCE_SIZE),
            deadline=_json_uint(data, "deadline"),
        )


@dataclass(frozen=True, slots=True)
class SignedRelease:
    """A release request and the holder's 65-byte signature over it."""

    release: Release
    signature: bytes

    def to_json(self) -> dict[str, str]:
        return self.release.to_json(self.signature)

    @classmethod
    def from_json(cls, data: Any) -> SignedRelease:
        release = Release.from_json(data)
        return cls(release, _json_hex(data, "signature", 65))

    def recover(self, chain_id: int, contract: str) -> tuple[ChecksumAddress, bytes]:
        return recover(self.release, chain_id, contract, self.signature)


def typed_data(release: Release, chain_id: int, contract: str) -> dict[str, Any]:
    """The full EIP-712 message, for eth-account or a wallet's eth_signTypedData_v4."""
    if isinstance(chain_id, bool) or not isinstance(chain_id, int) or chain_id <= 0:
        raise InputError(f"The chain id {chain_id!r} is not a positive integer.")
    return {
        "types": copy.deepcopy(_TYPES),
        "primaryType": "Release",
        "domain": {
            "name": DOMAIN_NAME,
            "version": DOMAIN_VERSION,
            "chainId": chain_id,
            "verifyingContract": checksum_address(contract, "PrivateData address"),
        },
        "message": {
            "licenseId": str(release.license_id),
            "audience": release.audience,
            "nonce": "0x" + release.nonce.hex(),
            "deadline": str(release.deadline),
        },
    }


def digest(release: Release, chain_id: int, contract: str) -> bytes:
    """The 32-byte EIP-712 hash that is signed."""
    signable = encode_typed_data(full_message=typed_data(release, chain_id, contract))
    return bytes(keccak(b"\x19" + signable.version + signable.header + signable.body))


def sign(release: Release, chain_id: int, contract: str, private_key: bytes | str) -> bytes:
    """65 bytes r || s || v (v in {27, 28}, low s), as a wallet signs typed data."""
    signable = encode_typed_data(full_message=typed_data(release, chain_id, contract))
    try:
        signed = Account.sign_message(signable, private_key)
    except (ValueError, TypeError, ValidationError) as exc:
        raise InputError(f"The private key is unusable: {exc}.") from None
    return bytes(signed.signature)


def recover(
    release: Release, chain_id: int, contract: str, signature: bytes
) -> tuple[ChecksumAddress, bytes]:
    """(signer's checksum address, its 64-byte public key), checked like OpenZeppelin's ECDSA:
    65 bytes, v 27 or 28, low s."""
    if not isinstance(signature, bytes | bytearray) or len(signature) != 65:
        size = len(signature) if isinstance(signature, bytes | bytearray) else "not"
        raise InputError(f"A release signature must be 65 bytes (r, s, v), not {size}.")
    public = recover_public_key(
        digest(release, chain_id, contract), *split_rsv(signature), "the service"
    )
    return public.to_checksum_address(), public.to_bytes()


class Challenges:
    """One-time nonces a service hands out and takes back once (server side, in memory).

    A nonce is good until its deadline inclusive. Memory is bounded: expired nonces are
    dropped as new ones are issued, and past `cap` outstanding the soonest to expire goes.
    Thread-safe.
    """

    def __init__(self, cap: int = 100_000, clock: Callable[[], float] = time.time) -> None:
        if cap < 1:
            raise InputError(f"The challenge cap must be at least 1, not {cap}.")
        self.cap = cap
        self._clock = clock
        self._deadlines: dict[bytes, int] = {}
        self._by_deadline: list[tuple[int, bytes]] = []  # a heap; consumed nonces linger here
        self._lock = threading.Lock()

    def __len__(self) -> int:
        return len(self._deadlines)

    def issue(self, ttl_seconds: int = 120, now: float | None = None) -> tuple[bytes, int]:
        """(nonce, deadline): a fresh 32-byte nonce good for `ttl_seconds` from now."""
        if type(ttl_seconds) is not int or ttl_seconds <= 0:
            raise InputError(f"A challenge's lifetime must be positive seconds, not {ttl_seconds}.")
        nonce = secrets.token_bytes(NONCE_SIZE)
        with self._lock:
            at = int(self._clock() if now is None else now)
            self._drop(lambda deadline: deadline < at)
            self._drop(lambda _: len(self._deadlines) >= self.cap)
            deadline = at + ttl_seconds
            self._deadlines[nonce] = deadline
            heapq.heappush(self._by_deadline, (deadline, nonce))
        return nonce, deadline

    def consume(self, nonce: bytes, now: float | None = None) -> bool:
        """True the first time a nonce issued here is presented by its deadline; else False."""
        with self._lock:
            deadline = self._deadlines.pop(bytes(nonce), None) if isinstance(nonce, bytes) else None
        if deadline is None:
            return False
        return (self._clock() if now is None else now) <= deadline

    def _drop(self, condition: Callable[[int], bool]) -> None:
        heap = self._by_deadline
        while heap and condition(heap[0][0]):
            deadline, nonce = heapq.heappop(heap)
            if self._deadlines.get(nonce) == deadline:
                del self._deadlines[nonce]
        if len(heap) > 2 * self.cap:  # consumed nonces pile up in the heap: rebuild it
            self._by_deadline = [(d, n) for n, d in self._deadlines.items()]
            heapq.heapify(self._by_deadline)


def _check_uint(name: str, value: object, limit: int) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= limit:
        raise InputError(f"The release's {name} {value!r} is out of range.")


def _json_uint(data: Mapping[str, Any], key: str) -> int:
    value = data.get(key)
    if isinstance(value, str):
        text = value.strip()
        try:
            value = int(text, 16) if text.lower().startswith("0x") else int(text, 10)
        except ValueError:
            raise InputError(f"The release's {key} {data[key]!r} is not a number.") from None
    if isinstance(value, bool) or not isinstance(value, int):
        raise InputError(f"The release's {key} {data.get(key)!r} is not an integer.")
    return value


def _json_hex(data: Mapping[str, Any], key: str, size: int) -> bytes:
    value = data.get(key)
    if not isinstance(value, str) or not value.startswith("0x"):
        raise InputError(f"The release's {key} {value!r} is not a 0x hex string.")
    try:
        raw = bytes.fromhex(value[2:])
    except ValueError:
        raise InputError(f"The release's {key} {value!r} is not hex.") from None
    if len(raw) != size:
        raise InputError(f"The release's {key} must be {size} bytes, not {len(raw)}.")
    return raw
