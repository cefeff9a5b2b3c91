"""A gateway killed with SIGKILL in the middle of an ingest stream loses no answered batch
and never keeps half a batch (spec ingest.md: "Valid records in the same batch are stored
in one transaction"), on every engine."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import aiohttp
import asyncpg
import pytest
from conftest import ENGINES
from conftest import database_url as current_database_url
from gateway_process import Gateway

BATCH = 100  # records per ingest call
STREAM = 4  # calls in flight at once while the gateway is killed


def records(batch: int) -> list[dict[str, Any]]:
    return [{"session_id": f"b{batch}-s{i}", "setup_time": "2026-11-01T10:00:00Z",
             "start_time": "2026-11-01T10:00:04Z", "end_time": "2026-11-01T10:02:00Z",
             "legs": [{"leg_id": "o", "role": "orig", "src": "37060000001",
                       "dst": f"3706{batch:04d}{i:03d}", "client": {"id": 7, "name": "Alpha"},
                       "billsec": 116, "amount": "0.0116", "currency": "EUR"},
                      {"leg_id": "t", "role": "term", "dst": f"3706{batch:04d}{i:03d}",
                       "client": {"id": 8, "name": "Carrier"}, "billsec": 116}]}
            for i in range(BATCH)]


async def send(http: aiohttp.ClientSession, port: int, key: str, batch: int) -> bool:
    """True when the gateway answered the batch with success."""
    body = {"jsonrpc": "2.0", "method": "ingest.sessions", "id": batch,
            "params": {"records": records(batch)}}
    try:
        async with http.post(f"http://127.0.0.1:{port}/rpc", json=body,
                             headers={"X-Api-Key": key}) as answer:
            payload = await answer.json()
    except (aiohttp.ClientError, asyncio.TimeoutError):
        return False
    result = payload.get("result")
    return bool(result and result["accepted"] == BATCH)


async def stored_per_batch(database: str) -> dict[int, int]:
    sql = "SELECT source_id FROM sessions"
    if database.startswith("sqlite:///"):
        import sqlite3

        with sqlite3.connect(database.removeprefix("sqlite:///")) as conn:
            rows = [r[0] for r in conn.execute(sql)]
    else:
        conn = await asyncpg.connect(database)
        try:
            rows = [r[0] for r in await conn.fetch(sql)]
        finally:
            await conn.close()
    counts: dict[int, int] = {}
    for source_id in rows:
        batch = int(source_id.split("-")[0][1:])
        counts[batch] = counts.get(batch, 0) + 1
    return counts


@pytest.fixture
def database_url(engine: str, tmp_path: Path) -> str:
    return current_database_url(tmp_path)


@pytest.mark.parametrize("engine", ENGINES, indirect=True)
@pytest.mark.timeout(120)
async def test_sigkill_mid_stream_keeps_every_answered_batch_whole(tmp_path, database_url):
    gateway = Gateway(tmp_path, database_url)
    key = gateway.cli("keys", "create", "--role", "ingest", "--rate-limit",
                      "unlimited").strip().splitlines()[-1]
    answered: set[int] = set()
    sent = 0
    try:
        await gateway.start()
        timeout = aiohttp.ClientTimeout(total=30)
        async with aiohttp.ClientSession(timeout=timeout) as http:
            pending: dict[asyncio.Task[bool], int] = {}
            while True:
                while len(pending) < STREAM:
                    task = asyncio.create_task(send(http, gateway.port, key, sent))
                    pending[task] = sent
                    sent += 1
                if len(answered) >= 12:
                    await asyncio.sleep(0.01)  # STREAM batches were just sent: kill now
                    gateway.kill()
                    break
                done, _ = await asyncio.wait(pending, return_when=asyncio.FIRST_COMPLETED)
                for task in done:
                    if task.result():
                        answered.add(pending[task])
                    del pending[task]
            for task, batch in pending.items():
                if await task:
                    answered.add(batch)
        await gateway.start()  # the restart recovers the database
        assert await send_after_restart(gateway, key)
    finally:
        gateway.stop()
    counts = await stored_per_batch(database_url)
    assert len(answered) >= 12
    assert len(answered) < sent, "no batch was in flight when the gateway was killed"
    missing = [b for b in answered if counts.get(b) != BATCH]
    assert missing == [], f"answered batches not complete: {missing}"
    half = {b: n for b, n in counts.items() if n not in (0, BATCH) and b != RESTART_BATCH}
    assert half == {}, f"batches stored in part: {half}"
    assert counts[RESTART_BATCH] == BATCH


RESTART_BATCH = 9999


async def send_after_restart(gateway: Gateway, key: str) -> bool:
    async with aiohttp.ClientSession() as http:
        return await send(http, gateway.port, key, RESTART_BATCH)
