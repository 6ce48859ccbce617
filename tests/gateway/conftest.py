"""Gateway tests talk HTTP to real processes: an anvil of the module's own with the demo's
world on it, the example model's server, and `ape run gateway` processes."""

from __future__ import annotations

import json

import httpx
import pytest
from testkit.gateway_world import Payer, anvil, build_world, hex_key, start_gateway

from seedbed.workflows import services


@pytest.fixture(scope="module")
def world(project, networks, tmp_path_factory):
    with anvil() as rpc:
        yield build_world(project, networks, rpc, tmp_path_factory.mktemp("world"))


@pytest.fixture(scope="module")
def model():
    server = services.model_server()
    yield server
    server.stop()


@pytest.fixture(scope="module")
def gateway(world, model):
    """One gateway for the module: per call, 1 unit; settles only when asked (or policy)."""
    process = start_gateway(world, world.config("gateway", model_url=model.url))
    yield process
    process.stop()


@pytest.fixture
def http(gateway):
    with httpx.Client(base_url=gateway.url, timeout=30) as client:
        yield client


@pytest.fixture
def payer(world):
    return Payer(world)


@pytest.fixture(scope="module")
def trees_license(world, project, networks):
    """The model maker's TRAIN license on city-trees, with a channel open to the gateway."""
    from seedbed.workflows.escrow import open_channel

    with networks.parse_network_choice(world.rpc):
        from ape import accounts, chain

        from seedbed.chain.client import Suite

        suite = Suite.from_record(project, chain, json.loads(world.record.read_text()))
        modeler = list(accounts.test_accounts)[3]
        asset = world.dataset_assets["city-trees"]
        license_id = next(
            i
            for i in range(1, 20)
            if int(suite.license.usageTerms(i).assetId) == asset
            and suite.license.ownerOf(i) == modeler.address
        )
        open_channel(suite, chain, modeler, license_id, world.operator)
        return Payer(world, hex_key(modeler.private_key), license_id, modeler.address)
