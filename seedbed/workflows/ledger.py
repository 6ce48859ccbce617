"""A gateway's durable ledger of usage vouchers, between off-chain acceptance and settlement.

A gateway serves calls, takes a signed cumulative voucher for them, and settles on chain
later in bulk. The meter guarantees that a voucher the gateway accepted while its channel's
reserve covered it settles in full (docs/metering.md); the ledger is where "covered" is
checked. Per channel (license, payer, operator) it keeps the chain state it last synced
(`ChannelState`: reserve, pending withdrawal, unit limit, unit price, signer, closesAt,
units settled) and the highest voucher accepted, and `accept` refuses, writing nothing, a
voucher that is stale, past its deadline or the channel's closesAt, above the unit limit, not
signed by the channel's signer, or whose unsettled charge (cumulative − settled) × unitPrice
exceeds the reserve less the pending withdrawal. Vouchers are cumulative, so the highest one
per channel is all there is to settle.

Crash safety: `accept` commits before it returns, so an acknowledged voucher is never lost;
the chain records units per channel, so after a restart `pending()` is exactly what is left,
and a voucher re-submitted after it settled charges nothing.

Durability: WAL with synchronous=FULL by default, so each commit fsyncs the WAL and an
acknowledged voucher survives power loss, not only a killed process. NORMAL (opt-in) also
survives SIGKILL but an OS crash may drop the last commits. A single `accept` runs at the
disk's fsync rate; `accept_many` shares one fsync across a batch.

Chain state reaches the ledger through `sync` (or the `reader` the ledger calls for a channel
it does not know yet, or once more before refusing a voucher that fresher state might allow:
a deposit, a cancelled withdrawal). The hot path makes no chain call.
"""

from __future__ import annotations

import contextlib
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

MAX_UNITS = UINT64_MAX  # UsageMeter stores a channel's units as uint64

Channel = tuple[int, str, str]  # (license id, payer, operator), as Voucher.channel gives it
_T = TypeVar("_T")


@dataclass(frozen=True, slots=True)
class ChannelState:
    """One channel as the meter reported it (UsageMeter.channel + metered), at some time.

    `unit_limit` 0 = never opened. `withdrawal` is the pending withdrawal's amount (0 = none),
    a claim on the reserve until `window_end`, after which it lapsed. `signer_until` is when a
    scheduled signer change takes effect (0 = none): vouchers of `signer` settle before it.
    """

    license_id: int
    payer: str
    operator: str
    asset_id: int
    currency: str
    unit_price: int
    reserve: int
    units: int
    unit_limit: int
    signer: str
    closes_at: int
    withdrawal: int = 0
    window_end: int = 0
    signer_is_contract: bool = False
    signer_until: int = 0

    def __post_init__(self) -> None:
        for name in ("payer", "operator", "signer", "currency"):
            object.__setattr__(self, name, checksum_address(getattr(self, name), name))

    @property
    def channel(self) -> Channel:
        return (self.license_id, self.payer, self.operator)

    def pending_withdrawal(self, now: int) -> int:
        """What a withdrawal may still take from the reserve at `now` (0 once it lapsed)."""
        return self.withdrawal if self.withdrawal and now <= self.window_end else 0

    def available(self, now: int) -> int:
        """The reserve less the pending withdrawal: what vouchers may be charged against."""
        return max(self.reserve - self.pending_withdrawal(now), 0)


ChannelReader = Callable[[int, str, str], ChannelState]  # (license, payer, operator) -> state


@dataclass(frozen=True, slots=True)
class Accepted:
    """A voucher stored durably. `new_units` is what it adds to the units already signed or
    settled on its channel; `unsettled` is what settling it charges now, covered by
    `available` (the reserve less the pending withdrawal, when last synced)."""

    voucher: SignedVoucher
    signer: ChecksumAddress
    previous_units: int  # the highest of the stored voucher and the settled units
    unsettled: int
    available: int

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
    recovered: ChecksumAddress | None
    recover_error: str | None


@dataclass(frozen=True, slots=True)
class _Retry:
    """Refused on the state last synced; fresher chain state might accept it."""

    item: _Verified
    reason: str


class VoucherLedger:
    """Vouchers for one meter on one chain, in one SQLite file that processes may share.

    `reader` fetches a channel's chain state (see `seedbed.workflows.channels.reader`); without
    it, only channels given to `sync` are known. A contract (ERC-1271) signer's vouchers can
    only be verified on chain: they are refused unless `trust_contract_signers`, in which case
    they are stored unverified (settle those channels often). One object per thread.
    """

    def __init__(
        self,
        path: str | os.PathLike[str],
        chain_id: int,
        meter_address: str,
        reader: ChannelReader | None = None,
        *,
        synchronous: Literal["FULL", "NORMAL"] = "FULL",
        trust_contract_signers: bool = False,
    ) -> None:
        if synchronous not in ("FULL", "NORMAL"):
            raise InputError(f"synchronous must be FULL or NORMAL, not {synchronous!r}.")
        self.domain = VoucherDomain(chain_id, meter_address)
        self.reader = reader
        self.trust_contract_signers = trust_contract_signers
        self.path = os.fspath(path)
        # isolation_level=None: we issue BEGIN/COMMIT ourselves, one transaction per write.
        self._db = sqlite3.connect(self.path, isolation_level=None)
        try:
            self._db.execute("PRAGMA busy_timeout = 10000")  # wait for other gateway workers
            self._db.execute("PRAGMA journal_mode = WAL")
            self._db.execute(f"PRAGMA synchronous = {synchronous}")
            self._check_schema()
            self._db.executescript("BEGIN IMMEDIATE;" + sql.SCHEMA + "COMMIT;")
            with self._transaction():
                self._bind_to_meter()
        except sqlite3.DatabaseError as exc:
            self._db.close()
            raise InputError(f"the voucher ledger {self.path} cannot be opened: {exc}.") from None
        except BaseException:
            self._db.close()
            raise

    # ------------------------------------------------------------------------ chain state

    def sync(self, state: ChannelState) -> None:
        """Record a channel's chain state (the source of truth for all but the voucher)."""
        with self._transaction():
            self._write_state(state)

    def sync_many(self, states: Iterable[ChannelState]) -> None:
        with self._transaction():
            for state in states:
                self._write_state(state)

    def _write_state(self, s: ChannelState) -> None:
        self._db.execute(
            sql.SYNC,
            {
                "id": _word(_uint(s.license_id, "license id")),
                "payer": s.payer,
                "operator": s.operator,
                "asset": _word(_uint(s.asset_id, "asset id")),
                "currency": s.currency,
                "price": _word(_uint(s.unit_price, "unit price")),
                "reserve": _word(_uint(s.reserve, "reserve")),
                "limit": _word(_uint(s.unit_limit, "unit limit")),
                "settled": _word(_uint(s.units, "settled units")),
                "withdrawal": _word(_uint(s.withdrawal, "withdrawal")),
                "window_end": s.window_end,
                "signer": s.signer,
                "contract": int(s.signer_is_contract),
                "until": s.signer_until,
                "closes_at": s.closes_at,
                "at": int(time.time()),
            },
        )

    def channel(self, channel: Channel) -> ChannelState | None:
        """The chain state last synced for a channel, if any."""
        row = self._db.execute(
            "SELECT asset_id, currency, unit_price, reserve, settled_units, unit_limit, signer,"
            " closes_at, withdrawal, window_end, signer_is_contract, signer_until"
            " FROM channels WHERE license_id = :id AND payer = :payer AND operator = :operator",
            _key(channel),
        ).fetchone()
        if row is None:
            return None
        asset, currency, price, reserve, settled, limit, signer, closes, wd, end, c, until = row
        lic, payer, operator = _channel(channel)
        return ChannelState(
            lic, payer, operator, _int(asset), currency, _int(price), _int(reserve),
            _int(settled), _int(limit), signer, closes, _int(wd), end, bool(c), until,
        )  # fmt: skip

    # ------------------------------------------------------------------------ accepting

    def accept(self, signed: SignedVoucher, *, now: int | None = None) -> Accepted:
        """Verify and store one voucher, committed before this returns; InputError (and
        nothing written) if refused. `now` is the time the meter will see at the earliest."""
        (result,) = self.accept_many([signed], now=now)
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

        Returns one result per voucher, in order, once every batch is committed.
        """
        if batch_size < 1:
            raise InputError(f"the batch size must be at least 1, not {batch_size}.")
        at = _now(now)
        results: list[Accepted | Rejected] = []
        for batch in _chunks(signed_vouchers, batch_size):
            checked = [self._verify(signed, at) for signed in batch]
            first = self._store(checked, at, retry=self.reader is not None)
            retries = [r for r in first if isinstance(r, _Retry)]
            if retries:
                # Fresher chain state may cover them (a deposit since the last sync): read it
                # outside the write transaction, then try those vouchers once more.
                self._refresh({r.item.signed.voucher.channel for r in retries})
                again = iter(self._store([r.item for r in retries], at, retry=False))
                first = [next(again) if isinstance(r, _Retry) else r for r in first]
            results.extend(r for r in first if not isinstance(r, _Retry))
        return results

    def _verify(self, signed: SignedVoucher, now: int) -> _Verified | Rejected:
        voucher = signed.voucher
        if voucher.deadline < now:
            return Rejected(
                signed, f"the voucher for {_name(voucher.channel)} expired at {voucher.deadline}."
            )
        if voucher.cumulative_units > MAX_UNITS:
            return Rejected(
                signed,
                f"the voucher for {_name(voucher.channel)} covers {voucher.cumulative_units} "
                f"units, more than the meter counts ({MAX_UNITS}).",
            )
        try:
            return _Verified(signed, self.domain.recover(signed), None)
        except InputError as err:  # a contract signer's signature need not be ECDSA
            return _Verified(signed, None, err.message)

    def _refresh(self, channels: Iterable[Channel]) -> None:
        assert self.reader is not None
        states = []
        for lic, payer, operator in channels:
            try:
                states.append(self.reader(lic, payer, operator))
            except InputError:
                continue  # no fresher state: the voucher stays refused with its reason
        if states:
            self.sync_many(states)

    def _store(
        self, checked: list[_Verified | Rejected], now: int, *, retry: bool
    ) -> list[Accepted | Rejected | _Retry]:
        """Check each voucher against its channel and write the accepted ones, in one
        transaction; a refusal fresher chain state could lift becomes _Retry if `retry`."""
        results: list[Accepted | Rejected | _Retry] = []
        at = int(time.time())
        with self._transaction():
            for item in checked:
                if isinstance(item, Rejected):
                    results.append(item)
                    continue
                outcome = self._check(item, now)
                if isinstance(outcome, Accepted):
                    self._write_voucher(outcome, at)
                    results.append(outcome)
                elif retry and outcome[1]:
                    results.append(_Retry(item, outcome[0]))
                else:
                    results.append(Rejected(item.signed, outcome[0]))
        return results

    def _check(self, item: _Verified, now: int) -> Accepted | tuple[str, bool]:
        """Accepted, or (the reason it is refused, whether fresher chain state could lift it)."""
        voucher = item.signed.voucher
        name = _name(voucher.channel)
        row = self._db.execute(sql.CHANNEL, _voucher_key(voucher)).fetchone()
        if row is None:
            return f"the ledger knows nothing of {name}: sync it from the chain first.", True
        (
            price,
            reserve,
            limit,
            settled,
            withdrawal,
            window_end,
            signer,
            contract,
            until,
            closes,
            mine,
        ) = row  # noqa: E501
        limit, settled = _int(limit), _int(settled)
        units = voucher.cumulative_units
        if limit == 0:
            return f"{name} is not open on chain (the payer deposits or opens it first).", True
        if now > closes:
            return f"{name} closed at {closes}: its vouchers no longer settle.", True
        floor = max(settled, _int(mine) if mine is not None else 0)
        if units <= floor:
            return (
                f"the voucher for {name} covers {units} units, not more than the {floor} "
                "already signed or settled.",
                False,
            )
        if units > limit:
            return f"the voucher for {name} covers {units} units, above its limit of {limit}.", True
        if until and now >= until:
            return f"the signer of {name} changed at {until}: {signer} signs for it no more.", True
        if contract:
            if not self.trust_contract_signers:
                return (
                    f"{name}'s signer {signer} is a contract: its vouchers can only be checked "
                    "on chain (open the ledger with trust_contract_signers to accept them).",
                    False,
                )
        elif item.recovered is None:
            return str(item.recover_error), False
        elif item.recovered != signer:
            return (
                f"the voucher for {name} is signed by {item.recovered}, not by its signer "
                f"{signer}.",
                True,
            )
        charge = (units - settled) * _int(price)
        pending = _int(withdrawal) if now <= window_end else 0
        available = max(_int(reserve) - pending, 0)
        if charge > available:
            held = f"the reserve of {_int(reserve)}" + (
                f" less a pending withdrawal of {pending}" if pending else ""
            )
            return (
                f"the voucher for {name} charges {charge} unsettled (base units), more than "
                f"{held} covers ({available}).",
                True,
            )
        signed_by = item.recovered if item.recovered is not None else signer
        return Accepted(item.signed, checksum_address(signed_by), floor, charge, available)

    def _write_voucher(self, accepted: Accepted, at: int) -> None:
        voucher = accepted.voucher.voucher
        row = {
            **_voucher_key(voucher),
            "units": _word(voucher.cumulative_units),
            "deadline": _word(voucher.deadline),
            "signature": accepted.voucher.signature,
            "signer": accepted.signer,
            "at": at,
        }
        self._db.execute(sql.ACCEPT, row)
        self._db.execute(sql.APPEND_HISTORY, row)

    # ------------------------------------------------------------------------- settling

    def pending(self) -> list[SignedVoucher]:
        """The voucher to settle of every channel with units not yet settled, soonest
        deadline first (a voucher past its deadline can no longer be settled): the highest
        one, or, in a gateway's ledger (which records what it served per channel), the
        highest one not above what was served, so a payer never pays authorised units it
        did not use (per-token pricing); what was served above it waits for the next."""
        if not self._serves():
            return [
                SignedVoucher(
                    Voucher(_int(lic), payer, operator, _int(units), _int(deadline)), bytes(sig)
                )
                for lic, payer, operator, units, deadline, sig in self._db.execute(sql.PENDING)
            ]
        out = []
        for lic, payer, operator, units, deadline, sig, settled, served in self._db.execute(
            sql.PENDING_SERVED
        ).fetchall():
            if served is not None and units > served:
                hit = self._db.execute(sql.HIGHEST_UP_TO, (lic, payer, operator, served)).fetchone()
                if hit is None:
                    continue
                units, deadline, sig = hit
            if units > settled:
                voucher = Voucher(_int(lic), payer, operator, _int(units), _int(deadline))
                out.append(SignedVoucher(voucher, bytes(sig)))
        # Soonest deadline of the voucher returned (not of the channel's highest) first.
        return sorted(out, key=lambda s: (s.voucher.deadline, s.voucher.channel))

    def _serves(self) -> bool:
        """Whether this file is a gateway's (seedbed.gateway.store adds `gateway_served`)."""
        query = "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'gateway_served'"
        return self._db.execute(query).fetchone() is not None

    def mark_settled(
        self, channel: Channel, cumulative_units: int, amount: int, tx_hash: str | bytes
    ) -> None:
        """Record a `UsageSettled` of `channel` up to `cumulative_units`, charging `amount`
        from its reserve, in `tx_hash`. An older settlement reported late changes nothing."""
        key = _key(channel)
        tx = _tx_hash(tx_hash)
        with self._transaction():
            row = self._db.execute(
                "SELECT reserve FROM channels"
                " WHERE license_id = :id AND payer = :payer AND operator = :operator",
                key,
            ).fetchone()
            if row is None:
                return
            reserve = max(_int(row[0]) - _uint(amount, "amount"), 0)
            self._db.execute(
                sql.MARK_SETTLED,
                {
                    **key,
                    "units": _word(_uint(cumulative_units, "settled units")),
                    "reserve": _word(reserve),
                    "tx": tx,
                },
            )

    def assets(self) -> list[tuple[int, str]]:
        """Every (asset, currency) a channel of this ledger pays: where settlements leave
        money owed for `payAsset` to push into the vault."""
        return [(_int(a), c) for a, c in self._db.execute(sql.ASSETS)]

    # -------------------------------------------------------------------------- reading

    def latest(self, channel: Channel) -> SignedVoucher | None:
        """The highest voucher stored for a channel, if any."""
        row = self._db.execute(
            "SELECT cumulative_units, deadline, signature FROM channels"
            " WHERE license_id = :id AND payer = :payer AND operator = :operator",
            _key(channel),
        ).fetchone()
        if row is None or row[0] is None:
            return None
        voucher = Voucher(*_channel(channel), _int(row[0]), _int(row[1]))
        return SignedVoucher(voucher, bytes(row[2]))

    def voucher_count(self) -> int:
        """How many channels the ledger holds a voucher for."""
        query = "SELECT COUNT(*) FROM channels WHERE cumulative_units IS NOT NULL"
        return int(self._db.execute(query).fetchone()[0])

    def settled_units(self, channel: Channel) -> int:
        """Units recorded as settled on chain for a channel (0 if none)."""
        state = self.channel(channel)
        return state.units if state is not None else 0

    def history(self, channel: Channel) -> list[SignedVoucher]:
        """Every voucher accepted for a channel, oldest first."""
        rows = self._db.execute(
            "SELECT cumulative_units, deadline, signature FROM voucher_history"
            " WHERE license_id = :id AND payer = :payer AND operator = :operator ORDER BY seq",
            _key(channel),
        )
        parts = _channel(channel)
        return [
            SignedVoucher(Voucher(*parts, _int(units), _int(deadline)), bytes(signature))
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

    def _check_schema(self) -> None:
        """A ledger of the license-keyed schema (version 1) cannot be migrated: its vouchers
        name no payer or operator and were signed for the version-1 meter."""
        tables = {r[0] for r in self._db.execute("SELECT name FROM sqlite_master")}
        if "vouchers" in tables and "channels" not in tables:
            raise InputError(
                f"the voucher ledger {self.path} was written for the version-1 meter (keyed "
                "by license); its vouchers cannot settle on this meter: start a new ledger."
            )

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
    """BEGIN IMMEDIATE ... COMMIT: takes the write lock first, so the checks and the write
    are atomic even with several gateway processes on one file."""

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


def remove_if_empty(path: str | os.PathLike[str]) -> None:
    """Remove a ledger that holds no voucher, with its WAL files: what a command that created
    it and then failed leaves behind (synced chain state is only a cache)."""
    try:
        db = sqlite3.connect(path)
        try:
            query = "SELECT COUNT(*) FROM channels WHERE cumulative_units IS NOT NULL"
            empty = db.execute(query).fetchone()[0] == 0
        finally:
            db.close()
    except sqlite3.Error:
        empty = True
    if empty:
        for suffix in ("", "-wal", "-shm", "-journal"):
            with contextlib.suppress(FileNotFoundError):
                os.unlink(os.fspath(path) + suffix)


def _name(channel: Channel) -> str:
    lic, payer, operator = channel
    return f"license {lic}'s channel from {payer} to {operator}"


def _channel(channel: Channel) -> tuple[int, ChecksumAddress, ChecksumAddress]:
    lic, payer, operator = channel
    return (
        _uint(lic, "license id"),
        checksum_address(payer, "payer"),
        checksum_address(operator, "operator"),
    )


def _key(channel: Channel) -> dict[str, str]:
    lic, payer, operator = _channel(channel)
    return {"id": _word(lic), "payer": payer, "operator": operator}


def _voucher_key(voucher: Voucher) -> dict[str, str]:
    # The hot path: a Voucher's addresses are checksummed when it is built.
    return {"id": _word(voucher.license_id), "payer": voucher.payer, "operator": voucher.operator}


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
