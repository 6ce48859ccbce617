"""The rebuilt ledger equals the chain for an economy with every kind of flow."""

from seedbed.core.constants import ETH


def test_honest_economy_passes_and_ledger_matches_views(audit, economy, vault, meter):
    result = audit(trees=economy.trees)
    assert [f.message for f in result.findings.failures] == []
    assert result.ok and not result.findings.items
    ledger = result.ledger
    for (asset, cur), pool in ledger.pools.items():
        assert pool.accrued == vault.accrued(asset, cur)
        assert pool.pending == vault.pendingUpstream(asset, cur)
    (ch,) = ledger.channels.values()
    view = meter.channel(economy.license_id, economy.consumer, economy.operator)
    assert (ch.reserve, ch.units, ch.unit_limit) == (view.reserve, view.units, view.unitLimit)
    assert ch.units == economy.units and ch.settled == economy.metered
    assert ch.reserve == 10**15 - economy.metered - 10**14 and ch.withdrawn == 10**14
    operator = ledger.earnings[economy.operator.address.lower(), ETH]
    assert operator.earned == operator.withdrawn == economy.service
    owed = ledger.owed[economy.model, ETH]
    assert owed.accrued == owed.paid == economy.to_asset
    assert ledger.pools[economy.model, ETH].from_meter == economy.to_asset
    assert sum(ledger.meter_books(ETH)) == meter.totalHeld(ETH) == ch.reserve
    # Every new meter check ran and passed.
    for check in (
        "meter.channel",
        "meter.metered",
        "meter.owedToAsset",
        "meter.earningsOf",
        "meter.totalHeld",
        "meter balance = books",
        "reserve never negative",
        "channel units only grow",
        "settlement within the channel's window",
        "withdrawal within its window",
        "withdrawal within the reserve",
        "asset payment reached the vault",
        "asset paid what it was owed",
        "earnings withdrawn whole",
    ):
        tally = result.findings.tallies[check]
        assert tally.checked > 0 and tally.failed == 0, check


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
