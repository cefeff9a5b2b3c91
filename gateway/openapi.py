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
}


def _operation(route: Route, methods: Methods) -> dict[str, Any]:
    method = methods[route.method]
    operation: dict[str, Any] = {
        "summary": method.summary,
        "operationId": route.method,
        "security": [{route.credential: []}, {"bearer": []}],
        "responses": {
            "200": {"description": "the result",
                    "content": {"application/json": {"schema": dict(method.result)}}},
            "default": {"description": "an error, in the vendor's shape",
                        "content": {"application/json": {"schema": route.error}}}},
    }
    if route.params_in == "body":
        operation["requestBody"] = {"required": True, "content": {
            "application/json": {"schema": schema_object(method.params)}}}
    else:
        operation["parameters"] = [
            {"name": n, "in": "query", "required": bool(f.required), "schema": field_schema(f)}
            for n, f in method.params.fields.items()]
    return operation


def document(methods: Methods, routes: Sequence[Route]) -> dict[str, Any]:
    paths: dict[str, Any] = {}
    for route in routes:
        if route.method in methods:
            paths.setdefault(route.path, {}).update(
                {verb: _operation(route, methods) for verb in route.verbs})
    return {
        "openapi": OPENAPI_VERSION,
        "info": {"title": "Telecom reporting gateway: dialect routes", "version": __version__},
        "paths": paths,
        "components": {"securitySchemes": SECURITY_SCHEMES},
    }
