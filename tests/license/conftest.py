"""License fixtures: a dataset to sell, offer and purchase builders. Units used live in the
usage meter now (per channel), and every transfer calls the meter: the tests that meter a
license use the real suite's LicenseToken and UsageMeter."""

import pytest
from license_helpers import raw_terms

from seedbed.core.constants import ETH


@pytest.fixture(scope="session")
def carol(accounts):
    return accounts[6]


@pytest.fixture(scope="session")
def dave(accounts):
    return accounts[7]


@pytest.fixture
def dataset(register_asset, publisher, alice, bob):
    """A dataset owned by the publisher; alice contributed 3 parts, bob 1."""
    return register_asset(publisher, {alice.address: 3, bob.address: 1})


def _offer_factory(lt, default_sender):
    def make(asset_id, sender=None, **fields):
        receipt = lt.createOffer(raw_terms(asset_id, **fields), sender=sender or default_sender)
        return receipt.events.filter(lt.OfferCreated)[0].offerId

    return make


def _buy_factory(lt):
    def buy(offer_id, buyer, to=None, max_price=None, value=None):
        view = lt.offer(offer_id)
        price = view.terms.price
        if value is None:
            value = price if view.terms.currency == ETH else 0
        receipt = lt.buy(
            offer_id,
            to or buyer,
            price if max_price is None else max_price,
            value=value,
            sender=buyer,
        )
        return receipt.events.filter(lt.LicenseBought)[0].licenseId

    return buy


@pytest.fixture(scope="session")
def make_offer(license_token, publisher):
    """make_offer(asset_id, sender=publisher, **Terms fields) -> offer id."""
    return _offer_factory(license_token, publisher)


@pytest.fixture(scope="session")
def buy(license_token):
    """buy(offer_id, buyer, to=buyer, max_price=price, value=price for ETH) -> license id."""
    return _buy_factory(license_token)


@pytest.fixture(scope="session")
def metered(license_token):
    """The suite's LicenseToken, wired to the suite's UsageMeter (a LicenseToken wired to an
    account cannot transfer: every transfer calls meter.onLicenseTransfer)."""
    return license_token


@pytest.fixture(scope="session")
def metered_offer(metered, publisher):
    return _offer_factory(metered, publisher)


@pytest.fixture(scope="session")
def metered_buy(metered):
    return _buy_factory(metered)
