"""The audit log's entries, written in the transaction of the change they record: who
(key, role, tenant, IP), what (the method, its arguments with every secret masked, the
object changed) and the result."""

from __future__ import annotations

import datetime as dt
from typing import Any

from gateway.core import clock
from gateway.storage import audit as audit_store
from gateway.storage.backend import Connection
from methods.context import Context

MASK = "***"
SECRETS = frozenset({"key", "api_key", "mor_secret", "secret", "password", "hash",
                     "private_key"})


def masked(value: Any) -> Any:
    """`value` with the value of every secret-named member replaced, at any depth."""
    if isinstance(value, dict):
        return {k: MASK if k in SECRETS else masked(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [masked(v) for v in value]
    if isinstance(value, (dt.datetime, dt.date)):
        return value.isoformat()
    return value


async def record(conn: Connection, context: Context, method: str, args: Any, result: Any,
                 object_ref: str | None = None) -> None:
    caller = context.caller
    await audit_store.append(
        conn, context.db.dialect, tenant_id=caller.tenant_id, key_id=caller.key_id,
        role=caller.role, ip=caller.ip, method=method, requested=int(clock.now().timestamp()),
        args=masked(args), result=masked(result), object_ref=object_ref)
