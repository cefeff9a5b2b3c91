"""SQL of the reference objects (clients, accounts, users, equipment, applications)."""

from __future__ import annotations

from typing import Any

from gateway.storage.backend import Connection

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


async def upsert(conn: Connection, table: str, object_id: int, tenant_id: int,
                 values: dict[str, Any]) -> None:
    """Create the object, or update its name and extra columns (never its owner)."""
    columns = ["name", *TABLES[table]]
    names = ", ".join(columns)
    marks = ", ".join("?" for _ in columns)
    updates = ", ".join(f"{c} = COALESCE(excluded.{c}, {table}.{c})" for c in columns)
    await conn.execute(
        f"INSERT INTO {table} (id, tenant_id, {names}) VALUES (?, ?, {marks}) "
        f"ON CONFLICT (id) DO UPDATE SET {updates}",
        (object_id, tenant_id, *(values.get(c) for c in columns)))


async def in_scope(conn: Connection, table: str, object_id: int, scope: str) -> bool:
    """`table(object_id)` exists and belongs to the subtree whose path is `scope`."""
    assert table in TABLES
    row = await conn.fetch_one(
        f"SELECT o.id FROM {table} o JOIN tenants t ON t.id = o.tenant_id "
        "WHERE o.id = ? AND t.path LIKE ? || '%'", (object_id, scope))
    return row is not None
