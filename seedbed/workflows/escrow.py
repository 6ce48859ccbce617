"""A payer's channels on the meter: open one (signer, units), deposit into its reserve, the
one-time withdrawal (request, then complete in its window, or cancel), and a delayed change of
voucher signer; and an operator's service earnings. What `ape run open_channel`, `deposit`,
`withdraw`, `change_signer`, `earnings` and the API do. Every transaction is checked, then
simulated, before it is sent; a refusal sends nothing."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from seedbed.chain.client import Suite
from seedbed.core.errors import InputError
from seedbed.core.vouchers import checksum_address
from seedbed.workflows.channels import ChannelView, LicenseTerms, channel_view, license_terms
from seedbed.workflows.meter import format_time, format_wait, preflight, suite_decoder
from seedbed.workflows.royalties import Currency, currency_of, ensure_allowance, require_balance

ZERO = "0x" + "00" * 20


@dataclass(frozen=True)
class ChannelOpened:
    license_id: int
    payer: str
    operator: str
    signer: str
    unit_limit: int
    closes_at: int
    tx: str


@dataclass(frozen=True)
class Deposited:
    license_id: int
    payer: str
    operator: str
    currency: Currency
    sent: int
    arrived: int
    reserve: int
    opened: bool  # this deposit opened the channel (signer = payer, all units left)
    tx: str


@dataclass(frozen=True)
class WithdrawalRequested:
    license_id: int
    payer: str
    operator: str
    currency: Currency
    amount: int
    ready_at: int
    window_end: int
    replaced: int  # the amount of the request this one replaced (0 = none)
    tx: str


@dataclass(frozen=True)
class WithdrawalCancelled:
    license_id: int
    payer: str
    operator: str
    amount: int
    tx: str


@dataclass(frozen=True)
class Withdrawn:
    license_id: int
    payer: str
    operator: str
    currency: Currency
    amount: int
    reserve_left: int
    tx: str


@dataclass(frozen=True)
class SignerChanged:
    license_id: int
    payer: str
    signer: str
    switch_at: int
    tx: str


@dataclass(frozen=True)
class Earnings:
    operator: str
    currency: Currency
    amount: int


@dataclass(frozen=True)
class EarningsWithdrawn:
    operator: str
    currency: Currency
    to: str
    amount: int
    tx: str


def _payable_terms(suite: Suite, account: Any, license_id: int) -> LicenseTerms:
    terms = license_terms(suite, license_id)
    if terms.holder != account.address:
        raise InputError(
            f"{account.address} does not hold license {license_id} (the holder is "
            f"{terms.holder}): only the holder opens or funds a channel on it."
        )
    return terms


def _operator(operator: str) -> str:
    address = checksum_address(operator, "operator")
    if address == ZERO:
        raise InputError("the operator is the gateway's address, not the zero address.")
    return address


def open_channel(
    suite: Suite,
    chain: Any,
    account: Any,
    license_id: int,
    operator: str,
    *,
    signer: str | None = None,
    units: int = 0,
) -> ChannelOpened:
    """Open the account's channel with `operator` on a license it holds, with no money yet.

    `signer` signs its vouchers on this license (default: the account; fixed by its first
    channel on the license, changed later only with `change_signer`); `units` is what a
    capped license allots this channel (0 = all left)."""
    operator = _operator(operator)
    _payable_terms(suite, account, license_id)
    view = channel_view(suite, chain, license_id, account.address, operator)
    if view.opened:
        raise InputError(
            f"the channel of license {license_id} with {operator} is open already "
            f"(limit {view.state.unit_limit} units); deposit to add to it."
        )
    who = checksum_address(signer, "signer") if signer else ZERO
    meter = suite.meter
    args = (license_id, operator, who, units)
    preflight(meter, "open", *args, sender=account.address, decoder=suite_decoder(suite))
    receipt = meter.open(*args, sender=account)
    log = receipt.events.filter(meter.ChannelOpened)[0]
    return ChannelOpened(
        license_id, account.address, operator, str(log.signer), int(log.unitLimit),
        int(log.closesAt), str(receipt.txn_hash),
    )  # fmt: skip


def deposit(
    suite: Suite,
    chain: Any,
    account: Any,
    license_id: int,
    operator: str,
    amount: str,
    *,
    approve: bool = False,
    say: Callable[[str], None] = lambda _: None,
) -> Deposited:
    """Deposit `amount` (e.g. "0.5", "20 USDC", in the license's currency) into the
    account's channel with `operator`, opening it with defaults when new."""
    operator = _operator(operator)
    terms = _payable_terms(suite, account, license_id)
    currency = currency_of(chain, terms.currency)
    value = currency.parse(amount)
    if value == 0:
        raise InputError("the amount must be more than zero.")
    before = channel_view(suite, chain, license_id, account.address, operator)
    require_balance(currency, account, value, "{who} has {has}, less than the {needed} to deposit.")
    meter = suite.meter
    ensure_allowance(currency, account, meter.address, "meter", value, approve, say, InputError)
    eth_value = value if currency.is_eth else 0
    args = (license_id, operator, value)
    decoder = suite_decoder(suite)
    preflight(meter, "deposit", *args, sender=account.address, decoder=decoder, value=eth_value)
    receipt = meter.deposit(*args, value=eth_value, sender=account)
    log = receipt.events.filter(meter.Deposited)[0]
    return Deposited(
        license_id, account.address, operator, currency, value, int(log.amount),
        int(log.reserve), not before.opened, str(receipt.txn_hash),
    )  # fmt: skip


def channel_status(
    suite: Suite, chain: Any, license_id: int, payer: str, operator: str
) -> ChannelView:
    """The channel now; InputError if it was never opened."""
    operator = _operator(operator)
    view = channel_view(suite, chain, license_id, payer, operator)
    if not view.opened:
        raise InputError(
            f"{checksum_address(payer)} has no channel with {operator} on license {license_id}."
        )
    return view


def request_withdrawal(
    suite: Suite, chain: Any, account: Any, license_id: int, operator: str, amount: str
) -> WithdrawalRequested:
    """Ask to take `amount` (or "all") out of a channel's reserve: it can be completed from
    WITHDRAWAL_DELAY later, for WITHDRAWAL_WINDOW, and vouchers still settle from it until
    then. It replaces any earlier request on the channel."""
    view = channel_status(suite, chain, license_id, account.address, operator)
    currency = currency_of(chain, view.state.currency)
    reserve = view.state.reserve
    value = reserve if amount.strip().lower() == "all" else currency.parse(amount)
    if value == 0:
        raise InputError(
            f"nothing to withdraw: the amount is zero (reserve {currency.format(reserve)})."
        )
    if value > reserve:
        raise InputError(
            f"the channel's reserve holds {currency.exact(reserve)}, less than the "
            f"{currency.exact(value)} requested."
        )
    meter = suite.meter
    args = (license_id, view.state.operator, value)
    preflight(meter, "requestWithdrawal", *args, sender=account.address,
              decoder=suite_decoder(suite))  # fmt: skip
    receipt = meter.requestWithdrawal(*args, sender=account)
    log = receipt.events.filter(meter.WithdrawalRequested)[0]
    return WithdrawalRequested(
        license_id, account.address, view.state.operator, currency, int(log.amount),
        int(log.readyAt), int(log.windowEnd), view.state.withdrawal if view.ready_at else 0,
        str(receipt.txn_hash),
    )  # fmt: skip


def cancel_withdrawal(
    suite: Suite, chain: Any, account: Any, license_id: int, operator: str
) -> WithdrawalCancelled:
    view = channel_status(suite, chain, license_id, account.address, operator)
    if view.ready_at == 0:
        raise InputError(f"no withdrawal is pending on license {license_id}'s channel.")
    meter = suite.meter
    args = (license_id, view.state.operator)
    preflight(meter, "cancelWithdrawal", *args, sender=account.address,
              decoder=suite_decoder(suite))  # fmt: skip
    receipt = meter.cancelWithdrawal(*args, sender=account)
    return WithdrawalCancelled(
        license_id, account.address, view.state.operator, view.state.withdrawal,
        str(receipt.txn_hash),
    )  # fmt: skip


def complete_withdrawal(
    suite: Suite, chain: Any, account: Any, license_id: int, operator: str
) -> Withdrawn:
    """Pay out a withdrawal within its window (from ready_at to window_end)."""
    view = channel_status(suite, chain, license_id, account.address, operator)
    status = view.withdrawal_status
    if status == "none":
        raise InputError(
            f"no withdrawal is pending on license {license_id}'s channel; use --request first."
        )
    if status == "waiting":
        raise InputError(
            f"the withdrawal is not ready until {format_time(view.ready_at)} "
            f"({format_wait(view.ready_at - view.now)})."
        )
    if status == "lapsed":
        raise InputError(
            f"the withdrawal's window closed at {format_time(view.window_end)} "
            f"({format_wait(view.window_end - view.now)}); request it again (and wait again)."
        )
    meter = suite.meter
    args = (license_id, view.state.operator)
    preflight(meter, "completeWithdrawal", *args, sender=account.address,
              decoder=suite_decoder(suite))  # fmt: skip
    receipt = meter.completeWithdrawal(*args, sender=account)
    log = receipt.events.filter(meter.Withdrawn)[0]
    return Withdrawn(
        license_id, account.address, view.state.operator, currency_of(chain, view.state.currency),
        int(log.amount), int(log.reserve), str(receipt.txn_hash),
    )  # fmt: skip


def change_signer(
    suite: Suite, chain: Any, account: Any, license_id: int, signer: str | None
) -> SignerChanged:
    """Schedule a new voucher signer for the account's channels on a license (None = the
    account itself); it takes effect WITHDRAWAL_DELAY from now."""
    meter = suite.meter
    if str(meter.signerOf(license_id, account.address)) == ZERO:
        raise InputError(f"{account.address} has no channel on license {license_id}.")
    who = checksum_address(signer, "signer") if signer else ZERO
    args = (license_id, who)
    preflight(meter, "changeSigner", *args, sender=account.address,
              decoder=suite_decoder(suite))  # fmt: skip
    receipt = meter.changeSigner(*args, sender=account)
    log = receipt.events.filter(meter.SignerChangeScheduled)[0]
    return SignerChanged(
        license_id, account.address, str(log.signer), int(log.switchAt), str(receipt.txn_hash)
    )


def earnings(suite: Suite, chain: Any, operator: str, token: str | None = None) -> Earnings:
    """An operator's service earnings not yet withdrawn, in one currency."""
    currency = currency_of(chain, token)
    who = checksum_address(operator, "operator")
    return Earnings(who, currency, int(suite.meter.earningsOf(who, currency.address)))


def withdraw_earnings(
    suite: Suite, chain: Any, account: Any, *, token: str | None = None, to: str | None = None
) -> EarningsWithdrawn:
    """The operator (the account) withdraws its service earnings, to itself or `to`."""
    held = earnings(suite, chain, account.address, token)
    if held.amount == 0:
        raise InputError(
            f"{account.address} has no {held.currency.symbol} service earnings to withdraw."
        )
    recipient = checksum_address(to, "recipient") if to else account.address
    meter = suite.meter
    args = (held.currency.address, recipient)
    preflight(meter, "withdrawEarnings", *args, sender=account.address,
              decoder=suite_decoder(suite))  # fmt: skip
    receipt = meter.withdrawEarnings(*args, sender=account)
    log = receipt.events.filter(meter.EarningsWithdrawn)[0]
    return EarningsWithdrawn(
        account.address, held.currency, recipient, int(log.amount), str(receipt.txn_hash)
    )


def describe_channel(view: ChannelView, currency: Currency) -> list[str]:
    """A channel as short "name: value" lines: what backs its vouchers, and until when."""
    s = view.state
    fmt = currency.format
    limit = "unlimited" if s.unit_limit >= 2**64 - 1 else f"{s.unit_limit:,}"
    left = "" if limit == "unlimited" else f" ({view.units_left:,} left)"
    closes = "never (perpetual license)" if s.closes_at >= 2**40 - 1 else (
        f"{format_time(s.closes_at)} ({format_wait(s.closes_at - view.now)})"
    )  # fmt: skip
    signer = s.signer + (" (a contract: checked on chain only)" if s.signer_is_contract else "")
    lines = [
        f"channel:     license {s.license_id}, payer {s.payer}, operator {s.operator}",
        f"reserve:     {fmt(s.reserve)}"
        + (f", pays for {s.reserve // s.unit_price:,} more units" if s.unit_price else ""),
        f"units:       {s.units:,} settled of a limit of {limit}{left}",
        f"unit price:  {fmt(s.unit_price)}",
        f"signer:      {signer}",
    ]
    if s.signer_until:
        lines.append(f"             a new signer takes over at {format_time(s.signer_until)}")
    lines.append(f"settles:     until {closes}" + ("" if view.held else " (license moved away)"))
    status = view.withdrawal_status
    if status == "none":
        lines.append("withdrawal:  none pending")
    else:
        window = f"completable {format_time(view.ready_at)} to {format_time(view.window_end)}"
        word = {"waiting": "waiting", "ready": "ready now", "lapsed": "lapsed (request again)"}
        lines.append(f"withdrawal:  {fmt(s.withdrawal)} requested, {word[status]}; {window}")
    return lines
