"""Labels and quality: import a labelling campaign, aggregate it, score its annotators and
turn the scores into ContributorTree weights, reproducibly. Pure: no chain, no network.

    model      Annotation, Review, Labels and their canonical sha256s
    importers  read_label_studio, read_csv, read_addresses (names -> 0x addresses),
               read_task_items (a campaign's items)
    gold       gold_commitment / check_gold_reveal: commit to known answers, reveal later
    aggregate  majority_vote (ties by label order), dawid_skene (crowd-kit)
    scores     score / weights: the paying rule, documented there
    report     QualityReport, quality_report, method_hash
"""

from seedbed.core.labels.aggregate import dawid_skene, majority_vote
from seedbed.core.labels.gold import check_gold_reveal, gold_commitment, new_salt
from seedbed.core.labels.importers import (
    read_addresses,
    read_csv,
    read_label_studio,
    read_task_items,
    resolve_names,
)
from seedbed.core.labels.model import Annotation, Labels, Review
from seedbed.core.labels.report import QualityReport, method_hash, quality_report
from seedbed.core.labels.scores import RULE_VERSION, AnnotatorScore, Rule, Scoring, score, weights

__all__ = [
    "RULE_VERSION",
    "Annotation",
    "AnnotatorScore",
    "Labels",
    "QualityReport",
    "Review",
    "Rule",
    "Scoring",
    "check_gold_reveal",
    "dawid_skene",
    "gold_commitment",
    "majority_vote",
    "method_hash",
    "new_salt",
    "quality_report",
    "read_addresses",
    "read_csv",
    "read_label_studio",
    "read_task_items",
    "resolve_names",
    "score",
    "weights",
]
