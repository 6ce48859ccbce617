"""What a command prints: lines for people (amounts rounded), or with `--json` one JSON
document on stdout with every amount exact (integers in base units) and nothing else."""

from __future__ import annotations

import dataclasses
import json
from typing import Any

import click


def plain(value: Any) -> Any:
    """A result object as JSON-ready values: dataclasses as objects, bytes as 0x-hex, a
    currency as its address, symbol and decimals; integers stay exact."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        out = {f.name: plain(getattr(value, f.name)) for f in dataclasses.fields(value)}
        if {"address", "symbol", "decimals"} <= out.keys():
            out.pop("contract", None)
        return out
    if isinstance(value, dict):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [plain(v) for v in value]
    if isinstance(value, bytes | bytearray):
        return "0x" + bytes(value).hex()
    if isinstance(value, bool | int | float | str) or value is None:
        return value
    if hasattr(value, "__fspath__"):
        return str(value)
    return str(value)


class Out:
    """`say` prints a line for people unless `--json`; `result` prints the JSON document."""

    def __init__(self, as_json: bool) -> None:
        self.as_json = as_json

    def say(self, line: str = "") -> None:
        if not self.as_json:
            click.echo(line)

    def result(self, value: Any) -> None:
        if self.as_json:
            click.echo(json.dumps(plain(value), indent=2, sort_keys=True))
