"""A license holder signing cumulative usage vouchers for a gateway: what
`ape run sign_voucher` and `Seedbed.sign_voucher` do."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from seedbed.chain.client import Suite
from seedbed.core.atomic import write_atomic
from seedbed.core.constants import MAX_DURATION
from seedbed.core.errors import InputError
from seedbed.core.vouchers import SignedVoucher, Voucher
from seedbed.workflows.ledger import VoucherLedger
from seedbed.workflows.meter import license_usage, sign_with_account
from seedbed.workflows.royalties import Currency, currency_of


@dataclass(frozen=True)
class VoucherSigned:
    signed: SignedVoucher
    holder: str
    new_units: int
    cost: int
    currency: Currency
    escrow: int

    @property
    def underfunded(self) -> bool:
        return self.escrow < self.cost


def sign_voucher(
    suite: Suite, chain: Any, account: Any, license_id: int, units: int, ttl: int
) -> VoucherSigned:
    """Sign "license `license_id` has used `units` units in total", settleable for `ttl` s."""
    if ttl <= 0:
        raise InputError("the deadline must be a positive duration, e.g. 1h or 7d.")
    if ttl > MAX_DURATION:
        raise InputError(
            f"the deadline is at most {MAX_DURATION // 86_400}d (100 years) from now, not {ttl} s."
        )
    usage = license_usage(suite, license_id)
    if usage.holder != account.address:
        raise InputError(
            f"{account.address} does not hold license {license_id} (the holder is "
            f"{usage.holder}); only the holder's vouchers settle."
        )
    now = int(chain.blocks.head.timestamp)
    problem = usage.voucher_problem(units, now)
    if problem:
        raise InputError(problem)
    voucher = Voucher(license_id, units, now + ttl)
    signature = sign_with_account(account, voucher, suite.chain_id, suite.meter.address)
    new_units = units - usage.units_used
    return VoucherSigned(
        signed=SignedVoucher(voucher, signature),
        holder=account.address,
        new_units=new_units,
        cost=new_units * usage.unit_price,
        currency=currency_of(chain, usage.currency),
        escrow=int(suite.meter.escrowOf(account.address, usage.currency)),
    )


def add_to_ledger(path: Path, signed: SignedVoucher, suite: Suite, holder: str, now: int) -> None:
    with VoucherLedger(path, suite.chain_id, suite.meter.address) as ledger:
        ledger.accept(signed, expected_signer=holder, now=now)


def append_json(path: Path, signed: SignedVoucher) -> None:
    """Append to a JSON list of signed vouchers, written atomically."""
    entries = []
    if path.exists():
        try:
            entries = json.loads(path.read_text())
        except (OSError, UnicodeDecodeError, json.JSONDecodeError) as err:
            raise InputError(f"{path} is not a readable JSON list of vouchers: {err}.") from None
        if not isinstance(entries, list):
            raise InputError(f"{path} holds JSON but not a list of vouchers.")
    entries.append(signed.to_json())
    write_atomic(path, (json.dumps(entries, indent=2) + "\n").encode())
