"""A gateway settling its voucher ledger: importing signed vouchers, then reconcile, plan and
settle in batches (`seedbed.workflows.meter`). What `ape run settle` and `Seedbed.settle` do.

Failures leave nothing behind: a JSON list of vouchers is read and checked before a new
ledger file is created, and a new ledger that ends up holding nothing is removed again.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from seedbed.chain.client import Suite
from seedbed.core.errors import ChainError, InputError
from seedbed.core.vouchers import SignedVoucher
from seedbed.workflows.ledger import Rejected, VoucherLedger
from seedbed.workflows.meter import (
    Plan,
    SettleReport,
    check_batch_size,
    license_usage,
    plan,
    reconcile,
    settle_batches,
    suite_decoder,
)

Step = Callable[[int], None]


@dataclass
class Imported:
    path: str
    accepted: int
    refused: list[str] = field(default_factory=list)


@dataclass
class SettleRun:
    ledger: str
    imported: Imported | None
    pending: int
    synced: int
    report: SettleReport | None


def read_vouchers(path: Path) -> list[SignedVoucher]:
    """A JSON list of signed vouchers (as `ape run sign_voucher --out` writes them)."""
    try:
        entries = json.loads(path.read_text())
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as err:
        raise InputError(f"cannot read vouchers from {path}: {err}.") from None
    if not isinstance(entries, list) or not entries:
        raise InputError(f"{path} must hold a non-empty JSON list of signed vouchers.")
    try:
        return [SignedVoucher.from_json(e) for e in entries]
    except (KeyError, TypeError, ValueError, AttributeError) as err:
        raise InputError(f"{path} holds an entry that is not a signed voucher: {err}.") from None


def import_vouchers(
    ledger: VoucherLedger, vouchers: list[SignedVoucher], suite: Suite, chain: Any, path: str
) -> Imported:
    def holder(license_id: int) -> str | None:
        try:
            return license_usage(suite, license_id).holder
        except ChainError as err:  # refuse this voucher, keep importing the others
            raise InputError(err.message) from None

    ledger.holder_lookup = holder
    results = ledger.accept_many(vouchers, now=int(chain.blocks.head.timestamp))
    refused = [r.reason for r in results if isinstance(r, Rejected)]
    return Imported(path, len(results) - len(refused), refused)


def settle(
    suite: Suite,
    chain: Any,
    sender: Any,
    ledger_path: str | Path,
    *,
    batch_size: int = 100,
    import_path: str | Path | None = None,
    vouchers: list[SignedVoucher] | None = None,
    on_pending: Callable[[int], None] = lambda _: None,
    reconcile_step: Step = lambda _: None,
    settle_step: Step = lambda _: None,
) -> SettleRun:
    """Settle every voucher in the ledger that the chain has not settled yet, after adding
    the vouchers of `import_path` (a JSON list) or `vouchers`."""
    path = Path(ledger_path)
    if not path.is_file() and import_path is None and not vouchers:
        raise InputError(f"there is no voucher ledger at {path}.")
    check_batch_size(batch_size, int(suite.meter.MAX_BATCH()))
    if import_path is not None:
        vouchers = read_vouchers(Path(import_path))
    source = str(import_path) if import_path is not None else "the vouchers given"
    created = not path.exists()
    try:
        with VoucherLedger(path, suite.chain_id, suite.meter.address) as ledger:
            return _settle(suite, chain, sender, ledger, vouchers or None, source, batch_size,
                           on_pending, reconcile_step, settle_step, str(path))  # fmt: skip
    except BaseException:
        if created:
            _remove_empty(path)
        raise


def _settle(
    suite: Suite,
    chain: Any,
    sender: Any,
    ledger: VoucherLedger,
    vouchers: list[SignedVoucher] | None,
    import_path: str,
    batch_size: int,
    on_pending: Callable[[int], None],
    reconcile_step: Step,
    settle_step: Step,
    path: str,
) -> SettleRun:
    imported = None
    if vouchers is not None:
        imported = import_vouchers(ledger, vouchers, suite, chain, import_path)
        if imported.accepted == 0:
            raise InputError(
                f"none of the {len(imported.refused)} vouchers in {import_path} was accepted "
                f"(first reason: {imported.refused[0]}); the ledger is unchanged."
            )
    if ledger.voucher_count() == 0:
        raise InputError(f"the ledger at {path} holds no vouchers.")
    pending = ledger.pending()
    on_pending(len(pending))
    if not pending:
        return SettleRun(path, imported, 0, 0, None)
    ids = [s.voucher.license_id for s in pending]
    states, synced = reconcile(ledger, suite.license, ids, reconcile_step)
    work: Plan = plan(ledger.pending(), states, int(chain.blocks.head.timestamp), batch_size)
    decoder = suite_decoder(suite)
    report = settle_batches(ledger, suite.meter, sender, work.batches, decoder, settle_step)
    report.synced = synced
    report.skipped[:0] = work.skipped
    return SettleRun(path, imported, len(pending), synced, report)


def _remove_empty(path: Path) -> None:
    """A ledger this run created but that holds no voucher is removed with its WAL files."""
    import sqlite3

    try:
        db = sqlite3.connect(path)
        try:
            empty = db.execute("SELECT COUNT(*) FROM vouchers").fetchone()[0] == 0
        finally:
            db.close()
    except sqlite3.Error:
        empty = True
    if empty:
        for suffix in ("", "-wal", "-shm", "-journal"):
            Path(str(path) + suffix).unlink(missing_ok=True)
