"""The gateway's configuration file (TOML): what it serves, at what price, how it settles.

    [gateway]
    host = "127.0.0.1"
    port = 8402
    operator = "0x…"              # payTo: the vouchers name it; default the settlement account
    deployment = "deployments/31337.json"   # optional; default the chain's record

    [ledger]
    sqlite = "gateway-ledger.db"  # or: postgres = "postgresql://user@host:port/db"

    [settlement]
    interval_seconds = 300        # settle at least this often when something is unsettled
    threshold_units = 1000000     # ... or as soon as this many units are unsettled
    margin_seconds = 3600         # ... and this long before a withdrawal becomes ready, a
                                  # voucher's deadline passes or a channel's grace ends
    max_unsettled = "0"           # per payer, base units; "0" = no cap
    pay_assets = true             # then push what is owed into the vault (payAsset)

    [[assets]]                    # a model behind an OpenAI-compatible upstream
    id = 3
    kind = "model"
    model = "seedbed-signs"       # the `model` name of /v1/chat/completions
    upstream = "http://127.0.0.1:9000"
    pricing = "token"             # "call": `units` per call; "token": up to `units`, as used
    units = 256
    timeout_seconds = 30

    [[assets]]                    # a dataset's files, served with Range and Merkle proofs
    id = 1
    kind = "dataset"
    folder = "examples/datasets/city-trees"
    units = 1

    [[assets]]                    # a private dataset: ciphertext at rest, decrypted per range
    id = 4                        # for a caller holding an ACCESS or TRAIN license
    kind = "dataset"
    sealed = "sealed/clinic-notes"   # `ape run seal`'s output folder (seal.json, files/)
    key_file = "keys/clinic-notes.key"   # the dataset key (or key_env = "VAR")
    units = 1

    [[api_keys]]                  # a backend with no wallet code: the gateway signs for it
    key_sha256 = "…"              # sha256 of the bearer key (the key itself is not stored)
    license = 2
    payer = "0x…"
    signer_key_env = "SEEDBED_SESSION_KEY"   # env var holding the channel signer's key

Every refusal is an InputError naming the key and the file.
"""

from __future__ import annotations

import hashlib
import json
import os
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from seedbed.core.errors import InputError
from seedbed.core.vouchers import checksum_address

KINDS = ("model", "dataset", "service")
PRICING = ("call", "token")


@dataclass(frozen=True)
class AssetConfig:
    asset_id: int
    kind: str
    units: int
    pricing: str = "call"
    model: str | None = None
    upstream: str | None = None
    folder: Path | None = None
    timeout_seconds: float = 30.0
    description: str = ""
    sealed: Path | None = None  # a private dataset's sealed folder (then no `folder`)
    key: bytes | None = field(default=None, repr=False)  # from key_file or key_env; never logged

    @property
    def private(self) -> bool:
        return self.sealed is not None


@dataclass(frozen=True)
class ApiKey:
    key_sha256: str
    license_id: int
    payer: str
    signer_key: bytes

    def matches(self, key: str) -> bool:
        return hashlib.sha256(key.encode()).hexdigest() == self.key_sha256


@dataclass(frozen=True)
class SettlementPolicy:
    interval_seconds: float = 300.0
    threshold_units: int = 1_000_000
    margin_seconds: int = 3600
    max_unsettled: int = 0
    pay_assets: bool = True
    batch_size: int = 100


@dataclass(frozen=True)
class GatewayConfig:
    source: str
    host: str = "127.0.0.1"
    port: int = 8402
    operator: str | None = None
    deployment: Path | None = None
    sqlite: Path | None = None
    postgres: str | None = None
    settlement: SettlementPolicy = field(default_factory=SettlementPolicy)
    assets: tuple[AssetConfig, ...] = ()
    api_keys: tuple[ApiKey, ...] = ()
    poll_seconds: float = 0.2
    log_requests: bool = False

    def asset(self, asset_id: int) -> AssetConfig | None:
        return next((a for a in self.assets if a.asset_id == asset_id), None)

    def model(self, name: str) -> AssetConfig | None:
        return next((a for a in self.assets if a.kind == "model" and a.model == name), None)


def load(path: str | os.PathLike[str], env: dict[str, str] | None = None) -> GatewayConfig:
    """Read and check a gateway configuration file; relative paths are from its folder."""
    source = Path(path)
    try:
        data = tomllib.loads(source.read_text())
    except FileNotFoundError:
        raise InputError(f"there is no gateway configuration at {source}.") from None
    except (OSError, UnicodeDecodeError) as err:
        raise InputError(f"the gateway configuration {source} cannot be read: {err}.") from None
    except tomllib.TOMLDecodeError as err:
        raise InputError(f"the gateway configuration {source} is not valid TOML: {err}.") from None
    return parse(data, source, os.environ if env is None else env)


def read_record(path: Path, chain_id: int) -> dict[str, Any]:
    """The deployment record a configuration names, checked to be for the connected chain."""
    try:
        record: dict[str, Any] = json.loads(path.read_text())
    except (OSError, ValueError) as err:
        raise InputError(f"the deployment record {path} cannot be read: {err}.") from None
    if int(record.get("chain_id", -1)) != chain_id:
        raise InputError(
            f"the deployment record {path} is for chain {record.get('chain_id')}, "
            f"not the connected chain {chain_id}."
        )
    return record


def parse(data: dict[str, Any], source: Path, env: Any) -> GatewayConfig:
    where = str(source)
    base = source.parent
    known = {"gateway", "ledger", "settlement", "assets", "api_keys"}
    _no_unknown(data, known, where)
    gw = _table(data, "gateway", where)
    _no_unknown(
        gw,
        {"host", "port", "operator", "deployment", "poll_seconds", "log_requests"},
        f"{where} [gateway]",
    )
    ledger = _table(data, "ledger", where)
    _no_unknown(ledger, {"sqlite", "postgres"}, f"{where} [ledger]")
    if ("sqlite" in ledger) == ("postgres" in ledger):
        raise InputError(f"{where} [ledger] must name exactly one of sqlite or postgres.")
    port = _int(gw.get("port", 8402), f"{where} gateway.port", 0, 65535)
    operator = gw.get("operator")
    assets = tuple(
        _asset(a, base, f"{where} assets[{i}]", env)
        for i, a in enumerate(_list(data, "assets", where))
    )
    if not assets:
        raise InputError(f"{where} serves no [[assets]].")
    ids = [a.asset_id for a in assets]
    if len(set(ids)) != len(ids):
        raise InputError(f"{where} lists an asset twice: {ids}.")
    models = [a.model for a in assets if a.model]
    if len(set(models)) != len(models):
        raise InputError(f"{where} names a model twice: {models}.")
    keys = tuple(
        _api_key(k, env, f"{where} api_keys[{i}]")
        for i, k in enumerate(_list(data, "api_keys", where))
    )
    return GatewayConfig(
        source=where,
        host=_str(gw.get("host", "127.0.0.1"), f"{where} gateway.host"),
        port=port,
        operator=checksum_address(operator, f"{where} gateway.operator") if operator else None,
        deployment=base / _str(gw["deployment"], "deployment") if "deployment" in gw else None,
        sqlite=base / _str(ledger["sqlite"], f"{where} ledger.sqlite")
        if "sqlite" in ledger
        else None,
        postgres=_str(ledger["postgres"], f"{where} ledger.postgres")
        if "postgres" in ledger
        else None,
        settlement=_policy(_table(data, "settlement", where), f"{where} [settlement]"),
        assets=assets,
        api_keys=keys,
        poll_seconds=_float(gw.get("poll_seconds", 0.2), f"{where} gateway.poll_seconds", 0.01),
        log_requests=bool(gw.get("log_requests", False)),
    )


def _asset(raw: Any, base: Path, where: str, env: Any) -> AssetConfig:
    if not isinstance(raw, dict):
        raise InputError(f"{where} is not a table.")
    _no_unknown(
        raw,
        {
            "id",
            "kind",
            "units",
            "pricing",
            "model",
            "upstream",
            "folder",
            "timeout_seconds",
            "description",
            "sealed",
            "key_file",
            "key_env",
        },
        where,
    )
    kind = raw.get("kind")
    if kind not in KINDS:
        raise InputError(f"{where}.kind must be one of {', '.join(KINDS)}, not {kind!r}.")
    pricing = raw.get("pricing", "call")
    if pricing not in PRICING:
        raise InputError(f"{where}.pricing must be call or token, not {pricing!r}.")
    if pricing == "token" and kind != "model":
        raise InputError(f"{where}: per-token pricing is for models only.")
    asset = AssetConfig(
        asset_id=_int(raw.get("id"), f"{where}.id", 1, 2**256 - 1),
        kind=kind,
        units=_int(raw.get("units", 1), f"{where}.units", 1, 2**32),
        pricing=pricing,
        model=_str(raw["model"], f"{where}.model") if "model" in raw else None,
        upstream=_url(raw["upstream"], f"{where}.upstream") if "upstream" in raw else None,
        folder=(base / _str(raw["folder"], f"{where}.folder")) if "folder" in raw else None,
        timeout_seconds=_float(raw.get("timeout_seconds", 30), f"{where}.timeout_seconds", 0.1),
        description=_str(raw.get("description", ""), f"{where}.description"),
        sealed=(base / _str(raw["sealed"], f"{where}.sealed")) if "sealed" in raw else None,
        key=_dataset_key(raw, base, env, where),
    )
    if kind in ("model", "service") and asset.upstream is None:
        raise InputError(f"{where} is a {kind} and names no upstream URL.")
    if asset.sealed is not None or asset.key is not None:
        if kind != "dataset" or asset.folder is not None:
            raise InputError(f"{where}: sealed is for a dataset, in place of folder.")
        if asset.sealed is None or asset.key is None:
            raise InputError(f"{where}: a private dataset names both sealed and its key.")
        if not (asset.sealed / "seal.json").is_file():
            raise InputError(f"{where}.sealed {asset.sealed} holds no seal.json.")
    elif kind == "dataset":
        if asset.folder is None:
            raise InputError(f"{where} is a dataset and names no folder.")
        if not asset.folder.is_dir():
            raise InputError(f"{where}.folder {asset.folder} is not a folder.")
    return asset


def _dataset_key(raw: dict[str, Any], base: Path, env: Any, where: str) -> bytes | None:
    """The 32-byte dataset key of a private dataset: a key file (as `ape run seal` writes
    it) or an environment variable holding the hex key."""
    if "key_file" in raw and "key_env" in raw:
        raise InputError(f"{where} names both key_file and key_env; keep one.")
    if "key_file" in raw:
        path = base / _str(raw["key_file"], f"{where}.key_file")
        try:
            text = json.loads(path.read_text()).get("key", "")
        except (OSError, ValueError, AttributeError) as err:
            raise InputError(
                f"{where}.key_file {path} cannot be read as a key file: {err}."
            ) from None
        return _hex_key(text, f"{where}.key_file {path}")
    if "key_env" in raw:
        var = _str(raw["key_env"], f"{where}.key_env")
        return _hex_key(env.get(var, ""), f"{where}: the environment variable {var}")
    return None


def _hex_key(text: Any, what: str) -> bytes:
    try:
        key = bytes.fromhex(str(text).strip().removeprefix("0x"))
    except ValueError:
        raise InputError(f"{what} holds no hex dataset key.") from None
    if len(key) != 32:
        raise InputError(f"{what} holds no 32-byte dataset key.")
    return key


def _api_key(raw: Any, env: Any, where: str) -> ApiKey:
    if not isinstance(raw, dict):
        raise InputError(f"{where} is not a table.")
    _no_unknown(raw, {"key_sha256", "license", "payer", "signer_key_env"}, where)
    digest = _str(raw.get("key_sha256"), f"{where}.key_sha256").lower()
    if len(digest) != 64 or any(c not in "0123456789abcdef" for c in digest):
        raise InputError(f"{where}.key_sha256 must be 64 hex digits (sha256 of the key).")
    var = _str(raw.get("signer_key_env"), f"{where}.signer_key_env")
    key = env.get(var, "").strip()
    if not key:
        raise InputError(f"{where}: the environment variable {var} holds no signer key.")
    try:
        signer_key = bytes.fromhex(key.removeprefix("0x"))
    except ValueError:
        raise InputError(f"{where}: {var} is not a hex private key.") from None
    if len(signer_key) != 32:
        raise InputError(f"{where}: {var} is not a 32-byte private key.")
    return ApiKey(
        key_sha256=digest,
        license_id=_int(raw.get("license"), f"{where}.license", 1, 2**256 - 1),
        payer=checksum_address(_str(raw.get("payer"), f"{where}.payer"), f"{where}.payer"),
        signer_key=signer_key,
    )


def _policy(raw: dict[str, Any], where: str) -> SettlementPolicy:
    _no_unknown(
        raw,
        {
            "interval_seconds",
            "threshold_units",
            "margin_seconds",
            "max_unsettled",
            "pay_assets",
            "batch_size",
        },
        where,
    )
    return SettlementPolicy(
        interval_seconds=_float(raw.get("interval_seconds", 300), f"{where} interval_seconds", 0.1),
        threshold_units=_int(
            raw.get("threshold_units", 1_000_000), f"{where} threshold_units", 1, 2**64
        ),
        margin_seconds=_int(
            raw.get("margin_seconds", 3600), f"{where} margin_seconds", 0, 90 * 86400
        ),
        max_unsettled=_int(
            _decimal(raw.get("max_unsettled", 0)),
            f"{where} max_unsettled",
            0,
            2**256 - 1,
        ),
        pay_assets=bool(raw.get("pay_assets", True)),
        batch_size=_int(raw.get("batch_size", 100), f"{where} batch_size", 1, 10_000),
    )


def _decimal(value: Any) -> Any:
    """Amounts may be written as decimal strings (TOML integers stop at 2**63)."""
    return int(value) if isinstance(value, str) and value.isdigit() else value


def _table(data: dict[str, Any], key: str, where: str) -> dict[str, Any]:
    value = data.get(key, {})
    if not isinstance(value, dict):
        raise InputError(f"{where}: [{key}] must be a table.")
    return value


def _list(data: dict[str, Any], key: str, where: str) -> list[Any]:
    value = data.get(key, [])
    if not isinstance(value, list):
        raise InputError(f"{where}: {key} must be an array of tables ([[{key}]]).")
    return value


def _no_unknown(table: dict[str, Any], known: set[str], where: str) -> None:
    unknown = sorted(set(table) - known)
    if unknown:
        raise InputError(f"{where} has unknown keys: {', '.join(unknown)}.")


def _int(value: Any, what: str, low: int, high: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise InputError(f"{what} must be an integer from {low} to {high}, not {value!r}.")
    return value


def _float(value: Any, what: str, low: float) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or value < low:
        raise InputError(f"{what} must be a number of at least {low}, not {value!r}.")
    return float(value)


def _str(value: Any, what: str) -> str:
    if not isinstance(value, str):
        raise InputError(f"{what} must be a string, not {value!r}.")
    return value


def _url(value: Any, what: str) -> str:
    text = _str(value, what).rstrip("/")
    if not text.startswith(("http://", "https://")):
        raise InputError(f"{what} must be an http(s) URL, not {value!r}.")
    return text
