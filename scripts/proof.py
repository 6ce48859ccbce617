"""Export one contributor's proof, for a contributor who has no tree file.

    ape run proof ASSET ADDRESS [--tree FILE | --manifest FILE | --folder DIR]
        [--out proof.json] --network ...

The tree is the file given, or the `contributors.sbtree` saved next to the manifest. The
proof is checked against the asset's on-chain contributors root (and with the registry's
own verifyContributor) before it is written: a proof that would not verify is an error. The
JSON holds the roots, the weight, the proof as (hash, sum) pairs and how to call claim; see
docs/TREEFILE.md. Without --out it is printed.
"""

import json
from pathlib import Path

import click

from seedbed.cli.command import command


@command()
@click.argument("asset")
@click.argument("address")
@click.option("--tree", type=click.Path(path_type=Path), help="The contributors tree (.sbtree).")
@click.option("--manifest", type=click.Path(path_type=Path), help="Use the tree next to it.")
@click.option("--folder", type=click.Path(path_type=Path), help="Use <folder>/.seedbed/.")
@click.option("--out", type=click.Path(path_type=Path), help="Write the JSON here.")
def cli(
    asset: str,
    address: str,
    tree: Path | None,
    manifest: Path | None,
    folder: Path | None,
    out: Path | None,
) -> None:
    from ape import chain, project

    from seedbed.chain.client import Suite
    from seedbed.core.addresses import parse_address
    from seedbed.core.atomic import write_atomic
    from seedbed.core.treefile import ContributorTree
    from seedbed.workflows import assets

    asset_id = assets.parse_asset(asset)
    parse_address(address)
    path = assets.find_tree(tree, manifest, folder)
    suite = Suite.load(project, chain)
    with ContributorTree.load(path) as loaded:
        data = assets.export_proof(
            suite.registry,
            str(suite.vault.address),
            suite.chain_id,
            asset_id,
            loaded,
            address,
            str(path),
        )
    text = json.dumps(data, indent=2) + "\n"
    if out is None:
        click.echo(text, nl=False)
        return
    write_atomic(out, text.encode())
    click.echo(
        f"proof of {data['account']} (weight {data['weight']} of {data['totalWeight']}) for "
        f"asset {asset_id} verified and written to {out}"
    )
