"""The request log: one line per HTTP request, once its answer is out. Its message is in
aiohttp's default layout (remote address, time, request line, status, size, referer, user
agent), with the values of the query parameters that carry a credential shown as `***`: a
key in Voximplant's `api_key`, a MOR `hash` (a digest of the params and the key's secret,
good for replaying the request). Its structured fields (`request_log.fields`: the request
id, key id, tenant, route, dialect, calls, status, error and duration) follow it in a text
line and are keys of a JSON line (docs/operations.md)."""

from __future__ import annotations

import datetime as dt
import logging
import urllib.parse

from aiohttp.abc import AbstractAccessLogger
from aiohttp.web import BaseRequest, StreamResponse

from gateway.web import request_log
from gateway.web.dialects.mor import HASH
from gateway.web.dialects.platform import API_KEY

CREDENTIAL_PARAMS = frozenset({API_KEY, HASH})
MASK = "***"


def masked(target: str) -> str:
    """`target` (a path with its query, or a URL) with credential values masked (a name is
    compared decoded and in any case); the rest as sent."""
    path, sep, query = target.partition("?")
    if not sep:
        return target
    parts = []
    for part in query.split("&"):
        name = urllib.parse.unquote_plus(part.partition("=")[0], errors="replace")
        parts.append(f"{part.partition('=')[0]}={MASK}" if name.lower() in CREDENTIAL_PARAMS
                     else part)
    return f"{path}?{'&'.join(parts)}"


class AccessLogger(AbstractAccessLogger):
    def log(self, request: BaseRequest, response: StreamResponse, time: float) -> None:
        if not self.logger.isEnabledFor(logging.INFO):
            return
        started = dt.datetime.now(dt.timezone.utc) - dt.timedelta(seconds=time)
        version = f"HTTP/{request.version.major}.{request.version.minor}"
        referer = masked(request.headers.get("Referer", "-"))
        self.logger.info(
            '%s [%s] "%s %s %s" %d %d "%s" "%s"', request.remote or "-",
            started.strftime("%d/%b/%Y:%H:%M:%S +0000"), request.method,
            masked(request.path_qs), version, response.status, response.body_length,
            referer, request.headers.get("User-Agent", "-"),
            extra={"fields": request_log.fields(request, response.status, time)})
