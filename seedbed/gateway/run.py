"""Build a gateway process from its configuration and serve it with uvicorn."""

from __future__ import annotations

import asyncio
import errno
import json
import logging
import socket
import sys
from collections.abc import Callable
from typing import Any

import uvicorn
import uvloop

from seedbed.chain.client import Suite
from seedbed.core.errors import InputError
from seedbed.gateway.app import Services, create_app
from seedbed.gateway.chainstate import ChainView
from seedbed.gateway.config import GatewayConfig
from seedbed.gateway.metrics import Metrics
from seedbed.gateway.settlement import Settler
from seedbed.gateway.store import SqliteStore, Store


def build(
    config: GatewayConfig,
    suite: Suite,
    chain: Any,
    account: Any | None,
    *,
    settle: bool = True,
    payments: bool = True,
) -> Services:
    """The services of one gateway process. `account` signs the settlements unless `settle`
    is False (another replica or `ape run settle` does); the operator the vouchers name is the
    file's, else the account's."""
    operator = config.operator or (account.address if account is not None else None)
    if operator is None:
        raise InputError(f"{config.source} names no [gateway] operator and no --account is given.")
    store = open_store(config, suite)
    view = ChainView(suite, chain, config.poll_seconds)
    metrics = Metrics()
    settler = None
    if account is not None and settle and payments:
        settler = Settler(store, suite, chain, account, config.settlement, metrics, view.now)
    return Services(config, store, view, operator, metrics, settler, payments)


class JsonLines(logging.Formatter):
    """One JSON object per log line: time, level, logger, message (for log shippers)."""

    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "time": self.formatTime(record, "%Y-%m-%dT%H:%M:%S"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
        }
        if record.exc_info:
            entry["error"] = self.formatException(record.exc_info)
        return json.dumps(entry)


def listen(host: str, port: int) -> socket.socket:
    """The listening socket, taken before anything starts: a port in use is one sentence."""
    # IPPROTO_TCP named: asyncio sets TCP_NODELAY only on sockets whose proto says TCP, and
    # without it every answer of headers then body waits for a delayed ACK (~40 ms).
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
    except OSError as err:
        sock.close()
        reason = "the address is in use" if err.errno == errno.EADDRINUSE else err.strerror
        raise InputError(f"the gateway cannot listen on {host}:{port}: {reason}.") from None
    sock.listen(2048)
    sock.set_inheritable(True)
    return sock


def open_store(config: GatewayConfig, suite: Suite) -> Store:
    if config.postgres is not None:
        from seedbed.gateway.store_pg import PostgresStore

        return PostgresStore(config.postgres, suite.chain_id, suite.meter.address)
    assert config.sqlite is not None
    config.sqlite.parent.mkdir(parents=True, exist_ok=True)
    return SqliteStore(str(config.sqlite), suite.chain_id, suite.meter.address)


def serve(services: Services, host: str, port: int, ready: Callable[[str], None] = print) -> None:
    """Serve until SIGINT/SIGTERM; `ready` gets the base URL once the socket listens."""
    app = create_app(services)
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonLines())
    logging.basicConfig(level=logging.INFO, handlers=[handler], force=True)
    config = uvicorn.Config(
        app,
        host=host,
        port=port,
        loop="uvloop",
        http="httptools",
        log_level="warning",
        access_log=False,
        lifespan="on",
    )
    server = uvicorn.Server(config)
    logging.getLogger("httpx").setLevel(logging.WARNING)  # one line per upstream call otherwise

    sock = listen(host, port)

    async def main() -> None:
        async def announce() -> None:
            while not server.started:
                if server.should_exit:
                    return
                await asyncio.sleep(0.02)
            sock = server.servers[0].sockets[0].getsockname()
            ready(f"http://{sock[0]}:{sock[1]}")

        watcher = asyncio.create_task(announce())
        await server.serve(sockets=[sock])
        watcher.cancel()

    uvloop.run(main())  # asyncio.run would ignore uvicorn's loop="uvloop"
