"""The rebuilt ledger equals the chain for an economy with every kind of flow."""

from seedbed.core.constants import ETH


def test_honest_economy_passes_and_ledger_matches_views(audit, economy, vault, meter, gateway):
    result = audit(trees=economy.trees)
    assert [f.message for f in result.findings.failures] == []
    assert result.ok
    ledger = result.ledger
    for (asset, cur), pool in ledger.pools.items():
        assert pool.accrued == vault.accrued(asset, cur)
        assert pool.pending == vault.pendingUpstream(asset, cur)
    assert ledger.escrows[gateway.address.lower(), ETH].balance == meter.escrowOf(gateway, ETH)
    assert ledger.licenses[economy.license_id].units == economy.units


def test_warm_run_from_the_snapshot_equals_a_full_rebuild(
    audit, economy, vault, deployer, tmp_path
):
    first = audit()
    vault.pay(economy.dataset, ETH, 10**9, value=10**9, sender=deployer)
    warm = audit()  # restores the ledger saved by `first`, applies one new block
    assert warm.ingest.new_events == 1
    fresh = audit(db_path=tmp_path / "fresh.sqlite")
    assert warm.ledger.state() == fresh.ledger.state()
    assert warm.findings.state() == fresh.findings.state()
    assert warm.ledger.events == first.ledger.events + 1
    assert warm.ledger.pools[economy.dataset, ETH].direct == 10**9
