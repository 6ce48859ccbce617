"""Train a tree-risk classifier on the private tree-inspections dataset, as a licensee does
once the gateway (or its key grant) has given it a verified local copy.

    python examples/private/train_risk.py <folder with inspections/2025.csv and 2026.csv>

Trains on the 2025 inspections and scores on 2026: logistic regression on the inspection's
measurements (species one-hot, trunk, height, dieback, root damage, fungus, lean, pruning).
Deterministic: same data, same figures.
"""

from __future__ import annotations

import csv
import json
import sys
from pathlib import Path
from typing import Any

import numpy as np
from sklearn.linear_model import LogisticRegression

NUMERIC = (
    "trunk_cm",
    "height_m",
    "canopy_dieback_pct",
    "root_damage",
    "lean_deg",
    "years_since_pruning",
)
FUNGI = ("none", "bracket", "root")


def rows(path: Path) -> list[dict[str, str]]:
    with path.open(newline="") as handle:
        return list(csv.DictReader(handle))


def features(data: list[dict[str, str]], species: list[str]) -> np.ndarray:
    out = []
    for row in data:
        numbers = [float(row[name]) for name in NUMERIC]
        out.append(
            numbers
            + [1.0 if row["fungus"] == f else 0.0 for f in FUNGI]
            + [1.0 if row["species"] == s else 0.0 for s in species]
        )
    matrix = np.array(out)
    return (matrix - matrix.mean(axis=0)) / (matrix.std(axis=0) + 1e-9)


def train(folder: Path) -> dict[str, Any]:
    """Accuracy on 2026 of a model fitted on 2025, and the majority-class baseline."""
    train_rows = rows(folder / "inspections" / "2025.csv")
    test_rows = rows(folder / "inspections" / "2026.csv")
    species = sorted({r["species"] for r in train_rows})
    model = LogisticRegression(max_iter=2000)
    model.fit(features(train_rows, species), [r["risk"] for r in train_rows])
    predicted = model.predict(features(test_rows, species))
    truth = [r["risk"] for r in test_rows]
    majority = max(set(truth), key=truth.count)
    return {
        "trained_on": len(train_rows),
        "tested_on": len(test_rows),
        "accuracy": float(np.mean([p == t for p, t in zip(predicted, truth, strict=True)])),
        "baseline": truth.count(majority) / len(truth),
    }


if __name__ == "__main__":
    if len(sys.argv) != 2:
        print("usage: python examples/private/train_risk.py <dataset folder>", file=sys.stderr)
        sys.exit(2)
    print(json.dumps(train(Path(sys.argv[1])), indent=2))
