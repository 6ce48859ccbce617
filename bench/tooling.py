"""Wall time of the Python tooling: hashing, contributor trees, the voucher ledger."""

from __future__ import annotations

import os
import shutil
import subprocess
import time
from pathlib import Path

from bench.harness import Results
from seedbed.core.treefile import ContributorTree

WORK = Path(__file__).resolve().parent / "work"


def make_files(folder: Path, count: int = 10_000, total: int = 1 << 30) -> Path:
    """count files summing to `total` bytes (kept between runs: made once)."""
    marker = folder.with_name(folder.name + ".complete")  # outside: it must not be hashed
    if marker.exists():
        return folder
    shutil.rmtree(folder, ignore_errors=True)
    size = total // count
    block = os.urandom(1 << 20)
    for i in range(count):
        path = folder / f"part-{i // 1000:02d}" / f"shard-{i:05d}.bin"
        path.parent.mkdir(parents=True, exist_ok=True)
        with open(path, "wb") as f:
            f.write(i.to_bytes(8, "big"))
            left = size - 8
            while left:
                chunk = block[: min(left, len(block))]
                f.write(chunk)
                left -= len(chunk)
    marker.write_text("ok")
    return folder


def hashing(res: Results) -> None:
    from seedbed.core.manifest import build_manifest

    folder = make_files(WORK / "files-10k")
    files = sorted(str(p) for p in folder.rglob("*.bin"))
    listing = WORK / "files-10k.list"
    listing.write_text("\0".join(files))

    def sha256sum() -> float:
        start = time.perf_counter()
        with open(listing, "rb") as src:
            subprocess.run(
                ["xargs", "-0", "sha256sum"], stdin=src, stdout=subprocess.DEVNULL, check=True
            )
        return time.perf_counter() - start

    def ours() -> float:
        start = time.perf_counter()
        manifest = build_manifest(folder)
        elapsed = time.perf_counter() - start
        assert len(manifest.files) == len(files)
        return elapsed

    sha256sum()  # warm the page cache for both
    t_ref = min(sha256sum(), sha256sum())
    t_ours = min(ours(), ours())
    gib = (1 << 30) / (1 << 30)
    res.record(
        "hash_vs_sha256sum_ratio",
        t_ref / t_ours,
        "x",
        1.0,
        "higher",
        note=f"10,000 files, 1 GiB: ours {gib / t_ours:.2f} GiB/s, "
        f"sha256sum {gib / t_ref:.2f} GiB/s",
    )


def big_tree(extra: list[str]) -> tuple[ContributorTree, float]:
    """1,000,000 contributors (the given accounts among them), and the build time."""
    weights = {os.urandom(20): 1 + i % 1000 for i in range(1_000_000 - len(extra))}
    for a in extra:
        weights[bytes.fromhex(a[2:])] = 500
    start = time.perf_counter()
    tree = ContributorTree.build(weights)
    return tree, time.perf_counter() - start


def trees(res: Results, tree: ContributorTree, build_s: float, probe: str) -> None:
    res.record("contributors_1m_build_s", build_s, "s", 20.0)
    path = WORK / "contributors-1m.tree"
    WORK.mkdir(exist_ok=True)
    tree.save(path)
    start = time.perf_counter()
    with ContributorTree.load(path) as saved:
        weight, proof = saved.proof(probe)
    elapsed = time.perf_counter() - start
    assert weight == 500 and proof
    res.record(
        "contributor_proof_s", elapsed, "s", 0.1, note="open the saved tree and prove one address"
    )


def ledger(res: Results, chain_id: int, meter: str) -> None:
    """Vouchers verified, checked against their channel's synced reserve and committed."""
    from eth_account import Account

    from bench.ledger_throughput import open_channels
    from seedbed.core.vouchers import SignedVoucher, Voucher, sign
    from seedbed.workflows.ledger import VoucherLedger

    acct = Account.create()
    gateway = Account.create().address
    deadline = int(time.time()) + 86400

    def voucher(i: int) -> SignedVoucher:
        v = Voucher(1 + i % 500, acct.address, gateway, 1 + i, deadline)
        return SignedVoucher(v, sign(v, chain_id, meter, acct.key))

    signed = [voucher(i) for i in range(5000)]
    channels = open_channels(acct.address, gateway, 500)
    path = WORK / "ledger-bench.sqlite"
    for suffix in ("", "-wal", "-shm"):
        Path(str(path) + suffix).unlink(missing_ok=True)
    with VoucherLedger(path, chain_id, meter) as led:
        led.sync_many(channels)
        start = time.perf_counter()
        for v in signed[:1000]:
            led.accept(v)
        single = 1000 / (time.perf_counter() - start)
        start = time.perf_counter()
        led.accept_many(signed[1000:])
        batched = 4000 / (time.perf_counter() - start)
    res.record(
        "ledger_vouchers_per_s",
        single,
        "1/s",
        1000,
        "higher",
        note="verified, reserve-checked and committed one by one (synchronous=FULL)",
    )
    res.record(
        "ledger_vouchers_grouped_per_s",
        batched,
        "1/s",
        5000,
        "higher",
        note="the same, accept_many: one durable commit per group",
    )
