"""`ape run pay <asset> <amount> [--token ADDR] [--approve]`: pay an asset through the vault."""

import click

from seedbed.cli.command import command
from seedbed.cli.options import json_option, signer_option
from seedbed.cli.types import ASSET_ID


@command()
@signer_option()
@click.argument("asset_id", metavar="ASSET", type=ASSET_ID)
@click.argument("amount", metavar="AMOUNT")
@click.option("--token", "token", metavar="ADDR", help="Pay in this ERC-20 (default: ETH).")
@click.option(
    "--approve",
    is_flag=True,
    help="If the vault's allowance is short, first approve exactly AMOUNT (one more "
    "transaction). Without it, a short allowance is an error and nothing is sent.",
)
@json_option()
def cli(account, asset_id, amount, token, approve, as_json):
    """Pay AMOUNT (e.g. 0.05, "0.05 ETH", "12.5 USDC") into ASSET's royalty pool.

    The vault splits it at once between the asset's contributors and its parents (pending
    upstream, see `ape run flow`). ERC-20 amounts use the token's own decimals; balance and
    allowance are checked before anything is sent.
    """
    from ape import chain, project

    from seedbed.chain.client import Suite
    from seedbed.cli.output import Out
    from seedbed.workflows.claims import pay

    out = Out(as_json)
    suite = Suite.load(project, chain)
    paid = pay(suite, chain, account, asset_id, amount, token=token, approve=approve, say=out.say)
    fmt = paid.currency.format
    out.say(f"paid {fmt(paid.arrived)} into asset {asset_id} (tx {paid.tx})")
    if paid.arrived != paid.sent:
        out.say(f"  {fmt(paid.sent - paid.arrived)} was lost to the token's transfer fee")
    out.say(f"  to its contributors:  {fmt(paid.to_contributors)}")
    out.say(f"  pending upstream:     {fmt(paid.to_upstream)}")
    if paid.fee:
        out.say(f"  protocol fee:         {fmt(paid.fee)}")
    out.result(paid)
