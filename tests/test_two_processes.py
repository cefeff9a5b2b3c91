"""Two `gateway serve` processes on one database, on every engine (on PostgreSQL two
processes write at the same time; SQLite's writers take turns):
- overlapping ingest batches sent through both at once get the normal answers, and every
  session is stored once, with its legs, summaries and one audit entry per batch;
- a key revoked through one process (or the command line) is refused by both: at once on
  PostgreSQL, which announces it (LISTEN/NOTIFY), within the key cache's bound on SQLite;
- every export job runs once, whichever process queued it; a job one process runs is not
  taken by another that starts meanwhile, is taken over when its process is killed, and is
  queued again when its process stops in order."""

from __future__ import annotations

import asyncio
import os
import sqlite3
import time
from pathlib import Path
from typing import Any

import aiohttp
import asyncpg
import pytest
from conftest import ENGINES, database_url
from envelopes import auth_failed
from gateway_process import Gateway

from gateway.web.auth import KEY_CACHE_S

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


def unlimited_key(gateway: Gateway, role: str) -> str:
    """A new key of `role` with no rate limit, made by the command line."""
    return gateway.cli("keys", "create", "--role", role, "--rate-limit",
                       "unlimited").strip().splitlines()[-1]


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


async def query(url: str, sql: str) -> list[dict[str, Any]]:
    """The rows of `sql`, read straight from the store."""
    if url.startswith("sqlite:///"):
        with sqlite3.connect(url.removeprefix("sqlite:///")) as db:
            db.row_factory = sqlite3.Row
            return [dict(row) for row in db.execute(sql)]
    conn = await asyncpg.connect(url)
    try:
        return [dict(row) for row in await conn.fetch(sql)]
    finally:
        await conn.close()


async def stored(url: str) -> dict[str, int]:
    return (await query(url, STORED))[0]


@pytest.mark.parametrize("engine", ENGINES, indirect=True)
@pytest.mark.timeout(120)
async def test_overlapping_batches_through_two_processes_store_each_session_once(
        tmp_path: Path, engine: str) -> None:
    url = database_url(tmp_path)
    first, second = Gateway(tmp_path, url), Gateway(tmp_path, url)
    key = unlimited_key(first, "ingest")
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


DAY = {"from_date": "2026-11-01 00:00:00", "to_date": "2026-11-01 23:59:59", "output": "csv"}
JOBS = 20  # queued through the two processes in turn
LEASE_S = 1.0


class Client:
    def __init__(self, http: aiohttp.ClientSession, key: str) -> None:
        self.http, self.key = http, key

    async def call(self, gateway: Gateway, method: str, params: dict[str, Any]) -> Any:
        body = {"jsonrpc": "2.0", "method": method, "params": params, "id": 1}
        async with self.http.post(f"http://127.0.0.1:{gateway.port}/rpc", json=body,
                                  headers={"X-Api-Key": self.key}) as answer:
            return (await answer.json())["result"]

    async def file(self, gateway: Gateway, report_id: int) -> str:
        headers = {"X-Api-Key": self.key, "Accept-Encoding": "identity"}
        async with self.http.get(f"http://127.0.0.1:{gateway.port}/reports/files/{report_id}",
                                 headers=headers) as answer:
            assert answer.status == 200, (report_id, await answer.text())
            return await answer.text()


async def jobs(url: str) -> dict[int, tuple[str, int]]:
    """Each job's status and attempt (how many times it was claimed)."""
    rows = await query(url, "SELECT id, status, attempt FROM history_reports ORDER BY id")
    return {int(r["id"]): (r["status"], int(r["attempt"])) for r in rows}


async def until(url: str, report_ids: list[int], wanted: tuple[str, int]) -> None:
    for _ in range(400):
        seen = await jobs(url)
        if all(seen.get(i) == wanted for i in report_ids):
            return
        await asyncio.sleep(0.05)
    raise AssertionError(f"not {wanted}: {await jobs(url)}")


@pytest.mark.parametrize("engine", ENGINES, indirect=True)
@pytest.mark.timeout(180)
async def test_each_export_runs_once_across_two_processes(tmp_path: Path, engine: str) -> None:
    url = database_url(tmp_path)
    first, second = Gateway(tmp_path, url), Gateway(tmp_path, url)  # one exports folder
    for gateway in (first, second):
        gateway.env["GATEWAY_EXPORTS__LEASE_S"] = str(LEASE_S)
    ingest = unlimited_key(first, "ingest")
    admin = unlimited_key(first, "admin")
    folder = tmp_path / "exports"
    folder.mkdir()
    # the first job's file is a FIFO nobody reads: its first attempt stays running
    os.mkfifo(folder / "1-calls_1.csv.1.partial")
    try:
        await first.start()
        async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=60)) as http:
            client = Client(http, admin)
            assert (await send(http, first.port, ingest, 0))["result"]["accepted"] == SIZE
            expected = (await client.call(first, "GetCallHistory",
                                          {**DAY, "count": 1000}))["result"]
            assert expected.count("\r\n") == SIZE + 1  # the header and a line per call
            made = await client.call(first, "GetCallHistory", {**DAY, "is_async": True})
            assert made == {"result": 1, "history_report_id": 1}
            await until(url, [1], ("running", 1))

            # the second process starts while the first runs job 1, and lets it be
            await second.start()
            await asyncio.sleep(3 * LEASE_S)
            assert (await jobs(url))[1] == ("running", 1)

            # jobs queued through either process run once each, in either process
            ids = [(await client.call(gateway, "GetCallHistory", {**DAY, "is_async": True})
                    )["history_report_id"] for _ in range(JOBS // 2)
                   for gateway in (first, second)]
            assert ids == list(range(2, JOBS + 2))
            await until(url, ids, ("completed", 1))
            assert {await client.file(gateway, i) for i in ids
                    for gateway in (first, second)} == {expected}
            assert sorted(p.name for p in folder.glob("*.gz")) == sorted(
                f"{i}-calls_{i}.csv.gz" for i in ids)

            # killed while running job 1: the second process takes it over once the
            # lease lapses, runs it from the start, and removes the first attempt's file
            first.kill()
            await until(url, [1], ("completed", 2))
            assert await client.file(second, 1) == expected
            assert not list(folder.glob("*.partial"))

            # a process that stops in order queues its running job again, at once
            fifo = folder / f"{JOBS + 2}-calls_{JOBS + 2}.csv.1.partial"
            os.mkfifo(fifo)
            os.link(fifo, tmp_path / "fifo")  # the stopped job removes its file's name
            made = await client.call(second, "GetCallHistory", {**DAY, "is_async": True})
            assert made["history_report_id"] == JOBS + 2
            await until(url, [JOBS + 2], ("running", 1))
            assert second.process is not None
            second.process.terminate()
            # the writer's thread waits in open() for a reader, and the process for it
            reader = os.open(tmp_path / "fifo", os.O_RDONLY | os.O_NONBLOCK)
            try:
                assert second.process.wait(20) == 0
            finally:
                os.close(reader)
            assert (await jobs(url))[JOBS + 2] == ("queued", 1)
            assert (await query(url, f"SELECT lease_until FROM history_reports "
                                     f"WHERE id = {JOBS + 2}"))[0]["lease_until"] is None
            await first.start()
            await until(url, [JOBS + 2], ("completed", 2))
            assert await client.file(first, JOBS + 2) == expected
    finally:
        first.stop()
        second.stop()


REVOKED = auth_failed("the API key was revoked")


async def ping(http: aiohttp.ClientSession, gateway: Gateway, key: str) -> tuple[int, Any]:
    body = {"jsonrpc": "2.0", "method": "ping", "id": 1}
    async with http.post(f"http://127.0.0.1:{gateway.port}/rpc", json=body,
                         headers={"X-Api-Key": key}) as answer:
        return answer.status, await answer.json()


async def refused_after(http: aiohttp.ClientSession, gateway: Gateway, key: str,
                        since: float) -> float:
    """Seconds from `since` until `gateway` refuses `key` as revoked (polled)."""
    while True:
        status, body = await ping(http, gateway, key)
        if status == 401:
            assert body == REVOKED
            return time.monotonic() - since
        assert status == 200 and body["result"] == "pong", body
        assert time.monotonic() - since < 2 * KEY_CACHE_S, "the key is still accepted"
        await asyncio.sleep(0.02)


@pytest.mark.parametrize("engine", ENGINES, indirect=True)
@pytest.mark.timeout(120)
async def test_a_key_revoked_through_one_process_is_refused_by_both(
        tmp_path: Path, engine: str) -> None:
    url = database_url(tmp_path)
    first, second = Gateway(tmp_path, url), Gateway(tmp_path, url)
    admin = unlimited_key(first, "admin")
    made = [unlimited_key(first, "customer") for _ in range(2)]
    # at once where the store announces it; else once the other's cached row expires
    bound = KEY_CACHE_S / 4 if engine == "postgresql" else KEY_CACHE_S + 0.5
    try:
        await first.start()
        await second.start()
        async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=30)) as http:
            for key in made:  # each process holds each key's row in its cache
                for gateway in (first, second):
                    assert (await ping(http, gateway, key))[0] == 200

            # through the first process's keys.revoke: it refuses the key at once
            since = time.monotonic()
            revoked = await Client(http, admin).call(first, "keys.revoke",
                                                     {"key_id": made[0].partition(".")[0]})
            assert revoked == {"result": 1}
            assert await ping(http, first, made[0]) == (401, REVOKED)
            assert await refused_after(http, second, made[0], since) < bound

            # through the command line, a third process (timed from its end)
            first.cli("keys", "revoke", made[1].partition(".")[0])
            since = time.monotonic()
            for gateway in (first, second):
                assert await refused_after(http, gateway, made[1], since) < bound
    finally:
        first.stop()
        second.stop()
