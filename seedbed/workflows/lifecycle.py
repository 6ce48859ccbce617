"""From a dataset's lifecycle to the weights a publisher registers with: what `ape run labels`
and `ape run value` read and write. No chain: files in, files out.

Both end the same way, in one output folder:

    contributors.csv      address,weight (checksummed, ascending): `ape run register FOLDER
                          --contributors DIR/contributors.csv` registers exactly these weights
    contributors.sbtree   their ContributorTree (treefile), for proofs and claims
    <name>-report.json    how the weights were made, reproducible byte for byte

Everything is read and computed before the folder is touched; each file is written atomically
(a reader sees the old file or the new one), and reruns of the same inputs write the same bytes.

The valuation report's method hash (`valuation.method_hash`) commits to its parameters and to
canonical forms of its inputs: the training and validation features as float32 C-order bytes
(their shapes and the labels' dtypes are parameters), the labels' bytes, the owners as
checksummed addresses one a line, the content hashes as lowercase hex one a line.
"""

from __future__ import annotations

import csv
import hashlib
import json
import zipfile
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from seedbed.core import valuation
from seedbed.core.addresses import parse_address, to_checksum_address
from seedbed.core.atomic import write_atomic
from seedbed.core.errors import InputError
from seedbed.core.treefile import ContributorTree

CONTRIBUTORS_CSV = "contributors.csv"
TREE_FILE = "contributors.sbtree"
QUALITY_REPORT = "quality-report.json"
VALUATION_REPORT = "valuation-report.json"
VALUE_METHOD = "seedbed.value/1"
_ZERO = bytes(20)


# -- the output folder ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Written:
    """The three files of an output folder."""

    contributors: Path
    tree: Path
    report: Path


def check_out(out: Path, report_name: str, inputs: Sequence[Path | None] = ()) -> None:
    """Refuse an --out that is a file, or one whose outputs would overwrite an input."""
    if out.exists() and not out.is_dir():
        raise InputError(f"--out {out} is a file, not a folder.")
    targets = {(out / name).resolve() for name in (CONTRIBUTORS_CSV, TREE_FILE, report_name)}
    for path in inputs:
        if path is not None and path.resolve() in targets:
            raise InputError(f"{path} is an input: write the outputs to another --out folder.")


def contributors_csv(weights: Mapping[bytes, int]) -> bytes:
    """`address,weight` rows, checksummed addresses ascending: what register reads."""
    rows = [f"{to_checksum_address(a)},{w}" for a, w in sorted(weights.items())]
    return "\n".join(["address,weight", *rows, ""]).encode()


def write_weights(
    out: Path, tree: ContributorTree, weights: Mapping[bytes, int], report_name: str, report: bytes
) -> Written:
    """Write the folder's three files (see the module notes), each atomically."""
    written = Written(out / CONTRIBUTORS_CSV, out / TREE_FILE, out / report_name)
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as err:
        raise InputError(f"Cannot create --out {out}: {err.strerror or err}.") from err
    # The CSV last: it is what the next step (register) reads.
    write_atomic(written.report, report)
    tree.save(written.tree)
    write_atomic(written.contributors, contributors_csv(weights))
    return written


def register_line(contributors: Path) -> str:
    """The command that registers a dataset with these weights (its folder and license to fill)."""
    import shlex

    args = ["ape", "run", "register", "FOLDER", "--spdx", "SPDX-ID", "--contributors"]
    return shlex.join([*args, str(contributors)])


# -- labels: the gold file ---------------------------------------------------------------------


def read_gold(path: Path) -> dict[str, str]:
    """{item: label} from a JSON object (item names as the export names them: task ids)."""
    try:
        data = json.loads(path.read_bytes())
    except IsADirectoryError:
        raise InputError(f"--gold {path} is a folder, not a JSON file.") from None
    except OSError as err:
        raise InputError(f"Cannot read --gold {path}: {err.strerror or err}.") from err
    except (json.JSONDecodeError, UnicodeDecodeError) as err:
        raise InputError(f"--gold {path} is not valid JSON: {err}.") from err
    if not isinstance(data, dict) or not data:
        raise InputError(f"--gold {path} must be a non-empty JSON object {{item: label}}.")
    for item, label in data.items():
        if not (isinstance(label, str) and item and label):
            raise InputError(
                f"--gold {path}: item {item!r} -> {label!r}: both must be non-empty text."
            )
    return dict(data)


# -- value: the inputs -------------------------------------------------------------------------


def load_array(path: Path, option: str) -> npt.NDArray[Any]:
    """A .npy array (never pickled objects: loading those could run code)."""
    try:
        array = np.load(path, allow_pickle=False)
    except IsADirectoryError:
        raise InputError(f"{option} {path} is a folder, not a .npy file.") from None
    except OSError as err:
        raise InputError(f"Cannot read {option} {path}: {err.strerror or err}.") from err
    except (ValueError, EOFError, zipfile.BadZipFile) as err:
        raise InputError(f"{option} {path} is not a readable .npy array: {err}.") from err
    if not isinstance(array, np.ndarray):  # an .npz archive
        array.close()
        raise InputError(f"{option} {path} is an .npz archive: give one .npy array.")
    if array.dtype.hasobject or array.dtype.names is not None:
        raise InputError(f"{option} {path} holds records or objects, not plain values.")
    return array


def read_owners(path: Path) -> list[bytes]:
    """One 20-byte address per training item, in item order, from a CSV headed `owner`."""
    rows = _lines(path, "--owners")
    if not rows or rows[0][1].strip().lower() != "owner":
        raise InputError(f"--owners {path}: the first line must be the header `owner`.")
    owners = []
    reader = csv.reader([text for _, text in rows[1:]], strict=True)
    try:
        for (line, _), cells in zip(rows[1:], reader, strict=True):
            if len(cells) != 1 or not cells[0].strip():
                raise InputError(f"--owners {path}, line {line}: expected one address.")
            try:
                address = parse_address(cells[0].strip())
            except InputError as err:
                raise InputError(f"--owners {path}, line {line}: {err.message}") from None
            if address == _ZERO:
                raise InputError(
                    f"--owners {path}, line {line}: the zero address cannot own an item "
                    "(nobody could claim its share)."
                )
            owners.append(address)
    except csv.Error as err:
        raise InputError(f"--owners {path}: malformed CSV ({err}).") from err
    if not owners:
        raise InputError(f"--owners {path} lists no owner.")
    return owners


def read_hashes(path: Path) -> list[bytes]:
    """One content hash (hex, 0x optional) per training item, one a line."""
    hashes = []
    for line, text in _lines(path, "--hashes"):
        digest = text.strip().lower().removeprefix("0x")
        try:
            raw = bytes.fromhex(digest)
        except ValueError:
            raw = b""
        if not raw or len(digest) != 2 * len(raw):
            raise InputError(f"--hashes {path}, line {line}: {text.strip()!r} is not a hex hash.")
        hashes.append(raw)
    if not hashes:
        raise InputError(f"--hashes {path} lists no hash.")
    return hashes


def _lines(path: Path, option: str) -> list[tuple[int, str]]:
    """(line number, text) of each line; a blank line is refused but at the end (one line
    per item: a gap would shift every item after it)."""
    try:
        text = path.read_bytes().decode("utf-8-sig")
    except IsADirectoryError:
        raise InputError(f"{option} {path} is a folder, not a file.") from None
    except OSError as err:
        raise InputError(f"Cannot read {option} {path}: {err.strerror or err}.") from err
    except UnicodeDecodeError as err:
        raise InputError(f"{option} {path} is not UTF-8 text (byte {err.start}).") from err
    lines = text.rstrip().splitlines()
    for n, line in enumerate(lines, 1):
        if not line.strip():
            raise InputError(f"{option} {path}, line {n} is blank: give one row per item.")
    return list(enumerate(lines, 1))


# -- value: KNN-Shapley to weights -------------------------------------------------------------


@dataclass
class OwnerValue:
    """One owner's line of the valuation report."""

    address: str
    items: int  # training items listed for it
    duplicates: int  # of which dropped as copies of an earlier item
    value: float  # sum of its kept items' KNN-Shapley values
    weight: int  # 0: flagged (value <= 0) or nothing kept, not paid
    flagged: bool


@dataclass
class ValuationReport:
    """The report of one valuation run; `to_json()` is its reproducible form."""

    parameters: dict[str, Any]
    inputs: dict[str, str]  # input -> sha256 hex of its canonical bytes
    items: int
    kept: int
    owners: list[OwnerValue]
    weights: dict[bytes, int]
    tree: ContributorTree
    method_hash: bytes

    @property
    def flagged(self) -> list[OwnerValue]:
        return [o for o in self.owners if o.flagged]

    def to_json(self) -> bytes:
        """Sorted keys, 1-space indent, UTF-8: identical bytes for identical runs."""
        body = {
            "method": VALUE_METHOD,
            "parameters": self.parameters,
            "inputs": self.inputs,
            "items": self.items,
            "kept": self.kept,
            "duplicates_dropped": self.items - self.kept,
            "owners": [vars(o) for o in self.owners],
            "weights": {to_checksum_address(a): w for a, w in sorted(self.weights.items())},
            "total": self.tree.total,
            "root": "0x" + self.tree.root.hex(),
            "method_hash": "0x" + self.method_hash.hex(),
        }
        text = json.dumps(body, sort_keys=True, indent=1, ensure_ascii=False, allow_nan=False)
        return text.encode() + b"\n"


def valuation_report(
    features: npt.ArrayLike,
    labels: npt.ArrayLike,
    owners: Sequence[bytes],
    val_features: npt.ArrayLike,
    val_labels: npt.ArrayLike,
    hashes: Sequence[bytes] | None = None,
    k: int = 5,
    scale: int = 10**6,
) -> ValuationReport:
    """KNN-Shapley values of the training items (exact duplicates dropped first when `hashes`
    are given), summed per owner and turned into weights; owners of value <= 0 are flagged."""
    x = _float32(features, "the training features")
    vx = _float32(val_features, "the validation features")
    y, vy = np.asarray(labels), np.asarray(val_labels)
    n = len(x)
    _same_count(n, len(owners), "owners")
    if hashes is not None:
        _same_count(n, len(hashes), "content hashes")
    kept = valuation.drop_duplicates(list(hashes)) if hashes is not None else list(range(n))
    index = np.asarray(kept, dtype=np.intp)
    if y.shape != (n,):  # knn_shapley checks the rest; this one before items are dropped
        raise InputError(f"The labels must be one per training item ({n}), not shape {y.shape}.")
    values = valuation.knn_shapley(x[index], y[index], vx, vy, k=k)
    by_owner = valuation.contributor_values(values, [owners[i] for i in kept])
    weights, flagged = valuation.values_to_weights(by_owner, scale=scale)
    params = {
        "method": VALUE_METHOD,
        "k": k,
        "scale": scale,
        "distance": "squared euclidean, float32",
        "drop_duplicates": hashes is not None,
        "shapes": {"features": list(x.shape), "val_features": list(vx.shape)},
        "dtypes": {"labels": y.dtype.str, "val_labels": vy.dtype.str},
    }
    canonical = {
        "features": x.tobytes(),
        "labels": np.ascontiguousarray(y).tobytes(),
        "owners": "\n".join(to_checksum_address(o) for o in owners).encode(),
        "val_features": vx.tobytes(),
        "val_labels": np.ascontiguousarray(vy).tobytes(),
        "hashes": b"" if hashes is None else "\n".join(h.hex() for h in hashes).encode(),
    }
    return ValuationReport(
        parameters=params,
        inputs={name: hashlib.sha256(data).hexdigest() for name, data in canonical.items()},
        items=n,
        kept=len(kept),
        owners=_owner_rows(owners, kept, by_owner, weights, flagged),
        weights=weights,
        tree=ContributorTree.build(weights),
        method_hash=valuation.method_hash(params, *canonical.values()),
    )


def _float32(data: npt.ArrayLike, what: str) -> npt.NDArray[np.float32]:
    try:
        array = np.ascontiguousarray(data, dtype=np.float32)
    except (TypeError, ValueError) as err:
        raise InputError(f"{what} must be numbers: {err}.") from err
    if array.ndim != 2 or 0 in array.shape:
        raise InputError(
            f"{what} must be a non-empty 2-D array (items x features), not {array.shape}."
        )
    return array


def _same_count(items: int, count: int, what: str) -> None:
    if count != items:
        raise InputError(f"{count} {what} for {items} training items: give one per item.")


def _owner_rows(
    owners: Sequence[bytes],
    kept: Sequence[int],
    by_owner: Mapping[bytes, float],
    weights: Mapping[bytes, int],
    flagged: Mapping[bytes, float],
) -> list[OwnerValue]:
    listed = Counter(owners)
    kept_count = Counter(owners[i] for i in kept)
    rows = []
    for owner in sorted(listed):
        value = by_owner.get(owner, 0.0)
        rows.append(
            OwnerValue(
                address=to_checksum_address(owner),
                items=listed[owner],
                duplicates=listed[owner] - kept_count[owner],
                value=value,
                weight=weights.get(owner, 0),
                flagged=owner in flagged,
            )
        )
    return rows


# -- merging contributor files by shares (validators' share) -----------------------------------

MERGE_REPORT = "merge-report.json"
MERGE_METHOD = "seedbed.merge/1"


def parse_part(text: str) -> tuple[Path, int]:
    """`FILE:SHARE` (SHARE in bps, or a percent such as 5%) of `labels merge --part`."""
    from seedbed.core.units import parse_share

    path, sep, share = text.rpartition(":")
    if not sep or not path:
        raise InputError(f"--part {text!r} must be FILE:SHARE (e.g. out/c/contributors.csv:95%).")
    try:
        return Path(path), parse_share(share)
    except InputError as err:
        raise InputError(f"--part {text!r}: {err}") from None


def merge_files(parts: Sequence[tuple[Path, int]], out: Path) -> tuple[Written, ContributorTree]:
    """Merge contributor CSVs by shares (seedbed.core.contributor_merge) into an --out folder:
    contributors.csv, the tree, and merge-report.json naming each input by its sha256."""
    from seedbed.core.contributor_merge import SCALE, merge
    from seedbed.core.contributors import read_contributors

    check_out(out, MERGE_REPORT, [p for p, _ in parts])
    read = []
    for path, share in parts:
        if not path.is_file():
            raise InputError(f"--part {path} is not a file.")
        try:
            read.append((read_contributors(path), share, hashlib.sha256(path.read_bytes())))
        except InputError as err:
            raise InputError(f"--part {path}: {err}") from None
    weights = merge([(w, share) for w, share, _ in read])
    tree = ContributorTree.build(weights)
    report = {
        "method": MERGE_METHOD,
        "rule": "each part holds share/10000 of a 10^18 total, split by its weights (floors, "
        "then largest remainders, ties to the lower address); addresses in several parts add up",
        "scale": SCALE,
        "parts": [
            {
                "file": str(path),
                "sha256": digest.hexdigest(),
                "share_bps": share,
                "contributors": len(w),
                "total": sum(w.values()),
            }
            for (path, _), (w, share, digest) in zip(parts, read, strict=True)
        ],  # fmt: skip
        "root": "0x" + tree.root.hex(),
        "contributors": tree.count,
    }
    text = (json.dumps(report, indent=2, sort_keys=True) + "\n").encode()
    return write_weights(out, tree, weights, MERGE_REPORT, text), tree
