"""Rebuild every royalty flow from the chain's events, check it against the chain, report it.

    ape run audit [--from-block N] [--asset ID ...] [--tree ASSET_ID=FILE ...] [--out DIR]
                  [--db FILE] [--vault ADDRESS] --network ...

Writes audit.json, CSV tables and a self-contained report.html to --out; the last line
printed is the HTML report's path. Exits non-zero when any check fails. --from-block may be
the deployment block or earlier, never later: the audit rebuilds every total since
deployment, so it refuses (one `error:` line, nothing written) rather than audit in part.
Amounts printed are rounded to 4 significant digits; audit.json and the CSV files are exact.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

import click

from seedbed.cli.command import command
from seedbed.cli.types import BLOCK
from seedbed.core.errors import InputError


def _parse_trees(values: tuple[str, ...]) -> dict[int, str]:
    trees: dict[int, str] = {}
    for value in values:
        asset, sep, path = value.partition("=")
        if not sep or not asset.strip().isdigit() or not path:
            raise InputError(f"--tree takes ASSET_ID=FILE, not {value!r}.")
        if not Path(path).is_file():
            raise InputError(f"The tree file {path} does not exist.")
        trees[int(asset)] = path
    return trees


@command()
@click.option(
    "--from-block",
    type=BLOCK,
    default=None,
    help="First block to read (default: the deployment block). A later block is refused, "
    "not audited in part: every check compares totals since deployment, so a ledger that "
    "misses earlier events would report failures that are not there. A block past the "
    "chain head is refused too.",
)
@click.option("--asset", "assets", type=int, multiple=True, help="Report only these assets.")
@click.option(
    "--tree", "trees", multiple=True, help="ASSET_ID=FILE: a published contributors tree."
)
@click.option("--out", type=click.Path(file_okay=False), default=None, help="Report folder.")
@click.option("--db", type=click.Path(dir_okay=False), default=None, help="Event index (SQLite).")
@click.option("--vault", default=None, help="Audit this vault instead of the recorded one.")
def cli(
    from_block: int | None,
    assets: tuple[int, ...],
    trees: tuple[str, ...],
    out: str | None,
    db: str | None,
    vault: str | None,
) -> None:
    from ape import chain, project
    from rich.console import Console
    from rich.progress import BarColumn, Progress, TextColumn

    from seedbed.chain.client import Suite
    from seedbed.workflows.audit.report import failure_lines, print_summary
    from seedbed.workflows.audit.run import AuditFailed, run_audit

    tree_files = _parse_trees(trees)
    suite = Suite.load(project, chain)
    out_dir = Path(out or f"audit-{chain.chain_id}")
    db_path = Path(db) if db else out_dir / "events.sqlite"
    console = Console(width=160)
    with Progress(
        TextColumn("ingesting events"),
        BarColumn(),
        TextColumn("block {task.fields[block]} · {task.fields[events]} new events"),
        console=console,
        transient=True,
    ) as bar:
        task = bar.add_task("ingest", total=None, block="…", events=0)

        def progress(done: int, head: int, events: int) -> None:
            bar.update(task, total=head, completed=done, block=done, events=events)

        try:
            result = run_audit(
                project,
                chain,
                suite,
                db_path,
                out_dir,
                trees=tree_files,
                from_block=from_block,
                assets=list(assets) or None,
                vault=vault,
                progress=progress,
            )
        except sqlite3.Error as err:  # locked by another audit, disk full, corrupt file...
            raise InputError(f"The audit database {db_path} failed: {err}.") from err
    stats = result.ingest
    click.echo(
        f"{stats.total_events} events up to block {result.block} "
        f"({stats.new_events} new in {stats.ranges} ranges"
        + (f"; reorg: rewound to block {stats.rewound_to}" if stats.rewound_to is not None else "")
        + ")"
    )
    print_summary(result, console)
    for line in failure_lines(result, limit=200):
        click.echo(line)
    failures = len(result.findings.failures)
    if len(result.findings.items) > 200:
        click.echo(f"... {len(result.findings.items) - 200} more in {result.paths['json']}")
    click.echo(f"JSON and CSV: {result.paths['json'].parent.resolve()}")
    click.echo(f"HTML report: {result.paths['html'].resolve()}")
    if failures:
        raise AuditFailed(
            f"the audit failed: {failures} check{'s' if failures != 1 else ''} failed "
            "(listed above and in the report)."
        )
