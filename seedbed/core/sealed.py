"""Sealed datasets: every file encrypted in authenticated chunks under one dataset key.

docs/private-data.md specifies the format precisely enough to re-implement. In short:

    file key    = HKDF-SHA256(dataset key, salt "seedbed/sealed/v1", info path || 0x00 || sha256)
    cipher file = header (16) || chunk 0 || chunk 1 || ...      header = "SBS1" || u32 chunk size
                                                                         || u64 plaintext size
    chunk i     = AES-256-GCM(file key, nonce 0^4 || u64 i, plain chunk i,
                              aad = header || u64 i || last flag)          len(plain) + 16 bytes
    seal leaf   = keccak(0x02 || keccak(path) || sha256 || u64 size || cipher sha256
                         || u64 cipher size || sha256(chunk sha256s))

The sealRoot is the content tree's Merkle root (`seedbed.core.merkle`) over the seal leaves,
in the manifest's order. A reader holding the key decrypts any chunk alone and checks it
against both the AEAD tag (right key, file, position, not cut short) and the chunk's
plaintext SHA-256 committed in the seal leaf; a storage provider checks a whole cipher file
against its size and SHA-256 without the key.

`seal_folder` streams (one chunk in memory per worker), writes each cipher file to a
temporary file renamed into place, and journals finished files so that a re-run after a
crash re-hashes what exists instead of encrypting it again.
"""

import hashlib
import hmac
import json
import os
import secrets
import shutil
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import FIRST_EXCEPTION, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass
from functools import cached_property
from io import BytesIO
from pathlib import Path
from typing import Any, BinaryIO

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from seedbed.core.atomic import write_atomic
from seedbed.core.errors import InputError
from seedbed.core.ignore import OWN_OUTPUT
from seedbed.core.keccak import keccak
from seedbed.core.manifest import FileEntry, Manifest, build_manifest
from seedbed.core.merkle import as_bytes32, build_levels, file_leaf, merkle_proof

__all__ = [
    "CHUNK",
    "FILES_DIR",
    "HEADER_SIZE",
    "SEAL_FILE",
    "TAG_SIZE",
    "SealIndex",
    "SealedFile",
    "VerifyError",
    "bytes_reader",
    "check_ciphertext",
    "cipher_path",
    "decrypt_chunk",
    "file_key",
    "file_reader",
    "header",
    "iter_plain",
    "iter_range",
    "key_check",
    "load_seal",
    "new_key",
    "open_file",
    "read_key_file",
    "read_range",
    "seal_folder",
    "write_key_file",
]

CHUNK = 65536  # plaintext bytes per chunk: a range read decrypts at most 64 KiB too much
MIN_CHUNK = 4096
MAX_CHUNK = 16 << 20
MAGIC = b"SBS1"
HEADER_SIZE = 16
TAG_SIZE = 16  # AES-GCM tag appended to every chunk
KEY_SIZE = 32
SEAL_VERSION = 1
KEY_FILE_VERSION = 1
SEAL_FILE = "seal.json"
FILES_DIR = "files"
KEY_CHECK_TAG = b"seedbed/key-check/v1"
FILE_KEY_SALT = b"seedbed/sealed/v1"

_SEAL_LEAF = b"\x02"  # 0x00 is a content leaf, 0x01 a node: a seal leaf is neither
_MAX_U64 = 2**64
_JOURNAL = ".seal-progress.jsonl"  # finished files, so a re-run skips them
_PARTIAL = ".seal-partial"  # temporary cipher files; removed when a run completes
_JOURNAL_INFO = b"seedbed/seal-progress/v1"
_RANGE_BATCH = 8 << 20  # cipher bytes asked of a reader at once on a long range

CipherReader = Callable[[int, int], bytes]
"""(offset, length) -> the cipher file's bytes there (fewer only at the end of the file)."""

Progress = Callable[[int, int], None]
"""Called from the calling thread with (plaintext bytes done, bytes in total)."""


class VerifyError(InputError):
    """Sealed data failed a check: the sentence names the file and, when known, the chunk."""

    def __init__(self, message: str, path: str | None = None, chunk: int | None = None) -> None:
        super().__init__(message)
        self.path = path
        self.chunk = chunk


# -- keys --------------------------------------------------------------------------------------


def new_key() -> bytes:
    """A fresh dataset key: 32 bytes from the operating system's CSPRNG."""
    return secrets.token_bytes(KEY_SIZE)


def key_check(key: bytes) -> bytes:
    """The public commitment to a dataset key (published on chain; reveals nothing of it)."""
    return keccak(KEY_CHECK_TAG + _key(key))


def file_key(key: bytes, path: str, sha256: bytes) -> bytes:
    """The AES-256 key of one file: bound to its path and content, so no two files share one."""
    if len(sha256) != 32:
        raise InputError(f"The SHA-256 of {path!r} must be 32 bytes, not {len(sha256)}.")
    hkdf = HKDF(
        algorithm=hashes.SHA256(),
        length=KEY_SIZE,
        salt=FILE_KEY_SALT,
        info=path.encode("utf-8") + b"\x00" + bytes(sha256),
    )
    return hkdf.derive(_key(key))


def _key(key: bytes) -> bytes:
    if not isinstance(key, bytes | bytearray) or len(key) != KEY_SIZE:
        size = len(key) if isinstance(key, bytes | bytearray) else type(key).__name__
        raise InputError(f"A dataset key must be {KEY_SIZE} bytes, not {size}.")
    return bytes(key)


def write_key_file(
    path: str | os.PathLike[str], key: bytes, *, sealed_folder: str | os.PathLike[str] | None = None
) -> None:
    """Save `key` as JSON, mode 0600, atomically; never inside the sealed folder it opens."""
    target = Path(path).resolve()
    if sealed_folder is not None and target.is_relative_to(Path(sealed_folder).resolve()):
        raise InputError(f"The key file {target} must not be inside the sealed folder.")
    data = {"version": KEY_FILE_VERSION, "key": "0x" + _key(key).hex()}
    data["keyCheck"] = "0x" + key_check(key).hex()
    _write_private(target, (json.dumps(data, indent=1) + "\n").encode())


def read_key_file(path: str | os.PathLike[str]) -> bytes:
    """The dataset key saved by `write_key_file`, checked against its own keyCheck."""
    try:
        data = json.loads(Path(path).read_bytes())
        key = bytes.fromhex(data["key"].removeprefix("0x"))
        check = as_bytes32(data["keyCheck"])
        ok = data.get("version") == KEY_FILE_VERSION and len(key) == KEY_SIZE
    except OSError as err:
        raise InputError(f"Cannot read the key file {path}: {err.strerror or err}.") from err
    except (ValueError, TypeError, KeyError, AttributeError, InputError):
        ok = False
    if not ok:
        raise InputError(f"{path} is not a version {KEY_FILE_VERSION} Seedbed key file.")
    if key_check(key) != check:
        raise InputError(f"The key in {path} does not match the keyCheck saved beside it.")
    return key


def _write_private(target: Path, data: bytes) -> None:
    write_atomic(target, data, mode=0o600)  # a key is never readable by others, even briefly


# -- the format --------------------------------------------------------------------------------


def chunk_count(size: int, chunk_size: int) -> int:
    """Chunks of a file: an empty file still has one (empty) chunk, which authenticates."""
    return max(1, -(-size // chunk_size))


def cipher_size_of(size: int, chunk_size: int) -> int:
    """The cipher file's size: header, the plaintext, and one tag per chunk."""
    return HEADER_SIZE + size + TAG_SIZE * chunk_count(size, chunk_size)


def header(chunk_size: int, size: int) -> bytes:
    """The 16-byte header: magic, chunk size, plaintext size (also every chunk's AAD prefix)."""
    _check_chunk_size(chunk_size, "chunk size")
    if not 0 <= size < _MAX_U64:
        raise InputError(f"A sealed file's size must fit in uint64, not {size}.")
    return MAGIC + chunk_size.to_bytes(4, "big") + size.to_bytes(8, "big")


def _check_chunk_size(chunk_size: object, what: str) -> int:
    if type(chunk_size) is int and MIN_CHUNK <= chunk_size <= MAX_CHUNK:
        if chunk_size & (chunk_size - 1) == 0:
            return chunk_size
    raise InputError(
        f"The {what} {chunk_size!r} is not a power of two in {MIN_CHUNK}..{MAX_CHUNK}."
    )


def _nonce(index: int) -> bytes:
    return bytes(4) + index.to_bytes(8, "big")


def _aad(head: bytes, index: int, last: bool) -> bytes:
    # The header binds chunk size and file size; the last flag makes a cut-short file fail.
    return head + index.to_bytes(8, "big") + (b"\x01" if last else b"\x00")


def _check_path(path: object, source: str) -> str:
    if not isinstance(path, str) or not path:
        raise InputError(f"{source}: a file path must be a non-empty string, not {path!r}.")
    if path.startswith("/") or any(part in ("", ".", "..") for part in path.split("/")):
        # It is joined to the sealed folder on read and write.
        raise InputError(f"{source}: the path {path!r} is not a safe relative path.")
    return path


@dataclass(frozen=True)
class SealedFile:
    """One sealed file: its plaintext and cipher digests and the SHA-256 of every chunk.

    `chunk_size` is the index's (a file cannot be cut into chunks without it); it is checked
    against the size and the number of chunk hashes.
    """

    path: str
    size: int
    sha256: bytes
    cipher_sha256: bytes
    cipher_size: int
    chunk_hashes: tuple[bytes, ...]
    chunk_size: int = CHUNK

    def __post_init__(self) -> None:
        _check_chunk_size(self.chunk_size, "chunk size")
        if not 0 <= self.size < _MAX_U64:
            raise InputError(f"The size of {self.path!r} must fit in uint64, not {self.size}.")
        if len(self.sha256) != 32 or len(self.cipher_sha256) != 32:
            raise InputError(f"The digests of {self.path!r} must be 32 bytes each.")
        want = chunk_count(self.size, self.chunk_size)
        if len(self.chunk_hashes) != want or any(len(h) != 32 for h in self.chunk_hashes):
            raise InputError(
                f"{self.path!r} of {self.size} bytes needs {want} chunk hashes of 32 bytes "
                f"at chunk size {self.chunk_size}, not {len(self.chunk_hashes)}."
            )
        expected = cipher_size_of(self.size, self.chunk_size)
        if self.cipher_size != expected:
            raise InputError(
                f"The cipher size of {self.path!r} is {self.cipher_size}, not {expected}."
            )

    @property
    def chunk_count(self) -> int:
        return len(self.chunk_hashes)

    @property
    def chunks_hash(self) -> bytes:
        return hashlib.sha256(b"".join(self.chunk_hashes)).digest()

    @cached_property
    def leaf(self) -> bytes:
        return keccak(
            _SEAL_LEAF
            + keccak(self.path.encode("utf-8"))
            + self.sha256
            + self.size.to_bytes(8, "big")
            + self.cipher_sha256
            + self.cipher_size.to_bytes(8, "big")
            + self.chunks_hash
        )

    @property
    def content_leaf(self) -> bytes:
        """The file's leaf in the content tree (the registry's contentRoot)."""
        return file_leaf(self.path, self.sha256, self.size)

    @property
    def header(self) -> bytes:
        return header(self.chunk_size, self.size)

    def chunk_span(self, index: int) -> tuple[int, int]:
        """Plaintext (start, end exclusive) of chunk `index`."""
        self._check_index(index)
        start = index * self.chunk_size
        return start, min(start + self.chunk_size, self.size)

    def cipher_span(self, index: int) -> tuple[int, int]:
        """Cipher file (offset, length) of chunk `index`."""
        start, end = self.chunk_span(index)
        return HEADER_SIZE + index * (self.chunk_size + TAG_SIZE), end - start + TAG_SIZE

    def _check_index(self, index: int) -> None:
        if type(index) is not int or not 0 <= index < self.chunk_count:
            raise InputError(
                f"{self.path} has chunks 0..{self.chunk_count - 1}; there is no chunk {index!r}."
            )

    def to_json(self) -> dict[str, Any]:
        return {
            "path": self.path,
            "size": self.size,
            "sha256": self.sha256.hex(),
            "cipherSha256": self.cipher_sha256.hex(),
            "cipherSize": self.cipher_size,
            "chunks": b"".join(self.chunk_hashes).hex(),
        }

    @classmethod
    def from_json(cls, row: Any, chunk_size: int, source: str) -> "SealedFile":
        try:
            path = _check_path(row["path"], source)
            size, cipher_size = row["size"], row["cipherSize"]
            ok = type(size) is int and type(cipher_size) is int
            sha, cipher_sha = bytes.fromhex(row["sha256"]), bytes.fromhex(row["cipherSha256"])
            chunks = bytes.fromhex(row["chunks"])
        except (TypeError, KeyError, ValueError):
            ok = False
        if not ok or len(chunks) % 32:
            raise InputError(f"{source}: a file entry needs path, sizes, hex digests and chunks.")
        hashes_ = tuple(chunks[i : i + 32] for i in range(0, len(chunks), 32))
        return cls(path, size, sha, cipher_sha, cipher_size, hashes_, chunk_size)


@dataclass(frozen=True)
class SealIndex:
    """A sealed dataset's index (seal.json): every file's digests, and the roots over them."""

    content_root: bytes
    key_check: bytes
    chunk_size: int
    files: tuple[SealedFile, ...]

    def __post_init__(self) -> None:
        _check_chunk_size(self.chunk_size, "chunk size")
        odd = [f.path for f in self.files if f.chunk_size != self.chunk_size]
        if odd:
            raise InputError(f"{odd[0]} was not sealed with the index's chunk size.")

    @cached_property
    def _levels(self) -> list[list[bytes]]:
        return build_levels([f.leaf for f in self.files])

    @cached_property
    def _by_path(self) -> dict[str, int]:
        return {f.path: i for i, f in enumerate(self.files)}

    @property
    def seal_root(self) -> bytes:
        return self._levels[-1][0]

    @property
    def count(self) -> int:
        return len(self.files)

    @property
    def total_bytes(self) -> int:
        return sum(f.size for f in self.files)

    def file(self, path: str) -> SealedFile:
        index = self._by_path.get(path)
        if index is None:
            raise InputError(f"{path} is not a file of this sealed dataset.")
        return self.files[index]

    def proof(self, path: str) -> list[bytes]:
        """The Merkle proof of one file's seal leaf against sealRoot (sibling hashes, bottom-up)."""
        self.file(path)
        return merkle_proof(self._levels, self._by_path[path])

    def manifest(self) -> Manifest:
        """The plaintext manifest these files make (its root is the content root)."""
        return Manifest.from_files(FileEntry(f.path, f.sha256, f.size) for f in self.files)

    def verify_against(
        self,
        content_root: bytes | str | None = None,
        seal_root: bytes | str | None = None,
        key_check: bytes | str | None = None,
    ) -> bool:
        """True when every root given matches (say, the chain's); VerifyError naming the first
        that does not."""
        for what, given, mine in (
            ("content root", content_root, self.content_root),
            ("seal root", seal_root, self.seal_root),
            ("key check", key_check, self.key_check),
        ):
            if given is not None and as_bytes32(given) != mine:
                raise VerifyError(
                    f"The sealed dataset's {what} is 0x{mine.hex()}, "
                    f"not the expected 0x{as_bytes32(given).hex()}."
                )
        return True

    def to_json(self) -> dict[str, Any]:
        return {
            "version": SEAL_VERSION,
            "contentRoot": "0x" + self.content_root.hex(),
            "sealRoot": "0x" + self.seal_root.hex(),
            "keyCheck": "0x" + self.key_check.hex(),
            "chunkSize": self.chunk_size,
            "count": self.count,
            "bytes": self.total_bytes,
            "files": [f.to_json() for f in self.files],
        }

    @classmethod
    def from_json(cls, data: Any, source: str = "seal index") -> "SealIndex":
        """Read seal.json; its counts, order, content root and seal root are all recomputed."""
        if not isinstance(data, dict) or data.get("version") != SEAL_VERSION:
            raise InputError(f"{source} is not a version {SEAL_VERSION} Seedbed seal index.")
        chunk_size = _check_chunk_size(data.get("chunkSize"), f"{source} chunkSize")
        rows = data.get("files")
        if not isinstance(rows, list) or not rows:
            raise InputError(f"{source} lists no files.")
        files = tuple(SealedFile.from_json(row, chunk_size, source) for row in rows)
        paths = [f.path.encode("utf-8") for f in files]
        if any(a >= b for a, b in zip(paths, paths[1:], strict=False)):
            raise InputError(f"{source} does not list its files once each, in path order.")
        try:
            stated = {k: as_bytes32(data[k]) for k in ("contentRoot", "sealRoot", "keyCheck")}
        except (KeyError, InputError):
            raise InputError(f"{source} needs contentRoot, sealRoot and keyCheck.") from None
        index = cls(stated["contentRoot"], stated["keyCheck"], chunk_size, files)
        if data.get("count") != index.count or data.get("bytes") != index.total_bytes:
            raise InputError(f"{source} has a count or byte total that does not match its files.")
        if index.manifest().root != index.content_root:
            raise InputError(f"{source} has a contentRoot that does not match its files.")
        if index.seal_root != stated["sealRoot"]:
            raise InputError(f"{source} has a sealRoot that does not match its files.")
        return index


def load_seal(path: str | os.PathLike[str]) -> SealIndex:
    """Read and check a seal.json (a sealed folder's index)."""
    try:
        data = json.loads(Path(path).read_bytes())
    except OSError as err:
        raise InputError(f"Cannot read the seal index {path}: {err.strerror or err}.") from err
    except ValueError as err:
        raise InputError(f"The seal index {path} is not valid JSON: {err}.") from err
    return SealIndex.from_json(data, str(path))


def cipher_path(out: str | os.PathLike[str], path: str) -> Path:
    """Where a sealed folder keeps the ciphertext of `path`."""
    return Path(out) / FILES_DIR / _check_path(path, "sealed folder")


# -- reading -----------------------------------------------------------------------------------


class _Opener:
    """One file's AEAD and header, derived once for every chunk read."""

    def __init__(self, key: bytes, sealed: SealedFile, chunk_size: int | None) -> None:
        if chunk_size is not None and chunk_size != sealed.chunk_size:
            raise InputError(
                f"{sealed.path} was sealed with chunks of {sealed.chunk_size} bytes, "
                f"not {chunk_size}."
            )
        self.sealed = sealed
        self.aead = AESGCM(file_key(key, sealed.path, sealed.sha256))
        self.head = sealed.header

    def decrypt(self, index: int, data: bytes | memoryview) -> bytes:
        sealed = self.sealed
        _, want = sealed.cipher_span(index)
        if len(data) != want:
            raise VerifyError(
                f"Chunk {index} of {sealed.path} is {len(data)} bytes, not {want}: "
                "the ciphertext is cut short or has extra bytes.",
                sealed.path,
                index,
            )
        last = index == sealed.chunk_count - 1
        try:
            plain = self.aead.decrypt(_nonce(index), data, _aad(self.head, index, last))
        except InvalidTag:
            raise VerifyError(
                f"Chunk {index} of {sealed.path} fails authentication: wrong key, tampered, "
                "moved or from another file.",
                sealed.path,
                index,
            ) from None
        if hashlib.sha256(plain).digest() != sealed.chunk_hashes[index]:
            # Authentic under the key but not what the seal committed to: a bad sealer.
            raise VerifyError(
                f"Chunk {index} of {sealed.path} decrypts to data whose SHA-256 is not the one "
                "in the seal index.",
                sealed.path,
                index,
            )
        return plain


def decrypt_chunk(
    key: bytes,
    sealed_file: SealedFile,
    index: int,
    cipher_chunk_bytes: bytes | memoryview,
    chunk_size: int | None = None,
) -> bytes:
    """The plaintext of one chunk, checked (AEAD tag and committed SHA-256) or VerifyError."""
    sealed_file._check_index(index)
    return _Opener(key, sealed_file, chunk_size).decrypt(index, cipher_chunk_bytes)


def iter_range(
    key: bytes,
    sealed_file: SealedFile,
    cipher_reader: CipherReader,
    start: int,
    end_inclusive: int,
    chunk_size: int | None = None,
) -> Iterator[bytes]:
    """Plaintext bytes start..end_inclusive in pieces, decrypting only the chunks they cover."""
    size = sealed_file.size
    if not (type(start) is int and type(end_inclusive) is int and 0 <= start <= end_inclusive):
        raise InputError(f"The range {start!r}-{end_inclusive!r} is not a byte range.")
    if end_inclusive >= size:
        raise InputError(
            f"The range {start}-{end_inclusive} is outside {sealed_file.path} ({size} bytes)."
        )
    opener = _Opener(key, sealed_file, chunk_size)
    step = sealed_file.chunk_size
    first, last = start // step, end_inclusive // step
    per_batch = max(1, _RANGE_BATCH // (step + TAG_SIZE))
    for batch in range(first, last + 1, per_batch):
        upto = min(batch + per_batch, last + 1) - 1
        offset, _ = sealed_file.cipher_span(batch)
        length = sum(sealed_file.cipher_span(upto)) - offset
        data = memoryview(cipher_reader(offset, length))
        if len(data) != length:
            raise VerifyError(
                f"Chunks {batch}..{upto} of {sealed_file.path} are {len(data)} bytes, not "
                f"{length}: the ciphertext is cut short or the reader overran.",
                sealed_file.path,
                batch,
            )
        at = 0
        for index in range(batch, upto + 1):
            lo, _ = sealed_file.chunk_span(index)
            _, size_ = sealed_file.cipher_span(index)
            plain = opener.decrypt(index, data[at : at + size_])
            at += size_
            yield plain[max(start - lo, 0) : end_inclusive + 1 - lo]


def read_range(
    key: bytes,
    sealed_file: SealedFile,
    cipher_reader: CipherReader,
    start: int,
    end_inclusive: int,
    chunk_size: int | None = None,
) -> bytes:
    """Plaintext bytes start..end_inclusive (an HTTP range), every chunk touched verified."""
    return b"".join(iter_range(key, sealed_file, cipher_reader, start, end_inclusive, chunk_size))


def iter_plain(key: bytes, sealed_file: SealedFile, reader: BinaryIO) -> Iterator[bytes]:
    """The whole file, chunk by chunk, from a cipher stream; the header, the length and the
    file's SHA-256 are checked too (the last check runs after the last chunk is yielded)."""
    path = sealed_file.path
    opener = _Opener(key, sealed_file, None)
    got = _read_exact(reader, HEADER_SIZE)
    if got != opener.head:
        raise VerifyError(f"{path} does not start with its sealed header ({_why(got)}).", path)
    whole = hashlib.sha256()
    for index in range(sealed_file.chunk_count):
        _, length = sealed_file.cipher_span(index)
        plain = opener.decrypt(index, _read_exact(reader, length))
        whole.update(plain)
        yield plain
    if reader.read(1):
        raise VerifyError(f"{path} has bytes after its last chunk.", path)
    if whole.digest() != sealed_file.sha256:
        raise VerifyError(f"{path} decrypts to data whose SHA-256 is not the manifest's.", path)


def open_file(
    key: bytes, sealed_file: SealedFile, cipher_bytes_or_path: bytes | str | os.PathLike[str]
) -> bytes:
    """The whole plaintext of a sealed file, from its ciphertext bytes or its path, checked."""
    if isinstance(cipher_bytes_or_path, bytes | bytearray | memoryview):
        return b"".join(iter_plain(key, sealed_file, BytesIO(cipher_bytes_or_path)))
    try:
        with open(cipher_bytes_or_path, "rb") as f:
            return b"".join(iter_plain(key, sealed_file, f))
    except OSError as err:
        raise InputError(f"Cannot read {cipher_bytes_or_path}: {err.strerror or err}.") from err


def _read_exact(reader: BinaryIO, length: int) -> bytes:
    parts, need = [], length
    while need:
        part = reader.read(need)
        if not part:
            break
        parts.append(part)
        need -= len(part)
    return parts[0] if len(parts) == 1 else b"".join(parts)


def _why(got: bytes) -> str:
    if len(got) < HEADER_SIZE:
        return f"only {len(got)} bytes"
    if got[:4] != MAGIC:
        return f"magic {got[:4]!r}, not {MAGIC!r}"
    chunk, size = int.from_bytes(got[4:8], "big"), int.from_bytes(got[8:], "big")
    return f"chunk size {chunk} and size {size} in the file"


def check_ciphertext(sealed_file: SealedFile, path: str | os.PathLike[str]) -> bool:
    """True when the file at `path` is this sealed file's ciphertext (size and SHA-256): what a
    storage provider can check without the key. False when it is missing or differs."""
    try:
        if os.stat(path).st_size != sealed_file.cipher_size:
            return False
        return _sha256_of(Path(path)) == sealed_file.cipher_sha256
    except FileNotFoundError:
        return False
    except OSError as err:
        raise InputError(f"Cannot read {path}: {err.strerror or err}.") from err


def _sha256_of(path: Path) -> bytes:
    digest = hashlib.sha256()
    buf = bytearray(1 << 20)
    view = memoryview(buf)
    with open(path, "rb", buffering=0) as f:
        while n := f.readinto(buf):
            digest.update(view[:n])
    return digest.digest()


# -- sealing -----------------------------------------------------------------------------------


def seal_folder(
    folder: str | os.PathLike[str],
    out: str | os.PathLike[str],
    key: bytes,
    *,
    manifest: Manifest | None = None,
    progress: Progress | None = None,
    chunk_size: int = CHUNK,
    workers: int | None = None,
) -> SealIndex:
    """Encrypt every file of `manifest` (default: `build_manifest(folder)`) into `out`.

    Writes out/files/<path> for each file and out/seal.json last. Deterministic: the same key
    and files give the same bytes. Resumable: a file journaled as done whose ciphertext still
    has the journaled size and SHA-256 is not encrypted again. A file that changed since the
    manifest was made is an InputError (its seal would not match the content root).
    """
    src, dst = Path(folder), Path(out)
    key = _key(key)
    _check_chunk_size(chunk_size, "chunk size")
    inside = dst.resolve().is_relative_to(src.resolve())
    if inside and not dst.resolve().is_relative_to(src.resolve() / OWN_OUTPUT.strip("/")):
        raise InputError(
            f"The sealed folder {dst} must not be inside the dataset folder {src} "
            f"(except under its {OWN_OUTPUT.strip('/')}/ folder, which manifests leave out)."
        )
    if manifest is None:
        manifest = build_manifest(src)
    for entry in manifest.files:
        _check_path(entry.path, "manifest")
    partial = dst / _PARTIAL
    shutil.rmtree(partial, ignore_errors=True)  # whatever a crashed run left half-written
    try:
        partial.mkdir(parents=True, exist_ok=True)
    except OSError as err:
        raise InputError(f"Cannot create {partial}: {err.strerror or err}.") from err
    journal = _Journal(dst / _JOURNAL, key, chunk_size)
    done = journal.load(manifest.files, dst)
    todo = [e for e in manifest.files if e.path not in done]
    total = manifest.total_bytes
    if progress is not None:
        progress(sum(f.size for f in done.values()), total)
    try:
        _seal_all(todo, src, dst, partial, key, chunk_size, workers, journal, done, progress, total)
    finally:
        journal.close()
    files = tuple(done[e.path] for e in manifest.files)
    index = SealIndex(manifest.root, key_check(key), chunk_size, files)
    text = json.dumps(index.to_json(), indent=1, ensure_ascii=False) + "\n"
    write_atomic(dst / SEAL_FILE, text.encode("utf-8"))
    shutil.rmtree(partial, ignore_errors=True)
    return index


def _seal_all(
    todo: Sequence[FileEntry],
    src: Path,
    dst: Path,
    partial: Path,
    key: bytes,
    chunk_size: int,
    workers: int | None,
    journal: "_Journal",
    done: dict[str, SealedFile],
    progress: Progress | None,
    total: int,
) -> None:
    if workers is None:
        workers = min(4, os.cpu_count() or 1)  # hashing releases the GIL; I/O overlaps too
    if workers < 1:
        raise InputError(f"The number of workers must be at least 1, not {workers}.")
    bytes_done = sum(f.size for f in done.values())
    with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="seal") as pool:
        pending: set[Future[SealedFile]] = {
            pool.submit(_seal_one, src, dst, partial, key, entry, chunk_size) for entry in todo
        }
        while pending:
            finished, pending = wait(pending, return_when=FIRST_EXCEPTION)
            failed = [f for f in finished if f.exception() is not None]
            for future in finished - set(failed):
                sealed = future.result()
                journal.append(sealed)  # before raising: a re-run keeps everything finished
                done[sealed.path] = sealed
                bytes_done += sealed.size
            if failed:
                for other in pending:
                    other.cancel()  # the first failure ends the run
                failed[0].result()
            if progress is not None:
                progress(bytes_done, total)


def _seal_one(
    src: Path, out: Path, partial: Path, key: bytes, entry: FileEntry, chunk_size: int
) -> SealedFile:
    target = cipher_path(out, entry.path)
    # A fixed name per path: a re-run overwrites rather than piling up temporary files.
    tmp = partial / (hashlib.sha256(entry.path.encode("utf-8")).hexdigest() + ".tmp")
    try:
        sealed = _encrypt_file(src / entry.path, tmp, key, entry, chunk_size)
        target.parent.mkdir(parents=True, exist_ok=True)
        os.replace(tmp, target)
    except OSError as err:
        tmp.unlink(missing_ok=True)
        raise InputError(f"Cannot seal {entry.path}: {err.strerror or err}.") from err
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return sealed


def _encrypt_file(
    source: Path, tmp: Path, key: bytes, entry: FileEntry, chunk_size: int
) -> SealedFile:
    aead = AESGCM(file_key(key, entry.path, entry.sha256))
    head = header(chunk_size, entry.size)
    count = chunk_count(entry.size, chunk_size)
    whole, cipher = hashlib.sha256(), hashlib.sha256(head)
    chunk_hashes = []
    buf = bytearray(chunk_size)
    view = memoryview(buf)
    # No fsync per file: a journal line is trusted only once the ciphertext re-hashes to it.
    with open(source, "rb", buffering=0) as f, open(tmp, "wb") as w:
        w.write(head)
        for index in range(count):
            n = _fill(f, buf)
            want = min(chunk_size, entry.size - index * chunk_size)
            if n != want:
                break
            plain = view[:n]
            whole.update(plain)
            chunk_hashes.append(hashlib.sha256(plain).digest())
            sealed = aead.encrypt(_nonce(index), plain, _aad(head, index, index == count - 1))
            cipher.update(sealed)
            w.write(sealed)
        grew = bool(f.read(1))
    if len(chunk_hashes) != count or grew or whole.digest() != entry.sha256:
        raise InputError(
            f"{entry.path} changed since its manifest was made (sealed files must match the "
            "content root); make the manifest again."
        )
    return SealedFile(
        entry.path,
        entry.size,
        entry.sha256,
        cipher.digest(),
        cipher_size_of(entry.size, chunk_size),
        tuple(chunk_hashes),
        chunk_size,
    )


def _fill(f: Any, buf: bytearray) -> int:
    """Read until `buf` is full or the file ends (a raw read may return less)."""
    view, n = memoryview(buf), 0
    while n < len(buf):
        got = f.readinto(view[n:])
        if not got:
            break
        n += got
    return n


class _Journal:
    """Finished files, one JSON line each, with an HMAC under the dataset key: a re-run trusts
    a line only if it was written with this key and the ciphertext still hashes to it."""

    def __init__(self, path: Path, key: bytes, chunk_size: int) -> None:
        self.path = path
        self.chunk_size = chunk_size
        hkdf = HKDF(hashes.SHA256(), KEY_SIZE, salt=FILE_KEY_SALT, info=_JOURNAL_INFO)
        self._mac_key = hkdf.derive(key)
        self._out: BinaryIO | None = None

    def _mac(self, sealed: SealedFile) -> str:
        message = sealed.leaf + sealed.chunk_size.to_bytes(4, "big")
        return hmac.new(self._mac_key, message, hashlib.sha256).hexdigest()

    def load(self, entries: Iterable[FileEntry], out: Path) -> dict[str, SealedFile]:
        """The journaled files that match `entries` and whose ciphertext is intact."""
        wanted = {e.path: e for e in entries}
        found: dict[str, SealedFile] = {}
        for row in self._rows():
            try:
                sealed = SealedFile.from_json(row, self.chunk_size, "journal")
            except InputError:
                continue
            entry = wanted.get(sealed.path)
            if entry is None or (entry.sha256, entry.size) != (sealed.sha256, sealed.size):
                continue
            if hmac.compare_digest(str(row.get("mac", "")), self._mac(sealed)):
                found[sealed.path] = sealed  # the latest line for a path wins
        # Re-hashing is I/O and hashlib, which release the GIL: threads overlap it.
        with ThreadPoolExecutor(max_workers=4, thread_name_prefix="seal-check") as pool:
            ok = list(
                pool.map(lambda s: check_ciphertext(s, cipher_path(out, s.path)), found.values())
            )
        return {s.path: s for s, good in zip(found.values(), ok, strict=True) if good}

    def _rows(self) -> Iterator[dict[str, Any]]:
        try:
            lines = self.path.read_bytes().splitlines()
        except FileNotFoundError:
            return
        except OSError as err:
            raise InputError(f"Cannot read {self.path}: {err.strerror or err}.") from err
        for line in lines:
            try:
                row = json.loads(line)
            except ValueError:
                continue  # a line cut short by a crash
            if isinstance(row, dict):
                yield row

    def append(self, sealed: SealedFile) -> None:
        if self._out is None:
            self._out = open(self.path, "ab")  # noqa: SIM115 - kept open for the whole run
        row = sealed.to_json() | {"mac": self._mac(sealed)}
        self._out.write(json.dumps(row, ensure_ascii=False).encode("utf-8") + b"\n")
        self._out.flush()

    def close(self) -> None:
        if self._out is not None:
            self._out.close()
            self._out = None


def bytes_reader(data: bytes | bytearray | memoryview) -> CipherReader:
    """A CipherReader over a cipher file held in memory."""
    view = memoryview(data)
    return lambda offset, length: bytes(view[offset : offset + length])


def file_reader(f: BinaryIO) -> CipherReader:
    """A CipherReader over an open cipher file (positioned reads: safe across threads)."""
    fd = f.fileno()
    return lambda offset, length: os.pread(fd, length, offset)
