"""Register dataset or model folders as Seedbed assets.

    ape run register FOLDER [FOLDER ...] --spdx CC-BY-4.0 [--contributors people.csv]
        [--parent ID[:SHARE] ...] [--share SHARE ...] [--license LICENSE_ID ...]
        [--kind dataset|model|other] [--name NAME] [--description TEXT]
        [--uri-base URI] [--out DIR] [--batch-size N]
        [--exclude PATTERN ...] [--no-default-excludes] [--symlinks refuse|skip|follow]
        --network ... --account ...

Each folder is hashed into a manifest; its contributors tree and Croissant metadata are
saved (default `<folder>/.seedbed/`) and the asset is registered. Several folders go in
batches through the registry's multicall. Everything is checked, and every batch simulated,
before the first transaction; a re-run skips folders this account already registered.

What is left out is shown, one line per folder, and recorded in the manifest: `/.seedbed/`
(always), the defaults __pycache__/ *.pyc .git/ .DS_Store, the folder's `.seedbedignore`
and every --exclude (gitignore syntax). Without --uri-base no metadata URI is published;
`ape run metadata ASSET --uri URI` sets it once the Croissant file is online.
"""

from pathlib import Path
from typing import Any

import click

from seedbed.cli.command import command
from seedbed.cli.errors import describe
from seedbed.cli.options import signer_option
from seedbed.core.constants import KINDS
from seedbed.core.manifest import DEFAULT_EXCLUDES, SYMLINK_MODES


@command()
@signer_option()
@click.argument("folders", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option(
    "--contributors",
    multiple=True,
    type=click.Path(path_type=Path),
    help="CSV of address,weight (or an annotation log): one for all folders or one each. "
    "Default: the publishing account alone.",
)
@click.option("--parent", "parents", multiple=True, help="Parent asset id, or ID:SHARE.")
@click.option("--share", "shares", multiple=True, help="Share per --parent: bps or percent.")
@click.option(
    "--license",
    "licenses",
    multiple=True,
    help="A DERIVE license id you hold, for each parent you do not own (any order).",
)
@click.option("--spdx", help="The data's license, as an SPDX id (e.g. CC-BY-4.0).")
@click.option("--kind", type=click.Choice(list(KINDS)), default="dataset", show_default=True)
@click.option("--name", help="The asset's name (default: the folder's name).")
@click.option("--description", help="The asset's description for the Croissant metadata.")
@click.option(
    "--uri-base",
    help="Where the metadata will be published: URI = this + croissant.json, with {name} "
    "replaced by the folder's name. Default: no URI (set it later with `ape run metadata`).",
)
@click.option(
    "--out",
    type=click.Path(path_type=Path),
    help="Output folder (several folders: one subfolder each). Default: <folder>/.seedbed",
)
@click.option("--batch-size", type=int, default=20, show_default=True, help="Assets per tx.")
@click.option(
    "--exclude",
    "excludes",
    multiple=True,
    metavar="PATTERN",
    help="Leave out paths matching this gitignore-style pattern (repeatable; `dir/` matches a "
    "folder). Added after the defaults and the folder's .seedbedignore.",
)
@click.option(
    "--no-default-excludes",
    is_flag=True,
    help=f"Do not leave out {' '.join(DEFAULT_EXCLUDES)} (/.seedbed/ is always left out).",
)
@click.option(
    "--symlinks",
    type=click.Choice(SYMLINK_MODES),
    default="refuse",
    show_default=True,
    help="Symbolic links: refuse them, skip them (listed in the manifest), or follow those "
    "that stay inside the folder. Special files are only ever skipped or refused.",
)
def cli(
    account: Any,
    folders: tuple[Path, ...],
    contributors: tuple[Path, ...],
    parents: tuple[str, ...],
    shares: tuple[str, ...],
    licenses: tuple[str, ...],
    spdx: str | None,
    kind: str,
    name: str | None,
    description: str | None,
    uri_base: str | None,
    out: Path | None,
    batch_size: int,
    excludes: tuple[str, ...],
    no_default_excludes: bool,
    symlinks: str,
) -> None:
    from ape import chain, project

    from seedbed.chain.client import Suite
    from seedbed.core.errors import InputError
    from seedbed.core.spdx import canonical_license
    from seedbed.workflows import registration as reg

    # 1. The command line alone.
    if spdx is None:
        raise InputError("Name the data's license with --spdx (an SPDX id such as CC-BY-4.0).")
    spdx = canonical_license(spdx)
    if name is not None and len(folders) > 1:
        raise InputError("--name names one asset; with several folders each takes its own name.")
    if batch_size < 1:
        raise InputError(f"--batch-size must be at least 1, not {batch_size}.")
    lineage = reg.parse_parents(parents, shares)
    reg.check_lineage(lineage)
    license_ids = [reg.parse_id(text, "a license id") for text in licenses]
    targets = reg.plan_outputs(folders, out=out, uri_base=uri_base, contributors=contributors)
    walk = {"excludes": excludes, "default_excludes": not no_default_excludes, "symlinks": symlinks}

    # 2. The chain: parents and licenses, then the folders themselves.
    suite = Suite.load(project, chain)
    links = reg.check_parents(suite.registry, suite.license, account.address, lineage, license_ids)
    with _progress(in_bytes=True) as bar:
        items = [
            _prepare(bar, t, KINDS[kind], spdx, account.address, name, description, walk)
            for t in targets
        ]
    reg.check_distinct_content(items)
    done = reg.find_registered(suite.registry, account.address, items)
    for item in items:
        click.echo(
            f"{item.name}: {item.manifest.count} files, {item.manifest.total_bytes:,} bytes, "
            f"{item.tree.count} contributors (total weight {item.tree.total}), "
            f"content root 0x{item.content_root.hex()}"
        )
        if item.manifest.excluded is not None:
            click.echo(f"{item.name}: {item.manifest.excluded.summary()}")
        if item.target.folder in done:
            click.echo(f"{item.name}: already registered as asset {done[item.target.folder]}")
    todo = [item for item in items if item.target.folder not in done]
    if not todo:
        click.echo("Nothing to register.")
        return
    plan = reg.plan_batches(suite.registry, account, todo, links, batch_size, describe)
    reg.check_funds(suite.registry, account, plan)

    # 3. Write, then send.
    for item in todo:
        reg.write_outputs(item)
    sent: list[tuple[int, Any]] = []
    with _progress(in_bytes=False) as bar:
        task = bar.add_task("registering", total=len(todo))
        for batch in plan:
            tx, ids = reg.send_batch(suite.registry, account, batch)
            for item in batch.items:
                asset_id = ids[item.content_root]
                reg.write_receipt(item, asset_id, tx, suite.chain_id)
                sent.append((asset_id, item))
                click.echo(
                    f"asset {asset_id}: {item.name}, content root 0x{item.content_root.hex()}, "
                    f"tx {tx}"
                )
            bar.advance(task, len(batch.items))
    click.echo(f"Registered {len(todo)} asset(s); metadata and trees saved next to each manifest.")
    if uri_base is None:
        asset_id, item = sent[0]
        which = f"{asset_id}" if len(sent) == 1 else "ASSET"
        path = item.target.croissant_path if len(sent) == 1 else "<out>/croissant.json"
        click.echo(
            "No metadata URI published (no --uri-base; the metadata hash is on chain): once "
            f"the file is online, run `ape run metadata {which} --uri URI --file {path}`."
        )


def _progress(in_bytes: bool) -> Any:
    """A progress bar on stderr, shown only when both outputs are a terminal: scripted and
    piped runs get plain lines only."""
    import sys

    from rich.console import Console
    from rich.progress import BarColumn, DownloadColumn, MofNCompleteColumn, Progress, TextColumn

    err = Console(stderr=True)
    return Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        DownloadColumn() if in_bytes else MofNCompleteColumn(),
        console=err,
        transient=True,
        disable=not (err.is_terminal and sys.stdout.isatty()),
    )


def _prepare(
    bar: Any,
    target: Any,
    kind: int,
    spdx: str,
    publisher: str,
    name: str | None,
    description: str | None,
    walk: dict[str, Any],
) -> Any:
    from seedbed.workflows.registration import prepare

    task = bar.add_task(f"hashing {target.name}", total=None)

    def progress(done: int, total: int) -> None:
        bar.update(task, completed=done, total=total)

    return prepare(
        target,
        kind=kind,
        spdx=spdx,
        publisher=publisher,
        name=name,
        description=description,
        progress=progress,
        **walk,
    )
