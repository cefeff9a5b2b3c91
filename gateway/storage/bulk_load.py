"""SQL of a bulk load: many new sessions or queue sessions at once, by multi-row INSERTs,
and the writer's settings for a long load.

A bulk load only adds: what is stored already is left out before inserting (not merely
skipped by an ON CONFLICT clause, which on PostgreSQL would still take an id)."""

from __future__ import annotations

from contextlib import asynccontextmanager
from typing import Any, AsyncIterator, Sequence

from gateway.storage import sessions
from gateway.storage.backend import Backend, Connection
from gateway.storage.dialect import Dialect
from gateway.storage.inserts import insert_rows, marks
from gateway.storage.ledgers import ACD_COLUMNS, EVENT_COLUMNS
from gateway.storage.session_rows import Key, SessionRows

LOOKUP = 500  # ids per query that looks for the stored ones
# A queue session's row (the id, then `ACD_COLUMNS`) and its events' rows (`queue_rows`).
QueueRows = tuple[tuple[Any, ...], list[tuple[Any, ...]]]


async def _stored_sessions(conn: Connection, keys: Sequence[Key]) -> set[Key]:
    by_tenant: dict[int, list[str]] = {}
    for tenant_id, source_id in keys:
        by_tenant.setdefault(tenant_id, []).append(source_id)
    found: set[Key] = set()
    for tenant_id, source_ids in by_tenant.items():
        for first in range(0, len(source_ids), LOOKUP):
            chunk = source_ids[first:first + LOOKUP]
            found.update((tenant_id, str(r["source_id"])) for r in await conn.fetch_all(
                f"SELECT source_id FROM sessions WHERE tenant_id = ? AND source_id IN "
                f"{marks(len(chunk))}", (tenant_id, *chunk)))
    return found


async def _session_ids(conn: Connection, dialect: Dialect,
                       fresh: Sequence[SessionRows]) -> dict[Key, int]:
    """Insert the sessions; their ids by key."""
    if dialect.bulk_counts_ids:
        # Reading the ids back by RETURNING would step SQLite's statement once per row,
        # each step a trip for the GIL, which the conversion of the next records holds.
        last = await conn.fetch_one("SELECT COALESCE(MAX(id), 0) AS id FROM sessions")
        assert last is not None
        ids = {r.key: int(last["id"]) + n for n, r in enumerate(fresh, 1)}
        await insert_rows(conn, "sessions", ("id", *sessions.INSERT_COLUMNS),
                          [(ids[r.key], *r.key, *r.session) for r in fresh])
        return ids
    inserted = await insert_rows(
        conn, "sessions", sessions.INSERT_COLUMNS, [(*r.key, *r.session) for r in fresh],
        conflict="(tenant_id, source_id) DO NOTHING", returning="id, tenant_id, source_id")
    return {(int(r["tenant_id"]), str(r["source_id"])): int(r["id"]) for r in inserted}


async def insert_sessions(conn: Connection, dialect: Dialect,
                          rows: Sequence[SessionRows]) -> int:
    """Insert the sessions not stored yet, with their legs, recordings and resource
    usages; how many were new."""
    stored = await _stored_sessions(conn, [r.key for r in rows])
    fresh = [r for r in rows if r.key not in stored]
    ids = await _session_ids(conn, dialect, fresh)
    new = [(ids[r.key], r) for r in fresh if r.key in ids]
    await insert_rows(conn, "legs", ("session_id", "leg_id", *sessions.LEG_COLUMNS),
                      [(session_id, *leg) for session_id, r in new for leg in r.legs])
    await insert_rows(conn, "records", ("id", *sessions.RECORD_COLUMNS),
                      [(item[0], session_id, *item[1:]) for session_id, r in new
                       for item in r.recordings])
    await insert_rows(conn, "resource_usage", ("id", *sessions.RESOURCE_COLUMNS),
                      [(item[0], session_id, *item[1:]) for session_id, r in new
                       for item in r.resources])
    return len(new)


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
