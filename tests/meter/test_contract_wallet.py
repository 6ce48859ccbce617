"""ERC-1271: a smart wallet holds the license and the reserve; its owner's signature over
the voucher digest is the wallet's signature; anyone else's is not; a session key may sign
instead."""

import ape
import pytest
from meterkit import as_args, channel_id


@pytest.fixture
def wallet(project, deployer, bob):
    """A ContractWallet owned by bob."""
    return deployer.deploy(project.ContractWallet, bob)


@pytest.fixture
def wallet_license(meter, license_token, make_offer, wallet, bob, gateway):
    """The wallet buys a license (price 1_000 wei) and deposits 5_000 wei, all via execute."""
    offer = make_offer(unit_price=10, price=1_000)
    buy = license_token.buy.encode_input(offer, wallet, 1_000)
    receipt = wallet.execute(license_token, 1_000, buy, value=1_000, sender=bob)
    license_id = receipt.events.filter(license_token.LicenseBought)[0].licenseId
    deposit = meter.deposit.encode_input(license_id, gateway, 5_000)
    wallet.execute(meter, 5_000, deposit, value=5_000, sender=bob)
    return license_id


def test_the_wallet_holds_the_license_and_the_reserve(
    meter, license_token, wallet, wallet_license, gateway
):
    assert license_token.ownerOf(wallet_license) == wallet.address
    view = meter.channel(wallet_license, wallet, gateway)
    assert (view.reserve, view.signer) == (5_000, wallet.address)


def test_the_owners_signature_settles_through_erc1271(
    meter, signer, wallet, wallet_license, bob, gateway
):
    receipt = meter.settle(*as_args(signer(bob, wallet_license, 30, payer=wallet)), sender=gateway)
    [log] = receipt.events.filter(meter.UsageSettled)
    assert (bytes(log.channelId), log.units, log.amount) == (
        channel_id(wallet_license, wallet, gateway),
        30,
        300,
    )
    assert meter.channel(wallet_license, wallet, gateway).reserve == 4_700


def test_another_accounts_signature_is_refused(
    meter, signer, wallet, wallet_license, alice, gateway
):
    with ape.reverts(
        meter.UsageMeterBadSignature,
        licenseId=wallet_license,
        payer=wallet.address,
        signer=wallet.address,
    ):
        meter.settle(*as_args(signer(alice, wallet_license, 30, payer=wallet)), sender=gateway)
    assert meter.channel(wallet_license, wallet, gateway).reserve == 5_000


def test_a_session_key_signs_for_the_wallet_and_the_owner_no_longer_does(
    meter, license_token, make_offer, signer, wallet, alice, bob, gateway
):
    offer = make_offer(unit_price=10)
    receipt = wallet.execute(
        license_token, 0, license_token.buy.encode_input(offer, wallet, 0), sender=bob
    )
    lic = receipt.events.filter(license_token.LicenseBought)[0].licenseId
    wallet.execute(meter, 0, meter.open.encode_input(lic, gateway, alice, 0), sender=bob)
    wallet.execute(meter, 100, meter.deposit.encode_input(lic, gateway, 100), value=100, sender=bob)
    assert meter.signerOf(lic, wallet) == alice.address
    with ape.reverts(
        meter.UsageMeterBadSignature, licenseId=lic, payer=wallet.address, signer=alice.address
    ):
        meter.settle(*as_args(signer(bob, lic, 3, payer=wallet)), sender=gateway)
    meter.settle(*as_args(signer(alice, lic, 3, payer=wallet)), sender=gateway)
    assert meter.channel(lic, wallet, gateway).reserve == 70


def test_the_wallet_meters_on_chain_but_its_owner_may_not_directly(
    meter, wallet, wallet_license, bob, gateway
):
    with ape.reverts(meter.UsageMeterNoChannel, channelId=channel_id(wallet_license, bob, gateway)):
        meter.meter(wallet_license, gateway, 3, sender=bob)
    wallet.execute(meter, 0, meter.meter.encode_input(wallet_license, gateway, 3), sender=bob)
    assert meter.channel(wallet_license, wallet, gateway).reserve == 4_970
