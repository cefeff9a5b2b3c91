"""JSON-RPC 2.0 on `/rpc`: section 7 of the specification, example by example, then params,
batches and ids (spec README, "Transport").

The specification's own examples compare `code`, `message` and `id` of errors and allow our
`data` (spec README, "The shared error envelope"); the other tests compare whole envelopes.
Responses to a batch may come in any order, so batches are compared sorted by id.
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest
from aiohttp.test_utils import TestClient
from conftest import make_config, post
from marshmallow import Schema, fields

from gateway.core import roles
from gateway.core.config import Config
from gateway.core.errors import Unprocessable
from methods import all_methods
from methods.context import Context, Methods, Params, RpcMethod

SECRET = "SELECT secret FROM api_keys WHERE path='/etc/passwd'"


# The specification's methods; each schema's field order is the positional order.

class SubtractParams(Schema):
    minuend = fields.Integer(required=True, strict=True)
    subtrahend = fields.Integer(required=True, strict=True)


class SumParams(Schema):
    a = fields.Integer(load_default=0, strict=True)
    b = fields.Integer(load_default=0, strict=True)
    c = fields.Integer(load_default=0, strict=True)


class UpdateParams(Schema):
    a = fields.Integer(load_default=None, strict=True)
    b = fields.Integer(load_default=None, strict=True)
    c = fields.Integer(load_default=None, strict=True)
    d = fields.Integer(load_default=None, strict=True)
    e = fields.Integer(load_default=None, strict=True)


class HelloParams(Schema):
    value = fields.Integer(required=True, strict=True)


class NoParams(Schema):
    pass


async def subtract(context: Context, params: Params) -> int:
    return int(params["minuend"] - params["subtrahend"])


async def sum_(context: Context, params: Params) -> int:
    return int(params["a"] + params["b"] + params["c"])


async def nothing(context: Context, params: Params) -> None:
    return None


async def get_data(context: Context, params: Params) -> list[Any]:
    return ["hello", 5]


async def boom(context: Context, params: Params) -> None:
    raise RuntimeError(SECRET)


async def refuse(context: Context, params: Params) -> None:
    raise Unprocessable("nothing-to-do", "this call always refuses")


class Rendezvous:
    """Two methods that each wait for the other: they finish only if run concurrently."""

    def __init__(self) -> None:
        self.first = asyncio.Event()
        self.second = asyncio.Event()

    async def meet_first(self, context: Context, params: Params) -> str:
        self.first.set()
        await asyncio.wait_for(self.second.wait(), 2)
        return "first"

    async def meet_second(self, context: Context, params: Params) -> str:
        self.second.set()
        await asyncio.wait_for(self.first.wait(), 2)
        return "second"


def method(handler: Any, schema: Schema) -> RpcMethod:
    return RpcMethod(handler, schema, roles.EVERYONE, "a method of the JSON-RPC 2.0 examples")


@pytest.fixture
def rendezvous() -> Rendezvous:
    return Rendezvous()


@pytest.fixture
def methods(rendezvous: Rendezvous) -> Methods:
    return {**all_methods(),
            "subtract": method(subtract, SubtractParams()),
            "sum": method(sum_, SumParams()),
            "update": method(nothing, UpdateParams()),
            "notify_hello": method(nothing, HelloParams()),
            "get_data": method(get_data, NoParams()),
            "boom": method(boom, NoParams()),
            "refuse": method(refuse, NoParams()),
            "meet_first": method(rendezvous.meet_first, NoParams()),
            "meet_second": method(rendezvous.meet_second, NoParams())}


def without_data(response: Any) -> Any:
    """A response (or list of them) with `error.data` removed: the spec examples allow ours."""
    if isinstance(response, list):
        return [without_data(r) for r in response]
    if isinstance(response, dict) and isinstance(response.get("error"), dict):
        assert "data" in response["error"], response
        return {**response, "error": {k: v for k, v in response["error"].items() if k != "data"}}
    return response


def by_id(responses: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """A batch's responses in a fixed order (they may come in any order)."""
    return sorted(responses, key=lambda r: (r["id"] is not None, str(r["id"]), repr(r)))


def error(code: int, message: str, id_: Any = None, data: Any = None) -> dict[str, Any]:
    err: dict[str, Any] = {"code": code, "message": message}
    if data is not None:
        err["data"] = data
    return {"jsonrpc": "2.0", "error": err, "id": id_}


def result(value: Any, id_: Any) -> dict[str, Any]:
    return {"jsonrpc": "2.0", "result": value, "id": id_}


PARSE_ERROR = error(-32700, "Parse error")
INVALID_REQUEST = error(-32600, "Invalid Request")


# Section 7 of the JSON-RPC 2.0 specification, one (request, response) pair per example.

SINGLE_EXAMPLES = [
    pytest.param({"jsonrpc": "2.0", "method": "subtract", "params": [42, 23], "id": 1},
                 result(19, 1), id="positional-1"),
    pytest.param({"jsonrpc": "2.0", "method": "subtract", "params": [23, 42], "id": 2},
                 result(-19, 2), id="positional-2"),
    pytest.param({"jsonrpc": "2.0", "method": "subtract",
                  "params": {"subtrahend": 23, "minuend": 42}, "id": 3},
                 result(19, 3), id="named-1"),
    pytest.param({"jsonrpc": "2.0", "method": "subtract",
                  "params": {"minuend": 42, "subtrahend": 23}, "id": 4},
                 result(19, 4), id="named-2"),
    pytest.param({"jsonrpc": "2.0", "method": "foobar", "id": "1"},
                 error(-32601, "Method not found", "1"), id="non-existent-method"),
    pytest.param('{"jsonrpc": "2.0", "method": "foobar, "params": "bar", "baz]',
                 PARSE_ERROR, id="invalid-json"),
    pytest.param({"jsonrpc": "2.0", "method": 1, "params": "bar"},
                 INVALID_REQUEST, id="invalid-request-object"),
    pytest.param('[\n  {"jsonrpc": "2.0", "method": "sum", "params": [1,2,4], "id": "1"},\n'
                 '  {"jsonrpc": "2.0", "method"\n]',
                 PARSE_ERROR, id="batch-invalid-json"),
    pytest.param([], INVALID_REQUEST, id="empty-array"),
]


@pytest.mark.parametrize(("request_", "expected"), SINGLE_EXAMPLES)
async def test_spec_example_single(client: TestClient, admin_key: str, request_: Any,
                                   expected: dict[str, Any]) -> None:
    status, answer, _ = await post(client, request_, admin_key)
    assert status == 200
    assert without_data(answer) == expected


BATCH_EXAMPLES = [
    pytest.param([1], [INVALID_REQUEST], id="invalid-batch-one"),
    pytest.param([1, 2, 3], [INVALID_REQUEST] * 3, id="invalid-batch-three"),
    pytest.param(
        [{"jsonrpc": "2.0", "method": "sum", "params": [1, 2, 4], "id": "1"},
         {"jsonrpc": "2.0", "method": "notify_hello", "params": [7]},
         {"jsonrpc": "2.0", "method": "subtract", "params": [42, 23], "id": "2"},
         {"foo": "boo"},
         {"jsonrpc": "2.0", "method": "foo.get", "params": {"name": "myself"}, "id": "5"},
         {"jsonrpc": "2.0", "method": "get_data", "id": "9"}],
        [result(7, "1"), result(19, "2"), INVALID_REQUEST,
         error(-32601, "Method not found", "5"), result(["hello", 5], "9")],
        id="mixed-batch"),
]


@pytest.mark.parametrize(("request_", "expected"), BATCH_EXAMPLES)
async def test_spec_example_batch(client: TestClient, admin_key: str, request_: Any,
                                  expected: list[dict[str, Any]]) -> None:
    status, answer, _ = await post(client, request_, admin_key)
    assert status == 200
    assert isinstance(answer, list)
    assert by_id(without_data(answer)) == by_id(expected)


NOTIFICATIONS = [
    pytest.param({"jsonrpc": "2.0", "method": "update", "params": [1, 2, 3, 4, 5]},
                 id="notification-update"),
    pytest.param({"jsonrpc": "2.0", "method": "foobar"}, id="notification-foobar"),
    pytest.param([{"jsonrpc": "2.0", "method": "notify_sum", "params": [1, 2, 4]},
                  {"jsonrpc": "2.0", "method": "notify_hello", "params": [7]}],
                 id="batch-all-notifications"),
    pytest.param({"jsonrpc": "2.0", "method": "boom"}, id="notification-that-raises"),
    pytest.param({"jsonrpc": "2.0", "method": "subtract", "params": ["x"]},
                 id="notification-with-bad-params"),
]


@pytest.mark.parametrize("request_", NOTIFICATIONS)
async def test_spec_example_notifications_answer_204_with_an_empty_body(
        client: TestClient, admin_key: str, request_: Any) -> None:
    response = await client.post("/rpc", json=request_, headers={"X-Api-Key": admin_key})
    assert response.status == 204
    assert await response.read() == b""


# Params by position and by name.

@pytest.mark.parametrize(("params", "expected"), [
    pytest.param([10, 3], 7, id="by-position"),
    pytest.param({"minuend": 10, "subtrahend": 3}, 7, id="by-name"),
    pytest.param({"subtrahend": 3, "minuend": 10}, 7, id="by-name-any-order"),
])
async def test_params_by_position_and_by_name(rpc: Any, params: Any, expected: int) -> None:
    assert await rpc("subtract", params) == result(expected, 1)


async def test_fewer_positional_params_take_the_defaults(rpc: Any) -> None:
    assert await rpc("sum", [5]) == result(5, 1)
    assert await rpc("sum", []) == result(0, 1)
    assert await rpc("sum") == result(0, 1)


@pytest.mark.parametrize(("method_", "params", "data"), [
    pytest.param("subtract", {"minuend": 1, "subtrahend": 2, "bogus": 3},
                 {"bogus": "Unknown field."}, id="unknown-name"),
    pytest.param("subtract", {"minuend": 1, "subtrahend": 2, "context": 3},
                 {"context": "Unknown field."}, id="unknown-name-context"),
    pytest.param("get_data", {"verbose": True}, {"verbose": "Unknown field."},
                 id="unknown-name-no-params-method"),
    pytest.param("subtract", {"minuend": 1}, {"subtrahend": "Missing data for required field."},
                 id="missing-name"),
    pytest.param("subtract", [1], {"subtrahend": "Missing data for required field."},
                 id="missing-position"),
    pytest.param("subtract", ["42", 23], {"minuend": "Not a valid integer."},
                 id="string-for-integer-by-position"),
    pytest.param("subtract", {"minuend": 42, "subtrahend": "23"},
                 {"subtrahend": "Not a valid integer."}, id="string-for-integer-by-name"),
    pytest.param("subtract", [4.5, 1], {"minuend": "Not a valid integer."},
                 id="float-for-integer"),
    pytest.param("subtract", [1, 2, 3],
                 {"params": "at most 2 positional params are accepted"},
                 id="too-many-positional"),
    pytest.param("get_data", [1], {"params": "at most 0 positional params are accepted"},
                 id="positional-to-no-params-method"),
    pytest.param("tenants.list", {"count": "5"}, {"count": "Not a valid integer."},
                 id="string-for-integer-gateway-method"),
])
async def test_invalid_params(rpc: Any, method_: str, params: Any, data: Any) -> None:
    assert await rpc(method_, params, id_=7) == error(-32602, "Invalid request", 7, data)


@pytest.mark.parametrize("params", [
    pytest.param("bar", id="string"), pytest.param(3, id="number"),
    pytest.param(None, id="null"), pytest.param(True, id="boolean"),
])
async def test_params_must_be_an_array_or_an_object(client: TestClient, admin_key: str,
                                                    params: Any) -> None:
    body = {"jsonrpc": "2.0", "method": "subtract", "params": params, "id": 1}
    status, answer, _ = await post(client, body, admin_key)
    assert (status, answer) == (200, error(-32600, "Invalid Request", None, {
        "message": 'the member "params" must be an array or an object'}))


@pytest.mark.parametrize(("body", "message"), [
    pytest.param({"method": "subtract", "params": [1, 2], "id": 1},
                 'the member "jsonrpc" must be exactly "2.0"', id="no-jsonrpc"),
    pytest.param({"jsonrpc": "1.0", "method": "subtract", "params": [1, 2], "id": 1},
                 'the member "jsonrpc" must be exactly "2.0"', id="jsonrpc-1.0"),
    pytest.param({"jsonrpc": "2.0", "params": [1, 2], "id": 1},
                 'the member "method" must be a string', id="no-method"),
    pytest.param({"jsonrpc": "2.0", "method": "subtract", "params": [1, 2], "id": True},
                 'the member "id" must be a string, a number or null', id="id-boolean"),
    pytest.param({"jsonrpc": "2.0", "method": "subtract", "params": [1, 2], "id": [1]},
                 'the member "id" must be a string, a number or null', id="id-array"),
    pytest.param({"jsonrpc": "2.0", "method": "subtract", "params": [1, 2], "id": {}},
                 'the member "id" must be a string, a number or null', id="id-object"),
    pytest.param("3", "a request must be a JSON object", id="a-number"),
])
async def test_invalid_request_objects(client: TestClient, admin_key: str, body: Any,
                                       message: str) -> None:
    status, answer, _ = await post(client, body, admin_key)
    assert (status, answer) == (200, error(-32600, "Invalid Request", None, {"message": message}))


# Ids are echoed exactly.

@pytest.mark.parametrize("id_", [
    pytest.param("abc", id="string"), pytest.param("", id="empty-string"),
    pytest.param("1", id="numeric-string"), pytest.param(0, id="zero"),
    pytest.param(-5, id="negative"), pytest.param(2**53, id="large"),
    pytest.param(1.5, id="fraction"), pytest.param(None, id="null"),
])
async def test_ids_are_echoed_exactly(client: TestClient, admin_key: str, id_: Any) -> None:
    body = {"jsonrpc": "2.0", "method": "subtract", "params": [42, 23], "id": id_}
    response = await client.post("/rpc", json=body, headers={"X-Api-Key": admin_key})
    assert response.status == 200
    answer = await response.json()
    assert answer == result(19, id_)
    assert type(answer["id"]) is type(id_)


async def test_ids_are_echoed_on_errors(client: TestClient, admin_key: str) -> None:
    batch = [{"jsonrpc": "2.0", "method": "nope", "id": "x"},
             {"jsonrpc": "2.0", "method": "subtract", "params": [1], "id": 2.5},
             {"jsonrpc": "2.0", "method": "boom", "id": None}]
    status, answer, headers = await post(client, batch, admin_key)
    assert status == 200
    assert by_id(answer) == by_id([
        error(-32601, "Method not found", "x", {"method": "nope"}),
        error(-32602, "Invalid request", 2.5, {"subtrahend": "Missing data for required field."}),
        error(-32603, "An unexpected error occurred", None,
              {"request_id": headers["X-Request-Id"]}),
    ])


# Batches.

async def test_a_batch_answers_each_member_with_its_id(client: TestClient,
                                                       admin_key: str) -> None:
    batch = [{"jsonrpc": "2.0", "method": "subtract", "params": [n, 1], "id": n}
             for n in range(10)]
    status, answer, _ = await post(client, batch, admin_key)
    assert status == 200
    assert sorted(answer, key=lambda r: r["id"]) == [result(n - 1, n) for n in range(10)]


async def test_batch_members_run_concurrently(client: TestClient, admin_key: str) -> None:
    batch = [{"jsonrpc": "2.0", "method": "meet_first", "id": 1},
             {"jsonrpc": "2.0", "method": "meet_second", "id": 2}]
    status, answer, _ = await post(client, batch, admin_key)
    assert status == 200
    assert by_id(answer) == [result("first", 1), result("second", 2)]


async def test_a_failing_member_never_affects_its_neighbours(client: TestClient,
                                                             admin_key: str) -> None:
    batch = [{"jsonrpc": "2.0", "method": "boom", "id": "boom"},
             {"jsonrpc": "2.0", "method": "subtract", "params": [42, 23], "id": "a"},
             {"jsonrpc": "2.0", "method": "refuse", "id": "refuse"},
             {"jsonrpc": "2.0", "method": "boom"},
             {"jsonrpc": "2.0", "method": "subtract", "params": ["x", 1], "id": "bad"},
             {"jsonrpc": "2.0", "method": "get_data", "id": "b"},
             {"jsonrpc": "2.0", "method": "meet_first", "id": "c"},
             {"jsonrpc": "2.0", "method": "meet_second", "id": "d"}]
    status, answer, headers = await post(client, batch, admin_key)
    assert status == 200
    assert by_id(answer) == by_id([
        result(19, "a"), result(["hello", 5], "b"), result("first", "c"),
        result("second", "d"),
        error(-32603, "An unexpected error occurred", "boom",
              {"request_id": headers["X-Request-Id"]}),
        error(422, "nothing-to-do: this call always refuses", "refuse",
              {"code": "nothing-to-do", "message": "this call always refuses"}),
        error(-32602, "Invalid request", "bad", {"minuend": "Not a valid integer."}),
    ])
    assert SECRET not in str(answer)


async def test_a_batch_may_repeat_ids(client: TestClient, admin_key: str) -> None:
    batch = [{"jsonrpc": "2.0", "method": "subtract", "params": [5, 1], "id": 1},
             {"jsonrpc": "2.0", "method": "subtract", "params": [5, 2], "id": 1}]
    status, answer, _ = await post(client, batch, admin_key)
    assert status == 200
    assert by_id(answer) == by_id([result(4, 1), result(3, 1)])


class TestBatchLimit:
    @pytest.fixture
    def config(self, tmp_path: Path) -> Config:
        return make_config(tmp_path, limits={"batch_calls": 3})

    async def test_a_batch_at_the_limit_is_served(self, client: TestClient,
                                                  admin_key: str) -> None:
        batch = [{"jsonrpc": "2.0", "method": "subtract", "params": [n, 0], "id": n}
                 for n in range(3)]
        status, answer, _ = await post(client, batch, admin_key)
        assert status == 200
        assert sorted(answer, key=lambda r: r["id"]) == [result(n, n) for n in range(3)]

    @pytest.mark.parametrize("size", [4, 50])
    async def test_a_batch_over_the_limit_is_refused_whole(self, client: TestClient,
                                                           admin_key: str, size: int) -> None:
        batch = [{"jsonrpc": "2.0", "method": "subtract", "params": [n, 0], "id": n}
                 for n in range(size)]
        status, answer, _ = await post(client, batch, admin_key)
        assert (status, answer) == (200, error(-32600, "Invalid Request", None, {
            "message": "a batch holds at most 3 calls (the batch limit)"}))

    async def test_notifications_count_towards_the_limit(self, client: TestClient,
                                                         admin_key: str) -> None:
        batch = [{"jsonrpc": "2.0", "method": "update"} for _ in range(4)]
        status, answer, _ = await post(client, batch, admin_key)
        assert (status, answer) == (200, error(-32600, "Invalid Request", None, {
            "message": "a batch holds at most 3 calls (the batch limit)"}))
