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


# Marks a text comparison that must be by code point: each backend writes its collation
# for it (SQLite's BINARY needs nothing; PostgreSQL's database collation may not be "C").
CODE_POINT = "/*code point*/"


def starts_with(expr: Sql, prefix: str) -> Sql:
    """A prefix match; `%` and `_` in `prefix` match themselves, and case counts. The
    match is also a range of text by code point, which an index of the column finds."""
    escaped = prefix.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    like = Sql(f"{expr.text} LIKE ? ESCAPE '\\'", (*expr.params, escaped + "%"))
    return _within_prefix(expr, prefix, like)


def _within_prefix(expr: Sql, prefix: str, match: Sql) -> Sql:
    """`match`, and the range of text that every value starting with `prefix` is in (the
    prefix, up to the prefix with its last character's successor)."""
    if not prefix:
        return match
    code = ord(prefix[-1]) + 1
    if 0xD800 <= code < 0xE000:
        code = 0xE000  # no text holds a surrogate
    if code > 0x10FFFF:
        return match
    upper = prefix[:-1] + chr(code)
    text = f"{expr.text}{CODE_POINT}"
    return Sql(f"{text} >= ? AND {text} < ? AND {match.text}",
               (*expr.params, prefix, *expr.params, upper, *match.params))


def matching(expr: Sql, pattern: str) -> Sql:
    """MOR's match: `%` in `pattern` is a wildcard (`_` matches itself); otherwise a
    prefix. The text before the first `%` is a prefix every match starts with."""
    if "%" not in pattern:
        return starts_with(expr, pattern)
    escaped = pattern.replace("\\", "\\\\").replace("_", "\\_")
    like = Sql(f"{expr.text} LIKE ? ESCAPE '\\'", (*expr.params, escaped))
    return _within_prefix(expr, pattern.split("%", 1)[0], like)


def when(condition: Sql, expr: Sql) -> Sql:
    """`expr` where `condition` holds, else NULL."""
    if condition is TRUE:
        return expr
    return Sql(f"CASE WHEN {condition.text} THEN {expr.text} END",
               (*condition.params, *expr.params))
