"""SQL of the settings the gateway generates once and keeps."""

from __future__ import annotations

from gateway.storage.backend import Connection


async def add(conn: Connection, name: str, value: str) -> None:
    """Store `value` as `name` unless a value is stored already."""
    await conn.execute("INSERT INTO settings (name, value) VALUES (?, ?) "
                       "ON CONFLICT (name) DO NOTHING", (name, value))


async def get(conn: Connection, name: str) -> str | None:
    row = await conn.fetch_one("SELECT value FROM settings WHERE name = ?", (name,))
    return None if row is None else str(row["value"])


async def get_or_create(conn: Connection, name: str, make: str) -> str:
    """The stored value of `name`, storing `make` first when there is none."""
    await add(conn, name, make)
    value = await get(conn, name)
    assert value is not None
    return value


async def delete(conn: Connection, name: str) -> None:
    await conn.execute("DELETE FROM settings WHERE name = ?", (name,))
