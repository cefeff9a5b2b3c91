"""The shared error envelope row by row, the request-level refusals of `/rpc` in the order the
spec lists them, every limit named in its error, and the request id on every response
(spec README: "Transport", "The shared error envelope", "Limits")."""

from __future__ import annotations

import asyncio
import datetime as dt
import gzip
import logging
import math
import re
from pathlib import Path
from typing import Any, AsyncIterator, Awaitable, Callable

import pytest
from aiohttp.test_utils import TestClient
from conftest import make_config, post
from envelopes import auth_failed
from marshmallow import Schema

from gateway.core import clock, roles
from gateway.core.config import Config
from methods import all_methods
from methods.context import Context, Methods, Params, RpcMethod

MakeKey = Callable[..., Awaitable[str]]
SECRET = "SELECT secret FROM api_keys WHERE path='/etc/passwd'"
REQUEST_ID = re.compile(r"^[0-9a-f]{32}$")


class NoParams(Schema):
    pass


class Gate:
    """A slow method: it says when it has started and runs until released (or cancelled)."""

    def __init__(self) -> None:
        self.started = asyncio.Event()
        self.release = asyncio.Event()
        self.cancelled = asyncio.Event()

    async def slow(self, context: Context, params: Params) -> str:
        self.started.set()
        try:
            await asyncio.wait_for(self.release.wait(), 5)
        except asyncio.CancelledError:
            self.cancelled.set()
            raise
        return "done"


async def boom(context: Context, params: Params) -> None:
    raise RuntimeError(SECRET)


@pytest.fixture
def gate() -> Gate:
    return Gate()


async def blob(context: Context, params: Params) -> str:
    return "x" * 1000  # 1002 bytes of JSON


@pytest.fixture
def methods(gate: Gate) -> Methods:
    return {**all_methods(),
            "slow": RpcMethod(gate.slow, NoParams(), roles.EVERYONE, "runs until released"),
            "boom": RpcMethod(boom, NoParams(), roles.EVERYONE, "raises with secrets inside"),
            "blob": RpcMethod(blob, NoParams(), roles.EVERYONE, "a 1002-byte answer")}


def call(method: str, id_: Any = 1, **extra: Any) -> dict[str, Any]:
    return {"jsonrpc": "2.0", "method": method, "id": id_, **extra}


def refusal(code: int, message: str, data: Any) -> dict[str, Any]:
    return {"jsonrpc": "2.0", "error": {"code": code, "message": message, "data": data},
            "id": None}


def invalid_request(message: str) -> dict[str, Any]:
    return refusal(-32600, "Invalid Request", {"message": message})


def padded(body: str, size: int) -> bytes:
    """A JSON body of exactly `size` bytes (trailing whitespace is valid JSON)."""
    assert len(body) <= size
    return (body + " " * (size - len(body))).encode()


# One test per row of the envelope table.

async def test_parse_error(client: TestClient, admin_key: str) -> None:
    status, answer, _ = await post(client, '{"jsonrpc": "2.0", "method"', admin_key)
    assert (status, answer) == (200, refusal(-32700, "Parse error", {
        "message": "the body is not valid JSON: unexpected end of data: "
                   "line 1 column 28 (char 27)"}))


@pytest.mark.parametrize(("body", "problem"), [
    pytest.param(b"", "Input is a zero-length, empty document: line 1 column 1 (char 0)",
                 id="empty"),
    pytest.param(b"   ", "input data is empty: line 1 column 1 (char 0)", id="blank"),
])
async def test_parse_error_for_an_empty_body(client: TestClient, admin_key: str,
                                             body: bytes, problem: str) -> None:
    status, answer, _ = await post(client, body, admin_key)
    assert (status, answer) == (200, refusal(-32700, "Parse error", {
        "message": f"the body is not valid JSON: {problem}"}))


async def test_invalid_request(client: TestClient, admin_key: str) -> None:
    status, answer, _ = await post(client, {"jsonrpc": "2.0", "method": 1, "id": 1}, admin_key)
    assert (status, answer) == (200, invalid_request('the member "method" must be a string'))


@pytest.mark.parametrize("id_", [2**64, -(2**63) - 1])
async def test_invalid_request_for_an_id_an_answer_cannot_carry(client: TestClient,
                                                                admin_key: str, id_: int) -> None:
    status, answer, _ = await post(client, f'{{"jsonrpc": "2.0", "method": "ping", "id": {id_}}}',
                                   admin_key)
    assert (status, answer) == (200, invalid_request(
        'the member "id" must be an integer of at most 64 bits, a string or null'))
    status, answer, _ = await post(client, f'{{"jsonrpc": "2.0", "method": "ping", '
                                           f'"id": {2**64 - 1}}}', admin_key)
    assert (status, answer) == (200, {"jsonrpc": "2.0", "result": "pong", "id": 2**64 - 1})


async def test_invalid_params_for_a_nul_character(rpc: Any) -> None:
    """No database text column stores NUL (PostgreSQL refuses it): refused on every engine,
    in any text of the params."""
    expected = "Must not contain the NUL character."
    assert await rpc("aggregate_get", {"a_src": "37\x00"}) == {
        "jsonrpc": "2.0", "id": 1, "error": {"code": -32602, "message": "Invalid request",
                                             "data": {"a_src": expected}}}
    answer = await rpc("reports.active_sessions.query",
                       {"return_fields": ["quantity"], "filter": {"orig_clients_name": "a\x00"}})
    assert answer["error"]["data"] == {"filter.orig_clients_name": expected}


async def test_method_not_found(rpc: Any) -> None:
    assert await rpc("reports.nope", id_=5) == {"jsonrpc": "2.0", "error": {
        "code": -32601, "message": "Method not found", "data": {"method": "reports.nope"}},
        "id": 5}


async def test_invalid_params(rpc: Any) -> None:
    assert await rpc("tenants.create", {"parent": 7, "colour": "red"}) == {
        "jsonrpc": "2.0", "id": 1, "error": {"code": -32602, "message": "Invalid request",
                                             "data": {"name": "Missing data for required field.",
                                                      "parent": "Not a valid string.",
                                                      "colour": "Unknown field."}}}


async def test_invalid_params_naming_a_missing_object(rpc: Any) -> None:
    assert await rpc("tenants.create", {"name": "acme", "parent": "nowhere"}) == {
        "jsonrpc": "2.0", "id": 1, "error": {"code": -32602, "message": "Invalid request",
                                             "data": {"parent": 'Object "tenants(nowhere)" '
                                                                "was not found!"}}}


@pytest.mark.parametrize(("key", "reason"), [
    pytest.param(None, "no API key was sent", id="no-key"),
    pytest.param("0123456789abcdef.not-the-secret", "unknown API key", id="unknown-key"),
    pytest.param("no-dot-in-it", "unknown API key", id="malformed-key"),
])
async def test_authentication_failed(client: TestClient, key: str | None, reason: str) -> None:
    status, answer, _ = await post(client, call("ping"), key)
    assert (status, answer) == (401, auth_failed(reason))


async def test_authentication_failed_for_a_wrong_secret(client: TestClient,
                                                        admin_key: str) -> None:
    key_id = admin_key.partition(".")[0]
    status, answer, _ = await post(client, call("ping"), f"{key_id}.wrong")
    assert (status, answer) == (401, auth_failed("unknown API key"))


async def test_authentication_failed_for_a_revoked_key(client: TestClient, rpc: Any,
                                                       make_key: MakeKey) -> None:
    key = await make_key("customer")
    assert await rpc("keys.revoke", {"key_id": key.partition(".")[0]}) == {
        "jsonrpc": "2.0", "result": {"result": 1}, "id": 1}
    status, answer, _ = await post(client, call("ping"), key)
    assert (status, answer) == (401, auth_failed("the API key was revoked"))


async def test_authentication_failed_for_an_expired_key(client: TestClient, make_key: MakeKey,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    soon = clock.now() + dt.timedelta(hours=1)
    key = await make_key("customer", expires_at=soon.isoformat())
    status, _, _ = await post(client, call("ping"), key)
    assert status == 200
    monkeypatch.setattr(clock, "now", lambda: soon + dt.timedelta(seconds=1))
    status, answer, _ = await post(client, call("ping"), key)
    assert (status, answer) == (401, auth_failed("the API key has expired"))


async def test_authentication_failed_for_an_ip_outside_the_allow_list(
        client: TestClient, make_key: MakeKey) -> None:
    key = await make_key("customer", ip_allow=["10.0.0.0/8", "2001:db8::/32"])
    status, answer, _ = await post(client, call("ping"), key)
    assert (status, answer) == (401, auth_failed("IP 127.0.0.1 is not allowed"))


async def test_a_bearer_credential_is_accepted(client: TestClient, admin_key: str) -> None:
    status, answer, _ = await post(client, call("ping"), None,
                                   {"Authorization": f"Bearer {admin_key}"})
    assert (status, answer) == (200, {"jsonrpc": "2.0", "result": "pong", "id": 1})


async def test_forbidden(client: TestClient, make_key: MakeKey) -> None:
    key = await make_key("ingest")
    status, answer, _ = await post(client, call("tenants.list"), key)
    reason = "the role 'ingest' may not call tenants.list"
    assert (status, answer) == (200, {"jsonrpc": "2.0", "id": 1, "error": {
        "code": 403, "message": f"forbidden: {reason}",
        "data": {"code": "forbidden", "message": reason}}})


async def test_forbidden_comes_before_params(client: TestClient, make_key: MakeKey) -> None:
    key = await make_key("ingest")
    status, answer, _ = await post(client, call("tenants.create", params={"bogus": 1}), key)
    reason = "the role 'ingest' may not call tenants.create"
    assert (status, answer) == (200, {"jsonrpc": "2.0", "id": 1, "error": {
        "code": 403, "message": f"forbidden: {reason}",
        "data": {"code": "forbidden", "message": reason}}})


async def test_not_found(rpc: Any) -> None:
    message = 'Object "keys(0123456789abcdef)" was not found!'
    assert await rpc("keys.revoke", {"key_id": "0123456789abcdef"}) == {
        "jsonrpc": "2.0", "id": 1, "error": {
            "code": 404, "message": f"not_found: {message}",
            "data": {"code": "not_found", "message": message, "object_name": "keys",
                     "object_id": "0123456789abcdef"}}}


async def test_logical_error(rpc: Any, make_tenant: Callable[..., Awaitable[Any]]) -> None:
    await make_tenant("acme")
    message = "a tenant named 'acme' already exists"
    assert await rpc("tenants.create", {"name": "acme"}) == {
        "jsonrpc": "2.0", "id": 1, "error": {
            "code": 422, "message": f"tenant-exists: {message}",
            "data": {"code": "tenant-exists", "message": message}}}


# Rate limits. A key of 1 request/s gets the default window (rate_burst / rate_per_second =
# 100 / 50 = 2 s), so 2 calls in 2 s.

RATE_MESSAGE = "the key's limit of 2 calls in 2 s is reached"


def assert_rate_limited(status: int, answer: Any, headers: Any) -> None:
    assert status == 429
    retry_after_ms = answer["error"]["data"]["retry_after_ms"]
    assert isinstance(retry_after_ms, int) and 1 <= retry_after_ms <= 2000
    assert answer == refusal(429, f"rate-limited: {RATE_MESSAGE}", {
        "code": "rate-limited", "message": RATE_MESSAGE, "retry_after_ms": retry_after_ms})
    assert headers["Retry-After"] == str(math.ceil(retry_after_ms / 1000))


async def test_rate_limited(client: TestClient, make_key: MakeKey) -> None:
    key = await make_key("customer", rate_limit=1)
    for _ in range(2):
        status, answer, _ = await post(client, call("ping"), key)
        assert (status, answer) == (200, {"jsonrpc": "2.0", "result": "pong", "id": 1})
    assert_rate_limited(*await post(client, call("ping"), key))


async def test_a_batch_is_charged_all_or_none(client: TestClient, make_key: MakeKey) -> None:
    key = await make_key("customer", rate_limit=1)
    status, _, _ = await post(client, call("ping"), key)
    assert status == 200
    # One unit is left: a batch of two is refused whole and charges nothing...
    assert_rate_limited(*await post(client, [call("ping", 1), call("ping", 2)], key))
    # ...so the unit is still there for a single call, and then none is.
    status, answer, _ = await post(client, call("ping", 3), key)
    assert (status, answer) == (200, {"jsonrpc": "2.0", "result": "pong", "id": 3})
    assert_rate_limited(*await post(client, call("ping"), key))


async def test_a_notification_costs_a_unit(client: TestClient, make_key: MakeKey) -> None:
    key = await make_key("customer", rate_limit=1)
    for _ in range(2):
        status, _, _ = await post(client, {"jsonrpc": "2.0", "method": "ping"}, key)
        assert status == 204
    assert_rate_limited(*await post(client, call("ping"), key))


async def test_rate_limits_are_per_key(client: TestClient, make_key: MakeKey) -> None:
    first = await make_key("customer", rate_limit=1)
    second = await make_key("customer", rate_limit=1)
    status, _, _ = await post(client, [call("ping", 1), call("ping", 2)], first)
    assert status == 200
    assert_rate_limited(*await post(client, call("ping"), first))
    status, _, _ = await post(client, call("ping"), second)
    assert status == 200


async def test_the_rate_limit_comes_after_the_parse_error(client: TestClient,
                                                          make_key: MakeKey) -> None:
    key = await make_key("customer", rate_limit=1)
    status, _, _ = await post(client, [call("ping", 1), call("ping", 2)], key)
    assert status == 200
    status, answer, _ = await post(client, "{", key)
    assert (status, answer["error"]["code"]) == (200, -32700)
    # ...and before per-request validation.
    assert_rate_limited(*await post(client, {"jsonrpc": "2.0", "method": 1, "id": 1}, key))


# Busy: the concurrency cap refuses the whole request.

class TestBusy:
    @pytest.fixture
    def config(self, tmp_path: Path) -> Config:
        return make_config(tmp_path, limits={"concurrency": 1})

    async def test_busy(self, client: TestClient, admin_key: str, gate: Gate) -> None:
        first = asyncio.create_task(post(client, call("slow"), admin_key))
        try:
            await asyncio.wait_for(gate.started.wait(), 2)
            status, answer, headers = await post(client, call("ping"), admin_key)
        finally:
            gate.release.set()
        message = "1 requests are already in flight (the concurrency limit)"
        assert (status, answer) == (503, refusal(503, f"busy: {message}", {
            "code": "busy", "message": message, "retry_after_ms": 1000}))
        assert headers["Retry-After"] == "1"
        status, answer, _ = await first
        assert (status, answer) == (200, {"jsonrpc": "2.0", "result": "done", "id": 1})
        status, answer, _ = await post(client, call("ping"), admin_key)
        assert (status, answer) == (200, {"jsonrpc": "2.0", "result": "pong", "id": 1})


# Timeout: the call is cancelled and answers the timeout error.

class TestTimeout:
    @pytest.fixture
    def config(self, tmp_path: Path) -> Config:
        return make_config(tmp_path, limits={"call_timeout_s": 0.2})

    async def test_timeout(self, client: TestClient, admin_key: str, gate: Gate) -> None:
        status, answer, headers = await post(client, call("slow"), admin_key)
        assert status == 200
        assert answer == {"jsonrpc": "2.0", "id": 1, "error": {
            "code": -32603, "message": "timeout: the call took longer than 0.2 s",
            "data": {"code": "timeout", "request_id": headers["X-Request-Id"]}}}
        assert gate.cancelled.is_set()

    async def test_a_timeout_leaves_its_batch_neighbours_alone(self, client: TestClient,
                                                               admin_key: str) -> None:
        status, answer, headers = await post(client, [call("slow", 1), call("ping", 2)],
                                             admin_key)
        assert status == 200
        assert sorted(answer, key=lambda r: r["id"]) == [
            {"jsonrpc": "2.0", "id": 1, "error": {
                "code": -32603, "message": "timeout: the call took longer than 0.2 s",
                "data": {"code": "timeout", "request_id": headers["X-Request-Id"]}}},
            {"jsonrpc": "2.0", "result": "pong", "id": 2}]


async def test_internal_error(client: TestClient, admin_key: str,
                              caplog: pytest.LogCaptureFixture) -> None:
    response = await client.post("/rpc", json=call("boom"), headers={"X-Api-Key": admin_key})
    text = await response.text()
    request_id = response.headers["X-Request-Id"]
    assert response.status == 200
    assert await response.json() == {"jsonrpc": "2.0", "id": 1, "error": {
        "code": -32603, "message": "An unexpected error occurred",
        "data": {"request_id": request_id}}}
    assert "SELECT" not in text and "/etc/passwd" not in text and "RuntimeError" not in text
    errors = [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert len(errors) == 1
    assert errors[0].exc_info is not None and errors[0].exc_info[0] is RuntimeError
    assert request_id in errors[0].getMessage()
    assert "Traceback" in caplog.text and SECRET in caplog.text


async def test_refusals_are_logged_with_the_request_id(client: TestClient,
                                                       caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger="gateway")
    status, _, headers = await post(client, call("ping"), None)
    assert status == 401
    assert any(headers["X-Request-Id"] in r.getMessage() for r in caplog.records)


# The request-level refusals of `/rpc`, each one error object with `id: null`.

async def test_405_for_a_method_other_than_post(client: TestClient, admin_key: str) -> None:
    response = await client.get("/rpc", headers={"X-Api-Key": admin_key})
    assert response.status == 405
    assert response.headers["Allow"] == "POST"
    assert await response.json() == invalid_request("GET is not allowed on /rpc; use POST")


@pytest.mark.parametrize("verb", ["PUT", "DELETE", "PATCH"])
async def test_405_for_other_verbs(client: TestClient, verb: str) -> None:
    response = await client.request(verb, "/rpc", json=call("ping"))
    assert response.status == 405
    assert response.headers["Allow"] == "POST"
    assert await response.json() == invalid_request(f"{verb} is not allowed on /rpc; use POST")


@pytest.mark.parametrize("content_type", ["text/plain", "application/x-www-form-urlencoded",
                                          "application/jsonx"])
async def test_415_for_a_body_that_is_not_json(client: TestClient, admin_key: str,
                                               content_type: str) -> None:
    status, answer, _ = await post(client, '{"jsonrpc": "2.0", "method": "ping", "id": 1}',
                                   admin_key, {"Content-Type": content_type})
    assert (status, answer) == (415, invalid_request(
        "the Content-Type must be application/json"))


async def test_json_with_a_charset_is_accepted(client: TestClient, admin_key: str) -> None:
    status, answer, _ = await post(client, call("ping"), admin_key,
                                   {"Content-Type": "application/json; charset=utf-8"})
    assert (status, answer) == (200, {"jsonrpc": "2.0", "result": "pong", "id": 1})


class TestResponseLimit:
    """`limits.response_bytes` bounds the answers of a request together (decisions 12)."""

    @pytest.fixture
    def config(self, tmp_path: Path) -> Config:
        return make_config(tmp_path, limits={"response_bytes": 4096})

    @staticmethod
    def too_large(id_: int) -> dict[str, Any]:
        message = "the answers of this request would take more than 4096 bytes " \
            "(limits.response_bytes)"
        return {"jsonrpc": "2.0", "id": id_, "error": {
            "code": 422, "message": f"response-too-large: {message}",
            "data": {"code": "response-too-large", "message": message}}}

    async def test_answers_past_the_limit_are_refused(self, client: TestClient,
                                                      admin_key: str) -> None:
        # four answers of 1002 bytes fit in 4096; the fifth and those after it do not
        status, answer, _ = await post(client, [call("blob", i) for i in range(1, 9)],
                                       admin_key)
        assert status == 200
        ok = {"jsonrpc": "2.0", "result": "x" * 1000}
        assert sorted(answer, key=lambda r: r["id"]) == [
            {**ok, "id": i} for i in range(1, 5)] + [self.too_large(i) for i in range(5, 9)]

    async def test_the_limit_is_per_request(self, client: TestClient, admin_key: str) -> None:
        for _ in range(3):
            status, answer, _ = await post(client, [call("blob", i) for i in range(1, 5)],
                                           admin_key)
            assert status == 200 and all("result" in a for a in answer)

    async def test_a_single_answer_over_the_limit(self, client: TestClient,
                                                  admin_key: str) -> None:
        status, answer, _ = await post(client, call("rpc.discover", 3), admin_key)
        assert (status, answer) == (200, self.too_large(3))
        status, answer, _ = await post(client, call("ping"), admin_key)
        assert (status, answer) == (200, {"jsonrpc": "2.0", "result": "pong", "id": 1})


class TestBodyLimits:
    @pytest.fixture
    def config(self, tmp_path: Path) -> Config:
        return make_config(tmp_path, limits={"body_bytes": 2048, "ingest_body_bytes": 8192})

    PING = '{"jsonrpc": "2.0", "method": "ping", "id": 1}'
    PONG = {"jsonrpc": "2.0", "result": "pong", "id": 1}

    async def test_a_body_at_the_limit_passes(self, client: TestClient, admin_key: str) -> None:
        status, answer, _ = await post(client, padded(self.PING, 2048), admin_key)
        assert (status, answer) == (200, self.PONG)

    async def test_413_for_a_body_over_the_limit(self, client: TestClient,
                                                 admin_key: str) -> None:
        status, answer, _ = await post(client, padded(self.PING, 2049), admin_key)
        assert (status, answer) == (413, invalid_request(
            "the body exceeds the limit of 2048 bytes"))

    async def test_413_while_reading_a_body_without_length(self, client: TestClient,
                                                           admin_key: str) -> None:
        async def chunks() -> AsyncIterator[bytes]:
            for _ in range(3):
                yield padded("", 1024)

        response = await client.post("/rpc", data=chunks(),
                                     headers={"Content-Type": "application/json",
                                              "X-Api-Key": admin_key})
        assert "Content-Length" not in response.request_info.headers
        assert response.status == 413
        assert await response.json() == invalid_request(
            "the body exceeds the limit of 2048 bytes")

    async def test_an_ingest_key_has_the_larger_limit(self, client: TestClient,
                                                      admin_key: str,
                                                      make_key: MakeKey) -> None:
        ingest_key = await make_key("ingest")
        body = padded(self.PING, 4096)
        status, answer, _ = await post(client, body, ingest_key)
        assert (status, answer) == (200, self.PONG)
        status, answer, _ = await post(client, body, admin_key)
        assert (status, answer) == (413, invalid_request(
            "the body exceeds the limit of 2048 bytes"))
        status, answer, _ = await post(client, padded(self.PING, 8193), ingest_key)
        assert (status, answer) == (413, invalid_request(
            "the body exceeds the limit of 8192 bytes"))

    async def test_a_compressed_body_is_counted_as_it_unpacks(self, client: TestClient,
                                                              admin_key: str) -> None:
        packed = gzip.compress(padded(self.PING, 2048))
        status, answer, _ = await post(client, packed, admin_key,
                                       headers={"Content-Encoding": "gzip"})
        assert (status, answer) == (200, self.PONG)
        bomb = gzip.compress(padded(self.PING, 1 << 20))  # 1 MiB in about 1 KiB
        assert len(bomb) < 2048
        status, answer, _ = await post(client, bomb, admin_key,
                                       headers={"Content-Encoding": "gzip"})
        assert (status, answer) == (413, invalid_request(
            "the body exceeds the limit of 2048 bytes"))

    async def test_a_body_that_does_not_unpack_is_a_parse_error(self, client: TestClient,
                                                                admin_key: str) -> None:
        status, answer, _ = await post(client, b"abcde", admin_key,
                                       headers={"Content-Encoding": "gzip"})
        assert status == 200
        assert answer["error"]["code"] == -32700 and answer["id"] is None
        assert answer["error"]["data"]["message"].startswith(
            "the body cannot be read as Content-Encoding gzip: ")

    # The order of the checks: 405, 415, 401, 413, parse error.

    async def test_405_before_401(self, client: TestClient) -> None:
        response = await client.get("/rpc")
        assert response.status == 405
        assert await response.json() == invalid_request("GET is not allowed on /rpc; use POST")

    async def test_405_before_415(self, client: TestClient) -> None:
        response = await client.put("/rpc", data="x", headers={"Content-Type": "text/plain"})
        assert response.status == 405
        assert await response.json() == invalid_request("PUT is not allowed on /rpc; use POST")

    async def test_415_before_401_and_413(self, client: TestClient) -> None:
        status, answer, _ = await post(client, padded("{", 4096), None,
                                       {"Content-Type": "text/plain"})
        assert (status, answer) == (415, invalid_request(
            "the Content-Type must be application/json"))

    async def test_401_before_413(self, client: TestClient) -> None:
        status, answer, _ = await post(client, padded("{", 4096), None)
        assert (status, answer) == (401, auth_failed("no API key was sent"))
        status, answer, _ = await post(client, padded("{", 4096), "nobody.nothing")
        assert (status, answer) == (401, auth_failed("unknown API key"))

    async def test_401_before_the_parse_error(self, client: TestClient) -> None:
        status, answer, _ = await post(client, "{", "nobody.nothing")
        assert (status, answer) == (401, auth_failed("unknown API key"))

    async def test_413_before_the_parse_error(self, client: TestClient,
                                              admin_key: str) -> None:
        status, answer, _ = await post(client, padded("{", 4096), admin_key)
        assert (status, answer) == (413, invalid_request(
            "the body exceeds the limit of 2048 bytes"))


# The request id.

async def test_every_response_carries_a_distinct_request_id(client: TestClient,
                                                            admin_key: str) -> None:
    key = {"X-Api-Key": admin_key}
    responses = [
        await client.post("/rpc", json=call("ping"), headers=key),
        await client.post("/rpc", json=call("nope"), headers=key),
        await client.post("/rpc", json=[call("ping", 1), call("nope", 2)], headers=key),
        await client.post("/rpc", json={"jsonrpc": "2.0", "method": "ping"}, headers=key),
        await client.post("/rpc", data="{", headers={**key, "Content-Type": "application/json"}),
        await client.post("/rpc", json=call("ping")),
        await client.get("/rpc"),
        await client.get("/healthz"),
        await client.get("/openrpc.json"),
        await client.get("/no/such/route"),
    ]
    assert [r.status for r in responses] == [200, 200, 200, 204, 200, 401, 405, 200, 200, 404]
    ids = [r.headers.get("X-Request-Id", "") for r in responses]
    assert all(REQUEST_ID.match(i) for i in ids), ids
    assert len(set(ids)) == len(ids)
