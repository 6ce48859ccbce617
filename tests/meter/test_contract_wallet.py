"""ERC-1271: a smart wallet holds the license and the escrow; its owner's signature over
the voucher digest is the wallet's signature; anyone else's is not."""

import ape
import pytest
from meterkit import as_args

from seedbed.core.constants import ETH


@pytest.fixture
def wallet(project, deployer, bob):
    """A ContractWallet owned by bob."""
    return deployer.deploy(project.ContractWallet, bob)


@pytest.fixture
def wallet_license(meter, license_token, make_offer, wallet, bob):
    """The wallet buys a license (price 1_000 wei) and deposits 5_000 wei, all via execute."""
    offer = make_offer(unit_price=10, price=1_000)
    buy = license_token.buy.encode_input(offer, wallet, 1_000)
    receipt = wallet.execute(license_token, 1_000, buy, value=1_000, sender=bob)
    license_id = receipt.events.filter(license_token.LicenseBought)[0].licenseId
    deposit = meter.deposit.encode_input(ETH, 5_000)
    wallet.execute(meter, 5_000, deposit, value=5_000, sender=bob)
    return license_id


def test_the_wallet_holds_the_license_and_the_escrow(meter, license_token, wallet, wallet_license):
    assert license_token.ownerOf(wallet_license) == wallet.address
    assert meter.escrowOf(wallet, ETH) == 5_000


def test_the_owners_signature_settles_through_erc1271(
    meter, signer, wallet, wallet_license, bob, gateway
):
    receipt = meter.settle(*as_args(signer(bob, wallet_license, 30)), sender=gateway)
    [log] = receipt.events.filter(meter.UsageSettled)
    assert (log.payer, log.units, log.amount) == (wallet.address, 30, 300)
    assert meter.escrowOf(wallet, ETH) == 4_700


def test_another_accounts_signature_is_refused(
    meter, signer, wallet, wallet_license, alice, gateway
):
    with ape.reverts(meter.UsageMeterBadSignature, licenseId=wallet_license, holder=wallet.address):
        meter.settle(*as_args(signer(alice, wallet_license, 30)), sender=gateway)
    assert meter.escrowOf(wallet, ETH) == 5_000


def test_the_wallet_meters_on_chain_but_its_owner_may_not_directly(
    meter, wallet, wallet_license, bob
):
    with ape.reverts(
        meter.UsageMeterNotHolder,
        licenseId=wallet_license,
        caller=bob.address,
        holder=wallet.address,
    ):
        meter.meter(wallet_license, 3, sender=bob)
    wallet.execute(meter, 0, meter.meter.encode_input(wallet_license, 3), sender=bob)
    assert meter.escrowOf(wallet, ETH) == 4_970
