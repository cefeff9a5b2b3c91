"""Bounded integers (docs/rpc.md, "Integers"): every integer param that `/openrpc.json`
and `/openapi.json` list, sent out of its range, is refused as that route's invalid
param, never as an internal error, on every engine. The params are read from the
documents: a new integer param is covered without touching this file.

The values sent are 2**63 and -2**63 - 1, the first integers a signed 64-bit column cannot
hold, and the field's own bound + 1 (and - 1) where it is narrower. The message is the
one docs/rpc.md gives, with the bounds the document states.
"""

from __future__ import annotations

import base64
import copy
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from typing import Any, Iterator
from urllib.parse import urlencode

import marshmallow.fields as mm
import pytest
from conftest import call_as_root
from envelopes import answer, invalid, rejection

from gateway.web import appkeys
from gateway.web.dialects import mor
from methods.ingest import ledgers, session_schema
from methods.validators import Integer

INT64_MIN, INT64_MAX = -(2 ** 63), 2 ** 63 - 1
RANGE = "Must be greater than or equal to {min} and less than or equal to {max}."
MISSING = "Missing data for required field."
# EnableX's codes of the listing params (docs/methods/video.md, "Errors")
VIDEO_CODES = {"page": (1101, "Invalid page"), "page_length": (1102, "Invalid page_length")}
VOXIMPLANT_INVALID_ARGUMENTS = 101  # docs/methods/call-history.md, "Errors"


@dataclass(frozen=True)
class Param:
    """An integer in a param: its path (a name, then names and list positions) and the
    bounds the document states."""

    path: tuple[str | int, ...]
    minimum: int
    maximum: int

    @property
    def top(self) -> str:
        return str(self.path[0])


def integer_params(schema: dict[str, Any] | None, path: tuple[str | int, ...] = (),
                   lists_first: bool = False) -> Iterator[Param]:
    """Every integer a JSON Schema holds: itself, a list's items, an object's properties,
    the first branch of a `oneOf` that holds one (a list's first with `lists_first`: a
    query field of a list param is its `;`-separated string form, read as a list)."""
    if not schema:
        return
    if "oneOf" in schema:
        branches = sorted(schema["oneOf"], key=lambda b: b.get("type") != "array") \
            if lists_first else schema["oneOf"]
        for branch in branches:
            found = list(integer_params(branch, path, lists_first))
            if found:
                yield from found
                return
    kinds = schema.get("type", [])
    kinds = kinds if isinstance(kinds, list) else [kinds]
    if "integer" in kinds:
        yield Param(path, schema["minimum"], schema["maximum"])
    elif "array" in kinds:
        yield from integer_params(schema.get("items"), (*path, 0), lists_first)
    elif "object" in kinds:
        for name, inner in schema.get("properties", {}).items():
            yield from integer_params(inner, (*path, name), lists_first)


def values_for(param: Param) -> list[int]:
    """2**63, -2**63 - 1, and the field's own bounds passed by one where narrower."""
    values = [INT64_MAX + 1, INT64_MIN - 1]
    if param.maximum < INT64_MAX:
        values.append(param.maximum + 1)
    if param.minimum > INT64_MIN:
        values.append(param.minimum - 1)
    return values


def body_value(rest: tuple[str | int, ...], value: int) -> Any:
    """The value at the path below a param: `[value]` for a list, `{name: value}`."""
    if not rest:
        return value
    if isinstance(rest[0], int):
        return [body_value(rest[1:], value)]
    return {rest[0]: body_value(rest[1:], value)}


def nested_error(rest: tuple[str | int, ...], message: str) -> Any:
    """The message where marshmallow puts it: nested by name, or by position as text."""
    return message if not rest else {str(rest[0]): nested_error(rest[1:], message)}


async def document(client: Any, path: str) -> dict[str, Any]:
    response = await client.get(path)
    assert response.status == 200
    return dict(await response.json())


async def key_for_method(client: Any, make_key: Any, method: str, keys: dict[str, str]) -> str:
    """A key of a role that may call the method (admin where it may)."""
    roles = client.app[appkeys.METHODS][method].roles
    role = "admin" if "admin" in roles else sorted(roles)[0]
    if role not in keys:
        keys[role] = await make_key(role, rate_limit="unlimited")
    return keys[role]


# --- /rpc ----------------------------------------------------------------------------------

def expected_rpc_data(param: Param, value: int, required: list[str]) -> dict[str, Any]:
    """The -32602 `data`: the field's range message where it sits, and the required params
    not sent (marshmallow's message)."""
    data: dict[str, Any] = {name: MISSING for name in required if name != param.top}
    data[param.top] = nested_error(param.path[1:], RANGE.format(min=param.minimum,
                                                                max=param.maximum))
    return data


async def test_every_rpc_integer_param_is_bounded(client: Any, make_key: Any) -> None:
    spec = await document(client, "/openrpc.json")
    keys: dict[str, str] = {}
    checked, wrong = 0, []
    for method in spec["methods"]:
        name = method["name"]
        required = [p["name"] for p in method["params"] if p.get("required")]
        params = list(integer_params({"type": "object", "properties": {
            p["name"]: p["schema"] for p in method["params"]}}))
        if not params:
            continue
        key = await key_for_method(client, make_key, name, keys)
        for param in params:
            for value in values_for(param):
                body = {"jsonrpc": "2.0", "method": name, "id": 1,
                        "params": {param.top: body_value(param.path[1:], value)}}
                response = await client.post("/rpc", json=body, headers={"X-Api-Key": key})
                got = (response.status, await response.json())
                expected = (200, invalid(expected_rpc_data(param, value, required)))
                checked += 1
                if got != expected:
                    wrong.append((name, param.path, value, got, expected))
    assert not wrong, "\n".join(map(repr, wrong[:8]))
    # the document lists integer params: at least the paging of tenants.list and keys.list
    assert checked >= 20


# --- the dialect routes --------------------------------------------------------------------

FORM = "application/x-www-form-urlencoded"


@dataclass(frozen=True)
class Carrier:
    """Where an operation takes params: the query, a form or a JSON body; the params it
    declares there, in the method's order, and those it requires."""

    kind: str  # "query", "form" or "json"
    properties: dict[str, Any]
    required: tuple[str, ...]


def carriers(operation: dict[str, Any]) -> Iterator[Carrier]:
    query = [p for p in operation.get("parameters", []) if p["in"] == "query"]
    if query:
        yield Carrier("query", {p["name"]: p["schema"] for p in query},
                      tuple(p["name"] for p in query if p.get("required")))
    content = operation.get("requestBody", {}).get("content", {})
    for kind, media in (("form", FORM), ("json", "application/json")):
        schema = content.get(media, {}).get("schema")
        if schema and schema.get("properties"):
            yield Carrier(kind, schema["properties"], tuple(schema.get("required", ())))


def _errors(param: Param, carrier: Carrier) -> dict[str, Any]:
    """The route's bad fields in the order the method declares them: the required
    params not sent, and the one sent out of range."""
    message = RANGE.format(min=param.minimum, max=param.maximum)
    if carrier.kind == "json":  # the other required params are sent valid
        return {param.top: nested_error(param.path[1:], message)}
    errors: dict[str, Any] = {}
    for name in carrier.properties:
        if name == param.top:
            errors[name] = nested_error(param.path[1:], message)
        elif name in carrier.required:
            errors[name] = MISSING
    return errors


def _joined(errors: dict[str, Any]) -> str:
    """`name: message` of each bad field, nested ones as `outer.inner`, joined by `; `."""
    texts = []
    for name, message in errors.items():
        if isinstance(message, dict):
            texts += [f"{name}.{text}" for text in _joined(message).split("; ")]
        else:
            texts.append(f"{name}: {message}")
    return "; ".join(texts)


def _expected(path: str, errors: dict[str, Any], param: Param) -> tuple[int, Any]:
    """Each dialect's invalid-param answer (docs/methods/*.md, "Errors")."""
    if path.startswith("/billing/api/"):  # MOR: HTTP 200, <status><error>fields</error>
        return 200, _joined(errors)
    if path.startswith("/platform_api/"):  # Voximplant: 400, code 101, the fields
        return 400, {"error": {"code": VOXIMPLANT_INVALID_ARGUMENTS, "msg": _joined(errors)}}
    if path.startswith("/ucaas/"):  # EnableX: 406, the param's own code
        code, msg = VIDEO_CODES.get(param.top, (1002, "Request invalid"))
        return 406, {"result": code, "msg": msg, "desc": _joined(errors)}
    # JeraSoft: the class's status, the /rpc error object without its code
    return 400, {"error": {"message": "Invalid request", "data": errors}}


def _required_body_value(schema: dict[str, Any]) -> Any:
    """A valid value of a required JSON body param: the first of its enumerated items."""
    if schema.get("type") == "array" and "enum" in schema.get("items", {}):
        return [schema["items"]["enum"][0]]
    raise AssertionError(f"no valid value known for a required param: {schema}")


class Caller:
    """The admin key, in each credential form the operations declare."""

    def __init__(self, made: dict[str, Any]) -> None:
        self.key, self.mor_secret = str(made["key"]), str(made["mor_secret"])
        key_id, _, secret = self.key.partition(".")
        self.basic = base64.b64encode(f"{key_id}:{secret}".encode()).decode()

    def sign(self, operation: dict[str, Any], fields: dict[str, str]
             ) -> tuple[dict[str, str], dict[str, str]]:
        """(fields to add to the query, headers)."""
        security = {name for option in operation.get("security", []) for name in option}
        if "morUser" in security:  # MOR signs the values of the fields sent
            return {"u": self.key.partition(".")[0],
                    "hash": mor.mor_hash(fields, self.mor_secret)}, {}
        if "basic" in security:
            return {}, {"Authorization": f"Basic {self.basic}"}
        return {}, {"Authorization": f"Bearer {self.key}"}


async def _send(client: Any, path: str, verb: str, carrier: Carrier, param: Param, value: int,
                caller: Caller, operation: dict[str, Any]) -> tuple[int, Any]:
    if carrier.kind == "json":
        body = {param.top: body_value(param.path[1:], value)}
        for name in carrier.required:
            body.setdefault(name, _required_body_value(carrier.properties[name]))
        query, headers = caller.sign(operation, {})
        response = await client.request(verb.upper(), path, params=query, headers=headers,
                                        json=body)
    else:
        fields = {param.top: str(value)}  # a list param: one value as its string form
        query, headers = caller.sign(operation, fields)
        if carrier.kind == "query":
            response = await client.request(verb.upper(), path, headers=headers,
                                            params={**fields, **query})
        else:
            response = await client.request(verb.upper(), f"{path}?{urlencode(query)}",
                                            headers={**headers, "Content-Type": FORM},
                                            data=urlencode(fields))
    if response.content_type == "application/json":
        return response.status, await response.json()
    return response.status, ET.fromstring(await response.text()).findtext("error")


async def test_every_route_integer_param_is_bounded(client: Any) -> None:
    spec = await document(client, "/openapi.json")
    caller = Caller(await call_as_root(client.app, "keys.create", role="admin", tenant="root",
                                       rate_limit="unlimited"))
    checked: set[tuple[str, str]] = set()
    wrong = []
    for path, operations in spec["paths"].items():
        for verb, operation in operations.items():
            for carrier in carriers(operation):
                params = integer_params({"type": "object", "properties": carrier.properties},
                                        lists_first=carrier.kind != "json")
                for param in params:
                    for value in values_for(param):
                        got = await _send(client, path, verb, carrier, param, value, caller,
                                          operation)
                        expected = _expected(path, _errors(param, carrier), param)
                        checked.add((path, carrier.kind))
                        if got != expected:
                            wrong.append((verb, path, carrier.kind, param.path, value, got,
                                          expected))
    assert not wrong, "\n".join(map(repr, wrong[:8]))
    # every dialect that takes integers was reached, in every way it takes them
    for prefix, kind in (("/reports/active_sessions", "json"), ("/billing/api/", "query"),
                         ("/billing/api/", "form"), ("/platform_api/", "query"),
                         ("/platform_api/", "form"), ("/ucaas/", "query")):
        assert any(p.startswith(prefix) and k == kind for p, k in checked), (prefix, kind)


# --- a report file ---------------------------------------------------------------------------

@pytest.mark.parametrize("report_id", [str(2 ** 63), str(-(2 ** 63) - 1), "9" * 30])
async def test_a_report_file_id_out_of_range_is_not_found(client: Any, admin_key: str,
                                                          report_id: str) -> None:
    response = await client.get(f"/reports/files/{report_id}",
                                headers={"X-Api-Key": admin_key})
    message = f'Object "history_reports({report_id})" was not found!'
    assert (response.status, await response.json()) == (404, {"error": {
        "code": 404, "message": f"not_found: {message}",
        "data": {"code": "not_found", "message": message, "object_name": "history_reports",
                 "object_id": report_id}}})


# --- ingested records ------------------------------------------------------------------------

CALL = {"session_id": "big-1", "kind": "call", "tenant": "root",
        "setup_time": "2026-04-01T10:00:00Z", "end_time": "2026-04-01T10:01:00Z",
        "legs": [{"leg_id": "a", "role": "orig", "start_time": "2026-04-01T10:00:00Z",
                  "end_time": "2026-04-01T10:01:00Z"}]}


@pytest.mark.parametrize("where, path, bounds", [
    # an id: 1 to 2**62 (methods/ingest/record_fields.py, docs/ingest.md)
    ({"legs": [{**CALL["legs"][0], "client": {"id": 2 ** 63}}]}, "legs.0.client.id",
     (1, 2 ** 62)),
    ({"legs": [{**CALL["legs"][0], "client": {"id": -(2 ** 63) - 1}}]}, "legs.0.client.id",
     (1, 2 ** 62)),
    ({"legs": [{**CALL["legs"][0], "client": {"id": 2 ** 62 + 1}}]}, "legs.0.client.id",
     (1, 2 ** 62)),
    # a leg's Q.850 cause: 0 to 127; its post-dial delay: 0 to 2**62
    ({"legs": [{**CALL["legs"][0], "hangup_cause": 2 ** 63}]}, "legs.0.hangup_cause",
     (0, 127)),
    ({"legs": [{**CALL["legs"][0], "hangup_cause": 128}]}, "legs.0.hangup_cause",
     (0, 127)),
    ({"legs": [{**CALL["legs"][0], "pdd_ms": -(2 ** 63) - 1}]}, "legs.0.pdd_ms",
     (0, 2 ** 62)),
])
async def test_an_ingested_integer_out_of_range_rejects_its_record(
        rpc: Any, ingest_key: str, where: dict[str, Any], path: str,
        bounds: tuple[int, int]) -> None:
    good = {**CALL, "session_id": "good-1"}
    bad = {**CALL, **where}
    response = await rpc("ingest.sessions", {"records": [good, bad]}, key=ingest_key)
    # the first record stored, the second rejected with the field's message
    assert response == {"jsonrpc": "2.0", "id": 1, "result": answer(
        accepted=1, rejected=[rejection(1, {path: RANGE.format(min=bounds[0],
                                                               max=bounds[1])})])}, response


# Every integer field of every record kind, found by walking the record schemas; each one
# set out of range in a record that is otherwise valid (its first list items present).
def _records(kind: str, n: int) -> dict[str, Any]:
    """A valid record of the kind, the n-th (ids differ between the two sent)."""
    if kind == "ingest.sessions":
        leg = {**CALL["legs"][0], "client": {"id": n, "name": f"c{n}"},
               "account": {"id": n, "name": f"a{n}"}, "hangup_cause": 16, "pdd_ms": 100}
        return {**CALL, "session_id": f"s-{n}", "legs": [leg],
                "equipment": {"id": n, "name": f"e{n}"}, "application": {"id": n, "name": "app"},
                "records": [{"record_id": n, "url": f"https://rec.example/{n}.mp4"}],
                "resources": [{"resource_usage_id": n, "resource_type": "TTS"}]}
    if kind == "ingest.transactions":
        return {"transaction_id": n, "performed_at": "2026-03-01T12:00:00Z", "amount": "1.5",
                "currency": "EUR", "transaction_type": "resource_charge"}
    if kind == "ingest.acd_sessions":
        return {"acd_session_history_id": n, "acd_request_id": f"req-{n}",
                "begin_time": "2026-03-01T09:00:00Z", "events": [
                    {"acd_session_event_id": n, "time": "2026-03-01T09:00:01Z",
                     "type": "enqueued"}]}
    return {"code_deck_id": n, "name": f"deck {n}",
            "codes": [{"prefix": "370", "name": "Lithuania"}]}


RECORD_SCHEMAS = {"ingest.sessions": session_schema.SessionRecord,
                  "ingest.transactions": ledgers.Transaction,
                  "ingest.acd_sessions": ledgers.AcdSession,
                  "ingest.code_decks": ledgers.CodeDeck}


def record_integers(schema: Any, path: tuple[str | int, ...] = ()) -> Iterator[
        tuple[tuple[str | int, ...], Integer]]:
    for name, field in schema().fields.items():
        inner = field.inner if isinstance(field, mm.List) else field
        at = (*path, name, 0) if isinstance(field, mm.List) else (*path, name)
        if isinstance(inner, Integer):
            yield at, inner
        elif isinstance(inner, mm.Nested):
            yield from record_integers(type(inner.schema), at)


def _set(record: dict[str, Any], path: tuple[str | int, ...], value: int) -> dict[str, Any]:
    """The record with the value at the path (a nested object the record lacks is made)."""
    changed = copy.deepcopy(record)
    here: Any = changed
    for step, following in zip(path, path[1:]):
        if isinstance(here, dict) and here.get(step) is None:
            here[step] = [{}] if isinstance(following, int) else {}
        here = here[step]
    here[path[-1]] = value
    return changed


@pytest.mark.parametrize("kind", list(RECORD_SCHEMAS))
async def test_every_record_integer_is_bounded(rpc: Any, ingest_key: str, kind: str) -> None:
    good = await rpc(kind, {"records": [_records(kind, 1)]}, key=ingest_key)
    assert good["result"]["accepted"] == 1, good
    found = list(record_integers(RECORD_SCHEMAS[kind]))
    assert found
    wrong = []
    for path, field in found:
        for value in values_for(Param(path, field.minimum, field.maximum)):
            bad = _set(_records(kind, 2), path, value)
            response = await rpc(kind, {"records": [_records(kind, 1), bad]}, key=ingest_key)
            dotted = ".".join(map(str, path))
            # the first record is stored already: unchanged; the second refused alone
            expected = {"jsonrpc": "2.0", "id": 1, "result": answer(unchanged=1, rejected=[
                rejection(1, {dotted: RANGE.format(min=field.minimum, max=field.maximum)})])}
            if response != expected:
                wrong.append((path, value, response))
    assert not wrong, "\n".join(map(repr, wrong[:8]))
