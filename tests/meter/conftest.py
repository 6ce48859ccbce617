"""Builders for the usage-meter tests: licenses on fresh offers, signed vouchers, escrow."""

import pytest
from meterkit import FAR, UNIT_PRICE

from seedbed.core.constants import ETH, INFER, TRAIN
from seedbed.core.vouchers import SignedVoucher, Voucher, sign


@pytest.fixture(scope="session")
def asset_id(register_asset, publisher, alice, bob):
    """One listed dataset whose offers every meter test buys from."""
    asset, _people = register_asset(publisher, {alice.address: 3, bob.address: 1})
    return asset


@pytest.fixture(scope="session")
def make_offer(license_token, asset_id, publisher):
    """make_offer(unit_price=..., max_units=0, duration=0, currency=ETH, scopes=TRAIN|INFER,
    price=0, soulbound=False, asset=the shared asset, service_bps=0) -> offer id."""

    def make(
        unit_price=UNIT_PRICE,
        max_units=0,
        duration=0,
        currency=ETH,
        scopes=TRAIN | INFER,
        price=0,
        soulbound=False,
        asset=None,
        service_bps=0,
    ):
        terms = (
            asset or asset_id,
            currency,
            price,
            unit_price,
            duration,
            max_units,
            scopes,
            0,
            soulbound,
            0,
            service_bps,
        )
        receipt = license_token.createOffer(terms, sender=publisher)
        return receipt.events.filter(license_token.OfferCreated)[0].offerId

    return make


@pytest.fixture(scope="session")
def buy(license_token):
    """buy(offer_id, buyer, to=None) -> license id; pays an ETH price or approves a token one."""

    def purchase(offer_id, buyer, to=None):
        terms = license_token.offer(offer_id).terms
        value = terms.price if terms.currency == ETH else 0
        receipt = license_token.buy(offer_id, to or buyer, terms.price, value=value, sender=buyer)
        return receipt.events.filter(license_token.LicenseBought)[0].licenseId

    return purchase


@pytest.fixture(scope="session")
def licensed(make_offer, buy):
    """licensed(holder, **offer_terms) -> a license id held by `holder` on a fresh offer."""

    def make(holder, **terms):
        return buy(make_offer(**terms), holder)

    return make


@pytest.fixture(scope="session")
def signer(suite, meter, gateway):
    """signer(account, license_id, units, deadline=FAR, payer=account, operator=gateway,
    chain_id=..., meter_address=...) -> SignedVoucher signed with `account`'s key for the
    channel (license, payer, operator) of this suite's meter by default."""

    def make(
        account,
        license_id,
        units,
        deadline=FAR,
        payer=None,
        operator=None,
        chain_id=None,
        meter_address=None,
    ):
        voucher = Voucher(
            license_id,
            str(payer or account.address),
            str(operator or gateway.address),
            units,
            deadline,
        )
        signature = sign(
            voucher,
            chain_id or suite.chain_id,
            meter_address or meter.address,
            account.private_key,
        )
        return SignedVoucher(voucher, signature)

    return make


@pytest.fixture(scope="session")
def deposit(meter, gateway):
    """deposit(account, license_id, amount, operator=gateway): ETH into the account's channel
    (license, account, operator), opening it with defaults when new."""

    def put(account, license_id, amount, operator=None):
        return meter.deposit(license_id, operator or gateway, amount, value=amount, sender=account)

    return put
