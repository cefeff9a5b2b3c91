"""The large tables partitioned by month on PostgreSQL (migration 0015, docs/scaling.md):
the schema rules a distributed store (Citus) needs, read from the catalog; each row in
its month's partition; a month made while its rows wait in the DEFAULT partition, by two
writers at once, or late; batches of two processes updating the same calls at once; plans
of one day that read one month; and retention, which takes exactly the months before one
out of every report, on both engines."""

from __future__ import annotations

import asyncio
import calendar
import contextlib
import datetime as dt
import json
import logging
from pathlib import Path
from typing import Any, AsyncIterator

import asyncpg
import pytest
from conftest import ENGINES, database_url, make_config

from gateway.__main__ import _parser
from gateway.query import run as query_run
from gateway.storage import Backend, WriteConflict, backend_for, migrations, partitions, sessions
from gateway.storage.partitions import LARGE, NAMES
from gateway.storage.session_rows import ENDED
from gateway.tools import retention
from gateway.tools.commands import as_root
from methods.ingest.sessions import ingest
from gateway.web import appkeys

PG = pytest.mark.parametrize("engine", ["postgresql"], indirect=True)
# Every other table: small, a reference table of a distributed store (docs/scaling.md).
SMALL = {"tenants", "api_keys", "settings", "clients", "accounts", "users", "equipment",
         "applications", "code_decks", "code_deck_codes", "currency_rates", "transactions",
         "acd_sessions", "acd_session_events", "history_reports", "imports", "import_lines",
         "schema_migrations"}
MONTHS = (202501, 202502, 202503)


def at(month: int, day: int, hour: int = 0) -> int:
    return calendar.timegm((month // 100, month % 100, day, hour, 0, 0))


def iso(seconds: int) -> str:
    return dt.datetime.fromtimestamp(seconds, dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def ended(session_id: str, setup: int, record_id: int) -> dict[str, Any]:
    """An answered call of 60 s with a charged attempt, a recording and a resource usage."""
    start, end = iso(setup + 5), iso(setup + 65)
    return {"session_id": session_id, "setup_time": iso(setup), "start_time": start,
            "end_time": end,
            "legs": [{"leg_id": "o", "role": "orig", "src": "37052000111",
                      "dst": "37061234567", "client": {"id": 501, "name": "Baltic Taxi"},
                      "start_time": start, "end_time": end, "billsec": 60,
                      "disposition": "ANSWERED", "amount": "0.50", "currency": "USD"},
                     {"leg_id": "t", "role": "term", "dst": "37061234567",
                      "client": {"id": 900, "name": "Carrier A"}, "start_time": start,
                      "end_time": end, "billsec": 60, "disposition": "ANSWERED",
                      "amount": "0.20", "currency": "USD"}],
            "records": [{"record_id": record_id, "url": f"https://rec.example/{record_id}.mp3",
                         "start_time": start, "duration": 60, "cost": "0.01"}],
            "resources": [{"resource_usage_id": record_id, "resource_type": "ASR",
                           "quantity": "1", "cost": "0.02", "used_at": end}]}


CALLS = [ended(f"c{month}-{n}", at(month, 3 + n, 10), month * 10 + n)
         for month in MONTHS for n in range(2)]


@pytest.fixture
async def db(tmp_path: Path) -> AsyncIterator[Backend]:
    backend = backend_for(database_url(tmp_path))
    await backend.open()
    await _root(backend)
    yield backend
    await backend.close()


async def _root(db: Backend) -> None:
    """The root tenant, which the app makes in an empty store (the rows below are its)."""
    await db.execute("INSERT INTO tenants (id, name, path, created_at) "
                     "VALUES (1, 'root', '/1/', '') ON CONFLICT DO NOTHING")


@pytest.fixture
async def stored(rpc: Any, ingest_key: str) -> None:
    response = await rpc("ingest.sessions", {"records": CALLS}, key=ingest_key)
    assert response["result"]["accepted"] == len(CALLS), response


def month_of_key(table: str, value: int) -> int:
    return partitions.month_of(value) if partitions.BY_NAME[table].by_time else value


# --- the catalog -------------------------------------------------------------------------

async def _columns_of(db: Backend, index_or_constraint_sql: str, table: str) -> list[set[str]]:
    rows = await db.fetch_all(index_or_constraint_sql, (table,))
    return [set(r["columns"]) for r in rows]


UNIQUE_INDEXES = (
    "SELECT array_agg(a.attname) AS columns FROM pg_index i "
    "CROSS JOIN LATERAL unnest(i.indkey) AS k (attnum) "
    "JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = k.attnum "
    "WHERE i.indrelid = to_regclass(?) AND i.indisunique GROUP BY i.indexrelid")
UNIQUE_CONSTRAINTS = (
    "SELECT array_agg(a.attname) AS columns FROM pg_constraint c "
    "CROSS JOIN LATERAL unnest(c.conkey) AS k (attnum) "
    "JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = k.attnum "
    "WHERE c.conrelid = to_regclass(?) AND c.contype IN ('p', 'u') GROUP BY c.oid")


@PG
async def test_the_large_tables_follow_the_rules_of_a_distributed_store(db: Backend) -> None:
    """Each large table is partitioned by range of its month, has its tenant column (not
    null), holds both in every uniqueness rule, and no foreign key points at a large table
    (from a large or a small one); the other tables are small, none partitioned."""
    await _follows_the_rules(db)


async def _follows_the_rules(db: Backend) -> None:
    keys = {r["name"]: (r["strategy"], r["columns"]) for r in await db.fetch_all(
        "SELECT p.partrelid::regclass::text AS name, CAST(p.partstrat AS TEXT) AS strategy, "
        "array_agg(a.attname) AS columns FROM pg_partitioned_table p "
        "CROSS JOIN LATERAL unnest(p.partattrs) AS k (attnum) "
        "JOIN pg_attribute a ON a.attrelid = p.partrelid AND a.attnum = k.attnum "
        "GROUP BY 1, 2")}
    assert keys == {spec.name: ("r", [spec.key]) for spec in LARGE}
    tables = {r["table_name"] for r in await db.fetch_all(
        "SELECT c.relname AS table_name FROM pg_class c WHERE c.relkind IN ('r', 'p') "
        "AND c.relnamespace = CAST(current_schema() AS regnamespace) AND NOT c.relispartition")}
    assert tables == set(NAMES) | SMALL
    for spec in LARGE:
        (column,) = await db.fetch_all(
            "SELECT is_nullable FROM information_schema.columns WHERE table_schema = "
            "current_schema() AND table_name = ? AND column_name = ?", (spec.name, spec.tenant))
        assert column["is_nullable"] == "NO", spec.name
        rules = (await _columns_of(db, UNIQUE_INDEXES, spec.name)
                 + await _columns_of(db, UNIQUE_CONSTRAINTS, spec.name))
        assert rules or spec.name == "call_figures", spec.name  # a call's rows have no key
        for rule in rules:
            assert {spec.tenant, spec.key} <= rule, (spec.name, rule)
        bounds = {r["name"]: r["bound"] for r in await db.fetch_all(
            "SELECT c.relname AS name, pg_get_expr(c.relpartbound, c.oid) AS bound "
            "FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid "
            "WHERE i.inhparent = to_regclass(?)", (spec.name,))}
        assert bounds.pop(partitions.default(spec.name)) == "DEFAULT"
        assert bounds, spec.name  # the current and the next month, made ahead
        for name, bound in bounds.items():
            month = int(name[-7:-3]) * 100 + int(name[-2:])
            assert name == partitions.partition(spec.name, month)
            low, high = partitions.bounds(spec.name, month)
            # (bounds of a BIGINT key are written quoted)
            assert bound.replace("'", "") == f"FOR VALUES FROM ({low}) TO ({high})", name
    references = await db.fetch_all(
        "SELECT c.conrelid::regclass::text AS source, c.confrelid::regclass::text AS target "
        "FROM pg_constraint c JOIN pg_class r ON r.oid = c.conrelid "
        "WHERE c.contype = 'f' AND NOT r.relispartition")
    assert references  # the large tables keep theirs to the tenants
    assert [r for r in references if r["target"] in NAMES] == []
    assert {r["target"] for r in references} <= SMALL


# Every table in an order that copies each row after the rows it refers to.
COPY_ORDER = ("tenants", "api_keys", "settings", "clients", "accounts", "users", "equipment",
              "applications", "code_decks", "code_deck_codes", "currency_rates", "sessions",
              "legs", "session_leg_paths", "records", "resource_usage", "transactions",
              "acd_sessions", "acd_session_events", "audit_log", "call_summaries",
              "call_figures", "history_reports", "imports", "import_lines")


async def _every_row(db: Backend) -> dict[str, list[tuple[Any, ...]]]:
    out = {}
    for table in COPY_ORDER:
        out[table] = sorted((tuple(r.values()) for r in await db.fetch_all(
            f"SELECT * FROM {table}")), key=repr)
    return out


@PG
async def test_the_migration_keeps_every_row_of_a_populated_store(
        client: Any, stored: None, request: pytest.FixtureRequest) -> None:
    """A store as version 0014 left it (unpartitioned), holding the rows the gateway wrote
    into the store of this test: migration 0015 keeps every row of every table, puts each
    in its month, follows the rules above, and the ids go on after the largest."""
    source = client.app[appkeys.DB]
    assert set(COPY_ORDER) == set(NAMES) | SMALL - {"schema_migrations"}
    databases = request.getfixturevalue("postgres")
    name = databases.create()
    try:
        url = databases.dsn(name)
        raw = await asyncpg.connect(url)
        try:
            await raw.execute("DROP SCHEMA public CASCADE; CREATE SCHEMA public")
            await raw.execute(f"CREATE TABLE {migrations.TABLE} (version TEXT PRIMARY KEY, "
                              "applied_at TEXT NOT NULL)")
            for version, sql in migrations.migration_files("postgresql"):
                if version < "0015":
                    for statement in migrations.statements(sql):
                        await raw.execute(statement)
                    await raw.execute(f"INSERT INTO {migrations.TABLE} VALUES ($1, '')", version)
            assert await raw.fetchval("SELECT COUNT(*) FROM pg_partitioned_table") == 0
            for table in COPY_ORDER:
                rows = await source.fetch_all(f"SELECT * FROM {table}")
                if rows:
                    await raw.copy_records_to_table(table, columns=list(rows[0]),
                                                    records=[tuple(r.values()) for r in rows])
        finally:
            await raw.close()
        migrated = backend_for(url)
        await migrated.open()
        try:
            assert await _every_row(migrated) == await _every_row(source)
            await _follows_the_rules(migrated)
            await _each_row_in_its_month(migrated)
            for table in ("sessions", "legs", "audit_log"):
                row = await migrated.fetch_one(
                    f"SELECT MAX(id) AS top, nextval(pg_get_serial_sequence(?, 'id')) AS next "
                    f"FROM {table}", (table,))
                assert row is not None and row["next"] > row["top"], table
        finally:
            await migrated.close()
    finally:
        databases.drop(name)


# --- rows and their months ----------------------------------------------------------------

@PG
async def test_rows_of_several_months_land_in_their_months_partitions(
        client: Any, stored: None) -> None:
    db = client.app[appkeys.DB]
    await _each_row_in_its_month(db)
    months = {int(r["setup_month"]) for r in await db.fetch_all(
        "SELECT setup_month FROM sessions")}
    assert months == set(MONTHS)


async def _each_row_in_its_month(db: Backend) -> None:
    for spec in LARGE:
        rows = await db.fetch_all(
            f"SELECT tableoid::regclass::text AS part, {spec.key} AS key FROM {spec.name}")
        assert rows, spec.name
        for row in rows:
            assert row["part"] == partitions.partition(
                spec.name, month_of_key(spec.name, int(row["key"]))), (spec.name, row)


@PG
async def test_a_month_is_made_with_the_rows_that_waited_in_the_default_partition(
        db: Backend) -> None:
    month, second = 203305, at(203305, 2)
    async with db.transaction() as conn:  # written without its partitions, as if too late
        await conn.execute("INSERT INTO audit_log (tenant_id, key_id, method, requested) "
                           "VALUES (1, 'k', 'm', ?)", (second,))
        await conn.execute("INSERT INTO sessions (tenant_id, source_id, kind, state, "
                           "content_hash, setup_time, setup_month) "
                           "VALUES (1, 's', 'call', 0, '', ?, ?)", (second, month))
    assert await _parts(db, "audit_log") == ["audit_log_default"]
    assert await _parts(db, "sessions") == ["sessions_default"]
    async with db.transaction() as conn:
        await partitions.ensure(conn, db.dialect, [month])
    assert await _parts(db, "audit_log") == ["audit_log_y2033m05"]
    assert await _parts(db, "sessions") == ["sessions_y2033m05"]
    assert await db.fetch_all("SELECT key_id FROM audit_log_default") == []
    for table in NAMES:  # every table's partition of the month is made
        assert await db.fetch_one("SELECT to_regclass(?) AS r",
                                  (partitions.partition(table, month),)) is not None


async def _parts(db: Backend, table: str) -> list[str]:
    return [r["part"] for r in await db.fetch_all(
        f"SELECT tableoid::regclass::text AS part FROM {table} ORDER BY 1")]


@contextlib.asynccontextmanager
async def two_processes(tmp_path: Path) -> AsyncIterator[tuple[Backend, Backend]]:
    """Two backends (pools) opened on one store that holds the root tenant, as two
    processes would have them; closed on exit."""
    url = database_url(tmp_path)
    first, second = backend_for(url), backend_for(url)
    await first.open()
    await second.open()
    try:
        await _root(first)
        yield first, second
    finally:
        await first.close()
        await second.close()


@PG
async def test_two_writers_make_a_new_month_at_once(tmp_path: Path) -> None:
    """Two processes (two pools) writing the first rows of one month at the same moment:
    one makes the partitions, the other finds them made; both rows are stored in them."""
    month = 203401
    async with two_processes(tmp_path) as (first, second):
        async def write(db: Backend, key_id: str) -> None:
            async with db.transaction() as conn:
                await partitions.ensure(conn, db.dialect, [month])
                await conn.execute("INSERT INTO audit_log (tenant_id, key_id, method, "
                                   "requested) VALUES (1, ?, 'm', ?)", (key_id, at(month, 9)))
        await asyncio.gather(write(first, "a"), write(second, "b"))
        assert await first.fetch_all(
            "SELECT tableoid::regclass::text AS part, key_id FROM audit_log ORDER BY key_id"
        ) == [{"part": "audit_log_y2034m01", "key_id": "a"},
              {"part": "audit_log_y2034m01", "key_id": "b"}]


@PG
async def test_a_writer_that_cannot_make_a_month_in_time_stores_its_rows_anyway(
        tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    """While a long read holds the sessions, a new month's partitions cannot be made: the
    write goes on (its rows wait in the DEFAULT partition) and the month is made, rows
    and all, by the next writer of that month."""
    month = 203402
    insert = ("INSERT INTO sessions (tenant_id, source_id, kind, state, content_hash, "
              "setup_time, setup_month) VALUES (1, ?, 'call', 0, '', ?, ?)")
    async with two_processes(tmp_path) as (reader, writer):
        async with reader.transaction() as held:
            await held.fetch_one("SELECT COUNT(*) AS n FROM sessions")
            with caplog.at_level(logging.WARNING, logger=partitions.__name__):
                async with writer.transaction() as conn:
                    await partitions.ensure(conn, writer.dialect, [month])
                    await conn.execute(insert, ("late", at(month, 1), month))
            assert "rows wait in the DEFAULT partitions" in caplog.text
        assert await _parts(writer, "sessions") == ["sessions_default"]
        async with writer.transaction() as conn:
            await partitions.ensure(conn, writer.dialect, [month])
            await conn.execute(insert, ("next", at(month, 2), month))
        assert await _parts(writer, "sessions") == ["sessions_y2034m02"] * 2


@PG
@pytest.mark.parametrize("moved", [False, True])
async def test_a_session_read_to_be_updated_waits_for_the_batch_updating_it(
        tmp_path: Path, moved: bool) -> None:
    """The writer reads the stored sessions it may update with `Dialect.lock_rows`: a
    second batch reading one of them waits until the first commits, then reads it as
    the first left it, or fails as a write conflict (which `ingest.sessions` runs again)
    when the first moved it to another month."""
    month, later = 203403, 203404
    async with two_processes(tmp_path) as (first, second):
        async with first.transaction() as conn:
            await partitions.ensure(conn, first.dialect, [month, later])
            await conn.execute("INSERT INTO sessions (tenant_id, source_id, kind, state, "
                               "content_hash, setup_time, setup_month) "
                               "VALUES (1, 'held', 'call', 0, '', ?, ?)", (at(month, 1), month))
        holding, release = asyncio.Event(), asyncio.Event()

        async def update() -> None:
            async with first.transaction() as conn:
                assert await sessions.find(conn, 1, "held", first.dialect.lock_rows)
                await conn.execute("UPDATE sessions SET seq = 7, setup_month = ? "
                                   "WHERE tenant_id = 1 AND source_id = 'held'",
                                   (later if moved else month,))
                holding.set()
                await release.wait()

        async def read() -> Any:
            async with second.transaction() as conn:
                return await sessions.find(conn, 1, "held", second.dialect.lock_rows)

        updating = asyncio.create_task(update())
        await holding.wait()
        reading = asyncio.create_task(read())
        await asyncio.sleep(0.3)
        assert not reading.done()  # it waits for the first batch's transaction
        release.set()
        await updating
        if moved:
            with pytest.raises(WriteConflict):
                await reading
            row = await read()  # run again
        else:
            row = await reading
        assert (row["seq"], row["setup_month"]) == (7, later if moved else month)


def _progress(call: dict[str, Any], stage: str) -> dict[str, Any]:
    """`call` as its switch sends it while it is set up, once answered, or once ended."""
    if stage == "ended":
        return call
    gone = {"end_time", "billsec", "disposition"} | ({"start_time"} if stage == "set up"
                                                     else set())
    return {**{k: v for k, v in call.items() if k not in gone},
            "legs": [{k: v for k, v in leg.items() if k not in gone} for leg in call["legs"]]}


# How much later the answering batch starts: once the ending one has read the calls. With
# no lock on that read, the answering batch read them as set up too and, waiting for the
# ending one's commit, then moved every call back to answered (seen at 10 to 100 ms).
ANSWERED_LATER_S = 0.03


@pytest.mark.parametrize("engine", ENGINES, indirect=True)
async def test_two_processes_answering_and_ending_the_same_calls_at_once_end_them(
        tmp_path: Path) -> None:
    """Two batches of the same 200 calls, one answering and one ending them, sent at once
    through two processes: each call ends up ended, its two legs stored once, as in
    either order (a batch reading a call that another is updating waits for it)."""
    calls = [ended(f"r{n}", at(MONTHS[0], 5, 10) + n, 7000 + n) for n in range(200)]
    config = make_config(tmp_path)

    ready = {"answered": asyncio.Event(), "ended": asyncio.Event()}
    go = asyncio.Event()

    async def send(stage: str) -> None:
        async def work(context: Any) -> None:
            if stage in ready:  # both processes' stores open, then both batches at once,
                ready[stage].set()  # the answering one a moment later
                await go.wait()
                await asyncio.sleep(ANSWERED_LATER_S if stage == "answered" else 0)
            result = await ingest(context, [_progress(c, stage) for c in calls])
            assert not result["rejected"], result["rejected"][:1]
        await as_root(config, work)

    async def start() -> None:
        await asyncio.gather(*(event.wait() for event in ready.values()))
        go.set()

    await send("set up")
    await asyncio.gather(send("answered"), send("ended"), start())
    db = backend_for(config.database)
    await db.open()
    try:
        assert await db.fetch_all(
            "SELECT COUNT(*) AS calls, COUNT(end_time) AS ended, SUM(state) AS states "
            "FROM sessions WHERE source_id LIKE 'r%'") == [
                {"calls": 200, "ended": 200, "states": 200 * ENDED}]
        assert await db.fetch_all(
            "SELECT COUNT(*) AS legs, COUNT(DISTINCT session_id || '/' || leg_id) AS distinct_legs "
            "FROM legs") == [{"legs": 400, "distinct_legs": 400}]
    finally:
        await db.close()


# --- plans --------------------------------------------------------------------------------

def _relations(plan: Any) -> set[str]:
    found = {plan["Relation Name"]} if "Relation Name" in plan else set()
    for child in plan.get("Plans", []):
        found |= _relations(child)
    return found


@PG
@pytest.mark.parametrize("params", [
    {"group_by_day": 1},  # from the summaries
    {"a_dst": "3706%"},  # from the calls' rows (a number prefix)
    {"s_duration": 1},  # from the calls' rows (a minimum duration)
])
async def test_a_day_of_statistics_reads_one_months_partition(
        client: Any, stored: None, rpc: Any, monkeypatch: pytest.MonkeyPatch,
        params: dict[str, Any]) -> None:
    compiled: list[Any] = []

    def recording(*args: Any, **kwargs: Any) -> Any:
        compiled.append(query_run.compile_select.__wrapped__(*args, **kwargs))  # type: ignore
        return compiled[-1]
    recording.__wrapped__ = query_run.compile_select  # type: ignore[attr-defined]
    monkeypatch.setattr(query_run, "compile_select", recording)
    day = at(202502, 4)
    answer = await rpc("aggregate_get", {"from": day, "till": day + 86399, **params})
    assert "result" in answer, answer
    assert compiled
    db = client.app[appkeys.DB]
    for statement in compiled:
        (row,) = await db.fetch_all(f"EXPLAIN (FORMAT JSON) {statement.sql}", statement.params)
        plan = row["QUERY PLAN"]
        plan = plan if isinstance(plan, list) else json.loads(plan)
        read = {r for r in _relations(plan[0]["Plan"])
                if r.startswith(("call_summaries", "call_figures"))}
        assert len(read) == 1 and read.pop().endswith("_y2025m02"), (statement.sql, read)


# --- retention ----------------------------------------------------------------------------

async def _reports(rpc: Any, low: int, high: int) -> dict[str, Any]:
    """What the statistics (both paths) and the call history answer for [low, high]."""
    history = await rpc("GetCallHistory", {
        "from_date": dt.datetime.fromtimestamp(low, dt.timezone.utc).strftime("%Y-%m-%d %H:%M:%S"),
        "to_date": dt.datetime.fromtimestamp(high, dt.timezone.utc).strftime("%Y-%m-%d %H:%M:%S"),
        "child_account_id": "all", "with_calls": True, "with_records": True})
    return {"summaries": await rpc("aggregate_get", {"from": low, "till": high,
                                                     "group_by_day": 1}),
            "calls": await rpc("aggregate_get", {"from": low, "till": high, "a_dst": "37%"}),
            "history": history}


async def _counts(db: Backend) -> dict[tuple[str, int], int]:
    counts: dict[tuple[str, int], int] = {}
    for spec in LARGE:
        if spec.name == "audit_log":
            continue  # entries of now, not of the calls' months
        for row in await db.fetch_all(f"SELECT {spec.key} AS key FROM {spec.name}"):
            month = month_of_key(spec.name, int(row["key"]))
            counts[(spec.name, month)] = counts.get((spec.name, month), 0) + 1
    return counts


@pytest.mark.parametrize("engine", ENGINES, indirect=True)
async def test_dropping_a_month_takes_exactly_its_rows_out_of_every_report(
        client: Any, stored: None, rpc: Any, tmp_path: Path) -> None:
    db = client.app[appkeys.DB]
    first, rest, end = at(202501, 1), at(202502, 1), at(202504, 1) - 1
    kept = await _reports(rpc, rest, end)
    before = await _counts(db)
    assert {month for _, month in before} == set(MONTHS)
    lines = await retention.drop_months(make_config(tmp_path), 202502)
    assert lines[-1] == "kept the months from 2025-02 on"
    if db.dialect.month_partitions:
        assert lines[:-1] == [f"dropped {partitions.partition(spec.name, 202501)}"
                              for spec in reversed(LARGE)]
    assert await _counts(db) == {k: n for k, n in before.items() if k[1] != 202501}
    assert await _reports(rpc, first, end) == kept
    gone = await _reports(rpc, first, rest - 1)
    assert gone["summaries"]["result"]["aggregates"] == []
    assert gone["calls"]["result"]["aggregates"] == []
    assert gone["history"]["result"]["result"] == [], gone["history"]


@pytest.mark.parametrize("text, month", [("2026-01", 202601), ("1999-12", 199912),
                                         ("2026-13", None), ("2026-1", None), ("202601", None),
                                         ("x-01", None)])
def test_the_command_reads_a_month_as_yyyy_mm(text: str, month: int | None,
                                              capsys: pytest.CaptureFixture[str]) -> None:
    argv = ["retention", "drop", "--before", text]
    if month is None:
        with pytest.raises(SystemExit):
            _parser().parse_args(argv)
        assert "not a month as YYYY-MM" in capsys.readouterr().err
    else:
        assert _parser().parse_args(argv).before == month
