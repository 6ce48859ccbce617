"""`ape run seal`, `grant` and `unseal` as a user runs them (in this process, as the script
fuzzers do): what each prints and does, and every bad input refused with one `error:` line,
no traceback, nothing sent and no file written.

The world (conftest.py): the owner's dataset (TEST::1's, registered by its plaintext content
root, unsealed on chain), ACCESS license of alice (TEST::2), TRAIN only of bob (TEST::3),
ACCESS on another asset of dave (TEST::7); TEST::5 is a stranger.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

from seedbed.core.manifest import build_manifest
from seedbed.core.sealed import SEAL_FILE, cipher_path, read_key_file

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "scripts"))
from script_fuzzkit import Runner, assert_refused  # noqa: E402

OWNER, ALICE, BOB, STRANGER, DAVE = 1, 2, 3, 5, 7


@pytest.fixture(scope="module")
def runner(chain, deployments_dir, tmp_path_factory):
    return Runner(chain, deployments_dir, tmp_path_factory.mktemp("private-cwd"))


def ok(outcome):
    assert outcome.code == 0, outcome.explain()
    assert "Traceback" not in outcome.stderr
    return outcome.stdout


def refused(outcome, phrase):
    line = assert_refused(outcome)
    assert phrase.lower() in line.lower(), line
    return line


def tree(folder):
    return {
        str(p.relative_to(folder)): p.read_bytes()
        for p in sorted(Path(folder).rglob("*"))
        if p.is_file() and ".seedbed" not in p.parts
    }


@pytest.fixture
def paths(tmp_path):
    return tmp_path / "sealed", tmp_path / "key.json"


@pytest.fixture
def sealed(runner, world, paths):
    """The world's folder sealed by the script, and the seal recorded for its asset."""
    out, key = paths
    ok(runner("seal", world.folder, "--out", out, "--key-file", key, "--asset", world.asset))
    return out, key


# -- the happy path --------------------------------------------------------------------------------


def test_seal_prints_the_roots_and_records_the_seal_once(runner, world, paths, tmp_path):
    out, key = paths
    text = ok(runner("seal", world.folder, "--out", out, "--key-file", key, account=None))
    root = build_manifest(world.folder).root
    assert f"content root 0x{root.hex()}" in text and "created" in text
    assert "not recorded on chain" in text
    index = json.loads((out / SEAL_FILE).read_text())
    assert f"seal root    {index['sealRoot']}" in text
    assert f"key check    {index['keyCheck']}" in text
    first_key = read_key_file(key)

    text = ok(runner("seal", world.folder, "--out", out, "--key-file", key, "--asset",
                     world.asset))  # fmt: skip
    assert "reused" in text and f"recorded the seal of asset {world.asset}" in text
    assert read_key_file(key) == first_key
    assert world.private.sealOf(world.asset) == (
        bytes.fromhex(index["sealRoot"][2:]),
        bytes.fromhex(index["keyCheck"][2:]),
    )
    height = world.chain.blocks.height
    text = ok(runner("seal", world.folder, "--out", out, "--key-file", key, "--asset",
                     world.asset, "--json"))  # fmt: skip
    doc = json.loads(text)
    assert doc["seal"]["tx"] is None and doc["content_root"] == "0x" + root.hex()
    assert world.chain.blocks.height == height


def test_register_of_the_plaintext_folder_is_the_same_asset(runner, world, sealed, tmp_path):
    text = ok(runner("register", world.folder, "--spdx", "MIT", "--out", tmp_path / "reg"))
    assert f"already registered as asset {world.asset}" in text


def test_grant_then_unseal(runner, world, sealed, tmp_path):
    out, key = sealed
    lic = world.access
    text = ok(runner("grant", lic.id, "--key-file", key))
    assert f"holder {lic.holder.address}" in text and " in tx 0x" in text
    plain = tmp_path / "plain"
    text = ok(runner("unseal", "--license", lic.id, "--sealed", out, "--out", plain, account=ALICE))
    assert f"unsealed asset {world.asset}" in text and "3 decrypted" in text
    assert tree(plain) == tree(world.folder)
    text = ok(runner("unseal", "--license", lic.id, "--sealed", out, "--out", plain,
                     "--json", account=ALICE))  # fmt: skip
    doc = json.loads(text)
    assert doc["unsealed"]["skipped"] == 3 and doc["key_source"]["grant_tx"].startswith("0x")


def test_grant_json_and_a_given_public_key(runner, world, sealed):
    _, key = sealed
    lic = world.access
    text = ok(runner("grant", lic.id, "--key-file", key, "--public-key",
                     "0x" + lic.public_key.hex(), "--json"))  # fmt: skip
    doc = json.loads(text)
    assert doc["holder"] == lic.holder.address and doc["asset_id"] == world.asset


def test_help_says_the_content_root_is_the_plaintexts(runner):
    outcome = runner("seal", "--help", account=None)
    assert outcome.code == 0
    assert "ape run register" in outcome.stdout and "plaintext" in outcome.stdout


# -- bad input: one error line, nothing sent, nothing written --------------------------------------


def test_seal_refusals(runner, world, paths, tmp_path):
    out, key = paths
    watch = [tmp_path, world.folder]
    refused(runner("seal", tmp_path / "nope", "--out", out, "--key-file", key, watch=watch),
            "does not exist")  # fmt: skip
    refused(runner("seal", world.folder, "--out", out, "--key-file", world.folder / "k.json",
                   watch=watch), "inside the dataset folder")  # fmt: skip
    refused(runner("seal", world.folder, "--out", out, "--key-file", key, "--asset",
                   world.other_asset, watch=watch), "content root")  # fmt: skip
    refused(runner("seal", world.folder, "--out", out, "--key-file", key, "--asset",
                   world.asset, account=STRANGER, watch=watch), "owner")  # fmt: skip
    refused(runner("seal", world.folder, "--out", out, "--key-file", key, "--asset",
                   world.asset, account=None, watch=watch), "--account")  # fmt: skip
    refused(runner("seal", world.folder, "--out", out, "--key-file", key, "--asset", "0",
                   watch=watch), "asset id")  # fmt: skip
    refused(runner("seal", world.folder, "--out", out, "--key-file", key, "--asset",
                   "99999", watch=watch), "does not exist")  # fmt: skip
    (tmp_path / "junk.json").write_text("{}")
    refused(runner("seal", world.folder, "--out", out, "--key-file", tmp_path / "junk.json",
                   watch=watch), "key file")  # fmt: skip
    refused(runner("seal", world.folder, "--key-file", key, watch=watch), "--out")


def test_sealing_with_another_key_is_refused_before_encrypting(runner, world, sealed, tmp_path):
    other = tmp_path / "other"
    refused(runner("seal", world.folder, "--out", other, "--key-file", tmp_path / "k2.json",
                   "--asset", world.asset, watch=[tmp_path]), "sealed already")  # fmt: skip


def test_grant_refusals(runner, world, sealed, tmp_path):
    _, key = sealed
    watch = [tmp_path]
    refused(runner("grant", world.train.id, "--key-file", key, watch=watch), "scopes train")
    refused(runner("grant", world.access.id, "--key-file", key, account=STRANGER,
                   watch=watch), "owner or a key service")  # fmt: skip
    refused(runner("grant", world.other.id, "--key-file", key, watch=watch), "not sealed")
    refused(runner("grant", world.access.id, "--key-file", tmp_path / "none.json",
                   watch=watch), "key file")  # fmt: skip
    refused(runner("grant", world.access.id, "--key-file", key, "--public-key", "0x1234",
                   watch=watch), "public key")  # fmt: skip
    refused(runner("grant", world.access.id, "--key-file", key, "--public-key",
                   "0x" + world.train.public_key.hex(), watch=watch), "not that of")  # fmt: skip
    for bad in ("0", "x", "+1", "99999"):
        assert_refused(runner("grant", bad, "--key-file", key, watch=watch))


def test_unseal_refusals(runner, world, sealed, tmp_path):
    out, key = sealed
    plain = tmp_path / "plain"
    watch = [tmp_path, out]
    lic = world.access.id

    def unseal(*extra, account=ALICE):
        return runner("unseal", "--license", lic, "--sealed", out, "--out", plain, *extra,
                      account=account, watch=watch)  # fmt: skip

    refused(unseal(), "no key was granted")
    ok(runner("grant", lic, "--key-file", key))
    refused(unseal(account=BOB), "no key was granted")
    refused(unseal("--threshold", "1"), "--custodians")
    refused(unseal("--custodians", "ftp://x"), "http")
    refused(unseal("--custodians", "http://127.0.0.1:1"), "--threshold")
    refused(unseal("--custodians", "http://127.0.0.1:1", "--threshold", "2"), "threshold")
    refused(unseal("--custodians", "http://127.0.0.1:1", "--threshold", "١"), "threshold")
    assert_refused(unseal("--custodians", "http://127.0.0.1:1", "--threshold", "1"))
    refused(runner("unseal", "--license", lic, "--sealed", tmp_path / "gone", "--out", plain,
                   account=ALICE, watch=watch), "does not exist")  # fmt: skip
    refused(runner("unseal", "--license", lic, "--sealed", world.out, "--out", plain,
                   account=ALICE, watch=watch), "not the sealed copy")  # fmt: skip
    refused(runner("unseal", "--license", world.other.id, "--sealed", out, "--out", plain,
                   account=DAVE, watch=watch), "not sealed")  # fmt: skip
    assert not plain.exists()


def test_unseal_refuses_a_damaged_sealed_file_with_nothing_written(runner, world, sealed, tmp_path):
    out, key = sealed
    ok(runner("grant", world.access.id, "--key-file", key))
    victim = cipher_path(out, "README.md")
    data = bytearray(victim.read_bytes())
    data[20] ^= 0xFF
    victim.write_bytes(bytes(data))
    plain = tmp_path / "plain"
    outcome = runner("unseal", "--license", world.access.id, "--sealed", out, "--out", plain,
                     account=ALICE, watch=[tmp_path])  # fmt: skip
    refused(outcome, "README.md")
    assert not plain.exists() or not any(p.is_file() for p in plain.rglob("*"))
