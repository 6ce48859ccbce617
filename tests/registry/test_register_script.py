"""`ape run register` and `ape run verify`, end to end against the test chain."""

import json
import os
import re
import socket
import subprocess
from pathlib import Path

import pytest
from registry_helpers import assert_one_error, write_folder

from seedbed.core.constants import MODEL
from seedbed.core.keccak import keccak
from seedbed.core.manifest import build_manifest

LINE = re.compile(r"^asset (\d+): (\S+), content root (0x[0-9a-f]{64}), tx (0x[0-9a-f]{64})$", re.M)


def registered(stdout):
    """{folder name: (asset id, content root, tx)} from the script's output."""
    return {m[2]: (int(m[1]), bytes.fromhex(m[3][2:]), m[4]) for m in LINE.finditer(stdout)}


def test_register_one_folder_then_rerun_then_verify(
    run_script, registry, chain, make_folder, tmp_path, publisher, alice, bob, contributors_of
):
    folder = make_folder("birds")
    people = tmp_path / "people.csv"
    people.write_text(f"address,weight\n{alice.address},3\n{bob.address},1\n")
    count = registry.assetCount()

    result = run_script(
        "register",
        folder,
        "--spdx",
        "cc-by-4.0",
        "--contributors",
        people,
        "--kind",
        "model",
        "--name",
        "Birds",
        "--uri-base",
        "ipfs://bafy/",
    )
    assert result.returncode == 0, result.stderr
    ((asset_id, root, tx),) = registered(result.stdout).values()
    assert asset_id == count + 1 == registry.assetCount()
    view = registry.asset(asset_id)
    assert view.owner == publisher.address
    assert bytes(view.contentRoot) == root == build_manifest(folder).root
    assert bytes(view.contributorsRoot) == contributors_of({alice.address: 3, bob.address: 1}).root
    assert (view.kind, view.totalWeight) == (MODEL, 4)
    log = chain.provider.get_receipt(tx).events.filter(registry.AssetRegistered)[0]
    out = folder / ".seedbed"
    assert log.metadataURI == "ipfs://bafy/croissant.json"
    assert bytes(log.metadataHash) == keccak((out / "croissant.json").read_bytes())
    assert json.loads((out / "croissant.json").read_bytes())["name"] == "Birds"
    assert json.loads((out / "registration.json").read_text())["asset_id"] == asset_id

    again = run_script("register", folder, "--spdx", "cc-by-4.0", "--contributors", people)
    assert again.returncode == 0, again.stderr
    assert f"birds: already registered as asset {asset_id}" in again.stdout
    assert registry.assetCount() == asset_id

    ok = run_script("verify", folder, asset_id, account=None)
    assert ok.returncode == 0, ok.stderr
    assert f"ok: {folder} matches asset {asset_id}" in ok.stdout

    (folder / "data" / "train.csv").write_text("id,label\n1,owl\n")
    (folder / "README.md").unlink()
    (folder / "notes.txt").write_text("new")
    bad = run_script("verify", folder, asset_id, account=None)
    assert_one_error(bad, f"does not match asset {asset_id}", "1 changed, 1 missing, 1 extra")
    assert "changed: data/train.csv" in bad.stdout
    assert "missing: README.md" in bad.stdout
    assert "extra: notes.txt" in bad.stdout

    (out / "manifest.json").unlink()  # without the manifest only the roots can be compared
    bare = run_script("verify", folder, asset_id, account=None)
    assert_one_error(bare, "no manifest to say which files differ")
    assert_one_error(run_script("verify", folder, 999_999, account=None), "does not exist")


def test_batches_resume_after_a_partial_run(run_script, registry, make_folder, tmp_path, publisher):
    folders = [make_folder(name) for name in ("a", "b", "c", "d")]
    count = registry.assetCount()

    first = run_script("register", *folders[:2], "--spdx", "MIT")
    assert first.returncode == 0, first.stderr
    done = registered(first.stdout)
    assert sorted(done) == ["a", "b"]
    assert done["a"][2] == done["b"][2]  # one multicall transaction
    assert registry.assetCount() == count + 2

    out = tmp_path / "out"
    rest = run_script(
        "register",
        *folders,
        "--spdx",
        "MIT",
        "--batch-size",
        "1",
        "--out",
        out,
        "--uri-base",
        "https://data.example/{name}/",
    )
    assert rest.returncode == 0, rest.stderr
    for name in ("a", "b"):
        assert f"{name}: already registered as asset {done[name][0]}" in rest.stdout
    new = registered(rest.stdout)
    assert sorted(new) == ["c", "d"]
    assert new["c"][2] != new["d"][2]  # batch size 1: one transaction each
    assert registry.assetCount() == count + 4
    for name, folder in zip("abcd", folders, strict=True):
        asset_id = (done | new)[name][0]
        assert registry.ownerOf(asset_id) == publisher.address
        assert bytes(registry.asset(asset_id).contentRoot) == build_manifest(folder).root
    assert (out / "c" / "registration.json").is_file()
    assert not (out / "a").exists()  # skipped folders are left as they were


@pytest.fixture
def foreign_parent(register_asset, alice, bob):
    return register_asset(alice, {bob.address: 1})[0]


def test_register_a_derivative_of_a_licensed_parent(
    run_script,
    registry,
    register_asset,
    sell_license,
    make_folder,
    foreign_parent,
    alice,
    publisher,
    bob,
):
    parent = foreign_parent
    mine = register_asset(publisher, {bob.address: 1})[0]
    license_id = sell_license(parent, alice, publisher, minUpstreamBps=1000)
    bobs = sell_license(parent, alice, bob, minUpstreamBps=1000)
    folder = make_folder("derived")
    count = registry.assetCount()

    refusals = [
        (["--parent", f"{parent}:5%", "--license", license_id], "at least 1000 bps"),
        (["--parent", f"{parent}:20%"], f"Parent {parent} is not yours"),
        (["--parent", f"{parent}:20%", "--license", bobs], "is held by"),
        (["--parent", f"{mine}:20%", "--license", license_id], "not a parent here"),
    ]
    for args, message in refusals:
        assert_one_error(run_script("register", folder, "--spdx", "MIT", *args), message)
        assert registry.assetCount() == count
        assert not (folder / ".seedbed").exists()

    result = run_script(
        "register",
        folder,
        "--spdx",
        "MIT",
        "--parent",
        parent,
        "--share",
        "15%",
        "--license",
        license_id,
        "--parent",
        f"{mine}:500",
    )
    assert result.returncode == 0, result.stderr
    ((asset_id, _, _),) = registered(result.stdout).values()
    edges = [(p.assetId, p.shareBps) for p in registry.parents(asset_id)]
    assert edges == [(parent, 1500), (mine, 500)]


def _csv(tmp_path, text):
    path = tmp_path / "people.csv"
    path.write_text(text)
    return path


def _fifo(tmp_path, make_folder):
    folder = make_folder("pipes")
    os.mkfifo(folder / "a.pipe")
    return [folder, "--spdx", "MIT"]


def _links(tmp_path, make_folder):
    folder = make_folder("links")
    for name in ("a", "b", "c"):
        os.symlink(folder / "README.md", folder / f"{name}.lnk")
    return [folder, "--spdx", "MIT"]


def _link_out(tmp_path, make_folder):
    folder = make_folder("linkout")
    (tmp_path / "secret").write_text("s")
    os.symlink(tmp_path / "secret", folder / "s.lnk")
    return [folder, "--spdx", "MIT", "--symlinks", "follow"]


# Each case: (builder(tmp_path, make_folder) -> args, words of the one error line).
ADDRESS = "0x" + "ab" * 20
BAD = {
    "missing folder": (lambda t, m: [t / "nope", "--spdx", "MIT"], "does not exist"),
    "empty folder": (lambda t, m: [_mkdir(t / "empty"), "--spdx", "MIT"], "no files"),
    "special file": (_fifo, "1 special file that cannot be registered: a.pipe"),
    "symlinks": (_links, "3 symbolic links that cannot be registered"),
    "symlink out of the folder": (_link_out, "link out of the folder"),
    "file uri base": (
        lambda t, m: [m("x"), "--spdx", "MIT", "--uri-base", "file:///tmp/"],
        "a file on this machine",
    ),
    "bad exclude": (lambda t, m: [m("x"), "--spdx", "MIT", "--exclude", "/"], "matches nothing"),
    "malformed csv": (
        lambda t, m: [m("x"), "--spdx", "MIT", "--contributors", _csv(t, '"0x1,2\n')],
        "malformed CSV",
    ),
    "bad checksum": (
        lambda t, m: [
            m("x"),
            "--spdx",
            "MIT",
            "--contributors",
            _csv(t, "0x" + "aB" * 20 + ",1\n"),
        ],
        "checksum",
    ),
    "zero weight": (
        lambda t, m: [m("x"), "--spdx", "MIT", "--contributors", _csv(t, f"{ADDRESS},0\n")],
        "weight is zero",
    ),
    "negative weight": (
        lambda t, m: [m("x"), "--spdx", "MIT", "--contributors", _csv(t, f"{ADDRESS},-3\n")],
        "not a positive whole number",
    ),
    "fractional weight": (
        lambda t, m: [m("x"), "--spdx", "MIT", "--contributors", _csv(t, f"{ADDRESS},1.5\n")],
        "not a positive whole number",
    ),
    "all weights zero": (
        lambda t, m: [
            m("x"),
            "--spdx",
            "MIT",
            "--contributors",
            _csv(t, f"address,item,accepted\n{ADDRESS},1,no\n{ADDRESS},2,0\n"),
        ],
        "every weight is zero",
    ),
    "unknown spdx": (lambda t, m: [m("x"), "--spdx", "Nonsense-9"], "Unknown license id"),
    "no spdx": (lambda t, m: [m("x")], "--spdx"),
    "unknown parent": (
        lambda t, m: [m("x"), "--spdx", "MIT", "--parent", "999999:10%"],
        "Parent asset 999999 does not exist",
    ),
    "too many parents": (
        lambda t, m: [m("x"), "--spdx", "MIT", *[f"--parent={i}:1" for i in range(1, 18)]],
        "at most 16",
    ),
    "shares over 100%": (
        lambda t, m: [m("x"), "--spdx", "MIT", "--parent", "1:60%", "--parent", "2:50%"],
        "over 100%",
    ),
    "output inside the folder": (
        lambda t, m: [(f := m("x")), "--spdx", "MIT", "--out", f / "meta"],
        "inside",
    ),
    "same content twice": (
        lambda t, m: [
            write_folder(t / "one", {"f": b"same"}),
            write_folder(t / "two", {"f": b"same"}),
            "--spdx",
            "MIT",
        ],
        "hold the same files",
    ),
}


def _mkdir(path):
    path.mkdir()
    return path


@pytest.mark.parametrize("case", list(BAD))
def test_bad_input_is_one_line_and_changes_nothing(
    run_script, registry, tmp_path, make_folder, case
):
    build, message = BAD[case]
    args = build(tmp_path, make_folder)
    count = registry.assetCount()
    assert_one_error(run_script("register", *args), message)
    assert registry.assetCount() == count
    assert not list(tmp_path.rglob(".seedbed")), "nothing may be written"


def test_content_registered_by_someone_else_is_refused(
    run_script, registry, register_asset, make_folder, alice
):
    folder = make_folder("taken")
    root = build_manifest(folder).root
    theirs, _ = register_asset(alice, {alice.address: 1}, content_root=root)
    count = registry.assetCount()
    assert_one_error(
        run_script("register", folder, "--spdx", "MIT"),
        f"already registered as asset {theirs}, owned by {alice.address}",
    )
    assert registry.assetCount() == count
    assert not (folder / ".seedbed").exists()


def test_too_little_balance_for_gas_is_refused(run_script, registry, chain, accounts, make_folder):
    poor = accounts[7]
    chain.set_balance(poor.address, 10**9)  # one gwei: far from one registration's gas
    folder = make_folder("poor")
    count = registry.assetCount()
    assert_one_error(run_script("register", folder, "--spdx", "MIT", account=7), "may cost up to")
    assert registry.assetCount() == count
    assert not (folder / ".seedbed").exists()


def test_missing_deployment_is_refused(run_script, registry, make_folder, tmp_path):
    folder = make_folder("nodeploy")
    env = {"SEEDBED_DEPLOYMENTS": str(tmp_path / "empty-records")}
    assert_one_error(
        run_script("register", folder, "--spdx", "MIT", env=env), "No Seedbed deployment recorded"
    )
    assert not (folder / ".seedbed").exists()


def test_no_connection_is_one_line(make_folder):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]  # closed again before the script runs: nothing listens
    folder = make_folder("offline")
    cmd = [
        "ape",
        "run",
        "register",
        str(folder),
        "--spdx",
        "MIT",
        "--network",
        f"http://127.0.0.1:{port}",
        "--account",
        "TEST::1",
    ]
    root = Path(__file__).resolve().parents[2]
    result = subprocess.run(cmd, capture_output=True, text=True, cwd=root, timeout=300, check=False)
    assert_one_error(result, "Cannot reach the node")
    assert not (folder / ".seedbed").exists()


def test_excluded_files_are_shown_recorded_and_kept_out_and_no_uri_is_published(
    run_script, registry, chain, make_folder
):
    folder = make_folder("real")
    write_folder(
        folder,
        {
            "pkg/__pycache__/m.cpython-312.pyc": b"c",
            "pkg/__pycache__/n.cpython-312.pyc": b"c",
            "tool.pyc": b"c",
            "scratch/tmp.txt": b"s",
            "big.ckpt": b"k",
            ".seedbedignore": b"# not content\nscratch/\n",
        },
    )
    os.symlink(folder / "README.md", folder / "readme.lnk")
    result = run_script(
        "register", folder, "--spdx", "MIT", "--exclude", "*.ckpt", "--symlinks", "skip"
    )
    assert result.returncode == 0, result.stderr
    assert (
        "real: excluded 6 files: __pycache__/ (2), *.ckpt (1), *.pyc (1), <symlink> (1), "
        "scratch/ (1)\n" in result.stdout
    )
    ((asset_id, root, tx),) = registered(result.stdout).values()
    assert f"ape run metadata {asset_id} --uri URI --file " in result.stdout
    log = chain.provider.get_receipt(tx).events.filter(registry.AssetRegistered)[0]
    assert log.metadataURI == ""
    saved = json.loads((folder / ".seedbed" / "manifest.json").read_text())
    assert saved["excluded"]["symlinks"] == "skip"
    assert {"path": "big.ckpt", "pattern": "*.ckpt"} in saved["excluded"]["paths"]
    assert sorted(f["path"] for f in saved["files"]) == [
        ".seedbedignore",
        "README.md",
        "data/test.csv",
        "data/train.csv",
    ]
    assert bytes.fromhex(saved["root"][2:]) == root

    (folder / "scratch" / "more.txt").write_text("still excluded")
    ok = run_script("verify", folder, asset_id, account=None)
    assert ok.returncode == 0, ok.stderr  # walked with the rules the manifest recorded


def test_a_contributor_contract_that_refuses_eth_is_warned_about(
    run_script, project, deployer, make_folder, tmp_path, alice
):
    """Issue 15: the tooling warns about contributor contracts that cannot receive the
    currency (their ETH claims would revert); the registration goes ahead."""
    refuser = deployer.deploy(project.RevertingReceiver)
    folder = make_folder("refusers")
    people = tmp_path / "people.csv"
    people.write_text(f"address,weight\n{alice.address},3\n{refuser.address},1\n")
    result = run_script("register", folder, "--spdx", "MIT", "--contributors", people)
    assert result.returncode == 0, result.stderr
    warnings = [line for line in result.stderr.splitlines() if line.startswith("warning:")]
    assert len(warnings) == 1 and refuser.address in warnings[0] and "refuses ETH" in warnings[0]
    assert alice.address not in warnings[0]
