"""What every method's answer shares (methods.md, common rules)."""

from __future__ import annotations

from typing import Any, Iterable


def without_nulls(fields: dict[str, Any] | Iterable[tuple[str, Any]]) -> dict[str, Any]:
    """A record with its optional fields left out where they have no value."""
    pairs = fields.items() if isinstance(fields, dict) else fields
    return {k: v for k, v in pairs if v is not None}
