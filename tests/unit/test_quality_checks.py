"""The validator's checks, pure: Croissant validity, duplicates, label noise, the method hash."""

from __future__ import annotations

import json

import pytest

from seedbed.core import quality_checks as qc
from seedbed.core.croissant import croissant, metadata_hash
from seedbed.core.errors import InputError
from seedbed.core.labels.model import Annotation
from seedbed.core.manifest import FileEntry, Manifest, build_manifest, write_manifest


def manifest(*files: tuple[str, bytes, int]) -> Manifest:
    return Manifest.from_files(FileEntry(p, h, n) for p, h, n in files)


A = manifest(("a.csv", b"\x01" * 32, 10), ("b.csv", b"\x02" * 32, 20))


def test_a_croissant_made_from_the_manifest_is_valid_and_each_defect_is_named():
    doc = croissant(A, "trees", "city trees", "CC-BY-4.0")
    assert qc.croissant_problems(doc, A, metadata_hash(doc)) == []
    cases = {
        "@type": ("sc:Thing", "@type"),
        "conformsTo": ("http://example.org", "conformsTo"),
        "name": ("  ", "name"),
        "seedbed:contentRoot": ("0x" + "00" * 32, "contentRoot"),
    }
    for key, (value, word) in cases.items():
        bad = {**doc, key: value}
        assert any(word in p for p in qc.croissant_problems(bad, A, metadata_hash(bad))), key
    wrong = json.loads(json.dumps(doc))
    wrong["distribution"][0]["sha256"] = "00" * 32
    assert any("distribution" in p for p in qc.croissant_problems(wrong, A, metadata_hash(wrong)))
    assert any("metadata hash" in p for p in qc.croissant_problems(doc, A, b"\x00" * 32))
    assert qc.croissant_problems([], A, b"") == ["the document is not a JSON object"]


def test_duplicates_match_content_not_names_and_skip_the_asset_itself():
    other = manifest(("renamed.csv", b"\x01" * 32, 10), ("c.csv", b"\x03" * 32, 5))
    same_hash_other_size = manifest(("x.csv", b"\x02" * 32, 21))
    found = qc.duplicates(A, [other, same_hash_other_size, A])
    assert len(found) == 1 and found[0].startswith("a.csv = renamed.csv")


def test_label_noise_is_the_share_of_items_without_a_majority_behind_their_label():
    three = [Annotation("i", w, "a") for w in "xyz"]
    careless = [Annotation("j", "x", "a"), Annotation("j", "y", "a"), Annotation("j", "z", "b")]
    split = [Annotation("k", "x", "a"), Annotation("k", "y", "b"), Annotation("k", "z", "c")]
    pair = [Annotation("m", "x", "a"), Annotation("m", "y", "b")]
    agg = {"i": "a", "j": "a", "k": "a", "m": "a"}
    assert qc.label_noise_bps(three + careless, agg) == 0  # one careless of three: not noisy
    assert qc.label_noise_bps(three + careless + split, agg) == 3_334  # 1 of 3, rounded up
    assert qc.label_noise_bps(pair, agg) == 10_000  # a tie backs no label
    assert qc.label_noise_bps(three, {"i": "b"}) == 10_000
    with pytest.raises(InputError):
        qc.label_noise_bps([], {})


def test_a_check_is_reproducible_and_its_hash_covers_inputs_and_thresholds(tmp_path):
    folder = tmp_path / "d"
    folder.mkdir()
    (folder / "f.txt").write_text("hello")
    m = build_manifest(folder)
    write_manifest(m, tmp_path / "manifest.json")
    doc = croissant(m, "d", "data", "MIT")
    (tmp_path / "croissant.json").write_text(json.dumps(doc))
    args = (1, m.root, metadata_hash(doc), folder, tmp_path / "manifest.json",
            tmp_path / "croissant.json")  # fmt: skip
    one, two = qc.check_asset(*args), qc.check_asset(*args)
    assert one.passed and one.to_json() == two.to_json()
    strict = qc.check_asset(*args, thresholds=qc.Thresholds(max_noise_bps=0))
    assert strict.method_hash != one.method_hash
    with pytest.raises(InputError, match="another version"):
        qc.check_asset(2, b"\x09" * 32, *args[2:])
