"""Issue 12 lapses in the registry: one error for an unknown asset in every call, the ERC-4906
id, and `multicall` as part of the public interface."""

import os

import pytest
from registry_helpers import reverts, view_reverts
from testkit.registering import ZERO_SALT

from seedbed.core.constants import DATASET

META = b"\x07" * 32


@pytest.mark.parametrize("missing_offset", [0, 1, 1000])
def test_every_mutation_on_an_unknown_asset_fails_with_the_views_error(
    registry, publisher, missing_offset
):
    missing = 0 if missing_offset == 0 else registry.assetCount() + missing_offset
    with reverts(registry.AssetRegistryUnknownAsset, assetId=missing):
        registry.updateMetadata(missing, "x", META, sender=publisher)
    with reverts(registry.AssetRegistryUnknownAsset, assetId=missing):
        registry.setDelisted(missing, True, sender=publisher)
    view_reverts(registry.AssetRegistryUnknownAsset, registry.asset, missing, assetId=missing)


def test_an_unknown_asset_is_reported_before_authorization(registry, stranger):
    # A stranger on a missing id learns that the id is unknown, not that it is unauthorized.
    missing = registry.assetCount() + 1
    with reverts(registry.AssetRegistryUnknownAsset, assetId=missing):
        registry.updateMetadata(missing, "x", META, sender=stranger)


def test_erc4906_is_answered_for_its_exact_id_only(registry):
    assert registry.supportsInterface(bytes.fromhex("49064906")) is True
    for neighbour in ("49064907", "49064905", "06490649", "00000000"):
        assert registry.supportsInterface(bytes.fromhex(neighbour)) is False


def test_multicall_registers_several_assets_in_one_transaction(
    registry, publisher, contributors_of, alice
):
    people = contributors_of({alice.address: 1})
    roots = [os.urandom(32), os.urandom(32)]
    calls = [
        registry.register.encode_input(DATASET, r, ZERO_SALT, people.top, "u", META, [])
        for r in roots
    ]
    before = registry.assetCount()
    receipt = registry.multicall(calls, sender=publisher)
    events = receipt.events.filter(registry.AssetRegistered)
    assert [e.assetId for e in events] == [before + 1, before + 2]
    assert [registry.assetIdOf(r) for r in roots] == [before + 1, before + 2]
    assert {registry.ownerOf(before + 1), registry.ownerOf(before + 2)} == {publisher.address}


def test_multicall_reverts_whole_with_the_failing_calls_error(
    registry, publisher, contributors_of, alice
):
    people = contributors_of({alice.address: 1})
    root = os.urandom(32)
    call = registry.register.encode_input(DATASET, root, ZERO_SALT, people.top, "u", META, [])
    before = registry.assetCount()
    with reverts(
        registry.AssetRegistryDuplicateContent, contentRoot=root, existingAssetId=before + 1
    ):
        registry.multicall([call, call], sender=publisher)
    assert registry.assetCount() == before
