"""`ape run sign_voucher <license> <cumulative-units> [--deadline 1h] (--ledger FILE |
--out FILE.json)`: the license holder signs a usage voucher for a gateway to settle."""

import click

from seedbed.cli.command import command
from seedbed.cli.options import json_option, signer_option
from seedbed.cli.types import DURATION, LICENSE_ID, UNITS


@command()
@signer_option()
@click.argument("license_id", metavar="LICENSE", type=LICENSE_ID)
@click.argument("units", metavar="CUMULATIVE_UNITS", type=UNITS)
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
def cli(account, license_id, units, deadline, ledger_path, out_path, as_json):
    """Sign a voucher: "LICENSE has used CUMULATIVE_UNITS units in total".

    Vouchers are cumulative: each new one replaces the previous, and settling it charges only
    the units above what is already settled, from the holder's escrow.
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
    done = sign_voucher(suite, chain, account, license_id, units, deadline)
    if ledger_path is not None:
        now = int(chain.blocks.head.timestamp)
        add_to_ledger(Path(ledger_path), done.signed, suite, account.address, now)
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
            f"warning: your escrow holds only {fmt(done.escrow)}; "
            "deposit more with `ape run deposit`"
        )
    out.result(done)
