"""The one home of the options every script shares: the signer and `--json`."""

from __future__ import annotations

from typing import Any

import click

from seedbed.chain.accounts import KEY_ENV, resolve_account
from seedbed.cli.command import Lazy


def signer_option(required: bool = True) -> Any:
    """`--account ALIAS|TEST::<n>`, else the key in $SEEDBED_PRIVATE_KEY; never a prompt.

    The command receives `account`: the resolved signer (or None when `required` is False and
    neither is given)."""

    def to_signer(ctx: click.Context, param: click.Parameter, alias: str | None) -> Any:
        if alias is None and not required:
            import os

            if not os.environ.get(KEY_ENV, "").strip():
                return None
        return Lazy(lambda: resolve_account(alias))

    return click.option(
        "--account",
        "account",
        default=None,
        metavar="ALIAS",
        callback=to_signer,
        help=f"ape account alias, or TEST::<n> on a local chain; default: the key in ${KEY_ENV}.",
    )


def json_option() -> Any:
    return click.option(
        "--json", "as_json", is_flag=True, help="Print one JSON document (exact integers)."
    )


def operator_option() -> Any:
    """`--operator ADDRESS`: the gateway operator of a channel (required)."""
    from seedbed.cli.types import ADDRESS

    return click.option(
        "--operator",
        "operator",
        required=True,
        type=ADDRESS,
        help="The gateway operator the channel pays (its address).",
    )


def subcommand(group: click.Group, name: str, signer: bool = True) -> Any:
    """A group's chain subcommand with the shared options: -v, --account (required unless
    `signer` is False) and --json; it receives `account` and `as_json`."""
    from ape.cli.options import verbosity_option

    from seedbed.cli.command import SeedbedCommand

    def decorate(fn: Any) -> Any:
        fn = json_option()(fn)
        fn = signer_option(required=signer)(fn)
        fn = verbosity_option()(fn)
        return group.command(name, cls=SeedbedCommand)(fn)

    return decorate
