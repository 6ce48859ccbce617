"""Grant a license's holder the dataset key of a sealed asset: a copy to keep.

    ape run grant LICENSE --key-file FILE [--public-key 0x...] --account ALIAS [--json]

The key (from the key file `ape run seal` made) is wrapped for the holder's public key
(ECIES over secp256k1: only the holder's account key unwraps it) and recorded in a KeyGranted
event of PrivateData: who received which asset's key, under which license, is public and
final. The holder then runs `ape run unseal --license LICENSE ...`.

Only for a license that is valid now, with the ACCESS scope, on a listed sealed asset; the
signer must be the asset's owner or a key service it named. The holder's public key is
recovered from the license's purchase transaction when the holder bought it; otherwise pass
it with --public-key (64 bytes x||y, 65 starting 04, or 33 compressed). Everything is checked,
and the transaction simulated, before it is sent.
"""

from typing import Any

import click

from seedbed.cli.command import command
from seedbed.cli.options import json_option, signer_option
from seedbed.cli.types import LICENSE_ID


@command()
@signer_option()
@click.argument("license_id", metavar="LICENSE", type=LICENSE_ID)
@click.option(
    "--key-file",
    "key_file",
    required=True,
    metavar="FILE",
    help="The dataset key file `ape run seal` wrote.",
)
@click.option(
    "--public-key",
    "public_key",
    metavar="0xKEY",
    help="The holder's public key (default: recovered from its purchase transaction).",
)
@json_option()
def cli(
    account: Any, license_id: int, key_file: str, public_key: str | None, as_json: bool
) -> None:
    """Wrap the dataset key for LICENSE's holder and record the grant on chain."""
    from ape import chain, project

    from seedbed.chain.client import Suite
    from seedbed.cli.output import Out
    from seedbed.core.sealed import read_key_file
    from seedbed.workflows import private

    out = Out(as_json)
    key = read_key_file(key_file)
    public = private.parse_public_key(public_key) if public_key is not None else None
    suite = Suite.load(project, chain)
    grant = private.grant_key(suite, account, license_id, key, public_key=public)
    out.say(
        f"granted the key of asset {grant.asset_id} to license {license_id}'s holder "
        f"{grant.holder} in tx {grant.tx}"
    )
    out.say(f"  the holder unseals with `ape run unseal --license {license_id} --sealed DIR ...`")
    out.result(grant)
