"""Private data (issue 16): sealing cost, streaming a sealed dataset through a real gateway,
and key release, single-owner and k-of-n.

Scenarios (bench/results.json):
- encrypt_dataset_ratio: seal_folder's wall time over build_manifest's on the same 1 GiB,
  10,000-file folder of random bytes (sizes varied, log-normal), in the same run, the page
  cache warm for both (the folder was just written); hash_1gib_s / encrypt_1gib_s are the
  two times. seal_folder is timed as a publisher runs it (it hashes the folder itself,
  then encrypts, hashing every chunk and every ciphertext). The folder, made under a temporary
  directory once the free disk space is checked, is deleted afterwards;
- plain_stream_mb_s / private_stream_mb_s / private_stream_ratio: one `ape run gateway`
  process serves a plain dataset and a sealed one of the same shape (FILES files of FILE_SIZE
  random bytes, different bytes), each metered per call on a channel of its own; the same
  holder reads them with GatewayClient.download in 8 MiB ranges (every range checked against
  the content root, every file's SHA-256 before it is kept), both clients over one shared
  connection pool, rounds alternating so the machine's noise falls on both. MB/s = 10^6
  bytes / wall second of a whole round (every file of the dataset), median over ROUNDS;
- key_release_ms: seedbed.workflows.private.release_key (releasable eth_call, ECIES wrap,
  grantKey mined) on the bench's own anvil, median of RELEASES;
- threshold_release_ms / threshold_release_one_down_ms: five real custodian processes (`python
  -m seedbed.custodian`) holding 3-of-5 shares of the sealed dataset's key, fetch_key_threshold
  with all five, then with one of them stopped (median of RELEASES, resp. DOWN_RELEASES).
"""

from __future__ import annotations

import json
import logging
import os
import random
import shutil
import statistics
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bench.harness import Results

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT / "tests") not in sys.path:
    sys.path.insert(0, str(ROOT / "tests"))  # testkit: anvil on a free port
GIB = 1 << 30
FOLDER_FILES = 10_000
FILES = 8  # per streamed dataset
FILE_SIZE = 8 << 20
RANGE = 8 << 20  # bytes per download range (GatewayClient's default)
ROUNDS = 7  # measured rounds per dataset (one warm-up round each before)
RELEASES = 20
DOWN_RELEASES = 10
K, N = 3, 5
UNIT_PRICE = "0.000001"  # ETH per range read
CUSTODIAN_KEY_ENV = "SEEDBED_CUSTODIAN_KEY"
FIGURES = ROOT / "bench" / "work" / "private-figures.json"


def _hex(key: Any) -> str:
    return key if isinstance(key, str) else "0x" + bytes(key).hex()


# ------------------------------------------------------------------------------ sealing cost


def _sizes(count: int, total: int, rng: random.Random) -> list[int]:
    """`count` varied sizes (log-normal: many small files, a few of several MiB) summing to
    `total` exactly."""
    raw = [rng.lognormvariate(0.0, 1.2) for _ in range(count)]
    scale = total / sum(raw)
    sizes = [max(1, int(r * scale)) for r in raw]
    sizes[-1] += total - sum(sizes)
    if sizes[-1] < 1:  # never happens with these figures; keep the sum exact if it did
        raise RuntimeError("the size draw left no room for the last file")
    return sizes


def write_random_folder(folder: Path, sizes: list[int]) -> None:
    for i, size in enumerate(sizes):
        path = folder / f"part-{i // 1000:02d}" / f"file-{i:05d}.bin"
        path.parent.mkdir(parents=True, exist_ok=True)
        with open(path, "wb") as f:
            left = size
            while left:
                n = min(left, 4 << 20)
                f.write(os.urandom(n))
                left -= n


def sealing_cost(res: Results, figures: dict[str, Any]) -> None:
    from seedbed.core.manifest import build_manifest
    from seedbed.core.sealed import new_key, seal_folder

    need = 2 * GIB + 2 * GIB // 10 + (512 << 20)  # the folder, its ciphertext, a margin
    base = Path(tempfile.gettempdir())
    free = shutil.disk_usage(base).free
    if free < need:
        print(f"  encrypt_dataset_ratio skipped: {free / GIB:.1f} GiB free in {base}, "
              f"{need / GIB:.1f} needed")  # fmt: skip
        figures["sealing"] = {"skipped": f"{free} bytes free"}
        return
    with tempfile.TemporaryDirectory(prefix="seedbed-private-bench-", dir=base) as tmp:
        folder, out = Path(tmp) / "plain", Path(tmp) / "sealed"
        sizes = _sizes(FOLDER_FILES, GIB, random.Random(16))
        t0 = time.perf_counter()
        write_random_folder(folder, sizes)
        made = time.perf_counter() - t0
        print(f"  1 GiB in {FOLDER_FILES:,} files written in {made:.1f} s; hashing, then sealing")
        start = time.perf_counter()
        manifest = build_manifest(folder)
        hash_s = time.perf_counter() - start
        assert manifest.count == FOLDER_FILES and manifest.total_bytes == GIB
        start = time.perf_counter()
        index = seal_folder(folder, out, new_key())
        seal_s = time.perf_counter() - start
        assert index.content_root == manifest.root and index.count == FOLDER_FILES
        cipher = sum(f.cipher_size for f in index.files)
    figures["sealing"] = {
        "hash_s": hash_s,
        "seal_s": seal_s,
        "write_s": made,
        "cipher_bytes": cipher,
        "sizes": {"min": min(sizes), "max": max(sizes), "median": statistics.median(sizes)},
    }
    shape = (
        f"{FOLDER_FILES:,} files of random bytes, {min(sizes):,} B to {max(sizes) / (1 << 20):.1f}"
        f" MiB (median {statistics.median(sizes) / 1024:.0f} KiB), page cache warm"
    )
    res.record(
        "encrypt_dataset_ratio", seal_s / hash_s, "x", None, "lower",
        note=f"seal_folder / build_manifest on 1 GiB, {shape}; seal_folder hashes the folder "
        f"itself, then AES-256-GCM in 64 KiB chunks, each chunk and ciphertext hashed "
        f"({GIB / seal_s / 1e6:.0f} vs {GIB / hash_s / 1e6:.0f} MB/s)",
    )  # fmt: skip
    res.record("hash_1gib_s", hash_s, "s", None, "lower", note=f"build_manifest; {shape}")
    res.record(
        "encrypt_1gib_s", seal_s, "s", None, "lower",
        note=f"seal_folder (manifest included), {cipher / GIB:.4f} GiB of ciphertext written",
    )  # fmt: skip


# ------------------------------------------------------------------------------ the world


@dataclass
class World:
    rpc: str
    out: Path
    suite: Any
    chain_id: int
    operator: str
    owner: Any  # publisher of both datasets
    holder: Any  # holds one license on each
    plain_asset: int
    private_asset: int
    plain_license: int
    private_license: int
    plain_folder: Path
    private_folder: Path
    sealed: Path
    key_file: Path
    index: Any  # the SealIndex


def build_world(project: Any, networks: Any, rpc: str, out: Path) -> World:
    """Deploy, register two datasets of the same shape, seal one, offer both metered per
    call with ACCESS, and give one holder a license and a funded channel on each."""
    from seedbed.workflows import private
    from seedbed.workflows.demo import Demo
    from seedbed.workflows.escrow import deposit
    from seedbed.workflows.licenses import buy_license
    from seedbed.workflows.offers import publish_offer

    out.mkdir(parents=True, exist_ok=True)
    plain_folder, private_folder = out / "plain-data", out / "private-data"
    for folder in (plain_folder, private_folder):
        for i in range(FILES):
            path = folder / "shards" / f"shard-{i:02d}.bin"
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(os.urandom(FILE_SIZE))  # different bytes: a content root each
    sealed, key_file = out / "private-sealed", out / "keys" / "private.key"
    key_file.parent.mkdir(mode=0o700)
    index = private.seal_dataset(private_folder, sealed, key_file)
    with networks.parse_network_choice(rpc):
        from ape import accounts, chain

        people = list(accounts.test_accounts)
        demo = Demo(project, chain, people[:6], out, say=lambda _: None)
        demo.step_deploy()
        suite = demo.suite
        owner, holder = demo.trees_pub, demo.modeler
        contributors = out / "contributors.csv"
        contributors.write_text(f"address,weight\n{owner.address},1\n{people[7].address},3\n")
        assets = {}
        for name, folder in (("bench-plain", plain_folder), ("bench-private", private_folder)):
            spdx = "LicenseRef-Seedbed-Private" if name == "bench-private" else "CC-BY-4.0"
            assets[name] = demo._register(owner, name, folder, contributors, "dataset", spdx)
        private.seal_on_chain(suite, owner, assets["bench-private"].asset_id, index)
        licenses = {}
        for name, published in assets.items():
            offer = publish_offer(suite, chain, owner, published.asset_id, scopes="access",
                                  unit_price=UNIT_PRICE)  # fmt: skip
            bought = buy_license(suite, chain, holder, offer.offer_id)
            deposit(suite, chain, holder, bought.license_id, demo.gateway.address, "0.01")
            licenses[name] = bought.license_id
        return World(
            rpc=rpc,
            out=out,
            suite=suite,
            # The node's own id: ape's chain manager keeps the id of an earlier group's chain.
            chain_id=int(chain.provider.web3.eth.chain_id),
            operator=demo.gateway.address,
            owner=owner,
            holder=holder,
            plain_asset=assets["bench-plain"].asset_id,
            private_asset=assets["bench-private"].asset_id,
            plain_license=licenses["bench-plain"],
            private_license=licenses["bench-private"],
            plain_folder=plain_folder,
            private_folder=private_folder,
            sealed=sealed,
            key_file=key_file,
            index=index,
        )


# ------------------------------------------------------------------------------ streaming


def gateway_config(world: World) -> Path:
    path = world.out / "private-bench-gateway.toml"
    path.write_text(f"""[gateway]
host = "127.0.0.1"
port = 0
operator = "{world.operator}"
deployment = "{(world.out / "deployment.json").resolve()}"

[ledger]
sqlite = "{(world.out / "gateway-ledger.sqlite").resolve()}"

[[assets]]
id = {world.plain_asset}
kind = "dataset"
folder = "{world.plain_folder.resolve()}"
units = 1

[[assets]]
id = {world.private_asset}
kind = "dataset"
sealed = "{world.sealed.resolve()}"
key_file = "{world.key_file.resolve()}"
units = 1
""")
    return path


def streaming(res: Results, world: World, figures: dict[str, Any]) -> None:
    import httpx

    from seedbed.client import GatewayClient
    from seedbed.workflows import services

    service = services.gateway(gateway_config(world), world.rpc, "TEST::5", "--no-settle")
    transport = httpx.HTTPTransport()  # one connection pool for both datasets' reads
    suite = world.suite

    def client(license_id: int) -> GatewayClient:
        return GatewayClient(
            service.url,
            private_key=_hex(world.holder.private_key),
            license_id=license_id,
            chain_id=world.chain_id,
            meter_address=suite.meter.address,
            rpc_url=world.rpc,
            registry_address=suite.registry.address,
            private_data_address=suite.private.address,
            transport=transport,
        )

    paths = [f"shards/shard-{i:02d}.bin" for i in range(FILES)]
    total = FILES * FILE_SIZE
    times: dict[str, list[float]] = {"plain": [], "private": []}
    try:
        clients = {"plain": (client(world.plain_license), world.plain_asset, world.plain_folder),
                   "private": (client(world.private_license), world.private_asset,
                               world.private_folder)}  # fmt: skip

        def one_round(kind: str, n: int) -> float:
            gw, asset, source = clients[kind]
            dest = world.out / f"read-{kind}-{n}"
            (dest / "shards").mkdir(parents=True)
            start = time.perf_counter()
            for p in paths:
                gw.download(asset, p, dest / p, chunk_size=RANGE)
            elapsed = time.perf_counter() - start
            for p in paths:  # the client verified them; this checks the bench itself
                if (dest / p).read_bytes() != (source / p).read_bytes():
                    raise RuntimeError(f"{kind} {p}: the bytes read are not the dataset's")
            shutil.rmtree(dest)
            return elapsed

        for kind in ("plain", "private"):
            one_round(kind, -1)  # first sight: the release, the channel, the seal, the roots
        for n in range(ROUNDS):
            order = ("plain", "private") if n % 2 == 0 else ("private", "plain")
            for kind in order:
                times[kind].append(one_round(kind, n))
        served = {kind: gw.served for kind, (gw, _a, _s) in clients.items()}
        for gw, _a, _s in clients.values():
            gw.close()
    finally:
        service.stop()
        transport.close()
    plain_s, private_s = (statistics.median(times[k]) for k in ("plain", "private"))
    plain, private = total / plain_s / 1e6, total / private_s / 1e6
    figures["stream"] = {"times": times, "served": served, "bytes_per_round": total}
    shape = f"{FILES} files of {FILE_SIZE >> 20} MiB, {RANGE >> 20} MiB ranges"
    spread = {k: f"{total / max(v) / 1e6:.0f}-{total / min(v) / 1e6:.0f}" for k, v in times.items()}
    res.record(
        "plain_stream_mb_s", plain, "MB/s", None, "higher",
        note=f"GatewayClient.download through one gateway process, {shape}, every range and "
        f"file checked, paid per range; median of {ROUNDS} rounds (range {spread['plain']})",
    )  # fmt: skip
    res.record(
        "private_stream_mb_s", private, "MB/s", None, "higher",
        note=f"the same on the sealed dataset (decrypted and chunk-checked by the gateway, "
        f"release signed once); median of {ROUNDS} rounds (range {spread['private']})",
    )  # fmt: skip
    res.record(
        "private_stream_ratio", private / plain, "x", 0.5, "higher",
        note=f"private / plain MB/s, alternating rounds, the same holder and connection pool "
        f"({served['plain']} and {served['private']} paid reads)",
    )  # fmt: skip


# ------------------------------------------------------------------------------ key release


def key_release(res: Results, networks: Any, world: World, figures: dict[str, Any]) -> None:
    from seedbed.core.sealed import read_key_file
    from seedbed.workflows import private

    key = read_key_file(world.key_file)
    with networks.parse_network_choice(world.rpc):
        suite = world.suite
        public = private.holder_public_key(suite, world.private_license)
        private.release_key(suite, world.owner, world.private_license, key, public)  # warm
        times = []
        for _ in range(RELEASES):
            start = time.perf_counter()
            private.release_key(suite, world.owner, world.private_license, key, public)
            times.append((time.perf_counter() - start) * 1000)
        grants = private.granted_keys(suite, world.private_license, world.holder.address)
    got, _ = private.key_from_grants(world.holder.private_key, grants, world.index.key_check)
    assert got == key and len(grants) == RELEASES + 1
    figures["key_release_ms"] = times
    res.record(
        "key_release_ms", statistics.median(times), "ms", 50.0, "lower",
        note=f"release_key: releasable eth_call, ECIES wrap, grantKey mined (anvil automine); "
        f"median of {RELEASES}, {min(times):.1f}-{max(times):.1f} ms",
    )  # fmt: skip


def threshold_release(res: Results, world: World, figures: dict[str, Any]) -> None:
    import secrets

    from seedbed.client.custodians import fetch_key_threshold
    from seedbed.core.sealed import read_key_file
    from seedbed.custodian.run import READY
    from seedbed.custodian.shares import split_key_file
    from seedbed.workflows import services

    key = read_key_file(world.key_file)
    base = world.out / "custodians"
    shares = split_key_file(world.key_file, K, N, world.private_asset, base)
    processes: list[Any] = []
    try:
        for i, share in enumerate(shares, start=1):
            config = base / f"c{i}.toml"
            config.write_text(
                '[custodian]\nhost = "127.0.0.1"\nport = 0\n'
                f'rpc = "{world.rpc}"\nchain_id = {world.chain_id}\n'
                f'private_data = "{world.suite.private.address}"\n'
                f'key_env = "{CUSTODIAN_KEY_ENV}"\n\n'
                f'[[shares]]\nasset = {world.private_asset}\nfile = "{share.name}"\n'
            )
            cmd = [sys.executable, "-m", "seedbed.custodian", "--config", str(config)]
            env = {CUSTODIAN_KEY_ENV: "0x" + secrets.token_bytes(32).hex()}
            processes.append(services.start(f"custodian {i}", cmd, READY, env=env, timeout=60))
        urls = [p.url for p in processes]

        def fetch() -> float:
            start = time.perf_counter()
            got = fetch_key_threshold(
                urls, world.private_license, _hex(world.holder.private_key),
                chain_id=world.chain_id, private_data=str(world.suite.private.address),
                key_check=world.index.key_check, threshold=K, asset_id=world.private_asset,
            )  # fmt: skip
            elapsed = (time.perf_counter() - start) * 1000
            assert got == key
            return elapsed

        fetch()  # warm
        all_up = [fetch() for _ in range(RELEASES)]
        processes[-1].stop()
        quiet = logging.getLogger("seedbed.client.custodians")
        level = quiet.level
        quiet.setLevel(logging.ERROR)  # one "unreachable" warning per release otherwise
        try:
            one_down = [fetch() for _ in range(DOWN_RELEASES)]
        finally:
            quiet.setLevel(level)
    finally:
        for p in processes:
            p.stop()
    figures["threshold_ms"] = {"all_up": all_up, "one_down": one_down}
    res.record(
        "threshold_release_ms", statistics.median(all_up), "ms", 500.0, "lower",
        note=f"fetch_key_threshold, {K} of {N} real custodian processes (all asked at once, "
        f"each an eth_call), key checked against keyCheck; median of {RELEASES}, "
        f"{min(all_up):.0f}-{max(all_up):.0f} ms",
    )  # fmt: skip
    res.record(
        "threshold_release_one_down_ms", statistics.median(one_down), "ms", None, "lower",
        note=f"the same with custodian {N} stopped (connection refused); median of "
        f"{DOWN_RELEASES}",
    )  # fmt: skip


# ------------------------------------------------------------------------------ the group


def run(res: Results, project: Any) -> dict[str, Any]:
    """The private group of `ape run benchmark`; returns the raw figures."""
    from ape import networks
    from ape.logging import logger
    from testkit.gateway_world import anvil

    figures: dict[str, Any] = {}
    t0 = time.perf_counter()
    print("  sealing a 1 GiB folder")
    sealing_cost(res, figures)
    level = logger.level
    logger.set_level("WARNING")  # not one "Confirmed" line per setup transaction
    try:
        with tempfile.TemporaryDirectory(prefix="seedbed-private-bench-") as tmp, anvil() as rpc:
            start = time.perf_counter()
            world = build_world(project, networks, rpc, Path(tmp) / "world")
            figures["setup_s"] = time.perf_counter() - start
            print("  streaming a plain and a sealed dataset through one gateway")
            streaming(res, world, figures)
            print("  key release: one owner, then 3 of 5 custodians")
            key_release(res, networks, world, figures)
            threshold_release(res, world, figures)
    finally:
        logger.set_level(level)
    figures["total_s"] = time.perf_counter() - t0
    FIGURES.parent.mkdir(parents=True, exist_ok=True)
    FIGURES.write_text(json.dumps(figures, indent=1, default=str) + "\n")
    return figures
