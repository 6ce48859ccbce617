"""docs/TREEFILE.md says what the code does: its test vectors come out of the code."""

import re
from pathlib import Path

from seedbed.core.sumtree import sum_leaf, sum_node, verify_sum_proof
from seedbed.core.treefile import HEADER_SIZE, MAGIC, ContributorTree, level_sizes

DOC = (Path(__file__).resolve().parents[2] / "docs" / "TREEFILE.md").read_text()
WEIGHTS = {bytes([0x11]) * 20: 1, bytes([0x22]) * 20: 2, bytes([0x33]) * 20: 3}


def vector(label):
    match = re.search(rf"^{re.escape(label)}\s+([0-9a-f]{{64}})\s+sum (\d+)$", DOC, re.M)
    assert match, f"no vector {label!r} in docs/TREEFILE.md"
    return bytes.fromhex(match[1]), int(match[2])


def test_the_documented_vectors_are_what_the_code_computes():
    leaves = [sum_leaf(a, w) for a, w in sorted(WEIGHTS.items())]
    assert [vector(f"leaf 0x{b:02x}…{b:02x}") for b in (0x11, 0x22, 0x33)] == leaves
    assert vector("node (0, 1)") == sum_node(leaves[0], leaves[1])
    tree = ContributorTree.build(WEIGHTS)
    assert vector("root") == (tree.root, tree.total) == sum_node(sum_node(*leaves[:2]), leaves[2])


def test_the_documented_layout_and_proofs_hold():
    tree = ContributorTree.build(WEIGHTS)
    data = bytes(tree._data)
    assert len(data) == 524 == HEADER_SIZE + 20 * 3 + 64 * sum(level_sizes(3))
    assert data[:8] == MAGIC == b"SEEDSUM1"
    assert "| 0 | 8 | magic: the ASCII bytes `SEEDSUM1`" in DOC
    weight, proof = tree.proof(bytes([0x33]) * 20)
    assert (weight, [s for _, s in proof]) == (3, [3])
    assert proof[0][0].hex().startswith("9a7d0c50")
    weight, proof = tree.proof(bytes([0x11]) * 20)
    assert [(h.hex()[:8], s) for h, s in proof] == [("fda76e3e", 2), ("15045053", 3)]
    assert verify_sum_proof(bytes([0x11]) * 20, weight, proof, tree.root, tree.total)
    # The sum is checked as well as the hash: a right hash with a wrong total fails.
    assert not verify_sum_proof(bytes([0x11]) * 20, weight, proof, tree.root, tree.total + 1)
