"""Sessions per second through `ingest.sessions` (batches of 1000) against the raw write
of the same rows into the same tables, summaries and audit entries included, in the same
run, on each engine (decisions 7): on SQLite multi-row INSERTs, on PostgreSQL COPY, in
batches of 1000 sessions, one transaction per batch. The raw rows are the very rows the
ingest run wrote, read back, deleted and written again.

    python bench/ingest_throughput.py [--quick] [--sessions 20000] [--runs 3] [--senders 1]
        [--engine sqlite|postgresql|both] [--postgres DSN] [--updates]

Without --postgres, a throwaway PostgreSQL cluster is started when the server binaries
are installed (as the tests do); otherwise only SQLite is measured (`--engine sqlite`:
SQLite only). --quick: 5,000 sessions a run (a few seconds an engine). The ingest path is
called in-process (no HTTP), so the figure is the store's: validation, state rules,
references, destinations and the audit log.

--updates (PostgreSQL) times instead the records that end calls stored while set up, in a
store holding two years of months' partitions more than its current ones (as retention
keeps them) against the same store without them: how much the months a statement could
read cost the update path.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import asyncpg

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "tests"), str(ROOT / "bench")]

from gateway.core.config import load_config  # noqa: E402
from gateway.storage import partitions  # noqa: E402
from gateway.storage.inserts import insert_rows  # noqa: E402
from gateway.tools.commands import as_root  # noqa: E402
from methods.context import Context  # noqa: E402
from methods.ingest.sessions import ingest  # noqa: E402
from report import Figure, emit  # noqa: E402

BATCH = 1000
BASELINE = {"sqlite": "multi-row INSERT", "postgresql": "COPY"}
# The ratio to the raw write asked of ingest.sessions (docs/performance.md): 0.5 on
# SQLite; PostgreSQL's target is absolute (5,000 sessions/s), no ratio.
TARGET = {"sqlite": 0.5}
ENGINE_NAMES = {"sqlite": "SQLite", "postgresql": "PostgreSQL"}
MORE_MONTHS = 24  # --updates: two years of months' partitions, as retention keeps them


def record(i: int) -> dict[str, Any]:
    dst = f"3706{i % 10_000_000:07d}"
    return {"session_id": f"s{i}", "setup_time": "2026-11-01T10:00:00Z",
            "start_time": "2026-11-01T10:00:05Z", "end_time": "2026-11-01T10:03:00Z",
            "equipment": {"id": 1, "name": "sbc-1"},
            "legs": [{"leg_id": "o", "role": "orig", "src": "37060000001", "dst": dst,
                      "client": {"id": 1 + i % 50, "name": f"Client {i % 50}"},
                      "account": {"id": 1000 + i % 200, "name": f"dev{i % 200}"},
                      "billsec": 175, "real_billsec": 175, "disposition": "ANSWERED",
                      "amount": "0.0125", "currency": "EUR"},
                     {"leg_id": "t", "role": "term", "dst": dst,
                      "client": {"id": 900, "name": "Carrier"},
                      "account": {"id": 9000, "name": "trunk"}, "billsec": 175,
                      "disposition": "ANSWERED", "amount": "0.0100", "currency": "EUR"}]}


def set_up(i: int) -> dict[str, Any]:
    """`record(i)` while it is set up: not answered, not ended, no figures yet."""
    call = record(i)
    legs = [{k: v for k, v in leg.items() if k not in ("billsec", "real_billsec", "disposition")}
            for leg in call["legs"]]
    return {**{k: v for k, v in call.items() if k not in ("start_time", "end_time")},
            "legs": legs}


async def through_updates(database: str, total: int, more_months: int) -> float:
    """Ended records per second through `ingest.sessions`, each ending a call stored while
    set up, the store holding `more_months` months' partitions more than its own."""
    config = load_config(environ={}, overrides={"database": database}, search_default=False)

    async def work(context: Context) -> float:
        if more_months:
            async with context.db.transaction() as conn:
                await partitions.ensure(conn, context.db.dialect, [
                    (2024 + n // 12) * 100 + n % 12 + 1 for n in range(more_months)])
        for made in (set_up, record):  # the second, ending the calls, is timed
            started = time.perf_counter()
            for first in range(0, total, BATCH):
                result = await ingest(context, [made(i) for i in range(first, first + BATCH)])
                assert result["accepted"] == BATCH, result["rejected"][:1]
        return total / (time.perf_counter() - started)
    return await as_root(config, work)


async def through_ingest(context: Context, total: int, senders: int) -> float:
    """Sessions per second through `ingest.sessions`, the batches sent by `senders`
    concurrent callers in turn (as several switches would send them)."""
    batches = [[record(i) for i in range(first, first + BATCH)]
               for first in range(0, total, BATCH)]

    async def send(mine: list[list[dict[str, Any]]]) -> None:
        for batch in mine:
            result = await ingest(context, batch)
            assert result["accepted"] == BATCH, result["rejected"][:1]

    started = time.perf_counter()
    await asyncio.gather(*(send(batches[n::senders]) for n in range(senders)))
    return total / (time.perf_counter() - started)


# The tables ingest writes into, parents first; rows of those with a `session_id` go with
# their session's batch, the reference rows with the first batch, the summaries and the
# audit entries with the last.
TABLES = ("clients", "accounts", "users", "equipment", "applications", "sessions", "legs",
          "session_leg_paths", "call_figures", "records", "resource_usage", "call_summaries",
          "audit_log")
BY_SESSION = ("legs", "session_leg_paths", "call_figures", "records", "resource_usage")
LAST = ("call_summaries", "audit_log")


async def written(context: Context, audit_before: int) -> dict[str, list[dict[str, Any]]]:
    """Every row the ingest run wrote, by table (the audit entries after `audit_before`)."""
    rows = {}
    for table in TABLES:
        where = f" WHERE id > {audit_before}" if table == "audit_log" else ""
        rows[table] = await context.db.fetch_all(f"SELECT * FROM {table}{where}")
    return rows


async def forget(context: Context, rows: dict[str, list[dict[str, Any]]],
                 audit_before: int) -> None:
    async with context.db.transaction() as conn:
        for table in reversed(TABLES):
            where = f" WHERE id > {audit_before}" if table == "audit_log" else ""
            await conn.execute(f"DELETE FROM {table}{where}")


def batches(rows: dict[str, list[dict[str, Any]]]) -> list[dict[str, list[dict[str, Any]]]]:
    """The rows split as ingest's batches of BATCH sessions wrote them."""
    ids = sorted(int(r["id"]) for r in rows["sessions"])
    batch_of = {session_id: n // BATCH for n, session_id in enumerate(ids)}
    out: list[dict[str, list[dict[str, Any]]]] = [
        {table: [] for table in TABLES} for _ in range(max(1, -(-len(ids) // BATCH)))]
    for table in TABLES:
        for row in rows[table]:
            if table == "sessions":
                n = batch_of[int(row["id"])]
            elif table in BY_SESSION:
                n = batch_of[int(row["session_id"])]
            else:
                n = len(out) - 1 if table in LAST else 0
            out[n][table].append(row)
    return out


async def raw_sqlite(context: Context, parts: list[dict[str, list[dict[str, Any]]]]) -> float:
    """Multi-row INSERTs of the same rows, one transaction per batch (decisions 7)."""
    started = time.perf_counter()
    for part in parts:
        async with context.db.transaction() as conn:
            for table in TABLES:
                if part[table]:
                    columns = list(part[table][0])
                    await insert_rows(conn, table, columns,
                                      [[row[c] for c in columns] for row in part[table]])
    return time.perf_counter() - started


async def raw_copy(dsn: str, parts: list[dict[str, list[dict[str, Any]]]]) -> float:
    """COPY of the same rows, one transaction per batch (decisions 7)."""
    connection = await asyncpg.connect(dsn)
    try:
        started = time.perf_counter()
        for part in parts:
            async with connection.transaction():
                for table in TABLES:
                    if part[table]:
                        columns = list(part[table][0])
                        await connection.copy_records_to_table(
                            table, columns=columns,
                            records=[tuple(row[c] for c in columns) for row in part[table]])
        return time.perf_counter() - started
    finally:
        await connection.close()


async def measure(database: str, total: int, senders: int) -> tuple[float, float]:
    config = load_config(environ={}, overrides={"database": database}, search_default=False)
    rates: dict[str, float] = {}

    async def work(context: Context) -> None:
        found = await context.db.fetch_one("SELECT COALESCE(MAX(id), 0) AS n FROM audit_log")
        audit_before = int(found["n"]) if found else 0
        rates["ingest"] = await through_ingest(context, total, senders)
        rows = await written(context, audit_before)
        assert len(rows["sessions"]) == total and len(rows["legs"]) == 2 * total
        await forget(context, rows, audit_before)
        parts = batches(rows)
        if database.startswith("sqlite"):
            seconds = await raw_sqlite(context, parts)
        else:
            seconds = await raw_copy(database, parts)
        again = await written(context, audit_before)
        assert {t: len(r) for t, r in again.items()} == {t: len(r) for t, r in rows.items()}
        rates["raw"] = total / seconds
    await as_root(config, work)
    return rates["ingest"], rates["raw"]


def updates(dsn: str, total: int, runs: int) -> Figure:
    """The update path's rate with MORE_MONTHS months' partitions more, against none, the
    two run in turn."""
    from pg_cluster import Databases

    databases = Databases(dsn)
    rates: dict[int, list[float]] = {0: [], MORE_MONTHS: []}
    try:
        for _ in range(runs):
            for months, found in rates.items():
                found.append(asyncio.run(through_updates(
                    databases.dsn(databases.create()), total, months)))
    finally:
        databases.close()
    more, none = rates[MORE_MONTHS], rates[0]
    print(f"ended updates {statistics.median(more):8.0f}/s ({min(more):.0f}-{max(more):.0f}) "
          f"with {MORE_MONTHS} months' partitions more, {statistics.median(none):8.0f}/s "
          f"({min(none):.0f}-{max(none):.0f}) without")
    return Figure("ingest", f"PostgreSQL: ended records of calls set up, batches of {BATCH}, "
                  f"{MORE_MONTHS} months' partitions more", "sessions/s", tuple(more),
                  "without them", tuple(none), higher_is_better=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="5,000 sessions a run")
    parser.add_argument("--sessions", type=int,
                        help="sessions a run (default 20,000; --quick 5,000)")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--senders", type=int, default=1,
                        help="concurrent callers of ingest.sessions (default 1)")
    parser.add_argument("--engine", choices=("sqlite", "postgresql", "both"), default="both",
                        help="both: SQLite, and PostgreSQL when available (the default)")
    parser.add_argument("--postgres", help="a PostgreSQL server DSN (a database is created)")
    parser.add_argument("--updates", action="store_true",
                        help=f"PostgreSQL: ended records of calls stored while set up, with "
                        f"{MORE_MONTHS} months' partitions more against none")
    args = parser.parse_args()
    if args.sessions is None:
        args.sessions = 5_000 if args.quick else 20_000
    if args.updates:
        args.engine = "postgresql"
    engines: list[tuple[str, Any]] = [("sqlite", None)] if args.engine != "postgresql" else []
    cluster = None
    admin_dsn = args.postgres
    if admin_dsn is None and args.engine != "sqlite":
        from pg_cluster import Unavailable, start_cluster
        try:
            cluster = start_cluster()
            admin_dsn = cluster.dsn
        except Unavailable as exc:
            if args.engine == "postgresql":
                raise SystemExit(f"PostgreSQL not available: {exc}")
            print(f"PostgreSQL not measured: {exc}")
    if admin_dsn and args.engine != "sqlite":
        engines.append(("postgresql", admin_dsn))
    figures = []
    try:
        print(f"{args.sessions} sessions (2 legs each) in batches of {BATCH} from "
              f"{args.senders} sender(s), {args.runs} runs, median (min-max)")
        for name, dsn in engines if not args.updates else ():
            ingest_rates, raw_rates = [], []
            for run in range(args.runs):
                with tempfile.TemporaryDirectory() as tmp:
                    database = f"sqlite:///{tmp}/bench.db"
                    if dsn:
                        from pg_cluster import Databases
                        databases = Databases(dsn)
                        database = databases.dsn(databases.create())
                    a, b = asyncio.run(measure(database, args.sessions, args.senders))
                    if dsn:
                        databases.close()
                ingest_rates.append(a)
                raw_rates.append(b)
            ing, raw = statistics.median(ingest_rates), statistics.median(raw_rates)
            print(f"{name:10s} ingest.sessions {ing:8.0f}/s ({min(ingest_rates):.0f}-"
                  f"{max(ingest_rates):.0f})   {BASELINE[name]:16s} {raw:8.0f}/s "
                  f"({min(raw_rates):.0f}-{max(raw_rates):.0f})   ratio {ing / raw:.3f}")
            figures.append(Figure(
                "ingest", f"{ENGINE_NAMES[name]}: ingest.sessions, batches of {BATCH}, "
                f"{args.senders} sender(s)", "sessions/s", tuple(ingest_rates),
                BASELINE[name], tuple(raw_rates), higher_is_better=True,
                target=TARGET.get(name)))
        if args.updates:
            figures.append(updates(engines[0][1], args.sessions, args.runs))
    finally:
        if cluster is not None:
            cluster.stop()
    emit(figures)


if __name__ == "__main__":
    main()
