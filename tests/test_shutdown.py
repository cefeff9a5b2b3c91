"""SIGTERM drains the calls in flight (docs/configuration.md, `limits.shutdown_grace_s`): a
batch being answered when `gateway serve` is told to stop is answered whole and stored,
and the process then exits; calls still running after the grace period are stopped, and
the process exits by then."""

from __future__ import annotations

import asyncio
import io
import json
import signal
import sqlite3
import time
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from gateway_process import Gateway

CALLS, RECORDS = 20, 1000  # one batch of 20 ingest calls of 1000 records: a few seconds


def batch() -> list[dict[str, Any]]:
    return [{"jsonrpc": "2.0", "method": "ingest.sessions", "id": c, "params": {"records": [
        {"session_id": f"c{c}-s{i}", "setup_time": "2026-11-01T10:00:00Z",
         "start_time": "2026-11-01T10:00:04Z", "end_time": "2026-11-01T10:02:00Z",
         "legs": [{"leg_id": "o", "role": "orig", "dst": f"3706{i:07d}", "billsec": 116},
                  {"leg_id": "t", "role": "term", "dst": f"3706{i:07d}", "billsec": 116}]}
        for i in range(RECORDS)]}} for c in range(CALLS)]


async def stopped_while_answering(gateway: Gateway) -> tuple[Any, float]:
    """`gateway` started, sent the batch and stopped while answering it: the batch's
    answer (None when the connection was dropped) and the seconds from SIGTERM to the
    process's exit."""
    key = gateway.cli("keys", "create", "--role", "ingest", "--rate-limit",
                      "unlimited").strip().splitlines()[-1]
    try:
        await gateway.start()
        return await _stop_while_answering(gateway, key)
    finally:
        gateway.stop()


async def _stop_while_answering(gateway: Gateway, key: str) -> tuple[Any, float]:
    body = io.BytesIO(json.dumps(batch()).encode())
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=60)) as http:
        async def send() -> Any:
            try:
                async with http.post(f"http://127.0.0.1:{gateway.port}/rpc", data=body,
                                     headers={"X-Api-Key": key,
                                              "Content-Type": "application/json"}) as answer:
                    return await answer.json()
            except aiohttp.ClientError:
                return None

        sent = asyncio.create_task(send())
        await asyncio.sleep(0.5)  # the batch is being stored
        assert gateway.process is not None
        gateway.process.send_signal(signal.SIGTERM)
        signalled = time.monotonic()
        answer = await sent
        while gateway.process.poll() is None:
            assert time.monotonic() - signalled < 40, "the gateway did not exit"
            await asyncio.sleep(0.02)
        return answer, time.monotonic() - signalled


def stored(tmp_path: Path) -> int:
    with sqlite3.connect(tmp_path / "gateway.db") as db:
        return int(db.execute("SELECT COUNT(*) FROM sessions").fetchone()[0])


@pytest.mark.timeout(90)
async def test_a_batch_in_flight_at_sigterm_is_answered_whole(tmp_path: Path) -> None:
    gateway = Gateway(tmp_path, f"sqlite:///{tmp_path}/gateway.db")
    answer, exited_after = await stopped_while_answering(gateway)
    assert sorted(answer, key=lambda a: a["id"]) == [
        {"jsonrpc": "2.0", "id": c, "result": {"accepted": RECORDS, "unchanged": 0,
                                               "rejected": []}} for c in range(CALLS)]
    assert stored(tmp_path) == CALLS * RECORDS
    assert gateway.process is not None and gateway.process.returncode == 0
    assert exited_after < 30


@pytest.mark.timeout(90)
async def test_calls_past_the_grace_period_are_stopped(tmp_path: Path) -> None:
    gateway = Gateway(tmp_path, f"sqlite:///{tmp_path}/gateway.db")
    gateway.env["GATEWAY_LIMITS__SHUTDOWN_GRACE_S"] = "0.5"
    answer, exited_after = await stopped_while_answering(gateway)
    assert answer is None  # the connection closed unanswered
    assert exited_after < 0.5 + 2  # the grace period, and the time to stop
    # each call is one transaction: what was stopped left nothing half-stored
    assert stored(tmp_path) % RECORDS == 0 and stored(tmp_path) < CALLS * RECORDS
