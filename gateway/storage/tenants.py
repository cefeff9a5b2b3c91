"""SQL of the tenant tree."""

from __future__ import annotations

from gateway.core import clock
from gateway.storage.backend import Connection, Row

ROOT = "root"
ROOT_ID = 1
ROOT_PATH = f"/{ROOT_ID}/"
_COLUMNS = "t.id, t.name, t.parent_id, p.name AS parent, t.path, t.timezone, t.created_at"
_FROM = "tenants t LEFT JOIN tenants p ON p.id = t.parent_id"


async def ensure_root(conn: Connection) -> None:
    """Create the root tenant in an empty database."""
    if await conn.fetch_one("SELECT id FROM tenants LIMIT 1") is None:
        await conn.execute(
            "INSERT INTO tenants (id, name, parent_id, path, timezone, created_at) "
            "VALUES (?, ?, NULL, ?, 'UTC', ?)",
            (ROOT_ID, ROOT, ROOT_PATH, clock.to_text(clock.now())))


async def by_name(conn: Connection, name: str) -> Row | None:
    return await conn.fetch_one(f"SELECT {_COLUMNS} FROM {_FROM} WHERE t.name = ?", (name,))


async def by_name_in_scope(conn: Connection, name: str, scope: str) -> Row | None:
    """The tenant called `name` if it lies in the subtree whose path is `scope`."""
    return await conn.fetch_one(
        f"SELECT {_COLUMNS} FROM {_FROM} WHERE t.name = ? AND t.path LIKE ? || '%'",
        (name, scope))


async def by_id(conn: Connection, tenant_id: int) -> Row | None:
    return await conn.fetch_one(f"SELECT {_COLUMNS} FROM {_FROM} WHERE t.id = ?", (tenant_id,))


async def create(conn: Connection, name: str, parent: Row, timezone: str) -> Row:
    """Insert a tenant under `parent`; the caller checks that the name is free."""
    await conn.execute(
        "INSERT INTO tenants (name, parent_id, path, timezone, created_at) "
        "VALUES (?, ?, '', ?, ?)", (name, parent["id"], timezone, clock.to_text(clock.now())))
    row = await conn.fetch_one("SELECT id FROM tenants WHERE name = ?", (name,))
    assert row is not None
    await conn.execute("UPDATE tenants SET path = ? WHERE id = ?",
                       (f"{parent['path']}{row['id']}/", row["id"]))
    created = await by_name(conn, name)
    assert created is not None
    return created


async def subtree_page(conn: Connection, scope: str, count: int, offset: int
                       ) -> tuple[list[Row], int]:
    """One page of the subtree `scope`, in tree order, and the subtree's size: one
    statement, unless the page is past the end (then the size is counted alone)."""
    rows = await conn.fetch_all(
        f"SELECT {_COLUMNS}, COUNT(*) OVER () AS total_count FROM {_FROM} "
        "WHERE t.path LIKE ? || '%' ORDER BY t.path LIMIT ? OFFSET ?", (scope, count, offset))
    if rows:
        return rows, int(rows[0]["total_count"])
    row = await conn.fetch_one("SELECT COUNT(*) AS n FROM tenants WHERE path LIKE ? || '%'",
                               (scope,))
    assert row is not None
    return rows, int(row["n"])


async def descendant_ids(conn: Connection, scope: str, tenant_id: int) -> list[int]:
    """The ids of the tenants below `tenant_id`, whose subtree's path is `scope`."""
    rows = await conn.fetch_all("SELECT id FROM tenants WHERE path LIKE ? || '%' AND id <> ? "
                                "ORDER BY id", (scope, tenant_id))
    return [int(r["id"]) for r in rows]
