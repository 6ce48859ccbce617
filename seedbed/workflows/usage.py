"""A payer (or its voucher signer) signing cumulative usage vouchers for a gateway: what
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
from seedbed.core.vouchers import SignedVoucher, Voucher, checksum_address
from seedbed.workflows.channels import ChannelView, channel_view, reader
from seedbed.workflows.ledger import Accepted, VoucherLedger, remove_if_empty
from seedbed.workflows.meter import format_time, sign_with_account
from seedbed.workflows.royalties import Currency, currency_of


@dataclass(frozen=True)
class VoucherSigned:
    signed: SignedVoucher
    signer: str
    new_units: int
    cost: int  # what settling it charges the channel's reserve now
    currency: Currency
    available: int  # the reserve less any pending withdrawal

    @property
    def underfunded(self) -> bool:
        return self.available < self.cost


def voucher_problem(view: ChannelView, signer: str, cumulative_units: int) -> str | None:
    """Why a voucher for `cumulative_units` in total, signed by `signer`, could not settle
    on the channel (or a gateway would refuse it), or None."""
    s = view.state
    where = f"the channel from {s.payer} to {s.operator} on license {s.license_id}"
    if not view.opened:
        return (
            f"there is no channel from {s.payer} to {s.operator} on license {s.license_id}: "
            "the payer deposits into it (or opens it) first."
        )
    if view.closed:
        return f"{where} closed {format_time(s.closes_at)}: its vouchers no longer settle."
    if s.signer != signer:
        return f"{signer} does not sign for {where}: its voucher signer is {s.signer}."
    if cumulative_units <= s.units:
        return (
            f"{where} has already settled {s.units} units; a voucher must cover more than "
            f"that in total, not {cumulative_units}."
        )
    if cumulative_units > s.unit_limit:
        return f"{cumulative_units} units pass the unit limit of {where} ({s.unit_limit})."
    return None


def sign_voucher(
    suite: Suite,
    chain: Any,
    account: Any,
    license_id: int,
    units: int,
    ttl: int,
    *,
    operator: str,
    payer: str | None = None,
) -> VoucherSigned:
    """Sign "`payer` (default: the account) has used `units` units in total on its channel
    with `operator` on `license_id`", settleable for `ttl` seconds. The account must be the
    channel's voucher signer."""
    if ttl <= 0:
        raise InputError("the deadline must be a positive duration, e.g. 1h or 7d.")
    if ttl > MAX_DURATION:
        raise InputError(
            f"the deadline is at most {MAX_DURATION // 86_400}d (100 years) from now, not {ttl} s."
        )
    payer = checksum_address(payer, "payer") if payer else account.address
    view = channel_view(suite, chain, license_id, payer, operator)
    problem = voucher_problem(view, account.address, units)
    if problem:
        raise InputError(problem)
    s = view.state
    voucher = Voucher(license_id, payer, s.operator, units, view.now + ttl)
    signature = sign_with_account(account, voucher, suite.chain_id, suite.meter.address)
    new_units = units - s.units
    return VoucherSigned(
        signed=SignedVoucher(voucher, signature),
        signer=account.address,
        new_units=new_units,
        cost=new_units * s.unit_price,
        currency=currency_of(chain, s.currency),
        available=s.available(view.now),
    )


def add_to_ledger(path: Path, signed: SignedVoucher, suite: Suite, chain: Any) -> Accepted:
    """Accept the voucher into a gateway ledger, checked against its channel on chain."""
    now = int(chain.blocks.head.timestamp)
    created = not path.exists()
    try:
        with VoucherLedger(path, suite.chain_id, suite.meter.address, reader(suite, chain)) as led:
            return led.accept(signed, now=now)
    except BaseException:
        if created:
            remove_if_empty(path)
        raise


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
