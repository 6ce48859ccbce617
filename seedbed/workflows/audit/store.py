"""The audit's local index: every decoded log of the audited contracts, in SQLite.

One transaction per ingested block range writes its events together with the progress
marker (last block and its hash), so an interrupted run resumes exactly where the last
committed range ended, and the primary key (block_number, log_index) makes a duplicate an
error rather than a silent double count. The index is a cache of the chain: when its identity
(chain, contracts, first block) changes it is rebuilt from scratch.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

from seedbed.core.errors import InputError

SCHEMA_VERSION = "1"
REORG_WINDOW = 64  # block hashes kept to detect a reorg of the ingested tip

_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS events (
    block_number INTEGER NOT NULL,
    log_index    INTEGER NOT NULL,
    block_time   INTEGER NOT NULL,
    tx_hash      TEXT NOT NULL,
    role         TEXT NOT NULL,
    name         TEXT NOT NULL,
    args         TEXT NOT NULL,
    PRIMARY KEY (block_number, log_index)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS blocks (number INTEGER PRIMARY KEY, hash TEXT NOT NULL);
-- The rebuilt ledger at `block`, so a warm run applies only newer events.
CREATE TABLE IF NOT EXISTS snapshot (
    id    INTEGER PRIMARY KEY CHECK (id = 1),
    block INTEGER NOT NULL,
    key   TEXT NOT NULL,
    data  TEXT NOT NULL
);
"""

Row = tuple[int, int, int, str, str, str, str]  # as stored in `events`


class EventStore:
    def __init__(self, path: str | Path, identity: dict[str, Any]) -> None:
        """Open (or create) the index at `path` for `identity` (chain id, contracts, start)."""
        self.path = Path(path)
        _refuse_foreign_file(self.path)
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self.db = sqlite3.connect(self.path, isolation_level=None)
        except (OSError, sqlite3.Error) as err:
            raise InputError(f"Cannot open the audit database {self.path}: {err}.") from err
        try:
            self.db.execute("PRAGMA journal_mode=WAL")
            # A cache of the chain: losing the last commit on power loss only means refetching.
            self.db.execute("PRAGMA synchronous=NORMAL")
            self.db.executescript(_SCHEMA)
        except sqlite3.DatabaseError as err:
            raise InputError(f"{self.path} is not an audit database: {err}.") from err
        self.identity = json.dumps(identity, sort_keys=True)
        self.start_block = int(identity["start_block"])
        self.was_reset = False
        if self._meta("identity") != self.identity or self._meta("schema") != SCHEMA_VERSION:
            self.was_reset = self._meta("identity") is not None
            self.reset()

    # -- progress ------------------------------------------------------------------------------

    def _meta(self, key: str) -> str | None:
        row = self.db.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return None if row is None else str(row[0])

    @property
    def last_block(self) -> int:
        """The last block whose events are all in the index (start_block - 1 when empty)."""
        value = self._meta("last_block")
        return self.start_block - 1 if value is None else int(value)

    @property
    def last_hash(self) -> str | None:
        return self._meta("last_hash")

    def reset(self) -> None:
        with self._transaction():
            self.db.execute("DELETE FROM events")
            self.db.execute("DELETE FROM blocks")
            self.db.execute("DELETE FROM snapshot")
            self.db.execute("DELETE FROM meta")
            self.db.executemany(
                "INSERT INTO meta VALUES (?, ?)",
                [("identity", self.identity), ("schema", SCHEMA_VERSION)],
            )

    def commit_range(
        self,
        rows: Sequence[Row],
        last_block: int,
        last_hash: str,
        hashes: Sequence[tuple[int, str]],
        before_commit: Callable[[], None] | None = None,
    ) -> None:
        """Store one range's events and move the progress marker, atomically."""
        with self._transaction():
            self.db.executemany("INSERT INTO events VALUES (?, ?, ?, ?, ?, ?, ?)", rows)
            self.db.executemany("INSERT OR REPLACE INTO blocks VALUES (?, ?)", hashes)
            self.db.execute(
                "DELETE FROM blocks WHERE number <= ?", (last_block - 4 * REORG_WINDOW,)
            )
            self._set_progress(last_block, last_hash)
            self._add_count(len(rows))
            if before_commit is not None:
                before_commit()  # tests inject a crash here: the whole range must roll back

    def save_hashes(self, hashes: Sequence[tuple[int, str]]) -> None:
        with self._transaction():
            self.db.executemany("INSERT OR REPLACE INTO blocks VALUES (?, ?)", hashes)

    def recent_hashes(self) -> list[tuple[int, str]]:
        """Stored (number, hash) of the newest ingested blocks, newest first."""
        cur = self.db.execute(
            "SELECT number, hash FROM blocks WHERE number <= ? AND number > ? ORDER BY number DESC",
            (self.last_block, self.last_block - REORG_WINDOW),
        )
        return [(int(n), str(h)) for n, h in cur]

    def rewind(self, block: int) -> int:
        """Forget everything after `block` (a reorg replaced it); returns events dropped."""
        with self._transaction():
            dropped = self.db.execute("DELETE FROM events WHERE block_number > ?", (block,))
            self.db.execute("DELETE FROM blocks WHERE number > ?", (block,))
            self.db.execute("DELETE FROM snapshot WHERE block > ?", (block,))
            row = self.db.execute("SELECT hash FROM blocks WHERE number = ?", (block,)).fetchone()
            self._set_progress(block, row[0] if row else "")
            self._add_count(-dropped.rowcount)
            return int(dropped.rowcount)

    def _set_progress(self, block: int, block_hash: str) -> None:
        self.db.executemany(
            "INSERT OR REPLACE INTO meta VALUES (?, ?)",
            [("last_block", str(block)), ("last_hash", block_hash)],
        )

    def _add_count(self, n: int) -> None:
        # count(*) scans the whole table; a counter kept in the same transaction does not.
        self.db.execute(
            "INSERT INTO meta VALUES ('count', ?) ON CONFLICT (key) DO UPDATE "
            "SET value = CAST(value AS INTEGER) + excluded.value",
            (n,),
        )

    def _transaction(self) -> _Tx:
        return _Tx(self.db)

    # -- reading -------------------------------------------------------------------------------

    def count(self) -> int:
        """Events stored."""
        value = self._meta("count")
        return 0 if value is None else int(value)

    def events(self, after: int = -1) -> Iterator[Row]:
        """Stored events after block `after` up to the progress marker, in chain order,
        streamed (constant memory)."""
        cur = self.db.execute(
            "SELECT * FROM events WHERE block_number > ? AND block_number <= ? "
            "ORDER BY block_number, log_index",
            (after, self.last_block),
        )
        while batch := cur.fetchmany(5000):
            yield from batch

    def save_snapshot(self, block: int, key: str, data: str) -> None:
        with self._transaction():
            self.db.execute(
                "INSERT OR REPLACE INTO snapshot VALUES (1, ?, ?, ?)", (block, key, data)
            )

    def load_snapshot(self, key: str) -> tuple[int, str] | None:
        """(block, data) of the stored snapshot made with `key`, if any and not ahead."""
        row = self.db.execute("SELECT block, key, data FROM snapshot WHERE id = 1").fetchone()
        if row is None or row[1] != key or int(row[0]) > self.last_block:
            return None
        return int(row[0]), str(row[2])

    def close(self) -> None:
        self.db.close()

    def __enter__(self) -> EventStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class _Tx:
    """BEGIN IMMEDIATE ... COMMIT, or ROLLBACK on any exception."""

    def __init__(self, db: sqlite3.Connection) -> None:
        self.db = db

    def __enter__(self) -> None:
        self.db.execute("BEGIN IMMEDIATE")

    def __exit__(self, kind: type[BaseException] | None, *rest: object) -> None:
        self.db.execute("COMMIT" if kind is None else "ROLLBACK")


SQLITE_HEADER = b"SQLite format 3\x00"


def _refuse_foreign_file(path: Path) -> None:
    """SQLite treats a file shorter than its 100-byte header as an empty database and would
    overwrite it: refuse any existing non-empty file that is not an SQLite database."""
    try:
        if not path.is_file() or path.stat().st_size == 0:
            return
        with path.open("rb") as f:
            head = f.read(len(SQLITE_HEADER))
    except OSError as err:
        raise InputError(f"Cannot open the audit database {path}: {err}.") from None
    if head != SQLITE_HEADER:
        raise InputError(
            f"{path} is not an audit database (not an SQLite file); nothing was written."
        )
