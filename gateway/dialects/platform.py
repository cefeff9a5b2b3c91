"""`GET|POST /platform_api/{MethodName}` and `POST /platform_api` with `cmd`, as
Voximplant's Management API serves its History methods (spec methods.md section 3, README
"Transport" and "Keys"; vendor-notes.md section 3).

Params are query or urlencoded form fields in their string forms: lists joined by `;`,
booleans `true`/`false` (or `1`/`0`), `all` where a list may be everything. The
credential is `account_id` (the key id) with `api_key` (the whole key), or
`Authorization: Bearer <key>`. Errors are `{"error": {"code", "msg"}}` with the vendor's
numeric codes; a CSV answer is the body itself (gzip when the client accepts it).
"""

from __future__ import annotations

import logging
from typing import Any

from aiohttp import web
from marshmallow import Schema, fields as mm
from multidict import MultiDict

from gateway import appkeys, auth, views
from gateway.dialects import forms
from gateway.dialects.active_sessions import status_of
from gateway.errors import (AuthenticationFailed, Forbidden, GatewayError, Internal,
                            InvalidParams, InvalidRequest, MethodNotAllowed, MethodNotFound,
                            NotFound, ParseError, Timeout)
from gateway.middlewares import REQUEST_ID
from gateway.exports import send_file
from methods.history import METHODS as HISTORY
from methods.history import common, reports

log = logging.getLogger(__name__)

PREFIX = "/platform_api"
CMD, ACCOUNT_ID, API_KEY = "cmd", "account_id", "api_key"
METHOD_NAMES = tuple(HISTORY)
DOWNLOAD = "DownloadHistoryReport"
FILES = "/reports/files/{report_id}"
# The vendor's codes (vendor-notes.md section 3, "Error format and codes").
FATAL, INTERNAL, AUTHORIZATION_FAILED, INVALID_ARGUMENTS = 1, 2, 100, 101
MISSING_CMD, UNKNOWN_COMMAND, FORBIDDEN_COMMAND = 102, 103, 104
FORMAT_NOT_SUPPORTED, INVALID_DATE = 105, 111
ERROR = {"type": "object", "required": ["error"], "properties": {"error": {
    "type": "object", "required": ["code", "msg"],
    "properties": {"code": {"type": "integer"}, "msg": {"type": "string"}}}}}
TRUE, FALSE = ("true", "1"), ("false", "0")


class RouteError(GatewayError):
    """A refusal of the route itself (no method reached), with its vendor code."""

    def __init__(self, status: int, code: int, message: str) -> None:
        super().__init__(message)
        self.status, self.vendor_code, self.detail = status, code, message

    def error_object(self) -> dict[str, Any]:
        return {"code": self.vendor_code, "message": self.detail}


def _value(field: mm.Field, text: str) -> Any:
    """A param's value from its string form, as the method's schema expects it."""
    if isinstance(field, common.ChildAccounts) and text == common.ALL:
        return text
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


def method_params(fields: MultiDict[str], schema: Schema) -> dict[str, Any]:
    """The method's params from the request's fields (the credential and `cmd` left out;
    an empty value stands for the default; a name the method does not know is passed on
    for the method to refuse)."""
    by_name = {f.data_key or name: f for name, f in schema.fields.items()}
    return forms.parsed(fields, lambda name, text: _value(by_name[name], text)
                        if name in by_name else text, skip=(CMD, ACCOUNT_ID, API_KEY))


def _credential(request: web.Request, fields: MultiDict[str]) -> str | None:
    key = fields.get(API_KEY)
    if not key:
        return auth.credential(request.headers)
    key_id = fields.get(ACCOUNT_ID)
    if key_id is not None and key_id != key.partition(".")[0]:
        raise AuthenticationFailed("account_id is not the key's id")
    return key


def vendor_error(exc: GatewayError) -> tuple[int, int, str]:
    """(HTTP status, vendor code, msg) of an error."""
    if isinstance(exc, RouteError):
        return exc.status, exc.vendor_code, exc.detail
    if isinstance(exc, AuthenticationFailed):
        return 401, AUTHORIZATION_FAILED, f"Authorization failed: {exc.reason}"
    if isinstance(exc, Forbidden):
        return 403, FORBIDDEN_COMMAND, exc.detail
    if isinstance(exc, InvalidParams):
        msg = "; ".join(forms.field_texts(exc.fields))
        if common.BAD_DATE in exc.fields.values():
            return 400, INVALID_DATE, msg
        if set(exc.fields) == {"output"}:
            return 400, FORMAT_NOT_SUPPORTED, msg
        return 400, INVALID_ARGUMENTS, msg
    if isinstance(exc, NotFound):
        return 404, INVALID_ARGUMENTS, exc.detail
    if isinstance(exc, (ParseError, InvalidRequest)) and exc.status == 200:
        return 400, INVALID_ARGUMENTS, exc.detail
    if isinstance(exc, MethodNotFound):
        return 404, UNKNOWN_COMMAND, "Unknown command"
    error = exc.error_object()
    if isinstance(exc, (Internal, Timeout)):
        return 500, INTERNAL, str(error["message"])
    return (exc.status if exc.status != 200 else 422), FATAL, str(error["message"])


async def _answer(request: web.Request) -> web.StreamResponse:
    if request.method not in ("GET", "POST"):
        raise RouteError(405, INVALID_ARGUMENTS,
                         f"{request.method} is not allowed; use GET or POST")
    async with views.slot(request):
        fields = await forms.request_fields(request)
        tail = request.path.removeprefix(PREFIX).strip("/")
        name = tail or fields.get(CMD)
        if not name:
            raise RouteError(400, MISSING_CMD, "Missing 'cmd' parameter")
        if name not in METHOD_NAMES:
            raise RouteError(404, UNKNOWN_COMMAND, f"Unknown command {name!r}")
        caller = await views.authenticate(request, _credential(request, fields))
        await request.app[appkeys.RATE_LIMITER].charge(caller, 1)
        params = method_params(fields, request.app[appkeys.METHODS][name].params)
        context = views.context_for(request, caller)
        result = await request.app[appkeys.DISPATCHER].call(name, params, context)
        if name == DOWNLOAD:  # on this route, the file itself
            path, file_name = await reports.counted_download(context, params["history_report_id"])
            return await send_file(request, path, file_name)
    if isinstance(result, dict) and isinstance(result.get("result"), str):
        response = web.Response(text=result["result"], content_type="text/csv")
        response.enable_compression()
        return response
    return views.json_response(result)


async def view(request: web.Request) -> web.StreamResponse:
    try:
        return await _answer(request)
    except GatewayError as exc:
        status, code, msg = vendor_error(exc)
        headers = views.retry_headers(exc)
    except Exception:  # the vendor's shape for the unexpected too
        log.exception("unexpected error on %s (request %s)", request.path, request[REQUEST_ID])
        status, code, msg = vendor_error(Internal(request[REQUEST_ID]))
        headers = {}
    log.info("%s answered %s %s (request %s)", request.path, code, msg, request[REQUEST_ID])
    return views.json_response({"error": {"code": code, "msg": msg}}, status, headers)


async def report_file(request: web.Request) -> web.StreamResponse:
    """`GET /reports/files/{id}`: a completed export's file, with the `/rpc` credential;
    errors as the `/rpc` error object, in its class's HTTP status."""
    try:
        if request.method != "GET":
            raise MethodNotAllowed(f"{request.method} is not allowed; use GET")
        async with views.slot(request):
            caller = await views.authenticate(request, auth.credential(request.headers))
            if caller.role not in request.app[appkeys.METHODS][DOWNLOAD].roles:
                raise Forbidden(f"the role {caller.role!r} may not download reports")
            text = request.match_info["report_id"]
            if not forms.INTEGER.fullmatch(text):
                raise NotFound(reports.TABLE, text)
            path, file_name = await reports.counted_download(
                views.context_for(request, caller), int(text))
        return await send_file(request, path, file_name)
    except GatewayError as exc:
        headers = views.retry_headers(exc)
        return views.json_response({"error": exc.error_object()}, status_of(exc), headers)
