"""`ape run sweep [--token ADDR ...] [--dry-run]`: return mistaken transfers to the treasury."""

import click

from seedbed.cli.command import command
from seedbed.cli.options import json_option, signer_option


@command()
@signer_option()
@click.option("--token", "tokens", multiple=True, metavar="ADDR", help="ETH or an ERC-20.")
@click.option("--dry-run", is_flag=True, help="Show what each contract holds beyond its books.")
@json_option()
def cli(account, tokens, dry_run, as_json):
    """Send what the vault, meter, license token and registry hold beyond what they owe to the
    treasury (tokens sent to them by mistake). What they owe is never touched: the vault keeps
    `held`, the meter `totalHeld`; the license token and registry owe nothing. Anyone may run it.
    """
    from ape import chain, project

    from seedbed.chain.client import Suite
    from seedbed.cli.output import Out
    from seedbed.workflows.rescue import survey, sweep

    out = Out(as_json)
    suite = Suite.load(project, chain)
    items = survey(suite, chain, tokens) if dry_run else sweep(suite, chain, account, tokens)
    for item in items:
        fmt = item.currency.format
        verb = "holds" if dry_run else "swept"
        out.say(
            f"{item.contract}: {verb} {fmt(item.excess)} beyond its books "
            f"(balance {fmt(item.balance)}, owed {fmt(item.owed)})"
        )
    if not dry_run and not items:
        out.say("nothing to sweep: every contract holds exactly what it owes")
    out.result(items)
