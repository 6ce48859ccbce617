"""`ape run deposit LICENSE AMOUNT --operator ADDRESS [--approve]`: fund the account's channel
with a gateway operator on a license it holds (opening it when new)."""

import click

from seedbed.cli.command import command
from seedbed.cli.options import json_option, operator_option, signer_option
from seedbed.cli.types import LICENSE_ID


@command()
@signer_option()
@click.argument("license_id", metavar="LICENSE", type=LICENSE_ID)
@click.argument("amount", metavar="AMOUNT")
@operator_option()
@click.option(
    "--approve",
    is_flag=True,
    help="If the meter's allowance is short, first approve exactly AMOUNT (one more "
    "transaction). Without it, a short allowance is an error and nothing is sent.",
)
@json_option()
def cli(account, license_id, amount, operator, approve, as_json):
    """Deposit AMOUNT (e.g. 0.5, "20 USDC", in the license's currency) into the reserve of
    your channel with the gateway --operator on LICENSE.

    The reserve pays only the vouchers you sign for that operator on that license. A new
    channel opens with you as the voucher signer and all the license's units (see
    `ape run open_channel` to choose). Taking money back is a delayed, one-time withdrawal
    (`ape run withdraw`), so gateways can always settle what they served.
    """
    from ape import chain, project

    from seedbed.chain.client import Suite
    from seedbed.cli.output import Out
    from seedbed.workflows.escrow import deposit

    out = Out(as_json)
    done = deposit(
        Suite.load(project, chain), chain, account, license_id, operator, amount,
        approve=approve, say=out.say,
    )  # fmt: skip
    fmt = done.currency.format
    if done.opened:
        out.say(f"opened the channel of license {license_id} with {done.operator}")
    out.say(f"deposited {fmt(done.arrived)} into the channel of license {license_id}")
    if done.arrived != done.sent:
        out.say(
            f"note: {fmt(done.sent)} were sent but {fmt(done.arrived)} "
            "arrived (the token takes a fee); the reserve counts what arrived"
        )
    out.say(f"reserve now {fmt(done.reserve)} (transaction {done.tx})")
    out.result(done)
