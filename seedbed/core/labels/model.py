"""The records of a labelling campaign, their checks and their canonical bytes.

An annotator (or reviewer) is named as the export names them: a 0x address, or a name
(an e-mail, a Label Studio user id) mapped to an address by an `addresses` CSV.
The canonical bytes make a campaign's sha256 independent of the file it came from (Label
Studio JSON or CSV) and of the order of its rows, so a rerun is reproducible byte for byte.
"""

import hashlib
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any, NamedTuple

from seedbed.core.errors import InputError


@dataclass(frozen=True, order=True)
class Annotation:
    """One annotator's label for one item."""

    item: str
    annotator: str
    label: str


@dataclass(frozen=True, order=True)
class Review:
    """A reviewer's verdict on the label `annotator` gave `item`."""

    item: str
    annotator: str
    reviewer: str
    accepted: bool


class Labels(NamedTuple):
    """What an import returns: `annotations, reviews = read_csv(path)`."""

    annotations: list[Annotation]
    reviews: list[Review]


def check_labels(annotations: Iterable[Annotation], reviews: Iterable[Review] = ()) -> None:
    """Refuse repeated labels and reviews of labels that do not exist.

    A second label by the same annotator for the same item is a mistake to fix, not a
    vote to count twice (the same rule as for repeated rows in a contributors CSV)."""
    labelled: set[tuple[str, str]] = set()
    for a in annotations:
        if not (a.item and a.annotator and a.label):
            raise InputError(f"An annotation has an empty item, annotator or label: {a}.")
        key = (a.item, a.annotator)
        if key in labelled:
            raise InputError(f"{a.annotator} labelled item {a.item!r} twice.")
        labelled.add(key)
    reviewed: set[tuple[str, str, str]] = set()
    for r in reviews:
        if (r.item, r.annotator) not in labelled:
            raise InputError(
                f"{r.reviewer} reviewed the label of {r.annotator} on item {r.item!r}, "
                "which is not in the annotations."
            )
        if r.reviewer == r.annotator:
            raise InputError(f"{r.reviewer} reviewed their own label on item {r.item!r}.")
        rkey = (r.item, r.annotator, r.reviewer)
        if rkey in reviewed:
            raise InputError(
                f"{r.reviewer} reviewed the label of {r.annotator} on {r.item!r} twice."
            )
        reviewed.add(rkey)


def canonical_json(value: Any) -> bytes:
    """Sorted keys, no spaces, UTF-8: the same value always gives the same bytes."""
    text = json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return text.encode("utf-8")


def annotations_sha256(annotations: Iterable[Annotation]) -> bytes:
    """sha256 of the sorted [item, annotator, label] rows."""
    rows = sorted((a.item, a.annotator, a.label) for a in annotations)
    return hashlib.sha256(canonical_json(rows)).digest()


def reviews_sha256(reviews: Iterable[Review]) -> bytes:
    """sha256 of the sorted [item, annotator, reviewer, accepted] rows."""
    rows = sorted((r.item, r.annotator, r.reviewer, r.accepted) for r in reviews)
    return hashlib.sha256(canonical_json(rows)).digest()


def gold_sha256(gold: Mapping[str, str]) -> bytes:
    """sha256 of the gold labels as a canonical JSON object (keys sorted)."""
    return hashlib.sha256(canonical_json(dict(sorted(gold.items())))).digest()
