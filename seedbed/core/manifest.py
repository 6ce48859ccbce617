"""A dataset folder's manifest: every file's path, SHA-256 and size, and the content root.

`build_manifest` walks the folder, hashes files in parallel threads (hashlib releases the
GIL on large buffers) and computes the Merkle root of `seedbed.core.merkle`. The manifest is
saved as JSON; `verify` re-hashes a folder and says which files changed.

What is left out is never left out silently. Exclude rules are gitignore-style globs on the
POSIX path relative to the folder (`dir/` matches only a folder, a pattern holding a `/` is
anchored at the top, `*`, `?`, `[...]`, `**`, `!` re-includes; the last matching rule wins,
and nothing under an excluded folder can be re-included). They come, in this order, from:
our own output folder `/.seedbed/` (always), the defaults (`DEFAULT_EXCLUDES`, unless turned
off), the folder's top-level `.seedbedignore` (same syntax, `#` comments) and the caller's
patterns. The manifest records the rules, and every excluded path with the rule that
excluded it (or only the count per rule beyond `LISTED_LIMIT` paths).

Symbolic links and special files (pipes, sockets, devices) are found in one walk and refused
all together by default: a link can point outside the folder and change without the folder
changing, so the root would not describe what was published. `symlinks="skip"` lists them
as excluded; `symlinks="follow"` hashes what a link points to, under the link's path, and
refuses links that leave the folder, are broken or form a loop. Special files are never
followed: only skipped or refused.
"""

import hashlib
import json
import os
import re
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
from seedbed.core.merkle import build_levels, file_leaf, merkle_proof

__all__ = [
    "DEFAULT_EXCLUDES",
    "IGNORE_FILE",
    "SYMLINK_MODES",
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
    "read_manifest",
    "verify",
    "write_croissant",
    "write_manifest",
]

CHUNK = 1 << 20  # 1 MiB reads: large enough that hashing, not syscalls, dominates
MANIFEST_VERSION = 1
OWN_OUTPUT = "/.seedbed/"  # our work files: never content, whatever the defaults
DEFAULT_EXCLUDES = ("__pycache__/", "*.pyc", ".git/", ".DS_Store")
IGNORE_FILE = ".seedbedignore"
LISTED_LIMIT = 1000  # beyond this many excluded paths, the manifest keeps counts per rule only
SYMLINK_MODES = ("refuse", "skip", "follow")
SYMLINK_RULE = "<symlink>"  # the "pattern" of a link left out by symlinks="skip"
SPECIAL_RULE = "<special file>"  # ... and of a pipe, socket or device
NAMED_IN_ERROR = 5  # paths named in the one-line error about links and special files

Progress = Callable[[int, int], None]
"""Called from the calling thread with (bytes hashed so far, bytes in total)."""


# -- exclude rules -----------------------------------------------------------------------------


@dataclass(frozen=True)
class _Rule:
    text: str  # as written, "!" included: how the rule is shown and recorded
    negate: bool
    dir_only: bool
    regex: re.Pattern[str]


def _parse_rule(line: str, source: str) -> _Rule | None:
    """One gitignore-style line; None for a blank line or a comment."""
    text = line.rstrip("\r\n")
    while text.endswith(" ") and not text.endswith("\\ "):
        text = text[:-1]  # trailing spaces go, unless escaped
    if not text or text.startswith("#"):
        return None
    negate = text.startswith("!")
    body = text[1:] if negate else text
    if body.startswith(("\\#", "\\!")):
        body = body[1:]
    dir_only = body.endswith("/")
    if dir_only:
        body = body[:-1]
    if not body.strip("/"):
        raise InputError(f"The exclude pattern {text!r} ({source}) matches nothing: it is empty.")
    return _Rule(text, negate, dir_only, _glob_regex(body))


def _glob_regex(body: str) -> re.Pattern[str]:
    """The regex of a glob over a whole relative POSIX path (gitignore's rules)."""
    anchored = "/" in body  # a slash at the start or in the middle anchors at the top
    body = body.removeprefix("/")
    out: list[str] = []
    i = 0
    if body.startswith("**/"):
        out.append("(?:.*/)?")
        i = 3
    while i < len(body):
        if body.startswith("/**/", i):
            out.append("/(?:.*/)?")
            i += 4
        elif body.startswith("/**", i) and i + 3 == len(body):
            out.append("/.*")
            i += 3
        elif body[i] == "*":
            while i < len(body) and body[i] == "*":
                i += 1  # other runs of stars are one star
            out.append("[^/]*")
        elif body[i] == "?":
            out.append("[^/]")
            i += 1
        elif body[i] == "[":
            j = i + 1
            if j < len(body) and body[j] in "!^":
                j += 1
            if j < len(body) and body[j] == "]":
                j += 1
            while j < len(body) and body[j] != "]":
                j += 1
            if j >= len(body):  # no closing bracket: a literal "["
                out.append(re.escape("["))
                i += 1
                continue
            inner = body[i + 1 : j]
            if inner[:1] in ("!", "^"):
                inner = "^" + inner[1:]
            inner = inner.replace("\\", "\\\\").replace("[", "\\[")
            out.append(f"(?!/)[{inner}]")
            i = j + 1
        elif body[i] == "\\" and i + 1 < len(body):
            out.append(re.escape(body[i + 1]))
            i += 2
        else:
            out.append(re.escape(body[i]))
            i += 1
    prefix = "" if anchored else "(?:.*/)?"
    return re.compile(prefix + "".join(out) + r"\Z", re.DOTALL)


class ExcludeRules:
    """An ordered list of gitignore-style rules; the last one that matches a path decides."""

    def __init__(self, lines: Iterable[str] = (), source: str = "exclude rules") -> None:
        rules = [_parse_rule(line, source) for line in lines]
        self._rules = [r for r in rules if r is not None]

    @property
    def texts(self) -> tuple[str, ...]:
        """The rules as written, in order (what the manifest records)."""
        return tuple(r.text for r in self._rules)

    def match(self, path: str, is_dir: bool) -> str | None:
        """The rule that excludes `path` (relative, POSIX), or None if it is kept."""
        for rule in reversed(self._rules):
            if (is_dir or not rule.dir_only) and rule.regex.match(path):
                return None if rule.negate else rule.text
        return None


def parse_ignore_file(text: str) -> list[str]:
    """The rules of an ignore file's text (comments and blank lines dropped)."""
    out: list[str] = []
    for line in text.splitlines():
        if _parse_rule(line, IGNORE_FILE) is not None:
            out.append(line.rstrip("\r\n"))
    return out


def folder_rules(
    folder: str | os.PathLike[str], extra: Sequence[str] = (), *, defaults: bool = True
) -> list[str]:
    """The rules for one folder: our output folder, the defaults, `.seedbedignore`, `extra`."""
    lines = [OWN_OUTPUT, *(DEFAULT_EXCLUDES if defaults else ())]
    ignore = Path(folder) / IGNORE_FILE
    if ignore.is_file():
        try:
            text = ignore.read_bytes().decode("utf-8")
        except OSError as err:
            raise InputError(f"Cannot read {ignore}: {err.strerror or err}.") from err
        except UnicodeDecodeError:
            raise InputError(f"{ignore} is not UTF-8 text.") from None
        lines += parse_ignore_file(text)
    lines += extra
    ExcludeRules(lines, str(ignore))  # every rule parses, or one error now
    return lines


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


_Pending = tuple[Path, str, str, frozenset[str]]  # folder, its relative prefix, real path, above


def _scan(root: Path, lines: Sequence[str], symlinks: str) -> tuple[dict[str, int], Excluded]:
    """Relative POSIX path -> size on disk of every file kept, and what was left out.

    The whole folder is walked before anything is refused, so that one error names every
    link and special file at once.
    """
    if symlinks not in SYMLINK_MODES:
        raise InputError(f"symlinks must be one of {', '.join(SYMLINK_MODES)}, not {symlinks!r}.")
    rules = ExcludeRules(lines)
    found: dict[str, int] = {}
    left = _LeftOut()
    refused: list[tuple[str, str]] = []  # (path, what is wrong with it)
    top = os.path.realpath(root)
    pending: list[_Pending] = [(root, "", top, frozenset([top]))]
    while pending:
        folder, prefix, real, above = pending.pop()
        for entry in _list(folder):
            rel = prefix + entry.name
            _check_utf8(root, rel)
            link = entry.is_symlink()
            follow = link and symlinks == "follow"
            is_dir = entry.is_dir(follow_symlinks=follow)
            rule = rules.match(rel, is_dir)
            if rule is not None:
                if is_dir and not link:
                    _leave_out_tree(Path(entry.path), rel + "/", rule, left)
                else:
                    left.add(rel, rule)
            elif link and symlinks == "skip":
                left.add(rel, SYMLINK_RULE)
            elif link and symlinks == "refuse":
                refused.append((rel, "symbolic link"))
            elif link:
                _follow(entry, rel, top, above, found, refused, pending)
            elif is_dir:
                child = real + "/" + entry.name
                pending.append((Path(entry.path), rel + "/", child, above | {child}))
            elif entry.is_file(follow_symlinks=False):
                found[rel] = _size(entry, rel)
            elif symlinks == "skip":
                left.add(rel, SPECIAL_RULE)
            else:
                refused.append((rel, "special file"))
    if refused:
        raise InputError(_refusal(root, refused, symlinks))
    return found, left.result(lines, symlinks)


def _list(folder: Path) -> list[os.DirEntry[str]]:
    try:
        with os.scandir(folder) as it:
            return sorted(it, key=lambda e: e.name)
    except OSError as err:
        raise InputError(f"Cannot list the folder {folder}: {err.strerror or err}.") from err


def _size(entry: os.DirEntry[str], rel: str) -> int:
    try:
        return entry.stat().st_size
    except OSError as err:
        raise InputError(f"Cannot read the file {rel}: {err.strerror or err}.") from err


def _follow(
    entry: os.DirEntry[str],
    rel: str,
    top: str,
    above: frozenset[str],
    found: dict[str, int],
    refused: list[tuple[str, str]],
    pending: list[_Pending],
) -> None:
    """A link under symlinks="follow": what it points to, if that is inside the folder."""
    target = os.path.realpath(entry.path)
    if not os.path.exists(target):
        refused.append((rel, "broken link"))
    elif os.path.commonpath([top, target]) != top:
        refused.append((rel, "link out of the folder"))
    elif target in above:
        refused.append((rel, "link loop"))
    elif os.path.isdir(target):
        pending.append((Path(entry.path), rel + "/", target, above | {target}))
    elif os.path.isfile(target):
        found[rel] = _size(entry, rel)
    else:
        refused.append((rel, "link to a special file"))


def _leave_out_tree(folder: Path, prefix: str, rule: str, left: _LeftOut) -> None:
    """Every entry under an excluded folder, recorded with the folder's rule (not descended
    into links; a folder that cannot be listed is recorded as itself)."""
    pending = [(folder, prefix)]
    while pending:
        current, at = pending.pop()
        try:
            with os.scandir(current) as it:
                entries = sorted(it, key=lambda e: e.name)
        except OSError:
            left.add(at, rule)
            continue
        for entry in entries:
            rel = (at + entry.name).encode("utf-8", "backslashreplace").decode("utf-8")
            if entry.is_dir(follow_symlinks=False):
                pending.append((Path(entry.path), rel + "/"))
            else:
                left.add(rel, rule)


def _refusal(root: Path, refused: Sequence[tuple[str, str]], symlinks: str) -> str:
    """One line naming the count, the first paths, and the option that would settle it."""
    refused = sorted(refused, key=lambda pr: pr[0].encode("utf-8"))
    kinds = Counter(what for _, what in refused)
    counted = ", ".join(f"{n} {what}{'' if n == 1 else 's'}" for what, n in sorted(kinds.items()))
    shown = ", ".join(f"{path} ({what})" for path, what in refused[:NAMED_IN_ERROR])
    more = len(refused) - NAMED_IN_ERROR
    if more > 0:
        shown += f" and {more} more"
    if symlinks == "refuse" and "symbolic link" in kinds:
        advice = "choose --symlinks follow (links inside the folder) or --symlinks skip"
        if "special file" in kinds:
            advice += "; special files can only be skipped"
    elif symlinks == "follow" and set(kinds) - {"special file"}:
        advice = (
            "only links to files or folders inside the folder can be followed: "
            "exclude the others or choose --symlinks skip"
        )
    else:
        advice = (
            "special files (pipes, sockets, devices) are never hashed: "
            "exclude them or choose --symlinks skip"
        )
    return f"{root} holds {counted} that cannot be registered: {shown}; {advice}."


def _check_utf8(root: Path, rel: str) -> None:
    try:
        rel.encode("utf-8")
    except UnicodeEncodeError:
        shown = rel.encode("utf-8", "backslashreplace").decode("ascii", "replace")
        raise InputError(f"The file name {shown} in {root} is not valid UTF-8.") from None


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
