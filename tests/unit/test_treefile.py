"""The contributors tree file: save, load, one proof without a rebuild, damage detected."""

import os

import pytest

from seedbed.core.addresses import to_checksum_address
from seedbed.core.contributors import ContributorTree
from seedbed.core.errors import InputError
from seedbed.core.sumtree import verify_sum_proof
from seedbed.core.treefile import HEADER_SIZE, level_sizes

WEIGHTS = {bytes([i]) * 20: i * 3 for i in range(1, 12)}


@pytest.fixture
def saved(tmp_path):
    path = tmp_path / "people.sbtree"
    ContributorTree.build(WEIGHTS).save(path)
    return path


def test_file_layout_is_header_addresses_then_levels(saved):
    n = len(WEIGHTS)
    assert level_sizes(n) == [11, 6, 3, 2, 1]
    assert os.path.getsize(saved) == HEADER_SIZE + 20 * n + 64 * sum(level_sizes(n))
    data = saved.read_bytes()
    assert data[:8] == b"SEEDSUM1"
    assert int.from_bytes(data[8:16], "big") == n
    assert data[HEADER_SIZE : HEADER_SIZE + 20 * n] == b"".join(sorted(WEIGHTS))


def test_load_gives_the_same_tree_and_proofs(saved):
    built = ContributorTree.build(WEIGHTS)
    with ContributorTree.load(saved) as tree:
        assert (tree.root, tree.total, len(tree)) == (built.root, built.total, len(WEIGHTS))
        assert dict(tree.items()) == WEIGHTS
        for address, weight in WEIGHTS.items():
            got, proof = tree.proof(address)
            assert (got, proof) == built.proof(address)
            assert got == weight
            assert verify_sum_proof(address, weight, proof, tree.root, tree.total)


def test_proof_takes_an_address_in_any_accepted_spelling(saved):
    raw = bytes([7]) * 20
    with ContributorTree.load(saved) as tree:
        expected = tree.proof(raw)
        assert tree.proof(to_checksum_address(raw)) == expected
        assert tree.proof("0x" + raw.hex()) == expected
        assert tree.index_of(raw) == 6


def test_unknown_or_bad_address(saved):
    with ContributorTree.load(saved) as tree:
        for absent in (bytes(20), b"\xff" * 20, bytes([7]) * 19 + b"\x08"):
            with pytest.raises(InputError, match="is not a contributor"):
                tree.proof(absent)
        with pytest.raises(InputError, match="20 bytes"):
            tree.proof(b"\x01" * 19)
        with pytest.raises(InputError, match="not an address"):
            tree.proof("0x12")


def test_single_contributor_has_an_empty_proof(tmp_path):
    path = tmp_path / "one.sbtree"
    ContributorTree.build({b"\x01" * 20: 5}).save(path)
    with ContributorTree.load(path) as tree:
        assert tree.proof(b"\x01" * 20) == (5, [])
        assert tree.total == 5


def test_save_replaces_atomically_and_leaves_no_temp_file(saved):
    ContributorTree.build({b"\x01" * 20: 5}).save(saved)
    assert ContributorTree.load(saved).total == 5
    assert os.listdir(saved.parent) == [saved.name]


def test_unreadable_or_foreign_files(tmp_path):
    with pytest.raises(InputError, match="Cannot read the tree"):
        ContributorTree.load(tmp_path / "missing.sbtree")
    short = tmp_path / "short.sbtree"
    short.write_bytes(b"SEEDSUM1")
    with pytest.raises(InputError, match="too short"):
        ContributorTree.load(short)
    foreign = tmp_path / "foreign.sbtree"
    foreign.write_bytes(b"x" * 200)
    with pytest.raises(InputError, match="bad header"):
        ContributorTree.load(foreign)


def test_truncated_file(saved):
    saved.write_bytes(saved.read_bytes()[:-1])
    with pytest.raises(InputError, match="truncated"):
        ContributorTree.load(saved)


def test_damaged_root_record(saved):
    data = bytearray(saved.read_bytes())
    data[-40] ^= 1  # inside the top record's hash
    saved.write_bytes(bytes(data))
    with pytest.raises(InputError, match="top level is not its root"):
        ContributorTree.load(saved)


def test_damaged_leaf_record_gives_no_bad_proof(saved):
    n = len(WEIGHTS)
    data = bytearray(saved.read_bytes())
    leaf3 = HEADER_SIZE + 20 * n + 64 * 3
    data[leaf3 + 63] ^= 1  # the sum of leaf 3
    saved.write_bytes(bytes(data))
    with ContributorTree.load(saved) as tree:
        with pytest.raises(InputError, match="corrupt"):
            tree.proof(sorted(WEIGHTS)[3])
        with pytest.raises(InputError, match="corrupt"):
            tree.proof(sorted(WEIGHTS)[2])  # its sibling's proof carries the bad record
        tree.proof(sorted(WEIGHTS)[8])  # elsewhere in the tree proofs still work


def test_save_to_a_missing_folder(tmp_path):
    with pytest.raises(InputError, match="Cannot write"):
        ContributorTree.build(WEIGHTS).save(tmp_path / "no" / "such.sbtree")
