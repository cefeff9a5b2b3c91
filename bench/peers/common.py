"""What the peers share: the one-row read, and their command line."""

from __future__ import annotations

import sys
from typing import Any

import aiosqlite

READ = ("SELECT t.id, t.name, p.name AS parent, t.timezone, t.created_at "
        "FROM tenants t LEFT JOIN tenants p ON p.id = t.parent_id "
        "ORDER BY t.path LIMIT 1 OFFSET 0")


class OneRow:
    """An open aiosqlite connection and the read the peers serve."""

    def __init__(self, path: str) -> None:
        self.path = path
        self.conn: aiosqlite.Connection | None = None

    async def open(self) -> None:
        self.conn = await aiosqlite.connect(f"file:{self.path}?mode=ro", uri=True)
        self.conn.row_factory = aiosqlite.Row

    async def read(self) -> list[dict[str, Any]]:
        if self.conn is None:  # opened at the first read, on the server's own loop
            await self.open()
            assert self.conn is not None
        return [dict(row) for row in await self.conn.execute_fetchall(READ)]


def arguments() -> tuple[int, str]:
    """PORT and DATABASE_FILE from the command line."""
    return int(sys.argv[1]), sys.argv[2]
