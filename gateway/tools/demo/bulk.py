"""The demo's bulk path: generated records written straight into the store.

`gateway demo` stores a large data set (`--calls` above `command.BULK_ABOVE`) this way
instead of through `ingest.sessions` and `ingest.acd_sessions`. The records are the same
ones the generators make for the ingest path, and each becomes exactly the rows ingest
would store for it (tests/test_bulk.py compares both stores row for row, ids included):
the rows are built by the same functions (`storage.session_rows`, `storage.queue_rows`),
with the same names resolved the same way (`storage.names`, `storage.destinations`).

What it leaves out is what generated records do not need: validation (the generators
make valid records, and their values are read from their text as ingest's schema loads
them: `FROM_TEXT`; tests/test_demo.py sends them through ingest), the state rules of an
update (a bulk load only adds: a session or queue session already stored is left as it
is, so a second run with the same seed changes nothing and an interrupted one can be run
again to finish), and the summaries' upkeep per batch: they are rebuilt once, in one
pass, when the load ends (`summaries.rebuild`). Until then a server reading the same store
answers `aggregate_get` from summaries that lack the new calls; a load cut short marks
the store so that the next run rebuilds them even when it has nothing left to add.

Rows go in by multi-row INSERTs, many thousands of sessions per transaction
(`storage.bulk_load`, SQLite and PostgreSQL alike). The work is spread over the machine's
cores: the generators run in a process of their own (`producer.generated`), and the
records of the next transaction are converted while the database writes the last ones.
"""

from __future__ import annotations

import asyncio
import gc
from contextlib import contextmanager, suppress
from operator import itemgetter
from typing import Any, Awaitable, Callable, Coroutine, Iterable, Iterator, TypeVar

from gateway.storage import Connection, bulk_load, references, session_writer
from gateway.storage import settings as settings_store
from gateway.storage import summaries
from gateway.storage.destinations import Destinations
from gateway.storage.ledgers import ACD_COLUMNS
from gateway.storage.loading import Loading
from gateway.storage.names import Names
from gateway.storage.queue_rows import event_rows, queue_session_values
from gateway.storage.references import Change
from gateway.storage.session_rows import SessionRows, session_rows
from gateway.tools.demo.from_text import currency, micros, seconds
from gateway.tools.demo.outcome import Stored
from methods import audited
from methods.context import Context
from methods.ingest.batch import content_hash

# Sessions (and queue sessions) per transaction: a few seconds of writing each.
PER_TRANSACTION = 20_000
YIELD_EVERY = 50  # records converted between two steps of the write under way
# A settings row present while summaries lag behind the sessions a bulk load added.
SUMMARIES_PENDING = "demo.bulk.summaries_pending"

Advance = Callable[[int], None]
_ACD_VALUES = itemgetter(*ACD_COLUMNS)


class BulkError(RuntimeError):
    """A record the bulk path cannot store (one that ingest would refuse)."""


def _refused(path: str, table: str, object_id: object) -> BulkError:
    return BulkError(f'Object "{table}({object_id})" was not found!')


# Generated records' values, read from their text as ingest's schema loads them.
FROM_TEXT = Loading(time=seconds, money=micros, currency=currency)


async def _audit(conn: Connection, context: Context, method: str, stored: Stored) -> None:
    await audited.record(conn, context, method, {"records": stored.records, "bulk": True}, {
        "accepted": stored.accepted, "unchanged": stored.unchanged, "rejected": 0})


@contextmanager
def _fewer_collections() -> Iterator[None]:
    """The cyclic garbage collector run less often: generating and converting records
    makes millions of short-lived containers, and a collection every 700 allocations
    (with a transaction's records alive) costs a fifth of the time."""
    before = gc.get_threshold()
    gc.set_threshold(max(before[0], 50_000), *before[1:])
    try:
        yield
    finally:
        gc.set_threshold(*before)


T = TypeVar("T")


async def _pipeline(records: Iterable[dict[str, Any]],
                    convert: Callable[[dict[str, Any]], Awaitable[T]],
                    write: Callable[[list[T]], Coroutine[Any, Any, None]],
                    per_transaction: int) -> None:
    """Convert records and write them `per_transaction` at a time, the conversion of the
    next transaction's records going on while the last one is written (by the database:
    SQLite's thread, PostgreSQL's server)."""
    pending = iter(records)
    writing: asyncio.Task[None] | None = None
    try:
        while True:
            rows: list[T] = []
            for raw in pending:
                rows.append(await convert(raw))
                if len(rows) % YIELD_EVERY == 0:
                    await asyncio.sleep(0)  # the write under way takes its next step
                if len(rows) == per_transaction:
                    break
            if writing is not None:
                await writing
                writing = None
            if not rows:
                return
            writing = asyncio.create_task(write(rows))
    finally:
        if writing is not None and not writing.done():
            writing.cancel()
            with suppress(asyncio.CancelledError):
                await writing


def _names(context: Context) -> Names:
    """The names of a whole load, read outside its write transactions."""
    caller = context.caller
    return Names(context.db, caller.tenant_id, caller.scope, _refused)


async def load_sessions(context: Context, records: Iterable[dict[str, Any]],
                        advance: Advance = lambda n: None,
                        per_transaction: int = PER_TRANSACTION) -> Stored:
    """Store `ingest.sessions` records (new sessions only), `per_transaction` at a time.
    The summaries are left to `rebuild_summaries`."""
    db, deck = context.db, context.config.default_code_deck_id
    names, deferred = _names(context), references.Changes()
    destinations = Destinations(db, whole_decks=True)
    stored = Stored()

    async def convert(raw: dict[str, Any]) -> SessionRows:
        tenant_id = await names.tenant(raw.get("tenant"), "tenant")
        rows = await session_rows(names, destinations, raw, tenant_id, content_hash(raw),
                                  deck, FROM_TEXT)
        deferred.add(names.take())
        return rows

    async def write(rows: list[SessionRows], changes: list[Change]) -> None:
        async with db.transaction() as conn:
            await references.upsert_many(conn, changes)
            stored_already = await session_writer.stored(conn, [r.key for r in rows])
            new = len(await session_writer.insert(
                conn, db.dialect, [r for r in rows if r.key not in stored_already]))
            if new:
                await settings_store.add(conn, SUMMARIES_PENDING, "1")
        stored.accepted += new
        stored.unchanged += len(rows) - new
        advance(len(rows))

    async with bulk_load.tuned(db):
        with _fewer_collections():
            await _pipeline(records, convert, lambda rows: write(rows, deferred.take()),
                            per_transaction)
    async with db.transaction() as conn:
        await _audit(conn, context, "ingest.sessions", stored)
    return stored


async def rebuild_summaries(context: Context, always: bool = False) -> bool:
    """Rebuild the call summaries in one pass when a bulk load added calls since they
    were last rebuilt (or `always`); whether it did."""
    if await settings_store.get(context.db, SUMMARIES_PENDING) is None and not always:
        return False
    async with context.db.transaction() as conn:
        await summaries.rebuild(conn)
        await settings_store.delete(conn, SUMMARIES_PENDING)
        for statement in context.db.dialect.after_bulk_load:
            await conn.execute(statement)
    return True


# ------------------------------------------------------------------ queue sessions

async def queue_rows(names: Names, raw: dict[str, Any]) -> bulk_load.QueueRows:
    """An `ingest.acd_sessions` record as its row and its events' rows."""
    tenant_id = await names.tenant(raw.get("tenant"), "tenant")
    values = queue_session_values(raw, tenant_id, content_hash(raw), FROM_TEXT)
    return (raw["acd_session_history_id"], *_ACD_VALUES(values)), event_rows(raw, FROM_TEXT)


async def load_queue_sessions(context: Context, records: Iterable[dict[str, Any]],
                              advance: Advance = lambda n: None,
                              per_transaction: int = PER_TRANSACTION) -> Stored:
    """Store `ingest.acd_sessions` records (new queue sessions only) with their events."""
    names = _names(context)
    stored = Stored()

    async def write(rows: list[bulk_load.QueueRows]) -> None:
        async with context.db.transaction() as conn:
            new = await bulk_load.insert_queue_sessions(conn, rows)
        stored.accepted += new
        stored.unchanged += len(rows) - new
        advance(len(rows))

    with _fewer_collections():
        await _pipeline(records, lambda raw: queue_rows(names, raw), write, per_transaction)
    async with context.db.transaction() as conn:
        await _audit(conn, context, "ingest.acd_sessions", stored)
    return stored
