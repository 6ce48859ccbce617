"""Shamir sharing over GF(2**521 - 1): any k shares give the key, fewer give another one."""

import itertools
import random

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from seedbed.core import shamir as shamir_module
from seedbed.core.errors import InputError
from seedbed.core.shamir import PRIME, Share, combine, split

SECRET = bytes(range(32))
P = 2**521 - 1


def test_the_field_is_the_mersenne_prime_2_521_minus_1():
    assert PRIME == P


def test_any_k_of_n_shares_combine_to_the_secret():
    shares = split(SECRET, 3, 5)
    assert [s.index for s in shares] == [1, 2, 3, 4, 5]
    for subset in itertools.permutations(shares, 3):
        assert combine(list(subset), 3) == SECRET


@settings(max_examples=40, deadline=None)
@given(secret=st.binary(min_size=32, max_size=32), n=st.integers(1, 9), data=st.data())
def test_any_k_distinct_shares_in_any_order_recover_any_secret(secret, n, data):
    k = data.draw(st.integers(1, n), label="k")
    shares = split(secret, k, n)
    chosen = data.draw(st.permutations(shares), label="order")[:k]
    assert combine(chosen, k) == secret


@settings(max_examples=25, deadline=None)
@given(secret=st.binary(min_size=32, max_size=32), k=st.integers(2, 6), seed=st.integers(0, 999))
def test_k_minus_1_shares_give_a_different_random_looking_key(secret, k, seed):
    shares = split(secret, k, k + 2)
    fewer = random.Random(seed).sample(shares, k - 1)
    with pytest.raises(InputError, match=f"{k} shares are needed"):
        combine(fewer, k)
    wrong = combine(fewer, k - 1)  # as if the threshold were k - 1
    assert wrong != secret and len(wrong) == 32
    # Another split of the same secret: the same k - 1 positions give yet another key.
    again = split(secret, k, k + 2)
    assert combine([again[s.index - 1] for s in fewer], k - 1) != wrong


def test_shares_are_fresh_each_time():
    a, b = split(SECRET, 3, 5), split(SECRET, 3, 5)
    assert all(x.value != y.value for x, y in zip(a, b, strict=True))


def test_share_values_are_the_polynomial_written_out(monkeypatch):
    coefficients = iter([5, 7])
    monkeypatch.setattr(shamir_module.secrets, "randbelow", lambda _: next(coefficients))
    s = int.from_bytes(SECRET, "big")
    shares = split(SECRET, 3, 4)
    assert [sh.value for sh in shares] == [(s + 5 * x + 7 * x * x) % P for x in range(1, 5)]


def test_duplicate_shares_are_refused():
    shares = split(SECRET, 3, 5)
    with pytest.raises(InputError, match=r"distinct indices; \[2\]"):
        combine([shares[1], shares[1], shares[3]], 3)
    forged = Share(shares[1].index, (shares[1].value + 1) % P)
    with pytest.raises(InputError, match="distinct"):
        combine([shares[1], forged, shares[3]], 3)


def test_only_the_first_k_shares_are_used():
    shares = split(SECRET, 2, 4)
    assert combine([shares[0], shares[3], Share(2, 12345)], 2) == SECRET


def test_a_wrong_share_gives_a_wrong_key_not_an_error():
    shares = split(SECRET, 3, 5)
    bad = Share(shares[0].index, (shares[0].value + 1) % P)
    assert combine([bad, shares[1], shares[2]], 3) != SECRET


@pytest.mark.parametrize(
    "secret,k,n",
    [
        (b"\x00" * 31, 2, 3),
        (SECRET, 0, 3),
        (SECRET, 4, 3),
        (SECRET, 2, 0),
        (SECRET, 2, 256),
        ("not bytes", 2, 3),
    ],
)
def test_bad_split_arguments_are_refused(secret, k, n):
    with pytest.raises(InputError):
        split(secret, k, n)


def test_shares_round_trip_through_json():
    for share in split(SECRET, 3, 5):
        data = share.to_json()
        assert data["value"].startswith("0x") and len(data["value"]) == 2 + 132
        assert Share.from_json(data) == share


@pytest.mark.parametrize(
    "data",
    [
        {"index": 0, "value": "0x01"},
        {"index": 256, "value": "0x01"},
        {"index": "1", "value": "0x01"},
        {"index": 1, "value": hex(P)},
        {"index": 1, "value": "12"},
        {"index": 1, "value": "0xzz"},
        {"index": 1},
        [1, "0x01"],
    ],
)
def test_bad_shares_are_refused(data):
    with pytest.raises(InputError):
        Share.from_json(data)
