"""`ContributorTree.top`: the root's preimage the registry takes instead of (root, total)."""

import os

import pytest
from treeref import K, u

from seedbed.core.errors import InputError
from seedbed.core.sumtree import build_packed, root_of_top, sum_leaf
from seedbed.core.treefile import ContributorTree, pack_tree


def weights_of(count: int) -> dict[bytes, int]:
    return {os.urandom(20): 1 + (i * 7919) % 1000 for i in range(count)}


def registry_root(top):
    """The registry's computation, written out by hand (AssetRegistry._contributorsOf)."""
    if len(top) == 1:
        ((word, weight),) = top
        assert len(word) == 32 and word[:12] == bytes(12)
        return K(b"\x00" + word[12:] + u(weight, 12)), weight
    (ha, sa), (hb, sb) = sorted(top, key=lambda node: int.from_bytes(node[0], "big"))
    return K(b"\x01" + ha + u(sa, 32) + hb + u(sb, 32)), sa + sb


@pytest.mark.parametrize("count", [1, 2, 3, 1000])
def test_the_root_recomputed_from_top_is_the_trees_root(count, tmp_path):
    weights = weights_of(count)
    tree = ContributorTree.build(weights)
    top = tree.top()
    assert len(top) == (1 if count == 1 else 2)
    assert registry_root(top) == root_of_top(top) == (tree.root, tree.total)
    assert tree.total == sum(weights.values())
    path = tmp_path / "tree.sbtree"
    tree.save(path)
    with ContributorTree.load(path) as loaded:  # a memory-mapped tree gives the same top
        assert loaded.top() == top


def test_a_one_contributor_top_is_its_account_padded_and_its_weight():
    account = bytes.fromhex("ab" * 20)
    top = ContributorTree.build({account: 42}).top()
    assert top == [(bytes(12) + account, 42)]
    assert root_of_top(top) == sum_leaf(account, 42)


def test_top_order_does_not_matter():
    tree = ContributorTree.build(weights_of(5))
    a, b = tree.top()
    assert root_of_top([b, a]) == root_of_top([a, b]) == (tree.root, tree.total)


def test_build_refuses_the_zero_address():
    with pytest.raises(InputError, match="zero address 0x0{40}"):
        ContributorTree.build({bytes(20): 1, b"\x01" * 20: 2})
    with pytest.raises(InputError, match="zero address"):
        ContributorTree.build({bytes(20): 1})
    # A hand-made tree (the audit's tests need one) is still possible, and readable.
    hand = ContributorTree(pack_tree(*build_packed({bytes(20): 1, b"\x01" * 20: 2})))
    assert hand.count == 2 and hand.total == 3


def test_tops_the_registry_refuses_are_refused():
    with pytest.raises(InputError, match="zero address"):
        root_of_top([(bytes(32), 1)])
    with pytest.raises(InputError, match="padded"):
        root_of_top([(b"\x01" * 32, 1)])
    with pytest.raises(InputError, match="one or two"):
        root_of_top([])
    node = (b"\x02" * 32, 2**95)
    with pytest.raises(InputError, match="2\\*\\*96"):
        root_of_top([node, node])
