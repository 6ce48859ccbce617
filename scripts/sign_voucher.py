"""`ape run sign_voucher LICENSE CUMULATIVE_UNITS --operator ADDRESS [--payer ADDRESS]
[--deadline 1d] (--ledger FILE | --out FILE.json)`: the payer's voucher signer signs a usage
voucher on the channel (license, payer, operator) for the gateway to settle."""

import click

from seedbed.cli.command import command
from seedbed.cli.options import json_option, operator_option, signer_option
from seedbed.cli.types import ADDRESS, DURATION, LICENSE_ID, UNITS


@command()
@signer_option()
@click.argument("license_id", metavar="LICENSE", type=LICENSE_ID)
@click.argument("units", metavar="CUMULATIVE_UNITS", type=UNITS)
@operator_option()
@click.option(
    "--payer",
    type=ADDRESS,
    help="The channel's payer, when you sign as its session key (default: your account).",
)
@click.option(
    "--deadline",
    default="1d",
    type=DURATION,
    show_default=True,
    help="How long it stays settleable.",
)
@click.option("--ledger", "ledger_path", metavar="FILE", help="Add it to this gateway ledger.")
@click.option("--out", "out_path", metavar="FILE", help="Append it to this JSON list.")
@json_option()
def cli(account, license_id, units, operator, payer, deadline, ledger_path, out_path, as_json):
    """Sign a voucher: "the channel with --operator on LICENSE has used CUMULATIVE_UNITS
    units in total".

    Vouchers are cumulative: each new one replaces the previous, and settling it charges only
    the units above what the channel already settled, from the channel's reserve. With
    --ledger it goes straight into a gateway ledger, which refuses it unless the reserve
    covers it.
    """
    from pathlib import Path

    from ape import chain, project

    from seedbed.chain.client import Suite
    from seedbed.cli.output import Out
    from seedbed.core.errors import InputError
    from seedbed.workflows.meter import format_time
    from seedbed.workflows.usage import add_to_ledger, append_json, sign_voucher

    out = Out(as_json)
    if (ledger_path is None) == (out_path is None):
        raise InputError("say where the voucher goes: --ledger FILE or --out FILE.json (one).")
    suite = Suite.load(project, chain)
    done = sign_voucher(
        suite, chain, account, license_id, units, deadline, operator=operator, payer=payer
    )
    if ledger_path is not None:
        add_to_ledger(Path(ledger_path), done.signed, suite, chain)
    else:
        append_json(Path(out_path), done.signed)
    fmt = done.currency.format
    out.say(
        f"signed license {license_id} at {units} units in total ({done.new_units} not yet "
        f"settled, {fmt(done.cost)}), settleable until {format_time(done.signed.voucher.deadline)}"
    )
    out.say(f"saved to {ledger_path or out_path}")
    if done.underfunded:
        out.say(
            f"warning: the channel's reserve covers only {fmt(done.available)}; a gateway "
            "refuses this voucher until you deposit more with `ape run deposit`"
        )
    out.result(done)
