"""The clients against a real gateway process: the Seedbed SDK (pays 402s, keeps its count,
verifies dataset files against the chain) and the unmodified x402 SDK from PyPI with the
Seedbed scheme registered."""

import asyncio
import hashlib

import httpx
import pytest
from testkit.gateway_world import DATASETS, MODEL_NAME, served
from x402 import x402Client
from x402.http.clients import x402HttpxClient

from seedbed.client import GatewayClient, VerificationError
from seedbed.client.x402_scheme import SeedbedVoucherScheme, register
from seedbed.core import x402

FILE = "census/north.csv"


def client(gateway, world, **options):
    return world.app_client(gateway.url, **options)


def test_the_sdk_pays_up_front_after_the_first_challenge_and_counts_what_was_served(gateway, world):
    with client(gateway, world) as app, httpx.Client(base_url=gateway.url) as http:
        start = served(http, world)
        for _ in range(5):
            assert (
                app.invoke(world.model_asset, {"task": "sign", "caption": "a stop sign"})["label"]
                == "stop"
            )
        chat = app.chat(
            [{"role": "user", "content": "a yield sign at a junction"}], model=MODEL_NAME
        )
        assert "yield" in chat["choices"][0]["message"]["content"]
        assert app.served == int(start) + 6
        assert int(app.channel()["served"]) == app.served


def test_a_fresh_sdk_client_catches_up_with_a_channel_served_elsewhere(gateway, world):
    with client(gateway, world) as first:
        first.invoke(world.model_asset, {"task": "sign", "caption": "a stop sign"})
        ahead = first.served
    with client(gateway, world) as second:  # knows nothing: its first voucher is recovered
        second.invoke(world.model_asset, {"task": "sign", "caption": "a stop sign"})
        assert second.served == ahead + 1


def test_the_sdk_verifies_a_downloaded_file_against_the_root_it_reads_from_the_chain(
    gateway, world, trees_license, tmp_path
):
    key, license_id = trees_license.key, trees_license.license_id
    asset = world.dataset_assets["city-trees"]
    with GatewayClient(
        gateway.url,
        private_key=key,
        license_id=license_id,
        chain_id=world.chain_id,
        meter_address=world.meter,
        rpc_url=world.rpc,
        registry_address=world.registry,
    ) as c:
        whole = c.file(asset, FILE)
        assert whole == (DATASETS / "city-trees" / FILE).read_bytes()
        part = c.file(asset, FILE, range=(0, 99))
        assert part == whole[:100]
        path = c.download(asset, FILE, tmp_path, chunk_size=1000)
        assert hashlib.sha256(path.read_bytes()).digest() == hashlib.sha256(whole).digest()
        # Against a root the chain does not hold, nothing passes.
        with pytest.raises(VerificationError):
            c.file(asset, FILE, content_root=b"\x01" * 32)


def test_the_unmodified_x402_client_pays_the_gateway_with_the_seedbed_scheme(gateway, world):
    scheme = SeedbedVoucherScheme(
        world.app_key,
        license_id=world.license_id,
        chain_id=world.chain_id,
        meter_address=world.meter,
    )

    async def call():
        sdk = register(x402Client(), scheme)
        async with x402HttpxClient(sdk, headers=scheme.headers()) as http:
            return await http.post(
                f"{gateway.url}/v1/assets/{world.model_asset}/invoke",
                json={"task": "sign", "caption": "a no parking sign"},
            )

    first = asyncio.run(call())
    assert first.status_code == 200, first.text
    assert first.json()["label"] == "no parking"
    paid = x402.read_payment_response(first.headers[x402.PAYMENT_RESPONSE])
    assert paid["success"] and paid["amount"] == str(world.unit_price)
    second = asyncio.run(call())
    assert second.status_code == 200
    after = x402.read_payment_response(second.headers[x402.PAYMENT_RESPONSE])
    assert (
        int(after["extensions"]["seedbed"]["served"])
        == int(paid["extensions"]["seedbed"]["served"]) + 1
    )
