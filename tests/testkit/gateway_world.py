"""A chain, a suite and the processes a gateway test talks to, all real: an anvil process, the
demo's publishers, model maker and app (deployed, registered, licensed, a funded channel),
the example model's server and `ape run gateway` processes, on free ports.

The world is built through the demo's own steps on an anvil of its own (not the pytest
session's chain, whose per-test snapshots would undo what the gateway process settles).
"""

from __future__ import annotations

import json
import secrets
import socket
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from seedbed.core import x402
from seedbed.core.vouchers import SignedVoucher, Voucher, sign
from seedbed.workflows import services

GATEWAY_ACCOUNT = "TEST::5"  # the demo's gateway operator
MODEL_NAME = "sign-tree-model"
DEFAULT_SETTLEMENT = "interval_seconds = 3600\nthreshold_units = 100000000\nmargin_seconds = 60"
DATASETS = services.ROOT / "examples" / "datasets"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def anvil(block_time: float | None = None) -> Iterator[str]:
    port = free_port()
    cmd = ["anvil", "--port", str(port), "--silent"]
    if block_time:
        cmd += ["--block-time", str(block_time)]
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        for _ in range(200):
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
                break
            except OSError:
                time.sleep(0.05)
        yield f"http://127.0.0.1:{port}"
    finally:
        proc.terminate()
        proc.wait(timeout=10)


@dataclass
class World:
    rpc: str
    out: Path
    chain_id: int
    record: Path
    meter: str
    registry: str
    operator: str
    app_key: str
    app: str
    license_id: int  # the app's INFER license on the model
    model_asset: int
    dataset_assets: dict[str, int]
    unit_price: int

    def app_client(self, url: str, **options: Any) -> Any:
        """The client SDK as the app: its key, license, chain and meter."""
        from seedbed.client import GatewayClient

        return GatewayClient(
            url,
            private_key=self.app_key,
            license_id=self.license_id,
            chain_id=self.chain_id,
            meter_address=self.meter,
            **options,
        )

    def config(
        self,
        name: str,
        *,
        model_url: str | None = None,
        ledger: str | None = None,
        settlement: str = "",
        api_keys: str = "",
        datasets: bool = True,
        pricing: str = "call",
        units: int = 1,
    ) -> Path:
        """Write a gateway configuration serving the model (and the datasets)."""
        parts = [
            "[gateway]",
            'host = "127.0.0.1"',
            "port = 0",
            f'operator = "{self.operator}"',
            f'deployment = "{self.record}"',
            "poll_seconds = 0.1",
            "",
            "[ledger]",
            ledger or f'sqlite = "{self.out / (name + "-ledger.sqlite")}"',
            "",
            "[settlement]",
            settlement
            or "interval_seconds = 3600\nthreshold_units = 100000000\nmargin_seconds = 60",
        ]
        if model_url:
            parts += [
                "",
                "[[assets]]",
                f"id = {self.model_asset}",
                'kind = "model"',
                f'model = "{MODEL_NAME}"',
                f'upstream = "{model_url}"',
                f'pricing = "{pricing}"',
                f"units = {units}",
                "timeout_seconds = 5",
            ]
        if datasets:
            for folder, asset in self.dataset_assets.items():
                parts += [
                    "",
                    "[[assets]]",
                    f"id = {asset}",
                    'kind = "dataset"',
                    f'folder = "{DATASETS / folder}"',
                    "units = 1",
                ]
        parts += ["", api_keys]
        path = self.out / f"{name}.toml"
        path.write_text("\n".join(parts) + "\n")
        return path


def build_world(project: Any, networks: Any, rpc: str, out: Path) -> World:
    """Deploy and populate a suite on the anvil at `rpc` through the demo's steps."""
    from seedbed.workflows.demo import Demo

    out.mkdir(parents=True, exist_ok=True)
    with networks.parse_network_choice(rpc):
        from ape import accounts, chain

        demo = Demo(project, chain, list(accounts.test_accounts)[:6], out, say=lambda _: None)
        demo.step_deploy()
        demo.step_publish_datasets()
        demo.step_model()
        license_id = demo.step_consumer()
        suite = demo.suite
        terms = suite.license.usageTerms(license_id)
        record = out / "deployment.json"
        data = json.loads(record.read_text())
        return World(
            rpc=rpc,
            out=out,
            chain_id=int(data["chain_id"]),
            record=record,
            meter=suite.meter.address,
            registry=suite.registry.address,
            operator=demo.gateway.address,
            app_key="0x" + bytes(demo.app_key).hex()
            if not isinstance(demo.app_key, str)
            else demo.app_key,
            app=demo.app.address,
            license_id=license_id,
            model_asset=demo.assets[MODEL_NAME].asset_id,
            dataset_assets={
                "city-trees": demo.assets["city-trees"].asset_id,
                "street-signs": demo.assets["street-signs"].asset_id,
            },
            unit_price=int(terms.unitPrice),
        )


def hex_key(key: Any) -> str:
    return key if isinstance(key, str) else "0x" + bytes(key).hex()


def start_gateway(world: World, config: Path, *extra: str, settle: bool = True) -> services.Service:
    args = list(extra)
    if not settle:
        args.append("--no-settle")
    return services.gateway(config, world.rpc, GATEWAY_ACCOUNT, *args)


class Payer:
    """Builds the payments a client sends, by hand (the SDK is tested on its own)."""

    def __init__(
        self,
        world: World,
        key: str | None = None,
        license_id: int | None = None,
        payer: str | None = None,
    ) -> None:
        self.world = world
        self.key = key or world.app_key
        self.license_id = license_id or world.license_id
        self.payer = payer or world.app

    def voucher(
        self,
        units: int,
        *,
        deadline: int | None = None,
        operator: str | None = None,
        key: str | None = None,
    ) -> SignedVoucher:
        v = Voucher(
            self.license_id,
            self.payer,
            operator or self.world.operator,
            units,
            deadline or int(time.time()) + 86400,
        )
        return SignedVoucher(v, sign(v, self.world.chain_id, self.world.meter, key or self.key))

    def header(
        self,
        signed: SignedVoucher,
        *,
        payment_id: str | None = None,
        version: int = 2,
        **accepted: object,
    ) -> str:
        requirements = {
            "scheme": x402.SCHEME,
            "network": x402.network(self.world.chain_id),
            **accepted,
        }
        return x402.encode(
            x402.payment_payload(signed, requirements, payment_id=payment_id, version=version)
        )


def new_id() -> str:
    return secrets.token_hex(12)


def served(
    http: httpx.Client, world: World, license_id: int | None = None, payer: str | None = None
) -> int:
    r = http.get(f"/v1/channels/{license_id or world.license_id}/{payer or world.app}")
    return int(r.json()["served"]) if r.status_code == 200 else 0


def wait_for(predicate: Any, timeout: float = 10.0, every: float = 0.05) -> bool:
    """Poll `predicate` until it is true (True) or `timeout` seconds pass (False)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(every)
    return False
