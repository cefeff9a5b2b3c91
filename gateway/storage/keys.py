"""SQL of the API keys."""

from __future__ import annotations

from typing import Any

from gateway.core import clock
from gateway.storage.backend import Connection, Row

# The channel on which a key's change (its id) is announced to every process (a backend
# whose engine has such a signal; `Backend.listen`).
CHANGED = "gateway_keys"

_COLUMNS = ("k.key_id, k.tenant_id, t.name AS tenant, t.path AS tenant_path, k.role, k.salt, "
            "k.secret_hash, k.ip_allow, k.expires_at, k.rate_limit, k.created_at, "
            "k.revoked_at, k.last_used_at, k.public_key")
_FROM = "api_keys k JOIN tenants t ON t.id = k.tenant_id"


async def insert(conn: Connection, key: dict[str, Any]) -> None:
    await conn.execute(
        "INSERT INTO api_keys (key_id, tenant_id, role, salt, secret_hash, ip_allow, "
        "expires_at, rate_limit, created_at, public_key) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (key["key_id"], key["tenant_id"], key["role"], key["salt"], key["secret_hash"],
         key["ip_allow"], key["expires_at"], key["rate_limit"], clock.to_text(clock.now()),
         key.get("public_key")))


async def by_id(conn: Connection, key_id: str) -> Row | None:
    return await conn.fetch_one(f"SELECT {_COLUMNS} FROM {_FROM} WHERE k.key_id = ?", (key_id,))


async def by_id_in_scope(conn: Connection, key_id: str, scope: str) -> Row | None:
    return await conn.fetch_one(
        f"SELECT {_COLUMNS} FROM {_FROM} WHERE k.key_id = ? AND t.path LIKE ? || '%'",
        (key_id, scope))


def _list_where(scope: str, tenant_id: int | None) -> tuple[str, list[Any]]:
    where, params = "t.path LIKE ? || '%'", list[Any]([scope])
    if tenant_id is not None:
        where, params = where + " AND k.tenant_id = ?", params + [tenant_id]
    return where, params


async def in_scope(conn: Connection, scope: str, tenant_id: int | None,
                   count: int, offset: int) -> list[Row]:
    where, params = _list_where(scope, tenant_id)
    return await conn.fetch_all(
        f"SELECT {_COLUMNS} FROM {_FROM} WHERE {where} ORDER BY k.created_at, k.key_id "
        "LIMIT ? OFFSET ?", params + [count, offset])


async def count_in_scope(conn: Connection, scope: str, tenant_id: int | None) -> int:
    where, params = _list_where(scope, tenant_id)
    row = await conn.fetch_one(f"SELECT COUNT(*) AS n FROM {_FROM} WHERE {where}", params)
    assert row is not None
    return int(row["n"])


async def revoke(conn: Connection, key_id: str) -> None:
    """Revoke the key, and tell every process that keeps keys (`CHANGED`) at commit."""
    await conn.execute("UPDATE api_keys SET revoked_at = ? WHERE key_id = ? AND revoked_at IS NULL",
                       (clock.to_text(clock.now()), key_id))
    await conn.notify(CHANGED, key_id)


async def touch(conn: Connection, key_id: str, moment: str) -> None:
    await conn.execute("UPDATE api_keys SET last_used_at = ? WHERE key_id = ?", (moment, key_id))
