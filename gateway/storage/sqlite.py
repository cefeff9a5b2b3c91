"""SQLite through aiosqlite: one writer connection, a small pool of readers, WAL mode.

WAL lets readers run while the writer commits. aiosqlite gives each connection its own
thread, so the writer is guarded by an asyncio lock: two coroutines must never interleave
statements inside one transaction.
"""

from __future__ import annotations

import asyncio
import sqlite3
import time
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any, AsyncGenerator, AsyncIterator, Coroutine, Sequence

import aiosqlite

from gateway.storage import migrations
from gateway.storage.backend import Connection, DatabaseUnavailable, Delegating, Params, Record, Row
from gateway.storage.dialect import Dialect, Setting
from gateway.storage.inserts import insert_rows
from gateway.storage.waits import READ, WRITE, WaitHook, ignore

READERS = 4  # concurrent reads; SQLite in WAL mode serves them while the writer commits
BUSY_TIMEOUT_MS = 10_000  # another process (a CLI command, a second worker) holds the lock
# The writer's page cache while a bulk load lasts: the sessions' unique index (tenant,
# source id) takes rows at random places, and with the default 2 MB cache each transaction
# rereads and rewrites most of it (a load slowed from 6,300 to 4,000 sessions/s over its
# first million; with the larger cache it holds its rate). The process grows by as much.
BULK_CACHE_MIB = 512

DIALECT = Dialect(
    name="sqlite", collation="", native_rollup=False, bulk_counts_ids=True,
    session_statements=(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}", "PRAGMA journal_mode=WAL",
                        "PRAGMA synchronous=NORMAL", "PRAGMA foreign_keys=ON"),
    bulk_load_settings=(Setting("PRAGMA cache_size", "PRAGMA cache_size = {}",
                                str(-BULK_CACHE_MIB * 1024)),))
# Switching a new database to WAL can answer "locked" at once, without waiting, while
# another process (a second worker) opens it too: retry for this long.
WAL_RETRY_S = 10.0


class _Conn:
    """One aiosqlite connection seen through the `Connection` interface.

    Each call is one trip to the connection's thread (`execute_fetchall` runs the
    statement, reads its rows and closes its cursor there): a trip costs far more than
    a simple statement does."""

    def __init__(self, raw: aiosqlite.Connection) -> None:
        self.raw = raw

    async def execute(self, sql: str, params: Params = ()) -> int:
        before = self.raw.total_changes
        await self.raw.execute_fetchall(sql, tuple(params))
        return self.raw.total_changes - before

    async def executemany(self, sql: str, rows: Sequence[Params]) -> None:
        cursor = await self.raw.executemany(sql, [tuple(r) for r in rows])
        await cursor.close()

    async def insert_many(self, table: str, columns: Sequence[str], rows: Sequence[Params],
                          conflict: str = "", returning: str = "") -> list[Row]:
        return await insert_rows(self, table, columns, rows, conflict, returning)

    async def fetch_one(self, sql: str, params: Params = ()) -> Row | None:
        rows = await self.raw.execute_fetchall(sql, tuple(params))
        return dict(rows[0]) if rows else None  # type: ignore[index]

    async def fetch_all(self, sql: str, params: Params = ()) -> list[Row]:
        return [dict(r) for r in await self.raw.execute_fetchall(sql, tuple(params))]

    async def stream(self, sql: str, params: Params = (),
                     size: int = 1000) -> AsyncGenerator[list[Record], None]:
        cursor = await self.raw.execute(sql, tuple(params))
        try:
            while rows := await cursor.fetchmany(size):
                yield list(rows)
        except asyncio.CancelledError:
            # stop the statement first: closing the cursor waits for it in the
            # connection's thread
            await self.raw.interrupt()
            raise
        finally:
            # A cursor left open keeps its statement running, and with it SQLite's
            # interrupt flag: every later statement on the connection would fail.
            await cursor.close()

    async def notify(self, channel: str, payload: str) -> None:
        """Nothing: another process sees a change when its cached copy expires."""


async def _connect(path: str) -> _Conn:
    raw = await aiosqlite.connect(path, isolation_level=None)
    raw.row_factory = sqlite3.Row
    conn = _Conn(raw)
    try:
        for statement in DIALECT.session_statements:
            # Through `_Conn.execute`, which closes its cursor: a statement left open keeps
            # SQLite's interrupt flag set, and a later `interrupt()` would fail the next query.
            deadline = time.monotonic() + WAL_RETRY_S
            while True:
                try:
                    await conn.execute(statement)
                    break
                except sqlite3.OperationalError as exc:
                    if "locked" not in str(exc) or time.monotonic() > deadline:
                        raise
                    await asyncio.sleep(0.05)
    except BaseException:
        await raw.close()  # its thread would otherwise keep the process alive at exit
        raise
    return conn


class SQLiteBackend(Delegating):
    dialect = DIALECT
    engine = DIALECT.name

    def __init__(self, path: str, waited: WaitHook = ignore) -> None:
        self.path = path
        self._waited = waited  # told how long the writer or each reader was waited for
        self._writer: _Conn | None = None
        self._write_lock = asyncio.Lock()
        self._readers: asyncio.Queue[_Conn] = asyncio.Queue()
        self._all: list[_Conn] = []
        # The health check's own connection: busy readers do not make the store look down.
        self._health: _Conn | None = None
        self._health_lock = asyncio.Lock()
        self._background: set[asyncio.Task[None]] = set()
        self._closing = False  # no connection is opened any more (each has a thread)

    async def open(self) -> None:
        try:
            if self.path != ":memory:" and Path(self.path).parent != Path(""):
                Path(self.path).parent.mkdir(parents=True, exist_ok=True)
            writer = await _connect(self.path)
        except (OSError, sqlite3.Error) as exc:
            raise DatabaseUnavailable(
                f"cannot open the SQLite database {self.path}: {exc}") from exc
        try:
            self._writer = writer
            self._all.append(self._writer)
            await self._migrate()
            for _ in range(READERS):
                reader = await _connect(self.path)
                self._all.append(reader)
                self._readers.put_nowait(reader)
            self._health = await _connect(self.path)
            self._all.append(self._health)
        except BaseException:
            await self.close()  # no connection thread may outlive a failed open
            raise

    async def close(self) -> None:
        self._closing = True
        while self._background:  # work started meanwhile (a rollback) is waited for too
            await asyncio.gather(*self._background, return_exceptions=True)
        # A copy: a connection being replaced meanwhile leaves `_all` as it is closed.
        conns, self._all = self._all, []
        for conn in conns:
            await conn.raw.close()
        self._writer = self._health = None

    async def _migrate(self) -> None:
        async with self.transaction() as conn:
            await migrations.apply(conn, self.engine)

    async def ping(self) -> None:
        """Read the file (its schema), on a connection of its own."""
        assert self._health is not None, "the database is not open"
        async with self._health_lock:
            await self._health.fetch_one("SELECT COUNT(*) AS n FROM sqlite_master")

    # A cancelled call's statement is stopped with `interrupt()`. SQLite keeps that
    # connection's interrupt flag until no statement of it is active, and the stopped one
    # may still be (its cursor lives on in the error being handed back): a statement
    # started meanwhile would fail with "interrupted". So a reader whose call was
    # cancelled is closed and replaced rather than handed to the next call, and a writer
    # whose rollback is refused so is replaced.

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[Connection]:
        started = time.perf_counter()
        async with self._write_lock:
            self._waited(WRITE, time.perf_counter() - started)
            writer = self._writer
            assert writer is not None, "the database is not open"
            await writer.execute("BEGIN IMMEDIATE")
            try:
                yield writer
            except BaseException:
                await writer.raw.interrupt()  # a cancelled call stops its statement
                await asyncio.shield(self._tracked(self._rolled_back(writer)))
                raise
            await writer.execute("COMMIT")

    async def _rolled_back(self, writer: _Conn) -> None:
        try:
            await writer.execute("ROLLBACK")
        except (sqlite3.Error, ValueError):  # ValueError: closed meanwhile (at shutdown)
            self._writer = await self._renewed(writer)  # closing it rolls back

    async def _renewed(self, conn: _Conn) -> _Conn | None:
        """A new connection in place of `conn`, which is closed once its queued work is
        done; none while the backend closes."""
        if conn in self._all:
            self._all.remove(conn)
        await conn.raw.close()
        if self._closing:
            return None
        fresh = await _connect(self.path)
        self._all.append(fresh)
        return fresh

    @asynccontextmanager
    async def _reader(self) -> AsyncIterator[_Conn]:
        started = time.perf_counter()
        conn = await self._readers.get()
        self._waited(READ, time.perf_counter() - started)
        reusable = True
        try:
            yield conn
        except asyncio.CancelledError:
            await conn.raw.interrupt()  # release the database work of a cancelled call
            reusable = False
            self._tracked(self._recycled(conn))
            raise
        finally:
            if reusable:
                self._readers.put_nowait(conn)

    def _tracked(self, work: Coroutine[Any, Any, None]) -> asyncio.Task[None]:
        """`work` as a task that `close` waits for."""
        task = asyncio.ensure_future(work)
        self._background.add(task)
        task.add_done_callback(self._background.discard)
        return task

    async def _recycled(self, conn: _Conn) -> None:
        fresh = await self._renewed(conn)
        if fresh is not None:
            self._readers.put_nowait(fresh)
