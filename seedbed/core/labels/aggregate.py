"""One label per item from several annotators' labels.

majority_vote: the most frequent label; a tie goes to the label first in `label_order`
(the labelling config's order of choices) or, without it, to the alphabetically first, so
the result never depends on the order of the input rows.

dawid_skene: crowd-kit's DawidSkene (EM over one confusion matrix per annotator, started
from the majority vote); the rows are sorted first so reruns are identical. Gold labels,
when given, pin those items' posteriors during EM (crowd-kit's `true_labels`).
"""

from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping, Sequence

from seedbed.core.errors import InputError
from seedbed.core.labels.model import Annotation


def majority_vote(
    annotations: Iterable[Annotation], label_order: Sequence[str] | None = None
) -> dict[str, str]:
    """{item: label} by plurality, ties broken by label order (see the module notes)."""
    votes: dict[str, Counter[str]] = defaultdict(Counter)
    for a in annotations:
        votes[a.item][a.label] += 1
    rank = _label_rank(votes, label_order)
    return {
        item: min(counts, key=lambda label: (-counts[label], rank[label]))
        for item, counts in sorted(votes.items())
    }


def dawid_skene(
    annotations: Iterable[Annotation],
    iterations: int = 100,
    tol: float = 1e-5,
    gold: Mapping[str, str] | None = None,
) -> dict[str, str]:
    """{item: label} by Dawid-Skene EM (crowd-kit), at most `iterations` rounds."""
    # crowd-kit pulls in pandas, scikit-learn and nltk (~2 s): import it only when asked.
    import pandas as pd
    from crowdkit.aggregation import DawidSkene

    if iterations < 1:
        raise InputError(f"Dawid-Skene needs at least 1 iteration, not {iterations}.")
    rows = sorted((a.item, a.annotator, a.label) for a in annotations)
    if not rows:
        return {}
    data = pd.DataFrame(rows, columns=["task", "worker", "label"])
    labelled = set(data["task"])
    pinned = {item: label for item, label in sorted((gold or {}).items()) if item in labelled}
    truth = pd.Series(pinned, dtype=object) if pinned else None
    labels = DawidSkene(n_iter=iterations, tol=tol).fit_predict(data, true_labels=truth)
    return {str(item): str(label) for item, label in sorted(labels.items())}


def _label_rank(votes: Mapping[str, Counter[str]], order: Sequence[str] | None) -> dict[str, int]:
    seen = sorted({label for counts in votes.values() for label in counts})
    if order is None:
        return {label: i for i, label in enumerate(seen)}
    rank = {label: i for i, label in enumerate(order)}
    unknown = [label for label in seen if label not in rank]
    if unknown:
        raise InputError(f"Labels {unknown[:5]} are not in the label order {list(order)}.")
    return rank
