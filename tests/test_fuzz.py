"""Fuzzing `/rpc` and every dialect route with hostile input (spec README, "Transport" and
"The shared error envelope"; decisions-2026-12.md, sections 11 and 12).

What is fuzzed is read at test time from the app's own documents: every param of every
method from the OpenRPC document (`rpc.discover`), every dialect route with its params,
headers, path params and bodies from the OpenAPI document (`GET /openapi.json`). The
inputs: malformed JSON, wrong types, huge and negative numbers (2**63 and past it,
`1e400`, 400-digit integers), deep nesting, long strings, NUL bytes, lone surrogates,
invalid UTF-8 bodies, invalid percent-encoding in query strings and paths, repeated
params (in query strings and as repeated JSON keys), and SQL and path injection strings.

The properties, for every answer:
- it is a documented envelope: on `/rpc` the JSON-RPC 2.0 response objects with the
  error codes, messages and `data` of the spec's error table; on a dialect route that
  dialect's own error body (and, for a JSON body, the error schema its OpenAPI operation
  declares);
- never HTTP 500 or another unexpected 5xx (a documented 503 busy is allowed), never
  `-32603` (the internal error, or a call's timeout), never the internal error in a
  dialect's shape, and never a hang: each request has a time bound;
- a read method never changes a row: every table's row count is compared before and
  after each request, and every row of every table before and after each test
  (`api_keys.last_used_at` aside, which authentication moves; a call that may queue an
  export may add history reports). The methods that change data
  (`tenants.*`, `keys.*`, `DeleteRecord`, `ingest.*`, and the exports) run on a
  throwaway store of their own and are checked for the envelope only.

Each fuzz test runs on both engines against a small demo store (`gateway demo`, 100
calls, at a fixed anchor). Besides the random examples, sweeps send each value of a fixed
hostile catalogue in every param of every method (in batches; a call whose text the
gateway cannot read as JSON, such as `1e400`, alone) and of every route, so that every
param is covered on every run.

Cases found by fuzzing keep tests of their own: a request id past 64 bits
(`test_an_id_past_64_bits_is_answered`), a NUL in a text param
(`test_a_nul_in_a_text_param_is_refused`, which PostgreSQL cannot store) and a path param
holding braces (`test_a_session_id_with_braces_is_answered`).

Profiles: `ci` (tests/conftest.py: few examples, a deadline; the file takes about 75 s on
both engines on 2 cores) by default, and `long` (3,000 examples a test, no deadline, no
per-test timeout), chosen by `GATEWAY_TEST_FUZZ=long`:

    GATEWAY_TEST_FUZZ=long .venv/bin/python -m pytest -q tests/test_fuzz.py

A whole long run takes hours; `-k` picks tests (`-k "rpc_read and sqlite"`), and an
interrupted run (Ctrl-C) still prints how many requests it sent. A failing example is
printed with the request it sent and the answer (`note`), and kept in `.hypothesis/` to
be replayed first.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import datetime as dt
import hashlib
import io
import json
import os
import re
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from typing import Any, Callable, Iterator, Sequence
from urllib.parse import quote

import jsonschema
import orjson
import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient
from anchored_store import ANCHOR, changes_data
from conftest import JSON, call_as_root
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from hypothesis.control import currently_in_test_context
from hypothesis.control import note as hypothesis_note
from multidict import MultiDict
from yarl import URL

from gateway.core.config import Config
from gateway.tools.demo import run_demo
from gateway.web import appkeys
from gateway.web.app import create_app
from gateway.web.dialects.mor import HASHED, mor_secret

LONG = os.environ.get("GATEWAY_TEST_FUZZ", "").strip().lower() == "long"
settings.register_profile("long", max_examples=3_000, deadline=None,
                          suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                 HealthCheck.too_slow])
# No `explain` phase (it traces every line, far too slow here); under `ci` no shrinking
# either: a failure is reported at once, with the request that failed (`note`).
FUZZ = settings(settings.get_profile("long" if LONG else "ci"),
                phases=[Phase.explicit, Phase.reuse, Phase.generate]
                + ([Phase.target, Phase.shrink] if LONG else []))
# A test's own bound (setup.cfg's 60 s), lifted for the long run.
# Hypothesis warns of the long reprs of the bodies it prints with a failing example.
pytestmark = [pytest.mark.timeout(0 if LONG else 60),
              pytest.mark.filterwarnings("ignore::hypothesis.errors.HypothesisWarning"),
              pytest.mark.filterwarnings("ignore:Sending a large body:ResourceWarning")]

REQUEST_TIMEOUT_S = 15.0  # one request's bound: past it, the gateway hangs
DEMO_CALLS = 100
BATCH = 100  # the batch limit (spec README, "Limits")
ROLES = {"admin": "root", "reseller": "acme-telecom", "customer": "baltic-freight",
         "accountant": "root", "ingest": "root"}
SENT = [0]  # requests sent, for the long run's summary

# --- the spec's error table (README, "The shared error envelope") -------------------------

PARSE, INVALID_REQUEST, NOT_FOUND_METHOD, INVALID_PARAMS = -32700, -32600, -32601, -32602
INTERNAL = -32603
CODED = {401: "utoken-auth-failed", 403: "forbidden", 404: "not_found", 429: "rate-limited",
         503: "busy"}  # and 422, whose code is the error's own
REFUSALS = {401, 413, 415, 429, 503}  # whole-request refusals with their own HTTP status


# --- JSON text with what a JSON library would not write -------------------------------------

@dataclass(frozen=True)
class Raw:
    """JSON text written as it is (`1e400`, a 400-digit integer, broken JSON)."""

    text: str


@dataclass(frozen=True)
class Obj:
    """A JSON object as its members in order, a name possibly repeated."""

    pairs: tuple[tuple[str, Any], ...]


def dumps(value: Any) -> str:
    if isinstance(value, Raw):
        return value.text
    if isinstance(value, Obj):
        return "{" + ",".join(f"{json.dumps(k)}:{dumps(v)}" for k, v in value.pairs) + "}"
    if isinstance(value, dict):
        return dumps(Obj(tuple(value.items())))
    if isinstance(value, (list, tuple)):
        return "[" + ",".join(dumps(v) for v in value) + "]"
    return json.dumps(value)  # strings escaped as ASCII: lone surrogates stay escapes


def nested(depth: int, leaf: Any = 1, kind: str = "list") -> Raw:
    """`depth` levels of arrays (or objects) around `leaf`."""
    if kind == "list":
        return Raw("[" * depth + dumps(leaf) + "]" * depth)
    return Raw('{"a":' * depth + dumps(leaf) + "}" * depth)


# --- the hostile catalogue ------------------------------------------------------------------

HUGE_NUMBERS: list[Any] = [
    2**63, 2**63 - 1, -(2**63), -(2**63) - 1, 2**64, -(2**64), 10**30, -1, 0, 2**31,
    4102444800, 4611686018427387905, 9223372036854776, Raw("1e400"), Raw("-1e400"),
    Raw("1" + "0" * 400), Raw("-" + "9" * 5000), 1e308, -1e308, 5e-324, -0.0, 0.5, 1.0,
    Raw("1E2"), Raw("100000000000000000000.0")]
SQL_AND_PATHS = [
    "' OR '1'='1", "1' OR 1=1 --", "'; DROP TABLE sessions; --", '" OR ""="',
    "1; SELECT pg_sleep(30)", "1 UNION SELECT * FROM api_keys", "%", "%%", "_", "\\",
    "\\'", "*", "../../../../etc/passwd", "..\\..\\windows\\win.ini", "/etc/passwd",
    "file:///etc/passwd", "%2e%2e%2f", "${jndi:ldap://127.0.0.1/a}", "{{7*7}}",
    "<x>&amp;</x>]]>", "$where", "`id`"]
ODD_STRINGS = [
    "", " ", "\x00", "a\x00b", "\ud800", "\udfff", "\ufffe", "\u202e", "\U0001f642",
    "\r\nX-Injected: 1", "\t", "null", "true", "NaN", "-1", "1e400", "9" * 30, "0x10",
    "1;2;3", ";", "all", "ALL", "auto", "Etc/GMT+15", "Mars/Olympus", "UTC\x00",
    "2026-02-30 00:00:00", "2026-13-01 00:00:00", "0000-01-01 00:00:00",
    "9999-12-31 23:59:59", "2026-11-01T00:00:00Z", "2026-03-29 02:30:00", "24:00:00",
    "a" * 10_000]
LONG_STRINGS = ["x" * 200_000, "%" * 5_000, "\x00" * 1_000, "é" * 50_000]
CONTAINERS: list[Any] = [
    None, True, False, [], {}, [None], [[]], [{}], {"": None}, {"$gt": ""}, ["a"] * 1001,
    list(range(1001)), [2**63], [Raw("1e400")], ["\x00"], nested(200), nested(200, kind="obj"),
    nested(5_000), Obj((("a", 1), ("a", 2)))]
HOSTILE: list[Any] = HUGE_NUMBERS + SQL_AND_PATHS + ODD_STRINGS + LONG_STRINGS + CONTAINERS
# The sweep's share: one of each kind, so that every param of every method gets each.
SWEEP: list[Any] = [
    2**63, -(2**63) - 1, -1, 0, Raw("1e400"), Raw("1" + "0" * 400), 0.5, -0.0, "",
    "\x00", "\ud800", "' OR '1'='1", "../../../../etc/passwd", "%", "9" * 30, "1;2;3",
    "2026-02-30 00:00:00", "a" * 10_000, None, True, [], {}, ["a"] * 1001, [2**63],
    nested(200), Obj((("a", 1), ("a", 2)))]

# Text as it goes into a query string or a form: each value percent-encoded, or a raw
# fragment with invalid encodings left in.
BAD_ENCODINGS = ["%", "%zz", "%2", "%FF", "%C3%28", "%E2%82", "%ED%A0%80", "%00", "%0D%0A",
                 "+", "%2B", "%25", "&", "=", "%3D%3D", "%F0%9F%99"]
TEXTS = [t for t in SQL_AND_PATHS + ODD_STRINGS if "\ud800" not in t and "\udfff" not in t] + [
    str(n) for n in HUGE_NUMBERS if isinstance(n, int)] + [
    n.text for n in HUGE_NUMBERS if isinstance(n, Raw)] + ["x" * 5_000]

# A window inside the demo's month, and its edges.
DATES = ["2026-11-01 00:00:00", "2026-11-30 23:59:59", "2026-11-15 12:00:00",
         "2026-10-31 00:00:00", "2025-12-01 00:00:00", "2026-12-31 23:59:59"]
EPOCHS = [int(dt.datetime(2026, 11, d, tzinfo=dt.timezone.utc).timestamp()) for d in (1, 15, 30)]


# --- valid values from a JSON Schema --------------------------------------------------------

def from_schema(schema: dict[str, Any], name: str = "") -> st.SearchStrategy[Any]:
    """Values the schema allows (a subset of JSON Schema: what the documents use), leaning
    on the demo's data where a name says which (dates, epochs)."""
    if "enum" in schema:
        return st.sampled_from(schema["enum"])
    if "oneOf" in schema:
        return st.one_of([from_schema(s, name) for s in schema["oneOf"]])
    types = schema.get("type")
    if isinstance(types, list):
        return st.one_of([from_schema({**schema, "type": t}, name) for t in types])
    if types == "null":
        return st.none()
    if types == "boolean":
        return st.booleans()
    if types == "integer":
        low, high = schema.get("minimum"), schema.get("maximum")
        bounded = st.integers(low, high)
        if name in ("from", "till"):
            return st.one_of(st.sampled_from(EPOCHS), bounded)
        return st.one_of(bounded, st.sampled_from([v for v in (low, high) if v is not None]
                                                  or [0]))
    if types == "number":
        return st.floats(schema.get("minimum"), schema.get("maximum"), allow_nan=False)
    if types == "string":
        if "date" in name or name.startswith("created_"):
            return st.sampled_from(DATES)
        if "pattern" in schema:
            return st.from_regex(schema["pattern"], fullmatch=True)
        if schema.get("format") == "date-time":
            return st.just("2027-01-01T00:00:00Z")
        return st.text(min_size=schema.get("minLength", 0),
                       max_size=min(schema.get("maxLength", 40), 40))
    if types == "array":
        return st.lists(from_schema(schema.get("items", {}), name),
                        min_size=schema.get("minItems", 0),
                        max_size=min(schema.get("maxItems", 5), 5))
    if types == "object":
        properties = schema.get("properties", {})
        return st.fixed_dictionaries({}, optional={
            k: from_schema(s, k) for k, s in properties.items()})
    return json_values()


def json_values() -> st.SearchStrategy[Any]:
    """Any JSON value, with hostile leaves."""
    leaves = st.one_of(st.none(), st.booleans(), st.integers(), st.floats(allow_nan=False),
                       st.text(st.characters(codec=None), max_size=30),
                       pick(HOSTILE))
    return st.recursive(leaves, lambda inner: st.one_of(
        st.lists(inner, max_size=4), st.dictionaries(st.text(max_size=8), inner, max_size=4)),
        max_leaves=10)


def pick(values: Sequence[Any]) -> st.SearchStrategy[Any]:
    """One of `values` (by index: hypothesis need not hash or compare them)."""
    return st.integers(0, len(values) - 1).map(lambda i: values[i])


def hostile_value() -> st.SearchStrategy[Any]:
    return st.one_of(pick(HOSTILE), json_values(),
                     st.text(st.characters(codec=None), max_size=200),
                     st.integers(), st.floats(allow_nan=False, allow_infinity=False))


def param_value(schema: dict[str, Any], name: str) -> st.SearchStrategy[Any]:
    return st.one_of(from_schema(schema, name), from_schema(schema, name), hostile_value())


# --- the documents ----------------------------------------------------------------------------

@dataclass(frozen=True)
class Param:
    name: str
    schema: dict[str, Any]
    required: bool
    where: str = "query"  # for a route: "query", "path", "header" or "form"


@dataclass(frozen=True)
class Method:
    name: str
    params: tuple[Param, ...]
    errors: frozenset[int]


@dataclass(frozen=True)
class Operation:
    path: str
    verb: str
    operation_id: str
    params: tuple[Param, ...]
    body_types: tuple[str, ...]
    body_schema: dict[str, Any] | None
    responses: dict[str, Any]

    def __repr__(self) -> str:  # short: hypothesis prints it with a failing example
        return f"Operation({self.verb} {self.path})"


def methods_of(document: dict[str, Any]) -> list[Method]:
    return [Method(m["name"], tuple(Param(p["name"], p["schema"], p["required"])
                                    for p in m["params"]),
                   frozenset(e["code"] for e in m["errors"])) for m in document["methods"]]


def operations_of(document: dict[str, Any]) -> list[Operation]:
    out = []
    for path, verbs in document["paths"].items():
        for verb, op in verbs.items():
            params = [Param(p["name"], p.get("schema", {}), p.get("required", False), p["in"])
                      for p in op.get("parameters", [])]
            content = op.get("requestBody", {}).get("content", {})
            body_schema = next(iter(content.values()))["schema"] if content else None
            if body_schema is not None and "application/json" not in content:
                known = {p.name for p in params}
                params += [Param(n, s, n in body_schema.get("required", ()), "form")
                           for n, s in body_schema.get("properties", {}).items()
                           if n not in known]
            out.append(Operation(path, verb.upper(), op["operationId"], tuple(params),
                                 tuple(content), body_schema, op["responses"]))
    return out


# --- the store and the keys -----------------------------------------------------------------

@pytest.fixture
def app(config: Config) -> web.Application:
    """The app on a small demo store (at the anchored moment, so the data stays put)."""
    with contextlib.redirect_stdout(io.StringIO()) as out:
        code = run_demo(config, calls=DEMO_CALLS, seed=1, anchor=ANCHOR)
    assert code == 0, out.getvalue()
    return create_app(config)


@dataclass
class Gateway:
    client: TestClient
    keys: dict[str, str]  # role -> plain key, each unlimited
    rpc_methods: list[Method]
    operations: list[Operation]
    reads: list[Method] = field(default_factory=list)
    writes: list[Method] = field(default_factory=list)

    def __repr__(self) -> str:  # short: hypothesis prints it with a failing example
        return f"Gateway({len(self.rpc_methods)} methods, {len(self.operations)} operations)"

    @property
    def server_key(self) -> str:
        return str(self.client.app[appkeys.SERVER_KEY])


@pytest.fixture
async def gateway(client: TestClient) -> Gateway:
    keys = {}
    for role, tenant in ROLES.items():
        made = await call_as_root(client.app, "keys.create", role=role, tenant=tenant,
                                  rate_limit="unlimited")
        keys[role] = str(made["key"])
    discovered = await client.post("/rpc", json={"jsonrpc": "2.0", "method": "rpc.discover",
                                                 "id": 1}, headers={"X-Api-Key": keys["admin"]})
    methods = methods_of((await discovered.json())["result"])
    operations = operations_of(await (await client.get("/openapi.json")).json())
    assert methods and operations
    return Gateway(client, keys, methods, operations,
                   reads=[m for m in methods if not changes_data(m.name)],
                   writes=[m for m in methods if changes_data(m.name)])


@pytest.fixture(scope="module", autouse=True)
def count_requests(request: pytest.FixtureRequest) -> Iterator[None]:
    yield
    capture = request.config.pluginmanager.get_plugin("capturemanager")
    if LONG and capture is not None:
        with capture.global_and_fixture_disabled():
            print(f"\ntests/test_fuzz.py sent {SENT[0]} requests", flush=True)


# --- the store compared before and after -----------------------------------------------------

QUEUED = "history_reports"  # what a call that may queue an export adds to
MOVING = {"api_keys": ("last_used_at",)}  # what authentication writes


async def tables(client: TestClient) -> list[str]:
    db = client.app[appkeys.DB]
    if client.app[appkeys.CONFIG].database.startswith("sqlite"):
        rows = await db.fetch_all("SELECT name FROM sqlite_master WHERE type = 'table' "
                                  "AND name NOT LIKE 'sqlite_%'")
        return sorted(r["name"] for r in rows)
    rows = await db.fetch_all("SELECT tablename FROM pg_tables "
                              "WHERE schemaname = current_schema()")
    return sorted(r["tablename"] for r in rows)


async def snapshot(client: TestClient) -> dict[str, list[str]]:
    """Every table's rows, as sorted texts."""
    db = client.app[appkeys.DB]
    out = {}
    for table in await tables(client):
        rows = await db.fetch_all(f'SELECT * FROM "{table}"')
        skip = MOVING.get(table, ())
        out[table] = sorted(repr(sorted((k, v) for k, v in row.items() if k not in skip))
                            for row in rows)
    return out


def assert_unchanged(before: dict[str, list[str]], after: dict[str, list[str]],
                     may_queue: bool) -> None:
    for table in sorted(set(before) | set(after)):
        old, new = before.get(table, []), after.get(table, [])
        if table == QUEUED and may_queue:
            continue  # an export may have been queued and may have run
        assert old == new, f"a read changed the table {table}: {len(old)} rows -> {len(new)}"


async def counts(client: TestClient) -> dict[str, int]:
    """Every table's row count, in one query."""
    names = await tables(client)
    sql = " UNION ALL ".join(f"SELECT '{t}' AS name, COUNT(*) AS n FROM \"{t}\"" for t in names)
    return {r["name"]: int(r["n"]) for r in await client.app[appkeys.DB].fetch_all(sql)}


@contextlib.asynccontextmanager
async def read_only(gw: Gateway, may_queue: bool = False) -> Any:
    """Around each request: no table gains or loses a row (row counts); the rows
    themselves are compared once around the whole test (`unchanged_store`)."""
    before = await counts(gw.client)
    yield
    after = await counts(gw.client)
    for table in sorted(set(before) | set(after)):
        if table == QUEUED and may_queue:
            assert after.get(table, 0) >= before.get(table, 0), "a history report was removed"
            continue
        assert before.get(table) == after.get(table), \
            f"a read changed the table {table}: {before.get(table)} rows -> {after.get(table)}"


@pytest.fixture
async def unchanged_store(gateway: Gateway) -> Any:
    """Every row of every table the same after the test as before it (history reports,
    which a read may queue, aside)."""
    before = await snapshot(gateway.client)
    yield
    assert_unchanged(before, await snapshot(gateway.client), may_queue=True)


# --- sending ------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Answer:
    status: int
    content_type: str
    body: bytes
    headers: Any

    def json(self) -> Any:
        return json.loads(self.body)


async def send(client: TestClient, method: str, url: str, *, data: bytes | None = None,
               headers: dict[str, str] | None = None) -> Answer:
    """One request, sent as written (the URL is not re-encoded), bounded in time."""
    SENT[0] += 1
    try:
        async with asyncio.timeout(REQUEST_TIMEOUT_S):
            response = await client.request(method, URL(url, encoded=True), data=data,
                                            headers=headers or {})
            body = await response.read()
    except TimeoutError:
        pytest.fail(f"no answer within {REQUEST_TIMEOUT_S} s to {method} {url[:300]}")
    return Answer(response.status, response.content_type, body, response.headers)


def note(text: str) -> None:
    """What was sent and answered, printed with a failing example."""
    if currently_in_test_context():
        hypothesis_note(text)


def text_of(data: bytes | None, limit: int = 600) -> str:
    text = (data or b"").decode("utf-8", "backslashreplace")
    return text if len(text) <= limit else text[:limit] + f"... ({len(text)} chars)"


# --- /rpc: the envelope ---------------------------------------------------------------------

def check_error_object(error: Any, method: Method | None) -> None:
    assert isinstance(error, dict) and set(error) == {"code", "message", "data"}, error
    code, message, data = error["code"], error["message"], error["data"]
    assert isinstance(code, int) and isinstance(message, str) and isinstance(data, dict)
    assert code != INTERNAL, f"an internal error or a timeout: {error}"
    if code in (PARSE, INVALID_REQUEST):
        assert message == ("Parse error" if code == PARSE else "Invalid Request"), error
        assert set(data) == {"message"} and isinstance(data["message"], str), error
    elif code == NOT_FOUND_METHOD:
        assert message == "Method not found" and set(data) == {"method"}, error
    elif code == INVALID_PARAMS:
        assert message == "Invalid request" and data, error
        check_field_messages(data)
    elif code in CODED or code == 422:
        text_code = CODED.get(code, data.get("code"))
        assert isinstance(text_code, str) and data.get("code") == text_code, error
        assert isinstance(data.get("message"), str), error
        assert message == f"{text_code}: {data['message']}", error
        extra = {404: {"object_name", "object_id"}, 429: {"retry_after_ms"},
                 503: {"retry_after_ms"}}.get(code, set())
        assert set(data) == {"code", "message"} | extra, error
        if code == 404:
            assert isinstance(data["object_id"], str), error
    else:
        pytest.fail(f"an error code the spec does not list: {error}")
    if method is not None and code not in (PARSE, INVALID_REQUEST, NOT_FOUND_METHOD):
        assert code in method.errors, f"{method.name} answered {code}, not in its documented " \
                                      f"errors {sorted(method.errors)}"


def check_field_messages(data: dict[str, Any]) -> None:
    """One message per bad field, nested for nested params."""
    for name, message in data.items():
        assert isinstance(name, str), data
        if isinstance(message, dict):
            assert message, data
            check_field_messages(message)
        else:
            assert isinstance(message, str) and message, data


def check_response(response: Any, sent_ids: list[Any], methods: dict[str, Method],
                   method_of_id: dict[Any, str]) -> None:
    assert isinstance(response, dict), response
    assert response.get("jsonrpc") == "2.0" and "id" in response, response
    assert len({"result", "error"} & set(response)) == 1, response
    assert set(response) <= {"jsonrpc", "id", "result", "error"}, response
    id_ = response["id"]
    assert id_ is None or any(id_ == s and type(id_) is type(s) for s in sent_ids), \
        f"the id {id_!r} was not sent ({sent_ids[:5]!r})"
    if "error" in response:
        name = method_of_id.get(json.dumps(id_)) if id_ is not None else None
        check_error_object(response["error"], methods.get(name) if name else None)


def check_rpc_answer(answer: Answer, body: bytes, methods: dict[str, Method]) -> None:
    """An answer of `/rpc` to a POST with a valid key: the documented envelope."""
    note(f"POST /rpc {text_of(body)}\n-> {answer.status} {text_of(answer.body)}")
    assert answer.status < 500 or answer.status == 503, f"HTTP {answer.status}"
    if answer.status == 204:
        assert answer.body == b""
        return
    assert answer.content_type == "application/json", answer.content_type
    parsed = answer.json()
    if answer.status != 200:
        assert answer.status in REFUSALS, f"HTTP {answer.status}"
        assert isinstance(parsed, dict) and parsed.get("id") is None, parsed
        check_response(parsed, [], methods, {})
        assert parsed["error"]["code"] in (answer.status, INVALID_REQUEST), parsed
        return
    sent_ids, method_of_id = requested(body)
    for response in (parsed if isinstance(parsed, list) else [parsed]):
        check_response(response, sent_ids, methods, method_of_id)
    if isinstance(parsed, list):
        assert parsed, "an empty batch answer"


def requested(body: bytes) -> tuple[list[Any], dict[str, str]]:
    """The ids sent, and the method each names (as the standard library reads the body)."""
    try:
        parsed = json.loads(body)
    except (ValueError, RecursionError):
        return [], {}
    members = parsed if isinstance(parsed, list) else [parsed]
    ids, methods = [], {}
    for member in members:
        if isinstance(member, dict) and "id" in member:
            ids.append(member["id"])
            if isinstance(member.get("method"), str):
                with contextlib.suppress(TypeError, ValueError):
                    methods[json.dumps(member["id"])] = member["method"]
    return ids, methods


async def post_rpc(gw: Gateway, body: bytes, key: str | None = None,
                   headers: dict[str, str] | None = None) -> Answer:
    """POST the body to /rpc."""
    sent = {**JSON, "X-Api-Key": key or gw.keys["admin"], **(headers or {})}
    return await send(gw.client, "POST", "/rpc", data=body, headers=sent)


# --- /rpc: the requests -----------------------------------------------------------------------

@st.composite
def params_for(draw: st.DrawFn, method: Method) -> Any:
    """Params by name or by position: the required ones mostly valid, some others hostile,
    sometimes an unknown one or a repeated name; or params that are not a container."""
    shape = draw(st.sampled_from(["name", "name", "name", "position", "odd"]))
    if shape == "odd":
        return draw(st.one_of(hostile_value(), st.sampled_from([None, "x", 1, Raw("1e400")])))
    chosen = [p for p in method.params if p.required or draw(st.booleans())]
    values = {p.name: draw(param_value(p.schema, p.name)) for p in chosen}
    if shape == "position":
        names = [p.name for p in method.params]
        count = max([names.index(n) + 1 for n in values] or [0])
        items = [values.get(n) for n in names[:count]]
        return items + draw(st.lists(hostile_value(), max_size=2))
    pairs = list(values.items())
    if draw(st.integers(0, 4)) == 0:
        pairs.append((draw(st.sampled_from(["", "\x00", "__proto__", "x" * 300, "count",
                                            "' OR 1=1"])), draw(hostile_value())))
    if pairs and draw(st.integers(0, 4)) == 0:
        repeated = draw(st.sampled_from(pairs))
        pairs.append((repeated[0], draw(hostile_value())))
    return Obj(tuple(pairs))


@st.composite
def rpc_calls(draw: st.DrawFn, methods: Sequence[Method]) -> Any:
    """A request object, its members sometimes hostile themselves."""
    method = draw(st.sampled_from(methods))
    members: list[tuple[str, Any]] = [("jsonrpc", "2.0"), ("method", method.name)]
    params = draw(params_for(method))
    if not (isinstance(params, Obj) and not params.pairs and draw(st.booleans())):
        members.append(("params", params))
    ids: st.SearchStrategy[Any] = st.sampled_from([
        None, 0, -1, 2**63, 2**64 - 1, 2**64, -(2**63), -(2**63) - 1, 1.5, Raw("1e400"),
        Raw("1" + "0" * 400), "\x00", "\ud800", [], {}, True])
    id_: Any = draw(st.one_of(st.integers(1, 10**6), st.text(max_size=20), ids))
    if draw(st.integers(0, 9)) > 0:
        members.append(("id", id_))
    mutation = draw(st.integers(0, 14))
    if mutation == 0:
        members[0] = ("jsonrpc", draw(st.sampled_from(["1.0", "2", 2.0, None, "2.0\x00"])))
    elif mutation == 1:
        members[1] = ("method", draw(st.one_of(hostile_value(), st.sampled_from(
            [method.name.upper(), method.name + "\x00", "rpc.", "__init__", "../rpc"]))))
    elif mutation == 2:
        members.append(("method", "ping"))  # the name repeated
    elif mutation == 3:
        members.append((draw(st.text(max_size=10).filter(lambda name: name != "id")),
                        draw(hostile_value())))
    return Obj(tuple(members))


@st.composite
def rpc_bodies(draw: st.DrawFn, methods: Sequence[Method]) -> bytes:
    """A body: one call, a batch, or bytes that are not JSON at all."""
    kind = draw(st.integers(0, 9))
    if kind <= 5:
        return dumps(draw(rpc_calls(methods))).encode("utf-8", "surrogatepass")
    if kind <= 7:
        calls = draw(st.lists(st.one_of(rpc_calls(methods), hostile_value()), min_size=1,
                              max_size=8))
        return dumps(calls).encode("utf-8", "surrogatepass")
    if kind == 8:
        text = dumps(draw(rpc_calls(methods))).encode("utf-8", "surrogatepass")
        return draw(mangled(text))
    return draw(pick(BROKEN_BODIES))


@st.composite
def mangled(draw: st.DrawFn, data: bytes) -> bytes:
    """The bytes cut, with bytes inserted or replaced: invalid UTF-8, NUL, stray quotes."""
    at = draw(st.integers(0, len(data)))
    junk = draw(st.sampled_from([b"\xff", b"\xc3\x28", b"\xed\xa0\x80", b"\x00", b'"', b"}",
                                 b"\\", b"\\u", b",", b"\xef\xbb\xbf", b"NaN", b"\n"]))
    how = draw(st.integers(0, 2))
    if how == 0:
        return data[:at]
    if how == 1:
        return data[:at] + junk + data[at:]
    return data[:at] + junk + data[at + 1:]


BROKEN_BODIES = [
    b"", b" ", b"\x00", b"{", b"[", b"]", b"{}", b"[]", b"[[]]", b"null", b"1", b'"x"',
    b"\xff\xfe", b"\xef\xbb\xbf{}", b'{"jsonrpc":"2.0","method":"ping","id":1}\x00',
    b'{"jsonrpc":"2.0","method":"ping","id":1}{}', b'{"jsonrpc":"2.0","method":"\xff","id":1}',
    b'{"jsonrpc":"2.0","method":"ping","id":NaN}', b'{"jsonrpc":"2.0","method":"ping","id":1e400}',
    b'{"jsonrpc":"2.0","method":"ping","id":' + b"9" * 400 + b"}",
    b'{"jsonrpc":"2.0","method":"ping","params":' + b"[" * 100_000 + b"]" * 100_000 + b',"id":1}',
    b'{"jsonrpc":"2.0","method":"ping","params":' + b"[" * 1_000 + b"]" * 1_000 + b',"id":1}',
    b"[" + b",".join([b'{"jsonrpc":"2.0","method":"ping","id":1}'] * 101) + b"]",
    b"[" + b",".join([b'{"jsonrpc":"2.0","method":"ping"}'] * 100) + b"]",
    b'{"jsonrpc":"2.0","method":"ping","id":1,"params":"' + b"x" * (1 << 20) + b'"}',
    b'{"jsonrpc":"2.0","method":"tenants.list","params":{"count":' + b"1" * 5000 + b'},"id":1}',
    b'{"jsonrpc":"2.0","method":"tenants.list","params":[' + b"9" * 19 + b"],\"id\":1}",
    b"\x1f\x8b\x08\x00\x00\x00\x00\x00"]


# --- /rpc: the tests ------------------------------------------------------------------------

@settings(FUZZ)
@given(data=st.data())
async def test_rpc_read_methods_answer_the_envelope_and_change_nothing(
        gateway: Gateway, unchanged_store: None, data: st.DataObject) -> None:
    methods = {m.name: m for m in gateway.rpc_methods}
    body = data.draw(rpc_bodies(gateway.reads))
    role = data.draw(st.sampled_from(["admin", "admin", "reseller", "customer", "accountant"]))
    async with read_only(gateway, may_queue=b"is_async" in body):
        answer = await post_rpc(gateway, body, gateway.keys[role])
    check_rpc_answer(answer, body, methods)


@settings(FUZZ)
@given(data=st.data())
async def test_rpc_write_methods_answer_the_envelope(gateway: Gateway,
                                                     data: st.DataObject) -> None:
    """On a throwaway store: the envelope only."""
    methods = {m.name: m for m in gateway.rpc_methods}
    body = data.draw(rpc_bodies(gateway.writes))
    role = "ingest" if b'"ingest.' in body and data.draw(st.booleans()) else "admin"
    answer = await post_rpc(gateway, body, gateway.keys[role])
    check_rpc_answer(answer, body, methods)


def sweep_calls(methods: Sequence[Method]) -> list[tuple[Method, dict[str, Any]]]:
    """For every param of every method, each value of the sweep, beside valid values of the
    required params."""
    calls = []
    for method in methods:
        base = {p.name: example_value(p) for p in method.params if p.required}
        for param in method.params:
            for value in SWEEP:
                calls.append((method, {**base, param.name: value}))
    return calls


def example_value(param: Param) -> Any:
    """One valid value of a required param."""
    if "date" in param.name:
        return DATES[0] if "from" in param.name else DATES[1]
    return from_schema(param.schema, param.name).example()


async def sweep_rpc(gw: Gateway, methods: Sequence[Method], role_of: Callable[[Method], str],
                    read: bool) -> int:
    described = {m.name: m for m in gw.rpc_methods}
    calls = sweep_calls(methods)
    async with read_only(gw, may_queue=True) if read else contextlib.nullcontext():
        await sweep_batches(gw, calls, role_of, described)
    return len(calls)


async def sweep_batches(gw: Gateway, calls: list[tuple[Method, dict[str, Any]]],
                        role_of: Callable[[Method], str], described: dict[str, Method]) -> None:
    """The calls in batches (one answer per call, each with its id), except those whose
    text is not JSON the gateway reads (`1e400`): each of those alone. Every failure is
    listed."""
    requests: dict[str, list[list[Any]]] = {}
    for index, (method, params) in enumerate(calls):
        call = {"jsonrpc": "2.0", "method": method.name, "params": params, "id": index}
        batches = requests.setdefault(role_of(method), [[]])
        try:
            orjson.loads(dumps(call).encode("utf-8", "surrogatepass"))
        except orjson.JSONDecodeError:
            batches.insert(0, [call])  # alone
            continue
        if len(batches[-1]) == BATCH:
            batches.append([])
        batches[-1].append(call)
    failures = []
    for role, batches in requests.items():
        for batch in batches:
            body = dumps(batch if len(batch) > 1 else batch[0]).encode("utf-8", "surrogatepass")
            answer = await post_rpc(gw, body, gw.keys[role])
            try:
                check_rpc_answer(answer, body, described)
                if answer.status == 200 and len(batch) > 1:
                    assert isinstance(answer.json(), list), answer.json()
                    assert sorted(r["id"] for r in answer.json()) == [c["id"] for c in batch]
            except AssertionError as exc:
                failures.append(f"{str(exc).splitlines()[0]}\n  sent: {text_of(body, 300)}\n"
                                f"  answered: {text_of(answer.body, 300)}")
    assert not failures, f"{len(failures)} failures:\n" + "\n".join(failures)


async def test_rpc_sweep_every_param_of_every_read_method(
        gateway: Gateway, unchanged_store: None) -> None:
    with example_seed():
        sent = await sweep_rpc(gateway, gateway.reads, lambda method: "admin", read=True)
    assert sent == sum(len(m.params) for m in gateway.reads) * len(SWEEP)


async def test_rpc_sweep_every_param_of_every_write_method(gateway: Gateway) -> None:
    def role_of(method: Method) -> str:
        return "ingest" if method.name.startswith("ingest.") else "admin"

    with example_seed():
        sent = await sweep_rpc(gateway, gateway.writes, role_of, read=False)
    assert sent == sum(len(m.params) for m in gateway.writes) * len(SWEEP)


@contextlib.contextmanager
def example_seed() -> Iterator[None]:
    """`.example()` outside a test, without hypothesis' warning about it."""
    import warnings

    from hypothesis.errors import NonInteractiveExampleWarning
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", NonInteractiveExampleWarning)
        yield


@pytest.mark.parametrize("id_", [2**64, -(2**63) - 1], ids=["2**64", "-2**63-1"])
@pytest.mark.parametrize("batch", [False, True], ids=["single", "batch"])
async def test_an_id_past_64_bits_is_answered(gateway: Gateway, id_: int, batch: bool) -> None:
    call = {"jsonrpc": "2.0", "method": "ping", "id": id_}
    body = dumps([call] if batch else call).encode()
    check_rpc_answer(await post_rpc(gateway, body), body,
                     {m.name: m for m in gateway.rpc_methods})


# --- dialect routes: requests -------------------------------------------------------------

def encode(text: str) -> str:
    return quote(text.encode("utf-8", "surrogatepass"), safe="")


@st.composite
def query_text(draw: st.DrawFn, value: str) -> str:
    """A field's value in a query or form: encoded, or with an invalid encoding spliced in."""
    encoded = encode(value)
    if draw(st.integers(0, 5)) > 0:
        return encoded
    at = draw(st.integers(0, len(encoded)))
    return encoded[:at] + draw(st.sampled_from(BAD_ENCODINGS)) + encoded[at:]


def as_text(value: Any) -> str:
    """A value in a route's string form."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None:
        return ""
    if isinstance(value, list):
        return ";".join(as_text(v) for v in value)
    if isinstance(value, dict):
        return json.dumps(value)
    return str(value)


@st.composite
def field_value(draw: st.DrawFn, param: Param) -> str:
    choice = draw(st.integers(0, 3))
    if choice <= 1:
        return as_text(draw(from_schema(param.schema, param.name)))
    if choice == 2:
        return draw(pick(TEXTS))
    return draw(st.text(st.characters(codec=None), max_size=60))


@dataclass
class RouteRequest:
    verb: str
    url: str
    body: bytes | None
    headers: dict[str, str]
    operation: Operation

    def __repr__(self) -> str:
        return f"RouteRequest({self})"

    def __str__(self) -> str:
        head = " ".join(f"-H '{k}: {v}'" for k, v in self.headers.items())
        return f"{self.verb} {self.url[:1000]} {head} body={text_of(self.body)}"


@st.composite
def route_requests(draw: st.DrawFn, gw: Gateway, operations: Sequence[Operation]) -> RouteRequest:
    op = draw(st.sampled_from(operations))
    pairs: list[tuple[str, str]] = []  # (name, value) before encoding
    path = op.path
    headers: dict[str, str] = {}
    for param in op.params:
        if param.where == "path":
            value = draw(st.one_of(st.sampled_from(["1", "0", "-1", str(2**63), "abc"]),
                                   field_value(param)))
            segment = draw(query_text(value)) or "x"
            path = path.replace("{" + param.name + "}", segment)
        elif param.where == "header":
            if draw(st.booleans()):
                headers[param.name] = draw(st.one_of(
                    st.sampled_from(["vc", "wb", "", "VC", "vc,wb", "x" * 5000]),
                    st.text(st.characters(min_codepoint=0x20, max_codepoint=0x7e), max_size=40)))
        elif param.required or draw(st.integers(0, 3)) == 0:
            pairs.append((param.name, draw(field_value(param))))
    form_params = [p for p in op.params if p.where in ("query", "form")]
    if form_params and draw(st.integers(0, 4)) == 0:  # a param repeated
        repeated = draw(st.sampled_from(form_params))
        pairs += [(repeated.name, draw(field_value(repeated)))] * 2
    if draw(st.integers(0, 5)) == 0:  # an unknown one
        pairs.append((draw(st.sampled_from(["x", "", "\x00", "cmd", "hash", "u", "format",
                                            "' OR 1=1"])), draw(pick(TEXTS))))
    body: bytes | None = None
    json_body = op.body_types == ("application/json",)
    if json_body:
        value = draw(st.one_of(
            from_schema(op.body_schema or {}),
            st.builds(lambda base, extra: {**base, **extra}, from_schema(op.body_schema or {}),
                      st.dictionaries(st.sampled_from(list((op.body_schema or {}).get(
                          "properties", {"x": {}}))), hostile_value(), max_size=3)),
            hostile_value()))
        body = dumps(value).encode("utf-8", "surrogatepass")
        if draw(st.integers(0, 5)) == 0:
            body = draw(mangled(body))
        headers["Content-Type"] = "application/json"
    auth_pairs, auth_headers = draw(credentials(gw, op, pairs))
    headers.update(auth_headers)
    where_form = op.verb == "POST" and not json_body and op.body_types and draw(st.booleans())
    query_pairs = pairs + auth_pairs
    form_pairs: list[tuple[str, str]] = []
    if where_form:
        split = draw(st.integers(0, len(query_pairs)))
        query_pairs, form_pairs = query_pairs[:split], query_pairs[split:]
    query = "&".join(f"{encode(n)}={draw(query_text(v))}" for n, v in query_pairs)
    url = path + ("?" + query if query else "")
    if where_form:
        kind = draw(st.sampled_from(["application/x-www-form-urlencoded",
                                     "application/x-www-form-urlencoded", "multipart/form-data",
                                     "text/plain", "application/json"]))
        body, headers["Content-Type"] = form_body(draw, kind, form_pairs)
    return RouteRequest(op.verb, url, body, headers, op)


def form_body(draw: st.DrawFn, kind: str, pairs: list[tuple[str, str]]) -> tuple[bytes, str]:
    if kind == "multipart/form-data":
        boundary = "fuzzboundary"
        parts = b"".join(
            f'--{boundary}\r\nContent-Disposition: form-data; name="{n}"\r\n\r\n'.encode(
                "utf-8", "surrogatepass") + v.encode("utf-8", "surrogatepass") + b"\r\n"
            for n, v in pairs)
        if draw(st.integers(0, 4)) == 0:
            parts += (f'--{boundary}\r\nContent-Disposition: form-data; name="f"; '
                      f'filename="../../x"\r\n\r\n\x00\r\n').encode()
        body = parts + f"--{boundary}--\r\n".encode()
        if draw(st.integers(0, 4)) == 0:
            body = draw(mangled(body))
        return body, f"multipart/form-data; boundary={boundary}"
    body = "&".join(f"{encode(n)}={draw(query_text(v))}" for n, v in pairs).encode()
    if draw(st.integers(0, 5)) == 0:
        body = draw(mangled(body))
    return body, kind


def key_id(key: str) -> str:
    return key.partition(".")[0]


@st.composite
def credentials(draw: st.DrawFn, gw: Gateway, op: Operation,
                pairs: list[tuple[str, str]]) -> tuple[list[tuple[str, str]], dict[str, str]]:
    """The route's credential for a key of some role (now and then a wrong one): fields to
    add, and headers."""
    role = draw(st.sampled_from(["admin", "admin", "admin", "reseller", "customer",
                                 "accountant", "ingest"]))
    key = gw.keys[role]
    if draw(st.integers(0, 9)) == 0:
        key = draw(st.sampled_from([key_id(key) + ".wrong", "", "x", "a b",
                                    "0" * 16 + "." + "0" * 32, key + "x" * 9000]))
    if op.path.startswith("/billing/"):
        sent = "&".join(f"{encode(n)}={encode(v)}" for n, v in pairs)
        fields = MultiDict(URL("/?" + sent, encoded=True).query)
        signed = "".join(fields[name] for name in HASHED if name in fields)
        digest = hashlib.sha1((signed + mor_secret(gw.server_key, key_id(key))).encode(
            "utf-8", "surrogatepass")).hexdigest()
        return [("u", key_id(key)), ("hash", digest)], {}
    if op.path.startswith("/platform_api"):
        if draw(st.booleans()):
            return [("account_id", key_id(key)), ("api_key", key)], {}
        return [], {"Authorization": f"Bearer {key}"}
    if op.path.startswith("/ucaas/"):
        if draw(st.booleans()):
            user, _, secret = key.partition(".")
            basic = base64.b64encode(f"{user}:{secret}".encode()).decode()
            return [], {"Authorization": f"Basic {basic}"}
        return [], {"Authorization": f"Token {key}"}
    return [], {"X-Api-Key": key}


# --- dialect routes: the envelopes ----------------------------------------------------------

PLATFORM_CODES = {400: {101, 102, 105, 111}, 401: {100}, 403: {104}, 404: {101, 103},
                  405: {101}, 413: {1}, 415: {1}, 422: {1}, 429: {1}, 503: {1}}
VIDEO_CODES = {401: {1001}, 403: {0, 1001}, 404: {0}, 406: {1002, 1101, 1102, 1105, 1403},
               413: {1002}, 415: {1002}, 429: {1002}, 503: {1002}}
ACTIVE_STATUSES = {400, 401, 403, 404, 413, 415, 422, 429, 503}
MOR_INTERNAL = ("An unexpected error occurred", "timeout:")


def server_refusal(answer: Answer) -> bool:
    """The HTTP server's own 400 in plain text (a request line or header over its limits),
    which the OpenAPI document declares for every route."""
    return answer.status == 400 and answer.content_type == "text/plain"


def check_route_answer(request: RouteRequest, answer: Answer) -> None:
    note(f"{request}\n-> {answer.status} {answer.content_type} {text_of(answer.body)}")
    assert answer.status < 500 or answer.status == 503, f"HTTP {answer.status}"
    if server_refusal(answer):
        return
    path = request.operation.path
    if path.startswith("/billing/"):
        check_mor(answer)
    elif answer.status == 200:
        check_result(request, answer)
    else:
        assert answer.content_type == "application/json", answer.content_type
        body = answer.json()
        schema = request.operation.responses["default"]["content"]["application/json"]["schema"]
        jsonschema.validate(body, schema)
        if path.startswith("/platform_api"):
            assert set(body) == {"error"} and set(body["error"]) == {"code", "msg"}, body
            assert body["error"]["code"] in PLATFORM_CODES.get(answer.status, set()), \
                (answer.status, body)
        elif path.startswith("/ucaas/"):
            assert set(body) == {"result", "msg", "desc"}, body
            assert body["result"] in VIDEO_CODES.get(answer.status, set()), (answer.status, body)
        else:
            assert answer.status in ACTIVE_STATUSES, answer.status
            assert set(body) == {"error"} and set(body["error"]) <= {"message", "data"}, body
    if answer.status == 503:
        assert "Retry-After" in answer.headers


def check_mor(answer: Answer) -> None:
    """MOR: HTTP 200 always; XML `<page>` or `<status><error>text</error></status>`, or
    the JSON result with `format=json`."""
    assert answer.status == 200, f"HTTP {answer.status} on the MOR route"
    if answer.content_type == "application/json":
        result = answer.json()
        assert set(result) == {"aggregates", "totals", "currency", "timezone"}, result
        return
    assert answer.content_type == "application/xml", answer.content_type
    root = ET.fromstring(answer.body)
    if root.tag == "page":
        return
    assert root.tag == "status" and [e.tag for e in root] == ["error"], answer.body
    text = root[0].text or ""
    assert text and not text.startswith(MOR_INTERNAL), f"an internal error: {text}"


def check_result(request: RouteRequest, answer: Answer) -> None:
    if answer.content_type in ("text/csv", "application/octet-stream"):
        assert request.operation.path.startswith("/platform_api"), answer.content_type
        return
    assert answer.content_type == "application/json", answer.content_type
    schema = request.operation.responses["200"]["content"]["application/json"]["schema"]
    jsonschema.validate(answer.json(), schema)


async def send_route(gw: Gateway, request: RouteRequest) -> Answer:
    return await send(gw.client, request.verb, request.url, data=request.body,
                      headers=request.headers)


# --- dialect routes: the tests ----------------------------------------------------------------

def writes(op: Operation) -> bool:
    return changes_data(op.operation_id.rsplit(".", 1)[0] if op.operation_id.endswith(
        (".get", ".post")) else op.operation_id)


@settings(FUZZ)
@given(data=st.data())
async def test_read_routes_answer_their_envelope_and_change_nothing(
        gateway: Gateway, unchanged_store: None, data: st.DataObject) -> None:
    operations = [op for op in gateway.operations if not writes(op)]
    request = data.draw(route_requests(gateway, operations))
    may_queue = "is_async" in request.url or b"is_async" in (request.body or b"")
    async with read_only(gateway, may_queue):
        answer = await send_route(gateway, request)
    check_route_answer(request, answer)


@settings(FUZZ)
@given(data=st.data())
async def test_write_routes_answer_their_envelope(gateway: Gateway,
                                                  data: st.DataObject) -> None:
    operations = [op for op in gateway.operations if writes(op)]
    request = data.draw(route_requests(gateway, operations))
    check_route_answer(request, await send_route(gateway, request))


@pytest.mark.parametrize("segment", ["%7B", "%7D", "a%7Bb%7D"])
async def test_a_session_id_with_braces_is_answered(gateway: Gateway, segment: str) -> None:
    """A session id is any string (OpenAPI: minLength 1): one with braces is an unknown
    session, answered in the video routes' shape."""
    [operation] = [o for o in gateway.operations if o.operation_id == "ucaas.sessions.cdr"]
    sent = RouteRequest("GET", f"/ucaas/v1/sessions/{segment}/cdr", None,
                        {"Authorization": f"Token {gateway.keys['admin']}"}, operation)
    check_route_answer(sent, await send_route(gateway, sent))


ROUTE_SWEEP = ["%zz", "%FF", "%C3%28", "%00", "%", "'%20OR%20'1'%3D'1", "..%2F..%2Fetc%2Fpasswd",
               str(2**63), str(-(2**63) - 1), "1e400", "9" * 30, "-1", "1%3B2%3B3", "",
               "x" * 5000]


async def test_routes_sweep_every_param(gateway: Gateway, unchanged_store: None) -> None:
    """Every param of every route, with each raw value of the sweep (already encoded, invalid
    encodings left in), then the same param repeated; the route's credential for an admin."""
    count = 0
    failures: list[str] = []
    with example_seed():
        for op in gateway.operations:
            count += await sweep_operation(gateway, op, failures)
    assert not failures, f"{len(failures)} failures:\n" + "\n".join(failures)
    assert count == sum(len(op.params) for op in gateway.operations) * (len(ROUTE_SWEEP) + 1)


async def sweep_operation(gateway: Gateway, op: Operation, failures: list[str]) -> int:
    count = 0
    required = {p.name: as_text(example_value(p)) for p in op.params
                if p.required and p.where in ("query", "form")}
    async with read_only(gateway, True) if not writes(op) else contextlib.nullcontext():
        for param in op.params:
            for raw in ROUTE_SWEEP + [None]:
                request = sweep_request(gateway, op, required, param, raw)
                answer = await send_route(gateway, request)
                count += 1
                try:
                    check_route_answer(request, answer)
                except AssertionError as exc:
                    failures.append(f"{str(exc).splitlines()[0]}\n  sent: {request}\n  "
                                    f"answered: {answer.status} {text_of(answer.body, 300)}")
    return count


def sweep_request(gw: Gateway, op: Operation, required: dict[str, str], param: Param,
                  raw: str | None) -> RouteRequest:
    """`raw` (encoded as it stands) in `param`, or, for None, the param sent twice."""
    key = gw.keys["admin"]
    headers: dict[str, str] = {}
    fields = [(n, encode(v)) for n, v in required.items() if n != param.name]
    path = op.path
    if param.where == "path":
        path = path.replace("{" + param.name + "}", raw or "1")
    elif param.where == "header":
        headers[param.name] = URL("/?v=" + (raw or ""), encoded=True).query.get("v", "")
        headers[param.name] = "".join(c for c in headers[param.name] if " " <= c <= "~")
    elif raw is None:
        fields += [(param.name, "1"), (param.name, "2")]
    else:
        fields.append((param.name, raw))
    body = None
    if op.body_types == ("application/json",):
        body = b"{}"
        headers["Content-Type"] = "application/json"
    if op.path.startswith("/billing/"):
        decoded = MultiDict(URL("/?" + "&".join(f"{n}={v}" for n, v in fields),
                                encoded=True).query)
        signed = "".join(decoded[name] for name in HASHED if name in decoded)
        digest = hashlib.sha1((signed + mor_secret(gw.server_key, key_id(key))).encode(
            "utf-8", "surrogatepass")).hexdigest()
        fields += [("u", key_id(key)), ("hash", digest)]
    elif op.path.startswith("/platform_api"):
        fields += [("account_id", key_id(key)), ("api_key", encode(key))]
    elif op.path.startswith("/ucaas/"):
        headers["Authorization"] = f"Token {key}"
    else:
        headers["X-Api-Key"] = key
    path = re.sub(r"\{[^}]*\}", "1", path)  # the other path params
    query = "&".join(f"{n}={v}" for n, v in fields)
    if op.verb == "POST" and op.body_types and body is None:
        body = query.encode()
        headers["Content-Type"] = "application/x-www-form-urlencoded"
        query = ""
    return RouteRequest(op.verb, path + ("?" + query if query else ""), body, headers, op)


# --- the routes the OpenAPI document leaves out -------------------------------------------------

@pytest.mark.parametrize("url", [
    "/platform_api", "/platform_api/%zz", "/platform_api/GetCallHistory%00",
    "/platform_api/..%2F..%2Frpc", "/reports/files/1", "/reports/files/%zz",
    f"/reports/files/{2**63}", "/reports/files/-1", "/reports/files/..%2F..%2Fetc%2Fpasswd",
    "/reports/files/1e400", "/reports/files/%00"])
async def test_routes_outside_the_document_answer_their_envelope(gateway: Gateway,
                                                                 url: str) -> None:
    """`POST /platform_api` with `cmd`, unknown method names, and report files."""
    key = gateway.keys["admin"]
    for verb, body, headers in [
            ("GET", None, {"Authorization": f"Bearer {key}"}),
            ("POST", b"cmd=%zz&api_key=" + encode(key).encode(),
             {"Content-Type": "application/x-www-form-urlencoded"}),
            ("POST", b"cmd=GetCallHistory&from_date=%FF&api_key=" + encode(key).encode(),
             {"Content-Type": "application/x-www-form-urlencoded"}),
            ("GET", None, {"X-Api-Key": key})]:
        async with read_only(gateway):
            answer = await send(gateway.client, verb, url, data=body, headers=headers)
        note(f"{verb} {url} -> {answer.status} {text_of(answer.body)}")
        assert answer.status < 500 or answer.status == 503, (verb, url, answer.status,
                                                             text_of(answer.body))
        assert answer.content_type == "application/json", answer.content_type
        error = answer.json()
        if answer.status != 200:
            assert set(error) == {"error"}, error
            inner = error["error"]
            if url.startswith("/platform_api"):
                assert set(inner) == {"code", "msg"} and inner["code"] != 2, error
            else:
                assert {"code", "message"} <= set(inner) and inner["code"] != INTERNAL, error


@pytest.mark.parametrize("where", ["rpc", "mor", "platform", "video"])
async def test_a_nul_in_a_text_param_is_refused(gateway: Gateway, engine: str, where: str,
                                                request: pytest.FixtureRequest) -> None:
    """A NUL in a text param: an invalid-params answer or an empty result, never the
    internal error."""
    if where == "rpc":
        body = dumps({"jsonrpc": "2.0", "method": "aggregate_get", "params": {"a_src": "\x00"},
                      "id": 1}).encode()
        check_rpc_answer(await post_rpc(gateway, body), body,
                         {m.name: m for m in gateway.rpc_methods})
        return
    op = {"mor": "aggregate_get.get", "platform": "GetAuditLog.get",
          "video": "ucaas.sessions.cdr"}[where]
    [operation] = [o for o in gateway.operations if o.operation_id == op]
    [param] = [p for p in operation.params if p.name in ("a_src", "filtered_cmd", "session_id")]
    required = {p.name: as_text(example_value(p)) for p in operation.params
                if p.required and p.where == "query"}
    sent = sweep_request(gateway, operation, required, param, "%00")
    check_route_answer(sent, await send(gateway.client, sent.verb, sent.url, data=sent.body,
                                        headers=sent.headers))
