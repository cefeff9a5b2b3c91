"""The steps every route shares, `/rpc` and the dialect routes alike: JSON answers, the
body within its limit, a place among the requests in flight, the client's address, the
caller, and the context a handler is given (docs/rpc.md)."""

from __future__ import annotations

import json
import math
import re
from functools import partial
from typing import Any

import orjson
from aiohttp import web

from gateway.core import addresses, roles
from gateway.core.apikeys import Caller
from gateway.core.credentials import Credential
from gateway.core.errors import Busy, GatewayError, ParseError, PayloadTooLarge, RetryLater
from gateway.web import appkeys, urls
from gateway.web.request_log import ENTRY
from gateway.web.encoding import encode
from gateway.web.middlewares import REQUEST_ID
from methods.context import Context


def json_response(payload: Any, status: int = 200,
                  headers: dict[str, str] | None = None) -> web.Response:
    return web.Response(body=encode(payload), status=status, headers=headers,
                        content_type="application/json")


def body_limit(app: web.Application, role: str) -> int:
    limits = app[appkeys.CONFIG].limits
    return limits.ingest_body_bytes if role == roles.INGEST else limits.body_bytes


async def read_body(request: web.Request, limit: int) -> bytes:
    """The body, refused with 413 as soon as it passes `limit` (never read whole first);
    a compressed body is counted as it unpacks, and one that does not unpack is a parse
    error."""
    too_large = PayloadTooLarge(f"the body exceeds the limit of {limit} bytes")
    if request.content_length is not None and request.content_length > limit:
        raise too_large
    try:
        if request.content_length is not None and "Content-Encoding" not in request.headers:
            return await request.read()  # the announced length is within the limit
        body = bytearray()
        while chunk := await request.content.readany():
            body += chunk
            if len(body) > limit:
                raise too_large
    except web.RequestPayloadError as exc:
        encoding = request.headers.get("Content-Encoding", "identity")
        raise ParseError(f"the body cannot be read as Content-Encoding {encoding}: "
                         f"{exc}") from None
    return bytes(body)


# A run of 19 or more digits outside a fraction or exponent: maybe an integer beyond 64 bits
# (or a long number inside a string). orjson reads such an integer as a float, so the
# body is read again with the standard library, which keeps it an exact integer, for the
# params' own range check to refuse it by name (docs/rpc.md, "Integers").
_LONG_INTEGER = re.compile(rb"(?<![0-9.eE+-])-?[0-9]{19,}(?![0-9.eE])")


def parse(body: bytes) -> Any:
    try:
        parsed = orjson.loads(body)
    except orjson.JSONDecodeError as exc:
        raise ParseError(f"the body is not valid JSON: {exc}") from None
    if _LONG_INTEGER.search(body):
        try:
            return json.loads(body)
        except (ValueError, RecursionError):  # over 4300 digits, or nested past its limit
            return parsed
    return parsed


async def json_body(request: web.Request, caller: Caller) -> Any:
    """The parsed body, within the body limit of the caller's role."""
    return parse(await read_body(request, body_limit(request.app, caller.role)))


class slot:
    """A place among the requests in flight, or 503 busy (a class, not a generator:
    every request enters one)."""

    def __init__(self, request: web.Request) -> None:
        app = request.app
        self.limit = app[appkeys.CONFIG].limits.concurrency
        self.in_flight = app[appkeys.IN_FLIGHT]
        self.gauge = app[appkeys.METRICS].in_flight

    async def __aenter__(self) -> None:
        if self.in_flight[0] >= self.limit:
            raise Busy(f"{self.limit} requests are already in flight (the concurrency limit)",
                       1000)
        self.in_flight[0] += 1
        self.gauge.inc()

    async def __aexit__(self, *exc: object) -> None:
        self.in_flight[0] -= 1
        self.gauge.dec()


def client_ip(request: web.Request) -> str:
    """The client's address: the peer, or the first untrusted `X-Forwarded-For` hop."""
    # Repeated header lines are one comma-separated list (a proxy may add its own line).
    forwarded = ", ".join(request.headers.getall("X-Forwarded-For", [])) or None
    trusted = addresses.networks(request.app[appkeys.CONFIG].proxies.trusted)
    return addresses.client_ip(request.remote, forwarded, trusted)


async def authenticate(request: web.Request, credential: Credential) -> Caller:
    """The caller, noted in the request's log entry (its key id and tenant only)."""
    caller = await request.app[appkeys.AUTHENTICATOR].authenticate(credential,
                                                                   client_ip(request))
    request[ENTRY].caller(caller)
    return caller


def context_for(request: web.Request, caller: Caller) -> Context:
    app = request.app
    authenticator = app[appkeys.AUTHENTICATOR]
    return Context(db=app[appkeys.DB], caller=caller, config=app[appkeys.CONFIG],
                   request_id=request[REQUEST_ID], server_key=app[appkeys.SERVER_KEY],
                   methods=app[appkeys.METHODS], forget_key=authenticator.forget,
                   issue_key=authenticator.issued, submit_export=app[appkeys.EXPORTS].submit,
                   rpc_url=partial(urls.rpc_url, request))


def retry_after(exc: GatewayError) -> dict[str, str]:
    """`Retry-After` (whole seconds) of a refusal that asks to retry later."""
    if isinstance(exc, RetryLater):
        return {"Retry-After": str(max(1, math.ceil(exc.retry_after_ms / 1000)))}
    return {}
