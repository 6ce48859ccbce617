"""Delist an asset: `ape run delist ASSET --network ... [--account ...]`.

A delisted asset sells no new licenses; what was sold and what is owed stay as they were.
`ape run relist ASSET` undoes it. Only the owner (or an account it approved) can do either.
"""

from typing import Any

import click

from seedbed.cli.command import command
from seedbed.cli.options import signer_option


@command()
@signer_option()
@click.argument("asset")
def cli(account: Any, asset: str) -> None:
    from ape import chain, project

    from seedbed.chain.client import Suite
    from seedbed.workflows import assets

    asset_id = assets.parse_asset(asset)
    suite = Suite.load(project, chain)
    tx = assets.set_listing(suite.registry, account, asset_id, listed=False)
    click.echo(f"asset {asset_id}: delisted, tx {tx}")
