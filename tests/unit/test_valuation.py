"""Data valuation: exact KNN-Shapley against the brute-force oracle, and values to weights."""

import hashlib

import numpy as np
import pytest

from seedbed.core.errors import InputError
from seedbed.core.treefile import ContributorTree
from seedbed.core.valuation import (
    blend,
    contributor_values,
    drop_duplicates,
    knn_shapley,
    leave_one_parent_out,
    method_hash,
    shapley_bruteforce,
    utility,
    values_to_weights,
)

ALICE, BOB, CAROL, NOISE = (bytes([i]) * 20 for i in (1, 2, 3, 4))


def random_task(seed, n_train, n_test, dims=3, classes=3, grid=False):
    rng = np.random.default_rng(seed)
    draw = (
        (lambda n: rng.integers(0, 2, (n, dims)))
        if grid
        else (lambda n: rng.normal(size=(n, dims)))
    )
    return (
        draw(n_train),
        rng.integers(0, classes, n_train),
        draw(n_test),
        rng.integers(0, classes, n_test),
    )


def oracle(task, k):
    x, y, tx, ty = task
    return shapley_bruteforce(lambda s: utility(s, x, y, tx, ty, k=k), len(x))


# -- KNN-Shapley ---------------------------------------------------------------------------------


@pytest.mark.parametrize("k", [1, 2, 3, 5, 8])
@pytest.mark.parametrize("seed", range(4))
def test_matches_the_brute_force_oracle(k, seed):
    for n in range(1, 8):  # n < k too: the paper's s_n = m_n / n assumes n >= k
        task = random_task(1000 * seed + n, n, 5)
        assert knn_shapley(*task, k=k) == pytest.approx(oracle(task, k), abs=1e-12)


@pytest.mark.parametrize("k", [1, 3])
def test_matches_the_oracle_with_many_ties(k):
    # 0/1 grid points: many equal distances, duplicates, test points on training points
    for seed in range(30):
        task = random_task(seed, 7, 4, dims=2, grid=True)
        assert knn_shapley(*task, k=k) == pytest.approx(oracle(task, k), abs=1e-12)


def test_efficiency_values_sum_to_the_utility_of_everything():
    x, y, tx, ty = task = random_task(7, 300, 40, dims=5, classes=4)
    values = knn_shapley(*task, k=5)
    full, empty = utility(range(300), *task, k=5), utility([], *task, k=5)
    assert empty == 0
    assert abs(values.sum() - (full - empty)) < 1e-9


def test_identical_points_get_identical_values():
    x, y, tx, ty = random_task(3, 60, 20, dims=2, grid=True)  # many other points equidistant
    x[10], y[10] = x[40], y[40]
    x[25], y[25] = x[40], y[40]
    values = knn_shapley(x, y, tx, ty, k=3)
    assert values[10] == values[25] == values[40]


def test_batches_change_nothing_but_speed():
    task = random_task(5, 500, 33, dims=8, classes=5)
    whole = knn_shapley(*task, k=4)
    for batch in (1, 7, 1000):
        assert knn_shapley(*task, k=4, batch=batch) == pytest.approx(whole, abs=1e-12)


def test_is_deterministic():
    task = random_task(9, 400, 30, dims=4)
    assert np.array_equal(knn_shapley(*task, k=5), knn_shapley(*task, k=5))


def test_a_test_label_absent_from_training_values_nobody():
    x, y, tx, _ = random_task(2, 20, 3)
    assert not knn_shapley(x, y, tx, np.array([9, 9, 9]), k=3).any()


def test_bad_inputs_are_refused_with_a_sentence():
    x, y, tx, ty = random_task(1, 10, 4)
    with pytest.raises(InputError, match="k must be"):
        knn_shapley(x, y, tx, ty, k=0)
    with pytest.raises(InputError, match="features per point"):
        knn_shapley(x, y, tx[:, :2], ty)
    with pytest.raises(InputError, match="one label per point"):
        knn_shapley(x, y[:5], tx, ty)
    bad = x.copy()
    bad[3, 1] = np.nan
    with pytest.raises(InputError, match="NaN"):
        knn_shapley(bad, y, tx, ty)
    with pytest.raises(InputError, match="batch"):
        knn_shapley(x, y, tx, ty, batch=0)
    with pytest.raises(InputError, match="subset index"):
        utility([10], x, y, tx, ty)
    with pytest.raises(InputError, match="0 to 8 players"):
        shapley_bruteforce(lambda s: 0.0, 9)


# -- Contributor weights ---------------------------------------------------------------------------


def clusters(seed=0):
    """Two well-separated classes; NOISE's items sit in class 0's cluster labelled 1."""
    rng = np.random.default_rng(seed)
    x = np.concatenate(
        [rng.normal(0, 1, (30, 2)), rng.normal(10, 1, (30, 2)), rng.normal(0, 1, (6, 2))]
    )
    y = np.array([0] * 30 + [1] * 30 + [1] * 6)
    owners = [ALICE, BOB, CAROL] * 20 + [NOISE] * 6
    tx = np.concatenate([rng.normal(0, 1, (20, 2)), rng.normal(10, 1, (20, 2))])
    ty = np.array([0] * 20 + [1] * 20)
    hashes = [
        hashlib.sha256(row.tobytes() + bytes([label])).digest()
        for row, label in zip(x, y, strict=True)
    ]
    return x, y, tx, ty, owners, hashes


def pipeline(x, y, tx, ty, owners, hashes):
    kept = drop_duplicates(hashes)
    values = knn_shapley(x[kept], y[kept], tx, ty, k=5)
    return values_to_weights(contributor_values(values, [owners[i] for i in kept]))


def test_mislabelled_items_are_flagged_as_noise_not_paid():
    x, y, tx, ty, owners, hashes = clusters()
    values = knn_shapley(x, y, tx, ty, k=5)
    assert (values[60:] < 0).all()
    weights, flagged = pipeline(x, y, tx, ty, owners, hashes)
    assert set(weights) == {ALICE, BOB, CAROL} and set(flagged) == {NOISE}
    assert flagged[NOISE] < 0
    assert all(w > 0 for w in weights.values())
    assert abs(sum(weights.values()) - 10**6) <= len(weights)
    ContributorTree.build(weights)  # a valid contributor tree


def test_a_duplicate_item_never_raises_its_contributors_share():
    x, y, tx, ty, owners, hashes = clusters(1)
    before, _ = pipeline(x, y, tx, ty, owners, hashes)
    for item in (0, 31, 59):  # ALICE's, BOB's and CAROL's item copied by its owner, at the end
        extra = lambda a, i=item: np.concatenate([a, a[i : i + 1]])  # noqa: E731
        after, _ = pipeline(
            extra(x), extra(y), tx, ty, [*owners, owners[item]], [*hashes, hashes[item]]
        )
        assert after[owners[item]] <= before[owners[item]]
        assert after == before  # the copy is dropped before valuation


def test_weights_and_root_are_reproducible():
    task = clusters(2)
    first, second = pipeline(*task), pipeline(*task)
    assert first == second
    assert ContributorTree.build(first[0]).root == ContributorTree.build(second[0]).root


def test_drop_duplicates_keeps_the_first_of_each_hash():
    assert drop_duplicates([b"a", b"b", b"a", b"c", b"b"]) == [0, 1, 3]
    assert drop_duplicates([]) == []


def test_contributor_values_sum_exactly_whatever_the_order():
    values = [0.1, 1e16, 0.2, -1e16, 0.3]
    owners = [ALICE, BOB, ALICE, BOB, CAROL]
    assert contributor_values(values, owners) == {ALICE: 0.1 + 0.2, BOB: 0.0, CAROL: 0.3}
    reversed_ = contributor_values(values[::-1], owners[::-1])
    assert reversed_ == {CAROL: 0.3, BOB: 0.0, ALICE: 0.1 + 0.2}
    with pytest.raises(InputError, match="one owner per item"):
        contributor_values([1.0], [ALICE, BOB])


def test_values_to_weights_are_relative_shares():
    weights, flagged = values_to_weights({ALICE: 3e-5, BOB: 1e-5, CAROL: 0.0, NOISE: -2e-5})
    assert weights == {ALICE: 750_000, BOB: 250_000}
    assert flagged == {CAROL: 0.0, NOISE: -2e-5}
    assert values_to_weights({ALICE: 1.0, BOB: 1e-12})[0] == {ALICE: 10**6, BOB: 1}  # paid >= 1
    with pytest.raises(InputError, match="nobody to pay"):
        values_to_weights({ALICE: -1.0})
    with pytest.raises(InputError, match="2\\*\\*96"):
        values_to_weights({ALICE: 1.0}, scale=2**96)


def test_blend_mixes_shares():
    value, work = {ALICE: 3, BOB: 1}, {BOB: 1, CAROL: 1}
    assert blend(value, work, 1.0) == {ALICE: 750_000, BOB: 250_000}
    assert blend(value, work, 0.0) == {BOB: 500_000, CAROL: 500_000}
    assert blend(value, work, 0.5) == {ALICE: 375_000, BOB: 375_000, CAROL: 250_000}
    with pytest.raises(InputError, match="alpha"):
        blend(value, work, 1.5)


# -- Upstream shares and the method hash -----------------------------------------------------------


def test_leave_one_parent_out_shares_sum_to_10000():
    quality = {"a": 0.5, "b": 0.3, "c": 0.2, "d": 0.0}
    score = lambda parents: sum(quality[p] for p in parents)  # noqa: E731
    assert leave_one_parent_out(score, ["a", "b", "c", "d"]) == {
        "a": 5000,
        "b": 3000,
        "c": 2000,
        "d": 0,
    }
    thirds = leave_one_parent_out(lambda ps: len(ps) / 3, ["x", "y", "z"])
    assert thirds == {"x": 3334, "y": 3333, "z": 3333}  # the remainder to the earlier parent
    with pytest.raises(InputError, match="No parent"):
        leave_one_parent_out(lambda ps: 1.0, ["x", "y"])
    with pytest.raises(InputError, match="twice"):
        leave_one_parent_out(score, ["a", "a"])


def test_method_hash_commits_to_parameters_and_inputs():
    params = {"method": "knn-shapley", "k": 5, "dtype": "float32"}
    h = method_hash(params, b"train", b"test")
    assert len(h) == 32
    assert h == method_hash(dict(reversed(params.items())), b"train", b"test")  # key order
    assert h != method_hash({**params, "k": 6}, b"train", b"test")
    assert h != method_hash(params, b"test", b"train")
    assert h != method_hash(params, b"train", b"tesT")
    expected = hashlib.sha256(
        b'{"dtype":"float32","k":5,"method":"knn-shapley"}'
        + hashlib.sha256(b"train").digest()
        + hashlib.sha256(b"test").digest()
    ).digest()
    assert h == expected
    with pytest.raises(InputError, match="plain JSON"):
        method_hash({"k": float("nan")})
