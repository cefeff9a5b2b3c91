"""HTTP views: `/rpc`, `/healthz`, `/openrpc.json`, `/openapi.json` and `/metrics`.

The dialect routes share one view of their own (`gateway/web/dialects/driver.py`); the steps
every route takes are in `gateway/web/transport.py`.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from aiohttp import web
from prometheus_client import CONTENT_TYPE_LATEST

from gateway.core import addresses
from gateway.core.errors import (GatewayError, InvalidRequest, MethodNotAllowed,
                                 UnsupportedMediaType, error_class)
from gateway.storage import gauges
from gateway.web import appkeys, auth, openapi, request_log, urls
from gateway.web.dialects import DIALECTS
from gateway.web.dispatch import error_response
from gateway.web.middlewares import REQUEST_ID
from gateway.web.transport import (authenticate, client_ip, context_for, json_body, json_response,
                                   retry_after, slot)
from methods import openrpc

# Seconds the health check waits for the database before it reports it unreachable.
HEALTH_TIMEOUT_S = 5.0
log = logging.getLogger(__name__)


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
    request[request_log.ENTRY].dialect = request_log.JSONRPC
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


async def _serve(request: web.Request) -> web.Response:
    app = request.app
    caller = await authenticate(request, auth.credential_or_token(
        request.headers, request.app[appkeys.AUTHENTICATOR].registry))
    parsed = await json_body(request, caller)
    cost = check_batch(parsed, app[appkeys.CONFIG].limits.batch_calls)
    if isinstance(parsed, list):
        request[request_log.ENTRY].batch = cost
    await app[appkeys.RATE_LIMITER].charge(caller, cost)
    responses = await app[appkeys.DISPATCHER].dispatch(parsed, context_for(request, caller))
    if responses is None:
        return web.Response(status=204)
    return json_response(responses)


def retry_headers(exc: GatewayError) -> dict[str, str]:
    """`Retry-After` of a refusal that asks to retry later; `Allow` of a 405."""
    headers = retry_after(exc)
    if isinstance(exc, MethodNotAllowed):
        headers["Allow"] = "POST"
    return headers


def _refusal(exc: GatewayError, request: web.Request) -> web.Response:
    """A whole request refused: one error object with `id: null` and the error's status."""
    headers = retry_headers(exc)
    request_log.refused(request, error_class(exc))
    log.info("refused %s %s (request %s): %s", request.method, request.path,
             request[REQUEST_ID], exc.error_object()["message"],
             extra={"request_id": request[REQUEST_ID]})
    return json_response(error_response(exc, request[REQUEST_ID]), exc.status, headers)


async def healthz(request: web.Request) -> web.Response:
    """Liveness and database reachability; no key needed."""
    try:
        async with asyncio.timeout(HEALTH_TIMEOUT_S):
            await request.app[appkeys.DB].ping()
    except Exception:
        log.exception("health check: the database does not answer (request %s)",
                      request[REQUEST_ID], extra={"request_id": request[REQUEST_ID]})
        return json_response({"status": "unavailable", "database": "unreachable"}, 503)
    return json_response({"status": "ok", "database": "ok"})


async def openrpc_document(request: web.Request) -> web.Response:
    return json_response(openrpc.document(request.app[appkeys.METHODS], urls.rpc_url(request)))


async def openapi_document(request: web.Request) -> web.Response:
    return json_response(openapi.document(request.app[appkeys.METHODS], DIALECTS))


async def metrics(request: web.Request) -> web.Response:
    """`GET /metrics`: Prometheus text, only for the CIDRs of `metrics.allow`. The live
    sessions and the export jobs are read from the store first; a store that does not
    answer leaves them out (and is logged)."""
    ip = client_ip(request)
    if not addresses.in_networks(ip, addresses.networks(
            request.app[appkeys.CONFIG].metrics.allow)):
        return web.Response(status=403, text=f"metrics are not served to {ip}\n")
    app_metrics = request.app[appkeys.METRICS]
    db = request.app[appkeys.DB]
    try:
        async with asyncio.timeout(HEALTH_TIMEOUT_S):
            app_metrics.store.update(await gauges.live_sessions(db), await gauges.export_jobs(db))
    except Exception:
        app_metrics.store.update({}, {})
        log.exception("metrics: the store does not answer (request %s)", request[REQUEST_ID],
                      extra={"request_id": request[REQUEST_ID]})
    return web.Response(body=app_metrics.text(), headers={"Content-Type": CONTENT_TYPE_LATEST})
