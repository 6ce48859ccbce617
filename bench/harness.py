"""Named scenarios, their targets, and bench/results.json.

results.json: {"scenarios": {"<name>": {"value": v, "unit": u, "target": t,
                              "better": "lower"|"higher"}}}
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

RESULTS = Path(__file__).resolve().parent / "results.json"


@dataclass
class Results:
    scenarios: dict[str, dict[str, Any]] = field(default_factory=dict)
    notes: dict[str, str] = field(default_factory=dict)

    def record(
        self,
        name: str,
        value: float,
        unit: str,
        target: float | None,
        better: str = "lower",
        note: str = "",
    ) -> None:
        self.scenarios[name] = {
            "value": round(value, 4) if isinstance(value, float) else value,
            "unit": unit,
            "target": target,
            "better": better,
        }
        if note:
            self.notes[name] = note
        print(
            f"  {name:36} {_fmt(value)} {unit}  (target {_fmt(target)}) "
            f"{_verdict(self.scenarios[name])}"
        )

    def gas(self, name: str, receipt: Any, target: int | None, note: str = "") -> int:
        used = int(receipt.gas_used)
        self.record(name, used, "gas", target, "lower", note)
        return used

    def merge_into(self, path: Path = RESULTS) -> None:
        """Keep scenarios of earlier runs that this run did not measure (e.g. --only)."""
        old: dict[str, Any] = {}
        if path.exists():
            try:
                old = json.loads(path.read_text())
            except json.JSONDecodeError:
                old = {}
        scenarios = {**old.get("scenarios", {}), **self.scenarios}
        notes = {**old.get("notes", {}), **self.notes}
        doc = {"scenarios": dict(sorted(scenarios.items())), "notes": dict(sorted(notes.items()))}
        tmp = path.with_suffix(".tmp")
        tmp.write_text(json.dumps(doc, indent=2) + "\n")
        tmp.replace(path)


def _fmt(v: float | None) -> str:
    if v is None:
        return "-"
    if isinstance(v, int) or float(v).is_integer():
        return f"{int(v):,}"
    return f"{v:,.3f}"


def _verdict(s: dict[str, Any]) -> str:
    if s["target"] is None:
        return ""
    ok = s["value"] <= s["target"] if s["better"] == "lower" else s["value"] >= s["target"]
    return "ok" if ok else "MISSED"


@contextmanager
def stopwatch() -> Iterator[Callable[[], float]]:
    start = time.perf_counter()
    elapsed: list[float] = []
    yield lambda: elapsed[0] if elapsed else time.perf_counter() - start
    elapsed.append(time.perf_counter() - start)


def table(results: Results) -> str:
    lines = [f"{'scenario':36} {'value':>14} {'unit':6} {'target':>12}  verdict"]
    for name, s in sorted(results.scenarios.items()):
        lines.append(
            f"{name:36} {_fmt(s['value']):>14} {s['unit']:6} {_fmt(s['target']):>12}  {_verdict(s)}"
        )
    return "\n".join(lines)
