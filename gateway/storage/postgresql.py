"""PostgreSQL through asyncpg: a connection pool; SQL's `?` placeholders become `$n`."""

from __future__ import annotations

import asyncio
import functools
import hashlib
import time
import urllib.parse
from contextlib import asynccontextmanager
from typing import Any, AsyncGenerator, AsyncIterator, Callable, Sequence

import asyncpg

from gateway.storage import migrations
from gateway.storage.backend import (Connection, DatabaseUnavailable, Delegating, Params, Record,
                                     Row, WriteConflict)
from gateway.storage.dialect import Dialect
from gateway.storage.sql import CODE_POINT
from gateway.storage.waits import READ, WRITE, WaitHook, ignore

# Batch members run concurrently (up to the batch limit); beyond the pool they queue.
POOL_MIN, POOL_MAX = 1, 10
CONNECT_TIMEOUT_S = 10  # a server that does not answer by then is reported unreachable
RELISTEN_S = 1.0  # how often a lost LISTEN connection is opened again
MIGRATION_LOCK = 7_150_001  # advisory lock key: one process migrates at a time
# What a transaction meets when a concurrent one wrote the same rows first.
_CONFLICTS = (asyncpg.UniqueViolationError, asyncpg.DeadlockDetectedError,
              asyncpg.SerializationError)

DIALECT = Dialect(name="postgresql", collation=' COLLATE "C"', native_rollup=True,
                  bulk_counts_ids=False, after_bulk_load=("ANALYZE",), month_partitions=True,
                  lock_rows=" FOR UPDATE")


@functools.lru_cache(maxsize=1024)
def numbered(sql: str) -> str:
    """`?` placeholders as `$1, $2, ...`, leaving string literals alone; a comparison
    marked as by code point in the "C" collation."""
    sql = sql.replace(CODE_POINT, DIALECT.collation)
    out, n, quoted = [], 0, False
    for char in sql:
        if char == "'":
            quoted = not quoted
        if char == "?" and not quoted:
            n += 1
            out.append(f"${n}")
        else:
            out.append(char)
    return "".join(out)


def _changed(status: str) -> int:
    """Rows changed, from a command status such as `UPDATE 3` or `INSERT 0 1`."""
    last = status.rsplit(" ", 1)[-1]
    return int(last) if last.isdigit() else 0


@functools.lru_cache(maxsize=256)
def _stage_name(table: str, columns: str) -> str:
    """The staging table of a COPY into `table`'s `columns` (one per column list)."""
    return f"stage_{table}_{hashlib.sha1(columns.encode()).hexdigest()[:10]}"


@asynccontextmanager
async def _in_transaction(raw: Any) -> AsyncIterator[None]:
    """A transaction of its own unless one is open: a staging table's rows live until
    the end of the transaction that copied them."""
    if raw.is_in_transaction():
        yield
    else:
        async with raw.transaction():
            yield


class _Conn:
    def __init__(self, raw: Any) -> None:
        self.raw = raw

    async def execute(self, sql: str, params: Params = ()) -> int:
        return _changed(await self.raw.execute(numbered(sql), *params))

    async def executemany(self, sql: str, rows: Sequence[Params]) -> None:
        await self.raw.executemany(numbered(sql), [tuple(r) for r in rows])

    async def insert_many(self, table: str, columns: Sequence[str], rows: Sequence[Params],
                          conflict: str = "", returning: str = "") -> list[Row]:
        """COPY into a staging table like `table` (this connection's own, emptied at
        commit), then one INSERT ... SELECT from it, in the order of the conflict target
        (`(columns) DO ...`): concurrent upserts then lock the rows they share in one
        order, and never deadlock."""
        if not rows:
            return []
        names = ", ".join(columns)
        stage = _stage_name(table, names)
        async with _in_transaction(self.raw):
            await self.raw.execute(
                f"CREATE TEMP TABLE IF NOT EXISTS {stage} ON COMMIT DELETE ROWS AS "
                f"SELECT {names} FROM {table} WITH NO DATA; TRUNCATE {stage}")
            await self.raw.copy_records_to_table(stage, columns=list(columns),
                                                 records=[tuple(r) for r in rows])
            target = conflict[1:conflict.index(")")] if conflict.startswith("(") else ""
            sql = (f"INSERT INTO {table} ({names}) SELECT {names} FROM {stage}"
                   + (f" ORDER BY {target}" if target else "")
                   + (f" ON CONFLICT {conflict}" if conflict else "")
                   + (f" RETURNING {returning}" if returning else ""))
            if returning:
                return [dict(r) for r in await self.raw.fetch(sql)]
            await self.raw.execute(sql)
            return []

    async def fetch_one(self, sql: str, params: Params = ()) -> Row | None:
        row = await self.raw.fetchrow(numbered(sql), *params)
        return dict(row) if row is not None else None

    async def fetch_all(self, sql: str, params: Params = ()) -> list[Row]:
        return [dict(r) for r in await self.raw.fetch(numbered(sql), *params)]

    async def stream(self, sql: str, params: Params = (),
                     size: int = 1000) -> AsyncGenerator[list[Record], None]:
        async with self.raw.transaction():  # a server-side cursor lives in a transaction
            cursor = await self.raw.cursor(numbered(sql), *params)
            while rows := await cursor.fetch(size):
                yield rows

    async def notify(self, channel: str, payload: str) -> None:
        await self.raw.execute("SELECT pg_notify($1, $2)", channel, payload)


def without_password(dsn: str) -> str:
    """The URL with its password, if any, as `***` (for messages)."""
    parts = urllib.parse.urlsplit(dsn)
    if parts.password is None:
        return dsn
    user, _, host = parts.netloc.rpartition("@")
    return urllib.parse.urlunsplit(parts._replace(
        netloc=f"{user.split(':', 1)[0]}:***@{host}"))


CLOSE_WAIT_S = 5.0


class PostgreSQLBackend(Delegating):
    dialect = DIALECT
    engine = DIALECT.name

    def __init__(self, dsn: str, waited: WaitHook = ignore) -> None:
        self.dsn = dsn
        self._waited = waited  # told how long each connection of the pool was waited for
        self._pool: asyncpg.Pool | None = None
        # The health check's own connection: a busy pool does not make the server look down.
        self._health: asyncpg.Pool | None = None
        # Notices from other processes (`listen`): a connection of their own, and who hears
        # each channel.
        self._listener: Any = None
        self._heard: dict[str, list[Callable[[str], None]]] = {}
        self._relisten: asyncio.Task[None] | None = None

    async def open(self) -> None:
        try:
            self._pool = await asyncpg.create_pool(self.dsn, min_size=POOL_MIN,
                                                   max_size=POOL_MAX, timeout=CONNECT_TIMEOUT_S)
        except (OSError, asyncio.TimeoutError, asyncpg.PostgresError, asyncpg.InterfaceError,
                ValueError) as exc:
            reason = (f"no answer within {CONNECT_TIMEOUT_S} s"
                      if isinstance(exc, asyncio.TimeoutError) else str(exc) or repr(exc))
            raise DatabaseUnavailable(
                f"cannot connect to PostgreSQL at {without_password(self.dsn)}: {reason}") from exc
        try:
            await self._migrate()
            self._health = await asyncpg.create_pool(self.dsn, min_size=0, max_size=1,
                                                     timeout=CONNECT_TIMEOUT_S)
        except BaseException:
            await self.close()
            raise

    async def close(self) -> None:
        """Close the pools; connections still busy after CLOSE_WAIT_S are cut (a statement
        whose cancel request reached the server before the statement did runs on)."""
        if self._relisten is not None:
            self._relisten.cancel()
        listener, self._listener = self._listener, None
        if listener is not None:
            listener.terminate()
        for pool in (self._pool, self._health):
            if pool is not None:
                try:
                    await asyncio.wait_for(pool.close(), CLOSE_WAIT_S)
                except TimeoutError:
                    pool.terminate()
        self._pool = self._health = None

    async def ping(self) -> None:
        assert self._health is not None, "the database is not open"
        async with self._health.acquire() as raw:
            await raw.fetchval("SELECT 1")

    async def listen(self, channel: str, heard: Callable[[str], None]) -> bool:
        """LISTEN on a connection of its own; one lost is opened again every RELISTEN_S
        (notices sent meanwhile are missed: what they tell must also expire)."""
        self._heard.setdefault(channel, []).append(heard)
        if self._listener is None:
            await self._open_listener()
        elif len(self._heard[channel]) == 1:
            await self._listener.add_listener(channel, self._hear)
        return True

    async def _open_listener(self) -> None:
        raw = await asyncpg.connect(self.dsn, timeout=CONNECT_TIMEOUT_S)
        for channel in self._heard:
            await raw.add_listener(channel, self._hear)
        raw.add_termination_listener(self._lost)
        self._listener = raw

    def _hear(self, raw: Any, pid: int, channel: str, payload: str) -> None:
        for heard in self._heard.get(channel, ()):
            heard(payload)

    def _lost(self, raw: Any) -> None:
        if raw is self._listener and self._pool is not None:
            self._listener = None
            self._relisten = asyncio.get_running_loop().create_task(self._listen_again())

    async def _listen_again(self) -> None:
        while self._pool is not None and self._listener is None:
            await asyncio.sleep(RELISTEN_S)
            try:
                await self._open_listener()
            except (OSError, asyncio.TimeoutError, asyncpg.PostgresError,
                    asyncpg.InterfaceError):
                continue

    async def _migrate(self) -> None:
        async with self.transaction() as conn:
            await conn.execute("SELECT pg_advisory_xact_lock(?)", (MIGRATION_LOCK,))
            await migrations.apply(conn, self.engine)

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[Connection]:
        assert self._pool is not None, "the database is not open"
        started = time.perf_counter()
        try:
            async with self._pool.acquire() as raw:
                self._waited(WRITE, time.perf_counter() - started)
                async with raw.transaction():
                    yield _Conn(raw)
        except _CONFLICTS as exc:
            raise WriteConflict(str(exc)) from exc

    @asynccontextmanager
    async def _reader(self) -> AsyncIterator[_Conn]:
        assert self._pool is not None, "the database is not open"
        started = time.perf_counter()
        async with self._pool.acquire() as raw:
            self._waited(READ, time.perf_counter() - started)
            yield _Conn(raw)
