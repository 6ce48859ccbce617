"""`ape run earnings [OPERATOR] [--token ADDR] [--withdraw [--to ADDRESS]]`: a gateway
operator's service earnings in the meter, and withdrawing them."""

import click

from seedbed.cli.command import command
from seedbed.cli.options import json_option, signer_option
from seedbed.cli.types import ADDRESS


@command()
@signer_option(required=False)
@click.argument("operator", metavar="OPERATOR", required=False, type=ADDRESS)
@click.option("--token", metavar="ADDR", help="The currency (default: ETH).")
@click.option("--withdraw", is_flag=True, help="Withdraw the --account's earnings.")
@click.option("--to", "to", type=ADDRESS, help="With --withdraw: pay ADDRESS (default: you).")
@json_option()
def cli(account, operator, token, withdraw, to, as_json):
    """Show OPERATOR's service earnings (default: the --account's), or --withdraw them."""
    from ape import chain, project

    from seedbed.chain.client import Suite
    from seedbed.cli.output import Out
    from seedbed.core.errors import InputError
    from seedbed.workflows.escrow import earnings, withdraw_earnings

    out = Out(as_json)
    suite = Suite.load(project, chain)
    if withdraw:
        if operator is not None:
            raise InputError("--withdraw takes the --account's earnings: name no OPERATOR.")
        if account is None:
            raise InputError("--withdraw needs the operator's --account.")
        done = withdraw_earnings(suite, chain, account, token=token, to=to)
        out.say(f"withdrew {done.currency.format(done.amount)} of service earnings to {done.to}")
        out.result(done)
        return
    if to is not None:
        raise InputError("--to only goes with --withdraw.")
    if operator is None and account is None:
        raise InputError("Name the OPERATOR to look up (or pass --account).")
    held = earnings(suite, chain, operator or account.address, token)
    out.say(f"service earnings of {held.operator}: {held.currency.format(held.amount)}")
    out.result(held)
