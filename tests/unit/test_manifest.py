"""Manifests of dataset folders: walking, hashing, the root, the JSON file, and verify()."""

import hashlib
import json
import os

import pytest
from treeref import K, u

from seedbed.core import manifest as manifest_module
from seedbed.core.errors import InputError
from seedbed.core.manifest import (
    CHUNK,
    FileEntry,
    Manifest,
    build_manifest,
    folder_rules,
    read_manifest,
    verify,
    write_manifest,
)
from seedbed.core.merkle import verify_proof

BIG = bytes(range(256)) * (CHUNK // 256 * 2 + 37)  # > 2 MiB, not a whole number of chunks

CONTENT = {
    "README.md": b"# demo\n",
    "train/a.csv": b"id,label\n1,cat\n",
    "train/b.csv": b"id,label\n2,dog\n",
    "train/deep/er/x.txt": b"deep",
    "empty.txt": b"",
    "big.bin": BIG,
    "donn\u00e9es/\u00e9t\u00e9.csv": "caf\u00e9".encode(),
    "\u65e5\u672c/\u30c7\u30fc\u30bf.txt": b"nihon",
    "sub/.seedbed/kept.txt": b"only the top-level .seedbed is excluded",
}


def make(folder, files=CONTENT):
    for rel, data in files.items():
        path = folder / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
    return folder


@pytest.fixture
def dataset(tmp_path):
    folder = make(tmp_path / "ds")
    make(folder, {".seedbed/manifest.json": b"ours, skipped"})
    return folder


def hand_root(files):
    """Root per the encoding, by hand: sorted UTF-8 paths, 0x00 leaves, sorted 0x01 pairs."""
    level = [
        K(b"\x00" + K(p.encode()) + hashlib.sha256(d).digest() + u(len(d), 8))
        for p, d in sorted(files.items(), key=lambda item: item[0].encode())
    ]
    while len(level) > 1:
        pairs = [level[i : i + 2] for i in range(0, len(level), 2)]
        level = [K(b"\x01" + min(p) + max(p)) if len(p) == 2 else p[0] for p in pairs]
    return level[0]


def test_manifest_lists_every_file_sorted_with_hash_and_size(dataset):
    m = build_manifest(dataset)
    assert [f.path for f in m.files] == sorted(CONTENT, key=lambda p: p.encode())
    for f in m.files:
        assert f.sha256 == hashlib.sha256(CONTENT[f.path]).digest()
        assert f.size == len(CONTENT[f.path])
    assert m.count == len(CONTENT)
    assert m.total_bytes == sum(map(len, CONTENT.values()))
    assert m.root == hand_root(CONTENT)


def test_sort_is_by_utf8_bytes(tmp_path):
    names = ["a/b", "a-b", "a.b", "B.txt", "a\u00e9", "az", "\u65e5"]
    m = build_manifest(make(tmp_path, dict.fromkeys(names, b"x")))
    assert [f.path for f in m.files] == ["B.txt", "a-b", "a.b", "a/b", "az", "a\u00e9", "\u65e5"]


@pytest.mark.parametrize("workers", [1, 3])
def test_worker_count_does_not_change_the_result(dataset, workers):
    assert build_manifest(dataset, workers=workers).root == hand_root(CONTENT)


def test_progress_reaches_the_total(dataset):
    calls = []
    build_manifest(dataset, progress=lambda done, total: calls.append((done, total)))
    total = sum(map(len, CONTENT.values()))
    assert calls[-1] == (total, total)
    assert [d for d, _ in calls] == sorted(d for d, _ in calls)


def test_every_file_proof_verifies(dataset):
    m = build_manifest(dataset)
    for f in m.files:
        assert verify_proof(f.leaf, m.proof(f.path), m.root)
    with pytest.raises(InputError, match="not a file of this manifest"):
        m.proof("nope")


def test_folder_errors(tmp_path):
    with pytest.raises(InputError, match="does not exist"):
        build_manifest(tmp_path / "missing")
    (tmp_path / "file.txt").write_text("x")
    with pytest.raises(InputError, match="is not a folder"):
        build_manifest(tmp_path / "file.txt")
    empty = tmp_path / "empty"
    (empty / "sub" / "deeper").mkdir(parents=True)
    with pytest.raises(InputError, match="has no files"):
        build_manifest(empty)
    make(empty, {".seedbed/state.json": b"{}"})
    with pytest.raises(InputError, match="has no files"):
        build_manifest(empty)
    with pytest.raises(InputError, match="at least 1"):
        build_manifest(tmp_path, workers=0)


def test_symlinks_are_refused_all_at_once_by_default(dataset, tmp_path):
    outside = tmp_path / "secret.txt"
    outside.write_text("outside")
    for i in range(7):
        os.symlink(outside, dataset / "train" / f"link{i}.txt")
    os.symlink(tmp_path, dataset / "loop")
    os.mkfifo(dataset / "pipe")
    with pytest.raises(InputError) as info:
        build_manifest(dataset)
    message = str(info.value)
    assert "\n" not in message
    assert "1 special file, 8 symbolic links" in message
    assert "loop (symbolic link), pipe (special file), train/link0.txt (symbolic link)" in message
    assert "and 4 more" in message
    assert "--symlinks follow" in message and "--symlinks skip" in message


def test_skipped_links_and_special_files_are_listed_as_excluded(dataset, tmp_path):
    os.symlink(tmp_path, dataset / "loop")
    os.symlink(dataset / "README.md", dataset / "train" / "readme-link")
    os.mkfifo(dataset / "pipe")
    m = build_manifest(dataset, symlinks="skip")
    assert m.root == hand_root(CONTENT)
    assert m.excluded.symlinks == "skip"
    assert m.excluded.paths == (
        (".seedbed/manifest.json", "/.seedbed/"),
        ("loop", "<symlink>"),
        ("pipe", "<special file>"),
        ("train/readme-link", "<symlink>"),
    )
    assert m.excluded.summary() == (
        "excluded 4 files: <symlink> (2), /.seedbed/ (1), <special file> (1)"
    )


def test_followed_links_inside_the_folder_are_hashed_under_their_own_path(dataset):
    os.symlink(dataset / "README.md", dataset / "readme-link")
    os.symlink("deep", dataset / "train" / "shallow")  # relative, to a folder
    m = build_manifest(dataset, symlinks="follow")
    want = {
        **CONTENT,
        "readme-link": CONTENT["README.md"],
        "train/shallow/er/x.txt": CONTENT["train/deep/er/x.txt"],
    }
    assert m.root == hand_root(want)


def test_follow_refuses_links_outside_broken_looping_and_special_files(dataset, tmp_path):
    (tmp_path / "secret.txt").write_text("outside")
    os.symlink(tmp_path / "secret.txt", dataset / "out")
    os.symlink(dataset / "nothing-here", dataset / "broken")
    os.symlink("..", dataset / "train" / "up")  # the folder itself: a loop
    os.mkfifo(dataset / "pipe")
    with pytest.raises(InputError) as info:
        build_manifest(dataset, symlinks="follow")
    message = str(info.value)
    assert "1 broken link, 1 link loop, 1 link out of the folder, 1 special file" in message
    for part in (
        "broken (broken link)",
        "out (link out of the folder)",
        "pipe (special file)",
        "train/up (link loop)",
    ):
        assert part in message
    assert "only links to files or folders inside the folder can be followed" in message


def test_special_files_are_refused_unless_skipped(dataset):
    os.mkfifo(dataset / "pipe")
    with pytest.raises(InputError, match=r"1 special file that cannot be registered: pipe"):
        build_manifest(dataset)
    with pytest.raises(InputError, match="pipe \\(special file\\)"):
        build_manifest(dataset, symlinks="follow")
    assert build_manifest(dataset, symlinks="skip").root == hand_root(CONTENT)


def test_a_symlink_matched_by_an_exclude_rule_is_excluded_not_refused(dataset, tmp_path):
    os.symlink(tmp_path, dataset / "cache")
    m = build_manifest(dataset, rules=["/.seedbed/", "cache"])
    assert ("cache", "cache") in m.excluded.paths


def test_unknown_symlink_mode_is_refused(dataset):
    with pytest.raises(InputError, match="symlinks must be one of"):
        build_manifest(dataset, symlinks="sometimes")


def test_default_excludes_are_recorded_with_the_rule_of_each_path(dataset):
    make(
        dataset,
        {
            "pkg/__pycache__/a.cpython-312.pyc": b"x",
            "pkg/__pycache__/b.cpython-312.pyc": b"x",
            "tool.pyc": b"x",
            ".git/HEAD": b"ref",
            ".git/objects/ab/cdef": b"obj",
            "train/.DS_Store": b"mac",
        },
    )
    m = build_manifest(dataset)
    assert m.root == hand_root(CONTENT)
    assert dict(m.excluded.counts) == {
        "__pycache__/": 2,
        ".git/": 2,
        "/.seedbed/": 1,
        "*.pyc": 1,
        ".DS_Store": 1,
    }
    assert ("pkg/__pycache__/a.cpython-312.pyc", "__pycache__/") in m.excluded.paths
    assert m.excluded.summary().startswith("excluded 7 files: .git/ (2), __pycache__/ (2), ")
    assert m.excluded.rules == ("/.seedbed/", "__pycache__/", "*.pyc", ".git/", ".DS_Store")


def test_no_default_excludes_keeps_everything_but_our_own_folder(dataset):
    extra = {"tool.pyc": b"x", ".git/HEAD": b"ref"}
    make(dataset, extra)
    m = build_manifest(dataset, rules=folder_rules(dataset, defaults=False))
    assert m.root == hand_root({**CONTENT, **extra})
    assert m.excluded.paths == ((".seedbed/manifest.json", "/.seedbed/"),)


def test_ignore_file_and_extra_patterns_apply_in_order(dataset):
    make(
        dataset,
        {
            ".seedbedignore": b"# scratch\n\n*.tmp\nlogs/\n!keep.tmp\n",
            "a.tmp": b"t",
            "train/keep.tmp": b"k",
            "logs/run.txt": b"l",
            "notes.bak": b"b",
        },
    )
    rules = folder_rules(dataset, ["*.bak", "!notes.bak", "*.bak"])
    assert rules[-6:] == ["*.tmp", "logs/", "!keep.tmp", "*.bak", "!notes.bak", "*.bak"]
    m = build_manifest(dataset, rules=rules)
    paths = {f.path for f in m.files}
    assert ".seedbedignore" in paths and "train/keep.tmp" in paths
    assert not paths & {"a.tmp", "logs/run.txt", "notes.bak"}
    assert dict(m.excluded.paths or ())["notes.bak"] == "*.bak"


def test_excluded_listing_becomes_counts_beyond_the_limit(dataset, monkeypatch):
    monkeypatch.setattr(manifest_module, "LISTED_LIMIT", 3)
    make(dataset, {f"cache/{i}.bin": b"x" for i in range(5)})
    m = build_manifest(dataset, rules=["/.seedbed/", "cache/"])
    assert m.excluded.paths is None
    assert dict(m.excluded.counts) == {"cache/": 5, "/.seedbed/": 1}
    assert "paths" not in m.to_json()["excluded"]
    assert m.to_json()["excluded"]["count"] == 6


def test_excluded_section_round_trips_through_the_json_file(dataset, tmp_path):
    make(dataset, {"x.pyc": b"x"})
    m = build_manifest(dataset)
    path = tmp_path / "manifest.json"
    write_manifest(m, path)
    data = json.loads(path.read_text())
    assert data["excluded"]["paths"][-1] == {"path": "x.pyc", "pattern": "*.pyc"}
    assert read_manifest(path) == m


def test_a_manifest_without_an_excluded_section_still_reads(dataset, tmp_path):
    data = build_manifest(dataset).to_json()
    del data["excluded"]
    path = tmp_path / "old.json"
    path.write_text(json.dumps(data))
    assert read_manifest(path).excluded is None


def test_verify_walks_with_the_rules_the_manifest_records(dataset):
    make(dataset, {"scratch/a.txt": b"a"})
    m = build_manifest(dataset, rules=["/.seedbed/", "scratch/"])
    make(dataset, {"scratch/b.txt": b"b"})  # still excluded: verify uses the recorded rules
    assert verify(dataset, m).ok
    assert not verify(dataset, m.root).ok  # a bare root: the default rules keep scratch/


def test_unreadable_file_is_named(dataset, monkeypatch):
    real_open = open

    def fake_open(path, *args, **kwargs):
        if str(path).endswith("b.csv"):
            raise PermissionError(13, "Permission denied")
        return real_open(path, *args, **kwargs)

    # `open` resolves in the module's globals first: this reaches only manifest.py's reads.
    monkeypatch.setattr(manifest_module, "open", fake_open, raising=False)
    with pytest.raises(InputError, match="Cannot read the file train/b.csv: Permission denied"):
        build_manifest(dataset, workers=2)


def test_unlistable_folder_is_named(dataset, monkeypatch):
    real_scandir = os.scandir

    def fake_scandir(path):
        if str(path).endswith("deep"):
            raise PermissionError(13, "Permission denied")
        return real_scandir(path)

    monkeypatch.setattr(os, "scandir", fake_scandir)
    with pytest.raises(InputError, match="Cannot list the folder .*deep: Permission denied"):
        build_manifest(dataset)


def test_non_utf8_file_names_are_refused(tmp_path):
    folder = tmp_path / "ds"
    folder.mkdir()
    (folder / "ok.txt").write_text("x")
    with open(os.path.join(os.fsencode(folder), b"bad\xff.txt"), "wb") as f:
        f.write(b"x")
    with pytest.raises(InputError, match="not valid UTF-8"):
        build_manifest(folder)


# -- JSON ----------------------------------------------------------------------------------------


def test_json_round_trip(dataset, tmp_path):
    m = build_manifest(dataset)
    path = tmp_path / "manifest.json"
    write_manifest(m, path)
    data = json.loads(path.read_text(encoding="utf-8"))
    assert data["version"] == 1
    assert data["root"] == "0x" + m.root.hex()
    assert data["count"] == m.count and data["bytes"] == m.total_bytes
    assert data["files"][0] == {
        "path": m.files[0].path,
        "sha256": m.files[0].sha256.hex(),
        "size": m.files[0].size,
    }
    assert read_manifest(path) == m
    assert [p.name for p in tmp_path.iterdir() if p.name.endswith(".tmp")] == []


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        (lambda d: d.update(version=2), "not a version 1"),
        (lambda d: d.update(files=[]), "lists no files"),
        (lambda d: d.update(root="0x" + "00" * 32), "root that does not match"),
        (lambda d: d.update(count=1), "count or byte total"),
        (lambda d: d.update(bytes=1), "count or byte total"),
        (lambda d: d["files"].reverse(), "not list its files in path order"),
        (lambda d: d["files"][0].update(sha256="zz"), "file entry 0 needs"),
        (lambda d: d["files"][1].update(size=-1), "file entry 1 needs"),
        (lambda d: d["files"][1].update(size=True), "file entry 1 needs"),
        (lambda d: d["files"][1].pop("path"), "file entry 1 needs"),
        (lambda d: d["files"].append(d["files"][0]), "appears twice"),
        (lambda d: d["files"][0].update(path="../x"), "unsafe path '../x'"),
        (lambda d: d["files"][0].update(path="/etc/x"), "unsafe path"),
        (lambda d: d["files"][0].update(path="a//b"), "unsafe path"),
        (lambda d: d["files"][0].update(path=""), "unsafe path"),
    ],
)
def test_inconsistent_manifests_are_refused(dataset, tmp_path, edit, message):
    path = tmp_path / "manifest.json"
    data = build_manifest(dataset).to_json()
    edit(data)
    path.write_text(json.dumps(data))
    with pytest.raises(InputError, match=message):
        read_manifest(path)


def test_unreadable_manifests(tmp_path):
    with pytest.raises(InputError, match="Cannot read the manifest"):
        read_manifest(tmp_path / "missing.json")
    bad = tmp_path / "bad.json"
    bad.write_text("{not json")
    with pytest.raises(InputError, match="not valid JSON"):
        read_manifest(bad)


def test_from_files_sorts_and_refuses_empty():
    a = FileEntry("b", bytes(32), 1)
    b = FileEntry("a", bytes(32), 2)
    assert [f.path for f in Manifest.from_files([a, b]).files] == ["a", "b"]
    with pytest.raises(InputError, match="at least one file"):
        Manifest.from_files([])


# -- verify --------------------------------------------------------------------------------------


def test_verify_unchanged_folder(dataset):
    m = build_manifest(dataset)
    report = verify(dataset, m)
    assert report.ok and report.per_file and report.root_matches
    assert (report.changed, report.missing, report.extra) == ((), (), ())


def test_verify_reports_changed_missing_and_extra(dataset, tmp_path):
    m = build_manifest(dataset)
    path = tmp_path / "manifest.json"
    write_manifest(m, path)
    (dataset / "train" / "a.csv").write_bytes(b"id,label\n1,dog\n")  # same size, new bytes
    (dataset / "empty.txt").write_bytes(b"now not empty")
    (dataset / "README.md").unlink()
    (dataset / "train" / "new.csv").write_bytes(b"new")
    (dataset / ".seedbed" / "other.json").write_bytes(b"ignored")
    for expected in (m, path, str(path)):
        report = verify(dataset, expected)
        assert not report.ok and not report.root_matches
        assert report.changed == ("empty.txt", "train/a.csv")
        assert report.missing == ("README.md",)
        assert report.extra == ("train/new.csv",)


def test_verify_against_a_bare_root(dataset):
    root = build_manifest(dataset).root
    for expected in (root, "0x" + root.hex()):
        report = verify(dataset, expected)
        assert report.ok and not report.per_file
    (dataset / "train" / "a.csv").write_bytes(b"changed")
    report = verify(dataset, root)
    assert not report.ok and not report.root_matches
    assert report.changed == ()  # unknown without the manifest


def test_verify_an_emptied_folder_reports_everything_missing(dataset):
    m = build_manifest(dataset)
    for f in m.files:
        (dataset / f.path).unlink()
    report = verify(dataset, m)
    assert report.actual_root is None and not report.ok
    assert report.missing == tuple(f.path for f in m.files)


def test_verify_input_errors(dataset, tmp_path):
    with pytest.raises(InputError, match="not a content root"):
        verify(dataset, "0x1234")
    with pytest.raises(InputError, match="32 bytes"):
        verify(dataset, b"\x00" * 31)
    with pytest.raises(InputError, match="Cannot read the manifest"):
        verify(dataset, tmp_path / "none.json")
    with pytest.raises(InputError, match="does not exist"):
        verify(tmp_path / "gone", b"\x00" * 32)
