"""SQL fragments with their bound values, and the conditions every report filters with.

A fragment's text comes from code (allow-listed expressions); every value a request
carries travels as a `?` parameter beside it, never inside the text.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Iterable, Sequence


@dataclass(frozen=True)
class Sql:
    text: str
    params: tuple[Any, ...] = ()

    def __str__(self) -> str:  # a fragment is never pasted into text by accident
        raise TypeError("join fragments with `join` so that their params travel along")


TRUE = Sql("1 = 1")
FALSE = Sql("1 = 0")


def join(parts: Iterable[Sql], separator: str) -> Sql:
    parts = list(parts)
    return Sql(separator.join(p.text for p in parts),
               tuple(v for p in parts for v in p.params))


def all_of(conditions: Iterable[Sql]) -> Sql:
    conditions = [c for c in conditions if c is not TRUE]
    return join((Sql(f"({c.text})", c.params) for c in conditions), " AND ") if conditions \
        else TRUE


def one_of(expr: Sql, values: Sequence[Any]) -> Sql:
    """`expr` equals one of `values` (a NULL value matches nothing, as in SQL; no value:
    nothing matches)."""
    if not values:
        return FALSE
    marks = ", ".join("?" for _ in values)
    return Sql(f"{expr.text} IN ({marks})", (*expr.params, *values))


def between(expr: Sql, low: Any, high: Any) -> Sql:
    """Inclusive at both ends."""
    return Sql(f"{expr.text} BETWEEN ? AND ?", (*expr.params, low, high))


def starts_with(expr: Sql, prefix: str) -> Sql:
    """A prefix match; `%` and `_` in `prefix` match themselves."""
    escaped = prefix.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return Sql(f"{expr.text} LIKE ? ESCAPE '\\'", (*expr.params, escaped + "%"))


def matching(expr: Sql, pattern: str) -> Sql:
    """MOR's match: `%` in `pattern` is a wildcard (`_` matches itself); otherwise a
    prefix."""
    if "%" not in pattern:
        return starts_with(expr, pattern)
    escaped = pattern.replace("\\", "\\\\").replace("_", "\\_")
    return Sql(f"{expr.text} LIKE ? ESCAPE '\\'", (*expr.params, escaped))


def when(condition: Sql, expr: Sql) -> Sql:
    """`expr` where `condition` holds, else NULL."""
    if condition is TRUE:
        return expr
    return Sql(f"CASE WHEN {condition.text} THEN {expr.text} END",
               (*condition.params, *expr.params))
