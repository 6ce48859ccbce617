"""Metadata updates (ERC-4906), delisting, wiring, interfaces, tokenURI, unknown ids, and
the immutability of content, contributors and lineage."""

import base64
import json
import os

import pytest
from registry_helpers import reverts, view_reverts
from testkit.registering import ZERO_SALT

from seedbed.core.constants import DATASET, MODEL

META = b"\x07" * 32


@pytest.fixture
def asset(register_asset, publisher, alice, bob):
    return register_asset(publisher, {alice.address: 2, bob.address: 5})[0]


def metadata_events(registry, receipt, asset_id, uri, digest):
    changed = receipt.events.filter(registry.MetadataChanged)
    assert [(e.assetId, e.metadataURI, bytes(e.metadataHash)) for e in changed] == [
        (asset_id, uri, digest)
    ]
    assert [e._tokenId for e in receipt.events.filter(registry.MetadataUpdate)] == [asset_id]


def test_owner_updates_metadata_with_erc4906_event(registry, publisher, asset):
    before = registry.asset(asset)
    receipt = registry.updateMetadata(asset, "ipfs://new", META, sender=publisher)
    metadata_events(registry, receipt, asset, "ipfs://new", META)
    assert registry.asset(asset) == before  # nothing stored changes: the URI lives in logs


def test_approved_account_and_operator_update_metadata(registry, publisher, alice, bob, asset):
    registry.approve(alice, asset, sender=publisher)
    receipt = registry.updateMetadata(asset, "ar://by-alice", META, sender=alice)
    metadata_events(registry, receipt, asset, "ar://by-alice", META)
    registry.setApprovalForAll(bob, True, sender=publisher)
    receipt = registry.updateMetadata(asset, "ar://by-bob", META, sender=bob)
    metadata_events(registry, receipt, asset, "ar://by-bob", META)


def test_strangers_cannot_update_metadata(registry, stranger, publisher, alice, asset):
    with reverts(registry.AssetRegistryNotAuthorized, assetId=asset, caller=stranger):
        registry.updateMetadata(asset, "x", META, sender=stranger)
    # A contributor is not the owner either.
    with reverts(registry.AssetRegistryNotAuthorized, assetId=asset, caller=alice):
        registry.updateMetadata(asset, "x", META, sender=alice)


def test_rights_follow_the_token(registry, publisher, bob, asset):
    registry.transferFrom(publisher, bob, asset, sender=publisher)
    with reverts(registry.AssetRegistryNotAuthorized, assetId=asset, caller=publisher):
        registry.updateMetadata(asset, "x", META, sender=publisher)
    receipt = registry.updateMetadata(asset, "ipfs://bob", META, sender=bob)
    metadata_events(registry, receipt, asset, "ipfs://bob", META)
    assert registry.asset(asset).owner == bob.address


def test_metadata_of_an_unknown_asset_is_refused(registry, publisher):
    missing = registry.assetCount() + 1
    with reverts(registry.AssetRegistryUnknownAsset, assetId=missing):
        registry.updateMetadata(missing, "x", META, sender=publisher)
    with reverts(registry.AssetRegistryUnknownAsset, assetId=missing):
        registry.setDelisted(missing, True, sender=publisher)


def test_delist_and_relist(registry, publisher, alice, stranger, asset):
    receipt = registry.setDelisted(asset, True, sender=publisher)
    assert [(e.assetId, e.delisted) for e in receipt.events.filter(registry.ListingChanged)] == [
        (asset, True)
    ]
    assert [e._tokenId for e in receipt.events.filter(registry.MetadataUpdate)] == [asset]
    assert not registry.isListed(asset)
    assert registry.asset(asset).delisted
    with reverts(registry.AssetRegistryListingUnchanged, assetId=asset, delisted=True):
        registry.setDelisted(asset, True, sender=publisher)
    with reverts(registry.AssetRegistryNotAuthorized, assetId=asset, caller=stranger):
        registry.setDelisted(asset, False, sender=stranger)

    registry.approve(alice, asset, sender=publisher)
    receipt = registry.setDelisted(asset, False, sender=alice)
    assert [e.delisted for e in receipt.events.filter(registry.ListingChanged)] == [False]
    assert registry.isListed(asset)
    with reverts(registry.AssetRegistryListingUnchanged, assetId=asset, delisted=False):
        registry.setDelisted(asset, False, sender=publisher)


def test_a_delisted_asset_can_still_be_a_parent(registry, register_asset, publisher, alice, asset):
    registry.setDelisted(asset, True, sender=publisher)
    child, _ = register_asset(publisher, {alice.address: 1}, parents=[(asset, 1000)])
    assert registry.parents(child)[0].assetId == asset


def test_the_wired_gate_cannot_be_rewired(registry, license_token, deployer, stranger):
    assert registry.licenseGate() == license_token.address
    assert registry.WIRER() == deployer.address
    with reverts(registry.AssetRegistryAlreadyWired, licenseGate=license_token.address):
        registry.wireLicenseGate(stranger, sender=deployer)
    with reverts(registry.AssetRegistryNotWirer, caller=stranger):
        registry.wireLicenseGate(stranger, sender=stranger)


def bare_registry(project, deployer, treasury):
    """A registry of its own, unwired, with commitments off."""
    return deployer.deploy(project.AssetRegistry, deployer, treasury, 0, 0)


def test_wiring_happens_once_and_only_by_the_wirer(
    project, deployer, treasury, stranger, license_token
):
    fresh = bare_registry(project, deployer, treasury)
    with reverts(fresh.AssetRegistryNotWirer, caller=stranger):
        fresh.wireLicenseGate(license_token, sender=stranger)
    receipt = fresh.wireLicenseGate(license_token, sender=deployer)
    assert [e.licenseGate for e in receipt.events.filter(fresh.LicenseGateWired)] == [
        license_token.address
    ]
    with reverts(fresh.AssetRegistryAlreadyWired, licenseGate=license_token.address):
        fresh.wireLicenseGate(stranger, sender=deployer)


def test_foreign_parent_needs_a_wired_gate(
    project, deployer, treasury, publisher, alice, contributors_of
):
    fresh = bare_registry(project, deployer, treasury)
    people = contributors_of({alice.address: 1})

    def register(sender, parents):
        receipt = fresh.register(
            DATASET, os.urandom(32), ZERO_SALT, people.top, "u", META, parents, sender=sender
        )
        return receipt.events.filter(fresh.AssetRegistered)[0].assetId

    parent = register(publisher, [])
    with reverts(fresh.AssetRegistryLicenseGateUnset, parentId=parent):
        register(alice, [(parent, 1000, 1)])
    # The owner's own lineage never asks the gate.
    assert fresh.parents(register(publisher, [(parent, 1000, 0)]))[0].assetId == parent


@pytest.mark.parametrize(
    "interface_id, supported",
    [
        ("0x01ffc9a7", True),  # ERC-165
        ("0x80ac58cd", True),  # ERC-721
        ("0x5b5e139f", True),  # ERC-721 metadata
        ("0x49064906", True),  # ERC-4906
        ("0x780e9d63", False),  # ERC-721 enumerable: not implemented
        ("0xffffffff", False),  # ERC-165 says this id is never supported
    ],
)
def test_supports_interface(registry, interface_id, supported):
    assert registry.supportsInterface(bytes.fromhex(interface_id[2:])) is supported


def decode_token_uri(uri):
    prefix = "data:application/json;base64,"
    assert uri.startswith(prefix)
    doc = json.loads(base64.b64decode(uri[len(prefix) :]))
    return doc, {a["trait_type"]: a["value"] for a in doc["attributes"]}


def test_token_uri_states_the_assets_facts(registry, register_asset, publisher, alice, bob):
    parent, _ = register_asset(publisher, {alice.address: 1})
    child, people = register_asset(
        publisher, {alice.address: 3, bob.address: 4}, parents=[(parent, 1500)], kind=MODEL
    )
    doc, traits = decode_token_uri(registry.tokenURI(child))
    view = registry.asset(child)
    assert doc["name"] == f"Seedbed model #{child}"
    assert traits == {
        "kind": "model",
        "content_root": "0x" + bytes(view.contentRoot).hex(),
        "contributors_root": "0x" + people.root.hex(),
        "total_weight": 7,
        "upstream_bps": 1500,
        "parents": 1,
        "listed": True,
    }
    registry.setDelisted(child, True, sender=publisher)
    assert decode_token_uri(registry.tokenURI(child))[1]["listed"] is False
    assert decode_token_uri(registry.tokenURI(parent))[0]["name"] == f"Seedbed dataset #{parent}"


def test_views_of_unknown_assets_revert(registry, asset):
    for missing in (0, registry.assetCount() + 1):
        calls = [
            (registry.asset, missing),
            (registry.parents, missing),
            (registry.upstreamBps, missing),
            (registry.contributors, missing),
            (registry.isListed, missing),
            (registry.tokenURI, missing),
            (registry.verifyFile, missing, "a", b"\0" * 32, 0, []),
            (registry.verifyContributor, missing, registry.address, 1, []),
        ]
        for method, *args in calls:
            view_reverts(registry.AssetRegistryUnknownAsset, method, *args, assetId=missing)
        # The claim path's one read answers zero instead, which no proof reaches.
        assert registry.contributorsRoot(missing) == bytes(32)
    assert registry.assetIdOf(os.urandom(32)) == 0


def test_content_contributors_and_lineage_have_no_setter(registry):
    """Immutability by construction: the only state-changing functions are these."""
    mutable = {m.name for m in registry.contract_type.mutable_methods}
    assert mutable == {
        "register",
        "commit",
        "openCommitment",
        "sweep",  # only what was sent to the registry by mistake, to the treasury
        "updateMetadata",
        "setDelisted",
        "wireLicenseGate",
        "wireCourt",
        "setStatus",  # only the court's dispute status, never the record's content
        "multicall",
        # ERC-721
        "approve",
        "setApprovalForAll",
        "transferFrom",
        "safeTransferFrom",
    }


def test_a_transfer_keeps_the_record(registry, publisher, bob, asset):
    before = registry.asset(asset)
    registry.safeTransferFrom(publisher, bob, asset, sender=publisher)
    after = registry.asset(asset)
    assert after.owner == bob.address
    fields = [f for f in before.__dict__ if f != "owner"]
    assert [getattr(after, f) for f in fields] == [getattr(before, f) for f in fields]
