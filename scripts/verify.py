"""Check a folder against a registered asset: which files differ from its content root.

    ape run verify FOLDER ASSET_ID [--manifest FILE] --network ...

The chain holds only the root. With the manifest saved at registration (default
`<folder>/.seedbed/manifest.json`, checked to carry the same root), the differences are named
file by file; without it, only the roots are compared. A mismatch exits non-zero.
"""

from pathlib import Path
from typing import Any

import click

from seedbed.cli.errors import connected_command, one_line_errors
from seedbed.core.errors import ChainError

Command = connected_command()


@click.command(cls=Command)
@click.argument("folder", type=click.Path(path_type=Path))
@click.argument("asset_id")
@click.option("--manifest", type=click.Path(path_type=Path), help="The manifest to compare.")
@one_line_errors
def cli(folder: Path, asset_id: str, manifest: Path | None) -> None:
    from ape import chain, project

    from seedbed.chain.client import Suite, require_asset
    from seedbed.core.errors import InputError
    from seedbed.core.manifest import read_manifest, verify
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
    report = verify(folder, expected)
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
