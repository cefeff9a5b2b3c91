"""`GET|POST /platform_api/{MethodName}` and `POST /platform_api` with `cmd`, as
Voximplant's Management API serves its History methods (docs/methods/call-history.md, README
"Transport" and "Keys"; docs/methods/call-history.md).

Params are query or urlencoded form fields in their string forms: lists joined by `;`
(`remote_number_list` also as a JSON array of strings), booleans `true`/`false` (or
`1`/`0`), `all` where a list may be everything. The
credential is `account_id` (the key id, or its tenant's integer id) with `api_key` (the whole
key), `Authorization: Bearer <key>`, or a service account's `Authorization: Bearer <jwt>`
(`service_accounts.py`). Errors are `{"error": {"code", "msg"}}` with the vendor's
numeric codes; a CSV answer is the body itself (gzip when the client accepts it), and
`DownloadHistoryReport` answers the file as `application/octet-stream`.
"""

from __future__ import annotations

from typing import Any, Mapping

import orjson
from aiohttp import web
from marshmallow import Schema
from marshmallow import fields as mm

from gateway.core.credentials import Credential, NamedKey
from gateway.core.errors import (AuthenticationFailed, Forbidden, GatewayError, Internal,
                                 InvalidParams, InvalidRequest, MethodNotFound, NotFound,
                                 ParseError, Timeout)
from gateway.web import appkeys, auth
from gateway.web.dialects import forms, renderers, schemes, service_accounts
from gateway.web.dialects.dialect import Call, CredentialScheme, Dialect, Renderer, Route
from gateway.web.dialects.errormaps import ErrorMap, VendorError, WrongVerb
from gateway.web.dialects.readers import Fields, StringFields
from gateway.web.transport import json_response
from methods.history import METHODS as HISTORY
from methods.history import common

PREFIX = "/platform_api"
CMD, ACCOUNT_ID, API_KEY = "cmd", "account_id", "api_key"
METHOD_NAMES = tuple(HISTORY)
DOWNLOAD = "DownloadHistoryReport"
# The vendor's codes (docs/methods/call-history.md, "Error format and codes").
FATAL, INTERNAL, AUTHORIZATION_FAILED, INVALID_ARGUMENTS = 1, 2, 100, 101
MISSING_CMD, UNKNOWN_COMMAND, FORBIDDEN_COMMAND = 102, 103, 104
FORMAT_NOT_SUPPORTED, INVALID_DATE = 105, 111
ERROR = {"type": "object", "required": ["error"], "properties": {"error": {
    "type": "object", "required": ["code", "msg"],
    "properties": {"code": {"type": "integer"}, "msg": {"type": "string"}}}}}
TRUE, FALSE = ("true", "1"), ("false", "0")
SECURITY_SCHEMES = {
    "platformAccount": {"type": "apiKey", "in": "query", "name": ACCOUNT_ID,
                        "description": "Voximplant: the key id (sent with `api_key`)"},
    "platformKey": {"type": "apiKey", "in": "query", "name": API_KEY,
                    "description": "Voximplant: the whole key"},
    "bearer": schemes.BEARER}


class RouteError(GatewayError):
    """A refusal of the route itself (no method reached), with its vendor code."""

    def __init__(self, status: int, code: int, message: str, kind: str) -> None:
        super().__init__(message)
        self.status, self.vendor_code, self.detail = status, code, message
        self.kind = kind  # the class the request log and the metrics name it by

    def error_object(self) -> dict[str, Any]:
        return {"code": self.vendor_code, "message": self.detail}


def method_of(request: web.Request, fields: Fields) -> str:
    """The method named by the path, else by `cmd`."""
    name = request.path.removeprefix(PREFIX).strip("/") or fields.get(CMD)
    if not name:
        raise RouteError(400, MISSING_CMD, "Missing 'cmd' parameter", "invalid-request")
    if name not in METHOD_NAMES:
        raise RouteError(404, UNKNOWN_COMMAND, f"Unknown command {name!r}",
                         "method-not-found")
    return name


def _value(field: mm.Field, text: str) -> Any:
    """A param's value from its string form, as the method's schema expects it."""
    if isinstance(field, common.ChildAccounts) and text == common.ALL:
        return text
    if isinstance(field, common.NumberList) and text.lstrip().startswith("["):
        return _json_list(text)
    if isinstance(field, (mm.List, common.ChildAccounts)):
        inner = field.inner if isinstance(field, mm.List) else mm.Integer()
        return [_value(inner, part) for part in text.split(";")]
    if isinstance(field, mm.Boolean):
        if text.lower() in TRUE or text.lower() in FALSE:
            return text.lower() in TRUE
        raise ValueError("Not a valid boolean.")
    if isinstance(field, mm.Integer):
        return forms.integer(text)
    return text


def _json_list(text: str) -> Any:
    """A JSON array of strings (as the clients document `remote_number_list`); else the
    text, for the schema to refuse."""
    try:
        value = orjson.loads(text)
    except orjson.JSONDecodeError:
        return text
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        return value
    return text


def convert(name: str, text: str, schema: Schema | None) -> Any:
    """By the method's field of that name; a name it does not know is passed on as text,
    for the method to refuse."""
    fields = schema.fields.items() if schema is not None else ()
    field = next((f for key, f in fields if (f.data_key or key) == name), None)
    return text if field is None else _value(field, text)


def credential(request: web.Request, fields: Fields) -> Credential:
    key = fields.get(API_KEY)
    if not key:
        return auth.credential_or_token(request.headers,
                                        request.app[appkeys.AUTHENTICATOR].registry)
    account = fields.get(ACCOUNT_ID)
    if account is None or account == key.partition(".")[0]:
        return key
    if account.isascii() and account.isdigit() and len(account) < 20:
        return NamedKey(key, int(account))  # the tenant's id, checked against the key's
    raise AuthenticationFailed("account_id is not the key's id")


def _vendor(status: int, code: int, msg: str) -> VendorError:
    return status, {"error": {"code": code, "msg": msg}}


def _invalid_params(exc: InvalidParams) -> VendorError:
    msg = "; ".join(forms.field_texts(exc.fields))
    if common.BAD_DATE in exc.fields.values():
        return _vendor(400, INVALID_DATE, msg)
    if set(exc.fields) == {"output"}:
        return _vendor(400, FORMAT_NOT_SUPPORTED, msg)
    return _vendor(400, INVALID_ARGUMENTS, msg)


def _fatal(exc: GatewayError) -> VendorError:
    status = exc.status if exc.status != 200 else 422
    return _vendor(status, FATAL, str(exc.error_object()["message"]))


def _unreadable(exc: ParseError | InvalidRequest) -> VendorError:
    """A body that could not be read (413 and 415 keep their status)."""
    return _vendor(400, INVALID_ARGUMENTS, exc.detail) if exc.status == 200 else _fatal(exc)


def _internal(exc: GatewayError) -> VendorError:
    return _vendor(500, INTERNAL, str(exc.error_object()["message"]))


ERRORS: ErrorMap = {
    RouteError: lambda exc: _vendor(exc.status, exc.vendor_code, exc.detail),
    WrongVerb: lambda exc: _vendor(405, INVALID_ARGUMENTS, exc.briefly),
    AuthenticationFailed: lambda exc: _vendor(401, AUTHORIZATION_FAILED,
                                              f"Authorization failed: {exc.reason}"),
    Forbidden: lambda exc: _vendor(403, FORBIDDEN_COMMAND, exc.detail),
    InvalidParams: _invalid_params,
    NotFound: lambda exc: _vendor(404, INVALID_ARGUMENTS, exc.detail),
    ParseError: _unreadable, InvalidRequest: _unreadable,
    MethodNotFound: lambda exc: _vendor(404, UNKNOWN_COMMAND, "Unknown command"),
    Internal: _internal, Timeout: _internal,
    GatewayError: _fatal,
}


async def answer(call: Call, result: Any) -> web.StreamResponse:
    if call.method == DOWNLOAD:  # on this route, the file itself
        return await renderers.report_file(call.request, call.context,
                                           call.params["history_report_id"])
    if isinstance(result, dict) and isinstance(result.get("result"), str):
        return renderers.csv_text(result["result"])
    return json_response(result)


def responses(result: Mapping[str, Any], error: Mapping[str, Any]) -> dict[str, Any]:
    """As `answer` answers: the file itself for DownloadHistoryReport, the CSV text as the
    body when the result may be that text (`output=csv`), JSON otherwise."""
    out = renderers.json_responses(dict(result), dict(error))
    content = out["200"]["content"]
    if result == HISTORY[DOWNLOAD].result:
        out["200"] = {"description": "the export's file", "content": {
            "application/octet-stream": {"schema": {"type": "string", "format": "binary"}}}}
    elif any(alternative.get("type") == "string" for alternative in
             result.get("properties", {}).get("result", {}).get("oneOf", ())):
        content["text/csv"] = {"schema": {"type": "string"}}
    return out


DIALECT = Dialect(
    name="platform",
    # Every verb and spelling reaches the view, which answers the vendor's way: `cmd` in
    # the form, and unknown method names (code 103).
    routes=(*(Route(f"{PREFIX}/{name}", name) for name in METHOD_NAMES),
            Route(PREFIX), Route(f"{PREFIX}/{{name}}")),
    verbs=("GET", "POST"),
    reader=StringFields(convert, skip=(CMD, ACCOUNT_ID, API_KEY)),
    credential=CredentialScheme(
        credential, components=SECURITY_SCHEMES,
        security=({"platformAccount": [], "platformKey": []}, {"platformKey": []},
                  {"bearer": []}),
        scheme=service_accounts.SCHEME, key_hook=service_accounts.credentials_file),
    errors=ERRORS,
    renderer=Renderer(answer, renderers.json_error, responses),
    error_schema=ERROR,
    method_of=method_of,
)
