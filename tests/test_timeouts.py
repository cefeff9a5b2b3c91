"""Timed-out calls under concurrency, on every engine (spec README "Limits": a call past
`limits.call_timeout_s` is cancelled, its database work released; one failing call never
fails its neighbours): after timed-out database work, every call that follows succeeds,
and the health check answers while the database connections are all busy."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path
from typing import Any

import asyncpg
import pytest
from aiohttp.test_utils import TestClient
from conftest import database_url, make_config, post
from marshmallow import Schema

from gateway.core import roles
from gateway.core.config import Config
from gateway.storage import backend_for
from gateway.storage.postgresql import CLOSE_WAIT_S
from methods import all_methods
from methods.context import Context, Methods, Params, RpcMethod

ENDLESS = ("WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n) "
           "SELECT COUNT(*) AS c FROM n")  # never ends on its own
MANY = ("WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 100000000) "
        "SELECT i FROM n")
TIMEOUT_S = 1.0  # headroom for the calls that follow timed-out work on a loaded machine


class NoParams(Schema):
    pass


async def endless_query(context: Context, params: Params) -> None:
    """A statement that runs until it is interrupted."""
    await context.db.fetch_one(ENDLESS)


async def endless_stream(context: Context, params: Params) -> None:
    """Rows streamed and read slowly, until the call is cancelled mid-stream."""
    async for _ in context.db.stream(MANY, (), 10):
        await asyncio.sleep(0.01)


async def slow_answer(context: Context, params: Params) -> str:
    """Work that needs no database and takes longer than the call timeout."""
    await asyncio.sleep(TIMEOUT_S * 2)
    return "done"


@pytest.fixture
def methods() -> Methods:
    return {**all_methods(),
            "slow_untimed": RpcMethod(slow_answer, NoParams(), roles.EVERYONE, "no database",
                                      timed=False),
            "endless_query": RpcMethod(endless_query, NoParams(), roles.EVERYONE, "never ends"),
            "endless_stream": RpcMethod(endless_stream, NoParams(), roles.EVERYONE,
                                        "never ends")}


@pytest.fixture
def config(tmp_path: Path) -> Config:
    return make_config(tmp_path, limits={"call_timeout_s": TIMEOUT_S})


def call(method: str, id_: int, params: Any = None) -> dict[str, Any]:
    return {"jsonrpc": "2.0", "method": method, "id": id_, "params": params or {}}


def timed_out(id_: int, request_id: str) -> dict[str, Any]:
    return {"jsonrpc": "2.0", "id": id_, "error": {
        "code": -32603, "message": f"timeout: the call took longer than {TIMEOUT_S:g} s",
        "data": {"code": "timeout", "request_id": request_id}}}


HISTORY = call("GetCallHistory", 1, {"from_date": "2026-11-01 00:00:00",
                                     "to_date": "2026-11-01 23:59:59", "count": 2})
# the Voximplant answer of a day without calls, in the root tenant's zone (UTC)
EMPTY_HISTORY = {"jsonrpc": "2.0", "id": 1, "result": {
    "result": [], "total_count": 0, "count": 0, "timezone": "Etc/GMT"}}


async def test_after_timed_out_database_work_every_call_succeeds(
        client: TestClient, admin_key: str) -> None:
    batch = [call("endless_query" if i % 2 else "endless_stream", i) for i in range(1, 9)]
    for _ in range(2):  # a batch of 8, as single requests and as a batch
        answers = await asyncio.gather(*(post(client, member, admin_key) for member in batch))
        assert [answer for _, answer, _ in answers] == [
            timed_out(i, headers["X-Request-Id"]) for i, (_, _, headers) in enumerate(answers, 1)]
        status, answer, headers = await post(client, batch, admin_key)
        assert sorted(answer, key=lambda a: a["id"]) == [
            timed_out(i, headers["X-Request-Id"]) for i in range(1, 9)]
    started = time.monotonic()
    answers = await asyncio.gather(*(post(client, HISTORY, admin_key) for _ in range(40)))
    assert [(status, answer) for status, answer, _ in answers] == [(200, EMPTY_HISTORY)] * 40
    for _ in range(10):
        response = await client.get("/healthz")
        assert (response.status, await response.json()) == (
            200, {"status": "ok", "database": "ok"})
    assert time.monotonic() - started < 5


async def test_the_health_check_answers_while_every_connection_is_busy(
        client: TestClient, admin_key: str) -> None:
    # more endless calls at once than the store has connections (SQLite 4 readers,
    # PostgreSQL a pool of 10)
    busy = [asyncio.create_task(post(client, call("endless_query", i), admin_key))
            for i in range(12)]
    await asyncio.sleep(0.1)
    started = time.monotonic()
    response = await client.get("/healthz")
    assert (response.status, await response.json()) == (200, {"status": "ok", "database": "ok"})
    assert time.monotonic() - started < 0.3
    assert {answer["error"]["data"]["code"] for _, answer, _ in await asyncio.gather(*busy)} \
        == {"timeout"}


async def test_a_batch_of_slow_calls_leaves_connections_to_others(
        client: TestClient, admin_key: str) -> None:
    """At most `limits.batch_parallel` (2) calls of a batch run at once: the others wait
    their turn within their timeout, and other requests find a connection meanwhile."""
    batch = asyncio.create_task(post(client, [call("endless_query", i) for i in range(1, 41)],
                                     admin_key))
    await asyncio.sleep(0.1)
    started = time.monotonic()
    status, answer, _ = await post(client, HISTORY, admin_key)
    assert (status, answer) == (200, EMPTY_HISTORY)
    assert time.monotonic() - started < TIMEOUT_S / 2  # before the batch ends
    _, answers, headers = await batch
    assert sorted(answers, key=lambda a: a["id"]) == [
        timed_out(i, headers["X-Request-Id"]) for i in range(1, 41)]
    # one deadline for the whole batch: 40 calls two at a time end with the first two
    assert time.monotonic() - started < TIMEOUT_S * 3


async def test_a_batch_member_whose_time_is_up_is_not_started_but_untimed_calls_run(
        client: TestClient, admin_key: str) -> None:
    """Two endless calls take the batch's whole time (two run at once); the third is then
    not started and times out at once; `ping` and an untimed call still answer, the
    untimed one after longer than the timeout."""
    batch = [call("endless_query", 1), call("endless_query", 2), call("endless_query", 3),
             call("ping", 4), call("slow_untimed", 5)]
    started = time.monotonic()
    status, answers, headers = await post(client, batch, admin_key)
    took = time.monotonic() - started
    assert status == 200
    assert sorted(answers, key=lambda a: a["id"]) == [
        timed_out(1, headers["X-Request-Id"]), timed_out(2, headers["X-Request-Id"]),
        timed_out(3, headers["X-Request-Id"]), {"jsonrpc": "2.0", "id": 4, "result": "pong"},
        {"jsonrpc": "2.0", "id": 5, "result": "done"}]
    assert TIMEOUT_S * 3 <= took < TIMEOUT_S * 5  # the batch's time, then the slow call
    status, answer, _ = await post(client, call("slow_untimed", 6), admin_key)
    assert (status, answer) == (200, {"jsonrpc": "2.0", "id": 6, "result": "done"})


@pytest.mark.parametrize("engine", ["postgresql"], indirect=True)
async def test_closing_postgresql_cuts_a_statement_that_does_not_end(tmp_path: Path) -> None:
    """A statement the server runs on (its cancel request was lost) does not keep the
    store from closing: the pool's connections are cut after CLOSE_WAIT_S."""
    db = backend_for(database_url(tmp_path))
    await db.open()
    running = asyncio.create_task(db.fetch_one(ENDLESS))
    await asyncio.sleep(0.2)
    started = time.monotonic()
    await db.close()
    assert CLOSE_WAIT_S <= time.monotonic() - started < CLOSE_WAIT_S + 2
    with pytest.raises(asyncpg.ConnectionDoesNotExistError):  # its connection was cut
        await running
