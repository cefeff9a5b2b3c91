"""What every method's answer shares (docs/rpc.md)."""

from __future__ import annotations

from typing import Any, Iterable


def without_nulls(fields: dict[str, Any] | Iterable[tuple[str, Any]]) -> dict[str, Any]:
    """A record with its optional fields left out where they have no value."""
    pairs = fields.items() if isinstance(fields, dict) else fields
    return {k: v for k, v in pairs if v is not None}


def shown(fields: Iterable[tuple[str, Any]], hidden: Iterable[str] = ()) -> dict[str, Any]:
    """`without_nulls`, but a field hidden from the caller is kept, as null
    (docs/tenancy.md: a hidden value is present and null)."""
    hidden = set(hidden)
    return {k: v for k, v in fields if v is not None or k in hidden}
