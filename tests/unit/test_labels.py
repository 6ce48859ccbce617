"""seedbed.core.labels: import, gold commitments, aggregation, scores, weights, report."""

import json
import random
from collections import Counter
from pathlib import Path

import pytest

from seedbed.core.addresses import parse_address
from seedbed.core.errors import InputError
from seedbed.core.labels import (
    Annotation,
    Review,
    Rule,
    check_gold_reveal,
    dawid_skene,
    gold_commitment,
    majority_vote,
    quality_report,
    read_addresses,
    read_csv,
    read_label_studio,
    score,
    weights,
)
from seedbed.core.treefile import ContributorTree

CLASSES = ("bird", "cat", "dog", "fish")
SALT = bytes(range(32))


def address(i: int) -> str:
    return "0x" + f"{i + 1:040x}"


def campaign(seed: int = 17, items: int = 200, per_item: int = 5, people: int = 25):
    """A synthetic campaign: 20% uniform-random spammers, honest accuracy 0.75-0.95,
    wrong answers uniform, 10% of the items gold: annotations, gold, spammers, truth."""
    rng = random.Random(seed)
    truth = {f"item{i:04d}": rng.choice(CLASSES) for i in range(items)}
    names = [address(i) for i in range(people)]
    spammers = set(names[: people // 5])
    accuracy = {p: rng.uniform(0.75, 0.95) for p in names}
    gold = dict(sorted(truth.items())[: items // 10])
    annotations = []
    for item, true in sorted(truth.items()):
        for p in rng.sample(names, per_item):
            if p in spammers:
                label = rng.choice(CLASSES)
            elif rng.random() < accuracy[p]:
                label = true
            else:
                label = rng.choice([c for c in CLASSES if c != true])
            annotations.append(Annotation(item, p, label))
    return annotations, gold, spammers, truth


def share(w: dict[bytes, int], who: set[bytes]) -> float:
    return sum(w.get(a, 0) for a in who) / sum(w.values())


@pytest.mark.parametrize("method", ["majority", "dawid_skene"])
def test_spammers_lose_and_honest_keep_their_share(method):
    annotations, gold, spammers, _ = campaign()
    naive = Counter(parse_address(a.annotator) for a in annotations)  # pay per label
    paid = weights(annotations, gold, method=method)
    spam = {parse_address(s) for s in spammers}
    honest = set(naive) - spam
    assert share(paid, spam) <= 0.10 * share(naive, spam)  # spammers fall >= 90%
    assert share(paid, honest) >= 0.95 * share(naive, honest)  # honest lose <= 5%
    # and each of them too here (a weak one, realised accuracy ~0.7, can lose up to ~17%).
    assert min(share(paid, {h}) / share(naive, {h}) for h in honest) >= 0.95


def test_constant_answering_is_worth_nothing():
    annotations, gold, _, _ = campaign(seed=3)
    lazy = address(99)
    annotations += [Annotation(f"item{i:04d}", lazy, "cat") for i in range(0, 200, 4)]
    rows = {r.name: r for r in score(annotations, gold).scores}
    assert rows[lazy].kappa <= 0 and rows[lazy].quality == 0
    assert parse_address(lazy) not in weights(annotations, gold)


def test_scores_count_gold_agreement_and_reviews():
    a, b, c, boss = (address(i) for i in range(4))
    annotations = [Annotation("g1", p, "cat") for p in (a, b)] + [Annotation("g1", c, "dog")]
    annotations += [Annotation("x", p, "cat") for p in (a, b, c)]
    annotations += [Annotation("y", a, "dog"), Annotation("y", b, "cat"), Annotation("y", c, "cat")]
    reviews = [Review("x", a, boss, True), Review("y", a, boss, False)]
    rows = {r.name: r for r in score(annotations, {"g1": "cat"}, reviews).scores}
    assert (rows[a].gold_labels, rows[a].gold_correct, rows[c].gold_correct) == (1, 1, 0)
    assert (rows[a].agreement_checks, rows[a].agreements) == (2, 1)  # y: others say cat
    assert (rows[a].paid_labels, rows[a].rejected_labels, rows[b].paid_labels) == (1, 1, 2)
    assert (rows[boss].reviews_given, rows[boss].reviews_accepting, rows[boss].labels) == (2, 1, 0)
    paid = weights(annotations, {"g1": "cat"}, reviews)
    assert paid[parse_address(boss)] == 2 * 10**6 // 5  # 0.2 of a label per review


def test_majority_vote_breaks_ties_by_label_order():
    votes = [Annotation("i", "0xa", "dog"), Annotation("i", "0xb", "cat")]
    assert majority_vote(votes) == {"i": "cat"}  # alphabetical without an order
    assert majority_vote(list(reversed(votes))) == {"i": "cat"}
    assert majority_vote(votes, label_order=["dog", "cat"]) == {"i": "dog"}
    with pytest.raises(InputError, match="not in the label order"):
        majority_vote(votes, label_order=["dog"])


def test_dawid_skene_beats_majority_on_the_campaign():
    annotations, _, _, truth = campaign(seed=5)
    ds, mv = dawid_skene(annotations), majority_vote(annotations)
    assert set(ds) == set(mv) == set(truth)
    right = {name: sum(v[i] == truth[i] for i in truth) for name, v in (("ds", ds), ("mv", mv))}
    assert right["ds"] >= right["mv"] >= 0.8 * len(truth)
    assert dawid_skene(list(reversed(annotations))) == ds  # row order does not matter


def test_gold_commitment_opens_only_with_the_same_gold_and_salt():
    gold = {"b": "cat", "a": "dog"}
    c = gold_commitment(gold, SALT)
    assert len(c) == 32 and gold_commitment(dict(sorted(gold.items())), SALT) == c
    check_gold_reveal(c, gold, SALT)
    with pytest.raises(InputError, match="not the commitment"):
        check_gold_reveal(c, {**gold, "a": "cat"}, SALT)
    with pytest.raises(InputError, match="not the commitment"):
        check_gold_reveal(c, gold, bytes(32))
    with pytest.raises(InputError, match="32 bytes"):
        gold_commitment(gold, b"short")


def label_studio_export(annotations, reviews=()):
    tasks: dict[str, dict] = {}
    for n, a in enumerate(sorted(annotations)):
        task = tasks.setdefault(a.item, {"id": a.item, "data": {"text": a.item}, "annotations": []})
        entry = {
            "id": n,
            "completed_by": {"id": n, "email": a.annotator},
            "result": [{"from_name": "c", "type": "choices", "value": {"choices": [a.label]}}],
            "was_cancelled": False,
            "reviews": [
                {"created_by": r.reviewer, "accepted": r.accepted}
                for r in reviews
                if (r.item, r.annotator) == (a.item, a.annotator)
            ],
        }
        task["annotations"].append(entry)
    return list(tasks.values())


def test_label_studio_and_csv_round_trip_to_the_same_report(tmp_path: Path):
    annotations, gold, _, _ = campaign(seed=2, items=40)
    reviews = [Review(a.item, a.annotator, address(90), i % 3 > 0) for i, a in
               enumerate(annotations[::7])]  # fmt: skip
    export = label_studio_export(annotations, reviews)
    export[0]["annotations"].append(
        {"completed_by": 5, "result": [], "was_cancelled": True}  # skipped
    )
    (tmp_path / "ls.json").write_text(json.dumps(export))
    ls = read_label_studio(tmp_path / "ls.json")
    assert sorted(ls.annotations) == sorted(annotations)
    assert sorted(ls.reviews) == sorted(reviews)
    reviewed = {(r.item, r.annotator): r for r in reviews}
    lines = ["item,annotator,label,reviewer,verdict"]
    for a in annotations:
        r = reviewed.get((a.item, a.annotator))
        verdict = "" if r is None else ("accept" if r.accepted else "reject")
        lines.append(f"{a.item},{a.annotator},{a.label},{r.reviewer if r else ''},{verdict}")
    (tmp_path / "log.csv").write_text("\n".join(lines) + "\n")
    log = read_csv(tmp_path / "log.csv")
    assert sorted(log.annotations) == sorted(annotations)
    assert sorted(log.reviews) == sorted(reviews)
    one = quality_report(ls.annotations, gold, ls.reviews)
    two = quality_report(log.annotations[::-1], gold, log.reviews[::-1])
    assert one.to_json() == two.to_json()


def test_names_map_through_the_addresses_csv(tmp_path: Path):
    (tmp_path / "addresses.csv").write_text(f"name,address\nann,{address(1)}\nbob,{address(2)}\n")
    names = read_addresses(tmp_path / "addresses.csv")
    annotations = [Annotation("g", "ann", "cat"), Annotation("g", "bob", "dog")]
    annotations += [Annotation(f"i{i}", p, "cat") for i in range(3) for p in ("ann", "bob")]
    paid = weights(annotations, {"g": "cat"}, addresses=names, z="0")
    assert set(paid) <= {parse_address(address(1)), parse_address(address(2))}
    with pytest.raises(InputError, match="have no address: 'ann', 'bob'"):
        weights(annotations, {"g": "cat"})


def test_report_and_root_are_reproducible_byte_for_byte():
    annotations, gold, _, _ = campaign(seed=9)
    shuffled = random.Random(1).sample(annotations, len(annotations))
    reports = [
        quality_report(rows, gold, rule=Rule(method="dawid_skene"))
        for rows in (annotations, annotations[::-1], shuffled)
    ]
    assert len({r.to_json() for r in reports}) == 1
    assert len({r.tree.root for r in reports}) == 1 and len({r.method_hash for r in reports}) == 1
    report = json.loads(reports[0].to_json())
    assert report["root"] == "0x" + ContributorTree.build(reports[0].weights).root.hex()
    assert set(report["inputs"]) == {"annotations", "gold", "reviews", "addresses"}
    other = quality_report(annotations, gold, rule=Rule(method="dawid_skene", z="1.5"))
    assert other.method_hash != reports[0].method_hash  # the parameters are hashed


BAD_LABEL_STUDIO = [
    ("{}", "a JSON list of tasks"),
    ("[{}]", "with an id"),
    ('[{"id": 1, "annotations": [{"completed_by": 3, "result": []}]}]', "exactly one choice"),
    ('[{"id": 1, "annotations": [{"result": [{"value": {"choices": ["a"]}}]}]}]', "no user"),
    ("[1,", "not valid JSON"),
    (
        '[{"id": 1, "annotations": [{"completed_by": 3, "result": [{"value": {"choices": '
        '["a"]}}], "reviews": [{"created_by": 4}]}]}]',
        "no accepted flag",
    ),
    (
        '[{"id": 1, "annotations": [{"completed_by": 3, "result": [{"value": {"choices": '
        '["a"]}}]}, {"completed_by": 3, "result": [{"value": {"choices": ["b"]}}]}]}]',
        "labelled item '1' twice",
    ),
]


@pytest.mark.parametrize(("text", "message"), BAD_LABEL_STUDIO)
def test_bad_label_studio_export_is_an_input_error(text, message):
    with pytest.raises(InputError, match=message):
        read_label_studio(text)


BAD_CSV = [
    ("item,who,label\n", "the header must be"),
    ("item,annotator,label\na,0x1\n", "expected 3 columns"),
    ("item,annotator,label\na,0x1,cat\na,0x1,dog\n", "already labelled"),
    ("item,annotator,label,reviewer,verdict\na,0x1,cat,0x2,maybe\n", "not accept or reject"),
    ("item,annotator,label,reviewer,verdict\na,0x1,cat,,accept\n", "without a reviewer"),
    ("item,annotator,label,reviewer,verdict\na,0x1,cat,0x1,accept\n", "their own label"),
    ('item,annotator,label\n"a,0x1,cat\n', "malformed CSV"),
]


@pytest.mark.parametrize(("text", "message"), BAD_CSV)
def test_bad_csv_is_an_input_error(tmp_path: Path, text, message):
    (tmp_path / "bad.csv").write_text(text)
    with pytest.raises(InputError, match=message):
        read_csv(tmp_path / "bad.csv")


def test_bad_rule_and_missing_file_are_input_errors(tmp_path: Path):
    with pytest.raises(InputError, match="Unknown method"):
        Rule(method="vibes")
    with pytest.raises(InputError, match="full_kappa"):
        Rule(full_kappa="0")
    with pytest.raises(InputError, match="Cannot read"):
        read_csv(tmp_path / "missing.csv")
    with pytest.raises(InputError, match="no annotations"):
        weights([], {})
