"""`GET|POST /billing/api/aggregate_get`, MOR's dialect of `aggregate_get` (spec methods.md
section 2, README "Transport" and "Keys"; vendor-notes.md section 2): `u` + `hash`, params as
query or form strings, XML answers (JSON with `format=json`), every error HTTP 200 as
`<status><error>text</error></status>`.

The data: four finished calls of the root tenant, all terminated by Carrier A (901, trunk
911). On 2024-01-01 (UTC, the day of the spec's hash example): Acme (101, device 111) calls
Lithuania Mobile twice (one answered: 60 s, price 0.50, cost 0.20), Beta (102, device 121)
calls Latvia once (120 s, price 1.00, cost 0.40). On 2024-02-01 Beta makes one call priced in
EUR, for which no rate is known.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import xml.etree.ElementTree as ET
from decimal import Decimal
from typing import Any

import pytest
from aiohttp.test_utils import TestClient
from envelopes import answer
from openapi_spec_validator import validate

from gateway.core import clock
from gateway.web.dialects.mor import mor_hash

PATH = "/billing/api/aggregate_get"
HASH_ORDER = ("from till a_currency group_by_user group_by_device group_by_terminator "
              "group_by_provider group_by_dst_group group_by_dst group_by_day group_by_hour "
              "group_by_user_rate group_by_provider_rate s_originator_id s_terminator_id "
              "s_device s_provider a_src a_dst clid s_duration dst_group use_real_billsec "
              "from_user_perspective answered_calls profit_show timezone format").split()
DAY = {"from": "1704067200", "till": "1704153599"}  # 2024-01-01 00:00:00 to 23:59:59 UTC
EUR_DAY = {"from": "1706745600", "till": "1706831999"}  # 2024-02-01, UTC
DECLARATION = b'<?xml version="1.0" encoding="UTF-8"?>'

ACCESS_DENIED = "Access Denied"
INCORRECT_HASH = "Incorrect hash"
NOT_AUTHORIZED = "You are not authorized to use this functionality"

ACME, BETA = {"id": 101, "name": "Acme <&> Co"}, {"id": 102, "name": "Beta"}
CARRIER_A = {"id": 901, "name": "Carrier A"}
ACME_PBX = {"id": 111, "name": "acme-pbx", "ident": "10.1.0.1"}
BETA_PBX = {"id": 121, "name": "beta-pbx", "ident": "10.1.0.2"}
CA_TRUNK = {"id": 911, "name": "ca-trunk", "ident": "192.0.2.1"}
DECKS = [{"code_deck_id": 7, "name": "Europe", "codes": [
    {"prefix": "370", "name": "Lithuania", "country": "LT"},
    {"prefix": "3706", "name": "Lithuania Mobile", "country": "LT"},
    {"prefix": "371", "name": "Latvia", "country": "LV"}]}]


def call(session_id: str, setup: str, answered: str | None, end: str, client: dict[str, Any],
         device: dict[str, Any], dst: str, billsec: int = 0, price: str | None = None,
         cost: str | None = None, currency: str = "USD") -> dict[str, Any]:
    money = {"amount": price, "currency": currency} if price else {}
    orig = {"leg_id": f"{session_id}-o", "role": "orig", "src": "37052000001", "dst": dst,
            "client": client, "account": device, "code_deck_id": 7, "start_time": answered,
            "end_time": end, "billsec": billsec, "real_billsec": billsec,
            **({"pdd_ms": 1500} if answered else {}), **money}
    term = {"leg_id": f"{session_id}-t", "role": "term", "src": "37052000001",
            "dst": dst.lstrip("+"), "client": CARRIER_A, "account": CA_TRUNK,
            "code_deck_id": 7, "start_time": answered, "end_time": end, "billsec": billsec,
            "disposition": "ANSWERED" if answered else "CONGESTION",
            **({"amount": cost, "currency": currency} if cost else {})}
    return {"session_id": session_id, "tenant": "root", "setup_time": setup,
            "start_time": answered, "end_time": end, "legs": [orig, term]}


SESSIONS = [
    call("c1", "2024-01-01T10:00:00Z", "2024-01-01T10:00:05Z", "2024-01-01T10:01:05Z",
         ACME, ACME_PBX, "+37061234567", 60, "0.50", "0.20"),
    call("c2", "2024-01-01T11:00:00Z", None, "2024-01-01T11:00:20Z",
         ACME, ACME_PBX, "+37061234567"),
    call("c3", "2024-01-01T12:00:00Z", "2024-01-01T12:00:02Z", "2024-01-01T12:02:02Z",
         BETA, BETA_PBX, "+37120000000", 120, "1.00", "0.40"),
    call("eur", "2024-02-01T09:00:00Z", "2024-02-01T09:00:02Z", "2024-02-01T09:01:02Z",
         BETA, BETA_PBX, "+37120000000", 60, "1.00", "0.50", "EUR"),
]


# --- helpers ----------------------------------------------------------------------------------

def sign(params: dict[str, str], key: dict[str, str]) -> list[tuple[str, str]]:
    """The request's fields: `u`, the params and `hash`, computed here as the spec says."""
    text = "".join(params[name] for name in HASH_ORDER if name in params) + key["mor_secret"]
    return [("u", key["key_id"]), *params.items(),
            ("hash", hashlib.sha1(text.encode()).hexdigest())]


async def get(client: TestClient, fields: list[tuple[str, str]]) -> tuple[int, str, bytes]:
    """GET the route; (status, content type, body)."""
    response = await client.get(PATH, params=fields)
    return response.status, response.content_type, await response.read()


async def post_form(client: TestClient, fields: list[tuple[str, str]]) -> tuple[int, str, bytes]:
    response = await client.post(PATH, data=fields)
    return response.status, response.content_type, await response.read()


def error_of(status: int, content_type: str, body: bytes) -> str:
    """The text of a MOR error answer, checking its shape on the way."""
    assert (status, content_type) == (200, "application/xml"), body
    assert body.startswith(DECLARATION), body
    root = ET.fromstring(body)
    assert root.tag == "status" and [e.tag for e in root] == ["error"], body
    assert not len(root[0]), body
    return root[0].text or ""


def tree(element: ET.Element) -> Any:
    """An element as (tag, text) or (tag, [children]), to compare documents."""
    if len(element):
        return element.tag, [tree(child) for child in element]
    return element.tag, element.text or ""


def expected_tree(tag: str, value: Any) -> Any:
    """The XML the spec asks for, from the JSON result: an element per key in order, an
    `aggregate` per row, null as an empty element, numbers as written in the JSON."""
    if isinstance(value, dict) and value:
        return tag, [expected_tree(k, v) for k, v in value.items()]
    if isinstance(value, list) and value:
        return tag, [expected_tree("aggregate", v) for v in value]
    if value is None or value in ({}, []):
        return tag, ""
    return tag, str(value)


def exact_json(body: bytes) -> Any:
    return json.loads(body, parse_float=Decimal)


# --- fixtures ---------------------------------------------------------------------------------

@pytest.fixture
async def calls(rpc: Any, ingest_key: str) -> None:
    for method, records in (("ingest.code_decks", DECKS), ("ingest.sessions", SESSIONS)):
        response = await rpc(method, {"records": records}, key=ingest_key)
        assert response["result"] == answer(accepted=len(records)), response


@pytest.fixture
def new_key(rpc: Any) -> Any:
    """`await new_key(role, **more)` -> keys.create's result: key_id, key, mor_secret."""
    async def make(role: str = "admin", **more: Any) -> dict[str, str]:
        response = await rpc("keys.create", {"role": role, "tenant": "root",
                                             "rate_limit": "unlimited", **more})
        return dict(response["result"])
    return make


@pytest.fixture
async def admin(new_key: Any) -> dict[str, str]:
    return dict(await new_key("admin"))


async def rpc_result(client: TestClient, key: dict[str, str], params: dict[str, Any]) -> Any:
    """aggregate_get on /rpc, its result with exact decimals."""
    response = await client.post("/rpc", json={"jsonrpc": "2.0", "method": "aggregate_get",
                                               "params": params, "id": 1},
                                 headers={"X-Api-Key": key["key"]})
    body = exact_json(await response.read())
    assert response.status == 200 and "result" in body, body
    return body["result"]


def rpc_params(fields: dict[str, str]) -> dict[str, Any]:
    """The /rpc form of route params (all integers here but the currency)."""
    return {k: v if k == "a_currency" else int(v) for k, v in fields.items()}


# --- the hash ---------------------------------------------------------------------------------

def test_the_documented_hash_examples() -> None:
    assert mor_hash({}, "secret") == "e5e9fa1ba31ecd1ae84f75caaa474f3a663f05f4"
    fields = {"from": "1704067200", "till": "1704153599", "group_by_day": "1"}
    assert mor_hash(fields, "secret") == "76f977a838c089ca45363b5316a30ad98d2b0ab6"
    # the order is the documented one, whatever the order of the request
    assert mor_hash(dict(reversed(fields.items())), "secret") == mor_hash(fields, "secret")
    # `u`, `hash` and unknown names are not hashed; `format` and empty values are
    assert mor_hash({"u": "x", "hash": "y", "other": "z"}, "secret") == mor_hash({}, "secret")
    assert mor_hash({"format": "json"}, "s") == hashlib.sha1(b"jsons").hexdigest()
    assert mor_hash({"a_src": "", "a_dst": "37%"}, "s") == hashlib.sha1(b"37%s").hexdigest()


# --- success ----------------------------------------------------------------------------------

async def test_xml_answer_is_the_method_result(client, calls, admin):
    status, content_type, body = await get(client, sign(DAY, admin))
    assert (status, content_type) == (200, "application/xml"), body
    assert body.startswith(DECLARATION)
    page = ET.fromstring(body)
    assert tree(page) == expected_tree("page", await rpc_result(client, admin, rpc_params(DAY)))
    assert [child.tag for child in page] == ["aggregates", "totals", "currency", "timezone"]
    rows = page.find("aggregates")
    assert rows is not None and [row.tag for row in rows] == ["aggregate", "aggregate"]
    assert [[(e.tag, e.text or "") for e in row][:5] for row in rows] == [
        [("originator_id", "101"), ("originator_name", "Acme <&> Co"),
         ("terminator_id", "901"), ("terminator_name", "Carrier A"),
         ("dst_group", "Lithuania Mobile")],
        [("originator_id", "102"), ("originator_name", "Beta"),
         ("terminator_id", "901"), ("terminator_name", "Carrier A"), ("dst_group", "Latvia")]]
    assert [row.findtext("total_calls") for row in rows] == ["2", "1"]
    assert [row.findtext("price") for row in rows] == ["0.50", "1.00"]
    assert page.findtext("totals/total_calls") == "3"
    assert page.findtext("totals/price") == "1.50"
    assert page.findtext("totals/cost") == "0.60"
    assert (page.findtext("currency"), page.findtext("timezone")) == ("USD", "UTC")


async def test_names_are_escaped(client, calls, admin):
    fields = {**DAY, "group_by_user": "1"}
    status, _, body = await get(client, sign(fields, admin))
    assert status == 200
    assert b"<originator_name>Acme &lt;&amp;&gt; Co</originator_name>" in body
    assert ET.fromstring(body).findtext("aggregates/aggregate/originator_name") == "Acme <&> Co"


async def test_json_answer(client, calls, admin):
    fields = {**DAY, "group_by_day": "1", "profit_show": "1", "format": "json"}
    response = await client.get(PATH, params=sign(fields, admin))
    assert (response.status, response.content_type) == (200, "application/json")
    result = exact_json(await response.read())
    del fields["format"]
    assert result == await rpc_result(client, admin, rpc_params(fields))
    assert result["aggregates"] == [{
        "day": "2024-01-01", "total_calls": 3, "answered_calls": 2, "asr": Decimal("66.67"),
        "billsec": 180, "acd": Decimal("90.00"), "pdd": Decimal("1.50"),
        "price": Decimal("1.50"), "cost": Decimal("0.60"), "profit": Decimal("0.90"),
        "margin": Decimal("60.00")}]


async def test_get_post_form_and_post_query_agree(client, calls, admin):
    fields = sign({**DAY, "group_by_device": "1", "a_currency": "usd"}, admin)
    status, _, by_get = await get(client, fields)
    assert status == 200 and ET.fromstring(by_get).tag == "page", by_get
    assert await post_form(client, fields) == (200, "application/xml", by_get)
    # MOR's own example: a POST with the fields in the query string
    response = await client.post(PATH, params=fields)
    assert (response.status, await response.read()) == (200, by_get)
    devices = [e.text for e in ET.fromstring(by_get).iter("device_name")]
    assert devices == ["acme-pbx", "beta-pbx"]


async def test_the_hash_is_case_insensitive_and_empty_values_mean_the_default(
        client, calls, admin):
    fields = sign(DAY, admin)
    _, _, expected = await get(client, fields)
    upper = [(k, v.upper() if k == "hash" else v) for k, v in fields]
    assert (await get(client, upper))[2] == expected
    # empty values are hashed (as nothing) and stand for the defaults
    with_empty = sign({**DAY, "a_src": "", "s_duration": "", "group_by_user": ""}, admin)
    assert (await get(client, with_empty))[2] == expected


async def test_filters(client, calls, admin):
    fields = {**DAY, "s_originator_id": "102", "group_by_user": "1"}
    status, _, body = await get(client, sign(fields, admin))
    assert status == 200, body
    assert [e.text for e in ET.fromstring(body).iter("originator_id")] == ["102"]


# --- errors -----------------------------------------------------------------------------------

async def test_credential_errors(client, calls, admin, new_key, rpc):
    fields = sign(DAY, admin)
    wrong = [(k, "0" * 40 if k == "hash" else v) for k, v in fields]
    assert error_of(*await get(client, wrong)) == INCORRECT_HASH
    assert error_of(*await get(client, [f for f in fields if f[0] != "hash"])) == INCORRECT_HASH
    # a hash over other values (here: `till` changed after signing)
    tampered = [(k, "1704153600" if k == "till" else v) for k, v in fields]
    assert error_of(*await get(client, tampered)) == INCORRECT_HASH
    # another key's secret
    other = await new_key("admin")
    assert error_of(*await get(client, sign(DAY, {**admin, "mor_secret": other["mor_secret"]}))) \
        == INCORRECT_HASH
    assert error_of(*await get(client, [f for f in fields if f[0] != "u"])) == ACCESS_DENIED
    unknown = {**admin, "key_id": "0123456789abcdef"}
    assert error_of(*await get(client, sign(DAY, unknown))) == ACCESS_DENIED
    elsewhere = await new_key("admin", ip_allow=["192.0.2.0/24"])
    assert error_of(*await get(client, sign(DAY, elsewhere))) == ACCESS_DENIED
    revoked = await new_key("admin")
    assert (await get(client, sign(DAY, revoked)))[0] == 200
    assert "result" in await rpc("keys.revoke", {"key_id": revoked["key_id"]})
    assert error_of(*await get(client, sign(DAY, revoked))) == ACCESS_DENIED


async def test_an_expired_key_is_denied(client, calls, new_key, monkeypatch):
    expires = clock.now().replace(microsecond=0) + dt.timedelta(hours=1)
    key = await new_key("admin", expires_at=expires.isoformat())
    monkeypatch.setattr(clock, "now", lambda: expires - dt.timedelta(seconds=1))
    assert (await get(client, sign(DAY, key)))[0] == 200
    monkeypatch.setattr(clock, "now", lambda: expires)
    assert error_of(*await get(client, sign(DAY, key))) == ACCESS_DENIED


@pytest.mark.parametrize("role", ["customer", "ingest"])
async def test_roles_without_aggregate_get(client, calls, new_key, role):
    key = await new_key(role)
    assert error_of(*await get(client, sign(DAY, key))) == NOT_AUTHORIZED
    assert error_of(*await post_form(client, sign(DAY, key))) == NOT_AUTHORIZED


@pytest.mark.parametrize("role", ["reseller", "accountant"])
async def test_other_reading_roles_may_call_it(client, calls, new_key, role):
    status, _, body = await get(client, sign(DAY, await new_key(role)))
    assert status == 200 and ET.fromstring(body).tag == "page", body


@pytest.mark.parametrize("param, text", [
    ("s_originator_id", "User was not found"),
    ("s_terminator_id", "Terminator was not found"),
    ("s_device", "Device was not found"),
    ("s_provider", "Provider was not found"),
])
async def test_unknown_objects_in_mor_words(client, calls, admin, param, text):
    assert error_of(*await get(client, sign({**DAY, param: "999"}, admin))) == text


@pytest.mark.parametrize("fields, text", [
    ({"from": "yesterday"}, "from: Not a valid integer."),
    ({"from": "1.5"}, "from: Not a valid integer."),
    ({"group_by_day": "yes"}, "group_by_day: Not a valid integer."),
    ({"format": "html"}, "format: Must be one of: xml, json."),
    ({"from": "1704153599", "till": "1704067200"}, "from: Must not be after till."),
    ({**DAY, "colour": "red"}, "colour: Unknown field."),
    ({**EUR_DAY}, "no EUR rate for 2024-02-01"),  # the 422's message
])
async def test_invalid_params(client, calls, admin, fields, text):
    assert error_of(*await get(client, sign(fields, admin))) == text


async def test_a_param_sent_twice(client, calls, admin):
    fields = sign(DAY, admin) + [("till", "1704153599")]
    assert error_of(*await get(client, fields)) == "till: Must be sent once."


async def test_other_verbs_and_bodies_answer_xml_errors(client, admin):
    response = await client.put(PATH, params=sign(DAY, admin))
    text = error_of(response.status, response.content_type, await response.read())
    assert text == f"Invalid Request: PUT is not allowed on {PATH}; use GET or POST"
    response = await client.post(PATH, json={"u": admin["key_id"]})
    text = error_of(response.status, response.content_type, await response.read())
    assert text == ("Invalid Request: the body must be an application/x-www-form-urlencoded "
                    "or multipart/form-data form")


async def test_the_rate_limit_answers_a_mor_error(client, new_key):
    key = await new_key("admin", rate_limit=1)  # 2 calls in 2 s (the default burst window)
    bad = sign({"from": "x"}, key)  # charged like any call, before its params are read
    for _ in range(2):
        assert error_of(*await get(client, bad)) == "from: Not a valid integer."
    response = await client.get(PATH, params=bad)
    text = error_of(response.status, response.content_type, await response.read())
    assert text == "rate-limited: the key's limit of 2 calls in 2 s is reached"
    assert response.headers["Retry-After"] in ("1", "2")


async def test_openapi_lists_the_route(client):
    document = await (await client.get("/openapi.json")).json()
    validate(document)
    path = document["paths"][PATH]
    assert set(path) == {"get", "post"}
    for verb, operation in path.items():
        assert operation["operationId"] == f"aggregate_get.{verb}"
        assert operation["security"] == [{"morUser": [], "morHash": []}]
        names = [p["name"] for p in operation["parameters"]]
        assert names == HASH_ORDER, names
        # every error is HTTP 200; only the HTTP server's own refusals are not (plain text)
        assert set(operation["responses"]) == {"200", "default"}
        content = operation["responses"]["200"]["content"]
        assert set(content) == {"application/xml", "application/json"}
        assert set(operation["responses"]["default"]["content"]) == {"text/plain"}
    # the POST reads the query and the form: it declares both, neither required
    assert [p["required"] for p in path["post"]["parameters"]] == [False] * len(HASH_ORDER)
    schemes = document["components"]["securitySchemes"]
    assert (schemes["morUser"]["in"], schemes["morUser"]["name"]) == ("query", "u")
    assert (schemes["morHash"]["in"], schemes["morHash"]["name"]) == ("query", "hash")
    form = path["post"]["requestBody"]["content"]["application/x-www-form-urlencoded"]
    assert list(form["schema"]["properties"]) == HASH_ORDER
