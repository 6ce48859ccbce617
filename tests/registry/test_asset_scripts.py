"""`ape run metadata`, `delist`, `relist`, `assets` and `proof`, end to end on the test chain.

Every refusal is one `error:` line, a non-zero exit, and no block mined (nothing was sent).
"""

import json

import pytest
from registry_helpers import assert_one_error

from seedbed.core.croissant import metadata_hash
from seedbed.core.keccak import keccak

OLD_HASH = b"\x11" * 32  # what register_asset registers with


def tx_of(stdout):
    return stdout.strip().rsplit("tx ", 1)[1]


def refused(run_script, chain, name, *args, needle, account=1):
    height = chain.blocks.height
    line = assert_one_error(run_script(name, *args, account=account), needle)
    assert chain.blocks.height == height, "a refusal must send nothing"
    return line


@pytest.fixture
def mine(register_asset, publisher, alice):
    return register_asset(publisher, {alice.address: 1})[0]


# -- metadata --------------------------------------------------------------------------------


def test_metadata_sets_the_uri_and_keeps_or_replaces_the_hash(
    run_script, chain, registry, mine, tmp_path
):
    result = run_script("metadata", mine, "--uri", "ipfs://bafy/croissant.json")
    assert result.returncode == 0, result.stderr
    log = chain.provider.get_receipt(tx_of(result.stdout)).events.filter(registry.MetadataChanged)
    assert (log[0].assetId, log[0].metadataURI) == (mine, "ipfs://bafy/croissant.json")
    assert bytes(log[0].metadataHash) == OLD_HASH  # no --file: the hash on chain is kept

    doc = tmp_path / "croissant.json"
    root = "0x" + bytes(registry.asset(mine).contentRoot).hex()
    doc.write_text(json.dumps({"name": "birds", "seedbed:contentRoot": root}, indent=4))
    result = run_script("metadata", mine, "--uri", "https://x.example/c.json", "--file", doc)
    assert result.returncode == 0, result.stderr
    log = chain.provider.get_receipt(tx_of(result.stdout)).events.filter(registry.MetadataChanged)
    assert log[0].metadataURI == "https://x.example/c.json"
    # The hash of the canonical JSON, as register computes it: whitespace does not count.
    assert bytes(log[0].metadataHash) == metadata_hash(doc.read_bytes())
    assert bytes(log[0].metadataHash) != keccak(doc.read_bytes())


def test_metadata_after_register_without_uri_base(run_script, chain, registry, make_folder):
    folder = make_folder("nouri")
    result = run_script("register", folder, "--spdx", "MIT")
    assert result.returncode == 0, result.stderr
    asset_id = registry.assetCount()
    hint = f"ape run metadata {asset_id} --uri URI --file {folder / '.seedbed' / 'croissant.json'}"
    assert hint in result.stdout
    saved = folder / ".seedbed" / "croissant.json"
    result = run_script("metadata", asset_id, "--uri", "ipfs://cid/croissant.json", "--file", saved)
    assert result.returncode == 0, result.stderr
    log = chain.provider.get_receipt(tx_of(result.stdout)).events.filter(registry.MetadataChanged)
    assert bytes(log[0].metadataHash) == keccak(saved.read_bytes())  # the same as registered


def _other_root_file(tmp_path):
    path = tmp_path / "other.json"
    path.write_text(json.dumps({"seedbed:contentRoot": "0x" + "ab" * 32}))
    return path


def _not_json(tmp_path):
    path = tmp_path / "bad.json"
    path.write_text("{nope")
    return path


METADATA_BAD = {
    "unknown asset": (lambda a, t: [999_999, "--uri", "ipfs://x"], 1, "does not exist"),
    "not an id": (lambda a, t: ["abc", "--uri", "ipfs://x"], 1, "not an asset id"),
    "not the owner": (lambda a, t: [a, "--uri", "ipfs://x"], 2, "only its owner"),
    "file uri": (lambda a, t: [a, "--uri", "file:///home/me/c.json"], 1, "on this machine"),
    "no scheme": (lambda a, t: [a, "--uri", "croissant.json"], 1, "has no scheme"),
    "empty uri": (lambda a, t: [a, "--uri", ""], 1, "is empty"),
    "missing file": (
        lambda a, t: [a, "--uri", "ipfs://x", "--file", t / "none.json"],
        1,
        "does not exist",
    ),
    "file not json": (
        lambda a, t: [a, "--uri", "ipfs://x", "--file", _not_json(t)],
        1,
        "not valid JSON",
    ),
    "file of other content": (
        lambda a, t: [a, "--uri", "ipfs://x", "--file", _other_root_file(t)],
        1,
        "describes the content root",
    ),
    "nothing changes": (lambda a, t: [a, "--uri", "ipfs://x"], 1, "already has this metadata"),
    "no signer": (lambda a, t: [a, "--uri", "ipfs://y"], None, "No account"),
}


@pytest.mark.parametrize("case", list(METADATA_BAD))
def test_metadata_bad_input_is_one_line_and_sends_nothing(run_script, chain, mine, tmp_path, case):
    build, account, needle = METADATA_BAD[case]
    refused(run_script, chain, "metadata", *build(mine, tmp_path), needle=needle, account=account)


# -- delist / relist -------------------------------------------------------------------------


def test_delist_then_relist(run_script, chain, registry, mine):
    result = run_script("delist", mine)
    assert result.returncode == 0, result.stderr
    assert f"asset {mine}: delisted" in result.stdout
    assert not registry.isListed(mine)
    refused(run_script, chain, "delist", mine, needle="already delisted")

    result = run_script("relist", mine)
    assert result.returncode == 0, result.stderr
    assert registry.isListed(mine)
    refused(run_script, chain, "relist", mine, needle="already listed")


@pytest.mark.parametrize("name", ["delist", "relist"])
def test_listing_bad_input_is_one_line_and_sends_nothing(run_script, chain, registry, mine, name):
    refused(run_script, chain, name, 999_999, needle="does not exist")
    refused(run_script, chain, name, "0", needle="not an asset id")
    refused(run_script, chain, name, mine, needle="only its owner", account=2)
    assert registry.isListed(mine)


# -- assets ----------------------------------------------------------------------------------


def test_assets_lists_the_facts_of_each_asset(
    run_script, registry, register_asset, publisher, alice, bob
):
    parent, _ = register_asset(alice, {alice.address: 1})
    theirs, _ = register_asset(publisher, {bob.address: 1})
    child, people = register_asset(
        alice, {alice.address: 2, bob.address: 3}, parents=[(parent, 2500)]
    )
    result = run_script("assets", "--json", account=None)
    assert result.returncode == 0, result.stderr
    rows = {row["id"]: row for row in json.loads(result.stdout)}
    assert len(rows) == registry.assetCount()
    row = rows[child]
    assert row["kind"] == "dataset" and row["owner"] == alice.address
    assert row["contentRoot"] == "0x" + bytes(registry.asset(child).contentRoot).hex()
    assert row["contributorsRoot"] == "0x" + people.root.hex()
    assert row["totalWeight"] == "5"
    assert row["parents"] == [{"id": parent, "shareBps": 2500, "upstreamBps": 0}]
    assert row["delisted"] is False
    assert row["createdAt"] == registry.asset(child).createdAt
    assert (row["metadataURI"], row["metadataHash"]) == ("ipfs://x", "0x" + "11" * 32)

    mine = run_script("assets", "--owner", publisher.address, account=None)
    assert mine.returncode == 0, mine.stderr
    lines = [line for line in mine.stdout.splitlines() if line.startswith("asset ")]
    assert any(line.startswith(f"asset {theirs}: dataset") for line in lines)
    assert all(f"owner {publisher.address}" in line for line in lines)
    assert f"asset {child}:" not in mine.stdout
    assert mine.stdout.strip().endswith(f"{len(lines)} asset(s) held by {publisher.address}")


def test_assets_refuses_a_bad_owner_address(run_script, chain):
    refused(run_script, chain, "assets", "--owner", "0x1234", needle="address", account=None)


# -- proof -----------------------------------------------------------------------------------


@pytest.fixture
def with_tree(run_script, registry, make_folder, tmp_path, alice, bob):
    folder = make_folder("people")
    people = tmp_path / "people.csv"
    people.write_text(f"address,weight\n{alice.address},3\n{bob.address},1\n")
    result = run_script("register", folder, "--spdx", "MIT", "--contributors", people)
    assert result.returncode == 0, result.stderr
    return registry.assetCount(), folder


def test_proof_exports_a_proof_that_verifies_on_chain(
    run_script, registry, vault, with_tree, tmp_path, bob
):
    asset_id, folder = with_tree
    out = tmp_path / "proof.json"
    result = run_script(
        "proof", asset_id, bob.address, "--folder", folder, "--out", out, account=None
    )
    assert result.returncode == 0, result.stderr
    assert "verified and written" in result.stdout
    data = json.loads(out.read_text())
    assert (data["asset"], data["account"], data["weight"], data["totalWeight"]) == (
        asset_id,
        bob.address,
        "1",
        "4",
    )
    contributors_root, total = registry.contributors(asset_id)
    assert data["contributorsRoot"] == "0x" + bytes(contributors_root).hex()
    assert data["contentRoot"] == "0x" + bytes(registry.asset(asset_id).contentRoot).hex()
    proof = [(bytes.fromhex(n["hash"][2:]), int(n["sum"])) for n in data["proof"]]
    assert registry.verifyContributor(asset_id, bob.address, 1, proof)
    assert data["claim"]["contract"] == vault.address
    assert data["claim"]["function"].startswith("claim(uint256,address,address,uint96,")
    # Without --out the same JSON goes to stdout; --tree names the file directly.
    tree = folder / ".seedbed" / "contributors.sbtree"
    printed = run_script("proof", asset_id, bob.address, "--tree", tree, account=None)
    assert printed.returncode == 0, printed.stderr
    assert json.loads(printed.stdout) == data


def test_proof_bad_input_is_one_line(run_script, chain, with_tree, mine, tmp_path, stranger, bob):
    asset_id, folder = with_tree
    tree = folder / ".seedbed" / "contributors.sbtree"
    cases = [
        ([asset_id, stranger.address, "--tree", tree], "is not a contributor"),
        ([mine, bob.address, "--tree", tree], f"is not asset {mine}'s contributors tree"),
        ([999_999, bob.address, "--tree", tree], "does not exist"),
        ([asset_id, bob.address, "--tree", tmp_path / "none.sbtree"], "does not exist"),
        ([asset_id, bob.address, "--folder", tmp_path], "No contributors.sbtree next to"),
        ([asset_id, bob.address], "Name the contributors tree"),
        ([asset_id, "0xnope", "--tree", tree], "address"),
    ]
    for args, needle in cases:
        out = tmp_path / "proof.json"
        refused(run_script, chain, "proof", *args, "--out", out, needle=needle, account=None)
        assert not out.exists()
