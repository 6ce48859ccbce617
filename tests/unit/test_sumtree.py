"""The contributors Merkle-sum tree: hand-derived vectors, proofs, and tampering."""

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from treeref import K, u

from seedbed.core.errors import InputError
from seedbed.core.sumtree import (
    MAX_WEIGHT,
    build_packed,
    proof_as_contract_args,
    sum_leaf,
    sum_node,
    sum_root,
    unpack,
    verify_sum_proof,
)
from seedbed.core.treefile import ContributorTree

# Given out of order on purpose: leaves are ordered by address.
PEOPLE = {
    bytes.fromhex("5" * 40): 50,
    bytes.fromhex("1" * 40): 10,
    bytes.fromhex("4" * 40): 40,
    bytes.fromhex("2" * 40): 20,
    bytes.fromhex("3" * 40): 30,
}


def first(count: int) -> dict[bytes, int]:
    """The `count` lowest addresses of PEOPLE."""
    return dict(sorted(PEOPLE.items())[:count])


def hand_leaf(address: bytes, weight: int) -> tuple[bytes, int]:
    # 0x00 || address (20) || uint96 weight (12): 33 bytes
    preimage = b"\x00" + address + u(weight, 12)
    assert len(preimage) == 33
    return K(preimage), weight


def hand_node(a: tuple[bytes, int], b: tuple[bytes, int]) -> tuple[bytes, int]:
    (ha, sa), (hb, sb) = (
        (a, b) if int.from_bytes(a[0], "big") < int.from_bytes(b[0], "big") else (b, a)
    )
    preimage = b"\x01" + ha + u(sa, 32) + hb + u(sb, 32)
    assert len(preimage) == 129
    return K(preimage), sa + sb


def hand_leaves(count: int) -> list[tuple[bytes, int]]:
    return [hand_leaf(a, w) for a, w in sorted(PEOPLE.items())[:count]]


def test_one_leaf_is_its_own_root():
    (l0,) = hand_leaves(1)
    assert sum_root(first(1)) == l0 == (l0[0], 10)


def test_two_leaves():
    l0, l1 = hand_leaves(2)
    assert sum_root(first(2)) == hand_node(l0, l1)
    assert sum_root(first(2))[1] == 30


def test_three_leaves_promote_the_odd_one():
    l0, l1, l2 = hand_leaves(3)
    assert sum_root(first(3)) == hand_node(hand_node(l0, l1), l2)


def test_five_leaves_promote_twice():
    l0, l1, l2, l3, l4 = hand_leaves(5)
    expected = hand_node(hand_node(hand_node(l0, l1), hand_node(l2, l3)), l4)
    assert sum_root(PEOPLE) == expected
    assert expected[1] == 150


def test_five_leaf_proofs_skip_promoted_levels():
    l0, l1, l2, l3, l4 = hand_leaves(5)
    tree = ContributorTree.build(PEOPLE)
    a0, _, _, a3, a4 = sorted(PEOPLE)
    assert tree.proof(a0) == (10, [l1, hand_node(l2, l3), l4])
    assert tree.proof(a3) == (40, [l2, hand_node(l0, l1), l4])
    assert tree.proof(a4) == (50, [hand_node(hand_node(l0, l1), hand_node(l2, l3))])


def test_primitives_match_the_hand_encoding():
    a, w = bytes.fromhex("ab" * 20), 7
    assert sum_leaf(a, w) == hand_leaf(a, w)
    x, y = hand_leaf(a, w), hand_leaf(bytes(20), 9)
    assert sum_node(x, y) == sum_node(y, x) == hand_node(x, y)


@pytest.mark.parametrize("count", [1, 2, 3, 5])
def test_every_proof_of_the_vectors_verifies_and_tampering_fails(count):
    weights = first(count)
    tree = ContributorTree.build(weights)
    for address, weight in weights.items():
        got, proof = tree.proof(address)
        assert got == weight
        assert verify_sum_proof(address, weight, proof, tree.root, tree.total)
        _assert_tampering_fails(address, weight, proof, tree.root, tree.total)


def _assert_tampering_fails(address, weight, proof, root, total):
    other = bytes([address[0] ^ 1]) + address[1:]
    assert not verify_sum_proof(other, weight, proof, root, total)  # leaf address
    assert not verify_sum_proof(address, weight + 1, proof, root, total)  # leaf weight
    assert not verify_sum_proof(address, weight, proof, root, total + 1)  # claimed total
    for j, (h, s) in enumerate(proof):
        flipped = bytes([h[0] ^ 1]) + h[1:]
        for bad in ((flipped, s), (h, s + 1), (h, s - 1)):
            if bad[1] < 0:
                continue
            tampered = proof[:j] + [bad] + proof[j + 1 :]
            assert not verify_sum_proof(address, weight, tampered, root, total)


def test_a_sibling_sum_lowered_to_inflate_a_share_is_caught():
    # The sums are inside the hashes: shaving the sibling's sum to give the leaf more
    # changes every hash above it, even when the claimed total is adjusted to match.
    l0, l1 = hand_leaves(2)
    root, total = hand_node(l0, l1)
    a0 = sorted(PEOPLE)[0]
    assert verify_sum_proof(a0, 10, [l1], root, total)
    assert not verify_sum_proof(a0, 10, [(l1[0], 19)], root, total - 1)
    assert not verify_sum_proof(a0, 11, [(l1[0], 19)], root, total)


@settings(max_examples=20)
@given(
    st.dictionaries(
        st.binary(min_size=20, max_size=20).filter(any),  # the zero address is refused
        st.integers(1, 2**80),
        min_size=1,
        max_size=33,
    )
)
def test_every_leaf_proof_verifies_and_any_tamper_fails(weights):
    tree = ContributorTree.build(weights)
    assert tree.total == sum(weights.values())
    for address, weight in weights.items():
        got, proof = tree.proof(address)
        assert got == weight
        assert verify_sum_proof(address, weight, proof, tree.root, tree.total)
        _assert_tampering_fails(address, weight, proof, tree.root, tree.total)


@settings(max_examples=20)
@given(
    st.dictionaries(
        st.binary(min_size=20, max_size=20), st.integers(1, 2**90), min_size=1, max_size=40
    )
)
def test_packed_builder_equals_the_plain_fold(weights):
    level = [hand_leaf(a, weights[a]) for a in sorted(weights)]
    while len(level) > 1:
        pairs = [hand_node(level[i], level[i + 1]) for i in range(0, len(level) - 1, 2)]
        level = pairs + (level[-1:] if len(level) % 2 else [])
    _, packed = build_packed(weights)
    assert unpack(packed[-1][0]) == level[0]


def test_weight_limits():
    with pytest.raises(InputError, match="at least one"):
        sum_root({})
    with pytest.raises(InputError, match="1 to 2\\*\\*96"):
        sum_root({bytes(20): 0})
    with pytest.raises(InputError, match="1 to 2\\*\\*96"):
        sum_root({bytes(20): MAX_WEIGHT})
    with pytest.raises(InputError, match="does not fit in uint96"):
        sum_root({bytes(20): MAX_WEIGHT - 1, bytes(19) + b"\x01": 1})
    with pytest.raises(InputError, match="20 bytes"):
        sum_root({bytes(19): 1})
    assert sum_root({bytes(20): MAX_WEIGHT - 1})[1] == MAX_WEIGHT - 1


def test_proof_as_contract_args():
    h = K(b"x")
    assert proof_as_contract_args([(h, 3), ("0x" + h.hex(), 4)]) == [(h, 3), (h, 4)]
    with pytest.raises(InputError, match="uint256"):
        proof_as_contract_args([(h, -1)])
    with pytest.raises(InputError, match="32 bytes"):
        proof_as_contract_args([(h[:31], 1)])


# Pinned so the Solidity tests can use the same vectors (addresses 0x11..11 to 0x55..55
# with weights 10..50): (root hash, total weight) for the 1, 2, 3 and 5 lowest addresses.
GOLDEN = {
    1: ("e8e1dcc7a62ec8df7b6165415c775362ef526cc187df6885b15dea771ec7f01a", 10),
    2: ("0b941cc924b9d3a7c80e77a057df797df0defa1d6cdc33ad04fbab16f8f21cfc", 30),
    3: ("211071c9b86def9ee430e7f81e308701795d2b0aa199cfa2925f9d8e759f30af", 60),
    5: ("168b14084d290ffbbe031873d59680cd6c674ba044c3b71a87c90360645fc879", 150),
}


@pytest.mark.parametrize("count", sorted(GOLDEN))
def test_golden_roots(count):
    root, total = GOLDEN[count]
    assert sum_root(first(count)) == (bytes.fromhex(root), total)
