"""`ape run flow <asset> [--token ADDR] [--all]`: move pending upstream to the parents."""

import click
from ape.cli import ConnectedProviderCommand, account_option

from seedbed.cli.errors import one_line_errors


@click.command(cls=ConnectedProviderCommand)
@account_option()
@click.argument("asset_text", metavar="ASSET")
@click.option("--token", "token", metavar="ADDR", help="Flow this ERC-20 (default: ETH).")
@click.option(
    "--all",
    "all_levels",
    is_flag=True,
    help="Cascade: then flow every parent that now has pending upstream, and so on up the "
    "lineage (one transaction per asset, children before parents).",
)
@one_line_errors
def cli(account, asset_text, token, all_levels):
    """Move ASSET's pending upstream revenue into its parents' pools, by their shares.

    Anyone may flow; the money only ever goes to the parents. Prints each lineage edge.
    """
    from ape import chain, project

    from seedbed.chain.client import Suite, require_asset
    from seedbed.core.errors import ChainError
    from seedbed.workflows.royalties import (
        cascade,
        currency_of,
        flow_text,
        parse_asset_id,
        require_parents,
    )

    asset_id = parse_asset_id(asset_text)
    suite = Suite.load(project, chain)
    vault = suite.vault
    require_asset(suite, asset_id)
    require_parents(suite.registry, asset_id)
    currency = currency_of(chain, token)
    if int(vault.pendingUpstream(asset_id, currency.address)) == 0:
        raise ChainError(
            f"Nothing to flow: asset {asset_id} has no pending upstream in {currency.symbol}."
        )
    sent = cascade(
        vault,
        asset_id,
        currency.address,
        account,
        lambda log: click.echo(flow_text(log, currency)),
        all_levels=all_levels,
    )
    click.echo(f"{sent} flow transaction{'s' if sent != 1 else ''} sent")
