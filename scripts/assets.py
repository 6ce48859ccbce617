"""List registered assets and their facts.

    ape run assets [--owner ADDR] [--json] --network ...

One line per asset (id, kind, owner, content root, contributors root and total weight,
parents with shares, listed or delisted, created time, current metadata URI), or a JSON
array with --json. Reads only.
"""

import json

import click

from seedbed.cli.command import command


@command()
@click.option("--owner", metavar="ADDR", help="Only the assets this address holds.")
@click.option("--json", "as_json", is_flag=True, help="Print a JSON array.")
def cli(owner: str | None, as_json: bool) -> None:
    from ape import chain, project

    from seedbed.chain.client import Suite
    from seedbed.core.addresses import parse_address
    from seedbed.workflows import assets

    if owner is not None:
        parse_address(owner)  # a bad address is one error before any read
    suite = Suite.load(project, chain)
    start = int(suite.record.get("block", 0) or 0)
    metadata = assets.current_metadata(suite.registry, chain, start)
    found = assets.list_assets(suite.registry, owner, metadata)
    if as_json:
        click.echo(json.dumps([a.to_json() for a in found], indent=2))
        return
    for facts in found:
        click.echo(facts.line())
    click.echo(f"{len(found)} asset(s)" + (f" held by {owner}" if owner else ""))
