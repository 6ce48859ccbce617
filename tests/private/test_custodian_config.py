"""What a custodian refuses before it serves: configuration files, share files and key
splits that are wrong, and a chain that does not match its shares. Each refusal is one
sentence naming the file and the key; the process prints one `error:` line."""

from __future__ import annotations

import itertools
import json
import os
import subprocess
import sys
from pathlib import Path

import httpx
import pytest
from eth_account import Account

from seedbed.core import shamir
from seedbed.core.errors import ChainError, InputError
from seedbed.core.sealed import key_check, new_key, write_key_file
from seedbed.custodian import config as custodian_config
from seedbed.custodian.run import READY, build
from seedbed.custodian.shares import read_share, split_key, split_key_file, write_shares
from seedbed.workflows import services

ASSET = 7
IDENTITY = "0x" + "11" * 32
PRIVATE_DATA = "0x" + "22" * 20
ENV = {"SEEDBED_CUSTODIAN_KEY": IDENTITY}
ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module", autouse=True)
def _chain_fixtures_first(world, run_script):
    """The module's chain fixtures before any test's snapshot (ape rebases them otherwise)."""


def custodian_table(**changes: object) -> dict[str, object]:
    table: dict[str, object] = {
        "host": "127.0.0.1",
        "port": 0,
        "rpc": "http://127.0.0.1:8545",
        "chain_id": 31337,
        "private_data": PRIVATE_DATA,
    }
    for key, value in changes.items():
        if value is None:
            table.pop(key, None)
        else:
            table[key] = value
    return table


def toml(value: object) -> str:
    if isinstance(value, str):
        return json.dumps(value)
    return str(value).lower() if isinstance(value, bool) else str(value)


def write(folder: Path, table: dict[str, object], shares: list[tuple[object, str]], extra=""):
    lines = ["[custodian]", *(f"{k} = {toml(v)}" for k, v in table.items())]
    for asset, file in shares:
        lines += ["", "[[shares]]", f"asset = {toml(asset)}", f"file = {toml(file)}"]
    path = folder / "custodian.toml"
    path.write_text("\n".join(lines) + "\n" + extra)
    return path


@pytest.fixture
def shares(tmp_path):
    """A key split 2-of-3 for asset 7, in tmp_path/shares (0600 files)."""
    key = new_key()
    paths = write_shares(split_key(key, 2, 3, ASSET), tmp_path / "shares")
    return key, paths


def test_a_good_configuration_loads(shares):
    key, paths = shares
    path = write(paths[0].parent, custodian_table(), [(ASSET, paths[0].name)])
    config = custodian_config.load(path, ENV)
    assert config.assets == [ASSET] and config.port == 0 and config.chain_id == 31337
    assert config.shares[ASSET].index == 1 and config.shares[ASSET].key_check == key_check(key)
    assert config.address == Account.from_key(IDENTITY).address
    assert IDENTITY[2:] not in repr(config)  # the identity key stays out of logs


@pytest.mark.parametrize(
    "table, shares_of, env, expected",
    [
        (custodian_table(rpc=None), "ok", ENV, "names no rpc"),
        (custodian_table(chain_id=None), "ok", ENV, "names no chain_id"),
        (custodian_table(rpc="ws://127.0.0.1:8545"), "ok", ENV, "must be an http(s) URL"),
        (custodian_table(chain_id="31337"), "ok", ENV, "chain_id must be an integer"),
        (custodian_table(port=70000), "ok", ENV, "port must be an integer from 0 to 65535"),
        (custodian_table(private_data="0x1234"), "ok", ENV, "is not a valid 0x address"),
        (custodian_table(colour="blue"), "ok", ENV, "has unknown keys: colour"),
        (custodian_table(challenge_ttl_seconds=1), "ok", ENV, "challenge_ttl_seconds must be"),
        (custodian_table(), "ok", {}, "SEEDBED_CUSTODIAN_KEY holds no custodian key"),
        (custodian_table(), "ok", {"SEEDBED_CUSTODIAN_KEY": "0xzz"}, "is not a hex private key"),
        (
            custodian_table(),
            "ok",
            {"SEEDBED_CUSTODIAN_KEY": "0x" + "11" * 31},
            "is not a 32-byte private key",
        ),
        (
            custodian_table(),
            "ok",
            {"SEEDBED_CUSTODIAN_KEY": "0x" + "00" * 32},
            "is not a valid secp256k1 private key",
        ),
        (
            custodian_table(key_env="OTHER_KEY"),
            "ok",
            ENV,
            "the environment variable OTHER_KEY holds no custodian key",
        ),
        (custodian_table(), "none", ENV, "holds no [[shares]]"),
        (custodian_table(), "twice", ENV, f"lists asset {ASSET} twice"),
        (custodian_table(), "missing", ENV, "there is no share file at"),
        (custodian_table(), "other-asset", ENV, f"is for asset {ASSET}, not asset 8"),
    ],
)
def test_configuration_refusals(shares, table, shares_of, env, expected):
    _, paths = shares
    folder = paths[0].parent
    listed = {
        "ok": [(ASSET, paths[0].name)],
        "none": [],
        "twice": [(ASSET, paths[0].name), (ASSET, paths[1].name)],
        "missing": [(ASSET, "share-9.json")],
        "other-asset": [(8, paths[0].name)],
    }[shares_of]
    path = write(folder, table, listed)
    with pytest.raises(InputError) as info:
        custodian_config.load(path, env)
    assert expected in info.value.message
    assert str(path) in info.value.message or "share file" in info.value.message


def test_unreadable_configurations(tmp_path):
    with pytest.raises(InputError, match="there is no custodian configuration"):
        custodian_config.load(tmp_path / "none.toml", ENV)
    (tmp_path / "bad.toml").write_text("[custodian\nrpc = 1")
    with pytest.raises(InputError, match="is not valid TOML"):
        custodian_config.load(tmp_path / "bad.toml", ENV)
    (tmp_path / "empty.toml").write_text("")
    with pytest.raises(InputError, match=r"has no \[custodian\] table"):
        custodian_config.load(tmp_path / "empty.toml", ENV)
    (tmp_path / "extra.toml").write_text("[custodian]\n[gateway]\n")
    with pytest.raises(InputError, match="has unknown keys: gateway"):
        custodian_config.load(tmp_path / "extra.toml", ENV)
    (tmp_path / "list.toml").write_text(
        'shares = 3\n[custodian]\nrpc = "http://x"\nchain_id = 1\nprivate_data = "0x'
        + "22" * 20
        + '"\n'
    )
    with pytest.raises(InputError, match="must be an array of tables"):
        custodian_config.load(tmp_path / "list.toml", ENV)


def share_data(paths):
    return json.loads(paths[0].read_text())


@pytest.mark.parametrize(
    "change, expected",
    [
        (lambda d: d.update(version=2), "has version 2"),
        (lambda d: d.update(colour=1), "has unknown keys: colour"),
        (lambda d: d.update(assetId=0), "assetId must be an integer from 1"),
        (lambda d: d.update(count=1), "count must be an integer from 2"),
        (lambda d: d.update(threshold=4), "threshold must be an integer from 2 to 3"),
        (lambda d: d.update(threshold=True), "threshold must be an integer"),
        (lambda d: d.update(keyCheck="0x1234"), "keyCheck must be 0x and 64 hex digits"),
        (lambda d: d["share"].update(index=5), "outside 1..3"),
        (lambda d: d["share"].update(value="12"), "is not a 0x hex string"),
        (lambda d: d["share"].update(value=hex(shamir.PRIME)), "is not an element of"),
        (lambda d: d.pop("share"), "has no share object"),
    ],
)
def test_share_file_refusals(shares, change, expected):
    _, paths = shares
    data = share_data(paths)
    change(data)
    paths[0].write_text(json.dumps(data))
    with pytest.raises(InputError) as info:
        read_share(paths[0])
    assert expected in info.value.message and str(paths[0]) in info.value.message


def test_a_share_file_others_can_read_is_not_served(shares):
    _, paths = shares
    assert read_share(paths[0], private=True).index == 1
    os.chmod(paths[0], 0o644)
    with pytest.raises(InputError, match="may be read by others .mode 0644.; run chmod 600"):
        read_share(paths[0], private=True)
    path = write(paths[0].parent, custodian_table(), [(ASSET, paths[0].name)])
    with pytest.raises(InputError, match="may be read by others"):
        custodian_config.load(path, ENV)
    paths[1].write_text("{not json")
    with pytest.raises(InputError, match="is not JSON"):
        read_share(paths[1])


# -- splitting ------------------------------------------------------------------------------


def test_a_split_gives_the_key_from_any_k_shares_and_files_only_the_owner_reads(tmp_path):
    key = new_key()
    key_file = tmp_path / "dataset.key"
    write_key_file(key_file, key)
    paths = split_key_file(key_file, 3, 5, ASSET, tmp_path / "out")
    assert [p.name for p in paths] == [f"share-{i}.json" for i in range(1, 6)]
    assert (tmp_path / "out").stat().st_mode & 0o777 == 0o700
    files = [read_share(p, private=True) for p in paths]
    assert all(p.stat().st_mode & 0o777 == 0o600 for p in paths)
    assert {(f.asset_id, f.threshold, f.count, f.key_check) for f in files} == {
        (ASSET, 3, 5, key_check(key))
    }
    for subset in itertools.combinations(files, 3):
        assert shamir.combine([f.share for f in subset], 3) == key
    for subset in itertools.combinations(files, 2):
        assert shamir.combine([f.share for f in subset], 2) != key
    # Splitting again into the same folder would mix two splits: refused, nothing changed.
    before = {p: p.read_bytes() for p in paths}
    with pytest.raises(InputError, match="holds share files already"):
        split_key_file(key_file, 3, 5, ASSET, tmp_path / "out")
    assert {p: p.read_bytes() for p in paths} == before


@pytest.mark.parametrize(
    "threshold, count, expected",
    [
        (1, 5, "a threshold of 1 hands every custodian the whole key"),
        (6, 5, "the threshold must be from 2 to the count (5)"),
        (0, 5, "the threshold must be from 2"),
        (2, 1, "the count of custodians must be from 2 to 255"),
        (2, 256, "the count of custodians must be from 2 to 255"),
    ],
)
def test_split_refusals(threshold, count, expected):
    with pytest.raises(InputError) as info:
        split_key(new_key(), threshold, count, ASSET)
    assert expected in info.value.message


def test_split_refuses_a_file_as_its_folder_and_a_bad_key_file(tmp_path):
    (tmp_path / "file").write_text("x")
    with pytest.raises(InputError, match="is not a folder"):
        write_shares(split_key(new_key(), 2, 3, ASSET), tmp_path / "file")
    (tmp_path / "key.json").write_text(json.dumps({"version": 1, "key": "0x00"}))
    with pytest.raises(InputError):
        split_key_file(tmp_path / "key.json", 2, 3, ASSET, tmp_path / "out")
    assert not (tmp_path / "out").exists()


# -- the chain, checked at start --------------------------------------------------------------


def chain_config(tmp_path, chain, world, key, *, rpc=None, chain_id=None, private_data=None):
    paths = write_shares(split_key(key, 2, 3, world.asset), tmp_path / "shares")
    table = custodian_table(
        rpc=rpc or chain.provider.http_uri,
        chain_id=chain_id or chain.chain_id,
        private_data=private_data or str(world.private.address),
    )
    return write(paths[0].parent, table, [(world.asset, paths[0].name)])


def test_a_custodian_starts_only_for_its_chain_and_the_sealed_key(sealed, chain, tmp_path):
    world = sealed
    load = custodian_config.load
    good = chain_config(tmp_path / "good", chain, world, world.key)
    custodian = build(load(good, ENV))
    assert custodian.config.assets == [world.asset]
    cases = [
        (chain_config(tmp_path / "id", chain, world, world.key, chain_id=999), "not chain 999"),
        (
            chain_config(tmp_path / "nocode", chain, world, world.key, private_data=PRIVATE_DATA),
            f"there is no contract at private_data {PRIVATE_DATA}",
        ),
        (
            chain_config(tmp_path / "other", chain, world, new_key()),
            "but the chain publishes keyCheck",
        ),
    ]
    for path, expected in cases:
        with pytest.raises(InputError) as info:
            build(load(path, ENV))
        assert expected in info.value.message and str(path) in info.value.message
    dead = chain_config(tmp_path / "dead", chain, world, world.key, rpc="http://127.0.0.1:9")
    with pytest.raises(ChainError, match="did not answer"):
        build(load(dead, ENV))


def test_a_custodian_process_refuses_an_unsealed_asset_in_one_line(world, chain, tmp_path):
    path = chain_config(tmp_path, chain, world, world.key)
    done = subprocess.run(
        [sys.executable, "-m", "seedbed.custodian", "--config", str(path)],
        capture_output=True,
        text=True,
        env={**os.environ, **ENV},
        timeout=60,
        cwd=ROOT,
        check=False,
    )
    assert done.returncode == 2
    lines = [line for line in done.stderr.splitlines() if line.strip()]
    assert lines == [f"error: {path}: asset {world.asset} is not sealed on chain {chain.chain_id}."]
    assert "Traceback" not in done.stderr and done.stdout == ""


# -- the script ------------------------------------------------------------------------------


def test_the_split_script_writes_shares_of_the_sealed_key(sealed, run_script, tmp_path):
    world = sealed
    key_file = tmp_path / "dataset.key"
    write_key_file(key_file, world.key)
    out = tmp_path / "shares"
    args = ["--key", key_file, "--threshold", "2", "--count", "3", "--asset", world.asset]
    done = run_script("custodian", "split", *args, "--out", out, "--json", account=None)
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout)
    assert result["keyCheck"] == "0x" + world.index.key_check.hex() and result["sealedOnChain"]
    files = [read_share(p, private=True) for p in result["shares"]]
    assert shamir.combine([files[0].share, files[2].share], 2) == world.key
    # Another dataset's key for this asset is refused in one line, and nothing is written.
    other = tmp_path / "other.key"
    write_key_file(other, new_key())
    again = tmp_path / "again"
    args[1] = other
    done = run_script("custodian", "split", *args, "--out", again, account=None)
    lines = [line for line in done.stderr.splitlines() if line.strip()]
    assert done.returncode != 0 and len(lines) == 1, done.stderr
    assert lines[0].startswith("error: ") and "another dataset's key" in lines[0]
    assert not again.exists()


def test_the_serve_script_runs_a_custodian(sealed, chain, tmp_path):
    world = sealed
    path = chain_config(tmp_path, chain, world, world.key)
    cmd = ["ape", "run", "custodian", "serve", "--config", str(path), "--port", "0"]
    process = services.start(
        "custodian", [*cmd, "--network", chain.provider.http_uri], READY, env=ENV, timeout=120
    )
    try:
        identity = httpx.get(f"{process.url}/v1/identity").json()
        assert identity["address"] == Account.from_key(IDENTITY).address
        assert identity["assets"] == [world.asset] and identity["chainId"] == chain.chain_id
    finally:
        process.stop()
