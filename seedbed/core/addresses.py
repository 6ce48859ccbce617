"""EVM addresses: parse with EIP-55 checksum checks, and print checksummed."""

from seedbed.core.errors import InputError
from seedbed.core.keccak import keccak_256

# Per hex digit: is it an upper-case letter / any letter? As nibbles with only the high bit
# set, so a whole address is checked with two int() calls instead of a 40-step loop.
_UPPER_BITS = str.maketrans("0123456789abcdefABCDEF", "0000000000000000888888")
_LETTER_BITS = str.maketrans("0123456789abcdefABCDEF", "0000000000888888888888")
_HIGH_BITS = int("8" * 40, 16)


def parse_address(text: str) -> bytes:
    """The 20 bytes of a 0x-prefixed address.

    All-lower-case and all-upper-case hex carry no checksum and are accepted; mixed case
    must be a correct EIP-55 checksum, since a wrong one is a typo in the address.
    """
    digits = text[2:]
    try:
        raw = bytes.fromhex(digits) if text[:2] == "0x" and len(digits) == 40 else b""
    except ValueError:
        raw = b""
    if len(raw) != 20:  # also catches the spaces fromhex() would skip
        raise InputError(f"{text!r} is not an address (0x and 40 hex digits).")
    if not (digits.islower() or digits.isupper() or digits.isdigit()):
        if not _checksum_ok(digits):
            raise InputError(f"{text} has a wrong EIP-55 checksum (mixed case).")
    return raw


def _checksum_ok(digits: str) -> bool:
    # EIP-55: a letter is upper case exactly when its nibble of keccak(lower hex) is >= 8.
    digest = keccak_256(digits.lower().encode("ascii")).digest()[:20]
    high_bits = int.from_bytes(digest, "big") & _HIGH_BITS
    letters = int(digits.translate(_LETTER_BITS), 16)
    return int(digits.translate(_UPPER_BITS), 16) == high_bits & letters


def to_checksum_address(address: bytes) -> str:
    """The EIP-55 form of 20 raw address bytes."""
    if len(address) != 20:
        raise InputError(f"An address must be 20 bytes, not {len(address)}.")
    lower = address.hex()
    digest = keccak_256(lower.encode("ascii")).hexdigest()[:40]
    return "0x" + "".join(
        c.upper() if d in "89abcdef" else c for c, d in zip(lower, digest, strict=True)
    )
