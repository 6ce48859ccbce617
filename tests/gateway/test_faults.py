"""kill -9 at the worst moments: between the handler and the commit, between the commit and
the answer, between a settlement being mined and recorded. After each restart the client
retries the same call (same voucher, same payment-identifier): it is charged exactly once,
no accepted voucher is lost, and the chain and the ledger agree."""

import json

import httpx
import pytest
from testkit.gateway_world import GATEWAY_ACCOUNT, new_id, served, wait_for

from seedbed.gateway.faults import ENV
from seedbed.workflows import services

SIGN = {"task": "sign", "caption": "a roundabout sign"}


@pytest.fixture(scope="module")
def config(world, model):
    return world.config("faults", model_url=model.url)


@pytest.fixture(scope="module")
def settling(world, model):
    """The same ledger, with a policy that settles as soon as anything is unsettled."""
    ledger = f'sqlite = "{world.out / "faults-ledger.sqlite"}"'
    policy = "interval_seconds = 3600\nthreshold_units = 1\nmargin_seconds = 60"
    return world.config("faults-settling", model_url=model.url, ledger=ledger, settlement=policy)


def start(world, config, faults="", settle=True):
    extra = [] if settle else ["--no-settle"]
    return services.gateway(config, world.rpc, GATEWAY_ACCOUNT, *extra, env={ENV: faults})


def paid(url, world, header):
    with httpx.Client(base_url=url, timeout=10) as http:
        return http.post(
            f"/v1/assets/{world.model_asset}/invoke",
            json=SIGN,
            headers={"PAYMENT-SIGNATURE": header},
        )


def served_at(url, world):
    with httpx.Client(base_url=url, timeout=10) as http:
        return served(http, world)


@pytest.mark.parametrize("point", ["before_commit", "after_commit"])
def test_a_crash_around_the_commit_charges_the_retried_call_exactly_once(
    world, config, payer, point
):
    probe = start(world, config, settle=False)
    before = served_at(probe.url, world)
    probe.stop()
    header = payer.header(payer.voucher(before + 1), payment_id=new_id())
    crashing = start(world, config, f"{point}=1", settle=False)
    with pytest.raises(httpx.TransportError):  # the process died before answering
        paid(crashing.url, world, header)
    crashing.process.wait(10)
    assert crashing.process.returncode == -9
    gateway = start(world, config, settle=False)
    try:
        retry = paid(gateway.url, world, header)
        assert retry.status_code == 200, retry.text
        # Committed before the crash: the answer is replayed; not committed: served now.
        assert (retry.headers.get("Seedbed-Replayed") == "true") == (point == "after_commit")
        assert served_at(gateway.url, world) == before + 1
        assert paid(gateway.url, world, header).headers["Seedbed-Replayed"] == "true"
        assert served_at(gateway.url, world) == before + 1
    finally:
        gateway.stop()


def test_a_crash_between_a_settlement_being_mined_and_recorded_loses_and_repeats_nothing(
    world, config, settling, payer, project, networks
):
    gateway = start(world, config, settle=False)
    n = served_at(gateway.url, world)
    for k in range(1, 4):
        assert paid(gateway.url, world, payer.header(payer.voucher(n + k))).status_code == 200
    gateway.stop()
    total = n + 3
    # A settler that dies right after its settlement is mined, before the ledger knows.
    crashing = start(world, settling, "settle_sent=1")
    crashing.process.wait(60)
    assert crashing.process.returncode == -9
    chain_units = _settled_on_chain(world, project, networks)
    assert chain_units == total
    # The next process reconciles: the ledger learns the settlement from the chain, and a
    # new call is charged from there (nothing settled twice, nothing lost).
    gateway = start(world, settling)
    try:
        assert paid(gateway.url, world, payer.header(payer.voucher(total + 1))).status_code == 200
        assert served_at(gateway.url, world) == total + 1
        assert wait_for(lambda: _settled_on_chain(world, project, networks) == total + 1, 30, 0.2)
    finally:
        gateway.stop()
    from seedbed.gateway.store import GatewayLedger

    ledger = GatewayLedger(str(world.out / "faults-ledger.sqlite"), world.chain_id, world.meter)
    try:
        channel = (world.license_id, world.app, world.operator)
        assert ledger.served(channel) == total + 1
        history = [v.voucher.cumulative_units for v in ledger.history(channel)]
        assert history == sorted(set(history)) and history[-1] == total + 1
    finally:
        ledger.close()


def _settled_on_chain(world, project, networks):
    with networks.parse_network_choice(world.rpc):
        from ape import chain

        from seedbed.chain.client import Suite

        suite = Suite.from_record(project, chain, json.loads(world.record.read_text()))
        return int(suite.meter.channel(world.license_id, world.app, world.operator).units)
