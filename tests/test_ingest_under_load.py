"""`ingest.sessions` through HTTP at a fixed rate (830 records a second, decisions 7) while
the three reports of tests/live_traffic.py are read in a loop: every ingest answer a result
with the counts of what was sent, every report answered a result, no answer mentioning
`locked`, and afterwards every session stored once (bench/ingest_under_load.py measures the
latencies)."""

from __future__ import annotations

import asyncio
import collections
import time
from typing import Any

from aiohttp.test_utils import TestClient
from live_traffic import Sent, Traffic, reports

from gateway.web import appkeys

BATCHES = 30  # 3 s of ingest
INTERVAL_S = 0.1  # 83 records every 100 ms: 830 a second
IN_FLIGHT = 4  # batch k goes once batch k - 4 is answered; below the traffic's spacing of 5
JSON = {"Content-Type": "application/json"}


async def call(client: TestClient, key: str, method: str,
               params: dict[str, Any]) -> tuple[int, str, Any]:
    body = {"jsonrpc": "2.0", "method": method, "params": params, "id": 1}
    async with client.post("/rpc", json=body, headers={**JSON, "X-Api-Key": key}) as response:
        text = await response.text()
        return response.status, text, await response.json() if text else None


async def send(client: TestClient, key: str, traffic: Traffic,
               answers: list[tuple[Sent, int, str, Any]]) -> None:
    """BATCHES batches at a fixed rate, at most IN_FLIGHT unanswered at a time."""
    async def one(sent: Sent) -> None:
        answers.append((sent, *await call(client, key, "ingest.sessions",
                                          {"records": sent.records})))

    in_flight: collections.deque[asyncio.Task[None]] = collections.deque()
    started = time.monotonic()
    for k in range(BATCHES):
        await asyncio.sleep(max(0.0, started + k * INTERVAL_S - time.monotonic()))
        if len(in_flight) == IN_FLIGHT:
            await in_flight.popleft()
        in_flight.append(asyncio.create_task(one(traffic.batch())))
    await asyncio.gather(*in_flight)


async def read(client: TestClient, key: str, done: asyncio.Event,
               answers: list[tuple[str, int, str, Any]]) -> None:
    """The three reports, one after another, until the ingest is done."""
    while not done.is_set():
        for label, (method, params) in reports(int(time.time())).items():
            answers.append((label, *await call(client, key, method, params)))


async def test_reports_answer_while_ingest_runs_at_the_peak_rate(
        client: TestClient, ingest_key: str, admin_key: str) -> None:
    traffic = Traffic("peak", resend_every=3)
    ingested: list[tuple[Sent, int, str, Any]] = []
    read_answers: list[tuple[str, int, str, Any]] = []
    done = asyncio.Event()
    reader = asyncio.create_task(read(client, admin_key, done, read_answers))
    try:
        await send(client, ingest_key, traffic, ingested)
    finally:
        done.set()
        await reader

    assert len(ingested) == BATCHES
    for sent, status, text, body in ingested:
        assert "locked" not in text.lower(), text
        assert status == 200, text
        assert body == {"jsonrpc": "2.0", "id": 1, "result": {
            "accepted": sent.accepted, "unchanged": sent.unchanged, "rejected": []}}
    assert sum(s.unchanged for s, *_ in ingested) >= 1  # records sent again were among them
    assert sum(len(s.records) for s, *_ in ingested) == 83 * BATCHES

    labels = collections.Counter(label for label, *_ in read_answers)
    assert set(labels) == set(reports(0)) and min(labels.values()) >= 1, labels
    for label, status, text, body in read_answers:
        assert "locked" not in text.lower(), text
        assert status == 200 and "result" in body and "error" not in body, (label, text)

    db = client.app[appkeys.DB]
    stored = await db.fetch_one("SELECT COUNT(*) AS n, "
                                "SUM(CASE WHEN end_time IS NULL THEN 1 ELSE 0 END) AS live "
                                "FROM sessions")
    assert stored is not None
    assert (int(stored["n"]), int(stored["live"])) == (len(traffic.sessions), traffic.live)
