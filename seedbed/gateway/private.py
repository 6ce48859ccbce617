"""Private datasets: ciphertext at rest, plaintext only to a caller who proves a license.

A private dataset is served from `ape run seal`'s folder: `seal.json` (the per-file hashes
of plaintext and ciphertext, the chunk hashes, the seal root) and `files/` (ciphertext). The
gateway holds the dataset key and decrypts only the chunks a range covers. It serves the
asset only when the seal's content root is the registry's, its seal root and key check are
the ones PrivateData records for the asset, and the key matches that check.

Access is a signed release request (`seedbed.core.access.Release`, EIP-712): the caller asks
for a one-time challenge, signs it with the license holder's key, and gets a session token.
Every request with the token re-checks the license against the chain cache, so an expired,
moved, delisted or disputed license gets nothing from the next block on. The ciphertext and
the seal index are free: they reveal nothing without the key, and a storage provider (or a
key-grant holder) checks them without it.
"""

from __future__ import annotations

import os
import secrets
import time
from dataclasses import dataclass, field
from pathlib import Path

from seedbed.core import sealed
from seedbed.core.constants import ACCESS, TRAIN
from seedbed.core.manifest import FileEntry, Manifest
from seedbed.gateway.chainstate import AssetState
from seedbed.gateway.datasets import Dataset
from seedbed.workflows.channels import LicenseTerms

ACCESS_HEADER = "Seedbed-Access"  # the session token (Authorization stays for API keys)
STREAM_SCOPES = ACCESS | TRAIN  # a streamed read needs either
SESSION_SECONDS = 900  # a token's life; each request still re-checks the license
MAX_SESSIONS = 100_000  # bounded memory: expired tokens go first, then the oldest


@dataclass(frozen=True)
class SealedDataset(Dataset):
    """A `Dataset` whose bytes are decrypted from the sealed folder, chunk by chunk."""

    index: sealed.SealIndex = field(repr=False)
    key: bytes = field(repr=False)
    seal_matches: bool = False

    def read(self, path: str, start: int, end: int) -> bytes:
        entry = self.index.file(path)
        cipher = self.folder / "files" / path
        with open(cipher, "rb") as handle:
            fd = handle.fileno()
            return sealed.read_range(
                self.key,
                entry,
                lambda offset, length: os.pread(fd, length, offset),
                start,
                end,
                self.index.chunk_size,
            )

    def headers(self, path: str) -> dict[str, str]:
        headers = super().headers(path)
        headers["Seedbed-Seal-Root"] = "0x" + self.index.seal_root.hex()
        headers["Seedbed-Chunk-Size"] = str(self.index.chunk_size)
        headers["Cache-Control"] = "private, no-store"  # plaintext: no shared cache keeps it
        return headers

    def cipher_entry(self, path: str) -> tuple[int, str] | None:
        """(size, sha256 hex) of a file's ciphertext, or None."""
        try:
            entry = self.index.file(path)
        except Exception:  # noqa: BLE001 - not a file of the seal
            return None
        return entry.cipher_size, entry.cipher_sha256.hex()

    def read_cipher(self, path: str, start: int, end: int) -> bytes:
        with open(self.folder / "files" / path, "rb") as handle:
            return os.pread(handle.fileno(), end - start + 1, start)

    def manifest_json(self) -> dict[str, object]:
        data = super().manifest_json()
        data["private"] = True
        data["sealRoot"] = "0x" + self.index.seal_root.hex()
        return data


def load_sealed(
    asset_id: int,
    folder: Path,
    key: bytes,
    chain_root: bytes,
    chain_seal: tuple[bytes, bytes],
) -> SealedDataset:
    """The sealed dataset at `folder`, marked servable only when it is what the chain says."""
    index = sealed.load_seal(folder / "seal.json")
    manifest = Manifest.from_files(FileEntry(f.path, f.sha256, f.size) for f in index.files)
    seal_root, key_check = chain_seal
    matches = (
        index.seal_root == seal_root
        and index.key_check == key_check
        and sealed.key_check(key) == key_check
    )
    return SealedDataset(
        asset_id,
        folder,
        manifest,
        manifest.root == chain_root == index.content_root,
        index=index,
        key=key,
        seal_matches=matches,
    )


def refusal(
    terms: LicenseTerms, holder: str, asset_id: int, asset: AssetState | None, now: int
) -> str | None:
    """Why `holder` may not read private asset `asset_id` under this license now (None: may)."""
    if terms.asset_id != asset_id:
        return f"license {terms.license_id} is for asset {terms.asset_id}, not {asset_id}."
    if terms.holder.lower() != holder.lower():
        return f"license {terms.license_id} is held by {terms.holder}, not by {holder}."
    if terms.expires_at and now >= terms.expires_at:
        return f"license {terms.license_id} expired at {terms.expires_at}."
    if not terms.scopes & STREAM_SCOPES:
        return f"license {terms.license_id} grants neither ACCESS nor TRAIN."
    if asset is not None and asset.delisted:
        return f"asset {asset_id} is delisted."
    if asset is not None and asset.status:
        return f"asset {asset_id} is under dispute (status {asset.status})."
    return None


@dataclass(frozen=True, slots=True)
class Session:
    license_id: int
    holder: str
    asset_id: int
    expires: float  # monotonic


class Sessions:
    """Session tokens handed out for a checked release request (memory only: a restart ends
    every session, which is the safe direction)."""

    def __init__(self, lifetime: float = SESSION_SECONDS, cap: int = MAX_SESSIONS) -> None:
        self.lifetime = lifetime
        self.cap = cap
        self._by_token: dict[str, Session] = {}

    def open(self, license_id: int, holder: str, asset_id: int) -> tuple[str, int]:
        """A new token and its expiry (unix seconds)."""
        now = time.monotonic()
        if len(self._by_token) >= self.cap:
            self._by_token = {t: s for t, s in self._by_token.items() if s.expires > now}
            while len(self._by_token) >= self.cap:  # dicts keep insertion order: oldest first
                self._by_token.pop(next(iter(self._by_token)))
        token = secrets.token_urlsafe(32)
        self._by_token[token] = Session(license_id, holder, asset_id, now + self.lifetime)
        return token, int(time.time() + self.lifetime)

    def get(self, token: str) -> Session | None:
        session = self._by_token.get(token)
        if session is None:
            return None
        if session.expires <= time.monotonic():
            del self._by_token[token]
            return None
        return session

    def __len__(self) -> int:
        return len(self._by_token)
