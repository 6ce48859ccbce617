"""Property: for any honest activity, the ledger rebuilt from events equals the chain."""

import itertools

import pytest
from hypothesis import event, given, settings
from hypothesis import strategies as st

from seedbed.core.constants import ETH, MODEL

CURRENCIES = ("eth", "token")
OPS = st.one_of(
    st.tuples(
        st.just("pay"), st.integers(0, 2), st.sampled_from(CURRENCIES), st.integers(1, 10**18)
    ),
    st.tuples(st.just("flow"), st.integers(1, 2), st.sampled_from(CURRENCIES)),
    st.tuples(st.just("claim"), st.integers(0, 2), st.sampled_from(CURRENCIES), st.integers(0, 2)),
    st.tuples(st.just("buy")),
    st.tuples(st.just("use"), st.integers(1, 50)),
    st.tuples(st.just("pay_asset"), st.sampled_from(CURRENCIES)),
    st.tuples(st.just("earnings"), st.sampled_from(CURRENCIES)),
    st.tuples(st.just("transfer")),
)


@pytest.fixture
def lineage(
    register_asset, publisher, alice, bob, stranger, offer_of, token, gateway, consumer, suite
):
    """Three assets: a dataset, a model trained on it, and an app on both."""
    people = {"alice": alice, "bob": bob, "stranger": stranger}
    a = register_asset(publisher, {alice.address: 1, bob.address: 3})
    b = register_asset(
        publisher, {bob.address: 5, stranger.address: 5}, parents=[(a[0], 4_000)], kind=MODEL
    )
    c = register_asset(
        publisher, {alice.address: 7, stranger.address: 1}, parents=[(a[0], 1_500), (b[0], 2_000)]
    )
    offer = offer_of(c[0], publisher, unit_price=10**12, max_units=0, service_bps=700)
    for who in (publisher, consumer):
        token.mint(who, 10**24, sender=who)
        token.approve(suite.vault, 2**256 - 1, sender=who)
    return [a, b, c], offer, list(people.values())


_runs = itertools.count()


@settings(deadline=None)
@given(ops=st.lists(OPS, min_size=3, max_size=12))
def test_audit_ledger_equals_chain_for_any_honest_activity(
    ops, audit, chain, suite, token, lineage, publisher, gateway, consumer, stranger, tmp_path
):
    assets, offer, accounts = lineage
    vault, license_token, meter = suite.vault, suite.license, suite.meter
    currency = {"eth": ETH, "token": token.address}
    # Not chain.isolate(): in ape 0.8.51 it swallows every exception raised inside it.
    snapshot = chain.snapshot()
    try:
        licenses, payments = [], 0
        # Revenue first, in every pool, so that flows and claims have something to move.
        prelude = [("pay", i, c, 10**15 + i) for i in range(3) for c in CURRENCIES]
        for op in prelude + list(ops):
            kind = op[0]
            if kind == "pay":
                asset_id, cur = assets[op[1]][0], currency[op[2]]
                value = op[3] if cur == ETH else 0
                vault.pay(asset_id, cur, op[3], value=value, sender=publisher)
                payments += 1
            elif kind == "flow":
                asset_id, cur = assets[op[1]][0], currency[op[2]]
                if vault.pendingUpstream(asset_id, cur):
                    vault.flowUpstream(asset_id, cur, sender=stranger)
            elif kind == "claim":
                (asset_id, people), who = assets[op[1]], accounts[op[3]]
                if who.address in people.weights:
                    weight, proof = people.proof(who.address)
                    cur = currency[op[2]]
                    if vault.claimable(asset_id, cur, who, weight, proof):
                        vault.claim(asset_id, cur, who, weight, proof, sender=stranger)
            elif kind == "buy" or (kind == "use" and not licenses):
                receipt = license_token.buy(offer, consumer, 10**15, value=10**15, sender=consumer)
                licenses.append(receipt.events.filter(license_token.LicenseBought)[0].licenseId)
                meter.deposit(licenses[-1], gateway, 10**17, value=10**17, sender=consumer)
                payments += 1
            if kind == "use":
                meter.meter(licenses[-1], gateway, op[1], sender=consumer)
            elif kind == "pay_asset":
                if meter.owedToAsset(assets[2][0], currency[op[1]]):
                    meter.payAsset(assets[2][0], currency[op[1]], sender=stranger)
                    payments += 1
            elif kind == "transfer" and licenses:  # HolderLeft: its channel closes after grace
                license_token.transferFrom(consumer, accounts[1], licenses.pop(), sender=consumer)
            elif kind == "earnings":
                if meter.earningsOf(gateway, currency[op[1]]):
                    meter.withdrawEarnings(currency[op[1]], stranger, sender=gateway)

        result = audit(db_path=tmp_path / f"run{next(_runs)}.sqlite", out_dir=None)
        assert result.ok, [f.message for f in result.findings.failures]
        for name in ("Claimed", "UpstreamFlowed", "UsageSettled", "AssetPaid", "HolderLeft"):
            event(f"{name}: {result.ledger.counts[name] > 0}")
        # Every payment was seen and split-checked; every pool equals its on-chain view.
        assert result.findings.tallies["payment split"].checked == payments
        for (asset_id, cur), pool in result.ledger.pools.items():
            assert pool.accrued == vault.accrued(asset_id, cur)
            assert pool.pending == vault.pendingUpstream(asset_id, cur)
            assert pool.claimed <= pool.accrued
        assert sum(result.ledger.meter_books(ETH)) == meter.totalHeld(ETH)
        for (operator, cur), e in result.ledger.earnings.items():
            assert e.balance == meter.earningsOf(operator, cur)
    finally:
        chain.restore(snapshot)
