"""`GET /metrics`: Prometheus text, served only to the CIDRs of `metrics.allow`, with every
metric of docs/operations.md exact after known calls, and the workers of
`gateway serve --workers 2` added up."""

from __future__ import annotations

import asyncio
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from aiohttp import encode_basic_auth
from aiohttp.test_utils import TestClient
from conftest import call_as_root, make_config, post
from gateway_process import Gateway, healthy
from prometheus_client import CollectorRegistry, Histogram
from prometheus_client.parser import text_string_to_metric_families

from gateway.web import appkeys
from gateway.web.dialects.mor import mor_hash
from gateway.web.metrics import CALL_BUCKETS, observe_all

PING = {"jsonrpc": "2.0", "method": "ping", "id": 1}


async def test_metrics_count_calls_by_method_and_outcome(client, admin_key, make_key):
    ingest = await make_key("ingest")
    assert (await post(client, PING, admin_key))[0] == 200
    assert (await post(client, PING, admin_key))[0] == 200
    await post(client, {"jsonrpc": "2.0", "method": "tenants.list", "id": 2}, ingest)
    answer = await client.get("/metrics")
    assert answer.status == 200
    assert answer.headers["Content-Type"].startswith("text/plain")
    assert re.fullmatch(r"[0-9a-f]{32}", answer.headers["X-Request-Id"])
    text = await answer.text()
    assert ('gateway_rpc_calls_total{dialect="jsonrpc",method="ping",outcome="ok",'
            'status="200"} 2.0') in text
    assert ('gateway_rpc_calls_total{dialect="jsonrpc",method="tenants.list",'
            'outcome="forbidden",status="200"} 1.0') in text
    assert 'gateway_http_request_duration_seconds_count{route="/rpc"} 3.0' in text


class TestOutsideTheAllowList:
    @pytest.fixture
    def config(self, engine, tmp_path):
        return make_config(tmp_path, metrics={"allow": ["10.0.0.0/8", "2001:db8::/32"]})

    async def test_metrics_are_refused_to_other_addresses(self, client):
        answer = await client.get("/metrics")
        assert answer.status == 403
        assert await answer.text() == "metrics are not served to 127.0.0.1\n"


# -- every metric, after known traffic

Samples = dict[tuple[str, frozenset[tuple[str, str]]], float]


def samples(text: str) -> Samples:
    """Every sample of the exposition, by name and labels."""
    return {(s.name, frozenset(s.labels.items())): s.value
            for family in text_string_to_metric_families(text) for s in family.samples}


def family(found: Samples, name: str) -> dict[frozenset[tuple[str, str]], float]:
    return {labels: value for (n, labels), value in found.items() if n == name}


def labels(**values: str) -> frozenset[tuple[str, str]]:
    return frozenset(values.items())


async def scrape(client: TestClient) -> Samples:
    answer = await client.get("/metrics")
    assert answer.status == 200
    return samples(await answer.text())


def rpc_call(method: str, id_: Any = 1, **params: Any) -> dict[str, Any]:
    body = {"jsonrpc": "2.0", "method": method, "id": id_}
    return {**body, "params": params} if params else body


def ok(method: str, dialect: str = "jsonrpc", status: str = "200",
       outcome: str = "ok") -> frozenset[tuple[str, str]]:
    return labels(method=method, dialect=dialect, status=status, outcome=outcome)


async def test_calls_latencies_and_batches(client: TestClient, admin_key: str,
                                           make_key: Any) -> None:
    customer = await make_key("customer", rate_limit="unlimited")
    made = await call_as_root(client.app, "keys.create", role="admin", rate_limit="unlimited")
    key_id, _, secret = made["key"].partition(".")
    for _ in range(2):
        assert (await post(client, PING, admin_key))[0] == 200
    await post(client, rpc_call("keys.list"), customer)  # forbidden
    await post(client, rpc_call("tenants.list", limit="x"), admin_key)  # invalid params
    await post(client, [rpc_call("ping", 1), rpc_call("no.such", 2), {"jsonrpc": "2.0"},
                        rpc_call("ping", 3)], admin_key)
    await post(client, [rpc_call("ping", 1), rpc_call("ping", 2)], admin_key)
    basic = {"Authorization": encode_basic_auth(key_id, secret)}
    assert (await client.get("/ucaas/v1/sessions/x/cdr", headers=basic)).status == 404
    assert (await client.get("/ucaas/v1/sessions", headers=basic)).status == 200
    mor = {"from": "1704067200", "till": "1704153599", "format": "json"}
    answer = await client.get("/billing/api/aggregate_get", params={
        **mor, "u": key_id, "hash": mor_hash(mor, made["mor_secret"])})
    assert answer.status == 200 and "error" not in await answer.text()
    found = await scrape(client)
    assert family(found, "gateway_rpc_calls_total") == {
        ok("ping"): 6, ok("keys.list", outcome="forbidden"): 1,
        ok("tenants.list", outcome="invalid-params"): 1,
        ok("-", outcome="method-not-found"): 1, ok("-", outcome="invalid-request"): 1,
        ok("ucaas.sessions.cdr", "video", "404", "not_found"): 1,
        ok("ucaas.sessions.list", "video"): 1, ok("aggregate_get", "mor"): 1}
    counts = family(found, "gateway_rpc_call_duration_seconds_count")
    assert counts[labels(method="ping", dialect="jsonrpc")] == 6
    assert counts[labels(method="aggregate_get", dialect="mor")] == 1
    assert found["gateway_rpc_call_duration_seconds_bucket", labels(
        method="ping", dialect="jsonrpc", le="+Inf")] == 6
    batches = family(found, "gateway_rpc_batch_size_bucket")
    assert (batches[labels(le="2.0")], batches[labels(le="5.0")]) == (1, 2)
    assert found["gateway_rpc_batch_size_count", labels()] == 2
    assert found["gateway_rpc_batch_size_sum", labels()] == 6
    assert found["gateway_requests_in_flight", labels()] == 0
    assert family(found, "gateway_refusals_total") == {}
    waits = family(found, "gateway_db_pool_wait_seconds_count")
    assert waits[labels(pool="read")] >= 1 and waits[labels(pool="write")] >= 1
    assert found["gateway_http_request_duration_seconds_count", labels(route="/rpc")] == 6


async def test_refusals(client: TestClient, admin_key: str, make_key: Any) -> None:
    """Rate-limited and busy requests, and the other refusals, by dialect; none is a call."""
    limited = await make_key("admin", rate_limit=1)
    statuses = [(await post(client, PING, limited))[0] for _ in range(3)]
    assert statuses == [200, 200, 429]
    assert (await post(client, PING))[0] == 401
    assert (await client.get("/rpc")).status == 405
    in_flight = client.app[appkeys.IN_FLIGHT]
    in_flight[0] += client.app[appkeys.CONFIG].limits.concurrency  # the cap is reached
    try:
        assert (await post(client, PING, admin_key))[0] == 503
        assert (await client.get("/ucaas/v1/sessions")).status == 503
    finally:
        in_flight[0] -= client.app[appkeys.CONFIG].limits.concurrency
    assert (await client.get("/ucaas/v1/sessions")).status == 401
    found = await scrape(client)
    assert family(found, "gateway_refusals_total") == {
        labels(dialect="jsonrpc", status="429", error="rate-limited"): 1,
        labels(dialect="jsonrpc", status="401", error="utoken-auth-failed"): 1,
        labels(dialect="jsonrpc", status="405", error="invalid-request"): 1,
        labels(dialect="jsonrpc", status="503", error="busy"): 1,
        labels(dialect="video", status="503", error="busy"): 1,
        labels(dialect="video", status="401", error="utoken-auth-failed"): 1}
    assert family(found, "gateway_rpc_calls_total") == {ok("ping"): 2}


async def test_ingested_records(client: TestClient, rpc: Any, ingest_key: str) -> None:
    """Accepted, unchanged (the same record again) and rejected (a bad one) records."""
    live = {"session_id": "m1", "setup_time": "2026-03-01T10:00:00Z",
            "legs": [{"leg_id": "a", "role": "orig", "src": "1", "dst": "2"}]}
    ended = {**live, "session_id": "m2", "end_time": "2026-03-01T10:01:00Z"}
    bad = {"session_id": "m3", "legs": []}
    first = await rpc("ingest.sessions", {"records": [live, bad]}, key=ingest_key)
    assert (first["result"]["accepted"], len(first["result"]["rejected"])) == (1, 1)
    second = await rpc("ingest.sessions", {"records": [live, ended]}, key=ingest_key)
    assert (second["result"]["accepted"], second["result"]["unchanged"]) == (1, 1)
    found = await scrape(client)
    assert family(found, "gateway_ingest_records_total") == {
        labels(method="ingest.sessions", result="accepted"): 2,
        labels(method="ingest.sessions", result="unchanged"): 1,
        labels(method="ingest.sessions", result="rejected"): 1}
    assert family(found, "gateway_live_sessions") == {labels(kind="call"): 1,
                                                      labels(kind="video"): 0}


async def test_export_jobs_by_status(client: TestClient, rpc: Any) -> None:
    found = await scrape(client)
    assert family(found, "gateway_export_jobs") == {
        labels(status=s): 0 for s in ("queued", "running", "completed", "failed")}
    day = {"from_date": "2026-03-01 00:00:00", "to_date": "2026-03-01 23:59:59"}
    made = await rpc("GetCallHistory", {**day, "output": "csv", "is_async": True})
    report_id = made["result"]["history_report_id"]
    for _ in range(200):
        listed = await rpc("GetHistoryReports", {"history_report_id": [report_id],
                                                 "history_type": "all"})
        if listed["result"]["result"][0]["status"] == "completed":
            break
        await asyncio.sleep(0.05)
    found = await scrape(client)
    assert family(found, "gateway_export_jobs") == {
        labels(status="queued"): 0, labels(status="running"): 0,
        labels(status="completed"): 1, labels(status="failed"): 0}


async def test_no_metric_has_a_tenant_label(client: TestClient, admin_key: str) -> None:
    """Operational figures only (decisions 13): no tenant, and no key."""
    await post(client, PING, admin_key)
    await post(client, PING)
    found = await scrape(client)
    names = {name for labelset in (key[1] for key in found) for name, _ in labelset}
    assert {"method", "dialect", "status", "outcome", "error"} <= names <= {
        "method", "dialect", "status", "outcome", "error", "result", "kind", "pool", "route",
        "le"}


def test_a_batch_is_observed_as_its_calls_one_by_one() -> None:
    """`observe_all` gives what one `observe` per amount gives."""
    amounts = [0.00001, 0.0001, 0.0003, 0.0003, 0.02, 7.0, 50.0, 0.0]
    one, all_at_once = (Histogram("h", "h", ["m"], buckets=CALL_BUCKETS,
                                  registry=CollectorRegistry()) for _ in range(2))
    for amount in amounts:
        one.labels("x").observe(amount)
    observe_all(all_at_once.labels("x"), amounts)
    assert [s for f in one.collect() for s in f.samples if not s.name.endswith("_created")] \
        == [s for f in all_at_once.collect() for s in f.samples
            if not s.name.endswith("_created")]


# -- `gateway serve --workers 2`: /metrics adds up both workers

async def test_workers_add_up(tmp_path: Path) -> None:
    gateway = Gateway(tmp_path, f"sqlite:///{tmp_path}/gateway.db")
    folder = tmp_path / "tmp"
    folder.mkdir()
    gateway.env["TMPDIR"] = str(folder)  # where serve makes the metrics folder
    key = gateway.cli("keys", "create", "--role", "admin", "--rate-limit",
                      "unlimited").splitlines()[-1]
    process = subprocess.Popen([sys.executable, "-m", "gateway", "serve", "--workers", "2"],
                               env=gateway.env, cwd=tmp_path, stdout=subprocess.DEVNULL,
                               stderr=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{gateway.port}"
    calls = 40
    try:
        # a connection of its own for each request, so that both workers take some
        async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(
                force_close=True)) as http:
            await healthy(http, base, process)
            assert len(list(folder.iterdir())) == 1  # the run's metrics folder
            workers = set()
            for n in range(calls):
                async with http.post(f"{base}/rpc", json=rpc_call("ping", n),
                                     headers={"X-Api-Key": key}) as answer:
                    assert answer.status == 200
                    workers.add(answer.headers["X-Request-Id"][:16])  # the process's prefix
            assert len(workers) == 2
            scraped = set()
            for _ in range(8):
                async with http.get(f"{base}/metrics") as answer:
                    scraped.add(answer.headers["X-Request-Id"][:16])
                    found = samples(await answer.text())
                assert family(found, "gateway_rpc_calls_total") == {ok("ping"): calls}
                assert found["gateway_rpc_call_duration_seconds_count", labels(
                    method="ping", dialect="jsonrpc")] == calls
                assert found["gateway_requests_in_flight", labels()] == 0
                assert family(found, "gateway_live_sessions") == {labels(kind="call"): 0,
                                                                  labels(kind="video"): 0}
    finally:
        process.terminate()
        process.wait(20)
    assert list(folder.iterdir()) == []  # removed when serve ends
