"""Running a `Select`: listed or grouped rows, and rolled-up reports.

A rollup is computed natively on PostgreSQL (`GROUP BY ROLLUP`); on SQLite, which has no
grouping sets, the subtotals are summed while the grouped rows stream by. Either way the
rows are then laid out the same way (`layout`), so both engines give identical answers.
"""

from __future__ import annotations

from contextlib import aclosing
from dataclasses import replace
from typing import Any, AsyncIterator, Iterator

from gateway.core.errors import Unprocessable
from gateway.query.select import Select, compile_select
from gateway.storage import Backend, Row

ROW, SUBTOTAL, TOTAL = "row", "subtotal", "total"
Key = tuple[Any, ...]
Measures = list[int]


def too_large(max_rows: int) -> Unprocessable:
    return Unprocessable("report-too-large",
                         f"the report has more than {max_rows} rows; narrow it or set a limit")


def _named(row: Row, names: dict[str, str]) -> Row:
    return {name: row[alias] for alias, name in names.items()}


async def fetch(db: Backend, select: Select, max_rows: int) -> list[Row]:
    """The rows of a (listed or grouped) select; over `max_rows` without a limit: 422."""
    capped = select if select.limit is not None else _with_limit(select, max_rows + 1)
    compiled = compile_select(capped, db.dialect)
    rows = await db.fetch_all(compiled.sql, compiled.params)
    if select.limit is None and len(rows) > max_rows:
        raise too_large(max_rows)
    return [_named(r, compiled.names) for r in rows]


async def records(db: Backend, select: Select) -> AsyncIterator[tuple[Any, ...]]:
    """The rows of a select one by one as tuples in the order of `select.columns`, read in
    chunks (for many rows: no dict per row)."""
    compiled = compile_select(select, db.dialect)
    async with aclosing(db.stream(compiled.sql, compiled.params)) as chunks:
        async for chunk in chunks:
            for raw in chunk:
                yield tuple(raw)


def _with_limit(select: Select, limit: int | None) -> Select:
    return replace(select, limit=limit)


class _Rollup:
    """Kept detail rows, and the measures of every dimension prefix they fall in."""

    def __init__(self, select: Select, max_rows: int) -> None:
        self.dims = [c.name for c in select.dimensions]
        self.measures = [c.name for c in select.measures]
        self.limit = select.limit
        self.max_rows = max_rows
        self.kept: list[Row] = []
        self.sums: dict[Key, Measures] = {}  # prefix (shorter than every dimension) -> sums

    def prefixes(self, row: Row) -> Iterator[Key]:
        values = tuple(row[d] for d in self.dims)
        return (values[:k] for k in range(len(values)))

    def keep(self, row: Row) -> bool:
        """Keep a detail row (in final order) if the limit allows; True when kept."""
        if self.limit is not None and len(self.kept) >= self.limit:
            return False
        if self.limit is None and len(self.kept) >= self.max_rows:
            raise too_large(self.max_rows)
        self.kept.append(row)
        return True

    def detail(self, row: Row, sum_here: bool) -> None:
        """A detail row, in final order: kept while the limit allows, and its measures
        added to the sums of its groups (unless the database sums them)."""
        kept = self.keep(row)
        for prefix in self.prefixes(row):
            if sum_here:
                self.add(prefix, row, new=kept)
            elif kept:
                self.sums.setdefault(prefix, [0] * len(self.measures))

    def database_subtotal(self, row: Row, rolled_up: int) -> None:
        """A subtotal (or the total) summed by the database, `rolled_up` dimensions null."""
        level = len(self.dims) - rolled_up
        self.add(tuple(row[d] for d in self.dims[:level]), row, new=False)

    def add(self, prefix: Key, row: Row, new: bool) -> None:
        """Add `row`'s measures to `prefix`'s sums; `new` allows a prefix not seen yet."""
        sums = self.sums.get(prefix)
        if sums is None:
            if not new:
                return  # a group with no kept row has no subtotal
            sums = self.sums[prefix] = [0] * len(self.measures)
        for i, m in enumerate(self.measures):
            sums[i] += row[m]

    def layout(self) -> list[tuple[str, Row]]:
        """Each group at the position of its first kept row, its rows then its subtotal;
        the grand total last."""
        out: list[tuple[str, Row]] = []
        self._emit(self.kept, 0, out)
        out.append((TOTAL, self._subtotal(())))
        if self.limit is None and len(out) > self.max_rows:
            raise too_large(self.max_rows)
        return out

    def _emit(self, rows: list[Row], depth: int, out: list[tuple[str, Row]]) -> None:
        if depth == len(self.dims) - 1:
            out.extend((ROW, r) for r in rows)
            return
        groups: dict[Any, list[Row]] = {}
        for r in rows:
            groups.setdefault(r[self.dims[depth]], []).append(r)
        for group in groups.values():
            self._emit(group, depth + 1, out)
            if depth + 1 < len(self.dims):
                prefix = tuple(group[0][d] for d in self.dims[:depth + 1])
                out.append((SUBTOTAL, self._subtotal(prefix)))

    def _subtotal(self, prefix: Key) -> Row:
        sums = self.sums.get(prefix, [0] * len(self.measures))
        row: Row = {d: (prefix[i] if i < len(prefix) else None) for i, d in enumerate(self.dims)}
        row.update(zip(self.measures, sums))
        return row


async def rollup(db: Backend, select: Select, max_rows: int) -> list[tuple[str, Row]]:
    """(row type, row) pairs of a grouped select with its subtotals and grand total."""
    if not select.dimensions:
        return [(TOTAL, row) for row in await fetch(db, select, max_rows)]
    state = _Rollup(select, max_rows)
    unlimited = _with_limit(select, None)  # subtotals cover every row, kept or not
    native = db.dialect.native_rollup
    compiled = compile_select(unlimited, db.dialect, native_rollup=native)
    async with aclosing(db.stream(compiled.sql, compiled.params)) as chunks:
        async for chunk in chunks:
            for raw in chunk:
                row = _named(raw, compiled.names)
                rolled_up = bin(raw[compiled.grouping]).count("1") if compiled.grouping else 0
                if rolled_up:
                    state.database_subtotal(row, rolled_up)
                else:
                    state.detail(row, sum_here=not native)
    return state.layout()
