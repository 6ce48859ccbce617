"""Relist a delisted asset: `ape run relist ASSET --network ... [--account ...]`."""

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
    tx = assets.set_listing(suite.registry, account, asset_id, listed=True)
    click.echo(f"asset {asset_id}: listed again, tx {tx}")
