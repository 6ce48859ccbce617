"""The gateway's ledger in PostgreSQL, for several gateway replicas sharing one database.

Same interface and rules as `seedbed.gateway.store.SqliteStore` (see that module), with what
several processes need:

- `lock(channel)` serialises a channel across every replica: a session-level advisory lock
  (`pg_advisory_lock`) taken on a pooled connection and held for the block. The lock lives
  in the server and belongs to that session, so a replica that crashes or loses its
  connection releases it with the session (the server's TCP keepalives, set per session,
  notice a dead host). Inside the process, one asyncio lock per channel comes first, so
  concurrent requests on a hot channel wait in memory rather than each holding a connection.
- `load` reads the channel fresh from the database (another replica may have served it a
  moment ago); only the immutable `ChannelState` object is reused while its columns are
  unchanged. Under `lock`, whatever the task asks runs on the locking connection itself: a
  commit can only succeed while its session, and therefore the lock, is alive, and a request
  under lock needs no second connection.
- `commit` is one statement (one round trip, one transaction): the compare-and-set of the
  served units, the voucher if highest (and its history row), the stored answer. If the
  served units moved, nothing is written and `store.Conflict` is raised. PostgreSQL already
  shares one WAL flush between commits that arrive together (group commit), so concurrent
  charges from all replicas pay for fsyncs together without a writer thread here.

uint256 values are NUMERIC(78,0); addresses are checksummed text, as in the SQLite ledger.
PostgreSQL 12 or newer (tcp_user_timeout). Connections must reach PostgreSQL directly or
through a session-mode pooler: advisory session locks do not survive a transaction-mode
pooler (pgbouncer `pool_mode=transaction`).

`settlement_ledger()` gives the settlement thread a synchronous ledger over the same tables
(`PostgresLedger`), with the `VoucherLedger` methods `seedbed.workflows.meter` calls.
"""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import hashlib
import time
from collections.abc import AsyncIterator, Iterable, Sequence
from typing import Any

import psycopg
from psycopg import errors as pg_errors
from psycopg_pool import AsyncConnectionPool

from seedbed.core.errors import InputError
from seedbed.core.vouchers import SignedVoucher, Voucher, checksum_address
from seedbed.gateway.store import (
    ChannelRecord,
    Charge,
    Conflict,
    StoredAnswer,
    decode_answer,
    encode_headers,
    unsettled_of,
)
from seedbed.workflows import ledger_sql
from seedbed.workflows.ledger import (
    Channel,
    ChannelReader,
    ChannelState,
    _channel,
    _tx_hash,
    _uint,
)

SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
-- One row per channel: the chain state last synced and the highest voucher accepted.
CREATE TABLE IF NOT EXISTS channels (
    license_id         NUMERIC(78, 0) NOT NULL,
    payer              TEXT NOT NULL,
    operator           TEXT NOT NULL,
    asset_id           NUMERIC(78, 0) NOT NULL,
    currency           TEXT NOT NULL,
    unit_price         NUMERIC(78, 0) NOT NULL,
    reserve            NUMERIC(78, 0) NOT NULL,
    unit_limit         NUMERIC(78, 0) NOT NULL,
    settled_units      NUMERIC(78, 0) NOT NULL,
    withdrawal         NUMERIC(78, 0) NOT NULL,
    window_end         BIGINT NOT NULL,
    signer             TEXT NOT NULL,
    signer_is_contract BOOLEAN NOT NULL,
    signer_until       BIGINT NOT NULL,
    closes_at          BIGINT NOT NULL,
    synced_at          BIGINT NOT NULL,
    cumulative_units   NUMERIC(78, 0),
    deadline           NUMERIC(78, 0),
    signature          BYTEA,
    voucher_signer     TEXT,
    accepted_at        BIGINT,
    settle_tx          TEXT,
    PRIMARY KEY (license_id, payer, operator)
);
-- Append-only: every voucher ever accepted, for disputes, audits and per-token settlement.
CREATE TABLE IF NOT EXISTS voucher_history (
    seq              BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    license_id       NUMERIC(78, 0) NOT NULL,
    payer            TEXT NOT NULL,
    operator         TEXT NOT NULL,
    cumulative_units NUMERIC(78, 0) NOT NULL,
    deadline         NUMERIC(78, 0) NOT NULL,
    signature        BYTEA NOT NULL,
    signer           TEXT NOT NULL,
    accepted_at      BIGINT NOT NULL
);
CREATE INDEX IF NOT EXISTS voucher_history_units
    ON voucher_history (license_id, payer, operator, cumulative_units);
CREATE TABLE IF NOT EXISTS gateway_served (
    license_id   NUMERIC(78, 0) NOT NULL,
    payer        TEXT NOT NULL,
    operator     TEXT NOT NULL,
    served_units NUMERIC(78, 0) NOT NULL,
    PRIMARY KEY (license_id, payer, operator)
);
CREATE INDEX IF NOT EXISTS gateway_served_payer ON gateway_served (payer);
-- The answer of every paid request that named an idempotency key, replayed on a retry.
CREATE TABLE IF NOT EXISTS gateway_requests (
    payer        TEXT NOT NULL,
    payment_id   TEXT NOT NULL,
    license_id   NUMERIC(78, 0) NOT NULL,
    units        NUMERIC(78, 0) NOT NULL,
    served_after NUMERIC(78, 0) NOT NULL,
    amount       NUMERIC(78, 0) NOT NULL,
    status       INTEGER NOT NULL,
    headers      TEXT NOT NULL,
    body         BYTEA NOT NULL,
    created_at   BIGINT NOT NULL,
    PRIMARY KEY (payer, payment_id)
);
"""

# Serialises schema creation and the meta binding between replicas starting together
# (concurrent CREATE TABLE IF NOT EXISTS can fail on the catalog's unique index).
_SCHEMA_LOCK = int.from_bytes(hashlib.blake2b(b"seedbed-schema").digest()[:8], "big", signed=True)

_KEY = "license_id = %(id)s::numeric AND payer = %(payer)s AND operator = %(operator)s"
_STATE_COLUMNS = (
    "c.asset_id, c.currency, c.unit_price, c.reserve, c.settled_units, c.unit_limit, c.signer,"
    " c.closes_at, c.withdrawal, c.window_end, c.signer_is_contract, c.signer_until"
)
# A channel's record: chain state (12 columns), highest voucher (3), served units (1), key (3).
_RECORD = f"""
SELECT {_STATE_COLUMNS}, c.cumulative_units, c.deadline, c.signature, s.served_units,
    c.license_id, c.payer, c.operator
FROM channels c LEFT JOIN gateway_served s
    ON s.license_id = c.license_id AND s.payer = c.payer AND s.operator = c.operator
"""
LOAD = (
    _RECORD
    + "WHERE c.license_id = %(id)s::numeric AND c.payer = %(payer)s AND c.operator = %(operator)s"
)

SYNC = f"""
INSERT INTO channels AS c (license_id, payer, operator, asset_id, currency, unit_price,
    reserve, unit_limit, settled_units, withdrawal, window_end, signer, signer_is_contract,
    signer_until, closes_at, synced_at)
VALUES (%(id)s::numeric, %(payer)s, %(operator)s, %(asset)s::numeric, %(currency)s,
    %(price)s::numeric, %(reserve)s::numeric, %(limit)s::numeric, %(settled)s::numeric,
    %(withdrawal)s::numeric, %(window_end)s, %(signer)s, %(contract)s, %(until)s,
    %(closes_at)s, %(at)s)
ON CONFLICT (license_id, payer, operator) DO UPDATE SET
    asset_id = excluded.asset_id, currency = excluded.currency,
    unit_price = excluded.unit_price, reserve = excluded.reserve,
    unit_limit = excluded.unit_limit, settled_units = excluded.settled_units,
    withdrawal = excluded.withdrawal, window_end = excluded.window_end,
    signer = excluded.signer, signer_is_contract = excluded.signer_is_contract,
    signer_until = excluded.signer_until, closes_at = excluded.closes_at,
    synced_at = excluded.synced_at
RETURNING c.cumulative_units, c.deadline, c.signature,
    (SELECT s.served_units FROM gateway_served s WHERE s.{_KEY.replace(" AND ", " AND s.")})
"""

# One charge, one statement. `upd`/`ins` are the compare-and-set of the served units (an
# update from the expected value, or the first insert when starting from 0); everything
# else happens only if one of them did. Data-modifying CTEs all run, in one transaction.
COMMIT = f"""
WITH upd AS (
    UPDATE gateway_served SET served_units = %(after)s::numeric
    WHERE {_KEY} AND served_units = %(before)s::numeric
    RETURNING 1
), ins AS (
    INSERT INTO gateway_served (license_id, payer, operator, served_units)
    SELECT %(id)s::numeric, %(payer)s, %(operator)s, %(after)s::numeric
    WHERE %(before)s::numeric = 0 AND NOT EXISTS (SELECT 1 FROM gateway_served WHERE {_KEY})
    ON CONFLICT DO NOTHING
    RETURNING 1
), ok AS (
    SELECT 1 FROM upd UNION ALL SELECT 1 FROM ins
), acc AS (
    UPDATE channels SET cumulative_units = %(units)s::numeric,
        deadline = %(deadline)s::numeric, signature = %(signature)s,
        voucher_signer = %(signer)s, accepted_at = %(at)s
    WHERE {_KEY} AND (cumulative_units IS NULL OR cumulative_units < %(units)s::numeric)
      AND EXISTS (SELECT 1 FROM ok)
    RETURNING license_id, payer, operator, cumulative_units, deadline, signature,
        voucher_signer, accepted_at
), hist AS (
    INSERT INTO voucher_history (license_id, payer, operator, cumulative_units, deadline,
        signature, signer, accepted_at)
    SELECT * FROM acc
    RETURNING 1
), req AS (
    INSERT INTO gateway_requests (payer, payment_id, license_id, units, served_after, amount,
        status, headers, body, created_at)
    SELECT %(payer)s, %(pid)s, %(id)s::numeric, %(a_units)s::numeric, %(after)s::numeric,
        %(a_amount)s::numeric, %(status)s, %(headers)s, %(body)s, %(at)s
    WHERE %(pid)s::text IS NOT NULL AND EXISTS (SELECT 1 FROM ok)
    RETURNING 1
)
SELECT (SELECT count(*) FROM ok), (SELECT count(*) FROM hist)
"""

REPLAY = """
SELECT status, headers, body, units, amount FROM gateway_requests
WHERE payer = %s AND payment_id = %s
"""

EXPOSURE = """
SELECT COALESCE(SUM(GREATEST(s.served_units - c.settled_units, 0) * c.unit_price), 0)
FROM gateway_served s JOIN channels c
    ON c.license_id = s.license_id AND c.payer = s.payer AND c.operator = s.operator
WHERE s.payer = %s
"""

# GatewayLedger.pending's rule: per channel the highest voucher not above the units served
# (the stored one if the gateway never served the channel), if it settles anything.
PENDING = """
SELECT license_id, payer, operator, units, deadline, signature FROM (
    SELECT c.license_id, c.payer, c.operator, c.settled_units,
        CASE WHEN s.served_units IS NULL OR c.cumulative_units <= s.served_units
            THEN c.cumulative_units ELSE h.cumulative_units END AS units,
        CASE WHEN s.served_units IS NULL OR c.cumulative_units <= s.served_units
            THEN c.deadline ELSE h.deadline END AS deadline,
        CASE WHEN s.served_units IS NULL OR c.cumulative_units <= s.served_units
            THEN c.signature ELSE h.signature END AS signature
    FROM channels c
    LEFT JOIN gateway_served s
        ON s.license_id = c.license_id AND s.payer = c.payer AND s.operator = c.operator
    LEFT JOIN LATERAL (
        SELECT v.cumulative_units, v.deadline, v.signature FROM voucher_history v
        WHERE v.license_id = c.license_id AND v.payer = c.payer AND v.operator = c.operator
          AND c.cumulative_units > s.served_units AND v.cumulative_units <= s.served_units
        ORDER BY v.cumulative_units DESC LIMIT 1
    ) h ON true
    WHERE c.cumulative_units IS NOT NULL
) p
WHERE units > settled_units
ORDER BY deadline, license_id, payer, operator
"""

# A settlement this process sent: never backwards, and the reserve moves with it atomically.
MARK_SETTLED = f"""
UPDATE channels SET settled_units = %(units)s::numeric,
    reserve = GREATEST(reserve - %(amount)s::numeric, 0), settle_tx = %(tx)s
WHERE {_KEY} AND %(units)s::numeric > settled_units
"""


# ------------------------------------------------------------------------------ the store


class PostgresStore:
    """The replicated backend: every gateway replica opens one on the same database.

    `dsn` is a libpq connection string or URL. The pool holds at most `max_size`
    connections; a held `lock` occupies one, so it bounds the channels one replica serves at
    once (a request beyond waits up to `pool_timeout` seconds, then fails). `lock_timeout`
    (seconds, None = wait forever) bounds the wait for a channel another replica holds.
    """

    def __init__(
        self,
        dsn: str,
        chain_id: int,
        meter_address: str,
        reader: ChannelReader | None = None,
        *,
        min_size: int = 2,
        max_size: int = 20,
        pool_timeout: float = 30.0,
        lock_timeout: float | None = None,
    ) -> None:
        self.dsn = dsn
        self.chain_id = chain_id
        self.meter_address = checksum_address(meter_address, "meter address")
        self.reader = reader
        self.min_size = min_size
        self.max_size = max_size
        self.pool_timeout = pool_timeout
        self.lock_timeout = lock_timeout
        self._pool: AsyncConnectionPool | None = None
        self._local: dict[Channel, tuple[asyncio.Lock, int]] = {}  # (lock, users)
        # The connection of the lock the current task holds: everything the task asks under
        # the lock runs on it, so the commit shares the lock's session and a task under lock
        # never waits for a second connection (which a pool full of lock holders could never
        # free). `_holding` has the ids of the connections whose lock is still held.
        self._task_conn: contextvars.ContextVar[psycopg.AsyncConnection[Any] | None] = (
            contextvars.ContextVar(f"seedbed-ledger-{id(self)}", default=None)
        )
        self._holding: set[int] = set()
        self._states: dict[Channel, tuple[tuple[Any, ...], ChannelState]] = {}
        self.commits = 0  # transactions so far (one per charge)
        self.charges = 0

    # ------------------------------------------------------------------ life cycle

    async def open(self) -> None:
        # Schema and binding first, synchronously (once per process): a wrong meter fails here.
        await asyncio.to_thread(self._prepare)
        pool: AsyncConnectionPool = AsyncConnectionPool(
            self.dsn,
            min_size=self.min_size,
            max_size=self.max_size,
            kwargs={"autocommit": True},
            configure=self._configure,
            timeout=self.pool_timeout,
            name="seedbed-ledger",
            open=False,
        )
        await pool.open(wait=True, timeout=self.pool_timeout)
        self._pool = pool

    def _prepare(self) -> None:
        PostgresLedger(self.dsn, self.chain_id, self.meter_address).close()

    async def _configure(self, conn: psycopg.AsyncConnection[Any]) -> None:
        # The server notices a vanished replica within ~30 s and ends its session, which
        # releases its advisory locks (the OS default would be two hours).
        settings = {
            "tcp_keepalives_idle": "10",
            "tcp_keepalives_interval": "5",
            "tcp_keepalives_count": "4",
            "tcp_user_timeout": "30000",
            "lock_timeout": f"{int(self.lock_timeout * 1000)}ms" if self.lock_timeout else "0",
        }
        calls = ", ".join("set_config(%s, %s, false)" for _ in settings)
        await conn.execute(f"SELECT {calls}", [x for item in settings.items() for x in item])

    async def aclose(self) -> None:
        if self._pool is not None:
            await self._pool.close()
            self._pool = None

    def settlement_ledger(self) -> PostgresLedger:
        """A synchronous connection of its own for the settlement thread (same tables)."""
        return PostgresLedger(self.dsn, self.chain_id, self.meter_address)

    @property
    def pool(self) -> AsyncConnectionPool:
        if self._pool is None:
            raise InputError("the PostgreSQL ledger is not open (call open() first).")
        return self._pool

    # ------------------------------------------------------------------ hot path

    @contextlib.asynccontextmanager
    async def lock(self, channel: Channel) -> AsyncIterator[None]:
        """Hold `channel` against every other request of every replica until the block ends."""
        local, users = self._local.get(channel, (None, 0))
        if local is None:
            local = asyncio.Lock()
        self._local[channel] = (local, users + 1)
        try:
            async with local, self.pool.connection() as conn:
                key = lock_key(self.chain_id, self.meter_address, channel)
                try:
                    await conn.execute("SELECT pg_advisory_lock(%s)", (key,))
                except BaseException:
                    # Cancelled or failed mid-wait: the lock may have been granted anyway.
                    # Ending the session releases it for sure.
                    await conn.close()
                    raise
                outer = self._task_conn.get()
                self._task_conn.set(conn)
                self._holding.add(id(conn))
                try:
                    yield
                finally:
                    self._holding.discard(id(conn))
                    self._task_conn.set(outer)
                    await _unlock(conn, key)
        finally:
            local, users = self._local[channel]
            if users == 1:
                del self._local[channel]
            else:
                self._local[channel] = (local, users - 1)

    @contextlib.asynccontextmanager
    async def _connection(self) -> AsyncIterator[psycopg.AsyncConnection[Any]]:
        """The connection of the lock this task holds, else one from the pool."""
        held = self._task_conn.get()
        if held is not None and id(held) in self._holding:
            yield held
        else:
            async with self.pool.connection() as conn:
                yield conn

    async def load(self, channel: Channel) -> ChannelRecord | None:
        """The channel as the database has it now (None until its chain state is synced)."""
        async with self._connection() as conn:
            cursor = await conn.execute(LOAD, _key(channel))
            row = await cursor.fetchone()
        return None if row is None else self._record(channel, row)

    async def sync_state(self, state: ChannelState) -> ChannelRecord:
        """Chain state read for a channel: durable (every replica and the settlement see it)."""
        async with self._connection() as conn:
            cursor = await conn.execute(SYNC, _state_values(state))
            row = await cursor.fetchone()
        assert row is not None
        units, deadline, signature, served = row
        return ChannelRecord(
            state,
            int(served) if served is not None else 0,
            _voucher(state.channel, units, deadline, signature),
        )

    def settled(self, channel: Channel, units: int, reserve: int) -> None:
        """The settlement recorded `units` settled: nothing to do, `load` reads the database."""

    async def commit(self, charge: Charge) -> None:
        """Durable before it returns (Conflict, and nothing written, if served moved)."""
        voucher = charge.voucher.voucher
        values = _charge_values(charge)
        async with self._connection() as conn:
            try:
                cursor = await conn.execute(COMMIT, values)
            except pg_errors.UniqueViolation as err:
                if err.diag.table_name != "gateway_requests":
                    raise
                raise Conflict(
                    f"the payment id {charge.payment_id!r} of {voucher.payer} was used by "
                    "another request meanwhile."
                ) from None
            row = await cursor.fetchone()
        self.commits += 1
        if row is None or row[0] == 0:
            raise Conflict(f"license {voucher.license_id}'s channel was served meanwhile.")
        self.charges += 1

    async def replay(self, payer: str, payment_id: str) -> StoredAnswer | None:
        async with self._connection() as conn:
            cursor = await conn.execute(REPLAY, (payer, payment_id))
            row = await cursor.fetchone()
        return None if row is None else decode_answer(row)

    async def add_receipt(self, signed: SignedVoucher, signer: str) -> None:
        """A voucher at (or below) what was served, for the history only (see SqliteStore)."""
        v = signed.voucher
        async with self._connection() as conn:
            await conn.execute(
                "INSERT INTO voucher_history (license_id, payer, operator, cumulative_units,"
                " deadline, signature, signer, accepted_at)"
                " VALUES (%s, %s, %s, %s, %s, %s, %s, %s)",
                (
                    v.license_id,
                    v.payer,
                    v.operator,
                    v.cumulative_units,
                    v.deadline,
                    signed.signature,
                    signer,
                    int(time.time()),
                ),
            )

    async def exposure(self, payer: str) -> int:
        """What the payer's channels (all replicas) have been served and not settled, in base
        units of whatever currency each is priced in, summed."""
        async with self._connection() as conn:
            cursor = await conn.execute(EXPOSURE, (payer,))
            row = await cursor.fetchone()
        return int(row[0]) if row is not None else 0

    def _record(self, channel: Channel, row: Sequence[Any]) -> ChannelRecord:
        """A row of LOAD as a record; the ChannelState object is reused while unchanged."""
        chain = tuple(row[:12])
        cached = self._states.get(channel)
        if cached is not None and cached[0] == chain:
            state = cached[1]
        else:
            state = _state(channel, chain)
            self._states[channel] = (chain, state)
        units, deadline, signature, served = row[12:16]
        return ChannelRecord(
            state,
            int(served) if served is not None else 0,
            _voucher(channel, units, deadline, signature),
        )


async def _unlock(conn: psycopg.AsyncConnection[Any], key: int) -> None:
    """Release the advisory lock, or end the session if that cannot be confirmed: a
    connection must never go back to the pool still holding a channel."""
    try:
        cursor = await conn.execute("SELECT pg_advisory_unlock(%s)", (key,))
        row = await cursor.fetchone()
        released = bool(row and row[0])
    except BaseException:
        await conn.close()
        raise
    if not released:
        await conn.close()


def lock_key(chain_id: int, meter_address: str, channel: Channel) -> int:
    """The advisory lock's 64-bit key for a channel of one meter (a hash collision only
    serialises two channels more than needed; correctness never depends on the key)."""
    lic, payer, operator = channel
    text = f"seedbed-channel:{chain_id}:{meter_address}:{lic}:{payer}:{operator}".lower()
    return int.from_bytes(
        hashlib.blake2b(text.encode(), digest_size=8).digest(), "big", signed=True
    )


# ------------------------------------------------------------------------------ settlement


class PostgresLedger:
    """The settlement's view of a PostgreSQL gateway ledger: the `VoucherLedger` methods
    `seedbed.workflows.meter` calls, with GatewayLedger's `pending` rule. One object per
    thread (one synchronous connection)."""

    def __init__(self, dsn: str, chain_id: int, meter_address: str) -> None:
        self.dsn = dsn
        self.chain_id = chain_id
        self.meter_address = checksum_address(meter_address, "meter address")
        try:
            self._db: psycopg.Connection[Any] = psycopg.connect(dsn, autocommit=True)
        except psycopg.OperationalError as exc:
            reason = str(exc).strip().rstrip(".")
            raise InputError(f"the PostgreSQL ledger cannot be reached: {reason}.") from None
        try:
            with self._db.transaction():
                self._db.execute("SELECT pg_advisory_xact_lock(%s)", (_SCHEMA_LOCK,))
                self._db.execute(SCHEMA)
                self._bind_to_meter()
        except BaseException:
            self._db.close()
            raise

    def _bind_to_meter(self) -> None:
        """Refuse a database written for another chain or meter (as VoucherLedger does)."""
        expected = {
            "schema_version": str(ledger_sql.SCHEMA_VERSION),
            "chain_id": str(self.chain_id),
            "meter_address": self.meter_address,
        }
        stored = dict(self._db.execute("SELECT key, value FROM meta").fetchall())
        if not stored:
            with self._db.cursor() as cursor:
                cursor.executemany("INSERT INTO meta VALUES (%s, %s)", list(expected.items()))
        elif stored != expected:
            raise InputError(
                f"the PostgreSQL ledger belongs to chain {stored.get('chain_id')} meter "
                f"{stored.get('meter_address')} (schema {stored.get('schema_version')}), not "
                f"chain {expected['chain_id']} meter {expected['meter_address']}."
            )

    # ------------------------------------------------------------------ chain state

    def sync(self, state: ChannelState) -> None:
        self._db.execute(SYNC, _state_values(state))

    def sync_many(self, states: Iterable[ChannelState]) -> None:
        rows = [_state_values(s) for s in states]
        if rows:
            with self._db.transaction(), self._db.cursor() as cursor:
                cursor.executemany(SYNC, rows)

    def channel(self, channel: Channel) -> ChannelState | None:
        """The chain state last synced for a channel, if any."""
        record = self.record(channel)
        return record.state if record is not None else None

    def settled_units(self, channel: Channel) -> int:
        state = self.channel(channel)
        return state.units if state is not None else 0

    # ------------------------------------------------------------------ reading

    def record(self, channel: Channel) -> ChannelRecord | None:
        channel = _channel(channel)
        row = self._db.execute(LOAD, _key(channel)).fetchone()
        if row is None:
            return None
        return ChannelRecord(
            _state(channel, row[:12]),
            int(row[15]) if row[15] is not None else 0,
            _voucher(channel, *row[12:15]),
        )

    def served(self, channel: Channel) -> int:
        record = self.record(channel)
        return record.served if record is not None else 0

    def latest(self, channel: Channel) -> SignedVoucher | None:
        """The highest voucher stored for a channel, if any."""
        record = self.record(channel)
        return record.voucher if record is not None else None

    def history(self, channel: Channel) -> list[SignedVoucher]:
        """Every voucher accepted for a channel, oldest first."""
        channel = _channel(channel)
        rows = self._db.execute(
            f"SELECT cumulative_units, deadline, signature FROM voucher_history WHERE {_KEY}"
            " ORDER BY seq",
            _key(channel),
        ).fetchall()
        return [SignedVoucher(Voucher(*channel, int(u), int(d)), bytes(s)) for u, d, s in rows]

    def voucher_count(self) -> int:
        """How many channels the ledger holds a voucher for."""
        row = self._db.execute(
            "SELECT COUNT(*) FROM channels WHERE cumulative_units IS NOT NULL"
        ).fetchone()
        return int(row[0]) if row else 0

    def answer(self, payer: str, payment_id: str) -> StoredAnswer | None:
        row = self._db.execute(REPLAY, (payer, payment_id)).fetchone()
        return None if row is None else decode_answer(row)

    # ------------------------------------------------------------------ settling

    def pending(self) -> list[SignedVoucher]:
        """Per channel, the highest voucher not above the units served (all of a voucher's
        units when the channel was never served through the gateway: an imported voucher),
        if it settles more than the chain has; soonest deadline first."""
        return [
            SignedVoucher(Voucher(int(lic), payer, operator, int(units), int(deadline)), bytes(sig))
            for lic, payer, operator, units, deadline, sig in self._db.execute(PENDING)
        ]

    def unsettled(self) -> list[tuple[ChannelRecord, int]]:
        """(record, units served and not settled) of every channel with some."""
        query = _RECORD + "WHERE s.served_units > c.settled_units ORDER BY 17, 18, 19"
        rows = self._db.execute(query).fetchall()
        records = []
        for row in rows:
            channel = _channel_of(row)
            records.append(
                ChannelRecord(
                    _state(channel, row[:12]), int(row[15]), _voucher(channel, *row[12:15])
                )
            )
        return unsettled_of(records)

    def mark_settled(
        self, channel: Channel, cumulative_units: int, amount: int, tx_hash: str | bytes
    ) -> None:
        """Record a `UsageSettled` of `channel` up to `cumulative_units`, charging `amount`
        from its reserve, in `tx_hash`. An older settlement reported late changes nothing."""
        values = {
            **_key(_channel(channel)),
            "units": _uint(cumulative_units, "settled units"),
            "amount": _uint(amount, "amount"),
            "tx": _tx_hash(tx_hash),
        }
        self._db.execute(MARK_SETTLED, values)

    def assets(self) -> list[tuple[int, str]]:
        """Every (asset, currency) a channel of this ledger pays."""
        rows = self._db.execute(ledger_sql.ASSETS).fetchall()
        return [(int(a), c) for a, c in rows]

    def close(self) -> None:
        self._db.close()

    def __enter__(self) -> PostgresLedger:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()


# ------------------------------------------------------------------------------ helpers


def _key(channel: Channel) -> dict[str, Any]:
    lic, payer, operator = channel
    return {"id": lic, "payer": payer, "operator": operator}


def _channel_of(row: Sequence[Any]) -> Channel:
    """The channel of a _RECORD row (its last three columns)."""
    return (int(row[16]), row[17], row[18])


def _state(channel: Channel, row: Sequence[Any]) -> ChannelState:
    asset, currency, price, reserve, settled, limit, signer, closes, wd, end, c, until = row
    lic, payer, operator = channel
    return ChannelState(
        lic, payer, operator, int(asset), currency, int(price), int(reserve), int(settled),
        int(limit), signer, int(closes), int(wd), int(end), bool(c), int(until),
    )  # fmt: skip


def _voucher(channel: Channel, units: Any, deadline: Any, signature: Any) -> SignedVoucher | None:
    if units is None:
        return None
    lic, payer, operator = channel
    return SignedVoucher(Voucher(lic, payer, operator, int(units), int(deadline)), bytes(signature))


def _state_values(s: ChannelState) -> dict[str, Any]:
    return {
        "id": _uint(s.license_id, "license id"),
        "payer": s.payer,
        "operator": s.operator,
        "asset": _uint(s.asset_id, "asset id"),
        "currency": s.currency,
        "price": _uint(s.unit_price, "unit price"),
        "reserve": _uint(s.reserve, "reserve"),
        "limit": _uint(s.unit_limit, "unit limit"),
        "settled": _uint(s.units, "settled units"),
        "withdrawal": _uint(s.withdrawal, "withdrawal"),
        "window_end": s.window_end,
        "signer": s.signer,
        "contract": bool(s.signer_is_contract),
        "until": s.signer_until,
        "closes_at": s.closes_at,
        "at": int(time.time()),
    }


def _charge_values(charge: Charge) -> dict[str, Any]:
    voucher = charge.voucher.voucher
    answer = charge.answer if charge.payment_id is not None else None
    return {
        **_key(voucher.channel),
        "before": charge.served_before,
        "after": charge.served_after,
        "units": voucher.cumulative_units,
        "deadline": voucher.deadline,
        "signature": charge.voucher.signature,
        "signer": charge.signer,
        "at": charge.at,
        "pid": charge.payment_id if answer is not None else None,
        "a_units": answer.units if answer else 0,
        "a_amount": answer.amount if answer else 0,
        "status": answer.status if answer else 0,
        "headers": encode_headers(answer.headers) if answer else "{}",
        "body": answer.body if answer else b"",
    }
