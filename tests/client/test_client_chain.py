"""The content root the client reads over JSON-RPC is the one the AssetRegistry stores, and
the proofs it folds are the ones the registry's verifyFile accepts (a real chain)."""

import hashlib

import pytest
from clientkit import FACTS, FILES, ROOT

from seedbed.chain.rpc import Rpc
from seedbed.client import ContentRoots, VerificationError, read_content_root
from seedbed.client.verify import FileFacts, check_proof


@pytest.fixture
def rpc(chain):
    return Rpc.from_uri(chain.provider.http_uri)


@pytest.fixture
def asset_id(register_asset, registry, publisher, alice):
    # The root is fixed (the client kit's files): an earlier test's registration of it may
    # have outlived its snapshot, and a root registers once.
    existing = int(registry.assetIdOf(ROOT))
    return existing or register_asset(publisher, {alice.address: 1}, content_root=ROOT)[0]


def test_the_root_read_over_rpc_is_the_registrys(rpc, registry, asset_id, chain):
    assert read_content_root(rpc, registry.address, asset_id) == ROOT
    assert bytes(registry.asset(asset_id).contentRoot) == ROOT
    roots = ContentRoots(rpc_url=chain.provider.http_uri, registry_address=registry.address)
    assert roots.trusted(asset_id) == ROOT and roots.chain_id() == chain.chain_id


@pytest.mark.parametrize("path", sorted(FILES))
def test_a_proof_the_client_accepts_is_one_the_registry_accepts(rpc, registry, asset_id, path):
    sha, size, proof = FACTS[path]
    check_proof(FileFacts(path, bytes.fromhex(sha), size, tuple(proof)), ROOT, asset_id)
    assert registry.verifyFile(asset_id, path, bytes.fromhex(sha), size, proof)
    forged = hashlib.sha256(b"forged").digest()
    assert not registry.verifyFile(asset_id, path, forged, size, proof)


def test_an_asset_the_registry_does_not_have_is_not_trusted(rpc, registry, asset_id):
    with pytest.raises(VerificationError, match="not registered"):
        read_content_root(rpc, registry.address, asset_id + 1000)
