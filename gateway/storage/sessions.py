"""SQL of sessions, their legs, recordings and resource usage."""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any, Sequence

from gateway.storage.backend import Connection, Row

SESSION_COLUMNS = (
    "kind", "state", "seq", "content_hash", "setup_time", "start_time", "end_time",
    "equipment_id", "application_id", "rule_name", "custom_data", "room_id", "meeting_id",
    "app_type", "audio_quality", "finish_reason", "initiator_address", "media_server_address",
    "log_file_url", "term_leg", "setup_month")
LEG_COLUMNS = (
    "role", "position", "tenant_id", "src", "dst", "incoming", "client_id", "account_id",
    "owner_user_id", "user_id", "rates_code", "code_deck_id", "dst_code", "dst_name",
    "dst_country", "setup_time", "start_time", "end_time", "billsec", "real_billsec",
    "disposition", "hangup_cause", "pdd_ms", "amount", "reseller_amount", "currency", "name",
    "participant_role", "ip", "agent", "call_num", "call_log_id", "user_ref", "owner_id",
    "setup_month")
RECORD_COLUMNS = ("session_id", "tenant_id", "url", "name", "start_time", "duration",
                  "file_size", "cost", "transcription_url", "transcription_status",
                  "setup_month")
RESOURCE_COLUMNS = ("session_id", "tenant_id", "resource_type", "quantity", "unit", "cost",
                    "description", "used_at", "ref_leg_id", "setup_month")
# The keys of the large tables (migration 0011): each uniqueness rule holds the owner's
# tenant (the distribution key) and the month of the setup time (the partition key).
SESSION_KEY = ("tenant_id", "setup_month", "source_id")
LEG_KEY = ("owner_id", "setup_month", "session_id", "leg_id")
ATTACHMENT_KEY = ("tenant_id", "setup_month", "id")


@dataclass(frozen=True)
class SessionKey:
    """The columns naming one session in a query: its id, its owner's tenant and its month.

    Legs and leg paths are found by all three, the leading columns of their key index
    (`LEG_KEY`), so that a join reads the session's month alone on PostgreSQL
    (partitions.py) and stays on one node when the tables are distributed by the owner
    (docs/scaling.md). Sessions, recordings and resource usages are found by the id and
    the month only (`owner=None`): given the owner too, the planners read them through
    the index of (owner, month, ...) instead, that is every row of the owner's month
    (SQLite always; PostgreSQL without statistics or in a generic plan)."""

    id: str
    owner: str
    month: str

    def rows(self, alias: str, owner: str | None = "owner_id") -> str:
        """The rows of `alias` that belong to this session: legs and leg paths by the
        id, the owner (their `owner`) and the month; with `owner=None`, by the id
        (`alias`'s `session_id`) and the month."""
        found = f"{alias}.session_id = {self.id} AND {alias}.setup_month = {self.month}"
        return found if owner is None else f"{found} AND {alias}.{owner} = {self.owner}"


SESSION = SessionKey("s.id", "s.tenant_id", "s.setup_month")  # the session `s` itself
GIVEN = SessionKey("?", "?", "?")  # a session given as parameters: id, month, owner


def key_of(alias: str, owner: str = "owner_id") -> SessionKey:
    """The session of the row `alias` (a leg; a recording or resource usage with
    `owner="tenant_id"`)."""
    return SessionKey(f"{alias}.session_id", f"{alias}.{owner}", f"{alias}.setup_month")


def of_session(alias: str, owner: str | None = "owner_id") -> str:
    """The rows of `alias` that belong to the session `s` (`SessionKey.rows`)."""
    return SESSION.rows(alias, owner)


def session_of(alias: str) -> str:
    """The session `s` of the row `alias` (a leg): by its id and month (its primary key
    leads with the id)."""
    return f"s.id = {alias}.session_id AND s.setup_month = {alias}.setup_month"


# How a report joins a session `s` to its legs: the originating one (a call has exactly
# one; ingest refuses anything else) and the terminating attempt it is reported by.
ORIG_LEG_ON = f"{of_session('o')} AND o.role = 'orig'"
TERM_LEG_ON = f"{of_session('t')} AND t.leg_id = s.term_leg"
# Fields an update keeps when the newer record leaves them out (an end without its answer).
KEPT_WHEN_ABSENT = ("start_time",)


def setup_month(setup_time: int) -> int:
    """The partition key of a session set up at `setup_time` (Unix seconds): its UTC
    month as YYYYMM, as migration 0011 computes it for the rows stored before."""
    when = time.gmtime(setup_time)
    return when.tm_year * 100 + when.tm_mon


def _marks(columns: Sequence[Any]) -> str:
    return ", ".join("?" for _ in columns)


async def find(conn: Connection, tenant_id: int, source_id: str, lock: str = "") -> Row | None:
    """A stored session (`lock`: `Dialect.lock_rows` when it is read to be updated)."""
    return await conn.fetch_one(
        "SELECT id, state, seq, content_hash, start_time, setup_month FROM sessions "
        f"WHERE tenant_id = ? AND source_id = ?{lock}", (tenant_id, source_id))


async def find_many(conn: Connection, tenant_id: int, source_ids: Sequence[str],
                    lock: str = "") -> list[Row]:
    """The stored sessions of `source_ids` (`lock` as for `find`)."""
    return await conn.fetch_all(
        "SELECT id, source_id, state, seq, content_hash, start_time, setup_month FROM sessions "
        f"WHERE tenant_id = ? AND source_id IN ({_marks(source_ids)}){lock}",
        (tenant_id, *source_ids))


INSERT_COLUMNS = ("tenant_id", "source_id", *SESSION_COLUMNS)
UPDATE = "UPDATE sessions SET " + ", ".join(
    f"{c} = COALESCE(?, {c})" if c in KEPT_WHEN_ABSENT else f"{c} = ?"
    for c in SESSION_COLUMNS) + " WHERE id = ? AND setup_month = ?"


async def set_hash(conn: Connection, session_id: int, content_hash: str) -> None:
    await conn.execute("UPDATE sessions SET content_hash = ? WHERE id = ?",
                       (content_hash, session_id))


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
