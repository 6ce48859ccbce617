"""The gateway's ledger: what it served per channel, the vouchers backing it, and the stored
answer of every paid request, in one durable store the settlement reads.

One charge = one atomic write of: the channel's served units (compare-and-set from the value
the request started from), the voucher if it is the highest yet (and its history row), and
the request's stored answer under its idempotency key. The write is committed before the
answer is sent, so a crash at any point leaves either no charge and no answer, or both (a
retry with the same key replays it).

`served` and the highest voucher differ only for per-token pricing: a voucher authorises up
to `served + the call's maximum`, the call charges what it used. Settlement (`pending`) takes
for each channel the highest voucher that does not exceed what was served, so a payer never
pays for authorised units it did not use; what was served above that voucher waits for the
next one.

Two backends share this interface: `SqliteStore` (embedded, one gateway process; writes are
group-committed: one fsync for every charge queued meanwhile) and `PostgresStore`
(`seedbed.gateway.store_pg`, several replicas; a per-channel advisory lock serialises a
channel across them).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import queue
import sqlite3
import threading
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from typing import Any, Protocol

from seedbed.core.errors import InputError
from seedbed.core.vouchers import SignedVoucher, checksum_address
from seedbed.workflows import ledger_sql
from seedbed.workflows.ledger import Channel, ChannelReader, ChannelState, VoucherLedger

SCHEMA = """
CREATE TABLE IF NOT EXISTS gateway_served (
    license_id   TEXT NOT NULL,
    payer        TEXT NOT NULL,
    operator     TEXT NOT NULL,
    served_units TEXT NOT NULL,
    PRIMARY KEY (license_id, payer, operator)
) STRICT, WITHOUT ROWID;
-- The answer of every paid request that named an idempotency key, replayed on a retry.
CREATE TABLE IF NOT EXISTS gateway_requests (
    payer        TEXT NOT NULL,
    payment_id   TEXT NOT NULL,
    license_id   TEXT NOT NULL,
    units        TEXT NOT NULL,
    served_after TEXT NOT NULL,
    amount       TEXT NOT NULL,
    status       INTEGER NOT NULL,
    headers      TEXT NOT NULL,
    body         BLOB NOT NULL,
    created_at   INTEGER NOT NULL,
    PRIMARY KEY (payer, payment_id)
) STRICT, WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS voucher_history_units
    ON voucher_history (license_id, payer, operator, cumulative_units);
"""


@dataclass(frozen=True, slots=True)
class StoredAnswer:
    """A paid request's answer as sent, replayed byte for byte on a retry with its key."""

    status: int
    headers: dict[str, str]
    body: bytes
    units: int
    amount: int


@dataclass(frozen=True, slots=True)
class ChannelRecord:
    """What the gateway knows of one channel: the chain state last synced, the units it
    served (charged) and the highest voucher accepted."""

    state: ChannelState
    served: int
    voucher: SignedVoucher | None

    @property
    def floor(self) -> int:
        """What the next call's voucher must exceed: served or settled, whichever is more."""
        return max(self.served, self.state.units)


@dataclass(frozen=True, slots=True)
class Charge:
    """One served call to record: the channel goes from `served_before` to `served_after`."""

    voucher: SignedVoucher
    signer: str
    served_before: int
    served_after: int
    amount: int
    payment_id: str | None
    answer: StoredAnswer | None  # None: not stored (no key given)
    at: int = field(default_factory=lambda: int(time.time()))

    @property
    def units(self) -> int:
        return self.served_after - self.served_before


class Conflict(InputError):
    """The channel's served units moved under a charge (another replica served it)."""


class Store(Protocol):
    """What the metering needs of a ledger backend (both are also settlement ledgers)."""

    async def open(self) -> None: ...
    async def aclose(self) -> None: ...
    def lock(self, channel: Channel) -> contextlib.AbstractAsyncContextManager[None]: ...
    async def load(self, channel: Channel) -> ChannelRecord | None: ...
    async def sync_state(self, state: ChannelState) -> ChannelRecord: ...
    async def commit(self, charge: Charge) -> None: ...
    async def replay(self, payer: str, payment_id: str) -> StoredAnswer | None: ...
    async def exposure(self, payer: str) -> int: ...
    async def add_receipt(self, signed: SignedVoucher, signer: str) -> None: ...


# ------------------------------------------------------------------------------ SQLite


class SqliteStore:
    """The embedded backend: one gateway process owns the file (other readers, such as
    `ape run settle`, may share it). Channel records are cached in memory, so the hot path
    reads no disk; charges go to one writer thread that commits whatever is queued in one
    transaction (synchronous=FULL: one fsync per group)."""

    def __init__(
        self,
        path: str,
        chain_id: int,
        meter_address: str,
        reader: ChannelReader | None = None,
        *,
        max_group: int = 512,
    ) -> None:
        self.path = path
        self.chain_id = chain_id
        self.meter_address = meter_address
        self.reader = reader
        self.max_group = max_group
        self._records: dict[Channel, ChannelRecord] = {}
        self._payers_loaded: set[str] = set()
        self._locks: dict[Channel, asyncio.Lock] = {}
        self._queue: queue.Queue[tuple[Charge, asyncio.Future[None]] | None] = queue.Queue()
        self._thread: threading.Thread | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self.commits = 0  # transactions (fsyncs) so far
        self.charges = 0

    # ------------------------------------------------------------------ life cycle

    async def open(self) -> None:
        self._loop = asyncio.get_running_loop()
        self._ledger = self._connect()
        self._thread = threading.Thread(target=self._writer, name="ledger-writer", daemon=True)
        self._thread.start()

    def _connect(self) -> GatewayLedger:
        return GatewayLedger(self.path, self.chain_id, self.meter_address, self.reader)

    async def aclose(self) -> None:
        if self._thread is not None:
            self._queue.put(None)
            await asyncio.get_running_loop().run_in_executor(None, self._thread.join)
            self._thread = None

    def settlement_ledger(self) -> GatewayLedger:
        """A connection of its own for the settlement thread (same file, same rules)."""
        return self._connect()

    # ------------------------------------------------------------------ hot path

    def lock(self, channel: Channel) -> asyncio.Lock:
        lock = self._locks.get(channel)
        if lock is None:
            lock = self._locks[channel] = asyncio.Lock()
        return lock

    async def load(self, channel: Channel) -> ChannelRecord | None:
        record = self._records.get(channel)
        if record is None:
            record = self._ledger.record(channel)  # once per channel per process
            if record is not None:
                self._records[channel] = record
        return record

    async def sync_state(self, state: ChannelState) -> ChannelRecord:
        """Chain state read for a channel: durable (the settlement needs it) and cached."""
        ledger = self._ledger
        await asyncio.get_running_loop().run_in_executor(None, self._sync_in_writer, state)
        old = self._records.get(state.channel) or ledger.record(state.channel)
        record = ChannelRecord(state, old.served if old else 0, old.voucher if old else None)
        self._records[state.channel] = record
        return record

    def _sync_in_writer(self, state: ChannelState) -> None:
        # A separate short write; SQLite's busy timeout orders it with the writer thread.
        with GatewayLedger(self.path, self.chain_id, self.meter_address) as ledger:
            ledger.sync(state)

    def settled(self, channel: Channel, units: int, reserve: int) -> None:
        """The settlement recorded `units` settled (thread-safe: called from its thread)."""
        lic, payer, operator = channel
        key = (lic, checksum_address(payer, "payer"), checksum_address(operator, "operator"))
        if self._loop is not None:
            self._loop.call_soon_threadsafe(self._apply_settled, key, units, reserve)

    def _apply_settled(self, channel: Channel, units: int, reserve: int) -> None:
        record = self._records.get(channel)
        if record is not None and units > record.state.units:
            state = replace(record.state, units=units, reserve=reserve)
            self._records[channel] = ChannelRecord(state, record.served, record.voucher)

    async def commit(self, charge: Charge) -> None:
        """Durable before it returns; the cached record moves with it."""
        assert self._loop is not None
        future: asyncio.Future[None] = self._loop.create_future()
        self._queue.put((charge, future))
        channel = charge.voucher.voucher.channel
        try:
            await future
        except Conflict:
            self._records.pop(channel, None)  # re-read from the file on the next load
            raise
        record = self._records.get(channel) or self._ledger.record(channel)
        assert record is not None  # the charge was just written for it
        voucher = record.voucher
        if (
            voucher is None
            or charge.voucher.voucher.cumulative_units > voucher.voucher.cumulative_units
        ):
            voucher = charge.voucher
        self._records[channel] = ChannelRecord(record.state, charge.served_after, voucher)

    async def replay(self, payer: str, payment_id: str) -> StoredAnswer | None:
        return self._ledger.answer(payer, payment_id)

    async def add_receipt(self, signed: SignedVoucher, signer: str) -> None:
        """A voucher at (or below) what was served, for the history only: settlement then
        takes it (per-token channels), the channel's highest voucher stays as it is."""
        await asyncio.get_running_loop().run_in_executor(
            None, self._receipt_in_file, signed, signer
        )

    def _receipt_in_file(self, signed: SignedVoucher, signer: str) -> None:
        ledger = GatewayLedger(self.path, self.chain_id, self.meter_address)
        try:
            with ledger.transaction():
                ledger.append_history(signed, signer)
        finally:
            ledger.close()

    async def exposure(self, payer: str) -> int:
        """What the payer's channels here have been served and not settled, in base units
        (of whatever currency each is priced in: a cap is per payer, summed)."""
        if payer not in self._payers_loaded:  # channels served before this process started
            for record in self._ledger.records_of(payer):
                self._records.setdefault(record.state.channel, record)
            self._payers_loaded.add(payer)
        return sum(
            max(r.served - r.state.units, 0) * r.state.unit_price
            for (_, p, _), r in self._records.items()
            if p == payer
        )

    # ------------------------------------------------------------------ writer thread

    def _writer(self) -> None:
        ledger = self._connect()
        try:
            while True:
                item = self._queue.get()
                if item is None:
                    return
                group = [item]
                while len(group) < self.max_group:
                    try:
                        nxt = self._queue.get_nowait()
                    except queue.Empty:
                        break
                    if nxt is None:
                        self._queue.put(None)
                        break
                    group.append(nxt)
                self._write_group(ledger, group)
        finally:
            ledger.close()

    def _write_group(
        self, ledger: GatewayLedger, group: list[tuple[Charge, asyncio.Future[None]]]
    ) -> None:
        outcomes: list[BaseException | None] = []
        try:
            with ledger.transaction():
                for charge, _ in group:
                    # A savepoint per charge: one refused charge leaves the others in the group.
                    ledger.savepoint()
                    try:
                        ledger.write_charge(charge)
                    except (Conflict, sqlite3.IntegrityError) as err:
                        ledger.rollback_to_savepoint()
                        outcomes.append(err if isinstance(err, Conflict) else Conflict(str(err)))
                    else:
                        ledger.release_savepoint()
                        outcomes.append(None)
        except BaseException as err:  # the whole group failed to commit: none is charged
            outcomes = [err] * len(group)
        else:
            self.commits += 1
            self.charges += sum(1 for o in outcomes if o is None)
        assert self._loop is not None
        for (_, future), outcome in zip(group, outcomes, strict=True):
            self._loop.call_soon_threadsafe(_resolve, future, outcome)


def _resolve(future: asyncio.Future[None], outcome: BaseException | None) -> None:
    if future.done():
        return
    if outcome is None:
        future.set_result(None)
    else:
        future.set_exception(outcome)


class GatewayLedger(VoucherLedger):
    """The voucher ledger with what a gateway adds: served units per channel and stored
    answers. Its `pending` (VoucherLedger's, which sees the served table) settles what was
    served, never more, here and under `ape run settle --ledger FILE` alike."""

    def __init__(
        self, path: str, chain_id: int, meter_address: str, reader: ChannelReader | None = None
    ) -> None:
        super().__init__(path, chain_id, meter_address, reader)
        self._db.executescript("BEGIN IMMEDIATE;" + SCHEMA + "COMMIT;")

    def transaction(self) -> contextlib.AbstractContextManager[None]:
        return self._transaction()

    def savepoint(self) -> None:
        self._db.execute("SAVEPOINT charge")

    def release_savepoint(self) -> None:
        self._db.execute("RELEASE charge")

    def rollback_to_savepoint(self) -> None:
        self._db.execute("ROLLBACK TO charge")
        self._db.execute("RELEASE charge")

    def append_history(self, signed: SignedVoucher, signer: str) -> None:
        voucher = signed.voucher
        self._db.execute(
            ledger_sql.APPEND_HISTORY,
            {
                **_key(voucher.channel),
                "units": _word(voucher.cumulative_units),
                "deadline": _word(voucher.deadline),
                "signature": signed.signature,
                "signer": signer,
                "at": int(time.time()),
            },
        )

    def records_of(self, payer: str) -> list[ChannelRecord]:
        """Every channel of `payer` this ledger served."""
        rows = self._db.execute(
            "SELECT license_id, payer, operator FROM gateway_served WHERE payer = ?", (payer,)
        ).fetchall()
        records = [self.record((int(lic, 16), p, op)) for lic, p, op in rows]
        return [r for r in records if r is not None]

    def record(self, channel: Channel) -> ChannelRecord | None:
        state = self.channel(channel)
        if state is None:
            return None
        return ChannelRecord(state, self.served(channel), self.latest(channel))

    def served(self, channel: Channel) -> int:
        row = self._db.execute(
            "SELECT served_units FROM gateway_served"
            " WHERE license_id = :id AND payer = :payer AND operator = :operator",
            _key(channel),
        ).fetchone()
        return int(row[0], 16) if row else 0

    def write_charge(self, charge: Charge) -> None:
        """Inside a transaction: the served units (compare-and-set), the voucher, the answer."""
        voucher = charge.voucher.voucher
        key = _key(voucher.channel)
        if self.served(voucher.channel) != charge.served_before:
            raise Conflict(f"license {voucher.license_id}'s channel was served meanwhile.")
        self._db.execute(
            "INSERT INTO gateway_served VALUES (:id, :payer, :operator, :served)"
            " ON CONFLICT (license_id, payer, operator) DO UPDATE SET served_units = :served",
            {**key, "served": _word(charge.served_after)},
        )
        row = self._db.execute(
            "SELECT cumulative_units FROM channels"
            " WHERE license_id = :id AND payer = :payer AND operator = :operator",
            key,
        ).fetchone()
        stored = int(row[0], 16) if row and row[0] is not None else -1
        if voucher.cumulative_units > stored:
            values = {
                **key,
                "units": _word(voucher.cumulative_units),
                "deadline": _word(voucher.deadline),
                "signature": charge.voucher.signature,
                "signer": charge.signer,
                "at": charge.at,
            }
            self._db.execute(ledger_sql.ACCEPT, values)
            self._db.execute(ledger_sql.APPEND_HISTORY, values)
        if charge.payment_id is not None and charge.answer is not None:
            a = charge.answer
            self._db.execute(
                "INSERT INTO gateway_requests VALUES (:payer, :pid, :id, :units, :after,"
                " :amount, :status, :headers, :body, :at)",
                {
                    "payer": voucher.payer,
                    "pid": charge.payment_id,
                    "id": key["id"],
                    "units": str(a.units),
                    "after": str(charge.served_after),
                    "amount": str(a.amount),
                    "status": a.status,
                    "headers": encode_headers(a.headers),
                    "body": a.body,
                    "at": charge.at,
                },
            )

    def answer(self, payer: str, payment_id: str) -> StoredAnswer | None:
        row = self._db.execute(
            "SELECT status, headers, body, units, amount FROM gateway_requests"
            " WHERE payer = ? AND payment_id = ?",
            (payer, payment_id),
        ).fetchone()
        return None if row is None else decode_answer(row)

    def unsettled(self) -> list[tuple[ChannelRecord, int]]:
        """(record, units served and not settled) of every channel with some: the policy's
        view of what is at stake."""
        return unsettled_of(self.record(channel) for channel in self._channels_served())

    def _channels_served(self) -> list[Channel]:
        rows = self._db.execute("SELECT license_id, payer, operator FROM gateway_served")
        return [(int(lic, 16), payer, operator) for lic, payer, operator in rows]


# -------------------------------------------------------------- shared by both backends


def encode_headers(headers: dict[str, str]) -> str:
    """A stored answer's headers as text (kept in order: the replay sends them as they were)."""
    return json.dumps(headers)


def decode_answer(row: Sequence[Any]) -> StoredAnswer:
    """A stored answer from its (status, headers, body, units, amount) columns."""
    status, headers, body, units, amount = row
    return StoredAnswer(int(status), json.loads(headers), bytes(body), int(units), int(amount))


def unsettled_of(records: Iterable[ChannelRecord | None]) -> list[tuple[ChannelRecord, int]]:
    """(record, units served and not settled) of each record with some."""
    return [
        (r, r.served - r.state.units) for r in records if r is not None and r.served > r.state.units
    ]


def _key(channel: Channel) -> dict[str, Any]:
    lic, payer, operator = channel
    return {"id": _word(lic), "payer": payer, "operator": operator}


def _word(value: int) -> str:
    return f"{value:064x}"
