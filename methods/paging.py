"""Paging params shared by list methods, and the shape of a page."""

from __future__ import annotations

from typing import Any

from methods.validators import Integer

MAX_COUNT = 1000  # rows per page: a page is built in memory, so it stays small
MAX_OFFSET = 10_000  # deeper pages should narrow their filters instead
DEFAULT_COUNT = 20


def count_field(default: int = DEFAULT_COUNT) -> Integer:
    return Integer(load_default=default, minimum=1, maximum=MAX_COUNT)


def offset_field() -> Integer:
    return Integer(load_default=0, minimum=0, maximum=MAX_OFFSET)


def page(rows: list[dict[str, Any]], total: int) -> dict[str, Any]:
    return {"result": rows, "total_count": total, "count": len(rows)}


def page_schema(item: dict[str, Any]) -> dict[str, Any]:
    """JSON Schema of a page of `item`s, for the OpenRPC document."""
    return {"type": "object", "properties": {
        "result": {"type": "array", "items": item},
        "total_count": {"type": "integer"}, "count": {"type": "integer"}}}
