"""Data valuation: exact KNN-Shapley values of items, summed per contributor, mapped to weights.

`knn_shapley` is the exact Shapley value of every training item (Jia et al. 2019, "Efficient
task-specific data valuation for nearest neighbor algorithms", Theorem 1) for the utility

    U(S) = mean over test points t of (1/k) * #{the min(k, |S|) nearest items of S to t
                                              whose label is t's label}

(`utility`; U(empty) = 0, so the values sum to U(D)). One sort of the training set per test
point gives every value by a recursion from the farthest item inward: O(n log n) per test point
instead of the 2^n subsets of `shapley_bruteforce`, the oracle it is tested against.

Neighbour order: squared Euclidean distance in float32, ties broken by label, then by index.
Breaking ties by label first makes two identical items (same features, same label) exchangeable,
so they get identical values; identical feature rows get bit-identical distances because each
distinct row is measured once.

The rest maps values to contributor-tree weights: exact duplicates removed first
(`drop_duplicates`, by content hash), values summed per owner (`contributor_values`), owners with
a total <= 0 flagged as noise and not paid (`values_to_weights`), optionally blended with
accepted-work weights (`blend`). `leave_one_parent_out` suggests upstream shares for a model, and
`method_hash` commits to the method's parameters and inputs so anyone can rerun it.
"""

import hashlib
import json
import math
from collections.abc import Callable, Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from fractions import Fraction
from typing import Any, TypeVar

import numpy as np
import numpy.typing as npt

from seedbed.core.errors import InputError
from seedbed.core.sumtree import MAX_WEIGHT

__all__ = [
    "blend",
    "contributor_values",
    "drop_duplicates",
    "knn_shapley",
    "leave_one_parent_out",
    "method_hash",
    "shapley_bruteforce",
    "utility",
    "values_to_weights",
]

Owner = TypeVar("Owner", bound=Hashable)

# Distance-matrix cells per batch of test points: ~65 bytes of temporaries each (measured), ~270 MB.
_BATCH_CELLS = 1 << 22
_POS_BITS = 32  # a sort key is distance bits << 32 | position, so n_train < 2**32
_MAX_BRUTEFORCE = 8
BPS = 10_000


# -- KNN-Shapley -------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Train:
    """The training set, permuted by (label, index) so that a sort key's low bits break ties."""

    perm: npt.NDArray[np.intp]  # position -> original index
    codes: npt.NDArray[np.intp]  # label code of each position
    classes: npt.NDArray[Any]  # sorted distinct labels
    rows: npt.NDArray[np.float32]  # distinct feature rows
    row_norms: npt.NDArray[np.float32]  # their squared norms
    row_of: npt.NDArray[np.intp]  # position -> its distinct row


def knn_shapley(
    train_x: npt.ArrayLike,
    train_y: npt.ArrayLike,
    test_x: npt.ArrayLike,
    test_y: npt.ArrayLike,
    k: int = 5,
    batch: int | None = None,
) -> npt.NDArray[np.float64]:
    """The exact KNN-Shapley value of each training item, averaged over the test points.

    `batch` test points are processed at once (default: about 4 million distance cells, ~270 MB
    of temporaries); it changes speed and memory, not the result beyond float rounding.
    """
    train, tx, ty = _prepare(train_x, train_y, test_x, test_y, k)
    n = len(train.perm)
    step = _batch_size(batch, n)
    coef = _recursion_coefficients(n, k)
    total = np.zeros(n, dtype=np.float64)
    for start in range(0, len(tx), step):
        pos, match = _neighbours(train, tx[start : start + step], ty[start : start + step])
        values = _shapley_sorted(match, coef)
        total += np.bincount(pos.ravel(), weights=values.ravel(), minlength=n)
    result = np.empty(n, dtype=np.float64)
    result[train.perm] = total / len(tx)
    return result


def utility(
    subset: Iterable[int],
    train_x: npt.ArrayLike,
    train_y: npt.ArrayLike,
    test_x: npt.ArrayLike,
    test_y: npt.ArrayLike,
    k: int = 5,
) -> float:
    """U(subset): the KNN likelihood of the true label that `knn_shapley` is the Shapley value of.

    Neighbours are ranked exactly as in `knn_shapley` (the order of the whole training set,
    restricted to `subset`), so the two agree to float rounding even on ties.
    """
    train, tx, ty = _prepare(train_x, train_y, test_x, test_y, k)
    n = len(train.perm)
    chosen = np.zeros(n, dtype=bool)
    indices = np.fromiter(subset, dtype=np.int64)
    outside = indices[(indices < 0) | (indices >= n)]
    if outside.size:
        raise InputError(f"A subset index must be 0 to {n - 1}, not {outside[0]}.")
    chosen[indices] = True
    pos, match = _neighbours(train, tx, ty)
    inside = chosen[train.perm][pos]
    rank = np.cumsum(inside, axis=1)
    counted = inside & (rank <= k) & match
    return float(counted.sum() / k / len(tx))


def _prepare(
    train_x: npt.ArrayLike,
    train_y: npt.ArrayLike,
    test_x: npt.ArrayLike,
    test_y: npt.ArrayLike,
    k: int,
) -> tuple[_Train, npt.NDArray[np.float32], npt.NDArray[np.intp]]:
    """Checked inputs: the permuted training set, test features and test label codes."""
    if isinstance(k, bool) or not isinstance(k, int | np.integer) or k < 1:
        raise InputError(f"k must be a whole number of neighbours >= 1, not {k!r}.")
    x = _features(train_x, "train_x")
    t = _features(test_x, "test_x")
    y = _labels(train_y, len(x), "train_y")
    yt = _labels(test_y, len(t), "test_y")
    if x.shape[1] != t.shape[1]:
        raise InputError(
            f"train_x has {x.shape[1]} features per point but test_x has {t.shape[1]}."
        )
    if len(x) >= 1 << _POS_BITS:
        raise InputError(f"At most 2**32 - 1 training points, not {len(x)}.")
    classes, codes = np.unique(y, return_inverse=True)
    perm = np.argsort(codes.reshape(-1), kind="stable")
    rows, row_of = np.unique(x, axis=0, return_inverse=True)
    train = _Train(
        perm=perm,
        codes=codes.reshape(-1)[perm],
        classes=classes,
        rows=rows,
        row_norms=np.einsum("ij,ij->i", rows, rows),
        row_of=row_of.reshape(-1)[perm],
    )
    return train, t, _test_codes(classes, yt)


def _features(data: npt.ArrayLike, name: str) -> npt.NDArray[np.float32]:
    try:
        array = np.ascontiguousarray(data, dtype=np.float32)
    except (TypeError, ValueError) as err:
        raise InputError(f"{name} must be a numeric array: {err}.") from err
    if array.ndim != 2 or array.shape[0] == 0 or array.shape[1] == 0:
        raise InputError(
            f"{name} must be a non-empty 2-D array (points x features), not {array.shape}."
        )
    if not np.isfinite(array).all():
        raise InputError(f"{name} has a NaN or infinite value (or one too large for float32).")
    return array


def _labels(data: npt.ArrayLike, count: int, name: str) -> npt.NDArray[Any]:
    array = np.asarray(data)
    if array.shape != (count,):
        raise InputError(
            f"{name} must hold one label per point ({count}), not shape {array.shape}."
        )
    return array


def _test_codes(classes: npt.NDArray[Any], labels: npt.NDArray[Any]) -> npt.NDArray[np.intp]:
    """Each test label's code among the training classes; -1 (never matched) if absent."""
    try:
        codes = np.searchsorted(classes, labels)
    except TypeError as err:
        raise InputError(f"test_y labels cannot be compared with train_y labels: {err}.") from err
    found = codes < len(classes)
    found[found] = classes[codes[found]] == labels[found]
    return np.where(found, codes, -1)


def _batch_size(batch: int | None, n_train: int) -> int:
    if batch is None:
        return max(1, _BATCH_CELLS // n_train)
    if isinstance(batch, bool) or not isinstance(batch, int) or batch < 1:
        raise InputError(f"batch must be a number of test points >= 1, not {batch!r}.")
    return batch


def _neighbours(
    train: _Train, tx: npt.NDArray[np.float32], ty: npt.NDArray[np.intp]
) -> tuple[npt.NDArray[np.intp], npt.NDArray[np.bool_]]:
    """Per test point: training positions nearest first, and whether each has the test's label."""
    dist = train.row_norms[None, :] - 2 * (tx @ train.rows.T)
    dist += np.einsum("ij,ij->i", tx, tx)[:, None]
    dist = np.where(dist > 0, dist, np.float32(0))  # rounding can go below 0, and -0.0 > +0.0
    keys = dist[:, train.row_of].view(np.uint32).astype(np.uint64)  # bits of x >= 0 sort as x
    keys <<= np.uint64(_POS_BITS)
    keys |= np.arange(len(train.perm), dtype=np.uint64)
    keys.sort(axis=1)
    pos = (keys & np.uint64((1 << _POS_BITS) - 1)).astype(np.intp)
    return pos, train.codes[pos] == ty[:, None]


def _recursion_coefficients(n: int, k: int) -> npt.NDArray[np.float64]:
    """min(k, r) / (k r) for ranks r = 1 .. n: the weight of a label change at rank r < n."""
    r = np.arange(1, n + 1, dtype=np.float64)
    return np.minimum(k, r) / (k * r)


def _shapley_sorted(
    match: npt.NDArray[np.bool_], coef: npt.NDArray[np.float64]
) -> npt.NDArray[np.float64]:
    """Jia et al.'s recursion, vectorised: values in neighbour order for each test point.

    s_n = m_n * c_n and s_r = s_(r+1) + (m_r - m_(r+1)) * c_r with c_r = min(k, r) / (k r), m_r
    the match at rank r. (The paper's s_n = m_n / n assumes n >= k.)
    """
    m = match.astype(np.float64)
    values = np.empty_like(m)
    values[:, -1] = m[:, -1] * coef[-1]
    if m.shape[1] > 1:
        steps = (m[:, :-1] - m[:, 1:]) * coef[:-1]
        values[:, :-1] = np.cumsum(steps[:, ::-1], axis=1)[:, ::-1] + values[:, -1:]
    return values


def shapley_bruteforce(
    utility_fn: Callable[[tuple[int, ...]], float], n: int
) -> npt.NDArray[np.float64]:
    """Exact Shapley values of n <= 8 players, over all 2^n subsets (the oracle for tests).

    utility_fn receives each subset as a tuple of ascending player indices.
    """
    if isinstance(n, bool) or not isinstance(n, int) or not 0 <= n <= _MAX_BRUTEFORCE:
        raise InputError(f"Brute-force Shapley takes 0 to {_MAX_BRUTEFORCE} players, not {n!r}.")
    value = [
        float(utility_fn(tuple(i for i in range(n) if mask >> i & 1))) for mask in range(1 << n)
    ]
    weight = [math.factorial(s) * math.factorial(n - s - 1) / math.factorial(n) for s in range(n)]
    result = np.zeros(n, dtype=np.float64)
    for i in range(n):
        terms = [
            weight[mask.bit_count()] * (value[mask | 1 << i] - value[mask])
            for mask in range(1 << n)
            if not mask >> i & 1
        ]
        result[i] = math.fsum(terms)
    return result


# -- From item values to contributor weights ---------------------------------------------------


def drop_duplicates(item_hashes: Sequence[bytes | str]) -> list[int]:
    """Indices of the items to keep: the first of each distinct content hash, in order.

    Hashes are compared as given (use one form: the content tree's 32-byte digests).
    """
    seen: set[bytes | str] = set()
    kept = []
    for index, digest in enumerate(item_hashes):
        if digest not in seen:
            seen.add(digest)
            kept.append(index)
    return kept


def contributor_values(values: npt.ArrayLike, owners: Sequence[Owner]) -> dict[Owner, float]:
    """Each owner's total item value, owners in order of first appearance.

    Sums are exactly rounded (math.fsum), so they do not depend on the items' order.
    """
    array = np.asarray(values, dtype=np.float64)
    if array.shape != (len(owners),):
        raise InputError(f"{array.size} values but {len(owners)} owners: one owner per item.")
    if not np.isfinite(array).all():
        raise InputError("An item value is NaN or infinite.")
    grouped: dict[Owner, list[float]] = {}
    for owner, value in zip(owners, array.tolist(), strict=True):
        grouped.setdefault(owner, []).append(value)
    return {owner: math.fsum(items) for owner, items in grouped.items()}


def values_to_weights(
    values_by_owner: Mapping[Owner, float], scale: int = 10**6
) -> tuple[dict[Owner, int], dict[Owner, float]]:
    """Weights in parts of `scale` for owners of positive value, and the flagged rest.

    weight = round(scale * value / total positive value), at least 1; an owner whose total is
    <= 0 hurts or does not help the task: flagged as noise, not paid. Weights are relative, so
    the number of test points or the value scale does not change them.
    """
    if isinstance(scale, bool) or not isinstance(scale, int) or scale < 1:
        raise InputError(f"scale must be a whole number >= 1, not {scale!r}.")
    bad = [owner for owner, value in values_by_owner.items() if not math.isfinite(value)]
    if bad:
        raise InputError(f"The value of {bad[0]!r} is {values_by_owner[bad[0]]}, not a number.")
    flagged = {owner: value for owner, value in values_by_owner.items() if value <= 0}
    positive = {owner: value for owner, value in values_by_owner.items() if value > 0}
    if not positive:
        raise InputError(f"No owner has a positive value ({len(flagged)} flagged): nobody to pay.")
    total = math.fsum(positive.values())
    weights = {owner: max(1, round(scale * value / total)) for owner, value in positive.items()}
    _check_total(weights)
    return weights, flagged


def blend(
    weights_a: Mapping[Owner, int], weights_b: Mapping[Owner, int], alpha: float, scale: int = 10**6
) -> dict[Owner, int]:
    """Weights in parts of `scale` from shares alpha * a/sum(a) + (1 - alpha) * b/sum(b).

    E.g. value weights blended with accepted-work weights. An owner in only one input has only
    that side's share; one whose blended share is 0 is left out. Exact (fractions).
    """
    if not 0 <= alpha <= 1:
        raise InputError(f"alpha must be between 0 and 1, not {alpha}.")
    if isinstance(scale, bool) or not isinstance(scale, int) or scale < 1:
        raise InputError(f"scale must be a whole number >= 1, not {scale!r}.")
    a, b = Fraction(alpha), 1 - Fraction(alpha)
    shares_a, shares_b = _shares(weights_a, "weights_a"), _shares(weights_b, "weights_b")
    weights: dict[Owner, int] = {}
    for owner in [*weights_a, *(o for o in weights_b if o not in weights_a)]:
        share = a * shares_a.get(owner, Fraction(0)) + b * shares_b.get(owner, Fraction(0))
        if share > 0:
            weights[owner] = max(1, round(share * scale))
    _check_total(weights)
    return weights


def _shares(weights: Mapping[Owner, int], name: str) -> dict[Owner, Fraction]:
    if any(isinstance(w, bool) or not isinstance(w, int) or w < 1 for w in weights.values()):
        raise InputError(f"{name} must hold whole weights >= 1.")
    total = sum(weights.values())
    if total == 0:
        raise InputError(f"{name} is empty.")
    return {owner: Fraction(weight, total) for owner, weight in weights.items()}


def _check_total(weights: Mapping[Any, int]) -> None:
    total = sum(weights.values())
    if total >= MAX_WEIGHT:
        raise InputError(f"The weights total {total}, over 2**96 - 1: use a smaller scale.")


# -- Upstream shares and the method hash -------------------------------------------------------


def leave_one_parent_out(
    score_fn: Callable[[tuple[Owner, ...]], float], parents: Sequence[Owner]
) -> dict[Owner, int]:
    """Suggested upstream shares in basis points (summing to 10,000), by leave-one-out.

    A parent's share is proportional to how much the score drops when the model is trained
    without it (score_fn(all) - score_fn(all but it), negative drops count as 0); basis points
    are apportioned by largest remainder, ties to the earlier parent. Two redundant parents
    both score ~0: leave-one-out cannot see what either adds when the other is there.
    """
    if not parents:
        raise InputError("leave_one_parent_out needs at least one parent.")
    if len(set(parents)) != len(parents):
        raise InputError("A parent is listed twice.")
    full = _score(score_fn, tuple(parents))
    drops = [
        max(Fraction(0), full - _score(score_fn, tuple(q for q in parents if q != p)))
        for p in parents
    ]
    total = sum(drops)
    if total == 0:
        raise InputError(
            f"No parent's removal lowers the score ({float(full)} with all): no share to suggest."
        )
    exact = [BPS * d / total for d in drops]
    shares = [math.floor(e) for e in exact]
    by_remainder = sorted(range(len(parents)), key=lambda i: (-(exact[i] - shares[i]), i))
    for i in by_remainder[: BPS - sum(shares)]:
        shares[i] += 1
    return dict(zip(parents, shares, strict=True))


def _score(score_fn: Callable[[tuple[Owner, ...]], float], subset: tuple[Owner, ...]) -> Fraction:
    score = float(score_fn(subset))
    if not math.isfinite(score):
        raise InputError(f"score_fn returned {score} for {len(subset)} parents.")
    return Fraction(score)


def method_hash(params: Mapping[str, Any], *inputs: bytes) -> bytes:
    """sha256(canonical JSON of params || sha256(input_1) || ... || sha256(input_n)), 32 bytes.

    Canonical JSON: keys sorted, no spaces, UTF-8, no NaN. Inputs are raw bytes (an array's
    .tobytes(): put its dtype and shape in params). Rerunning with the same params and inputs
    gives the same hash; the input order matters.
    """
    try:
        canonical = json.dumps(
            params, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False
        )
    except (TypeError, ValueError) as err:
        raise InputError(f"The method parameters are not plain JSON: {err}.") from err
    digest = hashlib.sha256(canonical.encode("utf-8"))
    for data in inputs:
        digest.update(hashlib.sha256(data).digest())
    return digest.digest()
