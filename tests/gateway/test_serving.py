"""What the gateway serves: dataset files with Range and proofs against the chain's content
root, OpenAI-compatible chat (streamed, charged by tokens), and API-key billing."""

import hashlib
import json

import httpx
import pytest
from testkit.gateway_world import (
    DATASETS,
    MODEL_NAME,
    new_id,
    served,
    start_gateway,
)

from seedbed.core import x402
from seedbed.core.merkle import file_leaf, verify_proof

FILE = "census/west.csv"


def _root_on_chain(world, project, networks, asset_id):
    with networks.parse_network_choice(world.rpc):
        from ape import chain

        from seedbed.chain.client import Suite

        suite = Suite.from_record(project, chain, json.loads(world.record.read_text()))
        return bytes(suite.registry.asset(asset_id).contentRoot)


def test_a_dataset_file_comes_with_a_proof_that_folds_to_the_on_chain_root(
    http, world, trees_license, project, networks
):
    asset = world.dataset_assets["city-trees"]
    manifest = http.get(f"/v1/assets/{asset}/manifest").json()
    root = _root_on_chain(world, project, networks, asset)
    assert manifest["contentRoot"] == "0x" + root.hex()
    p = trees_license
    n = served(http, world, p.license_id, p.payer)
    r = http.get(
        f"/v1/assets/{asset}/files/{FILE}",
        headers={"PAYMENT-SIGNATURE": p.header(p.voucher(n + 1))},
    )
    assert r.status_code == 200, r.text
    expected = (DATASETS / "city-trees" / FILE).read_bytes()
    assert r.content == expected
    sha = bytes.fromhex(r.headers["Seedbed-File-Sha256"])
    assert sha == hashlib.sha256(expected).digest()
    proof = [bytes.fromhex(h[2:]) for h in r.headers["Seedbed-File-Proof"].split(",") if h]
    leaf = file_leaf(FILE, sha, int(r.headers["Seedbed-File-Size"]))
    assert verify_proof(leaf, proof, root)
    assert not verify_proof(file_leaf(FILE, sha, len(expected) + 1), proof, root)


def test_a_range_is_served_as_206_and_charged_once(http, world, trees_license):
    asset = world.dataset_assets["city-trees"]
    p = trees_license
    n = served(http, world, p.license_id, p.payer)
    header = p.header(p.voucher(n + 1))
    r = http.get(
        f"/v1/assets/{asset}/files/{FILE}",
        headers={"PAYMENT-SIGNATURE": header, "Range": "bytes=10-29"},
    )
    assert r.status_code == 206
    whole = (DATASETS / "city-trees" / FILE).read_bytes()
    assert r.content == whole[10:30]
    assert r.headers["Content-Range"] == f"bytes 10-29/{len(whole)}"
    assert served(http, world, p.license_id, p.payer) == n + 1


@pytest.mark.parametrize(
    "bad", ["bytes=5-2", "bytes=999999-", "lines=1-2", "bytes=0-1,4-5", "bytes=-0"]
)
def test_an_unsatisfiable_range_is_416_before_any_charge(http, world, trees_license, bad):
    asset = world.dataset_assets["city-trees"]
    p = trees_license
    n = served(http, world, p.license_id, p.payer)
    r = http.get(
        f"/v1/assets/{asset}/files/{FILE}",
        headers={"PAYMENT-SIGNATURE": p.header(p.voucher(n + 1)), "Range": bad},
    )
    assert r.status_code == 416 and r.headers["Content-Range"].startswith("bytes */")
    assert served(http, world, p.license_id, p.payer) == n


def test_a_path_outside_the_manifest_is_404(http, world):
    asset = world.dataset_assets["city-trees"]
    for path in ("%2e%2e/%2e%2e/etc/passwd", "census/nope.csv", "census/../../README.md"):
        assert http.get(f"/v1/assets/{asset}/files/{path}").status_code == 404


def test_the_model_license_does_not_open_a_dataset(http, world, payer):
    asset = world.dataset_assets["city-trees"]
    n = served(http, world)
    r = http.get(
        f"/v1/assets/{asset}/files/{FILE}",
        headers={"PAYMENT-SIGNATURE": payer.header(payer.voucher(n + 1))},
    )
    assert r.status_code == 403 and r.json()["error"] == "license_invalid"
    assert served(http, world) == n


# -- chat, charged by tokens --------------------------------------------------------------------


@pytest.fixture(scope="module")
def token_gateway(world, model):
    process = start_gateway(
        world,
        world.config("tokens", model_url=model.url, pricing="token", units=64, datasets=False),
        settle=False,
    )
    yield process
    process.stop()


def _chat(stream=False, max_tokens=None):
    body = {
        "model": MODEL_NAME,
        "messages": [{"role": "user", "content": "a no entry sign at a junction"}],
        "stream": stream,
    }
    if max_tokens:
        body["max_tokens"] = max_tokens
    return body


def test_a_chat_completion_charges_the_tokens_used_not_the_authorised_maximum(
    token_gateway, world, payer
):
    with httpx.Client(base_url=token_gateway.url) as http:
        n = served(http, world)
        r = http.post(
            "/v1/chat/completions",
            json=_chat(),
            headers={"PAYMENT-SIGNATURE": payer.header(payer.voucher(n + 64), payment_id=new_id())},
        )
        assert r.status_code == 200, r.text
        answer = r.json()
        assert "no entry" in answer["choices"][0]["message"]["content"]
        used = answer["usage"]["total_tokens"]
        assert 0 < used < 64
        charged = x402.read_payment_response(r.headers[x402.PAYMENT_RESPONSE])
        assert charged["amount"] == str(used * world.unit_price)
        assert served(http, world) == n + used


def test_a_streamed_chat_is_charged_in_a_last_payment_event_after_the_stream(
    token_gateway, world, payer
):
    with httpx.Client(base_url=token_gateway.url) as http:
        n = served(http, world)
        with http.stream(
            "POST",
            "/v1/chat/completions",
            json=_chat(stream=True),
            headers={"PAYMENT-SIGNATURE": payer.header(payer.voucher(n + 64))},
        ) as r:
            assert r.status_code == 200
            lines = [line for line in r.iter_lines() if line]
        assert lines[-1] == "data: [DONE]"
        assert lines[-3] == "event: payment"
        charged = x402.read_payment_response(lines[-2].removeprefix("data: "))
        used = int(charged["extensions"]["seedbed"]["units"])
        chunks = [json.loads(line[6:]) for line in lines[:-3] if line.startswith("data: ")]
        assert chunks[-1]["usage"]["total_tokens"] == used
        assert served(http, world) == n + used


def test_a_streamed_chat_retried_with_its_key_is_replayed_whole_and_not_charged_again(
    token_gateway, world, payer
):
    with httpx.Client(base_url=token_gateway.url) as http:
        n = served(http, world)
        header = payer.header(payer.voucher(n + 64), payment_id=new_id())
        bodies = []
        for _ in range(2):
            with http.stream(
                "POST",
                "/v1/chat/completions",
                json=_chat(stream=True),
                headers={"PAYMENT-SIGNATURE": header},
            ) as r:
                assert r.status_code == 200
                bodies.append(r.read())
        assert bodies[0] == bodies[1]
        assert b"event: payment" in bodies[1] and bodies[1].endswith(b"data: [DONE]\n\n")
        used = served(http, world) - n
        assert 0 < used < 64
        assert served(http, world) == n + used


def test_per_token_settlement_takes_the_highest_voucher_not_above_what_was_served(
    token_gateway, world
):
    from seedbed.gateway.store import GatewayLedger

    ledger = GatewayLedger(str(world.out / "tokens-ledger.sqlite"), world.chain_id, world.meter)
    try:
        channel = (world.license_id, world.app, world.operator)
        served_units = ledger.served(channel)
        for pending in ledger.pending():
            assert pending.voucher.cumulative_units <= served_units
    finally:
        ledger.close()


def test_a_receipt_at_what_was_served_lets_the_settlement_take_every_token(token_gateway, world):
    from seedbed.gateway.store import GatewayLedger

    with world.app_client(token_gateway.url) as app:
        ledger = GatewayLedger(str(world.out / "tokens-ledger.sqlite"), world.chain_id, world.meter)
        try:
            # Vouchers authorise a call's maximum and calls use less: after a call, the voucher
            # settlement would take (the highest not above what was served) is below served,
            # unless the counts happen to meet, which another call undoes.
            for text in ("a one way sign at a junction", "a stop sign", "no parking here"):
                app.chat([{"role": "user", "content": text}], model=MODEL_NAME)
                served_units = app.served
                (before,) = ledger.pending()
                if before.voucher.cumulative_units < served_units:
                    break
            assert before.voucher.cumulative_units < served_units
            assert app.receipt()["cumulativeUnits"] == str(served_units)
            (after,) = ledger.pending()
            assert after.voucher.cumulative_units == served_units
        finally:
            ledger.close()
        # A receipt above what was served is refused (it would charge unserved units).
        with httpx.Client(base_url=token_gateway.url) as http:
            from testkit.gateway_world import Payer

            p = Payer(world)
            r = http.post(
                f"/v1/channels/{world.license_id}/{world.app}/receipts",
                headers={"PAYMENT-SIGNATURE": p.header(p.voucher(served_units + 1))},
            )
            assert r.status_code == 400 and "at most" in r.json()["message"]


# -- API keys ----------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def key_gateway(world, model):
    key = "sk-seedbed-test-" + "x" * 16
    digest = hashlib.sha256(key.encode()).hexdigest()
    block = (
        f'[[api_keys]]\nkey_sha256 = "{digest}"\nlicense = {world.license_id}\n'
        f'payer = "{world.app}"\nsigner_key_env = "APP_SESSION_KEY"\n'
    )
    config = world.config("keys", model_url=model.url, datasets=False, api_keys=block)
    from testkit.gateway_world import GATEWAY_ACCOUNT

    from seedbed.workflows import services

    process = services.gateway(
        config, world.rpc, GATEWAY_ACCOUNT, "--no-settle", env={"APP_SESSION_KEY": world.app_key}
    )
    yield process, key
    process.stop()


def test_a_backend_with_an_api_key_is_billed_with_no_wallet_code(key_gateway, world):
    process, key = key_gateway
    with httpx.Client(base_url=process.url) as http:
        n = served(http, world)
        r = http.post(
            f"/v1/assets/{world.model_asset}/invoke",
            json={"task": "sign", "caption": "a yield sign"},
            headers={"Authorization": f"Bearer {key}"},
        )
        assert r.status_code == 200, r.text
        assert r.json()["label"] == "yield"
        assert served(http, world) == n + 1
        wrong = http.post(
            f"/v1/assets/{world.model_asset}/invoke",
            json={},
            headers={"Authorization": "Bearer sk-wrong"},
        )
        assert wrong.status_code == 401 and wrong.json()["error"] == "invalid_api_key"
        assert served(http, world) == n + 1
