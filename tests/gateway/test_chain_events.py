"""The gateway's cache follows the chain: a moved, delisted or expired license is refused from
the next block on, and a withdrawal request makes the gateway settle before it is ready."""

import json
from contextlib import contextmanager

import pytest
from testkit.gateway_world import served, start_gateway, wait_for

SIGN = {"task": "sign", "caption": "a one way sign"}
MARGIN = 3 * 86400  # above the 2-day withdrawal delay: a request is due for settlement at once


@pytest.fixture(scope="module")
def gateway(world, model):
    settlement = f"interval_seconds = 3600\nthreshold_units = 100000000\nmargin_seconds = {MARGIN}"
    process = start_gateway(
        world, world.config("events", model_url=model.url, settlement=settlement)
    )
    yield process
    process.stop()


@contextmanager
def on_chain(world, project, networks):
    with networks.parse_network_choice(world.rpc):
        from ape import accounts, chain

        from seedbed.chain.client import Suite

        suite = Suite.from_record(project, chain, json.loads(world.record.read_text()))
        yield suite, chain, list(accounts.test_accounts)


def call(http, world, payer):
    n = served(http, world, payer.license_id, payer.payer)
    return http.post(
        f"/v1/assets/{world.model_asset}/invoke",
        json=SIGN,
        headers={"PAYMENT-SIGNATURE": payer.header(payer.voucher(n + 1))},
    )


def test_a_withdrawal_request_makes_the_gateway_settle_what_it_served_before_it_is_ready(
    http, world, payer, project, networks
):
    for _ in range(3):
        assert call(http, world, payer).status_code == 200
    served_units = served(http, world)
    from seedbed.workflows.escrow import request_withdrawal

    with on_chain(world, project, networks) as (suite, chain, accounts):
        request_withdrawal(suite, chain, accounts[4], world.license_id, world.operator, "0.01")

        def settled():
            return (
                int(suite.meter.channel(world.license_id, world.app, world.operator).units)
                == served_units
            )

        assert wait_for(settled, 30), "the gateway did not settle before the withdrawal"
    # Settled units are the floor now; serving goes on from there.
    assert call(http, world, payer).status_code == 200


def test_a_delisted_asset_is_refused_from_the_next_block(http, world, payer, project, networks):
    assert call(http, world, payer).status_code == 200
    with on_chain(world, project, networks) as (suite, _chain, accounts):
        suite.registry.setDelisted(world.model_asset, True, sender=accounts[3])
        assert wait_for(lambda: call(http, world, payer).status_code == 403)
        r = call(http, world, payer)
        assert r.json()["error"] == "license_invalid" and "delisted" in r.json()["message"]
        suite.registry.setDelisted(world.model_asset, False, sender=accounts[3])
        assert wait_for(lambda: call(http, world, payer).status_code == 200)


def test_a_license_moved_to_another_holder_is_refused_from_the_next_block(
    http, world, payer, project, networks
):
    assert call(http, world, payer).status_code == 200
    with on_chain(world, project, networks) as (suite, _chain, accounts):
        app, other = accounts[4], accounts[7]
        suite.license.transferFrom(app.address, other.address, world.license_id, sender=app)
        # Calls served before the gateway saw the block still settle (the old holder's
        # vouchers keep the grace period); from the poll on, none is served.
        assert wait_for(lambda: call(http, world, payer).status_code == 403)
        before = served(http, world)
        r = call(http, world, payer)
        assert r.status_code == 403 and "held by" in r.json()["message"]
        assert served(http, world) == before
        suite.license.transferFrom(other.address, app.address, world.license_id, sender=other)
        assert wait_for(lambda: call(http, world, payer).status_code == 200)


def test_the_gateway_keeps_serving_known_channels_while_the_node_stops_answering(
    http, world, payer
):
    import os
    import signal
    import subprocess

    port = world.rpc.rsplit(":", 1)[1]
    found = subprocess.run(["pgrep", "-f", f"anvil --port {port}"], capture_output=True, text=True)
    pid = int(found.stdout.split()[0])
    assert call(http, world, payer).status_code == 200  # the channel is known and cached
    before = served(http, world)
    os.kill(pid, signal.SIGSTOP)
    try:
        codes = [call(http, world, payer).status_code for _ in range(5)]
    finally:
        os.kill(pid, signal.SIGCONT)
    # Verification is local: a stalled node stops neither serving nor charging.
    assert codes == [200] * 5
    assert served(http, world) == before + 5
    assert wait_for(lambda: call(http, world, payer).status_code == 200)


def test_an_expired_license_is_refused(http, world, payer, project, networks):
    with on_chain(world, project, networks) as (suite, chain, _accounts):
        expires = int(suite.license.usageTerms(world.license_id).expiresAt)
        chain.provider.make_request("evm_setNextBlockTimestamp", [expires + 1])
        chain.provider.make_request("evm_mine", [])
    assert wait_for(lambda: call(http, world, payer).status_code == 403)
    assert "expired" in call(http, world, payer).json()["message"]
