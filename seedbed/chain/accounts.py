"""The signing account of a script: an ape account alias, or a key from the environment.

Interactive use: `--account ALIAS` (an account imported with `ape accounts import`), or
`--account TEST::0` on a local chain. Non-interactive use (CI): set SEEDBED_PRIVATE_KEY and
pass no --account; the key stays in memory and is never written to disk.
"""

from __future__ import annotations

import os
from typing import Any

from seedbed.core.errors import InputError

KEY_ENV = "SEEDBED_PRIVATE_KEY"


def resolve_account(alias: str | None) -> Any:
    """The account to sign with, or one clear error."""
    from ape import accounts

    if alias is None:
        key = os.environ.get(KEY_ENV, "").strip()
        if not key:
            raise InputError(f"No account: pass --account ALIAS or set {KEY_ENV}.")
        return signer_from_key(key)
    if alias.startswith("TEST::"):
        try:
            return accounts.test_accounts[int(alias.split("::", 1)[1])]
        except (ValueError, IndexError) as err:
            raise InputError(f"No test account {alias}.") from err
    try:
        account = accounts.load(alias)
    except Exception as err:
        raise InputError(f"No ape account named {alias!r} (see `ape accounts list`).") from err
    _check_unlockable(alias)
    return account


def signer_from_key(key: str) -> Any:
    """An in-memory signer for a hex private key (32 bytes, with or without 0x)."""
    from ape_accounts.accounts import ApeSigner

    digits = key.strip().removeprefix("0x")
    try:
        valid = len(digits) == 64 and 0 < int(digits, 16) < _SECP256K1_N
    except ValueError:
        valid = False
    if not valid:
        raise InputError(f"{KEY_ENV} does not hold a private key (64 hex digits).")
    try:
        return ApeSigner(private_key="0x" + digits)
    except Exception as err:  # pydantic validation of a malformed key
        raise InputError(f"{KEY_ENV} does not hold a valid private key.") from err


_SECP256K1_N = 0xFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEBAAEDCE6AF48A03BBFD25E8CD0364141


def _check_unlockable(alias: str) -> None:
    """A keyfile account asks for its passphrase when it signs: without a terminal that prompt
    would abort mid-command, so refuse up front unless ape's passphrase variable is set."""
    import sys

    if sys.stdin.isatty() or os.environ.get(f"APE_ACCOUNTS_{alias}_PASSPHRASE"):
        return
    raise InputError(
        f"Account {alias!r} needs its passphrase and there is no terminal to ask: set "
        f"APE_ACCOUNTS_{alias}_PASSPHRASE, or use {KEY_ENV}."
    )
