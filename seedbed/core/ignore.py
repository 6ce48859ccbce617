"""What a folder's manifest leaves out, and the walk that finds what it keeps.

Exclude rules are gitignore-style globs on the POSIX path relative to the folder (`dir/`
matches only a folder, a pattern holding a `/` is anchored at the top, `*`, `?`, `[...]`,
`**`, `!` re-includes; the last matching rule wins, and nothing under an excluded folder can
be re-included). They come, in this order, from: our own output folder `/.seedbed/`
(always), the defaults (`DEFAULT_EXCLUDES`, unless turned off), the folder's top-level
`.seedbedignore` (same syntax, `#` comments) and the caller's patterns.

Symbolic links and special files (pipes, sockets, devices) are found in one walk and refused
all together by default: a link can point outside the folder and change without the folder
changing, so the root would not describe what was published. `symlinks="skip"` leaves them
out; `symlinks="follow"` keeps what a link points to, under the link's path, and refuses
links that leave the folder, are broken or form a loop. Special files are never followed:
only skipped or refused.

`seedbed.core.manifest` hashes what `walk_folder` keeps and records what it left out.
"""

import os
import re
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from seedbed.core.errors import InputError

__all__ = [
    "DEFAULT_EXCLUDES",
    "IGNORE_FILE",
    "OWN_OUTPUT",
    "SPECIAL_RULE",
    "SYMLINK_MODES",
    "SYMLINK_RULE",
    "ExcludeRules",
    "LeaveOut",
    "folder_rules",
    "parse_ignore_file",
    "walk_folder",
]

OWN_OUTPUT = "/.seedbed/"  # our work files: never content, whatever the defaults
DEFAULT_EXCLUDES = ("__pycache__/", "*.pyc", ".git/", ".DS_Store")
IGNORE_FILE = ".seedbedignore"
SYMLINK_MODES = ("refuse", "skip", "follow")
SYMLINK_RULE = "<symlink>"  # the "pattern" of a link left out by symlinks="skip"
SPECIAL_RULE = "<special file>"  # ... and of a pipe, socket or device
NAMED_IN_ERROR = 5  # paths named in the one-line error about links and special files

LeaveOut = Callable[[str, str], None]
"""Called by the walk with (relative path, rule) for every path it leaves out."""


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


# -- the walk ----------------------------------------------------------------------------------


_Pending = tuple[Path, str, str, frozenset[str]]  # folder, its relative prefix, real path, above


def walk_folder(
    root: Path, lines: Sequence[str], symlinks: str, leave_out: LeaveOut
) -> dict[str, int]:
    """Relative POSIX path -> size on disk of every file the rules keep under `root`;
    every path left out is passed to `leave_out` with the rule that excluded it.

    The whole folder is walked before anything is refused, so that one error names every
    link and special file at once.
    """
    if symlinks not in SYMLINK_MODES:
        raise InputError(f"symlinks must be one of {', '.join(SYMLINK_MODES)}, not {symlinks!r}.")
    rules = ExcludeRules(lines)
    found: dict[str, int] = {}
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
                    _leave_out_tree(Path(entry.path), rel + "/", rule, leave_out)
                else:
                    leave_out(rel, rule)
            elif link and symlinks == "skip":
                leave_out(rel, SYMLINK_RULE)
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
                leave_out(rel, SPECIAL_RULE)
            else:
                refused.append((rel, "special file"))
    if refused:
        raise InputError(_refusal(root, refused, symlinks))
    return found


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


def _leave_out_tree(folder: Path, prefix: str, rule: str, leave_out: LeaveOut) -> None:
    """Every entry under an excluded folder, recorded with the folder's rule (not descended
    into links; a folder that cannot be listed is recorded as itself)."""
    pending = [(folder, prefix)]
    while pending:
        current, at = pending.pop()
        try:
            with os.scandir(current) as it:
                entries = sorted(it, key=lambda e: e.name)
        except OSError:
            leave_out(at, rule)
            continue
        for entry in entries:
            rel = (at + entry.name).encode("utf-8", "backslashreplace").decode("utf-8")
            if entry.is_dir(follow_symlinks=False):
                pending.append((Path(entry.path), rel + "/"))
            else:
                leave_out(rel, rule)


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
