"""One command class for every script: ape's connected command, plus

- `SEEDBED_NETWORK` as the default `--network` (set by `make node`'s environment), so a chain
  that stays up serves every script without repeating the flag;
- the signer (`--account` or `SEEDBED_PRIVATE_KEY`) resolved before the body runs, never a
  prompt without a terminal;
- every failure a user can cause, in parsing or in the body, turned into one `error:` line and
  a non-zero exit: bad values, bad keys, an unreachable or wrong node, a stale deployment, a
  revert (named by the project-wide decoder). Anything unexpected is one line too; set
  `SEEDBED_DEBUG=1` to see its traceback.

`@command(offline=True)` (OfflineCommand) keeps the same error contract for a script that only
reads and writes files: it never connects. `SeedbedGroup` is the group of subcommands whose own
mistakes (no subcommand, an unknown one) are one `error:` line too.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import Any

import click
from ape.cli import ConnectedProviderCommand

from seedbed.cli.errors import describe, exit_with
from seedbed.core.errors import ChainError, InputError, SeedbedError

NETWORK_ENV = "SEEDBED_NETWORK"
DEBUG_ENV = "SEEDBED_DEBUG"


class Lazy:
    """A parameter value resolved when the command runs (after the network is connected)."""

    def __init__(self, resolve: Callable[[], Any]) -> None:
        self.resolve = resolve


class SeedbedCommand(ConnectedProviderCommand):  # type: ignore[misc]
    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        network = os.environ.get(NETWORK_ENV, "").strip()
        if network and not any(a == "--network" or a.startswith("--network=") for a in args):
            args = [*args, "--network", network]
        for i, arg in enumerate(args):
            if arg == "--network" and i + 1 < len(args):
                check_network(args[i + 1])
            elif arg.startswith("--network="):
                check_network(arg.split("=", 1)[1])
        return super().parse_args(ctx, args)  # type: ignore[no-any-return]

    def make_context(self, *args: Any, **kwargs: Any) -> click.Context:
        try:
            return super().make_context(*args, **kwargs)  # type: ignore[no-any-return]
        except click.exceptions.Exit:
            raise
        except click.ClickException as err:
            exit_with(InputError(" ".join(err.format_message().split())))
        except SeedbedError as err:
            exit_with(err)
        except Exception as err:  # ape converts --network while parsing: NetworkError & co.
            exit_with(_classify(err))
        raise AssertionError("unreachable")

    def invoke(self, ctx: click.Context) -> Any:
        _quiet_ape_unless_asked(ctx)
        try:
            for key, value in list(ctx.params.items()):
                if isinstance(value, Lazy):
                    ctx.params[key] = value.resolve()
            return self.run_body(ctx)
        except (SystemExit, click.exceptions.Exit, click.Abort):
            raise
        except SeedbedError as err:
            exit_with(err)
        except click.ClickException as err:
            exit_with(InputError(" ".join(err.format_message().split())))
        except KeyboardInterrupt:
            exit_with(SeedbedError("Interrupted; re-running resumes where this run stopped."))
        except Exception as err:
            exit_with(_classify(err))
        return None

    def run_body(self, ctx: click.Context) -> Any:
        """Connect (ape's ConnectedProviderCommand) and run the command's body."""
        return super().invoke(ctx)


class OfflineCommand(SeedbedCommand):
    """A SeedbedCommand for a script that reads and writes files only: it never connects to a
    node and has no signer. `--network` is accepted and ignored, so that a command line (or a
    test harness) that passes it to every script still works; nothing is read from it."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.params.append(
            click.Option(["--network"], hidden=True, expose_value=False, help="Ignored.")
        )

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        # Not ape's: it would add (and convert) its own --network option.
        return click.Command.parse_args(self, ctx, args)  # type: ignore[no-any-return]

    def run_body(self, ctx: click.Context) -> Any:
        return click.Command.invoke(self, ctx)


class SeedbedGroup(click.Group):
    """A group of subcommands (each a SeedbedCommand or OfflineCommand); a mistake in the
    group's own arguments (no subcommand, an unknown one) is one `error:` line too."""

    def make_context(
        self,
        info_name: str | None,
        args: list[str],
        parent: click.Context | None = None,
        **extra: Any,
    ) -> click.Context:
        own = {o for p in self.params for o in getattr(p, "opts", ())} | {"--help", "-h"}
        if not args or (args[0].startswith("-") and args[0].split("=")[0] not in own):
            exit_with(
                InputError(
                    f"Name a subcommand first: ape run {info_name or self.name} "
                    f"{'|'.join(self.commands)} ... (--help for each)."
                )
            )
        try:
            return super().make_context(info_name, args, parent=parent, **extra)
        except click.exceptions.Exit:
            raise
        except click.ClickException as err:
            exit_with(InputError(" ".join(err.format_message().split())))
        raise AssertionError("unreachable")

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except (SystemExit, click.exceptions.Exit, click.Abort):
            raise
        except click.ClickException as err:
            exit_with(InputError(" ".join(err.format_message().split())))
        return None


def check_network(value: str) -> None:
    """A node URL must be http(s) with a valid port: ape would fail on it mid-connection with
    an exception of its own (or a stack excerpt for ws://)."""
    from urllib.parse import urlsplit

    if "://" not in value:
        return  # an ape network choice such as ethereum:sepolia:node
    try:
        url = urlsplit(value)
        url.port  # noqa: B018 - raises ValueError for a port outside 0..65535
    except ValueError as err:
        raise InputError(f"--network {value!r} is not a usable node URL: {err}.") from None
    if url.scheme not in ("http", "https"):
        raise InputError(f"--network {value!r}: only http:// and https:// node URLs are supported.")
    if not url.hostname:
        raise InputError(f"--network {value!r} names no host.")


def _quiet_ape_unless_asked(ctx: click.Context) -> None:
    """ape logs INFO lines ("Connecting to a node", "Confirmed 0x…") on stdout, which would
    corrupt `--json` output and repeat what the scripts print; keep them for `-v INFO`."""
    from ape.logging import logger
    from click.core import ParameterSource

    if ctx.get_parameter_source("verbosity") in (None, ParameterSource.DEFAULT):
        logger.set_level("WARNING")


def _classify(err: Exception) -> SeedbedError:
    """An exception from ape, web3 or the network as the one-line error a user can act on."""
    from ape.exceptions import ApeException, ContractLogicError, ProviderError

    if isinstance(err, ContractLogicError):
        return ChainError(describe(err))
    if isinstance(err, ProviderError | ConnectionError) or _is_connection(err):
        return ChainError(f"Cannot reach the node: {describe(err)}")
    if isinstance(err, ApeException):
        return ChainError(describe(err))
    if os.environ.get(DEBUG_ENV):
        raise err
    detail = describe(err)
    return SeedbedError(
        f"unexpected {type(err).__name__}: {detail} (set {DEBUG_ENV}=1 for the traceback)"
    )


def _is_connection(err: BaseException) -> bool:
    names = {c.__name__ for c in type(err).__mro__}
    return bool(names & {"ConnectionError", "MaxRetryError", "NewConnectionError", "Timeout"})


def command(offline: bool = False, **kwargs: Any) -> Callable[[Callable[..., Any]], click.Command]:
    """`@command()` instead of `@click.command(cls=...)` for every Seedbed script;
    `@command(offline=True)` for one that never touches a chain (OfflineCommand)."""
    return click.command(cls=OfflineCommand if offline else SeedbedCommand, **kwargs)
