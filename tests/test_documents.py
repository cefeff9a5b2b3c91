"""The documents generic tools read (decisions of December 2026, sections 11 and 14):
`/openrpc.json` and `rpc.discover` against the official OpenRPC meta-schema, their
`servers` URL, every param and result typed, the examples answered exactly on the anchored
demo store (tests/anchored_store.py), `@open-rpc/test-coverage` once per role, and a
bounded schemathesis run of the dialect routes of `/openapi.json`.

The node tools live in tests/node-docs (`npm ci --prefix tests/node-docs`); without node
or them these tests skip, except under CI (`CI=true`), where they fail."""

from __future__ import annotations

import asyncio
import json
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any, Awaitable, Callable, Iterator, TypeVar

import pytest
from aiohttp import ClientSession, web
from aiohttp.test_utils import TestClient, TestServer
from anchored_store import (CHANGES_SEED, SEED, build_store, changes_data, copy_store,
                            examples_path, fixed, store_config)
from conftest import missing_tool
from jsonschema import Draft7Validator, FormatChecker
from pg_cluster import Databases
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT7

from gateway.core.config import load_config
from gateway.web import openapi
from gateway.web.app import create_app
from gateway.web.dialects import DIALECTS
from methods import all_methods, openrpc

NODE_DOCS = Path(__file__).resolve().parent / "node-docs"
EXAMPLES: dict[str, list[dict[str, Any]]] = json.loads(examples_path().read_text())["methods"]
# rpc.discover answers the document itself, examples included: no example can hold it.
# DownloadHistoryReport needs a finished export, which no store holds before a call.
WITHOUT_EXAMPLES = {"rpc.discover", "DownloadHistoryReport"}
ROLES = ("admin", "reseller", "customer", "accountant", "ingest")
NODE_TIMEOUT_S = 60

T = TypeVar("T")


def _need_node() -> str:
    node = shutil.which("node")
    if node is None or not (NODE_DOCS / "node_modules" / "@open-rpc").is_dir():
        missing_tool("needs node and tests/node-docs/node_modules "
                     "(npm ci --prefix tests/node-docs)")
    return node


# --- the anchored store --------------------------------------------------------------

@pytest.fixture(scope="module")
def anchored(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, dict[str, str]]:
    """(the store read examples run on, an untouched copy, the demo's key per role)."""
    store = tmp_path_factory.mktemp("anchored")
    keys = build_store(store)
    pristine = tmp_path_factory.mktemp("pristine")
    copy_store(store, pristine)
    return store, pristine, keys


async def serve(folder: Path, database: str | None = None) -> TestServer:
    server = TestServer(create_app(store_config(folder, database)), host="127.0.0.1")
    await server.start_server()
    return server


async def call(session: ClientSession, server: TestServer, key: str, method: str,
               params: Any) -> Any:
    body = {"jsonrpc": "2.0", "id": 1, "method": method, "params": params}
    async with session.post(server.make_url("/rpc"), json=body,
                            headers={"X-Api-Key": key}) as response:
        assert response.status == 200
        return await response.json()


async def document_of(server: TestServer) -> dict[str, Any]:
    async with ClientSession() as session:
        async with session.get(server.make_url("/openrpc.json")) as response:
            found: dict[str, Any] = await response.json()
    return found


# --- gateway demo --anchor ------------------------------------------------------------

def demo_command(folder: Path, *arguments: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "gateway", "demo", "--calls", "100",
                           *arguments], cwd=folder, capture_output=True, text=True, timeout=60,
                          env={"GATEWAY_DATABASE": f"sqlite:///{folder}/g.db", "PATH": ""})


def test_the_anchor_fixes_where_the_data_lies_and_another_one_is_refused(
        tmp_path: Path) -> None:
    done = demo_command(tmp_path, "--anchor", "2026-11-30T12:00:30+01:00")
    assert done.returncode == 0, done.stderr
    # 12:00:30+01:00 is 11:00:30 UTC; the data ends at the start of that minute
    assert "(seed 1, 30 days to 2026-11-30T11:00:00Z)" in done.stdout.splitlines()[-1]
    again = demo_command(tmp_path, "--anchor", "2026-11-30T12:00:00Z")
    assert again.returncode == 2
    assert again.stderr == ("gateway demo: this store holds the demo data of seed 1 anchored "
                            "at 2026-11-30T11:00:00Z; run it with that --anchor (or none), or "
                            "with another --seed\n")
    unpinned = demo_command(tmp_path)  # no --anchor: the store's own
    assert unpinned.returncode == 0, unpinned.stderr
    assert "(seed 1, 30 days to 2026-11-30T11:00:00Z)" in unpinned.stdout.splitlines()[-1]


def test_an_anchor_without_an_offset_is_refused(tmp_path: Path) -> None:
    done = demo_command(tmp_path, "--anchor", "2026-11-30T12:00:00")
    assert done.returncode == 2
    assert done.stderr.endswith("argument --anchor: the timestamp has no offset (add Z for "
                                "UTC): '2026-11-30T12:00:00'\n")
    assert not (tmp_path / "g.db").exists()


# --- the meta-schema -------------------------------------------------------------------

@pytest.fixture(scope="module")
def meta_schema() -> Draft7Validator:
    """The OpenRPC meta-schema of @open-rpc/meta-schema, with the JSON Schema meta-schema
    it refers to, and a checker of the `uri` format (rfc3986-validator)."""
    node = _need_node()
    printed = subprocess.run([node, str(NODE_DOCS / "meta-schemas.js")], capture_output=True,
                             text=True, check=True, cwd=NODE_DOCS, timeout=NODE_TIMEOUT_S)
    schemas = json.loads(printed.stdout)
    json_schema = Resource.from_contents(schemas["jsonSchema"], default_specification=DRAFT7)
    registry: Registry[Any] = Registry().with_resources(
        [("https://meta.json-schema.tools", json_schema),
         ("https://meta.json-schema.tools/", json_schema)])
    checker = FormatChecker()
    assert "uri" in checker.checkers, "the uri format needs rfc3986-validator"
    return Draft7Validator(schemas["openrpc"], registry=registry, format_checker=checker)


def errors_of(validator: Draft7Validator, document: dict[str, Any]) -> list[str]:
    return [f"{'/'.join(map(str, e.absolute_path))}: {e.message}"
            for e in validator.iter_errors(document)]


async def test_openrpc_json_and_rpc_discover_validate_against_the_meta_schema(
        meta_schema: Draft7Validator, anchored: tuple[Path, Path, dict[str, str]]) -> None:
    store, _, keys = anchored
    with fixed():
        server = await serve(store)
        try:
            served = await document_of(server)
            async with ClientSession() as session:
                discovered = (await call(session, server, keys["ingest"], "rpc.discover",
                                         []))["result"]
        finally:
            await server.close()
    assert errors_of(meta_schema, served) == []
    assert discovered == served


def test_the_meta_schema_refuses_a_relative_servers_url(meta_schema: Draft7Validator) -> None:
    document = {"openrpc": "1.3.2", "info": {"title": "t", "version": "1"}, "methods": [],
                "servers": [{"url": "/rpc"}]}
    assert errors_of(meta_schema, document) == ["servers/0/url: '/rpc' is not a 'uri'"]


# --- the servers URL -------------------------------------------------------------------

def servers_app(tmp_path: Path, **overrides: Any) -> web.Application:
    return create_app(load_config(environ={}, search_default=False, overrides={
        "database": f"sqlite:///{tmp_path}/gateway.db",
        "exports": {"folder": str(tmp_path)}, **overrides}))


async def servers_url(client: TestClient, **headers: str) -> str:
    response = await client.get("/openrpc.json", headers=headers)
    url: str = (await response.json())["servers"][0]["url"]
    return url


async def test_the_servers_url_is_the_requests_own_scheme_and_host(
        aiohttp_client: Any, tmp_path: Path) -> None:
    client = await aiohttp_client(servers_app(tmp_path))
    assert await servers_url(client) == f"http://127.0.0.1:{client.port}/rpc"
    assert await servers_url(client, Host="gw.example.com:8443") == \
        "http://gw.example.com:8443/rpc"


async def test_an_untrusted_peer_cannot_move_the_servers_url(
        aiohttp_client: Any, tmp_path: Path) -> None:
    client = await aiohttp_client(servers_app(tmp_path))
    assert await servers_url(client, **{"X-Forwarded-Proto": "https",
                                        "X-Forwarded-Host": "evil.example"}) == \
        f"http://127.0.0.1:{client.port}/rpc"


async def test_a_trusted_proxy_names_the_scheme_and_host(aiohttp_client: Any,
                                                         tmp_path: Path) -> None:
    client = await aiohttp_client(servers_app(tmp_path, proxies={"trusted": ["127.0.0.1/32"]}))
    assert await servers_url(client, **{"X-Forwarded-Proto": "https",
                                        "X-Forwarded-Host": "gw.example.com"}) == \
        "https://gw.example.com/rpc"
    # proxies in a row: the first one's (the client-facing) values
    assert await servers_url(client, **{"X-Forwarded-Proto": "https, http",
                                        "X-Forwarded-Host": "gw.example.com, inner:8080"}) == \
        "https://gw.example.com/rpc"
    # a value that is not a scheme and a host is not echoed
    assert await servers_url(client, **{"X-Forwarded-Proto": "javascript",
                                        "X-Forwarded-Host": "gw.example.com"}) == \
        f"http://127.0.0.1:{client.port}/rpc"


async def test_public_url_wins(aiohttp_client: Any, tmp_path: Path) -> None:
    client = await aiohttp_client(servers_app(
        tmp_path, public_url="https://reports.example.com/gateway/",
        proxies={"trusted": ["127.0.0.1/32"]}))
    assert await servers_url(client, **{"X-Forwarded-Host": "gw.example.com"}) == \
        "https://reports.example.com/gateway/rpc"


# --- every param and result typed ------------------------------------------------------

def schemas_in(value: Any, path: str) -> Iterator[tuple[str, dict[str, Any]]]:
    """Every subschema of a schema, with its path (values of `default`, `enum`, `const`
    and `examples` are data, not schemas)."""
    if isinstance(value, dict):
        yield path, value
        for key, inner in value.items():
            if key in ("properties", "patternProperties"):
                for name, schema in inner.items():
                    yield from schemas_in(schema, f"{path}/{key}/{name}")
            elif key in ("items", "additionalProperties", "not"):
                yield from schemas_in(inner, f"{path}/{key}")
            elif key in ("oneOf", "anyOf", "allOf"):
                for n, schema in enumerate(inner):
                    yield from schemas_in(schema, f"{path}/{key}/{n}")


@pytest.fixture(scope="module")
def described() -> dict[str, Any]:
    return openrpc.document(all_methods(), "http://127.0.0.1/rpc")


def every_schema(document: dict[str, Any]) -> Iterator[tuple[str, dict[str, Any]]]:
    for method in document["methods"]:
        for param in method["params"]:
            yield from schemas_in(param["schema"], f"{method['name']}({param['name']})")
        yield from schemas_in(method["result"]["schema"], f"{method['name']} result")


def test_no_schema_is_empty_and_every_array_says_its_items(described: dict[str, Any]) -> None:
    assert [path for path, schema in every_schema(described)
            if not set(schema) - {"description", "default"}] == []
    assert [path for path, schema in every_schema(described)
            if "array" in schema.get("type", ()) and "items" not in schema] == []


def test_every_param_says_its_type(described: dict[str, Any]) -> None:
    untyped = [f"{m['name']}({p['name']})" for m in described["methods"] for p in m["params"]
               if not {"type", "oneOf", "anyOf", "enum", "const"} & set(p["schema"])]
    assert untyped == []


def param_schema(document: dict[str, Any], method: str, name: str) -> dict[str, Any]:
    [found] = [p["schema"] for m in document["methods"] if m["name"] == method
               for p in m["params"] if p["name"] == name]
    return found


@pytest.mark.parametrize(("text", "valid"), [
    ("2026-11-30 12:00:00", True), ("2026-12-31 23:59:59", True), ("2026-01-01 00:00:00", True),
    ("2026-13-01 00:00:00", False), ("2026-00-10 00:00:00", False),
    ("2026-11-32 00:00:00", False), ("2026-11-00 00:00:00", False),
    ("2026-11-30 24:00:00", False), ("2026-11-30 12:60:00", False),
    ("2026-11-30 12:00:60", False), ("2026-11-30T12:00:00", False), ("2026-11-30", False)])
def test_the_date_pattern_refuses_impossible_dates(described: dict[str, Any], text: str,
                                                   valid: bool) -> None:
    schema = param_schema(described, "GetCallHistory", "from_date")
    assert bool(re.search(schema["pattern"], text)) is valid


@pytest.mark.parametrize(("text", "valid"), [
    ("2026-11-30T12:00:00Z", True), ("2026-11-30T12:00:00.5+02:00", True),
    ("2026-11-30 12:00:00-05:00", True), ("2026-11-30T12:00:00", False),
    ("2026-02-31T25:00:00Z", False), ("2026-11-30T12:00:00+24:00", False)])
def test_the_rfc3339_pattern(described: dict[str, Any], text: str, valid: bool) -> None:
    schema = param_schema(described, "keys.create", "expires_at")
    assert bool(re.search(schema["pattern"], text)) is valid


def test_field_names_are_enums_and_lists_the_gateway_refuses_empty_say_so(
        described: dict[str, Any]) -> None:
    fields = param_schema(described, "reports.active_sessions.query", "return_fields")
    assert fields["minItems"] == 1
    assert "session_id" in fields["items"]["enum"]
    order = param_schema(described, "reports.active_sessions.query", "order")
    assert {"duration", "-duration"} <= set(order["items"]["enum"])
    ids = param_schema(described, "GetCallHistory", "call_session_history_id")
    assert (ids["minItems"], ids["maxItems"]) == (1, 1000)
    search = param_schema(described, "ucaas.sessions.list", "search_by")
    assert search["oneOf"][0]["enum"] == ["room_id", "session_id", "user_id", "meeting_id",
                                          "from_session_date", "to_session_date"]


# --- the examples ----------------------------------------------------------------------

def test_every_method_has_an_example_and_each_example_a_role_that_may_call_it() -> None:
    methods = all_methods()
    assert sorted(set(methods) - set(EXAMPLES)) == sorted(WITHOUT_EXAMPLES)
    assert set(EXAMPLES) <= set(methods)
    for name, examples in EXAMPLES.items():
        for example in examples:
            assert example["role"] in methods[name].roles, (name, example["name"])


def test_every_example_result_matches_its_result_schema(described: dict[str, Any]) -> None:
    for method in described["methods"]:
        validator = Draft7Validator(method["result"]["schema"])
        for example in method.get("examples", []):
            errors = [e.message for e in validator.iter_errors(example["result"]["value"])]
            assert errors == [], (method["name"], example["name"])


def test_example_params_come_in_positional_order(described: dict[str, Any]) -> None:
    [aggregate] = [m for m in described["methods"] if m["name"] == "aggregate_get"]
    [example] = aggregate["examples"]
    # positions 1 to 6: from, till, then a_currency and three groupings at their defaults
    assert [(p["name"], p["value"]) for p in example["params"]] == [
        ("from", 1795910400), ("till", 1795996799), ("a_currency", "USD"),
        ("group_by_user", 0), ("group_by_device", 0), ("group_by_terminator", 1)]


READ_EXAMPLES = [(m, e["name"]) for m, es in EXAMPLES.items() if not changes_data(m)
                 for e in es]


@pytest.mark.parametrize(("method", "name"), READ_EXAMPLES,
                         ids=[f"{m}:{n}" for m, n in READ_EXAMPLES])
async def test_a_read_example_is_answered_exactly(
        anchored: tuple[Path, Path, dict[str, str]], method: str, name: str) -> None:
    store, _, keys = anchored
    [example] = [e for e in EXAMPLES[method] if e["name"] == name]
    with fixed():
        server = await serve(store)
        try:
            async with ClientSession() as session:
                by_name = await call(session, server, keys[example["role"]], method,
                                     example["params"])
        finally:
            await server.close()
    assert by_name == {"jsonrpc": "2.0", "id": 1, "result": example["result"]}


@pytest.fixture(scope="module")
def anchored_postgresql(postgres: Databases, tmp_path_factory: pytest.TempPathFactory
                        ) -> Iterator[tuple[str, dict[str, str]]]:
    """(an untouched PostgreSQL database of the same store, the demo's key per role); tests
    run on copies of it."""
    name = postgres.create()
    try:
        yield name, build_store(tmp_path_factory.mktemp("anchored-pg"), postgres.dsn(name))
    finally:
        postgres.drop(name)


def on_a_postgresql_copy(postgres: Databases, pristine: str, folder: Path, seed: int,
                         run: Callable[[TestServer], Awaitable[T]]) -> T:
    """`run(server)` against a gateway on a fresh copy of the PostgreSQL store."""
    name = postgres.copy(pristine)

    async def served() -> T:
        server = await serve(folder, postgres.dsn(name))
        try:
            return await run(server)
        finally:
            await server.close()
    try:
        with fixed(seed):
            return asyncio.run(served())
    finally:
        postgres.drop(name)


def test_the_read_examples_are_the_answers_on_postgresql_too(
        postgres: Databases, anchored_postgresql: tuple[str, dict[str, str]],
        tmp_path: Path) -> None:
    """The same store built on PostgreSQL answers every read example the same."""
    pristine, keys = anchored_postgresql

    async def answers(server: TestServer) -> list[tuple[str, str, Any]]:
        async with ClientSession() as session:
            return [(method, name, await call(session, server, keys[example["role"]], method,
                                              example["params"]))
                    for method, name in READ_EXAMPLES
                    for example in EXAMPLES[method] if example["name"] == name]
    got = on_a_postgresql_copy(postgres, pristine, tmp_path, SEED, answers)
    assert [(m, n, answer.get("result")) for m, n, answer in got] == [
        (m, n, e["result"]) for m, n in READ_EXAMPLES for e in EXAMPLES[m] if e["name"] == n]


CHANGING_METHODS = [m for m in EXAMPLES if changes_data(m)]


@pytest.mark.parametrize("method", CHANGING_METHODS)
async def test_a_data_changing_example_is_answered_exactly_on_a_throwaway_store(
        anchored: tuple[Path, Path, dict[str, str]], tmp_path: Path, method: str) -> None:
    _, pristine, keys = anchored
    copy_store(pristine, tmp_path)
    with fixed(CHANGES_SEED):
        server = await serve(tmp_path)
        try:
            async with ClientSession() as session:
                for example in EXAMPLES[method]:  # in order, as test-coverage calls them
                    answer = await call(session, server, keys[example["role"]], method,
                                        example["params"])
                    assert answer == {"jsonrpc": "2.0", "id": 1, "result": example["result"]}
        finally:
            await server.close()


@pytest.mark.parametrize("method", CHANGING_METHODS)
def test_a_data_changing_example_is_answered_exactly_on_postgresql_too(
        postgres: Databases, anchored_postgresql: tuple[str, dict[str, str]], tmp_path: Path,
        method: str) -> None:
    pristine, keys = anchored_postgresql

    async def answers(server: TestServer) -> list[Any]:
        async with ClientSession() as session:
            return [await call(session, server, keys[example["role"]], method,
                               example["params"]) for example in EXAMPLES[method]]
    assert on_a_postgresql_copy(postgres, pristine, tmp_path, CHANGES_SEED, answers) == [
        {"jsonrpc": "2.0", "id": 1, "result": example["result"]}
        for example in EXAMPLES[method]]


# --- @open-rpc/test-coverage -----------------------------------------------------------

async def run_coverage(node: str, server: TestServer, key: str, role: str,
                       methods: list[str]) -> list[dict[str, Any]]:
    process = await asyncio.create_subprocess_exec(
        node, str(NODE_DOCS / "coverage.js"), str(server.make_url("/openrpc.json")), key, role,
        ",".join(methods), cwd=NODE_DOCS, stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE)
    out, err = await asyncio.wait_for(process.communicate(), NODE_TIMEOUT_S)
    calls = [json.loads(line) for line in out.decode().splitlines() if line.startswith("{")]
    assert process.returncode == 0, (calls, err.decode()[-2000:])
    return calls


def examples_of(role: str, methods: list[str]) -> list[str]:
    return sorted(m for m in methods for e in EXAMPLES[m] if e["role"] == role)


@pytest.mark.parametrize("role", ROLES)
async def test_test_coverage_passes_every_read_example_of_a_role(
        anchored: tuple[Path, Path, dict[str, str]], role: str) -> None:
    node = _need_node()
    store, _, keys = anchored
    methods = sorted({m for m, _ in READ_EXAMPLES})
    expected = examples_of(role, methods)
    assert expected, f"no read example belongs to {role}"
    with fixed():
        server = await serve(store)
        try:
            calls = await run_coverage(node, server, keys[role], role, methods)
        finally:
            await server.close()
    assert sorted(c["method"] for c in calls if c["valid"]) == expected


@pytest.mark.parametrize("method", CHANGING_METHODS)
async def test_test_coverage_passes_a_data_changing_example_on_a_throwaway_store(
        anchored: tuple[Path, Path, dict[str, str]], tmp_path: Path, method: str) -> None:
    node = _need_node()
    _, pristine, keys = anchored
    [role] = {e["role"] for e in EXAMPLES[method]}  # one role's calls per throwaway store
    copy_store(pristine, tmp_path)
    with fixed(CHANGES_SEED):
        server = await serve(tmp_path)
        try:
            calls = await run_coverage(node, server, keys[role], role, [method])
        finally:
            await server.close()
    assert [(c["method"], c["valid"]) for c in calls] == [(method, True)] * len(EXAMPLES[method])


# --- schemathesis on the dialect routes ------------------------------------------------

SCHEMATHESIS = Path(sys.executable).parent / "schemathesis"
CHECKS = ("not_a_server_error,status_code_conformance,content_type_conformance,"
          "response_schema_conformance")
FUZZ_EXAMPLES = 10  # per operation: about 15 s for the 25 operations on 2 cores
FUZZ_TIMEOUT_S = 120


async def fuzz(server: TestServer, folder: Path, *options: str) -> str:
    """One bounded, seeded schemathesis run of /openapi.json; what it printed."""
    process = await asyncio.create_subprocess_exec(
        str(SCHEMATHESIS), "run", str(server.make_url("/openapi.json")), "--checks", CHECKS,
        "--phases", "examples,fuzzing", "--max-examples", str(FUZZ_EXAMPLES), "--seed", "1",
        "--request-timeout", "10", "--no-shrink", "--no-color", *options, cwd=folder,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT)
    out, _ = await asyncio.wait_for(process.communicate(), FUZZ_TIMEOUT_S)
    printed = out.decode()
    assert process.returncode == 0, printed[-6000:]
    return printed


@pytest.mark.timeout(2 * FUZZ_TIMEOUT_S + 30)
async def test_schemathesis_finds_no_5xx_and_no_undeclared_answer_on_the_dialect_routes(
        anchored: tuple[Path, Path, dict[str, str]], tmp_path: Path) -> None:
    _, pristine, keys = anchored
    store = tmp_path / "store"
    copy_store(pristine, store)  # DeleteRecord may delete what it finds
    with fixed(CHANGES_SEED):
        server = await serve(store)
        try:
            # MOR's `hash` is per request: its route answers the generated ones' refusals
            bearer = await fuzz(server, tmp_path, "--exclude-path-regex", "^/ucaas",
                                "--header", f"Authorization: Bearer {keys['admin']}")
            token = await fuzz(server, tmp_path, "--include-path-regex", "^/ucaas/v1/sessions",
                               "--header", f"Authorization: Token {keys['customer']}")
        finally:
            await server.close()
    assert re.search(r"\d+ generated, \d+ passed", bearer), bearer[-3000:]
    assert re.search(r"\d+ generated, \d+ passed", token), token[-3000:]


# --- /openapi.json ---------------------------------------------------------------------

@pytest.fixture(scope="module")
def openapi_document() -> dict[str, Any]:
    return openapi.document(all_methods(), DIALECTS)


def test_a_platform_post_declares_its_fields_once_in_the_form(
        openapi_document: dict[str, Any]) -> None:
    post = openapi_document["paths"]["/platform_api/GetCallHistory"]["post"]
    assert post["parameters"] == []
    body = post["requestBody"]
    assert body["required"] is True
    assert set(body["content"]) == {"application/x-www-form-urlencoded", "multipart/form-data"}
    form = body["content"]["application/x-www-form-urlencoded"]["schema"]
    assert form["required"] == ["from_date", "to_date"]
    get = openapi_document["paths"]["/platform_api/GetCallHistory"]["get"]
    assert [p["name"] for p in get["parameters"]] == list(form["properties"])
    assert {p["in"] for p in get["parameters"]} == {"query"}


def test_a_path_or_header_param_stays_where_the_route_reads_it(
        openapi_document: dict[str, Any]) -> None:
    get = openapi_document["paths"]["/ucaas/v1/sessions/{session_id}/cdr"]["get"]
    assert [(p["name"], p["in"]) for p in get["parameters"]] == [
        ("session_id", "path"), ("X-App-Type", "header")]


def test_every_content_type_an_operation_answers_is_declared(
        openapi_document: dict[str, Any]) -> None:
    paths = openapi_document["paths"]
    history = paths["/platform_api/GetCallHistory"]["get"]["responses"]
    assert set(history["200"]["content"]) == {"application/json", "text/csv"}
    assert set(history["default"]["content"]) == {"application/json", "text/plain"}
    reports = paths["/platform_api/GetHistoryReports"]["get"]["responses"]
    assert set(reports["200"]["content"]) == {"application/json"}  # never CSV
    download = paths["/platform_api/DownloadHistoryReport"]["get"]["responses"]
    assert set(download["200"]["content"]) == {"application/octet-stream"}
    for path, operations in paths.items():
        for verb, operation in operations.items():
            assert "text/plain" in operation["responses"]["default"]["content"], (path, verb)
