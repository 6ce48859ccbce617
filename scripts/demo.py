"""The end-to-end demo on a local chain: `make demo` (= `ape run demo`).

ape run demo [--out DIR]
"""

import time
from pathlib import Path

import click

from seedbed.cli.command import command


@command()
@click.option(
    "--out", default="out/demo", show_default=True, help="Where the demo writes its files."
)
def cli(out):
    from ape import accounts, chain, project

    from seedbed.workflows.demo import Demo

    start = time.perf_counter()
    demo = Demo(project, chain, list(accounts.test_accounts)[:7], Path(out), click.echo)
    summary = demo.run()
    click.echo(f"\nDone in {time.perf_counter() - start:.0f} s.")
    verdict = "every check passed" if summary["ok"] else "SOME CHECKS FAILED"
    click.echo(f"Audit: {verdict}. HTML report: {summary['report']}")
    if not summary["ok"]:
        raise SystemExit(1)
