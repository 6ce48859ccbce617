"""Deriving from someone else's dataset: a DERIVE license per foreign parent, a share at least
the offer's minimum, and revenue that reaches every upstream contributor as the terms promised."""

import ape
import pytest
from license_helpers import warp_to

from seedbed.core.constants import BPS, DERIVE, ETH, INFER, MODEL, TRAIN


def test_model_from_two_licensed_datasets_pays_every_contributor_what_was_promised(
    registry, vault, license_token, register_asset, make_offer, buy,
    publisher, alice, bob, carol, dave, gateway, stranger,
):  # fmt: skip
    # The publisher owns both datasets; bob (a model trainer) owns neither.
    d1, people1 = register_asset(publisher, {alice.address: 3, carol.address: 1})
    d2, people2 = register_asset(publisher, {dave.address: 2, stranger.address: 5})
    price1, price2 = 10**18 + 1, 5 * 10**17 + 3
    o1 = make_offer(d1, price=price1, scopes=TRAIN | DERIVE, minUpstreamBps=1_000)
    o2 = make_offer(d2, price=price2, scopes=DERIVE, minUpstreamBps=2_500)
    l1, l2 = buy(o1, bob), buy(o2, bob)

    share1, share2 = 1_500, 2_500
    model, people_m = register_asset(
        bob,
        {bob.address: 1, gateway.address: 2},
        parents=[(d1, share1, l1), (d2, share2, l2)],
        kind=MODEL,
    )
    assert [(p.assetId, p.shareBps) for p in registry.parents(model)] == [
        (d1, share1),
        (d2, share2),
    ]
    upstream = share1 + share2
    assert registry.upstreamBps(model) == upstream

    revenue = 10**19 + 7
    vault.pay(model, ETH, revenue, value=revenue, sender=stranger)
    vault.flowUpstream(model, ETH, sender=stranger)

    # The expected books, computed as the vault's rules say (fee, split, lazy flow where the
    # last-listed parent takes the rounding remainder).
    fee_bps = vault.FEE_BPS()

    def net(amount):
        return amount - amount * fee_bps // BPS

    model_net = net(revenue)
    to_parents = model_net * upstream // BPS
    to_d1 = to_parents * share1 // upstream
    to_d2 = to_parents - to_d1
    expected_accrued = {
        model: model_net - to_parents,
        d1: net(price1) + to_d1,
        d2: net(price2) + to_d2,
    }
    # Each parent gets its registered share of the model's revenue (at least the offer's
    # minimum), within a wei of rounding.
    for got, share in ((to_d1, share1), (to_d2, share2)):
        assert abs(got * BPS - model_net * share) <= 2 * BPS
    for asset_id, amount in expected_accrued.items():
        assert vault.accrued(asset_id, ETH) == amount
        assert vault.pendingUpstream(asset_id, ETH) == 0

    paid_out = 0
    for asset_id, people in ((d1, people1), (d2, people2), (model, people_m)):
        for account, weight in people.weights.items():
            expected = expected_accrued[asset_id] * weight // people.total
            w, proof = people.proof(account)
            receipt = vault.claim(asset_id, ETH, account, w, proof, sender=stranger)
            claimed = receipt.events.filter(vault.Claimed)[0]
            assert (claimed.account, claimed.amount) == (account, expected)
            assert vault.claimed(asset_id, ETH, account) == expected
            paid_out += expected
    # Everything paid in went out to contributors, but for less than one wei per claim.
    total_in = revenue + price1 + price2
    fees = vault.fees(ETH)
    assert 0 <= total_in - fees - paid_out < 6
    assert vault.held(ETH) == total_in - paid_out


# --------------------------------------------------------------------------- the gate


@pytest.fixture
def foreign(register_asset, publisher, alice):
    """A dataset the publisher owns; others need a DERIVE license to build on it."""
    asset_id, _ = register_asset(publisher, {alice.address: 1})
    return asset_id


def test_foreign_parent_without_a_license_is_refused(registry, register_asset, foreign, bob):
    with ape.reverts(
        registry.AssetRegistryParentNotLicensed, parentId=foreign, licenseId=0, registrant=bob
    ):
        register_asset(bob, {bob.address: 1}, parents=[(foreign, 1_000, 0)], kind=MODEL)


def test_license_without_derive_scope_is_refused(
    registry, register_asset, make_offer, buy, foreign, bob
):
    license_id = buy(make_offer(foreign, scopes=31 & ~DERIVE), bob)
    with ape.reverts(registry.AssetRegistryParentNotLicensed, licenseId=license_id):
        register_asset(bob, {bob.address: 1}, parents=[(foreign, 1_000, license_id)])


def test_license_for_another_asset_is_refused(
    registry, register_asset, make_offer, buy, foreign, publisher, alice, bob
):
    other, _ = register_asset(publisher, {alice.address: 1})
    license_id = buy(make_offer(other, scopes=DERIVE), bob)
    with ape.reverts(
        registry.AssetRegistryParentNotLicensed, parentId=foreign, licenseId=license_id
    ):
        register_asset(bob, {bob.address: 1}, parents=[(foreign, 1_000, license_id)])


def test_license_held_by_someone_else_is_refused(
    registry, register_asset, make_offer, buy, foreign, alice, bob
):
    license_id = buy(make_offer(foreign, scopes=DERIVE), alice)
    with ape.reverts(registry.AssetRegistryParentNotLicensed, licenseId=license_id, registrant=bob):
        register_asset(bob, {bob.address: 1}, parents=[(foreign, 1_000, license_id)])


def test_expired_license_is_refused(
    chain, registry, license_token, register_asset, make_offer, buy, foreign, bob
):
    license_id = buy(make_offer(foreign, scopes=DERIVE, duration=100), bob)
    warp_to(chain, license_token.expiresAt(license_id))
    with ape.reverts(registry.AssetRegistryParentNotLicensed, licenseId=license_id):
        register_asset(bob, {bob.address: 1}, parents=[(foreign, 1_000, license_id)])


def test_share_below_the_minimum_is_refused_and_at_it_accepted(
    registry, register_asset, make_offer, buy, foreign, bob
):
    license_id = buy(make_offer(foreign, scopes=DERIVE, minUpstreamBps=1_200), bob)
    with ape.reverts(
        registry.AssetRegistryShareBelowMinimum, parentId=foreign, shareBps=1_199, minimumBps=1_200
    ):
        register_asset(bob, {bob.address: 1}, parents=[(foreign, 1_199, license_id)])
    child, _ = register_asset(bob, {bob.address: 1}, parents=[(foreign, 1_200, license_id)])
    assert registry.upstreamBps(child) == 1_200


def test_own_parent_needs_no_license(registry, register_asset, foreign, publisher):
    child, _ = register_asset(publisher, {publisher.address: 1}, parents=[(foreign, 10, 0)])
    assert registry.upstreamBps(child) == 10


def test_transferred_derive_license_serves_its_new_holder(
    registry, license_token, register_asset, make_offer, buy, foreign, alice, bob
):
    license_id = buy(make_offer(foreign, scopes=DERIVE, minUpstreamBps=300), alice)
    license_token.transferFrom(alice, bob, license_id, sender=alice)
    assert license_token.checkDerive(license_id, alice, foreign) == (False, 0)
    assert license_token.checkDerive(license_id, bob, foreign) == (True, 300)
    with ape.reverts(registry.AssetRegistryParentNotLicensed, registrant=alice):
        register_asset(alice, {alice.address: 1}, parents=[(foreign, 300, license_id)])
    register_asset(bob, {bob.address: 1}, parents=[(foreign, 300, license_id)])


def test_a_license_whose_metered_units_ran_out_still_derives(
    meter, metered, metered_offer, metered_buy, foreign, gateway, bob
):
    """Units are counted per channel in the meter now: using them all limits metering, not the
    license's validity or its right to derive."""
    license_id = metered_buy(metered_offer(foreign, scopes=DERIVE | INFER, maxUnits=2), bob)
    assert metered.checkDerive(license_id, bob, foreign) == (True, 0)
    meter.open(license_id, gateway, bob, 0, sender=bob)
    meter.meter(license_id, gateway, 2, sender=bob)  # unit price 0: no reserve needed
    assert meter.channel(license_id, bob, gateway).units == 2
    assert metered.checkDerive(license_id, bob, foreign) == (True, 0)


def test_check_derive_of_an_unknown_license_is_false(license_token, foreign, bob):
    assert license_token.checkDerive(license_token.licenseCount() + 1, bob, foreign) == (False, 0)
