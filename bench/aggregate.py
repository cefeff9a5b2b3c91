"""Time of `aggregate_get` on its summary path and on its raw path, each against
hand-written SQL for the same answer run with sqlite3 in the same process, in the same run.

    python bench/aggregate.py [--quick | --full] [--runs 5] [--warmups 1]
                               [--paths both|summary|raw] [--raw-runs N] [--diagnose]

The data: `gateway demo`'s generated month of traffic (customers, resellers, carriers,
1 to 3 attempts, real destinations and prices in several currencies), 1,000,000 sessions
(the default) or 10,000,000 (--full) over 30 days, built once by `gateway demo`'s
own code with its bulk loader (`gateway.tools.demo.bulk`: multi-row inserts, the summaries
rebuilt once) and cached in bench/.data/. The demo's anchor is fixed at a UTC midnight,
so both windows, the last day and the whole 30 days, are whole days. --quick: 100,000
calls (built once through the demo's ingest path, about a minute), 1 timed run of each
request and no warm-up (an option given as well is kept): about 20 s.

The method runs in-process, as the root admin, through `aggregate(context, params,
use_summaries)` on the gateway's own SQLite backend (aiosqlite, its reader threads); the
hand SQL through Python's sqlite3 on its own connection; the whole process pinned to one
core (core 0). No HTTP: the figures are the method's own work (SQL, merging the rows per
currency and UTC day, money conversion, rows as dicts). Each request: its answer is checked
against the hand SQL's first (every row's counts, seconds and PDD exactly; price and cost
after the same conversion: reported, not fatal), then `--warmups` untimed runs and `--runs`
timed runs, method and hand SQL alternating; median (min-max).

The hand SQL: raw path, checked against one GROUP BY over sessions and legs (originating
leg, the reported terminating leg, and for the operator's cost every charged attempt: a
UNION ALL of the two, grouped once), by the group keys' ids, UTC day and currency, the
names joined to the grouped rows; timed (and checked as well), the same GROUP BY over the
calls' rows (call_figures, migration 0014) that a DBA would write on this schema. Summary
path, one GROUP BY over call_summaries (the key set and the day buckets a DBA would
choose for the window), the names joined the same way. Every row is fetched. --diagnose
prints the row counts of the stores and the query plans of the method's statement and of
the hand SQL.

Targets (spec): a 30-day window over 10M calls under 1 s on SQLite (summary path); the
raw path within 1.2x of its hand SQL.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import datetime as dt
import io
import os
import re
import sqlite3
import statistics
import sys
import time
from pathlib import Path
from typing import Any, Callable

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "bench" / ".data"
sys.path[:0] = [str(ROOT), str(ROOT / "bench")]

import serving  # noqa: E402
from report import Figure, emit  # noqa: E402

DATA_VERSION = 1  # bump when the cached data set changes (with the demo's own version)
ANCHOR = dt.datetime(2026, 10, 1, tzinfo=dt.timezone.utc)  # the data ends at a UTC midnight
SEED = 1
DAY = 86_400
RAW_TARGET = 1.2
SUMMARY_TARGET_S = 1.0  # 30 days over 10M calls
REQUEST_TARGET_S = 5.0  # each of the five requests over 10M calls (the call timeout: 30 s)
QUICK_CALLS = 100_000
EDGE_S = 7  # the window's edges this far inside its first and last 15-minute buckets

# (label, group flags); the first is the default grouping (no flag).
GROUPINGS: list[tuple[str, dict[str, int]]] = [
    ("default (user, terminator, dst group)", {}),
    ("by day", {"group_by_day": 1}),
    ("by device and provider", {"group_by_device": 1, "group_by_provider": 1}),
]
# group flag -> the row keys it adds, as the hand SQL computes them: (name, inner
# expression, outer expression): the inner one groups, the outer one reads the grouped row
# (names joined to the grouped ids).
HAND_KEYS: dict[str, list[tuple[str, str, str]]] = {
    "group_by_user": [("originator_id", "{o}.client_id", "g.originator_id"),
                      ("originator_name", "", "oc.name")],
    "group_by_device": [("device_id", "{o}.account_id", "g.device_id"),
                        ("device_name", "", "oa.name")],
    "group_by_terminator": [("terminator_id", "{t}.client_id", "g.terminator_id"),
                            ("terminator_name", "", "tc.name")],
    "group_by_provider": [("provider_id", "{t}.account_id", "g.provider_id"),
                          ("provider_name", "", "ta.name")],
    "group_by_dst_group": [("dst_group", "{o}.dst_name", "g.dst_group")],
    "group_by_dst": [("dst", "{o}.dst_code", "g.dst")],
    "group_by_day": [("day", "{time} / 86400", "g.day")],
    "group_by_hour": [("hour", "{time} / 3600", "g.hour")],
    "group_by_user_rate": [("user_rate", "{o}.rates_code", "g.user_rate")],
    "group_by_provider_rate": [("provider_rate", "{t}.rates_code", "g.provider_rate")],
}
NAME_JOINS = {"originator_name": "LEFT JOIN clients oc ON oc.id = g.originator_id",
              "device_name": "LEFT JOIN accounts oa ON oa.id = g.device_id",
              "terminator_name": "LEFT JOIN clients tc ON tc.id = g.terminator_id",
              "provider_name": "LEFT JOIN accounts ta ON ta.id = g.provider_id"}
# The summaries' columns of the same keys.
SUMMARY_COLUMNS = {"{o}.client_id": "m.originator_id", "{o}.account_id": "m.device_id",
                   "{t}.client_id": "m.terminator_id", "{t}.account_id": "m.provider_id",
                   "{o}.dst_name": "m.dst_group", "{o}.dst_code": "m.dst",
                   "{o}.rates_code": "m.user_rate", "{t}.rates_code": "m.provider_rate",
                   "{time} / 86400": "m.bucket / 86400"}
DEFAULT_FLAGS = ("group_by_user", "group_by_terminator", "group_by_dst_group")
# The five 30-day requests of the spec's decisions (8), each on the path the method itself
# chooses: (label, group flags, number filters). The number filters need the raw calls;
# their hand SQL finds the prefix as a DBA would, by a range of the indexed number.
A_SRC_PREFIX = "4420"  # a carrier-sized share of the demo's callers (about 7%)
REQUESTS: list[tuple[str, dict[str, int], dict[str, str]]] = [
    *((label, groups, {}) for label, groups in GROUPINGS),
    ("a_dst prefix 3706, default grouping", {}, {"a_dst": "3706"}),
    (f"a_src prefix {A_SRC_PREFIX}, by hour", {"group_by_hour": 1}, {"a_src": A_SRC_PREFIX}),
]
NUMBERS = {"a_dst": "o.dst", "a_src": "o.src"}
# The same keys and numbers in the calls' rows (call_figures).
FIGURES_COLUMNS = {**{expr: column.replace("m.", "f.") for expr, column in SUMMARY_COLUMNS.items()},
                   "{time} / 86400": "f.setup_time / 86400",
                   "{time} / 3600": "f.setup_time / 3600"}
FIGURE_NUMBERS = {"a_dst": "f.dst_number", "a_src": "f.src_number"}


# ---------------------------------------------------------------- hand SQL runners

class SqliteHand:
    """Hand SQL through Python's sqlite3 on a connection of its own."""

    engine = "SQLite"

    def __init__(self, path: Path) -> None:
        self.path = path
        self.conn = sqlite3.connect(path)
        self.conn.row_factory = sqlite3.Row

    async def rows(self, sql: str, values: tuple[Any, ...] = ()) -> list[Any]:
        return self.conn.execute(sql, values).fetchall()

    async def size(self) -> str:
        return f"{self.path.name} ({self.path.stat().st_size / 1e9:.2f} GB)"

    async def close(self) -> None:
        self.conn.close()


class PostgresHand:
    """Hand SQL through asyncpg: the same statements with `$n` placeholders."""

    engine = "PostgreSQL"

    def __init__(self, conn: Any, name: str) -> None:
        self.conn, self.name = conn, name

    async def rows(self, sql: str, values: tuple[Any, ...] = ()) -> list[Any]:
        numbered = iter(range(1, sql.count("?") + 1))
        return await self.conn.fetch(re.sub(r"\?", lambda _: f"${next(numbered)}", sql),
                                     *values)

    async def size(self) -> str:
        row = await self.conn.fetchrow("SELECT pg_database_size(current_database()) AS b")
        return f"database {self.name} ({row['b'] / 1e9:.2f} GB)"

    async def close(self) -> None:
        await self.conn.close()


# ---------------------------------------------------------------- the data set

def database(calls: int) -> Path:
    """The cached SQLite database of `calls` demo sessions, built when missing."""
    from gateway.tools.demo import command

    DATA.mkdir(parents=True, exist_ok=True)
    path = DATA / f"aggregate-v{DATA_VERSION}-{calls}.db"
    if path.exists():
        return path
    partial = path.with_name(path.name + ".partial")
    for leftover in (partial, Path(f"{partial}-wal"), Path(f"{partial}-shm")):
        leftover.unlink(missing_ok=True)
    path_of = "bulk loader" if command.is_bulk(calls) else "ingest path"
    print(f"building {path.name}: gateway demo --calls {calls:,} (its {path_of}; once)",
          file=sys.stderr)
    started = time.perf_counter()
    _demo(f"sqlite:///{partial}", calls)
    with sqlite3.connect(partial) as conn:
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    partial.rename(path)
    for leftover in (Path(f"{partial}-wal"), Path(f"{partial}-shm")):
        leftover.unlink(missing_ok=True)
    print(f"built in {time.perf_counter() - started:.0f} s", file=sys.stderr)
    return path


def _demo(database: str, calls: int) -> None:
    from gateway.core.config import load_config
    from gateway.tools.demo import run_demo

    config = load_config(environ={}, search_default=False, overrides={
        "database": database, "exports": {"folder": str(DATA / "exports")}})
    printed = io.StringIO()
    with contextlib.redirect_stdout(printed):
        code = run_demo(config, calls=calls, seed=SEED, anchor=ANCHOR)
    if code != 0:
        raise SystemExit(f"gateway demo failed ({code}):\n{printed.getvalue()}")


def pg_database(admin_dsn: str, calls: int) -> tuple[str, str]:
    """(name, DSN) of the PostgreSQL database of `calls` demo sessions on the server of
    `admin_dsn`, built when missing."""
    name = f"aggregate_v{DATA_VERSION}_{calls}"
    return name, serving.pg_database(admin_dsn, name, lambda dsn: _demo(dsn, calls))


# ---------------------------------------------------------------- requests and hand SQL

WINDOW_DAYS = [30]  # the longer window's days (--days)


def windows() -> list[tuple[str, int, int]]:
    end, days = int(ANCHOR.timestamp()), WINDOW_DAYS[0]
    return [("1 day", end - DAY, end - 1), (f"{days} days", end - days * DAY, end - 1)]


def flags_of(groups: dict[str, int]) -> list[str]:
    chosen = [f for f, on in groups.items() if on] or list(DEFAULT_FLAGS)
    return [f for f in HAND_KEYS if f in chosen]


def _keys(groups: dict[str, int]) -> list[tuple[str, str, str]]:
    return [k for flag in flags_of(groups) for k in HAND_KEYS[flag]]


def _outer(groups: dict[str, int], inner: str) -> str:
    keys = _keys(groups)
    joins = " ".join(NAME_JOINS[name] for name, _, _ in keys if name in NAME_JOINS)
    values = ", ".join(f"{outer} AS {name}" for name, _, outer in keys)
    return (f"SELECT {values}, g.utc_day, g.currency, g.calls, g.answered, g.billsec, "
            f"g.pdd_ms, g.pdd_calls, g.price, g.cost FROM ({inner}) g {joins}")


def _group_by(groups: dict[str, int], column: Callable[[str], str]) -> tuple[str, str]:
    """(the grouped key columns `expr AS name`, their names) of the inner query."""
    inner = [(name, column(expr)) for name, expr, _ in _keys(groups) if expr]
    return (", ".join(f"{expr} AS {name}" for name, expr in inner),
            ", ".join(name for name, _ in inner))


RAW_FROM = """FROM sessions s
    JOIN legs o ON o.session_id = s.id AND o.role = 'orig'
    LEFT JOIN legs t ON t.session_id = s.id AND t.leg_id = s.term_leg"""
RAW_WHERE = "s.kind = 'call' AND s.end_time IS NOT NULL AND s.setup_time BETWEEN ? AND ?"
ANSWERED = "s.start_time IS NOT NULL"
WITH_PDD = f"{ANSWERED} AND o.pdd_ms IS NOT NULL"


def utc_day(currency: str, time: str) -> str:
    """Money's UTC day, for converting it: none for money in the answer's currency."""
    return f"CASE WHEN {currency} = 'USD' THEN NULL ELSE {time} / 86400 END"


def number_where(numbers: dict[str, str],
                 columns: dict[str, str] = NUMBERS) -> tuple[str, tuple[str, ...]]:
    """The hand SQL's prefix filters: a range of the number (digits: no successor
    overflows)."""
    terms, values = [], []
    for param, prefix in numbers.items():
        terms.append(f" AND {columns[param]} >= ? AND {columns[param]} < ?")
        values += [prefix, prefix[:-1] + chr(ord(prefix[-1]) + 1)]
    return "".join(terms), tuple(values)


def raw_sql(groups: dict[str, int], numbers: dict[str, str] | None = None) -> str:
    """The operator's figures from the raw calls: each call once on its originating
    side's currency, and each charged attempt's amount as cost on its own currency."""
    where = f"{RAW_WHERE}{number_where(numbers or {})[0]}"
    keys, names = _group_by(groups, lambda e: e.format(o="o", t="t", time="s.setup_time"))
    calls = f"""SELECT {keys}, {utc_day('o.currency', 's.setup_time')} AS utc_day,
        o.currency AS currency,
        1 AS calls, CASE WHEN {ANSWERED} THEN 1 ELSE 0 END AS answered,
        COALESCE(o.billsec, 0) AS billsec,
        CASE WHEN {WITH_PDD} THEN o.pdd_ms ELSE 0 END AS pdd_ms,
        CASE WHEN {WITH_PDD} THEN 1 ELSE 0 END AS pdd_calls,
        COALESCE(o.reseller_amount, o.amount, 0) AS price, 0 AS cost
        {RAW_FROM} WHERE {where}"""
    charges = f"""SELECT {keys}, {utc_day('x.currency', 's.setup_time')}, x.currency,
        0, 0, 0, 0, 0, 0,
        x.amount {RAW_FROM}
        JOIN legs x ON x.session_id = s.id AND x.role = 'term' AND x.amount IS NOT NULL
        WHERE {where}"""
    inner = f"""SELECT {names}, utc_day, currency, SUM(calls) AS calls,
        SUM(answered) AS answered, SUM(billsec) AS billsec, SUM(pdd_ms) AS pdd_ms,
        SUM(pdd_calls) AS pdd_calls, SUM(price) AS price, SUM(cost) AS cost
        FROM ({calls} UNION ALL {charges}) u GROUP BY {names}, utc_day, currency"""
    return _outer(groups, inner)


def figures_sql(groups: dict[str, int], numbers: dict[str, str]) -> str:
    """The same figures from the calls' rows (call_figures), as a DBA would write them on
    this schema: a number prefix as a range of its index, the window then checked per row
    (`+`: the planner walks the numbers' index, not the setup times')."""
    keys, names = _group_by(groups, lambda e: FIGURES_COLUMNS[e])
    by_time = "+" if numbers else ""
    inner = f"""SELECT {keys}, {utc_day('f.currency', 'f.setup_time')} AS utc_day,
        f.currency AS currency,
        SUM(f.calls) AS calls, SUM(f.answered) AS answered, SUM(f.billsec) AS billsec,
        SUM(f.pdd_ms) AS pdd_ms, SUM(f.pdd_calls) AS pdd_calls, SUM(f.billed) AS price,
        SUM(f.charges) AS cost
        FROM call_figures f
        WHERE {by_time}f.setup_time BETWEEN ? AND ?{number_where(numbers, FIGURE_NUMBERS)[0]}
        GROUP BY {names}, utc_day, f.currency"""
    return _outer(groups, inner)


def summary_sql(groups: dict[str, int]) -> str:
    """The same figures from the summaries: the smallest key set holding the groups, the
    day buckets of the (whole days) window."""
    from gateway.storage import summaries

    keys, names = _group_by(groups, lambda e: SUMMARY_COLUMNS[e])
    needed = {SUMMARY_COLUMNS[expr].removeprefix("m.") for _, expr, _ in _keys(groups)
              if expr and "/" not in expr}
    keyset = next(k for k, held in summaries.KEYSETS.items() if needed <= set(held))
    inner = f"""SELECT {keys}, {utc_day('m.currency', 'm.bucket')} AS utc_day,
        m.currency AS currency,
        SUM(m.calls) AS calls, SUM(m.answered) AS answered, SUM(m.billsec) AS billsec,
        SUM(m.pdd_ms) AS pdd_ms, SUM(m.pdd_calls) AS pdd_calls, SUM(m.billed) AS price,
        SUM(m.charges) AS cost
        FROM call_summaries m
        WHERE m.keyset = {keyset} AND m.span = {DAY} AND m.bucket BETWEEN ? AND ?
        GROUP BY {names}, utc_day, m.currency"""
    return _outer(groups, inner)


def hand_params(summary: bool, low: int, high: int,
                numbers: dict[str, str] | None = None) -> tuple[Any, ...]:
    if summary:
        return (low, high - DAY + 1)
    window = (low, high, *number_where(numbers or {})[1])
    return window + window


def figures_params(low: int, high: int, numbers: dict[str, str]) -> tuple[Any, ...]:
    return (low, high, *number_where(numbers)[1])


def hand_answer(rows: list[sqlite3.Row], groups: dict[str, int],
                rates_rows: list[dict[str, Any]]) -> dict[str, Any]:
    """The hand SQL's rows as the method's answer: sums per group merged over currency
    and UTC day, then the method's own figures (conversion, rounding, ratios)."""
    from methods.aggregate.figures import COUNTS, MONEY, Rates, Sums, day_text, figures

    names = [name for name, _, _ in _keys(groups)]
    groups_sums: dict[tuple[Any, ...], Sums] = {}
    total = Sums()
    place = {name: i for i, name in enumerate(rows[0].keys())} if rows else {}
    counts = [(n, place[n]) for n in COUNTS if place]
    money = [(n, place[n]) for n in MONEY if place]
    for row in rows:
        key = tuple(row[n] for n in names)
        sums = groups_sums.setdefault(key, Sums())
        for target in (sums, total):
            target.add(row, counts, money, row["currency"], row["utc_day"])
    rates = Rates("USD", rates_rows)
    out = []
    for key, sums in sorted(groups_sums.items(),
                            key=lambda item: tuple((v is None, v) for v in item[0])):
        shown = dict(zip(names, key))
        if "day" in shown and shown["day"] is not None:
            shown["day"] = day_text(shown["day"])
        if "hour" in shown and shown["hour"] is not None:
            shown["hour"] = (dt.datetime(1970, 1, 1) + dt.timedelta(hours=shown["hour"])
                             ).strftime("%Y-%m-%d %H:00")
        out.append({**shown, **figures(sums, rates, False)})
    return {"aggregates": out, "totals": figures(total, rates, False)}


EXACT = ("total_calls", "answered_calls", "asr", "billsec", "acd", "pdd")


def compare(got: dict[str, Any], expected: dict[str, Any], label: str) -> list[str]:
    """Stops on a difference in counts, seconds or PDD; returns money differences."""
    problems, money = [], []
    if len(got["aggregates"]) != len(expected["aggregates"]):
        problems.append(f"{len(got['aggregates'])} rows, hand SQL "
                        f"{len(expected['aggregates'])}")
    pairs = list(zip(got["aggregates"], expected["aggregates"]))
    pairs.append((got["totals"], expected["totals"]))
    for a, b in pairs:
        keys = [k for k in b if k not in EXACT and k not in ("price", "cost")]
        if any(a.get(k) != b[k] for k in keys) or any(a[k] != b[k] for k in EXACT):
            problems.append(f"first difference: method {a}, hand SQL {b}")
            break
        if a["price"] != b["price"] or a["cost"] != b["cost"]:
            money.append(f"{label}: money differs: method {a}, hand SQL {b}")
    if problems:
        raise SystemExit(f"MISMATCH, {label}: " + "; ".join(problems))
    return money[:3]


# ---------------------------------------------------------------- timing

def summary(figures: list[float]) -> str:
    return (f"{statistics.median(figures) * 1e3:9.1f} ms "
            f"({min(figures) * 1e3:.1f}-{max(figures) * 1e3:.1f})")


Case = tuple[str, dict[str, int], dict[str, str], bool, str, int, int]


def cases(paths: str) -> list[Case]:
    """(label, group flags, number filters, summary path, window label, from, till) of
    each request timed: each grouping on each path and window, and the five requests."""
    out: list[Case] = []
    for summary_path in {"all": (True, False), "both": (True, False), "summary": (True,),
                         "raw": (False,), "requests": ()}[paths]:
        for glabel, groups in GROUPINGS:
            for wlabel, low, high in windows():
                out.append((f"{'summary' if summary_path else 'raw'} path, {wlabel}, {glabel}",
                            groups, {}, summary_path, wlabel, low, high))
    wlabel, low, high = windows()[1]
    if paths in ("all", "requests"):
        # without number filters, 30 whole days are answered from the summaries
        out += [(f"request {n}: {label}, {wlabel}", groups, numbers, not numbers, wlabel,
                 low, high) for n, (label, groups, numbers) in enumerate(REQUESTS, 1)]
    if paths in ("all", "both", "summary"):
        # edges inside buckets: the summaries for the whole buckets, the calls' rows for
        # the 15 minutes less 7 s at each end; timed against the raw path's hand SQL
        out.append((f"summaries and edges, {wlabel} less {EDGE_S} s at each end, "
                    f"{GROUPINGS[0][0]}", GROUPINGS[0][1], {}, True, f"{wlabel} off the buckets",
                    low + EDGE_S, high - EDGE_S))
    return out


async def bench(database: str, hand: Any, args: argparse.Namespace) -> list[Figure]:
    from gateway.core.config import load_config
    from gateway.tools.commands import as_root
    from methods.aggregate import aggregate
    from methods.aggregate.params import AggregateParams
    from methods.context import Context

    config = load_config(environ={}, search_default=False, overrides={"database": database})
    figures: list[Figure] = []

    async def work(context: Context) -> None:
        rates = [dict(r) for r in await hand.rows(
            "SELECT currency, valid_from, rate_to_usd FROM currency_rates "
            "ORDER BY currency, valid_from")]
        if args.diagnose:
            await diagnose(hand)
        results = []
        notes: list[str] = []
        for label, groups, numbers, summary_path, wlabel, low, high in cases(args.paths):
            params = AggregateParams().load({"from": low, "till": high, **groups, **numbers})
            by_buckets = summary_path and low % 900 == 0 and (high + 1) % 900 == 0
            sql = summary_sql(groups) if by_buckets else raw_sql(groups, numbers)
            values = hand_params(by_buckets, low, high, numbers)
            got = await aggregate(context, params, summary_path)
            expected = hand_answer(await hand.rows(sql, values), groups, rates)
            notes += compare(got, expected, label)
            if not by_buckets:  # timed: the same answer from the calls' rows
                sql, values = figures_sql(groups, numbers), figures_params(low, high, numbers)
                notes += compare(hand_answer(await hand.rows(sql, values), groups, rates),
                                 expected, f"{label} (call_figures)")
            runs, warmups = (args.runs, args.warmups) if summary_path or \
                args.raw_runs is None else (args.raw_runs, 0)
            for _ in range(warmups):
                await aggregate(context, params, summary_path)
                await hand.rows(sql, values)
            method_s, hand_s = [], []
            for _ in range(runs):
                started = time.perf_counter()
                await aggregate(context, params, summary_path)
                method_s.append(time.perf_counter() - started)
                started = time.perf_counter()
                await hand.rows(sql, values)
                hand_s.append(time.perf_counter() - started)
            name = label if hand.engine == "SQLite" else f"{hand.engine}: {label}"
            results.append((label, len(got["aggregates"]), got["totals"]["total_calls"],
                            method_s, hand_s, summary_path, wlabel, name))
            if args.diagnose:
                await print_plans(hand, context, params, summary_path, sql, values, label)
        figures.extend(await report(hand, results, notes, args))

    await as_root(config, work)
    await hand.close()
    return figures


async def report(hand: Any, results: list[Any], notes: list[str],
                 args: argparse.Namespace) -> list[Figure]:
    ended = (await hand.rows("SELECT COUNT(*) AS n FROM sessions WHERE kind = 'call' "
                             "AND end_time IS NOT NULL"))[0]["n"]
    sessions = (await hand.rows("SELECT COUNT(*) AS n FROM sessions"))[0]["n"]
    print(f"{hand.engine}: {sessions:,} demo sessions ({ended:,} ended calls) over 30 days, "
          f"{await hand.size()}; aggregate() in-process as the root admin "
          f"vs hand SQL ({'sqlite3' if hand.engine == 'SQLite' else 'asyncpg'}), one process "
          f"pinned to core 0; {args.runs} runs after {args.warmups} warm-up(s)"
          + (f" ({args.raw_runs} runs, no warm-up, on the raw path)" if args.raw_runs else "")
          + ", median (min-max); answers checked equal (counts, seconds, PDD) before timing")
    figures = []
    for label, rows, calls, method_s, hand_s, summary_path, window, name in results:
        ratio = statistics.median(method_s) / statistics.median(hand_s)
        print(f"{label} ({rows:,} rows, {calls:,} calls)")
        line = (f"    method {summary(method_s)}   hand SQL {summary(hand_s)}   "
                f"ratio {ratio:.2f}")
        if label.startswith("request"):
            median = statistics.median(method_s)
            verdict = ("met" if median < REQUEST_TARGET_S else "MISSED") \
                if sessions >= 10_000_000 else f"{median / REQUEST_TARGET_S:.2f} of it here"
            line += f"   (target with 10M calls: under {REQUEST_TARGET_S:.0f} s; {verdict})"
        elif summary_path and window == "30 days":
            median = statistics.median(method_s)
            verdict = ("met" if median < SUMMARY_TARGET_S else "MISSED") \
                if sessions >= 10_000_000 else f"{median / SUMMARY_TARGET_S:.2f} of it here"
            line += f"   (target with 10M calls: under {SUMMARY_TARGET_S:.0f} s; {verdict})"
        elif not summary_path:
            line += f"   (target {RAW_TARGET}: {'met' if ratio <= RAW_TARGET else 'MISSED'})"
        print(line)
        figures.append(Figure("aggregate", name, "s", tuple(method_s), "hand SQL",
                              tuple(hand_s), target=None if summary_path else RAW_TARGET))
    for note in notes:
        print(f"note: {note}")
    return figures


async def diagnose(hand: Any) -> None:
    print("row counts:")
    ended = (await hand.rows("SELECT COUNT(*) AS n FROM sessions WHERE kind = 'call' "
                             "AND end_time IS NOT NULL"))[0]["n"]
    legs = (await hand.rows("SELECT COUNT(*) AS n FROM legs"))[0]["n"]
    print(f"    ended calls {ended:,}; legs {legs:,}")
    for wlabel, low, high in windows():
        calls = (await hand.rows("SELECT COUNT(*) AS n FROM sessions WHERE kind = 'call' AND "
                                 "end_time IS NOT NULL AND setup_time BETWEEN ? AND ?",
                                 (low, high)))[0]["n"]
        print(f"    {wlabel}: {calls:,} ended calls; call_summaries rows by key set and "
              "span (rows in the window):")
        for row in await hand.rows(
                "SELECT keyset, span, COUNT(*) AS n, "
                "SUM(CASE WHEN bucket BETWEEN ? AND ? - span + 1 THEN 1 ELSE 0 END) AS inside "
                "FROM call_summaries GROUP BY keyset, span ORDER BY keyset, span", (low, high)):
            print(f"      key set {row['keyset']}, span {row['span']:>5} s: {row['n']:,} rows "
                  f"({row['inside']:,} in the window)")


async def plan_lines(hand: Any, sql: str, params: tuple[Any, ...]) -> list[str]:
    if hand.engine == "SQLite":
        return [f"      {row[3]}" for row in await hand.rows(f"EXPLAIN QUERY PLAN {sql}", params)]
    return [f"      {row[0]}" for row in await hand.rows(f"EXPLAIN {sql}", params)]


async def print_plans(hand: Any, context: Any, params: dict[str, Any], summary_path: bool,
                      sql: str, values: tuple[Any, ...], label: str) -> None:
    from zoneinfo import ZoneInfo

    from gateway.query.select import compile_select
    from gateway.storage import postgresql, sqlite
    from gateway.storage.tenants import ROOT_PATH
    from methods import aggregate as method
    from methods.aggregate.columns import View

    zone = ZoneInfo("UTC")
    view = View(scope=ROOT_PATH, operator=True, zone=zone, low=params["from_"],
                high=params["till"], user_price=False, real_billsec=False, currency="USD")
    keys = [name for name in method.row_keys(params) if name not in method.NAMED]
    use = summary_path and method.summaries_answer(params, view)
    print(f"  {label}:")
    dialect = sqlite.DIALECT if hand.engine == "SQLite" else postgresql.DIALECT
    for n, select in enumerate(method.plan.selects(params, view, keys, use), 1):
        compiled = compile_select(select, dialect)
        started = time.perf_counter()
        rows = await hand.rows(compiled.sql, compiled.params)
        took = time.perf_counter() - started
        print(f"    the method's statement {n} alone: {len(rows):,} rows in "
              f"{took * 1e3:.1f} ms:")
        print(f"      {compiled.sql}")
        print("\n".join(await plan_lines(hand, compiled.sql, compiled.params)))
    print("    hand SQL:")
    print("\n".join(await plan_lines(hand, sql, values)))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sizes = parser.add_mutually_exclusive_group()
    sizes.add_argument("--full", action="store_true", help="10,000,000 calls (else 1,000,000)")
    sizes.add_argument("--quick", action="store_true",
                       help=f"{QUICK_CALLS:,} calls, 1 run, no warm-up")
    parser.add_argument("--calls", type=int, help="another size")
    parser.add_argument("--runs", type=int, help="timed runs of each request (default 5)")
    parser.add_argument("--warmups", type=int, help="untimed runs first (default 1)")
    parser.add_argument("--paths", choices=("all", "both", "summary", "raw", "requests"),
                        default="all",
                        help="both: each grouping on each path and window; requests: the "
                             "five 30-day requests of the spec's decisions (8); all (the "
                             "default): both and the requests")
    parser.add_argument("--raw-runs", type=int,
                        help="runs (and no warm-up) on the raw path (default: as --runs)")
    parser.add_argument("--diagnose", action="store_true",
                        help="row counts, query plans, the method's statements timed alone")
    parser.add_argument("--days", type=int, default=30,
                        help="the longer window, in days up to the last (default 30): the "
                             "same rows read from a larger store, e.g. --full --days 3")
    parser.add_argument("--engine", choices=("sqlite", "postgresql"), default="sqlite")
    parser.add_argument("--postgres", metavar="DSN",
                        help="a PostgreSQL server to keep the data set on between runs "
                             "(else a throwaway cluster, the data set built in each run)")
    args = parser.parse_args()
    WINDOW_DAYS[0] = args.days
    if args.runs is None:
        args.runs = 1 if args.quick else 5
    if args.warmups is None:
        args.warmups = 0 if args.quick else 1
    calls = args.calls or (10_000_000 if args.full else QUICK_CALLS if args.quick else 1_000_000)
    if args.engine == "sqlite":
        path = database(calls)  # both cores: the generator runs in a process of its own
        pin()
        emit(asyncio.run(bench(f"sqlite:///{path}", SqliteHand(path), args)))
        return
    with serving.postgres("postgresql", args.postgres) as admin_dsn:
        assert admin_dsn is not None
        name, dsn = pg_database(admin_dsn, calls)
        pin()  # the server's processes are not pinned: they run where the system puts them

        async def run() -> list[Figure]:
            import asyncpg
            return await bench(dsn, PostgresHand(await asyncpg.connect(dsn), name), args)
        emit(asyncio.run(run()))


def pin() -> None:
    load = os.getloadavg()[0]
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {0})  # this thread and the backend's threads started later
    print(f"load average at the start {load:.2f}")


if __name__ == "__main__":
    main()
