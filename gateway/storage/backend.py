"""The storage backend interface: what the gateway needs from a database engine.

SQL is written once with `?` placeholders; each backend binds them its own way. Rows come
back as plain dicts. SQLite is the embedded default; PostgreSQL is a second
implementation of the same interface.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from contextlib import aclosing
from typing import Any, AsyncContextManager, AsyncGenerator, Callable, Protocol, Sequence

from gateway.storage.dialect import Dialect

Row = dict[str, Any]


class DatabaseUnavailable(Exception):
    """The database cannot be opened (unreachable server, refused login, unwritable file);
    the message says which database and why, without its password."""


class WriteConflict(Exception):
    """A write transaction collided with a concurrent one (it inserted a row another
    transaction had just inserted, or they deadlocked) and was rolled back; run again, it
    sees that transaction's rows."""


Params = Sequence[Any]
# A streamed row as the driver reads it (`sqlite3.Row`, `asyncpg.Record`): its values by
# position, in the order of the query's columns, or by column name; no dict per row.
Record = Any


class Connection(Protocol):
    """What a transaction (or a plain read) can do."""

    async def execute(self, sql: str, params: Params = ()) -> int:
        """Run one statement; return the number of rows it changed."""

    async def executemany(self, sql: str, rows: Sequence[Params]) -> None:
        """Run one statement for each parameter row."""

    async def insert_many(self, table: str, columns: Sequence[str], rows: Sequence[Params],
                          conflict: str = "", returning: str = "") -> list[Row]:
        """Insert `rows` (values in the order of `columns`) in as few trips as the engine
        allows: multi-row INSERTs on SQLite, COPY on PostgreSQL. `conflict`: an ON
        CONFLICT clause's target and action (no two rows may share its key); the rows
        `returning` (a RETURNING list) reads back."""

    async def fetch_one(self, sql: str, params: Params = ()) -> Row | None:
        """The first row of a query, or None."""

    async def fetch_all(self, sql: str, params: Params = ()) -> list[Row]:
        """Every row of a query (for small, bounded results only)."""

    def stream(self, sql: str, params: Params = (),
               size: int = 1000) -> AsyncGenerator[list[Record], None]:
        """The rows of a query in chunks of up to `size`, read as they are consumed (for
        large results), as driver records. Close it (`contextlib.aclosing`) when not
        reading to the end."""

    async def notify(self, channel: str, payload: str) -> None:
        """Tell every process that listens on `channel` (`Backend.listen`), once the
        transaction commits; nothing on an engine without such a signal."""


class Backend(Connection, Protocol):
    """A database opened by the app's lifecycle."""

    engine: str
    dialect: Dialect  # how this engine spells what the engines spell differently

    async def open(self) -> None:
        """Connect and apply pending migrations."""

    async def close(self) -> None:
        """Release every connection."""

    def transaction(self) -> AsyncContextManager[Connection]:
        """A write transaction: committed on normal exit, rolled back on an exception."""

    async def ping(self) -> None:
        """Raise if the database cannot answer a trivial query."""

    async def listen(self, channel: str, heard: Callable[[str], None]) -> bool:
        """Call `heard` with the payload of each notice on `channel` from any process,
        while the backend is open; False where the engine has no such signal."""


class Delegating(ABC):
    """The statements of a backend outside an explicit transaction: writes in a
    transaction of their own, reads on a read connection. A backend supplies both."""

    @abstractmethod
    def transaction(self) -> AsyncContextManager[Connection]:
        """A write transaction."""

    @abstractmethod
    def _reader(self) -> AsyncContextManager[Any]:
        """A connection for reads."""

    async def execute(self, sql: str, params: Params = ()) -> int:
        async with self.transaction() as conn:
            return await conn.execute(sql, params)

    async def executemany(self, sql: str, rows: Sequence[Params]) -> None:
        async with self.transaction() as conn:
            await conn.executemany(sql, rows)

    async def insert_many(self, table: str, columns: Sequence[str], rows: Sequence[Params],
                          conflict: str = "", returning: str = "") -> list[Row]:
        async with self.transaction() as conn:
            return await conn.insert_many(table, columns, rows, conflict, returning)

    async def fetch_one(self, sql: str, params: Params = ()) -> Row | None:
        async with self._reader() as conn:
            return await conn.fetch_one(sql, params)

    async def fetch_all(self, sql: str, params: Params = ()) -> list[Row]:
        async with self._reader() as conn:
            return await conn.fetch_all(sql, params)

    async def stream(self, sql: str, params: Params = (),
                     size: int = 1000) -> AsyncGenerator[list[Record], None]:
        # The inner stream is closed with this one (an abandoned stream is closed when
        # it is collected): its cursor is closed before the connection is handed back.
        async with self._reader() as conn, aclosing(conn.stream(sql, params, size)) as rows_of:
            async for rows in rows_of:
                yield rows

    async def ping(self) -> None:
        await self.fetch_one("SELECT 1 AS ok")

    async def notify(self, channel: str, payload: str) -> None:
        async with self.transaction() as conn:
            await conn.notify(channel, payload)

    async def listen(self, channel: str, heard: Callable[[str], None]) -> bool:
        return False
