"""The gateway ledger's two backends behave the same (SQLite, PostgreSQL), and PostgreSQL
serialises a channel across processes: no lost update, no leaked lock, even after a crash.

No chain: channel states are built by hand and vouchers signed with a local key. Run as a
script, this file is the worker the cross-process tests start (`hammer`, `hold`).
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import psycopg
import pytest
from eth_account import Account

from seedbed.core.errors import InputError
from seedbed.core.vouchers import SignedVoucher, Voucher, checksum_address, sign
from seedbed.gateway.store import Charge, Conflict, GatewayLedger, SqliteStore, StoredAnswer
from seedbed.gateway.store_pg import PostgresStore, lock_key
from seedbed.workflows.ledger import ChannelState

CHAIN = 31337
METER = checksum_address("0x" + "4d" * 20)
OTHER_METER = checksum_address("0x" + "5e" * 20)
OPERATOR = checksum_address("0x" + "0a" * 20)
CURRENCY = checksum_address("0x" + "cc" * 20)
PAYER_KEY = "0x" + "01" * 32
PAYER = Account.from_key(PAYER_KEY).address
OTHER_KEY = "0x" + "02" * 32
OTHER_PAYER = Account.from_key(OTHER_KEY).address
DEADLINE = 2**40
NEVER = 2**40 - 1
ROOT = Path(__file__).resolve().parents[2]


def state(license_id=1, payer=PAYER, *, price=5, settled=0, reserve=10**9, limit=10**6):
    return ChannelState(
        license_id, payer, OPERATOR, 77, CURRENCY, price, reserve, settled, limit, payer, NEVER
    )


def voucher(units, license_id=1, payer=PAYER, key=PAYER_KEY, chain=CHAIN, meter=METER):
    v = Voucher(license_id, payer, OPERATOR, units, DEADLINE)
    return SignedVoucher(v, sign(v, chain, meter, key))


def charge(signed, before, after, payment_id=None, answer=None):
    price = 5
    return Charge(
        signed, signed.voucher.payer, before, after, (after - before) * price, payment_id, answer
    )


# ------------------------------------------------------------------------------ backends


class Backend:
    """Opens stores of one kind on one database, and writes what only an import writes."""

    name: str

    def store(self, chain_id=CHAIN, meter=METER):
        raise NotImplementedError

    def import_voucher(self, signed):
        """Store a voucher the gateway never served (as `ape run settle --import` would)."""
        raise NotImplementedError


class Sqlite(Backend):
    name = "sqlite"

    def __init__(self, path):
        self.path = str(path)

    def store(self, chain_id=CHAIN, meter=METER):
        return SqliteStore(self.path, chain_id, meter)

    def import_voucher(self, signed):
        with GatewayLedger(self.path, CHAIN, METER) as ledger:
            ledger.accept(signed)


class Postgres(Backend):
    name = "postgres"

    def __init__(self, dsn):
        self.dsn = dsn

    def store(self, chain_id=CHAIN, meter=METER):
        return PostgresStore(self.dsn, chain_id, meter, min_size=1, max_size=4)

    def import_voucher(self, signed):
        v = signed.voucher
        row = {
            "id": v.license_id,
            "payer": v.payer,
            "operator": v.operator,
            "units": v.cumulative_units,
            "deadline": v.deadline,
            "sig": signed.signature,
            "signer": v.payer,
            "at": int(time.time()),
        }
        key = "license_id = %(id)s AND payer = %(payer)s AND operator = %(operator)s"
        with psycopg.connect(self.dsn, autocommit=True) as conn, conn.transaction():
            conn.execute(
                "UPDATE channels SET cumulative_units = %(units)s, deadline = %(deadline)s,"
                " signature = %(sig)s, voucher_signer = %(signer)s, accepted_at = %(at)s"
                f" WHERE {key}",
                row,
            )
            conn.execute(
                "INSERT INTO voucher_history (license_id, payer, operator, cumulative_units,"
                " deadline, signature, signer, accepted_at) VALUES (%(id)s, %(payer)s,"
                " %(operator)s, %(units)s, %(deadline)s, %(sig)s, %(signer)s, %(at)s)",
                row,
            )


@pytest.fixture(params=["sqlite", "postgres"])
def backend(request, tmp_path):
    if request.param == "sqlite":
        return Sqlite(tmp_path / "ledger.db")
    return Postgres(request.getfixturevalue("postgres_dsn"))


_OPEN: list = []


def run(coro):
    """Run a test's body; close every store it opened, even when it fails (a pool left open
    would keep reconnecting while asyncio.run cancels its tasks)."""

    async def guarded():
        try:
            return await coro
        finally:
            while _OPEN:
                await _OPEN.pop().aclose()

    return asyncio.run(guarded())


async def opened(backend, **kwargs):
    store = backend.store(**kwargs)
    await store.open()
    _OPEN.append(store)
    return store


# ------------------------------------------------------------------------------ both backends


def test_a_charge_is_durable_with_its_answer_which_replays_byte_for_byte(backend):
    answer = StoredAnswer(200, {"x-b": "1", "content-type": "a/b"}, b"\x00\xffbody", 3, 15)
    signed = voucher(3)

    async def body():
        store = await opened(backend)
        record = await store.sync_state(state())
        assert (record.served, record.voucher) == (0, None)
        async with store.lock(signed.voucher.channel):
            record = await store.load(signed.voucher.channel)
            await store.commit(charge(signed, record.served, 3, "pay-1", answer))
        record = await store.load(signed.voucher.channel)
        assert (record.served, record.voucher) == (3, signed)
        await store.aclose()

        again = await opened(backend)  # another process's view: what is on disk
        record = await again.load(signed.voucher.channel)
        assert (record.served, record.voucher, record.state) == (3, signed, state())
        replayed = await again.replay(PAYER, "pay-1")
        assert replayed == answer and list(replayed.headers) == ["x-b", "content-type"]
        assert await again.replay(PAYER, "pay-2") is None
        assert await again.replay(OTHER_PAYER, "pay-1") is None
        with again.settlement_ledger() as ledger:
            assert ledger.record(signed.voucher.channel) == record
            assert ledger.latest(signed.voucher.channel) == signed
            assert ledger.history(signed.voucher.channel) == [signed]
            assert ledger.voucher_count() == 1
        await again.aclose()

    run(body())


def test_a_charge_from_a_stale_served_value_is_a_conflict_that_writes_nothing(backend):
    first, second = voucher(3), voucher(6)
    answer = StoredAnswer(200, {}, b"late", 3, 15)

    async def body():
        store = await opened(backend)
        await store.sync_state(state())
        await store.commit(charge(first, 0, 3))
        with pytest.raises(Conflict):
            await store.commit(charge(second, 0, 3, "late", answer))  # started from 0, not 3
        assert await store.replay(PAYER, "late") is None
        with store.settlement_ledger() as ledger:
            assert ledger.served(first.voucher.channel) == 3
            assert ledger.history(first.voucher.channel) == [first]
        await store.aclose()

    run(body())


def test_pending_settles_the_highest_voucher_not_above_what_was_served(backend):
    """Per-token pricing: a voucher authorises more than the call uses."""
    v10, v20, v30 = voucher(10), voucher(20), voucher(30)
    imported = voucher(8, license_id=2)
    channel = v10.voucher.channel

    async def body():
        store = await opened(backend)
        await store.sync_state(state())
        await store.sync_state(state(license_id=2))
        backend.import_voucher(imported)  # never served through the gateway: all of it
        ledger = store.settlement_ledger()
        assert ledger.pending() == [imported]
        await store.commit(charge(v10, 0, 4))  # authorised 10, used 4: nothing signed ≤ 4
        assert ledger.pending() == [imported]
        await store.commit(charge(v20, 4, 12))  # authorised 20, used 8 more: v10 is ≤ 12
        assert sorted(ledger.pending(), key=_units) == [imported, v10]
        await store.commit(charge(v30, 12, 30))  # used all it authorised
        assert sorted(ledger.pending(), key=_units) == [imported, v30]
        assert ledger.latest(channel) == v30
        ledger.mark_settled(channel, 30, 150, "0x" + "ab" * 32)
        ledger.mark_settled(imported.voucher.channel, 8, 40, "0x" + "cd" * 32)
        assert ledger.pending() == []
        ledger.close()
        await store.aclose()

    run(body())


def test_pending_skips_a_voucher_the_chain_has_already_settled_beyond(backend):
    async def body():
        store = await opened(backend)
        await store.sync_state(state())
        await store.commit(charge(voucher(10), 0, 10))
        with store.settlement_ledger() as ledger:
            ledger.sync(state(settled=12))  # someone settled further (another gateway key)
            assert ledger.pending() == []
        await store.aclose()

    run(body())


def test_mark_settled_never_goes_backwards(backend):
    channel = (1, PAYER, OPERATOR)

    async def body():
        store = await opened(backend)
        await store.sync_state(state(reserve=1000))
        with store.settlement_ledger() as ledger:
            ledger.mark_settled(channel, 10, 50, "0x" + "01" * 32)
            ledger.mark_settled(channel, 5, 25, "0x" + "02" * 32)  # an older one, reported late
            ledger.mark_settled(channel, 10, 50, "0x" + "01" * 32)  # the same one, twice
            assert ledger.settled_units(channel) == 10
            assert ledger.channel(channel).reserve == 950
            ledger.mark_settled(channel, 12, 10, b"\x03" * 32)
            assert (ledger.settled_units(channel), ledger.channel(channel).reserve) == (12, 940)
            ledger.mark_settled((9, PAYER, OPERATOR), 5, 1, "0x" + "04" * 32)  # unknown: nothing
            assert ledger.channel((9, PAYER, OPERATOR)) is None
            with pytest.raises(InputError):
                ledger.mark_settled(channel, 20, 1, "0x1234")
        await store.aclose()

    run(body())


@pytest.mark.parametrize(("chain_id", "meter"), [(CHAIN, OTHER_METER), (1, METER)])
def test_a_ledger_bound_to_one_meter_refuses_another(backend, chain_id, meter):
    async def body():
        store = await opened(backend)
        await store.aclose()
        other = backend.store(chain_id=chain_id, meter=meter)
        with pytest.raises(InputError, match="belongs to chain"):
            await other.open()
        with pytest.raises(InputError, match="belongs to chain"):
            other.settlement_ledger()
        again = await opened(backend)  # the right meter still opens it
        await again.aclose()

    run(body())


def test_exposure_is_served_less_settled_times_the_price_over_the_payers_channels(backend):
    async def body():
        store = await opened(backend)
        await store.sync_state(state(1, price=5))
        await store.sync_state(state(2, price=7))
        await store.sync_state(state(1, OTHER_PAYER, price=100))
        assert await store.exposure(PAYER) == 0
        await store.commit(charge(voucher(10), 0, 10))
        await store.commit(charge(voucher(4, license_id=2), 0, 4))
        other = voucher(50, payer=OTHER_PAYER, key=OTHER_KEY)
        await store.commit(charge(other, 0, 50))
        assert await store.exposure(PAYER) == 10 * 5 + 4 * 7
        with store.settlement_ledger() as ledger:
            ledger.mark_settled((1, PAYER, OPERATOR), 6, 30, "0x" + "01" * 32)
            settled = ledger.channel((1, PAYER, OPERATOR))
        store.settled((1, PAYER, OPERATOR), settled.units, settled.reserve)
        await asyncio.sleep(0)  # SqliteStore applies it on the event loop
        assert await store.exposure(PAYER) == 4 * 5 + 4 * 7
        assert await store.exposure(OTHER_PAYER) == 50 * 100
        await store.aclose()

    run(body())


def test_unsettled_lists_each_channel_served_beyond_what_settled(backend):
    async def body():
        store = await opened(backend)
        await store.sync_state(state(1))
        await store.sync_state(state(2))
        await store.sync_state(state(3))
        await store.commit(charge(voucher(10), 0, 10))
        await store.commit(charge(voucher(4, license_id=2), 0, 4))
        with store.settlement_ledger() as ledger:
            ledger.mark_settled((2, PAYER, OPERATOR), 4, 20, "0x" + "01" * 32)
            unsettled = ledger.unsettled()
            assert [(r.state.license_id, r.served, u) for r, u in unsettled] == [(1, 10, 10)]
            assert unsettled[0][0] == ledger.record((1, PAYER, OPERATOR))
        await store.aclose()

    run(body())


def test_sync_state_follows_the_chain_and_keeps_what_was_served(backend):
    signed = voucher(10)

    async def body():
        store = await opened(backend)
        await store.sync_state(state())
        await store.commit(charge(signed, 0, 10))
        record = await store.sync_state(state(reserve=5, settled=2))
        assert (record.state.reserve, record.state.units) == (5, 2)
        assert (record.served, record.voucher, record.floor) == (10, signed, 10)
        assert await store.load(signed.voucher.channel) == record
        with store.settlement_ledger() as ledger:
            ledger.sync(state(settled=1))  # the chain is the source of truth (a reorg)
            assert ledger.settled_units(signed.voucher.channel) == 1
            ledger.sync_many([state(settled=3), state(2), state(3, OTHER_PAYER)])
            assert ledger.settled_units(signed.voucher.channel) == 3
            assert ledger.settled_units((2, PAYER, OPERATOR)) == 0
            assert ledger.settled_units((4, PAYER, OPERATOR)) == 0
            assert ledger.channel((3, OTHER_PAYER.lower(), OPERATOR)) == state(3, OTHER_PAYER)
            assert ledger.assets() == [(77, CURRENCY)]
            with pytest.raises(InputError):
                ledger.sync(state(license_id=2**256 - 1, price=2**256))
        await store.aclose()

    run(body())


def _units(signed):
    return signed.voucher.cumulative_units


# ------------------------------------------------------------------------------ PostgreSQL


def test_a_payment_id_used_meanwhile_is_a_conflict_that_writes_nothing(postgres_dsn):
    first, second = voucher(3), voucher(3, license_id=2)
    answer = StoredAnswer(200, {}, b"one", 3, 15)

    async def body():
        store = await opened(Postgres(postgres_dsn))
        await store.sync_state(state(1))
        await store.sync_state(state(2))
        await store.commit(charge(first, 0, 3, "same", answer))
        with pytest.raises(Conflict, match="payment id"):  # the same key on another channel
            await store.commit(charge(second, 0, 3, "same", StoredAnswer(200, {}, b"two", 3, 15)))
        assert await store.replay(PAYER, "same") == answer
        record = await store.load(second.voucher.channel)
        assert (record.served, record.voucher) == (0, None)
        await store.aclose()

    run(body())


def test_load_reads_what_another_replica_committed(postgres_dsn):
    channel = (1, PAYER, OPERATOR)

    async def body():
        one, two = await opened(Postgres(postgres_dsn)), await opened(Postgres(postgres_dsn))
        await one.sync_state(state())
        async with one.lock(channel):
            await one.commit(charge(voucher(3), 0, 3))
        async with two.lock(channel):
            record = await two.load(channel)
            assert record.served == 3
            await two.commit(charge(voucher(5), 3, 5))
        assert (await one.load(channel)).served == 5
        await one.aclose()
        await two.aclose()

    run(body())


def test_a_request_under_lock_needs_no_second_connection(postgres_dsn):
    """With a pool of one connection, held by the lock, everything the request asks still
    runs (on the lock's connection) instead of waiting for the pool forever."""
    channel = (1, PAYER, OPERATOR)

    async def body():
        store = PostgresStore(postgres_dsn, CHAIN, METER, min_size=1, max_size=1, pool_timeout=2)
        await store.open()
        _OPEN.append(store)
        async with asyncio.timeout(10), store.lock(channel):
            assert await store.replay(PAYER, "key") is None
            await store.sync_state(state())
            record = await store.load(channel)
            assert await store.exposure(PAYER) == 0
            await store.commit(
                charge(voucher(2), record.served, 2, "key", StoredAnswer(200, {}, b"", 2, 10))
            )
            assert (await store.replay(PAYER, "key")).units == 2
        assert (await store.load(channel)).served == 2  # from the pool again

    run(body())


def test_two_processes_hammering_one_channel_lose_no_update_and_never_conflict(postgres_dsn):
    """Each of 2 processes runs 2 tasks × 60 lock+load+commit on one channel."""

    async def body():
        store = await opened(Postgres(postgres_dsn))
        await store.sync_state(state(limit=10**9))
        await store.aclose()

    run(body())
    workers = [_worker("hammer", postgres_dsn, str(n), "2", "60") for n in range(2)]
    try:
        for w in workers:
            assert w.stdout.readline().strip() == "ready", w.stderr.read()
        for w in workers:  # both start together
            w.stdin.write("go\n")
            w.stdin.flush()
        results = []
        for w in workers:
            out, err = w.communicate(timeout=120)
            assert w.returncode == 0, err
            results.append(json.loads(out))
    finally:
        for w in workers:
            if w.poll() is None:
                w.kill()
                w.communicate()
    assert max(r["start"] for r in results) < min(r["end"] for r in results)  # they overlapped
    assert sum(r["conflicts"] for r in results) == 0
    assert sum(r["commits"] for r in results) == 2 * 2 * 60
    channel = (1, PAYER, OPERATOR)
    with PostgresStore(postgres_dsn, CHAIN, METER).settlement_ledger() as ledger:
        record = ledger.record(channel)
        history = [_units(s) for s in ledger.history(channel)]
    assert record.served == sum(r["units"] for r in results)
    assert _units(record.voucher) == record.served
    assert history == sorted(set(history)) and len(history) == 2 * 2 * 60
    assert history[-1] == record.served


def test_a_crashed_replica_releases_its_channel_lock(postgres_dsn):
    channel = (1, PAYER, OPERATOR)
    key = lock_key(CHAIN, METER, channel)

    async def prepare():
        store = await opened(Postgres(postgres_dsn))
        await store.sync_state(state())
        await store.aclose()

    run(prepare())
    holder = _worker("hold", postgres_dsn)
    try:
        assert holder.stdout.readline().strip() == "locked", holder.stderr.read()
        with psycopg.connect(postgres_dsn, autocommit=True) as conn:
            held = conn.execute("SELECT pg_try_advisory_lock(%s)", (key,)).fetchone()
        assert held == (False,)
    finally:
        holder.send_signal(signal.SIGKILL)  # a crash: no unlock, no clean disconnect
        holder.communicate(timeout=30)

    async def take_it():
        store = await opened(Postgres(postgres_dsn))
        async with asyncio.timeout(20), store.lock(channel):
            await store.commit(charge(voucher(1), 0, 1))
        await store.aclose()

    run(take_it())


def test_no_lock_outlives_its_block_an_error_or_a_cancelled_wait(postgres_dsn):
    channel = (1, PAYER, OPERATOR)
    key = lock_key(CHAIN, METER, channel)

    def free():
        with psycopg.connect(postgres_dsn, autocommit=True) as conn:
            taken = conn.execute("SELECT pg_try_advisory_lock(%s)", (key,)).fetchone()[0]
            conn.execute("SELECT pg_advisory_unlock_all()")
            return taken

    async def body():
        one, two = await opened(Postgres(postgres_dsn)), await opened(Postgres(postgres_dsn))
        with pytest.raises(RuntimeError):
            async with one.lock(channel):
                raise RuntimeError("the handler failed")
        assert await asyncio.to_thread(free)
        async with one.lock(channel):
            assert not await asyncio.to_thread(free)
            waiting = asyncio.create_task(_enter(two, channel))
            await asyncio.sleep(0.3)  # two's session now waits in pg_advisory_lock
            waiting.cancel()
            with pytest.raises(asyncio.CancelledError):
                await waiting
        assert await asyncio.to_thread(free)  # nobody holds it, nor got it late
        async with asyncio.timeout(10), two.lock(channel):  # and `two` still works
            assert not await asyncio.to_thread(free)
        assert await asyncio.to_thread(free)
        await one.aclose()
        await two.aclose()

    run(body())


async def _enter(store, channel):
    async with store.lock(channel):
        raise AssertionError("the lock was held elsewhere")


# ------------------------------------------------------------------------------ workers


def _worker(*args):
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT), str(ROOT / "tests")])}
    return subprocess.Popen(
        [sys.executable, __file__, *args],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )


async def _hammer(dsn, process, tasks, rounds):
    store = PostgresStore(dsn, CHAIN, METER, min_size=1, max_size=tasks)
    await store.open()
    channel = (1, PAYER, OPERATOR)
    totals = {"units": 0, "commits": 0, "conflicts": 0}
    print("ready", flush=True)
    await asyncio.to_thread(sys.stdin.readline)
    start = time.time()

    async def task(number):
        for i in range(rounds):
            used = 1 + (i + number) % 3
            async with store.lock(channel):
                record = await store.load(channel)
                signed = voucher(record.served + used)
                answer = StoredAnswer(200, {}, b"ok", used, used * 5)
                paid_id = f"{process}-{number}-{i}"
                paid = charge(signed, record.served, record.served + used, paid_id, answer)
                try:
                    await store.commit(paid)
                except Conflict:
                    totals["conflicts"] += 1
                    continue
            totals["units"] += used
            totals["commits"] += 1

    await asyncio.gather(*(task(n) for n in range(tasks)))
    end = time.time()
    await store.aclose()
    print(json.dumps({**totals, "start": start, "end": end}), flush=True)


async def _hold(dsn):
    store = PostgresStore(dsn, CHAIN, METER, min_size=1, max_size=2)
    await store.open()
    async with store.lock((1, PAYER, OPERATOR)):
        print("locked", flush=True)
        await asyncio.sleep(600)


if __name__ == "__main__":
    mode, dsn, *rest = sys.argv[1:]
    if mode == "hammer":
        asyncio.run(_hammer(dsn, rest[0], int(rest[1]), int(rest[2])))
    else:
        asyncio.run(_hold(dsn))
