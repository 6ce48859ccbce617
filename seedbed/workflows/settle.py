"""A gateway settling its voucher ledger: importing signed vouchers (each checked against its
channel on chain), then reconcile, plan, settle in batches and pay the assets what the meter
owes them (`seedbed.workflows.meter`). What `ape run settle` and `Seedbed.settle` do.

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
from seedbed.core.errors import InputError
from seedbed.core.vouchers import SignedVoucher
from seedbed.workflows.channels import reader
from seedbed.workflows.ledger import Rejected, VoucherLedger, remove_if_empty
from seedbed.workflows.meter import (
    AssetPaid,
    SettleReport,
    check_batch_size,
    pay_assets,
    settle_ledger,
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
    paid: list[AssetPaid] = field(default_factory=list)


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
    """Accept the vouchers whose channel's reserve covers them (its state read from chain)."""
    ledger.reader = reader(suite, chain)
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
    pay: bool = True,
    on_pending: Callable[[int], None] = lambda _: None,
    reconcile_step: Step = lambda _: None,
    settle_step: Step = lambda _: None,
) -> SettleRun:
    """Settle every voucher in the ledger that the chain has not settled yet, after adding
    the vouchers of `import_path` (a JSON list) or `vouchers`; then, unless `pay` is False,
    push what the meter owes the assets into the vault (payAsset), so contributors can claim.
    Safe to rerun at any point: it resumes with what is left."""
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
                           pay, on_pending, reconcile_step, settle_step, str(path))  # fmt: skip
    except BaseException:
        if created:
            remove_if_empty(path)
        raise


def _settle(
    suite: Suite,
    chain: Any,
    sender: Any,
    ledger: VoucherLedger,
    vouchers: list[SignedVoucher] | None,
    import_path: str,
    batch_size: int,
    pay: bool,
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
        # Nothing to settle, but a run that died after settling may not have paid the assets.
        paid = pay_assets(suite, sender, ledger.assets(), suite_decoder(suite)) if pay else []
        return SettleRun(path, imported, 0, 0, None, paid)
    _work, report = settle_ledger(
        ledger, suite, chain, sender, batch_size, settle_step, reconcile_step=reconcile_step,
        pay=pay,
    )  # fmt: skip
    return SettleRun(path, imported, len(pending), report.synced, report, report.paid)
