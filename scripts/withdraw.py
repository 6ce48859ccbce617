"""`ape run withdraw LICENSE --operator ADDRESS [--request AMOUNT|all | --cancel | --complete]`:
take money back from a channel's reserve in two steps; with no step, show the channel."""

import click

from seedbed.cli.command import command
from seedbed.cli.options import json_option, operator_option, signer_option
from seedbed.cli.types import LICENSE_ID


@command()
@signer_option()
@click.argument("license_id", metavar="LICENSE", type=LICENSE_ID)
@operator_option()
@click.option("--request", "request", metavar="AMOUNT", help='Start a withdrawal ("all" for all).')
@click.option("--cancel", is_flag=True, help="Cancel the pending withdrawal.")
@click.option("--complete", is_flag=True, help="Complete the withdrawal, within its window.")
@json_option()
def cli(account, license_id, operator, request, cancel, complete, as_json):
    """Withdraw from your channel's reserve: --request starts the delay; --complete pays out
    from the end of the delay until its window closes (then it lapses: request again).

    Until the delay ends, the gateway may still settle vouchers from the reserve. A new
    request replaces the previous one and restarts the delay.
    """
    from ape import chain, project

    from seedbed.chain.client import Suite
    from seedbed.cli.output import Out
    from seedbed.core.errors import InputError
    from seedbed.core.units import format_duration
    from seedbed.workflows.escrow import (
        cancel_withdrawal,
        channel_status,
        complete_withdrawal,
        describe_channel,
        request_withdrawal,
    )
    from seedbed.workflows.meter import format_time
    from seedbed.workflows.royalties import currency_of

    out = Out(as_json)
    if sum((request is not None, cancel, complete)) > 1:
        raise InputError("use one of --request AMOUNT, --cancel or --complete.")
    suite = Suite.load(project, chain)
    if request is not None:
        asked = request_withdrawal(suite, chain, account, license_id, operator, request)
        fmt = asked.currency.format
        if asked.replaced:
            out.say(f"replaced the earlier request for {fmt(asked.replaced)}")
        delay = format_duration(int(suite.meter.WITHDRAWAL_DELAY()))
        out.say(
            f"requested {fmt(asked.amount)}; completable from {format_time(asked.ready_at)} "
            f"(after {delay}) until {format_time(asked.window_end)}, then it lapses"
        )
        out.say("until then, the gateway may still settle vouchers from this reserve")
        out.result(asked)
    elif cancel:
        done = cancel_withdrawal(suite, chain, account, license_id, operator)
        out.say(f"cancelled the withdrawal of license {license_id}'s channel")
        out.result(done)
    elif complete:
        paid = complete_withdrawal(suite, chain, account, license_id, operator)
        fmt = paid.currency.format
        out.say(f"withdrew {fmt(paid.amount)}; reserve left {fmt(paid.reserve_left)}")
        out.result(paid)
    else:
        view = channel_status(suite, chain, license_id, account.address, operator)
        for line in describe_channel(view, currency_of(chain, view.state.currency)):
            out.say(line)
        out.result(view)
