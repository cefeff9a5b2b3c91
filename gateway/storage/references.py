"""SQL of the reference objects (clients, accounts, users, equipment, applications)."""

from __future__ import annotations

from typing import Any, Sequence

from gateway.storage.backend import Connection

LOOKUP = 500  # ids per query that looks for stored objects
# A reference object to create or update: (table, id, owner tenant id, column values).
Change = tuple[str, int, int, dict[str, Any]]

# table -> the columns a record may set besides id, tenant_id and name
TABLES: dict[str, tuple[str, ...]] = {
    "clients": (),
    "accounts": ("client_id", "ident"),
    "users": (),
    "equipment": (),
    "applications": (),
}


async def owner(conn: Connection, table: str, object_id: int) -> int | None:
    """The tenant owning `table(object_id)`, or None when it does not exist yet."""
    assert table in TABLES
    row = await conn.fetch_one(f"SELECT tenant_id FROM {table} WHERE id = ?", (object_id,))
    return None if row is None else int(row["tenant_id"])


async def ids_named(conn: Connection, table: str, tenant_id: int, name: str) -> list[int]:
    """Ids of the tenant's objects called `name`, lowest first."""
    assert table in TABLES
    rows = await conn.fetch_all(
        f"SELECT id FROM {table} WHERE tenant_id = ? AND name = ? ORDER BY id", (tenant_id, name))
    return [int(row["id"]) for row in rows]


def merged(earlier: dict[str, Any], later: dict[str, Any]) -> dict[str, Any]:
    """The values `upsert` leaves when given `earlier` and then `later`: a value that
    `later` leaves out (None) keeps the earlier one."""
    return {c: earlier.get(c) if v is None else v for c, v in later.items()}


async def _stored(conn: Connection, table: str, columns: tuple[str, ...],
                  ids: Sequence[int]) -> dict[int, tuple[Any, ...]]:
    """`{id: values of columns}` of those of `ids` that exist."""
    assert table in TABLES
    found: dict[int, tuple[Any, ...]] = {}
    for first in range(0, len(ids), LOOKUP):
        chunk = ids[first:first + LOOKUP]
        for row in await conn.fetch_all(
                f"SELECT id, {', '.join(columns)} FROM {table} "
                f"WHERE id IN ({', '.join('?' * len(chunk))})", chunk):
            found[int(row["id"])] = tuple(row[c] for c in columns)
    return found


async def names(conn: Connection, table: str, ids: Sequence[int]) -> dict[int, str | None]:
    """`{id: name}` of those of `ids` that exist."""
    return {i: v[0] for i, v in (await _stored(conn, table, ("name",), ids)).items()}


async def owners(conn: Connection, table: str, ids: Sequence[int]) -> dict[int, int]:
    """`{id: owner tenant id}` of those of `ids` that exist."""
    return {i: int(v[0]) for i, v in (await _stored(conn, table, ("tenant_id",), ids)).items()}


async def upsert_many(conn: Connection, changes: Sequence[Change]) -> None:
    """Create the objects, or update their names and extra columns (never an owner); a
    value left out (None) keeps the stored one. One statement per table, holding only the
    objects that are new or change: writing a row again as it is would make concurrent
    batches that name the same objects wait for each other's commit."""
    by_table: dict[str, list[Change]] = {}
    for change in changes:
        by_table.setdefault(change[0], []).append(change)
    for table, rows in sorted(by_table.items()):
        columns = ("name", *TABLES[table])
        stored = await _stored(conn, table, columns, [object_id for _, object_id, _, _ in rows])
        rows = [row for row in rows if row[1] not in stored or any(
            value is not None and value != kept
            for value, kept in zip((row[3].get(c) for c in columns), stored[row[1]]))]
        if not rows:
            continue
        updates = ", ".join(f"{c} = COALESCE(excluded.{c}, {table}.{c})" for c in columns)
        await conn.insert_many(
            table, ("id", "tenant_id", *columns),
            [(object_id, owner, *(values.get(c) for c in columns))
             for _, object_id, owner, values in rows],
            conflict=f"(id) DO UPDATE SET {updates}")


class Changes:
    """Reference changes gathered over many records, one per object, as writing them in
    turn would leave them (`upsert_many` never changes an owner, and keeps a value a
    later record leaves out)."""

    def __init__(self) -> None:
        self._changes: dict[tuple[str, int], tuple[int, dict[str, Any]]] = {}

    def add(self, changes: list[Change]) -> None:
        for table, object_id, owner, values in changes:
            earlier = self._changes.get((table, object_id))
            if earlier is not None:
                owner, values = earlier[0], merged(earlier[1], values)
            self._changes[(table, object_id)] = (owner, values)

    def take(self) -> list[Change]:
        out = [(table, object_id, owner, values)
               for (table, object_id), (owner, values) in sorted(self._changes.items())]
        self._changes.clear()
        return out


async def in_scope(conn: Connection, table: str, object_id: int, scope: str) -> bool:
    """`table(object_id)` exists and belongs to the subtree whose path is `scope`."""
    assert table in TABLES
    row = await conn.fetch_one(
        f"SELECT o.id FROM {table} o JOIN tenants t ON t.id = o.tenant_id "
        "WHERE o.id = ? AND t.path LIKE ? || '%'", (object_id, scope))
    return row is not None
