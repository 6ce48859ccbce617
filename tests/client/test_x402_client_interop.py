"""The unmodified x402 SDK client (its httpx transport) pays a real HTTP server with our scheme.

The server is a tiny FastAPI app run by uvicorn in a thread, built on `seedbed.core.x402`
alone (clientkit's Desk): it answers 402, checks the voucher's signature with
VoucherDomain.recover, and answers 200 with PAYMENT-RESPONSE. Point the same tests at a real
gateway with SEEDBED_X402_GATEWAY (base URL) and SEEDBED_X402_KEY, SEEDBED_X402_LICENSE,
SEEDBED_X402_ASSET, SEEDBED_X402_CHAIN_ID; the tests that look inside the stand-in's desk
are skipped then.
"""

import asyncio
import os
import socket
import threading
import time

import pytest
from clientkit import ASSET, CHAIN_ID, LICENSE, METER, OPERATOR, PAYER, PAYER_KEY, Desk, Refusal
from x402 import x402Client
from x402.http.clients import x402HttpxClient

from seedbed.client.x402_scheme import SeedbedVoucherScheme, register
from seedbed.core import x402

REAL = os.environ.get("SEEDBED_X402_GATEWAY")


def app_for(desk: Desk):
    from fastapi import FastAPI, Request
    from fastapi.responses import JSONResponse, Response

    app = FastAPI()

    @app.post("/v1/assets/{asset_id}/invoke")
    async def invoke(asset_id: int, request: Request):
        paid = desk.pay(str(request.url), request.headers, units=2)
        if isinstance(paid, Refusal):
            return Response(paid.body, status_code=paid.status, headers=paid.headers)
        return JSONResponse({"echo": await request.json()}, headers=paid.headers)

    return app


@pytest.fixture(scope="module")
def desk():
    return Desk()


@pytest.fixture(scope="module")
def base_url(desk):
    if REAL:
        yield REAL.rstrip("/")
        return
    import uvicorn

    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    sock.close()
    config = uvicorn.Config(
        app_for(desk), host="127.0.0.1", port=port, log_level="warning", lifespan="off"
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        assert time.monotonic() < deadline, "uvicorn did not start"
        time.sleep(0.02)
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(10)


def settings():
    if REAL:
        return (
            os.environ["SEEDBED_X402_KEY"],
            int(os.environ["SEEDBED_X402_LICENSE"]),
            int(os.environ["SEEDBED_X402_ASSET"]),
            int(os.environ["SEEDBED_X402_CHAIN_ID"]),
        )
    return PAYER_KEY, LICENSE, ASSET, CHAIN_ID


def make_scheme():
    key, license_id, _, chain_id = settings()
    return SeedbedVoucherScheme(key, license_id=license_id, chain_id=chain_id)


async def post(base_url, scheme, body, *, headers=True):
    _, _, asset, _ = settings()
    client = register(x402Client(), scheme)
    async with x402HttpxClient(client, headers=scheme.headers() if headers else {}) as http:
        return await http.post(f"{base_url}/v1/assets/{asset}/invoke", json=body)


def served_of(response):
    document = x402.read_payment_response(response.headers[x402.PAYMENT_RESPONSE])
    return int(document["extensions"]["seedbed"]["served"])


def test_the_sdk_client_pays_with_a_voucher_and_the_server_accepts_it(base_url, desk):
    scheme = make_scheme()
    response = asyncio.run(post(base_url, scheme, {"q": 1}))
    assert response.status_code == 200, response.text
    assert response.json() == {"echo": {"q": 1}}
    served = served_of(response)
    operator = scheme.book.items()[0][0][2]
    assert scheme.served(settings()[1], operator) == served  # learnt through the hook
    if REAL:
        return
    payment = desk.payments[-1]
    assert desk.domain.recover(payment.signed) == PAYER
    v = payment.signed.voucher
    assert (v.license_id, v.payer, v.operator, v.cumulative_units) == (LICENSE, PAYER, OPERATOR, 2)
    assert payment.payment_id is not None and payment.version == 2


def test_every_sdk_payment_carries_a_fresh_identifier_and_counts_on(base_url, desk):
    scheme = make_scheme()
    first = asyncio.run(post(base_url, scheme, {"n": 1}))
    second = asyncio.run(post(base_url, scheme, {"n": 2}))
    assert first.status_code == second.status_code == 200
    assert served_of(second) > served_of(first)
    if not REAL:
        assert served_of(second) == served_of(first) + 2
        ids = [p.payment_id for p in desk.payments[-2:]]
        assert ids[0] != ids[1] and all(ids)


@pytest.mark.skipif(bool(REAL), reason="sets the stand-in's channel state")
def test_a_stale_voucher_is_recovered_once_by_the_sdk_from_the_servers_count(base_url, desk):
    desk.served[(LICENSE, PAYER)] = 50  # the channel is ahead of this fresh scheme
    desk.last.pop((LICENSE, PAYER), None)
    scheme = make_scheme()
    before = len(desk.payments)
    # Without the Seedbed headers the 402 carries no count: the first voucher is stale.
    response = asyncio.run(post(base_url, scheme, {"s": 1}, headers=False))
    assert response.status_code == 200, response.text
    vouchers = [p.signed.voucher.cumulative_units for p in desk.payments[before:]]
    assert vouchers == [2, 52]
    assert scheme.served(LICENSE, OPERATOR) == 52


@pytest.mark.skipif(bool(REAL), reason="makes the stand-in refuse")
def test_the_sdk_returns_a_refusal_it_cannot_recover_as_the_402(base_url, desk):
    desk.refuse_with = x402.LICENSE_INVALID
    try:
        response = asyncio.run(post(base_url, make_scheme(), {"r": 1}))
    finally:
        desk.refuse_with = None
    assert response.status_code == 402
    assert response.json()["error"] == x402.LICENSE_INVALID


@pytest.mark.skipif(bool(REAL), reason="the stand-in's meter")
def test_the_scheme_refuses_a_meter_it_was_not_configured_for(base_url, desk):
    scheme = SeedbedVoucherScheme(
        PAYER_KEY, license_id=LICENSE, chain_id=CHAIN_ID, meter_address="0x" + "cd" * 20
    )
    before = len(desk.payments)
    with pytest.raises(Exception, match="configured for the meter"):
        asyncio.run(post(base_url, scheme, {"m": 1}))
    assert len(desk.payments) == before
    assert METER != scheme.signer.meter_address


def test_the_sync_sdk_client_over_requests_pays_too(base_url, desk):
    from x402 import x402ClientSync
    from x402.http.clients import x402_requests

    scheme = make_scheme()
    session = x402_requests(register(x402ClientSync(), scheme))
    session.headers.update(scheme.headers())
    _, _, asset, _ = settings()
    with session:
        response = session.post(f"{base_url}/v1/assets/{asset}/invoke", json={"sync": True})
    assert response.status_code == 200, response.text
    assert response.json() == {"echo": {"sync": True}}
    assert scheme.book.items()[0][1] == served_of(response)
