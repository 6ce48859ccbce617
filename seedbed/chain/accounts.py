"""The signing account of a script: an ape account alias, or a key from the environment.

Interactive use: `--account ALIAS` (an account imported with `ape accounts import`), or
`--account TEST::0` on a local chain. Non-interactive use (CI): set SEEDBED_PRIVATE_KEY and
pass no --account; the key stays in memory and is never written to disk.
"""

from __future__ import annotations

import os
from typing import Any

import click

from seedbed.core.errors import InputError

KEY_ENV = "SEEDBED_PRIVATE_KEY"


def signer_option() -> Any:
    return click.option(
        "--account",
        "account_alias",
        default=None,
        help=f"ape account alias or TEST::<n>; without it, the key in ${KEY_ENV}.",
    )


def resolve_account(alias: str | None) -> Any:
    """The account to sign with, or one clear error."""
    from ape import accounts

    if alias is None:
        key = os.environ.get(KEY_ENV, "").strip()
        if not key:
            raise InputError(f"No account: pass --account ALIAS or set {KEY_ENV}.")
        from ape_accounts.accounts import ApeSigner

        try:
            return ApeSigner(private_key=key if key.startswith("0x") else "0x" + key)
        except Exception as err:  # pydantic validation of a malformed key
            raise InputError(f"{KEY_ENV} does not hold a valid private key.") from err
    if alias.startswith("TEST::"):
        try:
            return accounts.test_accounts[int(alias.split("::", 1)[1])]
        except (ValueError, IndexError) as err:
            raise InputError(f"No test account {alias}.") from err
    try:
        return accounts.load(alias)
    except Exception as err:
        raise InputError(f"No ape account named {alias!r} (see `ape accounts list`).") from err
