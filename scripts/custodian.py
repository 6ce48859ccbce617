"""`ape run custodian ...`: split a sealed dataset's key among k-of-n key custodians, and run
one custodian.

    ape run custodian split --key F --threshold K --count N --asset ID --out DIR [--json]
    ape run custodian serve --config FILE [--host H] [--port P]

split writes DIR/share-1.json .. share-N.json (mode 0600), one for each custodian; any K of
them give the key back, fewer tell nothing. The key file is the one `seal` wrote; when the
asset is sealed on chain already, the key must be the one its keyCheck commits to.

serve runs the custodian of a configuration file (see seedbed/custodian/config.py) until
interrupted, exactly as `python -m seedbed.custodian --config FILE` does: it reads the chain
through the file's `rpc`, with no ape in its request path.
"""

from pathlib import Path

import click
from ape.cli.options import verbosity_option

from seedbed.cli.command import SeedbedCommand, SeedbedGroup
from seedbed.cli.options import json_option
from seedbed.cli.types import ASSET_ID
from seedbed.core.errors import InputError
from seedbed.core.units import parse_count


class Count(click.ParamType):
    """A custodian count or threshold: ASCII digits (no sign, no other scripts), up to 255."""

    name = "N"

    def convert(self, value, param, ctx):
        if not isinstance(value, str):
            return value
        try:
            return parse_count(value, f"a {param.name if param else 'count'}", 255)
        except InputError as err:
            self.fail(err.message, param, ctx)


COUNT = Count()


@click.group(cls=SeedbedGroup, name="custodian")
def cli():
    """Key custodians: split a dataset key k-of-n (split), run one custodian (serve)."""


@cli.command("split", cls=SeedbedCommand)
@verbosity_option()
@click.option(
    "--key",
    "key_path",
    required=True,
    type=click.Path(path_type=Path),
    help="The dataset key file (written when the folder was sealed).",
)
@click.option("--threshold", required=True, type=COUNT, help="Shares needed for the key (k).")
@click.option("--count", required=True, type=COUNT, help="Shares made: one per custodian (n).")
@click.option("--asset", "asset_id", required=True, type=ASSET_ID, help="The sealed asset.")
@click.option(
    "--out",
    required=True,
    type=click.Path(path_type=Path),
    help="An empty (or new) folder for share-1.json .. share-N.json.",
)
@json_option()
def split(key_path, threshold, count, asset_id, out, as_json):
    """Split a dataset key into --count share files, any --threshold of which give it back.
    Hand each custodian one file (and only one): it names it in its configuration's
    [[shares]]. Nothing is sent."""
    from ape import chain, project

    from seedbed.chain.client import Suite, require_asset
    from seedbed.cli.output import Out
    from seedbed.core.sealed import key_check, read_key_file
    from seedbed.custodian.shares import split_key, write_shares

    out_ = Out(as_json)
    key = read_key_file(key_path)
    shares = split_key(key, threshold, count, asset_id)  # checks k and n before the chain
    suite = Suite.load(project, chain)
    require_asset(suite, asset_id)
    check = key_check(key)
    sealed = False
    if suite.private is not None:
        seal_root, published = (bytes(v) for v in suite.private.sealOf(asset_id))
        sealed = seal_root != bytes(32)
        if sealed and published != check:
            raise InputError(
                f"asset {asset_id} is sealed with keyCheck 0x{published.hex()}, but {key_path} "
                f"holds the key of keyCheck 0x{check.hex()}: that is another dataset's key."
            )
    paths = write_shares(shares, out)
    out_.say(f"split the key of asset {asset_id} into {count} shares; any {threshold} give it")
    for share, path in zip(shares, paths, strict=True):
        out_.say(f"  share {share.index}: {path}")
    if not sealed:
        out_.say(
            f"  asset {asset_id} is not sealed on chain yet: custodians refuse to start until it "
            f"is sealed with keyCheck 0x{check.hex()}"
        )
    out_.result(
        {
            "assetId": asset_id,
            "threshold": threshold,
            "count": count,
            "keyCheck": "0x" + check.hex(),
            "sealedOnChain": sealed,
            "shares": [str(p) for p in paths],
        }
    )


@cli.command("serve", cls=SeedbedCommand)
@verbosity_option()
@click.option(
    "--config", "config_path", required=True, metavar="FILE", help="The custodian's TOML file."
)
@click.option("--host", default=None, help="Listen address (default: the file's).")
@click.option(
    "--port", type=click.IntRange(0, 65535), default=None, help="Port (0: any free port)."
)
def serve(config_path, host, port):
    """Run one custodian: it prints `custodian listening on URL` once it answers, and runs
    until interrupted. Its identity key is read from the environment variable the file's
    key_env names; it reads the chain through the file's rpc (not --network)."""
    from seedbed.custodian.config import load
    from seedbed.custodian.run import READY, build
    from seedbed.custodian.run import serve as run

    config = load(config_path)
    custodian = build(config)

    def ready(url: str) -> None:
        click.echo(
            f"{READY} {url} (address {config.address}, chain {config.chain_id}, "
            f"assets {', '.join(map(str, config.assets))})"
        )

    run(custodian, host or config.host, config.port if port is None else port, ready)
