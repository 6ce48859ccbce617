"""Human units for scripts: token amounts, durations and license scopes.

Every parser is exact (integer and string arithmetic, never floats) and raises
`InputError` with one sentence naming what was wrong, so a script can print it as is.
"""

from __future__ import annotations

import re
from enum import IntFlag

from seedbed.core import constants
from seedbed.core.constants import BPS, UINT256_MAX
from seedbed.core.errors import InputError

# ---------------------------------------------------------------------------- amounts

# Names for the base units of an 18-decimal token (every EVM chain's native currency).
_WEI_UNITS = {"wei": 0, "gwei": 9, "ether": 18}

_AMOUNT = re.compile(r"(?P<num>\d+(?:\.\d*)?|\.\d+)\s*(?P<unit>[A-Za-z][A-Za-z0-9.]*)?", re.ASCII)


def parse_amount(text: str, decimals: int = 18, symbol: str = "ETH") -> int:
    """Parse "0.05 ETH", "0.05", "1.5 USDC", "100 wei" or "3 gwei" into base units.

    A bare number is in `symbol`'s whole units; a unit given in the text must be `symbol`
    (case-insensitive) or, for an 18-decimal token, "wei", "gwei" or "ether".
    """
    _check_decimals(decimals)
    cleaned = text.strip()
    if cleaned.startswith("-"):
        raise InputError(f"{text.strip()!r} is negative; amounts must be zero or more.")
    match = _AMOUNT.fullmatch(cleaned)
    if match is None:
        raise InputError(f"{text!r} is not an amount: use e.g. '0.05 {symbol}' or '0.05'.")
    number, unit = match["num"], match["unit"]
    places, unit_name = _unit_places(unit, decimals, symbol)

    whole, _, fraction = number.partition(".")
    fraction = fraction.rstrip("0")  # "1.50" is as exact as "1.5"
    if len(fraction) > places:
        raise InputError(f"{number} has more decimals than {unit_name}'s {places}.")
    value = int(whole or "0") * 10**places + int(fraction.ljust(places, "0") or "0")
    if value > UINT256_MAX:
        raise InputError(f"{text.strip()!r} is larger than a uint256 can hold.")
    return value


def format_amount(wei: int, decimals: int = 18, symbol: str = "ETH") -> str:
    """Format base units as "0.05 ETH": exact, trailing zeros trimmed, parseable again."""
    _check_decimals(decimals)
    sign, magnitude = ("-", -wei) if wei < 0 else ("", wei)
    whole, fraction = divmod(magnitude, 10**decimals)
    digits = f"{whole}.{fraction:0{decimals}d}".rstrip("0").rstrip(".") if decimals else str(whole)
    return f"{sign}{digits} {symbol}" if symbol else f"{sign}{digits}"


def round_amount(amount: int, decimals: int = 18, symbol: str = "ETH", digits: int = 4) -> str:
    """Base units for people: `digits` significant digits, but never fewer than 2 decimals,
    so whole units are never rounded away ("1,234.57 ETH"); "~" marks a rounded value.

    "0.5 ETH" and "0.02 ETH" are exact; 2/3000 ETH reads "~0.0006667 ETH" and 10**18 - 1 wei
    "~1 ETH". Whole units carry thousands separators; rounding is half up; there are never
    more decimals than the token has, so 1 wei reads "0.000000000000000001 ETH". Use
    `format_amount` where the exact value matters (JSON, messages comparing two amounts).
    """
    _check_decimals(decimals)
    if digits < 1:
        raise InputError(f"{digits} significant digits cannot show an amount: use 1 or more.")
    unit = f" {symbol}" if symbol else ""
    if amount == 0:
        return f"0{unit}"
    sign, magnitude = ("-", -amount) if amount < 0 else ("", amount)
    lead = len(str(magnitude)) - 1 - decimals  # the power of ten of the first digit
    places = min(decimals, max(_MIN_PLACES, digits - 1 - lead))
    step = 10 ** (decimals - places)
    shown, rest = divmod(magnitude, step)
    if 2 * rest >= step:  # half up
        shown += 1
    whole, fraction = divmod(shown, 10**places)
    text = f"{whole:,}"
    if fraction:
        text += "." + f"{fraction:0{places}d}".rstrip("0")
    return f"{'' if rest == 0 else '~'}{sign}{text}{unit}"


_MIN_PLACES = 2  # cents: from 100 units up, 2 decimals show more than 4 significant digits


def _unit_places(unit: str | None, decimals: int, symbol: str) -> tuple[int, str]:
    """Decimal places of the unit named in the text, and its name for messages."""
    if unit is None or unit.lower() == symbol.lower():
        return decimals, symbol or "the token"
    lowered = unit.lower()
    if re.fullmatch(r"e\d+", lowered):
        raise InputError(f"exponents like {unit} are not read: write the number out, or use wei.")
    if lowered in _WEI_UNITS:
        if decimals != 18:
            raise InputError(f"{unit} only applies to 18-decimal tokens, not {symbol}.")
        return _WEI_UNITS[lowered], lowered
    raise InputError(f"the amount is in {unit}, but this token is {symbol}.")


def _check_decimals(decimals: int) -> None:
    if not 0 <= decimals <= 77:  # 10**78 > 2**256: more places could not hold one token
        raise InputError(f"{decimals} is not a token's decimals: use 0 to 77.")


# -------------------------------------------------------------------------- durations

PERPETUAL = 0  # a license duration of 0 never expires (LicenseToken's convention)

_DURATION_UNITS = {"w": 7 * 86_400, "d": 86_400, "h": 3_600, "m": 60, "s": 1}
_DURATION_PART = re.compile(r"(\d+)\s*([wdhms])", re.ASCII)
_DURATION = re.compile(r"(?:\d+\s*[wdhms]\s*)+", re.ASCII)
_SECONDS = re.compile(r"\d+", re.ASCII)


def parse_duration(text: str) -> int:
    """Parse "30d", "12h", "90m", "45s", "2w", "1d12h", "3600" (seconds), "0" or "perpetual"."""
    cleaned = text.strip().lower()
    if cleaned == "perpetual":
        return PERPETUAL
    if _SECONDS.fullmatch(cleaned):
        return int(cleaned)
    if not _DURATION.fullmatch(cleaned):
        raise InputError(
            f"{text!r} is not a duration: use e.g. 30d, 12h, 90m, 45s, 2w or 'perpetual'."
        )
    return sum(int(n) * _DURATION_UNITS[u] for n, u in _DURATION_PART.findall(cleaned))


def format_duration(seconds: int) -> str:
    """Format seconds as "2w", "1d12h" or "perpetual" (for 0); parse_duration reads it back."""
    if seconds < 0:
        raise InputError(f"{seconds} is not a duration: durations are zero or more seconds.")
    if seconds == PERPETUAL:
        return "perpetual"
    parts = []
    for unit, size in _DURATION_UNITS.items():
        count, seconds = divmod(seconds, size)
        if count:
            parts.append(f"{count}{unit}")
    return "".join(parts)


# ----------------------------------------------------------------------------- scopes


class Scope(IntFlag):
    """License scope bits, as LicenseToken stores them."""

    ACCESS = constants.ACCESS
    TRAIN = constants.TRAIN
    INFER = constants.INFER
    COMMERCIAL = constants.COMMERCIAL
    DERIVE = constants.DERIVE


_VALID_SCOPES = ", ".join(s.name.lower() for s in Scope if s.name)


def parse_scopes(text: str) -> int:
    """Parse "train,infer" (commas or spaces, any case) into the scope bitmask."""
    names = [name for name in re.split(r"[\s,|]+", text.strip()) if name]
    if not names:
        raise InputError(f"no scope given: name one or more of {_VALID_SCOPES}.")
    mask = 0
    for name in names:
        try:
            mask |= Scope[name.upper()]
        except KeyError:
            raise InputError(f"{name!r} is not a scope: use {_VALID_SCOPES}.") from None
    return mask


def format_scopes(mask: int) -> str:
    """Format a scope bitmask as "train,infer" (in bit order); 0 gives ""."""
    if mask < 0 or mask & ~constants.ALL_SCOPES:
        raise InputError(f"scope mask {mask:#x} has bits outside {_VALID_SCOPES}.")
    return ",".join(s.name.lower() for s in Scope if s.name and mask & s)


# ------------------------------------------------------------------ ids and shares

_PERCENT = re.compile(r"(\d+)(?:\.(\d+))?%", re.ASCII)


def parse_id(text: str, what: str) -> int:
    """A positive whole number (an asset or license id)."""
    cleaned = text.strip()
    if not (cleaned.isascii() and cleaned.isdigit()) or int(cleaned) == 0:
        raise InputError(f"{text!r} is not {what} (a whole number from 1).")
    if len(cleaned) > 78 or int(cleaned) > UINT256_MAX:
        raise InputError(f"{text!r} is not {what}: ids are at most 2^256 - 1.")
    return int(cleaned)


def parse_count(text: str, what: str, maximum: int) -> int:
    """A whole number from 0 to `maximum`, ASCII digits only (no sign, no other scripts)."""
    cleaned = text.strip()
    if not (cleaned.isascii() and cleaned.isdigit()):
        raise InputError(f"{text!r} is not {what} (a whole number).")
    if len(cleaned) > len(str(maximum)) or int(cleaned) > maximum:
        raise InputError(f"{what} of {cleaned} is above the maximum of {maximum}.")
    return int(cleaned)


def parse_share(text: str) -> int:
    """A share in basis points: "2500" (bps) or "25%" / "12.5%" (exact, at most 2 decimals)."""
    cleaned = text.strip()
    match = _PERCENT.fullmatch(cleaned)
    if match:
        whole, fraction = match[1], (match[2] or "").rstrip("0")
        if len(fraction) > 2:
            raise InputError(f"The share {text!r} is finer than one basis point (0.01%).")
        bps = int(whole) * 100 + int(fraction.ljust(2, "0") or "0")
    elif cleaned.isascii() and cleaned.isdigit():
        bps = int(cleaned)
    else:
        raise InputError(f"The share {text!r} is not basis points (e.g. 2500) or a percent (25%).")
    if not 0 < bps <= BPS:
        raise InputError(f"A parent's share must be 1 to {BPS} bps (0.01% to 100%), not {text!r}.")
    return bps
