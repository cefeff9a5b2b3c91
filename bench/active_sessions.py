"""Time of `reports.active_sessions.query` with `group: "rollup"` over HTTP, against the
hand-written SQL of the same answer run with sqlite3 in this process, in the same run.

    python bench/active_sessions.py [--quick] [--sessions 100000] [--runs 10] [--diagnose]
        [--engine sqlite|postgresql|both] [--postgres DSN]

The database of N live call sessions (default 100,000; --quick 10,000) is built once
through the gateway's own `ingest.sessions` path (in-process, as `gateway demo` does) and
cached in bench/.data/. Each run then serves it with `gateway serve` pinned to core 0,
creates an admin key, and times each request (2 warm-ups, then --runs timed runs, the
method and the hand SQL alternating) from this process pinned to core 1. The HTTP figure
is the client's: request sent to the last byte of the answer read (not decoded); the SQL
figure is execute plus fetching every row. Before timing, the method's answer is checked
row by row against the hand SQL's, laid out the same way (rollup order, row_type), at the
method's own `now`; a difference stops the run. --diagnose also times the SQL the method
generates (for the detail rows; it sums the rollup in Python), run alone through sqlite3 in
this process in the same alternation, and prints EXPLAIN QUERY PLAN of both statements.

--engine (default sqlite): postgresql or both measure the same on PostgreSQL: the same
generated sessions stored through `ingest.sessions` into a throwaway cluster
(tests/pg_cluster.py, started before this process moves to core 1, so its processes stay
where this one was started), or into a database kept on the server of --postgres between
runs; the gateway serves it (`database: postgresql://...`), and the hand SQL, in its
PostgreSQL spelling ($n placeholders, IS NOT DISTINCT FROM, names ordered by code point as
the method orders them), runs through asyncpg in this process. --diagnose there times the
method's PostgreSQL statement (its native ROLLUP) and prints EXPLAIN of both.
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import http.client
import json
import os
import random
import re
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any, Callable, Iterator

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "bench" / ".data"
sys.path[:0] = [str(ROOT), str(ROOT / "bench")]

from report import Figure, emit  # noqa: E402
from serving import free_port, pg_database, pinned, postgres, wait_up  # noqa: E402

DATA_VERSION = 2  # bump when the generated data set changes: a new cache file
DECK_ID = 7
BATCH = 1000
TARGET = 1.2  # the method within 1.2x of the hand SQL
TENANTS = (("acme-telecom", "root"), ("northwind-voip", "root"),
           ("baltic-dispatch", "acme-telecom"), ("helios-contact", "northwind-voip"))
COUNTRIES = (  # (country code, name, the digit after it that makes a mobile number)
    ("20", "Egypt", "1"), ("27", "South Africa", "8"), ("30", "Greece", "6"),
    ("31", "Netherlands", "6"), ("32", "Belgium", "4"), ("33", "France", "6"),
    ("34", "Spain", "6"), ("36", "Hungary", "3"), ("39", "Italy", "3"),
    ("40", "Romania", "7"), ("41", "Switzerland", "7"), ("43", "Austria", "6"),
    ("44", "United Kingdom", "7"), ("45", "Denmark", "2"), ("46", "Sweden", "7"),
    ("47", "Norway", "9"), ("48", "Poland", "5"), ("49", "Germany", "1"),
    ("51", "Peru", "9"), ("52", "Mexico", "1"), ("54", "Argentina", "9"),
    ("55", "Brazil", "9"), ("56", "Chile", "9"), ("57", "Colombia", "3"),
    ("60", "Malaysia", "1"), ("61", "Australia", "4"), ("62", "Indonesia", "8"),
    ("63", "Philippines", "9"), ("64", "New Zealand", "2"), ("65", "Singapore", "8"),
    ("66", "Thailand", "8"), ("81", "Japan", "9"), ("82", "South Korea", "1"),
    ("84", "Vietnam", "9"), ("86", "China", "1"), ("90", "Turkey", "5"),
    ("91", "India", "9"), ("92", "Pakistan", "3"), ("351", "Portugal", "9"),
    ("353", "Ireland", "8"), ("358", "Finland", "4"), ("370", "Lithuania", "6"),
    ("371", "Latvia", "2"), ("372", "Estonia", "5"), ("380", "Ukraine", "6"),
    ("420", "Czechia", "6"), ("421", "Slovakia", "9"), ("966", "Saudi Arabia", "5"),
    ("971", "United Arab Emirates", "5"), ("972", "Israel", "5"))
ADJECTIVES = ("Amber", "Baltic", "Blue", "Bright", "Central", "Coastal", "Delta", "Eastern",
              "First", "Golden", "Green", "Harbor", "Iron", "Lake", "Metro", "North",
              "Old Town", "Pine", "River", "Silver")
NOUNS = ("Bank", "Clinic", "Couriers", "Dental", "Energy", "Hotels", "Insurance", "Legal",
         "Logistics", "Motors", "Pharmacy", "Taxi")
FAILURES = (("BUSY", 17), ("CONGESTION", 34), ("FAILED", 38), ("NO ANSWER", 19))

# Requests: (label, params); HAND_SQL[i] answers REQUESTS[i]. The first two are the
# targets; the third adds the code deck join (term_rates_code_name).
REQUESTS: list[tuple[str, dict[str, Any]]] = [
    ("rollup orig_clients_name, term_clients_name",
     {"return_fields": ["orig_clients_name", "term_clients_name", "quantity", "duration"],
      "group": "rollup"}),
    ("rollup orig_clients/accounts, term_clients; -duration, limit 50",
     {"return_fields": ["orig_clients_name", "orig_accounts_name", "term_clients_name",
                        "quantity", "duration"],
      "order": ["-duration"], "limit": 50, "group": "rollup"}),
    ("rollup term_rates_code_name, term_clients_name",
     {"return_fields": ["term_rates_code_name", "term_clients_name", "quantity", "duration"],
      "group": "rollup"}),
]


# ---------------------------------------------------------------- the data set

def deck() -> dict[str, Any]:
    codes = []
    for cc, name, mobile in COUNTRIES:
        codes.append({"prefix": cc, "name": name})
        codes.append({"prefix": cc + mobile, "name": f"{name} Mobile"})
    return {"code_deck_id": DECK_ID, "name": "Bench deck", "codes": codes}


def number(rng: random.Random, cc: str, mobile_digit: str, mobile: bool) -> str:
    digit = mobile_digit if mobile else rng.choice([d for d in "23456789" if d != mobile_digit])
    return cc + digit + str(rng.randrange(10 ** (10 - len(cc)))).zfill(10 - len(cc))


class World:
    """Customers (clients, devices, account managers) and carriers (trunks)."""

    def __init__(self, rng: random.Random) -> None:
        names = [f"{a} {n}" for a in ADJECTIVES for n in NOUNS]
        rng.shuffle(names)
        self.customers: list[dict[str, Any]] = []
        for i in range(200):
            cid = 1000 + i
            accounts = [{"id": cid * 10 + k, "name": f"{names[i].lower().replace(' ', '-')}"
                         f"-dev{k + 1}", "ident": f"sip:dev{k + 1}@{cid}.pbx.example.net"}
                        for k in range(rng.randint(1, 4))]
            self.customers.append({
                "tenant": TENANTS[i % len(TENANTS)][0],
                "client": {"id": cid, "name": names[i]}, "accounts": accounts,
                "owner": {"id": 50 + i % 8, "name": f"Account manager {i % 8 + 1}"}})
        self.customer_weights = [1 / (rank + 1) ** 0.8 for rank in range(200)]
        self.carriers: list[dict[str, Any]] = []
        for c in range(10):
            self.carriers.append({
                "client": {"id": 900 + c, "name": f"Carrier {chr(65 + c)}", "tenant": "root"},
                "trunks": [{"id": 9000 + c * 10 + k, "name": f"carrier-{chr(97 + c)}-trunk{k + 1}"}
                           for k in range(rng.randint(2, 3))]})
        self.carrier_weights = [10, 8, 7, 6, 5, 4, 3, 2, 2, 1]


def session(rng: random.Random, world: World, i: int, anchor: int) -> dict[str, Any]:
    """A live call: set up in the hour before `anchor`, answered 70% of the time, with 1-3
    carrier attempts (the answered one last, or earlier in 5% of forked calls)."""
    customer = rng.choices(world.customers, world.customer_weights)[0]
    cc, _, mobile_digit = rng.choice(COUNTRIES)
    mobile = rng.random() < 0.5
    dst = number(rng, cc, mobile_digit, mobile)
    code = cc + mobile_digit if mobile else cc
    setup = anchor - rng.randint(30, 3600)
    answered = rng.random() < 0.7
    attempts = rng.choices((1, 2, 3), (70, 22, 8))[0]
    first = rng.choices(world.carriers, world.carrier_weights)[0]
    carriers = [first] + rng.sample([c for c in world.carriers if c is not first], attempts - 1)
    start = None
    legs: list[dict[str, Any]] = []
    winner = attempts - 1
    if answered and attempts > 1 and rng.random() < 0.05:
        winner = rng.randrange(attempts - 1)  # parallel forking: a later leg was cancelled
    t = setup
    for k, carrier in enumerate(carriers):
        leg: dict[str, Any] = {
            "leg_id": f"t{k + 1}", "role": "term", "dst": dst, "client": carrier["client"],
            "account": rng.choice(carrier["trunks"]), "code_deck_id": DECK_ID,
            "setup_time": t}
        if answered and k == winner:
            start = t + rng.randint(2, 15)
            leg.update(start_time=start, rates_code=code)
        elif answered and k > winner:
            leg.update(end_time=start, disposition="NO ANSWER", hangup_cause=26)
        elif k < attempts - 1 or answered:
            disposition, cause = rng.choice(FAILURES)
            t += rng.randint(1, 8)
            leg.update(end_time=t, disposition=disposition, hangup_cause=cause)
        legs.append(leg)
    orig = {"leg_id": "o", "role": "orig", "src": f"3705{rng.randrange(10 ** 7):07d}",
            "dst": dst, "client": customer["client"],
            "account": rng.choice(customer["accounts"]), "owner_user": customer["owner"],
            "code_deck_id": DECK_ID, "setup_time": setup, "pdd_ms": rng.randint(800, 6000)}
    if start is not None:
        orig.update(start_time=start, rates_code=code)
    record = {"session_id": f"live-{i:07d}", "tenant": customer["tenant"],
              "setup_time": setup, "equipment": {"id": 1 + i % 4, "name": f"sbc-{1 + i % 4}"},
              "legs": [orig, *legs]}
    if start is not None:
        record["start_time"] = start
    return _rfc3339(record)


def _rfc3339(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: (time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(v))
                    if k.endswith("_time") else _rfc3339(v)) for k, v in value.items()}
    if isinstance(value, list):
        return [_rfc3339(v) for v in value]
    return value


def sessions(total: int, anchor: int) -> Iterator[dict[str, Any]]:
    rng = random.Random(20261123)
    world = World(rng)
    for i in range(total):
        yield session(rng, world, i, anchor)


async def fill(database: str, total: int) -> None:
    from gateway.core.config import load_config
    from gateway.tools.commands import as_root, call
    from methods.context import Context
    from methods.ingest import ledgers
    from methods.ingest import sessions as ingest_sessions

    config = load_config(environ={}, overrides={"database": database}, search_default=False)
    anchor = int(time.time())

    async def work(context: Context) -> None:
        for name, parent in TENANTS:
            await call(context, "tenants.create", {"name": name, "parent": parent})
        answer = await ledgers.ingest_code_decks(context, [deck()])
        assert answer["accepted"] == 1, answer
        pending = sessions(total, anchor)
        done, started = 0, time.perf_counter()
        while done < total:
            batch = [next(pending) for _ in range(min(BATCH, total - done))]
            answer = await ingest_sessions.ingest(context, batch)
            if answer["accepted"] != len(batch):
                raise SystemExit(f"ingest refused records: {answer['rejected'][:3]}")
            done += len(batch)
            rate = done / (time.perf_counter() - started)
            print(f"\r  ingested {done}/{total} ({rate:.0f}/s)", end="", file=sys.stderr)
        print(file=sys.stderr)
    await as_root(config, work)


def database(total: int) -> Path:
    """The cached database of `total` live sessions, built when missing."""
    DATA.mkdir(parents=True, exist_ok=True)
    path = DATA / f"active-sessions-v{DATA_VERSION}-{total}.db"
    if path.exists():
        return path
    print(f"building {path.name} through ingest.sessions (once)", file=sys.stderr)
    partial = path.with_name(path.name + ".partial")
    for leftover in (partial, Path(f"{partial}-wal"), Path(f"{partial}-shm")):
        leftover.unlink(missing_ok=True)
    asyncio.run(fill(f"sqlite:///{partial}", total))
    with sqlite3.connect(partial) as conn:
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    partial.rename(path)
    Path(f"{partial}-wal").unlink(missing_ok=True)
    Path(f"{partial}-shm").unlink(missing_ok=True)
    return path


# ---------------------------------------------------------------- the hand SQL

SECONDS = ("CASE WHEN s.start_time IS NULL OR s.start_time > :now THEN 0 "
           "ELSE :now - s.start_time END")
# One row per live call with its term leg (the attempt ingest chose: the answered one,
# else the latest); `{joins}` adds the orig leg and the names a request shows. A call has exactly
# one orig leg (ingest refuses any other shape) and every session has a leg, so the root
# admin's scope needs no condition.
ORIG = "JOIN legs o ON o.session_id = s.id AND o.role = 'orig'"
LIVE = """
    FROM sessions s
    LEFT JOIN legs t ON t.session_id = s.id AND t.leg_id = s.term_leg
    {joins}
    WHERE s.kind = 'call' AND s.end_time IS NULL"""


def two_levels(a: str, b: str, joins: str) -> str:
    """ROLLUP(a, b) as a DBA writes it on SQLite: group once, then UNION ALL the levels."""
    return f"""
    WITH g AS (
        SELECT {a} AS a, {b} AS b, COUNT(*) AS quantity, SUM({SECONDS}) AS duration
        {LIVE.format(joins=joins)}
        GROUP BY a, b)
    SELECT row_type, a, b, quantity, duration FROM (
        SELECT 'row' AS row_type, a, b, quantity, duration, 2 AS level FROM g
        UNION ALL
        SELECT 'subtotal', a, NULL, SUM(quantity), SUM(duration), 1 FROM g GROUP BY a
        UNION ALL
        SELECT 'total', NULL, NULL, COALESCE(SUM(quantity), 0), COALESCE(SUM(duration), 0), 0
        FROM g) AS levels
    ORDER BY level = 0, a{{C}} ASC NULLS LAST, level = 1, b{{C}} ASC NULLS LAST
    """


HAND_SQL = [
    # 1: ROLLUP(orig client, term client), ordered by both ascending (NULLs last)
    two_levels("oc.name", "tc.name", f"""{ORIG}
    LEFT JOIN clients oc ON oc.id = o.client_id
    LEFT JOIN clients tc ON tc.id = t.client_id"""),
    # 2: ROLLUP(orig client, orig account, term client); top 50 rows by duration, each
    # group placed at its first kept row, its subtotals over all its sessions
    f"""
    WITH g AS (
        SELECT oc.name AS a, oa.name AS b, tc.name AS c, COUNT(*) AS quantity,
               SUM({SECONDS}) AS duration
        {LIVE.format(joins=f'''{ORIG}
    LEFT JOIN clients oc ON oc.id = o.client_id
    LEFT JOIN accounts oa ON oa.id = o.account_id
    LEFT JOIN clients tc ON tc.id = t.client_id''')}
        GROUP BY a, b, c),
    kept AS (
        SELECT *, MIN(r) OVER (PARTITION BY a) AS ra, MIN(r) OVER (PARTITION BY a, b) AS rab
        FROM (SELECT *, ROW_NUMBER() OVER (ORDER BY duration DESC, a{{C}} ASC NULLS LAST,
                                            b{{C}} ASC NULLS LAST, c{{C}} ASC NULLS LAST) AS r
              FROM g) AS numbered
        WHERE r <= :limit)
    SELECT row_type, a, b, c, quantity, duration FROM (
        SELECT 'row' AS row_type, a, b, c, quantity, duration, ra, 0 AS sa, rab, 0 AS sab, r
        FROM kept
        UNION ALL
        SELECT 'subtotal', g.a, g.b, NULL, SUM(g.quantity), SUM(g.duration), k.ra, 0, k.rab,
               1, 0
        FROM g JOIN (SELECT DISTINCT a, b, ra, rab FROM kept) k ON g.a IS k.a AND g.b IS k.b
        GROUP BY g.a, g.b, k.ra, k.rab
        UNION ALL
        SELECT 'subtotal', g.a, NULL, NULL, SUM(g.quantity), SUM(g.duration), k.ra, 1, 0, 0, 0
        FROM g JOIN (SELECT DISTINCT a, ra FROM kept) k ON g.a IS k.a
        GROUP BY g.a, k.ra
        UNION ALL
        SELECT 'total', NULL, NULL, NULL, COALESCE(SUM(quantity), 0),
               COALESCE(SUM(duration), 0), 0, 0, 0, 0, 0
        FROM g) AS levels
    ORDER BY row_type = 'total', ra, sa, rab, sab, r
    """,
    # 3: ROLLUP(term rate code name, term client); the name from the leg's own code deck
    two_levels("tr.name", "tc.name", """LEFT JOIN code_deck_codes tr
        ON tr.code_deck_id = t.code_deck_id AND tr.prefix = COALESCE(t.rates_code, t.dst_code)
    LEFT JOIN clients tc ON tc.id = t.client_id"""),
]
# `{C}` marks a name ordered by code point: SQLite's only order, COLLATE "C" on PostgreSQL.


def on_sqlite(sql: str) -> str:
    return sql.replace("{C}", "")


def on_postgresql(sql: str) -> tuple[str, list[str]]:
    """The PostgreSQL spelling of a hand statement, and its params' names in $n order:
    `$n` for `:name`, IS NOT DISTINCT FROM for SQLite's IS, names in code-point order."""
    names: list[str] = []

    def numbered(found: re.Match[str]) -> str:
        if found[1] not in names:
            names.append(found[1])
        return f"${names.index(found[1]) + 1}"
    sql = re.sub(r":(\w+)", numbered, sql.replace("{C}", ' COLLATE "C"'))
    return re.sub(r" IS (k\.\w+)", r" IS NOT DISTINCT FROM \1", sql), names


class SqliteHand:
    """The hand SQL, and any other statement, through sqlite3 on a connection of its own."""

    engine, baseline = "sqlite", "hand SQL (sqlite3)"

    def __init__(self, path: Path) -> None:
        self.conn = sqlite3.connect(path)
        self.name = f"{path.name}, {path.stat().st_size / 1e6:.0f} MB"

    def rows(self, n: int, params: dict[str, Any], now: int) -> list[tuple[Any, ...]]:
        return self.run(on_sqlite(HAND_SQL[n]), {"now": now, "limit": params.get("limit")})

    def run(self, sql: str, values: Any = ()) -> list[tuple[Any, ...]]:
        return self.conn.execute(sql, values).fetchall()

    def plan(self, sql: str, values: Any) -> list[str]:
        plan = self.run(f"EXPLAIN QUERY PLAN {sql}", values)
        return [f"{r[0]:3d} {r[1]:3d} {r[3]}" for r in plan]

    def close(self) -> None:
        self.conn.close()


class PostgresHand:
    """The same through asyncpg, on a connection and event loop of its own."""

    engine, baseline = "postgresql", "hand SQL (asyncpg)"

    def __init__(self, dsn: str) -> None:
        import asyncpg

        self.loop = asyncio.new_event_loop()
        self.conn = self.loop.run_until_complete(asyncpg.connect(dsn))
        self.name = f"database {dsn.rsplit('/', 1)[-1].split('?')[0]}"
        self.statements = [on_postgresql(sql) for sql in HAND_SQL]

    def rows(self, n: int, params: dict[str, Any], now: int) -> list[tuple[Any, ...]]:
        sql, names = self.statements[n]
        values = {"now": now, "limit": params.get("limit")}
        return self.run(sql, tuple(values[name] for name in names))

    def run(self, sql: str, values: Any = ()) -> list[tuple[Any, ...]]:
        return [tuple(r) for r in self.loop.run_until_complete(self.conn.fetch(sql, *values))]

    def plan(self, sql: str, values: Any) -> list[str]:
        return [r[0] for r in self.run(f"EXPLAIN {sql}", values)]

    def close(self) -> None:
        self.loop.run_until_complete(self.conn.close())
        self.loop.close()


Hand = SqliteHand | PostgresHand


def hand_values(hand: Hand, n: int, params: dict[str, Any], now: int) -> tuple[str, Any]:
    """The hand statement of request `n` as `hand` runs it, and its values."""
    values = {"now": now, "limit": params.get("limit")}
    if isinstance(hand, SqliteHand):
        return on_sqlite(HAND_SQL[n]), values
    sql, names = hand.statements[n]
    return sql, tuple(values[name] for name in names)


def as_answer(rows: list[tuple[Any, ...]], params: dict[str, Any]) -> list[dict[str, Any]]:
    """The hand SQL's rows in the method's shape: the requested fields and row_type."""
    names = params["return_fields"]
    return [{**dict(zip(names, row[1:])), "row_type": row[0]} for row in rows]


# ---------------------------------------------------------------- the server


def memory(pid: int) -> dict[str, int]:
    """VmRSS and VmHWM (peak RSS) of a process, in kB."""
    out = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        name, _, value = line.partition(":")
        if name in ("VmRSS", "VmHWM"):
            out[name] = int(value.split()[0])
    return out


class Client:
    """A keep-alive HTTP connection to /rpc."""

    def __init__(self, port: int, key: str) -> None:
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
        self.headers = {"Content-Type": "application/json", "X-Api-Key": key}
        self.ids = 0

    def post(self, method: str, params: dict[str, Any]) -> bytes:
        self.ids += 1
        body = json.dumps({"jsonrpc": "2.0", "method": method, "params": params,
                           "id": self.ids})
        self.conn.request("POST", "/rpc", body, self.headers)
        response = self.conn.getresponse()
        data = response.read()
        if response.status != 200:
            raise SystemExit(f"HTTP {response.status}: {data[:500]!r}")
        return data


def result_of(data: bytes) -> Any:
    answer = json.loads(data)
    if "error" in answer:
        raise SystemExit(f"the method failed: {answer['error']}")
    return answer["result"]


# ---------------------------------------------------------------- timing and checks

def timed(fn: Callable[[], Any]) -> float:
    started = time.perf_counter()
    fn()
    return time.perf_counter() - started


def check(client: Client, hand: Hand, n: int, params: dict[str, Any]) -> int:
    """Compare the method's answer with the hand SQL's at the method's `now` (one of the
    whole seconds the request spanned); the number of rows."""
    before = int(time.time())
    got = result_of(client.post("reports.active_sessions.query", params))
    after = int(time.time())
    for now in range(before, after + 1):
        expected = as_answer(hand.rows(n, params, now), params)
        if got == expected:
            return len(got)
    print(f"MISMATCH on request {n + 1} ({REQUESTS[n][0]}):", file=sys.stderr)
    print(f"  method {len(got)} rows, hand SQL {len(expected)} rows (now={after})",
          file=sys.stderr)
    for i, (a, b) in enumerate(zip(got, expected)):
        if a != b:
            print(f"  first difference at row {i}:\n    method   {a}\n    hand SQL {b}",
                  file=sys.stderr)
            break
    key = [k for k in params["return_fields"] if k not in ("quantity", "duration")]
    totals = [r for r in got if r["row_type"] == "total"], \
        [r for r in expected if r["row_type"] == "total"]
    print(f"  totals: method {totals[0]}, hand SQL {totals[1]}", file=sys.stderr)
    only = {tuple(r[k] for k in key) for r in got if r["row_type"] == "row"} ^ \
        {tuple(r[k] for k in key) for r in expected if r["row_type"] == "row"}
    print(f"  detail rows in one answer only: {sorted(only, key=repr)[:5]}", file=sys.stderr)
    raise SystemExit(1)


def generated_sql(params: dict[str, Any], now: int, engine: str) -> tuple[str, tuple[Any, ...]]:
    """The SQL the method runs on `engine` for `params` as the root admin (on SQLite the
    detail rows it streams, the rollup summed in Python; on PostgreSQL its native ROLLUP),
    at `now`."""
    from zoneinfo import ZoneInfo

    from gateway.query.select import compile_select
    from gateway.storage import postgresql, sqlite
    from gateway.storage.tenants import ROOT_PATH
    from methods.active_sessions import select
    from methods.active_sessions.columns import columns
    from methods.active_sessions.params import QueryParams

    dialect = (sqlite if engine == "sqlite" else postgresql).DIALECT
    loaded = QueryParams().load(params)
    report = select(loaded, columns(ROOT_PATH, now, ZoneInfo("UTC"), None), None, ROOT_PATH)
    report = dataclasses.replace(report, limit=None)  # the rollup covers every group
    compiled = compile_select(report, dialect, native_rollup=dialect.native_rollup)
    sql = compiled.sql if engine == "sqlite" else postgresql.numbered(compiled.sql)
    return sql, tuple(compiled.params)


def plans(hand: Hand, n: int, params: dict[str, Any]) -> None:
    now = int(time.time())
    sql, values = generated_sql(params, now, hand.engine)
    print(f"    generated SQL: {sql}")
    for name, (text, args) in (("generated", (sql, values)),
                               ("hand", hand_values(hand, n, params, now))):
        print(f"    {'EXPLAIN QUERY PLAN' if hand.engine == 'sqlite' else 'EXPLAIN'}, {name}:")
        for line in hand.plan(text, args):
            print(f"      {line}")


def summary(figures: list[float]) -> str:
    return (f"{statistics.median(figures) * 1e3:8.1f} ms "
            f"({min(figures) * 1e3:.1f}-{max(figures) * 1e3:.1f})")


def ratio(a: list[float], b: list[float]) -> str:
    return f"{statistics.median(a) / statistics.median(b):.2f}"


ENGINES = {"sqlite": "SQLite", "postgresql": "PostgreSQL"}
PREFIX = {"sqlite": "", "postgresql": "PostgreSQL: "}  # SQLite's names as before


def measure(database: str, hand: Hand, args: argparse.Namespace, load: float) -> list[Figure]:
    """Serve `database`, check and time each request against `hand`; the figures."""
    with tempfile.TemporaryDirectory() as tmp:
        env = {**os.environ, "GATEWAY_DATABASE": database, "GATEWAY_LOG__LEVEL": "WARNING"}
        made = subprocess.run([sys.executable, "-m", "gateway", "keys", "create", "--tenant",
                               "root", "--role", "admin", "--rate-limit", "unlimited"],
                              env=env, cwd=tmp, capture_output=True, text=True, check=True)
        key = made.stdout.strip().splitlines()[-1]
        port = free_port()
        server = subprocess.Popen(
            pinned(0, [sys.executable, "-m", "gateway", "serve"]), cwd=tmp,
            env={**env, "GATEWAY_PORT": str(port), "GATEWAY_HOST": "127.0.0.1"},
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            wait_up(f"http://127.0.0.1:{port}/healthz")
            started_rss = memory(server.pid)["VmRSS"]
            client = Client(port, key)
            results: list[tuple[str, int, list[float], list[float], list[float]]] = []
            for n, (label, params) in enumerate(REQUESTS):
                rows = check(client, hand, n, params)
                now = int(time.time())
                sql, values = generated_sql(params, now, hand.engine) if args.diagnose \
                    else ("", ())
                for _ in range(args.warmups):
                    client.post("reports.active_sessions.query", params)
                    hand.rows(n, params, now)
                    if sql:
                        hand.run(sql, values)
                method, hand_s, generated = [], [], []
                for _ in range(args.runs):
                    method.append(timed(
                        lambda: client.post("reports.active_sessions.query", params)))
                    now = int(time.time())
                    hand_s.append(timed(lambda: hand.rows(n, params, now)))
                    if sql:
                        sql, values = generated_sql(params, now, hand.engine)
                        generated.append(timed(lambda: hand.run(sql, values)))
                results.append((label, rows, method, hand_s, generated))
            peak = memory(server.pid)
        finally:
            server.terminate()
            server.wait(10)
    (live,), = hand.run("SELECT COUNT(*) FROM sessions WHERE kind = 'call' "
                        "AND end_time IS NULL")
    engine, via = ENGINES[hand.engine], hand.baseline.removeprefix("hand SQL ")
    print(f"{engine}: {live} live call sessions ({hand.name}), server on core 0, client and "
          f"hand SQL on core 1; {args.runs} runs after {args.warmups} warm-ups, median "
          f"(min-max); answers checked equal; load average at the start {load:.2f}")
    for n, (label, rows, method, hand_s, generated) in enumerate(results):
        r = statistics.median(method) / statistics.median(hand_s)
        print(f"{n + 1}. {label} ({rows} rows)")
        print(f"    method over HTTP {summary(method)}   {hand.baseline} {summary(hand_s)}   "
              f"ratio {r:.2f}  (target {TARGET:.1f}: {'met' if r <= TARGET else 'MISSED'}; "
              f"ratio of the minimums {min(method) / min(hand_s):.2f})")
        if args.diagnose:
            print(f"    generated SQL alone {via} {summary(generated)}   "
                  f"ratio to the hand SQL {ratio(generated, hand_s)}")
            plans(hand, n, REQUESTS[n][1])
    print(f"server RSS: {started_rss / 1024:.0f} MB after start, peak (VmHWM) "
          f"{peak['VmHWM'] / 1024:.0f} MB")
    hand.close()
    figures = []
    prefix = PREFIX[hand.engine]
    for label, rows, method, hand_s, generated in results:
        figures.append(Figure("active sessions", f"{prefix}{label}, method over HTTP", "s",
                              tuple(method), hand.baseline, tuple(hand_s), target=TARGET))
        if generated:
            figures.append(Figure("active sessions", f"{prefix}{label}, generated SQL alone",
                                  "s", tuple(generated), hand.baseline, tuple(hand_s)))
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sessions", type=int, default=100_000)
    parser.add_argument("--quick", action="store_true", help="10,000 sessions")
    parser.add_argument("--runs", type=int, default=10)
    parser.add_argument("--warmups", type=int, default=2)
    parser.add_argument("--diagnose", action="store_true",
                        help="also time the method's generated SQL alone; query plans")
    parser.add_argument("--engine", choices=("sqlite", "postgresql", "both"), default="sqlite")
    parser.add_argument("--postgres", metavar="DSN",
                        help="a PostgreSQL server to keep the data set on between runs "
                             "(else a throwaway cluster, the data set stored in each run)")
    args = parser.parse_args()
    total = 10_000 if args.quick else args.sessions
    figures: list[Figure] = []
    with postgres(args.engine, args.postgres) as server:
        stores: list[tuple[str, Any]] = []
        if args.engine != "postgresql":
            path = database(total)
            stores.append((f"sqlite:///{path}", lambda: SqliteHand(path)))
        if server:
            dsn = pg_database(server, f"active_sessions_v{DATA_VERSION}_{total}",
                              lambda target: asyncio.run(fill(target, total)))
            stores.append((dsn, lambda: PostgresHand(dsn)))
        load = os.getloadavg()[0]  # other work on the machine skews every figure
        if hasattr(os, "sched_setaffinity") and shutil.which("taskset"):
            os.sched_setaffinity(0, {1 % (os.cpu_count() or 1)})  # the client and hand SQL
        for database_url, hand in stores:
            figures += measure(database_url, hand(), args, load)
    emit(figures)


if __name__ == "__main__":
    main()
