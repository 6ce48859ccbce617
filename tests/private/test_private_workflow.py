"""The private-data workflow (seedbed.workflows.private) on the test chain: seal a real folder
with a key file, record the seal, grant the key to an ACCESS holder, find and unwrap it, and
unseal, every file checked and the folder re-hashed to the content root; and every refusal,
each one clear and before anything is sent or written.

The world (conftest.py): the owner's dataset (registered by its plaintext content root, not
sealed on chain), licenses ACCESS (alice), TRAIN only (bob), ACCESS expiring after a day
(carol) and ACCESS on another asset of the owner (dave). Each test seals with a key file of
its own; ape reverts the chain after each test.
"""

from __future__ import annotations

import hashlib
import os
import statistics
import time

import pytest
from private_helpers import EXPIRY
from testkit.registering import increase_time

from seedbed.core import ecies
from seedbed.core.errors import InputError
from seedbed.core.manifest import build_manifest
from seedbed.core.sealed import (
    SEAL_FILE,
    VerifyError,
    cipher_path,
    key_check,
    load_seal,
    read_key_file,
)
from seedbed.workflows import private as pv


@pytest.fixture
def made(world, tmp_path):
    """The world's folder sealed by seal_dataset into tmp_path/sealed, key in tmp_path/key.json."""
    out, key_file = tmp_path / "sealed", tmp_path / "keys" / "key.json"
    key_file.parent.mkdir()
    index = pv.seal_dataset(world.folder, out, key_file)
    return out, key_file, index, read_key_file(key_file)


@pytest.fixture
def on_chain(world, made):
    """`made`, with its seal recorded for the world's asset."""
    out, key_file, index, key = made
    pv.seal_on_chain(world.suite, world.owner, world.asset, index)
    return made


def files_of(folder):
    return {
        str(p.relative_to(folder)): p.read_bytes()
        for p in sorted(folder.rglob("*"))
        if p.is_file() and ".seedbed" not in p.parts
    }


# -- the whole path --------------------------------------------------------------------------------


def test_seal_record_grant_find_unwrap_and_unseal(world, made, tmp_path):
    out, key_file, index, key = made
    suite = world.suite
    # The content root is the plaintext's: the registered asset's, whatever the key.
    assert index.content_root == build_manifest(world.folder).root
    assert index.content_root == bytes(world.registry.asset(world.asset).contentRoot)
    assert os.stat(key_file).st_mode & 0o777 == 0o600
    assert load_seal(out / SEAL_FILE).seal_root == index.seal_root

    record = pv.seal_on_chain(suite, world.owner, world.asset, index)
    assert record.tx and not record.already
    assert world.private.sealOf(world.asset) == (index.seal_root, index.key_check)
    again = pv.seal_on_chain(suite, world.owner, world.asset, index)  # idempotent
    assert again.already and again.tx is None

    lic = world.access
    assert pv.holder_public_key(suite, lic.id) == lic.public_key
    grant = pv.grant_key(suite, world.owner, lic.id, key)
    assert (grant.license_id, grant.asset_id, grant.holder) == (
        lic.id,
        world.asset,
        lic.holder.address,
    )
    assert grant.granter == world.owner.address and grant.tx

    found = pv.granted_keys(suite, lic.id, lic.holder.address)
    assert found == [grant]
    assert pv.granted_keys(suite, lic.id, world.stranger.address) == []
    got, used = pv.key_from_grants(pv.signing_key(lic.holder), found, index.key_check)
    assert got == key and used == grant

    licensed = pv.sealed_for_license(suite, lic.id, out)
    assert (licensed.asset_id, licensed.holder) == (world.asset, lic.holder.address)
    plain = tmp_path / "plain"
    done = pv.unseal(licensed.index, got, out, plain, asset_id=world.asset)
    assert (done.count, done.written, done.skipped) == (3, 3, 0)
    assert files_of(plain) == files_of(world.folder)
    assert build_manifest(plain).root == index.content_root


def test_a_granted_key_unwraps_only_with_the_holders_key(world, on_chain):
    out, _, index, key = on_chain
    lic = world.access
    grant = pv.grant_key(world.suite, world.owner, lic.id, key)
    with pytest.raises(InputError, match="unwraps"):
        pv.key_from_grants(world.train.private_key, [grant], index.key_check)
    with pytest.raises(InputError, match="No key was granted"):
        pv.key_from_grants(lic.private_key, [], index.key_check)
    # A grant of another key (a lying granter) is passed over for the right one.
    liar = pv.Grant(lic.id, world.asset, lic.holder.address, world.owner.address,
                    ecies.wrap(lic.public_key, os.urandom(32)), "0x", 0)  # fmt: skip
    assert pv.key_from_grants(lic.private_key, [liar, grant], index.key_check) == (key, grant)


def test_a_named_granter_grants_and_a_given_public_key_is_checked(world, on_chain):
    _, _, _, key = on_chain
    suite, lic = world.suite, world.access
    world.private.setGranter(world.asset, world.granter, True, sender=world.owner)
    with pytest.raises(InputError, match="not that of license"):
        pv.grant_key(suite, world.granter, lic.id, key, public_key=world.train.public_key)
    grant = pv.grant_key(suite, world.granter, lic.id, key, public_key=lic.public_key)
    assert grant.granter == world.granter.address


def test_a_license_the_holder_did_not_buy_needs_its_public_key(world, on_chain, accounts):
    _, _, index, key = on_chain
    suite, lic, eve = world.suite, world.access, accounts[8]
    world.license.transferFrom(lic.holder, eve, lic.id, sender=lic.holder)
    with pytest.raises(InputError, match="--public-key"):
        pv.holder_public_key(suite, lic.id)
    with pytest.raises(InputError, match="--public-key"):
        pv.grant_key(suite, world.owner, lic.id, key)
    eve_public = ecies.public_key_of(eve.private_key)
    grant = pv.grant_key(suite, world.owner, lic.id, key, public_key=eve_public)
    assert grant.holder == eve.address
    assert pv.key_from_grants(eve.private_key, [grant], index.key_check)[0] == key


def test_public_keys_parse_in_every_encoding(world):
    public = world.access.public_key
    from eth_keys import keys

    compressed = keys.PublicKey(public).to_compressed_bytes()
    for text in ("0x" + public.hex(), "0x04" + public.hex(), "0x" + compressed.hex()):
        assert pv.parse_public_key(text) == public
    for bad in ("0x1234", "zz", "0x" + "00" * 64, "0x05" + public.hex()):
        with pytest.raises(InputError):
            pv.parse_public_key(bad)


# -- refusals --------------------------------------------------------------------------------------


def test_grant_refuses_a_train_only_license(world, on_chain):
    with pytest.raises(InputError, match="scopes train.*ACCESS"):
        pv.grant_key(world.suite, world.owner, world.train.id, on_chain[3])


def test_grant_refuses_an_expired_license(world, on_chain):
    increase_time(world.registry.provider, EXPIRY + 1)
    with pytest.raises(InputError, match=f"License {world.expiring.id} expired"):
        pv.grant_key(world.suite, world.owner, world.expiring.id, on_chain[3])


def test_grant_refuses_a_license_of_another_asset(world, on_chain):
    key = on_chain[3]
    with pytest.raises(InputError, match=f"Asset {world.other_asset} is not sealed"):
        pv.grant_key(world.suite, world.owner, world.other.id, key)
    world.private.seal(world.other_asset, os.urandom(32), os.urandom(32), sender=world.owner)
    with pytest.raises(InputError, match=f"not asset {world.other_asset}'s"):
        pv.grant_key(world.suite, world.owner, world.other.id, key)


def test_grant_refuses_a_signer_neither_owner_nor_granter(world, on_chain):
    with pytest.raises(InputError, match="owner or a key service"):
        pv.grant_key(world.suite, world.stranger, world.access.id, on_chain[3])


def test_grant_refuses_unknown_licenses_unsealed_and_delisted_assets(world, made):
    suite, key = world.suite, made[3]
    with pytest.raises(InputError, match="does not exist"):
        pv.grant_key(suite, world.owner, 10**9, key)
    with pytest.raises(InputError, match="is not sealed"):
        pv.grant_key(suite, world.owner, world.access.id, key)
    pv.seal_on_chain(suite, world.owner, world.asset, made[2])
    world.registry.setDelisted(world.asset, True, sender=world.owner)
    with pytest.raises(InputError, match="delisted"):
        pv.grant_key(suite, world.owner, world.access.id, key)


def test_nothing_is_sent_by_a_refused_grant(world, on_chain):
    height = world.chain.blocks.height
    for lic, sender in ((world.train, world.owner), (world.access, world.stranger)):
        with pytest.raises(InputError):
            pv.grant_key(world.suite, sender, lic.id, on_chain[3])
    assert world.chain.blocks.height == height


def test_sealing_again_with_other_values_is_refused(world, on_chain, tmp_path):
    other = pv.seal_dataset(world.folder, tmp_path / "again", tmp_path / "other-key.json")
    with pytest.raises(InputError, match="sealed already"):
        pv.seal_on_chain(world.suite, world.owner, world.asset, other)
    assert world.private.sealOf(world.asset) == (on_chain[2].seal_root, on_chain[2].key_check)


def test_seal_on_chain_refuses_another_content_and_a_non_owner(world, made):
    out, key_file, index, _ = made
    with pytest.raises(InputError, match="content root"):
        pv.seal_on_chain(world.suite, world.owner, world.other_asset, index)
    with pytest.raises(InputError, match="owner"):
        pv.seal_on_chain(world.suite, world.stranger, world.asset, index)
    with pytest.raises(InputError, match="does not exist"):
        pv.seal_on_chain(world.suite, world.owner, 10**9, index)
    assert world.private.sealOf(world.asset) == (bytes(32), bytes(32))


def test_a_corrupted_sealed_file_is_refused_with_nothing_written(world, on_chain, tmp_path):
    out, _, index, key = on_chain
    victim = cipher_path(out, "data/train.csv")
    data = bytearray(victim.read_bytes())
    data[100] ^= 1
    victim.write_bytes(bytes(data))
    plain = tmp_path / "plain"
    with pytest.raises(VerifyError, match="data/train.csv"):
        pv.unseal(index, key, out, plain)
    assert not plain.exists() or not any(p.is_file() for p in plain.rglob("*"))
    victim.unlink()
    with pytest.raises(VerifyError, match="missing or damaged"):
        pv.unseal(index, key, out, plain)


def test_a_file_corrupted_past_the_precheck_leaves_no_partial_file(
    world, made, tmp_path, monkeypatch
):
    """A cipher file that changes between the check and the decryption (a flaky disk):
    the chunk check refuses it and the temporary file goes; nothing half-written stays."""
    out, _, index, key = made
    monkeypatch.setattr(pv.sd, "check_ciphertext", lambda f, path: True)
    victim = cipher_path(out, "data/train.csv")
    data = bytearray(victim.read_bytes())
    data[-5] ^= 1  # the last chunk's tag
    victim.write_bytes(bytes(data))
    plain = tmp_path / "plain"
    with pytest.raises(VerifyError, match="data/train.csv"):
        pv.unseal(index, key, out, plain)
    assert not (plain / "data" / "train.csv").exists()
    assert not [p for p in plain.rglob("*") if p.name.endswith(".tmp")]


def test_unseal_refuses_a_wrong_key_and_a_folder_of_another_asset(world, on_chain, tmp_path):
    out, _, index, _ = on_chain
    with pytest.raises(InputError, match="not this sealed dataset's"):
        pv.unseal(index, os.urandom(32), out, tmp_path / "plain")
    # world.out is the same folder sealed with another key: not the chain's seal.
    with pytest.raises(VerifyError, match="not the sealed copy"):
        pv.sealed_for_license(world.suite, world.access.id, world.out)
    with pytest.raises(InputError, match="no seal.json"):
        pv.sealed_for_license(world.suite, world.access.id, tmp_path)
    with pytest.raises(InputError, match="apart"):
        pv.unseal(index, on_chain[3], out, out / "plain")
    assert not (out / "plain").exists()


def test_unseal_refuses_an_out_folder_holding_other_files(world, made, tmp_path):
    out, _, index, key = made
    plain = tmp_path / "plain"
    plain.mkdir()
    (plain / "stray.txt").write_text("not the dataset's")
    with pytest.raises(VerifyError, match="extra: stray.txt"):
        pv.unseal(index, key, out, plain)


# -- resuming --------------------------------------------------------------------------------------


class Stop(Exception):
    pass


def stop_after_first_progress():
    calls = []

    def progress(done, total):
        calls.append(done)
        if done > 0:
            raise Stop

    return progress


def test_an_interrupted_seal_resumes_with_the_same_key(world, tmp_path):
    out, key_file = tmp_path / "sealed", tmp_path / "key.json"
    with pytest.raises(Stop):
        pv.seal_dataset(world.folder, out, key_file, progress=stop_after_first_progress())
    assert not (out / SEAL_FILE).exists()
    key = read_key_file(key_file)  # written before any ciphertext
    index = pv.seal_dataset(world.folder, out, key_file)
    assert read_key_file(key_file) == key and index.key_check == key_check(key)
    again = pv.seal_dataset(world.folder, out, key_file)
    assert again.seal_root == index.seal_root and read_key_file(key_file) == key


def test_a_sealed_folder_is_not_resealed_with_another_key(world, made, tmp_path):
    out, key_file, index, _ = made
    before = (out / SEAL_FILE).read_bytes()
    with pytest.raises(InputError, match="another key"):
        pv.seal_dataset(world.folder, out, tmp_path / "new-key.json")
    assert not (tmp_path / "new-key.json").exists()
    assert (out / SEAL_FILE).read_bytes() == before


def test_seal_paths_are_refused_before_anything_is_written(world, tmp_path):
    with pytest.raises(InputError, match="inside the dataset folder"):
        pv.seal_dataset(world.folder, tmp_path / "s", world.folder / "key.json")
    with pytest.raises(InputError, match="inside the sealed folder"):
        pv.seal_dataset(world.folder, tmp_path / "s", tmp_path / "s" / "key.json")
    with pytest.raises(InputError, match="does not exist"):
        pv.seal_dataset(tmp_path / "nope", tmp_path / "s", tmp_path / "key.json")
    with pytest.raises(InputError, match="does not exist"):
        pv.seal_dataset(world.folder, tmp_path / "s", tmp_path / "no" / "key.json")
    (tmp_path / "f").write_text("x")
    with pytest.raises(InputError, match="is a file"):
        pv.seal_dataset(world.folder, tmp_path / "f", tmp_path / "key.json")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["f"]


def test_an_interrupted_unseal_resumes(world, made, tmp_path):
    out, _, index, key = made
    plain = tmp_path / "plain"
    with pytest.raises(Stop):
        pv.unseal(index, key, out, plain, progress=stop_after_first_progress())
    first = pv.unseal(index, key, out, plain)
    assert first.skipped >= 1 and first.written + first.skipped == 3
    assert files_of(plain) == files_of(world.folder)
    (plain / "README.md").write_text("edited")
    (plain / "data" / "notes.txt").unlink()
    (plain / "data" / ".train.csv.k3j4h2l1.tmp").write_bytes(b"half")  # a killed run's temp
    again = pv.unseal(index, key, out, plain)
    assert (again.written, again.skipped) == (2, 1)
    assert not (plain / "data" / ".train.csv.k3j4h2l1.tmp").exists()
    assert (
        hashlib.sha256((plain / "README.md").read_bytes()).digest()
        == index.file("README.md").sha256
    )


# -- the key service's fast path -------------------------------------------------------------------


def test_release_key_is_one_call_one_wrap_one_transaction(world, on_chain, capsys):
    suite, lic, key = world.suite, world.access, on_chain[3]
    with pytest.raises(InputError, match="scopes"):
        pv.release_key(suite, world.owner, world.train.id, key, world.train.public_key)
    times = []
    for _ in range(20):
        start = time.perf_counter()
        pv.release_key(suite, world.owner, lic.id, key, lic.public_key)
        times.append((time.perf_counter() - start) * 1000)
    grants = pv.granted_keys(suite, lic.id, lic.holder.address)
    assert len(grants) == 20
    assert pv.key_from_grants(lic.private_key, grants[-1:], on_chain[2].key_check)[0] == key
    with capsys.disabled():
        print(f"\nrelease_key: median {statistics.median(times):.1f} ms over 20")
