"""Prometheus metrics of one app (docs/operations.md, "Metrics"): calls by method, dialect,
status and outcome, their latencies, batch sizes, ingested records, refusals, requests in
flight, database connection waits and request durations; and, read from the store when
scraped, live sessions and export jobs. No metric has a tenant label (decisions 13).

One process keeps its values in memory, in the app's own registry. The workers of
`gateway serve --workers N` write theirs to files in one folder (prometheus_client's
multiprocess mode, `multiprocess`), and `/metrics` adds up every worker's files, whichever
worker answers.

Each label set's child is looked up once and kept (a lookup takes a lock and hashes).
"""

from __future__ import annotations

import bisect
import os
from typing import Any, Iterator, Mapping

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest, values
from prometheus_client.metrics_core import GaugeMetricFamily, Metric
from prometheus_client.multiprocess import MultiProcessCollector, mark_process_dead

from gateway.web import request_log
from gateway.web.request_log import Entry

# Seconds: a ping is answered in tens of microseconds, a large report in seconds, and
# the call timeout is 30 s by default.
CALL_BUCKETS = (0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1,
                0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)
# Calls per batch, up to the largest `limits.batch_calls` worth allowing.
BATCH_BUCKETS = (2, 5, 10, 20, 50, 100, 200, 500, 1000)
# Seconds waited for a database connection: none at all most of the time.
WAIT_BUCKETS = (0.00001, 0.0001, 0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1.0, 5.0, 10.0)
NO_METHOD = "-"  # the method label of a request object that names no method of the API
INGEST_RESULTS = ("accepted", "unchanged", "rejected")


def multiprocess(folder: str) -> None:
    """Make this process keep its metrics in files in `folder`, before any metric of it
    is made. prometheus_client chooses where values live when it is first imported, from
    `PROMETHEUS_MULTIPROC_DIR`; a worker forked by `gateway serve` has it imported
    already, so the choice is made again here."""
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = folder
    values.ValueClass = values.MultiProcessValue()


def observe_all(child: Any, amounts: list[float]) -> None:
    """`child.observe` of each amount, in one increment per bucket touched. A histogram's
    child of prometheus_client keeps its sum (`_sum`) and the count of each bucket alone
    (`_buckets`, not cumulative, by `_upper_bounds`, the last one +Inf), as
    `Histogram.observe` shows; a child without them observes each amount."""
    bounds = getattr(child, "_upper_bounds", None)
    if bounds is None or not hasattr(child, "_buckets") or not hasattr(child, "_sum"):
        for amount in amounts:
            child.observe(amount)
        return
    per_bucket = [0] * len(bounds)
    for amount in amounts:
        per_bucket[bisect.bisect_left(bounds, amount)] += 1
    child._sum.inc(sum(amounts))
    for bucket, count in zip(child._buckets, per_bucket):
        if count:
            bucket.inc(count)


def process_ended(pid: int, folder: str) -> None:
    """A worker of `folder` has exited: its gauges of live processes no longer count (its
    counters and histograms still do)."""
    mark_process_dead(pid, folder)


class StoreGauges:
    """A collector of the figures read from the store just before a scrape (`update`)."""

    def __init__(self) -> None:
        self.live: Mapping[str, int] = {}
        self.jobs: Mapping[str, int] = {}

    def update(self, live: Mapping[str, int], jobs: Mapping[str, int]) -> None:
        self.live, self.jobs = live, jobs

    def collect(self) -> Iterator[Metric]:
        for name, text, label, counts in (
                ("gateway_live_sessions", "Sessions in progress (no end time yet) in the "
                 "store, by kind", "kind", self.live),
                ("gateway_export_jobs", "Export jobs kept in the store, by status", "status",
                 self.jobs)):
            if counts:
                family = GaugeMetricFamily(name, text, labels=[label])
                for value, count in counts.items():
                    family.add_metric([value], count)
                yield family

    def describe(self) -> list[Metric]:
        return []  # known only once read


class Metrics:
    def __init__(self, folder: str | None = None, ingest_methods: frozenset[str] = frozenset()
                 ) -> None:
        """`folder`: the multiprocess folder (`multiprocess` was called), or None to keep
        the values in this process; `ingest_methods`: the methods whose answers count
        ingested records."""
        self.registry = CollectorRegistry()
        own = None if folder else self.registry  # in files, added up by the collector
        if folder:
            MultiProcessCollector(self.registry, folder)
        self.store = StoreGauges()
        self.registry.register(self.store)
        self.ingest_methods = ingest_methods
        self.calls = Counter(
            "gateway_rpc_calls", "JSON-RPC calls answered, on /rpc and the dialect routes, by "
            "method, dialect, HTTP status and outcome (ok, or the error's class)",
            ["method", "dialect", "status", "outcome"], registry=own)
        self.call_seconds = Histogram(
            "gateway_rpc_call_duration_seconds", "Time to answer one call (role check, "
            "params, handler, encoding), by method and dialect", ["method", "dialect"],
            buckets=CALL_BUCKETS, registry=own)
        self.batch_sizes = Histogram("gateway_rpc_batch_size", "Calls per JSON-RPC batch",
                                     buckets=BATCH_BUCKETS, registry=own)
        self.refusals = Counter(
            "gateway_refusals", "Requests refused whole before any call (401, 405, 413, 415, "
            "429 rate-limited, 503 busy, ...), by dialect, HTTP status and error class",
            ["dialect", "status", "error"], registry=own)
        self.ingested = Counter(
            "gateway_ingest_records", "Records sent to the ingest methods, by method and "
            "result (accepted, unchanged, rejected)", ["method", "result"], registry=own)
        self.in_flight = Gauge(
            "gateway_requests_in_flight", "Requests being served on /rpc and the dialect "
            "routes (limits.concurrency caps them per process)", registry=own,
            multiprocess_mode="livesum")
        self.pool_waits = Histogram(
            "gateway_db_pool_wait_seconds", "Time waited for a database connection, by pool "
            "(read, or write: the SQLite writer, a PostgreSQL transaction)", ["pool"],
            buckets=WAIT_BUCKETS, registry=own)
        self.duration = Histogram("gateway_http_request_duration_seconds",
                                  "Time to answer an HTTP request, by route",
                                  ["route"], registry=own)
        self._calls: dict[tuple[str | None, str, int, str], Any] = {}
        self._call_seconds: dict[tuple[str | None, str], Any] = {}
        self._refusals: dict[tuple[str, int, str], Any] = {}
        self._ingested: dict[tuple[str, str], Any] = {}
        self._waits: dict[str, Any] = {}
        self._durations: dict[str, Any] = {}

    def finished(self, entry: Entry, route: str, status: int, seconds: float) -> None:
        """A request answered with `status`: its calls (or its refusal) counted."""
        dialect, calls = entry.dialect, entry.calls
        if dialect is not None:
            if len(calls) == 1:
                method, outcome, took = calls[0]
                self._call(method, dialect, status, outcome).inc()
                self._latency(method, dialect).observe(took)
            elif calls:
                self._batch(calls, dialect, status)
            elif entry.error is not None:
                self._refusal(dialect, status, entry.error).inc()
            if entry.batch is not None:
                self.batch_sizes.observe(entry.batch)
        child = self._durations.get(route)
        if child is None:
            child = self._durations[route] = self.duration.labels(route)
        child.observe(seconds)

    def _batch(self, calls: list[request_log.Call], dialect: str, status: int) -> None:
        """A batch's calls, counted in one step per label set (a batch of 100 pings
        would otherwise take 200 steps, each taking a lock)."""
        counted: dict[tuple[str | None, str], int] = {}
        timed: dict[str | None, list[float]] = {}
        for method, outcome, took in calls:
            counted[method, outcome] = counted.get((method, outcome), 0) + 1
            timed.setdefault(method, []).append(took)
        for (method, outcome), count in counted.items():
            self._call(method, dialect, status, outcome).inc(count)
        for method, times in timed.items():
            observe_all(self._latency(method, dialect), times)

    def _call(self, method: str | None, dialect: str, status: int, outcome: str) -> Any:
        key = (method, dialect, status, outcome)
        child = self._calls.get(key)
        if child is None:
            child = self._calls[key] = self.calls.labels(method or NO_METHOD, dialect,
                                                         str(status), outcome)
        return child

    def _latency(self, method: str | None, dialect: str) -> Any:
        child = self._call_seconds.get((method, dialect))
        if child is None:
            child = self._call_seconds[method, dialect] = self.call_seconds.labels(
                method or NO_METHOD, dialect)
        return child

    def _refusal(self, dialect: str, status: int, error: str) -> Any:
        child = self._refusals.get((dialect, status, error))
        if child is None:
            child = self._refusals[dialect, status, error] = self.refusals.labels(
                dialect, str(status), error)
        return child

    def observe(self, method: str | None, outcome: str, seconds: float, result: Any) -> None:
        """The dispatcher's observer: one call answered (`dispatch.Observe`), added to its
        request's entry (counted once the request's status is known) and, when it ingested
        records, counted at once."""
        request_log.called(method, outcome, seconds)
        if result is not None and method in self.ingest_methods:
            self._answered(method, result)

    def _answered(self, method: str, result: Any) -> None:
        if not isinstance(result, dict):
            return
        for name in INGEST_RESULTS:
            count = result.get(name)
            child = self._ingested.get((method, name))
            if child is None:
                child = self._ingested[method, name] = self.ingested.labels(method, name)
            child.inc(len(count) if isinstance(count, list) else count or 0)

    def pool_waited(self, pool: str, seconds: float) -> None:
        child = self._waits.get(pool)
        if child is None:
            child = self._waits[pool] = self.pool_waits.labels(pool)
        child.observe(seconds)

    def text(self) -> bytes:
        return generate_latest(self.registry)
