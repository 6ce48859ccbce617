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

Where the registry asks for commitments (every public chain), the run commits first (one
commitment per batch, all in one transaction), waits until they are old enough
(MIN_COMMIT_AGE, 60 s by default), then reveals each batch: nobody who sees a registration
pending can take it. The batches and their salts are kept in `<out>/commitment.json` until
every reveal is in; a re-run (after a crash or Ctrl-C) reveals the batches left as they were
committed while they are live (MAX_COMMIT_AGE, 6 h by default), and commits an expired batch
anew.

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
    from seedbed.workflows.register import register_folders

    if spdx is None:
        raise InputError("Name the data's license with --spdx (an SPDX id such as CC-BY-4.0).")
    suite = Suite.load(project, chain)

    def prepared(item: Any, already: int | None) -> None:
        click.echo(
            f"{item.name}: {item.manifest.count} files, {item.manifest.total_bytes:,} bytes, "
            f"{item.tree.count} contributors (total weight {item.tree.total}), "
            f"content root 0x{item.content_root.hex()}"
        )
        if item.manifest.excluded is not None:
            click.echo(f"{item.name}: {item.manifest.excluded.summary()}")
        if already is not None:
            click.echo(f"{item.name}: already registered as asset {already}")

    def landed(asset: Any) -> None:
        click.echo(
            f"asset {asset.asset_id}: {asset.name}, content root 0x{asset.content_root.hex()}, "
            f"tx {asset.tx}"
        )

    with _progress(in_bytes=True) as bar:

        def hashing(target: Any) -> Any:
            task = bar.add_task(f"hashing {target.name}", total=None)
            return lambda done, total: bar.update(task, completed=done, total=total)

        run = register_folders(
            suite, account, folders, spdx=spdx, contributors=contributors, parents=parents,
            shares=shares, licenses=licenses, kind=kind, name=name, description=description,
            uri_base=uri_base, out=out, batch_size=batch_size, excludes=excludes,
            default_excludes=not no_default_excludes, symlinks=symlinks, describe=describe,
            on_prepared=prepared, hashing=hashing, sent=landed,
            warn=lambda message: click.echo(f"warning: {message}", err=True),
            note=click.echo,
        )  # fmt: skip
    if not run.new:
        click.echo("Nothing to register.")
        return
    click.echo(
        f"Registered {len(run.new)} asset(s); metadata and trees saved next to each manifest."
    )
    if uri_base is None:
        first = run.new[0]
        which = f"{first.asset_id}" if len(run.new) == 1 else "ASSET"
        path = first.croissant if len(run.new) == 1 else "<out>/croissant.json"
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
