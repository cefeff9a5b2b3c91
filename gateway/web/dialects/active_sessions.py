"""`POST /reports/active_sessions`, as JeraSoft's CoreAPI serves it: the body is the
params, the answer the array of rows; an error answers the HTTP status of its class
with `{"error": {"message", "data"}}` (the `/rpc` error object without `code`)."""

from __future__ import annotations

from gateway.core.errors import GatewayError
from gateway.web.dialects import renderers, schemes
from gateway.web.dialects.dialect import Dialect, Route
from gateway.web.dialects.errormaps import VendorError, status_of
from gateway.web.dialects.readers import JsonBody

PATH = "/reports/active_sessions"
METHOD = "reports.active_sessions.query"
ERROR = {"type": "object", "required": ["error"], "properties": {"error": {
    "type": "object", "required": ["message"],
    "properties": {"message": {"type": "string"}, "data": {"type": "object"}}}}}


def _error(exc: GatewayError) -> VendorError:
    error = exc.error_object()
    error.pop("code")
    return status_of(exc), {"error": error}


DIALECT = Dialect(
    name="active_sessions",
    routes=(Route(PATH, METHOD),),
    verbs=("POST",),
    reader=JsonBody(),
    credential=schemes.HEADER_KEY,
    errors={GatewayError: _error},
    renderer=renderers.JSON,
    error_schema=ERROR,
)
