"""Property: whatever the folder and the contributors, the registry verifies every file and
every contributor of what was registered, and nothing tampered."""

import tempfile
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st
from registry_helpers import isolated, write_folder
from testkit.registering import ZERO_SALT, top_of

from seedbed.core.constants import DATASET
from seedbed.core.manifest import build_manifest
from seedbed.core.treefile import ContributorTree

# File names: letters and digits of any script, "-" and "_", with an optional extension.
_stem = st.text(
    alphabet=st.characters(categories=("L", "N"), include_characters="-_"),
    min_size=1,
    max_size=6,
)
_name = st.tuples(_stem, st.sampled_from(["", ".csv", ".txt", ".bin"])).map("".join)


@st.composite
def folders(draw):
    """{POSIX path: bytes}: 1-8 files up to 3 levels deep, no file where a folder is."""
    paths: list[tuple[str, ...]] = []
    for candidate in draw(
        st.lists(st.lists(_name, min_size=1, max_size=3), min_size=1, max_size=8)
    ):
        path = tuple(candidate)
        clash = any(
            p[: len(path)] == path or path[: len(p)] == p for p in paths
        )  # same file, or a file where a folder must be
        if not clash:
            paths.append(path)
    return {"/".join(p): draw(st.binary(max_size=200)) for p in paths}


# Any accounts but the zero address, which the tooling refuses (nobody could claim its share).
contributors = st.dictionaries(
    st.binary(min_size=20, max_size=20).filter(any),
    st.integers(1, 2**64),
    min_size=1,
    max_size=12,
)


@settings(deadline=None)
@given(files=folders(), weights=contributors)
def test_every_registered_file_and_contributor_verifies_and_no_tampered_one_does(
    registry, publisher, chain, files, weights
):
    with tempfile.TemporaryDirectory() as tmp, isolated(chain):
        manifest = build_manifest(write_folder(Path(tmp) / "ds", files))
        assert sorted(f.path for f in manifest.files) == sorted(files)
        tree = ContributorTree.build(weights)
        receipt = registry.register(
            DATASET, manifest.root, ZERO_SALT, top_of(tree), "u", b"\0" * 32, [], sender=publisher
        )
        asset_id = receipt.events.filter(registry.AssetRegistered)[0].assetId
        root, total = registry.contributors(asset_id)  # derived from `top`: the tree's own
        assert (bytes(root), total) == (tree.root, sum(weights.values()))

        for f in manifest.files:
            proof = manifest.proof(f.path)
            assert registry.verifyFile(asset_id, f.path, f.sha256, f.size, proof)
            assert not registry.verifyFile(asset_id, f.path, f.sha256, f.size + 1, proof)
            wrong = bytes([f.sha256[0] ^ 0x80]) + f.sha256[1:]
            assert not registry.verifyFile(asset_id, f.path, wrong, f.size, proof)
            assert not registry.verifyFile(asset_id, f.path + "~", f.sha256, f.size, proof)

        for address, weight in tree.items():
            account = "0x" + address.hex()
            _, proof = tree.proof(address)
            assert registry.verifyContributor(asset_id, account, weight, proof)
            assert not registry.verifyContributor(asset_id, account, weight + 1, proof)
