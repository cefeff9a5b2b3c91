"""SQL of the imports of switch files: each import with its options, the lines it stored
and the sessions they went into (migration 0009_imports), and the deletion of an
earlier import's sessions when a file is imported again with `--replace`."""

from __future__ import annotations

from typing import Iterator, Sequence

from gateway.core.clock import DAY
from gateway.storage import summaries
from gateway.storage.backend import Connection, Row
from gateway.storage.inserts import insert_rows

CHUNK = 500  # values per IN (...) list
SESSION_ROWS = ("legs", "records", "resource_usage", "session_leg_paths")  # by session_id


def _marks(values: Sequence[object]) -> str:
    return ", ".join("?" for _ in values)


def _chunks(values: Sequence[str]) -> Iterator[list[str]]:
    """The distinct `values` in order, CHUNK at a time (one IN (...) list each)."""
    ordered = sorted(set(values))
    for first in range(0, len(ordered), CHUNK):
        yield ordered[first:first + CHUNK]


async def known_lines(conn: Connection, identities: Sequence[str]) -> dict[str, Row]:
    """The lines among `identities` stored by an earlier import: `{identity: {import_id,
    tenant_id, source_id, format, file_name, options, imported_at}}`."""
    found: dict[str, Row] = {}
    for chunk in _chunks(identities):
        for row in await conn.fetch_all(
                "SELECT l.identity, l.import_id, l.tenant_id, l.source_id, i.format, "
                "i.file_name, i.options, i.imported_at FROM import_lines l "
                f"JOIN imports i ON i.id = l.import_id WHERE l.identity IN ({_marks(chunk)})",
                chunk):
            found[str(row["identity"])] = row
    return found


async def imported_sessions(conn: Connection, tenant_id: int,
                            source_ids: Sequence[str]) -> dict[str, int]:
    """The sessions among `source_ids` (of the tenant) that an import stored: `{source_id:
    import id}`."""
    found: dict[str, int] = {}
    for chunk in _chunks(source_ids):
        for row in await conn.fetch_all(
                "SELECT source_id, MIN(import_id) AS import_id FROM import_lines "
                f"WHERE tenant_id = ? AND source_id IN ({_marks(chunk)}) GROUP BY source_id",
                (tenant_id, *chunk)):
            found[str(row["source_id"])] = int(row["import_id"])
    return found


async def create(conn: Connection, format_: str, file_name: str, options: str,
                 imported_at: int) -> int:
    rows = await insert_rows(conn, "imports",
                             ("format", "file_name", "options", "imported_at"),
                             [(format_, file_name, options, imported_at)], returning="id")
    return int(rows[0]["id"])


async def add_lines(conn: Connection, import_id: int,
                    lines: Sequence[tuple[str, int, str]]) -> None:
    """Lines as `(identity, tenant_id, source_id)`, stored by the import `import_id` (a
    line stored before, by a concurrent import, is taken over; a line named twice, as a
    file may repeat a line, is stored once)."""
    unique = {identity: (tenant_id, source_id) for identity, tenant_id, source_id in lines}
    if unique:
        await insert_rows(conn, "import_lines",
                          ("identity", "import_id", "tenant_id", "source_id"),
                          [(identity, import_id, tenant_id, source_id)
                           for identity, (tenant_id, source_id) in unique.items()],
                          conflict="(identity) DO UPDATE SET import_id = excluded.import_id, "
                                   "tenant_id = excluded.tenant_id, "
                                   "source_id = excluded.source_id")


async def delete_sessions(conn: Connection, keys: Sequence[tuple[int, str]]) -> int:
    """Delete the sessions `(tenant_id, source_id)`, their legs, recordings and resource
    usage, after taking them out of the call summaries, with the import lines that name
    them; answers how many sessions there were."""
    by_tenant: dict[int, list[str]] = {}
    for tenant_id, source_id in keys:
        by_tenant.setdefault(tenant_id, []).append(source_id)
    deleted = 0
    for tenant_id, source_ids in sorted(by_tenant.items()):
        for chunk in _chunks(source_ids):
            rows = await conn.fetch_all(
                "SELECT id, setup_time FROM sessions "
                f"WHERE tenant_id = ? AND source_id IN ({_marks(chunk)})", (tenant_id, *chunk))
            ids = [int(r["id"]) for r in rows]
            if ids:
                await summaries.add(conn, ids, -1)
                await _prune(conn, min(int(r["setup_time"]) for r in rows),
                             max(int(r["setup_time"]) for r in rows))
                # legs, recordings, resource usage and leg paths first: no foreign key
                # deletes them with their session (migration 0015)
                for table in SESSION_ROWS:
                    await conn.execute(f"DELETE FROM {table} WHERE session_id IN "
                                       f"({_marks(ids)})", ids)
                await conn.execute(f"DELETE FROM sessions WHERE id IN ({_marks(ids)})", ids)
                deleted += len(ids)
            await conn.execute("DELETE FROM import_lines WHERE tenant_id = ? "
                               f"AND source_id IN ({_marks(chunk)})", (tenant_id, *chunk))
    return deleted


async def _prune(conn: Connection, low: int, high: int) -> None:
    """Remove the summary rows left with nothing in them (every measure 0) by calls taken
    out between the setup times `low` and `high`: a group no call is in any more is not
    a group the raw records would show."""
    await conn.execute(
        "DELETE FROM call_summaries WHERE bucket BETWEEN ? AND ? AND "
        + " AND ".join(f"{m} = 0" for m in summaries.MEASURES),
        (low - low % DAY, high))


async def drop_empty(conn: Connection, import_ids: Sequence[int]) -> None:
    """Forget the imports among `import_ids` that no longer hold any line."""
    ids = sorted(set(import_ids))
    if ids:
        await conn.execute(
            f"DELETE FROM imports WHERE id IN ({_marks(ids)}) AND NOT EXISTS "
            "(SELECT 1 FROM import_lines l WHERE l.import_id = imports.id)", ids)
