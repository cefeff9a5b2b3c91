"""The one view of every dialect route: the steps each takes, in the order `/rpc` takes
them (docs/rpc.md), each filled in by the route's dialect; and the one place
where a dialect route's errors become the vendor's answers."""

from __future__ import annotations

import logging
from typing import Awaitable, Callable

from aiohttp import web

from gateway.core.errors import GatewayError, Internal, error_class
from gateway.web import appkeys, request_log, transport
from gateway.web.dialects.dialect import Call, Dialect, Route
from gateway.web.dialects.errormaps import WrongVerb, nearest
from gateway.web.dialects.readers import Inputs
from gateway.web.middlewares import REQUEST_ID

log = logging.getLogger(__name__)

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def view_of(dialect: Dialect, route: Route) -> Handler:
    async def view(request: web.Request) -> web.StreamResponse:
        request[request_log.ENTRY].dialect = dialect.name
        try:
            return await _answer(dialect, route, request)
        except GatewayError as exc:
            error: GatewayError = exc
        except Exception:  # the vendor's shape for the unexpected too
            log.exception("unexpected error on %s (request %s)", request.path,
                          request[REQUEST_ID], extra={"request_id": request[REQUEST_ID]})
            error = Internal(request[REQUEST_ID])
        return refusal(dialect, request, error)
    return view


async def _answer(dialect: Dialect, route: Route, request: web.Request) -> web.StreamResponse:
    """405 (in the vendor's shape), 415, 503, the fields (413, parse error), the method,
    401, the body (413, parse error), 429, the params, the call, the answer."""
    if request.method not in dialect.verbs:
        raise WrongVerb(request.method, request.path, dialect.verbs)
    reader = dialect.reader
    reader.check(request)
    app = request.app
    async with transport.slot(request):
        fields = await reader.fields(request)
        method = dialect.method_of(request, fields) if dialect.method_of else route.method
        if method in app[appkeys.METHODS]:
            request[request_log.ENTRY].method = method  # logged even if refused
        caller = await transport.authenticate(request, dialect.credential.read(request, fields))
        body = await reader.body(request, caller)
        if dialect.cost:
            await app[appkeys.RATE_LIMITER].charge(caller, dialect.cost)
        spec = app[appkeys.METHODS].get(method) if method else None
        params, options = reader.params(request, Inputs(fields, body), spec)
        call = Call(request, method or "", params, options,
                    transport.context_for(request, caller))
        return await dialect.renderer.answer(call, await dialect.action(call))


def refusal(dialect: Dialect, request: web.Request, exc: GatewayError) -> web.StreamResponse:
    """The dialect's answer to an error: the rule of the error's nearest class."""
    status, body = nearest(dialect.errors, exc)(exc)
    headers = transport.retry_after(exc)
    if status == 405:
        headers["Allow"] = ", ".join(dialect.verbs)
    request_log.refused(request, error_class(exc))
    log.info("%s answered %s (request %s): %s", request.path, status, request[REQUEST_ID],
             exc.error_object()["message"], extra={"request_id": request[REQUEST_ID]})
    return dialect.renderer.error(status, body, headers)
