"""The OpenRPC document, generated from each method's marshmallow schema."""

from __future__ import annotations

import functools
import json
from importlib import resources
from typing import Any

from marshmallow import Schema, fields, missing, validate

from gateway import __version__
from gateway.core.errors import (AuthenticationFailed, Busy, Forbidden, GatewayError, InvalidParams,
                                 RateLimited, Timeout)
from methods import json_schemas
from methods.context import Methods, Params, RpcMethod

OPENRPC_VERSION = "1.3.2"
EXAMPLES_FILE = "examples.json"
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
    (fields.AwareDateTime, json_schemas.RFC3339),
    (fields.DateTime, json_schemas.RFC3339),
    (fields.String, {"type": "string"}),
]


class Undescribed(TypeError):
    """A field the document cannot type: give it `metadata={"json_schema": ...}` or a
    `json_schema` attribute."""


def _validators(field: fields.Field, out: dict[str, Any]) -> None:
    for v in field.validators:
        described = getattr(v, "json_schema", None)  # a validator that says what it checks
        if described is not None:
            out.update(described)
        elif isinstance(v, validate.OneOf):
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
        elif isinstance(v, validate.Regexp):
            out["pattern"] = v.regex.pattern


def _base(field: fields.Field) -> dict[str, Any]:
    declared = field.metadata.get("json_schema", getattr(field, "json_schema", None))
    if declared is not None:
        return dict(declared)
    if isinstance(field, fields.List):
        return {"type": "array", "items": field_schema(field.inner)}
    if isinstance(field, fields.Nested):
        nested = schema_object(field.schema)
        return {"type": "array", "items": nested} if field.many else nested
    if isinstance(field, fields.Dict):
        values = field.value_field
        return {"type": "object",
                "additionalProperties": field_schema(values) if values else True}
    simple = next((dict(s) for kind, s in _SIMPLE if isinstance(field, kind)), None)
    if simple is None:
        raise Undescribed(f"no JSON Schema for {type(field).__name__} {field.name!r}")
    return simple


def field_schema(field: fields.Field) -> dict[str, Any]:
    """JSON Schema of one marshmallow field."""
    out = _base(field)
    _validators(field, out)
    if field.allow_none:
        if "type" in out:
            kinds = out["type"] if isinstance(out["type"], list) else [out["type"]]
            out["type"] = kinds if "null" in kinds else [*kinds, "null"]
            if "enum" in out and None not in out["enum"]:
                out["enum"] = [*out["enum"], None]
        elif "oneOf" in out:
            out["oneOf"] = [*out["oneOf"], {"type": "null"}]
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


def _example_params(method: RpcMethod, given: Params) -> list[dict[str, Any]]:
    """The example's params in positional order, up to the last one it gives (a param it
    skips takes its default), so that a by-position call sends the same request."""
    names = [f.data_key or n for n, f in method.params.fields.items()]
    last = max((names.index(name) for name in given), default=-1)
    out = []
    for name, f in list(zip(names, method.params.fields.values()))[:last + 1]:
        default = f.load_default() if callable(f.load_default) else f.load_default
        value = given[name] if name in given else (None if default is missing else default)
        out.append({"name": name, "value": value})
    return out


def _examples(name: str, method: RpcMethod) -> list[dict[str, Any]]:
    return [{"name": example["name"], "description": example["description"],
             "x-role": example["role"], "params": _example_params(method, example["params"]),
             "result": {"name": "result", "value": example["result"]}}
            for example in examples().get(name, [])]


@functools.lru_cache(maxsize=1)
def examples() -> dict[str, list[dict[str, Any]]]:
    """The example pairings (`methods/examples.json`): answers the gateway gives on the
    demo store of `gateway demo --calls 1000 --anchor 2026-11-30T12:00:00Z`."""
    text = resources.files("methods").joinpath(EXAMPLES_FILE).read_text(encoding="utf-8")
    found: dict[str, list[dict[str, Any]]] = json.loads(text)["methods"]
    return found


def document(methods: Methods, rpc_url: str) -> dict[str, Any]:
    """The document, its `servers` entry the absolute URL of `/rpc` (worked out by the HTTP
    layer)."""
    out = []
    for name in sorted(methods):
        method = methods[name]
        params = [{"name": f.data_key or n, "required": bool(f.required),
                   "schema": field_schema(f)} for n, f in method.params.fields.items()]
        errors = {(e.code, _error(e)["message"]): _error(e)
                  for e in COMMON_ERRORS + method.errors}
        described = {
            "name": name,
            "summary": method.summary,
            "paramStructure": "either",
            "params": params,
            "result": {"name": "result", "schema": dict(method.result)},
            "errors": list(errors.values()),
        }
        pairings = _examples(name, method)
        if pairings:
            described["examples"] = pairings
        out.append(described)
    return {
        "openrpc": OPENRPC_VERSION,
        "info": {"title": "Telecom reporting gateway", "version": __version__,
                 "description": "One JSON-RPC 2.0 reporting API over call and session data."},
        "servers": [{"name": "gateway", "url": rpc_url}],
        "methods": out,
    }
