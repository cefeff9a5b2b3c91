"""Paging params shared by list methods, and the shape of a page."""

from __future__ import annotations

from typing import Any

from marshmallow import fields, validate

MAX_COUNT = 1000  # rows per page: a page is built in memory, so it stays small
MAX_OFFSET = 10_000  # deeper pages should narrow their filters instead
DEFAULT_COUNT = 20


def count_field(default: int = DEFAULT_COUNT) -> fields.Integer:
    return fields.Integer(strict=True, load_default=default,
                          validate=validate.Range(min=1, max=MAX_COUNT))


def offset_field() -> fields.Integer:
    return fields.Integer(strict=True, load_default=0,
                          validate=validate.Range(min=0, max=MAX_OFFSET))


def page(rows: list[dict[str, Any]], total: int) -> dict[str, Any]:
    return {"result": rows, "total_count": total, "count": len(rows)}


def page_schema(item: dict[str, Any]) -> dict[str, Any]:
    """JSON Schema of a page of `item`s, for the OpenRPC document."""
    return {"type": "object", "properties": {
        "result": {"type": "array", "items": item},
        "total_count": {"type": "integer"}, "count": {"type": "integer"}}}
