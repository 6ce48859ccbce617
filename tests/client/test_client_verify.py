"""seedbed.client.verify: a file is what the chain's content root commits to, or it is refused."""

import hashlib

import pytest
from clientkit import FACTS, FILES, ROOT, StubRpc, asset_view, dataset

from seedbed.chain.rpc import RpcError
from seedbed.client import ContentRoots, FileFacts, VerificationError, read_content_root
from seedbed.client.verify import (
    ASSET_SELECTOR,
    check_manifest,
    check_proof,
    check_range,
    check_whole,
    manifest_root,
    parse_proof,
)
from seedbed.core.keccak import keccak


def facts(path="data/b.bin", **change):
    sha, size, proof = FACTS[path]
    headers = {
        "Seedbed-File-Sha256": sha,
        "Seedbed-File-Size": str(size),
        "Seedbed-File-Proof": ",".join("0x" + p.hex() for p in proof),
        "Seedbed-Content-Root": "0x" + ROOT.hex(),
    }
    headers.update(change)
    return FileFacts.from_headers(path, headers)


@pytest.mark.parametrize("path", sorted(FILES))
def test_every_file_of_the_dataset_folds_to_its_root(path):
    check_proof(facts(path), ROOT, 3)


def test_a_single_file_dataset_has_an_empty_proof():
    root, single = dataset({"only": b"x"})
    sha, size, proof = single["only"]
    assert proof == []
    f = FileFacts.from_headers(
        "only",
        {"Seedbed-File-Sha256": sha, "Seedbed-File-Size": str(size), "Seedbed-File-Proof": ""},
    )
    check_proof(f, root)


@pytest.mark.parametrize(
    ("change", "match"),
    [
        ({"Seedbed-File-Sha256": hashlib.sha256(b"other").hexdigest()}, "does not lead"),
        ({"Seedbed-File-Size": "10241"}, "does not lead"),
        ({"Seedbed-File-Proof": "0x" + "00" * 32}, "does not lead"),
        ({"Seedbed-File-Proof": ""}, "does not lead"),
        ({"Seedbed-Content-Root": "0x" + "11" * 32}, "trusted root is"),
    ],
)
def test_a_tampered_sha_size_proof_or_root_is_refused(change, match):
    with pytest.raises(VerificationError, match=match):
        check_proof(facts(**change), ROOT, 3)


def test_another_files_proof_does_not_prove_this_path():
    sha, size, _ = FACTS["data/b.bin"]
    _, _, proof_of_a = FACTS["a.txt"]
    f = FileFacts("data/b.bin", bytes.fromhex(sha), size, tuple(proof_of_a))
    with pytest.raises(VerificationError):
        check_proof(f, ROOT)


def test_a_file_named_under_another_path_is_refused():
    sha, size, proof = FACTS["a.txt"]
    f = FileFacts("A.txt", bytes.fromhex(sha), size, tuple(proof))
    with pytest.raises(VerificationError, match="does not lead"):
        check_proof(f, ROOT)


@pytest.mark.parametrize(
    ("headers", "match"),
    [
        ({"Seedbed-File-Size": "10240"}, "Sha256"),
        ({"Seedbed-File-Sha256": "ab" * 32}, "Size"),
        ({"Seedbed-File-Sha256": "ab", "Seedbed-File-Size": "1"}, "32 bytes"),
        ({"Seedbed-File-Sha256": "ab" * 32, "Seedbed-File-Size": "-1"}, "number of bytes"),
        (
            {
                "Seedbed-File-Sha256": "ab" * 32,
                "Seedbed-File-Size": "1",
                "Seedbed-File-Proof": "0xzz",
            },
            "bytes32",
        ),
    ],
)
def test_missing_or_malformed_file_headers_are_refused(headers, match):
    with pytest.raises(VerificationError, match=match):
        FileFacts.from_headers("p", headers)


def test_a_proof_longer_than_any_tree_is_refused():
    with pytest.raises(VerificationError, match="siblings"):
        parse_proof(",".join(["0x" + "00" * 32] * 65))


def test_the_whole_file_must_hash_and_measure_as_named():
    f = facts()
    check_whole(f, FILES["data/b.bin"])
    with pytest.raises(VerificationError, match="10239 bytes"):
        check_whole(f, FILES["data/b.bin"][:-1])
    with pytest.raises(VerificationError, match="hash to"):
        check_whole(f, b"\xff" + FILES["data/b.bin"][1:])


def test_a_range_is_exactly_the_bytes_its_content_range_names():
    f = facts()
    body = FILES["data/b.bin"][100:200]
    assert check_range(f, body, "bytes 100-199/10240", 100, 199).total == 10240
    assert check_range(f, FILES["data/b.bin"][10000:], "bytes 10000-10239/10240", 10000, None)
    # a range past the end is cut at the last byte
    check_range(f, FILES["data/b.bin"][10000:], "bytes 10000-10239/*", 10000, 99_999)


@pytest.mark.parametrize(
    ("body_len", "content_range", "match"),
    [
        (99, "bytes 100-199/10240", "body has 99"),
        (100, "bytes 101-200/10240", "asked for bytes 100-199"),
        (100, "bytes 100-199/9999", "has 9999 bytes"),
        (100, None, "not 'bytes start-end/size'"),
        (100, "bytes 199-100/10240", "ends before"),
    ],
)
def test_a_range_that_disagrees_with_its_request_or_headers_is_refused(
    body_len, content_range, match
):
    with pytest.raises(VerificationError, match=match):
        check_range(facts(), b"x" * body_len, content_range, 100, 199)


def test_the_manifest_builds_the_trusted_root():
    files = [{"path": p, "sha256": s, "size": n} for p, (s, n, _) in FACTS.items()]
    assert manifest_root(list(reversed(files))) == ROOT  # order-free: sorted by path bytes
    check_manifest({"contentRoot": "0x" + ROOT.hex(), "files": files}, ROOT, 3)
    with pytest.raises(VerificationError, match="build the root"):
        check_manifest({"contentRoot": "0x" + ROOT.hex(), "files": files[:-1]}, ROOT, 3)
    with pytest.raises(VerificationError, match="names the content root"):
        check_manifest({"contentRoot": "0x" + "00" * 32, "files": files}, ROOT, 3)


def test_the_content_root_is_read_from_the_registry_by_one_cached_call():
    rpc = StubRpc(asset_view(ROOT))
    roots = ContentRoots(rpc=rpc, registry_address="0x" + "42" * 20)
    assert roots.trusted(3) == ROOT and roots.trusted(3) == ROOT
    assert len(rpc.calls) == 1
    method, (call, block) = rpc.calls[0]
    assert method == "eth_call" and block == "latest"
    assert call["data"] == "0x" + (ASSET_SELECTOR + (3).to_bytes(32, "big")).hex()
    assert ASSET_SELECTOR == keccak(b"asset(uint256)")[:4]
    assert roots.chain_id() == 31337


def test_a_root_the_caller_passes_overrides_the_chain():
    roots = ContentRoots(rpc=StubRpc(RpcError(3, "reverted")), registry_address="0x" + "42" * 20)
    assert roots.trusted(3, "0x" + ROOT.hex()) == ROOT
    assert ContentRoots(roots={3: ROOT}).trusted(3) == ROOT


@pytest.mark.parametrize(
    ("answer", "match"),
    [
        (RpcError(3, "execution reverted"), "not registered"),
        ("0x", "is it the registry"),
        (asset_view(bytes(32)), "no content root"),
    ],
)
def test_an_asset_the_registry_does_not_know_has_no_trusted_root(answer, match):
    with pytest.raises(VerificationError, match=match):
        read_content_root(StubRpc(answer), "0x" + "42" * 20, 99)


def test_without_a_chain_or_a_given_root_nothing_is_trusted():
    with pytest.raises(VerificationError, match="pass rpc_url and registry_address"):
        ContentRoots().trusted(3)
    with pytest.raises(Exception, match="both rpc_url and registry_address"):
        ContentRoots(rpc_url="http://127.0.0.1:1")
