"""One readable line for an exception, and the exit it makes (used by `SeedbedCommand`)."""

from __future__ import annotations

import sys
from typing import Any

from seedbed.core.errors import SeedbedError


def describe(err: BaseException) -> str:
    """One line for an exception: a custom error with its values, or the message."""
    name = type(err).__name__
    # ape raises custom Solidity errors as ContractLogicError subclasses named after the error
    # and carrying its inputs.
    inputs = getattr(err, "inputs", None)
    if isinstance(inputs, dict) and inputs:
        values = ", ".join(f"{k}={_short(v)}" for k, v in inputs.items())
        return f"the contract refused: {name}({values})"
    if "ContractLogicError" in [c.__name__ for c in type(err).__mro__]:
        from seedbed.chain.reverts import decode_exception

        decoded = decode_exception(err)
        if decoded is not None and decoded.name != "unknown error":
            return f"the contract refused: {decoded}"
        return f"the contract refused: {_first_line(err, name)}"
    return _first_line(err, name)


def _first_line(err: BaseException, fallback: str) -> str:
    text = str(err).strip()
    return " ".join(text.splitlines()[0].split()) if text else fallback


def _short(value: Any) -> str:
    if isinstance(value, bytes | bytearray):
        return "0x" + bytes(value).hex()
    return str(value)


def exit_with(err: BaseException) -> None:
    code = err.exit_code if isinstance(err, SeedbedError) else 4
    print(f"error: {describe(err)}", file=sys.stderr)
    sys.exit(code)
