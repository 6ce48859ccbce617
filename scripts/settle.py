"""`ape run settle --ledger FILE [--batch-size N] [--import vouchers.json]`: settle every
voucher a gateway's ledger holds that the chain has not settled yet."""

import click
from ape.cli import ConnectedProviderCommand, account_option

from seedbed.cli.errors import one_line_errors


@click.command(cls=ConnectedProviderCommand)
@account_option()
@click.option("--ledger", "ledger_path", required=True, metavar="FILE", help="The voucher ledger.")
@click.option("--batch-size", default=100, show_default=True, help="Vouchers per transaction.")
@click.option(
    "--import", "import_path", metavar="FILE", help="First add the vouchers of this JSON list."
)
@one_line_errors
def cli(account, ledger_path, batch_size, import_path):
    """Settle the ledger's pending vouchers in batches; safe to rerun at any time.

    The ledger is first brought up to date with the chain (a run that died after settling
    but before recording it is caught up), then each batch is simulated and sent only if it
    settles something. Skipped vouchers are listed with the meter's reason.
    """
    from pathlib import Path

    from ape import chain, project

    from seedbed.chain.client import Suite
    from seedbed.core.errors import InputError
    from seedbed.workflows.ledger import VoucherLedger
    from seedbed.workflows.meter import (
        check_batch_size,
        plan,
        reconcile,
        settle_batches,
        suite_decoder,
    )

    path = Path(ledger_path)
    if not path.is_file() and import_path is None:
        raise InputError(f"there is no voucher ledger at {path}.")
    suite = Suite.load(project, chain)
    check_batch_size(batch_size, int(suite.meter.MAX_BATCH()))
    with VoucherLedger(path, suite.chain_id, suite.meter.address) as ledger:
        if import_path is not None:
            import_vouchers(ledger, Path(import_path), suite, chain)
        pending = ledger.pending()
        if not pending:
            click.echo("nothing to settle: every voucher in the ledger is settled on chain")
            return
        click.echo(f"{plural(len(pending), 'license')} with unsettled vouchers in {path}")
        with click.progressbar(length=len(pending), label="checking the chain") as bar:
            ids = [s.voucher.license_id for s in pending]
            states, synced = reconcile(ledger, suite.license, ids, bar.update)
        if synced:
            click.echo(f"caught up {plural(synced, 'license')} the chain had settled further")
        work = plan(ledger.pending(), states, int(chain.blocks.head.timestamp), batch_size)
        with click.progressbar(length=work.voucher_count, label="settling") as bar:
            report = settle_batches(
                ledger, suite.meter, account, work.batches, suite_decoder(suite), bar.update
            )
    report.skipped[:0] = work.skipped
    print_report(report, chain)


def import_vouchers(ledger, path, suite, chain):
    """Accept a JSON list of signed vouchers (as `ape run sign_voucher --out` writes them)."""
    import json

    from seedbed.core.errors import ChainError, InputError
    from seedbed.core.vouchers import SignedVoucher
    from seedbed.workflows.ledger import Rejected
    from seedbed.workflows.meter import license_usage

    try:
        entries = json.loads(path.read_text())
    except (OSError, json.JSONDecodeError) as err:
        raise InputError(f"cannot read vouchers from {path}: {err}.") from None
    if not isinstance(entries, list):
        raise InputError(f"{path} must hold a JSON list of signed vouchers.")
    vouchers = [SignedVoucher.from_json(e) for e in entries]

    def holder(license_id):
        try:
            return license_usage(suite, license_id).holder
        except ChainError as err:  # refuse this voucher, keep importing the others
            raise InputError(err.message) from None

    ledger.holder_lookup = holder
    results = ledger.accept_many(vouchers, now=int(chain.blocks.head.timestamp))
    refused = [r for r in results if isinstance(r, Rejected)]
    click.echo(f"imported {len(results) - len(refused)} of {len(results)} vouchers from {path}")
    for r in refused:
        click.echo(f"  not imported: {r.reason}")


def print_report(report, chain):
    from seedbed.workflows.meter import explain
    from seedbed.workflows.royalties import currency_of

    currencies = {}

    def fmt(amount, address):
        if address not in currencies:
            currencies[address] = currency_of(chain, address)
        return currencies[address].format(amount)

    for s in report.settled:
        click.echo(
            f"settled license {s.license_id}: {s.units} units, {fmt(s.amount, s.currency)} "
            f"(now {s.cumulative_units} in total)"
        )
    for k in report.skipped:
        where = "" if k.sent else " (not sent)"
        click.echo(f"skipped license {k.license_id}{where}: {explain(k.reason)} [{k.reason}]")
    totals = ", ".join(fmt(amount, address) for address, amount in report.totals().items())
    units = sum(s.units for s in report.settled)
    click.echo(
        f"done: {len(report.settled)} settled ({units} units{', ' + totals if totals else ''}) "
        f"in {plural(len(report.transactions), 'transaction')}, {len(report.skipped)} skipped"
    )


def plural(count, noun):
    return f"{count} {noun}{'' if count == 1 else 's'}"
