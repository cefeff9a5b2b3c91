"""Prometheus metrics of one app: calls per method and outcome, request durations.

Each app has its own registry (no process-wide state); `views.metrics` serves it."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest


class Metrics:
    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.calls = Counter("gateway_rpc_calls", "JSON-RPC calls answered, by method and "
                             "outcome (ok, or the error code)", ["method", "outcome"],
                             registry=self.registry)
        self.duration = Histogram("gateway_http_request_duration_seconds",
                                  "Time to answer an HTTP request, by route",
                                  ["route"], registry=self.registry)

    def call(self, method: str, outcome: str) -> None:
        self.calls.labels(method, outcome).inc()

    def text(self) -> bytes:
        return generate_latest(self.registry)
