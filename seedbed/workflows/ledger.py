"""A gateway's durable ledger of usage vouchers, between off-chain acceptance and settlement.

A gateway serves calls, takes a signed cumulative voucher for them, and settles on chain
later in bulk. Crash safety follows from two rules:

- `accept` commits before it returns, so an acknowledged voucher is never lost;
- vouchers are cumulative and the chain records settled units per license, so the ledger
  only has to remember the highest voucher per license and what the chain has settled:
  `pending()` after a restart is exactly what is left, and a voucher re-submitted after it
  was settled charges nothing (the meter charges `units - settled`).

Durability: WAL with synchronous=FULL by default, so each commit fsyncs the WAL and an
acknowledged voucher survives power loss, not only a killed process. NORMAL (opt-in) also
survives SIGKILL, since the commit is in the OS cache, but an OS crash may drop the last
commits: served calls nobody can bill. FULL costs one fsync per commit, so a single
`accept` runs at the disk's fsync rate; `accept_many` shares one fsync across a batch, which
is how a busy gateway should group concurrent requests.
"""

from __future__ import annotations

import os
import sqlite3
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from itertools import islice
from typing import Literal, TypeVar

from eth_typing import ChecksumAddress

from seedbed.core.constants import UINT64_MAX
from seedbed.core.errors import InputError
from seedbed.core.vouchers import SignedVoucher, Voucher, VoucherDomain, checksum_address
from seedbed.workflows import ledger_sql as sql

MAX_UNITS = UINT64_MAX  # UsageMeter stores units used as uint64 and refuses vouchers above it

HolderLookup = Callable[[int], str | None]  # license id -> its holder's address
_T = TypeVar("_T")


@dataclass(frozen=True, slots=True)
class Accepted:
    """A voucher stored durably; `new_units` is what it adds to the units already signed
    or settled for the license (what settling it would charge, if nothing else is)."""

    voucher: SignedVoucher
    signer: ChecksumAddress
    previous_units: int  # the highest of the stored voucher and the settled units

    @property
    def new_units(self) -> int:
        return self.voucher.voucher.cumulative_units - self.previous_units


@dataclass(frozen=True, slots=True)
class Rejected:
    """A voucher `accept_many` refused, with the one-sentence reason `accept` would raise."""

    voucher: SignedVoucher
    reason: str


@dataclass(frozen=True, slots=True)
class _Verified:
    signed: SignedVoucher
    signer: ChecksumAddress


class VoucherLedger:
    """Vouchers for one meter on one chain, in one SQLite file that processes may share.

    Give `holder_lookup` (or `expected_signer` per call): without either, any well-formed
    signature is accepted and only settlement would show it is not the holder's.
    One object per thread (sqlite3 connections are not shared across threads).
    """

    def __init__(
        self,
        path: str | os.PathLike[str],
        chain_id: int,
        meter_address: str,
        holder_lookup: HolderLookup | None = None,
        *,
        synchronous: Literal["FULL", "NORMAL"] = "FULL",
    ) -> None:
        if synchronous not in ("FULL", "NORMAL"):
            raise InputError(f"synchronous must be FULL or NORMAL, not {synchronous!r}.")
        self.domain = VoucherDomain(chain_id, meter_address)
        self.holder_lookup = holder_lookup
        self.path = os.fspath(path)
        # isolation_level=None: we issue BEGIN/COMMIT ourselves, one transaction per write.
        self._db = sqlite3.connect(self.path, isolation_level=None)
        try:
            self._db.execute("PRAGMA busy_timeout = 10000")  # wait for other gateway workers
            self._db.execute("PRAGMA journal_mode = WAL")
            self._db.execute(f"PRAGMA synchronous = {synchronous}")
            self._db.executescript("BEGIN IMMEDIATE;" + sql.SCHEMA + "COMMIT;")
            with self._transaction():
                self._bind_to_meter()
        except sqlite3.DatabaseError as exc:
            self._db.close()
            raise InputError(f"the voucher ledger {self.path} cannot be opened: {exc}.") from None
        except BaseException:
            self._db.close()
            raise

    # ------------------------------------------------------------------------ accepting

    def accept(
        self,
        signed: SignedVoucher,
        expected_signer: str | None = None,
        *,
        now: int | None = None,
    ) -> Accepted:
        """Verify and store one voucher, committed before this returns; InputError if refused.

        The signer must be `expected_signer` if given, else `holder_lookup(license_id)` if
        the ledger has one. Refused: expired, not above the highest voucher or settlement
        already recorded for the license (stale or replayed), or badly signed.
        """
        verified = self._verify(signed, expected_signer, _now(now))
        (result,) = self._store([verified])
        if isinstance(result, Rejected):
            raise InputError(result.reason)
        return result

    def accept_many(
        self,
        signed_vouchers: Iterable[SignedVoucher],
        *,
        now: int | None = None,
        batch_size: int = 256,
    ) -> list[Accepted | Rejected]:
        """Verify and store many vouchers, one transaction (one fsync) per batch.

        Returns one result per voucher, in order, once every batch is committed; signers are
        checked with `holder_lookup` when the ledger has one.
        """
        if batch_size < 1:
            raise InputError(f"the batch size must be at least 1, not {batch_size}.")
        at = _now(now)
        results: list[Accepted | Rejected] = []
        for batch in _chunks(signed_vouchers, batch_size):
            checked: list[_Verified | Rejected] = []
            for signed in batch:
                try:
                    checked.append(self._verify(signed, None, at))
                except InputError as exc:
                    checked.append(Rejected(signed, exc.message))
            results.extend(self._store(checked))
        return results

    def _verify(self, signed: SignedVoucher, expected_signer: str | None, now: int) -> _Verified:
        voucher = signed.voucher
        if voucher.deadline < now:
            raise InputError(
                f"the voucher for license {voucher.license_id} expired at {voucher.deadline}."
            )
        if voucher.cumulative_units > MAX_UNITS:
            raise InputError(
                f"the voucher for license {voucher.license_id} covers {voucher.cumulative_units} "
                f"units, more than the meter counts ({MAX_UNITS})."
            )
        signer = self.domain.recover(signed)
        if expected_signer is None and self.holder_lookup is not None:
            expected_signer = self.holder_lookup(voucher.license_id)
            if not expected_signer:  # never let a missing holder switch the check off
                raise InputError(f"license {voucher.license_id} has no holder to sign for it.")
        if expected_signer is not None:
            expected = checksum_address(expected_signer, "expected signer")
            if signer != expected:
                raise InputError(
                    f"the voucher for license {voucher.license_id} is signed by {signer}, "
                    f"not by the holder {expected}."
                )
        return _Verified(signed, signer)

    def _store(self, checked: list[_Verified | Rejected]) -> list[Accepted | Rejected]:
        """Write the verified vouchers in one transaction; stale ones become Rejected."""
        results: list[Accepted | Rejected] = []
        at = int(time.time())
        with self._transaction():
            for item in checked:
                if isinstance(item, Rejected):
                    results.append(item)
                    continue
                voucher = item.signed.voucher
                license_key = _word(voucher.license_id)
                stored, settled = self._db.execute(sql.HIGHEST, {"id": license_key}).fetchone()
                floor = max(
                    _int(stored) if stored is not None else 0,
                    _int(settled) if settled is not None else 0,
                )
                if voucher.cumulative_units <= floor:
                    reason = (
                        f"the voucher for license {voucher.license_id} covers "
                        f"{voucher.cumulative_units} units, not more than the {floor} "
                        "already signed or settled."
                    )
                    results.append(Rejected(item.signed, reason))
                    continue
                row = {
                    "id": license_key,
                    "units": _word(voucher.cumulative_units),
                    "deadline": _word(voucher.deadline),
                    "signature": item.signed.signature,
                    "signer": item.signer,
                    "at": at,
                }
                self._db.execute(sql.UPSERT_VOUCHER, row)
                self._db.execute(sql.APPEND_HISTORY, row)
                results.append(Accepted(item.signed, item.signer, floor))
        return results

    # ------------------------------------------------------------------------- settling

    def pending(self) -> list[SignedVoucher]:
        """The highest voucher of every license with units not yet settled, soonest
        deadline first (a voucher past its deadline can no longer be settled)."""
        return [
            SignedVoucher(Voucher(_int(lic), _int(units), _int(deadline)), bytes(signature))
            for lic, units, deadline, signature in self._db.execute(sql.PENDING)
        ]

    def mark_settled(self, license_id: int, cumulative_units: int, tx_hash: str | bytes) -> None:
        """Record that the chain settled `license_id` up to `cumulative_units` in `tx_hash`.

        Never lowers what is recorded: an older settlement reported late changes nothing.
        """
        row = {
            "id": _word(_uint(license_id, "license id")),
            "units": _word(_uint(cumulative_units, "settled units")),
            "tx": _tx_hash(tx_hash),
            "at": int(time.time()),
        }
        with self._transaction():
            self._db.execute(sql.MARK_SETTLED, row)

    def sync_settled(self, license_id: int, onchain_settled_units: int) -> None:
        """Set the settled units to what the meter reports on chain, the source of truth:
        it raises them after a crash between settling and `mark_settled`, and lowers them
        if a recorded settlement was dropped by a reorg (its voucher is pending again)."""
        row = {
            "id": _word(_uint(license_id, "license id")),
            "units": _word(_uint(onchain_settled_units, "settled units")),
            "at": int(time.time()),
        }
        with self._transaction():
            self._db.execute(sql.SYNC_SETTLED, row)

    # -------------------------------------------------------------------------- reading

    def latest(self, license_id: int) -> SignedVoucher | None:
        """The highest voucher stored for a license, if any."""
        row = self._db.execute(
            "SELECT cumulative_units, deadline, signature FROM vouchers WHERE license_id = ?",
            (_word(_uint(license_id, "license id")),),
        ).fetchone()
        if row is None:
            return None
        voucher = Voucher(license_id, _int(row[0]), _int(row[1]))
        return SignedVoucher(voucher, bytes(row[2]))

    def voucher_count(self) -> int:
        """How many licenses the ledger holds a voucher for."""
        return int(self._db.execute("SELECT COUNT(*) FROM vouchers").fetchone()[0])

    def settled_units(self, license_id: int) -> int:
        """Units recorded as settled on chain for a license (0 if none)."""
        row = self._db.execute(
            "SELECT settled_units FROM settlements WHERE license_id = ?",
            (_word(_uint(license_id, "license id")),),
        ).fetchone()
        return _int(row[0]) if row is not None else 0

    def history(self, license_id: int) -> list[SignedVoucher]:
        """Every voucher accepted for a license, oldest first."""
        rows = self._db.execute(
            "SELECT cumulative_units, deadline, signature FROM voucher_history "
            "WHERE license_id = ? ORDER BY seq",
            (_word(_uint(license_id, "license id")),),
        )
        return [
            SignedVoucher(Voucher(license_id, _int(units), _int(deadline)), bytes(signature))
            for units, deadline, signature in rows
        ]

    def close(self) -> None:
        self._db.close()

    def __enter__(self) -> VoucherLedger:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    # -------------------------------------------------------------------------- helpers

    def _transaction(self) -> _Transaction:
        return _Transaction(self._db)

    def _bind_to_meter(self) -> None:
        """Refuse a file written for another chain or meter: its signatures would not verify."""
        expected = {
            "schema_version": str(sql.SCHEMA_VERSION),
            "chain_id": str(self.domain.chain_id),
            "meter_address": self.domain.meter_address,
        }
        stored = dict(self._db.execute("SELECT key, value FROM meta"))
        if not stored:
            self._db.executemany("INSERT INTO meta VALUES (?, ?)", expected.items())
        elif stored != expected:
            raise InputError(
                f"the voucher ledger {self.path} belongs to chain {stored.get('chain_id')} "
                f"meter {stored.get('meter_address')} (schema {stored.get('schema_version')}), "
                f"not chain {expected['chain_id']} meter {expected['meter_address']}."
            )


class _Transaction:
    """BEGIN IMMEDIATE ... COMMIT: takes the write lock first, so the stale check and the
    write are atomic even with several gateway processes on one file."""

    def __init__(self, db: sqlite3.Connection) -> None:
        self._db = db

    def __enter__(self) -> None:
        self._db.execute("BEGIN IMMEDIATE")

    def __exit__(self, exc_type: object, *_: object) -> None:
        if exc_type is None:
            try:
                self._db.execute("COMMIT")
                return
            except BaseException:
                self._rollback()
                raise
        self._rollback()

    def _rollback(self) -> None:
        # SQLite may already have rolled back (disk full, I/O error): don't mask that error.
        if self._db.in_transaction:
            self._db.execute("ROLLBACK")


def _chunks(items: Iterable[_T], size: int) -> Iterator[list[_T]]:
    iterator = iter(items)
    while batch := list(islice(iterator, size)):
        yield batch


def _now(now: int | None) -> int:
    return int(time.time()) if now is None else now


def _word(value: int) -> str:
    return f"{value:064x}"


def _int(word: str) -> int:
    return int(word, 16)


def _uint(value: int, what: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value < 2**256:
        raise InputError(f"the {what} {value!r} is not a uint256.")
    return value


def _tx_hash(tx_hash: str | bytes) -> str:
    text = "0x" + tx_hash.hex() if isinstance(tx_hash, bytes) else tx_hash.lower()
    if len(text) != 66 or not text.startswith("0x"):
        raise InputError(f"the transaction hash {tx_hash!r} is not 32 bytes of hex.")
    try:
        bytes.fromhex(text[2:])
    except ValueError:
        raise InputError(f"the transaction hash {tx_hash!r} is not 32 bytes of hex.") from None
    return text
