"""Buying: the price goes into the vault for the asset (ETH, plain and fee-on-transfer ERC-20),
every refusal has its exact error, and a buyer can never be made to pay more than agreed."""

import ape
import pytest
from license_helpers import block_time

from seedbed.core.constants import BPS, ETH, OFFER_PAUSED, OFFER_RETIRED

PRICE = 10**17 + 3  # odd, so any rounding in the split shows


def split(vault, amount, upstream_bps):
    """(toContributors, toUpstream) the vault books for `amount`, as RoyaltyVault.pay does."""
    fee = amount * vault.FEE_BPS() // BPS
    net = amount - fee
    up = net * upstream_bps // BPS
    return net - up, up


def test_eth_buy_pays_the_vault_and_mints_to_the_holder(
    chain, license_token, vault, dataset, make_offer, bob, carol
):
    asset_id, _ = dataset
    offer_id = make_offer(asset_id, price=PRICE, duration=3600, scopes=6)
    accrued, pending = vault.accrued(asset_id, ETH), vault.pendingUpstream(asset_id, ETH)
    vault_balance = vault.balance

    receipt = license_token.buy(offer_id, carol, PRICE, value=PRICE, sender=bob)

    bought = receipt.events.filter(license_token.LicenseBought)[0]
    license_id = bought.licenseId
    now = block_time(chain, receipt)
    assert (bought.offerId, bought.assetId, bought.buyer, bought.holder) == (
        offer_id,
        asset_id,
        bob.address,
        carol.address,
    )
    assert (bought.currency, bought.price, bought.expiresAt) == (ETH, PRICE, now + 3600)
    assert license_token.ownerOf(license_id) == carol.address
    assert license_token.offer(offer_id).sold == 1
    assert license_token.licenseCount() == license_id

    paid = receipt.events.filter(vault.Paid)
    assert len(paid) == 1
    assert (paid[0].assetId, paid[0].currency, paid[0].payer, paid[0].amount) == (
        asset_id,
        ETH,
        license_token.address,
        PRICE,
    )
    to_contributors, to_upstream = split(vault, PRICE, 0)
    assert vault.accrued(asset_id, ETH) - accrued == to_contributors
    assert vault.pendingUpstream(asset_id, ETH) - pending == to_upstream == 0
    assert vault.balance - vault_balance == PRICE
    assert license_token.balance == 0  # nothing stays in the license contract


def test_buy_of_a_derived_asset_books_its_upstream_share(
    license_token, vault, dataset, register_asset, make_offer, publisher, alice, bob
):
    parent_id, _ = dataset
    # The publisher owns the parent, so no license is needed to derive from it.
    child_id, _ = register_asset(publisher, {alice.address: 1}, parents=[(parent_id, 2_500)])
    offer_id = make_offer(child_id, price=PRICE)
    license_token.buy(offer_id, bob, PRICE, value=PRICE, sender=bob)
    to_contributors, to_upstream = split(vault, PRICE, 2_500)
    assert to_upstream > 0
    assert vault.accrued(child_id, ETH) == to_contributors
    assert vault.pendingUpstream(child_id, ETH) == to_upstream


def test_free_license_pays_nothing(license_token, vault, dataset, make_offer, buy, bob):
    asset_id, _ = dataset
    offer_id = make_offer(asset_id, price=0)
    license_id = buy(offer_id, bob)
    assert license_token.isValidFor(license_id, bob, 1)
    assert vault.accrued(asset_id, ETH) == 0


def test_erc20_buy_pays_the_vault(license_token, vault, token, dataset, make_offer, bob):
    asset_id, _ = dataset
    offer_id = make_offer(asset_id, currency=token.address, price=PRICE)
    token.mint(bob, PRICE, sender=bob)
    token.approve(license_token, PRICE, sender=bob)
    receipt = license_token.buy(offer_id, bob, PRICE, sender=bob)
    assert token.balanceOf(bob) == 0
    assert token.balanceOf(license_token) == 0
    assert token.balanceOf(vault) == PRICE
    assert vault.accrued(asset_id, token.address) == split(vault, PRICE, 0)[0]
    assert receipt.events.filter(vault.Paid)[0].payer == license_token.address


def test_fee_on_transfer_token_credits_what_arrived(
    license_token, vault, fot_token, dataset, make_offer, bob
):
    asset_id, _ = dataset
    price = 10_000 * 10**6
    offer_id = make_offer(asset_id, currency=fot_token.address, price=price)
    fot_token.mint(bob, price, sender=bob)
    fot_token.approve(license_token, price, sender=bob)
    receipt = license_token.buy(offer_id, bob, price, sender=bob)
    # Two transfers, 1% burnt by each: buyer -> license contract -> vault.
    at_license = price - price * 100 // BPS
    at_vault = at_license - at_license * 100 // BPS
    assert fot_token.balanceOf(vault) == at_vault
    assert fot_token.balanceOf(license_token) == 0
    assert receipt.events.filter(vault.Paid)[0].amount == at_vault
    assert vault.accrued(asset_id, fot_token.address) == split(vault, at_vault, 0)[0]
    assert vault.held(fot_token.address) == at_vault
    # The license records the offer's price; what arrived is in the vault's books.
    assert receipt.events.filter(license_token.LicenseBought)[0].price == price


def test_token_that_delivers_nothing_is_refused(
    project, license_token, vault, deployer, dataset, make_offer, bob
):
    asset_id, _ = dataset
    burns_all = deployer.deploy(project.FeeOnTransferToken, BPS)  # every transfer burns 100%
    offer_id = make_offer(asset_id, currency=burns_all.address, price=500)
    burns_all.mint(bob, 500, sender=bob)
    burns_all.approve(license_token, 500, sender=bob)
    with ape.reverts(
        license_token.LicenseTokenNothingArrived, currency=burns_all.address, price=500
    ):
        license_token.buy(offer_id, bob, 500, sender=bob)
    assert vault.accrued(asset_id, burns_all.address) == 0


def test_false_returning_token_without_allowance_is_refused(
    project, license_token, vault, deployer, dataset, make_offer, bob
):
    asset_id, _ = dataset
    false_token = deployer.deploy(project.FalseReturningToken, False)
    offer_id = make_offer(asset_id, currency=false_token.address, price=500)
    false_token.mint(bob, 500, sender=bob)
    # No approval: transferFrom returns false instead of reverting; SafeERC20 catches it.
    with ape.reverts(license_token.SafeERC20FailedOperation, token=false_token.address):
        license_token.buy(offer_id, bob, 500, sender=bob)
    assert license_token.offer(offer_id).sold == 0
    false_token.approve(license_token, 500, sender=bob)
    license_token.buy(offer_id, bob, 500, sender=bob)
    assert vault.accrued(asset_id, false_token.address) == split(vault, 500, 0)[0]


def test_token_returning_nothing_works(
    project, license_token, vault, deployer, dataset, make_offer, bob
):
    asset_id, _ = dataset
    usdt_shaped = deployer.deploy(project.FalseReturningToken, True)
    offer_id = make_offer(asset_id, currency=usdt_shaped.address, price=700)
    usdt_shaped.mint(bob, 700, sender=bob)
    usdt_shaped.approve(license_token, 700, sender=bob)
    license_token.buy(offer_id, bob, 700, sender=bob)
    assert usdt_shaped.balanceOf(vault) == 700


def test_wrong_value_is_refused(license_token, token, dataset, make_offer, bob):
    asset_id, _ = dataset
    eth_offer = make_offer(asset_id, price=PRICE)
    for sent in (0, PRICE - 1, PRICE + 1):
        with ape.reverts(license_token.LicenseTokenWrongValue, sent=sent, expected=PRICE):
            license_token.buy(eth_offer, bob, PRICE, value=sent, sender=bob)
    token_offer = make_offer(asset_id, currency=token.address, price=PRICE)
    with ape.reverts(license_token.LicenseTokenWrongValue, sent=1, expected=0):
        license_token.buy(token_offer, bob, PRICE, value=1, sender=bob)
    free_offer = make_offer(asset_id, price=0)
    with ape.reverts(license_token.LicenseTokenWrongValue, sent=5, expected=0):
        license_token.buy(free_offer, bob, 0, value=5, sender=bob)


def test_price_above_max_is_refused(license_token, dataset, make_offer, bob):
    asset_id, _ = dataset
    offer_id = make_offer(asset_id, price=PRICE)
    with ape.reverts(
        license_token.LicenseTokenPriceAboveMax, offerId=offer_id, price=PRICE, maxPrice=PRICE - 1
    ):
        license_token.buy(offer_id, bob, PRICE - 1, value=PRICE, sender=bob)
    # A higher max is a ceiling, not an amount: the buyer still pays the price.
    sold_before = license_token.offer(offer_id).sold
    license_token.buy(offer_id, bob, 2**256 - 1, value=PRICE, sender=bob)
    assert license_token.offer(offer_id).sold == sold_before + 1


def test_supply_cap_sells_out(license_token, dataset, make_offer, buy, bob):
    asset_id, _ = dataset
    offer_id = make_offer(asset_id, supplyCap=2)
    buy(offer_id, bob)
    buy(offer_id, bob)
    with ape.reverts(license_token.LicenseTokenSoldOut, offerId=offer_id, supplyCap=2):
        license_token.buy(offer_id, bob, 0, sender=bob)
    assert license_token.offer(offer_id).sold == 2


def test_unknown_offer_is_refused(license_token, bob):
    missing = license_token.offerCount() + 1
    with ape.reverts(license_token.LicenseTokenUnknownOffer, offerId=missing):
        license_token.buy(missing, bob, 0, sender=bob)


@pytest.mark.parametrize("status", [OFFER_PAUSED, OFFER_RETIRED])
def test_inactive_offer_sells_nothing(license_token, dataset, make_offer, publisher, bob, status):
    asset_id, _ = dataset
    offer_id = make_offer(asset_id)
    license_token.setOfferStatus(offer_id, status, sender=publisher)
    with ape.reverts(license_token.LicenseTokenOfferNotActive, offerId=offer_id, status=status):
        license_token.buy(offer_id, bob, 0, sender=bob)


def test_resumed_offer_sells_again(license_token, dataset, make_offer, buy, publisher, bob):
    asset_id, _ = dataset
    offer_id = make_offer(asset_id)
    license_token.setOfferStatus(offer_id, OFFER_PAUSED, sender=publisher)
    license_token.setOfferStatus(offer_id, 1, sender=publisher)
    assert license_token.isValid(buy(offer_id, bob))


def test_buy_to_a_contract_that_refuses_nfts_reverts(
    license_token, vault, dataset, make_offer, bob
):
    asset_id, _ = dataset
    offer_id = make_offer(asset_id)
    # The vault has no onERC721Received: safe minting must refuse it, not strand the license.
    with ape.reverts(license_token.ERC721InvalidReceiver, receiver=vault.address):
        license_token.buy(offer_id, vault, 0, sender=bob)


def test_delisting_blocks_new_buys_but_not_sold_licenses_or_claims(
    license_token, registry, vault, dataset, make_offer, buy, publisher, alice, bob
):
    asset_id, people = dataset
    offer_id = make_offer(asset_id, price=PRICE, scopes=2)
    license_id = buy(offer_id, bob)
    registry.setDelisted(asset_id, True, sender=publisher)

    with ape.reverts(license_token.LicenseTokenAssetDelisted, assetId=asset_id):
        license_token.buy(offer_id, bob, PRICE, value=PRICE, sender=bob)
    assert license_token.isValid(license_id)
    assert license_token.isValidFor(license_id, bob, 2)
    assert license_token.license(license_id).valid

    weight, proof = people.proof(alice)
    before = alice.balance
    vault.claim(asset_id, ETH, alice, weight, proof, sender=bob)
    assert alice.balance - before == vault.accrued(asset_id, ETH) * weight // people.total > 0

    registry.setDelisted(asset_id, False, sender=publisher)
    assert license_token.isValid(buy(offer_id, bob))


def test_front_running_owner_cannot_make_a_pending_buy_pay_more(
    license_token, vault, dataset, make_offer, publisher, bob
):
    """Bob signs buy(cheap, maxPrice=price). Before it lands, the owner retires the cheap
    offer and publishes a pricier one: bob's buy fails, and aiming it at the new offer fails
    on maxPrice. Bob pays nothing more than gas."""
    asset_id, _ = dataset
    cheap = make_offer(asset_id, price=PRICE)
    # The owner's front-run.
    license_token.setOfferStatus(cheap, OFFER_RETIRED, sender=publisher)
    pricey = make_offer(asset_id, price=PRICE * 2)
    accrued = vault.accrued(asset_id, ETH)

    with ape.reverts(license_token.LicenseTokenOfferNotActive, offerId=cheap, status=OFFER_RETIRED):
        license_token.buy(cheap, bob, PRICE, value=PRICE, sender=bob)
    # Even with the value the owner hopes for, the buyer's ceiling holds.
    with ape.reverts(
        license_token.LicenseTokenPriceAboveMax, offerId=pricey, price=PRICE * 2, maxPrice=PRICE
    ):
        license_token.buy(pricey, bob, PRICE, value=PRICE * 2, sender=bob)
    assert vault.accrued(asset_id, ETH) == accrued
    assert license_token.balanceOf(bob) == 0
