"""AssetRegistry.register: the stored record, every refusal, lineage edges, events, multicall."""

import os

import pytest
from eth_utils import keccak
from registry_helpers import reverts
from testkit.registering import ZERO_SALT

from seedbed.core.constants import BPS, DATASET, MAX_PARENTS, MODEL, OTHER
from seedbed.core.sumtree import root_of_top

URI = "ipfs://bafy-seedbed/croissant.json"
META = b"\x42" * 32


def fresh_root():
    return os.urandom(32)


@pytest.fixture
def people(contributors_of, alice, bob):
    return contributors_of({alice.address: 3, bob.address: 1})


def register(registry, sender, people, root=None, parents=(), kind=DATASET, uri=URI):
    root = root or fresh_root()
    receipt = registry.register(
        kind, root, ZERO_SALT, people.top, uri, META, list(parents), sender=sender
    )
    return receipt.events.filter(registry.AssetRegistered)[0].assetId, receipt


def test_register_mints_to_the_caller_and_stores_every_field(registry, publisher, people, chain):
    before = registry.assetCount()
    root = fresh_root()
    asset_id, receipt = register(registry, publisher, people, root=root, kind=MODEL)

    assert asset_id == before + 1 == registry.assetCount()
    assert registry.ownerOf(asset_id) == publisher.address
    assert registry.assetIdOf(root) == asset_id
    view = registry.asset(asset_id)
    assert view.owner == publisher.address
    assert view.kind == MODEL
    assert bytes(view.contentRoot) == root
    assert bytes(view.contributorsRoot) == people.root
    assert view.totalWeight == people.total == 4
    assert (view.upstreamBps, view.parentCount, view.delisted) == (0, 0, False)
    assert (view.floorBps, view.commitLag) == (0, 0)  # no lineage; commitments are off here
    assert view.createdAt == chain.provider.get_block(receipt.block_number).timestamp
    root_, total = registry.contributors(asset_id)
    assert (bytes(root_), total) == (people.root, 4)
    assert registry.isListed(asset_id)
    assert registry.upstreamBps(asset_id) == 0
    assert list(registry.parents(asset_id)) == []


def test_ids_only_grow_one_by_one(registry, publisher, alice, people):
    first = registry.assetCount() + 1
    ids = [register(registry, who, people)[0] for who in (publisher, alice, publisher)]
    assert ids == [first, first + 1, first + 2]
    assert registry.ownerOf(first + 1) == alice.address


def test_every_kind_is_stored(registry, publisher, people):
    for kind in (DATASET, MODEL, OTHER):
        asset_id, _ = register(registry, publisher, people, kind=kind)
        assert registry.asset(asset_id).kind == kind


def test_empty_content_root_is_refused(registry, publisher, people):
    with reverts(registry.AssetRegistryEmptyContentRoot):
        registry.register(
            DATASET, b"\0" * 32, ZERO_SALT, people.top, URI, META, [], sender=publisher
        )


def register_top(registry, sender, top):
    receipt = registry.register(DATASET, fresh_root(), ZERO_SALT, top, URI, META, [], sender=sender)
    return receipt.events.filter(registry.AssetRegistered)[0].assetId


def contributor_leaf(account, weight):
    return keccak(b"\0" + bytes.fromhex(account[2:]) + weight.to_bytes(12, "big"))


def test_the_contributors_root_and_total_are_derived_from_its_preimage(
    registry, publisher, alice, people
):
    """Two children give the root above them and the sum of their sums; one leaf gives that
    leaf: the registered total is the tree's by construction."""
    asset_id = register_top(registry, publisher, people.top)
    assert tuple(registry.contributors(asset_id)) == (people.root, people.total)
    assert registry.contributorsRoot(asset_id) == people.root
    swapped = register_top(registry, publisher, people.top[::-1])  # pairs sort by hash
    assert tuple(registry.contributors(swapped)) == (people.root, people.total)
    solo = [(bytes(12) + bytes.fromhex(alice.address[2:]), 7)]
    asset_id = register_top(registry, publisher, solo)
    assert tuple(registry.contributors(asset_id)) == (contributor_leaf(alice.address, 7), 7)
    assert registry.verifyContributor(asset_id, alice, 7, [])


def test_a_preimage_of_no_tree_is_refused(registry, publisher, alice, people):
    a, b = people.top
    for top in ([], [a, b, a]):
        with reverts(registry.AssetRegistryBadContributorsTop, length=len(top)):
            register_top(registry, publisher, top)
    # A one-leaf top holds an address: a word above 2^160 is a hash, not an account.
    with reverts(registry.AssetRegistryBadContributorsTop, length=1):
        register_top(registry, publisher, [(b"\x01" + bytes(31), 1)])


def test_contributors_need_a_positive_total(registry, publisher, alice, people):
    padded = bytes(12) + bytes.fromhex(alice.address[2:])
    with reverts(
        registry.AssetRegistryNoContributors,
        contributorsRoot=contributor_leaf(alice.address, 0),
        totalWeight=0,
    ):
        register_top(registry, publisher, [(padded, 0)])
    zero = [(people.top[0][0], 0), (people.top[1][0], 0)]
    assert root_of_top(people.top)[0] == _node(people.top)
    with reverts(registry.AssetRegistryNoContributors, contributorsRoot=_node(zero), totalWeight=0):
        register_top(registry, publisher, zero)


def _node(top):
    (ha, sa), (hb, sb) = sorted(top)
    return keccak(b"\x01" + ha + sa.to_bytes(32, "big") + hb + sb.to_bytes(32, "big"))


def test_a_total_of_2_96_or_more_is_refused(registry, publisher, alice, people):
    padded = bytes(12) + bytes.fromhex(alice.address[2:])
    with reverts(registry.AssetRegistryWeightTooLarge, totalWeight=2**96):
        register_top(registry, publisher, [(padded, 2**96)])
    (ha, _), (hb, _) = people.top
    with reverts(registry.AssetRegistryWeightTooLarge, totalWeight=2**96):
        register_top(registry, publisher, [(ha, 2**95), (hb, 2**95)])
    # Just below fits the record.
    asset_id = register_top(registry, publisher, [(ha, 2**95), (hb, 2**95 - 1)])
    assert registry.contributors(asset_id)[1] == 2**96 - 1


def test_the_zero_address_alone_is_refused(registry, publisher):
    with reverts(registry.AssetRegistryZeroContributor):
        register_top(registry, publisher, [(bytes(32), 5)])


def test_same_content_twice_names_the_existing_asset(registry, publisher, stranger, people):
    root = fresh_root()
    asset_id, _ = register(registry, publisher, people, root=root)
    count = registry.assetCount()
    for sender in (publisher, stranger):
        with reverts(
            registry.AssetRegistryDuplicateContent, contentRoot=root, existingAssetId=asset_id
        ):
            register(registry, sender, people, root=root)
    assert registry.assetCount() == count


def test_sixteen_parents_pass_and_seventeen_are_refused(registry, publisher, people):
    ids = [register(registry, publisher, people)[0] for _ in range(MAX_PARENTS + 1)]
    assert registry.MAX_PARENTS() == MAX_PARENTS
    links = [(pid, 100, 0) for pid in ids]
    with reverts(registry.AssetRegistryTooManyParents, count=MAX_PARENTS + 1, max=MAX_PARENTS):
        register(registry, publisher, people, parents=links)
    child, _ = register(registry, publisher, people, parents=links[:MAX_PARENTS])
    assert [p.assetId for p in registry.parents(child)] == ids[:MAX_PARENTS]
    assert registry.upstreamBps(child) == 100 * MAX_PARENTS


def test_parents_must_exist(registry, publisher, people):
    count = registry.assetCount()
    for missing in (0, count + 1, count + 100):
        with reverts(registry.AssetRegistryUnknownAsset, assetId=missing):
            register(registry, publisher, people, parents=[(missing, 100, 0)])


def test_a_parent_share_cannot_be_zero(registry, publisher, people):
    parent, _ = register(registry, publisher, people)
    with reverts(registry.AssetRegistryZeroShare, parentId=parent):
        register(registry, publisher, people, parents=[(parent, 0, 0)])


def test_a_parent_cannot_be_named_twice(registry, publisher, people):
    a, _ = register(registry, publisher, people)
    b, _ = register(registry, publisher, people)
    with reverts(registry.AssetRegistryDuplicateParent, parentId=a):
        register(registry, publisher, people, parents=[(a, 100, 0), (b, 100, 0), (a, 200, 0)])


def test_upstream_shares_may_reach_but_not_pass_100_percent(registry, publisher, people):
    a, _ = register(registry, publisher, people)
    b, _ = register(registry, publisher, people)
    with reverts(registry.AssetRegistryUpstreamOver100Percent, totalBps=BPS + 1):
        register(registry, publisher, people, parents=[(a, 6000, 0), (b, 4001, 0)])
    child, _ = register(registry, publisher, people, parents=[(a, 6000, 0), (b, 4000, 0)])
    assert registry.upstreamBps(child) == BPS


def test_own_parents_need_no_license(registry, publisher, people):
    parent, _ = register(registry, publisher, people)
    # The license id is not even read for a parent the registrant owns.
    child, _ = register(registry, publisher, people, parents=[(parent, 2500, 987654)])
    assert registry.parents(child)[0].shareBps == 2500


def test_parent_edges_carry_the_parents_own_upstream_share(registry, publisher, people):
    grand, _ = register(registry, publisher, people)
    parent, _ = register(registry, publisher, people, parents=[(grand, 3000, 0)])
    other, _ = register(registry, publisher, people)
    child, _ = register(registry, publisher, people, parents=[(parent, 5000, 0), (other, 700, 0)])
    edges = [(p.assetId, p.shareBps, p.upstreamBps) for p in registry.parents(child)]
    assert edges == [(parent, 5000, 3000), (other, 700, 0)]
    assert registry.asset(child).parentCount == 2
    assert registry.upstreamBps(child) == 5700


def test_registered_event_rebuilds_the_record(registry, publisher, people):
    grand, _ = register(registry, publisher, people)
    parent, _ = register(registry, publisher, people, parents=[(grand, 1200, 0)])
    root = fresh_root()
    asset_id, receipt = register(
        registry, publisher, people, root=root, parents=[(parent, 4000, 0)], kind=MODEL
    )
    log = receipt.events.filter(registry.AssetRegistered)[0]
    view = registry.asset(asset_id)
    rebuilt = {
        "owner": log.publisher,
        "kind": log.kind,
        "contentRoot": bytes(log.contentRoot),
        "contributorsRoot": bytes(log.contributorsRoot),
        "totalWeight": log.totalWeight,
        "upstreamBps": log.upstreamBps,
        "parentCount": len(log.parents),
    }
    stored = {k: getattr(view, k) for k in rebuilt}
    stored["contentRoot"] = bytes(stored["contentRoot"])
    stored["contributorsRoot"] = bytes(stored["contributorsRoot"])
    assert rebuilt == stored
    assert log.assetId == asset_id
    assert [tuple(p) for p in log.parents] == [tuple(p) for p in registry.parents(asset_id)]
    assert [tuple(p) for p in log.parents] == [(parent, 4000, 1200)]
    # The metadata lives in the log only.
    assert (log.metadataURI, bytes(log.metadataHash)) == (URI, META)


def test_multicall_registers_a_batch_in_one_transaction(registry, publisher, contributors_of):
    roots = [fresh_root() for _ in range(5)]
    teams = [contributors_of({"0x" + os.urandom(20).hex(): i + 1}) for i in range(5)]
    data = [
        registry.register.encode_input(DATASET, r, ZERO_SALT, t.top, f"{URI}#{i}", META, [])
        for i, (r, t) in enumerate(zip(roots, teams, strict=True))
    ]
    first = registry.assetCount() + 1
    returned = registry.multicall.call(data, sender=publisher)
    assert [int.from_bytes(bytes(r), "big") for r in returned] == list(range(first, first + 5))

    receipt = registry.multicall(data, sender=publisher)
    logs = receipt.events.filter(registry.AssetRegistered)
    assert [log.assetId for log in logs] == list(range(first, first + 5))
    for log, root, team in zip(logs, roots, teams, strict=True):
        assert registry.ownerOf(log.assetId) == publisher.address  # msg.sender is kept
        assert registry.assetIdOf(root) == log.assetId
        assert registry.contributors(log.assetId)[1] == team.total


def test_multicall_is_all_or_nothing(registry, publisher, people):
    taken = fresh_root()
    existing, _ = register(registry, publisher, people, root=taken)
    data = [
        registry.register.encode_input(DATASET, r, ZERO_SALT, people.top, URI, META, [])
        for r in (fresh_root(), taken, fresh_root())
    ]
    count = registry.assetCount()
    with reverts(
        registry.AssetRegistryDuplicateContent, contentRoot=taken, existingAssetId=existing
    ):
        registry.multicall(data, sender=publisher)
    assert registry.assetCount() == count
