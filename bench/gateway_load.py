"""The gateway under load: real `ape run gateway` processes on an anvil of their own, paid
calls against the same endpoint unpaid, a kill -9 fault-injection run, and one settlement.

Every call is `GET /v1/assets/{id}/files/labels.txt` (a 113-byte dataset file: no upstream,
so what is measured is the gateway alone), on one of CHANNELS channels (a license each,
PAYERS payers): a channel serves one call at a time, so one channel per concurrent client,
each on its own keep-alive connection. The load generator is `bench.http_load`, a process of
its own whose requests (vouchers signed, headers encoded) are built before the clock starts.
Nothing is pinned unless SEEDBED_BENCH_GATEWAY_PIN=1 (gateway on core 0, load generator on
core 1, SQLite runs only); each phase reports the cores the gateway, the load generator,
PostgreSQL and every other process of the machine used (bench/work/gateway-figures.json).

Scenarios (bench/results.json):
- gateway_paid_rps: paid calls/s, closed loop, SQLite ledger synchronous=FULL (an answer
  waits for its charge's fsync, group-committed); gateway_unpaid_rps: `--no-payments`;
- gateway_added_p50_ms / _p99_ms: latency percentile paid − unpaid at the same offered rate
  (open loop, LATENCY_RATE calls/s over the same connections, latency from the scheduled
  moment); the saturated closed-loop percentiles are in the note;
- gateway_double_charges / gateway_lost_vouchers: the gateway is killed with SIGKILL at
  random moments under load and restarted on the same port while every client resends its
  unanswered call byte for byte (same voucher, same payment-identifier). Then, per channel:
  calls answered = the ledger's served units = its stored answers, each answer's `served`
  = the ledger's, and the settlement's UsageSettled units = the meter's channel state;
- gateway_calls_per_settle / gateway_settle_gas: everything served over HTTP is settled by
  one settleBatch (its gas, per call); a million HTTP calls take ~10 min here, so by default
  a channel whose one voucher covers 1,000,000 calls, recorded in the gateway's ledger by its
  store as one charge (not served one by one), is settled in one transaction.
  SEEDBED_BENCH_GATEWAY_MILLION=1 serves 1,000,000 more calls over HTTP instead;
- gateway_pg_paid_rps / gateway_pg2_paid_rps: the paid load on a PostgreSQL ledger, one
  replica, then two replicas sharing it with the channels split between two addresses.

SEEDBED_BENCH_GATEWAY_SECONDS (default 8) sets each measured phase's length,
SEEDBED_BENCH_GATEWAY_SEED the kill moments.
"""

from __future__ import annotations

import json
import os
import random
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bench.harness import Results

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT / "tests") not in sys.path:
    sys.path.insert(0, str(ROOT / "tests"))  # testkit: the gateway tests' world, reused
CHANNELS = 64
PAYERS = 4  # test accounts 6..9, CHANNELS / PAYERS licenses each
UNIT_PRICE = "0.000001"  # ETH per call (1e12 wei)
DEPOSIT = "0.5"  # ETH per channel: 500,000 calls
FILE = "labels.txt"
DATASET = "street-signs"
THROUGHPUT_SECONDS = float(os.environ.get("SEEDBED_BENCH_GATEWAY_SECONDS", "8"))
LATENCY_SECONDS = THROUGHPUT_SECONDS
LATENCY_RATE = 500.0  # calls/s offered in the latency phases (half the paid target)
FAULT_CALLS = 150  # calls per channel in the fault-injection run
FAULT_KILLS = 3
MILLION = 1_000_000
FIGURES = ROOT / "bench" / "work" / "gateway-figures.json"  # every phase's raw figures
# Pinning (SEEDBED_BENCH_GATEWAY_PIN=1: the gateway on core 0, the load generator on core 1)
# states cleanly what each side had, but on a machine shared with other jobs a busy core 0
# starves the gateway while core 1 idles; by default nothing is pinned and each phase
# reports the cores each side used, and what every other process on the machine took.
PIN = os.environ.get("SEEDBED_BENCH_GATEWAY_PIN") == "1"
GATEWAY_CORE = "0" if PIN else None
CLIENT_CORE = "1" if PIN else None


@dataclass
class Paid:
    """One channel the load generator pays on."""

    license_id: int
    payer: str
    key: str

    def spec(self, base: int) -> dict[str, Any]:
        return {"license": self.license_id, "payer": self.payer, "key": self.key, "base": base}


# ------------------------------------------------------------------------------ the world


def open_channels(project: Any, networks: Any, world: Any, deposits: list[str]) -> list[Paid]:
    """An offer metered per call on the dataset, one license per deposit bought by PAYERS
    payers in turn, and a funded channel with the gateway on each, through the workflows
    the scripts use."""
    from seedbed.chain.client import Suite
    from seedbed.workflows.escrow import deposit
    from seedbed.workflows.licenses import buy_license
    from seedbed.workflows.offers import publish_offer

    with networks.parse_network_choice(world.rpc):
        from ape import accounts, chain

        test = list(accounts.test_accounts)
        suite = Suite.from_record(project, chain, json.loads(world.record.read_text()))
        asset = world.dataset_assets[DATASET]
        owner = next(a for a in test if a.address == str(suite.registry.ownerOf(asset)))
        offer = publish_offer(suite, chain, owner, asset, scopes="access", unit_price=UNIT_PRICE)
        out = []
        for n, amount in enumerate(deposits):
            payer = test[6 + n % PAYERS]
            bought = buy_license(suite, chain, payer, offer.offer_id)
            deposit(suite, chain, payer, bought.license_id, world.operator, amount)
            out.append(Paid(bought.license_id, payer.address, _hex(payer.private_key)))
        return out


def _hex(key: Any) -> str:
    return key if isinstance(key, str) else "0x" + bytes(key).hex()


# ------------------------------------------------------------------------------ processes


class Gateways:
    """`ape run gateway` processes (real ones, as an operator runs them), stopped at exit."""

    def __init__(self, world: Any) -> None:
        self.world = world
        self.running: list[Any] = []

    def start(self, config: Path, port: int, *extra: str, core: str | None = GATEWAY_CORE) -> Any:
        from testkit.gateway_world import GATEWAY_ACCOUNT

        from seedbed.workflows import services

        cmd = ["taskset", "-c", core] if core is not None else []
        cmd += ["ape", "run", "gateway", "--config", str(config), "--network", self.world.rpc]
        cmd += ["--account", GATEWAY_ACCOUNT, "--port", str(port), "--no-settle", *extra]
        service = services.start("gateway", cmd, "gateway listening on", timeout=120)
        self.running.append(service)
        return service

    def stop(self, service: Any) -> None:
        service.stop()
        if service in self.running:
            self.running.remove(service)

    def kill(self, service: Any) -> None:
        service.kill()  # SIGKILL: no cleanup at all
        if service in self.running:
            self.running.remove(service)

    def close(self) -> None:
        for service in list(self.running):
            self.stop(service)


class LoadGenerator:
    """bench.http_load in its own process on core CLIENT_CORE: `signed` once its requests
    are built, then it runs when told to."""

    def __init__(self, spec: dict[str, Any], work: Path, name: str, core: str | None) -> None:
        self.spec_path, self.out_path = work / f"{name}-spec.json", work / f"{name}-out.json"
        self.spec_path.write_text(json.dumps(spec))
        cmd = ["taskset", "-c", core] if core is not None else []
        cmd += [sys.executable, "-m", "bench.http_load", str(self.spec_path), str(self.out_path)]
        self.proc = subprocess.Popen(
            cmd,
            cwd=ROOT,
            env={**os.environ, "PYTHONPATH": str(ROOT)},
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        self.lines: list[str] = []
        self._ready = threading.Event()
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()
        if not self._ready.wait(600) or self.proc.poll() is not None:
            self.proc.kill()
            raise RuntimeError(f"the load generator did not start: {self.lines[-3:]}")

    def _read(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            self.lines.append(line.strip())
            if line.startswith("signed"):
                self._ready.set()
        self._ready.set()

    def go(self) -> None:
        assert self.proc.stdin is not None
        self.proc.stdin.write("go\n")
        self.proc.stdin.flush()

    def running(self) -> bool:
        return self.proc.poll() is None

    def wait(self, timeout: float = 900) -> dict[str, Any]:
        try:
            code = self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            raise
        if code != 0:
            raise RuntimeError(f"the load generator failed (exit {code}): {self.lines[-3:]}")
        return dict(json.loads(self.out_path.read_text()))


def load_spec(
    world: Any, channels: list[Paid], bases: list[int], calls: int, run: str,
    phases: list[dict[str, Any]], *, verify: bool = False, presign: bool = True,
) -> dict[str, Any]:  # fmt: skip
    asset = world.dataset_assets[DATASET]
    return {
        "chain_id": world.chain_id,
        "meter": world.meter,
        "operator": world.operator,
        "deadline": int(time.time()) + 30 * 86400,
        "path": f"/v1/assets/{asset}/files/{FILE}",
        "channels": [c.spec(b) for c, b in zip(channels, bases, strict=True)],
        "calls_per_channel": calls,
        "run": run,
        "phases": phases,
        "verify": verify,
        "presign": presign,
    }


def _phase(name: str, service: Any, mode: str, paid: bool, **extra: Any) -> dict[str, Any]:
    return {"name": name, "url": service.url, "mode": mode, "paid": paid,
            "pids": [service.process.pid], **extra}  # fmt: skip


# ------------------------------------------------------------------------------ the ledger


def ledger_view(path: Path, world: Any, channels: list[Paid], run: str | None = None) -> Any:
    """Per channel: the ledger's served units, its stored answers (all, and of `run`), and
    `run`'s answers as {k: served after}."""
    import sqlite3

    from seedbed.gateway.store import GatewayLedger

    out: list[dict[str, Any]] = []
    ledger = GatewayLedger(str(path), world.chain_id, world.meter)
    try:
        for ch in channels:
            out.append({"served": ledger.served((ch.license_id, ch.payer, world.operator))})
    finally:
        ledger.close()
    db = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        for i, ch in enumerate(channels):
            lic = f"{ch.license_id:064x}"
            rows = db.execute(
                "SELECT payment_id, served_after, units FROM gateway_requests"
                " WHERE payer = ? AND license_id = ?",
                (ch.payer, lic),
            ).fetchall()
            out[i]["answers"] = len(rows)
            out[i]["answered_units"] = sum(int(u) for _, _, u in rows)
            if run is not None:
                prefix = f"{run}-c{i:03d}-k"
                out[i]["run"] = {
                    int(pid[len(prefix) :]): int(after)
                    for pid, after, _ in rows
                    if pid.startswith(prefix)
                }
    finally:
        db.close()
    return out


# ------------------------------------------------------------------------------ settling


def settle(project: Any, networks: Any, world: Any, path: Path) -> dict[str, Any]:
    """The gateway's settlement workflow on its ledger (what its settler thread runs): one
    settleBatch for every channel served. Returns its gas and UsageSettled per channel."""
    from seedbed.chain.client import Suite
    from seedbed.gateway.store import GatewayLedger
    from seedbed.workflows.channels import channel_view
    from seedbed.workflows.meter import settle_ledger

    with networks.parse_network_choice(world.rpc):
        from ape import accounts, chain

        suite = Suite.from_record(project, chain, json.loads(world.record.read_text()))
        sender = next(a for a in accounts.test_accounts if a.address == world.operator)
        with GatewayLedger(str(path), world.chain_id, world.meter) as ledger:
            _work, report = settle_ledger(ledger, suite, chain, sender, 256, pay=False)
        if report.skipped or len(report.transactions) != 1:
            raise RuntimeError(f"the settlement did not settle in one transaction: {report}")
        receipt = chain.provider.get_receipt(report.transactions[0])
        settled = {(s.license_id, s.payer): s.units for s in report.settled}
        on_chain = {
            key: channel_view(suite, chain, key[0], key[1], world.operator).state.units
            for key in settled
        }
        return {"gas": int(receipt.gas_used), "settled": settled, "on_chain": on_chain,
                "vouchers": len(report.settled)}  # fmt: skip


def record_million(project: Any, networks: Any, world: Any, channel: Paid, path: Path) -> None:
    """The gateway's store records MILLION one-unit calls served on `channel` as one charge
    (its voucher covers them all): the ledger as serving them leaves it, written in one
    commit instead of MILLION (which take ~10 minutes over HTTP on this machine)."""
    import asyncio

    from seedbed.chain.client import Suite
    from seedbed.core.vouchers import SignedVoucher, Voucher, sign
    from seedbed.gateway.store import Charge, SqliteStore
    from seedbed.workflows.channels import channel_view

    with networks.parse_network_choice(world.rpc):
        from ape import chain

        suite = Suite.from_record(project, chain, json.loads(world.record.read_text()))
        key = (channel.license_id, channel.payer, world.operator)
        state = channel_view(suite, chain, *key).state
    voucher = Voucher(*key, MILLION, int(time.time()) + 86400)
    signed = SignedVoucher(voucher, sign(voucher, world.chain_id, world.meter, channel.key))
    amount = MILLION * state.unit_price

    async def main() -> None:
        store = SqliteStore(str(path), world.chain_id, world.meter)
        await store.open()
        try:
            await store.sync_state(state)
            await store.commit(Charge(signed, state.signer, 0, MILLION, amount, None, None))
        finally:
            await store.aclose()

    asyncio.run(main())


# ------------------------------------------------------------------------------ the runs


def throughput_and_latency(gw: Gateways, world: Any, work: Path, load: list[Paid]) -> dict:
    """Unpaid and paid gateways on the same endpoint, same connections, one load generator."""
    from testkit.gateway_world import free_port

    paid = gw.start(world.config("paid"), free_port())
    unpaid = gw.start(world.config("unpaid"), free_port(), "--no-payments")
    t, lat = THROUGHPUT_SECONDS, LATENCY_SECONDS
    phases = [
        _phase("warm-paid", paid, "closed", True, seconds=2.0),  # first sight of each channel
        _phase("warm-unpaid", unpaid, "closed", False, seconds=1.0),
        _phase("unpaid", unpaid, "closed", False, seconds=t),
        _phase("paid", paid, "closed", True, seconds=t),
        _phase("paid-open", paid, "open", True, seconds=lat, rate=LATENCY_RATE),
        _phase("unpaid-open", unpaid, "open", False, seconds=lat, rate=LATENCY_RATE),
    ]
    calls = int(100 + (t + 2) * 5000 / len(load) + lat * LATENCY_RATE / len(load))
    spec = load_spec(world, load, [0] * len(load), calls, "load", phases)
    gen = LoadGenerator(spec, work, "load", CLIENT_CORE)
    gen.go()
    result = gen.wait()
    gw.stop(unpaid)
    if any(n >= calls for n in result["answered"]):
        raise RuntimeError("a channel ran out of pre-signed calls: raise the calls per channel")
    return {"service": paid, "result": result, "phases": {p["name"]: p for p in result["phases"]}}


def fault_run(gw: Gateways, world: Any, work: Path, load: list[Paid], paid: Any,
              bases: list[int], seed: int) -> dict:  # fmt: skip
    """SIGKILL the gateway FAULT_KILLS times at random moments under load, restarting it on
    the same port, while every client resends its unanswered call unchanged."""
    from urllib.parse import urlsplit

    rng = random.Random(seed)
    port = int(urlsplit(paid.url).port or 0)
    config = world.config("paid")
    phases = [{"name": "fault", "url": paid.url, "mode": "all", "paid": True}]
    spec = load_spec(world, load, bases, FAULT_CALLS, "fault", phases, verify=True)
    gen = LoadGenerator(spec, work, "fault", CLIENT_CORE)
    started = time.perf_counter()
    gen.go()
    kills, service = [], paid
    for _ in range(FAULT_KILLS):
        time.sleep(rng.uniform(0.2, 1.2))
        if not gen.running():
            break
        gw.kill(service)
        kills.append(round(time.perf_counter() - started, 2))
        service = gw.start(config, port)
    result = gen.wait()
    gw.stop(service)  # SIGTERM: the ledger is closed cleanly before it is read and settled
    return {"result": result, "kills": kills, "seconds": time.perf_counter() - started}


def verify(world: Any, load: list[Paid], ledger: Path, answered: list[int], before: list[int],
           fault: dict) -> dict:  # fmt: skip
    """Per channel, the calls answered in all (`answered`) against the ledger's served units
    and stored answers, and each answer of the fault run (which started from `before`)
    against the ledger: charged twice, or answered and lost."""
    view = ledger_view(ledger, world, load, "fault")
    res = fault["result"]
    double = lost = 0
    problems: list[str] = []
    for i in range(len(load)):
        v = view[i]
        if v["served"] > answered[i] or v["answers"] > answered[i]:
            double += max(v["served"], v["answers"]) - answered[i]
            problems.append(f"channel {i}: {answered[i]} answered, ledger {v}")
        if v["served"] < answered[i] or v["answers"] < answered[i]:
            lost += answered[i] - min(v["served"], v["answers"])
            problems.append(f"channel {i}: {answered[i]} answered, ledger {v}")
        base, n = before[i], res["answered"][i]
        seen, want = res["served_seen"][i], list(range(before[i] + 1, before[i] + n + 1))
        if seen != want:  # what each answer said the channel had served after it
            double += len(seen) - len(set(seen))
            problems.append(f"channel {i}: answers said served {seen[:4]}…, not {want[:4]}…")
        stored = v["run"]
        for k in range(n):
            if stored.get(k) != base + k + 1:
                lost += 1
                problems.append(f"channel {i}: answered call {k} is not in the ledger as served")
        if len(stored) > n:
            double += len(stored) - n
    return {"double": double, "lost": lost, "problems": problems[:5],
            "served": [v["served"] for v in view]}  # fmt: skip


def run(res: Results, project: Any) -> dict[str, Any]:
    """The gateway group of `ape run benchmark`; returns the raw figures."""
    from ape import networks
    from ape.logging import logger
    from testkit.gateway_world import anvil, build_world

    level = logger.level
    logger.set_level("WARNING")  # not one "Confirmed" line per setup transaction
    try:
        figures = _run(project, networks, build_world, anvil)
    finally:
        logger.set_level(level)
    _record(res, figures)
    FIGURES.parent.mkdir(parents=True, exist_ok=True)
    FIGURES.write_text(json.dumps(figures, indent=1, default=str) + "\n")
    return figures


def _run(project: Any, networks: Any, build_world: Any, anvil: Any) -> dict[str, Any]:
    seed = int(os.environ.get("SEEDBED_BENCH_GATEWAY_SEED", str(int(time.time()))))
    over_http = os.environ.get("SEEDBED_BENCH_GATEWAY_MILLION") == "1"
    figures: dict[str, Any] = {"seed": seed, "channels": CHANNELS, "million_over_http": over_http}
    with tempfile.TemporaryDirectory(prefix="seedbed-gateway-bench-") as tmp, anvil() as rpc:
        work = Path(tmp)
        t0 = time.perf_counter()
        world = build_world(project, networks, rpc, work / "world")
        channels = open_channels(project, networks, world, [DEPOSIT] * CHANNELS + ["2"])
        load, million = channels[:CHANNELS], channels[CHANNELS]
        figures["setup_s"] = time.perf_counter() - t0
        gw = Gateways(world)
        try:
            print(f"  {CHANNELS} channels, a paid and an unpaid gateway: throughput, latency")
            tl = throughput_and_latency(gw, world, work, load)
            figures["phases"] = tl["phases"]
            answered = list(tl["result"]["answered"])
            before = list(answered)
            print(f"  kill -9 under load, {FAULT_KILLS} times (seed {seed})")
            fault = fault_run(gw, world, work, load, tl["service"], before, seed)
            answered = [a + b for a, b in zip(answered, fault["result"]["answered"], strict=True)]
            figures["fault"] = {k: v for k, v in fault.items() if k != "result"}
            figures["fault"]["phase"] = fault["result"]["phases"][0]
            figures["fault"]["replays"] = sum(fault["result"]["replays"])
            if over_http:
                print(f"  {MILLION:,} more paid calls over HTTP (SEEDBED_BENCH_GATEWAY_MILLION=1)")
                big = million_over_http(gw, world, work, load, answered)
                answered = [a + b for a, b in zip(answered, big["answered"], strict=True)]
                figures["million_run"] = big["phases"][0]
        finally:
            gw.close()
        ledger = work / "world" / "paid-ledger.sqlite"
        check = verify(world, load, ledger, answered, before, fault)
        figures["check"] = {k: v for k, v in check.items() if k != "served"}
        print("  settling everything served in one transaction")
        settled = settle(project, networks, world, ledger)
        mismatch = sum(
            1
            for ch, served in zip(load, check["served"], strict=True)
            if settled["settled"].get((ch.license_id, ch.payer)) != served
            or settled["on_chain"].get((ch.license_id, ch.payer)) != served
        )
        figures["settle"] = {"gas": settled["gas"], "calls": sum(check["served"]),
                             "answered": sum(answered), "settled": sum(settled["settled"].values()),
                             "mismatch": mismatch, "vouchers": settled["vouchers"]}  # fmt: skip
        if not over_http:
            million_ledger = work / "million-ledger.sqlite"
            record_million(project, networks, world, million, million_ledger)
            one = settle(project, networks, world, million_ledger)
            figures["million"] = {"gas": one["gas"], "calls": sum(one["settled"].values())}
        print("  PostgreSQL ledger: one replica, then two")
        figures["pg"] = postgres_runs(world, work, load, check["served"])
    return figures


def million_over_http(gw: Gateways, world: Any, work: Path, load: list[Paid],
                      bases: list[int]) -> dict:  # fmt: skip
    """MILLION paid calls over HTTP on the load's channels (signed as they are sent: a
    million requests do not fit in memory built), answered in all before the settlement."""
    from testkit.gateway_world import free_port

    service = gw.start(world.config("paid"), free_port())
    per_channel = -(-MILLION // len(load))
    phases = [_phase("million", service, "all", True)]
    spec = load_spec(world, load, bases, per_channel, "million", phases, presign=False)
    gen = LoadGenerator(spec, work, "million", CLIENT_CORE)
    gen.go()
    result = gen.wait(timeout=3600)
    gw.stop(service)
    return result


def postgres_runs(world: Any, work: Path, load: list[Paid], bases: list[int]) -> dict:
    """The paid load on the PostgreSQL ledger: one replica, then two replicas sharing the
    database with the channels split between them (two addresses). Never pinned: the
    replicas, the PostgreSQL server and the load generator share both cores."""
    from testkit.gateway_world import free_port

    try:
        from testkit.postgres import Unavailable, postgres_server

        import seedbed.gateway.store_pg  # noqa: F401 - the backend must be there
    except ImportError as err:
        return {"skipped": f"the PostgreSQL backend or its test server is not there ({err})"}
    t = THROUGHPUT_SECONDS
    try:
        with postgres_server() as dsn:
            gw = Gateways(world)
            try:
                config = world.config("pg", ledger=f'postgres = "{dsn}"')
                a = gw.start(config, free_port(), core=None)
                b = gw.start(config, free_port(), core=None)
                port = int(dsn.rsplit(":", 1)[1].split("/")[0])
                both = {"urls": [a.url, b.url], "pids": [a.process.pid, b.process.pid],
                        "db_port": port}  # fmt: skip
                phases = [
                    _phase("warm-pg", a, "closed", True, seconds=2.0, db_port=port),
                    _phase("pg", a, "closed", True, seconds=t, db_port=port),
                    {**_phase("warm-pg2", a, "closed", True, seconds=1.0), **both},
                    {**_phase("pg2", a, "closed", True, seconds=t), **both},
                ]
                calls = int(100 + (2 * t + 3) * 4000 / len(load))
                spec = load_spec(world, load, bases, calls, "pg", phases)
                gen = LoadGenerator(spec, work, "pg", None)
                gen.go()
                result = gen.wait()
            finally:
                gw.close()
    except Unavailable as err:
        return {"skipped": str(err)}
    return {p["name"]: p for p in result["phases"]}


def _cpu_per_call(phase: dict[str, Any]) -> float:
    """Microseconds of gateway CPU (all its threads) per answered call in a phase."""
    return phase["server_cores"] * phase["seconds"] / max(phase["count"], 1) * 1e6


def _cores(phase: dict[str, Any], gateway: str = "gateway") -> str:
    """Who used the 2 cores during a phase."""
    db = phase.get("db_cores")
    ours = phase["server_cores"] + phase["client_cores"] + (db or 0.0)
    other = max(phase["machine_cores"] - ours, 0.0)
    pinned = " (pinned)" if PIN and db is None else ""
    return (
        f"cores: {gateway} {phase['server_cores']:.2f}{pinned}"
        + (f", PostgreSQL {db:.2f}" if db is not None else "")
        + f", load generator {phase['client_cores']:.2f}, other processes {other:.2f}"
    )


def _record(res: Results, f: dict[str, Any]) -> None:
    """Short notes for the README table; every figure is in FIGURES."""
    ph = f["phases"]
    paid, unpaid = ph["paid"], ph["unpaid"]
    po, uo = ph["paid-open"], ph["unpaid-open"]
    n = f["channels"]
    res.record(
        "gateway_paid_rps", paid["rps"], "req/s", 1000.0, "higher",
        note=f"{n} channels, closed loop, SQLite FULL; {_cores(paid)}; "
        f"{_cpu_per_call(paid):.0f} µs gateway CPU/call (= {1e6 / _cpu_per_call(paid):,.0f}/s "
        f"per core; unpaid {_cpu_per_call(unpaid):.0f} µs)",
    )  # fmt: skip
    res.record("gateway_unpaid_rps", unpaid["rps"], "req/s", None, "higher",
               note="the same endpoint and load, --no-payments")  # fmt: skip
    for q, target in (("p50", 3.0), ("p99", 10.0)):
        closed = f" (closed loop: {paid[f'{q}_ms']:.0f} vs {unpaid[f'{q}_ms']:.0f})"
        res.record(
            f"gateway_added_{q}_ms", po[f"{q}_ms"] - uo[f"{q}_ms"], "ms", target,
            note=f"open loop {LATENCY_RATE:.0f} req/s: paid {po[f'{q}_ms']:.2f} ms, unpaid "
            f"{uo[f'{q}_ms']:.2f}{closed if q == 'p99' else ''}",
        )  # fmt: skip
    fault, check, st = f["fault"], f["check"], f["settle"]
    what = (
        f"{fault['phase']['count']:,} calls, {len(fault['kills'])} kill -9 under load, "
        f"{fault['phase']['retries']} resends, {fault['replays']} replays; answered = ledger "
        f"= settled on chain ({st['mismatch']} channels off)"
    )
    res.record("gateway_double_charges", check["double"], "calls", 0.0, note=what)
    res.record("gateway_lost_vouchers", check["lost"], "calls", 0.0, note=what)
    if f["million_over_http"]:
        res.record(
            "gateway_calls_per_settle", st["settled"], "calls", float(MILLION), "higher",
            note=f"all served over HTTP ({f['million_run']['count']:,} in a "
            f"{f['million_run']['seconds']:.0f} s run), one settleBatch",
        )  # fmt: skip
    else:
        m = f["million"]
        res.record(
            "gateway_calls_per_settle", m["calls"], "calls", float(MILLION), "higher",
            note=f"one voucher; the calls written to the ledger as one charge, not served "
            f"(SEEDBED_BENCH_GATEWAY_MILLION=1 serves them); {m['gas']:,} gas. Served over "
            f"HTTP here: {st['settled']:,}, one settleBatch",
        )  # fmt: skip
    res.record(
        "gateway_settle_gas", st["gas"], "gas", None,
        note=f"{st['vouchers']} channels, {st['settled']:,} HTTP calls: "
        f"{st['gas'] / max(st['settled'], 1):.0f} gas per call",
    )  # fmt: skip
    pg = f["pg"]
    if "skipped" in pg:
        print(f"  PostgreSQL runs skipped: {pg['skipped']}")
        return
    one, two = pg["pg"], pg["pg2"]
    res.record(
        "gateway_pg_paid_rps", one["rps"], "req/s", 800, "higher",
        note=f"one replica, {n} channels, closed loop, fsync on; {_cores(one, 'replica')}",
    )  # fmt: skip
    res.record(
        "gateway_pg2_paid_rps", two["rps"], "req/s", None, "higher",
        note=f"two replicas, two addresses, the channels split; {_cores(two, 'replicas')}",
    )  # fmt: skip
