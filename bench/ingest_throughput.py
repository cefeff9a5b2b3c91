"""Sessions per second through `ingest.sessions` (batches of 1000) against a raw
`executemany` of the same rows into the same tables, in the same run, on each engine.

    python bench/ingest_throughput.py [--sessions 20000] [--postgres DSN]

Without --postgres, a throwaway PostgreSQL cluster is started when the server binaries
are installed (as the tests do); otherwise only SQLite is measured. The ingest path is
called in-process (no HTTP), so the figure is the store's: validation, state rules,
references, destinations and the audit log.
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

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]

from gateway.core import clock  # noqa: E402
from gateway.core.config import load_config  # noqa: E402
from gateway.storage import sessions as session_store  # noqa: E402
from gateway.tools.commands import as_root  # noqa: E402
from methods.context import Context  # noqa: E402
from methods.ingest.sessions import ingest  # noqa: E402

BATCH = 1000


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


def raw_rows(i: int) -> tuple[tuple[Any, ...], list[tuple[Any, ...]]]:
    """The rows ingest would write for `record(i)`, ready for executemany."""
    t0 = clock.parse_rfc3339("2026-11-01T10:00:00Z")
    session = (i + 1, 1, f"s{i}", "call", 2, None, "x", t0, t0 + 5, t0 + 180, 1)
    dst = f"3706{i % 10_000_000:07d}"
    legs = [(2 * i + 1, i + 1, "o", "orig", 0, 1, "37060000001", dst, 1 + i % 50,
             1000 + i % 200, t0, 175, 175, "ANSWERED", 12500, "EUR"),
            (2 * i + 2, i + 1, "t", "term", 1, 1, None, dst, 900, 9000, t0, 175, None,
             "ANSWERED", 10000, "EUR")]
    return session, legs


SESSION_SQL = ("INSERT INTO sessions (id, tenant_id, source_id, kind, state, seq, content_hash, "
               "setup_time, start_time, end_time, equipment_id) "
               "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)")
LEG_SQL = ("INSERT INTO legs (id, session_id, leg_id, role, position, tenant_id, src, dst, "
           "client_id, account_id, setup_time, billsec, real_billsec, disposition, amount, "
           "currency) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)")


async def through_ingest(context: Context, total: int) -> float:
    started = time.perf_counter()
    for first in range(0, total, BATCH):
        result = await ingest(context, [record(i) for i in range(first, first + BATCH)])
        assert result["accepted"] == BATCH, result["rejected"][:1]
    return total / (time.perf_counter() - started)


async def raw_executemany(context: Context, total: int) -> float:
    started = time.perf_counter()
    for first in range(0, total, BATCH):
        pairs = [raw_rows(i) for i in range(first, first + BATCH)]
        async with context.db.transaction() as conn:
            await conn.executemany(SESSION_SQL, [s for s, _ in pairs])
            await conn.executemany(LEG_SQL, [leg for _, legs in pairs for leg in legs])
    return total / (time.perf_counter() - started)


async def measure(database: str, total: int) -> tuple[float, float]:
    config = load_config(environ={}, overrides={"database": database}, search_default=False)
    rates: dict[str, float] = {}

    async def work(context: Context) -> None:
        rates["ingest"] = await through_ingest(context, total)
        count = await context.db.fetch_one("SELECT COUNT(*) AS n FROM sessions")
        assert count is not None and int(count["n"]) == total
        async with context.db.transaction() as conn:
            await conn.execute("DELETE FROM legs")
            await conn.execute("DELETE FROM sessions")
        rates["raw"] = await raw_executemany(context, total)
    await as_root(config, work)
    assert session_store.SESSION_COLUMNS  # the tables written are the store's own
    return rates["ingest"], rates["raw"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sessions", type=int, default=20_000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--postgres", help="a PostgreSQL server DSN (a database is created)")
    args = parser.parse_args()
    engines: list[tuple[str, Any]] = [("sqlite", None)]
    cluster = None
    admin_dsn = args.postgres
    if admin_dsn is None:
        from pg_cluster import Unavailable, start_cluster
        try:
            cluster = start_cluster()
            admin_dsn = cluster.dsn
        except Unavailable as exc:
            print(f"PostgreSQL not measured: {exc}")
    if admin_dsn:
        engines.append(("postgresql", admin_dsn))
    try:
        print(f"{args.sessions} sessions (2 legs each) in batches of {BATCH}, "
              f"{args.runs} runs, median (min-max)")
        for name, dsn in engines:
            ingest_rates, raw_rates = [], []
            for run in range(args.runs):
                with tempfile.TemporaryDirectory() as tmp:
                    database = f"sqlite:///{tmp}/bench.db"
                    if dsn:
                        from pg_cluster import Databases
                        databases = Databases(dsn)
                        database = databases.dsn(databases.create())
                    a, b = asyncio.run(measure(database, args.sessions))
                    if dsn:
                        databases.close()
                ingest_rates.append(a)
                raw_rates.append(b)
            ing, raw = statistics.median(ingest_rates), statistics.median(raw_rates)
            print(f"{name:10s} ingest.sessions {ing:8.0f}/s ({min(ingest_rates):.0f}-"
                  f"{max(ingest_rates):.0f})   raw executemany {raw:8.0f}/s ({min(raw_rates):.0f}-"
                  f"{max(raw_rates):.0f})   ratio {ing / raw:.3f}")
    finally:
        if cluster is not None:
            cluster.stop()


if __name__ == "__main__":
    main()
