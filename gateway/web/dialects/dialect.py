"""What a dialect is: a declaration of a vendor's routes, how its requests carry params and
credentials, and how it answers results and errors. One view runs every declaration
(`driver.py`), and the OpenAPI document describes them (`gateway/web/openapi.py`).

A dialect is a thin adapter: it translates the vendor's params, credential and error shape,
then calls the same handler as `/rpc`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Awaitable, Callable, Mapping

from aiohttp import web

from gateway.core import credentials
from gateway.core.errors import GatewayError
from gateway.web import appkeys
from gateway.web.dialects.errormaps import ErrorMap
from gateway.web.dialects.readers import Fields, Options, Reader
from methods.context import Context, Params

JsonSchema = dict[str, Any]


@dataclass(frozen=True)
class Route:
    """A path, and the method it calls as the OpenAPI document describes it; a route
    without a method is left out of the document (its dialect picks the method per
    request, with `Dialect.method_of`, or calls none), unless it declares its OpenAPI
    `operation` itself."""

    path: str
    method: str | None = None
    operation: Mapping[str, Any] | None = field(default=None, compare=False)


@dataclass(frozen=True)
class Call:
    """A request, read: what the dialect's action is given, and then its renderer."""

    request: web.Request
    method: str
    params: Params
    options: Options
    context: Context


async def dispatch(call: Call) -> Any:
    """The method's handler, through the dispatcher as on `/rpc` (role, schema, timeout and
    metrics): the result, or a `GatewayError`."""
    return await call.request.app[appkeys.DISPATCHER].call(call.method, call.params,
                                                           call.context)


@dataclass(frozen=True)
class CredentialScheme:
    """Where a request carries its credential (`read`), what the OpenAPI document says of
    it, and what it registers with the authenticator: a scheme that proofs are checked
    under, and a key-issuing hook for `keys.create`'s answer."""

    read: Callable[[web.Request, Fields], credentials.Credential]
    security: tuple[dict[str, list[str]], ...]  # OpenAPI requirements, any one enough
    components: Mapping[str, JsonSchema]  # the OpenAPI security schemes they name
    scheme: credentials.Scheme | None = None
    key_hook: credentials.KeyHook | None = None


@dataclass(frozen=True)
class Renderer:
    """How a dialect writes a result, an error body (with its status and headers), and
    its OpenAPI responses (given the method's result schema and the error schema)."""

    answer: Callable[[Call, Any], Awaitable[web.StreamResponse]]
    error: Callable[[int, Any, dict[str, str]], web.StreamResponse]
    responses: Callable[[JsonSchema, JsonSchema], JsonSchema]


@dataclass(frozen=True)
class Dialect:
    """A vendor's dialect. `errors` maps exception classes to rules (looked up along the
    MRO; `GatewayError` must be there), `error_schema` is the JSON Schema of their bodies.
    `action` runs after the params are read (by default the route's method); `cost` is
    what one request takes from the key's rate limit."""

    name: str
    routes: tuple[Route, ...]
    verbs: tuple[str, ...]
    reader: Reader
    credential: CredentialScheme
    errors: ErrorMap
    renderer: Renderer
    error_schema: JsonSchema
    method_of: Callable[[web.Request, Fields], str] | None = None
    action: Callable[[Call], Awaitable[Any]] = field(default=dispatch)
    cost: int = 1

    def __post_init__(self) -> None:
        if GatewayError not in self.errors:
            raise ValueError(f"the dialect {self.name!r} has no rule for GatewayError")
