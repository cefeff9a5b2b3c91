"""SQL of the audit log: every change made through the gateway."""

from __future__ import annotations

from typing import Any

import orjson

from gateway.storage import partitions
from gateway.storage.backend import Connection
from gateway.storage.dialect import Dialect


async def append(conn: Connection, dialect: Dialect, *, tenant_id: int, key_id: str,
                 role: str, ip: str, method: str, requested: int, args: Any, result: Any,
                 object_ref: str | None = None) -> None:
    await partitions.ensure(conn, dialect, [partitions.month_of(requested)], ("audit_log",))
    await conn.execute(
        "INSERT INTO audit_log (tenant_id, key_id, role, ip, method, object, args, result, "
        "requested) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (tenant_id, key_id, role, ip, method, object_ref, orjson.dumps(args).decode(),
         orjson.dumps(result).decode(), requested))
