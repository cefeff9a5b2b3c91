"""Middlewares and signals: the request id, and the last line of defence for errors."""

from __future__ import annotations

import logging
import time

from aiohttp import web
from aiohttp.typedefs import Handler

from gateway.core.errors import internal_error
from gateway.web import appkeys

log = logging.getLogger(__name__)

REQUEST_ID = web.RequestKey("request_id", str)
HEADER = "X-Request-Id"


@web.middleware
async def request_id(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Give every request an id, time it, and turn anything unexpected into the generic
    error.

    The only middleware: whatever a route raises that is not an HTTP answer is logged
    with its traceback and the id, and the client gets only the generic message. Each
    request's duration goes to the app's metrics by route.
    """
    app = request.app
    request[REQUEST_ID] = app[appkeys.REQUEST_IDS]()
    started = time.perf_counter()
    try:
        return await handler(request)
    except (web.HTTPException, ConnectionResetError):
        raise  # an HTTP answer, or a client that went away: nothing to report
    except Exception:
        log.exception("unexpected error on %s %s (request %s)", request.method, request.path,
                      request[REQUEST_ID])
        body = {"jsonrpc": "2.0", "error": internal_error(request[REQUEST_ID]), "id": None}
        return web.json_response(body, status=500)
    finally:
        resource = request.match_info.route.resource
        app[appkeys.METRICS].request_took(resource.canonical if resource is not None
                                          else "unmatched", time.perf_counter() - started)


async def add_request_id(request: web.Request, response: web.StreamResponse) -> None:
    """`on_response_prepare`: the id on every response, errors and streams included."""
    response.headers[HEADER] = request.get(REQUEST_ID) or request.app[appkeys.REQUEST_IDS]()
