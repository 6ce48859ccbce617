"""click parameter types over the core parsers, so every script reads ids, addresses,
durations, scopes and shares by the same rules, and a bad value is one `error:` line."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import click

from seedbed.core.addresses import parse_address, to_checksum_address
from seedbed.core.constants import UINT64_MAX
from seedbed.core.errors import InputError
from seedbed.core.units import parse_count, parse_duration, parse_id, parse_scopes, parse_share


class _Parsed(click.ParamType):
    def __init__(self, name: str, parse: Callable[[str], Any]) -> None:
        self.name = name
        self._parse = parse

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        if not isinstance(value, str):
            return value
        try:
            return self._parse(value)
        except InputError as err:
            self.fail(err.message, param, ctx)


ASSET_ID = _Parsed("ASSET", lambda t: parse_id(t, "an asset id"))
LICENSE_ID = _Parsed("LICENSE", lambda t: parse_id(t, "a license id"))
OFFER_ID = _Parsed("OFFER", lambda t: parse_id(t, "an offer id"))
CAMPAIGN_ID = _Parsed("ID", lambda t: parse_id(t, "a campaign id"))
ADDRESS = _Parsed("ADDRESS", lambda t: to_checksum_address(parse_address(t)))
DURATION = _Parsed("DURATION", parse_duration)
SCOPES = _Parsed("SCOPES", parse_scopes)
SHARE = _Parsed("SHARE", parse_share)
UNITS = _Parsed("UNITS", lambda t: parse_count(t, "a unit count", UINT64_MAX))
BLOCK = _Parsed("N", lambda t: parse_count(t, "a block number", UINT64_MAX))


def _hex32(text: str, what: str = "32 bytes of hex") -> bytes:
    cleaned = text.strip().removeprefix("0x")
    try:
        raw = bytes.fromhex(cleaned)
    except ValueError:
        raw = b""
    if len(raw) != 32 or len(cleaned) != 64:
        raise InputError(f"{text!r} is not {what} (64 hex digits).")
    return raw


HEX32 = _Parsed("HEX32", _hex32)  # a salt, a root, a commitment: 32 bytes
SALT = _Parsed("HEX32", lambda t: "0x" + _hex32(t, "a 32-byte hex salt").hex())
