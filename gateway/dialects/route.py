"""What a dialect route is."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Awaitable, Callable

from aiohttp import web


@dataclass(frozen=True)
class Route:
    """A dialect route, and what `GET /openapi.json` says of it."""

    path: str
    verbs: tuple[str, ...]
    method: str  # the JSON-RPC method it calls
    view: Callable[[web.Request], Awaitable[web.StreamResponse]]
    credential: str  # a security scheme of the OpenAPI document
    params_in: str  # "body" (a JSON object) or "query" (query or form fields)
    error: dict[str, Any]  # JSON Schema of an error body
