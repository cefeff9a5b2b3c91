"""`POST /reports/active_sessions`, as JeraSoft's CoreAPI serves it: the body is the
params, the answer the array of rows; an error answers the HTTP status of its class
with `{"error": {"message", "data"}}` (the `/rpc` error object without `code`)."""

from __future__ import annotations

import logging

from aiohttp import web

from gateway import appkeys, auth, views
from gateway.errors import (Forbidden, GatewayError, InvalidParams, InvalidRequest, NotFound,
                            ParseError, Unprocessable)
from gateway.middlewares import REQUEST_ID

log = logging.getLogger(__name__)

PATH = "/reports/active_sessions"
METHOD = "reports.active_sessions.query"
ERROR = {"type": "object", "required": ["error"], "properties": {"error": {
    "type": "object", "required": ["message"],
    "properties": {"message": {"type": "string"}, "data": {"type": "object"}}}}}
_STATUS_OF_CLASS: tuple[tuple[type[GatewayError], int], ...] = (
    (InvalidParams, 400), (ParseError, 400), (InvalidRequest, 400), (Forbidden, 403),
    (NotFound, 404), (Unprocessable, 422))


def status_of(exc: GatewayError) -> int:
    """The HTTP status of an error's class (500 for the internal error and the timeout)."""
    if exc.status != 200:
        return exc.status  # 401, 405, 413, 415, 429, 503: refusals with their own status
    return next((s for cls, s in _STATUS_OF_CLASS if isinstance(exc, cls)), 500)


async def view(request: web.Request) -> web.Response:
    try:
        views.check_post_json(request, PATH)
        async with views.slot(request):
            caller = await views.authenticate(request, auth.credential(request.headers))
            params = await views.json_body(request, caller)
            if not isinstance(params, dict):
                raise InvalidParams({"params": "the body must be a JSON object of params"})
            await request.app[appkeys.RATE_LIMITER].charge(caller, 1)
            rows = await request.app[appkeys.DISPATCHER].call(
                METHOD, params, views.context_for(request, caller))
        return views.json_response(rows)
    except GatewayError as exc:
        error = exc.error_object()
        log.info("%s answered %s (request %s)", PATH, error["message"], request[REQUEST_ID])
        headers = views.retry_headers(exc)
        error.pop("code")
        return views.json_response({"error": error}, status_of(exc), headers)
