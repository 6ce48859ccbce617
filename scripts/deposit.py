"""`ape run deposit <amount> [--token ADDR] [--approve]`: put escrow into the usage meter."""

import click
from ape.cli import ConnectedProviderCommand, account_option

from seedbed.cli.errors import one_line_errors


@click.command(cls=ConnectedProviderCommand)
@account_option()
@click.argument("amount", metavar="AMOUNT")
@click.option("--token", "token", metavar="ADDR", help="Deposit this ERC-20 (default: ETH).")
@click.option(
    "--approve",
    is_flag=True,
    help="If the meter's allowance is short, first approve exactly AMOUNT (one more "
    "transaction). Without it, a short allowance is an error and nothing is sent.",
)
@one_line_errors
def cli(account, amount, token, approve):
    """Deposit AMOUNT (e.g. 0.5, "0.5 ETH", "20 USDC") as escrow that pays for metered use.

    Vouchers you sign are settled from this escrow. Taking it back is two steps with a
    delay (`ape run withdraw`), so gateways can always settle what they served.
    """
    from ape import chain, project

    from seedbed.chain.client import Suite
    from seedbed.core.errors import ChainError, InputError
    from seedbed.workflows.meter import preflight, suite_decoder
    from seedbed.workflows.royalties import currency_of, ensure_allowance

    suite = Suite.load(project, chain)
    meter = suite.meter
    currency = currency_of(chain, token)
    value = currency.parse(amount)
    if value == 0:
        raise InputError("the amount must be more than zero.")
    balance = int(account.balance if currency.is_eth else currency.contract.balanceOf(account))
    if balance < value:
        raise ChainError(
            f"{account.address} has {currency.format(balance)}, "
            f"less than the {currency.format(value)} to deposit."
        )
    decoder = suite_decoder(suite)
    eth_value = value if currency.is_eth else 0
    ensure_allowance(
        currency, account, meter.address, "meter", value, approve, click.echo, error=InputError
    )
    preflight(
        meter,
        "deposit",
        currency.address,
        value,
        sender=account.address,
        decoder=decoder,
        value=eth_value,
    )
    receipt = meter.deposit(currency.address, value, value=eth_value, sender=account)
    log = receipt.events.filter(meter.Deposited)[0]
    click.echo(
        f"deposited {currency.format(log.amount)} into the usage meter for {account.address}"
    )
    if log.amount != value:
        click.echo(
            f"note: {currency.format(value)} were sent but {currency.format(log.amount)} "
            "arrived (the token takes a fee); escrow counts what arrived"
        )
    click.echo(f"escrow now {currency.format(log.escrow)} (transaction {receipt.txn_hash})")
