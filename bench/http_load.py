"""A small, fast HTTP/1.1 load generator for the gateway benchmark (its own process).

Python clients such as httpx spend more CPU per request than the gateway does; this one
keeps one keep-alive connection per channel (asyncio protocols on uvloop, no HTTP library)
and sends requests that were built before the clock starts: the vouchers are signed, the
PAYMENT-SIGNATURE headers encoded and the request bytes laid out while nothing is timed.

Run: python -m bench.http_load SPEC.json OUT.json. It prints `signed` once the requests are
built, waits for a line on standard input, runs the phases of the spec and writes OUT.json.

A connection sends its channel's calls one after the other (the gateway serves a channel's
calls one at a time anyway). A call that gets no answer (the connection broke, was refused
or timed out) is sent again, byte for byte: the same voucher and the same payment
identifier, as a client that does not know whether it was charged must do.

Phases (spec["phases"], run in order):
    {"name", "url", "mode": "closed", "seconds"}          every connection back to back
    {"name", "url", "mode": "open", "seconds", "rate"}    `rate` requests/s in all, on a
        fixed schedule per connection; a latency is counted from the scheduled moment
    {"name", "url", "mode": "all"}                        every call left, retried until
        answered (the fault-injection run)
A paid phase (`"paid": true`) uses the next calls of each channel's sequence; an unpaid one
replays the first calls (the unpaid gateway ignores the payment header).
"""

from __future__ import annotations

import asyncio
import base64
import json
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from coincurve import PrivateKey

from seedbed.core import x402
from seedbed.core.vouchers import SignedVoucher, Voucher, VoucherDomain

RESPONSE_TIMEOUT = 10.0
RECONNECT_PAUSE = 0.02


class Calls:
    """One channel's paid calls in order: call k carries a voucher for base + k + 1 units and
    the payment identifier `<run>-c<channel>-k<k>`. Built up front (`presign`) or, for a run
    too long to hold in memory, when sent: ECDSA here is deterministic (RFC 6979), so a
    resent call is the same bytes either way."""

    def __init__(self, spec: dict[str, Any], index: int) -> None:
        ch = spec["channels"][index]
        self.domain = VoucherDomain(int(spec["chain_id"]), spec["meter"])
        self.accepted = {"scheme": x402.SCHEME, "network": x402.network(int(spec["chain_id"]))}
        host = urlsplit(spec["phases"][0]["url"]).netloc
        self.head = (
            f"GET {spec['path']} HTTP/1.1\r\nHost: {host}\r\nUser-Agent: seedbed-bench\r\n"
        ).encode()
        self.key = PrivateKey(bytes.fromhex(ch["key"].removeprefix("0x")))
        self.license, self.payer, self.base = int(ch["license"]), ch["payer"], int(ch["base"])
        self.operator, self.deadline = spec["operator"], int(spec["deadline"])
        self.prefix = f"{spec.get('run', 'run')}-c{index:03d}-k"
        self.count = int(spec["calls_per_channel"])
        self.built: list[bytes] | None = None
        if spec.get("presign", True):
            self.built = [self.build(k) for k in range(self.count)]

    def build(self, k: int) -> bytes:
        voucher = Voucher(self.license, self.payer, self.operator, self.base + k + 1, self.deadline)
        raw = self.key.sign_recoverable(self.domain.digest(voucher), hasher=None)
        signature = raw[:64] + bytes([raw[64] + 27])
        document = x402.payment_payload(
            SignedVoucher(voucher, signature), self.accepted, payment_id=f"{self.prefix}{k:07d}"
        )
        header = base64.b64encode(json.dumps(document, separators=(",", ":")).encode())
        return self.head + b"PAYMENT-SIGNATURE: " + header + b"\r\n\r\n"

    def __len__(self) -> int:
        return self.count

    def __getitem__(self, k: int) -> bytes:
        return self.built[k] if self.built is not None else self.build(k)


class Broken(Exception):
    """The connection ended before a whole answer came."""


class Connection(asyncio.Protocol):
    """One keep-alive connection; `request` sends bytes and waits for one whole answer."""

    def __init__(self) -> None:
        self.transport: asyncio.Transport | None = None
        self.buffer = bytearray()
        self.waiter: asyncio.Future[tuple[int, bytes]] | None = None
        self.closed = False

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]  # uvloop's is no subclass

    def connection_lost(self, exc: Exception | None) -> None:
        self.closed = True
        if self.waiter is not None and not self.waiter.done():
            self.waiter.set_exception(Broken(str(exc)))

    def data_received(self, data: bytes) -> None:
        self.buffer += data
        buf = self.buffer
        end = buf.find(b"\r\n\r\n")
        if end < 0:
            return
        at = buf.find(b"\r\ncontent-length: ", 0, end)
        if at < 0:
            at = buf.find(b"\r\nContent-Length: ", 0, end)
        length = 0
        if at >= 0:
            stop = buf.find(b"\r\n", at + 18)
            length = int(buf[at + 18 : stop])
        total = end + 4 + length
        if len(buf) < total:
            return
        status = int(buf[9:12])
        head = bytes(buf[:end])
        del buf[:total]
        if self.waiter is not None and not self.waiter.done():
            self.waiter.set_result((status, head))

    async def request(self, data: bytes) -> tuple[int, bytes]:
        assert self.transport is not None
        self.waiter = asyncio.get_running_loop().create_future()
        self.transport.write(data)
        return await self.waiter

    def close(self) -> None:
        if self.transport is not None:
            self.transport.close()


@dataclass
class Channel:
    """One client: its connection, its calls, and what came back."""

    index: int
    calls: Calls
    host: str = ""
    port: int = 0
    next_paid: int = 0  # the first call not yet answered by a paid phase
    conn: Connection | None = None
    retries: int = 0
    served_seen: list[int] = field(default_factory=list)  # PAYMENT-RESPONSE served, in order
    replays: int = 0

    async def connect(self, loop: asyncio.AbstractEventLoop) -> Connection:
        while True:
            if self.conn is not None and not self.conn.closed:
                return self.conn
            try:
                _, proto = await loop.create_connection(Connection, self.host, self.port)
                self.conn = proto
            except OSError:
                await asyncio.sleep(RECONNECT_PAUSE)

    async def send(
        self, loop: asyncio.AbstractEventLoop, data: bytes, retry: bool
    ) -> tuple[int, bytes]:
        """One answer to `data`; with `retry`, resend the same bytes until one comes."""
        while True:
            conn = await self.connect(loop)
            try:
                return await asyncio.wait_for(conn.request(data), RESPONSE_TIMEOUT)
            except (Broken, TimeoutError, OSError, RuntimeError) as err:
                # RuntimeError: uvloop refuses a write on a transport that just closed.
                conn.close()
                self.conn = None
                if not retry:
                    raise Broken(str(err)) from None
                self.retries += 1
                await asyncio.sleep(RECONNECT_PAUSE)


def _served(head: bytes) -> int | None:
    at = head.find(b"\r\npayment-response: ")
    if at < 0:
        return None
    stop = head.find(b"\r\n", at + 20)
    value = head[at + 20 : stop if stop > 0 else len(head)]
    doc = json.loads(base64.b64decode(value))
    return int(doc["extensions"]["seedbed"]["served"])


async def run_phase(phase: dict[str, Any], channels: list[Channel], verify: bool) -> dict[str, Any]:
    loop = asyncio.get_running_loop()
    urls = [urlsplit(u) for u in phase.get("urls") or [phase["url"]]]
    for ch in channels:
        url = urls[ch.index % len(urls)]  # several gateways: the channels split between them
        if (ch.host, ch.port) != (url.hostname, url.port):
            if ch.conn is not None:
                ch.conn.close()
            ch.conn = None
            ch.host, ch.port = str(url.hostname), int(url.port or 80)
    await asyncio.gather(*(ch.connect(loop) for ch in channels))
    paid, mode = bool(phase.get("paid", True)), phase["mode"]
    seconds = float(phase.get("seconds", 0))
    rate = float(phase.get("rate", 0))
    pids = [int(p) for p in phase.get("pids", [])]
    cpu_before = [_cpu_seconds(p) for p in pids]
    db_port = phase.get("db_port")
    db_before = _db_cpu(int(db_port)) if db_port else {}
    machine_before = _machine_busy()
    latencies: list[list[float]] = [[] for _ in channels]
    statuses: dict[int, int] = {}
    in_window = [0]  # answers that came before the deadline (closed loop: the rate's count)
    ends: list[float] = [0.0] * len(channels)
    start = time.perf_counter()
    deadline = start + seconds

    async def client(i: int, ch: Channel) -> None:
        lat = latencies[i]
        k = ch.next_paid if paid else 0
        interval = len(channels) / rate if mode == "open" else 0.0
        scheduled = start + interval * i / len(channels)
        retry = mode == "all"
        while k < len(ch.calls):
            if mode == "open":
                if scheduled >= deadline:
                    break
                pause = scheduled - time.perf_counter()
                if pause > 0:
                    await asyncio.sleep(pause)
                t0 = scheduled
                scheduled += interval
            else:
                t0 = time.perf_counter()
                if mode == "closed" and t0 >= deadline:
                    break
            try:
                status, head = await ch.send(loop, ch.calls[k], retry)
            except Broken:
                statuses[-1] = statuses.get(-1, 0) + 1
                ch.retries += 1
                continue  # the same call again, on a new connection
            if retry and status != 200:
                statuses[status] = statuses.get(status, 0) + 1
                ch.retries += 1
                if ch.retries > 10_000:
                    raise RuntimeError(f"channel {i}: status {status} for call {k}: {head[:300]!r}")
                await asyncio.sleep(RECONNECT_PAUSE)
                continue
            now = time.perf_counter()
            lat.append(now - t0)
            if now <= deadline:
                in_window[0] += 1
            statuses[status] = statuses.get(status, 0) + 1
            if paid and status == 200:
                if verify:
                    ch.served_seen.append(_served(head) or -1)
                    if b"\r\nseedbed-replayed: true" in head:
                        ch.replays += 1
                k += 1
                ch.next_paid = k
            elif not paid:
                k = (k + 1) % len(ch.calls)
        ends[i] = time.perf_counter()

    await asyncio.gather(*(client(i, ch) for i, ch in enumerate(channels)))
    elapsed = (max(ends) if mode == "all" else min(max(ends), deadline)) - start
    server_cpu = sum(_cpu_seconds(p) - c for p, c in zip(pids, cpu_before, strict=True))
    machine = _machine_busy() - machine_before
    db_cpu = None
    if db_port:
        db_after = _db_cpu(int(db_port))
        db_cpu = sum(cpu - db_before.get(pid, 0.0) for pid, cpu in db_after.items())
    flat = sorted(x for lat in latencies for x in lat)
    count = len(flat)
    return {
        "name": phase["name"],
        "mode": mode,
        "paid": paid,
        "count": count,
        "seconds": elapsed,
        "rps": (in_window[0] if mode == "closed" else count) / elapsed if elapsed > 0 else 0.0,
        "p50_ms": _pct(flat, 0.50),
        "p90_ms": _pct(flat, 0.90),
        "p99_ms": _pct(flat, 0.99),
        "max_ms": flat[-1] * 1000 if flat else 0.0,
        "statuses": {str(k): v for k, v in sorted(statuses.items())},
        "retries": sum(ch.retries for ch in channels),
        "server_cores": server_cpu / elapsed if pids and elapsed > 0 else None,
        "db_cores": db_cpu / elapsed if db_cpu is not None and elapsed > 0 else None,
        "machine_cores": machine / elapsed if elapsed > 0 else 0.0,  # every process's
    }


def _machine_busy() -> float:
    """CPU seconds the whole machine spent busy so far (all cores, every process)."""
    import os

    fields = Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]
    user, nice, system, _idle, _iowait, irq, softirq, steal = (int(x) for x in fields[:8])
    return (user + nice + system + irq + softirq + steal) / os.sysconf("SC_CLK_TCK")


def _db_cpu(port: int) -> dict[int, float]:
    """CPU seconds so far of the PostgreSQL server listening on `port` and its backends."""
    import os

    main = None
    children: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            cmd = Path(f"/proc/{entry}/cmdline").read_bytes().split(b"\0")
            ppid = int(Path(f"/proc/{entry}/stat").read_text().rsplit(")", 1)[1].split()[1])
        except (OSError, IndexError, ValueError):
            continue
        children.setdefault(ppid, []).append(int(entry))
        if cmd and cmd[0].endswith(b"postgres") and f"{port}".encode() in cmd:
            main = int(entry)
    if main is None:
        return {}
    return {pid: _cpu_seconds(pid) for pid in [main, *children.get(main, [])]}


def _cpu_seconds(pid: int) -> float:
    """User + system CPU of a process (all its threads) so far; 0 if it is gone."""
    import os

    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _pct(sorted_values: list[float], q: float) -> float:
    if not sorted_values:
        return 0.0
    return sorted_values[min(int(q * len(sorted_values)), len(sorted_values) - 1)] * 1000


async def main(spec: dict[str, Any], out: Path) -> None:
    t0 = time.perf_counter()
    channels = [Channel(i, Calls(spec, i)) for i in range(len(spec["channels"]))]
    signing = time.perf_counter() - t0
    print("signed", flush=True)
    await asyncio.get_running_loop().run_in_executor(None, sys.stdin.readline)
    verify = bool(spec.get("verify", False))
    phases = []
    for phase in spec["phases"]:
        cpu0 = time.process_time()
        phases.append(await run_phase(phase, channels, verify))
        phases[-1]["client_cores"] = (time.process_time() - cpu0) / max(phases[-1]["seconds"], 1e-9)
        print("done", phase["name"], flush=True)
    for ch in channels:
        if ch.conn is not None:
            ch.conn.close()
    result = {
        "signing_s": signing,
        "requests_built": sum(len(ch.calls) for ch in channels) if spec.get("presign", True) else 0,
        "phases": phases,
        "answered": [ch.next_paid for ch in channels],
        "served_seen": [ch.served_seen for ch in channels] if verify else [],
        "replays": [ch.replays for ch in channels],
    }
    out.write_text(json.dumps(result))


if __name__ == "__main__":
    import uvloop

    spec_doc = json.loads(Path(sys.argv[1]).read_text())
    uvloop.run(main(spec_doc, Path(sys.argv[2])))
