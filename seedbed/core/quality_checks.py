"""A validator's checks of one asset, reproducible: what `ape run attest check` computes and
`attest sign --check` signs. Reads files, no chain (the caller passes what the chain says).

    rehash      the folder's files hash to the registered content root (per file with the
                asset's manifest: changed, missing, extra)
    duplicates  files whose (sha256, size) also appear in other registered assets' manifests
    croissant   the Croissant file is structurally valid: a sc:Dataset conforming to Croissant
                1.0 with a name, description and license, one FileObject per manifest file
                with its sha256 and size, the content root named, and its metadata hash the
                one registered
    label noise the share of items whose aggregate label (majority vote, or Dawid-Skene) is
                not backed by more than half of their annotations, in basis points, when the
                labels are given

    method_hash = sha256(canonical JSON of {method, thresholds} || content root || sha256 of
                  each input file, in the order above)

so anyone holding the same files reruns the check and gets the same verdict and hash.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from seedbed.core.croissant import CONFORMS_TO, metadata_hash
from seedbed.core.errors import InputError
from seedbed.core.labels.model import Annotation, canonical_json
from seedbed.core.manifest import Manifest, read_manifest, verify

METHOD = "seedbed.validate/1"
_BPS = 10_000


@dataclass(frozen=True)
class Thresholds:
    """What passes: at most this much label noise and this many duplicated files."""

    max_noise_bps: int = 2_000
    max_duplicates: int = 0

    def __post_init__(self) -> None:
        if not 0 <= self.max_noise_bps <= _BPS:
            raise InputError(f"The noise threshold must be 0..10000 bps, not {self.max_noise_bps}.")
        if self.max_duplicates < 0:
            raise InputError(f"The duplicate threshold cannot be {self.max_duplicates}.")


@dataclass(frozen=True)
class Check:
    """One asset's verdict and the figures it rests on (SCHEMA's fields, and why)."""

    asset_id: int
    content_root: bytes
    rehash_ok: bool
    changed: tuple[str, ...]
    missing: tuple[str, ...]
    extra: tuple[str, ...]
    duplicate_files: int
    duplicates: tuple[str, ...]  # "path = other manifest's path", the first few
    croissant_valid: bool
    croissant_problems: tuple[str, ...]
    label_noise_bps: int
    labels_checked: bool
    thresholds: Thresholds = field(default_factory=Thresholds)
    method_hash: bytes = b""

    @property
    def passed(self) -> bool:
        t = self.thresholds
        return (
            self.rehash_ok
            and self.croissant_valid
            and self.label_noise_bps <= t.max_noise_bps
            and self.duplicate_files <= t.max_duplicates
        )

    def to_json(self) -> dict[str, Any]:
        return {
            "method": METHOD,
            "asset": self.asset_id,
            "content_root": "0x" + self.content_root.hex(),
            "passed": self.passed,
            "rehash": {"ok": self.rehash_ok, "changed": list(self.changed),
                       "missing": list(self.missing), "extra": list(self.extra)},
            "duplicate_files": self.duplicate_files,
            "duplicates": list(self.duplicates),
            "croissant_valid": self.croissant_valid,
            "croissant_problems": list(self.croissant_problems),
            "label_noise_bps": self.label_noise_bps,
            "labels_checked": self.labels_checked,
            "thresholds": {"max_noise_bps": self.thresholds.max_noise_bps,
                           "max_duplicates": self.thresholds.max_duplicates},
            "method_hash": "0x" + self.method_hash.hex(),
        }  # fmt: skip


def check_asset(
    asset_id: int,
    content_root: bytes,
    registered_metadata_hash: bytes,
    folder: str | os.PathLike[str],
    manifest: str | os.PathLike[str],
    croissant_file: str | os.PathLike[str],
    others: Sequence[str | os.PathLike[str]] = (),
    annotations: Sequence[Annotation] | None = None,
    aggregate: Mapping[str, str] | None = None,
    inputs: Sequence[str | os.PathLike[str]] = (),
    thresholds: Thresholds | None = None,
) -> Check:
    """Run every check of the module notes. `aggregate` is {item: label} of `annotations`
    (the caller picks the aggregator); `inputs` are the label files, hashed into the method."""
    t = thresholds or Thresholds()
    own = read_manifest(manifest)
    if own.root != content_root:
        raise InputError(
            f"The manifest {manifest} has root 0x{own.root.hex()}, not the registered content "
            f"root 0x{content_root.hex()}: it is another version of the asset."
        )
    report = verify(folder, own)
    dups = duplicates(own, [read_manifest(p) for p in others])
    problems = croissant_problems(_read_json(croissant_file), own, registered_metadata_hash)
    noise = label_noise_bps(annotations, aggregate or {}) if annotations is not None else 0
    files = [manifest, croissant_file, *others, *inputs]
    params = {"method": METHOD, "max_noise_bps": t.max_noise_bps,
              "max_duplicates": t.max_duplicates, "labels": annotations is not None}  # fmt: skip
    digest = hashlib.sha256(canonical_json(params) + content_root)
    for path in files:
        digest.update(_sha256(path))
    return Check(
        asset_id, content_root, report.ok, report.changed, report.missing, report.extra,
        len(dups), tuple(dups[:20]), not problems, tuple(problems), noise,
        annotations is not None, t, digest.digest(),
    )  # fmt: skip


def duplicates(own: Manifest, others: Sequence[Manifest]) -> list[str]:
    """Files of `own` whose content (sha256 and size) is a file of another manifest."""
    seen: dict[tuple[bytes, int], str] = {}
    for other in others:
        if other.root == own.root:
            continue  # the same asset's manifest, given twice
        for f in other.files:
            seen.setdefault((f.sha256, f.size), f"{f.path} (0x{other.root.hex()[:12]}…)")
    found = [(f, seen.get((f.sha256, f.size))) for f in own.files]
    return [f"{f.path} = {other}" for f, other in found if other is not None]


def croissant_problems(doc: Any, manifest: Manifest, registered_hash: bytes) -> list[str]:
    """What makes the Croissant document invalid for this asset (empty: valid)."""
    if not isinstance(doc, dict):
        return ["the document is not a JSON object"]
    problems = []
    if doc.get("@type") != "sc:Dataset":
        problems.append(f"@type is {doc.get('@type')!r}, not 'sc:Dataset'")
    if doc.get("conformsTo") != CONFORMS_TO:
        problems.append(f"conformsTo is {doc.get('conformsTo')!r}, not {CONFORMS_TO!r}")
    if not isinstance(doc.get("@context"), dict):
        problems.append("@context is missing")
    for key in ("name", "description"):
        if not isinstance(doc.get(key), str) or not doc[key].strip():
            problems.append(f"{key} is missing or empty")
    if not doc.get("license"):
        problems.append("license is missing")
    if doc.get("seedbed:contentRoot") != "0x" + manifest.root.hex():
        problems.append("seedbed:contentRoot does not name the registered content root")
    dist = doc.get("distribution")
    if not isinstance(dist, list):
        problems.append("distribution is not a list of FileObjects")
        dist = []
    listed = {}
    for obj in dist:
        if isinstance(obj, dict) and obj.get("@type") == "cr:FileObject":
            listed[obj.get("contentUrl")] = (obj.get("sha256"), obj.get("contentSize"))
    want = {f.path: (f.sha256.hex(), f"{f.size} B") for f in manifest.files}
    wrong = sorted(p for p in want if listed.get(p) != want[p])
    extra = sorted(str(p) for p in listed if p not in want)
    if wrong:
        problems.append(f"{len(wrong)} file(s) missing or wrong in distribution: {wrong[0]}…")
    if extra:
        problems.append(f"{len(extra)} FileObject(s) not in the asset: {extra[0]}…")
    try:
        if metadata_hash(doc) != registered_hash:
            problems.append("its metadata hash is not the one registered")
    except InputError as err:
        problems.append(str(err))
    return problems


def label_noise_bps(annotations: Sequence[Annotation], aggregate: Mapping[str, str]) -> int:
    """The share of items whose aggregate label is not backed by more than half of their
    annotations, in bps (rounded up): the labels a reader of the dataset cannot trust. One
    careless annotator among three does not make an item noisy; a split item does."""
    if not annotations:
        raise InputError("The labels hold no annotation.")
    votes: dict[str, list[str]] = {}
    for a in annotations:
        votes.setdefault(a.item, []).append(a.label)
    weak = sum(
        1 for item, labels in votes.items()
        if 2 * sum(label == aggregate.get(item) for label in labels) <= len(labels)
    )  # fmt: skip
    return -(-weak * _BPS // len(votes))


def _read_json(path: str | os.PathLike[str]) -> Any:
    try:
        return json.loads(Path(path).read_bytes())
    except OSError as err:
        raise InputError(f"Cannot read {path}: {err.strerror or err}.") from None
    except (json.JSONDecodeError, UnicodeDecodeError):
        return None  # not JSON: reported as an invalid document


def _sha256(path: str | os.PathLike[str]) -> bytes:
    try:
        return hashlib.sha256(Path(path).read_bytes()).digest()
    except OSError as err:
        raise InputError(f"Cannot read {path}: {err.strerror or err}.") from None
