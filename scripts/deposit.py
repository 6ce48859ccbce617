"""`ape run deposit <amount> [--token ADDR] [--approve]`: put escrow into the usage meter."""

import click

from seedbed.cli.command import command
from seedbed.cli.options import json_option, signer_option


@command()
@signer_option()
@click.argument("amount", metavar="AMOUNT")
@click.option("--token", "token", metavar="ADDR", help="Deposit this ERC-20 (default: ETH).")
@click.option(
    "--approve",
    is_flag=True,
    help="If the meter's allowance is short, first approve exactly AMOUNT (one more "
    "transaction). Without it, a short allowance is an error and nothing is sent.",
)
@json_option()
def cli(account, amount, token, approve, as_json):
    """Deposit AMOUNT (e.g. 0.5, "0.5 ETH", "20 USDC") as escrow that pays for metered use.

    Vouchers you sign are settled from this escrow. Taking it back is two steps with a
    delay (`ape run withdraw`), so gateways can always settle what they served.
    """
    from ape import chain, project

    from seedbed.chain.client import Suite
    from seedbed.cli.output import Out
    from seedbed.workflows.escrow import deposit

    out = Out(as_json)
    done = deposit(
        Suite.load(project, chain), chain, account, amount, token=token, approve=approve,
        say=out.say,
    )  # fmt: skip
    fmt = done.currency.format
    out.say(f"deposited {fmt(done.arrived)} into the usage meter for {done.account}")
    if done.arrived != done.sent:
        out.say(
            f"note: {fmt(done.sent)} were sent but {fmt(done.arrived)} "
            "arrived (the token takes a fee); escrow counts what arrived"
        )
    out.say(f"escrow now {fmt(done.escrow)} (transaction {done.tx})")
    out.result(done)
