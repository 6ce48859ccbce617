"""Dataset files over HTTP: the request's path and Range, the checked answer, and a ranged
download assembled in a temporary file that replaces the target only once it hashes right."""

from __future__ import annotations

import hashlib
import os
import tempfile
from collections.abc import Callable
from pathlib import Path, PurePosixPath
from types import TracebackType
from typing import Any, BinaryIO
from urllib.parse import quote

import httpx

from seedbed.client.errors import VerificationError
from seedbed.client.verify import (
    FileFacts,
    check_proof,
    check_range,
    check_whole,
    manifest_root,
)
from seedbed.core.errors import InputError

DEFAULT_CHUNK = 8 * 1024 * 1024
ByteRange = tuple[int, int | None]  # (first byte, last byte inclusive, or None: to the end)


def file_route(asset_id: int, path: str) -> str:
    if not path or path.startswith("/") or ".." in PurePosixPath(path).parts:
        raise InputError(f"the file path {path!r} is not a relative POSIX path in the dataset.")
    return f"/v1/assets/{int(asset_id)}/files/{quote(path, safe='/')}"


def range_header(byte_range: ByteRange) -> str:
    start, end = byte_range
    if start < 0 or (end is not None and end < start):
        raise InputError(f"the byte range {byte_range!r} is not (first, last >= first).")
    return f"bytes={start}-{'' if end is None else end}"


def file_headers(byte_range: ByteRange | None) -> dict[str, str]:
    # identity: a Range counts the bytes of the file, not of a compressed transfer
    headers = {"Accept-Encoding": "identity"}
    if byte_range is not None:
        headers["Range"] = range_header(byte_range)
    return headers


def verified_file(
    asset_id: int,
    path: str,
    root: bytes,
    response: httpx.Response,
    byte_range: ByteRange | None,
) -> tuple[FileFacts, bytes]:
    """The facts and the bytes of a file answer, once both are checked against `root`."""
    facts = FileFacts.from_headers(path, response.headers)
    check_proof(facts, root, asset_id)
    body = response.content
    if response.status_code == 206:
        if byte_range is None:
            raise VerificationError(f"the gateway sent part of {path!r} when asked for all of it.")
        check_range(facts, body, response.headers.get("Content-Range"), *byte_range)
        return facts, body
    if response.status_code != 200:
        raise VerificationError(f"the gateway answered HTTP {response.status_code} for {path!r}.")
    check_whole(facts, body)
    if byte_range is not None:  # the gateway ignored the Range: cut it here
        start, end = byte_range
        body = body[start : None if end is None else end + 1]
    return facts, body


def target_path(dest: str | os.PathLike[str], path: str) -> Path:
    target = Path(dest)
    return target / PurePosixPath(path).name if target.is_dir() else target


class AtomicFile:
    """A temporary file beside `target` that replaces it on success and vanishes on failure."""

    def __init__(self, target: Path) -> None:
        self.target = target

    def __enter__(self) -> BinaryIO:
        try:
            fd, self._tmp = tempfile.mkstemp(
                dir=self.target.parent, prefix=f".{self.target.name}.", suffix=".part"
            )
        except OSError as err:
            raise InputError(f"cannot write {self.target}: {err.strerror or err}.") from err
        self._file: BinaryIO = os.fdopen(fd, "w+b")
        return self._file

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        try:
            try:
                if exc_type is None:
                    self._file.flush()
                    os.fsync(self._file.fileno())
                    os.fchmod(self._file.fileno(), 0o644)
            finally:
                self._file.close()
            if exc_type is None:
                os.replace(self._tmp, self.target)
        finally:
            if os.path.exists(self._tmp):
                os.unlink(self._tmp)


class Assembly:
    """The state of a ranged download: the first answer's checked facts, bytes so far."""

    def __init__(self, asset_id: int, path: str, root: bytes, chunk_size: int) -> None:
        if chunk_size <= 0:
            raise InputError(f"the chunk size {chunk_size} is not a positive number of bytes.")
        self.asset_id, self.path, self.root, self.chunk = asset_id, path, root, chunk_size
        self.facts: FileFacts | None = None
        self.offset = 0
        self.digest = hashlib.sha256()

    @property
    def complete(self) -> bool:
        return self.facts is not None and self.offset >= self.facts.size

    def next_range(self) -> ByteRange:
        return (self.offset, self.offset + self.chunk - 1)

    def take(self, response: httpx.Response, byte_range: ByteRange | None, out: BinaryIO) -> None:
        facts, body = verified_file(self.asset_id, self.path, self.root, response, byte_range)
        if self.facts is None:
            self.facts = facts
        elif (facts.sha256, facts.size) != (self.facts.sha256, self.facts.size):
            raise VerificationError(f"{self.path!r} changed on the gateway during the download.")
        if response.status_code == 200:  # the whole file (the gateway ignored the Range)
            out.seek(0)
            out.truncate()
            self.digest = hashlib.sha256()
            body = response.content
            self.offset = 0
        out.write(body)
        self.digest.update(body)
        self.offset += len(body)
        if self.offset < facts.size and not body:
            raise VerificationError(f"the gateway sent no bytes of {self.path!r} at {self.offset}.")

    def finish(self) -> None:
        assert self.facts is not None
        if self.offset != self.facts.size or self.digest.digest() != self.facts.sha256:
            raise VerificationError(
                f"the assembled {self.path!r} ({self.offset} bytes) does not hash to "
                f"{self.facts.sha256.hex()}."
            )


def fetch_dataset(
    document: Any,
    dest: Path,
    root: bytes,
    fetch_one: Callable[[str, Path], Path],
) -> Path:
    """Every file a (checked) manifest lists, fetched by `fetch_one(path, target)` into
    `dest`, then all of them re-hashed to `root`. A file already there whose hash is right
    is kept, so a re-run after a failure resumes."""
    files = document.get("files") if isinstance(document, dict) else None
    if not isinstance(files, list) or not files:
        raise VerificationError("the manifest lists no files.")
    dest.mkdir(parents=True, exist_ok=True)
    facts = []
    for row in files:
        path, sha, size = str(row["path"]), str(row["sha256"]), int(row["size"])
        file_route(0, path)  # refuses an absolute path or one climbing out of `dest`
        target = dest / path
        target.parent.mkdir(parents=True, exist_ok=True)
        kept = target.is_file() and target.stat().st_size == size
        if not (kept and _sha256_of(target) == sha.removeprefix("0x")):
            fetch_one(path, target)
        facts.append({"path": path, "sha256": _sha256_of(target), "size": target.stat().st_size})
    built = manifest_root(facts)
    if built != root:
        raise VerificationError(
            f"the files written to {dest} build the root 0x{built.hex()}, not 0x{root.hex()}."
        )
    return dest


def _sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()
