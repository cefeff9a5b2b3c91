"""The OpenRPC document: `GET /openrpc.json` and `rpc.discover` (spec README, "Transport";
methods.md section 5)."""

from __future__ import annotations

from typing import Any, Awaitable, Callable

import openrpc
import pytest
from aiohttp.test_utils import TestClient
from marshmallow import Schema, fields, validate

from gateway.core import roles
from gateway.web.dispatch import param_names
from methods import all_methods
from methods.context import Context, Params, RpcMethod

ROLES = ["admin", "reseller", "customer", "accountant", "ingest"]
INVALID_PARAMS = -32602

# Positional order = the order methods.md section 5 lists the params in.
PARAMS_IN_SPEC_ORDER = {
    "ping": [],
    "rpc.discover": [],
    # then `service_account` (decisions-2026-12.md section 9), after the spec's five
    "keys.create": ["tenant", "role", "ip_allow", "expires_at", "rate_limit", "service_account"],
    "keys.list": ["tenant", "count", "offset"],
    "keys.revoke": ["key_id"],
    "tenants.create": ["name", "parent", "timezone"],
    "tenants.list": ["count", "offset"],
    "reports.active_sessions.query": ["return_fields", "filters", "order", "limit", "group",
                                      "code_decks_id", "timezone"],
    "aggregate_get": [
        "from", "till", "a_currency", "group_by_user", "group_by_device", "group_by_terminator",
        "group_by_provider", "group_by_dst_group", "group_by_dst", "group_by_day",
        "group_by_hour", "group_by_user_rate", "group_by_provider_rate", "s_originator_id",
        "s_terminator_id", "s_device", "s_provider", "a_src", "a_dst", "clid", "s_duration",
        "dst_group", "use_real_billsec", "from_user_perspective", "answered_calls",
        "profit_show", "timezone"],
}


async def fetch_document(client: TestClient) -> dict[str, Any]:
    response = await client.get("/openrpc.json")
    assert response.status == 200
    assert response.content_type == "application/json"
    document: dict[str, Any] = await response.json()
    return document


def method(document: dict[str, Any], name: str) -> dict[str, Any]:
    [found] = [m for m in document["methods"] if m["name"] == name]
    return found


def param(document: dict[str, Any], method_name: str, name: str) -> dict[str, Any]:
    [found] = [p for p in method(document, method_name)["params"] if p["name"] == name]
    return found


# --- where the document comes from ------------------------------------------------------

async def test_openrpc_json_needs_no_key(client: TestClient) -> None:
    response = await client.get("/openrpc.json")
    assert response.status == 200
    assert response.headers.get("X-Request-Id")
    assert (await response.json())["methods"]


@pytest.mark.parametrize("role", ROLES)
async def test_rpc_discover_returns_the_same_document_for_every_role(
        client: TestClient, rpc: Callable[..., Awaitable[Any]],
        make_key: Callable[..., Awaitable[str]], role: str) -> None:
    key = await make_key(role, rate_limit="unlimited")
    answer = await rpc("rpc.discover", key=key)
    assert answer["id"] == 1
    assert "error" not in answer
    assert answer["result"] == await fetch_document(client)


async def test_rpc_discover_by_position_and_by_name(client: TestClient,
                                                    rpc: Callable[..., Awaitable[Any]]) -> None:
    document = await fetch_document(client)
    assert (await rpc("rpc.discover", []))["result"] == document
    assert (await rpc("rpc.discover", {}))["result"] == document


# --- the document is valid OpenRPC ------------------------------------------------------

async def test_the_document_validates_with_the_openrpc_model(client: TestClient) -> None:
    document = await fetch_document(client)
    model = openrpc.OpenRPC.model_validate(document)
    assert model.openrpc == document["openrpc"]
    assert sorted(m.name for m in model.methods) == sorted(all_methods())


async def test_the_document_names_a_1_x_openrpc_version(client: TestClient) -> None:
    document = await fetch_document(client)
    major, minor, patch = document["openrpc"].split(".")
    assert (major, minor.isdigit(), patch.isdigit()) == ("1", True, True)
    assert document["info"]["title"]
    assert document["info"]["version"]


# --- which methods ----------------------------------------------------------------------

async def test_the_document_lists_exactly_the_registered_methods(client: TestClient) -> None:
    names = [m["name"] for m in (await fetch_document(client))["methods"]]
    assert sorted(names) == sorted(all_methods())
    assert len(names) == len(set(names))


async def test_the_gateway_methods_of_methods_md_are_all_there(client: TestClient) -> None:
    names = {m["name"] for m in (await fetch_document(client))["methods"]}
    assert set(PARAMS_IN_SPEC_ORDER) <= names


class EchoParams(Schema):
    text = fields.String(required=True)
    times = fields.Integer(strict=True, load_default=1, validate=validate.Range(min=1, max=3))


async def echo(context: Context, params: Params) -> str:
    return str(params["text"]) * int(params["times"])


class TestAnExtraMethod:
    """A method served through the `methods` fixture override appears in the document."""

    @pytest.fixture
    def methods(self) -> dict[str, RpcMethod]:
        return {**all_methods(),
                "tests.echo": RpcMethod(echo, EchoParams(), roles.EVERYONE, "Echoes the text.",
                                        result={"type": "string"})}

    async def test_it_is_listed(self, client: TestClient,
                                rpc: Callable[..., Awaitable[Any]]) -> None:
        document = await fetch_document(client)
        assert sorted(m["name"] for m in document["methods"]) == sorted(
            [*all_methods(), "tests.echo"])
        assert (await rpc("rpc.discover"))["result"] == document
        openrpc.OpenRPC.model_validate(document)

    async def test_its_params_and_result(self, client: TestClient) -> None:
        described = method(await fetch_document(client), "tests.echo")
        assert described["paramStructure"] == "either"
        assert described["summary"] == "Echoes the text."
        assert described["params"] == [
            {"name": "text", "required": True, "schema": {"type": "string"}},
            {"name": "times", "required": False,
             "schema": {"type": "integer", "minimum": 1, "maximum": 3, "default": 1}}]
        assert described["result"]["schema"] == {"type": "string"}

    async def test_it_is_callable_by_position_in_the_documented_order(
            self, rpc: Callable[..., Awaitable[Any]]) -> None:
        assert (await rpc("tests.echo", ["ab", 2]))["result"] == "abab"
        assert (await rpc("tests.echo", {"times": 3, "text": "x"}))["result"] == "xxx"


# --- params -----------------------------------------------------------------------------

async def test_every_method_takes_params_either_way(client: TestClient) -> None:
    for described in (await fetch_document(client))["methods"]:
        assert described["paramStructure"] == "either", described["name"]


async def test_params_come_in_the_schemas_field_order_with_required_flags(
        client: TestClient) -> None:
    document = await fetch_document(client)
    for name, registered in all_methods().items():
        described = method(document, name)["params"]
        assert [p["name"] for p in described] == param_names(registered.params), name
        assert [p["required"] for p in described] == [
            f.required for f in registered.params.fields.values()], name


@pytest.mark.parametrize(("name", "expected"), PARAMS_IN_SPEC_ORDER.items(),
                         ids=list(PARAMS_IN_SPEC_ORDER))
async def test_params_come_in_the_order_methods_md_lists_them(
        client: TestClient, name: str, expected: list[str]) -> None:
    described = method(await fetch_document(client), name)
    assert [p["name"] for p in described["params"]] == expected


async def test_keys_create_role_is_required_with_the_five_roles(client: TestClient) -> None:
    role = param(await fetch_document(client), "keys.create", "role")
    assert role["required"] is True
    assert role["schema"]["type"] == "string"
    assert role["schema"]["enum"] == ROLES


async def test_keys_create_optional_params_are_not_required(client: TestClient) -> None:
    described = method(await fetch_document(client), "keys.create")
    assert {p["name"]: p["required"] for p in described["params"]} == {
        "tenant": False, "role": True, "ip_allow": False, "expires_at": False,
        "rate_limit": False, "service_account": False}


async def test_keys_create_ip_allow_is_an_array_of_strings_defaulting_to_empty(
        client: TestClient) -> None:
    ip_allow = param(await fetch_document(client), "keys.create", "ip_allow")
    assert ip_allow["required"] is False
    assert ip_allow["schema"]["type"] == "array"
    assert ip_allow["schema"]["items"] == {"type": "string"}
    assert "default" in ip_allow["schema"], ip_allow["schema"]
    assert ip_allow["schema"]["default"] == []


async def test_tenants_list_count(client: TestClient) -> None:
    count = param(await fetch_document(client), "tenants.list", "count")
    assert count == {"name": "count", "required": False,
                     "schema": {"type": "integer", "default": 20, "minimum": 1,
                                "maximum": 1000}}


async def test_keys_revoke_key_id_is_required(client: TestClient) -> None:
    key_id = param(await fetch_document(client), "keys.revoke", "key_id")
    assert key_id["required"] is True
    assert key_id["schema"]["type"] == "string"


# --- errors -----------------------------------------------------------------------------

async def test_every_method_lists_the_invalid_params_error(client: TestClient) -> None:
    for described in (await fetch_document(client))["methods"]:
        codes = [e["code"] for e in described["errors"]]
        assert INVALID_PARAMS in codes, described["name"]
        for error in described["errors"]:
            assert isinstance(error["code"], int) and error["message"], described["name"]


async def test_keys_revoke_lists_not_found(client: TestClient) -> None:
    errors = method(await fetch_document(client), "keys.revoke")["errors"]
    assert 404 in [e["code"] for e in errors]
    assert INVALID_PARAMS in [e["code"] for e in errors]


async def test_the_documented_not_found_matches_the_answer(
        client: TestClient, rpc: Callable[..., Awaitable[Any]]) -> None:
    errors = method(await fetch_document(client), "keys.revoke")["errors"]
    answer = await rpc("keys.revoke", {"key_id": "0000000000000000"})
    assert answer["error"]["code"] == 404
    assert answer["error"]["code"] in [e["code"] for e in errors]
