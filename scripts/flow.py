"""`ape run flow <asset> [--token ADDR] [--all]`: move pending upstream to the parents."""

import click

from seedbed.cli.command import command
from seedbed.cli.options import json_option, signer_option
from seedbed.cli.types import ASSET_ID


@command()
@signer_option()
@click.argument("asset_id", metavar="ASSET", type=ASSET_ID)
@click.option("--token", "token", metavar="ADDR", help="Flow this ERC-20 (default: ETH).")
@click.option(
    "--all",
    "all_levels",
    is_flag=True,
    help="Cascade: then flow every parent that now has pending upstream, and so on up the "
    "lineage (one transaction per asset, children before parents).",
)
@json_option()
def cli(account, asset_id, token, all_levels, as_json):
    """Move ASSET's pending upstream revenue into its parents' pools, by their shares.

    Anyone may flow; the money only ever goes to the parents. Prints each lineage edge.
    """
    from ape import chain, project

    from seedbed.chain.client import Suite
    from seedbed.cli.output import Out
    from seedbed.workflows.claims import flow
    from seedbed.workflows.royalties import flow_text

    out = Out(as_json)
    flows = flow(
        Suite.load(project, chain), chain, account, asset_id, token=token, all_levels=all_levels
    )
    for flowed in flows:
        out.say(flow_text(flowed))
    sent = len({f.child for f in flows})
    out.say(f"{sent} flow transaction{'s' if sent != 1 else ''} sent")
    out.result(flows)
