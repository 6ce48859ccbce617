"""Point a registered asset at new metadata.

    ape run metadata ASSET --uri URI [--file croissant.json] --network ... [--account ...]

The URI is where the Croissant file can be fetched (ipfs://, https://...; not a file on this
machine). With --file, the metadata hash is that file's, computed as register computes it
(keccak of its canonical JSON), and the file must describe the asset's content; without it
the hash already on chain is kept. Only the asset's owner (or an account it approved) can
change it; that is checked before anything is sent.
"""

from pathlib import Path
from typing import Any

import click

from seedbed.cli.command import command
from seedbed.cli.options import signer_option
from seedbed.core.errors import ChainError, InputError


@command()
@signer_option()
@click.argument("asset")
@click.option("--uri", required=True, help="Where the metadata is published.")
@click.option(
    "--file",
    "metadata_file",
    type=click.Path(path_type=Path),
    help="The Croissant file published at the URI (its hash goes on chain).",
)
def cli(account: Any, asset: str, uri: str, metadata_file: Path | None) -> None:
    from ape import chain, project

    from seedbed.chain.client import Suite
    from seedbed.workflows import assets
    from seedbed.workflows.registration import check_uri

    asset_id = assets.parse_asset(asset)
    check_uri(uri)
    if metadata_file is not None and not metadata_file.is_file():
        raise InputError(f"The metadata file {metadata_file} does not exist.")
    suite = Suite.load(project, chain)
    assets.check_authorized(suite.registry, asset_id, account.address)
    start = int(suite.record.get("block", 0) or 0)
    current = assets.current_metadata(suite.registry, chain, start, asset_id).get(asset_id)
    if metadata_file is not None:
        root = bytes(suite.registry.asset(asset_id).contentRoot)
        digest = assets.metadata_of_file(metadata_file, root)
    elif current is not None:
        digest = current.hash
    else:
        raise ChainError(f"No metadata hash found for asset {asset_id}: give --file.")
    tx = assets.update_metadata(suite.registry, account, asset_id, uri, digest, current)
    click.echo(f"asset {asset_id}: metadata {uri} (hash 0x{digest.hex()}), tx {tx}")
