"""HTTP views: `/rpc`, `/healthz` and `/openrpc.json`."""

from __future__ import annotations

import logging
import math
from typing import Any

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


def json_response(payload: Any, status: int = 200,
                  headers: dict[str, str] | None = None) -> web.Response:
    return web.Response(body=orjson.dumps(payload), status=status, headers=headers,
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
    app = request.app
    config = app[appkeys.CONFIG]
    in_flight = app[appkeys.IN_FLIGHT]
    try:
        if request.method != "POST":
            raise MethodNotAllowed(f"{request.method} is not allowed on /rpc; use POST")
        if request.content_type != "application/json":
            raise UnsupportedMediaType("the Content-Type must be application/json")
        if in_flight[0] >= config.limits.concurrency:
            raise Busy(f"{config.limits.concurrency} requests are already in flight "
                       "(the concurrency limit)", 1000)
        in_flight[0] += 1
        try:
            return await _serve(request)
        finally:
            in_flight[0] -= 1
    except GatewayError as exc:
        return _refusal(exc, request)


def client_ip(request: web.Request) -> str:
    """The client's address: the peer, or the first untrusted `X-Forwarded-For` hop."""
    # Repeated header lines are one comma-separated list (a proxy may add its own line).
    forwarded = ", ".join(request.headers.getall("X-Forwarded-For", [])) or None
    trusted = auth.networks(request.app[appkeys.CONFIG].proxies.trusted)
    return auth.client_ip(request.remote, forwarded, trusted)


async def _serve(request: web.Request) -> web.Response:
    app = request.app
    config = app[appkeys.CONFIG]
    ip = client_ip(request)
    caller = await app[appkeys.AUTHENTICATOR].authenticate(auth.credential(request.headers), ip)
    parsed = parse(await read_body(request, _body_limit(app, caller.role)))
    cost = check_batch(parsed, config.limits.batch_calls)
    await app[appkeys.RATE_LIMITER].charge(caller, cost)
    context = Context(db=app[appkeys.DB], caller=caller, config=config,
                      request_id=request[REQUEST_ID], server_key=app[appkeys.SERVER_KEY],
                      methods=app[appkeys.METHODS],
                      forget_key=app[appkeys.AUTHENTICATOR].forget)
    responses = await app[appkeys.DISPATCHER].dispatch(parsed, context)
    if responses is None:
        return web.Response(status=204)
    return json_response(responses)


def _refusal(exc: GatewayError, request: web.Request) -> web.Response:
    """A whole request refused: one error object with `id: null` and the error's status."""
    headers = {}
    if isinstance(exc, RetryLater):
        headers["Retry-After"] = str(max(1, math.ceil(exc.retry_after_ms / 1000)))
    if isinstance(exc, MethodNotAllowed):
        headers["Allow"] = "POST"
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
