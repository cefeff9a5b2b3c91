"""Two `gateway serve` processes on one database: overlapping ingest batches sent through
both at once get the normal answers, and every session is stored once, with its legs,
summaries and one audit entry per batch, on every engine (on PostgreSQL two processes write
at the same time; SQLite's writers take turns)."""

from __future__ import annotations

import asyncio
import sqlite3
from pathlib import Path
from typing import Any

import aiohttp
import asyncpg
import pytest
from conftest import ENGINES, database_url
from gateway_process import Gateway

BATCHES = 24
SIZE = 100  # sessions per batch; batch k holds sessions 50k .. 50k + 99
SESSIONS = 50 * (BATCHES - 1) + SIZE  # distinct sessions over all batches


def batch(k: int) -> list[dict[str, Any]]:
    """Batch k: its sessions overlap half of batch k - 1 and half of batch k + 1; a
    session's record is the same in every batch that holds it."""
    return [{"session_id": f"s{n}", "setup_time": "2026-11-01T10:00:00Z",
             "start_time": "2026-11-01T10:00:04Z", "end_time": "2026-11-01T10:02:00Z",
             "legs": [{"leg_id": "o", "role": "orig", "dst": f"3706{n:07d}", "billsec": 116,
                       "client": {"id": 7, "name": "Alpha"}},
                      {"leg_id": "t", "role": "term", "dst": f"3706{n:07d}", "billsec": 116,
                       "client": {"id": 8, "name": "Carrier"}}]}
            for n in range(50 * k, 50 * k + SIZE)]


async def send(http: aiohttp.ClientSession, port: int, key: str, k: int) -> Any:
    body = {"jsonrpc": "2.0", "method": "ingest.sessions", "id": k,
            "params": {"records": batch(k)}}
    async with http.post(f"http://127.0.0.1:{port}/rpc", json=body,
                         headers={"X-Api-Key": key}) as answer:
        assert answer.status == 200
        return await answer.json()


STORED = ("SELECT COUNT(*) AS n, COUNT(DISTINCT source_id) AS distinct_ids, "
          "(SELECT COUNT(*) FROM legs) AS legs, "
          "(SELECT COUNT(*) FROM audit_log WHERE method = 'ingest.sessions') AS audit, "
          "(SELECT SUM(calls) FROM call_summaries WHERE keyset = 0 AND span = 86400) "
          "AS summarised FROM sessions")


async def stored(url: str) -> dict[str, int]:
    if url.startswith("sqlite:///"):
        with sqlite3.connect(url.removeprefix("sqlite:///")) as db:
            db.row_factory = sqlite3.Row
            return dict(db.execute(STORED).fetchone())
    conn = await asyncpg.connect(url)
    try:
        return dict(await conn.fetchrow(STORED))
    finally:
        await conn.close()


@pytest.mark.parametrize("engine", ENGINES, indirect=True)
@pytest.mark.timeout(120)
async def test_overlapping_batches_through_two_processes_store_each_session_once(
        tmp_path: Path, engine: str) -> None:
    url = database_url(tmp_path)
    first, second = Gateway(tmp_path, url), Gateway(tmp_path, url)
    key = first.cli("keys", "create", "--role", "ingest", "--rate-limit",
                    "unlimited").strip().splitlines()[-1]
    try:
        await asyncio.gather(first.start(), second.start())
        async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=60)) as http:
            # every batch through both processes at once, four batches at a time
            answers = []
            for start in range(0, BATCHES, 4):
                answers += await asyncio.gather(*(
                    send(http, gateway.port, key, k) for k in range(start, start + 4)
                    for gateway in (first, second)))
    finally:
        first.stop()
        second.stop()

    assert [set(a) for a in answers] == [{"jsonrpc", "id", "result"}] * (2 * BATCHES), [
        a for a in answers if "result" not in a][:2]
    results = [a["result"] for a in answers]
    assert all(r["rejected"] == [] and r["accepted"] + r["unchanged"] == SIZE for r in results)
    assert sum(r["accepted"] for r in results) == SESSIONS  # each session accepted once
    assert await stored(url) == {"n": SESSIONS, "distinct_ids": SESSIONS, "legs": 2 * SESSIONS,
                                 "audit": 2 * BATCHES, "summarised": SESSIONS}
