"""`GET /ucaas/v1/sessions`, `.../sessions/{session_id}/cdr` and `.../recordings`, as
EnableX's UCaaS reporting serves them (spec methods.md section 4, README "Transport" and
"Keys"; vendor-notes.md section 4).

Params are query fields; repeating `search_by`/`search_string` gives several search pairs
(ours); the header `X-App-Type` (`vc` | `wb`) filters by application. The credential is
HTTP Basic (the key id, and the secret after its first `.`) or `Authorization: Token
<key>`. Errors are `{"result": <code>, "msg", "desc"}` with the vendor's codes.
"""

from __future__ import annotations

import base64
import binascii
import logging
from typing import Any

from aiohttp import web
from multidict import MultiDict

from gateway import appkeys, auth, views
from gateway.dialects import forms
from gateway.errors import (AuthenticationFailed, Forbidden, GatewayError, Internal,
                            InvalidParams, NotFound, Unprocessable)
from gateway.middlewares import REQUEST_ID

log = logging.getLogger(__name__)

PREFIX = "/ucaas/v1/sessions"
ROUTES = ((PREFIX, "ucaas.sessions.list"),
          (f"{PREFIX}/{{session_id}}/cdr", "ucaas.sessions.cdr"),
          (f"{PREFIX}/{{session_id}}/recordings", "ucaas.sessions.recordings"))
APP_TYPE_HEADER = "X-App-Type"
HEADERS = {"app_type": APP_TYPE_HEADER}
INTEGERS = ("page", "page_length")
LISTS = ("search_by", "search_string")
# The vendor's codes (vendor-notes.md section 4, "Errors").
NOT_FOUND, TOKEN_INVALID, REQUEST_INVALID = 0, 1001, 1002
FIELD_CODES = {"page": 1101, "page_length": 1102, "order_qualify": 1105, "app_type": 1403}
TITLES = {1101: "Invalid page", 1102: "Invalid page_length", 1105: "Invalid order_qualify",
          1403: "Invalid application type", REQUEST_INVALID: "Request invalid"}
ERROR = {"type": "object", "required": ["result", "msg"], "properties": {
    "result": {"type": "integer"}, "msg": {"type": "string"}, "desc": {"type": "string"}}}


def credential(request: web.Request) -> str | None:
    """The key of a Basic or Token `Authorization` header."""
    scheme, _, value = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() == "token" and value.strip():
        return value.strip()
    if scheme.lower() == "basic":
        try:
            user, colon, secret = base64.b64decode(value.strip(), validate=True) \
                .decode().partition(":")
        except (binascii.Error, UnicodeDecodeError):
            raise AuthenticationFailed("the Basic credential is not base64 of user:password") \
                from None
        return f"{user}.{secret}" if colon else None
    return None


def method_params(request: web.Request) -> dict[str, Any]:
    params = forms.parsed(MultiDict(request.query), lambda name, text: forms.integer(text)
                          if name in INTEGERS else text, repeatable=LISTS, skip_empty=False)
    params.update(request.match_info)
    if APP_TYPE_HEADER in request.headers:
        params["app_type"] = request.headers[APP_TYPE_HEADER]
    return params


def vendor_error(exc: GatewayError) -> tuple[int, int, str, str]:
    """(HTTP status, result code, msg, desc) of an error."""
    if isinstance(exc, auth.KeyExpired):
        return 403, TOKEN_INVALID, "Token expired", exc.reason
    if isinstance(exc, AuthenticationFailed):
        return 401, TOKEN_INVALID, "Invalid credentials", exc.reason
    if isinstance(exc, Forbidden):
        return 403, NOT_FOUND, "Forbidden", exc.detail
    if isinstance(exc, NotFound):
        return 404, NOT_FOUND, "Not found", exc.detail
    if isinstance(exc, InvalidParams):
        code = next((FIELD_CODES[f] for f in FIELD_CODES if f in exc.fields), REQUEST_INVALID)
        return 406, code, TITLES[code], "; ".join(forms.field_texts(exc.fields))
    if isinstance(exc, Unprocessable):
        return 406, REQUEST_INVALID, TITLES[REQUEST_INVALID], str(exc.error_object()["message"])
    error = exc.error_object()
    if isinstance(exc, Internal) or exc.status == 200:
        return 500, NOT_FOUND, "Internal error", str(error["message"])
    return exc.status, REQUEST_INVALID, TITLES[REQUEST_INVALID], str(error["message"])


def view_of(method: str) -> Any:
    async def view(request: web.Request) -> web.Response:
        try:
            if request.method != "GET":
                raise InvalidParams({"method": f"{request.method} is not allowed; use GET"})
            async with views.slot(request):
                caller = await views.authenticate(request, credential(request))
                await request.app[appkeys.RATE_LIMITER].charge(caller, 1)
                result = await request.app[appkeys.DISPATCHER].call(
                    method, method_params(request), views.context_for(request, caller))
            return views.json_response(result)
        except GatewayError as exc:
            status, code, msg, desc = vendor_error(exc)
            headers = views.retry_headers(exc)
        except Exception:
            log.exception("unexpected error on %s (request %s)", request.path,
                          request[REQUEST_ID])
            status, code, msg, desc = vendor_error(Internal(request[REQUEST_ID]))
            headers = {}
        log.info("%s answered %s %s (request %s)", request.path, code, desc,
                 request[REQUEST_ID])
        return views.json_response({"result": code, "msg": msg, "desc": desc}, status, headers)
    return view
