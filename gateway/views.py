"""HTTP views: `/rpc`, `/healthz` and `/openrpc.json`."""

from __future__ import annotations

import logging
import math
from contextlib import asynccontextmanager
from decimal import Decimal
from typing import Any, AsyncIterator

import orjson
from aiohttp import web
from prometheus_client import CONTENT_TYPE_LATEST

from gateway import appkeys, auth, openrpc, roles
from gateway.context import Context
from gateway.dispatch import error_response
from gateway.errors import (Busy, GatewayError, InvalidRequest, MethodNotAllowed, ParseError,
                            PayloadTooLarge, UnsupportedMediaType, RetryLater)
from gateway.middlewares import REQUEST_ID

log = logging.getLogger(__name__)


def _exact(value: Any) -> Any:
    """Decimals (money, rates) as JSON numbers written exactly as they are."""
    if isinstance(value, Decimal):
        return orjson.Fragment(str(value))
    raise TypeError(f"not JSON serialisable: {type(value).__name__}")


def json_response(payload: Any, status: int = 200,
                  headers: dict[str, str] | None = None) -> web.Response:
    return web.Response(body=orjson.dumps(payload, default=_exact), status=status,
                        headers=headers,
                        content_type="application/json")


def _body_limit(app: web.Application, role: str) -> int:
    limits = app[appkeys.CONFIG].limits
    return limits.ingest_body_bytes if role == roles.INGEST else limits.body_bytes


async def read_body(request: web.Request, limit: int) -> bytes:
    """The body, refused with 413 as soon as it passes `limit` (never read whole first)."""
    too_large = PayloadTooLarge(f"the body exceeds the limit of {limit} bytes")
    if request.content_length is not None:
        if request.content_length > limit:
            raise too_large
        return await request.read()  # the announced length is within the limit
    body = bytearray()
    while chunk := await request.content.readany():
        body += chunk
        if len(body) > limit:
            raise too_large
    return bytes(body)


def parse(body: bytes) -> Any:
    try:
        return orjson.loads(body)
    except orjson.JSONDecodeError as exc:
        raise ParseError(f"the body is not valid JSON: {exc}") from None


def check_batch(parsed: Any, max_calls: int) -> int:
    """The number of calls in the body (their rate-limit cost); refuses bad batch sizes."""
    if not isinstance(parsed, list):
        return 1
    if not parsed:
        raise InvalidRequest("an empty batch holds no request")
    if len(parsed) > max_calls:
        raise InvalidRequest(f"a batch holds at most {max_calls} calls (the batch limit)")
    return len(parsed)


async def rpc(request: web.Request) -> web.Response:
    """`POST /rpc`. Checks run in the order the spec lists: 405, 415, 503, 401, 413,
    parse error, batch size, 429; then each call is validated and dispatched."""
    try:
        check_post_json(request, "/rpc")
        async with slot(request):
            return await _serve(request)
    except GatewayError as exc:
        return _refusal(exc, request)


def check_post_json(request: web.Request, path: str) -> None:
    if request.method != "POST":
        raise MethodNotAllowed(f"{request.method} is not allowed on {path}; use POST")
    if request.content_type != "application/json":
        raise UnsupportedMediaType("the Content-Type must be application/json")


@asynccontextmanager
async def slot(request: web.Request) -> AsyncIterator[None]:
    """A place among the requests in flight, or 503 busy."""
    limit = request.app[appkeys.CONFIG].limits.concurrency
    in_flight = request.app[appkeys.IN_FLIGHT]
    if in_flight[0] >= limit:
        raise Busy(f"{limit} requests are already in flight (the concurrency limit)", 1000)
    in_flight[0] += 1
    try:
        yield
    finally:
        in_flight[0] -= 1


def client_ip(request: web.Request) -> str:
    """The client's address: the peer, or the first untrusted `X-Forwarded-For` hop."""
    # Repeated header lines are one comma-separated list (a proxy may add its own line).
    forwarded = ", ".join(request.headers.getall("X-Forwarded-For", [])) or None
    trusted = auth.networks(request.app[appkeys.CONFIG].proxies.trusted)
    return auth.client_ip(request.remote, forwarded, trusted)


async def authenticate(request: web.Request, credential: str | None) -> auth.Caller:
    return await request.app[appkeys.AUTHENTICATOR].authenticate(credential, client_ip(request))


async def json_body(request: web.Request, caller: auth.Caller) -> Any:
    """The parsed body, within the body limit of the caller's role."""
    return parse(await read_body(request, _body_limit(request.app, caller.role)))


def context_for(request: web.Request, caller: auth.Caller) -> Context:
    app = request.app
    return Context(db=app[appkeys.DB], caller=caller, config=app[appkeys.CONFIG],
                   request_id=request[REQUEST_ID], server_key=app[appkeys.SERVER_KEY],
                   methods=app[appkeys.METHODS], forget_key=app[appkeys.AUTHENTICATOR].forget,
                   submit_export=app[appkeys.EXPORTS].submit)


async def _serve(request: web.Request) -> web.Response:
    app = request.app
    caller = await authenticate(request, auth.credential(request.headers))
    parsed = await json_body(request, caller)
    cost = check_batch(parsed, app[appkeys.CONFIG].limits.batch_calls)
    await app[appkeys.RATE_LIMITER].charge(caller, cost)
    responses = await app[appkeys.DISPATCHER].dispatch(parsed, context_for(request, caller))
    if responses is None:
        return web.Response(status=204)
    return json_response(responses)


def retry_headers(exc: GatewayError) -> dict[str, str]:
    """`Retry-After` of a refusal that asks to retry later; `Allow` of a 405."""
    headers = {}
    if isinstance(exc, RetryLater):
        headers["Retry-After"] = str(max(1, math.ceil(exc.retry_after_ms / 1000)))
    if isinstance(exc, MethodNotAllowed):
        headers["Allow"] = "POST"
    return headers


def _refusal(exc: GatewayError, request: web.Request) -> web.Response:
    """A whole request refused: one error object with `id: null` and the error's status."""
    headers = retry_headers(exc)
    log.info("refused %s %s (request %s): %s", request.method, request.path,
             request[REQUEST_ID], exc.error_object()["message"])
    return json_response(error_response(exc, request[REQUEST_ID]), exc.status, headers)


async def healthz(request: web.Request) -> web.Response:
    """Liveness and database reachability; no key needed."""
    try:
        await request.app[appkeys.DB].ping()
    except Exception:
        log.exception("health check: the database does not answer (request %s)",
                      request[REQUEST_ID])
        return json_response({"status": "unavailable", "database": "unreachable"}, 503)
    return json_response({"status": "ok", "database": "ok"})


async def openrpc_document(request: web.Request) -> web.Response:
    return json_response(openrpc.document(request.app[appkeys.METHODS]))


async def metrics(request: web.Request) -> web.Response:
    """`GET /metrics`: Prometheus text, only for the CIDRs of `metrics.allow`."""
    ip = client_ip(request)
    if not auth.in_networks(ip, auth.networks(request.app[appkeys.CONFIG].metrics.allow)):
        return web.Response(status=403, text=f"metrics are not served to {ip}\n")
    return web.Response(body=request.app[appkeys.METRICS].text(),
                        headers={"Content-Type": CONTENT_TYPE_LATEST})
