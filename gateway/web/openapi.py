"""The OpenAPI document of the dialect routes (`GET /openapi.json`), generated from the
dialects' declarations and the methods' schemas."""

from __future__ import annotations

from typing import Any, Mapping, Sequence

from gateway import __version__
from gateway.web.dialects.dialect import Dialect, Route
from methods.context import Methods, RpcMethod
from methods.openrpc import field_schema, schema_object

OPENAPI_VERSION = "3.1.0"
# The form bodies a POST route reads (gateway/web/dialects/forms.py).
FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")


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


def _with_server_refusals(responses: Mapping[str, Any]) -> dict[str, Any]:
    """The responses, and the HTTP server's own refusals (a request line or header over
    aiohttp's 8190 bytes is answered 400 in plain text before any route runs)."""
    out = dict(responses)
    fallback = out.get("default", {"description": "an error", "content": {}})
    out["default"] = {
        **fallback,
        "description": fallback["description"] + "; or, in plain text, a refusal of the "
                                                 "HTTP server itself",
        "content": {**fallback.get("content", {}),
                    "text/plain": {"schema": {"type": "string"}}}}
    return out


def _responses(dialect: Dialect, method: RpcMethod) -> dict[str, Any]:
    return _with_server_refusals(
        dialect.renderer.responses(dict(method.result), dialect.error_schema))


def _operation(dialect: Dialect, route: Route, verb: str, name: str,
               method: RpcMethod) -> dict[str, Any]:
    operation: dict[str, Any] = {
        "summary": method.summary,
        # operation ids are unique in a document: one per verb when a route has several
        "operationId": name if len(dialect.verbs) == 1 else f"{name}.{verb}",
        "security": [dict(requirement) for requirement in dialect.credential.security],
        "responses": _responses(dialect, method),
    }
    if dialect.reader.location == "body":
        operation["requestBody"] = {"required": True, "content": {
            "application/json": {"schema": schema_object(method.params)}}}
        return operation
    params = _query_params(dialect, route, method)
    if verb != "post":
        operation["parameters"] = params
        return operation
    # A POST reads the query and then the form. Its fields are declared once, in the form,
    # except where a dialect's clients send them in the query too (MOR's seed example sends
    # `u` and `hash` there): then in both, neither required (decisions, section 11).
    both = dialect.reader.query_on_post
    fields = [p for p in params if p["in"] == "query"]
    operation["parameters"] = [p for p in params if p["in"] != "query"] + (
        [dict(p, required=False) for p in fields] if both else [])
    form: dict[str, Any] = {"type": "object",
                            "properties": {p["name"]: p["schema"] for p in fields}}
    required = [p["name"] for p in fields if p["required"] and not both]
    if required:
        form["required"] = required
    operation["requestBody"] = {"required": bool(required), "content": {
        kind: {"schema": form} for kind in FORM_TYPES}}
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
            elif name is None and route.operation is not None:  # a route of its own (login)
                paths.setdefault(route.path, {}).update(
                    {verb.lower(): dict(route.operation, responses=_with_server_refusals(
                        route.operation["responses"])) for verb in dialect.verbs})
    return {
        "openapi": OPENAPI_VERSION,
        "info": {"title": "Telecom reporting gateway: dialect routes", "version": __version__},
        "paths": paths,
        "components": {"securitySchemes": schemes},
    }
