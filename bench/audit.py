"""The audit's speed and memory: 100,000 events cold and warm, against ape's generic query
path, and the peak memory of auditing 1,000,000 events."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

from bench.audit_load import generate, start_anvil
from bench.harness import Results

ROOT = Path(__file__).resolve().parents[1]


def _measure(url: str, record: Path, naive: bool) -> dict[str, float]:
    out = subprocess.run(
        [sys.executable, "-m", "bench.audit_load", url, str(record), "naive" if naive else "-"],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        check=False,
    )
    if out.returncode != 0:
        raise RuntimeError(f"audit measurement failed: {out.stderr.strip().splitlines()[-3:]}")
    return dict(json.loads(out.stdout.strip().splitlines()[-1]))


def run(res: Results, project: Any, chain: Any, accounts: list[Any]) -> None:
    for events, naive in ((100_000, True), (1_000_000, False)):
        proc, url = start_anvil()
        try:
            with tempfile.TemporaryDirectory() as tmp:
                record = Path(tmp) / "record.json"
                print(f"  generating {events:,} events on a dedicated anvil ...")
                generate(url, events, record)
                m = _measure(url, record, naive)
        finally:
            proc.terminate()
            proc.wait(timeout=30)
        if not m["ok"]:
            raise RuntimeError("the audit of the generated load did not pass")
        if naive:
            res.record(
                "audit_100k_cold_s",
                m["cold_s"],
                "s",
                30.0,
                note=f"{int(m['events']):,} events: ingest, rebuild and every check",
            )
            res.record("audit_100k_warm_s", m["warm_s"], "s", 2.0, note="nothing new arrived")
            res.record(
                "audit_speedup_vs_ape_query",
                m["naive_s"] / m["ingest_s"],
                "x",
                5.0,
                "higher",
                note=f"fetch+decode: ours {m['ingest_s']:.1f} s, "
                f"ape Event.query {m['naive_s']:.1f} s",
            )
        else:
            res.record(
                "audit_1m_peak_mb",
                m["peak_mb"],
                "MB",
                1000.0,
                note=f"peak RSS of the auditing process, {int(m['events']):,} events",
            )
