"""Share files: a dataset key split k-of-n (seedbed.core.shamir), one file per custodian.

    {"version": 1, "assetId": 4, "threshold": 3, "count": 5, "keyCheck": "0x…",
     "share": {"index": 2, "value": "0x…"}}

Written 0600, atomically. A share carries the key's keyCheck (the value the chain publishes),
so a custodian can check at start that it holds a share of the key the chain commits to, and a
client knows when k shares combine to the right key.
"""

from __future__ import annotations

import json
import os
import stat
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from seedbed.core import shamir
from seedbed.core.atomic import write_atomic
from seedbed.core.errors import InputError
from seedbed.core.sealed import key_check, read_key_file

VERSION = 1
MAX_COUNT = shamir.MAX_SHARES
UINT256_MAX = 2**256 - 1


@dataclass(frozen=True)
class ShareFile:
    asset_id: int
    threshold: int
    count: int
    key_check: bytes
    share: shamir.Share

    @property
    def index(self) -> int:
        return int(self.share.index)

    def to_json(self) -> dict[str, Any]:
        return {
            "version": VERSION,
            "assetId": self.asset_id,
            "threshold": self.threshold,
            "count": self.count,
            "keyCheck": "0x" + self.key_check.hex(),
            "share": self.share.to_json(),
        }

    @classmethod
    def from_json(cls, data: Any, source: str) -> ShareFile:
        if not isinstance(data, dict):
            raise InputError(f"the share file {source} is not a JSON object.")
        if data.get("version") != VERSION:
            raise InputError(
                f"the share file {source} has version {data.get('version')!r}; "
                f"this Seedbed reads version {VERSION}."
            )
        unknown = sorted(
            set(data) - {"version", "assetId", "threshold", "count", "keyCheck", "share"}
        )
        if unknown:
            raise InputError(f"the share file {source} has unknown keys: {', '.join(unknown)}.")
        asset_id = _int(data.get("assetId"), f"{source} assetId", 1, UINT256_MAX)
        count = _int(data.get("count"), f"{source} count", 2, MAX_COUNT)
        threshold = _int(data.get("threshold"), f"{source} threshold", 2, count)
        check = _bytes32(data.get("keyCheck"), f"{source} keyCheck")
        raw = data.get("share")
        if not isinstance(raw, dict):
            raise InputError(f"the share file {source} has no share object.")
        try:
            share = shamir.Share.from_json(raw, "its share")
        except InputError as err:
            raise InputError(f"the share file {source}: {err.message}") from None
        if not 1 <= share.index <= count:
            raise InputError(
                f"the share file {source} holds share {share.index}, outside 1..{count}."
            )
        return cls(asset_id, threshold, count, check, share)


def split_key(key: bytes, threshold: int, count: int, asset_id: int) -> list[ShareFile]:
    """n share files of which any `threshold` give `key` back (and fewer tell nothing)."""
    if not 2 <= count <= MAX_COUNT:
        raise InputError(f"the count of custodians must be from 2 to {MAX_COUNT}, not {count}.")
    if not 2 <= threshold <= count:
        raise InputError(
            f"the threshold must be from 2 to the count ({count}), not {threshold}: "
            "a threshold of 1 hands every custodian the whole key."
        )
    if not 1 <= asset_id <= UINT256_MAX:
        raise InputError(f"the asset id {asset_id} is not from 1 to 2**256-1.")
    check = key_check(key)
    shares = shamir.split(key, threshold, count)
    # A share set that does not give the key back must never be written: check two subsets
    # that together use every share.
    if shamir.combine(shares[:threshold], threshold) != key or (
        shamir.combine(shares[-threshold:], threshold) != key
    ):
        raise AssertionError("shamir.split made shares that do not combine to the key")
    return [ShareFile(asset_id, threshold, count, check, s) for s in shares]


def share_path(out: Path, index: int) -> Path:
    return out / f"share-{index}.json"


def write_shares(shares: list[ShareFile], out: str | os.PathLike[str]) -> list[Path]:
    """share-<i>.json in `out` (made 0700 if missing). Refuses a folder that holds share
    files already: shares of two splits never combine, and a mix would look complete."""
    folder = Path(out)
    if folder.exists() and not folder.is_dir():
        raise InputError(f"{folder} is not a folder.")
    taken = sorted(p.name for p in folder.glob("share-*.json")) if folder.is_dir() else []
    if taken:
        raise InputError(
            f"{folder} holds share files already ({', '.join(taken[:3])}"
            f"{', …' if len(taken) > 3 else ''}): shares of another split do not combine with "
            "them; choose an empty folder."
        )
    try:
        folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    except OSError as err:
        raise InputError(f"cannot make the folder {folder}: {err.strerror or err}.") from None
    paths = []
    for share in shares:
        path = share_path(folder, share.index)
        write_private(path, (json.dumps(share.to_json(), indent=2) + "\n").encode())
        paths.append(path)
    return paths


def split_key_file(
    key_path: str | os.PathLike[str],
    threshold: int,
    count: int,
    asset_id: int,
    out: str | os.PathLike[str],
) -> list[Path]:
    return write_shares(split_key(read_key_file(key_path), threshold, count, asset_id), out)


def read_share(path: str | os.PathLike[str], *, private: bool = False) -> ShareFile:
    """A share file, checked. `private`: refuse one that others than its owner may read
    (a custodian serving it; as ssh does with a key)."""
    source = Path(path)
    if private:
        try:
            mode = stat.S_IMODE(source.stat().st_mode)
        except FileNotFoundError:
            raise InputError(f"there is no share file at {source}.") from None
        except OSError as err:
            raise InputError(f"the share file {source} cannot be read: {err}.") from None
        if mode & 0o077:
            raise InputError(
                f"the share file {source} may be read by others (mode {mode:04o}); "
                f"run chmod 600 {source}."
            )
    return ShareFile.from_json(_read_json(source, "share file"), str(source))


def write_private(path: Path, data: bytes) -> None:
    """Write `data` to `path` atomically with mode 0600 from the first byte."""
    write_atomic(path, data, mode=0o600)


def _read_json(source: Path, what: str) -> Any:
    try:
        text = source.read_text()
    except FileNotFoundError:
        raise InputError(f"there is no {what} at {source}.") from None
    except IsADirectoryError:
        raise InputError(f"the {what} {source} is a folder.") from None
    except (OSError, UnicodeDecodeError) as err:
        raise InputError(f"the {what} {source} cannot be read: {err}.") from None
    try:
        return json.loads(text)
    except ValueError as err:
        raise InputError(f"the {what} {source} is not JSON: {err}.") from None


def _int(value: Any, what: str, low: int, high: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise InputError(f"{what} must be an integer from {low} to {high}, not {value!r}.")
    return value


def _hex(value: Any, what: str, size: int) -> bytes:
    raw = b""
    if isinstance(value, str) and value.startswith("0x"):
        try:
            raw = bytes.fromhex(value[2:])
        except ValueError:
            raw = b""
    if len(raw) != size or len(value) != 2 + 2 * size:  # fromhex skips spaces
        raise InputError(f"{what} must be 0x and {2 * size} hex digits.")
    return raw


def _bytes32(value: Any, what: str) -> bytes:
    return _hex(value, what, 32)
