"""Annotator scores and the weights they are paid by.

The rule (RULE_VERSION), in exact rational arithmetic so a rerun gives the same integers:

1. Checks. Each label is checked against a reference: the gold label on a gold item; on
   another item with at least `min_labels` labels, the aggregate: Dawid-Skene's label, or
   under majority vote the plurality of the *other* annotators' labels (no check if they
   tie), since a vote counted in its own reference agrees with itself.
2. Skill. Over an annotator's n checks with h hits, Cohen's kappa against the reference,
   kappa = (h n - S) / (n^2 - S), S = sum over labels of (times the annotator gave it) x
   (times the reference was it): 0 for random or constant answering, 1 for perfect. Minus
   `z` standard errors of kappa under pure guessing, sqrt(S / (n (n^2 - S))), so that luck
   on few checks is not paid.
3. Quality factor q = clamp(skill / full_kappa, 0, 1): full pay from `full_kappa` up,
   proportionally less below it, nothing at or below chance (nor with no checks).
4. Weight = floor(scale x (q x accepted labels on non-gold items + review_credit x reviews
   given)). A label is accepted unless more of its reviews reject it than accept it;
   gold items are tests, already labelled, so labelling them earns nothing directly.
   Names mapped to one address add up; a zero weight is left out of the tree (unpaid).
"""

from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from fractions import Fraction
from math import floor, isqrt

from seedbed.core.addresses import to_checksum_address
from seedbed.core.errors import InputError
from seedbed.core.labels.aggregate import dawid_skene, majority_vote
from seedbed.core.labels.importers import resolve_names
from seedbed.core.labels.model import Annotation, Review, check_labels

RULE_VERSION = "seedbed.labels/1"
METHODS = ("majority", "dawid_skene")
_SE_DIGITS = 10**9  # the standard error is taken to 9 decimals, in integers


@dataclass(frozen=True)
class Rule:
    """The parameters of the rule (see the module notes); all of them enter method_hash."""

    method: str = "majority"
    scale: int = 10**6
    full_kappa: str = "0.5"
    z: str = "1"
    review_credit: str = "0.2"
    min_labels: int = 3
    iterations: int = 100
    label_order: tuple[str, ...] | None = None

    def __post_init__(self) -> None:
        if self.method not in METHODS:
            raise InputError(f"Unknown method {self.method!r}: use one of {', '.join(METHODS)}.")
        if self.scale < 1 or self.min_labels < 2 or self.iterations < 1:
            raise InputError(
                f"scale ({self.scale}) and iterations ({self.iterations}) must be >= 1 "
                f"and min_labels ({self.min_labels}) >= 2."
            )
        if not 0 < self.fraction("full_kappa") <= 1:
            raise InputError(f"full_kappa must be in (0, 1], not {self.full_kappa}.")
        if self.fraction("z") < 0 or self.fraction("review_credit") < 0:
            raise InputError(f"z ({self.z}) and review_credit ({self.review_credit}) must be >= 0.")

    def fraction(self, name: str) -> Fraction:
        text = getattr(self, name)
        try:
            return Fraction(text)
        except (ValueError, ZeroDivisionError, TypeError):
            raise InputError(f"{name} must be a decimal number, not {text!r}.") from None

    def params(self) -> dict[str, object]:
        params = asdict(self)
        params["label_order"] = None if self.label_order is None else list(self.label_order)
        params["rule"] = RULE_VERSION
        return params


@dataclass
class AnnotatorScore:
    """One person's row: their labels, checks and reviews, and what they are paid."""

    name: str
    address: str
    labels: int = 0
    gold_labels: int = 0
    gold_correct: int = 0
    agreement_checks: int = 0
    agreements: int = 0
    paid_labels: int = 0  # accepted labels on non-gold items
    rejected_labels: int = 0
    reviews_given: int = 0
    reviews_accepting: int = 0
    kappa: Fraction = Fraction(0)
    quality: Fraction = Fraction(0)
    units: Fraction = Fraction(0)  # labels' worth of pay, before `scale`
    _checks: list[tuple[str, str]] = field(default_factory=list, repr=False)

    def as_row(self) -> dict[str, object]:
        """The JSON row of the report (ratios rounded to 6 decimals for reading)."""
        row = {k: v for k, v in asdict(self).items() if not k.startswith("_")}
        row["gold_accuracy"] = _ratio(self.gold_correct, self.gold_labels)
        row["agreement"] = _ratio(self.agreements, self.agreement_checks)
        for key in ("kappa", "quality", "units"):
            row[key] = round(float(row[key]), 6)
        return row


@dataclass
class Scoring:
    """Everything `score` works out: the aggregate, the rows and the weights."""

    aggregate: dict[str, str]
    scores: list[AnnotatorScore]
    weights: dict[bytes, int]


def score(
    annotations: Sequence[Annotation],
    gold: Mapping[str, str] | None = None,
    reviews: Sequence[Review] = (),
    rule: Rule | None = None,
    addresses: Mapping[str, bytes] | None = None,
) -> Scoring:
    """Aggregate, check and score a campaign by `rule` (see the module notes)."""
    rule = rule or Rule()
    gold = dict(gold or {})
    check_labels(annotations, reviews)
    if not annotations:
        raise InputError("There are no annotations to score.")
    names = resolve_names(
        [a.annotator for a in annotations] + [r.reviewer for r in reviews], addresses
    )
    aggregate = _aggregate(annotations, gold, rule)
    rows = {n: AnnotatorScore(n, to_checksum_address(names[n])) for n in names}
    leave_out = rule.method == "majority"
    _count_labels(
        annotations, gold, aggregate, _verdicts(reviews), rows, rule.min_labels, leave_out
    )
    for r in reviews:
        rows[r.reviewer].reviews_given += 1
        rows[r.reviewer].reviews_accepting += r.accepted
    totals: dict[bytes, Fraction] = defaultdict(Fraction)
    for name, row in sorted(rows.items()):
        row.kappa, row.quality = _quality(row._checks, rule)
        row.units = row.quality * row.paid_labels
        row.units += rule.fraction("review_credit") * row.reviews_given
        totals[names[name]] += row.units
    weights = {a: floor(u * rule.scale) for a, u in sorted(totals.items())}
    return Scoring(aggregate, list(rows.values()), {a: w for a, w in weights.items() if w > 0})


def weights(
    annotations: Sequence[Annotation],
    gold: Mapping[str, str] | None = None,
    reviews: Sequence[Review] = (),
    method: str = "majority",
    addresses: Mapping[str, bytes] | None = None,
    **params: object,
) -> dict[bytes, int]:
    """{20-byte address: weight > 0} for a ContributorTree, by the rule of the module notes."""
    rule = Rule(method=method, **params)  # type: ignore[arg-type]
    return score(annotations, gold, reviews, rule, addresses).weights


def _aggregate(
    annotations: Sequence[Annotation], gold: Mapping[str, str], rule: Rule
) -> dict[str, str]:
    if rule.method == "dawid_skene":
        return dawid_skene(annotations, rule.iterations, gold=gold)
    return majority_vote(annotations, rule.label_order)


def _verdicts(reviews: Iterable[Review]) -> dict[tuple[str, str], int]:
    """(item, annotator) -> accepting minus rejecting reviews."""
    balance: Counter[tuple[str, str]] = Counter()
    for r in reviews:
        balance[(r.item, r.annotator)] += 1 if r.accepted else -1
    return balance


def _count_labels(
    annotations: Sequence[Annotation],
    gold: Mapping[str, str],
    aggregate: Mapping[str, str],
    verdicts: Mapping[tuple[str, str], int],
    rows: dict[str, AnnotatorScore],
    min_labels: int,
    leave_out: bool,
) -> None:
    votes: dict[str, Counter[str]] = defaultdict(Counter)
    for a in annotations:
        votes[a.item][a.label] += 1
    for a in annotations:
        row = rows[a.annotator]
        row.labels += 1
        if a.item in gold:
            row.gold_labels += 1
            row.gold_correct += a.label == gold[a.item]
            row._checks.append((a.label, gold[a.item]))
            continue
        reference = _reference(a, votes[a.item], aggregate, min_labels, leave_out)
        if reference is not None:
            row.agreement_checks += 1
            row.agreements += a.label == reference
            row._checks.append((a.label, reference))
        if verdicts.get((a.item, a.annotator), 0) < 0:
            row.rejected_labels += 1
        else:
            row.paid_labels += 1


def _reference(
    a: Annotation,
    votes: Counter[str],
    aggregate: Mapping[str, str],
    min_labels: int,
    leave_out: bool,
) -> str | None:
    """The label `a` is checked against on a non-gold item, or None (no check).

    Under majority vote, the plurality of the *other* labels (none if they tie): a vote
    counted in its own reference would agree with itself. Dawid-Skene's label is used as
    it is (one vote moves it little once the annotator's reliability is estimated)."""
    if votes.total() < min_labels:
        return None
    if not leave_out:
        return aggregate[a.item]
    others = votes.copy()
    others[a.label] -= 1
    (first, top), *rest = others.most_common(2) + [("", -1)]
    return first if top > 0 and rest[0][1] < top else None


def _quality(checks: list[tuple[str, str]], rule: Rule) -> tuple[Fraction, Fraction]:
    """(kappa, quality factor) of one annotator's checks: steps 2 and 3 of the rule."""
    n = len(checks)
    given = Counter(label for label, _ in checks)
    truth = Counter(ref for _, ref in checks)
    chance = sum(given[label] * truth[label] for label in given)  # S of the notes
    if n == 0 or chance == n * n:
        return Fraction(0), Fraction(0)  # nothing checked, or nothing to tell apart
    hits = sum(label == ref for label, ref in checks)
    kappa = Fraction(hits * n - chance, n * n - chance)
    se = Fraction(isqrt(chance * _SE_DIGITS**2 // (n * (n * n - chance))), _SE_DIGITS)
    skill = kappa - rule.fraction("z") * se
    return kappa, min(Fraction(1), max(Fraction(0), skill / rule.fraction("full_kappa")))


def _ratio(num: int, den: int) -> float | None:
    return round(num / den, 6) if den else None
