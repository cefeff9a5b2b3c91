"""The OpenAPI document of the dialect routes (`GET /openapi.json`), generated from the
dialects' declarations and the methods' schemas."""

from __future__ import annotations

from typing import Any, Sequence

from gateway import __version__
from gateway.web.dialects.dialect import Dialect, Route
from methods.context import Methods, RpcMethod
from methods.openrpc import field_schema, schema_object

OPENAPI_VERSION = "3.1.0"


def _query_params(dialect: Dialect, route: Route, method: RpcMethod) -> list[dict[str, Any]]:
    """The method's params where the route takes them: in its path, in a header, or in
    the query; then the route's own."""
    headers = dialect.reader.headers
    out = []
    for name, f in method.params.fields.items():
        sent = f.data_key or name
        if f"{{{sent}}}" in route.path:
            out.append({"name": sent, "in": "path", "required": True,
                        "schema": field_schema(f)})
        elif sent in headers:
            out.append({"name": headers[sent], "in": "header", "required": False,
                        "schema": field_schema(f)})
        else:
            out.append({"name": sent, "in": "query", "required": bool(f.required),
                        "schema": field_schema(f)})
    return out + [option.openapi() for option in dialect.reader.options]


def _operation(dialect: Dialect, route: Route, verb: str, name: str,
               method: RpcMethod) -> dict[str, Any]:
    operation: dict[str, Any] = {
        "summary": method.summary,
        # operation ids are unique in a document: one per verb when a route has several
        "operationId": name if len(dialect.verbs) == 1 else f"{name}.{verb}",
        "security": [dict(requirement) for requirement in dialect.credential.security],
        "responses": dialect.renderer.responses(dict(method.result), dialect.error_schema),
    }
    if dialect.reader.location == "body":
        operation["requestBody"] = {"required": True, "content": {
            "application/json": {"schema": schema_object(method.params)}}}
        return operation
    operation["parameters"] = params = _query_params(dialect, route, method)
    if verb == "post":  # the same fields may come as a form instead
        operation["requestBody"] = {"required": False, "content": {
            "application/x-www-form-urlencoded": {"schema": {
                "type": "object",
                "properties": {p["name"]: p["schema"] for p in params}}}}}
    return operation


def document(methods: Methods, dialects: Sequence[Dialect]) -> dict[str, Any]:
    paths: dict[str, Any] = {}
    schemes: dict[str, Any] = {}
    for dialect in dialects:
        schemes.update(dialect.credential.components)
        for route in dialect.routes:
            name = route.method
            if name is not None and name in methods:
                verbs = [verb.lower() for verb in dialect.verbs]
                paths.setdefault(route.path, {}).update(
                    {verb: _operation(dialect, route, verb, name, methods[name])
                     for verb in verbs})
    return {
        "openapi": OPENAPI_VERSION,
        "info": {"title": "Telecom reporting gateway: dialect routes", "version": __version__},
        "paths": paths,
        "components": {"securitySchemes": schemes},
    }
