"""Check a folder against a registered asset: which files differ from its content root.

    ape run verify FOLDER ASSET_ID [--manifest FILE]
        [--exclude PATTERN ...] [--no-default-excludes] [--symlinks refuse|skip|follow]
        --network ...

The chain holds only the root. With the manifest saved at registration (default
`<folder>/.seedbed/manifest.json`, checked to carry the same root), the differences are named
file by file, and the folder is walked with the exclude rules and symlink mode the manifest
records; without it, only the roots are compared, walking with the options given (the same
as register's). A mismatch exits non-zero.
"""

from pathlib import Path
from typing import Any

import click

from seedbed.cli.command import command
from seedbed.core.errors import ChainError
from seedbed.core.manifest import SYMLINK_MODES


@command()
@click.argument("folder", type=click.Path(path_type=Path))
@click.argument("asset_id")
@click.option("--manifest", type=click.Path(path_type=Path), help="The manifest to compare.")
@click.option(
    "--exclude",
    "excludes",
    multiple=True,
    metavar="PATTERN",
    help="As for register; used only without a manifest that records its rules.",
)
@click.option("--no-default-excludes", is_flag=True, help="As for register (without a manifest).")
@click.option(
    "--symlinks",
    type=click.Choice(SYMLINK_MODES),
    default="refuse",
    show_default=True,
    help="As for register (without a manifest).",
)
def cli(
    folder: Path,
    asset_id: str,
    manifest: Path | None,
    excludes: tuple[str, ...],
    no_default_excludes: bool,
    symlinks: str,
) -> None:
    from ape import chain, project

    from seedbed.chain.client import Suite, require_asset
    from seedbed.core.errors import InputError
    from seedbed.core.manifest import folder_rules, read_manifest, verify
    from seedbed.workflows.registration import parse_id, saved_manifest

    aid = parse_id(asset_id, "an asset id")
    if not folder.is_dir():
        raise InputError(
            f"The folder {folder} {'is not a folder' if folder.exists() else 'does not exist'}."
        )
    suite = Suite.load(project, chain)
    require_asset(suite, aid)
    root = bytes(suite.registry.asset(aid).contentRoot)
    expected: Any = root
    path = saved_manifest(folder, manifest)
    if path is not None:
        saved = read_manifest(path)
        if saved.root == root:
            expected = saved
        else:
            click.echo(f"{path} describes other content than asset {aid}: comparing roots only.")
    rules = folder_rules(folder, excludes, defaults=not no_default_excludes)
    report = verify(folder, expected, rules=rules, symlinks=symlinks)
    for what, paths in (
        ("changed", report.changed),
        ("missing", report.missing),
        ("extra", report.extra),
    ):
        for p in paths:
            click.echo(f"{what}: {p}")
    if report.ok:
        click.echo(f"ok: {folder} matches asset {aid} (content root 0x{root.hex()})")
        return
    if report.per_file:
        c, m, e = len(report.changed), len(report.missing), len(report.extra)
        raise ChainError(
            f"{folder} does not match asset {aid}: {c} changed, {m} missing, {e} extra."
        )
    actual = f"0x{report.actual_root.hex()}" if report.actual_root else "nothing (no files)"
    raise ChainError(
        f"{folder} does not match asset {aid}: its content root is {actual}, the asset's is "
        f"0x{root.hex()} (no manifest to say which files differ)."
    )
