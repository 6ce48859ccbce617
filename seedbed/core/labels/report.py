"""A reproducible quality report: what was scored, by which rule, and the tree it gives.

    method_hash = sha256(canonical_json(rule parameters) || sha256(annotations)
                         || sha256(gold) || sha256(reviews) || sha256(addresses))

Each input hash is over canonical bytes (`model`), not over a file, so the same campaign
from Label Studio or from CSV, in any row order, has the same hash; and the same hash
always gives the same weights and the same ContributorTree root, byte for byte.
"""

import hashlib
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from seedbed.core.addresses import to_checksum_address
from seedbed.core.labels.model import (
    Annotation,
    Review,
    annotations_sha256,
    canonical_json,
    gold_sha256,
    reviews_sha256,
)
from seedbed.core.labels.scores import Rule, score
from seedbed.core.treefile import ContributorTree


def method_hash(params: Mapping[str, object], *input_hashes: bytes) -> bytes:
    """sha256 of the canonical JSON of `params` followed by the inputs' sha256 digests."""
    digest = hashlib.sha256(canonical_json(dict(params)))
    for h in input_hashes:
        digest.update(h)
    return digest.digest()


def addresses_sha256(addresses: Mapping[str, bytes] | None) -> bytes:
    """sha256 of the names -> checksummed addresses map, keys sorted."""
    mapping = {n: to_checksum_address(a) for n, a in sorted((addresses or {}).items())}
    return hashlib.sha256(canonical_json(mapping)).digest()


@dataclass
class QualityReport:
    """The report of one scoring run; `to_json()` is its reproducible form."""

    method: str
    parameters: dict[str, object]
    inputs: dict[str, str]  # input -> sha256 hex
    rows: list[dict[str, object]]
    weights: dict[bytes, int]
    tree: ContributorTree
    method_hash: bytes

    def to_json(self) -> bytes:
        """Sorted keys, 1-space indent, UTF-8: identical bytes for identical runs."""
        body = {
            "method": self.method,
            "parameters": self.parameters,
            "inputs": self.inputs,
            "annotators": self.rows,
            "weights": {to_checksum_address(a): w for a, w in sorted(self.weights.items())},
            "total": self.tree.total,
            "root": "0x" + self.tree.root.hex(),
            "method_hash": "0x" + self.method_hash.hex(),
        }
        return json.dumps(body, sort_keys=True, indent=1, ensure_ascii=False).encode() + b"\n"


def quality_report(
    annotations: Sequence[Annotation],
    gold: Mapping[str, str] | None = None,
    reviews: Sequence[Review] = (),
    rule: Rule | None = None,
    addresses: Mapping[str, bytes] | None = None,
) -> QualityReport:
    """Score the campaign, build its ContributorTree and describe both."""
    rule = rule or Rule()
    scoring = score(annotations, gold, reviews, rule, addresses)
    inputs = {
        "annotations": annotations_sha256(annotations),
        "gold": gold_sha256(gold or {}),
        "reviews": reviews_sha256(reviews),
        "addresses": addresses_sha256(addresses),
    }
    params = rule.params()
    rows = sorted((s.as_row() for s in scoring.scores), key=lambda r: str(r["name"]))
    return QualityReport(
        method=rule.method,
        parameters=params,
        inputs={k: v.hex() for k, v in inputs.items()},
        rows=rows,
        weights=scoring.weights,
        tree=ContributorTree.build(scoring.weights),
        method_hash=method_hash(params, *inputs.values()),
    )
