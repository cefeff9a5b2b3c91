"""SQL of the figures `/metrics` reads from the store when it is scraped: the live
sessions by kind and the export jobs by status, for every tenant at once. Any process
answers them whole, since every process shares the store."""

from __future__ import annotations

from gateway.storage import history_reports
from gateway.storage.backend import Connection

SESSION_KINDS = ("call", "video")
JOB_STATUSES = (history_reports.QUEUED, history_reports.RUNNING, history_reports.COMPLETED,
                history_reports.FAILED)


async def live_sessions(conn: Connection) -> dict[str, int]:
    """Sessions without an end time, by kind (the partial index `sessions_live`)."""
    rows = await conn.fetch_all("SELECT kind, COUNT(*) AS n FROM sessions "
                                "WHERE end_time IS NULL GROUP BY kind")
    return {**dict.fromkeys(SESSION_KINDS, 0), **{r["kind"]: int(r["n"]) for r in rows}}


async def export_jobs(conn: Connection) -> dict[str, int]:
    """Export jobs kept in the store, by status."""
    rows = await conn.fetch_all("SELECT status, COUNT(*) AS n FROM history_reports "
                                "GROUP BY status")
    return {**dict.fromkeys(JOB_STATUSES, 0), **{r["status"]: int(r["n"]) for r in rows}}
