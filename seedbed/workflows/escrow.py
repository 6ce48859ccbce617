"""A consumer's usage escrow on the meter: deposit, and the two-step withdrawal (request,
then complete after the delay). What `ape run deposit` / `withdraw` and the API do."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from seedbed.chain.client import Suite
from seedbed.core.errors import InputError
from seedbed.workflows.meter import format_time, format_wait, preflight, suite_decoder
from seedbed.workflows.royalties import Currency, currency_of, ensure_allowance, require_balance


@dataclass(frozen=True)
class Deposited:
    account: str
    currency: Currency
    sent: int
    arrived: int
    escrow: int
    tx: str


@dataclass(frozen=True)
class EscrowState:
    account: str
    currency: Currency
    balance: int
    requested: int
    ready_at: int
    now: int

    @property
    def payout(self) -> int:
        return min(self.requested, self.balance)


@dataclass(frozen=True)
class WithdrawalRequested:
    account: str
    currency: Currency
    amount: int
    ready_at: int
    replaced: int
    tx: str


@dataclass(frozen=True)
class Withdrawn:
    account: str
    currency: Currency
    amount: int
    escrow_left: int
    tx: str


def deposit(
    suite: Suite,
    chain: Any,
    account: Any,
    amount: str,
    *,
    token: str | None = None,
    approve: bool = False,
    say: Callable[[str], None] = lambda _: None,
) -> Deposited:
    """Deposit `amount` (e.g. "0.5", "20 USDC") as escrow for metered use."""
    meter = suite.meter
    currency = currency_of(chain, token)
    value = currency.parse(amount)
    if value == 0:
        raise InputError("the amount must be more than zero.")
    require_balance(currency, account, value, "{who} has {has}, less than the {needed} to deposit.")
    eth_value = value if currency.is_eth else 0
    ensure_allowance(currency, account, meter.address, "meter", value, approve, say, InputError)
    decoder = suite_decoder(suite)
    args = (currency.address, value)
    preflight(meter, "deposit", *args, sender=account.address, decoder=decoder, value=eth_value)
    receipt = meter.deposit(*args, value=eth_value, sender=account)
    log = receipt.events.filter(meter.Deposited)[0]
    return Deposited(
        account.address, currency, value, int(log.amount), int(log.escrow), str(receipt.txn_hash)
    )


def escrow_state(suite: Suite, chain: Any, address: str, token: str | None = None) -> EscrowState:
    currency = currency_of(chain, token)
    pending = suite.meter.withdrawalOf(address, currency.address)
    return EscrowState(
        account=address,
        currency=currency,
        balance=int(suite.meter.escrowOf(address, currency.address)),
        requested=int(pending.amount),
        ready_at=int(pending.readyAt),
        now=int(chain.blocks.head.timestamp),
    )


def request_withdrawal(
    suite: Suite, chain: Any, account: Any, amount: str, *, token: str | None = None
) -> WithdrawalRequested:
    """Ask to take `amount` (or "all") out of escrow; it becomes withdrawable after the
    meter's delay, and vouchers may still settle from it until then."""
    state = escrow_state(suite, chain, account.address, token)
    currency = state.currency
    value = state.balance if amount.strip().lower() == "all" else currency.parse(amount)
    if value == 0:
        raise InputError(
            f"nothing to withdraw: the amount is zero (escrow {currency.format(state.balance)})."
        )
    if value > state.balance:
        raise InputError(
            f"you have {currency.exact(state.balance)} in escrow, less than the "
            f"{currency.exact(value)} requested."
        )
    meter = suite.meter
    args = (currency.address, value)
    decoder = suite_decoder(suite)
    preflight(meter, "requestWithdrawal", *args, sender=account.address, decoder=decoder)
    receipt = meter.requestWithdrawal(*args, sender=account)
    log = receipt.events.filter(meter.WithdrawalRequested)[0]
    return WithdrawalRequested(
        account.address,
        currency,
        int(log.amount),
        int(log.readyAt),
        state.requested if state.ready_at else 0,
        str(receipt.txn_hash),
    )


def complete_withdrawal(
    suite: Suite, chain: Any, account: Any, *, token: str | None = None
) -> Withdrawn:
    """Pay out a withdrawal whose delay has passed."""
    state = escrow_state(suite, chain, account.address, token)
    if state.ready_at == 0:
        raise InputError(
            f"{account.address} has not requested a {state.currency.symbol} withdrawal; "
            "use --request first."
        )
    if state.now < state.ready_at:
        raise InputError(
            f"the withdrawal is not ready until {format_time(state.ready_at)} "
            f"({format_wait(state.ready_at - state.now)})."
        )
    meter = suite.meter
    currency = state.currency.address
    decoder = suite_decoder(suite)
    preflight(meter, "completeWithdrawal", currency, sender=account.address, decoder=decoder)
    receipt = meter.completeWithdrawal(currency, sender=account)
    log = receipt.events.filter(meter.Withdrawn)[0]
    return Withdrawn(
        account.address, state.currency, int(log.amount), int(log.escrow), str(receipt.txn_hash)
    )
