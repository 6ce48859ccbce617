"""Deriving from someone else's asset: a valid DERIVE license held by the registrant, for that
parent, and at least the share its terms ask for."""

import pytest
from registry_helpers import isolated, reverts

from seedbed.core.constants import ACCESS, DERIVE, TRAIN

MIN_BPS = 2000


@pytest.fixture
def parent(register_asset, publisher, bob):
    """The publisher's dataset that alice wants to build on."""
    return register_asset(publisher, {bob.address: 1})[0]


@pytest.fixture
def licensed(sell_license, parent, publisher, alice):
    """A perpetual DERIVE license on `parent`, held by alice, asking 20% upstream."""
    return sell_license(parent, publisher, alice, minUpstreamBps=MIN_BPS)


def test_a_licensed_derivative_registers_with_its_edge_and_uses_the_license_up(
    registry, register_asset, license_token, parent, licensed, alice
):
    assert license_token.checkDerive(licensed, alice, parent) == (True, MIN_BPS)
    assert license_token.license(licensed).derived is False
    child, _ = register_asset(alice, {alice.address: 1}, parents=[(parent, MIN_BPS, licensed)])
    assert registry.ownerOf(child) == alice.address
    assert [(p.assetId, p.shareBps) for p in registry.parents(child)] == [(parent, MIN_BPS)]
    # One license, one derivative: the license stays valid for its other uses.
    assert license_token.license(licensed).derived is True
    assert license_token.checkDerive(licensed, alice, parent) == (False, 0)
    assert license_token.isValidFor(licensed, alice, DERIVE)
    with reverts(license_token.LicenseTokenDeriveUsed, licenseId=licensed):
        register_asset(alice, {alice.address: 2}, parents=[(parent, 5000, licensed)])


def test_a_derivatives_floor_keeps_the_minimum_for_its_own_derivatives(
    registry, register_asset, parent, licensed, alice
):
    """The parent gets 40 % of every payment to the child, so the child's own derivatives
    must pass it at least 2,000 × 10,000 / 4,000 = 5,000 bps for the parent's 20 % to hold
    through them, even though alice owns the child and needs no license for it."""
    child, _ = register_asset(alice, {alice.address: 1}, parents=[(parent, 4000, licensed)])
    assert registry.asset(child).floorBps == 5000
    with reverts(
        registry.AssetRegistryShareBelowMinimum, parentId=child, shareBps=4999, minimumBps=5000
    ):
        register_asset(alice, {alice.address: 1}, parents=[(child, 4999, 0)])
    grandchild, _ = register_asset(alice, {alice.address: 1}, parents=[(child, 5000, 0)])
    # The parent's part of a payment to the grandchild: 50 % × 40 % = 20 %, its minimum.
    assert registry.asset(grandchild).floorBps == 10_000
    assert registry.asset(parent).floorBps == 0


def test_a_floor_rounds_up(registry, register_asset, parent, licensed, alice):
    child, _ = register_asset(alice, {alice.address: 1}, parents=[(parent, 3000, licensed)])
    assert registry.asset(child).floorBps == 6667  # ceil(2,000 × 10,000 / 3,000)


def test_share_below_the_licensed_minimum_is_refused(
    register_asset, registry, parent, licensed, alice
):
    with reverts(
        registry.AssetRegistryShareBelowMinimum,
        parentId=parent,
        shareBps=MIN_BPS - 1,
        minimumBps=MIN_BPS,
    ):
        register_asset(alice, {alice.address: 1}, parents=[(parent, MIN_BPS - 1, licensed)])


def not_licensed(registry, parent, license_id, registrant):
    return reverts(
        registry.AssetRegistryParentNotLicensed,
        parentId=parent,
        licenseId=license_id,
        registrant=registrant,
    )


def test_a_foreign_parent_without_a_license_is_refused(register_asset, registry, parent, alice):
    for license_id in (0, 424242):  # none, and one that does not exist
        with not_licensed(registry, parent, license_id, alice):
            register_asset(alice, {alice.address: 1}, parents=[(parent, 5000, license_id)])


def test_a_license_for_another_asset_is_refused(
    register_asset, sell_license, registry, parent, publisher, alice, bob
):
    other = register_asset(publisher, {bob.address: 1})[0]
    wrong = sell_license(other, publisher, alice)
    with not_licensed(registry, parent, wrong, alice):
        register_asset(alice, {alice.address: 1}, parents=[(parent, 5000, wrong)])


def test_a_license_without_the_derive_scope_is_refused(
    register_asset, sell_license, registry, parent, publisher, alice
):
    no_derive = sell_license(parent, publisher, alice, scopes=ACCESS | TRAIN)
    with not_licensed(registry, parent, no_derive, alice):
        register_asset(alice, {alice.address: 1}, parents=[(parent, 5000, no_derive)])


def test_someone_elses_license_is_refused_until_it_is_transferred(
    register_asset, sell_license, registry, license_token, parent, publisher, alice, carol
):
    carols = sell_license(parent, publisher, carol)
    with not_licensed(registry, parent, carols, alice):
        register_asset(alice, {alice.address: 1}, parents=[(parent, 5000, carols)])
    license_token.transferFrom(carol, alice, carols, sender=carol)
    child, _ = register_asset(alice, {alice.address: 1}, parents=[(parent, 5000, carols)])
    assert registry.parents(child)[0].assetId == parent


def test_an_expired_license_is_refused(
    register_asset, sell_license, registry, license_token, parent, publisher, alice, chain
):
    day = 86_400
    timed = sell_license(parent, publisher, alice, duration=day)
    with isolated(chain):
        register_asset(alice, {alice.address: 1}, parents=[(parent, 5000, timed)])
    chain.mine(timestamp=license_token.expiresAt(timed) + 1)
    assert not license_token.isValid(timed)
    with not_licensed(registry, parent, timed, alice):
        register_asset(alice, {alice.address: 1}, parents=[(parent, 5000, timed)])


def test_only_foreign_parents_need_licenses(register_asset, registry, parent, licensed, alice, bob):
    own = register_asset(alice, {bob.address: 1})[0]
    # alice's own parent takes any license id; the foreign one needs hers.
    with not_licensed(registry, parent, 0, alice):
        register_asset(alice, {alice.address: 1}, parents=[(own, 1000, 0), (parent, 3000, 0)])
    child, _ = register_asset(
        alice, {alice.address: 1}, parents=[(own, 1000, 0), (parent, 3000, licensed)]
    )
    assert registry.upstreamBps(child) == 4000


def test_the_parents_owner_needs_no_license(register_asset, registry, parent, publisher, alice):
    child, _ = register_asset(publisher, {alice.address: 1}, parents=[(parent, 1, 0)])
    assert registry.parents(child)[0].shareBps == 1
