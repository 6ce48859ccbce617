"""seedbed.workflows.registration without a chain: parsing, lineage rules, license matching, output
layout, preparing a folder, writing outputs, and the chain checks against fake contracts."""

import json
from types import SimpleNamespace

import pytest
from registry_helpers import write_folder

from seedbed.core.constants import MODEL
from seedbed.core.errors import ChainError, InputError
from seedbed.core.keccak import keccak
from seedbed.core.manifest import build_manifest, read_manifest
from seedbed.core.treefile import ContributorTree
from seedbed.workflows import registration as reg

ME = "0x" + "11" * 20
YOU = "0x" + "22" * 20


# -- parsing ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text, bps",
    [
        ("2500", 2500),
        ("25%", 2500),
        ("12.5%", 1250),
        ("0.01%", 1),
        ("100%", 10_000),
        (" 7 ", 7),
        ("3.10%", 310),
    ],
)
def test_parse_share(text, bps):
    assert reg.parse_share(text) == bps


@pytest.mark.parametrize(
    "text",
    ["0", "0%", "10001", "100.01%", "0.001%", "-5", "1.5", "abc", "", "25 %", "1e3", "\u0665"],
)
def test_parse_share_refuses(text):
    with pytest.raises(InputError):
        reg.parse_share(text)


def test_parse_id():
    assert reg.parse_id(" 42 ", "an asset id") == 42
    for bad in ("0", "-1", "1.0", "x", "", "\u0663"):
        with pytest.raises(InputError, match="an asset id"):
            reg.parse_id(bad, "an asset id")


def test_parse_parents_inline_and_in_order():
    assert reg.parse_parents(["3:25%", "5", "8:100", "9"], ["10%", "2000"]) == [
        (3, 2500),
        (5, 1000),
        (8, 100),
        (9, 2000),
    ]
    assert reg.parse_parents([], []) == []


@pytest.mark.parametrize(
    "parents, shares", [(["3"], []), (["3:10%"], ["5"]), ([], ["5"]), (["3", "4"], ["5"])]
)
def test_parse_parents_needs_one_share_each(parents, shares):
    with pytest.raises(InputError, match="--share"):
        reg.parse_parents(parents, shares)


def test_parse_parents_refuses_bad_ids():
    with pytest.raises(InputError, match="parent asset id"):
        reg.parse_parents(["x:10"], [])


def test_check_lineage():
    reg.check_lineage([(i, 625) for i in range(1, 17)])  # 16 parents, exactly 100%
    cases = [
        ([(i, 1) for i in range(1, 18)], "at most 16"),
        ([(1, 10), (2, 10), (1, 20)], "named twice"),
        ([(1, 0)], "1 to 10000"),
        ([(1, 6000), (2, 4001)], "over 100%"),
    ]
    for links, message in cases:
        with pytest.raises(InputError, match=message):
            reg.check_lineage(links)


def test_licenses_match_parents_by_their_asset_in_any_order():
    assert reg.match_licenses([3, 5, 7], foreign=[3, 7], licenses={11: 7, 10: 3}) == {3: 10, 7: 11}
    assert reg.match_licenses([3], foreign=[], licenses={}) == {}


@pytest.mark.parametrize(
    "foreign, licenses, message",
    [
        ([3], {}, "Parent 3 is not yours"),
        ([3], {10: 4}, "License 10 is for asset 4"),
        ([3], {10: 3, 11: 3}, "both for parent 3"),
        ([], {10: 3}, "You own parent 3.*--license 10"),
    ],
)
def test_license_matching_refuses(foreign, licenses, message):
    with pytest.raises(InputError, match=message):
        reg.match_licenses([3], foreign=foreign, licenses=licenses)


# -- output layout -----------------------------------------------------------------------------


@pytest.fixture
def two(tmp_path):
    a = write_folder(tmp_path / "alpha", {"a.txt": b"a"})
    b = write_folder(tmp_path / "beta", {"b.txt": b"b"})
    return a, b


def test_default_layout_writes_into_each_folder(two):
    a, b = two
    targets = reg.plan_outputs([a, b])
    assert [t.out_dir for t in targets] == [a / ".seedbed", b / ".seedbed"]
    assert [t.name for t in targets] == ["alpha", "beta"]
    # No --uri-base: no URI at all, never a path on the publisher's machine.
    assert [t.metadata_uri for t in targets] == ["", ""]
    assert [t.contributors for t in targets] == [None, None]


def test_out_and_uri_base(two, tmp_path):
    a, b = two
    (one,) = reg.plan_outputs([a], out=tmp_path / "o", uri_base="ipfs://cid/")
    assert one.out_dir == tmp_path / "o"
    assert one.metadata_uri == "ipfs://cid/croissant.json"
    many = reg.plan_outputs([a, b], out=tmp_path / "o", uri_base="https://x.org/{name}/")
    assert [t.out_dir for t in many] == [tmp_path / "o" / "alpha", tmp_path / "o" / "beta"]
    assert [t.metadata_uri for t in many] == [
        "https://x.org/alpha/croissant.json",
        "https://x.org/beta/croissant.json",
    ]


def test_contributors_files_one_for_all_or_one_each(two, tmp_path):
    a, b = two
    c1, c2 = tmp_path / "c1.csv", tmp_path / "c2.csv"
    assert [t.contributors for t in reg.plan_outputs([a, b], contributors=[c1])] == [c1, c1]
    assert [t.contributors for t in reg.plan_outputs([a, b], contributors=[c1, c2])] == [c1, c2]
    with pytest.raises(InputError, match="3 --contributors files for 2 folders"):
        reg.plan_outputs([a, b], contributors=[c1, c2, c1])


def test_layout_refusals(two, tmp_path):
    a, b = two
    (tmp_path / "file").write_text("x")
    twin = write_folder(tmp_path / "other" / "alpha", {"x": b"x"})
    cases = [
        (dict(folders=[]), "at least one folder"),
        (dict(folders=[tmp_path / "nope"]), "does not exist"),
        (dict(folders=[tmp_path / "file"]), "is not a folder"),
        (dict(folders=[a, b], uri_base="ipfs://cid/"), r"\{name\}"),
        (dict(folders=[a, a]), "named twice"),
        (dict(folders=[a, twin], out=tmp_path / "o"), "(?i)two folders would write to"),
        (dict(folders=[a], out=a / "meta"), "inside"),
        (dict(folders=[a], out=a), "inside"),
    ]
    for kwargs, message in cases:
        with pytest.raises(InputError, match=message):
            reg.plan_outputs(**kwargs)
    # Our own work folder inside the dataset is fine: the manifest skips it.
    assert reg.plan_outputs([a], out=a / ".seedbed")[0].out_dir == a / ".seedbed"


# -- preparing and writing -------------------------------------------------------------------


FILES = {"README.md": b"# x\n", "data/a.csv": b"id\n1\n", "data/b.csv": b"id\n2\n"}


def test_prepare_defaults_to_the_publisher_alone(tmp_path):
    folder = write_folder(tmp_path / "ds", FILES)
    (target,) = reg.plan_outputs([folder])
    item = reg.prepare(target, kind=MODEL, spdx="MIT", publisher=ME)
    assert item.content_root == build_manifest(folder).root
    assert list(item.tree.items()) == [(bytes.fromhex(ME[2:]), 1)]
    doc = json.loads(item.metadata)
    assert doc["name"] == "ds"
    assert doc["license"] == "https://spdx.org/licenses/MIT.html"
    assert doc["seedbed:contentRoot"] == "0x" + item.content_root.hex()
    assert sorted(d["name"] for d in doc["distribution"]) == sorted(FILES)
    assert item.metadata_hash == keccak(item.metadata)
    kind, content, salt, top, uri, digest, links = item.register_args([reg.ParentLink(4, 100, 9)])
    assert (kind, content, salt, top) == (MODEL, item.content_root, bytes(32), item.tree.top())
    assert (uri, digest, links) == (target.metadata_uri, item.metadata_hash, [(4, 100, 9)])
    assert not target.out_dir.exists()  # nothing written while preparing


def test_prepare_reads_the_contributors_file(tmp_path):
    folder = write_folder(tmp_path / "ds", FILES)
    people = tmp_path / "people.csv"
    people.write_text(f"address,weight\n{ME},3\n{YOU},5\n")
    (target,) = reg.plan_outputs([folder], contributors=[people])
    item = reg.prepare(
        target,
        kind=0,
        spdx="cc-by-4.0",
        publisher=YOU,
        name="Birds",
        description="Birds of the marsh.",
    )
    assert item.tree.total == 8 and item.tree.count == 2
    doc = json.loads(item.metadata)
    assert (doc["name"], doc["description"]) == ("Birds", "Birds of the marsh.")


@pytest.mark.parametrize(
    "csv_text, message",
    [
        ('address,weight\n"0x11,3\n', "malformed CSV"),
        ("address,weight\n0x" + "aB" * 20 + ",3\n", "checksum"),
        (f"address,weight\n{ME},0\n", "zero"),
        (f"address,weight\n{ME},-2\n", "not a positive whole number"),
        (f"address,weight\n{ME},1.5\n", "not a positive whole number"),
        (f"address,item,accepted\n{ME},x,0\n", "every weight is zero"),
    ],
)
def test_prepare_refuses_bad_contributors(tmp_path, csv_text, message):
    folder = write_folder(tmp_path / "ds", FILES)
    people = tmp_path / "people.csv"
    people.write_text(csv_text)
    (target,) = reg.plan_outputs([folder], contributors=[people])
    with pytest.raises(InputError, match=message):
        reg.prepare(target, kind=0, spdx="MIT", publisher=ME)


@pytest.mark.parametrize(
    ("uri_base", "message"),
    [
        ("file:///home/me/", "a file on this machine"),
        ("no-scheme/", "has no scheme"),
        ("https://a b/", "spaces or control characters"),
        ("ipfs://" + "x" * 3000, "longer than"),
    ],
)
def test_a_uri_base_others_cannot_fetch_is_refused(two, uri_base, message):
    with pytest.raises(InputError, match=message):
        reg.plan_outputs([two[0]], uri_base=uri_base)


def test_prepare_applies_excludes_and_records_them(tmp_path):
    folder = write_folder(
        tmp_path / "ds",
        {**FILES, "x.pyc": b"c", "scratch/a.txt": b"s", ".seedbedignore": b"scratch/\n"},
    )
    (target,) = reg.plan_outputs([folder])
    item = reg.prepare(target, kind=0, spdx="MIT", publisher=ME, excludes=["!x.pyc"])
    assert "x.pyc" in {f.path for f in item.manifest.files}
    assert item.manifest.excluded.paths == (("scratch/a.txt", "scratch/"),)
    plain = reg.prepare(target, kind=0, spdx="MIT", publisher=ME, default_excludes=False)
    assert "x.pyc" in {f.path for f in plain.manifest.files}


def test_prepare_refuses_an_empty_folder_and_an_unknown_license(tmp_path):
    empty = tmp_path / "empty"
    (empty / ".seedbed").mkdir(parents=True)  # our own folder does not count as content
    (target,) = reg.plan_outputs([empty])
    with pytest.raises(InputError, match="no files"):
        reg.prepare(target, kind=0, spdx="MIT", publisher=ME)
    (target,) = reg.plan_outputs([write_folder(tmp_path / "ds", FILES)])
    with pytest.raises(InputError, match="Unknown license"):
        reg.prepare(target, kind=0, spdx="Not-A-License", publisher=ME)


def test_write_outputs_and_receipt(tmp_path):
    folder = write_folder(tmp_path / "ds", FILES)
    (target,) = reg.plan_outputs([folder])
    item = reg.prepare(target, kind=0, spdx="MIT", publisher=ME)
    reg.write_outputs(item)
    out = folder / ".seedbed"
    assert read_manifest(out / "manifest.json").root == item.content_root
    with ContributorTree.load(out / "contributors.sbtree") as tree:
        assert (tree.root, tree.total) == (item.tree.root, item.tree.total)
    assert keccak((out / "croissant.json").read_bytes()) == item.metadata_hash
    # The outputs are not content: the folder's root is unchanged.
    assert build_manifest(folder).root == item.content_root

    reg.write_receipt(item, 7, "0xabc", 31337)
    record = json.loads((out / "registration.json").read_text())
    assert record["asset_id"] == 7 and record["transaction"] == "0xabc"
    assert record["content_root"] == "0x" + item.content_root.hex()
    assert record["metadata_hash"] == "0x" + item.metadata_hash.hex()
    assert sorted(p.name for p in out.iterdir()) == [
        "contributors.sbtree",
        "croissant.json",
        "manifest.json",
        "registration.json",
    ]


def test_same_content_in_two_folders_is_refused(tmp_path):
    a = write_folder(tmp_path / "a", FILES)
    b = write_folder(tmp_path / "b", FILES)
    items = [reg.prepare(t, kind=0, spdx="MIT", publisher=ME) for t in reg.plan_outputs([a, b])]
    with pytest.raises(InputError, match="hold the same files"):
        reg.check_distinct_content(items)
    reg.check_distinct_content(items[:1])


def test_batches():
    assert reg.batches([1, 2, 3, 4, 5], 2) == [[1, 2], [3, 4], [5]]
    assert reg.batches([1], 20) == [[1]]
    assert reg.batches([], 3) == []
    with pytest.raises(InputError):
        reg.batches([1], 0)


def test_saved_manifest(tmp_path):
    folder = write_folder(tmp_path / "ds", FILES)
    assert reg.saved_manifest(folder, None) is None
    (folder / ".seedbed").mkdir()
    (folder / ".seedbed" / "manifest.json").write_text("{}")
    assert reg.saved_manifest(folder, None) == folder / ".seedbed" / "manifest.json"
    assert reg.saved_manifest(folder, folder / "README.md") == folder / "README.md"
    with pytest.raises(InputError, match="does not exist"):
        reg.saved_manifest(folder, tmp_path / "nope.json")


# -- chain checks against fakes ---------------------------------------------------------------


class FakeRegistry:
    def __init__(self, owners, roots=None):
        self.owners = owners  # asset id -> owner
        self.roots = roots or {}  # content root -> asset id

    def assetCount(self):
        return len(self.owners)

    def ownerOf(self, asset_id):
        return self.owners[asset_id]

    def assetIdOf(self, root):
        return self.roots.get(root, 0)


class FakeLicenses:
    DERIVE_BIT = 16

    def __init__(self, licenses):
        # license id -> (asset id, holder, valid, scopes, min bps)
        self.licenses = licenses

    def licenseCount(self):
        return len(self.licenses)

    def DERIVE(self):
        return self.DERIVE_BIT

    def license(self, lic):
        asset_id, holder, valid, scopes, _ = self.licenses[lic]
        terms = SimpleNamespace(assetId=asset_id, scopes=scopes)
        return SimpleNamespace(holder=holder, valid=valid, terms=terms)

    def checkDerive(self, lic, registrant, parent):
        asset_id, holder, valid, scopes, minimum = self.licenses[lic]
        ok = valid and holder.lower() == registrant.lower() and scopes & 16 and asset_id == parent
        return (bool(ok), minimum if ok else 0)


def test_check_parents_builds_links_with_licenses_for_foreign_parents():
    registry = FakeRegistry({1: ME, 2: YOU, 3: YOU})
    licenses = FakeLicenses({1: (3, ME, True, 16, 500), 2: (2, ME, True, 17, 0)})
    links = reg.check_parents(
        registry, licenses, ME.upper().replace("0X", "0x"), [(1, 100), (2, 200), (3, 500)], [1, 2]
    )
    assert links == [
        reg.ParentLink(1, 100, 0),
        reg.ParentLink(2, 200, 2),
        reg.ParentLink(3, 500, 1),
    ]


@pytest.mark.parametrize(
    "licenses, given, share, error, message",
    [
        ({}, [], 100, InputError, "Parent 2 is not yours"),
        ({1: (2, YOU, True, 16, 0)}, [1], 100, ChainError, "is held by"),
        ({1: (2, ME, False, 16, 0)}, [1], 100, ChainError, "expired"),
        ({1: (2, ME, True, 2, 0)}, [1], 100, ChainError, "DERIVE scope"),
        ({1: (2, ME, True, 16, 2500)}, [1], 2499, InputError, "at least 2500 bps"),
        ({1: (2, ME, True, 16, 0)}, [5], 100, ChainError, "License 5 does not exist"),
        ({1: (2, ME, True, 16, 0)}, [1, 1], 100, InputError, "given twice"),
    ],
)
def test_check_parents_refusals(licenses, given, share, error, message):
    registry = FakeRegistry({1: ME, 2: YOU})
    with pytest.raises(error, match=message):
        reg.check_parents(registry, FakeLicenses(licenses), ME, [(2, share)], given)


def test_check_parents_refuses_unknown_parents():
    with pytest.raises(ChainError, match="Parent asset 3 does not exist"):
        reg.check_parents(FakeRegistry({1: ME, 2: ME}), FakeLicenses({}), ME, [(3, 10)], [])


def test_find_registered_resumes_own_and_refuses_others(tmp_path):
    a = write_folder(tmp_path / "a", {"x": b"1"})
    b = write_folder(tmp_path / "b", {"x": b"2"})
    c = write_folder(tmp_path / "c", {"x": b"3"})
    items = [reg.prepare(t, kind=0, spdx="MIT", publisher=ME) for t in reg.plan_outputs([a, b, c])]
    registry = FakeRegistry({1: ME, 2: YOU}, roots={items[0].content_root: 1})
    assert reg.find_registered(registry, ME, items) == {a: 1}
    registry.roots[items[2].content_root] = 2
    with pytest.raises(ChainError, match=f"{c}.*asset 2, owned by {YOU}"):
        reg.find_registered(registry, ME, items)
