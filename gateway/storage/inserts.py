"""Multi-row INSERTs: many rows per statement (one trip to the database each), as many as
the engines' limit on bound parameters allows."""

from __future__ import annotations

import itertools
from typing import Any, Sequence

from gateway.storage.backend import Connection, Row

# Bound parameters per statement stay under both engines' limits (SQLite 32766, PG 32767).
MAX_PARAMS = 30_000


def marks(count: int) -> str:
    """`(?, ?, ...)`: one row's placeholders."""
    return "(" + ", ".join("?" * count) + ")"


async def insert_rows(conn: Connection, table: str, columns: Sequence[str],
                      rows: Sequence[Sequence[Any]], conflict: str = "",
                      returning: str = "") -> list[Row]:
    """Insert `rows` (values in the order of `columns`); `conflict`: an ON CONFLICT
    clause's target and action; the rows `returning` (a RETURNING list) reads back."""
    per_statement = MAX_PARAMS // len(columns)
    head = f"INSERT INTO {table} ({', '.join(columns)}) VALUES "
    tail = (f" ON CONFLICT {conflict}" if conflict else "") + \
        (f" RETURNING {returning}" if returning else "")
    mark = marks(len(columns))
    out: list[Row] = []
    for first in range(0, len(rows), per_statement):
        chunk = rows[first:first + per_statement]
        sql = head + ", ".join(itertools.repeat(mark, len(chunk))) + tail
        params = [value for row in chunk for value in row]
        if returning:
            out += await conn.fetch_all(sql, params)
        else:
            await conn.execute(sql, params)
    return out
