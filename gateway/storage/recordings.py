"""Changes to recordings."""

from __future__ import annotations

from gateway.storage.backend import Connection


async def delete(conn: Connection, record_id: int) -> bool:
    """Remove a recording (and its transcription link) from every view; False when it
    was not there."""
    return bool(await conn.execute("DELETE FROM records WHERE id = ?", (record_id,)))
