"""`ape run withdraw --request <amount|all> | --complete [--token ADDR]`: take escrow back
from the usage meter in two steps; with neither option, show the escrow and any request."""

import click

from seedbed.cli.command import command
from seedbed.cli.options import json_option, signer_option


@command()
@signer_option()
@click.option("--request", "request", metavar="AMOUNT", help='Start a withdrawal ("all" for all).')
@click.option("--complete", is_flag=True, help="Finish the withdrawal requested earlier.")
@click.option("--token", "token", metavar="ADDR", help="The ERC-20 escrow (default: ETH).")
@json_option()
def cli(account, request, complete, token, as_json):
    """Withdraw escrow: --request starts the delay, --complete pays out after it.

    Until the delay ends, gateways may still settle vouchers from the escrow. A new request
    replaces the previous one and restarts the delay.
    """
    from ape import chain, project

    from seedbed.chain.client import Suite
    from seedbed.cli.output import Out
    from seedbed.core.errors import InputError
    from seedbed.core.units import format_duration
    from seedbed.workflows.escrow import complete_withdrawal, escrow_state, request_withdrawal
    from seedbed.workflows.meter import format_time, format_wait

    out = Out(as_json)
    if request is not None and complete:
        raise InputError("use either --request AMOUNT or --complete, not both.")
    suite = Suite.load(project, chain)
    if request is not None:
        asked = request_withdrawal(suite, chain, account, request, token=token)
        fmt = asked.currency.format
        if asked.replaced:
            out.say(f"replaced the earlier request for {fmt(asked.replaced)}")
        delay = format_duration(int(suite.meter.WITHDRAWAL_DELAY()))
        out.say(
            f"requested {fmt(asked.amount)}; ready at {format_time(asked.ready_at)} (after {delay})"
        )
        out.say("until then, vouchers may still be settled from this escrow")
        out.result(asked)
    elif complete:
        before = escrow_state(suite, chain, account.address, token)
        if before.ready_at and before.now >= before.ready_at:
            fmt = before.currency.format
            out.say(
                f"will pay {fmt(before.payout)} "
                f"(requested {fmt(before.requested)}, escrow {fmt(before.balance)})"
            )
        paid = complete_withdrawal(suite, chain, account, token=token)
        fmt = paid.currency.format
        out.say(f"withdrew {fmt(paid.amount)}; escrow left {fmt(paid.escrow_left)}")
        out.result(paid)
    else:
        state = escrow_state(suite, chain, account.address, token)
        fmt = state.currency.format
        out.say(f"escrow of {state.account}: {fmt(state.balance)}")
        if state.ready_at == 0:
            out.say("no withdrawal requested")
        else:
            ready = "ready" if state.now >= state.ready_at else "not ready"
            out.say(
                f"requested {fmt(state.requested)}: {ready} at {format_time(state.ready_at)} "
                f"({format_wait(state.ready_at - state.now)}); would pay {fmt(state.payout)}"
            )
        out.result(state)
