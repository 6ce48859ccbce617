"""Hypothesis strategies for what users type: junk in general, and per kind of value the
inputs that are invalid by construction, each checked by a small independent oracle."""

from __future__ import annotations

import re
import string

from hypothesis import strategies as st

UINT256 = 2**256
SECP256K1_N = 0xFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEBAAEDCE6AF48A03BBFD25E8CD0364141
# Digits Python's int() and str.isdigit() accept that are not ASCII.
UNICODE_DIGITS = "²³¹٠١٢٣۴५৭໑༣၁１２３𝟙𝟚⁴₅①"
TRICKY = [
    "",
    " ",
    "\t",
    "0",
    "00",
    "000",
    "+1",
    "1_0",
    "1e3",
    "1E18",
    "1.0",
    "1.",
    ".5",
    "0x1",
    "0x",
    "0b1",
    "NaN",
    "inf",
    "∞",
    "½",
    "1 2",
    "1,5",
    "١",
    "²",
    "１",
    "0x" + "g" * 40,
    "None",
    "null",
    "true",
    "[]",
    "{}",
    "'1'",
    '"1"',
    "1;2",
    "ｅｔｈ",
    "１.５",
]

# Printable and not: everything but surrogates (argv cannot carry a lone one as text) and
# NUL (argv cannot carry it at all).
_chars = st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00")


def _no_option(text: str) -> bool:
    return not text.startswith("-")


def huge() -> st.SearchStrategy[int]:
    return st.one_of(
        st.integers(2**63, 2**300), st.sampled_from([UINT256, UINT256 - 1, 2**64, 10**77])
    )


def junk(max_size: int = 16) -> st.SearchStrategy[str]:
    """Any text a user might type where a value goes (never a leading dash: that is an option)."""
    return st.one_of(
        st.text(_chars, max_size=max_size),
        st.text(string.digits + string.ascii_letters + ".,%:_ +x", max_size=max_size),
        st.text(UNICODE_DIGITS + "0123456789", min_size=1, max_size=4),
        st.sampled_from(TRICKY),
        st.from_regex(r"0x[0-9a-fA-FgG ]{0,44}", fullmatch=True),
        huge().map(str),
        st.integers(max_value=-1).map(str),
        st.decimals(allow_nan=True, allow_infinity=True).map(str),
    ).filter(_no_option)


def negative() -> st.SearchStrategy[str]:
    """Negative numbers: for `--opt=VALUE` forms only (as a bare argument it is an option)."""
    return st.one_of(
        st.integers(max_value=-1).map(str), st.sampled_from(["-0.5", "-1 ETH", "-0", "-1d"])
    )


# -- ids ------------------------------------------------------------------------------------


def valid_id(text: str, count: int) -> bool:
    """The documented rule (seedbed.core.units.parse_id): ASCII digits, from 1, and it exists."""
    cleaned = text.strip()
    return cleaned.isascii() and cleaned.isdigit() and 0 < int(cleaned) <= count


def int_accepts(text: str) -> bool:
    """Whether Python's int() reads it (as click's type=int does): '+1', ' 1_0', '١'..."""
    try:
        int(text)
    except ValueError:
        return False
    return True


def bad_ids(count: int) -> st.SearchStrategy[str]:
    """Ids no script may accept: junk, unicode digits, 0, or past the last one."""
    return st.one_of(
        junk(),
        st.integers(count + 1, 10**6).map(str),
        huge().map(str),
        st.sampled_from(UNICODE_DIGITS),
    ).filter(lambda t: not valid_id(t, count))


# -- amounts --------------------------------------------------------------------------------

_AMOUNT = re.compile(r"\s*(\d+(\.\d*)?|\.\d+)\s*(eth|ether|wei|gwei)?\s*", re.ASCII | re.I)


def bad_amounts(decimals: int = 18) -> st.SearchStrategy[str]:
    """Amounts that are not amounts, zero, negative, too precise, or more than anyone has."""
    return st.one_of(
        junk().filter(lambda t: not _AMOUNT.fullmatch(t) or _is_zero(t)),
        st.sampled_from(["0", "0.0", "0 ETH", ".0", "0 wei", "1 USDC", "1 BTC", "5e18", "1e-3"]),
        st.integers(decimals + 1, 40).map(lambda n: "0." + "0" * (n - 1) + "1"),
        st.integers(10**9, 10**70).map(str),  # more ETH than any test account holds
        st.just(str(UINT256)),
        st.integers(1, 10**6).map(lambda n: f"{n} wei").map(lambda t: t + " extra"),
    )


def _is_zero(text: str) -> bool:
    m = _AMOUNT.fullmatch(text)
    return bool(m) and set(m[1]) <= {"0", "."}


# -- addresses ------------------------------------------------------------------------------

_ADDRESS = re.compile(r"0x[0-9a-fA-F]{40}")


def bad_addresses() -> st.SearchStrategy[str]:
    """Not 0x+40 hex digits, or mixed case with a wrong EIP-55 checksum."""
    return st.one_of(
        junk(48).filter(lambda t: not _ADDRESS.fullmatch(t)),
        st.from_regex(r"0x[0-9a-f]{0,39}", fullmatch=True),
        st.from_regex(r"0x[0-9a-f]{41,44}", fullmatch=True),
        st.from_regex(r"[0-9a-f]{40}", fullmatch=True),  # no 0x
        st.from_regex(r" 0x[0-9a-f]{40} ", fullmatch=True),
        st.binary(min_size=20, max_size=20).map(_wrong_checksum).filter(bool),
    )


def _wrong_checksum(raw: bytes) -> str:
    from eth_utils import to_checksum_address

    good = to_checksum_address(raw)
    letters = [i for i, c in enumerate(good) if i > 1 and c.isalpha()]
    if len(letters) < 2:
        return ""
    i = letters[0]
    return good[:i] + good[i].swapcase() + good[i + 1 :]  # mixed case, one letter flipped


def unused_addresses() -> st.SearchStrategy[str]:
    """Well-formed addresses with (almost surely) no code and no money: not a token."""
    from eth_utils import to_checksum_address

    return st.binary(min_size=20, max_size=20).map(to_checksum_address)


# -- durations, scopes, shares --------------------------------------------------------------

_DURATION = re.compile(r"(?:\d+\s*[wdhms]\s*)+|\d+|perpetual", re.ASCII | re.I)


def bad_durations() -> st.SearchStrategy[str]:
    return st.one_of(
        junk().filter(lambda t: not _DURATION.fullmatch(t.strip())),
        st.sampled_from(["1y", "1.5d", "²d", "1d 2x", "d", "30 days", "1mo", "１d", "PT1H"]),
    )


def huge_durations() -> st.SearchStrategy[str]:
    """Durations no uint64 (or a year count) holds."""
    return st.one_of(huge().map(str), huge().map(lambda n: f"{n}d"), huge().map(lambda n: f"{n}w"))


SCOPE_NAMES = ["access", "train", "infer", "commercial", "derive"]


def bad_scopes() -> st.SearchStrategy[str]:
    word = st.one_of(st.sampled_from(SCOPE_NAMES), junk(8))
    return st.one_of(
        junk().filter(lambda t: not _only_scopes(t)),
        st.lists(word, min_size=1, max_size=4).map(",".join).filter(lambda t: not _only_scopes(t)),
        st.sampled_from(["", ",", " , ", "train;infer", "train/infer", "trains", "ｔｒａｉｎ"]),
    )


def _only_scopes(text: str) -> bool:
    names = [n for n in re.split(r"[\s,|]+", text.strip()) if n]
    return bool(names) and all(n.lower() in SCOPE_NAMES for n in names)


_SHARE = re.compile(r"(\d+)(\.\d+)?%|\d+", re.ASCII)


def valid_share(text: str) -> bool:
    cleaned = text.strip()
    if not _SHARE.fullmatch(cleaned):
        return False
    if cleaned.endswith("%"):
        whole, _, frac = cleaned[:-1].partition(".")
        frac = frac.rstrip("0")
        if len(frac) > 2:
            return False
        bps = int(whole) * 100 + int(frac.ljust(2, "0") or "0")
    else:
        bps = int(cleaned)
    return 0 < bps <= 10_000


def bad_shares() -> st.SearchStrategy[str]:
    return st.one_of(
        junk().filter(lambda t: not valid_share(t)),
        st.sampled_from(["0", "0%", "10001", "100.01%", "12.345%", "²%", "50 %", "0.001%", "1e4"]),
        st.integers(10_001, 10**80).map(str),
    )


# -- keys and networks ----------------------------------------------------------------------


def bad_keys() -> st.SearchStrategy[str]:
    """SEEDBED_PRIVATE_KEY values that hold no private key (never empty: that means none)."""
    return st.one_of(
        junk(70).filter(lambda t: t.strip() != ""),
        st.from_regex(r"(0x)?[0-9a-f]{1,63}", fullmatch=True),
        st.from_regex(r"(0x)?[0-9a-f]{65,80}", fullmatch=True),
        st.from_regex(r"(0x)?[0-9a-f]{30}[g-z][0-9a-f]{33}", fullmatch=True),
        st.sampled_from([0, SECP256K1_N, SECP256K1_N + 1, UINT256 - 1]).map(
            lambda k: f"0x{k:064x}"
        ),
        st.just("0x" + "１" * 64),
    ).filter(lambda t: "\x00" not in t)


def unfunded_keys() -> st.SearchStrategy[str]:
    """Real keys of accounts that hold nothing on the test chain."""
    return st.integers(2**200, SECP256K1_N - 1).map(lambda k: f"0x{k:064x}")


def unreachable_networks() -> st.SearchStrategy[str]:
    """Node URLs where nothing answers (closed local ports, unresolvable names), and
    network choices that name nothing, other schemes and ports past 65535."""
    return st.one_of(
        st.integers(65536, 10**6).map(lambda p: f"http://127.0.0.1:{p}"),
        st.sampled_from(["ws://127.0.0.1:1", "wss://localhost:1", "ftp://127.0.0.1:21"]),
        st.integers(1, 1023).map(lambda p: f"http://127.0.0.1:{p}"),
        st.integers(1, 1023).map(lambda p: f"https://localhost:{p}"),
        st.sampled_from(
            [
                "http://[::1]:1",
                "http://seedbed-no-such-host.invalid:8545",
                "http://",
                "ethereum:nonet:foundry",
                "ethereum:local:nosuchprovider",
                "nochain",
            ]
        ),
    )
