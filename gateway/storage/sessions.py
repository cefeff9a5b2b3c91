"""SQL of sessions, their legs, recordings and resource usage."""

from __future__ import annotations

from typing import Any, Sequence

from gateway.storage.backend import Connection, Row
from gateway.storage.inserts import insert_rows

SESSION_COLUMNS = (
    "kind", "state", "seq", "content_hash", "setup_time", "start_time", "end_time",
    "equipment_id", "application_id", "rule_name", "custom_data", "room_id", "meeting_id",
    "app_type", "audio_quality", "finish_reason", "initiator_address", "media_server_address",
    "log_file_url", "term_leg")
LEG_COLUMNS = (
    "role", "position", "tenant_id", "src", "dst", "incoming", "client_id", "account_id",
    "owner_user_id", "user_id", "rates_code", "code_deck_id", "dst_code", "dst_name",
    "dst_country", "setup_time", "start_time", "end_time", "billsec", "real_billsec",
    "disposition", "hangup_cause", "pdd_ms", "amount", "reseller_amount", "currency", "name",
    "participant_role", "ip", "agent", "call_num", "call_log_id", "user_ref")
RECORD_COLUMNS = ("session_id", "tenant_id", "url", "name", "start_time", "duration",
                  "file_size", "cost", "transcription_url", "transcription_status")
RESOURCE_COLUMNS = ("session_id", "tenant_id", "resource_type", "quantity", "unit", "cost",
                    "description", "used_at", "ref_leg_id")
# How a report joins a session `s` to its legs: the originating one (a call has exactly
# one; ingest refuses anything else) and the terminating attempt it is reported by.
ORIG_LEG_ON = "o.session_id = s.id AND o.role = 'orig'"
TERM_LEG_ON = "t.session_id = s.id AND t.leg_id = s.term_leg"
# Fields an update keeps when the newer record leaves them out (an end without its answer).
KEPT_WHEN_ABSENT = ("start_time",)


def _marks(columns: Sequence[Any]) -> str:
    return ", ".join("?" for _ in columns)


def _upsert_sql(table: str, keys: tuple[str, ...], columns: Sequence[str]) -> str:
    updates = ", ".join(
        f"{c} = COALESCE(excluded.{c}, {table}.{c})" if c in KEPT_WHEN_ABSENT
        else f"{c} = excluded.{c}" for c in columns)
    every = keys + tuple(columns)
    return (f"INSERT INTO {table} ({', '.join(every)}) VALUES ({_marks(every)}) "
            f"ON CONFLICT ({', '.join(keys)}) DO UPDATE SET {updates}")


_LEG_UPSERT = _upsert_sql("legs", ("session_id", "leg_id"), LEG_COLUMNS)
_RECORD_UPSERT = _upsert_sql("records", ("id",), RECORD_COLUMNS)
_RESOURCE_UPSERT = _upsert_sql("resource_usage", ("id",), RESOURCE_COLUMNS)


async def find(conn: Connection, tenant_id: int, source_id: str) -> Row | None:
    return await conn.fetch_one(
        "SELECT id, state, seq, content_hash, start_time FROM sessions "
        "WHERE tenant_id = ? AND source_id = ?", (tenant_id, source_id))


async def find_many(conn: Connection, tenant_id: int, source_ids: Sequence[str]) -> list[Row]:
    return await conn.fetch_all(
        "SELECT id, source_id, state, seq, content_hash, start_time FROM sessions "
        f"WHERE tenant_id = ? AND source_id IN ({_marks(source_ids)})",
        (tenant_id, *source_ids))


INSERT_COLUMNS = ("tenant_id", "source_id", *SESSION_COLUMNS)
_UPDATE = "UPDATE sessions SET " + ", ".join(
    f"{c} = COALESCE(?, {c})" if c in KEPT_WHEN_ABSENT else f"{c} = ?"
    for c in SESSION_COLUMNS) + " WHERE id = ?"


async def insert_many(conn: Connection, rows: Sequence[Sequence[Any]],
                      ) -> dict[tuple[int, str], int]:
    """Insert sessions (values in the order of `INSERT_COLUMNS`); their ids by (tenant,
    source id)."""
    inserted = await insert_rows(conn, "sessions", INSERT_COLUMNS, rows,
                                 returning="id, tenant_id, source_id")
    return {(int(r["tenant_id"]), str(r["source_id"])): int(r["id"]) for r in inserted}


async def update(conn: Connection, session_id: int, values: Sequence[Any]) -> None:
    """Replace a session's values (in the order of `SESSION_COLUMNS`)."""
    await conn.execute(_UPDATE, (*values, session_id))


async def set_hash(conn: Connection, session_id: int, content_hash: str) -> None:
    await conn.execute("UPDATE sessions SET content_hash = ? WHERE id = ?",
                       (content_hash, session_id))


async def upsert_legs(conn: Connection, legs: Sequence[tuple[int, Sequence[Any]]]) -> None:
    """Legs as `(session_id, values)`, the values the leg id and then `LEG_COLUMNS`."""
    await conn.executemany(_LEG_UPSERT, [(session_id, *leg) for session_id, leg in legs])


async def delete_other_legs(conn: Connection, session_id: int, keep: Sequence[str]) -> None:
    await conn.execute(f"DELETE FROM legs WHERE session_id = ? AND leg_id NOT IN ({_marks(keep)})",
                       (session_id, *keep))


async def leg_amounts(conn: Connection, session_id: int) -> dict[str, tuple[Any, ...]]:
    rows = await conn.fetch_all("SELECT leg_id, amount, reseller_amount, currency FROM legs "
                                "WHERE session_id = ?", (session_id,))
    return {r["leg_id"]: (r["amount"], r["reseller_amount"], r["currency"]) for r in rows}


async def correct_amounts(conn: Connection, session_id: int,
                          amounts: Sequence[tuple[str, Any, Any, Any]]) -> None:
    await conn.executemany(
        "UPDATE legs SET amount = ?, reseller_amount = ?, currency = ? "
        "WHERE session_id = ? AND leg_id = ?",
        [(amount, reseller, currency, session_id, leg_id)
         for leg_id, amount, reseller, currency in amounts])


async def attachment_costs(conn: Connection, session_id: int) -> dict[tuple[str, int], Any]:
    """`{(table, id): cost}` of the session's recordings and resource usages."""
    costs: dict[tuple[str, int], Any] = {}
    for table in ("records", "resource_usage"):
        for row in await conn.fetch_all(f"SELECT id, cost FROM {table} WHERE session_id = ?",
                                        (session_id,)):
            costs[(table, int(row["id"]))] = row["cost"]
    return costs


async def correct_costs(conn: Connection, table: str, costs: Sequence[tuple[int, Any]]) -> None:
    assert table in ("records", "resource_usage")
    await conn.executemany(f"UPDATE {table} SET cost = ? WHERE id = ?",
                           [(cost, object_id) for object_id, cost in costs])


async def owners(conn: Connection, table: str, ids: Sequence[int]) -> dict[int, int]:
    """`{id: session_id}` of the recordings or resource usages that exist already."""
    assert table in ("records", "resource_usage")
    if not ids:
        return {}
    rows = await conn.fetch_all(f"SELECT id, session_id FROM {table} WHERE id IN ({_marks(ids)})",
                                tuple(ids))
    return {int(r["id"]): int(r["session_id"]) for r in rows}


async def upsert_records(conn: Connection, session_id: int,
                         rows: Sequence[Sequence[Any]]) -> None:
    """A session's recordings: the id, then `RECORD_COLUMNS` after the session id."""
    if rows:
        await conn.executemany(_RECORD_UPSERT, [(r[0], session_id, *r[1:]) for r in rows])


async def upsert_resources(conn: Connection, session_id: int,
                           rows: Sequence[Sequence[Any]]) -> None:
    """A session's resource usages: the id, then `RESOURCE_COLUMNS` after the session id."""
    if rows:
        await conn.executemany(_RESOURCE_UPSERT, [(r[0], session_id, *r[1:]) for r in rows])
