"""What a dialect route is."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Awaitable, Callable, Mapping

from aiohttp import web


@dataclass(frozen=True)
class Route:
    """A dialect route, and what `GET /openapi.json` says of it."""

    path: str
    verbs: tuple[str, ...]
    method: str  # the JSON-RPC method it calls
    view: Callable[[web.Request], Awaitable[web.StreamResponse]]
    credential: str  # its security requirements in the OpenAPI document (openapi.SECURITY)
    params_in: str  # "body" (a JSON object) or "query" (query or form fields)
    error: dict[str, Any]  # JSON Schema of an error body
    # The route's own query params beyond the method's (OpenAPI parameter objects).
    extra_params: tuple[dict[str, Any], ...] = ()
    # The OpenAPI responses object, given the JSON Schema of the method's result, for a
    # route that does not answer JSON with errors in their own HTTP status (MOR: XML, and
    # every error HTTP 200); None: the JSON result, and `error` as the default response.
    responses: Callable[[Mapping[str, Any]], dict[str, Any]] | None = None
    # Params the route takes from a header: param -> header name.
    headers: Mapping[str, str] = field(default_factory=dict)
