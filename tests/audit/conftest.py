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
    ):
        terms = (asset, currency, price, unit_price, duration, max_units, scopes, 0, False, 0)
        receipt = license_token.createOffer(terms, sender=owner)
        return receipt.events.filter(license_token.OfferCreated)[0].offerId

    return make


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
    tmp_path,
):
    """Every kind of flow once: two assets in a lineage, a license sale, metered usage by
    `meter` and by voucher, direct payments in ETH and a token, an upstream flow, claims and
    an escrow withdrawal. Returns the ids, trees (also saved as files) and amounts."""
    from seedbed.core.vouchers import Voucher, sign

    vault, license_token, meter = suite.vault, suite.license, suite.meter
    dataset, d_people = register_asset(publisher, {alice.address: 1, bob.address: 3})
    model, m_people = register_asset(
        publisher, {alice.address: 2, stranger.address: 2}, parents=[(dataset, 3_000)], kind=MODEL
    )
    offer = offer_of(model, publisher)
    bought = license_token.buy(offer, gateway, PRICE, value=PRICE, sender=gateway)
    license_id = bought.events.filter(license_token.LicenseBought)[0].licenseId
    meter.deposit(ETH, 10**15, value=10**15, sender=gateway)
    meter.meter(license_id, 100, sender=gateway)
    voucher = Voucher(license_id, 250, chain.pending_timestamp + DAY)
    signature = sign(voucher, chain.chain_id, meter.address, gateway.private_key)
    meter.settle((license_id, 250, voucher.deadline), signature, sender=stranger)

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
    meter.requestWithdrawal(ETH, 10**14, sender=gateway)
    chain.pending_timestamp += DAY + 1
    meter.completeWithdrawal(ETH, sender=gateway)

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
        token=token,
    )
