"""Prometheus metrics of one app: calls per method and outcome, request durations.

Each app has its own registry (no process-wide state); `views.metrics` serves it."""

from __future__ import annotations

from typing import Any

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

        # each label set's child, looked up once (a lookup takes a lock and hashes)
        self._calls: dict[tuple[str, str], Any] = {}
        self._durations: dict[str, Any] = {}

    def call(self, method: str, outcome: str) -> None:
        child = self._calls.get((method, outcome))
        if child is None:
            child = self._calls[method, outcome] = self.calls.labels(method, outcome)
        child.inc()

    def request_took(self, route: str, seconds: float) -> None:
        child = self._durations.get(route)
        if child is None:
            child = self._durations[route] = self.duration.labels(route)
        child.observe(seconds)

    def text(self) -> bytes:
        return generate_latest(self.registry)
