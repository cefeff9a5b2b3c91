"""The OpenAPI document of the dialect routes (`GET /openapi.json`)."""

from __future__ import annotations

from typing import Any, Sequence

from gateway import __version__
from gateway.context import Methods
from gateway.dialects.route import Route
from gateway.openrpc import field_schema, schema_object

OPENAPI_VERSION = "3.1.0"
SECURITY_SCHEMES = {
    "apiKey": {"type": "apiKey", "in": "header", "name": "X-Api-Key"},
    "bearer": {"type": "http", "scheme": "bearer"},
    # MOR: `u` and `hash` together (query or form fields; OpenAPI names the query).
    "morUser": {"type": "apiKey", "in": "query", "name": "u",
                "description": "MOR: the key id (sent with `hash`)"},
    "morHash": {"type": "apiKey", "in": "query", "name": "hash",
                "description": "MOR: lowercase SHA-1 hex of the values of the params sent, in "
                               "the documented order, followed by the key's MOR secret "
                               "(spec methods.md section 2)"},
    # EnableX: HTTP Basic (the key id, and the secret after its first "."), or a token.
    "basic": {"type": "http", "scheme": "basic"},
    "token": {"type": "apiKey", "in": "header", "name": "Authorization",
              "description": "EnableX: `Token <key>`"},
    # Voximplant: `account_id` (the key id) with `api_key` (the whole key).
    "platformAccount": {"type": "apiKey", "in": "query", "name": "account_id",
                        "description": "Voximplant: the key id (sent with `api_key`)"},
    "platformKey": {"type": "apiKey", "in": "query", "name": "api_key",
                    "description": "Voximplant: the whole key"},
}
# A route's `credential`: the security requirements that satisfy it (alternatives).
SECURITY: dict[str, list[dict[str, list[str]]]] = {
    "apiKey": [{"apiKey": []}, {"bearer": []}],
    "mor": [{"morUser": [], "morHash": []}],
    "platform": [{"platformAccount": [], "platformKey": []}, {"platformKey": []},
                 {"bearer": []}],
    "video": [{"basic": []}, {"token": []}],
}


def _responses(route: Route, result: dict[str, Any]) -> dict[str, Any]:
    if route.responses is not None:
        return route.responses(result)
    return {
        "200": {"description": "the result",
                "content": {"application/json": {"schema": result}}},
        "default": {"description": "an error, in the vendor's shape",
                    "content": {"application/json": {"schema": route.error}}}}


def _query_params(route: Route, methods: Methods) -> list[dict[str, Any]]:
    """The method's params where the route takes them: in its path, in a header, or in
    the query."""
    out = []
    for name, f in methods[route.method].params.fields.items():
        sent = f.data_key or name
        if f"{{{sent}}}" in route.path:
            out.append({"name": sent, "in": "path", "required": True,
                        "schema": field_schema(f)})
        elif sent in route.headers:
            out.append({"name": route.headers[sent], "in": "header", "required": False,
                        "schema": field_schema(f)})
        else:
            out.append({"name": sent, "in": "query", "required": bool(f.required),
                        "schema": field_schema(f)})
    return out + [dict(p) for p in route.extra_params]


def _operation(route: Route, verb: str, methods: Methods) -> dict[str, Any]:
    method = methods[route.method]
    operation: dict[str, Any] = {
        "summary": method.summary,
        # operation ids are unique in a document: one per verb when a route has several
        "operationId": route.method if len(route.verbs) == 1 else f"{route.method}.{verb}",
        "security": SECURITY[route.credential],
        "responses": _responses(route, dict(method.result)),
    }
    if route.params_in == "body":
        operation["requestBody"] = {"required": True, "content": {
            "application/json": {"schema": schema_object(method.params)}}}
        return operation
    operation["parameters"] = params = _query_params(route, methods)
    if verb == "post":  # the same fields may come as a form instead
        operation["requestBody"] = {"required": False, "content": {
            "application/x-www-form-urlencoded": {"schema": {
                "type": "object",
                "properties": {p["name"]: p["schema"] for p in params}}}}}
    return operation


def document(methods: Methods, routes: Sequence[Route]) -> dict[str, Any]:
    paths: dict[str, Any] = {}
    for route in routes:
        if route.method in methods:
            paths.setdefault(route.path, {}).update(
                {verb: _operation(route, verb, methods) for verb in route.verbs})
    return {
        "openapi": OPENAPI_VERSION,
        "info": {"title": "Telecom reporting gateway: dialect routes", "version": __version__},
        "paths": paths,
        "components": {"securitySchemes": SECURITY_SCHEMES},
    }
