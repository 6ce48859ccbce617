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
