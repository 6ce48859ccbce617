"""Two chains ape does not manage, reached by URL: same addresses, and the suite works on each.

Two separate anvil processes with different chain ids; `ape run deploy` deploys to both with a
key from the environment (the non-interactive CI path); then register → buy → settle → claim
runs on each chain.
"""

import json
import os
import socket
import subprocess
import time

import pytest
from testkit.registering import commit_and_wait

from seedbed.core.constants import ETH, INFER
from seedbed.core.vouchers import Voucher, sign

ROOT = __import__("pathlib").Path(__file__).resolve().parents[2]
# anvil's first default key (the same mnemonic ape's test accounts use).
DEPLOYER_KEY = "0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80"
CONSUMER_KEY = "0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d"


def _free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def two_chains():
    nodes = []
    for chain_id in (31401, 31402):
        port = _free_port()
        proc = subprocess.Popen(
            ["anvil", "--port", str(port), "--chain-id", str(chain_id), "--silent"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        nodes.append((chain_id, f"http://127.0.0.1:{port}", proc))
    for _, url, _ in nodes:
        port = int(url.rsplit(":", 1)[1])
        for _ in range(100):
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
                break
            except OSError:
                time.sleep(0.1)
    yield [(cid, url) for cid, url, _ in nodes]
    for _, _, proc in nodes:
        proc.terminate()
        proc.wait(timeout=10)


def _deploy(url, folder):
    env = {**os.environ, "SEEDBED_PRIVATE_KEY": DEPLOYER_KEY, "SEEDBED_DEPLOYMENTS": str(folder)}
    return subprocess.run(
        ["ape", "run", "deploy", "--network", url],
        capture_output=True,
        text=True,
        env=env,
        cwd=ROOT,
        timeout=300,
        check=False,
    )


def test_same_addresses_on_two_chains_and_rerun_is_safe(two_chains, tmp_path):
    records = []
    for chain_id, url in two_chains:
        out = _deploy(url, tmp_path)
        assert out.returncode == 0, out.stderr
        assert "deployed at" in out.stdout
        records.append(json.loads((tmp_path / f"{chain_id}.json").read_text()))
    a, b = records
    assert a["chain_id"] != b["chain_id"]
    assert {k: v["address"] for k, v in a["contracts"].items()} == {
        k: v["address"] for k, v in b["contracts"].items()
    }
    # Re-running skips everything and keeps the record's deployment block.
    again = _deploy(two_chains[0][1], tmp_path)
    assert again.returncode == 0, again.stderr
    # the first four, attestations, the panel, court, PrivateData, campaigns
    assert again.stdout.count("skipped") == 9
    assert json.loads((tmp_path / "31401.json").read_text())["block"] == a["block"]


def test_deploy_without_an_account_fails_with_one_line(two_chains, tmp_path):
    env = {k: v for k, v in os.environ.items() if k != "SEEDBED_PRIVATE_KEY"}
    env["SEEDBED_DEPLOYMENTS"] = str(tmp_path)
    out = subprocess.run(
        ["ape", "run", "deploy", "--network", two_chains[0][1]],
        capture_output=True,
        text=True,
        env=env,
        cwd=ROOT,
        timeout=300,
        check=False,
    )
    assert out.returncode != 0
    assert "error: No account" in out.stderr
    assert "Traceback" not in out.stderr
    assert not (tmp_path / "31401.json").exists()


def test_register_buy_settle_claim_on_each_chain(
    two_chains, tmp_path, project, networks, contributors_of
):
    from ape_accounts.accounts import ApeSigner

    from seedbed.chain.client import Suite
    from seedbed.chain.deploy import Params, deploy

    publisher = ApeSigner(private_key=DEPLOYER_KEY)
    consumer = ApeSigner(private_key=CONSUMER_KEY)
    addresses = []
    for chain_id, url in two_chains:
        with networks.parse_network_choice(url) as provider:
            from ape import chain

            assert provider.chain_id == chain_id
            params = Params(wirer=publisher.address, treasury=publisher.address)
            suite = Suite.from_record(
                project, chain, deploy(project, chain, publisher, params, write_record=False)
            )
            addresses.append(suite.addresses)
            people = contributors_of({publisher.address: 1, consumer.address: 1})
            root = os.urandom(32)
            # Not the local chain: registration is a commitment, then its reveal MIN later.
            assert suite.registry.MIN_COMMIT_AGE() == params.min_commit_age > 0
            (salt,) = commit_and_wait(suite.registry, publisher, [root])
            receipt = suite.registry.register(
                0, root, salt, people.top, "ipfs://d", b"\x01" * 32, [], sender=publisher
            )
            asset = receipt.events.filter(suite.registry.AssetRegistered)[0].assetId
            terms = (asset, ETH, 10**15, 10**12, 0, 0, INFER, 0, False, 0, 0)
            offer = suite.license.createOffer(terms, sender=publisher).events[0].offerId
            lic = (
                suite.license.buy(offer, consumer, 10**15, value=10**15, sender=consumer)
                .events.filter(suite.license.LicenseBought)[0]
                .licenseId
            )
            # The publisher serves as the gateway operator of the consumer's channel.
            suite.meter.deposit(lic, publisher, 10**16, value=10**16, sender=consumer)
            deadline = chain.pending_timestamp + 3600
            voucher = Voucher(lic, consumer.address, publisher.address, 1_000, deadline)
            sig = sign(voucher, chain_id, suite.meter.address, CONSUMER_KEY)
            suite.meter.settle(voucher.as_tuple(), sig, sender=publisher)
            assert suite.meter.channel(lic, consumer, publisher).units == 1_000
            suite.meter.payAsset(asset, ETH, sender=publisher)
            # 1e15 sale + 1000 units × 1e12 = 2e15 credited; half each to two equal weights.
            weight, proof = people.proof(consumer)
            before = consumer.balance
            suite.vault.claim(asset, ETH, consumer, weight, proof, sender=publisher)
            assert consumer.balance - before == 10**15
            assert provider.chain_id == chain_id
    assert addresses[0] == addresses[1]
