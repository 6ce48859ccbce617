"""The data lifecycle (issue 17): a labelling export to weights and a root, and data valuation.

Scenarios (bench/results.json):
- labels_100k_to_root_s: a Label Studio JSON export of 100,000 annotations (20,000 items x 5
  labels from 500 annotators, 20% of them random spammers, 10% of the items gold), read,
  aggregated with Dawid-Skene (crowd-kit), every annotator scored, weights built into the
  contributor tree: wall seconds from the file to the root, crowd-kit's import included;
- knn_shapley_100k_s / knn_shapley_100k_mb: exact KNN-Shapley (k = 5) of 100,000 training
  points against 1,000 validation points (32 features, 10 classes), in a child process of its
  own so its peak resident memory is its own (ru_maxrss, the interpreter and numpy included).
"""

from __future__ import annotations

import json
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from bench.harness import Results

ROOT = Path(__file__).resolve().parents[1]
CLASSES = ("cat", "dog", "bird", "fish")
ITEMS, PER_ITEM, PEOPLE = 20_000, 5, 500

_KNN = """
import json, resource, sys, time
import numpy as np
sys.path.insert(0, sys.argv[1])
from seedbed.core.valuation import knn_shapley
rng = np.random.default_rng(17)
train_x = rng.standard_normal((100_000, 32), dtype=np.float32)
train_y = rng.integers(0, 10, 100_000)
test_x = rng.standard_normal((1_000, 32), dtype=np.float32)
test_y = rng.integers(0, 10, 1_000)
start = time.perf_counter()
values = knn_shapley(train_x, train_y, test_x, test_y, k=5)
seconds = time.perf_counter() - start
peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
print(json.dumps({"seconds": seconds, "peak_mb": peak_mb, "sum": float(values.sum())}))
"""


def export(path: Path) -> int:
    """Write the synthetic campaign's Label Studio export; the number of annotations."""
    rng = random.Random(17)
    people = [f"0x{rng.getrandbits(160):040x}" for _ in range(PEOPLE)]
    spammers = set(people[: PEOPLE // 5])
    accuracy = {p: rng.uniform(0.75, 0.95) for p in people}
    tasks, count = [], 0
    for i in range(ITEMS):
        truth = rng.choice(CLASSES)
        entries = []
        for p in rng.sample(people, PER_ITEM):
            if p in spammers:
                label = rng.choice(CLASSES)
            elif rng.random() < accuracy[p]:
                label = truth
            else:
                label = rng.choice([c for c in CLASSES if c != truth])
            entries.append(
                {
                    "id": count,
                    "completed_by": {"id": count, "email": p},
                    "result": [
                        {"from_name": "c", "type": "choices", "value": {"choices": [label]}}
                    ],
                    "was_cancelled": False,
                }
            )
            count += 1
        tasks.append({"id": f"item{i:05d}", "data": {"truth": truth}, "annotations": entries})
    path.write_text(json.dumps(tasks))
    return count


def labels(res: Results) -> None:
    from seedbed.core.labels import Rule, quality_report, read_label_studio

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "export.json"
        count = export(path)
        gold = {t["id"]: t["data"]["truth"] for t in json.loads(path.read_text())[: ITEMS // 10]}
        start = time.perf_counter()
        labels_ = read_label_studio(path)
        report = quality_report(
            labels_.annotations, gold, labels_.reviews, Rule(method="dawid_skene")
        )
        root = report.tree.root
        seconds = time.perf_counter() - start
    res.record(
        "labels_100k_to_root_s",
        seconds,
        "s",
        30.0,
        note=f"{count:,} annotations, {ITEMS:,} items, {PEOPLE} annotators (20% random "
        f"spammers), {ITEMS // 10:,} gold; Label Studio JSON -> Dawid-Skene -> scores -> "
        f"weights -> tree root 0x{root.hex()[:12]}…, {len(report.weights)} paid",
    )


def valuation(res: Results) -> None:
    done = subprocess.run(
        [sys.executable, "-c", _KNN, str(ROOT)], capture_output=True, text=True, check=False
    )
    if done.returncode != 0:
        raise RuntimeError(f"the KNN-Shapley child failed: {done.stderr[-2000:]}")
    figures: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    note = "100,000 train x 1,000 validation points, 32 features, 10 classes, k = 5, exact"
    res.record("knn_shapley_100k_s", figures["seconds"], "s", 60.0, note=note)
    res.record(
        "knn_shapley_100k_mb",
        figures["peak_mb"],
        "MB",
        1000.0,
        note="peak resident memory of the child process (interpreter and numpy included)",
    )


def run(res: Results) -> None:
    print("lifecycle (labels to a root, data valuation)")
    labels(res)
    valuation(res)
