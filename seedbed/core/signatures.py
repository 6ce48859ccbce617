"""Strict ECDSA recovery, as OpenZeppelin's ECDSA checks a signature on chain: v 27 or 28, r and
s in range, s in the lower half (EIP-2: no malleable twin). One home for the vouchers', the
signed releases' and the attestations' checks, so a signature refused by one is refused by all.
"""

from __future__ import annotations

from eth_keys import keys
from eth_keys.datatypes import PublicKey
from eth_keys.exceptions import BadSignature, ValidationError

from seedbed.core.errors import InputError

SECP256K1_N = 0xFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEBAAEDCE6AF48A03BBFD25E8CD0364141
HALF_N = SECP256K1_N // 2  # OpenZeppelin's ECDSA rejects s above this


def split_rsv(signature: bytes) -> tuple[int, int, int]:
    """(r, s, v) of a 65-byte r || s || v signature (the caller checks the length)."""
    r, s = (int.from_bytes(signature[i : i + 32], "big") for i in (0, 32))
    return r, s, signature[64]


def recover_public_key(digest: bytes, r: int, s: int, v: int, checker: str) -> PublicKey:
    """The public key that signed the 32-byte `digest`; `checker` names who refuses what
    (\"the meter\"), for the one-line error."""
    if v not in (27, 28):
        raise InputError(f"the signature's v is {v}; {checker} accepts only 27 or 28.")
    if s > HALF_N:
        raise InputError(f"the signature has a high s value, which {checker} rejects as malleable.")
    if not (0 < r < SECP256K1_N and 0 < s):
        raise InputError("the signature's r or s is out of range.")
    try:
        return keys.Signature(vrs=(v - 27, r, s)).recover_public_key_from_msg_hash(digest)
    except (BadSignature, ValidationError):
        raise InputError("the signature does not recover to any account.") from None
