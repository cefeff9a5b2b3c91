"""`GET /ucaas/v1/sessions`, `.../sessions/{session_id}/cdr` and `.../recordings`, as
EnableX's UCaaS reporting serves them (docs/methods/video.md, docs/rpc.md and
"Keys"; docs/methods/video.md).

Params are query fields; repeating `search_by`/`search_string` gives several search pairs
(ours); the header `X-App-Type` (`vc` | `wb`) filters by application. The credential is
HTTP Basic (the key id, and the secret after its first `.`), `Authorization: Token <key>`,
or `Token <access_token>` with a token from `POST /ucaas/v1/login` (`login.py`). Errors
are `{"result": <code>, "msg", "desc"}` with the vendor's codes.
"""

from __future__ import annotations

import base64
import binascii

from aiohttp import web

from gateway.core.credentials import Credential
from gateway.core.errors import (AuthenticationFailed, Forbidden, GatewayError, Internal,
                                 InvalidParams, NotFound, Timeout, Unprocessable)
from gateway.web.auth import KeyExpired
from gateway.web.dialects import forms, renderers, tokens
from gateway.web.dialects.dialect import CredentialScheme, Dialect, Route
from gateway.web.dialects.errormaps import ErrorMap, VendorError, WrongVerb
from gateway.web.dialects.readers import Fields, StringFields, integers

PREFIX = "/ucaas/v1/sessions"
ROUTES = (Route(PREFIX, "ucaas.sessions.list"),
          Route(f"{PREFIX}/{{session_id}}/cdr", "ucaas.sessions.cdr"),
          Route(f"{PREFIX}/{{session_id}}/recordings", "ucaas.sessions.recordings"))
APP_TYPE_HEADER = "X-App-Type"
INTEGERS = ("page", "page_length")
LISTS = ("search_by", "search_string")
# The vendor's codes (docs/methods/video.md, "Errors").
NOT_FOUND, TOKEN_INVALID, REQUEST_INVALID = 0, 1001, 1002
FIELD_CODES = {"page": 1101, "page_length": 1102, "order_qualify": 1105, "app_type": 1403}
TITLES = {1101: "Invalid page", 1102: "Invalid page_length", 1105: "Invalid order_qualify",
          1403: "Invalid application type", REQUEST_INVALID: "Request invalid"}
ERROR = {"type": "object", "required": ["result", "msg"], "properties": {
    "result": {"type": "integer"}, "msg": {"type": "string"}, "desc": {"type": "string"}}}
SECURITY_SCHEMES = {
    # HTTP Basic (the key id, and the secret after its first "."), or a token.
    "basic": {"type": "http", "scheme": "basic"},
    "token": {"type": "apiKey", "in": "header", "name": "Authorization",
              "description": "EnableX: `Token <access_token>` (from POST /ucaas/v1/login), "
                             "or `Token <key>`"}}


def credential(request: web.Request, fields: Fields) -> Credential:
    """The key of a Basic or Token `Authorization` header; a token issued by
    `POST /ucaas/v1/login` (`tokens.py`) as its proof of the key."""
    scheme, _, value = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() == "token" and value.strip():
        return tokens.proof(value.strip()) or value.strip()
    return basic(request)


def basic(request: web.Request) -> Credential:
    """The key of a Basic `Authorization` header, else None."""
    scheme, _, value = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() == "basic":
        try:
            user, colon, secret = base64.b64decode(value.strip(), validate=True) \
                .decode().partition(":")
        except (binascii.Error, UnicodeDecodeError):
            raise AuthenticationFailed("the Basic credential is not base64 of user:password") \
                from None
        return f"{user}.{secret}" if colon else None
    return None


def _vendor(status: int, code: int, msg: str, desc: str) -> VendorError:
    return status, {"result": code, "msg": msg, "desc": desc}


def _invalid_params(exc: InvalidParams) -> VendorError:
    code = next((FIELD_CODES[f] for f in FIELD_CODES if f in exc.fields), REQUEST_INVALID)
    return _vendor(406, code, TITLES[code], "; ".join(forms.field_texts(exc.fields)))


def _internal(exc: GatewayError) -> VendorError:
    return _vendor(500, NOT_FOUND, "Internal error", str(exc.error_object()["message"]))


def _other(exc: GatewayError) -> VendorError:
    """A refusal with its own status (429, 503), else an internal error."""
    if exc.status == 200:
        return _internal(exc)
    return _vendor(exc.status, REQUEST_INVALID, TITLES[REQUEST_INVALID],
                   str(exc.error_object()["message"]))


ERRORS: ErrorMap = {
    # An expired key answers 403, as the vendor documents for an expired token.
    KeyExpired: lambda exc: _vendor(403, TOKEN_INVALID, "Token expired", exc.reason),
    AuthenticationFailed: lambda exc: _vendor(401, TOKEN_INVALID, "Invalid credentials",
                                              exc.reason),
    Forbidden: lambda exc: _vendor(403, NOT_FOUND, "Forbidden", exc.detail),
    NotFound: lambda exc: _vendor(404, NOT_FOUND, "Not found", exc.detail),
    InvalidParams: _invalid_params,
    WrongVerb: lambda exc: _vendor(406, REQUEST_INVALID, TITLES[REQUEST_INVALID],
                                   f"method: {exc.briefly}"),
    Unprocessable: lambda exc: _vendor(406, REQUEST_INVALID, TITLES[REQUEST_INVALID],
                                       str(exc.error_object()["message"])),
    Internal: _internal, Timeout: _internal,
    GatewayError: _other,
}

DIALECT = Dialect(
    name="video",
    routes=ROUTES,
    verbs=("GET",),
    reader=StringFields(integers(INTEGERS), form=False, repeatable=LISTS, skip_empty=False,
                        path=True, headers={"app_type": APP_TYPE_HEADER}),
    credential=CredentialScheme(credential, security=({"basic": []}, {"token": []}),
                                components=SECURITY_SCHEMES, scheme=tokens.TOKEN_SCHEME),
    errors=ERRORS,
    renderer=renderers.JSON,
    error_schema=ERROR,
)
