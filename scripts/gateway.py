"""`ape run gateway --config FILE [--account ALIAS] [--host H] [--port P] [--no-payments]`:
serve models and datasets over HTTP, paid per call with vouchers (x402-compatible), settled
on chain in bulk by the same process."""

import click

from seedbed.cli.command import command
from seedbed.cli.options import signer_option


@command()
@signer_option(required=False)
@click.option(
    "--config", "config_path", required=True, metavar="FILE", help="The gateway's TOML file."
)
@click.option("--host", default=None, help="Listen address (default: the file's, else 127.0.0.1).")
@click.option(
    "--port", type=click.IntRange(0, 65535), default=None, help="Port (0: any free port)."
)
@click.option(
    "--no-settle",
    "no_settle",
    is_flag=True,
    help="Serve and record, but leave settling to another replica or `ape run settle`.",
)
@click.option(
    "--no-payments",
    "no_payments",
    is_flag=True,
    help="Serve the same routes unpaid (a baseline for measuring what payment adds).",
)
def cli(account, config_path, host, port, no_settle, no_payments):
    """Start the gateway: it prints `gateway listening on URL` once it accepts calls, and
    runs until interrupted. --account signs the settlements (and is the operator the
    vouchers name unless the file sets one)."""
    from ape import chain, project

    from seedbed.chain.client import Suite
    from seedbed.gateway.config import load, read_record
    from seedbed.gateway.run import build, serve

    config = load(config_path)
    if config.deployment is not None:
        suite = Suite.from_record(project, chain, read_record(config.deployment, chain.chain_id))
    else:
        suite = Suite.load(project, chain)
    services = build(config, suite, chain, account, settle=not no_settle, payments=not no_payments)

    def ready(url: str) -> None:
        click.echo(
            f"gateway listening on {url} (operator {services.operator}, chain {suite.chain_id})",
            err=False,
        )

    serve(services, host or config.host, config.port if port is None else port, ready)
