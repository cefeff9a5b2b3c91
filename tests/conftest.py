"""Fixtures: the real app on a temporary SQLite file, an `rpc` helper, keys and tenants."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Awaitable, Callable

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient

from gateway import appkeys
from gateway.app import create_app
from gateway.auth import root_admin
from gateway.config import Config, load_config
from gateway.context import Context, Methods
from gateway.dispatch import bind_params

JSON = {"Content-Type": "application/json"}


def make_config(tmp_path: Path, **overrides: Any) -> Config:
    """A config on a fresh SQLite file, ignoring ./config.yaml and the environment."""
    base: dict[str, Any] = {"database": f"sqlite:///{tmp_path}/gateway.db",
                            "exports": {"folder": str(tmp_path / "exports")}}
    for key, value in overrides.items():
        if isinstance(value, dict):
            base[key] = {**base.get(key, {}), **value}
        else:
            base[key] = value
    return load_config(environ={}, overrides=base, search_default=False)


@pytest.fixture
def config(tmp_path: Path) -> Config:
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
                   methods=app[appkeys.METHODS], forget_key=app[appkeys.AUTHENTICATOR].forget)


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
