"""Generate Seedbed events fast on a dedicated anvil, for the audit benchmark.

Not ape's own anvil: ape-foundry starts it with step tracing, under which heavy batches hang
or grow without bound. Here: automine off, raw eth_sendTransaction batches of one `pay` and
one 64-claim `claimBatch` (65 vault events per pair), one `evm_mine` per batch.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

ETH = "0x0000000000000000000000000000000000000000"


def start_anvil(chain_id: int = 1337) -> tuple[subprocess.Popen[bytes], str]:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    proc = subprocess.Popen(
        [
            "anvil",
            "--port",
            str(port),
            "--chain-id",
            str(chain_id),
            "--gas-limit",
            "2000000000",
            "--prune-history",
            "--silent",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    for _ in range(100):
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            break
        except OSError:
            time.sleep(0.1)
    return proc, f"http://127.0.0.1:{port}"


def generate(url: str, events: int, record_path: Path) -> dict[str, Any]:
    """Deploy the suite on `url` and emit about `events` events; writes the deployment record."""
    from ape import accounts, chain, networks, project

    with networks.parse_network_choice(url):
        from seedbed.chain.client import Suite
        from seedbed.chain.deploy import Params, deploy
        from seedbed.chain.rpc import Rpc
        from seedbed.core.keccak import keccak
        from seedbed.core.treefile import ContributorTree

        dep = accounts.test_accounts[0]
        record = deploy(
            project,
            chain,
            dep,
            Params(wirer=dep.address, treasury=dep.address),
            write_record=False,
        )
        suite = Suite.from_record(project, chain, record)
        people = {os.urandom(20): 1 + i for i in range(64)}
        tree = ContributorTree.build(people)
        # This anvil's chain id is not 31337, so registration is commit, wait, reveal.
        reg, root, salt = suite.registry, os.urandom(32), os.urandom(32)
        reg.commit(keccak(bytes(reg.registrationLeaf(dep, root, salt))), sender=dep)
        chain.provider.make_request("evm_increaseTime", [int(reg.MIN_COMMIT_AGE())])
        chain.provider.make_request("evm_mine", [])
        reg.register(0, root, salt, tree.top(), "x", b"\x11" * 32, [], sender=dep)
        requests = []
        for raw in people:
            weight, proof = tree.proof(raw)
            requests.append((1, ETH, "0x" + raw.hex(), weight, [(h, s) for h, s in proof]))
        pay = "0x" + bytes(suite.vault.pay.encode_input(1, ETH, 10**15)).hex()
        claims = "0x" + bytes(suite.vault.claimBatch.encode_input(requests)).hex()
        rpc = Rpc(chain.provider)
        nonce = int(rpc.call("eth_getTransactionCount", [dep.address, "latest"]), 16)
        rpc.call("evm_setAutomine", [False])
        pairs = events // 65 + 1
        for start in range(0, pairs, 12):
            batch = []
            for _ in range(min(12, pairs - start)):
                for data, value, gas in ((pay, 10**15, 200_000), (claims, 0, 8_000_000)):
                    tx = {
                        "from": dep.address,
                        "to": suite.vault.address,
                        "data": data,
                        "value": hex(value),
                        "gas": hex(gas),
                        "nonce": hex(nonce),
                    }
                    batch.append(("eth_sendTransaction", [tx]))
                    nonce += 1
            out = rpc.batch(batch)
            if any(not isinstance(o, str) for o in out):
                raise RuntimeError(f"load generation failed: {out[:2]}")
            rpc.call("evm_mine", [])
        rpc.call("evm_setAutomine", [True])
    record_path.write_text(json.dumps(record))
    return record


def measure(url: str, record_path: Path, naive: bool) -> dict[str, float]:
    """Runs in its own process (so peak RSS is the audit's): cold, warm, and the naive path."""
    import resource
    import tempfile

    from ape import chain, networks, project

    out: dict[str, float] = {}
    with networks.parse_network_choice(url):
        from seedbed.chain.client import Suite
        from seedbed.workflows.audit.naive import fetch_naive
        from seedbed.workflows.audit.run import ingest_only, run_audit

        record = json.loads(record_path.read_text())
        suite = Suite.from_record(project, chain, record)
        _ = project.RoyaltyVault.contract_type  # load the project once: both paths need it
        work = Path(tempfile.mkdtemp())
        start = time.perf_counter()
        result = run_audit(project, chain, suite, work / "audit.sqlite", None)
        out["cold_s"] = time.perf_counter() - start
        out["ok"] = float(result.ok)
        out["events"] = float(result.ingest.total_events)
        start = time.perf_counter()
        run_audit(project, chain, suite, work / "audit.sqlite", None)
        out["warm_s"] = time.perf_counter() - start
        out["peak_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        if naive:
            start = time.perf_counter()
            ingest_only(project, chain, suite, work / "ingest.sqlite")
            out["ingest_s"] = time.perf_counter() - start
            start = time.perf_counter()
            fetch_naive(suite, record["block"])
            out["naive_s"] = time.perf_counter() - start
    return out


if __name__ == "__main__":
    url, record_file, naive = sys.argv[1], Path(sys.argv[2]), sys.argv[3] == "naive"
    print(json.dumps(measure(url, record_file, naive)))
