"""flowUpstream: one level per call, pro rata by share, the last-listed parent takes the
rounding remainder, and a parent's inflow splits again by its own upstream share."""

import pytest
from vault_helpers import ETH, books_balanced, pay, reverts


@pytest.fixture
def three_levels(register_asset, publisher, alice, bob):
    """grandparent <- parent (50% upstream) <- child (20% upstream)."""
    grand, _ = register_asset(publisher, {alice.address: 1})
    parent, _ = register_asset(publisher, {bob.address: 1}, [(grand, 5000)])
    child, _ = register_asset(publisher, {alice.address: 1, bob.address: 1}, [(parent, 2000)])
    return grand, parent, child


def test_flow_moves_pending_one_level_and_splits_it_again(vault, three_levels, payer, stranger):
    grand, parent, child = three_levels
    pay(vault, child, ETH, 10_000, payer)
    receipt = vault.flowUpstream(child, ETH, sender=stranger)  # anyone may flow
    assert receipt.return_value == 2000
    (edge,) = receipt.events.filter(vault.UpstreamFlowed)
    assert (edge.childId, edge.parentId, edge.currency) == (child, parent, ETH)
    assert (edge.amount, edge.toContributors, edge.toUpstream) == (2000, 1000, 1000)
    assert vault.pendingUpstream(child, ETH) == 0
    assert (vault.accrued(parent, ETH), vault.pendingUpstream(parent, ETH)) == (1000, 1000)
    assert vault.accrued(grand, ETH) == 0  # one level per call: lazy

    receipt = vault.flowUpstream(parent, ETH, sender=stranger)
    (edge,) = receipt.events.filter(vault.UpstreamFlowed)
    assert (edge.childId, edge.parentId, edge.amount, edge.toContributors) == (
        parent, grand, 1000, 1000
    )  # fmt: skip
    assert vault.accrued(grand, ETH) == 1000 and vault.pendingUpstream(parent, ETH) == 0
    assert vault.held(ETH) == 8000 + 1000 + 1000 and books_balanced(vault, ETH)


def test_nothing_to_flow(vault, three_levels, payer):
    grand, parent, child = three_levels
    with reverts(vault.RoyaltyVaultNothingToFlow, assetId=child, currency=ETH):
        vault.flowUpstream(child, ETH, sender=payer)
    pay(vault, grand, ETH, 100, payer)  # an asset without parents never has pending
    with reverts(vault.RoyaltyVaultNothingToFlow, assetId=grand, currency=ETH):
        vault.flowUpstream(grand, ETH, sender=payer)
    pay(vault, child, ETH, 100, payer)
    vault.flowUpstream(child, ETH, sender=payer)
    with reverts(vault.RoyaltyVaultNothingToFlow, assetId=child, currency=ETH):
        vault.flowUpstream(child, ETH, sender=payer)  # flowing twice moves nothing new
    with reverts(vault.RoyaltyVaultNothingToFlow, assetId=999, currency=ETH):
        vault.flowUpstream(999, ETH, sender=payer)  # an unknown asset has nothing pending


def test_one_flow_covers_every_payment_since_the_last(vault, three_levels, payer):
    _, parent, child = three_levels
    for amount in (1000, 2500, 6500):
        pay(vault, child, ETH, amount, payer)
    assert vault.flowUpstream(child, ETH, sender=payer).return_value == 2000
    assert vault.accrued(parent, ETH) == 1000


def test_pools_are_per_currency(vault, three_levels, payer, funded_token):
    _, parent, child = three_levels
    pay(vault, child, ETH, 1000, payer)
    pay(vault, child, funded_token, 5000, payer)
    vault.flowUpstream(child, funded_token, sender=payer)
    assert vault.pendingUpstream(child, ETH) == 200  # untouched
    assert vault.accrued(parent, funded_token) == 500 and vault.accrued(parent, ETH) == 0
    assert books_balanced(vault, funded_token)


def test_remainder_goes_to_the_last_listed_parent(
    vault, register_asset, publisher, alice, bob, payer
):
    a, _ = register_asset(publisher, {alice.address: 1})
    b, _ = register_asset(publisher, {alice.address: 1})
    c, _ = register_asset(publisher, {bob.address: 1})
    # Listed c, a, b: b is last although it is not the highest id.
    child, _ = register_asset(publisher, {bob.address: 1}, [(c, 1000), (a, 1000), (b, 1000)])
    pay(vault, child, ETH, 1007, payer)  # pending = 1007 × 30% = 302, not divisible by 3
    assert vault.pendingUpstream(child, ETH) == 302
    edges = vault.flowUpstream(child, ETH, sender=payer).events.filter(vault.UpstreamFlowed)
    assert [(e.parentId, e.amount) for e in edges] == [(c, 100), (a, 100), (b, 102)]
    assert [vault.accrued(p, ETH) for p in (a, b, c)] == [100, 102, 100]


def test_uneven_shares_split_pro_rata(vault, register_asset, publisher, alice, payer):
    big, _ = register_asset(publisher, {alice.address: 1})
    small, _ = register_asset(publisher, {alice.address: 1})
    child, _ = register_asset(publisher, {alice.address: 1}, [(big, 3000), (small, 1000)])
    pay(vault, child, ETH, 10**18, payer)
    edges = vault.flowUpstream(child, ETH, sender=payer).events.filter(vault.UpstreamFlowed)
    assert [e.amount for e in edges] == [3 * 10**17, 10**17]


def test_diamond_lineage_reaches_the_common_ancestor_twice(
    vault, register_asset, publisher, alice, payer
):
    """root <- left, root <- right, left + right <- child: root gets both routes."""
    root, _ = register_asset(publisher, {alice.address: 1})
    left, _ = register_asset(publisher, {alice.address: 1}, [(root, 5000)])
    right, _ = register_asset(publisher, {alice.address: 1}, [(root, 10_000)])
    child, _ = register_asset(publisher, {alice.address: 1}, [(left, 2000), (right, 2000)])
    pay(vault, child, ETH, 10_000, payer)  # 4000 pending: 2000 to each side
    vault.flowUpstream(child, ETH, sender=payer)
    vault.flowUpstream(left, ETH, sender=payer)  # 1000 on to root
    vault.flowUpstream(right, ETH, sender=payer)  # 2000 on to root
    assert vault.accrued(root, ETH) == 3000
    assert (vault.accrued(left, ETH), vault.accrued(right, ETH)) == (1000, 0)
    assert vault.accrued(child, ETH) == 6000 and books_balanced(vault, ETH)


def test_flow_into_a_full_pool_is_refused_whole(
    vault, register_asset, publisher, alice, payer, funded_token
):
    """A parent pool at the uint128 cap cannot take more: the flow reverts and pending stays."""
    parent, _ = register_asset(publisher, {alice.address: 1})
    child, _ = register_asset(publisher, {alice.address: 1}, [(parent, 5000)])
    funded_token.mint(payer, 2**129, sender=payer)
    pay(vault, parent, funded_token, 2**128 - 1, payer)
    pay(vault, child, funded_token, 2, payer)
    with reverts(vault.RoyaltyVaultAmountTooLarge, amount=1):
        vault.flowUpstream(child, funded_token, sender=payer)
    assert vault.pendingUpstream(child, funded_token) == 1
