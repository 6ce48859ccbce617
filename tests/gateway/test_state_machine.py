"""A Hypothesis state machine over paid calls to a real gateway process: new calls, retries of
answered calls, stale and reordered vouchers, concurrent duplicates, failing upstream calls
and kill -9 crashes around the commit. After every step the gateway's served count is what
the client was answered for, exactly; at the end one settlement puts exactly that on chain.

Sizes: HYPOTHESIS_PROFILE=ci (make test) a few hundred steps; deep (make fuzz) thousands.
"""

from __future__ import annotations

import json
import os
import threading
import time
from typing import ClassVar

import httpx
import pytest
from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, precondition, rule
from testkit.gateway_world import GATEWAY_ACCOUNT, Payer, World, new_id

from seedbed.core import x402
from seedbed.gateway.faults import ENV
from seedbed.workflows import services

PROFILE = os.environ.get("HYPOTHESIS_PROFILE", "ci")
SIZES = {"dev": (2, 20), "ci": (4, 60), "deep": (25, 200)}
SIGN = {"task": "sign", "caption": "a pedestrian crossing sign"}
MAX_CRASHES = {"dev": 1, "ci": 2, "deep": 12}
STEPS = [0]  # invariant checks run (one per step, plus one after each initialisation)


class Harness:
    """The gateway process the machine drives; restarted after each crash."""

    def __init__(self, world: World, config) -> None:
        self.world, self.config = world, config
        self.process: services.Service | None = None
        self.crashes = 0

    def start(self, faults: str = "") -> services.Service:
        self.process = services.gateway(
            self.config, self.world.rpc, GATEWAY_ACCOUNT, "--no-settle", env={ENV: faults}
        )
        return self.process

    def url(self) -> str:
        if self.process is None or self.process.process.poll() is not None:
            self.start()
        assert self.process is not None
        return self.process.url

    def stop(self) -> None:
        if self.process is not None:
            self.process.stop()


class GatewayMachine(RuleBasedStateMachine):
    harness: ClassVar[Harness]
    world: ClassVar[World]

    @initialize()
    def connect(self) -> None:
        self.http = httpx.Client(base_url=self.harness.url(), timeout=15)
        self.payer = Payer(self.world)
        self.served = self._gateway_served()  # the model: units answered, so far
        self.answered: list[tuple[str, bytes]] = []  # (header, body) of answered keyed calls

    def teardown(self) -> None:
        self.http.close()

    # -- helpers ---------------------------------------------------------------------------------

    def _gateway_served(self) -> int:
        r = self.http.get(f"/v1/channels/{self.world.license_id}/{self.world.app}")
        return int(r.json()["served"]) if r.status_code == 200 else 0

    def _send(self, header: str, body=SIGN) -> httpx.Response:
        return self.http.post(
            f"/v1/assets/{self.world.model_asset}/invoke",
            json=body,
            headers={"PAYMENT-SIGNATURE": header},
        )

    def _new_header(self, units: int, keyed: bool = True) -> str:
        return self.payer.header(self.payer.voucher(units), payment_id=new_id() if keyed else None)

    # -- rules -----------------------------------------------------------------------------------

    @rule(keyed=st.booleans())
    def a_new_call(self, keyed: bool) -> None:
        header = self._new_header(self.served + 1, keyed)
        r = self._send(header)
        assert r.status_code == 200, r.text
        self.served += 1
        if keyed:
            self.answered.append((header, r.content))

    @precondition(lambda self: self.answered)
    @rule(data=st.data())
    def a_retry_of_an_answered_call_replays_it(self, data) -> None:
        header, body = data.draw(st.sampled_from(self.answered))
        r = self._send(header)
        assert r.status_code == 200 and r.content == body
        assert r.headers["Seedbed-Replayed"] == "true"

    @rule()
    def a_stale_voucher_is_corrected(self) -> None:
        r = self._send(self._new_header(self.served, keyed=False))
        assert r.status_code == 402
        required = x402.decode(r.headers[x402.PAYMENT_REQUIRED], "PAYMENT-REQUIRED")
        assert required["error"] == "stale_voucher"
        assert int(required["accepts"][0]["extra"]["served"]) == self.served

    @rule()
    def two_vouchers_arriving_in_reverse_order_are_both_served_once(self) -> None:
        first, second = self._new_header(self.served + 1), self._new_header(self.served + 2)
        assert self._send(second).status_code == 200  # covers more than this one call
        self.served += 1
        again = self._send(first)  # now below served + 1: the corrective 402
        assert again.status_code == 402
        assert self._send(self._new_header(self.served + 1)).status_code == 200
        self.served += 1

    @rule()
    def the_same_call_sent_twice_at_once_is_charged_once(self) -> None:
        header = self._new_header(self.served + 1)
        results: list[httpx.Response] = []

        def send() -> None:
            with httpx.Client(base_url=str(self.http.base_url), timeout=15) as http:
                results.append(
                    http.post(
                        f"/v1/assets/{self.world.model_asset}/invoke",
                        json=SIGN,
                        headers={"PAYMENT-SIGNATURE": header},
                    )
                )

        threads = [threading.Thread(target=send) for _ in range(2)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert [r.status_code for r in results] == [200, 200]
        assert sum(r.headers.get("Seedbed-Replayed") == "true" for r in results) == 1
        self.served += 1
        self.answered.append((header, results[0].content))

    @rule()
    def a_failing_upstream_call_charges_nothing(self) -> None:
        r = self._send(self._new_header(self.served + 1), body={"task": "nope"})
        assert r.status_code == 422

    @precondition(lambda self: self.harness.crashes < MAX_CRASHES.get(PROFILE, 2))
    @rule(point=st.sampled_from(["before_commit", "after_commit"]))
    def a_crash_around_the_commit_then_a_retry_charges_once(self, point: str) -> None:
        self.harness.crashes += 1
        self.harness.stop()
        crashing = self.harness.start(f"{point}=1")
        header = self._new_header(self.served + 1)
        with httpx.Client(base_url=crashing.url, timeout=15) as http:
            with pytest.raises(httpx.TransportError):
                http.post(
                    f"/v1/assets/{self.world.model_asset}/invoke",
                    json=SIGN,
                    headers={"PAYMENT-SIGNATURE": header},
                )
        crashing.process.wait(10)
        self.http.close()
        self.http = httpx.Client(base_url=self.harness.url(), timeout=15)
        r = self._send(header)
        assert r.status_code == 200, r.text
        self.served += 1
        self.answered.append((header, r.content))

    @invariant()
    def the_gateway_charged_exactly_what_was_answered(self) -> None:
        if hasattr(self, "http"):
            STEPS[0] += 1
            assert self._gateway_served() == self.served


@pytest.fixture(scope="module")
def harness(world, model):
    h = Harness(world, world.config("machine", model_url=model.url))
    yield h
    h.stop()


def test_every_answered_call_is_charged_exactly_once_through_retries_and_crashes(
    harness, world, project, networks
):
    GatewayMachine.harness, GatewayMachine.world = harness, world
    examples, steps = SIZES.get(PROFILE, SIZES["ci"])
    from hypothesis.stateful import run_state_machine_as_test

    run_state_machine_as_test(
        GatewayMachine,
        settings=settings(max_examples=examples, stateful_step_count=steps, deadline=None),
    )
    print(f"\ngateway machine: {STEPS[0]} steps checked, {harness.crashes} kill -9 crashes")
    # One settlement of the machine's ledger puts exactly the answered units on chain.
    harness.stop()
    with httpx.Client(base_url=harness.url()) as http:
        served_units = int(
            http.get(f"/v1/channels/{world.license_id}/{world.app}").json()["served"]
        )
        payer = Payer(world)
        last = http.post(
            f"/v1/assets/{world.model_asset}/invoke",
            json=SIGN,
            headers={"PAYMENT-SIGNATURE": payer.header(payer.voucher(served_units + 1))},
        )
        assert last.status_code == 200
    harness.stop()
    _settle(world, project, networks)
    assert _on_chain(world, project, networks) == served_units + 1


def _settle(world, project, networks):
    from seedbed.workflows.settle import settle

    with networks.parse_network_choice(world.rpc):
        from ape import accounts, chain

        from seedbed.chain.client import Suite

        suite = Suite.from_record(project, chain, json.loads(world.record.read_text()))
        run = settle(
            suite, chain, list(accounts.test_accounts)[5], world.out / "machine-ledger.sqlite"
        )
        assert run.report is not None and not run.report.skipped


def _on_chain(world, project, networks) -> int:
    with networks.parse_network_choice(world.rpc):
        from ape import chain

        from seedbed.chain.client import Suite

        suite = Suite.from_record(project, chain, json.loads(world.record.read_text()))
        time.sleep(0)
        return int(suite.meter.channel(world.license_id, world.app, world.operator).units)
