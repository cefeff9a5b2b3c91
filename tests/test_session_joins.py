"""A session's rows are read by the session, never through an index of their owner and
month alone (docs/scaling.md, "Beyond one machine"): legs and leg paths by the session's
id, owner and month, the leading columns of their key; sessions, recordings and resource
usages by the id and the month. Given the owner as well, a planner takes the index of
(owner, month, ...) and reads every row of the owner's month for each session.

The plans are read on a migrated store: SQLite's for every listing of a session's rows
(each kind with all its attributes and related sums, for a reseller's scope) and for the
writer's statements; PostgreSQL's generic plan (the one a prepared statement keeps) for
the writer's statements.
"""

from __future__ import annotations

import re
import time
from pathlib import Path
from typing import Any, AsyncIterator

import pytest
from conftest import database_url

from gateway.query.listing import Listing, Viewer, compile_listing
from gateway.query.select import compile_select
from gateway.storage import Backend, backend_for, call_history, sessions, video_sessions
from gateway.storage.attributes import Kind
from gateway.storage.session_writer import DROP_LEGS, MOVES

KINDS = {"call history": call_history.SESSIONS, "calls": call_history.CALLS,
         "records": call_history.RECORDS, "resources": call_history.RESOURCES,
         "video sessions": video_sessions.SESSIONS,
         "participants": video_sessions.PARTICIPANTS,
         "recordings": video_sessions.RECORDINGS}
RESELLER = "/1/2/"
# An index searched by an owner and a month alone (SQLite's plan text).
BY_OWNERS_MONTH = re.compile(r"\((?:tenant_id|owner_id)=\? AND setup_month=\?\)")


@pytest.fixture
async def sqlite(tmp_path: Path) -> AsyncIterator[Backend]:
    backend = backend_for(f"sqlite:///{tmp_path}/store.db")
    await backend.open()
    yield backend
    await backend.close()


async def sqlite_plan(db: Backend, sql: str, params: tuple[Any, ...]) -> list[str]:
    return [str(r["detail"]) for r in await db.fetch_all(f"EXPLAIN QUERY PLAN {sql}", params)]


@pytest.mark.parametrize("name", sorted(KINDS))
async def test_a_listing_reads_a_sessions_rows_by_the_session(sqlite: Backend,
                                                              name: str) -> None:
    kind: Kind = KINDS[name]
    listing = Listing(kind, list(kind.attributes), Viewer(RESELLER), limit=100,
                      sums=list(kind.related))
    compiled = compile_select(compile_listing(listing), sqlite.dialect)
    plan = await sqlite_plan(sqlite, compiled.sql, compiled.params)
    assert plan and not [line for line in plan if BY_OWNERS_MONTH.search(line)], plan


def writer_statements() -> dict[str, str]:
    """The statements of `session_writer.replace` that name one session."""
    return {"session": sessions.UPDATE, "its legs": f"{DROP_LEGS} AND leg_id NOT IN (?, ?)",
            **{f"{table}, moved": sql for table, sql in MOVES.items()}}


@pytest.mark.parametrize("name", sorted(writer_statements()))
async def test_the_writer_reads_a_session_by_the_session(sqlite: Backend, name: str) -> None:
    sql = writer_statements()[name]
    plan = await sqlite_plan(sqlite, sql, (1,) * sql.count("?"))
    assert plan and not [line for line in plan if BY_OWNERS_MONTH.search(line)], plan


@pytest.mark.parametrize("engine", ["postgresql"], indirect=True)
@pytest.mark.parametrize("name", sorted(writer_statements()))
async def test_the_writers_generic_plans_read_a_session_by_the_session(
        tmp_path: Path, engine: str, name: str) -> None:
    db = backend_for(database_url(tmp_path))
    await db.open()
    month = int(time.strftime("%Y%m", time.gmtime()))  # its partitions made with the store
    try:
        sql = writer_statements()[name]
        count = sql.count("?")
        async with db.transaction() as conn:
            await conn.execute("SET LOCAL plan_cache_mode = force_generic_plan")
            await conn.execute(f"PREPARE writer AS {sql}")  # `?` numbered by the backend
            # NULL for the values set, this month's number for those that find the rows:
            # an id, an owner, the month (a partition made with the store)
            finding = sql.partition(" WHERE ")[2].count("?")
            values = ["NULL"] * (count - finding) + [f"'{month}'"] * finding
            rows = await conn.fetch_all(f"EXPLAIN EXECUTE writer({', '.join(values)})")
            await conn.execute("DEALLOCATE writer")
        plan = "\n".join(str(r["QUERY PLAN"]) for r in rows)
        searched = re.findall(r"Index Cond: \((.*)\)", plan)
        assert searched, plan
        for condition in searched:
            assert "session_id" in condition or re.search(r"\bid = ", condition), plan
    finally:
        await db.close()
