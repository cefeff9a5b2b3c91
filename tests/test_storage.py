"""The SQLite backend: migrations, WAL, transactions, and cancelled work released (at
shutdown too); the migration of stored rows on both engines; notices between processes on
PostgreSQL."""

from __future__ import annotations

import asyncio
import sqlite3
import threading
import time
from pathlib import Path

import asyncpg
import pytest
from conftest import ENGINES, database_url

from gateway.storage import UnsupportedDatabase, backend_for
from gateway.storage.migrations import migration_files, statements
from gateway.storage.postgresql import RELISTEN_S
from gateway.storage.sqlite import SQLiteBackend

SLOW_QUERY = ("WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n) "
              "SELECT COUNT(*) AS c FROM n")  # never ends on its own


@pytest.fixture
async def db(tmp_path: Path):
    backend = backend_for(f"sqlite:///{tmp_path}/sub/store.db")
    await backend.open()
    yield backend
    await backend.close()


async def test_open_creates_the_folder_applies_migrations_once_and_uses_wal(tmp_path, db):
    versions = [v for v, _ in migration_files("sqlite")]
    applied = await db.fetch_all("SELECT version FROM schema_migrations ORDER BY version")
    assert [r["version"] for r in applied] == versions == [
        "0001_core", "0002_store", "0003_term_leg", "0004_call_summaries",
        "0005_summary_key_sets", "0006_history_reports", "0007_video_order",
        "0008_leg_paths", "0009_imports", "0010_service_accounts",
        "0011_keys", "0012_export_leases", "0013_number_prefixes",
        "0014_call_figures", "0015_partitions"]
    assert (await db.fetch_one("PRAGMA journal_mode"))["journal_mode"] == "wal"
    again = SQLiteBackend(f"{tmp_path}/sub/store.db")
    await again.open()
    assert len(await again.fetch_all("SELECT version FROM schema_migrations")) == len(versions)
    await again.close()


async def test_the_term_leg_of_calls_stored_before_0003_is_filled_in(tmp_path):
    path = tmp_path / "old.db"
    with sqlite3.connect(path) as conn:  # a database as version 0002 left it
        conn.execute("CREATE TABLE schema_migrations (version TEXT PRIMARY KEY, "
                     "applied_at TEXT NOT NULL)")
        for version, sql in migration_files("sqlite")[:2]:
            for statement in statements(sql):
                conn.execute(statement)
            conn.execute("INSERT INTO schema_migrations VALUES (?, '')", (version,))
        conn.execute("INSERT INTO tenants VALUES (1, 'root', NULL, '/1/', 'UTC', '')")
        for sid in (1, 2, 3):
            conn.execute("INSERT INTO sessions (id, tenant_id, source_id, kind, state, "
                         "content_hash, setup_time) VALUES (?, 1, ?, 'call', 0, '', 0)",
                         (sid, str(sid)))
        legs = [(1, "o", "orig", 0, None), (1, "a", "term", 1, 5), (1, "b", "term", 2, None),
                (2, "o", "orig", 0, None), (2, "a", "term", 1, None), (2, "b", "term", 2, None),
                (3, "o", "orig", 0, 5)]
        conn.executemany("INSERT INTO legs (session_id, leg_id, role, position, tenant_id, "
                         "start_time) VALUES (?, ?, ?, ?, 1, ?)", legs)
    db = SQLiteBackend(str(path))
    await db.open()
    try:
        rows = await db.fetch_all("SELECT id, term_leg FROM sessions ORDER BY id")
    finally:
        await db.close()
    # the answered attempt, else the latest; none for a call without attempts
    assert rows == [{"id": 1, "term_leg": "a"}, {"id": 2, "term_leg": "b"},
                    {"id": 3, "term_leg": None}]


@pytest.mark.parametrize("engine", ENGINES, indirect=True)
async def test_rows_stored_before_0011_get_their_keys(tmp_path, engine):
    """The owner's tenant and the UTC month of the setup time, on both engines (a
    database as version 0010 left it, with a session set up at 2026-03-31T23:30:00Z)."""
    url = database_url(tmp_path)
    old = [sql for version, sql in migration_files(engine) if version < "0011"]
    filled = ["INSERT INTO tenants (id, name, parent_id, path, timezone, created_at) "
              "VALUES (1, 'root', NULL, '/1/', 'UTC', ''), (2, 'child', 1, '/1/2/', 'UTC', '')",
              "INSERT INTO sessions (id, tenant_id, source_id, kind, state, content_hash, "
              "setup_time, end_time) VALUES (7, 2, 's', 'call', 2, '', 1774999800, 1774999900)",
              "INSERT INTO legs (session_id, leg_id, role, position, tenant_id) "
              "VALUES (7, 'o', 'orig', 0, 1)",
              "INSERT INTO session_leg_paths (session_id, paths) VALUES (7, '|/1/|')",
              "INSERT INTO records (id, session_id, tenant_id) VALUES (70, 7, 2)",
              "INSERT INTO resource_usage (id, session_id, tenant_id, resource_type) "
              "VALUES (80, 7, 2, 'sms')"]
    backend = backend_for(url)
    if engine == "sqlite":
        with sqlite3.connect(url.removeprefix("sqlite:///")) as conn:
            conn.execute("CREATE TABLE schema_migrations (version TEXT PRIMARY KEY, "
                         "applied_at TEXT NOT NULL)")
            for sql in old:
                for statement in statements(sql):
                    conn.execute(statement)
            conn.executemany("INSERT INTO schema_migrations VALUES (?, '')",
                             [(v,) for v, _ in migration_files(engine) if v < "0011"])
            for statement in filled:
                conn.execute(statement)
    else:
        conn = await asyncpg.connect(url)
        try:
            await conn.execute("DROP SCHEMA public CASCADE; CREATE SCHEMA public")  # empty
            await conn.execute("CREATE TABLE schema_migrations (version TEXT PRIMARY KEY, "
                               "applied_at TEXT NOT NULL)")
            for sql in old:
                for statement in statements(sql):
                    await conn.execute(statement)
            await conn.executemany("INSERT INTO schema_migrations VALUES ($1, '')",
                                   [(v,) for v, _ in migration_files(engine) if v < "0011"])
            for statement in filled:
                await conn.execute(statement)
        finally:
            await conn.close()
    await backend.open()
    try:
        keys = {table: await backend.fetch_all(f"SELECT {owner} AS owner, setup_month "
                                               f"FROM {table}")
                for table, owner in (("sessions", "tenant_id"), ("legs", "owner_id"),
                                     ("session_leg_paths", "owner_id"),
                                     ("records", "tenant_id"), ("resource_usage", "tenant_id"))}
    finally:
        await backend.close()
    assert keys == {table: [{"owner": 2, "setup_month": 202603}] for table in keys}


@pytest.mark.parametrize("engine", ["postgresql"], indirect=True)
async def test_an_upsert_writes_its_rows_in_the_order_of_its_conflict_target(tmp_path, engine):
    """Concurrent batches that upsert the same rows then lock them in one order and never
    deadlock: on PostgreSQL the rows reach the table sorted by the conflict target
    whatever order they are given in (the heap of a new table keeps that order)."""
    backend = backend_for(database_url(tmp_path))
    await backend.open()
    try:
        async with backend.transaction() as conn:
            await conn.execute("CREATE TABLE pairs (a INTEGER, b TEXT, n INTEGER, "
                               "PRIMARY KEY (a, b))")
            given = [(2, "x", 1), (1, "y", 1), (1, "x", 1), (3, "a", 1)]
            await conn.insert_many("pairs", ("a", "b", "n"), given,
                                   conflict="(a, b) DO UPDATE SET n = pairs.n + excluded.n")
            await conn.insert_many("pairs", ("a", "b", "n"), [(3, "a", 5), (1, "x", 5)],
                                   conflict="(a, b) DO UPDATE SET n = pairs.n + excluded.n")
        stored = await backend.fetch_all("SELECT a, b, n FROM pairs ORDER BY ctid")
    finally:
        await backend.close()
    # the second upsert's updates are new row versions at the end, in key order too
    assert [(r["a"], r["b"], r["n"]) for r in stored] == [
        (1, "y", 1), (2, "x", 1), (1, "x", 6), (3, "a", 6)]


@pytest.mark.parametrize("engine", ENGINES, indirect=True)
async def test_a_notice_reaches_every_listener_at_commit_and_after_a_lost_connection(
        tmp_path, engine):
    """On PostgreSQL, a notice sent in a transaction reaches the listeners of every backend
    once it commits (none if it rolls back), and again after the listening connection was
    cut; SQLite has no such signal, and says so."""
    url = database_url(tmp_path)
    sender, listener = backend_for(url), backend_for(url)
    await sender.open()
    await listener.open()
    heard: list[str] = []
    try:
        follows = await listener.listen("changes", heard.append)
        assert follows is (engine == "postgresql")

        async def told(payload: str) -> bool:
            for _ in range(100):
                if payload in heard:
                    return True
                await asyncio.sleep(0.02)
            return False

        with pytest.raises(RuntimeError):
            async with sender.transaction() as conn:
                await conn.notify("changes", "rolled back")
                raise RuntimeError
        async with sender.transaction() as conn:
            await conn.notify("changes", "a")
            await conn.notify("elsewhere", "b")
        assert await told("a") is follows
        if not follows:
            return
        cut = await sender.fetch_all("SELECT pg_terminate_backend(pid) AS cut FROM "
                                     "pg_stat_activity WHERE query LIKE 'LISTEN%'")
        assert cut == [{"cut": True}]
        await asyncio.sleep(RELISTEN_S * 2)
        await sender.notify("changes", "after")
        assert await told("after")
        assert heard == ["a", "after"]
    finally:
        await sender.close()
        await listener.close()


async def test_a_transaction_is_all_or_nothing(db):
    with pytest.raises(RuntimeError):
        async with db.transaction() as conn:
            await conn.execute("INSERT INTO settings VALUES ('a', '1')")
            raise RuntimeError("stop")
    assert await db.fetch_one("SELECT * FROM settings WHERE name = 'a'") is None
    async with db.transaction() as conn:
        assert await conn.execute("INSERT INTO settings VALUES ('a', '1')") == 1
    assert await db.fetch_one("SELECT value FROM settings WHERE name = 'a'") == {"value": "1"}


async def test_readers_see_only_committed_rows(db):
    async with db.transaction() as conn:
        await conn.execute("INSERT INTO settings VALUES ('b', '2')")
        assert await db.fetch_one("SELECT * FROM settings WHERE name = 'b'") is None
    assert await db.fetch_one("SELECT value FROM settings WHERE name = 'b'") == {"value": "2"}


async def test_a_cancelled_read_is_interrupted_and_frees_its_connection(db):
    started = time.monotonic()
    with pytest.raises(TimeoutError):
        async with asyncio.timeout(0.2):
            await db.fetch_one(SLOW_QUERY)
    # every reader answers at once afterwards: the endless query was stopped
    answers = await asyncio.wait_for(
        asyncio.gather(*(db.fetch_one("SELECT 1 AS one") for _ in range(8))), 2)
    assert answers == [{"one": 1}] * 8
    assert time.monotonic() - started < 2


async def test_a_cancelled_write_is_interrupted_and_rolled_back(db):
    with pytest.raises(TimeoutError):
        async with asyncio.timeout(0.2):
            async with db.transaction() as conn:
                await conn.execute("INSERT INTO settings VALUES ('c', '3')")
                await conn.fetch_one(SLOW_QUERY)
    assert await db.fetch_one("SELECT * FROM settings WHERE name = 'c'") is None
    assert await asyncio.wait_for(db.execute("INSERT INTO settings VALUES ('d', '4')"), 2) == 1


def connection_threads() -> set[threading.Thread]:
    """The live threads of aiosqlite connections (of this test's store, and of others'
    still closing: only those that were not there before count)."""
    return {thread for thread in threading.enumerate()
            if "_connection_worker_thread" in thread.name and thread.is_alive()}


async def test_a_write_cancelled_while_the_store_closes_leaves_no_connection_thread(tmp_path):
    """At shutdown the store may be closing while a cancelled write is rolled back: its
    writer is replaced then, and every connection is still closed (each has a thread that
    would keep the process from exiting)."""
    before = connection_threads()
    db = backend_for(f"sqlite:///{tmp_path}/store.db")
    await db.open()

    async def write() -> None:
        async with db.transaction() as conn:
            await conn.fetch_one(SLOW_QUERY)

    writing = asyncio.ensure_future(write())
    await asyncio.sleep(0.1)  # the writer is busy
    closing = asyncio.ensure_future(db.close())  # waits for the writer's statement
    await asyncio.sleep(0.1)
    writing.cancel()
    await asyncio.wait_for(closing, 5)
    await asyncio.gather(writing, return_exceptions=True)
    deadline = time.monotonic() + 10  # a thread left open never ends: no need to hurry
    while connection_threads() - before and time.monotonic() < deadline:
        await asyncio.sleep(0.01)
    assert not connection_threads() - before


def test_database_url_chooses_the_engine(tmp_path):
    assert isinstance(backend_for(f"sqlite:///{tmp_path}/x.db"), SQLiteBackend)
    with pytest.raises(UnsupportedDatabase, match="mysql"):
        backend_for("mysql://localhost/db")


async def test_another_process_sees_committed_data(tmp_path, db):
    await db.execute("INSERT INTO settings VALUES ('e', '5')")
    with sqlite3.connect(f"{tmp_path}/sub/store.db") as plain:
        assert plain.execute("SELECT value FROM settings WHERE name = 'e'").fetchone() == ("5",)
