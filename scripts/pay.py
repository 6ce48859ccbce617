"""`ape run pay <asset> <amount> [--token ADDR] [--approve]`: pay an asset through the vault."""

import click
from ape.cli import ConnectedProviderCommand, account_option

from seedbed.cli.errors import one_line_errors


@click.command(cls=ConnectedProviderCommand)
@account_option()
@click.argument("asset_text", metavar="ASSET")
@click.argument("amount", metavar="AMOUNT")
@click.option("--token", "token", metavar="ADDR", help="Pay in this ERC-20 (default: ETH).")
@click.option(
    "--approve",
    is_flag=True,
    help="If the vault's allowance is short, first approve exactly AMOUNT (one more "
    "transaction). Without it, a short allowance is an error and nothing is sent.",
)
@one_line_errors
def cli(account, asset_text, amount, token, approve):
    """Pay AMOUNT (e.g. 0.05, "0.05 ETH", "12.5 USDC") into ASSET's royalty pool.

    The vault splits it at once between the asset's contributors and its parents (pending
    upstream, see `ape run flow`). ERC-20 amounts use the token's own decimals; balance and
    allowance are checked before anything is sent.
    """
    from ape import chain, project

    from seedbed.chain.client import Suite, require_asset
    from seedbed.core.errors import ChainError, InputError
    from seedbed.workflows.royalties import currency_of, ensure_allowance, parse_asset_id, simulate

    asset_id = parse_asset_id(asset_text)
    suite = Suite.load(project, chain)
    vault = suite.vault
    require_asset(suite, asset_id)
    currency = currency_of(chain, token)
    value = currency.parse(amount)
    if value == 0:
        raise InputError("The amount must be more than zero.")

    if currency.is_eth:
        balance = int(account.balance)
    else:
        balance = int(currency.contract.balanceOf(account.address))
    if balance < value:
        raise ChainError(
            f"Insufficient balance: {account.address} has {currency.format(balance)}, "
            f"the payment needs {currency.format(value)}."
        )
    ensure_allowance(currency, account, vault.address, "vault", value, approve, click.echo)

    eth_value = value if currency.is_eth else 0
    simulate(
        vault, "pay", asset_id, currency.address, value,
        sender=account.address, value=eth_value, also=[suite.registry],
    )  # fmt: skip
    receipt = vault.pay(asset_id, currency.address, value, value=eth_value, sender=account)
    paid = receipt.events.filter(vault.Paid)[0]
    arrived = int(paid.amount)
    click.echo(f"paid {currency.format(arrived)} into asset {asset_id} (tx {receipt.txn_hash})")
    if arrived != value:
        click.echo(f"  {currency.format(value - arrived)} was lost to the token's transfer fee")
    click.echo(f"  to its contributors:  {currency.format(int(paid.toContributors))}")
    click.echo(f"  pending upstream:     {currency.format(int(paid.toUpstream))}")
    if int(paid.fee):
        click.echo(f"  protocol fee:         {currency.format(int(paid.fee))}")
