"""The share rule that merges contributor trees (validators' share of a dataset)."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from seedbed.core.contributor_merge import BPS, SCALE, merge
from seedbed.core.errors import InputError

addresses = st.binary(min_size=20, max_size=20).filter(any)
weights = st.dictionaries(addresses, st.integers(1, 2**95), min_size=1, max_size=30)


@st.composite
def parts(draw):
    n = draw(st.integers(1, 4))
    cuts = sorted(draw(st.lists(st.integers(1, BPS - 1), min_size=n - 1, max_size=n - 1,
                                unique=True)))  # fmt: skip
    shares = [b - a for a, b in zip([0, *cuts], [*cuts, BPS], strict=True)]
    return [(draw(weights), s) for s in shares]


@given(parts())
def test_each_part_holds_exactly_its_share_and_each_address_its_proportion(ps):
    merged = merge(ps)
    assert sum(merged.values()) == SCALE
    if len({a for w, _ in ps for a in w}) == sum(len(w) for w, _ in ps):  # no shared address
        for w, share in ps:
            part_total = SCALE * share // BPS
            assert sum(merged.get(a, 0) for a in w) == part_total
            whole = sum(w.values())
            for a, x in w.items():
                # within one unit; an address whose share rounds to 0 units is left out
                assert abs(merged.get(a, 0) * whole - part_total * x) < whole


def test_an_address_in_two_parts_adds_up_and_the_rule_is_deterministic():
    a, b, v = b"\x01" * 20, b"\x02" * 20, b"\x03" * 20
    ps = [({a: 3, b: 1}, 9_500), ({v: 1, a: 1}, 500)]
    merged = merge(ps)
    assert merged == merge(list(ps))
    assert merged[v] == merged[a] - SCALE * 95 // 100 * 3 // 4 == SCALE * 5 // 100 // 2
    assert merged[b] == SCALE * 95 // 100 // 4


def test_the_remainder_goes_to_the_largest_remainders():
    a, b, c = (bytes([i]) * 20 for i in (1, 2, 3))
    merged = merge([({a: 1, b: 1, c: 1}, BPS)])
    assert sorted(merged.values()) == [SCALE // 3, SCALE // 3, SCALE // 3 + 1]
    assert merged[a] == SCALE // 3 + 1  # a tie: the lower address


@pytest.mark.parametrize(
    "bad",
    [
        [],
        [({b"\x01" * 20: 1}, 9_999)],
        [({b"\x01" * 20: 1}, 10_000), ({b"\x02" * 20: 1}, 0)],
        [({}, 10_000)],
        [({bytes(20): 1}, 10_000)],
        [({b"\x01" * 20: 0}, 10_000)],
        [({b"\x01" * 20: True}, 10_000)],
    ],
)
def test_bad_parts_are_refused(bad):
    with pytest.raises(InputError):
        merge(bad)
