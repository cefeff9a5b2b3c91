"""What one request did, for its log line and its metrics (docs/operations.md): the caller
(key id and tenant), the dialect it spoke, the calls answered with their outcomes, or the
error that refused it whole.

The middleware gives each request an `Entry` and makes it the current one, in a context
variable that the tasks of a batch's members inherit: the dispatcher's observer adds each
call to it without knowing the request. Nothing of a credential, a query string or a body
is ever put in an entry.
"""

from __future__ import annotations

import contextvars
from typing import Any

from aiohttp import web

from gateway.core.apikeys import Caller

JSONRPC = "jsonrpc"  # the dialect of `/rpc`
# A call is (method, outcome, seconds): the method None for a request object that names
# no method of the API, the outcome "ok" or the error's class (`errors.error_class`).
Call = tuple[str | None, str, float]


class Entry:
    """A request's log entry, filled in as the request is served."""

    __slots__ = ("request_id", "key_id", "tenant", "dialect", "method", "batch", "calls",
                 "error", "seconds")

    def __init__(self, request_id: str | None = None) -> None:
        self.request_id = request_id
        self.key_id: str | None = None
        self.tenant: str | None = None
        self.dialect: str | None = None
        self.method: str | None = None  # a dialect route's method, known before its call
        self.batch: int | None = None  # the number of members of a JSON-RPC batch
        self.calls: list[Call] = []  # in the order they were answered
        self.error: str | None = None  # the class of the error that refused the request
        self.seconds: float | None = None  # the time the app took to answer

    def caller(self, caller: Caller) -> None:
        self.key_id, self.tenant = caller.key_id, caller.tenant


ENTRY = web.RequestKey("request_log", Entry)
_current: contextvars.ContextVar[Entry] = contextvars.ContextVar("request_log")


def begin(request: web.Request, request_id: str) -> tuple[Entry, contextvars.Token[Entry]]:
    """A new entry for `request`, made the current one until `end`."""
    entry = request[ENTRY] = Entry(request_id)
    return entry, _current.set(entry)


def end(token: contextvars.Token[Entry]) -> None:
    _current.reset(token)


def called(method: str | None, outcome: str, seconds: float) -> None:
    """One call answered, added to the current request's entry (if any: an export job's
    calls run outside every request)."""
    entry = _current.get(None)
    if entry is not None:
        entry.calls.append((method, outcome, seconds))


def refused(request: web.Request, error: str) -> None:
    """The request answered with an error of class `error` (its only answer when no call
    was made)."""
    entry = request.get(ENTRY)
    if entry is not None:
        entry.error = error


def fields(request: web.BaseRequest, status: int, seconds: float) -> dict[str, Any]:
    """The structured fields of the request's log line (docs/operations.md); `seconds`,
    the server's time for the request, unless the app timed it (more finely: an event
    loop's clock may tick in milliseconds)."""
    entry, resource = None, None
    if isinstance(request, web.Request):
        entry = request.get(ENTRY)
        if entry is not None:  # routed: the middleware made the entry
            resource = request.match_info.route.resource
    if entry is None:
        entry = Entry()  # a request the app never saw (bytes that are not HTTP)
    calls = entry.calls
    single = entry.batch is None
    return {
        "request_id": entry.request_id,
        "key_id": entry.key_id, "tenant": entry.tenant,
        "route": resource.canonical if resource is not None else None,
        "http_method": request.method, "dialect": entry.dialect,
        "method": (calls[0][0] if calls else entry.method) if single else None,
        "batch": entry.batch,
        "methods": None if single else [call[0] for call in calls],
        "status": status,
        "error": _error(calls[0][1] if calls else None, entry.error) if single else None,
        "errors": None if single else [None if c[1] == "ok" else c[1] for c in calls],
        "duration_ms": round((seconds if entry.seconds is None else entry.seconds) * 1000, 3)}


def _error(outcome: str | None, refusal: str | None) -> str | None:
    """A single call's error, else the error that ended the request (none: both fine)."""
    return outcome if outcome not in (None, "ok") else refusal
