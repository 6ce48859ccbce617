"""Turn every expected failure of a script into one readable line and an exit code."""

from __future__ import annotations

import functools
import sys
from collections.abc import Callable
from typing import Any, TypeVar

from seedbed.core.errors import SeedbedError

F = TypeVar("F", bound=Callable[..., Any])


def describe(err: BaseException) -> str:
    """One line for an exception: a custom error with its values, or the message."""
    name = type(err).__name__
    # ape raises custom Solidity errors as ContractLogicError subclasses named after the error
    # and carrying its inputs.
    inputs = getattr(err, "inputs", None)
    if isinstance(inputs, dict) and inputs:
        values = ", ".join(f"{k}={_short(v)}" for k, v in inputs.items())
        return f"the contract refused: {name}({values})"
    message = str(err).strip().splitlines()[0] if str(err).strip() else name
    if "ContractLogicError" in [c.__name__ for c in type(err).__mro__]:
        return f"the contract refused: {message}"
    return message


def _short(value: Any) -> str:
    if isinstance(value, bytes | bytearray):
        return "0x" + bytes(value).hex()
    return str(value)


def exit_with(err: BaseException) -> None:
    code = err.exit_code if isinstance(err, SeedbedError) else 4
    print(f"error: {describe(err)}", file=sys.stderr)
    sys.exit(code)


def one_line_errors(fn: F) -> F:
    """Decorator for script commands: expected failures become one line and exit non-zero."""

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return fn(*args, **kwargs)
        except SeedbedError as err:
            exit_with(err)
        except Exception as err:  # a chain or provider error: still one line, no traceback
            from ape.exceptions import ApeException

            if isinstance(err, ApeException):
                exit_with(err)
            raise
        return None

    return wrapper  # type: ignore[return-value]


def connected_command() -> type:
    """ape's ConnectedProviderCommand that also turns a node that cannot be reached (raised
    before the command body runs, so `one_line_errors` never sees it) into one line."""
    import click
    from ape.cli import ConnectedProviderCommand
    from ape.exceptions import ProviderError

    from seedbed.core.errors import ChainError

    class Command(ConnectedProviderCommand):  # type: ignore[misc]
        def invoke(self, ctx: click.Context) -> Any:
            try:
                return super().invoke(ctx)
            except ProviderError as err:
                exit_with(ChainError(f"Cannot connect to the network: {describe(err)}"))
                return None

    return Command
