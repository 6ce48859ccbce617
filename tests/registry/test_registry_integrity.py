"""Claimable by construction and the lineage floor (docs/integrity.md §2.1, §2.2, §4.2; C1,
C2, L3). Before issue 15 the total weight was a free input checked only against 0, so an asset
could be registered whose claims all failed; a one-leaf tree of the zero address registered;
and the minimum share bound one hop only, so a self-owned intermediate passed 1 bp on."""

import os
from fractions import Fraction

import pytest
from eth_utils import keccak
from hypothesis import event, given
from hypothesis import strategies as st
from registry_helpers import isolated, reverts
from testkit.registering import ZERO_SALT

from seedbed.core.constants import DATASET, DERIVE, ETH
from seedbed.core.errors import InputError
from seedbed.core.sumtree import root_of_top, sum_leaf, sum_node
from seedbed.core.treefile import ContributorTree

ETHER = 10**18
BPS = 10_000
ZERO = "0x" + "00" * 20


@pytest.fixture(scope="session")
def carol(accounts):
    return accounts[6]


@pytest.fixture(scope="session")
def dave(accounts):
    return accounts[7]


def fresh_root():
    return os.urandom(32)


def register_top(registry, sender, top, parents=()):
    """Registers a hand-made `top` with a fresh content root; returns the asset id."""
    receipt = registry.register(
        DATASET,
        fresh_root(),
        ZERO_SALT,
        top,
        "ipfs://i",
        b"\x33" * 32,
        list(parents),
        sender=sender,
    )
    return receipt.events.filter(registry.AssetRegistered)[0].assetId


def offer_and_buy(license_token, asset_id, owner, buyer, min_bps):
    """A DERIVE offer on `asset_id` asking `min_bps`, and one license of it sold to `buyer`."""
    terms = (asset_id, ETH, 0, 0, 0, 0, DERIVE, min_bps, False, 0, 0)
    receipt = license_token.createOffer(terms, sender=owner)
    offer_id = receipt.events.filter(license_token.OfferCreated)[0].offerId
    receipt = license_token.buy(offer_id, buyer, 0, sender=buyer)
    return receipt.events.filter(license_token.LicenseBought)[0].licenseId


def claim_all(vault, asset_id, people, sender):
    """Claims every contributor's ETH share; returns {address: amount}."""
    paid = {}
    for account in people.weights:
        weight, proof = people.proof(account)
        receipt = vault.claim(asset_id, ETH, account, weight, proof, sender=sender)
        paid[account] = receipt.return_value
        assert vault.claimable(asset_id, ETH, account, weight, proof) == 0
    return paid


# ------------------------------------------------------------------------------------- C1


def test_a_total_that_is_not_the_tree_sum_cannot_be_registered(
    registry, vault, contributors_of, publisher, alice, bob, carol, dave, stranger, deployer
):
    weights = {alice.address: 1, bob.address: 1, carol.address: 2, dave.address: 2}
    weights[stranger.address] = 2  # five leaves: one node is promoted, total 8
    people = contributors_of(weights)
    assert people.total == 8
    honest = register_top(registry, publisher, people.top)
    root, total = registry.contributors(honest)
    assert (bytes(root), total) == (people.root, 8)
    assert registry.asset(honest).totalWeight == 8

    # The registry is given the root's preimage, never a total: whatever preimage is sent, the
    # stored total is the sum that the stored root commits to. The honest root with any other
    # total would need a second preimage of keccak.
    (h0, s0), (h1, s1) = people.top
    for top in [
        [(h0, s0 + 1), (h1, s1)],  # one more than the tree holds
        [(h0, s0), (h1, s1 - 1)],  # one less
        [(h0, s0 + 2**95), (h1, s1)],  # far more
        [(h0, 1), (h1, 1)],
    ]:
        asset_id = register_top(registry, publisher, top)
        stored_root, stored_total = registry.contributors(asset_id)
        expected = sum_node(*top)
        assert (bytes(stored_root), stored_total) == expected == root_of_top(top)
        assert stored_total == top[0][1] + top[1][1]
        assert bytes(stored_root) != people.root
    swapped = register_top(registry, publisher, [(h1, s1), (h0, s0)])  # order does not matter
    assert registry.contributors(swapped) == (people.root, 8)

    # Every leaf's proof ends at that total, so the vault pays an honest tree to the wei.
    held = vault.held(ETH)
    vault.pay(honest, ETH, 4 * ETHER, value=4 * ETHER, sender=deployer)
    paid = claim_all(vault, honest, people, deployer)
    assert paid == {a: w * ETHER // 2 for a, w in people.weights.items()}
    assert sum(paid.values()) == 4 * ETHER == vault.accrued(honest, ETH)
    assert vault.held(ETH) == held  # nothing locked
    for account, weight in people.weights.items():
        assert vault.claimed(honest, ETH, account) == weight * ETHER // 2
        assert registry.verifyContributor(honest, account, *people.proof(account))


def test_a_sum_above_2_96_cannot_be_registered(registry, vault, publisher, alice, bob, deployer):
    a, b = bytes.fromhex(alice.address[2:]), bytes.fromhex(bob.address[2:])
    for wa, wb in [(2**95, 2**95), (2**96 - 1, 1), (2**96 - 1, 2**96 - 1)]:
        top = [sum_leaf(a, wa), sum_leaf(b, wb)]
        with reverts(registry.AssetRegistryWeightTooLarge, totalWeight=wa + wb):
            register_top(registry, publisher, top)
    # Deeper trees: every weight fits, the sum at the top does not.
    leaves = [sum_leaf(bytes([i + 1]) * 20, 2**94) for i in range(4)]
    top = [sum_node(leaves[0], leaves[1]), sum_node(leaves[2], leaves[3])]
    with reverts(registry.AssetRegistryWeightTooLarge, totalWeight=2**96):
        register_top(registry, publisher, top)
    # A one-leaf tree's weight is its total.
    word = bytes(12) + a
    with reverts(registry.AssetRegistryWeightTooLarge, totalWeight=2**96):
        register_top(registry, publisher, [(word, 2**96)])
    # Sums that would wrap uint256 cannot wrap into a small total: each part is checked first.
    with reverts(registry.AssetRegistryWeightTooLarge, totalWeight=2**256 - 1):
        register_top(registry, publisher, [(top[0][0], 2**256 - 1), (top[1][0], 1)])

    # The largest total that fits registers, and claims divide by it.
    top = [sum_leaf(a, 2**95), sum_leaf(b, 2**95 - 1)]
    asset_id = register_top(registry, publisher, top)
    assert registry.contributors(asset_id) == (sum_node(*top)[0], 2**96 - 1)
    vault.pay(asset_id, ETH, ETHER, value=ETHER, sender=deployer)
    assert vault.claimable(asset_id, ETH, alice, 2**95, [top[1]]) == ETHER * 2**95 // (2**96 - 1)
    assert vault.claimable(asset_id, ETH, bob, 2**95 - 1, [top[0]]) == ETHER // 2 - 1
    assert ETHER * 2**95 // (2**96 - 1) == ETHER // 2  # 1 wei of dust in all


def test_flows_into_an_asset_are_always_claimable(
    registry,
    vault,
    license_token,
    register_asset,
    publisher,
    stranger,
    alice,
    bob,
    carol,
    dave,
    deployer,
):
    grand, grand_people = register_asset(publisher, {alice.address: 1})
    weights = {alice.address: 1, bob.address: 1, carol.address: 2, dave.address: 2}
    weights[publisher.address] = 2
    parent, parent_people = register_asset(publisher, weights, parents=[(grand, 5000)])
    licence = offer_and_buy(license_token, parent, publisher, stranger, 2500)
    child, child_people = register_asset(
        stranger, {stranger.address: 1, dave.address: 3}, parents=[(parent, 2500, licence)]
    )
    held = vault.held(ETH)
    vault.pay(child, ETH, 8 * ETHER, value=8 * ETHER, sender=deployer)
    assert vault.pendingUpstream(child, ETH) == 2 * ETHER
    receipt = vault.flowUpstream(child, ETH, sender=deployer)
    assert receipt.return_value == 2 * ETHER
    assert (vault.accrued(parent, ETH), vault.pendingUpstream(parent, ETH)) == (ETHER, ETHER)
    vault.flowUpstream(parent, ETH, sender=deployer)
    assert vault.accrued(grand, ETH) == ETHER

    # Every contributor of every asset the money reached claims all of it.
    assert claim_all(vault, child, child_people, deployer) == {
        stranger.address: 3 * ETHER // 2,
        dave.address: 9 * ETHER // 2,
    }
    assert claim_all(vault, parent, parent_people, deployer) == {
        a: w * ETHER // 8 for a, w in parent_people.weights.items()
    }
    assert claim_all(vault, grand, grand_people, deployer) == {alice.address: ETHER}
    assert vault.held(ETH) == held


# ------------------------------------------------------------------------------------- C2


def test_a_one_leaf_tree_of_the_zero_address_is_refused(registry, publisher, alice):
    with reverts(registry.AssetRegistryZeroContributor):
        register_top(registry, publisher, [(bytes(32), 5)])
    with pytest.raises(InputError):
        root_of_top([(bytes(32), 5)])
    with pytest.raises(InputError):
        ContributorTree.build({bytes(20): 5})
    # A word that is not an address at all, and tops of the wrong shape.
    with reverts(registry.AssetRegistryBadContributorsTop, length=1):
        register_top(registry, publisher, [(b"\x01" + bytes(31), 5)])
    with reverts(registry.AssetRegistryBadContributorsTop, length=0):
        register_top(registry, publisher, [])
    leaf = sum_leaf(bytes.fromhex(alice.address[2:]), 1)
    with reverts(registry.AssetRegistryBadContributorsTop, length=3):
        register_top(registry, publisher, [leaf, leaf, leaf])
    # A weightless leaf is no contributor either.
    word = bytes(12) + bytes.fromhex(alice.address[2:])
    zero_leaf = keccak(b"\x00" + word[12:] + bytes(12))
    with reverts(registry.AssetRegistryNoContributors, contributorsRoot=zero_leaf, totalWeight=0):
        register_top(registry, publisher, [(word, 0)])
    # The same shape with a real account registers, its root being the leaf itself.
    asset_id = register_top(registry, publisher, [(word, 5)])
    assert registry.contributors(asset_id) == (sum_leaf(word[12:], 5)[0], 5)
    assert registry.verifyContributor(asset_id, alice, 5, [])


# ------------------------------------------------------------------------------------- L3


def test_a_self_owned_intermediate_cannot_lower_an_ancestors_share(
    registry, vault, license_token, register_asset, publisher, stranger, alice, deployer
):
    ancestor, _ = register_asset(publisher, {alice.address: 1})
    lic = offer_and_buy(license_token, ancestor, publisher, stranger, 2000)
    # The attacker passes the ancestor exactly its minimum through its own intermediate...
    inter, _ = register_asset(stranger, {stranger.address: 1}, parents=[(ancestor, 2000, lic)])
    assert registry.asset(inter).floorBps == 10_000
    # ...and then tries to hand it 1 bp of its product: it owns the intermediate, so no
    # license is asked for, but the intermediate's floor is.
    with reverts(
        registry.AssetRegistryShareBelowMinimum, parentId=inter, shareBps=1, minimumBps=10_000
    ):
        register_asset(stranger, {stranger.address: 1}, parents=[(inter, 1)])
    with reverts(
        registry.AssetRegistryShareBelowMinimum,
        parentId=inter,
        shareBps=9_999,
        minimumBps=10_000,
    ):
        register_asset(stranger, {stranger.address: 1}, parents=[(inter, 9_999)])
    product, _ = register_asset(stranger, {stranger.address: 1}, parents=[(inter, 10_000)])
    assert registry.asset(product).floorBps == 10_000

    # Had the intermediate passed 4,000, the product would need 5,000.
    lic2 = offer_and_buy(license_token, ancestor, publisher, stranger, 2000)
    inter2, _ = register_asset(stranger, {stranger.address: 1}, parents=[(ancestor, 4000, lic2)])
    assert registry.asset(inter2).floorBps == 5_000
    with reverts(
        registry.AssetRegistryShareBelowMinimum, parentId=inter2, shareBps=4_999, minimumBps=5_000
    ):
        register_asset(stranger, {stranger.address: 1}, parents=[(inter2, 4_999)])
    product2, _ = register_asset(stranger, {stranger.address: 1}, parents=[(inter2, 5_000)])

    # Either way the ancestor gets its 20 % of every payment to the product.
    for prod, mid in [(product, inter), (product2, inter2)]:
        before = vault.accrued(ancestor, ETH)
        vault.pay(prod, ETH, ETHER, value=ETHER, sender=deployer)
        vault.flowUpstream(prod, ETH, sender=deployer)
        vault.flowUpstream(mid, ETH, sender=deployer)
        assert vault.accrued(ancestor, ETH) - before == ETHER // 5


# Three hops A <- B <- C <- D; each registered by the publisher (who owns A) or the stranger.
# A hop names its parent with a share picked relative to what the model says it requires.
# Shares are mostly at or above what is required, so most examples reach the third hop.
_mode = st.sampled_from(["exact", "exact", "above", "above", "above", "below", "any"])
_hop = st.tuples(
    st.sampled_from(["publisher", "stranger"]),
    st.one_of(st.integers(0, BPS), st.sampled_from([0, 1, 2000, 5000, 9999, BPS])),
    _mode,
    st.integers(1, BPS),
)
_extra = st.none() | st.tuples(
    st.sampled_from([0, 1]),  # a second parent for D: A or B
    st.one_of(st.integers(0, 3000), st.sampled_from([0, 1, 2000])),
    _mode,
    st.integers(1, 3000),
)


def _pick(required, mode, x):
    if mode == "exact":
        return max(required, 1)
    if mode == "above":
        return min(BPS, max(required, 1) + x % (BPS + 1 - max(required, 1)))
    if mode == "below":
        return required - 1 - x % required if required >= 1 else 0
    return x


@given(hops=st.lists(_hop, min_size=3, max_size=3), extra=_extra)
def test_an_ancestors_minimum_holds_across_three_hops(
    chain,
    registry,
    vault,
    license_token,
    register_asset,
    publisher,
    stranger,
    alice,
    deployer,
    hops,
    extra,
):
    actors = {"publisher": publisher, "stranger": stranger}
    with isolated(chain):
        a, _ = register_asset(publisher, {alice.address: 1})
        chain_ids = [a]
        owner = {a: publisher}
        floor = {a: 0}
        edges = {}  # (child, parent) -> (share, license minimum asked, requirement)
        for k, (who, minimum, mode, x) in enumerate(hops):
            registrant = actors[who]
            wanted = [(chain_ids[-1], minimum, mode, x)]
            if k == 2 and extra is not None:
                wanted.append((chain_ids[extra[0]], *extra[1:]))
            links, model = [], []
            for pid, m, md, xx in wanted:
                foreign = owner[pid] != registrant
                lic = offer_and_buy(license_token, pid, owner[pid], registrant, m) if foreign else 0
                asked = m if foreign else 0
                required = max(asked, floor[pid])
                share = _pick(required, md, xx)
                links.append((pid, share, lic))
                model.append((pid, share, asked, required))
            # The model's verdict, in the order the registry checks.
            error = None
            for pid, share, _asked, required in model:
                if share == 0:
                    error = (registry.AssetRegistryZeroShare, dict(parentId=pid))
                elif share < required:
                    error = (
                        registry.AssetRegistryShareBelowMinimum,
                        dict(parentId=pid, shareBps=share, minimumBps=required),
                    )
                if error:
                    break
            upstream = sum(share for _pid, share, _a, _r in model)
            if error is None and upstream > BPS:
                error = (registry.AssetRegistryUpstreamOver100Percent, dict(totalBps=upstream))
            if error is not None:
                event(f"refused at hop {k + 1}: {error[0].__name__}")
                with reverts(error[0], **error[1]):
                    register_asset(registrant, {registrant.address: 1}, parents=links)
                break
            child, _ = register_asset(registrant, {registrant.address: 1}, parents=links)
            expected_floor = max(-(-required * BPS // share) for _p, share, _a, required in model)
            assert registry.asset(child).floorBps == expected_floor
            floor[child], owner[child] = expected_floor, registrant
            for pid, share, asked, required in model:
                edges[(child, pid)] = (share, asked, required)
            chain_ids.append(child)

        # From the stored edges alone: every path from every asset through an edge into an
        # ancestor carries at least that edge's requirement (so at least its license minimum).
        stored = {c: [(p.assetId, p.shareBps) for p in registry.parents(c)] for c in chain_ids}
        for (c, p), (share, _asked, _req) in edges.items():
            assert (p, share) in stored[c]

        def paths(start, target):
            if start == target:
                return [Fraction(1)]
            return [
                Fraction(share, BPS) * rest
                for pid, share in stored[start]
                for rest in paths(pid, target)
            ]

        for d in chain_ids:
            for (c, _p), (share, asked, required) in edges.items():
                for through in paths(d, c):
                    carried = through * Fraction(share, BPS)
                    assert carried >= Fraction(required, BPS) >= Fraction(asked, BPS)

        # And in wei: pay the last asset, flow every level, and each ancestor receives its part.
        last = chain_ids[-1]
        event(f"{len(chain_ids) - 1} hops registered, {len(edges)} edges")
        if last == a:
            return
        amount = 10**18
        vault.pay(last, ETH, amount, value=amount, sender=deployer)
        received = {}
        for asset_id in sorted(chain_ids, reverse=True):
            if vault.pendingUpstream(asset_id, ETH) == 0:
                continue
            receipt = vault.flowUpstream(asset_id, ETH, sender=deployer)
            for log in receipt.events.filter(vault.UpstreamFlowed):
                received[log.parentId] = received.get(log.parentId, 0) + log.amount
        rounding = 2 * len(chain_ids)  # at most 2 wei per hop
        for (c, p), (_share, _asked, required) in edges.items():
            assert abs(received[p] - amount * sum(paths(last, p))) <= rounding
            assert paths(last, c)  # the last asset reaches every edge
            assert received[p] >= amount * required // BPS - rounding
