"""The application factory, the first start on a database, and `GET /healthz`
(spec README, "Transport" and "Config and command line")."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any, Awaitable, Callable

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient

from gateway.core.config import Config, load_config
from gateway.web import appkeys
from gateway.web.app import create_app
from methods import all_methods

Client = Callable[..., Awaitable[TestClient]]


def config_on(database: Path, tmp_path: Path, **overrides: Any) -> Config:
    return load_config(None, environ={}, search_default=False,
                       overrides={"database": f"sqlite:///{database}",
                                  "exports": {"folder": str(tmp_path / "exports")},
                                  **overrides})


async def tenants(client: TestClient) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = await client.app[appkeys.DB].fetch_all(
        "SELECT id, name, parent_id FROM tenants ORDER BY id")
    return rows


# --- the factory ------------------------------------------------------------------------

def test_create_app_returns_an_application_holding_its_config(config: Config) -> None:
    app = create_app(config)
    assert isinstance(app, web.Application)
    assert app[appkeys.CONFIG] is config
    served = app[appkeys.METHODS]
    assert set(served) == set(all_methods())


async def test_nothing_touches_the_database_before_startup(tmp_path: Path,
                                                           aiohttp_client: Client) -> None:
    folder = tmp_path / "not-yet"
    app = create_app(config_on(folder / "gateway.db", tmp_path))
    assert not folder.exists()
    assert list(tmp_path.iterdir()) == []
    assert appkeys.DB not in app
    assert appkeys.SERVER_KEY not in app

    client = await aiohttp_client(app)
    assert (folder / "gateway.db").is_file()
    assert appkeys.DB in client.app
    response = await client.get("/healthz")
    assert response.status == 200


def test_two_apps_from_one_config_are_independent(config: Config) -> None:
    first, second = create_app(config), create_app(config)
    assert first is not second
    assert first[appkeys.DISPATCHER] is not second[appkeys.DISPATCHER]


# --- the first start --------------------------------------------------------------------

async def test_the_first_start_creates_the_root_tenant(client: TestClient) -> None:
    assert await tenants(client) == [{"id": 1, "name": "root", "parent_id": None}]


async def test_the_root_tenant_is_visible_through_the_api(
        rpc: Callable[..., Awaitable[Any]]) -> None:
    answer = await rpc("tenants.list")
    rows = answer["result"]["result"]
    assert [(t["id"], t["name"], t["parent"]) for t in rows] == [(1, "root", None)]
    assert answer["result"]["total_count"] == 1


async def test_a_restart_keeps_one_root_and_the_same_server_key(
        config: Config, aiohttp_client: Client) -> None:
    first = await aiohttp_client(create_app(config))
    server_key = first.app[appkeys.SERVER_KEY]
    assert server_key
    assert await tenants(first) == [{"id": 1, "name": "root", "parent_id": None}]
    await first.close()

    second = await aiohttp_client(create_app(config))
    assert second.app[appkeys.SERVER_KEY] == server_key
    assert await tenants(second) == [{"id": 1, "name": "root", "parent_id": None}]
    assert await second.app[appkeys.DB].fetch_all(
        "SELECT name FROM settings WHERE name = 'server_key'") == [{"name": "server_key"}]


async def test_two_databases_get_different_server_keys(tmp_path: Path,
                                                       aiohttp_client: Client) -> None:
    one = await aiohttp_client(create_app(config_on(tmp_path / "one.db", tmp_path)))
    two = await aiohttp_client(create_app(config_on(tmp_path / "two.db", tmp_path)))
    assert one.app[appkeys.SERVER_KEY] != two.app[appkeys.SERVER_KEY]


async def test_a_configured_server_key_wins(tmp_path: Path, aiohttp_client: Client) -> None:
    config = config_on(tmp_path / "gateway.db", tmp_path,
                       secrets={"server_key": "configured-key"})
    client = await aiohttp_client(create_app(config))
    assert client.app[appkeys.SERVER_KEY] == "configured-key"


# --- /healthz ---------------------------------------------------------------------------

async def test_healthz_answers_ok_without_a_key(client: TestClient) -> None:
    response = await client.get("/healthz")
    assert response.status == 200
    assert response.content_type == "application/json"
    assert await response.json() == {"status": "ok", "database": "ok"}
    assert response.headers.get("X-Request-Id")


async def test_healthz_ignores_a_bad_key(client: TestClient) -> None:
    response = await client.get("/healthz", headers={"X-Api-Key": "0000000000000000.nope"})
    assert response.status == 200
    assert await response.json() == {"status": "ok", "database": "ok"}


async def test_healthz_answers_503_when_the_database_cannot_answer(
        client: TestClient, caplog: pytest.LogCaptureFixture) -> None:
    await client.app[appkeys.DB].close()
    with caplog.at_level(logging.ERROR):
        response = await client.get("/healthz")
    assert response.status == 503
    body = await response.json()
    assert body["status"] == "unavailable"
    assert body["database"] != "ok"
    request_id = response.headers["X-Request-Id"]
    errors = [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert errors, "the failed health check was not logged"
    assert any(request_id in r.getMessage() for r in errors), [r.getMessage() for r in errors]
    assert any(r.exc_info is not None for r in errors)
