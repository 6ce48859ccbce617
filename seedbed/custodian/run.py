"""Build a custodian process from its configuration, check it against the chain, and serve it
with uvicorn: `python -m seedbed.custodian --config custodian.toml [--host H] [--port P]`."""

from __future__ import annotations

import argparse
import asyncio
import errno
import logging
import os
import socket
import sys
from collections.abc import Callable, Sequence
from typing import NoReturn

import uvicorn

from seedbed.core.errors import InputError, SeedbedError
from seedbed.custodian.app import Custodian, create_app
from seedbed.custodian.chain import ZERO32, PrivateDataView
from seedbed.custodian.config import CustodianConfig, load

READY = "custodian listening on"


def build(config: CustodianConfig) -> Custodian:
    """The custodian of `config`, checked against its chain: the node answers for the
    configured chain id, PrivateData has code there, and every share held is of the key
    whose keyCheck the chain publishes for its asset (a share of another key is useless and
    would look like a lie to every client)."""
    view = PrivateDataView(config.rpc, config.private_data)
    where = config.source
    chain_id = view.chain_id()
    if chain_id != config.chain_id:
        raise InputError(
            f"{where}: the node at {config.rpc} is chain {chain_id}, not chain {config.chain_id}."
        )
    if not view.has_code():
        raise InputError(
            f"{where}: there is no contract at private_data {config.private_data} on chain "
            f"{chain_id}."
        )
    for asset_id, share in sorted(config.shares.items()):
        seal_root, key_check = view.seal_of(asset_id)
        if seal_root == ZERO32:
            raise InputError(f"{where}: asset {asset_id} is not sealed on chain {chain_id}.")
        if key_check != share.key_check:
            raise InputError(
                f"{where}: the share of asset {asset_id} is of key 0x{share.key_check.hex()}, "
                f"but the chain publishes keyCheck 0x{key_check.hex()} for it."
            )
    return Custodian(config, view)


def listen(host: str, port: int) -> socket.socket:
    """The listening socket, taken before serving: a port in use is one sentence."""
    # IPPROTO_TCP named so that asyncio sets TCP_NODELAY (else a delayed ACK costs ~40 ms).
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
    except OSError as err:
        sock.close()
        reason = "the address is in use" if err.errno == errno.EADDRINUSE else err.strerror
        raise InputError(f"the custodian cannot listen on {host}:{port}: {reason}.") from None
    sock.listen(512)
    return sock


def serve(custodian: Custodian, host: str, port: int, ready: Callable[[str], None] = print) -> None:
    """Serve until SIGINT/SIGTERM; `ready` gets the base URL once the socket listens."""
    logging.basicConfig(
        level=logging.INFO,
        stream=sys.stderr,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        force=True,
    )
    config = uvicorn.Config(
        create_app(custodian),
        host=host,
        port=port,
        loop="uvloop",
        http="httptools",
        log_level="warning",
        access_log=False,
        lifespan="off",
    )
    server = uvicorn.Server(config)
    sock = listen(host, port)

    async def main() -> None:
        async def announce() -> None:
            while not server.started:
                if server.should_exit:
                    return
                await asyncio.sleep(0.02)
            name = server.servers[0].sockets[0].getsockname()
            ready(f"http://{name[0]}:{name[1]}")

        watcher = asyncio.create_task(announce())
        await server.serve(sockets=[sock])
        watcher.cancel()

    import uvloop

    uvloop.run(main())  # asyncio.run would ignore uvicorn's loop="uvloop"


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:  # one `error:` line, as every Seedbed command
        print(f"error: {message} (--help for the options).", file=sys.stderr)
        sys.exit(2)


def main(argv: Sequence[str] | None = None, env: dict[str, str] | None = None) -> int:
    parser = _Parser(
        prog="python -m seedbed.custodian",
        description="Serve one key custodian: its shares, to the holders of ACCESS licenses.",
    )
    parser.add_argument("--config", required=True, metavar="FILE", help="The custodian's TOML.")
    parser.add_argument("--host", default=None, help="Listen address (default: the file's).")
    parser.add_argument("--port", type=int, default=None, help="Port (0: any free port).")
    args = parser.parse_args(argv)
    try:
        if args.port is not None and not 0 <= args.port <= 65535:
            raise InputError(f"--port must be from 0 to 65535, not {args.port}.")
        config = load(args.config, os.environ if env is None else env)
        custodian = build(config)
        host = args.host or config.host
        port = config.port if args.port is None else args.port

        def ready(url: str) -> None:
            print(
                f"{READY} {url} (address {config.address}, chain {config.chain_id}, "
                f"assets {', '.join(map(str, config.assets))})",
                flush=True,
            )

        serve(custodian, host, port, ready)
    except SeedbedError as err:
        print(f"error: {err.message}", file=sys.stderr)
        return err.exit_code
    except KeyboardInterrupt:
        return 0
    return 0
