"""Ingestion: incremental re-runs, interrupted runs, reorgs and nodes that refuse big ranges."""

import sqlite3

import pytest

from seedbed.chain.rpc import Rpc, RpcError
from seedbed.core.constants import ETH
from seedbed.workflows.audit import ingest_only
from seedbed.workflows.audit.abi import Decoders, project_specs
from seedbed.workflows.audit.ingest import Ingestor
from seedbed.workflows.audit.run import audit_addresses
from seedbed.workflows.audit.store import EventStore


def keys(db):
    with sqlite3.connect(db) as con:
        return con.execute("SELECT block_number, log_index FROM events ORDER BY 1, 2").fetchall()


def pay(vault, asset, amount, sender):
    return vault.pay(asset, ETH, amount, value=amount, sender=sender)


def test_rerun_fetches_only_new_blocks(project, chain, suite, economy, deployer, tmp_path):
    db = tmp_path / "events.sqlite"
    first = ingest_only(project, chain, suite, db)
    assert first.new_events == first.total_events == len(keys(db)) > 20
    again = ingest_only(project, chain, suite, db)
    assert again.new_events == 0 and again.ranges == 0
    assert again.first_block == first.last_block + 1

    pay(suite.vault, economy.dataset, 123, deployer)
    pay(suite.vault, economy.model, 456, deployer)
    third = ingest_only(project, chain, suite, db)
    assert third.first_block == first.last_block + 1
    assert third.new_events == 2  # one Paid each; nothing fetched twice
    assert third.total_events == first.total_events + 2 == len(set(keys(db)))


def test_interrupted_run_resumes_without_duplicates(project, chain, suite, economy, tmp_path):
    reference = tmp_path / "reference.sqlite"
    ingest_only(project, chain, suite, reference, initial_range=3, max_range=3)

    class Crash(Exception):
        pass

    def crash_at_range_4(index):
        if index == 4:
            raise Crash

    db = tmp_path / "events.sqlite"
    with pytest.raises(Crash):
        ingest_only(
            project, chain, suite, db, initial_range=3, max_range=3, before_commit=crash_at_range_4
        )
    partial = keys(db)
    with EventStore(db, _identity(chain, suite)) as store:
        resumed_from = store.last_block + 1
    # Four ranges of three blocks committed; the fifth rolled back whole.
    assert resumed_from == suite.record["block"] + 12
    assert all(block < resumed_from for block, _ in partial)

    resumed = ingest_only(project, chain, suite, db, initial_range=3, max_range=3)
    assert resumed.first_block == resumed_from
    assert keys(db) == keys(reference)
    assert resumed.total_events == len(keys(reference)) == len(set(keys(reference)))


def _identity(chain, suite):
    addresses = audit_addresses(Rpc(chain.provider), suite)
    return {
        "chain_id": chain.chain_id,
        "contracts": addresses,
        "start_block": suite.record["block"],
    }


def test_reorg_replacing_the_tip_is_reingested(audit, chain, suite, economy, deployer, vault):
    snapshot = chain.snapshot()
    for amount in (1_000, 2_000, 3_000):
        pay(vault, economy.dataset, amount, deployer)
    before = audit()
    assert before.ok and before.ledger.pools[economy.dataset, ETH].direct == 6_000
    fork_point = chain.blocks.head.number - 3

    chain.restore(snapshot)  # the three payments vanish; other blocks take their numbers
    pay(vault, economy.model, 7_777, deployer)
    chain.mine(4)
    after = audit()
    assert after.ingest.rewound_to == fork_point
    assert after.ingest.dropped == 3
    assert after.ok, [f.message for f in after.findings.failures]
    assert after.ledger.pools[economy.dataset, ETH].direct == 0
    assert after.ledger.pools[economy.model, ETH].direct == 5 * 10**17 + 7_777
    assert after.ledger.pools[economy.model, ETH].accrued == vault.accrued(economy.model, ETH)


def test_anvil_reorg_with_different_transactions(audit, chain, suite, economy, deployer, vault):
    pay(vault, economy.dataset, 1_000, deployer)
    pay(vault, economy.dataset, 2_000, deployer)
    assert audit().ok
    head = chain.blocks.head.number
    data = vault.pay.as_transaction(economy.model, ETH, 99, value=99, sender=deployer).data
    tx = {
        "from": deployer.address,
        "to": vault.address,
        "value": hex(99),
        "data": "0x" + data.hex(),
    }
    Rpc(chain.provider).call("anvil_reorg", [2, [[tx, 0]]])
    assert chain.blocks.head.number == head

    after = audit()
    assert after.ingest.rewound_to == head - 2
    assert after.ok, [f.message for f in after.findings.failures]
    assert after.ledger.pools[economy.dataset, ETH].direct == 0
    assert after.ledger.pools[economy.model, ETH].direct == 5 * 10**17 + 99


def test_deep_reorg_or_new_chain_starts_over(project, chain, suite, economy, tmp_path):
    db = tmp_path / "events.sqlite"
    first = ingest_only(project, chain, suite, db)
    with sqlite3.connect(db) as con:  # as if the node were a fresh chain with other blocks
        con.execute("UPDATE blocks SET hash = printf('0x%064x', number)")
    again = ingest_only(project, chain, suite, db)
    assert again.rewound_to == suite.record["block"] - 1
    assert again.new_events == first.total_events == again.total_events


class RangeLimitedRpc(Rpc):
    """A node that refuses eth_getLogs over more than `limit` blocks, like public RPCs."""

    limit = 4

    def call(self, method, params):
        if method == "eth_getLogs":
            span = int(params[0]["toBlock"], 16) - int(params[0]["fromBlock"], 16) + 1
            if span > self.limit:
                raise RpcError(-32005, f"query exceeds max block range {self.limit}")
        return super().call(method, params)


def test_ranges_shrink_when_the_node_refuses_them(project, chain, suite, economy, tmp_path):
    rpc = RangeLimitedRpc(chain.provider)
    addresses = audit_addresses(rpc, suite)
    identity = {
        "chain_id": chain.chain_id,
        "contracts": addresses,
        "start_block": suite.record["block"],
    }
    with EventStore(tmp_path / "limited.sqlite", identity) as store:
        ingestor = Ingestor(
            rpc, store, Decoders(addresses, project_specs(project)), initial_range=50, max_range=50
        )
        stats = ingestor.run()
        assert ingestor.size <= RangeLimitedRpc.limit
        assert stats.last_block == chain.blocks.head.number
    full = ingest_only(project, chain, suite, tmp_path / "full.sqlite")
    assert keys(tmp_path / "limited.sqlite") == keys(tmp_path / "full.sqlite")
    assert stats.total_events == full.total_events


def test_other_contracts_or_start_block_rebuild_the_index(project, chain, suite, economy, tmp_path):
    db = tmp_path / "events.sqlite"
    whole = ingest_only(project, chain, suite, db)
    earlier = suite.record["block"] - 1  # a later start is refused (test_audit_script)
    assert earlier >= 0
    again = ingest_only(project, chain, suite, db, from_block=earlier)
    assert again.reset and again.new_events == whole.total_events
    assert again.total_events == whole.total_events


def test_naive_ape_query_path_sees_the_same_events(project, chain, suite, economy, tmp_path):
    from seedbed.workflows.audit.naive import fetch_naive

    fast = ingest_only(project, chain, suite, tmp_path / "events.sqlite")
    assert fetch_naive(suite, suite.record["block"]) == fast.total_events
