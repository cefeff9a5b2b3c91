"""SQL of the other ledgers: transactions, queue sessions and exchange rates."""

from __future__ import annotations

from typing import Any, Sequence

from gateway.storage.backend import Connection, Row

TRANSACTION_COLUMNS = ("tenant_id", "user_id", "performed_at", "amount", "currency",
                       "transaction_type", "description", "is_uncommitted", "content_hash")
ACD_COLUMNS = ("tenant_id", "acd_request_id", "acd_queue_id", "user_id", "begin_time",
               "priority", "waiting_duration", "in_service_duration", "after_service_duration",
               "operator_hangup", "unserviced", "rejected", "content_hash")
EVENT_COLUMNS = ("acd_session_id", "time", "type", "user_id", "custom_data")
LEDGERS = {"transactions": TRANSACTION_COLUMNS, "acd_sessions": ACD_COLUMNS}


def _upsert(table: str, columns: Sequence[str]) -> str:
    every = ("id", *columns)
    return (f"INSERT INTO {table} ({', '.join(every)}) "
            f"VALUES ({', '.join('?' for _ in every)}) ON CONFLICT (id) DO UPDATE SET "
            + ", ".join(f"{c} = excluded.{c}" for c in columns))


async def stored(conn: Connection, table: str, object_id: int) -> Row | None:
    """`{tenant_id, content_hash}` of a ledger entry, or None."""
    assert table in LEDGERS
    return await conn.fetch_one(f"SELECT tenant_id, content_hash FROM {table} WHERE id = ?",
                                (object_id,))


async def upsert(conn: Connection, table: str, object_id: int, values: dict[str, Any]) -> None:
    columns = LEDGERS[table]
    await conn.execute(_upsert(table, columns), (object_id, *(values[c] for c in columns)))


async def replace_events(conn: Connection, acd_session_id: int,
                         events: Sequence[Sequence[Any]]) -> None:
    """A queue session's events: the id, then `EVENT_COLUMNS` after the session's id."""
    await conn.execute("DELETE FROM acd_session_events WHERE acd_session_id = ?",
                       (acd_session_id,))
    await conn.executemany(_upsert("acd_session_events", EVENT_COLUMNS),
                           [(e[0], acd_session_id, *e[1:]) for e in events])


async def event_owners(conn: Connection, ids: Sequence[int]) -> dict[int, int]:
    if not ids:
        return {}
    rows = await conn.fetch_all(
        f"SELECT id, acd_session_id FROM acd_session_events "
        f"WHERE id IN ({', '.join('?' for _ in ids)})", tuple(ids))
    return {int(r["id"]): int(r["acd_session_id"]) for r in rows}


async def rate(conn: Connection, currency: str, valid_from: str) -> Row | None:
    return await conn.fetch_one("SELECT rate_to_usd FROM currency_rates "
                                "WHERE currency = ? AND valid_from = ?", (currency, valid_from))


async def upsert_rate(conn: Connection, currency: str, valid_from: str, rate_to_usd: str) -> None:
    await conn.execute(
        "INSERT INTO currency_rates (currency, valid_from, rate_to_usd) VALUES (?, ?, ?) "
        "ON CONFLICT (currency, valid_from) DO UPDATE SET rate_to_usd = excluded.rate_to_usd",
        (currency, valid_from, rate_to_usd))


async def rates_of(conn: Connection, currencies: Sequence[str]) -> list[Row]:
    """Every stored rate of `currencies`, by currency then day."""
    if not currencies:
        return []
    marks = ", ".join("?" for _ in currencies)
    return await conn.fetch_all(
        f"SELECT currency, valid_from, rate_to_usd FROM currency_rates "
        f"WHERE currency IN ({marks}) ORDER BY currency, valid_from", tuple(currencies))
