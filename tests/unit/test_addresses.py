"""Address parsing: EIP-55 checksums are checked only when the case is mixed."""

import pytest
from eth_utils import to_checksum_address as reference_checksum
from hypothesis import given, settings
from hypothesis import strategies as st

from seedbed.core.addresses import parse_address, to_checksum_address
from seedbed.core.errors import InputError

# The EIP-55 test vectors.
EIP55 = [
    "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed",
    "0xfB6916095ca1df60bB79Ce92cE3Ea74c37c5d359",
    "0xdbF03B407c01E7cD3CBea99509d93f8DDDC8C6FB",
    "0xD1220A0cf47c7B9Be7A2E6BA89F429762e7b9aDb",
]


@pytest.mark.parametrize("text", EIP55)
def test_eip55_vectors(text):
    raw = bytes.fromhex(text[2:])
    assert parse_address(text) == raw
    assert to_checksum_address(raw) == text


@pytest.mark.parametrize("text", EIP55)
def test_single_case_needs_no_checksum(text):
    raw = bytes.fromhex(text[2:])
    assert parse_address(text.lower()) == raw
    assert parse_address("0x" + text[2:].upper()) == raw


@pytest.mark.parametrize("text", EIP55)
def test_one_letter_in_the_wrong_case_is_refused(text):
    i = next(i for i, c in enumerate(text) if i > 1 and c.isalpha())
    typo = text[:i] + text[i].swapcase() + text[i + 1 :]
    with pytest.raises(InputError, match="wrong EIP-55 checksum"):
        parse_address(typo)


@pytest.mark.parametrize(
    "text",
    [
        "",
        "0x",
        "0x" + "a" * 39,
        "0x" + "a" * 41,
        "0X" + "a" * 40,
        "a" * 42,
        "0x" + "g" * 40,
        "0x" + "a" * 38 + " a",
        " 0x" + "a" * 40,
    ],
)
def test_malformed_addresses(text):
    with pytest.raises(InputError, match="not an address"):
        parse_address(text)


@settings(max_examples=50)
@given(st.binary(min_size=20, max_size=20))
def test_checksum_roundtrips_and_matches_eth_utils(raw):
    text = to_checksum_address(raw)
    assert text == reference_checksum(raw)
    assert parse_address(text) == raw
