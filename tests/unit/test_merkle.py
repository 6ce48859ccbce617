"""The content tree: hand-derived vectors, proofs, and tampering."""

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from treeref import K, sha256, u

from seedbed.core.errors import InputError
from seedbed.core.merkle import (
    build_levels,
    file_leaf,
    merkle_proof,
    merkle_root,
    node,
    proof_as_contract_args,
    verify_proof,
)

FILES = [
    ("a.csv", b"id,label\n1,cat\n"),
    ("b/c.txt", b"hello"),
    ("d.bin", b""),
    ("e/f/g.json", b'{"k": 1}'),
    ("z\u00e9.txt", "\u00e9t\u00e9".encode()),
]


def hand_leaf(path: str, content: bytes) -> bytes:
    # 0x00 || keccak(utf8 path) || sha256(content) || uint64 size: 73 bytes
    preimage = b"\x00" + K(path.encode("utf-8")) + sha256(content) + u(len(content), 8)
    assert len(preimage) == 73
    return K(preimage)


def hand_node(a: bytes, b: bytes) -> bytes:
    return K(b"\x01" + min(a, b) + max(a, b))


def leaves(count: int) -> list[bytes]:
    return [file_leaf(p, sha256(c), len(c)) for p, c in FILES[:count]]


def test_file_leaf_matches_the_hand_encoding():
    for path, content in FILES:
        assert file_leaf(path, sha256(content), len(content)) == hand_leaf(path, content)


def test_one_leaf_is_its_own_root():
    assert merkle_root(leaves(1)) == hand_leaf(*FILES[0])


def test_two_leaves():
    l0, l1 = (hand_leaf(*f) for f in FILES[:2])
    assert merkle_root(leaves(2)) == hand_node(l0, l1)


def test_three_leaves_promote_the_odd_one():
    l0, l1, l2 = (hand_leaf(*f) for f in FILES[:3])
    assert merkle_root(leaves(3)) == hand_node(hand_node(l0, l1), l2)


def test_five_leaves_promote_twice():
    l0, l1, l2, l3, l4 = (hand_leaf(*f) for f in FILES)
    expected = hand_node(hand_node(hand_node(l0, l1), hand_node(l2, l3)), l4)
    assert merkle_root(leaves(5)) == expected


def test_five_leaf_proofs_skip_promoted_levels():
    l0, l1, l2, l3, l4 = (hand_leaf(*f) for f in FILES)
    levels = build_levels(leaves(5))
    assert merkle_proof(levels, 0) == [l1, hand_node(l2, l3), l4]
    assert merkle_proof(levels, 3) == [l2, hand_node(l0, l1), l4]
    assert merkle_proof(levels, 4) == [hand_node(hand_node(l0, l1), hand_node(l2, l3))]


def test_node_is_symmetric_and_sorted():
    a, b = K(b"a"), K(b"b")
    assert node(a, b) == node(b, a) == K(b"\x01" + min(a, b) + max(a, b))


@pytest.mark.parametrize("count", [1, 2, 3, 5])
def test_every_proof_of_the_vectors_verifies(count):
    levels = build_levels(leaves(count))
    root = levels[-1][0]
    for i, leaf in enumerate(levels[0]):
        assert verify_proof(leaf, merkle_proof(levels, i), root)


@settings(max_examples=25)
@given(st.lists(st.binary(min_size=32, max_size=32), min_size=1, max_size=40, unique=True))
def test_every_leaf_proof_verifies_and_any_tamper_fails(raw_leaves):
    levels = build_levels(raw_leaves)
    root = levels[-1][0]
    for i, leaf in enumerate(raw_leaves):
        proof = merkle_proof(levels, i)
        assert verify_proof(leaf, proof, root)
        assert not verify_proof(_flip(leaf), proof, root)
        for j in range(len(proof)):
            tampered = proof[:j] + [_flip(proof[j])] + proof[j + 1 :]
            assert not verify_proof(leaf, tampered, root)
        if proof:
            assert not verify_proof(leaf, proof[:-1], root)


def _flip(value: bytes) -> bytes:
    return bytes([value[0] ^ 1]) + value[1:]


def test_errors():
    with pytest.raises(InputError, match="at least one leaf"):
        merkle_root([])
    with pytest.raises(InputError, match="32 bytes"):
        file_leaf("a", b"short", 1)
    with pytest.raises(InputError, match="uint64"):
        file_leaf("a", bytes(32), 2**64)
    with pytest.raises(InputError, match="outside"):
        merkle_proof(build_levels(leaves(2)), 2)


def test_proof_as_contract_args_takes_bytes_or_hex():
    h = K(b"x")
    assert proof_as_contract_args([h, "0x" + h.hex()]) == [h, h]
    with pytest.raises(InputError, match="32 bytes"):
        proof_as_contract_args([b"\x00" * 31])
    with pytest.raises(InputError, match="not a hex"):
        proof_as_contract_args(["0xzz"])


# Pinned so the Solidity tests can use the same vectors: roots over the first 1, 2, 3, 5
# entries of FILES (path, content).
GOLDEN = {
    1: "8849267daf5f7600ed3ba554d344046c508d2c43bd7ee83fd1ba5b7b83b62a9d",
    2: "d3da8395d3eea3e6fabac26623d060fa90e4608b40dd99d100b52f19e73e17d4",
    3: "c4e0492414cf7116ca1abb79613791a9bb79c1bce00eac01c138cc3440d9d4df",
    5: "a9afdff8b9f97af9d49368927c3fbd91a46d07f53a685d1cc8f8f10fc23a2f92",
}


@pytest.mark.parametrize("count", sorted(GOLDEN))
def test_golden_roots(count):
    assert merkle_root(leaves(count)).hex() == GOLDEN[count]
