"""Failpoints for fault-injection tests: `SEEDBED_GATEWAY_FAULTS="point=n,..."` makes the
gateway process SIGKILL itself the n-th time it reaches `point` (a crash with no cleanup,
as `kill -9` at that instant). Unset, `hit` is one dictionary lookup.

Points: `before_commit` (the handler succeeded, nothing recorded), `after_commit` (charged
and durable, the answer not yet sent), `settle_sent` (a settlement transaction sent, its
outcome not yet recorded in the ledger).
"""

from __future__ import annotations

import os
import signal

ENV = "SEEDBED_GATEWAY_FAULTS"


def _parse(text: str) -> dict[str, int]:
    points: dict[str, int] = {}
    for part in filter(None, (p.strip() for p in text.split(","))):
        name, _, count = part.partition("=")
        points[name] = int(count or 1)
    return points


_armed = _parse(os.environ.get(ENV, ""))


def hit(point: str) -> None:
    if not _armed or point not in _armed:
        return
    _armed[point] -= 1
    if _armed[point] <= 0:
        os.kill(os.getpid(), signal.SIGKILL)
