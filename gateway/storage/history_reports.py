"""SQL of the export jobs (`history_reports`): created queued, claimed by one worker
with a lease it renews, finished or failed by that worker only. A running job whose
lease lapsed (its gateway stopped) may be claimed again; a job is released (queued) by a
worker that stops in order."""

from __future__ import annotations

from typing import Any

import orjson

from gateway.storage.backend import Connection, Row

QUEUED, RUNNING, COMPLETED, FAILED = "queued", "running", "completed", "failed"


async def create(conn: Connection, *, tenant_id: int, key_id: str, role: str,
                 history_type: str, params: dict[str, Any], created: int,
                 store_until: int) -> int:
    """A queued job; `params["application_id"]`, when given, is kept as a column too."""
    row = await conn.fetch_one(
        "INSERT INTO history_reports (tenant_id, key_id, role, history_type, application_id, "
        "params, status, created, store_until) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id",
        (tenant_id, key_id, role, history_type, params.get("application_id"),
         orjson.dumps(params).decode(), QUEUED, created, store_until))
    assert row is not None
    return int(row["id"])


async def by_id(conn: Connection, report_id: int) -> Row | None:
    return await conn.fetch_one("SELECT * FROM history_reports WHERE id = ?", (report_id,))


async def claim(conn: Connection, report_id: int, *, now_ms: int, lease_ms: int) -> int | None:
    """The attempt this worker took the job as: queued, or running on a lapsed lease;
    None when it is not to be taken (another worker holds it, or it ended)."""
    row = await conn.fetch_one(
        "UPDATE history_reports SET status = ?, attempt = attempt + 1, lease_until = ? "
        "WHERE id = ? AND (status = ? OR (status = ? AND lease_until < ?)) RETURNING attempt",
        (RUNNING, now_ms + lease_ms, report_id, QUEUED, RUNNING, now_ms))
    return None if row is None else int(row["attempt"])


_HELD = " WHERE id = ? AND attempt = ? AND status = ?"


async def renew(conn: Connection, report_id: int, attempt: int, *, lease_until_ms: int) -> bool:
    """Whether the worker of `attempt` still holds the job (its lease is now renewed)."""
    return await conn.execute("UPDATE history_reports SET lease_until = ?" + _HELD,
                              (lease_until_ms, report_id, attempt, RUNNING)) == 1


async def release(conn: Connection, report_id: int, attempt: int) -> None:
    """The job queued again, for any worker to take at once."""
    await conn.execute("UPDATE history_reports SET status = ?, lease_until = NULL" + _HELD,
                       (QUEUED, report_id, attempt, RUNNING))


async def complete(conn: Connection, report_id: int, attempt: int, *, completed: int,
                   file_name: str, file_size: int, download_size: int,
                   calculated: dict[str, Any]) -> None:
    """The job completed, if the worker of `attempt` still holds it."""
    await conn.execute(
        "UPDATE history_reports SET status = ?, completed = ?, file_name = ?, file_size = ?, "
        "download_size = ?, calculated_data = ?, error = NULL, lease_until = NULL" + _HELD,
        (COMPLETED, completed, file_name, file_size, download_size,
         orjson.dumps(calculated).decode(), report_id, attempt, RUNNING))


async def fail(conn: Connection, report_id: int, attempt: int, error: str) -> None:
    await conn.execute("UPDATE history_reports SET status = ?, error = ?, lease_until = NULL"
                       + _HELD, (FAILED, error, report_id, attempt, RUNNING))


async def claimable(conn: Connection, now_ms: int) -> list[int]:
    """The jobs a worker may claim now, oldest first."""
    rows = await conn.fetch_all(
        "SELECT id FROM history_reports WHERE status = ? OR (status = ? AND lease_until < ?) "
        "ORDER BY id", (QUEUED, RUNNING, now_ms))
    return [int(r["id"]) for r in rows]


async def expired(conn: Connection, now: int) -> list[Row]:
    return await conn.fetch_all(
        "SELECT id, file_name FROM history_reports WHERE store_until <= ?", (now,))


async def delete(conn: Connection, report_id: int) -> None:
    await conn.execute("DELETE FROM history_reports WHERE id = ?", (report_id,))


async def count_download(conn: Connection, report_id: int, now: int) -> None:
    await conn.execute(
        "UPDATE history_reports SET download_count = download_count + 1, last_downloaded = ? "
        "WHERE id = ?", (now, report_id))
