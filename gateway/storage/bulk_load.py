"""SQL of a bulk load: many new queue sessions at once, by multi-row INSERTs, and the
writer's settings for a long load (sessions go through `session_writer`).

A bulk load only adds: what is stored already is left out before inserting (not merely
skipped by an ON CONFLICT clause, which on PostgreSQL would still take an id)."""

from __future__ import annotations

from contextlib import asynccontextmanager
from typing import Any, AsyncIterator, Sequence

from gateway.storage.backend import Backend, Connection
from gateway.storage.inserts import insert_rows, marks
from gateway.storage.ledgers import ACD_COLUMNS, EVENT_COLUMNS

LOOKUP = 500  # ids per query that looks for the stored ones
# A queue session's row (the id, then `ACD_COLUMNS`) and its events' rows (`queue_rows`).
QueueRows = tuple[tuple[Any, ...], list[tuple[Any, ...]]]


async def _stored_ids(conn: Connection, table: str, ids: Sequence[int]) -> set[int]:
    found: set[int] = set()
    for first in range(0, len(ids), LOOKUP):
        chunk = ids[first:first + LOOKUP]
        found.update(int(r["id"]) for r in await conn.fetch_all(
            f"SELECT id FROM {table} WHERE id IN {marks(len(chunk))}", chunk))
    return found


async def insert_queue_sessions(conn: Connection, rows: Sequence[QueueRows]) -> int:
    """Insert the queue sessions not stored yet, with their events; how many were new."""
    known = await _stored_ids(conn, "acd_sessions", [row[0] for row, _ in rows])
    new = {row[0] for row, _ in rows if row[0] not in known}
    await insert_rows(conn, "acd_sessions", ("id", *ACD_COLUMNS),
                      [row for row, _ in rows if row[0] in new])
    await insert_rows(conn, "acd_session_events", ("id", *EVENT_COLUMNS), [
        (event[0], row[0], *event[1:]) for row, events in rows if row[0] in new
        for event in events])
    return len(new)


@asynccontextmanager
async def tuned(db: Backend) -> AsyncIterator[None]:
    """The writer with its dialect's settings for a bulk load while the load lasts."""
    settings, before = db.dialect.bulk_load_settings, []
    if settings:
        async with db.transaction() as conn:
            for setting in settings:
                row = await conn.fetch_one(setting.show)
                if row is not None:
                    before.append((setting, next(iter(row.values()))))
                await conn.execute(setting.change.format(setting.value))
    try:
        yield
    finally:
        if before:
            async with db.transaction() as conn:
                for setting, value in before:
                    await conn.execute(setting.change.format(value))
