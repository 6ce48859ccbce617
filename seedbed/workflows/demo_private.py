"""The demo's private-data chapter: a sealed dataset that flows only to its licensee.

The city-trees publisher also keeps an arborists' inspection log that names trees on private
ground. It seals the log (every file encrypted, chunk by chunk, with its own key), registers
the plaintext's content root as usual, records the seal on chain, and offers ACCESS+TRAIN
licenses. The model maker buys one and reads the log through the gateway, which decrypts
only for a caller who signs a release as the license's holder; the client checks every file
against the chain and trains a risk classifier on the verified copy. The app, which holds no
license for it, is refused. Then the publisher grants the key itself to the licensee (a
download copy), recorded on chain so the audit lists who received keys.
"""

from __future__ import annotations

import importlib.util
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import httpx

from seedbed.client import GatewayClient
from seedbed.core import access
from seedbed.core.sealed import SealIndex, read_key_file
from seedbed.workflows import private, services
from seedbed.workflows.escrow import deposit

if TYPE_CHECKING:
    from seedbed.workflows.demo import Demo

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
NAME = "tree-inspections"


@dataclass
class PrivateDataset:
    asset_id: int
    index: SealIndex
    sealed: Path
    key_file: Path
    license_id: int = 0


def publish(demo: Demo) -> PrivateDataset:
    """Seal, register, record the seal, offer ACCESS+TRAIN with a price per file read."""
    demo.say("7. A private dataset: sealed at rest, released only to its licensees")
    folder = EXAMPLES / "datasets" / NAME
    sealed, key_file = demo.out / f"{NAME}-sealed", demo.out / "keys" / f"{NAME}.key"
    key_file.parent.mkdir(mode=0o700, exist_ok=True)
    index = private.seal_dataset(folder, sealed, key_file)
    demo.say(
        f"   the publisher sealed {index.count} files ({index.total_bytes:,} bytes) with "
        f"AES-256-GCM in {index.chunk_size // 1024} KiB chunks; the key stays in {key_file.name}"
    )
    published = demo._register(
        demo.trees_pub,
        NAME,
        folder,
        EXAMPLES / "contributors" / f"{NAME}.csv",
        "dataset",
        "LicenseRef-Seedbed-Private",
    )
    private.seal_on_chain(demo.suite, demo.trees_pub, published.asset_id, index)
    demo.say(
        f"   PrivateData records its seal root 0x{index.seal_root.hex()[:16]}… (it commits to "
        "every ciphertext and chunk) and the key's check value; the content root still "
        "commits to the plaintext"
    )
    demo._offer(
        demo.trees_pub,
        published,
        "access",
        scopes="access,train",
        price="0.03",
        unit_price="0.0001",
        duration="365d",
    )
    return PrivateDataset(published.asset_id, index, sealed, key_file)


def use(demo: Demo, dataset: PrivateDataset) -> dict[str, Any]:
    """The licensee reads and trains through the gateway; a non-licensee is refused; the
    publisher grants the key for a download copy."""
    offer = demo.assets[NAME].offers["access"]
    dataset.license_id = demo._buy(demo.modeler, offer, "the model maker")
    deposit(demo.suite, demo.chain, demo.modeler, dataset.license_id, demo.gateway.address, "0.01")
    with _gateway(demo, dataset) as gateway:
        demo.say(f"   the gateway at {gateway.url} serves it decrypted, per signed release")
        _refusals(demo, gateway.url, dataset)
        copy = demo.out / f"{NAME}-copy"
        with _client(demo, gateway.url, dataset) as client:
            client.download_dataset(dataset.asset_id, copy)
            head = client.file(dataset.asset_id, "inspections/2026.csv", range=(0, 99))
            served = client.served
        demo.say(
            f"   the model maker signed one release, read all {dataset.index.count} files "
            f"({served} paid reads), each checked against the content root, and a range "
            f"checked chunk by chunk against the seal: {head.splitlines()[0][:48].decode()}…"
        )
    scores = _train(copy)
    demo.say(
        f"   it trained a tree-risk classifier on the verified copy: {scores['accuracy']:.0%} "
        f"right on the {scores['tested_on']} inspections of 2026 (majority guess "
        f"{scores['baseline']:.0%})"
    )
    key = read_key_file(dataset.key_file)
    granted = private.grant_key(demo.suite, demo.trees_pub, dataset.license_id, key)
    grants = private.granted_keys(demo.suite, dataset.license_id, demo.modeler.address)
    unwrapped, _ = private.key_from_grants(
        demo.modeler.private_key, grants, dataset.index.key_check
    )
    download = demo.out / f"{NAME}-download"
    private.unseal(dataset.index, unwrapped, dataset.sealed, download)
    demo.say(
        f"   the publisher granted the key to license #{dataset.license_id} on chain "
        f"({_gas(demo, granted.tx)} gas), wrapped to the holder's own public key; the model maker "
        f"unwrapped it and decrypted its own verified copy of the ciphertext. A key once "
        "released cannot be recalled: streamed access can, from the next block"
    )
    return scores


def _refusals(demo: Demo, url: str, dataset: PrivateDataset) -> None:
    route = f"{url}/v1/assets/{dataset.asset_id}/files/inspections/2025.csv"
    bare = httpx.get(route)
    challenge = httpx.post(f"{url}/v1/challenge").json()
    release = access.Release(
        license_id=dataset.license_id,
        audience=challenge["audience"],
        nonce=bytes.fromhex(challenge["nonce"][2:]),
        deadline=int(challenge["deadline"]),
    )
    signature = access.sign(release, demo.suite.chain_id, demo.suite.private.address, demo.app_key)
    stolen = httpx.post(
        f"{url}/v1/assets/{dataset.asset_id}/access", json=release.to_json(signature)
    )
    if bare.status_code != 401 or stolen.status_code != 403:
        raise RuntimeError(
            f"the gateway did not refuse a non-licensee: {bare.status_code}, "
            f"{stolen.status_code} {stolen.text}"
        )
    demo.say(
        f"   without a release: {bare.status_code} ({bare.json()['error']}); the app signing "
        f"for the model maker's license: {stolen.status_code} ({stolen.json()['message']})"
    )


def _client(demo: Demo, url: str, dataset: PrivateDataset) -> GatewayClient:
    suite = demo.suite
    return GatewayClient(
        url,
        private_key=demo.modeler.private_key,
        license_id=dataset.license_id,
        chain_id=suite.chain_id,
        meter_address=suite.meter.address,
        rpc_url=demo.chain.provider.http_uri,
        registry_address=suite.registry.address,
        private_data_address=suite.private.address,
    )


@contextmanager
def _gateway(demo: Demo, dataset: PrivateDataset) -> Iterator[services.Service]:
    ledger = demo.out / "private-ledger.sqlite"
    for suffix in ("", "-wal", "-shm"):
        Path(f"{ledger}{suffix}").unlink(missing_ok=True)
    config = demo.out / "private-gateway.toml"
    config.write_text(
        private_config(
            demo.gateway.address,
            (demo.out / "deployment.json").resolve(),
            ledger.resolve(),
            dataset,
        )
    )
    gateway = services.gateway(config, demo.chain.provider.http_uri, "TEST::5")
    try:
        yield gateway
    finally:
        gateway.stop()


def private_config(operator: str, deployment: Path, ledger: Path, dataset: PrivateDataset) -> str:
    """A gateway serving one private dataset, a unit per file read."""
    return f"""[gateway]
host = "127.0.0.1"
port = 0
operator = "{operator}"
deployment = "{deployment}"

[ledger]
sqlite = "{ledger}"

[[assets]]
id = {dataset.asset_id}
kind = "dataset"
sealed = "{dataset.sealed.resolve()}"
key_file = "{dataset.key_file.resolve()}"
units = 1
description = "tree inspections (private: ACCESS or TRAIN license holders only)"
"""


def _train(folder: Path) -> dict[str, Any]:
    script = EXAMPLES / "private" / "train_risk.py"
    spec = importlib.util.spec_from_file_location("seedbed_train_risk", script)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    result: dict[str, Any] = module.train(folder)
    return result


def _gas(demo: Demo, tx: str) -> str:
    return f"{int(demo.chain.provider.get_receipt(tx).gas_used):,}"
