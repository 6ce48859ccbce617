"""A DERIVE license is used up by the derivative it registers (docs/integrity.md §4.1; L1, L2).

Before issue 15 `checkDerive` was a view: nothing was used up, so one license registered any
number of derivatives, by its holder, by whoever it was passed to, and by a borrower of a flash
loan, while the supply cap counted licenses sold, not derivatives."""

import os
from contextlib import contextmanager

import ape
import pytest
from eth_abi import encode
from eth_utils import keccak, to_checksum_address
from testkit.registering import ZERO_SALT

from seedbed.core.constants import ACCESS, DATASET, DERIVE, ETH, INFER, TRAIN
from seedbed.core.vouchers import Voucher, sign

FAR = 4_000_000_000


def _plain(value):
    if hasattr(value, "address"):
        return to_checksum_address(str(value.address))
    if isinstance(value, str) and value.startswith("0x") and len(value) == 42:
        return to_checksum_address(value)
    return value


@contextmanager
def reverts_with(contract, name, **inputs):
    """A revert of `contract`'s error `name` with exactly `inputs`, also when it was raised in
    a contract further down the call (the registry bubbling the license token's error, or a
    wallet bubbling the registry's), where ape may leave it undecoded: then the raw revert
    data is compared."""
    [abi] = [e for e in contract.contract_type.errors if e.name == name]
    assert sorted(inputs) == sorted(i.name for i in abi.inputs), "give every input"
    values = [_plain(inputs[i.name]) for i in abi.inputs]
    types = [i.canonical_type for i in abi.inputs]
    data = keccak(text=f"{name}({','.join(types)})")[:4] + encode(types, values)
    with pytest.raises(ape.exceptions.ContractLogicError) as info:
        yield info
    err = info.value
    if type(err).__name__ == name:
        assert {k: _plain(v) for k, v in dict(err.inputs).items()} == dict(
            zip([i.name for i in abi.inputs], values, strict=True)
        )
    else:
        assert str(err) == "0x" + data.hex(), f"reverted with {err!r}"


@pytest.fixture
def parent(register_asset, publisher, bob):
    return register_asset(publisher, {bob.address: 1})[0]


def register_call(registry, registrant_weights, links):
    """register()'s arguments for a fresh content root and a one-or-more-leaf tree."""
    from seedbed.core.treefile import ContributorTree

    tree = ContributorTree.build({bytes.fromhex(a[2:]): w for a, w in registrant_weights.items()})
    top = [(bytes(h), int(s)) for h, s in tree.top()]
    return (DATASET, os.urandom(32), ZERO_SALT, top, "ipfs://d", b"\x44" * 32, list(links))


def derive(registry, registrant, parent, share, licence):
    """Registers a derivative of `parent` by `registrant` with `licence`; returns the receipt."""
    args = register_call(registry, {registrant.address: 1}, [(parent, share, licence)])
    return registry.register(*args, sender=registrant)


def used(license_token, receipt):
    return [
        (log.licenseId, log.parentAssetId, log.registrant)
        for log in receipt.events.filter(license_token.DeriveUsed)
    ]


def test_a_supply_cap_of_one_registers_one_derivative(
    registry, license_token, make_offer, buy, parent, alice, carol, dave
):
    offer = make_offer(parent, scopes=ACCESS | DERIVE, supplyCap=1, minUpstreamBps=1_000)
    licence = buy(offer, alice)
    with reverts_with(license_token, "LicenseTokenSoldOut", offerId=offer, supplyCap=1):
        buy(offer, dave)
    assert license_token.checkDerive(licence, alice, parent) == (True, 1_000)
    count = registry.assetCount()
    receipt = derive(registry, alice, parent, 1_000, licence)
    assert used(license_token, receipt) == [(licence, parent, alice.address)]
    assert license_token.license(licence).derived
    assert license_token.checkDerive(licence, alice, parent) == (False, 0)
    # The holder cannot register a second one, nor can anyone it passes the license to.
    with reverts_with(license_token, "LicenseTokenDeriveUsed", licenseId=licence):
        derive(registry, alice, parent, 5_000, licence)
    license_token.transferFrom(alice, carol, licence, sender=alice)
    assert license_token.checkDerive(licence, carol, parent) == (False, 0)
    with reverts_with(license_token, "LicenseTokenDeriveUsed", licenseId=licence):
        derive(registry, carol, parent, 1_000, licence)
    # One license sold, one derivative: nothing else was registered.
    assert registry.assetCount() == count + 1
    assert license_token.offer(offer).sold == 1


def test_a_flash_lent_derive_license_is_used_up_by_the_borrower(
    project, registry, license_token, make_offer, buy, parent, deployer, carol, stranger
):
    lender = deployer.deploy(project.NftFlashLender, carol)  # carol runs the lending pool
    borrower = deployer.deploy(project.NftFlashBorrower)  # the stranger's contract
    offer = make_offer(parent, scopes=ACCESS | DERIVE, minUpstreamBps=1_500)
    licence = buy(offer, carol, to=lender)
    assert license_token.ownerOf(licence) == lender.address

    # One transaction: the license goes to the borrower, registers its derivative, comes back.
    call = registry.register.encode_input(
        *register_call(registry, {stranger.address: 1}, [(parent, 1_500, licence)])
    )
    data = encode(["address", "bytes"], [registry.address, bytes(call)])
    count = registry.assetCount()
    receipt = lender.flashLend(license_token, licence, borrower, data, sender=stranger)
    [log] = receipt.events.filter(registry.AssetRegistered)
    assert (log.assetId, log.publisher) == (count + 1, borrower.address)
    assert registry.ownerOf(count + 1) == borrower.address
    assert [(p.assetId, p.shareBps) for p in registry.parents(count + 1)] == [(parent, 1_500)]
    assert used(license_token, receipt) == [(licence, parent, borrower.address)]
    assert license_token.ownerOf(licence) == lender.address  # returned in the same call

    # The lender's own derivative, later, is refused: the borrower spent the license.
    own = registry.register.encode_input(
        *register_call(registry, {carol.address: 1}, [(parent, 1_500, licence)])
    )
    with reverts_with(license_token, "LicenseTokenDeriveUsed", licenseId=licence):
        lender.execute(registry, own, sender=carol)
    # Nor can it be lent out again for another one.
    call2 = registry.register.encode_input(
        *register_call(registry, {stranger.address: 2}, [(parent, 1_500, licence)])
    )
    data2 = encode(["address", "bytes"], [registry.address, bytes(call2)])
    with reverts_with(license_token, "LicenseTokenDeriveUsed", licenseId=licence):
        lender.flashLend(license_token, licence, borrower, data2, sender=stranger)
    assert registry.assetCount() == count + 1
    # What the lender bought it for besides deriving is intact.
    assert license_token.isValidFor(licence, lender, ACCESS)
    assert license_token.checkDerive(licence, lender, parent) == (False, 0)
    assert license_token.license(licence).derived


def test_a_used_derive_license_still_serves_its_other_scopes(
    chain, registry, license_token, meter, make_offer, buy, parent, alice, carol, gateway
):
    scopes = ACCESS | TRAIN | INFER | DERIVE
    offer = make_offer(parent, scopes=scopes, unitPrice=10, minUpstreamBps=500)
    licence = buy(offer, alice)
    derive(registry, alice, parent, 500, licence)
    with reverts_with(license_token, "LicenseTokenDeriveUsed", licenseId=licence):
        derive(registry, alice, parent, 500, licence)
    view = license_token.license(licence)
    assert view.valid and view.derived and view.terms.scopes == scopes
    assert license_token.isValidFor(licence, alice, ACCESS | TRAIN | INFER)

    # Metered use goes on: a reserve, a voucher, a settlement.
    meter.deposit(licence, gateway, 1_000, value=1_000, sender=alice)
    voucher = Voucher(licence, alice.address, gateway.address, 30, FAR)
    signature = sign(voucher, chain.chain_id, meter.address, alice.private_key)
    assert meter.settle(voucher.as_tuple(), signature, sender=gateway).return_value == 300
    assert meter.channel(licence, alice, gateway).reserve == 700
    assert meter.owedToAsset(parent, ETH) == 300

    # It still moves, and serves its next holder, who cannot derive with it either.
    license_token.transferFrom(alice, carol, licence, sender=alice)
    assert license_token.isValidFor(licence, carol, ACCESS | TRAIN | INFER)
    assert license_token.license(licence).derived
    with reverts_with(license_token, "LicenseTokenDeriveUsed", licenseId=licence):
        derive(registry, carol, parent, 500, licence)
    meter.deposit(licence, gateway, 100, value=100, sender=carol)
    voucher = Voucher(licence, carol.address, gateway.address, 5, FAR)
    signature = sign(voucher, chain.chain_id, meter.address, carol.private_key)
    assert meter.settle(voucher.as_tuple(), signature, sender=gateway).return_value == 50


def test_only_the_registry_uses_a_derive_license(
    project, registry, license_token, make_offer, buy, parent, deployer, publisher, alice, stranger
):
    offer = make_offer(parent, scopes=DERIVE, minUpstreamBps=700)
    licence = buy(offer, alice)
    # Nobody can spend alice's license for her: not a stranger, not the asset's owner, not
    # alice herself outside a registration, not a contract.
    for caller in (stranger, publisher, alice):
        with reverts_with(license_token, "LicenseTokenNotRegistry", caller=caller):
            license_token.useDerive(licence, alice, parent, sender=caller)
    relay = deployer.deploy(project.NftFlashLender, stranger)
    spend = license_token.useDerive.encode_input(licence, alice, parent)
    with reverts_with(license_token, "LicenseTokenNotRegistry", caller=relay):
        relay.execute(license_token, spend, sender=stranger)
    # A registry of the attacker's own, wired to this license token, is not the registry.
    fake = deployer.deploy(project.AssetRegistry, stranger, stranger, 0, 0)
    fake.wireLicenseGate(license_token, sender=stranger)
    fake_parent = (
        fake.register(*register_call(fake, {stranger.address: 1}, []), sender=deployer)
        .events.filter(fake.AssetRegistered)[0]
        .assetId
    )
    with reverts_with(license_token, "LicenseTokenNotRegistry", caller=fake):
        fake.register(
            *register_call(fake, {stranger.address: 1}, [(fake_parent, 700, licence)]),
            sender=stranger,
        )
    # Asking is free and spends nothing.
    for _ in range(3):
        assert license_token.checkDerive(licence, alice, parent) == (True, 700)
    assert not license_token.license(licence).derived
    receipt = derive(registry, alice, parent, 700, licence)
    assert used(license_token, receipt) == [(licence, parent, alice.address)]
