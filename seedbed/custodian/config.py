"""A custodian's configuration file (TOML): its chain, its identity and the shares it holds.

    [custodian]
    host = "127.0.0.1"
    port = 8470                       # 0: any free port
    rpc = "http://127.0.0.1:8545"     # a JSON-RPC node of the chain (read-only: eth_call)
    chain_id = 31337
    private_data = "0x…"              # the PrivateData contract
    key_env = "SEEDBED_CUSTODIAN_KEY" # env var holding its own secp256k1 key: its address is
                                      # the `audience` a release request must name
    challenge_ttl_seconds = 120       # optional: how long an issued challenge stays usable

    [[shares]]
    asset = 4
    file = "share-3.json"             # relative to this file's folder; must be mode 0600

Every refusal is an InputError naming the key and the file.
"""

from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from eth_account import Account

from seedbed.core.errors import InputError
from seedbed.core.vouchers import checksum_address
from seedbed.custodian.shares import ShareFile, read_share

DEFAULT_KEY_ENV = "SEEDBED_CUSTODIAN_KEY"


@dataclass(frozen=True)
class CustodianConfig:
    source: str
    rpc: str
    chain_id: int
    private_data: str
    key: bytes  # the custodian's identity key (never printed)
    address: str  # its address: the audience of every request it answers
    shares: dict[int, ShareFile]  # asset id -> the share held for it
    host: str = "127.0.0.1"
    port: int = 8470
    challenge_ttl: int = 120

    def __repr__(self) -> str:  # keep the key out of logs and tracebacks
        return f"CustodianConfig({self.source!r}, address={self.address}, assets={self.assets})"

    @property
    def assets(self) -> list[int]:
        return sorted(self.shares)


def load(path: str | os.PathLike[str], env: Any = None) -> CustodianConfig:
    """Read and check a custodian configuration file; relative paths are from its folder."""
    source = Path(path)
    try:
        data = tomllib.loads(source.read_text())
    except FileNotFoundError:
        raise InputError(f"there is no custodian configuration at {source}.") from None
    except IsADirectoryError:
        raise InputError(f"the custodian configuration {source} is a folder.") from None
    except (OSError, UnicodeDecodeError) as err:
        raise InputError(f"the custodian configuration {source} cannot be read: {err}.") from None
    except tomllib.TOMLDecodeError as err:
        raise InputError(
            f"the custodian configuration {source} is not valid TOML: {err}."
        ) from None
    return parse(data, source, os.environ if env is None else env)


def parse(data: dict[str, Any], source: Path, env: Any) -> CustodianConfig:
    where = str(source)
    _no_unknown(data, {"custodian", "shares"}, where)
    table = data.get("custodian")
    if not isinstance(table, dict):
        raise InputError(f"{where} has no [custodian] table.")
    _no_unknown(
        table,
        {"host", "port", "rpc", "chain_id", "private_data", "key_env", "challenge_ttl_seconds"},
        f"{where} [custodian]",
    )
    for required in ("rpc", "chain_id", "private_data"):
        if required not in table:
            raise InputError(f"{where} [custodian] names no {required}.")
    rpc = _str(table["rpc"], f"{where} custodian.rpc").rstrip("/")
    if not rpc.startswith(("http://", "https://")):
        raise InputError(f"{where} custodian.rpc must be an http(s) URL, not {rpc!r}.")
    key_env = _str(table.get("key_env", DEFAULT_KEY_ENV), f"{where} custodian.key_env")
    key = _identity_key(env.get(key_env, ""), key_env, where)
    raw_shares = data.get("shares", [])
    if not isinstance(raw_shares, list):
        raise InputError(f"{where}: shares must be an array of tables ([[shares]]).")
    shares: dict[int, ShareFile] = {}
    for i, raw in enumerate(raw_shares):
        share = _share(raw, source.parent, f"{where} shares[{i}]")
        if share.asset_id in shares:
            raise InputError(f"{where} lists asset {share.asset_id} twice in [[shares]].")
        shares[share.asset_id] = share
    if not shares:
        raise InputError(f"{where} holds no [[shares]].")
    return CustodianConfig(
        source=where,
        rpc=rpc,
        chain_id=_int(table["chain_id"], f"{where} custodian.chain_id", 1, 2**64 - 1),
        private_data=checksum_address(
            _str(table["private_data"], f"{where} custodian.private_data"),
            f"{where} custodian.private_data",
        ),
        key=key,
        address=str(Account.from_key(key).address),
        shares=shares,
        host=_str(table.get("host", "127.0.0.1"), f"{where} custodian.host"),
        port=_int(table.get("port", 8470), f"{where} custodian.port", 0, 65535),
        challenge_ttl=_int(
            table.get("challenge_ttl_seconds", 120),
            f"{where} custodian.challenge_ttl_seconds",
            5,
            3600,
        ),
    )


def _identity_key(text: Any, var: str, where: str) -> bytes:
    text = str(text).strip()
    if not text:
        raise InputError(f"{where}: the environment variable {var} holds no custodian key.")
    try:
        key = bytes.fromhex(text.removeprefix("0x"))
    except ValueError:
        raise InputError(f"{where}: {var} is not a hex private key.") from None
    if len(key) != 32:
        raise InputError(f"{where}: {var} is not a 32-byte private key.")
    try:
        Account.from_key(key)
    except Exception:  # zero, or at or above the curve order
        raise InputError(f"{where}: {var} is not a valid secp256k1 private key.") from None
    return key


def _share(raw: Any, base: Path, where: str) -> ShareFile:
    if not isinstance(raw, dict):
        raise InputError(f"{where} is not a table.")
    _no_unknown(raw, {"asset", "file"}, where)
    asset = _int(raw.get("asset"), f"{where}.asset", 1, 2**256 - 1)
    path = base / _str(raw.get("file"), f"{where}.file")
    share = read_share(path, private=True)
    if share.asset_id != asset:
        raise InputError(
            f"{where}: the share file {path} is for asset {share.asset_id}, not asset {asset}."
        )
    return share


def _no_unknown(table: dict[str, Any], known: set[str], where: str) -> None:
    unknown = sorted(set(table) - known)
    if unknown:
        raise InputError(f"{where} has unknown keys: {', '.join(unknown)}.")


def _int(value: Any, what: str, low: int, high: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise InputError(f"{what} must be an integer from {low} to {high}, not {value!r}.")
    return value


def _str(value: Any, what: str) -> str:
    if not isinstance(value, str):
        raise InputError(f"{what} must be a string, not {value!r}.")
    return value
