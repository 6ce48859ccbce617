"""Open a sealed dataset you hold a license for: decrypt it, checked against the chain.

    ape run unseal --license N --sealed DIR --out DIR --account ALIAS
        [--custodians URL,URL,... --threshold K] [--json]

The sealed folder (seal.json and files/, as `ape run seal` wrote it) is first checked to be
the licensed asset's: its content root, seal root and key check are the chain's. The dataset
key comes from the license's KeyGranted events (`ape run grant`), unwrapped with the
account's private key; or, with --custodians, from any K of the custodians, each asked with a
release request the account signs (the account must hold the license now). Every chunk of
every file is checked as it is decrypted, each file is written atomically, and at the end
--out is re-hashed to the asset's content root. A damaged or missing sealed file is refused
before anything is written. A re-run (after Ctrl-C or a crash) skips the files already there.
"""

from pathlib import Path
from typing import Any

import click

from seedbed.cli.command import command
from seedbed.cli.options import json_option, signer_option
from seedbed.cli.types import LICENSE_ID


@command()
@signer_option()
@click.option("--license", "license_id", required=True, type=LICENSE_ID, help="Your license.")
@click.option(
    "--sealed",
    required=True,
    type=click.Path(path_type=Path),
    help="The sealed folder (with seal.json and files/).",
)
@click.option(
    "--out",
    required=True,
    type=click.Path(path_type=Path),
    help="Where the plaintext goes (created; a re-run resumes).",
)
@click.option(
    "--custodians",
    metavar="URL,URL,...",
    help="Get the key from these custodians (threshold release) instead of a key grant.",
)
@click.option("--threshold", metavar="K", help="How many custodians' shares make the key.")
@json_option()
def cli(
    account: Any,
    license_id: int,
    sealed: Path,
    out: Path,
    custodians: str | None,
    threshold: str | None,
    as_json: bool,
) -> None:
    """Decrypt the sealed folder of LICENSE's asset into --out, every byte checked."""
    from ape import chain, project

    from seedbed.chain.client import Suite
    from seedbed.cli.output import Out
    from seedbed.core.errors import InputError
    from seedbed.workflows import private

    out_ = Out(as_json)
    urls, k = _urls(custodians, threshold)
    if out.exists() and not out.is_dir():
        raise InputError(f"--out {out} is a file, not a folder.")
    suite = Suite.load(project, chain)
    found = private.sealed_for_license(suite, license_id, sealed)
    secret = private.signing_key(account)
    source: dict[str, Any]
    if urls:
        from seedbed.client.custodians import release_threshold

        got = release_threshold(
            urls,
            license_id,
            secret,
            chain_id=suite.chain_id,
            private_data=str(suite.private.address),
            key_check=found.key_check,
            threshold=k,
            asset_id=found.asset_id,
        )
        for url, why in got.failed.items():
            click.echo(f"warning: custodian {url}: {why}", err=True)
        key = got.key
        source = {"custodians": list(got.used)}
        how = f"from custodians {', '.join(got.used)}"
    else:
        grants = private.granted_keys(suite, license_id, account.address)
        if not grants:
            raise InputError(
                f"No key was granted for license {license_id} to {account.address}: ask the "
                f"asset's owner to run `ape run grant {license_id} --key-file ...`, or use "
                "--custodians."
            )
        key, grant = private.key_from_grants(secret, grants, found.key_check)
        source = {"grant_tx": grant.tx}
        how = f"granted in tx {grant.tx}"
    with _progress() as bar:
        task = bar.add_task(f"unsealing asset {found.asset_id}", total=None)
        done = private.unseal(
            found.index,
            key,
            sealed,
            out,
            asset_id=found.asset_id,
            progress=lambda n, total: bar.update(task, completed=n, total=total),
        )
    out_.say(
        f"unsealed asset {found.asset_id} (license {license_id}) into {out}: {done.count} "
        f"files, {done.bytes:,} bytes ({done.written} decrypted, {done.skipped} already there)"
    )
    out_.say(f"  key {how}; content root 0x{done.content_root.hex()} verified")
    out_.result({"unsealed": done, "key_source": source})


def _urls(custodians: str | None, threshold: str | None) -> tuple[list[str], int]:
    """The custodian URLs (http or https), each once, and a threshold that fits them."""
    from urllib.parse import urlsplit

    from seedbed.core.errors import InputError
    from seedbed.core.units import parse_count

    if custodians is None:
        if threshold is not None:
            raise InputError("--threshold goes with --custodians URL,URL,...")
        return [], 0
    urls = [u.strip() for u in custodians.split(",") if u.strip()]
    if not urls:
        raise InputError("--custodians names no URL: give URL,URL,...")
    for url in urls:
        try:
            parts = urlsplit(url)
            parts.port  # noqa: B018 - raises ValueError for a port outside 0..65535
        except ValueError:
            raise InputError(f"--custodians: {url!r} is not a usable URL.") from None
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise InputError(f"--custodians: {url!r} is not an http(s) URL.")
    if len({u.rstrip("/") for u in urls}) != len(urls):
        raise InputError("--custodians names a custodian twice.")
    if threshold is None:
        raise InputError("--custodians needs --threshold K (how many shares make the key).")
    k = parse_count(threshold, "--threshold", len(urls))
    if k < 1:
        raise InputError(f"--threshold must be from 1 to the {len(urls)} custodian(s) named.")
    return urls, k


def _progress() -> Any:
    """A progress bar on stderr, shown only when both outputs are a terminal."""
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
