"""A dataset's files over HTTP: Range requests, each answer with the file's Merkle proof.

At start the gateway hashes the configured folder (the same manifest `register` builds) and
serves the asset only if that root is the asset's on-chain content root, so what it serves
is what was registered. Every file answer carries the file's SHA-256, size and proof; the
client folds them to the root it reads from the chain itself. Only the manifest's files are
served (no path outside it can be asked for).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from seedbed.core.errors import InputError
from seedbed.core.manifest import Manifest, build_manifest


@dataclass(frozen=True)
class Dataset:
    asset_id: int
    folder: Path
    manifest: Manifest
    matches_chain: bool

    def entry(self, path: str) -> tuple[int, str, str] | None:
        """(size, sha256 hex, proof header) of a served file, or None."""
        return self._index().get(path)

    def _index(self) -> dict[str, tuple[int, str, str]]:
        cached = self.__dict__.get("_files")
        if cached is None:
            cached = {
                f.path: (
                    f.size,
                    f.sha256.hex(),
                    ",".join("0x" + p.hex() for p in self.manifest.proof(f.path)),
                )
                for f in self.manifest.files
            }
            object.__setattr__(self, "_files", cached)
        return cached

    def headers(self, path: str) -> dict[str, str]:
        size, sha, proof = self._index()[path]
        return {
            "Seedbed-Content-Root": "0x" + self.manifest.root.hex(),
            "Seedbed-File-Sha256": sha,
            "Seedbed-File-Size": str(size),
            "Seedbed-File-Proof": proof,
            "ETag": f'"{sha}"',
            "Accept-Ranges": "bytes",
        }

    def read(self, path: str, start: int, end: int) -> bytes:
        """Bytes [start, end] (inclusive) of a served file."""
        with open(self.folder / path, "rb") as handle:
            handle.seek(start)
            return handle.read(end - start + 1)

    def manifest_json(self) -> dict[str, object]:
        data = self.manifest.to_json()
        return {
            "assetId": str(self.asset_id),
            "contentRoot": data["root"],
            "count": data["count"],
            "bytes": data["bytes"],
            "files": data["files"],
        }


def load(asset_id: int, folder: Path, chain_root: bytes) -> Dataset:
    manifest = build_manifest(folder)
    return Dataset(asset_id, folder, manifest, manifest.root == chain_root)


class RangeError(InputError):
    """416: the Range header cannot be served for a file of this size."""


def byte_range(header: str | None, size: int) -> tuple[int, int] | None:
    """The inclusive (start, end) of a `Range: bytes=…` header, None for the whole file."""
    if header is None:
        return None
    unit, _, spec = header.partition("=")
    if unit.strip().lower() != "bytes" or not spec:
        raise RangeError(f"the Range header {header!r} is not 'bytes=start-end'.")
    if "," in spec:
        raise RangeError("only one byte range per request is served.")
    first, dash, last = spec.strip().partition("-")
    if not dash:
        raise RangeError(f"the Range header {header!r} is not 'bytes=start-end'.")
    try:
        if first == "":
            length = int(last)
            if length <= 0:
                raise RangeError("a suffix range must ask for at least one byte.")
            start, end = max(size - length, 0), size - 1
        else:
            start = int(first)
            end = int(last) if last else size - 1
    except ValueError:
        raise RangeError(f"the Range header {header!r} is not 'bytes=start-end'.") from None
    if start < 0 or start > end or start >= size:
        raise RangeError(f"the range {start}-{end} is outside the file's {size} bytes.")
    return start, min(end, size - 1)
