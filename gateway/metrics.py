"""Prometheus metrics of one app: calls per method and outcome, request durations.

Each app has its own registry (no process-wide state), served on `GET /metrics` to the
CIDRs in `metrics.allow` only."""

from __future__ import annotations

import time

from aiohttp import web
from aiohttp.typedefs import Handler
from prometheus_client import (CONTENT_TYPE_LATEST, CollectorRegistry, Counter, Histogram,
                               generate_latest)

from gateway import appkeys, auth

OK = "ok"


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


@web.middleware
async def timing(request: web.Request, handler: Handler) -> web.StreamResponse:
    started = time.perf_counter()
    try:
        return await handler(request)
    finally:
        route = request.match_info.route.resource
        name = route.canonical if route is not None else "unmatched"
        request.app[appkeys.METRICS].duration.labels(name).observe(
            time.perf_counter() - started)


async def metrics_view(request: web.Request) -> web.Response:
    """`GET /metrics`: Prometheus text, only for the CIDRs of `metrics.allow`."""
    config = request.app[appkeys.CONFIG]
    forwarded = ", ".join(request.headers.getall("X-Forwarded-For", [])) or None
    ip = auth.client_ip(request.remote, forwarded, auth.networks(config.proxies.trusted))
    if not auth.in_networks(ip, auth.networks(config.metrics.allow)):
        return web.Response(status=403, text=f"metrics are not served to {ip}\n")
    return web.Response(body=request.app[appkeys.METRICS].text(),
                        headers={"Content-Type": CONTENT_TYPE_LATEST})
