"""Scripts that read files and folders refuse generated malformed ones cleanly: contributors
CSV, voucher JSON, contributor trees, manifests, Croissant files, and random folder trees."""

from __future__ import annotations

import json

import script_strategies as s
from hypothesis import given, settings
from hypothesis import strategies as st
from script_fuzzkit import assert_clean, assert_refused, examples

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=8),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=6), inner, max_size=3)
    ),
    max_leaves=8,
)
json_text = st.one_of(
    json_values.map(json.dumps),
    st.text(max_size=40),  # mostly not JSON at all
    st.sampled_from(["[", "{", "[1,", '{"a":}', "\ufeff[]", "NaN", "[]]"]),
)
voucher_like = st.fixed_dictionaries(
    {},
    optional={
        k: st.one_of(st.text(max_size=10), st.integers(-5, 2**260).map(str), st.integers())
        for k in ("license_id", "cumulative_units", "deadline", "signature", "licenseId")
    },
)


def bad_weight():
    return st.one_of(
        st.sampled_from(["0", "-1", "", "1.5", "²", "abc", "0x10", str(2**96), "1e3"]),
        st.integers(2**96, 2**300).map(str),
    )


@st.composite
def bad_contributors_csv(draw, good):
    """address,weight rows with at least one bad row, or a file that is no CSV of rows."""
    kind = draw(st.sampled_from(["row", "empty", "binary", "header"]))
    if kind == "empty":
        return b""
    if kind == "binary":
        return b"\xff\xfe" + draw(st.binary(max_size=60))
    if kind == "header":
        return b"address,weight\n"
    rows = [
        f"{a},{draw(st.integers(1, 10**6))}"
        for a in draw(st.lists(st.sampled_from(good), max_size=2, unique=True))
    ]
    bad = draw(
        st.one_of(
            bad_weight().map(lambda wt: f"{good[0]},{wt}"),
            s.bad_addresses()
            .filter(lambda a: "," not in a and "\n" not in a and "\r" not in a)
            .filter(lambda a: not s._ADDRESS.fullmatch(a.strip()))  # a CSV cell is stripped
            .map(lambda a: f"{a},1"),
        )
    )
    rows.insert(draw(st.integers(0, len(rows))), bad)
    return ("address,weight\n" + "\n".join(rows) + "\n").encode()


@settings(max_examples=examples(8))
@given(data=st.data())
def test_register_refuses_a_malformed_contributors_csv(data, runner, world, tmp_path_factory):
    tmp = tmp_path_factory.mktemp("csv")
    (tmp / "data").mkdir()
    (tmp / "data" / "x.txt").write_text("x")
    people = tmp / "people.csv"
    people.write_bytes(data.draw(bad_contributors_csv([world.alice, world.bob])))
    outcome = runner(
        "register", tmp / "data", "--spdx", "MIT", "--contributors", people, watch=[tmp]
    )
    assert_refused(outcome)


names = st.text(
    st.characters(blacklist_categories=("Cs",), blacklist_characters="/\x00"),
    min_size=1,
    max_size=12,
).filter(lambda n: n not in (".", "..", ".seedbed") and len(n.encode()) < 200)


@st.composite
def folder_trees(draw):
    """[(relative path, bytes or None for an empty folder)], possibly with no file at all."""
    entries = []
    for _ in range(draw(st.integers(0, 5))):
        parts = draw(st.lists(names, min_size=1, max_size=3))
        entries.append(("/".join(parts), draw(st.one_of(st.none(), st.binary(max_size=30)))))
    return entries


def build(root, entries):
    """Writes what fits (a name used as both file and folder keeps the first); returns the
    number of files written."""
    root.mkdir()
    files = 0
    for rel, content in entries:
        path = root / rel
        try:
            if content is None:
                path.mkdir(parents=True, exist_ok=True)
            else:
                path.parent.mkdir(parents=True, exist_ok=True)
                if path.exists():
                    continue
                path.write_bytes(content)
                files += 1
        except (FileExistsError, NotADirectoryError, IsADirectoryError):
            continue
    return files


@settings(max_examples=examples(8))
@given(entries=folder_trees(), link=st.booleans())
def test_register_takes_any_folder_tree_or_refuses_it_cleanly(
    entries, link, runner, tmp_path_factory
):
    """Odd names, empty folders, a symbolic link (refused by default): valid iff it holds a
    file and no link; a success writes the outputs, a failure writes nothing."""
    tmp = tmp_path_factory.mktemp("tree")
    root = tmp / "set"
    files = build(root, entries)
    if link:
        (root / "link").symlink_to(tmp)
    outcome = runner("register", root, "--spdx", "MIT", watch=[tmp])
    assert_clean(outcome, valid=files > 0 and not link)
    if outcome.code == 0:
        assert (root / ".seedbed" / "registration.json").is_file()


@settings(max_examples=examples(8))
@given(entries=folder_trees())
def test_verify_refuses_any_other_folder_tree(entries, runner, world, tmp_path_factory):
    tmp = tmp_path_factory.mktemp("verify")
    build(tmp / "other", entries)
    assert_refused(runner("verify", tmp / "other", world.asset, account=None, watch=[tmp]))


@settings(max_examples=examples(8))
@given(text=st.one_of(json_text, st.lists(voucher_like, min_size=1, max_size=3).map(json.dumps)))
def test_settle_import_refuses_what_is_not_a_list_of_signed_vouchers(
    text, runner, tmp_path_factory
):
    tmp = tmp_path_factory.mktemp("import")
    (tmp / "in.json").write_text(text)
    outcome = runner(
        "settle", "--ledger", tmp / "ledger.db", "--import", tmp / "in.json", account=4, watch=[tmp]
    )
    try:
        valid = json.loads(text) == []
    except ValueError:
        valid = False
    assert_clean(outcome, valid)


@settings(max_examples=examples(8))
@given(raw=st.one_of(st.binary(max_size=300), st.text(max_size=50).map(str.encode)))
def test_settle_and_sign_voucher_refuse_a_ledger_that_is_no_database(
    raw, runner, world, tmp_path_factory
):
    tmp = tmp_path_factory.mktemp("ledger")
    ledger = tmp / "ledger.db"
    ledger.write_bytes(b"not a ledger " + raw + b"\x00" * 512)
    assert_refused(runner("settle", "--ledger", ledger, account=4, watch=[tmp]))
    assert_refused(
        runner(
            "sign_voucher",
            world.license,
            "5",
            "--operator",
            world.operator,
            "--ledger",
            ledger,
            account=2,
            watch=[tmp],
        )  # fmt: skip
    )


@settings(max_examples=examples(8))
@given(text=json_text)
def test_sign_voucher_out_file_is_appended_only_when_it_holds_a_list(
    text, runner, world, tmp_path_factory
):
    tmp = tmp_path_factory.mktemp("out")
    out = tmp / "vouchers.json"
    out.write_text(text)
    outcome = runner(
        "sign_voucher", world.license, "5", "--operator", world.operator, "--out", out,
        account=2, watch=[tmp],
    )  # fmt: skip
    try:
        valid = isinstance(json.loads(text), list)
    except ValueError:
        valid = False
    assert_clean(outcome, valid)


@st.composite
def broken_trees(draw, good):
    kind = draw(st.sampled_from(["random", "truncated", "extended", "empty"]))
    if kind == "random":
        return draw(st.binary(max_size=400))
    if kind == "truncated":
        return good[: draw(st.integers(0, len(good) - 1))]
    if kind == "extended":
        return good + draw(st.binary(min_size=1, max_size=40))
    return b""


@settings(max_examples=examples(8))
@given(data=st.data())
def test_proof_and_claimable_refuse_a_broken_tree_file(data, runner, world, tmp_path_factory):
    tmp = tmp_path_factory.mktemp("sbtree")
    good = world.tree.read_bytes()
    bad = data.draw(broken_trees(good))
    tree = tmp / "t.sbtree"
    tree.write_bytes(bad)
    out = tmp / "proof.json"
    assert_refused(
        runner(
            "proof",
            world.asset,
            world.alice,
            "--tree",
            tree,
            "--out",
            out,
            account=None,
            watch=[tmp],
        )
    )
    outcome = runner("claimable", world.alice, "--tree", tree, account=None, watch=[tmp])
    assert_refused(outcome)


@settings(max_examples=examples(8))
@given(text=json_text)
def test_metadata_takes_only_a_json_object_naming_no_other_content_root(
    text, runner, world, suite, tmp_path_factory
):
    """seedbed.workflows.assets.metadata_of_file's rule: any JSON object whose
    seedbed:contentRoot, if present, is the asset's (the script's docstring says more)."""
    tmp = tmp_path_factory.mktemp("croissant")
    (tmp / "c.json").write_text(text)
    outcome = runner(
        "metadata", world.asset, "--uri", "ipfs://x", "--file", tmp / "c.json", watch=[tmp]
    )
    root = "0x" + bytes(suite.registry.asset(world.asset).contentRoot).hex()
    try:
        data = json.loads(text)
    except ValueError:
        data = None
    valid = isinstance(data, dict) and data.get("seedbed:contentRoot", root) == root
    assert_clean(outcome, valid)


@settings(max_examples=examples(8))
@given(text=json_text)
def test_verify_and_proof_survive_any_manifest_file(text, runner, world, tmp_path_factory):
    """A manifest for other content falls back to comparing roots: success stays possible."""
    tmp = tmp_path_factory.mktemp("manifest")
    (tmp / "manifest.json").write_text(text)
    outcome = runner(
        "verify",
        world.folder,
        world.asset,
        "--manifest",
        tmp / "manifest.json",
        account=None,
        watch=[tmp],
    )
    assert_clean(outcome, valid=True)
    # no contributors.sbtree beside it
    outcome = runner(
        "proof",
        world.asset,
        world.alice,
        "--manifest",
        tmp / "manifest.json",
        account=None,
        watch=[tmp],
    )
    assert_refused(outcome)
