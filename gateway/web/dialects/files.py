"""`GET /reports/files/{report_id}`: a completed export's file, the URL that
`DownloadHistoryReport` answers on `/rpc` (docs/auth.md, "Credentials by route"). It takes
the `/rpc` credential and answers errors as the `/rpc` error object in its class's HTTP
status. A download costs nothing against the rate limit: the call that found the file
was charged."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from aiohttp import web

from gateway.core.errors import Forbidden, GatewayError, MethodNotAllowed, NotFound
from gateway.web.dialects import forms, renderers, schemes
from gateway.web.dialects.dialect import Call, Dialect, Renderer, Route
from gateway.web.dialects.errormaps import ErrorMap, VendorError, WrongVerb, status_of
from gateway.web.dialects.readers import Inputs, Options, Reader
from gateway.web.downloads import send_file
from methods.context import Params, RpcMethod
from methods.history import reports
from methods.validators import INT64_MAX, INT64_MIN

PATH = "/reports/files/{report_id}"
DOWNLOAD = "DownloadHistoryReport"  # whose roles may download
ERROR = {"type": "object", "required": ["error"], "properties": {"error": {
    "type": "object", "required": ["code", "message"],
    "properties": {"code": {"type": "integer"}, "message": {"type": "string"},
                   "data": {"type": "object"}}}}}


class ReportId(Reader):
    """The report's id, from the path alone."""

    def params(self, request: web.Request, inputs: Inputs,
               method: RpcMethod | None) -> tuple[Params, Options]:
        return {"report_id": request.match_info["report_id"]}, {}


async def download(call: Call) -> tuple[Path, str]:
    """The file's path and name, counted as a download; a report that is not the
    caller's tenant's, or no report at all, is not found."""
    caller = call.context.caller
    if caller.role not in call.context.methods[DOWNLOAD].roles:
        raise Forbidden(f"the role {caller.role!r} may not download reports")
    text = call.params["report_id"]
    if not forms.INTEGER.fullmatch(text) or not INT64_MIN <= int(text) <= INT64_MAX:
        raise NotFound(reports.TABLE, text)  # no report has an id a 64-bit integer cannot hold
    return await reports.counted_download(call.context, int(text))


async def answer(call: Call, found: Any) -> web.StreamResponse:
    path, file_name = found
    return await send_file(call.request, path, file_name)


def _error(exc: GatewayError) -> VendorError:
    return status_of(exc), {"error": exc.error_object()}


ERRORS: ErrorMap = {WrongVerb: lambda exc: _error(MethodNotAllowed(exc.briefly)),
                    GatewayError: _error}


DIALECT = Dialect(
    name="files",
    routes=(Route(PATH),),
    verbs=("GET",),
    reader=ReportId(),
    credential=schemes.HEADER_KEY,
    errors=ERRORS,
    renderer=Renderer(answer, renderers.json_error, renderers.json_responses),
    error_schema=ERROR,
    action=download,
    cost=0,
)
