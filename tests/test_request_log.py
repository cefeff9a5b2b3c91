"""The request log (docs/operations.md, "The request log"): one line per request, written
by `gateway.web.access_log.AccessLogger` once the answer is out, with the request's
structured fields; tracebacks only in the server's log, under the request id. The test
server here logs through the gateway's own access logger, as `gateway serve` does."""

from __future__ import annotations

import asyncio
import json
import logging
import re
from typing import Any, Awaitable, Callable

import pytest
from aiohttp import encode_basic_auth, web
from aiohttp.test_utils import TestClient, TestServer
from conftest import JSON, call_as_root, make_config, post
from marshmallow import Schema

from gateway.core import roles
from gateway.core.logs import JsonFormatter, TextFormatter, text_value
from gateway.web import appkeys
from gateway.web.access_log import AccessLogger
from gateway.web.dialects.mor import mor_hash
from methods import all_methods
from methods.context import Context, Methods, Params, RpcMethod

ACCESS = "aiohttp.access"
SECRET_TEXT = "the hidden cause 7f3a"
FIELDS = ("request_id", "key_id", "tenant", "route", "http_method", "dialect", "method",
          "batch", "methods", "status", "error", "errors", "duration_ms")


class NoParams(Schema):
    pass


async def boom(context: Context, params: Params) -> None:
    raise RuntimeError(SECRET_TEXT)


@pytest.fixture
def methods() -> Methods:
    return {**all_methods(),
            "boom": RpcMethod(boom, NoParams(), roles.EVERYONE, "raises")}


@pytest.fixture
async def client(aiohttp_client: Callable[..., Awaitable[TestClient]], app: web.Application,
                 caplog: pytest.LogCaptureFixture) -> TestClient:
    """The app served with the gateway's access logger, its lines captured."""
    caplog.set_level(logging.INFO)
    server = TestServer(app)
    await server.start_server(access_log_class=AccessLogger)
    return await aiohttp_client(server)


async def line(caplog: pytest.LogCaptureFixture, request_id: str) -> logging.LogRecord:
    """The request's log line (written just after its answer went out)."""
    for _ in range(200):
        found = [r for r in caplog.records if r.name == ACCESS
                 and getattr(r, "fields", {}).get("request_id") == request_id]
        if found:
            assert len(found) == 1, found
            return found[0]
        await asyncio.sleep(0.01)
    raise AssertionError(f"no log line for request {request_id}")


def expected(request_id: str | None, **fields: Any) -> dict[str, Any]:
    base: dict[str, Any] = {"request_id": request_id, "key_id": None, "tenant": None,
                            "route": "/rpc", "http_method": "POST", "dialect": "jsonrpc",
                            "method": None, "batch": None, "methods": None, "status": 200,
                            "error": None, "errors": None}
    return {**base, **fields}


def without_duration(record: logging.LogRecord) -> dict[str, Any]:
    fields = dict(getattr(record, "fields"))
    assert list(fields) == list(FIELDS)
    duration = fields.pop("duration_ms")
    assert isinstance(duration, float) and 0 <= duration < 10_000
    return fields


def ping(id_: int = 1, method: str = "ping") -> dict[str, Any]:
    return {"jsonrpc": "2.0", "method": method, "id": id_}


async def test_a_single_call(client: TestClient, caplog: pytest.LogCaptureFixture,
                             admin_key: str) -> None:
    status, _, headers = await post(client, ping(), admin_key)
    assert status == 200
    rid = headers["X-Request-Id"]
    record = await line(caplog, rid)
    assert without_duration(record) == expected(rid, key_id=admin_key.partition(".")[0],
                                                tenant="root", method="ping")
    assert record.levelno == logging.INFO
    assert admin_key.partition(".")[2] not in record.getMessage()


async def test_a_batch(client: TestClient, caplog: pytest.LogCaptureFixture,
                       make_key: Callable[..., Awaitable[str]]) -> None:
    """Its size, and each call's method and error in the order they were answered (the
    members that name no method first, then the calls as they end)."""
    key = await make_key("ingest", rate_limit="unlimited")
    body = [ping(1), ping(2, "tenants.list"), ping(3, "no.such.method"), {"jsonrpc": "2.0"}]
    status, answers, headers = await post(client, body, key)
    assert status == 200 and len(answers) == 4
    rid = headers["X-Request-Id"]
    fields = without_duration(await line(caplog, rid))
    methods, errors = fields.pop("methods"), fields.pop("errors")
    assert fields == {k: v for k, v in expected(
        rid, key_id=key.partition(".")[0], tenant="root", batch=4).items()
        if k not in ("methods", "errors")}
    assert sorted(zip(methods, errors), key=repr) == sorted([
        ("ping", None), ("tenants.list", "forbidden"), (None, "method-not-found"),
        (None, "invalid-request")], key=repr)
    assert methods[:2] == [None, None]  # answered before any call runs


@pytest.mark.parametrize("send, status, error", [
    (lambda c, key: c.post("/rpc", json=ping()), 401, "utoken-auth-failed"),
    (lambda c, key: c.post("/rpc", json=ping(), headers={"X-Api-Key": key + "x"}), 401,
     "utoken-auth-failed"),
    (lambda c, key: c.get("/rpc", headers={"X-Api-Key": key}), 405, "invalid-request"),
    (lambda c, key: c.post("/rpc", data="{}", headers={"X-Api-Key": key}), 415,
     "invalid-request"),
    (lambda c, key: c.post("/rpc", data="{", headers={**JSON, "X-Api-Key": key}), 200,
     "parse-error"),
], ids=["no-key", "wrong-secret", "405", "415", "parse-error"])
async def test_a_refused_request(client: TestClient, caplog: pytest.LogCaptureFixture,
                                 admin_key: str, send: Any, status: int, error: str) -> None:
    response = await send(client, admin_key)
    assert response.status == status
    rid = response.headers["X-Request-Id"]
    record = await line(caplog, rid)
    authenticated = status == 200  # only a caller whose key held is named
    assert without_duration(record) == expected(
        rid, status=status, error=error, http_method=response.method,
        key_id=admin_key.partition(".")[0] if authenticated else None,
        tenant="root" if authenticated else None)
    assert admin_key.partition(".")[2] not in caplog.text


class TestBusy:
    @pytest.fixture
    def config(self, engine: str, tmp_path: Any) -> Any:
        return make_config(tmp_path, limits={"concurrency": 1})

    async def test_a_busy_refusal(self, client: TestClient, caplog: pytest.LogCaptureFixture,
                                  admin_key: str) -> None:
        in_flight = client.app[appkeys.IN_FLIGHT]
        in_flight[0] += 1  # a request in flight: the cap is reached
        try:
            status, _, headers = await post(client, ping(1, "tenants.list"), admin_key)
        finally:
            in_flight[0] -= 1
        assert status == 503
        rid = headers["X-Request-Id"]
        assert without_duration(await line(caplog, rid)) == expected(
            rid, status=503, error="busy")


async def test_a_rate_limited_refusal(client: TestClient, caplog: pytest.LogCaptureFixture,
                                      make_key: Callable[..., Awaitable[str]]) -> None:
    key = await make_key("admin", rate_limit=1)
    statuses = []
    for _ in range(3):
        status, _, headers = await post(client, ping(), key)
        statuses.append(status)
    assert statuses[-1] == 429, statuses
    rid = headers["X-Request-Id"]
    assert without_duration(await line(caplog, rid)) == expected(
        rid, status=429, error="rate-limited", key_id=key.partition(".")[0], tenant="root")


async def test_dialect_routes(client: TestClient, caplog: pytest.LogCaptureFixture) -> None:
    """The dialect, the route's method and its vendor status; a credential in the query
    string (`api_key`, MOR's `hash`) is masked in the message and in no field."""
    made = await call_as_root(client.app, "keys.create", role="admin", rate_limit="unlimited")
    key, mor_secret = made["key"], made["mor_secret"]
    key_id, _, secret = key.partition(".")
    mor = {"from": "1704067200", "till": "1704153599", "format": "json"}
    mor["hash"] = mor_hash(mor, mor_secret)
    sent = [
        (client.get("/billing/api/aggregate_get", params={**mor, "u": key_id}),
         {"route": "/billing/api/aggregate_get", "dialect": "mor", "method": "aggregate_get",
          "status": 200}),
        (client.get("/billing/api/aggregate_get", params={**mor, "u": key_id, "till": "1"}),
         {"route": "/billing/api/aggregate_get", "dialect": "mor", "method": "aggregate_get",
          "status": 200, "error": "utoken-auth-failed", "key_id": None, "tenant": None}),
        (client.get("/platform_api/GetCallHistory", params={
            "account_id": key_id, "api_key": key, "from_date": "2024-01-01 00:00:00",
            "to_date": "2024-01-02 00:00:00"}),
         {"route": "/platform_api/GetCallHistory", "dialect": "platform",
          "method": "GetCallHistory", "status": 200}),
        (client.get("/platform_api/NoSuchThing", params={"api_key": key}),
         {"route": "/platform_api/{name}", "dialect": "platform", "status": 404,
          "error": "method-not-found", "key_id": None, "tenant": None}),
        (client.get("/ucaas/v1/sessions/nope/cdr",
                    headers={"Authorization": encode_basic_auth(key_id, secret)}),
         {"route": "/ucaas/v1/sessions/{session_id}/cdr", "dialect": "video",
          "method": "ucaas.sessions.cdr", "status": 404, "error": "not_found"}),
        (client.post("/reports/active_sessions", json={"return_fields": ["quantity"]},
                     headers={"X-Api-Key": key}),
         {"route": "/reports/active_sessions", "dialect": "active_sessions",
          "method": "reports.active_sessions.query", "status": 200}),
    ]
    for request, fields in sent:
        response = await request
        assert response.status == fields["status"], await response.text()
        rid = response.headers["X-Request-Id"]
        record = await line(caplog, rid)
        assert without_duration(record) == expected(
            rid, **{"key_id": key_id, "tenant": "root", "http_method": response.method,
                    **fields})
    text = caplog.text
    assert "api_key=***" in text and "hash=***" in text
    for needle in (secret, mor_secret, mor["hash"]):
        assert needle not in text


async def test_an_unexpected_error(client: TestClient, caplog: pytest.LogCaptureFixture,
                                   admin_key: str) -> None:
    """The client gets the generic error with the request id; the traceback is logged once,
    under that id, and the request's line says `internal`."""
    status, answer, headers = await post(client, ping(1, "boom"), admin_key)
    rid = headers["X-Request-Id"]
    assert (status, answer) == (200, {"jsonrpc": "2.0", "id": 1, "error": {
        "code": -32603, "message": "An unexpected error occurred",
        "data": {"request_id": rid}}})
    record = await line(caplog, rid)
    assert without_duration(record) == expected(
        rid, key_id=admin_key.partition(".")[0], tenant="root", method="boom",
        error="internal")
    (error,) = [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert getattr(error, "request_id") == rid and rid in error.getMessage()
    assert error.exc_info is not None and error.exc_info[0] is RuntimeError
    entry = json.loads(JsonFormatter().format(error))
    assert entry["request_id"] == rid and SECRET_TEXT in entry["traceback"]
    assert SECRET_TEXT not in json.dumps(answer)


async def test_the_json_and_text_forms(client: TestClient, caplog: pytest.LogCaptureFixture,
                                       admin_key: str) -> None:
    status, _, headers = await post(client, [ping(1), ping(2)], admin_key)
    rid = headers["X-Request-Id"]
    record = await line(caplog, rid)
    entry = json.loads(JsonFormatter().format(record))
    assert list(entry) == ["time", "level", "logger", "message", *FIELDS]
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z", entry["time"])
    assert (entry["level"], entry["logger"]) == ("INFO", ACCESS)
    assert '"POST /rpc HTTP/1.1" 200' in entry["message"]
    assert {k: v for k, v in entry.items() if k in FIELDS} == getattr(record, "fields")
    assert (entry["batch"], entry["methods"], entry["errors"]) == (2, ["ping"] * 2, [None] * 2)
    text = TextFormatter().format(record)
    assert "\n" not in text
    assert text.endswith(f" request_id={rid} key_id={admin_key.partition('.')[0]} tenant=root "
                         "route=/rpc http_method=POST dialect=jsonrpc method=- batch=2 "
                         f"methods=ping,ping status=200 error=- errors=-,- "
                         f"duration_ms={entry['duration_ms']}")


async def test_a_method_name_cannot_forge_a_field(client: TestClient,
                                                  caplog: pytest.LogCaptureFixture,
                                                  admin_key: str) -> None:
    """Text a client sends is never a field's value: a method the API does not have is
    logged as none."""
    status, _, headers = await post(client, ping(1, "x\nstatus=500 error=-"), admin_key)
    record = await line(caplog, headers["X-Request-Id"])
    text = TextFormatter().format(record)
    assert "\n" not in text and text.count(" status=") == 1 and " method=- " in text
    assert "x\\nstatus" not in text


@pytest.mark.parametrize("value, shown", [
    (None, "-"), ("ping", "ping"), ("/platform_api/{name}", "/platform_api/{name}"),
    (200, "200"), (1.5, "1.5"), (["a", None], "a,-"), ([], "[]"),
    ("a b", '"a b"'), ("x\ny=1", '"x\\ny=1"'), ('q"', '"q\\""')])
def test_text_values(value: Any, shown: str) -> None:
    assert text_value(value) == shown


async def test_bytes_that_are_not_http(client: TestClient,
                                       caplog: pytest.LogCaptureFixture) -> None:
    """A request the app never saw still gets its line, with no field but its status."""
    reader, writer = await asyncio.open_connection(client.host, client.port)
    writer.write(b"NOT HTTP AT ALL\r\n\r\n")
    await writer.drain()
    assert (await reader.read(100)).split(b" ")[1] == b"400"
    writer.close()
    await writer.wait_closed()
    for _ in range(200):
        found = [r for r in caplog.records if r.name == ACCESS]
        if found:
            break
        await asyncio.sleep(0.01)
    (record,) = found
    fields = without_duration(record)
    assert fields == {**expected(None, route=None, dialect=None, status=400),
                      "http_method": fields["http_method"]}
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]
