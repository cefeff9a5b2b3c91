"""`gateway retention drop --before YYYY-MM`: the months before one taken out of the large
tables (storage/retention.py, docs/scaling.md)."""

from __future__ import annotations

from gateway.core.config import Config
from gateway.storage import Backend
from gateway.storage import retention as retention_store
from gateway.tools.commands import with_store


async def drop_months(config: Config, before: int) -> list[str]:
    """Take the months before `before` (YYYYMM) out of the large tables, in one
    transaction; what went, and a last line saying which months are kept."""
    async def drop(db: Backend, server_key: str) -> list[str]:
        async with db.transaction() as conn:
            done = await retention_store.drop_before(conn, db.dialect, before)
        return [*done, f"kept the months from {before // 100:04d}-{before % 100:02d} on"]
    return await with_store(config, drop)
