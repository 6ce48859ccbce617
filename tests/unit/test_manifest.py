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
    "sub/.seedbed/kept.txt": b"only the top-level .seedbed is skipped",
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


def test_symlinks_are_refused(dataset, tmp_path):
    outside = tmp_path / "secret.txt"
    outside.write_text("outside")
    os.symlink(outside, dataset / "train" / "link.txt")
    with pytest.raises(InputError, match="train/link.txt is a symbolic link"):
        build_manifest(dataset)


def test_linked_folders_are_refused(dataset, tmp_path):
    os.symlink(tmp_path, dataset / "loop")
    with pytest.raises(InputError, match="loop is a symbolic link"):
        build_manifest(dataset)


def test_special_files_are_refused(dataset):
    os.mkfifo(dataset / "pipe")
    with pytest.raises(InputError, match="pipe is not a regular file"):
        build_manifest(dataset)


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
