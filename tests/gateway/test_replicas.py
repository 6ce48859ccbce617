"""Several gateway processes on one PostgreSQL ledger (a real server): calls on one channel
through both replicas are serialised and charged exactly once, a retry reaches either
replica and replays, a replica killed mid-call loses nothing, and one settlement puts on
chain exactly what both served."""

import json
import threading

import httpx
import pytest
from testkit.gateway_world import GATEWAY_ACCOUNT, new_id, served
from testkit.postgres import server_for_tests

from seedbed.client import PaymentRequiredError
from seedbed.gateway.faults import ENV
from seedbed.workflows import services

SIGN = {"task": "sign", "caption": "a bicycle lane sign"}


@pytest.fixture(scope="module")
def postgres():
    with server_for_tests(fsync=True) as dsn:
        yield dsn


@pytest.fixture(scope="module")
def config(world, model, postgres):
    return world.config("replicas", model_url=model.url, ledger=f'postgres = "{postgres}"')


@pytest.fixture(scope="module")
def replicas(world, config):
    settler = services.gateway(config, world.rpc, GATEWAY_ACCOUNT)
    other = services.gateway(config, world.rpc, GATEWAY_ACCOUNT, "--no-settle")
    yield [settler, other]
    other.stop()
    settler.stop()


def test_both_replicas_report_the_shared_ledger(replicas):
    for replica in replicas:
        assert httpx.get(f"{replica.url}/healthz").json()["ledger"] == "postgres"


def test_calls_on_one_channel_through_both_replicas_are_charged_exactly_once(replicas, world):
    with httpx.Client(base_url=replicas[0].url) as http:
        start = served(http, world)
    answered = []
    errors = []

    def client_loop(url: str) -> None:
        try:
            with world.app_client(url) as app:
                done = 0
                while done < 15:
                    try:
                        app.invoke(world.model_asset, SIGN)
                    except PaymentRequiredError as err:  # another client won the race: re-sign
                        assert err.code == "stale_voucher"
                        continue
                    done += 1
                    answered.append(url)
        except Exception as err:  # noqa: BLE001 - reported below
            errors.append(repr(err))

    threads = [threading.Thread(target=client_loop, args=(r.url,)) for r in replicas * 2]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors, errors[:3]
    for replica in replicas:
        with httpx.Client(base_url=replica.url) as http:
            assert served(http, world) == start + len(answered) == start + 60


def test_a_retry_sent_to_the_other_replica_replays_the_answer(replicas, world, payer):
    a, b = (httpx.Client(base_url=r.url) for r in replicas)
    with a, b:
        n = served(a, world)
        header = payer.header(payer.voucher(n + 1), payment_id=new_id())
        first = a.post(
            f"/v1/assets/{world.model_asset}/invoke",
            json=SIGN,
            headers={"PAYMENT-SIGNATURE": header},
        )
        again = b.post(
            f"/v1/assets/{world.model_asset}/invoke",
            json=SIGN,
            headers={"PAYMENT-SIGNATURE": header},
        )
        assert first.status_code == again.status_code == 200
        assert again.headers["Seedbed-Replayed"] == "true" and again.content == first.content
        assert served(b, world) == n + 1


def test_a_replica_killed_after_its_commit_loses_nothing_and_the_other_replays(
    replicas, world, config, payer
):
    crashing = services.gateway(
        config, world.rpc, GATEWAY_ACCOUNT, "--no-settle", env={ENV: "after_commit=1"}
    )
    with httpx.Client(base_url=replicas[1].url) as http:
        n = served(http, world)
        header = payer.header(payer.voucher(n + 1), payment_id=new_id())
        with pytest.raises(httpx.TransportError):
            httpx.post(
                f"{crashing.url}/v1/assets/{world.model_asset}/invoke",
                json=SIGN,
                headers={"PAYMENT-SIGNATURE": header},
                timeout=10,
            )
        crashing.process.wait(10)
        retry = http.post(
            f"/v1/assets/{world.model_asset}/invoke",
            json=SIGN,
            headers={"PAYMENT-SIGNATURE": header},
        )
        assert retry.status_code == 200 and retry.headers["Seedbed-Replayed"] == "true"
        assert served(http, world) == n + 1


def test_one_settlement_puts_on_chain_exactly_what_both_replicas_served(
    replicas, world, project, networks
):
    with httpx.Client(base_url=replicas[0].url) as http:
        total = served(http, world)
    from seedbed.gateway.store_pg import PostgresStore

    store = PostgresStore(_dsn(world), world.chain_id, world.meter)
    with store.settlement_ledger() as ledger:
        with networks.parse_network_choice(world.rpc):
            from ape import accounts, chain

            from seedbed.chain.client import Suite
            from seedbed.workflows.meter import settle_ledger

            suite = Suite.from_record(project, chain, json.loads(world.record.read_text()))
            _work, report = settle_ledger(ledger, suite, chain, list(accounts.test_accounts)[5])
            assert not report.skipped
            units = int(suite.meter.channel(world.license_id, world.app, world.operator).units)
    assert units == total


def _dsn(world):
    text = (world.out / "replicas.toml").read_text()
    return text.split('postgres = "', 1)[1].split('"', 1)[0]
