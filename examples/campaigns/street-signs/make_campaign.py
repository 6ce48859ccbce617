"""Writes this folder's labeling campaign for the street-signs training images: what the
annotators of `examples/contributors/street-signs-log.csv` answered, as Label Studio exports it.

Six annotators, three answers per image: five careful ones (right 85–95% of the time) and one
who answers at random; 30 of the 300 images (10%) are gold items whose answers the requester
committed to before the campaign. Seeded: rerunning writes the same bytes. The true labels are
the dataset's own (annotations/train.jsonl).

    python examples/campaigns/street-signs/make_campaign.py
"""

from __future__ import annotations

import json
import random
from pathlib import Path

HERE = Path(__file__).resolve().parent
DATASET = HERE.parents[1] / "datasets" / "street-signs"
PEOPLE = {
    "ana@signs.example": ("0x1c150953287ABac5DFb96b00426cdef959495550", 0.95),
    "bo@signs.example": ("0x310Cd9b4e9C78C41a21c60e7125a9903A12Bb7A3", 0.92),
    "chen@signs.example": ("0x57f9705f3833eAdc0BD0584BeEcB65219BDEFdB6", 0.90),
    "dev@signs.example": ("0xF5776232a35992f3b7eB0ca5Ddf3f67fb56704ea", 0.88),
    "eli@signs.example": ("0xe1f3fbD02271bF92C432891368417D8A3b44Cfa1", 0.85),
    "quick@signs.example": ("0x1A653075d6f0b4cC35AB8a97734513fD90246a3f", None),  # random
}
PER_IMAGE, GOLD_EVERY = 3, 10


def main() -> None:
    rng = random.Random(2026)
    classes = (DATASET / "labels.txt").read_text().split("\n")
    classes = [c for c in classes if c]
    rows = [json.loads(line) for line in (DATASET / "annotations" / "train.jsonl").open()]
    tasks, gold, next_id = [], {}, 1
    for i, row in enumerate(rows):
        truth = row["label"]
        annotations = []
        for email in rng.sample(sorted(PEOPLE), PER_IMAGE):
            accuracy = PEOPLE[email][1]
            right = accuracy is not None and rng.random() < accuracy
            label = truth if right else rng.choice([c for c in classes if c != truth])
            annotations.append(
                {
                    "id": next_id,
                    "completed_by": {"email": email},
                    "result": [
                        {"from_name": "sign", "to_name": "image", "type": "choices",
                         "value": {"choices": [label]}}
                    ],
                    "was_cancelled": False,
                    "ground_truth": False,
                }
            )  # fmt: skip
            next_id += 1
        tasks.append({"id": i + 1, "data": {"image": row["image"]}, "annotations": annotations})
        if i % GOLD_EVERY == 0:
            gold[str(i + 1)] = truth
    (HERE / "export.json").write_text(json.dumps(tasks, indent=1) + "\n")
    (HERE / "gold.json").write_text(json.dumps(gold, indent=1, sort_keys=True) + "\n")
    (HERE / "names.csv").write_text(
        "name,address\n" + "".join(f"{e},{a}\n" for e, (a, _) in sorted(PEOPLE.items()))
    )
    (HERE / "items.txt").write_text("".join(f"{t['id']}\n" for t in tasks))


if __name__ == "__main__":
    main()
