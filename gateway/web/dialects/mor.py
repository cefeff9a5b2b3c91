"""`GET|POST /billing/api/aggregate_get`, as Kolmisoft MOR serves it (spec docs/methods/
section 2, docs/rpc.md and docs/auth.md; docs/methods/aggregate.md).

The params are query or urlencoded form fields (a POST may carry them in either, as MOR's
own example does); `u` is the key id and `hash` signs the request with the key's MOR
secret, derived from the server key (docs/auth.md, "The MOR secret and `hash`"). The answer
is XML (`<page>...</page>`), or the method's JSON result with `format=json`; every error is
HTTP 200 with `<status><error>text</error></status>`, in MOR's wording where MOR has one.
"""

from __future__ import annotations

import hashlib
import hmac
from typing import Any, Callable, Mapping

from aiohttp import web

from gateway.core.credentials import IssuedKey, Proof, Scheme
from gateway.core.errors import (AuthenticationFailed, Forbidden, GatewayError, InvalidParams,
                                 Unprocessable)
from gateway.web.auth import WrongProof
from gateway.web.dialects import forms, renderers
from gateway.web.dialects.dialect import Call, CredentialScheme, Dialect, Renderer, Route
from gateway.web.dialects.errormaps import ErrorMap, ErrorRule
from gateway.web.dialects.readers import Fields, Option, StringFields, integers
from gateway.web.transport import json_response

PATH = "/billing/api/aggregate_get"
METHOD = "aggregate_get"
USER, HASH, FORMAT = "u", "hash", "format"
SCHEME = "mor"  # the credential scheme `u` + `hash`
# The params whose values the hash covers, in the documented order (docs/methods/aggregate.md).
HASHED = ("from", "till", "a_currency", "group_by_user", "group_by_device",
          "group_by_terminator", "group_by_provider", "group_by_dst_group", "group_by_dst",
          "group_by_day", "group_by_hour", "group_by_user_rate", "group_by_provider_rate",
          "s_originator_id", "s_terminator_id", "s_device", "s_provider", "a_src", "a_dst",
          "clid", "s_duration", "dst_group", "use_real_billsec", "from_user_perspective",
          "answered_calls", "profit_show", "timezone", FORMAT)
INTEGERS = frozenset({
    "from", "till", "s_originator_id", "s_terminator_id", "s_device", "s_provider",
    "s_duration", "answered_calls",
    # the 0/1 flags: the method refuses any other integer
    "group_by_user", "group_by_device", "group_by_terminator", "group_by_provider",
    "group_by_dst_group", "group_by_dst", "group_by_day", "group_by_hour",
    "group_by_user_rate", "group_by_provider_rate", "use_real_billsec",
    "from_user_perspective", "profit_show"})
FORMATS = Option(FORMAT, ("xml", "json"), "the answer's form (ours)")
ITEM_ELEMENTS = {"aggregates": "aggregate"}  # the element of each member of a list

# MOR's texts (docs/methods/aggregate.md, "Errors").
ACCESS_DENIED = "Access Denied"
INCORRECT_HASH = "Incorrect hash"
NOT_AUTHORIZED = "You are not authorized to use this functionality"
MISSING_OBJECT = "was not found!"  # the end of the method's message for an unknown object
NOT_FOUND = {"s_originator_id": "User was not found",
             "s_terminator_id": "Terminator was not found",
             "s_device": "Device was not found",
             "s_provider": "Provider was not found"}

# OpenAPI: the XML forms, the route's responses, and its credential.
ERROR = {"type": "object", "xml": {"name": "status"}, "required": ["error"],
         "properties": {"error": {"type": "string"}}}
_FIGURES = {"type": "object", "additionalProperties": {"type": "string"},
            "description": "one element per field, in the order of the JSON result; "
                           "null as an empty element"}
PAGE = {"type": "object", "xml": {"name": "page"}, "properties": {
    "aggregates": {"type": "array", "xml": {"wrapped": True},
                   "items": {**_FIGURES, "xml": {"name": "aggregate"}}},
    "totals": _FIGURES, "currency": {"type": "string"}, "timezone": {"type": "string"}}}
SECURITY_SCHEMES = {
    # `u` and `hash` together (query or form fields; OpenAPI names the query).
    "morUser": {"type": "apiKey", "in": "query", "name": USER,
                "description": "MOR: the key id (sent with `hash`)"},
    "morHash": {"type": "apiKey", "in": "query", "name": HASH,
                "description": "MOR: lowercase SHA-1 hex of the values of the params sent, in "
                               "the documented order, followed by the key's MOR secret "
                               "(docs/methods/aggregate.md)"}}


def responses(result: Mapping[str, Any], error: Mapping[str, Any]) -> dict[str, Any]:
    return {"200": {
        "description": "the statistics as XML, or as JSON with format=json; every error is "
                       "HTTP 200 too, as <status><error>text</error></status>",
        "content": {"application/xml": {"schema": {"oneOf": [PAGE, error]}},
                    "application/json": {"schema": dict(result)}}}}


def mor_secret(server_key: str, key_id: str) -> str:
    """The key's secret for MOR's `hash` scheme; derived, never stored."""
    return hmac.new(server_key.encode(), key_id.encode(), hashlib.sha256).hexdigest()[:32]


def mor_hash(fields: Mapping[str, str], secret: str) -> str:
    """The `hash` of a request: lowercase SHA-1 hex of the values of the hashed params
    present (empty ones included), in the documented order, followed by the secret."""
    text = "".join(fields[name] for name in HASHED if name in fields) + secret
    return hashlib.sha1(text.encode()).hexdigest()


def credential(request: web.Request, fields: Fields) -> Proof:
    """`u` names the key; the proof holds when `hash` signs the fields with its secret."""
    given = fields.get(HASH, "").lower().encode()
    return Proof(SCHEME, fields.get(USER, ""),
                 lambda secret: hmac.compare_digest(mor_hash(fields, secret).encode(), given))


def issued(key: IssuedKey) -> dict[str, str]:
    return {"mor_secret": key.secret(SCHEME)}


class StringFormError(InvalidParams):
    """The route's own refusal of a field's string form (before the method is reached)."""


def _invalid(exc: InvalidParams) -> str:
    """An unknown object named by the method (MOR's wording), else each bad field (an id
    out of range among them: that is a bad value, not an unknown object)."""
    found = next((text for name, text in NOT_FOUND.items()
                  if str(exc.fields.get(name, "")).endswith(MISSING_OBJECT)), None)
    return found if found is not None else _fields(exc)


def _fields(exc: InvalidParams) -> str:
    return "; ".join(forms.field_texts(exc.fields))


def _message(exc: GatewayError) -> str:
    error = exc.error_object()
    text = str(error["message"])
    detail = error.get("data", {}).get("message")
    if isinstance(detail, str) and detail not in text:
        text = f"{text}: {detail}"  # e.g. "Invalid Request: <what was wrong>"
    return text


def _text(text_of: Callable[[Any], str]) -> ErrorRule:
    return lambda exc: (200, {"error": text_of(exc)})


ERRORS: ErrorMap = {
    WrongProof: _text(lambda exc: INCORRECT_HASH),
    AuthenticationFailed: _text(lambda exc: ACCESS_DENIED),
    Forbidden: _text(lambda exc: NOT_AUTHORIZED),
    StringFormError: _text(_fields), InvalidParams: _text(_invalid),
    Unprocessable: _text(lambda exc: exc.detail), GatewayError: _text(_message)}


async def answer(call: Call, result: Any) -> web.StreamResponse:
    if call.options[FORMAT] == "json":
        return json_response(result)
    return renderers.xml_response(renderers.xml_document("page", result, ITEM_ELEMENTS))


def error(status: int, body: Any, headers: dict[str, str]) -> web.StreamResponse:
    return renderers.xml_response(renderers.xml_document("status", body), headers, status)


DIALECT = Dialect(
    name="mor",
    routes=(Route(PATH, METHOD),),
    verbs=("GET", "POST"),
    # An empty value stands for the param's default (MOR's own clients send every param);
    # anything else the method does not know, it refuses itself (`Unknown field.`).
    reader=StringFields(integers(INTEGERS), skip=(USER, HASH), error=StringFormError,
                        options=(FORMATS,), query_on_post=True),
    credential=CredentialScheme(credential, security=({"morUser": [], "morHash": []},),
                                components=SECURITY_SCHEMES,
                                scheme=Scheme(SCHEME, mor_secret), key_hook=issued),
    errors=ERRORS,
    renderer=Renderer(answer, error, responses),
    error_schema=ERROR,
)
