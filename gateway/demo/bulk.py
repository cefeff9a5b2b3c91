"""The demo's bulk path: generated records written straight into the store.

`gateway demo` stores a large data set (`--calls` above `command.BULK_ABOVE`) this way
instead of through `ingest.sessions` and `ingest.acd_sessions`: the records are the same
ones the generators make for the ingest path, and each becomes exactly the rows ingest
would store for it (tests/test_bulk.py compares both stores row for row, ids included):
the same session values and content hash, `term_leg` chosen as ingest chooses it, legs
with their destination resolved in their code deck (longest prefix), amounts as integer
millionths, reference objects created or renamed as ingest does (owned by the tenant that
names them first).

What it leaves out is what generated records do not need: validation (the generators
make valid records; tests/test_demo.py sends them through ingest), the state rules of an
update (a bulk load only adds: a session or queue session already stored is left as it
is, so a second run with the same seed changes nothing and an interrupted one can be run
again to finish), and the summaries' upkeep per batch: they are rebuilt once, in one
pass, when the load ends (`summaries.rebuild`). Until then a server reading the same store
answers `aggregate_get` from summaries that lack the new calls; a load cut short marks
the store so that the next run rebuilds them even when it has nothing left to add.

Rows go in by multi-row INSERTs, many thousands of sessions per transaction, through the
`Backend` interface (SQLite and PostgreSQL alike). The work is spread over the machine's
cores: the generators run in a process of their own (`generated`), and the records of
the next transaction are converted while the database writes the last ones.
"""

from __future__ import annotations

import asyncio
import calendar
import datetime as dt
import gc
import itertools
import multiprocessing
import queue as queue_module
import re
import traceback
from contextlib import asynccontextmanager, contextmanager, suppress
from decimal import Decimal
from operator import itemgetter
from typing import (Any, AsyncIterator, Awaitable, Callable, Coroutine, Iterable, Iterator,
                    Sequence, TypeVar)

from gateway import clock, money
from gateway.context import Context
from gateway.demo.outcome import Stored
from gateway.storage import Connection, code_decks, references, summaries
from gateway.storage import audit as audit_store
from gateway.storage import ledgers as ledger_store
from gateway.storage import sessions as session_store
from gateway.storage import tenants as tenant_store
from methods.ingest.batch import content_hash
from methods.ingest.sessions import reported_term_leg, state_of

# Sessions (and queue sessions) per transaction: a few seconds of writing each.
PER_TRANSACTION = 20_000
# Bound parameters per statement, under both engines' limits (as the ingest path's).
MAX_PARAMS = session_store.MAX_PARAMS
LOOKUP = 500  # ids per query that looks for the stored ones
YIELD_EVERY = 50  # records converted between two steps of the write under way
PER_MESSAGE, QUEUED = 1000, 8  # records per message from the generator's process, messages
CACHE_MIB = 512  # SQLite's page cache for the writer during a bulk load (`_page_cache`)
# A settings row present while summaries lag behind the sessions a bulk load added.
SUMMARIES_PENDING = "demo.bulk.summaries_pending"

Advance = Callable[[int], None]
Key = tuple[int, str]  # (tenant id, session id from the source)

_SESSION_INSERT_COLUMNS = ("tenant_id", "source_id", *session_store.SESSION_COLUMNS)
_LEG_INSERT_COLUMNS = ("session_id", "leg_id", *session_store.LEG_COLUMNS)
_RECORD_INSERT_COLUMNS = ("id", *session_store.RECORD_COLUMNS)
_RESOURCE_INSERT_COLUMNS = ("id", *session_store.RESOURCE_COLUMNS)
_ACD_INSERT_COLUMNS = ("id", *ledger_store.ACD_COLUMNS)
_EVENT_INSERT_COLUMNS = ("id", *ledger_store.EVENT_COLUMNS)
_SESSION_VALUES = itemgetter(*session_store.SESSION_COLUMNS)
_LEG_VALUES = itemgetter(*session_store.LEG_COLUMNS)
# Session fields copied as sent (the rest are computed).
_SESSION_TEXT = ("rule_name", "custom_data", "room_id", "meeting_id", "app_type",
                 "audio_quality", "finish_reason", "initiator_address",
                 "media_server_address", "log_file_url")
_ACD_COPIED = ("acd_request_id", "acd_queue_id", "user_id", "waiting_duration",
               "in_service_duration", "after_service_duration")


class BulkError(RuntimeError):
    """A record the bulk path cannot store (one that ingest would refuse)."""


# ------------------------------------------------------------------ values as ingest loads them

_RFC3339_UTC = re.compile(r"([0-9]{4})-([0-9]{2})-([0-9]{2})T([0-9]{2}):([0-9]{2}):([0-9]{2})Z")
_DAYS: dict[str, int] = {}
_SECONDS: dict[str, int] = {}  # recent timestamps: a call's legs repeat its times
_SECONDS_KEPT = 100_000


def _parse(text: str) -> int:
    match = _RFC3339_UTC.fullmatch(text)
    if match is not None:
        day = _DAYS.get(text[:10])
        if day is None:
            try:
                dt.date(int(match[1]), int(match[2]), int(match[3]))
            except ValueError:
                return clock.parse_rfc3339(text)  # its error
            day = _DAYS[text[:10]] = calendar.timegm(
                (int(match[1]), int(match[2]), int(match[3]), 0, 0, 0))
        hour, minute, second = int(match[4]), int(match[5]), int(match[6])
        if hour < 24 and minute < 60 and second < 60:
            return day + hour * 3600 + minute * 60 + second
    return clock.parse_rfc3339(text)


def seconds(text: str | None) -> int | None:
    """An RFC 3339 timestamp as Unix seconds, as ingest loads it (the generators' own
    form, `YYYY-MM-DDTHH:MM:SSZ`, without the general parser)."""
    if text is None:
        return None
    found = _SECONDS.get(text)
    if found is None:
        found = _parse(text)
        if len(_SECONDS) >= _SECONDS_KEPT:
            _SECONDS.clear()
        _SECONDS[text] = found
    return found


def micros(text: str | None) -> int | None:
    return None if text is None else money.to_micros(text)


def currency(code: str | None) -> str | None:
    return None if code is None else money.check_currency(code.upper())


def flag(value: bool | None) -> int | None:
    return None if value is None else int(value)


def _marks(count: int) -> str:
    return "(" + ", ".join("?" * count) + ")"


async def _insert(conn: Connection, table: str, columns: Sequence[str],
                  rows: Sequence[Sequence[Any]], tail: str = "") -> list[dict[str, Any]]:
    """Multi-row INSERTs of `rows`; what `tail` (e.g. a RETURNING clause) returns."""
    per_statement = MAX_PARAMS // len(columns)
    head = f"INSERT INTO {table} ({', '.join(columns)}) VALUES "
    mark = _marks(len(columns))
    out: list[dict[str, Any]] = []
    for first in range(0, len(rows), per_statement):
        chunk = rows[first:first + per_statement]
        sql = head + ", ".join(itertools.repeat(mark, len(chunk))) + tail
        params = [value for row in chunk for value in row]
        if tail and "RETURNING" in tail:
            out += await conn.fetch_all(sql, params)
        else:
            await conn.execute(sql, params)
    return out


# ------------------------------------------------------------------ what the records name

class Names:
    """Tenants, reference objects and code decks the records name, read from the store
    once and kept; reference objects created or changed since the last `write`."""

    def __init__(self, context: Context, default_deck: int | None) -> None:
        self.db = context.db
        self.caller = context.caller
        self.default_deck = default_deck
        self._tenants: dict[str, int] = {}
        self._paths: dict[int, str] = {}
        # (table, id) -> [owner tenant id, {column: latest value sent, None when never},
        # the values the last record naming it sent]
        self._refs: dict[tuple[str, int], list[Any]] = {}
        self._changed: set[tuple[str, int]] = set()
        self._decks: dict[int, tuple[dict[str, tuple[str, str, str | None]], int]] = {}

    async def tenant(self, name: str | None) -> int:
        """The id of the tenant called `name` inside the caller's scope (None: the
        caller's own)."""
        if name is None:
            return self.caller.tenant_id
        found = self._tenants.get(name)
        if found is None:
            row = await tenant_store.by_name_in_scope(self.db, name, self.caller.scope)
            if row is None:
                raise BulkError(f'Object "tenants({name})" was not found!')
            found = self._tenants[name] = int(row["id"])
            self._paths[found] = str(row["path"])
        return found

    async def _in_scope(self, tenant_id: int) -> bool:
        if tenant_id not in self._paths:
            row = await tenant_store.by_id(self.db, tenant_id)
            self._paths[tenant_id] = "" if row is None else str(row["path"])
        path = self._paths[tenant_id]
        return bool(path) and path.startswith(self.caller.scope)

    async def owner(self, table: str, object_id: int) -> int | None:
        known = self._refs.get((table, object_id))
        if known is not None:
            return int(known[0])
        return await references.owner(self.db, table, object_id)

    async def reference(self, table: str, ref: dict[str, Any] | None, tenant_id: int,
                        extra: tuple[Any, ...] = ()) -> int | None:
        """The id of a reference object a record carries (`extra`: the values of its
        table's other columns, `references.TABLES`); noted for creation (owned by
        `tenant_id` unless it exists) or renaming, as ingest's `Batch.reference`."""
        if ref is None:
            return None
        object_id = int(ref["id"])
        key = (table, object_id)
        stamp = (ref.get("name"), *extra)
        known = self._refs.get(key)
        if known is not None and known[2] == stamp:
            return object_id
        if known is None:
            owner = await references.owner(self.db, table, object_id)
            if owner is not None and not await self._in_scope(owner):
                raise BulkError(f'Object "{table}({object_id})" was not found!')
            known = self._refs[key] = [owner or tenant_id, {}, None]
        kept = known[1]
        for column, value in zip(("name", *references.TABLES[table]), stamp):
            # The store keeps a value a later record leaves out (COALESCE in the upsert).
            if value is not None or column not in kept:
                kept[column] = value if value is not None else kept.get(column)
        known[2] = stamp
        self._changed.add(key)
        return object_id

    def changes(self) -> list[tuple[str, int, int, dict[str, Any]]]:
        """The reference objects to create or update for the records converted since the
        last call: (table, id, owner, values)."""
        out = [(table, object_id, self._refs[(table, object_id)][0],
                dict(self._refs[(table, object_id)][1]))
               for table, object_id in sorted(self._changed)]
        self._changed.clear()
        return out

    async def destination(self, deck: int,
                          number: str) -> tuple[str, str, str | None] | None:
        """(prefix, name, country) of the longest prefix of `number` in the deck."""
        codes = self._decks.get(deck)
        if codes is None:
            rows = await self.db.fetch_all(
                "SELECT prefix, name, country FROM code_deck_codes WHERE code_deck_id = ?",
                (deck,))
            table = {str(r["prefix"]): (str(r["prefix"]), str(r["name"]), r["country"])
                     for r in rows}
            codes = self._decks[deck] = (table, max(map(len, table), default=0))
        table, longest = codes
        # code_decks.candidates(number), longest first, only as long as the deck's codes
        digits = number if number.isdigit() else "".join(c for c in number if c.isdigit())
        for n in range(min(len(digits), longest, code_decks.MAX_PREFIX), 0, -1):
            found = table.get(digits[:n])
            if found is not None:
                return found
        return None


# ------------------------------------------------------------------ sessions

class SessionRows:
    """One session record as the rows ingest stores for it."""

    __slots__ = ("key", "session", "legs", "recordings", "resources")

    def __init__(self, key: Key, session: tuple[Any, ...], legs: list[tuple[Any, ...]],
                 recordings: list[tuple[Any, ...]], resources: list[tuple[Any, ...]]) -> None:
        self.key = key
        self.session = session
        self.legs = legs  # without the session id (the first column), known once inserted
        self.recordings = recordings  # (id, then the columns after session_id)
        self.resources = resources


async def session_rows(names: Names, raw: dict[str, Any]) -> SessionRows:
    """The rows of a session record, as `methods.ingest.sessions.SessionWriter` makes
    them from the record ingest's schema loads."""
    tenant_id = await names.tenant(raw.get("tenant"))
    setup = seconds(raw["setup_time"])
    # Reference objects are named in ingest's order (the first to name one owns it).
    equipment = await names.reference("equipment", raw.get("equipment"), tenant_id)
    application = await names.reference("applications", raw.get("application"), tenant_id)
    legs = [await _leg(names, leg, i, tenant_id, setup) for i, leg in enumerate(raw["legs"])]
    times = {"start_time": seconds(raw.get("start_time")),
             "end_time": seconds(raw.get("end_time"))}
    values: dict[str, Any] = {c: raw.get(c) for c in _SESSION_TEXT}
    values.update(
        times, kind=raw.get("kind", "call"), state=state_of(times), seq=raw.get("seq"),
        content_hash=content_hash(raw), setup_time=setup, term_leg=reported_term_leg(legs),
        equipment_id=equipment, application_id=application)
    key = (tenant_id, raw["session_id"])
    recordings = [(
        r["record_id"], tenant_id, r.get("url"), r.get("name"), seconds(r.get("start_time")),
        r.get("duration"), r.get("file_size"), micros(r.get("cost")), r.get("transcription_url"),
        r.get("transcription_status")) for r in raw.get("records", ())]
    resources = [(
        r["resource_usage_id"], tenant_id, r["resource_type"],
        None if r.get("quantity") is None else str(Decimal(str(r["quantity"]))),
        r.get("unit"), micros(r.get("cost")), r.get("description"), seconds(r.get("used_at")),
        r.get("ref_leg_id")) for r in raw.get("resources", ())]
    return SessionRows(
        key, (*key, *_SESSION_VALUES(values)),
        [(leg["leg_id"], *_LEG_VALUES(leg)) for leg in legs],
        recordings, resources)


async def _leg(names: Names, leg: dict[str, Any], position: int, session_tenant: int,
               session_setup: int | None) -> dict[str, Any]:
    client = leg.get("client")
    leg_tenant = session_tenant
    if client is not None:
        if client.get("tenant") is not None:
            leg_tenant = await names.tenant(client["tenant"])
        else:
            leg_tenant = await names.owner("clients", int(client["id"])) or session_tenant
    client_id = await names.reference("clients", client, leg_tenant)
    account = leg.get("account")
    account_id = await names.reference("accounts", account, leg_tenant,
                                       (client_id, account and account.get("ident")))
    deck = leg.get("code_deck_id") or names.default_deck
    dst, role = leg.get("dst"), leg["role"]
    destination = None
    if deck is not None and dst and role != "participant":
        destination = await names.destination(deck, dst)
    dst_code, dst_name, dst_country = destination or (None, None, None)
    setup, incoming = seconds(leg.get("setup_time")), leg.get("incoming")
    get = leg.get
    return {
        "leg_id": leg["leg_id"], "role": role, "position": position, "tenant_id": leg_tenant,
        "src": get("src"), "dst": dst, "incoming": None if incoming is None else int(incoming),
        "client_id": client_id, "account_id": account_id,
        "owner_user_id": await names.reference("users", get("owner_user"), leg_tenant),
        "user_id": await names.reference("users", get("user"), leg_tenant),
        "rates_code": get("rates_code"), "code_deck_id": deck, "dst_code": dst_code,
        "dst_name": dst_name, "dst_country": dst_country,
        "setup_time": setup if setup is not None else session_setup,
        "start_time": seconds(get("start_time")), "end_time": seconds(get("end_time")),
        "billsec": get("billsec"), "real_billsec": get("real_billsec"),
        "disposition": get("disposition"), "hangup_cause": get("hangup_cause"),
        "pdd_ms": get("pdd_ms"), "amount": micros(get("amount")),
        "reseller_amount": micros(get("reseller_amount")), "currency": currency(get("currency")),
        "name": get("name"), "participant_role": get("participant_role"), "ip": get("ip"),
        "agent": get("agent"), "call_num": get("call_num"), "call_log_id": get("call_log_id"),
        "user_ref": get("user_ref")}


async def _stored_sessions(conn: Connection, keys: Sequence[Key]) -> set[Key]:
    by_tenant: dict[int, list[str]] = {}
    for tenant_id, source_id in keys:
        by_tenant.setdefault(tenant_id, []).append(source_id)
    found: set[Key] = set()
    for tenant_id, source_ids in by_tenant.items():
        for first in range(0, len(source_ids), LOOKUP):
            chunk = source_ids[first:first + LOOKUP]
            found.update((tenant_id, str(r["source_id"])) for r in await conn.fetch_all(
                f"SELECT source_id FROM sessions WHERE tenant_id = ? AND source_id IN "
                f"{_marks(len(chunk))}", (tenant_id, *chunk)))
    return found


async def write_references(conn: Connection,
                           changes: Sequence[tuple[str, int, int, dict[str, Any]]]) -> None:
    for table, object_id, owner, values in changes:
        await references.upsert(conn, table, object_id, owner, values)


async def write_sessions(conn: Connection, rows: Sequence[SessionRows],
                         engine: str = "sqlite") -> int:
    """Write the sessions not stored yet, with their legs, recordings and resource
    usages; how many were new."""
    # Sessions stored already are left out before inserting (not merely skipped by the
    # ON CONFLICT clause): on PostgreSQL a skipped row would still take an id.
    stored = await _stored_sessions(conn, [r.key for r in rows])
    fresh = [r for r in rows if r.key not in stored]
    if engine == "sqlite":
        # The ids SQLite would give (the largest so far plus one, in order), given here:
        # reading them back by RETURNING steps the statement once per row, each step a
        # trip for the GIL, which the conversion of the next records holds.
        last = await conn.fetch_one("SELECT COALESCE(MAX(id), 0) AS id FROM sessions")
        assert last is not None
        ids = {r.key: int(last["id"]) + n for n, r in enumerate(fresh, 1)}
        await _insert(conn, "sessions", ("id", *_SESSION_INSERT_COLUMNS),
                      [(ids[r.key], *r.session) for r in fresh])
    else:
        inserted = await _insert(
            conn, "sessions", _SESSION_INSERT_COLUMNS, [r.session for r in fresh],
            " ON CONFLICT (tenant_id, source_id) DO NOTHING RETURNING id, tenant_id, source_id")
        ids = {(int(r["tenant_id"]), str(r["source_id"])): int(r["id"]) for r in inserted}
    new = [(ids[r.key], r) for r in fresh if r.key in ids]
    await _insert(conn, "legs", _LEG_INSERT_COLUMNS,
                  [(session_id, *leg) for session_id, r in new for leg in r.legs])
    await _insert(conn, "records", _RECORD_INSERT_COLUMNS,
                  [(item[0], session_id, *item[1:]) for session_id, r in new
                   for item in r.recordings])
    await _insert(conn, "resource_usage", _RESOURCE_INSERT_COLUMNS,
                  [(item[0], session_id, *item[1:]) for session_id, r in new
                   for item in r.resources])
    return len(new)


async def _mark_pending(conn: Connection) -> None:
    await conn.execute("INSERT INTO settings (name, value) VALUES (?, '1') "
                       "ON CONFLICT (name) DO NOTHING", (SUMMARIES_PENDING,))


async def _audit(conn: Connection, context: Context, method: str, records: int,
                 stored: Stored) -> None:
    caller = context.caller
    await audit_store.append(
        conn, tenant_id=caller.tenant_id, key_id=caller.key_id, role=caller.role,
        ip=caller.ip, method=method, requested=int(clock.now().timestamp()),
        args={"records": records, "bulk": True},
        result={"accepted": stored.accepted, "unchanged": stored.unchanged, "rejected": 0})


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


@asynccontextmanager
async def _page_cache(context: Context) -> AsyncIterator[None]:
    """On SQLite, a page cache for the writer as large as `CACHE_MIB` while the bulk load
    lasts: the sessions' unique index (tenant, source id) takes rows at random places,
    and with the default 2 MB cache each transaction rereads and rewrites most of it
    (the load slowed from 6,300 to 4,000 sessions/s over its first million; with the
    larger cache it holds its rate). The process's memory grows by as much."""
    if context.db.engine != "sqlite":
        yield
        return
    async with context.db.transaction() as conn:
        row = await conn.fetch_one("PRAGMA cache_size")
        await conn.execute(f"PRAGMA cache_size = -{CACHE_MIB * 1024}")
    try:
        yield
    finally:
        if row is not None:
            async with context.db.transaction() as conn:
                await conn.execute(f"PRAGMA cache_size = {int(row['cache_size'])}")


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


async def load_sessions(context: Context, records: Iterable[dict[str, Any]],
                        advance: Advance = lambda n: None,
                        per_transaction: int = PER_TRANSACTION) -> Stored:
    """Store `ingest.sessions` records (new sessions only), `per_transaction` at a time.
    The summaries are left to `rebuild_summaries`."""
    names = Names(context, context.config.default_code_deck_id)
    stored = Stored()

    async def write(rows: list[SessionRows], refs: list[Any]) -> None:
        async with context.db.transaction() as conn:
            await write_references(conn, refs)
            new = await write_sessions(conn, rows, context.db.engine)
            if new:
                await _mark_pending(conn)
        stored.accepted += new
        stored.unchanged += len(rows) - new
        advance(len(rows))

    async with _page_cache(context):
        with _fewer_collections():
            await _pipeline(records, lambda raw: session_rows(names, raw),
                            lambda rows: write(rows, names.changes()), per_transaction)
    async with context.db.transaction() as conn:
        await _audit(conn, context, "ingest.sessions", stored.records, stored)
    return stored


async def rebuild_summaries(context: Context, always: bool = False) -> bool:
    """Rebuild the call summaries in one pass when a bulk load added calls since they
    were last rebuilt (or `always`); whether it did."""
    marked = await context.db.fetch_one("SELECT value FROM settings WHERE name = ?",
                                        (SUMMARIES_PENDING,))
    if marked is None and not always:
        return False
    async with context.db.transaction() as conn:
        await summaries.rebuild(conn)
        await conn.execute("DELETE FROM settings WHERE name = ?", (SUMMARIES_PENDING,))
    return True


# ------------------------------------------------------------------ the generator's process

class _Failed:
    """What the generator's process sends when the generator raised."""

    def __init__(self, text: str) -> None:
        self.text = text


def _produce(make: Callable[..., Iterable[dict[str, Any]]], args: tuple[Any, ...],
             queue: Any, size: int) -> None:
    """The child's work: the records of `make(*args)`, `size` to a message, then None."""
    gc.set_threshold(50_000, *gc.get_threshold()[1:])
    try:
        records = iter(make(*args))
        while batch := list(itertools.islice(records, size)):
            queue.put(batch)
    except BaseException:
        queue.put(_Failed(traceback.format_exc()))
        raise
    queue.put(None)


def generated(make: Callable[..., Iterable[dict[str, Any]]],
              *args: Any) -> Iterator[dict[str, Any]]:
    """The records of `make(*args)` (a demo generator), made in a process of their own so
    that generating them goes on while this one converts and writes the last ones: the
    generators cost about as much as the rest of a bulk load together."""
    context = multiprocessing.get_context("spawn")  # no copy of this process's threads
    queue = context.Queue(maxsize=QUEUED)
    process = context.Process(target=_produce, args=(make, args, queue, PER_MESSAGE),
                              name="gateway-demo-generator", daemon=True)
    process.start()
    try:
        while True:
            try:
                batch = queue.get(timeout=1)
            except queue_module.Empty:
                if not process.is_alive():
                    raise BulkError("the generator's process ended without its records "
                                    f"(exit code {process.exitcode})") from None
                continue
            if batch is None:
                break
            if isinstance(batch, _Failed):
                raise BulkError(f"the generator failed:\n{batch.text}")
            yield from batch
        process.join()
    finally:
        if process.is_alive():
            process.terminate()
            process.join()
        queue.close()
        queue.cancel_join_thread()


# ------------------------------------------------------------------ queue sessions

async def queue_rows(names: Names,
                     raw: dict[str, Any]) -> tuple[tuple[Any, ...], list[tuple[Any, ...]]]:
    """An `ingest.acd_sessions` record as its row and its events' rows (without the
    queue session's id, their second column)."""
    tenant_id = await names.tenant(raw.get("tenant"))
    values: dict[str, Any] = {c: raw.get(c) for c in _ACD_COPIED}
    values.update(
        tenant_id=tenant_id, begin_time=seconds(raw["begin_time"]),
        priority=raw.get("priority", 0), operator_hangup=flag(raw.get("operator_hangup")),
        unserviced=flag(raw.get("unserviced")), rejected=flag(raw.get("rejected")),
        content_hash=content_hash(raw))
    events = [(e["acd_session_event_id"], seconds(e["time"]), e["type"], e.get("user_id"),
               e.get("custom_data")) for e in raw.get("events", ())]
    return (raw["acd_session_history_id"], *(values[c] for c in ledger_store.ACD_COLUMNS)), \
        events


async def load_queue_sessions(context: Context, records: Iterable[dict[str, Any]],
                              advance: Advance = lambda n: None,
                              per_transaction: int = PER_TRANSACTION) -> Stored:
    """Store `ingest.acd_sessions` records (new queue sessions only) with their events."""
    names = Names(context, None)
    stored = Stored()
    Rows = tuple[tuple[Any, ...], list[tuple[Any, ...]]]

    async def write(rows: list[Rows]) -> None:
        async with context.db.transaction() as conn:
            known = await _stored_ids(conn, "acd_sessions", [row[0] for row, _ in rows])
            new = {row[0] for row, _ in rows if row[0] not in known}
            await _insert(conn, "acd_sessions", _ACD_INSERT_COLUMNS,
                          [row for row, _ in rows if row[0] in new])
            await _insert(conn, "acd_session_events", _EVENT_INSERT_COLUMNS, [
                (event[0], row[0], *event[1:]) for row, events in rows if row[0] in new
                for event in events])
        stored.accepted += len(new)
        stored.unchanged += len(rows) - len(new)
        advance(len(rows))

    with _fewer_collections():
        await _pipeline(records, lambda raw: queue_rows(names, raw), write, per_transaction)
    async with context.db.transaction() as conn:
        await _audit(conn, context, "ingest.acd_sessions", stored.records, stored)
    return stored


async def _stored_ids(conn: Connection, table: str, ids: Sequence[int]) -> set[int]:
    found: set[int] = set()
    for first in range(0, len(ids), LOOKUP):
        chunk = ids[first:first + LOOKUP]
        found.update(int(r["id"]) for r in await conn.fetch_all(
            f"SELECT id FROM {table} WHERE id IN {_marks(len(chunk))}", chunk))
    return found
