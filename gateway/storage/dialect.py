"""What one database engine spells its own way, owned by its backend (`backend.dialect`).

The SQL above storage is written once for every engine; where the engines differ, it asks
the backend's dialect instead of asking which engine it runs on. What is the same on both
needs no entry: `?` placeholders (each connection binds them its own way), multi-row
`INSERT ... VALUES`, `RETURNING`, and upserts (`INSERT ... ON CONFLICT (...) DO UPDATE SET
c = excluded.c`, which SQLite and PostgreSQL both read).
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Setting:
    """A connection setting a bulk load changes while it lasts: `show` reads it (one row,
    one column), `change` writes it with `{}` standing for the value."""

    show: str
    change: str
    value: str


@dataclass(frozen=True)
class Dialect:
    name: str
    # Appended to a text expression so that it orders by code point, as both engines must
    # (SQLite's default BINARY collation does; PostgreSQL's database collation may not).
    collation: str
    # Subtotals by `GROUP BY ROLLUP` (with `GROUPING()`); without it they are summed as
    # the grouped rows stream by (gateway/query/run.py).
    native_rollup: bool
    # Whether a bulk load gives new sessions their ids itself (the largest so far plus
    # one, in order, as the engine would): safe with one writer, and cheaper than reading
    # them back by RETURNING. Otherwise the engine's identity gives them (its sequence
    # must move on) and RETURNING reads them.
    bulk_counts_ids: bool
    # Statements run on every new connection before its first use.
    session_statements: tuple[str, ...] = ()
    # Settings of the writing connection while a bulk load lasts, then set back.
    bulk_load_settings: tuple[Setting, ...] = ()
    # Run once a bulk load has written everything: the planner's statistics of what it
    # wrote, so that the next statements are planned for the tables' new sizes.
    after_bulk_load: tuple[str, ...] = ()
    # Whether the large tables are partitioned by month (migration 0015): the writers make
    # a month's partitions before they write its rows (storage/partitions.py).
    month_partitions: bool = False
    # Appended to the writer's read of the stored sessions it may update, so that a
    # concurrent batch updating one of them waits for this one's transaction (and fails
    # as a write conflict, to be run again, when that one moved it to another month).
    # SQLite needs none: one transaction writes at a time.
    lock_rows: str = ""

    def by_code_point(self, expr: str) -> str:
        """A text expression that orders by code point on this engine."""
        return f"{expr}{self.collation}"
