"""The credential scheme several routes share: the `/rpc` key, sent as `X-Api-Key` or
`Authorization: Bearer` (docs/auth.md, "Credentials by route"), and its OpenAPI security
schemes."""

from __future__ import annotations

from aiohttp import web

from gateway.core.credentials import Credential
from gateway.web import auth
from gateway.web.dialects.dialect import CredentialScheme
from gateway.web.dialects.readers import Fields

API_KEY = {"type": "apiKey", "in": "header", "name": "X-Api-Key"}
BEARER = {"type": "http", "scheme": "bearer"}


def header_key(request: web.Request, fields: Fields) -> Credential:
    return auth.credential(request.headers)


HEADER_KEY = CredentialScheme(header_key, security=({"apiKey": []}, {"bearer": []}),
                              components={"apiKey": API_KEY, "bearer": BEARER})
