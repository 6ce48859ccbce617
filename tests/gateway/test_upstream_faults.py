"""An upstream that hangs or is gone: the caller gets 504 or 502 with a JSON error, nothing is
charged, and the same voucher pays the next call once the upstream is back."""

import socket

import httpx
import pytest
from testkit.gateway_world import free_port, served, start_gateway

SIGN = {"task": "sign", "caption": "a stop sign"}


@pytest.fixture(scope="module")
def hanging():
    """A socket that accepts connections and never answers."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen(64)
        yield f"http://127.0.0.1:{sock.getsockname()[1]}"


def _gateway(world, name, upstream, timeout):
    config = world.config(name, model_url=upstream, datasets=False)
    config.write_text(
        config.read_text().replace("timeout_seconds = 5", f"timeout_seconds = {timeout}")
    )
    return start_gateway(world, config, settle=False)


@pytest.mark.parametrize("case", ["hangs", "is gone"])
def test_a_failed_upstream_charges_nothing(world, payer, hanging, case):
    upstream = hanging if case == "hangs" else f"http://127.0.0.1:{free_port()}"
    process = _gateway(world, f"upstream-{case.replace(' ', '-')}", upstream, 1)
    try:
        with httpx.Client(base_url=process.url, timeout=30) as http:
            n = served(http, world)
            header = payer.header(payer.voucher(n + 1))
            r = http.post(
                f"/v1/assets/{world.model_asset}/invoke",
                json=SIGN,
                headers={"PAYMENT-SIGNATURE": header},
            )
            assert r.status_code == (504 if case == "hangs" else 502)
            body = r.json()
            assert body["error"] in ("upstream_timeout", "upstream_unreachable")
            assert "Nothing was charged" in body["message"]
            chat = {
                "model": "sign-tree-model",
                "messages": [{"role": "user", "content": "a stop sign"}],
            }
            r = http.post("/v1/chat/completions", json=chat, headers={"PAYMENT-SIGNATURE": header})
            assert r.status_code in (502, 504)
            assert served(http, world) == n
    finally:
        process.stop()


def test_the_voucher_of_a_failed_call_pays_the_next_one(world, payer, model):
    process = _gateway(world, "upstream-back", model.url, 5)
    try:
        with httpx.Client(base_url=process.url, timeout=30) as http:
            n = served(http, world)
            r = http.post(
                f"/v1/assets/{world.model_asset}/invoke",
                json=SIGN,
                headers={"PAYMENT-SIGNATURE": payer.header(payer.voucher(n + 1))},
            )
            assert r.status_code == 200 and served(http, world) == n + 1
    finally:
        process.stop()
