"""Streamed private data through a real gateway process: plaintext only to a caller who signs
a release as the holder of a valid ACCESS or TRAIN license, re-checked on every request, so
an expired, moved, delisted or disputed license gets nothing from the next block on; a
tampered or truncated ciphertext gives an error and no plaintext."""

from __future__ import annotations

import hashlib
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from testkit.gateway_world import anvil, wait_for

from seedbed.client import GatewayClient, GatewayError, VerificationError
from seedbed.core import access
from seedbed.core.errors import InputError
from seedbed.workflows import demo_private, services
from seedbed.workflows.demo import Demo
from seedbed.workflows.escrow import deposit
from seedbed.workflows.licenses import buy_license

FILE = "inspections/2025.csv"


@dataclass
class Holder:
    license_id: int
    account: Any

    @property
    def key(self) -> str:
        key = self.account.private_key
        return key if isinstance(key, str) else "0x" + bytes(key).hex()


@dataclass
class PW:
    rpc: str
    demo: Demo
    dataset: demo_private.PrivateDataset
    folder: Path
    url: str
    main: Holder  # ACCESS+TRAIN, perpetual (the model maker)
    expiring: Holder  # ACCESS+TRAIN for 1 hour
    mover: Holder  # ACCESS+TRAIN, transferred mid-session
    other: Holder  # TRAIN on city-trees, not on the private asset
    stranger: Any  # holds nothing

    def chain(self, networks: Any) -> Any:
        return networks.parse_network_choice(self.rpc)


@pytest.fixture(scope="module")
def pw(project, networks, tmp_path_factory):
    with anvil() as rpc:
        out = tmp_path_factory.mktemp("private-gateway")
        with networks.parse_network_choice(rpc):
            from ape import accounts, chain

            people = list(accounts.test_accounts)
            demo = Demo(project, chain, people[:6], out, say=lambda _: None)
            demo.step_deploy()
            demo.step_publish_datasets()
            dataset = demo_private.publish(demo)
            suite = demo.suite
            trees = demo.assets[demo_private.NAME]
            hour = demo._offer(
                demo.trees_pub,
                trees,
                "hour",
                scopes="access,train",
                price="0.001",
                unit_price="0.0001",
                duration="1h",
            )

            def bought(account: Any, offer: int) -> Holder:
                license_id = buy_license(suite, chain, account, offer).license_id
                deposit(suite, chain, account, license_id, demo.gateway.address, "0.01")
                return Holder(license_id, account)

            main = bought(demo.modeler, trees.offers["access"])
            expiring = bought(people[6], hour)
            mover = bought(people[7], trees.offers["access"])
            other = bought(people[8], demo.assets["city-trees"].offers["train"])
            dataset.license_id = main.license_id
        ledger = out / "ledger.sqlite"
        config = out / "private-gateway.toml"
        config.write_text(
            demo_private.private_config(
                demo.gateway.address, (out / "deployment.json").resolve(), ledger, dataset
            )
        )
        gateway = services.gateway(config, rpc, "TEST::5")
        try:
            yield PW(
                rpc=rpc,
                demo=demo,
                dataset=dataset,
                folder=demo_private.EXAMPLES / "datasets" / demo_private.NAME,
                url=gateway.url,
                main=main,
                expiring=expiring,
                mover=mover,
                other=other,
                stranger=people[9],
            )
        finally:
            gateway.stop()


def client(pw: PW, holder: Holder, **options: Any) -> GatewayClient:
    suite = pw.demo.suite
    return GatewayClient(
        pw.url,
        private_key=holder.key,
        license_id=holder.license_id,
        chain_id=suite.chain_id,
        meter_address=suite.meter.address,
        rpc_url=pw.rpc,
        registry_address=suite.registry.address,
        private_data_address=suite.private.address,
        retries=0,
        **options,
    )


def release(pw: PW, license_id: int, key: str, audience: str | None = None) -> dict[str, str]:
    """A signed release answering a fresh challenge of the gateway."""
    challenge = httpx.post(f"{pw.url}/v1/challenge").json()
    suite = pw.demo.suite
    body = access.Release(
        license_id=license_id,
        audience=audience or challenge["audience"],
        nonce=bytes.fromhex(challenge["nonce"][2:]),
        deadline=int(challenge["deadline"]),
    )
    return body.to_json(access.sign(body, suite.chain_id, suite.private.address, key))


def open_session(pw: PW, body: dict[str, str]) -> httpx.Response:
    return httpx.post(f"{pw.url}/v1/assets/{pw.dataset.asset_id}/access", json=body)


def key_of(account: Any) -> str:
    key = account.private_key
    return key if isinstance(key, str) else "0x" + bytes(key).hex()


def status_with(pw: PW, token: str) -> int:
    route = f"{pw.url}/v1/assets/{pw.dataset.asset_id}/files/{FILE}"
    return httpx.get(route, headers={"Seedbed-Access": token}).status_code


# -- a licensee reads ---------------------------------------------------------------------------


def test_licensee_gets_a_verified_copy_of_every_file(pw, tmp_path):
    with client(pw, pw.main) as gw:
        gw.download_dataset(pw.dataset.asset_id, tmp_path / "copy")
        for entry in pw.dataset.index.files:
            assert (tmp_path / "copy" / entry.path).read_bytes() == (
                pw.folder / entry.path
            ).read_bytes()


def test_a_range_is_checked_against_the_seal_and_cut_exactly(pw):
    plain = (pw.folder / FILE).read_bytes()
    with client(pw, pw.main) as gw:
        for first, last in ((0, 0), (10, 99), (len(plain) - 5, None), (3, 10**9)):
            got = gw.file(pw.dataset.asset_id, FILE, range=(first, last))
            end = len(plain) if last is None else min(last + 1, len(plain))
            assert got == plain[first:end]


def test_a_range_outside_the_file_is_refused(pw):
    size = (pw.folder / FILE).stat().st_size
    with client(pw, pw.main) as gw:
        with pytest.raises((GatewayError, VerificationError, InputError)) as err:
            gw.file(pw.dataset.asset_id, FILE, range=(size + 10, size + 20))
        assert "outside" in str(err.value)
    body = release(pw, pw.main.license_id, pw.main.key)
    token = open_session(pw, body).json()["token"]
    route = f"{pw.url}/v1/assets/{pw.dataset.asset_id}/files/{FILE}"
    answer = httpx.get(
        route, headers={"Seedbed-Access": token, "Range": f"bytes={size + 10}-{size + 20}"}
    )
    assert answer.status_code == 416 and answer.json()["error"] == "range_not_satisfiable"


def test_the_seal_and_ciphertext_are_public_and_check_without_the_key(pw):
    seal = httpx.get(f"{pw.url}/v1/assets/{pw.dataset.asset_id}/seal").json()
    assert seal["sealRoot"] == "0x" + pw.dataset.index.seal_root.hex()
    entry = pw.dataset.index.file(FILE)
    cipher = httpx.get(f"{pw.url}/v1/assets/{pw.dataset.asset_id}/sealed/{FILE}")
    assert cipher.status_code == 200
    assert hashlib.sha256(cipher.content).digest() == entry.cipher_sha256
    assert (pw.folder / FILE).read_bytes()[:64] not in cipher.content


# -- everyone else is refused -------------------------------------------------------------------


def test_no_release_no_bytes(pw):
    answer = httpx.get(f"{pw.url}/v1/assets/{pw.dataset.asset_id}/files/{FILE}")
    assert answer.status_code == 401
    assert answer.json()["error"] == "access_required"
    assert b"inspection_id" not in answer.content


def test_a_non_licensee_signing_for_someone_elses_license_is_refused(pw):
    answer = open_session(pw, release(pw, pw.main.license_id, key_of(pw.stranger)))
    assert answer.status_code == 403
    assert "is held by" in answer.json()["message"]


def test_a_licensee_of_another_asset_is_refused(pw):
    answer = open_session(pw, release(pw, pw.other.license_id, pw.other.key))
    assert answer.status_code == 403
    assert f"not {pw.dataset.asset_id}" in answer.json()["message"]
    with client(pw, pw.other) as gw:
        with pytest.raises(GatewayError) as err:
            gw.file(pw.dataset.asset_id, FILE)
        assert err.value.status == 403


def test_a_replayed_release_is_refused(pw):
    body = release(pw, pw.main.license_id, pw.main.key)
    assert open_session(pw, body).status_code == 200
    again = open_session(pw, body)
    assert again.status_code == 401 and again.json()["error"] == "challenge_used"


def test_a_release_for_another_audience_is_refused(pw):
    other = pw.demo.app.address
    answer = open_session(pw, release(pw, pw.main.license_id, pw.main.key, audience=other))
    assert answer.status_code == 403 and answer.json()["error"] == "wrong_audience"


def test_a_forged_signature_or_garbage_is_a_clear_400(pw):
    body = release(pw, pw.main.license_id, pw.main.key)
    body["signature"] = "0x" + "11" * 65
    bad = open_session(pw, body)
    assert bad.status_code in (400, 403)
    for junk in ({}, {"licenseId": "x"}, [1, 2]):
        answer = httpx.post(f"{pw.url}/v1/assets/{pw.dataset.asset_id}/access", json=junk)
        assert answer.status_code == 400 and answer.json()["message"]


def test_an_unknown_token_is_refused(pw):
    assert status_with(pw, "not-a-token") == 401


# -- revocation from the next block on ----------------------------------------------------------


def test_an_expired_license_gets_nothing_new(pw, networks):
    token = open_session(pw, release(pw, pw.expiring.license_id, pw.expiring.key)).json()["token"]
    with client(pw, pw.expiring) as gw:
        gw.file(pw.dataset.asset_id, FILE, range=(0, 9))
    with pw.chain(networks):
        from ape import chain

        chain.provider.make_request("evm_increaseTime", [3700])
        chain.provider.make_request("evm_mine", [])
    assert wait_for(lambda: status_with(pw, token) == 403, timeout=20)
    answer = open_session(pw, release(pw, pw.expiring.license_id, pw.expiring.key))
    assert answer.status_code == 403 and "expired" in answer.json()["message"]


def test_a_transferred_license_stops_serving_the_old_holder(pw, networks):
    token = open_session(pw, release(pw, pw.mover.license_id, pw.mover.key)).json()["token"]
    with pw.chain(networks):
        suite = pw.demo.suite
        suite.license.transferFrom(
            pw.mover.account.address,
            pw.stranger.address,
            pw.mover.license_id,
            sender=pw.mover.account,
        )
    assert wait_for(lambda: status_with(pw, token) == 403, timeout=20)
    answer = open_session(pw, release(pw, pw.mover.license_id, pw.mover.key))
    assert answer.status_code == 403 and "is held by" in answer.json()["message"]
    # the new holder signs its own release and reads
    fresh = open_session(pw, release(pw, pw.mover.license_id, key_of(pw.stranger)))
    assert fresh.status_code == 200


def test_a_delisted_asset_stops_serving_until_relisted(pw, networks):
    token = open_session(pw, release(pw, pw.main.license_id, pw.main.key)).json()["token"]
    assert status_with(pw, token) in (200, 402)  # 402: a bare request carries no voucher
    with pw.chain(networks):
        pw.demo.suite.registry.setDelisted(pw.dataset.asset_id, True, sender=pw.demo.trees_pub)
    assert wait_for(lambda: status_with(pw, token) == 403, timeout=20)
    with pw.chain(networks):
        pw.demo.suite.registry.setDelisted(pw.dataset.asset_id, False, sender=pw.demo.trees_pub)
    assert wait_for(lambda: status_with(pw, token) != 403, timeout=20)


# -- a damaged ciphertext gives no plaintext (last: they touch the served folder) --------------


def _damage(pw: PW, change: Any) -> Any:
    target = pw.dataset.sealed / "files" / FILE
    saved = target.read_bytes()
    target.write_bytes(change(saved))
    return target, saved


def test_a_tampered_chunk_gives_an_error_and_no_plaintext(pw):
    target, saved = _damage(pw, lambda b: b[:40] + bytes([b[40] ^ 1]) + b[41:])
    try:
        with client(pw, pw.main) as gw:
            with pytest.raises(GatewayError) as err:
                gw.file(pw.dataset.asset_id, FILE, range=(0, 99))
        assert (err.value.status, err.value.code) == (503, "corrupt_ciphertext")
    finally:
        target.write_bytes(saved)


def test_a_truncated_file_gives_an_error_and_no_plaintext(pw):
    target, saved = _damage(pw, lambda b: b[: len(b) // 2])
    try:
        with client(pw, pw.main) as gw:
            with pytest.raises(GatewayError) as err:
                gw.file(pw.dataset.asset_id, FILE)
        assert err.value.status == 503
    finally:
        target.write_bytes(saved)


def test_a_disputed_asset_stops_serving(pw, networks):
    token = open_session(pw, release(pw, pw.main.license_id, pw.main.key)).json()["token"]
    with pw.chain(networks):
        court = pw.demo.suite.court
        bond = int(court.BOND())  # the panel arbiter charges no ruling fee
        court.openSubjective(
            pw.dataset.asset_id, 1, b"\x01" * 32, 0, value=bond, sender=pw.demo.app
        )
    assert wait_for(lambda: status_with(pw, token) == 403, timeout=20)
    answer = open_session(pw, release(pw, pw.main.license_id, pw.main.key))
    assert answer.status_code == 403 and "dispute" in answer.json()["message"]


def test_the_sealed_folder_copy_is_untouched(pw, tmp_path):
    # the damage tests restored every byte: the seal still verifies without the key
    from seedbed.core.sealed import check_ciphertext

    for entry in pw.dataset.index.files:
        assert check_ciphertext(entry, pw.dataset.sealed / "files" / entry.path)
    shutil.rmtree(tmp_path, ignore_errors=True)
