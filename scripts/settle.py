"""`ape run settle --ledger FILE [--batch-size N] [--import vouchers.json]`: settle every
voucher a gateway's ledger holds that the chain has not settled yet."""

import click

from seedbed.cli.command import command
from seedbed.cli.options import json_option, signer_option


@command()
@signer_option()
@click.option("--ledger", "ledger_path", required=True, metavar="FILE", help="The voucher ledger.")
@click.option("--batch-size", default=100, show_default=True, help="Vouchers per transaction.")
@click.option(
    "--import", "import_path", metavar="FILE", help="First add the vouchers of this JSON list."
)
@json_option()
def cli(account, ledger_path, batch_size, import_path, as_json):
    """Settle the ledger's pending vouchers in batches; safe to rerun at any time.

    The ledger is first brought up to date with the chain (a run that died after settling
    but before recording it is caught up), then each batch is simulated and sent only if it
    settles something. Skipped vouchers are listed with the meter's reason. An import in
    which every voucher is refused is an error and leaves the ledger as it was.
    """
    from ape import chain, project

    from seedbed.chain.client import Suite
    from seedbed.cli.output import Out
    from seedbed.workflows.settle import settle

    out = Out(as_json)
    bars: dict[str, object] = {}

    def step(label):
        def advance(n):
            bars[label].update(n)

        return advance

    def on_pending(count):
        if count and not as_json:
            out.say(f"{plural(count, 'license')} with unsettled vouchers in {ledger_path}")

    with (
        click.progressbar(length=1, label="checking the chain", file=_bar_file(as_json)) as check,
        click.progressbar(length=1, label="settling", file=_bar_file(as_json)) as sending,
    ):
        bars["check"], bars["settle"] = check, sending
        run = settle(
            Suite.load(project, chain), chain, account, ledger_path, batch_size=batch_size,
            import_path=import_path, on_pending=_sized(on_pending, check, sending),
            reconcile_step=step("check"), settle_step=step("settle"),
        )  # fmt: skip
    if run.imported is not None:
        imp = run.imported
        out.say(f"imported {imp.accepted} of {imp.accepted + len(imp.refused)} vouchers")
        for reason in imp.refused:
            out.say(f"  not imported: {reason}")
    if run.report is None:
        out.say("nothing to settle: every voucher in the ledger is settled on chain")
        out.result(run)
        return
    if run.synced:
        out.say(f"caught up {plural(run.synced, 'license')} the chain had settled further")
    print_report(out, run.report, chain)
    out.result(run)


def _sized(on_pending, *bars):
    def sized(count):
        for bar in bars:
            bar.length = max(count, 1)
        on_pending(count)

    return sized


def _bar_file(as_json):
    import io
    import sys

    return io.StringIO() if as_json or not sys.stderr.isatty() else sys.stderr


def print_report(out, report, chain):
    from seedbed.core.reverts import explain
    from seedbed.workflows.royalties import currency_of

    currencies = {}

    def fmt(amount, address):
        if address not in currencies:
            currencies[address] = currency_of(chain, address)
        return currencies[address].format(amount)

    for s in report.settled:
        out.say(
            f"settled license {s.license_id}: {s.units} units, {fmt(s.amount, s.currency)} "
            f"(now {s.cumulative_units} in total)"
        )
    for k in report.skipped:
        where = "" if k.sent else " (not sent)"
        out.say(f"skipped license {k.license_id}{where}: {explain(k.reason)} [{k.reason}]")
    totals = ", ".join(fmt(amount, address) for address, amount in report.totals().items())
    units = sum(s.units for s in report.settled)
    out.say(
        f"done: {len(report.settled)} settled ({units} units{', ' + totals if totals else ''}) "
        f"in {plural(len(report.transactions), 'transaction')}, {len(report.skipped)} skipped"
    )


def plural(count, noun):
    return f"{count} {noun}{'' if count == 1 else 's'}"
