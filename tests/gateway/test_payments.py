"""Payments over HTTP against a real gateway process: the x402 challenge, a paid call, the
idempotent replay, the corrective 402, and every bad payment refused with nothing charged."""

import base64
import json
import time

import pytest
from testkit.gateway_world import new_id, served

from seedbed.core import x402

SIGN = {"task": "sign", "caption": "a stop sign at a junction"}


def invoke(http, world, header=None, name="PAYMENT-SIGNATURE", body=SIGN, **headers):
    if header is not None:
        headers[name] = header
    return http.post(f"/v1/assets/{world.model_asset}/invoke", json=body, headers=headers)


def test_an_unpaid_call_gets_an_x402_v2_challenge_naming_the_voucher_scheme(http, world):
    r = invoke(
        http, world, **{"Seedbed-License": str(world.license_id), "Seedbed-Payer": world.app}
    )
    assert r.status_code == 402
    required = x402.decode(r.headers[x402.PAYMENT_REQUIRED], "PAYMENT-REQUIRED")
    assert required["x402Version"] == 2 and required["error"] == "payment_required"
    (accepts,) = required["accepts"]
    assert accepts["scheme"] == "seedbed-voucher"
    assert accepts["network"] == f"eip155:{world.chain_id}"
    assert accepts["payTo"] == world.operator
    extra = accepts["extra"]
    assert extra["domain"] == {
        "name": "Seedbed UsageMeter",
        "version": "2",
        "chainId": world.chain_id,
        "verifyingContract": world.meter,
    }
    assert extra["units"] == "1" and extra["pricing"] == "call"
    # The client named its channel: the challenge says where its next voucher starts.
    assert extra["licenseId"] == str(world.license_id) and extra["payer"] == world.app
    assert int(extra["served"]) == served(http, world)
    assert accepts["amount"] == str(world.unit_price)
    assert "payment-identifier" in required["extensions"]
    body = r.json()  # v1 clients read the body
    assert body["x402Version"] == 1 and body["accepts"][0]["maxAmountRequired"] == str(
        world.unit_price
    )


def test_a_paid_call_is_answered_with_what_it_charged(http, world, payer):
    before = served(http, world)
    r = invoke(http, world, payer.header(payer.voucher(before + 1), payment_id=new_id()))
    assert r.status_code == 200, r.text
    assert r.json()["label"] == "stop"
    response = x402.read_payment_response(r.headers[x402.PAYMENT_RESPONSE])
    assert response["success"] is True and response["transaction"] == ""
    assert response["payer"] == world.app and response["amount"] == str(world.unit_price)
    assert response["extensions"]["seedbed"]["served"] == str(before + 1)
    assert r.headers[x402.V1_PAYMENT_RESPONSE] == r.headers[x402.PAYMENT_RESPONSE]
    assert served(http, world) == before + 1


def test_a_retry_with_the_same_payment_identifier_replays_and_charges_nothing(http, world, payer):
    before = served(http, world)
    header = payer.header(payer.voucher(before + 1), payment_id=new_id())
    first = invoke(http, world, header)
    again = invoke(http, world, header)
    assert first.status_code == again.status_code == 200
    assert again.content == first.content
    assert again.headers[x402.PAYMENT_RESPONSE] == first.headers[x402.PAYMENT_RESPONSE]
    assert again.headers["Seedbed-Replayed"] == "true"
    assert served(http, world) == before + 1


def test_a_stale_voucher_gets_a_corrective_402_with_served_and_the_last_voucher(http, world, payer):
    before = served(http, world)
    assert invoke(http, world, payer.header(payer.voucher(before + 1))).status_code == 200
    stale = invoke(http, world, payer.header(payer.voucher(before + 1)))  # a fresh call, old count
    assert stale.status_code == 402
    required = x402.decode(stale.headers[x402.PAYMENT_REQUIRED], "PAYMENT-REQUIRED")
    assert required["error"] == "stale_voucher"
    extra = required["accepts"][0]["extra"]
    assert extra["served"] == str(before + 1)
    assert extra["lastVoucher"]["cumulativeUnits"] == str(before + 1)
    assert served(http, world) == before + 1
    # Re-signed from `served`, the call goes through.
    assert invoke(http, world, payer.header(payer.voucher(before + 2))).status_code == 200


def test_the_v1_x_payment_header_is_accepted(http, world, payer):
    before = served(http, world)
    r = invoke(http, world, payer.header(payer.voucher(before + 1), version=1), name="X-PAYMENT")
    assert r.status_code == 200, r.text
    assert served(http, world) == before + 1


def _b64(document):
    return base64.b64encode(json.dumps(document).encode()).decode()


@pytest.mark.parametrize(
    "case",
    [
        "not-base64",
        "not-json",
        "a-list",
        "version-3",
        "scheme",
        "network",
        "no-voucher",
        "bad-signature-hex",
        "other-signer",
        "other-operator",
        "deadline-too-soon",
        "over-the-reserve",
        "someone-elses-license",
        "over-the-header-limit",
        "bad-payment-id",
    ],
)
def test_a_bad_payment_gets_a_clear_error_and_charges_nothing(http, world, payer, case):
    from eth_account import Account

    before = served(http, world)
    units = before + 1
    good = payer.voucher(units)
    headers = {
        "not-base64": "%%%",
        "not-json": base64.b64encode(b"{nope").decode(),
        "a-list": _b64([1, 2]),
        "version-3": _b64({"x402Version": 3}),
        "scheme": payer.header(good, scheme="exact"),
        "network": payer.header(good, network="eip155:1"),
        "no-voucher": _b64(
            {
                "x402Version": 2,
                "accepted": {"scheme": x402.SCHEME, "network": x402.network(world.chain_id)},
                "payload": {},
            }
        ),
        "bad-signature-hex": _b64(
            {
                **json.loads(base64.b64decode(payer.header(good))),
                "payload": {"voucher": good.to_json(), "signature": "0xzz"},
            }
        ),
        "other-signer": payer.header(payer.voucher(units, key=Account.create().key.hex())),
        "other-operator": payer.header(payer.voucher(units, operator=Account.create().address)),
        "deadline-too-soon": payer.header(payer.voucher(units, deadline=int(time.time()) + 5)),
        "over-the-reserve": payer.header(payer.voucher(10**12)),
        "someone-elses-license": payer.header(_other_license(payer, units)),
        "over-the-header-limit": "A" * (x402.MAX_HEADER_BYTES + 4),
        "bad-payment-id": payer.header(good, payment_id="short"),
    }
    r = invoke(http, world, headers[case])
    assert r.status_code in (402, 403), r.text
    body = r.json()
    assert body["error"] and body["message"].endswith(".")
    assert served(http, world) == before


def _other_license(payer, units):
    """A voucher on a license this payer does not hold (license 1: the model maker's)."""
    from seedbed.core.vouchers import SignedVoucher, Voucher, sign

    v = Voucher(1, payer.payer, payer.world.operator, units, int(time.time()) + 86400)
    return SignedVoucher(v, sign(v, payer.world.chain_id, payer.world.meter, payer.key))


def test_an_upstream_error_is_passed_on_and_not_charged(http, world, payer):
    before = served(http, world)
    r = invoke(http, world, payer.header(payer.voucher(before + 1)), body={"task": "nope"})
    assert r.status_code == 422
    assert served(http, world) == before
    # The same voucher pays the next call: nothing was consumed.
    assert invoke(http, world, payer.header(payer.voucher(before + 1))).status_code == 200


def test_bad_requests_get_json_errors(http, world):
    r = http.post("/v1/chat/completions", content=b"{not json")
    assert r.status_code == 400 and r.json()["error"] == "invalid_request"
    r = http.post(
        "/v1/chat/completions",
        json={"model": "nope", "messages": [{"role": "user", "content": "hi"}]},
    )
    assert r.status_code == 404 and "sign-tree-model" in r.json()["message"]
    r = http.post("/v1/assets/999/invoke", json={})
    assert r.status_code == 404
    r = http.get(f"/v1/channels/{world.license_id}/0x1234")
    assert r.status_code == 400


def test_health_and_metrics_answer(http):
    health = http.get("/healthz").json()
    assert health["status"] == "ok" and health["ledger"] == "sqlite"
    text = http.get("/metrics").text
    assert "seedbed_gateway_charged_calls_total" in text
