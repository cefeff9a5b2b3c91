"""SQL of the settings the gateway generates once and keeps."""

from __future__ import annotations

from gateway.storage.backend import Connection


async def get_or_create(conn: Connection, name: str, make: str) -> str:
    """The stored value of `name`, storing `make` first when there is none."""
    await conn.execute("INSERT INTO settings (name, value) VALUES (?, ?) "
                       "ON CONFLICT (name) DO NOTHING", (name, make))
    row = await conn.fetch_one("SELECT value FROM settings WHERE name = ?", (name,))
    assert row is not None
    return str(row["value"])
