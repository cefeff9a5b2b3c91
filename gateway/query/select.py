"""A report request as data, and its SQL for either engine.

Every dialect asks the same kind of question: rows of a source (sessions, legs,
transactions...) inside the caller's scope, narrowed by filters, either listed or grouped
by some dimensions with additive measures summed per group, ordered, cut by a limit and an
offset. `Select` holds such a question; `compile_select` writes its SQL.

The SQL has two levels. The inner query evaluates every expression once per source row
and names it (`c0`, `c1`, ... for dimensions, `m0`, ... for measure inputs); the outer
query groups, rolls up and orders by those plain names. So a grouped expression carrying
bound values (a time zone's offsets, the caller's scope) is written once, and ordering,
grouping and `ROLLUP` name it the same way on both engines.

Ordering is the same on both engines: NULLs last ascending and first descending, text by
code point (in the backend dialect's collation for it).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal, Sequence

from gateway.storage.dialect import Dialect
from gateway.storage.sources import Filter, Source
from gateway.storage.sql import TRUE, Sql, all_of, join

Aggregate = Literal["count", "sum"]


@dataclass(frozen=True)
class Column:
    """A dimension (a value per source row) or a measure (an additive aggregate).

    `expr` is the dimension's value, or the measure's input (ignored by `count`).
    `text` marks values compared as text; `needs` names the joins the expression uses."""

    name: str
    expr: Sql = TRUE
    needs: tuple[str, ...] = ()
    text: bool = False
    aggregate: Aggregate | None = None

    @property
    def is_measure(self) -> bool:
        return self.aggregate is not None


@dataclass(frozen=True)
class Order:
    column: Column
    descending: bool = False


@dataclass(frozen=True)
class Select:
    source: Source
    columns: Sequence[Column]
    where: Sequence[Filter] = ()
    grouped: bool = False
    order: Sequence[Order] = ()
    limit: int | None = None
    offset: int = 0
    rollup: bool = False  # grouped only: subtotals per dimension prefix and a total

    @property
    def dimensions(self) -> list[Column]:
        return [c for c in self.columns if not c.is_measure]

    @property
    def measures(self) -> list[Column]:
        return [c for c in self.columns if c.is_measure]


@dataclass
class Compiled:
    sql: str
    params: tuple[object, ...]
    names: dict[str, str] = field(default_factory=dict)  # SQL alias -> column name
    grouping: str | None = None  # alias of the GROUPING() bitmask (native rollup only)


def _aliases(select: Select) -> dict[str, str]:
    """Column name -> SQL alias: dimensions `c<i>`, measures `m<i>`."""
    dims, measures = select.dimensions, select.measures
    names = {c.name: f"c{i}" for i, c in enumerate(dims)}
    names.update({c.name: f"m{i}" for i, c in enumerate(measures)})
    # order-only columns (not returned) get their own aliases
    for i, o in enumerate(select.order):
        names.setdefault(o.column.name, f"o{i}")
    return names


def _inner(select: Select, aliases: dict[str, str], dialect: Dialect) -> Sql:
    returned = {c.name for c in select.columns}
    extra = [o.column for o in select.order if o.column.name not in returned]
    values = []
    for c in [*select.columns, *extra]:
        if c.aggregate == "count":
            continue  # counts rows; no input
        text = f"({c.expr.text})"
        if c.text:
            text = dialect.by_code_point(text)
        values.append(Sql(f"{text} AS {aliases[c.name]}", c.expr.params))
    needed = {n for c in [*select.columns, *extra] for n in c.needs}
    needed |= {n for f in select.where for n in f.needs}
    where = all_of(f.sql for f in select.where)
    return join([Sql("SELECT"), join(values or [Sql("1 AS one")], ", "), Sql("FROM"),
                 select.source.from_clause(needed), Sql("WHERE"), where], " ")


def _outer_value(c: Column, alias: str, grouped: bool) -> str:
    if not grouped or not c.is_measure:
        return alias
    if c.aggregate == "count":
        return f"COUNT(*) AS {alias}"
    return f"CAST(COALESCE(SUM({alias}), 0) AS BIGINT) AS {alias}"


def _order_terms(select: Select, aliases: dict[str, str]) -> list[str]:
    terms, seen = [], set()
    for o in select.order:
        if o.column.name in seen:
            continue
        seen.add(o.column.name)
        alias = aliases[o.column.name]
        terms.append(f"{alias} DESC NULLS FIRST" if o.descending else f"{alias} ASC NULLS LAST")
    return terms


def compile_select(select: Select, dialect: Dialect, native_rollup: bool = False) -> Compiled:
    """The SQL of `select`. With `native_rollup` (PostgreSQL), grouped rows come with
    their `GROUP BY ROLLUP` subtotals: detail rows first in the requested order, then
    the subtotal and total rows, marked by the `GROUPING()` bitmask column `g`."""
    aliases = _aliases(select)
    inner = _inner(select, aliases, dialect)
    dims = [aliases[c.name] for c in select.dimensions]
    values = [_outer_value(c, aliases[c.name], select.grouped) for c in select.columns]
    order = _order_terms(select, aliases)
    tail, grouping = "", None
    if select.grouped and dims:
        if native_rollup:
            tail = f" GROUP BY ROLLUP({', '.join(dims)})"
            grouping = "g"
            values.append(f"GROUPING({', '.join(dims)}) AS g")
            order.insert(0, f"GROUPING({', '.join(dims)}) > 0")
        else:
            tail = f" GROUP BY {', '.join(dims)}"
    if order:
        tail += f" ORDER BY {', '.join(order)}"
    params = inner.params
    if select.limit is not None:
        tail += " LIMIT ?"
        params += (select.limit,)
        if select.offset:
            tail += " OFFSET ?"
            params += (select.offset,)
    sql = f"SELECT {', '.join(values)} FROM ({inner.text}) q{tail}"
    names = {aliases[c.name]: c.name for c in select.columns}
    return Compiled(sql, params, names, grouping)
