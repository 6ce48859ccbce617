"""Audit fixtures: a small but complete economy on the test suite, and an audit runner."""

from types import SimpleNamespace

import pytest

from seedbed.core.constants import ACCESS, DERIVE, ETH, INFER, MODEL

DAY = 86_400
UNIT_PRICE = 10**9
PRICE = 10**15


@pytest.fixture
def audit(project, chain, suite, tmp_path):
    """audit(**kwargs) -> AuditResult: run_audit on the test chain with a per-test database."""
    from seedbed.workflows.audit import run_audit

    def run(**kwargs):
        kwargs.setdefault("db_path", tmp_path / "events.sqlite")
        kwargs.setdefault("out_dir", tmp_path / "report")
        return run_audit(project, chain, suite, **kwargs)

    return run


@pytest.fixture
def offer_of(license_token):
    """offer_of(asset, owner, currency=ETH, price=PRICE, ...) -> offer id."""

    def make(
        asset,
        owner,
        currency=ETH,
        price=PRICE,
        unit_price=UNIT_PRICE,
        duration=30 * DAY,
        max_units=1_000,
        scopes=ACCESS | INFER | DERIVE,
        service_bps=0,
    ):
        terms = (
            asset,
            currency,
            price,
            unit_price,
            duration,
            max_units,
            scopes,
            0,
            False,
            0,
            service_bps,
        )
        receipt = license_token.createOffer(terms, sender=owner)
        return receipt.events.filter(license_token.OfferCreated)[0].offerId

    return make


SERVICE_BPS = 1_000  # the economy's offer gives the gateway operator 10% of metered use


@pytest.fixture(scope="session")
def consumer(accounts):
    """The economy's license holder and payer (the gateway is the operator it pays)."""
    return accounts[7]


@pytest.fixture
def economy(
    chain,
    suite,
    token,
    register_asset,
    offer_of,
    publisher,
    alice,
    bob,
    gateway,
    stranger,
    deployer,
    consumer,
    tmp_path,
):
    """Every kind of flow once: two assets in a lineage, a license sale, a usage channel
    (consumer pays, gateway operates) metered by `meter` and by voucher with a service share,
    `payAsset` into the vault, the operator's earnings withdrawn, direct payments in ETH and
    a token, an upstream flow, claims and a reserve withdrawal. Returns the ids, trees (also
    saved as files) and amounts."""
    from seedbed.core.vouchers import Voucher, sign

    vault, license_token, meter = suite.vault, suite.license, suite.meter
    dataset, d_people = register_asset(publisher, {alice.address: 1, bob.address: 3})
    model, m_people = register_asset(
        publisher, {alice.address: 2, stranger.address: 2}, parents=[(dataset, 3_000)], kind=MODEL
    )
    offer = offer_of(model, publisher, service_bps=SERVICE_BPS)
    bought = license_token.buy(offer, consumer, PRICE, value=PRICE, sender=consumer)
    license_id = bought.events.filter(license_token.LicenseBought)[0].licenseId
    meter.deposit(license_id, gateway, 10**15, value=10**15, sender=consumer)
    meter.meter(license_id, gateway, 100, sender=consumer)
    voucher = Voucher(
        license_id, consumer.address, gateway.address, 250, chain.pending_timestamp + DAY
    )
    signature = sign(voucher, chain.chain_id, meter.address, consumer.private_key)
    meter.settle(voucher.as_tuple(), signature, sender=stranger)
    meter.payAsset(model, ETH, sender=stranger)
    meter.withdrawEarnings(ETH, gateway, sender=gateway)

    token.mint(deployer, 10**21, sender=deployer)
    token.approve(vault, 10**21, sender=deployer)
    vault.pay(dataset, token, 10**6, sender=deployer)
    vault.pay(model, ETH, 5 * 10**17, value=5 * 10**17, sender=deployer)
    vault.flowUpstream(model, ETH, sender=stranger)

    def claim(asset, people, who, currency):
        weight, proof = people.proof(who.address)
        vault.claim(asset, currency, who, weight, proof, sender=stranger)

    claim(dataset, d_people, alice, ETH)
    claim(dataset, d_people, bob, token)
    claim(model, m_people, alice, ETH)
    meter.requestWithdrawal(license_id, gateway, 10**14, sender=consumer)
    chain.pending_timestamp += meter.WITHDRAWAL_DELAY() + 1
    meter.completeWithdrawal(license_id, gateway, sender=consumer)

    d_tree, m_tree = tmp_path / "dataset.sbtree", tmp_path / "model.sbtree"
    d_people.tree.save(d_tree)
    m_people.tree.save(m_tree)
    return SimpleNamespace(
        dataset=dataset,
        model=model,
        license_id=license_id,
        offer=offer,
        d_people=d_people,
        m_people=m_people,
        trees={dataset: d_tree, model: m_tree},
        units=250,
        metered=250 * UNIT_PRICE,
        service=250 * UNIT_PRICE * SERVICE_BPS // 10_000,
        to_asset=250 * UNIT_PRICE - 250 * UNIT_PRICE * SERVICE_BPS // 10_000,
        consumer=consumer,
        operator=gateway,
        token=token,
    )
