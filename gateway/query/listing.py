"""Listing records of a kind: the caller's scope, masking, conditions, stable order,
pages and totals, for every report that lists records (docs/tenancy.md).

A handler names what it wants (attributes, conditions, order, page); this module alone
writes which records the caller sees and which values it may see. A value hidden from
the caller is NULL in SQL, so conditions, ordering and sums never see it; each listed
row also names its hidden attributes under `HIDDEN`, so that an answer can write them
as present and null, unlike values that are merely absent.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any, AsyncIterator, Literal, Sequence

from gateway.query import run
from gateway.query.scope import any_leg, session_visible, tenant_among, tenant_within
from gateway.query.select import Column, Order, Select
from gateway.storage import Backend, Row
from gateway.storage.attributes import Attribute, Kind, Related
from gateway.storage.sources import Filter
from gateway.storage.sql import TRUE, Sql, between, one_of, starts_with, when

HIDDEN = "hidden"  # row key: the names of the row's attributes hidden from the caller
Op = Literal["in", "eq", "between", "ge", "le", "prefix", "contains", "any_in", "null", "or"]
_FLAG = "_shown"


@dataclass(frozen=True)
class Condition:
    """`name` (an attribute, or with `any_in` a related value) compared with `values`."""

    name: str
    op: Op
    values: tuple[Any, ...]


def where(name: str, op: Op, *values: Any) -> Condition:
    return Condition(name, op, values)


def either(*conditions: Condition) -> Condition:
    """One of `conditions` holds."""
    return Condition("", "or", conditions)


@dataclass(frozen=True)
class Viewer:
    """Who reads: the caller's subtree (what it may see), and the tenants whose records
    it asks for (None: the whole subtree)."""

    scope: str
    tenants: Sequence[int] | None = None


@dataclass(frozen=True)
class Listing:
    kind: Kind
    fields: Sequence[str]
    viewer: Viewer
    conditions: Sequence[Condition] = ()
    order: Sequence[tuple[str, bool]] = ()  # (attribute, descending)
    limit: int | None = None
    offset: int = 0
    sums: Sequence[str] = field(default_factory=tuple)  # related values summed per record


def column_of(name: str, a: Attribute, scope: str) -> Column:
    """An attribute as a column of a query for a caller of `scope`: NULL where hidden."""
    expr = a.sql if a.tenant is None else when(tenant_within(a.tenant, scope), a.sql)
    return Column(name, expr, a.needs, a.text)


def _value(listing: Listing, name: str) -> Column:
    return column_of(name, listing.kind.attributes[name], listing.viewer.scope)


def _related(listing: Listing, related: Related, value: str) -> Sql:
    if related.tenant is None:
        return Sql(value)
    shown = tenant_within(related.tenant, listing.viewer.scope)
    return when(shown, Sql(value))


def _sum(listing: Listing, name: str) -> Column:
    r = listing.kind.related[name]
    masked = _related(listing, r, r.value)
    return Column(name, Sql(f"COALESCE((SELECT SUM({masked.text}) FROM {r.rows}), 0)",
                            masked.params))


def _condition(listing: Listing, c: Condition) -> Filter:
    if c.op == "or":
        parts = [_condition(listing, one) for one in c.values]
        return Filter(Sql(" OR ".join(f"({p.sql.text})" for p in parts),
                          tuple(v for p in parts for v in p.sql.params)),
                      tuple(n for p in parts for n in p.needs))
    if c.op == "any_in":
        r = listing.kind.related[c.name]
        masked = _related(listing, r, r.value)
        found = one_of(masked, list(c.values))
        return Filter(Sql(f"EXISTS (SELECT 1 FROM {r.rows} AND {found.text})", found.params))
    column = _value(listing, c.name)
    expr = column.expr
    if c.op == "in":
        test = one_of(expr, list(c.values))
    elif c.op == "eq":
        test = Sql(f"{expr.text} = ?", (*expr.params, c.values[0]))
    elif c.op == "between":
        test = between(expr, *c.values)
    elif c.op == "ge":
        test = Sql(f"{expr.text} >= ?", (*expr.params, c.values[0]))
    elif c.op == "le":
        test = Sql(f"{expr.text} <= ?", (*expr.params, c.values[0]))
    elif c.op == "prefix":
        test = starts_with(expr, c.values[0])
    elif c.op == "contains":  # REPLACE: exact (no wildcards, case-sensitive) on both engines
        test = Sql(f"REPLACE({expr.text}, ?, '') <> {expr.text}",
                   (*expr.params, c.values[0], *expr.params))
    else:  # null: the value is NULL (True) or not (False)
        test = Sql(f"{expr.text} IS {'' if c.values[0] else 'NOT '}NULL", expr.params)
    return Filter(test, column.needs)


def visible(kind: Kind, viewer: Viewer) -> Filter:
    """The records the viewer asks for and may see (docs/tenancy.md, one rule)."""
    if kind.session is None:
        sql = tenant_within(kind.tenant, viewer.scope) if viewer.tenants is None \
            else tenant_among(kind.tenant, viewer.tenants)
    elif viewer.tenants is None:
        sql = session_visible(viewer.scope, kind.session)
    else:
        sql = any_leg(kind.session, tenant_among("x.tenant_id", viewer.tenants))
    return Filter(sql)


def _flags(listing: Listing) -> list[Column]:
    """A column per distinct tenant hiding a listed attribute: 1 when it is in scope."""
    attributes = [listing.kind.attributes[n] for n in listing.fields]
    tenants = sorted({a.tenant for a in attributes if a.tenant is not None})
    out = []
    for i, tenant in enumerate(tenants):
        shown = tenant_within(tenant, listing.viewer.scope)
        needs = tuple(n for a in attributes if a.tenant == tenant for n in a.needs)
        if shown is not TRUE:
            out.append(Column(f"{_FLAG}{i}:{tenant}", Sql(
                f"CASE WHEN {shown.text} THEN 1 ELSE 0 END", shown.params), needs))
    return out


def compile_listing(listing: Listing) -> Select:
    kind = listing.kind
    columns = [_value(listing, n) for n in listing.fields]
    columns += [_sum(listing, n) for n in listing.sums] + _flags(listing)
    filters = [*kind.always, visible(kind, listing.viewer),
               *(_condition(listing, c) for c in listing.conditions)]
    order = [Order(_value(listing, name), descending) for name, descending in listing.order]
    return Select(kind.source, columns, filters, order=order, limit=listing.limit,
                  offset=listing.offset)


def _marked(listing: Listing, row: Row) -> Row:
    """`row` without its flag columns, its hidden attributes named under `HIDDEN`."""
    hidden = set()
    for key in [k for k in row if k.startswith(_FLAG)]:
        if not row.pop(key):
            tenant = key.split(":", 1)[1]
            hidden |= {n for n in listing.fields if listing.kind.attributes[n].tenant == tenant}
    if hidden:
        row[HIDDEN] = frozenset(hidden)
    return row


async def rows(db: Backend, listing: Listing, max_rows: int | None = None) -> list[Row]:
    """The listed rows: a page (`listing.limit`), or at most `max_rows` (more: 422)."""
    key = listing.kind.key
    if listing.limit is not None and key is not None and key in listing.fields and \
            (len(listing.fields) > 1 or listing.sums):
        return await _found_by_key(db, listing, key)
    return await _rows(db, listing, max_rows)


async def _rows(db: Backend, listing: Listing, max_rows: int | None = None) -> list[Row]:
    bound = listing.limit if max_rows is None else max_rows
    assert bound is not None, "rows held in memory are bounded"
    return [_marked(listing, r) for r in await run.fetch(db, compile_listing(listing), bound)]


async def _found_by_key(db: Backend, listing: Listing, key: str) -> list[Row]:
    """A page found by its records' `key` alone, then their values: the values (subqueries
    among them) are computed for the page's records only, not for every record skipped
    on the way to a deep page."""
    keys = [r[key] for r in await _rows(db, replace(listing, fields=(key,), sums=()))]
    if not keys:
        return []
    found = await _rows(db, replace(listing, conditions=(where(key, "in", *keys),), order=(),
                                    limit=len(keys), offset=0))
    by_key = {r[key]: r for r in found}
    return [by_key[k] for k in keys if k in by_key]  # one removed meanwhile is left out


async def total(db: Backend, listing: Listing) -> int:
    """How many records the listing matches, without its page."""
    select = compile_listing(replace(listing, fields=(), sums=(), order=(), limit=None,
                                     offset=0))
    counted = replace(select, columns=[Column("n", aggregate="count")], grouped=True)
    (row,) = await run.fetch(db, counted, 1)
    return int(row["n"])


async def page(db: Backend, listing: Listing, with_total: bool) -> tuple[list[Row], int | None]:
    """A page, and (`with_total`) how many records match in all."""
    return await rows(db, listing), (await total(db, listing) if with_total else None)


async def every(db: Backend, listing: Listing) -> AsyncIterator[Row]:
    """Every listed row, read in chunks (an export: no page)."""
    select = compile_listing(replace(listing, limit=None, offset=0))
    names = [c.name for c in select.columns]
    async for values in run.records(db, select):
        yield _marked(listing, dict(zip(names, values)))
