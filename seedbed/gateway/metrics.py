"""Prometheus metrics of one gateway process (`GET /metrics`), in a registry of its own."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest


class Metrics:
    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        r = self.registry
        self.calls = Counter(
            "seedbed_gateway_charged_calls", "Paid calls served and charged", registry=r
        )
        self.units = Counter("seedbed_gateway_charged_units", "Units charged", registry=r)
        self.amount = Counter(
            "seedbed_gateway_charged_base_units", "Base units charged", registry=r
        )
        self.challenges = Counter("seedbed_gateway_challenges", "402 answers", registry=r)
        self.replays = Counter(
            "seedbed_gateway_replays", "Answers replayed for a repeated key", registry=r
        )
        self.failed = Counter(
            "seedbed_gateway_handler_failures",
            "Calls whose upstream failed (not charged)",
            registry=r,
        )
        self.refused = Counter(
            "seedbed_gateway_refused", "Payments refused, by error code", ["code"], registry=r
        )
        self.latency = Histogram(
            "seedbed_gateway_paid_seconds",
            "Time to admit, serve and commit a paid call",
            buckets=(0.0005, 0.001, 0.002, 0.003, 0.005, 0.01, 0.025, 0.05, 0.1, 0.5, 1.0),
            registry=r,
        )
        self.settlements = Counter("seedbed_gateway_settlements", "Settlement runs", registry=r)
        self.settled_units = Counter(
            "seedbed_gateway_settled_units", "Units settled on chain", registry=r
        )
        self.unsettled_units = Gauge(
            "seedbed_gateway_unsettled_units", "Units served, not yet settled", registry=r
        )
        self.settle_errors = Counter(
            "seedbed_gateway_settlement_errors", "Failed settlement runs", registry=r
        )

    def charged(self, units: int, amount: int, seconds: float) -> None:
        self.calls.inc()
        self.units.inc(units)
        self.amount.inc(amount)
        self.latency.observe(seconds)

    def render(self) -> bytes:
        return generate_latest(self.registry)
