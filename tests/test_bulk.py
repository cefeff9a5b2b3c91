"""The demo's bulk loader (`gateway.tools.demo.bulk`) stores what the ingest path stores.

The same demo data set (same seed and anchor) is filled into two stores by `gateway demo`'s
own `fill`, once through the ingest functions and once through the bulk loader (the size
threshold moved so that a few hundred calls take either path), on every engine. Every
data table must then read back the same, row for row and column for column (ids and
content hashes included: both paths insert in the order the generators yield), and so
must `aggregate_get`'s answers, from the summaries and from the raw records, for the root
and for a reseller.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import itertools
from pathlib import Path
from typing import Any, Iterator

import pytest
from conftest import make_config

from gateway.__main__ import _parser
from gateway.core import clock
from gateway.core.apikeys import Caller
from gateway.core.clock import DAY
from gateway.core.config import Config, load_config
from gateway.storage import Backend
from gateway.storage import tenants as tenant_store
from gateway.tools.commands import as_root
from gateway.tools.demo import bulk, catalogue, command
from gateway.tools.demo.destinations import code_deck
from gateway.tools.demo.plan import Plan, make_plan
from gateway.tools.demo.timeline import anchor_at
from gateway.tools.demo.traffic import sessions
from methods.aggregate import aggregate
from methods.aggregate.params import AggregateParams
from methods.context import Context
from methods.ingest import ledgers as ingest_ledgers

ANCHOR = anchor_at(dt.datetime(2024, 3, 31, 14, 37, 5, tzinfo=dt.timezone.utc))
CALLS, SEED = 600, 11
# Every table the demo writes data into (keys and the audit log differ by design).
TABLES = {
    "tenants": "id, name, parent_id, path, timezone",
    "clients": "*", "accounts": "*", "users": "*", "equipment": "*", "applications": "*",
    "code_decks": "*", "code_deck_codes": "*", "currency_rates": "*", "sessions": "*",
    "legs": "*", "records": "*", "resource_usage": "*", "transactions": "*",
    "acd_sessions": "*", "acd_session_events": "*", "call_summaries": "*", "call_figures": "*",
}
FIRST_DAY = (ANCHOR - 30 * DAY) // DAY * DAY + DAY  # the first whole UTC day of the data
LAST_DAY = ANCHOR // DAY * DAY  # the anchor's (partial) day
WHOLE = {"from": FIRST_DAY, "till": LAST_DAY - 1}
REQUESTS: list[dict[str, Any]] = [
    WHOLE,
    {**WHOLE, "group_by_day": 1, "profit_show": 1},
    {**WHOLE, "group_by_device": 1, "group_by_provider": 1, "group_by_dst": 1,
     "group_by_user_rate": 1, "group_by_provider_rate": 1, "use_real_billsec": 1},
    {**WHOLE, "group_by_hour": 1, "timezone": "Europe/Vilnius", "a_currency": "EUR"},
    {"from": FIRST_DAY + 3 * DAY + 17, "till": LAST_DAY + 3600, "group_by_dst_group": 1,
     "profit_show": 1, "from_user_perspective": 1},  # edges off the 15-minute buckets
    {**WHOLE, "a_dst": "44", "group_by_terminator": 1},
    {**WHOLE, "s_duration": 60, "answered_calls": 3},
]


def plan() -> Plan:
    return make_plan(SEED, CALLS, ANCHOR)


def quiet(label: str, total: int | None) -> bulk.Advance:
    return lambda n: None


@pytest.fixture
def second_config(engine: str, tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[Config]:
    """A second fresh store on the test's engine."""
    if engine != "postgresql":
        folder = tmp_path / "second"
        folder.mkdir()
        yield make_config(folder)
        return
    databases = request.getfixturevalue("postgres")
    name = databases.create()
    try:
        yield load_config(environ={}, search_default=False, overrides={
            "database": databases.dsn(name), "exports": {"folder": str(tmp_path)}})
    finally:
        databases.drop(name)


def fill(config: Config, bulk_path: bool, monkeypatch: pytest.MonkeyPatch,
         the_plan: Plan | None = None) -> Any:
    """The demo data set stored by `gateway demo`'s own `fill`, on the chosen path."""
    monkeypatch.setattr(command, "BULK_ABOVE", 0 if bulk_path else 10 ** 9)

    async def work(context: Context) -> Any:
        return await command.fill(context, the_plan or plan(), quiet)
    return asyncio.run(as_root(config, work))


async def _tables(db: Backend) -> dict[str, list[tuple[Any, ...]]]:
    out = {}
    for table, columns in TABLES.items():
        rows = await db.fetch_all(f"SELECT {columns} FROM {table}")
        out[table] = sorted((tuple(r.items()) for r in rows), key=repr)
    return out


def tables(config: Config) -> dict[str, list[tuple[Any, ...]]]:
    return asyncio.run(as_root(config, lambda context: _tables(context.db)))


def same(got: dict[str, list[Any]], expected: dict[str, list[Any]]) -> None:
    """Every table holds the same rows (the first difference named, not a diff of all)."""
    for table in TABLES:
        one, other = got[table], expected[table]
        assert len(one) == len(other), (table, len(one), len(other))
        first = next((i for i, (a, b) in enumerate(zip(one, other)) if a != b), None)
        assert first is None, (table, one[first], other[first])


def reseller(context: Context, row: dict[str, Any]) -> Context:
    caller = Caller(key_id="tests", role="reseller", tenant_id=int(row["id"]),
                    tenant=str(row["name"]), scope=str(row["path"]), rate_limit=None,
                    ip="127.0.0.1")
    return Context(db=context.db, caller=caller, config=context.config, request_id="tests",
                   server_key=context.server_key, methods=context.methods)


def answers(config: Config) -> list[Any]:
    """aggregate_get's answer to each request, for the root and a reseller, from the
    summaries where they cover the request and from the raw records."""
    async def work(context: Context) -> list[Any]:
        row = await tenant_store.by_name(context.db, catalogue.ACME)
        assert row is not None
        out = []
        for request, who, use_summaries in itertools.product(
                REQUESTS, (context, reseller(context, row)), (True, False)):
            params = AggregateParams().load(request)
            out.append((request, who.caller.tenant, use_summaries,
                        await aggregate(who, params, use_summaries)))
        return out
    return asyncio.run(as_root(config, work))


def test_bulk_rows_read_back_as_the_ingest_path_stores_them(
        config: Config, second_config: Config, monkeypatch: pytest.MonkeyPatch) -> None:
    by_ingest = fill(config, False, monkeypatch)
    by_bulk = fill(second_config, True, monkeypatch)
    assert by_ingest.rejected == by_bulk.rejected == 0
    assert by_bulk.stored["sessions"].accepted == CALLS
    assert by_bulk.stored["queue sessions"].accepted == plan().queue_sessions
    assert by_bulk.summary().split("records accepted=")[0] == \
        by_ingest.summary().split("records accepted=")[0]
    ingested, loaded = tables(config), tables(second_config)
    same(loaded, ingested)
    assert len(loaded["sessions"]) == CALLS and len(loaded["call_summaries"]) > 0
    expected, got = answers(config), answers(second_config)
    assert [a[:3] for a in got] == [a[:3] for a in expected]
    for one, other in zip(got, expected):
        assert one == other, one[:3]
    assert sum(bool(a[3]["aggregates"]) for a in got) >= len(got) - 4  # answers with rows


@pytest.mark.parametrize("engine", ["postgresql"], indirect=True)
def test_postgresql_has_the_statistics_of_a_bulk_load_when_it_ends(
        config: Config, monkeypatch: pytest.MonkeyPatch) -> None:
    """The planner knows the tables' sizes at once (ANALYZE), not when autovacuum comes."""
    fill(config, True, monkeypatch)

    async def sizes(context: Context) -> list[Any]:
        return [(row["relname"], row["reltuples"], row["rows"]) for row in [
            await context.db.fetch_one(
                f"SELECT relname, reltuples, (SELECT COUNT(*) FROM {table}) AS rows "
                "FROM pg_class WHERE relname = ?", (table,))
            for table in ("sessions", "legs", "call_figures", "call_summaries")]]
    got = asyncio.run(as_root(config, sizes))
    assert [(name, int(estimate)) for name, estimate, _ in got] == [
        (name, rows) for name, _, rows in got]
    assert got[0][2] == CALLS


def test_a_second_bulk_run_changes_nothing(config: Config,
                                           monkeypatch: pytest.MonkeyPatch) -> None:
    fill(config, True, monkeypatch)
    before = tables(config)
    again = fill(config, True, monkeypatch)
    assert again.stored["sessions"].accepted == 0
    assert again.stored["sessions"].unchanged == CALLS
    assert again.stored["queue sessions"].accepted == 0
    same(tables(config), before)


def test_an_interrupted_load_is_finished_by_running_it_again(
        config: Config, second_config: Config, monkeypatch: pytest.MonkeyPatch) -> None:
    """Sessions are committed a transaction at a time and the summaries rebuilt at the
    end: a run cut short leaves the summaries marked stale, and the next run (with
    nothing left to add, here) rebuilds them."""
    fill(config, True, monkeypatch)

    class Cut(Exception):
        pass

    def cut_short(records: Iterator[dict[str, Any]]) -> Iterator[dict[str, Any]]:
        yield from itertools.islice(records, CALLS // 2)
        raise Cut

    async def interrupted(context: Context) -> None:
        await command._tenants(context)
        await command._store(context, ingest_ledgers.ingest_code_decks, [code_deck()],
                             lambda n: None)
        with pytest.raises(Cut):
            await bulk.load_sessions(context, cut_short(sessions(plan())),
                                     per_transaction=100)
        await bulk.load_sessions(context, itertools.islice(sessions(plan()), CALLS // 2))

    asyncio.run(as_root(second_config, interrupted))
    marked = asyncio.run(as_root(second_config, lambda context: context.db.fetch_one(
        "SELECT value FROM settings WHERE name = ?", (bulk.SUMMARIES_PENDING,))))
    assert marked is not None
    again = fill(second_config, True, monkeypatch)
    assert again.stored["sessions"].accepted == CALLS - CALLS // 2
    same(tables(second_config), tables(config))


def test_a_store_from_before_the_third_key_set_gets_its_summaries_on_migration(
        config: Config, monkeypatch: pytest.MonkeyPatch) -> None:
    """Migrations 0005, 0008 and 0014 make the summaries and the calls' rows again from
    the stored calls (and 0015 partitions the tables they made afresh)."""
    fill(config, False, monkeypatch)
    before = tables(config)

    async def back_to_0004(context: Context) -> None:
        async with context.db.transaction() as conn:
            await conn.execute("DELETE FROM call_summaries")
            await conn.execute("DROP TABLE call_figures")
            await conn.execute("DELETE FROM schema_migrations WHERE version IN (?, ?, ?, ?)",
                               ("0005_summary_key_sets", "0008_leg_paths", "0014_call_figures",
                                "0015_partitions"))
    asyncio.run(as_root(config, back_to_0004))
    assert len(before["call_summaries"]) > 0 and len(before["call_figures"]) > 0
    same(tables(config), before)  # opening the store migrated it


def test_the_demo_takes_the_bulk_path_above_the_documented_size(
        capsys: pytest.CaptureFixture[str]) -> None:
    assert not command.is_bulk(command.BULK_ABOVE) and command.is_bulk(command.BULK_ABOVE + 1)
    assert command.is_bulk(10_000_000) and not command.is_bulk(20_000)
    with pytest.raises(SystemExit):
        _parser().parse_args(["demo", "--help"])
    assert f"{command.BULK_ABOVE:,}" in " ".join(capsys.readouterr().out.split())


@pytest.mark.parametrize("text", [
    "2024-03-31T14:37:05Z", "1970-01-01T00:00:00Z", "2024-02-29T23:59:59Z",
    "2024-03-31T14:37:05+03:00", "2024-03-31t14:37:05z", "2024-03-31T14:37:05.75Z"])
def test_times_load_as_ingest_loads_them(text: str) -> None:
    assert bulk.seconds(text) == clock.parse_rfc3339(text)


@pytest.mark.parametrize("text", ["2023-02-29T10:00:00Z", "2024-03-31T24:00:00Z",
                                  "2024-03-31T14:37:05", "yesterday"])
def test_bad_times_are_refused_as_ingest_refuses_them(text: str) -> None:
    with pytest.raises(clock.TimeError):
        clock.parse_rfc3339(text)
    with pytest.raises(clock.TimeError):
        bulk.seconds(text)
