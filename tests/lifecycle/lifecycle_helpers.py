"""Small, seeded inputs for `ape run labels` and `ape run value`: a labelling campaign (as a
Label Studio export and as the same campaign's CSV) and a dataset of four owners."""

from __future__ import annotations

import hashlib
import json
import random
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from seedbed.core.addresses import to_checksum_address

CLASSES = ("bird", "cat", "dog")


def address(n: int) -> str:
    return to_checksum_address(bytes.fromhex(f"{0x5EED0000 + n:040x}"))


@dataclass(frozen=True)
class Campaign:
    export: Path  # Label Studio JSON: 40 tasks, 5 annotators by e-mail, one cancelled label
    csv: Path  # the same labels as item,annotator,label
    gold: Path  # 8 gold items {task id: label}
    names: Path  # name,address for the 5 e-mails
    honest: list[str]  # their addresses
    spammer: str


def write_campaign(folder: Path, items: int = 40, seed: int = 18) -> Campaign:
    """Four annotators right ~90% of the time, one answering at random."""
    rng = random.Random(seed)
    folder.mkdir(parents=True, exist_ok=True)
    people = [f"ann{i}@example.org" for i in range(4)] + ["spam@example.org"]
    truth = {str(i): rng.choice(CLASSES) for i in range(1, items + 1)}
    tasks, rows = [], ["item,annotator,label"]
    for i in range(1, items + 1):
        annotations = []
        for uid, email in enumerate(people, 1):
            honest = email != "spam@example.org"
            right = honest and rng.random() < 0.9
            label = truth[str(i)] if right else rng.choice(CLASSES)
            annotations.append(_annotation(i * 10 + uid, uid, email, label))
            rows.append(f"{i},{email},{label}")
        annotations.append({**_annotation(i * 10 + 9, 9, "late@example.org", "dog"),
                            "was_cancelled": True})  # fmt: skip
        tasks.append({"id": i, "data": {"image": f"img-{i}.jpg"}, "annotations": annotations})
    export, csv, gold, names = (folder / n for n in ("export.json", "labels.csv", "gold.json",
                                                      "names.csv"))  # fmt: skip
    export.write_text(json.dumps(tasks, indent=1))
    csv.write_text("\n".join(rows) + "\n")
    gold.write_text(json.dumps({str(i): truth[str(i)] for i in range(1, 9)}))
    addresses = [address(n) for n in range(len(people))]
    names.write_text(
        "name,address\n" + "".join(f"{p},{a}\n" for p, a in zip(people, addresses, strict=True))
    )
    return Campaign(export, csv, gold, names, addresses[:4], addresses[4])


def _annotation(aid: int, uid: int, email: str, label: str) -> dict[str, object]:
    return {
        "id": aid,
        "completed_by": {"id": uid, "email": email},
        "result": [
            {
                "from_name": "kind",
                "to_name": "image",
                "type": "choices",
                "value": {"choices": [label]},
            }
        ],  # fmt: skip
        "was_cancelled": False,
    }


@dataclass(frozen=True)
class Valued:
    features: Path
    labels: Path
    owners: Path
    val_features: Path
    val_labels: Path
    hashes: Path
    good: list[str]  # two owners of correctly labelled items
    mislabelled: str  # every label of its items flipped
    copier: str  # its items are copies of the first good owner's

    def args(self, out: Path, hashes: bool = True) -> list[object]:
        args: list[object] = [
            "--features", self.features, "--labels", self.labels, "--owners", self.owners,
            "--val-features", self.val_features, "--val-labels", self.val_labels,
            "--k", "3", "--out", out,
        ]  # fmt: skip
        return [*args, "--hashes", self.hashes] if hashes else args


def write_valued(folder: Path, seed: int = 5) -> Valued:
    """Two Gaussian classes; owners 0 and 1 label theirs right, owner 2 flips every label,
    owner 3 holds exact copies of owner 0's first items."""
    rng = np.random.default_rng(seed)
    folder.mkdir(parents=True, exist_ok=True)

    def blob(n: int) -> tuple[np.ndarray, np.ndarray]:
        y = np.arange(n) % 2
        x = rng.normal(size=(n, 2)) + 4.0 * y[:, None]
        return x.astype(np.float64), y

    parts = [blob(12), blob(12), blob(12)]
    x = np.concatenate([p[0] for p in parts] + [parts[0][0][:6]])
    y = np.concatenate([parts[0][1], parts[1][1], 1 - parts[2][1], parts[0][1][:6]])
    owners = [0] * 12 + [1] * 12 + [2] * 12 + [3] * 6
    vx, vy = blob(30)
    paths = {n: folder / f"{n}.npy" for n in ("x", "y", "vx", "vy")}
    for name, array in zip(paths, (x, y, vx, vy), strict=True):
        np.save(paths[name], array)
    owners_csv = folder / "owners.csv"
    owners_csv.write_text("owner\n" + "".join(f"{address(100 + o)}\n" for o in owners))
    hashes = folder / "hashes.txt"
    hashes.write_text(
        "".join(
            hashlib.sha256(row.tobytes() + bytes([label])).hexdigest() + "\n"
            for row, label in zip(x, y, strict=True)
        )
    )
    return Valued(
        paths["x"], paths["y"], owners_csv, paths["vx"], paths["vy"], hashes,
        [address(100), address(101)], address(102), address(103),
    )  # fmt: skip
