"""Train the sign-and-tree model from examples/datasets/ and write weights.json and the
accuracy block of README.md. Deterministic: same data, same bytes.

    python examples/model/train.py [--data examples/datasets] [--out examples/model]

Signs: street-signs captions -> label, trained on train.jsonl, scored on validation.jsonl and
test.jsonl. Health: city-trees (species one-hot, trunk_cm, height_m) -> health, trained on four
districts with census/west.csv held out; every district held out in turn is reported too.
"""

from __future__ import annotations

import argparse
import csv
import json
import re
import sys
import time
from collections import Counter
from pathlib import Path
from typing import Any

import numpy as np
from sklearn.linear_model import LogisticRegression

sys.dont_write_bytecode = True  # no __pycache__/ left in the model's registered folder
HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
import model as inference  # noqa: E402  (the model's own features and numpy inference)

HELD_OUT_DISTRICT = "west"
# L2 strength of both heads (scikit-learn's default). Not tuned: signs score 100% on validation
# for C from 0.1 to 10, and health stays at chance for all of them (see README.md).
C = 1.0
SIGNIFICANT = 6  # digits kept per weight: the JSON is stable and still exact enough
CARD_START, CARD_END = "<!-- accuracy -->", "<!-- /accuracy -->"

Row = dict[str, str]


def read_signs(data: Path, split: str) -> list[Row]:
    path = data / "street-signs" / "annotations" / f"{split}.jsonl"
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


def read_trees(data: Path) -> dict[str, list[Row]]:
    folder = data / "city-trees" / "census"
    return {p.stem: list(csv.DictReader(p.open())) for p in sorted(folder.glob("*.csv"))}


def fit(x: np.ndarray, y: list[str]) -> LogisticRegression:
    # lbfgs on a fixed matrix is deterministic; random_state pins anything that is not.
    return LogisticRegression(C=C, max_iter=5000, tol=1e-10, random_state=0).fit(x, y)


def rounded(a: Any) -> Any:
    """Floats to SIGNIFICANT digits, through the shortest repr, so json.dumps is stable."""
    if isinstance(a, np.ndarray):
        return rounded(a.tolist())
    if isinstance(a, list):
        return [rounded(v) for v in a]
    return float(f"{a:.{SIGNIFICANT}g}")


def head(clf: LogisticRegression) -> dict[str, Any]:
    return {
        "classes": [str(c) for c in clf.classes_],
        "coef": rounded(clf.coef_),
        "intercept": rounded(clf.intercept_),
    }


def train_signs(data: Path) -> dict[str, Any]:
    rows = read_signs(data, "train")
    vocabulary = sorted(set().union(*(inference.sign_terms(r["caption"]) for r in rows)))
    index = {t: i for i, t in enumerate(vocabulary)}
    x = np.zeros((len(rows), len(vocabulary)))
    for n, r in enumerate(rows):
        for t in inference.sign_terms(r["caption"]):
            x[n, index[t]] = 1.0
    return {"vocabulary": vocabulary, **head(fit(x, [r["label"] for r in rows]))}


def train_health(rows: list[Row]) -> dict[str, Any]:
    species = sorted({r["species"] for r in rows})
    numbers = np.array([[float(r["trunk_cm"]), float(r["height_m"])] for r in rows])
    mean, scale = numbers.mean(axis=0), numbers.std(axis=0)
    onehot = np.array([[float(r["species"] == s) for s in species] for r in rows])
    x = np.hstack([onehot, (numbers - mean) / scale])
    return {
        "species": species,
        "mean": rounded(mean),
        "scale": rounded(scale),
        **head(fit(x, [r["health"] for r in rows])),
    }


def weights_for(signs: dict[str, Any], health: dict[str, Any]) -> dict[str, Any]:
    return {
        "format": inference.FORMAT,
        "name": "sign-tree-model",
        "trained_on": ["city-trees", "street-signs"],
        "sign": signs,
        "health": health,
    }


def accuracy(hits: list[bool]) -> float:
    return sum(hits) / len(hits)


def evaluate(data: Path) -> tuple[dict[str, Any], dict[str, Any]]:
    """(weights, metrics); metrics are measured with model.py on the rounded weights that ship."""
    trees = read_trees(data)
    train_rows = [r for d, rows in trees.items() if d != HELD_OUT_DISTRICT for r in rows]
    weights = weights_for(train_signs(data), train_health(train_rows))
    m = inference.Model(weights)

    metrics: dict[str, Any] = {"sign": {}, "health": {}}
    for split in ("validation", "test"):
        rows = read_signs(data, split)
        hits = [m.predict_sign(r["caption"])[0] == r["label"] for r in rows]
        top = Counter(r["label"] for r in read_signs(data, "train")).most_common(1)[0][0]
        metrics["sign"][split] = {
            "n": len(rows),
            "accuracy": accuracy(hits),
            "majority": accuracy([r["label"] == top for r in rows]),
        }

    def score(held: str, model: inference.Model, train: list[Row]) -> dict[str, Any]:
        rows = trees[held]
        hits = [
            model.predict_health(r["species"], float(r["trunk_cm"]), float(r["height_m"]))[0]
            == r["health"]
            for r in rows
        ]
        top = Counter(r["health"] for r in train).most_common(1)[0][0]
        return {
            "n": len(rows),
            "accuracy": accuracy(hits),
            "majority": accuracy([r["health"] == top for r in rows]),
        }

    metrics["health"][HELD_OUT_DISTRICT] = score(HELD_OUT_DISTRICT, m, train_rows)
    # Each district held out in turn, same recipe: shows the west figure is not a lucky split.
    folds = {}
    for held in trees:
        rest = [r for d, rows in trees.items() if d != held for r in rows]
        fold = inference.Model(weights_for(weights["sign"], train_health(rest)))
        folds[held] = score(held, fold, rest)
    metrics["health"]["by_district"] = folds
    return weights, metrics


def dumps(weights: dict[str, Any]) -> str:
    return json.dumps(weights, sort_keys=True, indent=1) + "\n"


def pct(x: float) -> str:
    return f"{100 * x:.1f}%"


def card(metrics: dict[str, Any]) -> str:
    """The model card's accuracy block (between the markers in README.md)."""
    s, h = metrics["sign"], metrics["health"]
    west = h[HELD_OUT_DISTRICT]
    folds = h["by_district"]
    mean = sum(f["accuracy"] for f in folds.values()) / len(folds)
    lines = [
        "| head | held-out set | n | accuracy | majority-class baseline |",
        "|---|---|---|---|---|",
    ]
    for split in ("validation", "test"):
        v = s[split]
        lines.append(
            f"| sign | street-signs {split}.jsonl | {v['n']} | {pct(v['accuracy'])} "
            f"| {pct(v['majority'])} |"
        )
    lines.append(
        f"| health | city-trees census/{HELD_OUT_DISTRICT}.csv | {west['n']} "
        f"| {pct(west['accuracy'])} | {pct(west['majority'])} |"
    )
    lines.append("")
    lines.append(
        "Health with each district held out in turn (same recipe): "
        + ", ".join(f"{d} {pct(f['accuracy'])}" for d, f in folds.items())
        + f"; mean {pct(mean)} (chance with 3 classes: 33.3%)."
    )
    return "\n".join(lines)


def write_card(readme: Path, block: str) -> None:
    text = readme.read_text()
    pattern = re.compile(re.escape(CARD_START) + r".*?" + re.escape(CARD_END), re.S)
    if not pattern.search(text):
        raise SystemExit(f"error: {readme} has no {CARD_START} … {CARD_END} block")
    readme.write_text(pattern.sub(lambda _: f"{CARD_START}\n{block}\n{CARD_END}", text))


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description="Train the sign-and-tree model (deterministic).")
    ap.add_argument("--data", type=Path, default=HERE.parent / "datasets")
    ap.add_argument("--out", type=Path, default=HERE, help="folder for weights.json, README.md")
    args = ap.parse_args(argv)
    started = time.perf_counter()
    weights, metrics = evaluate(args.data)
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / inference.WEIGHTS).write_text(dumps(weights))
    block = card(metrics)
    if (args.out / "README.md").exists():
        write_card(args.out / "README.md", block)
    print(block)
    print(f"wrote {args.out / inference.WEIGHTS} in {time.perf_counter() - started:.1f} s")


if __name__ == "__main__":
    main()
