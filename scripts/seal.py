"""Seal a dataset folder: every file encrypted under one dataset key, for private data.

    ape run seal FOLDER --out DIR --key-file FILE [--asset N --account ALIAS] [--json]

Writes DIR/seal.json (the index: every file's digests, the content root, the seal root and
the key's check value) and DIR/files/<path> (the ciphertexts), which may be published or
handed to a storage provider; the dataset key goes to FILE (created if missing, mode 0600;
an existing key file is reused, never overwritten). Keep FILE secret and safe: without it
the sealed folder cannot be opened or granted.

The content root is the plaintext's, the one `ape run register FOLDER` computes: registering
the folder registers the same asset, sealed or not, before or after. With --asset, after the
folder is registered, the seal (seal root and key check) is also recorded on chain for that
asset, by its owner: once per asset, so a re-run with the same key is nothing to do.

A run cut short (Ctrl-C, a crash) resumes: the same command reuses the key file and skips
the files already encrypted.
"""

from pathlib import Path
from typing import Any

import click

from seedbed.cli.command import command
from seedbed.cli.options import json_option, signer_option
from seedbed.cli.types import ASSET_ID


@command()
@signer_option(required=False)
@click.argument("folder", type=click.Path(path_type=Path))
@click.option(
    "--out",
    required=True,
    type=click.Path(path_type=Path),
    help="The sealed folder to write (seal.json and files/); outside FOLDER.",
)
@click.option(
    "--key-file",
    "key_file",
    required=True,
    type=click.Path(path_type=Path),
    help="The dataset key: created (0600) if missing, else reused. Outside FOLDER and --out.",
)
@click.option(
    "--asset",
    "asset_id",
    type=ASSET_ID,
    help="Also record the seal on chain for this asset (FOLDER registered as it; its owner).",
)
@json_option()
def cli(
    account: Any, folder: Path, out: Path, key_file: Path, asset_id: int | None, as_json: bool
) -> None:
    """Encrypt FOLDER into --out under the dataset key in --key-file; print the content root
    (of the plaintext: `ape run register FOLDER` registers the same asset), the seal root and
    the key check. With --asset, record the seal on chain too (the asset's owner signs)."""
    from seedbed.cli.output import Out
    from seedbed.core.errors import InputError
    from seedbed.core.manifest import build_manifest
    from seedbed.core.sealed import key_check
    from seedbed.workflows import private

    out_ = Out(as_json)
    private.check_seal_paths(folder, out, key_file)
    if asset_id is not None and account is None:
        raise InputError(
            "--asset records the seal on chain: name the asset owner's --account (or set "
            "SEEDBED_PRIVATE_KEY)."
        )
    existing = private.existing_key(key_file)
    suite = None
    with _progress() as bar:
        task = bar.add_task(f"hashing {folder.name}", total=None)
        manifest = build_manifest(
            folder, progress=lambda done, total: bar.update(task, completed=done, total=total)
        )
        if asset_id is not None:
            from ape import chain, project

            from seedbed.chain.client import Suite

            suite = Suite.load(project, chain)
            check = key_check(existing) if existing is not None else None
            private.check_sealable(suite, account.address, asset_id, manifest.root, check)
        bar.update(task, description=f"sealing {folder.name}", completed=0)
        index = private.seal_dataset(
            folder,
            out,
            key_file,
            manifest=manifest,
            progress=lambda done, total: bar.update(task, completed=done, total=total),
        )
    made = "reused" if existing is not None else "created (mode 0600: keep it secret and safe)"
    out_.say(
        f"sealed {index.count} files, {index.total_bytes:,} bytes, into {out}; key file "
        f"{key_file} {made}"
    )
    out_.say(f"  content root 0x{index.content_root.hex()} (the plaintext's)")
    out_.say(f"  seal root    0x{index.seal_root.hex()}")
    out_.say(f"  key check    0x{index.key_check.hex()}")
    result: dict[str, Any] = {
        "out": str(out),
        "key_file": str(key_file),
        "key_file_created": existing is None,
        "count": index.count,
        "bytes": index.total_bytes,
        "content_root": index.content_root,
        "seal_root": index.seal_root,
        "key_check": index.key_check,
    }
    if asset_id is not None and suite is not None:
        record = private.seal_on_chain(suite, account, asset_id, index)
        if record.already:
            out_.say(f"asset {asset_id} is sealed with these values already: nothing to send")
        else:
            out_.say(f"recorded the seal of asset {asset_id} on chain in tx {record.tx}")
        result["seal"] = record
    elif asset_id is None:
        out_.say(
            "not recorded on chain: register FOLDER (`ape run register`), then run this again "
            "with --asset N to record the seal"
        )
    out_.result(result)


def _progress() -> Any:
    """A progress bar on stderr, shown only when both outputs are a terminal: scripted and
    piped runs get plain lines only (as register's)."""
    import sys

    from rich.console import Console
    from rich.progress import BarColumn, DownloadColumn, Progress, TextColumn

    err = Console(stderr=True)
    return Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        DownloadColumn(),
        console=err,
        transient=True,
        disable=not (err.is_terminal and sys.stdout.isatty()),
    )
