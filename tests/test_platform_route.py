"""`GET|POST /platform_api/{MethodName}` and `POST /platform_api` with `cmd` (spec
methods.md section 3, README "Transport", "Keys"; vendor-notes.md section 3): the string
forms of params, both credentials, the vendor's error codes, and CSV bodies; over the
sessions of `test_call_history`, on every engine."""

from __future__ import annotations

import gzip
from typing import Any

import aiohttp
import pytest
from test_call_history import RANGE, ids  # noqa: F401  (the fixture, and its data)

PATH = "/platform_api/GetCallHistory"


@pytest.fixture
async def key(make_key: Any, ids: dict[str, int]) -> str:  # noqa: F811
    return await make_key("admin", rate_limit="unlimited")


def credential(key: str) -> dict[str, str]:
    return {"account_id": key.partition(".")[0], "api_key": key}


async def as_rpc(rpc: Any, key: str, params: dict[str, Any]) -> Any:
    response = await rpc("GetCallHistory", {**RANGE, **params}, key=key)
    return response["result"]


async def test_query_fields_give_the_rpc_answer(client: Any, rpc: Any, key: str) -> None:
    response = await client.get(PATH, params={
        **credential(key), **RANGE, "user_id": "7;8", "with_calls": "true", "desc_order": "1",
        "count": "2", "with_other_resources": "false"})
    assert response.status == 200
    assert await response.json() == await as_rpc(rpc, key, {
        "user_id": [7, 8], "with_calls": True, "desc_order": True, "count": 2,
        "with_other_resources": False})


async def test_cmd_in_a_form_with_a_bearer_key(client: Any, rpc: Any, key: str) -> None:
    response = await client.post("/platform_api", data={
        "cmd": "GetCallHistory", **RANGE, "child_account_id": "all"},
        headers={"Authorization": f"Bearer {key}"})
    assert response.status == 200
    assert await response.json() == await as_rpc(rpc, key, {"child_account_id": "all"})


async def test_csv_is_the_body_and_gzip_when_accepted(client: Any, rpc: Any, key: str) -> None:
    params = {**credential(key), **RANGE, "output": "csv"}
    expected = (await as_rpc(rpc, key, {"output": "csv"}))["result"]
    response = await client.get(PATH, params=params, headers={"Accept-Encoding": "identity"})
    assert (response.status, response.content_type) == (200, "text/csv")
    assert await response.text() == expected
    response = await client.get(PATH, params=params, headers={"Accept-Encoding": "gzip"},
                                auto_decompress=False)
    assert response.headers["Content-Encoding"] == "gzip"
    assert gzip.decompress(await response.read()).decode() == expected


@pytest.mark.parametrize("fields, status, code, msg", [
    ({"count": "abc"}, 400, 101, "count: Not a valid integer."),
    ({"with_calls": "yes"}, 400, 101, "with_calls: Not a valid boolean."),
    ({"user_id": "7;x"}, 400, 101, "user_id: Not a valid integer."),
    ({"count": "1001"}, 400, 101,
     "count: Must be greater than or equal to 1 and less than or equal to 1000."),
    ({"unknown": "1"}, 400, 101, "unknown: Unknown field."),
    ({"from_date": "2026-03-01T00:00:00"}, 400, 111,
     "from_date: Invalid date format: expected YYYY-MM-DD HH:mm:ss."),
    ({"output": "xml"}, 400, 105, "output: Must be one of: json, csv."),
    ({"application_id": "6"}, 400, 101,
     'application_id: Object "applications(6)" was not found!'),
])
async def test_bad_params_answer_the_vendor_codes(client: Any, key: str, fields: dict[str, str],
                                                  status: int, code: int, msg: str) -> None:
    response = await client.get(PATH, params={**credential(key), **RANGE, **fields})
    assert (response.status, await response.json()) == \
        (status, {"error": {"code": code, "msg": msg}})


async def test_credentials_and_commands(client: Any, key: str, make_key: Any) -> None:
    async def refused(path: str, **kwargs: Any) -> tuple[int, Any]:
        response = await client.request(kwargs.pop("method", "GET"), path, **kwargs)
        return response.status, await response.json()

    wrong = {"account_id": "nobody", "api_key": "nobody.secret"}
    assert await refused(PATH, params={**wrong, **RANGE}) == \
        (401, {"error": {"code": 100, "msg": "Authorization failed: unknown API key"}})
    other = {**credential(key), "account_id": "someone-else"}
    assert await refused(PATH, params={**other, **RANGE}) == (401, {"error": {
        "code": 100, "msg": "Authorization failed: account_id is not the key's id"}})
    assert await refused(PATH, params=RANGE) == \
        (401, {"error": {"code": 100, "msg": "Authorization failed: no API key was sent"}})
    assert await refused("/platform_api", method="POST", data=credential(key)) == \
        (400, {"error": {"code": 102, "msg": "Missing 'cmd' parameter"}})
    for name in ("aggregate_get", "NoSuchMethod"):
        assert await refused(f"/platform_api/{name}", params=credential(key)) == \
            (404, {"error": {"code": 103, "msg": f"Unknown command '{name}'"}})
    assert await refused(PATH, method="PUT", params=credential(key)) == \
        (405, {"error": {"code": 101, "msg": "PUT is not allowed; use GET or POST"}})
    ingest = await make_key("ingest")
    assert await refused(PATH, params={**credential(ingest), **RANGE}) == (403, {"error": {
        "code": 104, "msg": "the role 'ingest' may not call GetCallHistory"}})


async def test_a_multipart_form_as_node_clients_send_it(client: Any, rpc: Any, key: str) -> None:
    with aiohttp.MultipartWriter("form-data") as form:
        for name, value in {"cmd": "GetCallHistory", **credential(key), **RANGE,
                            "user_id": "7"}.items():
            form.append(value).set_content_disposition("form-data", name=name)
    response = await client.post("/platform_api", data=form)
    assert response.status == 200
    assert await response.json() == await as_rpc(rpc, key, {"user_id": [7]})


async def test_a_file_in_the_form_is_invalid_arguments(client: Any, key: str) -> None:
    with aiohttp.MultipartWriter("form-data") as form:
        form.append("GetCallHistory").set_content_disposition("form-data", name="cmd")
        form.append("x").set_content_disposition("form-data", name="api_key", filename="k.txt")
    response = await client.post("/platform_api", data=form)
    assert (response.status, await response.json()) == (400, {"error": {
        "code": 101, "msg": "every part of the form must be a named field, not a file"}})
