"""Middlewares and signals: the request id, and the last line of defence for errors."""

from __future__ import annotations

import logging
import time

from aiohttp import web
from aiohttp.typedefs import Handler

from gateway.core.errors import internal_error
from gateway.web import appkeys, request_log

log = logging.getLogger(__name__)

REQUEST_ID = web.RequestKey("request_id", str)
HEADER = "X-Request-Id"
CLIENT_GONE = 499  # the status counted when the client went away before its answer


@web.middleware
async def request_id(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Give every request an id and a log entry, time it, and turn anything unexpected
    into the generic error.

    The only middleware: whatever a route raises that is not an HTTP answer is logged
    with its traceback and the id, and the client gets only the generic message. Once
    the answer's status is known, the request's calls (or its refusal) and its duration
    go to the app's metrics; its log line is written once the answer is out
    (`access_log.AccessLogger`).
    """
    app = request.app
    request[REQUEST_ID] = rid = app[appkeys.REQUEST_IDS]()
    entry, token = request_log.begin(request, rid)
    started = time.perf_counter()
    status = CLIENT_GONE
    try:
        response = await handler(request)
        status = response.status
        return response
    except web.HTTPException as exc:
        status = exc.status
        raise  # an HTTP answer
    except ConnectionResetError:
        raise  # a client that went away: nothing to report
    except Exception:
        log.exception("unexpected error on %s %s (request %s)", request.method, request.path,
                      rid, extra={"request_id": rid})
        status, entry.error = 500, "internal"
        body = {"jsonrpc": "2.0", "error": internal_error(rid), "id": None}
        return web.json_response(body, status=500)
    finally:
        request_log.end(token)
        entry.seconds = time.perf_counter() - started
        resource = request.match_info.route.resource
        app[appkeys.METRICS].finished(entry, resource.canonical if resource is not None
                                      else "unmatched", status, entry.seconds)


async def add_request_id(request: web.Request, response: web.StreamResponse) -> None:
    """`on_response_prepare`: the id on every response, errors and streams included."""
    response.headers[HEADER] = request.get(REQUEST_ID) or request.app[appkeys.REQUEST_IDS]()
