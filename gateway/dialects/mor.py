"""`GET|POST /billing/api/aggregate_get`, as Kolmisoft MOR serves it (spec methods.md
section 2, README "Transport" and "Keys"; vendor-notes.md section 2).

The params are query or urlencoded form fields (a POST may carry them in either, as MOR's
own example does); `u` is the key id and `hash` signs the request with the key's MOR
secret. The answer is XML (`<page>...</page>`), or the method's JSON result with
`format=json`; every error is HTTP 200 with `<status><error>text</error></status>`, in
MOR's wording where MOR has one.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import re
import xml.etree.ElementTree as ET
from decimal import Decimal
from typing import Any, Callable, Mapping

from aiohttp import web
from multidict import MultiDict

from gateway import appkeys, auth, views
from gateway.dialects import forms
from gateway.errors import (AuthenticationFailed, Forbidden, GatewayError, Internal,
                            InvalidParams, MethodNotAllowed, Unprocessable)
from gateway.middlewares import REQUEST_ID

log = logging.getLogger(__name__)

PATH = "/billing/api/aggregate_get"
METHOD = "aggregate_get"
USER, HASH, FORMAT = "u", "hash", "format"
# The params whose values the hash covers, in the documented order (methods.md section 2).
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
FORMATS = ("xml", "json")

# MOR's texts (vendor-notes.md section 2, "Errors").
ACCESS_DENIED = "Access Denied"
INCORRECT_HASH = "Incorrect hash"
NOT_AUTHORIZED = "You are not authorized to use this functionality"
NOT_FOUND = {"s_originator_id": "User was not found",
             "s_terminator_id": "Terminator was not found",
             "s_device": "Device was not found",
             "s_provider": "Provider was not found"}

XML_DECLARATION = '<?xml version="1.0" encoding="UTF-8"?>'
# Characters XML 1.0 cannot hold, even escaped: written as U+FFFD so the answer stays
# well-formed whatever a stored name contains.
_NOT_XML = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")
ITEM_ELEMENTS = {"aggregates": "aggregate"}  # the element of each member of a list

# OpenAPI: the XML forms, and the route's responses.
ERROR = {"type": "object", "xml": {"name": "status"}, "required": ["error"],
         "properties": {"error": {"type": "string"}}}
_FIGURES = {"type": "object", "additionalProperties": {"type": "string"},
            "description": "one element per field, in the order of the JSON result; "
                           "null as an empty element"}
PAGE = {"type": "object", "xml": {"name": "page"}, "properties": {
    "aggregates": {"type": "array", "xml": {"wrapped": True},
                   "items": {**_FIGURES, "xml": {"name": "aggregate"}}},
    "totals": _FIGURES, "currency": {"type": "string"}, "timezone": {"type": "string"}}}
EXTRA_PARAMS = ({"name": FORMAT, "in": "query", "required": False,
                 "schema": {"type": "string", "enum": list(FORMATS), "default": "xml"},
                 "description": "the answer's form (ours)"},)


def responses(result: Mapping[str, Any]) -> dict[str, Any]:
    return {"200": {
        "description": "the statistics as XML, or as JSON with format=json; every error is "
                       "HTTP 200 too, as <status><error>text</error></status>",
        "content": {"application/xml": {"schema": {"oneOf": [PAGE, ERROR]}},
                    "application/json": {"schema": dict(result)}}}}


def mor_hash(fields: Mapping[str, str], secret: str) -> str:
    """The `hash` of a request: lowercase SHA-1 hex of the values of the hashed params
    present (empty ones included), in the documented order, followed by the secret."""
    text = "".join(fields[name] for name in HASHED if name in fields) + secret
    return hashlib.sha1(text.encode()).hexdigest()


def _hash_proves(fields: MultiDict[str], server_key: str) -> Callable[[str], bool]:
    """Whether the request's `hash` signs its fields with a key's MOR secret."""
    given = fields.get(HASH, "").lower()

    def proves(key_id: str) -> bool:
        expected = mor_hash(fields, auth.mor_secret(server_key, key_id))
        return hmac.compare_digest(expected.encode(), given.encode())
    return proves


class StringFormError(InvalidParams):
    """The route's own refusal of a field's string form (before the method is reached)."""


def method_params(fields: MultiDict[str]) -> tuple[dict[str, Any], str]:
    """The method's params, from their string forms, and the answer's format.

    An empty value stands for the param's default (MOR's own clients send every param);
    anything else the method does not know, it refuses itself (`Unknown field.`).
    """
    params = forms.parsed(fields, lambda name, text: forms.integer(text) if name in INTEGERS
                          else text, skip=(USER, HASH), error=StringFormError)
    answer_format = str(params.pop(FORMAT, "xml")).lower()
    if answer_format not in FORMATS:
        raise StringFormError({FORMAT: f"Must be one of: {', '.join(FORMATS)}."})
    return params, answer_format


def error_text(exc: GatewayError) -> str:
    """The `<error>` text of an error: MOR's wording where MOR has one."""
    if isinstance(exc, auth.WrongProof):
        return INCORRECT_HASH
    if isinstance(exc, AuthenticationFailed):
        return ACCESS_DENIED
    if isinstance(exc, Forbidden):
        return NOT_AUTHORIZED
    if isinstance(exc, InvalidParams):
        if not isinstance(exc, StringFormError):  # the method's: an unknown object
            found = next((text for name, text in NOT_FOUND.items() if name in exc.fields), None)
            if found is not None:
                return found
        return "; ".join(forms.field_texts(exc.fields))
    if isinstance(exc, Unprocessable):
        return exc.detail
    error = exc.error_object()
    text = str(error["message"])
    detail = error.get("data", {}).get("message")
    if isinstance(detail, str) and detail not in text:
        text = f"{text}: {detail}"  # e.g. "Invalid Request: <what was wrong>"
    return text


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, Decimal):
        return format(value, "f")  # as str() for the quantized amounts, never an exponent
    return _NOT_XML.sub("\ufffd", str(value))


def _append(parent: ET.Element, name: str, value: Any) -> None:
    element = ET.SubElement(parent, name)
    if isinstance(value, Mapping):
        for key, member in value.items():
            _append(element, key, member)
    elif isinstance(value, (list, tuple)):
        for member in value:
            _append(element, ITEM_ELEMENTS.get(name, "item"), member)
    else:
        element.text = _text(value)


def xml_document(name: str, content: Mapping[str, Any]) -> bytes:
    """`<name>` holding one element per key, in order (ElementTree escapes the text)."""
    root = ET.Element(name)
    for key, value in content.items():
        _append(root, key, value)
    return (XML_DECLARATION + ET.tostring(root, encoding="unicode",
                                          short_empty_elements=False)).encode()


def xml_response(body: bytes, headers: dict[str, str] | None = None) -> web.Response:
    return web.Response(body=body, headers=headers, content_type="application/xml",
                        charset="utf-8")


def error_response(text: str, headers: dict[str, str] | None = None) -> web.Response:
    return xml_response(xml_document("status", {"error": text}), headers)


async def _answer(request: web.Request) -> web.Response:
    if request.method not in ("GET", "POST"):
        raise MethodNotAllowed(f"{request.method} is not allowed on {PATH}; use GET or POST")
    async with views.slot(request):
        fields = await forms.request_fields(request)
        caller = await request.app[appkeys.AUTHENTICATOR].authenticate_proven(
            fields.get(USER, ""), _hash_proves(fields, request.app[appkeys.SERVER_KEY]),
            views.client_ip(request))
        await request.app[appkeys.RATE_LIMITER].charge(caller, 1)
        params, answer_format = method_params(fields)
        result = await request.app[appkeys.DISPATCHER].call(
            METHOD, params, views.context_for(request, caller))
    if answer_format == "json":
        return views.json_response(result)
    return xml_response(xml_document("page", result))


async def view(request: web.Request) -> web.Response:
    try:
        return await _answer(request)
    except GatewayError as exc:
        text = error_text(exc)
        headers = views.retry_headers(exc)
        headers.pop("Allow", None)  # every error answers 200, a wrong verb included
    except Exception:  # MOR answers every error as 200 `<status>`: so does the route
        log.exception("unexpected error on %s (request %s)", PATH, request[REQUEST_ID])
        text, headers = error_text(Internal(request[REQUEST_ID])), {}
    log.info("%s answered %s (request %s)", PATH, text, request[REQUEST_ID])
    return error_response(text, headers)
