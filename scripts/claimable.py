"""`ape run claimable [ADDRESS] --tree FILE ...`: what an address can claim, as a table."""

import click

from seedbed.cli.command import command
from seedbed.cli.options import signer_option
from seedbed.cli.types import ADDRESS


@command()
@signer_option(required=False)
@click.argument("address", required=False, type=ADDRESS)
@click.option("--tree", "tree_paths", multiple=True, metavar="FILE", help="A saved tree (.sbtree).")
@click.option("--asset", "asset_ids", multiple=True, metavar="ID")
@click.option("--token", "tokens", multiple=True, metavar="ADDR", help="ETH or an ERC-20.")
def cli(account, address, tree_paths, asset_ids, tokens):
    """List what ADDRESS (default: the --account) can claim, per asset and currency.

    "after flows" includes what the asset's children still hold as pending upstream, which
    `ape run claim` flows in first. Reads only; sends nothing.
    """
    from ape import chain, project

    from seedbed.chain.client import Suite
    from seedbed.core.addresses import parse_address, to_checksum_address
    from seedbed.core.errors import InputError
    from seedbed.workflows.royalties import format_table, parse_asset_id, positions, share_text

    if address is None and account is None:
        raise InputError("Name the ADDRESS to look up (or pass --account).")
    who = to_checksum_address(parse_address(address)) if address else account.address
    suite = Suite.load(project, chain)
    ids = [parse_asset_id(a) for a in asset_ids]
    _, lines = positions(suite, chain, who, tree_paths, ids, tokens)
    shown = [x for x in lines if x.accrued or x.inflow or x.claimed]
    if not shown:
        click.echo(f"{who} has nothing to claim yet.")
        return
    rows = [
        (
            str(x.target.asset_id),
            x.currency.symbol,
            share_text(x.target.weight, x.target.total_weight),
            x.currency.format(x.now),
            x.currency.format(x.after_flows),
            x.currency.format(x.claimed),
        )
        for x in shown
    ]
    click.echo(f"claimable by {who}")
    headers = ("asset", "currency", "share", "now", "after flows", "claimed so far")
    for row in format_table(headers, rows, align="llrrrr"):
        click.echo(row)
    for currency in dict.fromkeys(x.currency for x in shown):
        mine = [x for x in shown if x.currency == currency]
        now = sum(x.now for x in mine)
        after = sum(x.after_flows for x in mine)
        click.echo(
            f"total {currency.symbol}: {currency.format(now)} now, "
            f"{currency.format(after)} after flows"
        )
