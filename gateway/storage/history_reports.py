"""SQL of the export jobs (`history_reports`): created queued, claimed by one worker,
finished or failed; a job left running by a stopped gateway is queued again."""

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


async def claim(conn: Connection, report_id: int) -> bool:
    """Whether this worker took the queued job (another may have)."""
    return await conn.execute("UPDATE history_reports SET status = ? WHERE id = ? AND status = ?",
                              (RUNNING, report_id, QUEUED)) == 1


async def complete(conn: Connection, report_id: int, *, completed: int, file_name: str,
                   file_size: int, download_size: int, calculated: dict[str, Any]) -> None:
    await conn.execute(
        "UPDATE history_reports SET status = ?, completed = ?, file_name = ?, file_size = ?, "
        "download_size = ?, calculated_data = ?, error = NULL WHERE id = ?",
        (COMPLETED, completed, file_name, file_size, download_size,
         orjson.dumps(calculated).decode(), report_id))


async def fail(conn: Connection, report_id: int, error: str) -> None:
    await conn.execute("UPDATE history_reports SET status = ?, error = ? WHERE id = ?",
                       (FAILED, error, report_id))


async def requeue_running(conn: Connection) -> None:
    """Jobs a stopped gateway left running start again from zero."""
    await conn.execute("UPDATE history_reports SET status = ? WHERE status = ?",
                       (QUEUED, RUNNING))


async def queued(conn: Connection) -> list[int]:
    rows = await conn.fetch_all(
        "SELECT id FROM history_reports WHERE status = ? ORDER BY id", (QUEUED,))
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
