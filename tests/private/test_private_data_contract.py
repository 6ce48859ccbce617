"""PrivateData on chain: every rule, every custom error with its values, every event, and the
attacks the rules stop (interfaces/IPrivateData.sol).

The world (conftest.py): the owner's dataset, a real folder sealed with seedbed.core.sealed
(sealed on chain by the `sealed` fixture), and licenses: ACCESS (alice), TRAIN only (bob),
ACCESS expiring after a day (carol), and ACCESS on another dataset of the owner (dave).
"""

from __future__ import annotations

import pytest
from eth_utils import to_checksum_address
from private_helpers import (
    ACCESS_ONLY,
    STATUS_DISPUTED,
    STATUS_NONE,
    STATUS_UPHELD,
    TRAIN_ONLY,
    reverts,
)

from seedbed.core import access, ecies
from seedbed.core.errors import InputError
from seedbed.core.sealed import key_check, load_seal

ZERO = "0x" + "00" * 20
ZERO32 = b"\x00" * 32
MIN, MAX = 49, 1024
GAS_KEY = 81  # an ECIES blob of a 32-byte key: 33 + 32 + 16


def fields(log, *names):
    return {n: (bytes(getattr(log, n)) if isinstance(getattr(log, n), bytes) else getattr(log, n))
            for n in names}  # fmt: skip


def releasable(w, lic_id, scopes):
    ok, asset_id, holder, seal_root = w.private.releasable(lic_id, scopes)
    return bool(ok), int(asset_id), str(holder), bytes(seal_root)


# -- the fixture world ---------------------------------------------------------------------------


def test_the_world_is_a_real_sealed_folder_registered_by_its_content_root(world):
    assert load_seal(world.out / "seal.json").seal_root == world.index.seal_root
    assert world.index.key_check == key_check(world.key)
    assert bytes(world.registry.asset(world.asset).contentRoot) == world.index.content_root
    assert world.private.sealOf(world.asset) == (ZERO32, ZERO32)
    for lic in (world.access, world.train, world.expiring, world.other):
        assert world.license.ownerOf(lic.id) == lic.holder.address
        assert ecies.public_key_of(lic.private_key) == lic.public_key
    assert world.private.REGISTRY() == world.registry.address
    assert world.private.LICENSE() == world.license.address
    assert (world.private.MIN_WRAPPED_KEY(), world.private.MAX_WRAPPED_KEY()) == (MIN, MAX)


# -- seal ------------------------------------------------------------------------------------------


def test_the_owner_seals_once_with_the_folders_roots(world):
    receipt = world.seal()
    print(f"\ngas seal: {receipt.gas_used}")
    assert receipt.gas_used < 80_000
    (log,) = receipt.events.filter(world.private.Sealed)
    assert fields(log, "assetId", "sealRoot", "keyCheck", "sealer") == {
        "assetId": world.asset,
        "sealRoot": world.index.seal_root,
        "keyCheck": world.index.key_check,
        "sealer": world.owner.address,
    }
    seal_root, check = world.private.sealOf(world.asset)
    assert (bytes(seal_root), bytes(check)) == (world.index.seal_root, world.index.key_check)
    assert world.index.verify_against(seal_root=bytes(seal_root), key_check=bytes(check))


@pytest.mark.parametrize("who", ["stranger", "granter", "holder"])
def test_only_the_owner_seals(world, who):
    caller = {"stranger": world.stranger, "granter": world.granter}.get(who, world.access.holder)
    if who == "granter":
        world.private.setGranter(world.asset, world.granter, True, sender=world.owner)
    with reverts(
        world.private.PrivateDataNotAssetOwner,
        assetId=world.asset,
        caller=caller,
        owner=world.owner,
    ):
        world.seal(sender=caller)


def test_a_sealed_asset_is_never_resealed_not_even_with_the_same_roots(sealed):
    w = sealed
    for roots in ((w.index.seal_root, w.index.key_check), (b"\x01" * 32, b"\x02" * 32)):
        with reverts(
            w.private.PrivateDataAlreadySealed, assetId=w.asset, sealRoot=w.index.seal_root
        ):
            w.private.seal(w.asset, *roots, sender=w.owner)
    assert bytes(w.private.sealOf(w.asset)[0]) == w.index.seal_root


@pytest.mark.parametrize(
    "seal_root,check", [(ZERO32, b"\x02" * 32), (b"\x01" * 32, ZERO32), (ZERO32, ZERO32)]
)
def test_zero_roots_are_refused(world, seal_root, check):
    with reverts(world.private.PrivateDataEmptySeal, sealRoot=seal_root, keyCheck=check):
        world.private.seal(world.asset, seal_root, check, sender=world.owner)


@pytest.mark.parametrize("asset_id", [0, "next"])
def test_an_unknown_asset_is_the_registrys_unknown_asset(world, asset_id):
    asset_id = int(world.registry.assetCount()) + 1 if asset_id == "next" else asset_id
    error = world.private.AssetRegistryUnknownAsset
    with reverts(error, assetId=asset_id):
        world.private.seal(asset_id, b"\x01" * 32, b"\x02" * 32, sender=world.owner)
    with reverts(error, assetId=asset_id):
        world.private.setGranter(asset_id, world.granter, True, sender=world.owner)
    assert world.private.sealOf(asset_id) == (ZERO32, ZERO32)
    assert not world.private.isGranter(asset_id, world.owner)


def test_the_owner_seals_a_delisted_or_disputed_asset_but_nothing_is_released(world):
    """Sealing is the owner's statement about its ciphertext: allowed in any listing state.
    Keys follow the listing (test_a_delisted_asset and test_a_disputed_asset below)."""
    world.registry.setDelisted(world.asset, True, sender=world.owner)
    world.seal()
    assert not releasable(world, world.access.id, ACCESS_ONLY)[0]
    world.dispute(world.other_asset, world.stranger)
    world.private.seal(world.other_asset, b"\x01" * 32, b"\x02" * 32, sender=world.owner)
    assert not releasable(world, world.other.id, ACCESS_ONLY)[0]


def test_the_seal_follows_the_asset_nft_and_only_its_owner_now_seals(world, accounts):
    buyer = accounts[8]
    world.registry.transferFrom(world.owner, buyer, world.asset, sender=world.owner)
    with reverts(
        world.private.PrivateDataNotAssetOwner, assetId=world.asset, caller=world.owner, owner=buyer
    ):
        world.seal()
    receipt = world.seal(sender=buyer)
    assert receipt.events.filter(world.private.Sealed)[0].sealer == buyer.address


def test_a_contract_wallet_owner_seals_and_grants_through_its_own_calls(
    project, world, accounts, register_asset
):
    """An asset owned by a smart wallet: its calls are the owner's."""
    signer = accounts[8]
    wallet = signer.deploy(project.ContractWallet, signer)
    asset_id, _ = register_asset(signer, {signer.address: 1})
    world.registry.transferFrom(signer, wallet, asset_id, sender=signer)
    private = world.private
    data = private.seal.encode_input(asset_id, b"\x05" * 32, b"\x06" * 32)
    wallet.execute(private, 0, data, sender=signer)
    assert bytes(private.sealOf(asset_id)[0]) == b"\x05" * 32
    with reverts(private.PrivateDataNotAssetOwner, assetId=asset_id, caller=signer, owner=wallet):
        private.setGranter(asset_id, world.granter, True, sender=signer)
    wallet.execute(
        private, 0, private.setGranter.encode_input(asset_id, world.granter, True), sender=signer
    )
    assert private.isGranter(asset_id, world.granter)
    assert private.isGranter(asset_id, wallet)
    assert not private.isGranter(asset_id, signer)  # the wallet's signer is not its owner


# -- setGranter ------------------------------------------------------------------------------------


def test_the_owner_names_and_removes_a_granter(world):
    p, a, g = world.private, world.asset, world.granter
    assert not p.isGranter(a, g)
    assert p.isGranter(a, world.owner)  # the owner always may
    receipt = p.setGranter(a, g, True, sender=world.owner)
    print(f"\ngas setGranter: {receipt.gas_used}")
    assert receipt.gas_used < 60_000
    (log,) = receipt.events.filter(p.GranterChanged)
    assert fields(log, "assetId", "owner", "granter", "allowed") == {
        "assetId": a,
        "owner": world.owner.address,
        "granter": g.address,
        "allowed": True,
    }
    assert p.isGranter(a, g)
    receipt = p.setGranter(a, g, False, sender=world.owner)
    assert not receipt.events.filter(p.GranterChanged)[0].allowed
    assert not p.isGranter(a, g)


@pytest.mark.parametrize("who", ["stranger", "granter", "holder"])
def test_only_the_owner_names_granters(world, who):
    p = world.private
    p.setGranter(world.asset, world.granter, True, sender=world.owner)
    caller = {"stranger": world.stranger, "granter": world.granter}.get(who, world.access.holder)
    with reverts(p.PrivateDataNotAssetOwner, assetId=world.asset, caller=caller, owner=world.owner):
        p.setGranter(world.asset, world.stranger, True, sender=caller)
    with reverts(p.PrivateDataNotAssetOwner, assetId=world.asset, caller=caller, owner=world.owner):
        p.setGranter(world.asset, world.granter, False, sender=caller)  # nor removes them
    assert p.isGranter(world.asset, world.granter)


def test_the_zero_address_is_no_granter(world):
    with reverts(world.private.PrivateDataZeroGranter, assetId=world.asset):
        world.private.setGranter(world.asset, ZERO, True, sender=world.owner)


def test_a_change_that_changes_nothing_is_refused(world):
    p, a, g = world.private, world.asset, world.granter
    with reverts(p.PrivateDataGranterUnchanged, assetId=a, granter=g, allowed=False):
        p.setGranter(a, g, False, sender=world.owner)
    p.setGranter(a, g, True, sender=world.owner)
    with reverts(p.PrivateDataGranterUnchanged, assetId=a, granter=g, allowed=True):
        p.setGranter(a, g, True, sender=world.owner)


def test_granters_are_the_naming_owners_a_sold_asset_does_not_hand_them_over(sealed, accounts):
    w, buyer, theirs = sealed, accounts[8], accounts[0]
    p = w.private
    p.setGranter(w.asset, w.granter, True, sender=w.owner)
    w.registry.transferFrom(w.owner, buyer, w.asset, sender=w.owner)
    assert not p.isGranter(w.asset, w.granter)
    assert not p.isGranter(w.asset, w.owner)
    assert p.isGranter(w.asset, buyer)
    for old in (w.granter, w.owner):
        with reverts(p.PrivateDataNotGranter, assetId=w.asset, caller=old):
            w.grant(w.access, sender=old)
    # The new owner's own list starts empty: naming the seller's service is a new change.
    p.setGranter(w.asset, theirs, True, sender=buyer)
    w.grant(w.access, sender=theirs)
    # Back with the seller: its own names apply again, the buyer's do not.
    w.registry.transferFrom(buyer, w.owner, w.asset, sender=buyer)
    assert p.isGranter(w.asset, w.granter) and not p.isGranter(w.asset, theirs)
    w.grant(w.access, sender=w.granter)


# -- grantKey --------------------------------------------------------------------------------------


def test_the_owner_grants_the_key_and_only_the_holder_unwraps_it(sealed):
    w = sealed
    wrapped = w.wrapped(w.access)
    assert len(wrapped) == GAS_KEY
    receipt = w.grant(w.access, wrapped=wrapped)
    print(f"\ngas grantKey ({len(wrapped)}-byte key, by the owner): {receipt.gas_used}")
    assert receipt.gas_used < 70_000
    (log,) = receipt.events.filter(w.private.KeyGranted)
    assert fields(log, "licenseId", "assetId", "holder", "granter", "wrappedKey") == {
        "licenseId": w.access.id,
        "assetId": w.asset,
        "holder": w.access.holder.address,
        "granter": w.owner.address,
        "wrappedKey": wrapped,
    }
    key = ecies.unwrap(w.access.private_key, bytes(log.wrappedKey))
    assert key == w.key and key_check(key) == bytes(w.private.sealOf(w.asset)[1])
    with pytest.raises(InputError):
        ecies.unwrap(w.other.private_key, bytes(log.wrappedKey))


def test_a_named_granter_grants_and_the_event_names_it(sealed):
    w = sealed
    w.private.setGranter(w.asset, w.granter, True, sender=w.owner)
    receipt = w.grant(w.access, sender=w.granter)
    print(f"\ngas grantKey (by a granter): {receipt.gas_used}")
    log = receipt.events.filter(w.private.KeyGranted)[0]
    assert (log.granter, log.holder) == (w.granter.address, w.access.holder.address)


def test_a_license_is_granted_again_each_grant_its_own_event(sealed):
    w = sealed
    first = w.grant(w.access).events.filter(w.private.KeyGranted)[0]
    second = w.grant(w.access).events.filter(w.private.KeyGranted)[0]
    assert first.licenseId == second.licenseId and first.wrappedKey != second.wrappedKey


@pytest.mark.parametrize("who", ["stranger", "holder", "removed granter"])
def test_nobody_else_grants(sealed, who):
    w = sealed
    caller = {"stranger": w.stranger, "holder": w.access.holder}.get(who, w.granter)
    if who == "removed granter":
        w.private.setGranter(w.asset, w.granter, True, sender=w.owner)
        w.grant(w.access, sender=w.granter)
        w.private.setGranter(w.asset, w.granter, False, sender=w.owner)
    with reverts(w.private.PrivateDataNotGranter, assetId=w.asset, caller=caller):
        w.grant(w.access, sender=caller)


def test_no_key_of_an_unsealed_asset(world):
    with reverts(world.private.PrivateDataNotSealed, assetId=world.asset):
        world.grant(world.access)
    assert releasable(world, world.access.id, ACCESS_ONLY) == (
        False,
        world.asset,
        world.access.holder.address,
        ZERO32,
    )


def test_no_key_for_an_expired_license_the_last_second_is_the_one_before_expiry(sealed):
    w, lic = sealed, sealed.expiring
    w.chain.pending_timestamp = w.expires_at - 1
    w.grant(lic)  # mined at expiresAt - 1: still valid
    assert w.now == w.expires_at - 1
    w.chain.mine(timestamp=w.expires_at)
    assert not releasable(w, lic.id, ACCESS_ONLY)[0]
    with reverts(w.private.PrivateDataLicenseExpired, licenseId=lic.id, expiresAt=w.expires_at):
        w.grant(lic)


def test_a_train_only_license_streams_but_gets_no_key_to_keep(sealed):
    w = sealed
    assert releasable(w, w.train.id, ACCESS_ONLY | TRAIN_ONLY)[0]
    assert releasable(w, w.train.id, TRAIN_ONLY)[0]
    assert not releasable(w, w.train.id, ACCESS_ONLY)[0]
    with reverts(w.private.PrivateDataNoAccessScope, licenseId=w.train.id, scopes=TRAIN_ONLY):
        w.grant(w.train)


def test_a_license_of_another_asset_releases_nothing_of_this_one(sealed):
    """Granters are per asset; the event always names the license's own asset, so no grant
    can pass one asset's key under a license for another."""
    w = sealed
    w.private.setGranter(w.asset, w.granter, True, sender=w.owner)
    with reverts(w.private.PrivateDataNotGranter, assetId=w.other_asset, caller=w.granter):
        w.grant(w.other, sender=w.granter)
    with reverts(w.private.PrivateDataNotSealed, assetId=w.other_asset):
        w.grant(w.other)  # its owner: the other asset has no seal
    ok, asset_id, holder, seal_root = releasable(w, w.other.id, ACCESS_ONLY)
    assert (ok, asset_id, holder, seal_root) == (
        False,
        w.other_asset,
        w.other.holder.address,
        ZERO32,
    )


def test_a_transferred_license_releases_to_its_new_holder_only(sealed, accounts):
    w, new = sealed, accounts[8]
    old = w.access.holder
    w.license.transferFrom(old, new, w.access.id, sender=old)
    ok, asset_id, holder, seal_root = releasable(w, w.access.id, ACCESS_ONLY)
    assert ok and holder == new.address and holder != old.address
    assert (asset_id, seal_root) == (w.asset, w.index.seal_root)
    log = w.grant(w.access).events.filter(w.private.KeyGranted)[0]
    assert log.holder == new.address  # the record names the holder at the grant


def test_a_delisted_asset_releases_nothing_until_relisted(sealed):
    w = sealed
    w.registry.setDelisted(w.asset, True, sender=w.owner)
    assert not releasable(w, w.access.id, ACCESS_ONLY)[0]
    with reverts(
        w.private.PrivateDataAssetNotListed, assetId=w.asset, delisted=True, status=STATUS_NONE
    ):
        w.grant(w.access)
    w.registry.setDelisted(w.asset, False, sender=w.owner)
    assert releasable(w, w.access.id, ACCESS_ONLY)[0]
    w.grant(w.access)


def test_a_disputed_asset_releases_nothing_while_disputed_again_once_dismissed(
    court, panel, deployer, sealed
):
    w = sealed
    dispute_id = w.dispute(w.asset, w.stranger)
    assert not releasable(w, w.access.id, ACCESS_ONLY)[0]
    assert not releasable(w, w.train.id, TRAIN_ONLY)[0]  # no stream either
    with reverts(
        w.private.PrivateDataAssetNotListed, assetId=w.asset, delisted=False, status=STATUS_DISPUTED
    ):
        w.grant(w.access)
    court.contest(dispute_id, value=court.BOND(), sender=w.owner)
    panel.vote(court, dispute_id, False, sender=deployer)  # dismissed: listed again
    assert releasable(w, w.access.id, ACCESS_ONLY)[0]
    w.grant(w.access)


def test_a_taken_down_asset_releases_nothing_for_good(court, panel, deployer, sealed):
    w = sealed
    dispute_id = w.dispute(w.asset, w.stranger)
    court.contest(dispute_id, value=court.BOND(), sender=w.owner)
    panel.vote(court, dispute_id, True, sender=deployer)  # upheld
    assert not releasable(w, w.access.id, ACCESS_ONLY)[0]
    with reverts(
        w.private.PrivateDataAssetNotListed, assetId=w.asset, delisted=False, status=STATUS_UPHELD
    ):
        w.grant(w.access)


def test_a_contract_wallet_holder_is_releasable_and_its_grant_names_the_wallet(
    project, accounts, sealed
):
    """A contract has no key to unwrap with: a key service wraps to the key that signed the
    release request, and only an EOA's signature recovers to the holder (off chain). On
    chain the wallet is the holder like any other, and the record names it."""
    w, signer = sealed, accounts[8]
    wallet = signer.deploy(project.ContractWallet, signer)
    w.license.transferFrom(w.access.holder, wallet, w.access.id, sender=w.access.holder)
    ok, _, holder, _ = releasable(w, w.access.id, ACCESS_ONLY)
    assert ok and holder == wallet.address
    log = w.grant(w.access).events.filter(w.private.KeyGranted)[0]
    assert log.holder == wallet.address
    # The wallet holds the license, but it cannot grant itself the key.
    data = w.private.grantKey.encode_input(w.access.id, w.wrapped(w.access))
    with reverts(w.private.PrivateDataNotGranter, assetId=w.asset, caller=wallet):
        wallet.execute(w.private, 0, data, sender=signer)


def test_a_contract_wallet_granter_grants(project, accounts, sealed):
    w, signer = sealed, accounts[8]
    wallet = signer.deploy(project.ContractWallet, signer)
    w.private.setGranter(w.asset, wallet, True, sender=w.owner)
    data = w.private.grantKey.encode_input(w.access.id, w.wrapped(w.access))
    receipt = wallet.execute(w.private, 0, data, sender=signer)
    logs = receipt.events.filter(w.private.KeyGranted)
    assert [log.granter for log in logs] == [wallet.address]


@pytest.mark.parametrize("length", [0, 1, MIN - 1, MAX + 1, 4096])
def test_a_wrapped_key_outside_the_bounds_is_refused(sealed, length):
    w = sealed
    with reverts(w.private.PrivateDataBadWrappedKey, length=length, min=MIN, max=MAX):
        w.grant(w.access, wrapped=b"\x07" * length)


@pytest.mark.parametrize("length", [MIN, GAS_KEY, MAX])
def test_a_wrapped_key_within_the_bounds_is_recorded_whole(sealed, length):
    w = sealed
    blob = bytes(range(256)) * 4
    log = w.grant(w.access, wrapped=blob[:length]).events.filter(w.private.KeyGranted)[0]
    assert bytes(log.wrappedKey) == blob[:length]


def test_the_length_is_checked_first_then_the_license(world):
    p = world.private
    with reverts(p.PrivateDataBadWrappedKey, length=1, min=MIN, max=MAX):
        p.grantKey(10**9, b"\x01", sender=world.stranger)
    with reverts(p.PrivateDataUnknownLicense, licenseId=10**9):
        p.grantKey(10**9, b"\x01" * MIN, sender=world.stranger)


@pytest.mark.parametrize("which", ["zero", "next"])
def test_an_unknown_license_is_refused_and_not_releasable(sealed, which):
    w = sealed
    license_id = 0 if which == "zero" else int(w.license.licenseCount()) + 1
    with reverts(w.private.PrivateDataUnknownLicense, licenseId=license_id):
        w.private.grantKey(license_id, b"\x01" * MIN, sender=w.owner)
    assert releasable(w, license_id, 0xFF) == (False, 0, ZERO, ZERO32)


def test_the_checks_come_in_order_granter_seal_expiry_scope_listing(world, accounts):
    """A stranger learns nothing about the license: NotGranter comes before every fact."""
    w = world
    w.chain.mine(timestamp=w.expires_at + 1)
    w.registry.setDelisted(w.asset, True, sender=w.owner)
    with reverts(w.private.PrivateDataNotGranter, assetId=w.asset, caller=w.stranger):
        w.grant(w.expiring, sender=w.stranger)
    with reverts(w.private.PrivateDataNotSealed, assetId=w.asset):
        w.grant(w.expiring)
    w.seal()
    with reverts(
        w.private.PrivateDataLicenseExpired, licenseId=w.expiring.id, expiresAt=w.expires_at
    ):
        w.grant(w.expiring)
    with reverts(w.private.PrivateDataNoAccessScope, licenseId=w.train.id, scopes=TRAIN_ONLY):
        w.grant(w.train)


# -- releasable ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "license_name,scopes,ok",
    [
        ("access", ACCESS_ONLY, True),
        ("access", ACCESS_ONLY | TRAIN_ONLY, True),
        ("access", TRAIN_ONLY, False),
        ("access", 0, False),
        ("train", TRAIN_ONLY, True),
        ("train", ACCESS_ONLY, False),
        ("expiring", ACCESS_ONLY, True),
        ("other", ACCESS_ONLY, False),  # unsealed asset
    ],
)
def test_releasable_answers_with_the_licenses_facts(sealed, license_name, scopes, ok):
    w = sealed
    lic = getattr(w, license_name)
    asset_id = w.other_asset if license_name == "other" else w.asset
    seal_root = ZERO32 if license_name == "other" else w.index.seal_root
    assert releasable(w, lic.id, scopes) == (ok, asset_id, lic.holder.address, seal_root)


def test_releasable_costs_what_a_service_can_afford(chain, sealed):
    w = sealed
    data = w.private.releasable.encode_input(w.access.id, ACCESS_ONLY)
    call = {"to": w.private.address, "data": "0x" + bytes(data).hex()}
    gas = chain.provider.web3.eth.estimate_gas({**call, "from": w.stranger.address})
    print(f"\ngas releasable (estimate, as a call): {gas}")
    assert gas < 60_000


# -- the signed release request's domain -----------------------------------------------------------


def test_the_release_digest_is_seedbed_core_access_s(chain, sealed):
    w = sealed
    domain = w.private.eip712Domain()
    assert (domain.name, domain.version) == (access.DOMAIN_NAME, access.DOMAIN_VERSION)
    assert (int(domain.chainId), domain.verifyingContract) == (chain.chain_id, w.private.address)
    release = access.Release(w.access.id, w.granter.address, b"\x09" * 32, w.now + 120)
    digest = w.private.releaseDigest(
        release.license_id, release.audience, release.nonce, release.deadline
    )
    assert bytes(digest) == access.digest(release, chain.chain_id, w.private.address)


def test_a_signed_request_recovers_the_holder_whose_key_the_grant_is_wrapped_for(chain, sealed):
    """The chain-level half of a key service's work: recover (holder, public key) from the
    signed request, check `releasable`, wrap to that key, record the grant."""
    w = sealed
    w.private.setGranter(w.asset, w.granter, True, sender=w.owner)
    release = access.Release(w.access.id, w.granter.address, b"\x0a" * 32, w.now + 120)
    signature = access.sign(release, chain.chain_id, w.private.address, w.access.private_key)
    signer, public = access.recover(release, chain.chain_id, w.private.address, signature)
    ok, asset_id, holder, _ = releasable(w, release.license_id, ACCESS_ONLY)
    assert ok and asset_id == w.asset and to_checksum_address(holder) == signer
    receipt = w.private.grantKey(release.license_id, ecies.wrap(public, w.key), sender=w.granter)
    log = receipt.events.filter(w.private.KeyGranted)[0]
    assert ecies.unwrap(w.access.private_key, bytes(log.wrappedKey)) == w.key


# -- coverage of the errors ------------------------------------------------------------------------


def test_every_private_data_error_is_exercised_here(world):
    """A new error in the contract must get a test above (and this list)."""
    tested = {
        "PrivateDataNotAssetOwner",
        "PrivateDataAlreadySealed",
        "PrivateDataEmptySeal",
        "PrivateDataZeroGranter",
        "PrivateDataGranterUnchanged",
        "PrivateDataBadWrappedKey",
        "PrivateDataUnknownLicense",
        "PrivateDataNotGranter",
        "PrivateDataNotSealed",
        "PrivateDataLicenseExpired",
        "PrivateDataNoAccessScope",
        "PrivateDataAssetNotListed",
        "AssetRegistryUnknownAsset",
    }
    unreachable = {"InvalidShortString", "StringTooLong"}  # EIP-712 constants are fixed
    declared = {e.name for e in world.private.contract_type.errors}
    assert declared == tested | unreachable


def test_every_private_data_error_is_explained(world):
    from seedbed.core.reverts import DecodedError, explain

    for error in world.private.contract_type.errors:
        if not error.name.startswith("PrivateData"):
            continue
        decoded = DecodedError(error.name, {i.name: 7 for i in error.inputs})
        assert explain(decoded) != str(decoded), f"{error.name} has no explanation"


def test_only_the_three_mutations_change_state(world):
    mutating = {
        abi.name
        for abi in world.private.contract_type.abi
        if abi.type == "function" and abi.stateMutability in ("nonpayable", "payable")
    }
    assert mutating == {"seal", "setGranter", "grantKey"}
