"""verifyFile against a real manifest of a folder, verifyContributor against a real
contributors tree; every tampered input fails."""

import os

import pytest
from registry_helpers import write_folder
from testkit.registering import ZERO_SALT, top_of

from seedbed.core.constants import DATASET
from seedbed.core.manifest import build_manifest
from seedbed.core.sumtree import root_of_top
from seedbed.core.treefile import ContributorTree

FILES = {
    "README.md": b"# birds\n",
    "images/001.png": b"\x89PNG fake one",
    "images/002.png": b"\x89PNG fake two",
    "labels/train.csv": b"id,label\n1,heron\n2,egret\n",
    "labels/empty.csv": b"",
    "caf\u00e9/\u00e9t\u00e9.txt": "\u00e9t\u00e9".encode(),
    "deep/a/b/c/d.bin": os.urandom(300),
}


def flip(data: bytes, index: int = 0) -> bytes:
    return data[:index] + bytes([data[index] ^ 1]) + data[index + 1 :]


def register(registry, sender, content_root, tree, top=None):
    receipt = registry.register(
        DATASET,
        content_root,
        ZERO_SALT,
        top_of(tree) if top is None else top,
        "ipfs://x",
        b"\0" * 32,
        [],
        sender=sender,
    )
    return receipt.events.filter(registry.AssetRegistered)[0].assetId


@pytest.fixture
def team():
    return ContributorTree.build({os.urandom(20): w for w in (1, 2, 3, 5, 8, 13, 21)})


@pytest.fixture
def dataset(tmp_path, registry, publisher, team):
    manifest = build_manifest(write_folder(tmp_path / "birds", FILES))
    return register(registry, publisher, manifest.root, team), manifest


def test_every_file_of_the_manifest_verifies(registry, dataset):
    asset_id, manifest = dataset
    assert manifest.count == len(FILES)
    for f in manifest.files:
        assert registry.verifyFile(asset_id, f.path, f.sha256, f.size, manifest.proof(f.path))


def test_tampered_files_fail(registry, dataset, register_asset, publisher, alice):
    asset_id, manifest = dataset
    other, _ = register_asset(publisher, {alice.address: 1})
    for f in manifest.files:
        proof = manifest.proof(f.path)
        assert not registry.verifyFile(asset_id, f.path + "x", f.sha256, f.size, proof)
        assert not registry.verifyFile(asset_id, "/" + f.path, f.sha256, f.size, proof)
        assert not registry.verifyFile(asset_id, f.path, flip(f.sha256, 31), f.size, proof)
        assert not registry.verifyFile(asset_id, f.path, f.sha256, f.size + 1, proof)
        assert not registry.verifyFile(
            asset_id, f.path, f.sha256, f.size, [flip(proof[0])] + proof[1:]
        )
        assert not registry.verifyFile(asset_id, f.path, f.sha256, f.size, proof[:-1])
        assert not registry.verifyFile(asset_id, f.path, f.sha256, f.size, proof + [proof[0]])
        assert not registry.verifyFile(other, f.path, f.sha256, f.size, proof)
    # A file's proof does not vouch for its neighbour.
    a, b = manifest.files[:2]
    assert not registry.verifyFile(asset_id, b.path, b.sha256, b.size, manifest.proof(a.path))


def test_a_single_file_asset_verifies_with_an_empty_proof(tmp_path, registry, publisher, team):
    manifest = build_manifest(write_folder(tmp_path / "one", {"only.txt": b"alone"}))
    asset_id = register(registry, publisher, manifest.root, team)
    f = manifest.files[0]
    assert manifest.proof(f.path) == []
    assert registry.verifyFile(asset_id, f.path, f.sha256, f.size, [])
    assert not registry.verifyFile(asset_id, f.path, f.sha256, f.size - 1, [])


def hexed(address: bytes) -> str:
    return "0x" + address.hex()


def test_every_contributor_verifies(registry, dataset, team):
    asset_id, _ = dataset
    for address, weight in team.items():
        w, proof = team.proof(address)
        assert w == weight
        assert registry.verifyContributor(asset_id, hexed(address), weight, proof)


def test_tampered_contributors_fail(registry, dataset, team):
    asset_id, _ = dataset
    everyone = list(team.items())
    for i, (address, weight) in enumerate(everyone):
        _, proof = team.proof(address)
        h, s = proof[0]
        neighbour = hexed(everyone[(i + 1) % len(everyone)][0])
        assert not registry.verifyContributor(asset_id, hexed(address), weight + 1, proof)
        assert not registry.verifyContributor(asset_id, hexed(address), weight - 1, proof)
        assert not registry.verifyContributor(asset_id, neighbour, weight, proof)
        assert not registry.verifyContributor(asset_id, hexed(os.urandom(20)), weight, proof)
        # A sibling claiming more (or less) weight changes the root.
        assert not registry.verifyContributor(
            asset_id, hexed(address), weight, [(h, s + 1)] + proof[1:]
        )
        assert not registry.verifyContributor(
            asset_id, hexed(address), weight, [(flip(h), s)] + proof[1:]
        )
        assert not registry.verifyContributor(asset_id, hexed(address), weight, proof[:-1])


def test_a_top_whose_sums_miss_the_tree_names_another_root_that_no_proof_reaches(
    registry, publisher, team
):
    """The registry derives the total from the root's preimage: a publisher who lies about a
    child's sum (to register a smaller total than the tree hands out, or a larger one) names
    another root, with that lie as its total, and no contributor's proof reaches it."""
    (h0, s0), (h1, s1) = top_of(team)
    for delta in (-1, 1):
        top = [(h0, s0 + delta), (h1, s1)]
        asset_id = register(registry, publisher, os.urandom(32), team, top=top)
        root, total = registry.contributors(asset_id)
        assert (bytes(root), total) == root_of_top(top)
        assert bytes(root) != team.root and total == team.total + delta
        for address, weight in team.items():
            _, proof = team.proof(address)
            assert not registry.verifyContributor(asset_id, hexed(address), weight, proof)


def test_a_single_contributor_verifies_with_an_empty_proof(registry, publisher):
    solo = os.urandom(20)
    tree = ContributorTree.build({solo: 7})
    asset_id = register(registry, publisher, os.urandom(32), tree)
    assert registry.verifyContributor(asset_id, hexed(solo), 7, [])
    assert not registry.verifyContributor(asset_id, hexed(solo), 6, [])
