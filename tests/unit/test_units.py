"""Human units: exact amounts, durations and scope names, with one-sentence errors."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from seedbed.core.errors import InputError
from seedbed.core.units import (
    UINT256_MAX,
    Scope,
    format_amount,
    format_duration,
    format_scopes,
    parse_amount,
    parse_duration,
    parse_scopes,
    round_amount,
)

# ---------------------------------------------------------------------------- amounts


@pytest.mark.parametrize(
    ("text", "kwargs", "expected"),
    [
        ("0.05 ETH", {}, 5 * 10**16),
        ("0.05", {}, 5 * 10**16),
        ("0.05eth", {}, 5 * 10**16),
        ("  2 Eth ", {}, 2 * 10**18),
        (".5", {}, 5 * 10**17),
        ("1.", {}, 10**18),
        ("100 wei", {}, 100),
        ("3 gwei", {}, 3 * 10**9),
        ("1.5 GWEI", {}, 1_500_000_000),
        ("1 ether", {}, 10**18),
        ("0", {}, 0),
        ("1.5 USDC", {"decimals": 6, "symbol": "USDC"}, 1_500_000),
        ("1.5 usdc", {"decimals": 6, "symbol": "USDC"}, 1_500_000),
        ("1.500000000", {"decimals": 6, "symbol": "USDC"}, 1_500_000),
        ("7", {"decimals": 0, "symbol": "PTS"}, 7),
        ("2 POL", {"symbol": "POL"}, 2 * 10**18),
        ("5 gwei", {"symbol": "POL"}, 5 * 10**9),
    ],
)
def test_parse_amount(text, kwargs, expected):
    assert parse_amount(text, **kwargs) == expected


@pytest.mark.parametrize(
    ("text", "kwargs", "message"),
    [
        (
            "0.0000001",
            {"decimals": 6, "symbol": "USDC"},
            "0.0000001 has more decimals than USDC's 6",
        ),
        ("1.5 wei", {}, "1.5 has more decimals than wei's 0"),
        ("-1 ETH", {}, "negative"),
        ("-0.5", {}, "negative"),
        ("1 DAI", {"decimals": 6, "symbol": "USDC"}, "in DAI, but this token is USDC"),
        ("3 gwei", {"decimals": 6, "symbol": "USDC"}, "only applies to 18-decimal tokens"),
        ("", {}, "not an amount"),
        ("ETH", {}, "not an amount"),
        ("1,000", {}, "not an amount"),
        ("1e18", {}, "exponents like e18 are not read"),
        ("0x10", {}, "in x10"),
        ("1.2.3", {}, "not an amount"),
        ("１", {}, "not an amount"),  # a full-width digit
        (str(UINT256_MAX + 1) + " wei", {}, "larger than a uint256"),
        ("1", {"decimals": 78}, "not a token's decimals"),
    ],
)
def test_parse_amount_rejects(text, kwargs, message):
    with pytest.raises(InputError, match=message):
        parse_amount(text, **kwargs)


@pytest.mark.parametrize(
    ("wei", "kwargs", "expected"),
    [
        (5 * 10**16, {}, "0.05 ETH"),
        (10**18, {}, "1 ETH"),
        (0, {}, "0 ETH"),
        (1, {}, "0.000000000000000001 ETH"),
        (1_500_000, {"decimals": 6, "symbol": "USDC"}, "1.5 USDC"),
        (7, {"decimals": 0, "symbol": "PTS"}, "7 PTS"),
        (123_400, {"decimals": 2, "symbol": ""}, "1234"),
        (-5 * 10**16, {}, "-0.05 ETH"),
    ],
)
def test_format_amount(wei, kwargs, expected):
    assert format_amount(wei, **kwargs) == expected


@given(st.integers(0, UINT256_MAX), st.integers(0, 77), st.sampled_from(["ETH", "USDC", "x"]))
def test_format_then_parse_amount_round_trips(wei, decimals, symbol):
    assert parse_amount(format_amount(wei, decimals, symbol), decimals, symbol) == wei


# --------------------------------------------------------------------- rounded amounts

ETH_WEI = 10**18


@pytest.mark.parametrize(
    ("amount", "kwargs", "shown"),
    [
        (0, {}, "0 ETH"),
        (0, {"decimals": 6, "symbol": "USDC"}, "0 USDC"),
        (5 * 10**17, {}, "0.5 ETH"),  # exact: no marker
        (2 * 10**16, {}, "0.02 ETH"),
        (2 * ETH_WEI // 3000, {}, "~0.0006667 ETH"),  # 4 significant digits, marked
        (222_222_222_222_222_222, {}, "~0.2222 ETH"),
        (221_999_999_999_999_995, {}, "~0.222 ETH"),  # rounded zeros are trimmed
        (1, {}, "0.000000000000000001 ETH"),  # 1 wei: exact, never "0"
        (350 * 10**9, {}, "0.00000035 ETH"),  # plain digits, no exponent
        (ETH_WEI - 1, {}, "~1 ETH"),  # rounds up to a whole unit, marked
        (ETH_WEI, {}, "1 ETH"),
        (1_234_500_000_000_000_000, {}, "~1.235 ETH"),  # half up
        (123_456 * 10**15, {}, "~123.46 ETH"),  # from 100 units on: 2 decimals
        (1_234_567_800 * 10**12, {}, "~1,234.57 ETH"),  # whole units never rounded away
        (12_345_678 * ETH_WEI, {}, "12,345,678 ETH"),
        (999_999_999 * ETH_WEI + 995 * 10**15, {}, "~1,000,000,000 ETH"),
        (1_500_000, {"decimals": 6, "symbol": "USDC"}, "1.5 USDC"),
        (1, {"decimals": 6, "symbol": "USDC"}, "0.000001 USDC"),
        (1_234_567_891_234, {"decimals": 6, "symbol": "USDC"}, "~1,234,567.89 USDC"),
        (12_345, {"decimals": 0, "symbol": "PTS"}, "12,345 PTS"),  # no decimals: always exact
        (2 * ETH_WEI // 3000, {"symbol": ""}, "~0.0006667"),
        (-(2 * ETH_WEI // 3000), {}, "~-0.0006667 ETH"),
        (ETH_WEI // 3, {"digits": 2}, "~0.33 ETH"),
    ],
)
def test_round_amount(amount, kwargs, shown):
    assert round_amount(amount, **kwargs) == shown


def test_round_amount_of_the_largest_uint256_keeps_every_whole_unit():
    shown = round_amount(UINT256_MAX)
    whole = UINT256_MAX // ETH_WEI
    assert shown == f"~{whole:,}.58 ETH"


def _shown_value(shown, decimals, symbol):
    """The base units a rounded string stands for (it may round up past a uint256)."""
    number = shown.removeprefix("~").removesuffix(f" {symbol}").replace(",", "")
    whole, _, fraction = number.partition(".")
    assert len(fraction) <= decimals
    return int(whole) * 10**decimals + int(fraction.ljust(decimals, "0") or "0")


amounts = st.one_of(st.integers(0, UINT256_MAX), st.integers(0, 10**24))


@given(amounts, st.integers(0, 30), st.sampled_from(["ETH", "USDC"]))
def test_round_amount_is_marked_exactly_when_it_is_not_exact(amount, decimals, symbol):
    shown = round_amount(amount, decimals, symbol)
    assert shown.startswith("~") == (_shown_value(shown, decimals, symbol) != amount)


@given(amounts, st.integers(0, 30), st.sampled_from(["ETH", "USDC"]))
def test_round_amount_is_off_by_at_most_half_a_cent_and_one_part_in_2000(amount, decimals, symbol):
    error = abs(_shown_value(round_amount(amount, decimals, symbol), decimals, symbol) - amount)
    assert 200 * error <= 10**decimals
    assert 2000 * error <= amount


@given(amounts, st.integers(0, 30))
def test_round_amount_shows_4_significant_digits_or_2_decimals_whichever_is_more(amount, decimals):
    shown = round_amount(amount, decimals, "")
    whole, _, fraction = shown.removeprefix("~").replace(",", "").partition(".")
    significant = len((whole + fraction).lstrip("0"))
    assert significant <= max(4, len(whole.lstrip("0")) + 2)
    assert len(fraction) <= decimals


def test_round_amount_refuses_impossible_decimals_and_digits():
    with pytest.raises(InputError, match="not a token's decimals"):
        round_amount(1, 78)
    with pytest.raises(InputError, match="significant digits"):
        round_amount(1, 18, "ETH", digits=0)


def test_currency_format_is_rounded_and_exact_is_exact():
    from seedbed.workflows.royalties import ETHER, Currency

    third = ETH_WEI // 3
    assert ETHER.format(third) == "~0.3333 ETH"
    assert ETHER.exact(third) == "0.333333333333333333 ETH"
    assert ETHER.parse(ETHER.exact(third)) == third
    usdc = Currency("0x" + "11" * 20, "USDC", 6)
    assert (usdc.format(2_500_000), usdc.exact(2_500_000)) == ("2.5 USDC", "2.5 USDC")


# -------------------------------------------------------------------------- durations


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("30d", 30 * 86_400),
        ("12h", 12 * 3_600),
        ("90m", 5_400),
        ("45s", 45),
        ("2w", 14 * 86_400),
        ("0", 0),
        ("perpetual", 0),
        (" Perpetual ", 0),
        ("3600", 3_600),
        ("1d12h", 129_600),
        ("1D 12H", 129_600),
        ("0d", 0),
    ],
)
def test_parse_duration(text, expected):
    assert parse_duration(text) == expected


@pytest.mark.parametrize("text", ["", "d", "-1d", "1.5d", "3x", "1y", "forever", "12h-1m", "１d"])
def test_parse_duration_rejects(text):
    with pytest.raises(InputError, match="is not a duration"):
        parse_duration(text)


@pytest.mark.parametrize(
    ("seconds", "expected"),
    [(0, "perpetual"), (45, "45s"), (5_400, "1h30m"), (14 * 86_400, "2w"), (694_861, "1w1d1h1m1s")],
)
def test_format_duration(seconds, expected):
    assert format_duration(seconds) == expected


def test_format_duration_rejects_negative():
    with pytest.raises(InputError, match="zero or more"):
        format_duration(-1)


@given(st.integers(0, 2**64))
def test_format_then_parse_duration_round_trips(seconds):
    assert parse_duration(format_duration(seconds)) == seconds


# ----------------------------------------------------------------------------- scopes


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("train,infer", 2 | 4),
        ("TRAIN, Infer", 2 | 4),
        ("access commercial derive", 1 | 8 | 16),
        ("infer,infer", 4),
        ("access,train,infer,commercial,derive", 31),
    ],
)
def test_parse_scopes(text, expected):
    assert parse_scopes(text) == expected


def test_scope_bits_match_license_token():
    assert [(s.name, s.value) for s in Scope] == [
        ("ACCESS", 1),
        ("TRAIN", 2),
        ("INFER", 4),
        ("COMMERCIAL", 8),
        ("DERIVE", 16),
    ]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("train,resell", "'resell' is not a scope: use access, train, infer, commercial, derive"),
        ("", "no scope given"),
        (" , ", "no scope given"),
    ],
)
def test_parse_scopes_rejects(text, message):
    with pytest.raises(InputError, match=message):
        parse_scopes(text)


@pytest.mark.parametrize(
    ("mask", "expected"),
    [(6, "train,infer"), (31, "access,train,infer,commercial,derive"), (0, "")],
)
def test_format_scopes(mask, expected):
    assert format_scopes(mask) == expected


@pytest.mark.parametrize("mask", [32, -1, 1 << 40])
def test_format_scopes_rejects_unknown_bits(mask):
    with pytest.raises(InputError, match="bits outside"):
        format_scopes(mask)


@given(st.integers(1, 31))
def test_format_then_parse_scopes_round_trips(mask):
    assert parse_scopes(format_scopes(mask)) == mask
