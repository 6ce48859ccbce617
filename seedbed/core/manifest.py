"""A dataset folder's manifest: every file's path, SHA-256 and size, and the content root.

`build_manifest` walks the folder, hashes files in parallel threads (hashlib releases the
GIL on large buffers) and computes the Merkle root of `seedbed.core.merkle`. The manifest is
saved as JSON; `verify` re-hashes a folder and says which files changed.

What is left out is never left out silently. `seedbed.core.ignore` holds the exclude rules
(gitignore-style globs, the defaults, the folder's `.seedbedignore`) and the walk that
refuses, skips or follows symbolic links and special files; the manifest records the rules,
and every excluded path with the rule that excluded it (or only the count per rule beyond
`LISTED_LIMIT` paths).
"""

import hashlib
import json
import os
from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from concurrent.futures import FIRST_EXCEPTION, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from functools import cached_property
from itertools import pairwise
from pathlib import Path
from typing import Any

from seedbed.core.atomic import write_atomic
from seedbed.core.croissant import canonical_json, croissant, metadata_hash, write_croissant
from seedbed.core.errors import InputError
from seedbed.core.ignore import (
    DEFAULT_EXCLUDES,
    IGNORE_FILE,
    NAMED_IN_ERROR,
    OWN_OUTPUT,
    SPECIAL_RULE,
    SYMLINK_MODES,
    SYMLINK_RULE,
    ExcludeRules,
    folder_rules,
    parse_ignore_file,
    walk_folder,
)
from seedbed.core.merkle import build_levels, file_leaf, merkle_proof

__all__ = [
    "DEFAULT_EXCLUDES",
    "IGNORE_FILE",
    "NAMED_IN_ERROR",
    "OWN_OUTPUT",
    "SPECIAL_RULE",
    "SYMLINK_MODES",
    "SYMLINK_RULE",
    "Excluded",
    "ExcludeRules",
    "FileEntry",
    "Manifest",
    "VerifyReport",
    "build_manifest",
    "canonical_json",
    "croissant",
    "folder_rules",
    "metadata_hash",
    "parse_ignore_file",
    "read_manifest",
    "verify",
    "write_croissant",
    "write_manifest",
]

CHUNK = 1 << 20  # 1 MiB reads: large enough that hashing, not syscalls, dominates
MANIFEST_VERSION = 1
LISTED_LIMIT = 1000  # beyond this many excluded paths, the manifest keeps counts per rule only

Progress = Callable[[int, int], None]
"""Called from the calling thread with (bytes hashed so far, bytes in total)."""


# -- what was left out -------------------------------------------------------------------------


@dataclass(frozen=True)
class Excluded:
    """What a walk left out: the rules in force and, per path, the rule that excluded it.

    `paths` is None when more than `LISTED_LIMIT` paths were excluded (only `counts` kept).
    """

    rules: tuple[str, ...] = ()
    symlinks: str = "refuse"
    counts: tuple[tuple[str, int], ...] = ()  # rule -> paths, most first
    paths: tuple[tuple[str, str], ...] | None = ()  # (path, rule), by path

    @property
    def total(self) -> int:
        return sum(n for _, n in self.counts)

    def summary(self) -> str:
        """One line: "excluded 87 files: __pycache__/ (85), *.pyc (2)"."""
        if not self.total:
            return "excluded no files"
        noun = "file" if self.total == 1 else "files"
        rules = ", ".join(f"{rule} ({n})" for rule, n in self.counts)
        return f"excluded {self.total} {noun}: {rules}"

    def to_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "rules": list(self.rules),
            "symlinks": self.symlinks,
            "count": self.total,
            "counts": dict(self.counts),
        }
        if self.paths is not None:
            data["paths"] = [{"path": p, "pattern": r} for p, r in self.paths]
        return data

    @classmethod
    def from_json(cls, data: Any, source: str) -> "Excluded":
        try:
            rules = tuple(data["rules"])
            symlinks = data["symlinks"]
            counts = tuple((str(k), int(v)) for k, v in dict(data["counts"]).items())
            rows = data.get("paths")
            paths = None if rows is None else tuple((r["path"], r["pattern"]) for r in rows)
            ok = symlinks in SYMLINK_MODES and all(isinstance(r, str) for r in rules)
            ok = ok and data["count"] == sum(n for _, n in counts)
        except (TypeError, KeyError, ValueError, AttributeError):
            ok = False
        if not ok:
            raise InputError(f"{source} has an unreadable 'excluded' section.")
        ExcludeRules(rules, source)
        return cls(rules, symlinks, counts, paths)


class _LeftOut:
    """Collects what a walk excludes: counts per rule, and paths up to the listing limit."""

    def __init__(self) -> None:
        self.counts: Counter[str] = Counter()
        self.paths: list[tuple[str, str]] = []

    def add(self, path: str, rule: str) -> None:
        self.counts[rule] += 1
        if len(self.paths) <= LISTED_LIMIT:
            self.paths.append((path, rule))

    def result(self, rules: Sequence[str], symlinks: str) -> Excluded:
        counts = tuple(sorted(self.counts.items(), key=lambda kv: (-kv[1], kv[0])))
        total = sum(self.counts.values())
        paths = tuple(sorted(self.paths, key=lambda pr: pr[0].encode("utf-8", "replace")))
        return Excluded(tuple(rules), symlinks, counts, paths if total <= LISTED_LIMIT else None)


@dataclass(frozen=True)
class FileEntry:
    """One file of a dataset: POSIX path relative to the folder, SHA-256 digest, size."""

    path: str
    sha256: bytes
    size: int

    @property
    def leaf(self) -> bytes:
        return file_leaf(self.path, self.sha256, self.size)


@dataclass(frozen=True)
class Manifest:
    """The files of a dataset, sorted by the UTF-8 bytes of their path, and their root.

    `excluded` says what the walk left out and by which rules; it is not part of the root,
    and is None for a manifest saved before it was recorded.
    """

    files: tuple[FileEntry, ...]
    excluded: Excluded | None = field(default=None, compare=True)

    @cached_property
    def _levels(self) -> list[list[bytes]]:
        return build_levels([f.leaf for f in self.files])

    @property
    def root(self) -> bytes:
        return self._levels[-1][0]

    @property
    def count(self) -> int:
        return len(self.files)

    @property
    def total_bytes(self) -> int:
        return sum(f.size for f in self.files)

    def proof(self, path: str) -> list[bytes]:
        """The Merkle proof of one file (sibling hashes, bottom-up)."""
        for index, entry in enumerate(self.files):
            if entry.path == path:
                return merkle_proof(self._levels, index)
        raise InputError(f"{path} is not a file of this manifest.")

    def to_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "version": MANIFEST_VERSION,
            "root": "0x" + self.root.hex(),
            "count": self.count,
            "bytes": self.total_bytes,
            "files": [
                {"path": f.path, "sha256": f.sha256.hex(), "size": f.size} for f in self.files
            ],
        }
        if self.excluded is not None:
            data["excluded"] = self.excluded.to_json()
        return data

    @classmethod
    def from_files(cls, files: Iterable[FileEntry], excluded: Excluded | None = None) -> "Manifest":
        """A manifest of `files` in any order; paths must be unique."""
        ordered = tuple(sorted(files, key=lambda f: f.path.encode("utf-8")))
        if not ordered:
            raise InputError("A manifest needs at least one file.")
        for before, after in pairwise(ordered):
            if before.path == after.path:
                raise InputError(f"The path {before.path} appears twice in the manifest.")
        return cls(ordered, excluded)


# -- building ----------------------------------------------------------------------------------


def build_manifest(
    folder: str | os.PathLike[str],
    *,
    workers: int | None = None,
    progress: Progress | None = None,
    rules: Sequence[str] | None = None,
    symlinks: str = "refuse",
) -> Manifest:
    """Hash every file under `folder` that the rules keep (see the module notes).

    `rules` defaults to `folder_rules(folder)`: our output folder, the defaults and the
    folder's `.seedbedignore`.
    """
    root = _folder(folder)
    lines = folder_rules(root) if rules is None else list(rules)
    found, excluded = _scan(root, lines, symlinks)
    if not found:
        raise InputError(f"The folder {root} has no files to register ({excluded.summary()}).")
    return Manifest.from_files(_hash_all(root, found, workers, progress), excluded)


def _folder(folder: str | os.PathLike[str]) -> Path:
    path = Path(folder)
    if not path.exists():
        raise InputError(f"The folder {path} does not exist.")
    if not path.is_dir():
        raise InputError(f"{path} is not a folder.")
    return path


def _scan(root: Path, lines: Sequence[str], symlinks: str) -> tuple[dict[str, int], Excluded]:
    """Relative POSIX path -> size on disk of every file kept, and what was left out."""
    left = _LeftOut()
    found = walk_folder(root, lines, symlinks, left.add)
    return found, left.result(lines, symlinks)


def _hash_all(
    root: Path, sizes: Mapping[str, int], workers: int | None, progress: Progress | None
) -> list[FileEntry]:
    if workers is None:
        workers = min(16, 2 * (os.cpu_count() or 1))
    if workers < 1:
        raise InputError(f"The number of workers must be at least 1, not {workers}.")
    total = sum(sizes.values())
    done = 0
    entries: list[FileEntry] = []
    with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="sha256") as pool:
        pending: set[Future[FileEntry]] = {pool.submit(_hash_file, root, rel) for rel in sizes}
        while pending:
            finished, pending = wait(pending, return_when=FIRST_EXCEPTION)
            for future in finished:
                try:
                    entry = future.result()
                except BaseException:
                    for other in pending:
                        other.cancel()  # stop promptly: the first unreadable file ends it
                    raise
                entries.append(entry)
                done += entry.size
            if progress is not None:
                progress(done, total)
    return entries


def _hash_file(root: Path, rel: str) -> FileEntry:
    digest = hashlib.sha256()
    size = 0
    buf = bytearray(CHUNK)
    view = memoryview(buf)
    try:
        with open(root / rel, "rb", buffering=0) as f:
            while n := f.readinto(buf):
                digest.update(view[:n])
                size += n
    except OSError as err:
        raise InputError(f"Cannot read the file {rel}: {err.strerror or err}.") from err
    # The size is what was hashed, not what stat said, so the two always agree.
    return FileEntry(rel, digest.digest(), size)


# -- JSON file ---------------------------------------------------------------------------------


def write_manifest(manifest: Manifest, path: str | os.PathLike[str]) -> None:
    """Save the manifest as JSON, atomically."""
    text = json.dumps(manifest.to_json(), indent=1, ensure_ascii=False) + "\n"
    write_atomic(path, text.encode("utf-8"))


def read_manifest(path: str | os.PathLike[str]) -> Manifest:
    """Load a manifest and check that it is consistent (counts, order, root)."""
    try:
        data = json.loads(Path(path).read_bytes())
    except OSError as err:
        raise InputError(f"Cannot read the manifest {path}: {err.strerror or err}.") from err
    except ValueError as err:
        raise InputError(f"The manifest {path} is not valid JSON: {err}.") from err
    return manifest_from_json(data, str(path))


def manifest_from_json(data: Any, source: str = "manifest") -> Manifest:
    """A Manifest from its JSON form; every field is checked against the others."""
    if not isinstance(data, dict) or data.get("version") != MANIFEST_VERSION:
        raise InputError(f"{source} is not a version {MANIFEST_VERSION} Seedbed manifest.")
    rows = data.get("files")
    if not isinstance(rows, list) or not rows:
        raise InputError(f"{source} lists no files.")
    files = [_entry_from_json(row, i, source) for i, row in enumerate(rows)]
    raw = data.get("excluded")
    excluded = None if raw is None else Excluded.from_json(raw, source)
    manifest = Manifest.from_files(files, excluded)
    if [f.path for f in manifest.files] != [f.path for f in files]:
        raise InputError(f"{source} does not list its files in path order.")
    if data.get("count") != manifest.count or data.get("bytes") != manifest.total_bytes:
        raise InputError(f"{source} has a count or byte total that does not match its files.")
    if data.get("root") != "0x" + manifest.root.hex():
        raise InputError(f"{source} has a root that does not match its files.")
    return manifest


def _entry_from_json(row: Any, index: int, source: str) -> FileEntry:
    try:
        path, sha, size = row["path"], row["sha256"], row["size"]
        ok = isinstance(path, str) and isinstance(sha, str) and len(sha) == 64
        ok = ok and type(size) is int and size >= 0
        digest = bytes.fromhex(sha) if ok else b""
    except (TypeError, KeyError, ValueError):
        ok = False
    if not ok:
        raise InputError(f"{source}: file entry {index} needs a path, a hex sha256 and a size.")
    parts = path.split("/")
    if path.startswith("/") or any(part in ("", ".", "..") for part in parts):
        # It will be joined to a folder on verify and published as a relative URL.
        raise InputError(f"{source}: file entry {index} has an unsafe path {path!r}.")
    return FileEntry(path, digest, size)


# -- verification ------------------------------------------------------------------------------


@dataclass(frozen=True)
class VerifyReport:
    """How a folder compares with a published root or manifest.

    With a bare root, only `root_matches` is known; `changed`, `missing` and `extra` need
    the manifest (`per_file` says which case this is).
    """

    expected_root: bytes
    actual_root: bytes | None  # None when the folder holds no file
    per_file: bool
    changed: tuple[str, ...] = ()
    missing: tuple[str, ...] = ()
    extra: tuple[str, ...] = ()

    @property
    def root_matches(self) -> bool:
        return self.actual_root == self.expected_root

    @property
    def ok(self) -> bool:
        return self.root_matches and not (self.changed or self.missing or self.extra)


def verify(
    folder: str | os.PathLike[str],
    root_or_manifest: "Manifest | bytes | str | os.PathLike[str]",
    *,
    workers: int | None = None,
    progress: Progress | None = None,
    rules: Sequence[str] | None = None,
    symlinks: str = "refuse",
) -> VerifyReport:
    """Re-hash `folder` and compare it with a manifest (or a manifest file, or a bare root).

    A bare root is 32 bytes or a 0x-prefixed hex string; any other string is a manifest path.
    A manifest that records its exclude rules and symlink mode is checked with those (the
    walk that made it); otherwise `rules` (default `folder_rules(folder)`) and `symlinks`.
    """
    expected = _expected(root_or_manifest)
    root = _folder(folder)
    if isinstance(expected, Manifest) and expected.excluded is not None:
        rules, symlinks = expected.excluded.rules, expected.excluded.symlinks
    lines = folder_rules(root) if rules is None else list(rules)
    sizes, excluded = _scan(root, lines, symlinks)
    actual = (
        Manifest.from_files(_hash_all(root, sizes, workers, progress), excluded) if sizes else None
    )
    actual_root = actual.root if actual else None
    if isinstance(expected, bytes):
        return VerifyReport(expected, actual_root, per_file=False)
    have = {f.path: f for f in actual.files} if actual else {}
    want = {f.path: f for f in expected.files}
    return VerifyReport(
        expected_root=expected.root,
        actual_root=actual_root,
        per_file=True,
        changed=tuple(p for p in want if p in have and have[p] != want[p]),
        missing=tuple(p for p in want if p not in have),
        extra=tuple(p for p in have if p not in want),
    )


def _expected(value: "Manifest | bytes | str | os.PathLike[str]") -> "Manifest | bytes":
    if isinstance(value, Manifest):
        return value
    if isinstance(value, bytes | bytearray):
        if len(value) != 32:
            raise InputError(f"A content root must be 32 bytes, not {len(value)}.")
        return bytes(value)
    if isinstance(value, str) and value.startswith("0x"):
        try:
            raw = bytes.fromhex(value[2:])
        except ValueError:
            raw = b""
        if len(raw) != 32:
            raise InputError(f"{value!r} is not a content root (0x and 64 hex digits).")
        return raw
    return read_manifest(value)
