"""`ape run sign_voucher <license> <cumulative-units> [--deadline 1h] (--ledger FILE |
--out FILE.json)`: the license holder signs a usage voucher for a gateway to settle."""

import click
from ape.cli import ConnectedProviderCommand, account_option

from seedbed.cli.errors import one_line_errors


@click.command(cls=ConnectedProviderCommand)
@account_option()
@click.argument("license_id", metavar="LICENSE", type=int)
@click.argument("units", metavar="CUMULATIVE_UNITS", type=int)
@click.option("--deadline", default="1d", show_default=True, help="How long it stays settleable.")
@click.option("--ledger", "ledger_path", metavar="FILE", help="Add it to this gateway ledger.")
@click.option("--out", "out_path", metavar="FILE", help="Append it to this JSON list.")
@one_line_errors
def cli(account, license_id, units, deadline, ledger_path, out_path):
    """Sign a voucher: "LICENSE has used CUMULATIVE_UNITS units in total".

    Vouchers are cumulative: each new one replaces the previous, and settling it charges only
    the units above what is already settled, from the holder's escrow.
    """
    from pathlib import Path

    from ape import chain, project

    from seedbed.chain.client import Suite
    from seedbed.core.errors import InputError
    from seedbed.core.units import parse_duration
    from seedbed.core.vouchers import SignedVoucher, Voucher
    from seedbed.workflows.meter import format_time, license_usage, sign_with_account
    from seedbed.workflows.royalties import currency_of

    if (ledger_path is None) == (out_path is None):
        raise InputError("say where the voucher goes: --ledger FILE or --out FILE.json (one).")
    ttl = parse_duration(deadline)
    if ttl == 0:
        raise InputError("the deadline must be a positive duration, e.g. 1h or 7d.")
    suite = Suite.load(project, chain)
    usage = license_usage(suite, license_id)
    if usage.holder != account.address:
        raise InputError(
            f"{account.address} does not hold license {license_id} (the holder is "
            f"{usage.holder}); only the holder's vouchers settle."
        )
    now = int(chain.blocks.head.timestamp)
    problem = usage.voucher_problem(units, now)
    if problem:
        raise InputError(problem)
    voucher = Voucher(license_id, units, now + ttl)
    signed = SignedVoucher(
        voucher, sign_with_account(account, voucher, suite.chain_id, suite.meter.address)
    )

    if ledger_path is not None:
        add_to_ledger(Path(ledger_path), signed, suite, account.address, now)
    else:
        append_json(Path(out_path), signed)
    currency = currency_of(chain, usage.currency)
    new_units = units - usage.units_used
    cost = currency.format(new_units * usage.unit_price)
    click.echo(
        f"signed license {license_id} at {units} units in total ({new_units} not yet settled, "
        f"{cost}), settleable until {format_time(voucher.deadline)}"
    )
    click.echo(f"saved to {ledger_path or out_path}")
    escrow = int(suite.meter.escrowOf(account.address, usage.currency))
    if escrow < new_units * usage.unit_price:
        click.echo(
            f"warning: your escrow holds only {currency.format(escrow)}; "
            "deposit more with `ape run deposit`"
        )


def add_to_ledger(path, signed, suite, holder, now):
    from seedbed.workflows.ledger import VoucherLedger

    with VoucherLedger(path, suite.chain_id, suite.meter.address) as ledger:
        ledger.accept(signed, expected_signer=holder, now=now)


def append_json(path, signed):
    import json

    from seedbed.core.atomic import write_atomic
    from seedbed.core.errors import InputError

    entries = []
    if path.exists():
        try:
            entries = json.loads(path.read_text())
        except (OSError, json.JSONDecodeError) as err:
            raise InputError(f"{path} is not a readable JSON list of vouchers: {err}.") from None
        if not isinstance(entries, list):
            raise InputError(f"{path} holds JSON but not a list of vouchers.")
    entries.append(signed.to_json())
    write_atomic(path, (json.dumps(entries, indent=2) + "\n").encode())
