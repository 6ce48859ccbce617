"""Start and stop the off-chain services (the gateway, the example model) as real processes:
what the demo, the tests and the benchmark run, exactly as a reader would from a shell."""

from __future__ import annotations

import os
import queue
import signal
import subprocess
import sys
import threading
from dataclasses import dataclass, field
from pathlib import Path

from seedbed.core.errors import InputError

ROOT = Path(__file__).resolve().parents[2]


@dataclass
class Service:
    """A process that printed `<marker> <url>` once it accepts calls; its output is kept."""

    name: str
    process: subprocess.Popen[str]
    url: str
    lines: list[str] = field(default_factory=list)

    def stop(self, sig: int = signal.SIGTERM, timeout: float = 20.0) -> int:
        if self.process.poll() is None:
            self.process.send_signal(sig)
            try:
                self.process.wait(timeout)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(10)
        return int(self.process.returncode)

    def kill(self) -> None:
        """SIGKILL: no cleanup at all, as a crash."""
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait(10)


def start(
    name: str,
    cmd: list[str],
    marker: str,
    *,
    env: dict[str, str] | None = None,
    cwd: Path = ROOT,
    timeout: float = 60.0,
) -> Service:
    """Run `cmd` and wait until a line of its output contains `marker` followed by a URL."""
    proc = subprocess.Popen(
        cmd,
        cwd=cwd,
        env={**os.environ, **(env or {})},
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        stdin=subprocess.DEVNULL,
        text=True,
        bufsize=1,
    )
    lines: list[str] = []
    found: queue.Queue[str] = queue.Queue()

    def pump() -> None:
        assert proc.stdout is not None
        for line in proc.stdout:
            lines.append(line.rstrip("\n"))
            if marker in line:
                rest = line.split(marker, 1)[1].split()
                found.put(rest[0] if rest else "")
        found.put("")

    threading.Thread(target=pump, name=f"{name}-output", daemon=True).start()
    try:
        url = found.get(timeout=timeout)  # the URL, or "" once the output ended
    except queue.Empty:
        url = ""
    if url.startswith("http"):
        return Service(name, proc, url, lines)
    if proc.poll() is None:
        proc.kill()
    proc.wait(10)
    tail = " | ".join(lines[-5:])
    raise InputError(f"the {name} did not start: {tail or 'no output'}")


def model_server(port: int = 0, host: str = "127.0.0.1") -> Service:
    """The example model's OpenAI-compatible server (examples/model/serve.py)."""
    script = ROOT / "examples" / "model" / "serve.py"
    return start(
        "model server",
        [sys.executable, str(script), "--port", str(port), "--host", host],
        "serving",
    )


def gateway(
    config: Path, network: str, account: str | None, *extra: str, env: dict[str, str] | None = None
) -> Service:
    """`ape run gateway --config FILE --network URL [--account A]` as its own process."""
    cmd = ["ape", "run", "gateway", "--config", str(config), "--network", network, *extra]
    if account is not None:
        cmd += ["--account", account]
    return start("gateway", cmd, "gateway listening on", env=env, timeout=120)
