"""The one write path of session records, for `ingest.sessions`, `gateway import` and the
demo's bulk loader alike: a batch of built rows (`session_rows.SessionRows`) becomes a
few statements per table, whatever the batch's size.

Each table's rows go in by `Connection.insert_many` (multi-row INSERTs on SQLite, COPY
into a staging table and one `INSERT ... SELECT` on PostgreSQL); sessions replaced by a
later state are updated by one statement run for every row.
"""

from __future__ import annotations

from typing import Mapping, Sequence

from gateway.storage import partitions, sessions
from gateway.storage.backend import Connection
from gateway.storage.dialect import Dialect
from gateway.storage.inserts import marks
from gateway.storage.session_rows import Key, SessionRows

LOOKUP = 500  # keys per query that looks for the stored sessions


def _upsert(table: str, keys: tuple[str, ...], columns: Sequence[str]) -> str:
    """The ON CONFLICT clause that updates a stored row with a newer one's values."""
    updates = ", ".join(
        f"{c} = COALESCE(excluded.{c}, {table}.{c})" if c in sessions.KEPT_WHEN_ABSENT
        else f"{c} = excluded.{c}" for c in columns)
    return f"({', '.join(keys)}) DO UPDATE SET {updates}"


_LEG_COLUMNS = ("session_id", "leg_id", *sessions.LEG_COLUMNS)
_LEGS_UPDATED = _upsert("legs", sessions.LEG_KEY, sessions.LEG_COLUMNS)
_ATTACHMENTS = {
    table: (("id", *columns), _upsert(table, sessions.ATTACHMENT_KEY, columns))
    for table, columns in (("records", sessions.RECORD_COLUMNS),
                           ("resource_usage", sessions.RESOURCE_COLUMNS))}


async def stored(conn: Connection, keys: Sequence[Key]) -> set[Key]:
    """Those of `keys` whose session is stored."""
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


async def _new_ids(conn: Connection, dialect: Dialect,
                   fresh: Sequence[SessionRows]) -> dict[Key, int]:
    """Insert the sessions; their ids by key."""
    if dialect.bulk_counts_ids:
        # Reading the ids back by RETURNING would step SQLite's statement once per row,
        # each step a trip for the GIL, which the conversion of the next records holds.
        last = await conn.fetch_one("SELECT COALESCE(MAX(id), 0) AS id FROM sessions")
        assert last is not None
        ids = {r.key: int(last["id"]) + n for n, r in enumerate(fresh, 1)}
        await conn.insert_many("sessions", ("id", *sessions.INSERT_COLUMNS),
                               [(ids[r.key], *r.key, *r.session) for r in fresh])
        return ids
    inserted = await conn.insert_many(
        "sessions", sessions.INSERT_COLUMNS, [(*r.key, *r.session) for r in fresh],
        returning="id, tenant_id, source_id")
    return {(int(r["tenant_id"]), str(r["source_id"])): int(r["id"]) for r in inserted}


async def _attachments(conn: Connection, rows: Sequence[tuple[int, SessionRows]]) -> None:
    """The recordings and resource usages of the sessions `rows` (session id, rows)."""
    for table, items in (("records", [(session_id, r.recordings) for session_id, r in rows]),
                         ("resource_usage", [(session_id, r.resources)
                                             for session_id, r in rows])):
        columns, conflict = _ATTACHMENTS[table]
        values = [(item[0], session_id, *item[1:]) for session_id, kept in items
                  for item in kept]
        if values:
            await conn.insert_many(table, columns, values, conflict=conflict)


async def insert(conn: Connection, dialect: Dialect,
                 rows: Sequence[SessionRows]) -> dict[Key, int]:
    """Insert new sessions (none of them stored) with their legs, recordings and resource
    usages; their ids by key."""
    if not rows:
        return {}
    await partitions.ensure(conn, dialect, {r.month for r in rows})
    ids = await _new_ids(conn, dialect, rows)
    new = [(ids[r.key], r) for r in rows]
    await conn.insert_many("legs", _LEG_COLUMNS,
                           [(session_id, *leg) for session_id, r in new for leg in r.legs])
    await _attachments(conn, new)
    return ids


# The tables whose rows follow their session's partition key, and the owner column they
# are found by besides the session id and month (`sessions.SessionKey`).
_MOVED: dict[str, str | None] = {"legs": "owner_id", "session_leg_paths": "owner_id",
                                 "records": None, "resource_usage": None}
# The statements of `replace` that name one session (tests/test_session_joins.py reads
# their plans): each table's move to another month, and the deletion of legs.
MOVES = {table: f"UPDATE {table} SET setup_month = ? WHERE {sessions.GIVEN.rows(table, owner)}"
         for table, owner in _MOVED.items()}
DROP_LEGS = f"DELETE FROM legs WHERE {sessions.GIVEN.rows('legs')}"


async def replace(conn: Connection, dialect: Dialect, rows: Sequence[tuple[int, SessionRows]],
                  moved: Mapping[int, int] | None = None) -> None:
    """Replace stored sessions (session id, rows) by a later state: their values, their
    legs (those the newer record leaves out are deleted), recordings and resource
    usages. `moved`: the month each of them whose setup time changed month is stored in;
    their rows move with them first (to the partition of the new month). Every statement
    names a session by its id and month (and its legs' owner: `sessions.GIVEN`), so that
    it reads that month's partition alone."""
    if not rows:
        return
    moved = moved or {}
    await partitions.ensure(conn, dialect, {r.month for _, r in rows})
    rows = sorted(rows, key=lambda row: row[0])  # concurrent batches lock in one order
    months = {session_id: r.month for session_id, r in rows}
    owners = {session_id: r.key[0] for session_id, r in rows}
    for table, owner in _MOVED.items() if moved else ():
        await conn.executemany(MOVES[table], [
            (months[session_id], session_id, month) + ((owners[session_id],) if owner else ())
            for session_id, month in moved.items()])
    await conn.executemany(sessions.UPDATE, [
        (*r.session, session_id, moved.get(session_id, r.month)) for session_id, r in rows])
    by_count: dict[int, list[tuple[object, ...]]] = {}
    for session_id, r in rows:
        kept = [leg[0] for leg in r.legs]
        by_count.setdefault(len(kept), []).append(
            (session_id, months[session_id], owners[session_id], *kept))
    for count, params in by_count.items():
        await conn.executemany(DROP_LEGS + (
            f" AND leg_id NOT IN {marks(count)}" if count else ""), params)
    await conn.insert_many("legs", _LEG_COLUMNS,
                           [(session_id, *leg) for session_id, r in rows for leg in r.legs],
                           conflict=_LEGS_UPDATED)
    await _attachments(conn, rows)
