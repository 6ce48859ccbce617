"""The settlement policy: when the gateway turns what it served into an on-chain settlement.

A run is due when any of these holds (checked every `tick` seconds):

- something is unsettled and `interval_seconds` passed since the last run;
- `threshold_units` or more are unsettled in all;
- a channel with unsettled units is within `margin_seconds` of a moment after which its
  vouchers may no longer pay: its pending withdrawal becoming ready (the reserve may then
  leave), its voucher's deadline, or its close (a license's grace after expiry or transfer);
- a payer hit the exposure cap (the metering wakes the settler).

A run is the settle workflow (`seedbed.workflows.meter.settle_ledger`): it first reconciles
the ledger with the chain, so a run killed between sending and recording resumes without
losing or repeating a charge, then settles in batches and pays the assets. The thread has
its own ledger connection; the chain is the judge of what was settled.
"""

from __future__ import annotations

import logging
import threading
import time
from typing import Any

from seedbed.core.constants import WITHDRAWAL_WINDOW
from seedbed.gateway import faults
from seedbed.gateway.config import SettlementPolicy
from seedbed.gateway.metrics import Metrics
from seedbed.workflows.meter import settle_ledger

log = logging.getLogger("seedbed.gateway")


def due(
    unsettled: list[tuple[Any, int]], policy: SettlementPolicy, now: int, idle: float
) -> str | None:
    """Why a run is due now (None: not yet). `unsettled` is GatewayLedger.unsettled()."""
    if not unsettled:
        return None
    total = sum(units for _, units in unsettled)
    if total >= policy.threshold_units:
        return f"{total} units unsettled (threshold {policy.threshold_units})"
    if idle >= policy.interval_seconds:
        return f"{total} units unsettled for {idle:.0f} s"
    horizon = now + policy.margin_seconds
    for record, _ in unsettled:
        state = record.state
        if (
            state.withdrawal
            and state.window_end
            and state.window_end - WITHDRAWAL_WINDOW <= horizon
        ):
            ready = state.window_end - WITHDRAWAL_WINDOW
            return f"license {state.license_id}'s withdrawal becomes ready at {ready}"
        if record.voucher is not None and record.voucher.voucher.deadline <= horizon:
            return (
                f"license {state.license_id}'s voucher expires at {record.voucher.voucher.deadline}"
            )
        if state.closes_at <= horizon:
            return f"license {state.license_id}'s channel closes at {state.closes_at}"
    return None


class Settler:
    """The policy's thread. `wake()` asks for a run now (the exposure cap was hit)."""

    def __init__(
        self,
        store: Any,
        suite: Any,
        chain: Any,
        sender: Any,
        policy: SettlementPolicy,
        metrics: Metrics,
        clock: Any,
        tick: float = 0.5,
    ) -> None:
        self.store, self.suite, self.chain, self.sender = store, suite, chain, sender
        self.policy, self.metrics, self.clock, self.tick = policy, metrics, clock, tick
        self._stop = threading.Event()
        self._wake = threading.Event()
        self._thread = threading.Thread(target=self._run, name="settler", daemon=True)
        self.runs = 0
        self.last_error: str | None = None

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._wake.set()
        self._thread.join(timeout=30)

    def wake(self) -> None:
        self._wake.set()

    def _run(self) -> None:
        ledger = self.store.settlement_ledger()
        last = time.monotonic()
        try:
            while not self._stop.is_set():
                self._wake.wait(self.tick)
                woken = self._wake.is_set()
                self._wake.clear()
                if self._stop.is_set():
                    return
                try:
                    unsettled = ledger.unsettled()
                    self.metrics.unsettled_units.set(sum(u for _, u in unsettled))
                    reason = due(unsettled, self.policy, self.clock(), time.monotonic() - last)
                    if reason is None and woken and unsettled:
                        reason = "a payer reached the exposure cap"
                    if reason is None:
                        continue
                    log.info("settling: %s", reason)
                    self.settle_now(ledger)
                    last = time.monotonic()
                except Exception as err:  # noqa: BLE001 - a failed run is retried next tick
                    self.metrics.settle_errors.inc()
                    self.last_error = str(err)
                    log.warning("settlement failed (will retry): %s", err)
        finally:
            ledger.close()

    def settle_now(self, ledger: Any) -> Any:
        _work, report = settle_ledger(
            ledger,
            self.suite,
            self.chain,
            self.sender,
            self.policy.batch_size,
            pay=self.policy.pay_assets,
            on_mined=lambda _receipt: faults.hit("settle_sent"),
        )
        self.runs += 1
        self.metrics.settlements.inc()
        for s in report.settled:
            self.metrics.settled_units.inc(s.units)
            channel = (s.license_id, s.payer, s.operator)
            state = ledger.channel(channel)
            if state is not None and hasattr(self.store, "settled"):
                self.store.settled(channel, state.units, state.reserve)
        return report
