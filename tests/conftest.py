"""Fixtures: the real app on a temporary database, an `rpc` helper, keys and tenants.

Every test that uses the `config` fixture (or overrides it with `make_config`) runs twice,
on SQLite (a file in tmp_path) and on PostgreSQL (a fresh database of the session's server,
see tests/pg_cluster.py): `-k sqlite` or `-k postgresql` picks one. Without PostgreSQL
server binaries the postgresql half is skipped, except under CI (`CI=true`), where it fails.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Awaitable, Callable, Iterator, NoReturn

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient
from hypothesis import HealthCheck, settings
from pg_cluster import DSN_ENV, Databases, Unavailable, start_cluster

from gateway.core.config import Config, load_config
from gateway.web import appkeys
from gateway.web.app import create_app
from gateway.web.auth import root_admin
from gateway.web.dispatch import bind_params
from methods.context import Context, Methods

JSON = {"Content-Type": "application/json"}

# Property tests: a few examples with a deadline under CI, more by hand
# (`HYPOTHESIS_PROFILE=fuzz` for a long run).
_HYPOTHESIS = dict(suppress_health_check=[HealthCheck.function_scoped_fixture,
                                          HealthCheck.too_slow])
settings.register_profile("ci", max_examples=15, deadline=10_000, **_HYPOTHESIS)
settings.register_profile("dev", max_examples=40, deadline=None, **_HYPOTHESIS)
settings.register_profile("fuzz", max_examples=2_000, deadline=None, **_HYPOTHESIS)
ENGINES = ("sqlite", "postgresql")

# The current test's PostgreSQL database URL, while `engine` is "postgresql".
_postgresql_url: list[str] = []
_session_databases: list[Databases] = []


def _in_ci() -> bool:
    return os.environ.get("CI", "").strip().lower() not in ("", "0", "false", "no")


def missing_tool(message: str) -> NoReturn:
    """A test that needs a tool this machine lacks: skipped, except under CI (which installs
    every tool, .ci/run), where it fails."""
    if _in_ci():
        pytest.fail(f"{message} (CI is set: this test may not be skipped)", pytrace=False)
    pytest.skip(message)


def _parametrises(metafunc: pytest.Metafunc, name: str) -> bool:
    for mark in metafunc.definition.iter_markers("parametrize"):
        names = mark.args[0] if mark.args else mark.kwargs.get("argnames", ())
        if isinstance(names, str):
            names = [n.strip() for n in names.split(",")]
        if name in names:
            return True
    return False


def pytest_configure(config: pytest.Config) -> None:
    settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE") or ("ci" if _in_ci() else "dev"))


@pytest.hookimpl(trylast=True)
def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """Tests on the app's database (through `config`) run on every engine, unless they
    choose their engines themselves (`@pytest.mark.parametrize("engine", ..., indirect=True)`).
    """
    if "config" in metafunc.fixturenames and not _parametrises(metafunc, "engine"):
        metafunc.parametrize("engine", ENGINES, indirect=True, ids=ENGINES)


@pytest.fixture(scope="session")
def postgres() -> Iterator[Databases]:
    """The session's PostgreSQL server: $GATEWAY_TEST_POSTGRES_DSN, else a throwaway cluster."""
    dsn = os.environ.get(DSN_ENV)
    cluster = None
    if not dsn:
        try:
            cluster = start_cluster()
        except Unavailable as exc:
            missing_tool(str(exc))
        dsn = cluster.dsn
    try:
        databases = Databases(dsn)
        _session_databases.append(databases)
        try:
            yield databases
        finally:
            databases.close()
    finally:
        if cluster is not None:
            cluster.stop()


@pytest.fixture(autouse=True)
def engine(request: pytest.FixtureRequest) -> Iterator[str]:
    """The database engine: "sqlite", or "postgresql" with a fresh database for this test.

    Parametrised for the tests using `config` (pytest_generate_tests); "sqlite" for the rest.
    """
    name: str = getattr(request, "param", "sqlite")
    if name != "postgresql":
        yield name
        return
    databases: Databases = request.getfixturevalue("postgres")
    database = databases.create()
    _postgresql_url.append(databases.dsn(database))
    try:
        yield name
    finally:
        _postgresql_url.clear()
        databases.drop(database)


def database_url(tmp_path: Path) -> str:
    """The current test's database: its PostgreSQL database, else a SQLite file in tmp_path."""
    return _postgresql_url[-1] if _postgresql_url else f"sqlite:///{tmp_path}/gateway.db"


def make_config(tmp_path: Path, **overrides: Any) -> Config:
    """A config on the current engine's fresh database, ignoring ./config.yaml and the
    environment."""
    base: dict[str, Any] = {"database": database_url(tmp_path),
                            "exports": {"folder": str(tmp_path / "exports")}}
    for key, value in overrides.items():
        if isinstance(value, dict):
            base[key] = {**base.get(key, {}), **value}
        else:
            base[key] = value
    return load_config(environ={}, overrides=base, search_default=False)


@pytest.fixture
def config(engine: str, tmp_path: Path) -> Config:
    return make_config(tmp_path)


@pytest.fixture
def methods() -> Methods | None:
    """Override to serve extra methods (None: every method family)."""
    return None


@pytest.fixture
def app(config: Config, methods: Methods | None) -> web.Application:
    return create_app(config, methods)


@pytest.fixture
async def client(aiohttp_client: Callable[..., Awaitable[TestClient]],
                 app: web.Application) -> TestClient:
    return await aiohttp_client(app)


def root_context(app: web.Application) -> Context:
    return Context(db=app[appkeys.DB], caller=root_admin("tests", "127.0.0.1"),
                   config=app[appkeys.CONFIG],
                   request_id="tests", server_key=app[appkeys.SERVER_KEY],
                   methods=app[appkeys.METHODS], forget_key=app[appkeys.AUTHENTICATOR].forget,
                   issue_key=app[appkeys.AUTHENTICATOR].issued)


async def call_as_root(app: web.Application, method: str, **params: Any) -> Any:
    spec = app[appkeys.METHODS][method]
    return await spec.handler(root_context(app), bind_params(spec, (), params))


@pytest.fixture
def make_key(client: TestClient) -> Callable[..., Awaitable[str]]:
    """`await make_key(role="admin", tenant="root", ...)` -> the plain key."""
    async def make(role: str = "admin", tenant: str = "root", **params: Any) -> str:
        made = await call_as_root(client.app, "keys.create", role=role, tenant=tenant, **params)
        return str(made["key"])
    return make


@pytest.fixture
def make_tenant(client: TestClient) -> Callable[..., Awaitable[dict[str, Any]]]:
    async def make(name: str, parent: str = "root") -> dict[str, Any]:
        result: dict[str, Any] = await call_as_root(client.app, "tenants.create",
                                                    name=name, parent=parent)
        return result
    return make


@pytest.fixture
async def ingest_key(make_key: Callable[..., Awaitable[str]]) -> str:
    return await make_key("ingest", rate_limit="unlimited")


@pytest.fixture
async def admin_key(make_key: Callable[..., Awaitable[str]]) -> str:
    return await make_key("admin", rate_limit="unlimited")


async def post(client: TestClient, body: Any, key: str | None = None,
               headers: dict[str, str] | None = None) -> tuple[int, Any, Any]:
    """POST a JSON body to /rpc; (status, parsed body or None, response headers)."""
    sent = {**JSON, **({"X-Api-Key": key} if key else {}), **(headers or {})}
    data = body if isinstance(body, (str, bytes)) else None
    response = await client.post("/rpc", data=data, json=None if data is not None else body,
                                 headers=sent)
    text = await response.text()
    return response.status, (None if not text else await response.json()), response.headers


@pytest.fixture
def rpc(client: TestClient, admin_key: str) -> Callable[..., Awaitable[Any]]:
    """`await rpc("method", params, key=...)` -> the parsed response object of one call."""
    async def call(method: str, params: Any = None, key: str | None = None, id_: Any = 1) -> Any:
        body: dict[str, Any] = {"jsonrpc": "2.0", "method": method, "id": id_}
        if params is not None:
            body["params"] = params
        status, answer, _ = await post(client, body, key or admin_key)
        assert status == 200, answer
        return answer
    return call


def pytest_terminal_summary(terminalreporter: Any) -> None:
    for databases in _session_databases:
        if databases.template_error:
            terminalreporter.write_line(
                "PostgreSQL: the migrations failed on the template database, so each test "
                f"migrated its own empty database: {databases.template_error}", yellow=True)
