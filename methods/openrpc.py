"""The OpenRPC document, generated from each method's marshmallow schema."""

from __future__ import annotations

from typing import Any

from marshmallow import Schema, fields, missing, validate

from gateway import __version__
from gateway.core.errors import (AuthenticationFailed, Busy, Forbidden, GatewayError, InvalidParams,
                                 RateLimited, Timeout)
from methods.context import Methods

OPENRPC_VERSION = "1.3.2"
# Errors any call can answer, whatever the method.
COMMON_ERRORS: tuple[type[GatewayError], ...] = (InvalidParams, AuthenticationFailed, Forbidden,
                                                 RateLimited, Busy, Timeout)
_MESSAGES = {InvalidParams: "Invalid request", AuthenticationFailed: "utoken-auth-failed",
             Forbidden: "forbidden", RateLimited: "rate-limited", Busy: "busy",
             Timeout: "timeout"}

_SIMPLE: list[tuple[type[fields.Field], dict[str, Any]]] = [
    (fields.Boolean, {"type": "boolean"}),
    (fields.Integer, {"type": "integer"}),
    (fields.Decimal, {"type": "string", "format": "decimal"}),
    (fields.Float, {"type": "number"}),
    (fields.AwareDateTime, {"type": "string", "format": "date-time"}),
    (fields.DateTime, {"type": "string", "format": "date-time"}),
    (fields.String, {"type": "string"}),
]


def _validators(field: fields.Field, out: dict[str, Any]) -> None:
    for v in field.validators:
        if isinstance(v, validate.OneOf):
            out["enum"] = list(v.choices)
        elif isinstance(v, validate.Range):
            if v.min is not None:
                out["minimum"] = v.min
            if v.max is not None:
                out["maximum"] = v.max
        elif isinstance(v, validate.Length):
            lo, hi = ("minItems", "maxItems") if out.get("type") == "array" else \
                ("minLength", "maxLength")
            if v.min is not None:
                out[lo] = v.min
            if v.max is not None:
                out[hi] = v.max


def field_schema(field: fields.Field) -> dict[str, Any]:
    """JSON Schema of one marshmallow field."""
    out: dict[str, Any]
    if isinstance(field, fields.List):
        out = {"type": "array", "items": field_schema(field.inner)}
    elif isinstance(field, fields.Nested):
        nested = field.schema
        out = schema_object(nested)
    else:
        out = next((dict(s) for kind, s in _SIMPLE if isinstance(field, kind)), {})
        doc_type = field.metadata.get("json_schema")
        if doc_type:
            out = dict(doc_type)
    _validators(field, out)
    if field.allow_none and "type" in out:
        out["type"] = [out["type"], "null"]
    if field.metadata.get("description"):
        out["description"] = field.metadata["description"]
    default = field.load_default
    if callable(default):  # a factory such as `list` documents the value it makes
        default = default()
    if default is not missing and default is not None:
        out["default"] = default
    return out


def schema_object(schema: Schema) -> dict[str, Any]:
    required = [f.data_key or n for n, f in schema.fields.items() if f.required]
    out: dict[str, Any] = {"type": "object",
                           "properties": {f.data_key or n: field_schema(f)
                                          for n, f in schema.fields.items()},
                           "additionalProperties": False}
    if required:
        out["required"] = required
    return out


def _error(kind: type[GatewayError]) -> dict[str, Any]:
    message = _MESSAGES.get(kind, getattr(kind, "text_code", "") or kind.__name__)
    return {"code": kind.code, "message": message}


def document(methods: Methods) -> dict[str, Any]:
    out = []
    for name in sorted(methods):
        method = methods[name]
        params = [{"name": f.data_key or n, "required": bool(f.required),
                   "schema": field_schema(f)} for n, f in method.params.fields.items()]
        errors = {(e.code, _error(e)["message"]): _error(e)
                  for e in COMMON_ERRORS + method.errors}
        out.append({
            "name": name,
            "summary": method.summary,
            "paramStructure": "either",
            "params": params,
            "result": {"name": "result", "schema": dict(method.result) or {}},
            "errors": list(errors.values()),
        })
    return {
        "openrpc": OPENRPC_VERSION,
        "info": {"title": "Telecom reporting gateway", "version": __version__,
                 "description": "One JSON-RPC 2.0 reporting API over call and session data."},
        "servers": [{"name": "gateway", "url": "/rpc"}],
        "methods": out,
    }
