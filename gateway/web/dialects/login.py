"""`POST /ucaas/v1/login`: an access token for the video routes, as EnableX's clients log
in (docs/auth.md, "EnableX tokens"; docs/methods/video.md).

The key is sent as HTTP Basic (the key id, and the secret), or as the JSON body
`{"key_id": ..., "secret": ...}`. The answer is `{"result": 0, "access_token",
"token_type": "Token", "expires_in": 900}`; errors are the video routes' (`video.py`).
The token itself is never logged.
"""

from __future__ import annotations

from typing import Any

import orjson
from aiohttp import web
from multidict import MultiDict

from gateway.core.credentials import Credential
from gateway.core.errors import InvalidParams, UnsupportedMediaType
from gateway.web import appkeys, transport
from gateway.web.dialects import renderers, tokens, video
from gateway.web.dialects.dialect import Call, CredentialScheme, Dialect, Route
from gateway.web.dialects.readers import Fields, Inputs, Options, Reader
from methods.context import Params, RpcMethod

PATH = "/ucaas/v1/login"
KEY_ID, SECRET = "key_id", "secret"
SUCCESS = 0  # the login answer's `result` (docs/auth.md)
ANSWER = {"type": "object", "required": ["result", "access_token", "token_type", "expires_in"],
          "properties": {"result": {"type": "integer", "enum": [SUCCESS]},
                         "access_token": {"type": "string"},
                         "token_type": {"type": "string", "enum": [tokens.TOKEN_TYPE]},
                         "expires_in": {"type": "integer", "enum": [tokens.LIFETIME_S]}}}
BODY = {"type": "object", "required": [KEY_ID, SECRET], "additionalProperties": False,
        "properties": {KEY_ID: {"type": "string"}, SECRET: {"type": "string"}}}
OPERATION = {
    "summary": "An access token for the video routes, good for 15 minutes",
    "operationId": "ucaas.login",
    "security": [{"basic": []}, {}],
    "requestBody": {"required": False, "description": "the key, unless sent as HTTP Basic",
                    "content": {"application/json": {"schema": BODY}}},
    "responses": renderers.json_responses(ANSWER, video.ERROR),
}


class LoginBody(Reader):
    """The key's id and secret from a JSON body, read before authentication (they are
    the credential); a request without a body sends them as HTTP Basic."""

    def check(self, request: web.Request) -> None:
        if request.body_exists and request.content_type != "application/json":
            raise UnsupportedMediaType("the Content-Type must be application/json")

    async def fields(self, request: web.Request) -> Fields:
        if not request.body_exists:
            return MultiDict()
        # Before the caller is known: the smallest body limit.
        body = await transport.read_body(request, request.app[appkeys.CONFIG].limits.body_bytes)
        try:
            given = orjson.loads(body)
        except orjson.JSONDecodeError:
            raise InvalidParams({"body": "Not valid JSON."}) from None
        if not isinstance(given, dict):
            raise InvalidParams({"body": "Must be a JSON object."})
        errors = {name: "Unknown field." for name in given if name not in (KEY_ID, SECRET)}
        errors.update({name: "Not a valid string." for name in (KEY_ID, SECRET)
                       if name in given and not isinstance(given[name], str)})
        if errors:
            raise InvalidParams(errors)
        return MultiDict({name: given[name] for name in (KEY_ID, SECRET) if name in given})

    def params(self, request: web.Request, inputs: Inputs,
               method: RpcMethod | None) -> tuple[Params, Options]:
        return {}, {}


def credential(request: web.Request, fields: Fields) -> Credential:
    """The key of a Basic header, else of the body's `key_id` and `secret`."""
    key = video.basic(request)
    if key is None and fields.get(KEY_ID) and fields.get(SECRET):
        key = f"{fields[KEY_ID]}.{fields[SECRET]}"
    return key


async def login(call: Call) -> dict[str, Any]:
    token = tokens.issue(call.context.server_key, call.context.caller.key_id)
    return {"result": SUCCESS, "access_token": token, "token_type": tokens.TOKEN_TYPE,
            "expires_in": tokens.LIFETIME_S}


DIALECT = Dialect(
    name="video-login",
    routes=(Route(PATH, operation=OPERATION),),
    verbs=("POST",),
    reader=LoginBody(),
    credential=CredentialScheme(credential, security=({"basic": []},),
                                components={"basic": video.SECURITY_SCHEMES["basic"]}),
    errors=video.ERRORS,
    renderer=renderers.JSON,
    error_schema=video.ERROR,
    action=login,
)
