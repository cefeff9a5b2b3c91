"""Dialects as declarations: errors found along the MRO, credential schemes and key-issuing
hooks in a registry, and a new dialect declared in a few lines, run by the same view as
the vendors' routes."""

from __future__ import annotations

from typing import Any

import pytest
from aiohttp import web

from gateway.core.credentials import Registry, Scheme
from gateway.core.errors import AuthenticationFailed, GatewayError, InvalidParams
from gateway.web.app import create_app
from gateway.web.auth import WrongProof
from gateway.web.dialects import renderers, schemes
from gateway.web.dialects.dialect import Dialect, Route
from gateway.web.dialects.driver import view_of
from gateway.web.dialects.errormaps import VendorError, WrongVerb, nearest
from gateway.web.dialects.readers import StringFields


def test_the_nearest_class_of_an_error_wins() -> None:
    mapping = {AuthenticationFailed: "auth", GatewayError: "any"}
    assert nearest(mapping, WrongProof("x")) == "auth"
    assert nearest(mapping, InvalidParams({"a": "b"})) == "any"
    with pytest.raises(LookupError):
        nearest({AuthenticationFailed: "auth"}, InvalidParams({}))


def test_a_dialect_must_answer_every_error() -> None:
    with pytest.raises(ValueError, match="no rule for GatewayError"):
        Dialect("bad", (), ("GET",), StringFields(), schemes.HEADER_KEY, {},
                renderers.JSON, {})


def test_the_registry_derives_secrets_and_runs_the_hooks_in_order() -> None:
    registry = Registry()
    registry.add_scheme(Scheme("toy", lambda server_key, key_id: f"{server_key}/{key_id}"))
    registry.add_key_hook(lambda key: {"toy_secret": key.secret("toy")})
    registry.add_key_hook(lambda key: {"id_again": key.key_id})
    assert registry.issued("sk", "k1") == {"toy_secret": "sk/k1", "id_again": "k1"}
    with pytest.raises(ValueError, match="registered twice"):
        registry.add_scheme(Scheme("toy", lambda server_key, key_id: ""))


def _toy_error(exc: GatewayError) -> VendorError:
    return (exc.status if exc.status != 200 else 400), {"oops": type(exc).__name__}


# A dialect of our own: `GET /toy/ping` with the key in a header, JSON answers, and one
# error shape for everything.
TOY = Dialect(
    name="toy",
    routes=(Route("/toy/ping", "ping"),),
    verbs=("GET",),
    reader=StringFields(form=False),
    credential=schemes.HEADER_KEY,
    errors={WrongVerb: lambda exc: (405, {"oops": exc.briefly}), GatewayError: _toy_error},
    renderer=renderers.JSON,
    error_schema={"type": "object"},
)


@pytest.fixture
def app(config: Any) -> web.Application:
    app = create_app(config)
    for route in TOY.routes:
        app.router.add_route("*", route.path, view_of(TOY, route))
    return app


async def test_a_new_dialect_runs_on_the_same_view(client: Any, admin_key: str) -> None:
    answer = await client.get("/toy/ping", headers={"X-Api-Key": admin_key})
    assert (answer.status, await answer.json()) == (200, "pong")
    answer = await client.get("/toy/ping")
    assert (answer.status, await answer.json()) == (401, {"oops": "AuthenticationFailed"})
    answer = await client.get("/toy/ping", params={"extra": "1"},
                              headers={"X-Api-Key": admin_key})
    assert (answer.status, await answer.json()) == (400, {"oops": "InvalidParams"})
    answer = await client.post("/toy/ping", headers={"X-Api-Key": admin_key})
    assert (answer.status, answer.headers["Allow"], await answer.json()) == \
        (405, "GET", {"oops": "POST is not allowed; use GET"})
