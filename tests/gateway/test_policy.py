"""The settlement policy: a cap on what a payer may owe unsettled, and a settlement it wakes."""

import time

import pytest
from testkit.gateway_world import served, start_gateway

SIGN = {"task": "sign", "caption": "a speed limit 30 sign"}
CAP_CALLS = 3


@pytest.fixture(scope="module")
def gateway(world, model):
    cap = CAP_CALLS * world.unit_price
    policy = "\n".join(
        [
            "interval_seconds = 3600",
            "threshold_units = 100000000",
            "margin_seconds = 60",
            f'max_unsettled = "{cap}"',
        ]
    )
    process = start_gateway(world, world.config("capped", model_url=model.url, settlement=policy))
    yield process
    process.stop()


def call(http, world, payer):
    n = served(http, world)
    return http.post(
        f"/v1/assets/{world.model_asset}/invoke",
        json=SIGN,
        headers={"PAYMENT-SIGNATURE": payer.header(payer.voucher(n + 1))},
    )


def test_a_payer_at_the_exposure_cap_waits_for_a_settlement_then_goes_on(http, world, payer):
    for _ in range(CAP_CALLS):
        assert call(http, world, payer).status_code == 200
    refused = call(http, world, payer)
    assert refused.status_code == 429
    assert refused.json()["error"] == "exposure_cap" and refused.headers["Retry-After"]
    assert served(http, world) == CAP_CALLS
    # The refusal woke the settler: once the chain has settled, the payer owes nothing again.
    deadline = time.monotonic() + 60
    while call(http, world, payer).status_code != 200:
        assert time.monotonic() < deadline, "the gateway never settled to lift the cap"
        time.sleep(0.2)
    assert served(http, world) == CAP_CALLS + 1
    settled = http.get(f"/v1/channels/{world.license_id}/{world.app}").json()["settled"]
    assert int(settled) == CAP_CALLS
