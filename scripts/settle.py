"""`ape run settle --ledger FILE [--batch-size N] [--import vouchers.json] [--no-pay]`: settle
every voucher a gateway's ledger holds that the chain has not settled yet, then pay the
assets what the meter owes them (payAsset), so their contributors can claim."""

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
@click.option(
    "--no-pay", "no_pay", is_flag=True,
    help="Leave what settlements owe the assets in the meter (anyone can payAsset later).",
)  # fmt: skip
@json_option()
def cli(account, ledger_path, batch_size, import_path, no_pay, as_json):
    """Settle the ledger's pending vouchers in batches, then payAsset; safe to rerun.

    The ledger is first brought up to date with the chain (a run that died after settling
    but before recording it is caught up), then each batch is simulated and sent only if it
    settles something. Skipped vouchers are listed with the meter's reason. Settlement books
    each asset's share inside the meter; payAsset then pushes it into the vault for every
    asset the ledger's channels pay (also what an earlier run left unpaid). Imported
    vouchers are checked against their channel's reserve first; an import in which every
    voucher is refused is an error and leaves the ledger's vouchers as they were.
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
            import_path=import_path, pay=not no_pay, on_pending=_sized(on_pending, check, sending),
            reconcile_step=step("check"), settle_step=step("settle"),
        )  # fmt: skip
    if run.imported is not None:
        imp = run.imported
        out.say(f"imported {imp.accepted} of {imp.accepted + len(imp.refused)} vouchers")
        for reason in imp.refused:
            out.say(f"  not imported: {reason}")
    formatter = Amounts(chain)
    if run.report is None:
        out.say("nothing to settle: every voucher in the ledger is settled on chain")
    else:
        if run.synced:
            out.say(f"caught up {plural(run.synced, 'channel')} the chain had settled further")
        print_report(out, run.report, formatter)
    print_paid(out, run.paid, formatter, no_pay)
    out.result(run)
    unpaid = [p for p in run.paid if p.error]
    if unpaid:
        from seedbed.core.errors import ChainError

        raise ChainError(
            f"the vault refused payAsset for {plural(len(unpaid), 'asset')} "
            f"(first: asset {unpaid[0].asset_id}: {unpaid[0].error}); it stays owed in the meter."
        )


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


class Amounts:
    """Formats amounts of any currency, reading each token's symbol and decimals once."""

    def __init__(self, chain):
        self.chain, self.currencies = chain, {}

    def __call__(self, amount, address):
        from seedbed.workflows.royalties import currency_of

        if address not in self.currencies:
            self.currencies[address] = currency_of(self.chain, address)
        return self.currencies[address].format(amount)


def print_report(out, report, fmt):
    from seedbed.core.reverts import explain

    for s in report.settled:
        share = f", {fmt(s.service_share, s.currency)} to the operator" if s.service_share else ""
        out.say(
            f"settled license {s.license_id} from {s.payer}: {s.units} units, "
            f"{fmt(s.amount, s.currency)}{share} (now {s.cumulative_units} in total)"
        )
    for k in report.skipped:
        where = "" if k.sent else " (not sent)"
        out.say(
            f"skipped license {k.license_id} from {k.voucher.payer}{where}: {explain(k.reason)} "
            f"[{k.reason}]"
        )
    totals = ", ".join(fmt(amount, address) for address, amount in report.totals().items())
    units = sum(s.units for s in report.settled)
    out.say(
        f"done: {len(report.settled)} settled ({units} units{', ' + totals if totals else ''}) "
        f"in {plural(len(report.transactions), 'transaction')}, {len(report.skipped)} skipped"
    )


def print_paid(out, paid, fmt, no_pay):
    if no_pay:
        out.say("not paying the assets (--no-pay): what they are owed stays in the meter")
        return
    for p in paid:
        if p.error:
            out.say(f"payAsset FAILED for asset {p.asset_id}: {p.error}")
        else:
            out.say(
                f"paid asset {p.asset_id} {fmt(p.amount, p.currency)} into the vault (payAsset): "
                "its contributors can claim it"
            )
    if not paid:
        out.say("no asset is owed anything: nothing to pay into the vault")


def plural(count, noun):
    return f"{count} {noun}{'' if count == 1 else 's'}"
