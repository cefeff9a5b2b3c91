"""Throughput and memory of a call-history CSV export of about a million rows, and the
time of a synchronous `GetCallHistory` page against hand-written SQL for the same page.

    python bench/history_export.py [--quick] [--calls 1000000] [--part export|pages|both]
        [--page-calls N] [--runs 10] [--engine sqlite|postgresql|both] [--postgres DSN]

The data: the cached database of `bench/aggregate.py` (`gateway demo` traffic over 30
days, built by the bulk loader when missing), copied so that the export jobs' rows do not
change it. The gateway runs as `gateway serve` (pinned to core 0); this script asks it:

- async: `GetCallHistory` with `output=csv`, `is_async=true`, `child_account_id=all` over
  the whole 30 days; the time from the request to `GetHistoryReports` showing it
  completed (the job streams the rows from a cursor into a gzip file);
- "sync": `DownloadHistoryReport` on `/platform_api` streaming that file, decompressed on
  the way (`Accept-Encoding: identity`), and as stored (`gzip`).

The baseline, in the same run (core 1): Python's sqlite3 reading the same sessions and
the csv module writing the same columns into a gzip file (at the gateway's level).
Figures are rows per second, and the peak resident memory of the gateway process (VmHWM)
after both exports. --quick: the 100,000 calls of `bench/aggregate.py --quick` (that data
set built once when missing, about a minute; the export itself takes seconds).

Pages: `GetCallHistory` (JSON, the default flags: the total count and each session's other
charges) as the root admin with `child_account_id=all` over the same 30 days, its first
page and its deepest page of 100 (`offset` 9,900; the method allows at most 10,000), run
in-process (no HTTP) on the gateway's backend, against the hand SQL a DBA would write for
the same answer: the page's ids found by the setup-time order alone, then their columns
and the application's name joined to those 100 rows; the count; the page's charges (one
statement each). Each page's answer is checked equal first; then 1 warm-up and --runs
timed runs (default 10), method and hand SQL alternating, this process pinned to core 0.
The data set: `bench/aggregate.py`'s for --page-calls calls (default: as --calls; --quick
20,000, so that PostgreSQL's is built in seconds); on PostgreSQL (`--engine postgresql` or
`both`; default sqlite) the same demo traffic stored by `gateway demo`'s own code
(`aggregate.pg_database`) in a throwaway cluster (tests/pg_cluster.py, not pinned) or on the
server of --postgres (kept there between runs), ANALYZEd first; the hand SQL through
asyncpg. The export is measured on SQLite only (with --engine postgresql it is not run).
"""

from __future__ import annotations

import argparse
import asyncio
import csv
import datetime as dt
import gzip
import json
import os
import shutil
import subprocess
import sys
import time
import urllib.request
from decimal import Decimal
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import aggregate as data_set  # noqa: E402  (bench/aggregate.py: the cached database)
from report import Figure, emit  # noqa: E402
from serving import free_port, pinned, postgres, wait_up  # noqa: E402

from methods.exports import GZIP_LEVEL  # noqa: E402  (the same compression both ways)

COLUMNS = ("audio_quality", "rule_name", "application_name", "call_session_history_id",
           "account_id", "application_id", "user_id", "start_date", "duration",
           "initiator_address", "media_server_address", "log_file_url", "finish_reason",
           "custom_data")
RAW_SQL = """SELECT s.audio_quality, s.rule_name, a.name, s.id, s.tenant_id, s.application_id,
    (SELECT l.user_id FROM legs l WHERE l.session_id = s.id AND l.user_id IS NOT NULL
     ORDER BY l.position LIMIT 1), strftime('%Y-%m-%d %H:%M:%S', s.setup_time, 'unixepoch'),
    s.end_time - s.setup_time, s.initiator_address, s.media_server_address, s.log_file_url,
    s.finish_reason, s.custom_data
    FROM sessions s LEFT JOIN applications a ON a.id = s.application_id
    WHERE s.end_time IS NOT NULL AND s.kind IN ('call', 'video')
    AND s.setup_time BETWEEN ? AND ? ORDER BY s.setup_time, s.id"""


def raw_export(path: Path, low: int, high: int, out: Path) -> tuple[int, float]:
    """(rows, seconds) of the plain loop: sqlite3 rows into csv.writer into gzip."""
    started = time.perf_counter()
    rows = 0
    with sqlite_connect(path) as conn, \
            gzip.open(out, "wt", compresslevel=GZIP_LEVEL, newline="") as handle:
        writer = csv.writer(handle, lineterminator="\r\n")
        writer.writerow(COLUMNS)
        cursor = conn.execute(RAW_SQL, (low, high))
        while chunk := cursor.fetchmany(1000):
            writer.writerows(["" if v is None else v for v in row] for row in chunk)
            rows += len(chunk)
    return rows, time.perf_counter() - started


def sqlite_connect(path: Path) -> Any:
    import sqlite3

    return sqlite3.connect(path)


def rpc(port: int, key: str, method: str, params: dict[str, Any]) -> Any:
    body = json.dumps({"jsonrpc": "2.0", "method": method, "params": params, "id": 1}).encode()
    request = urllib.request.Request(f"http://127.0.0.1:{port}/rpc", data=body, headers={
        "X-Api-Key": key, "Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=600) as answer:
        payload = json.loads(answer.read())
    if "result" not in payload:
        raise SystemExit(f"{method} failed: {payload}")
    return payload["result"]


def download(port: int, key: str, report_id: int, encoding: str) -> tuple[int, int, float]:
    """(bytes, lines, seconds) of a download through the vendor route."""
    url = (f"http://127.0.0.1:{port}/platform_api/DownloadHistoryReport?"
           f"history_report_id={report_id}&account_id={key.partition('.')[0]}&api_key={key}")
    request = urllib.request.Request(url, headers={"Accept-Encoding": encoding})
    started = time.perf_counter()
    size = lines = 0
    with urllib.request.urlopen(request, timeout=600) as answer:
        while block := answer.read(1 << 16):
            size += len(block)
            lines += block.count(b"\n")
    return size, lines, time.perf_counter() - started


def peak_rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def export(args: argparse.Namespace) -> list[Figure]:
    """The export's figures (SQLite)."""
    source = data_set.database(args.calls)
    work = Path(data_set.DATA) / "history-export"
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    db = work / "store.db"
    shutil.copy(source, db)
    end = int(data_set.ANCHOR.timestamp())
    low, high = end - 30 * data_set.DAY, end - 1
    fmt = "%Y-%m-%d %H:%M:%S"
    window = {"from_date": time.strftime(fmt, time.gmtime(low)),
              "to_date": time.strftime(fmt, time.gmtime(high))}

    port = free_port()
    env = {**os.environ, "GATEWAY_DATABASE": f"sqlite:///{db}", "GATEWAY_PORT": str(port),
           "GATEWAY_HOST": "127.0.0.1", "GATEWAY_EXPORTS__FOLDER": str(work / "exports"),
           "GATEWAY_LOG__LEVEL": "WARNING"}
    gateway = [sys.executable, "-m", "gateway"]
    made = subprocess.run([*gateway, "keys", "create", "--role", "admin", "--rate-limit",
                           "unlimited"], env=env, capture_output=True, text=True, check=True)
    key = made.stdout.strip().splitlines()[-1]
    server = subprocess.Popen(pinned(0, [*gateway, "serve"]), env=env)
    try:
        wait_up(f"http://127.0.0.1:{port}/healthz")
        started = time.perf_counter()
        job = rpc(port, key, "GetCallHistory",
                  {**window, "output": "csv", "is_async": True, "child_account_id": "all"})
        report_id = job["history_report_id"]
        while True:
            report = rpc(port, key, "GetHistoryReports", {
                "history_report_id": [report_id]})["result"][0]
            if report["status"] in ("completed", "failed"):
                break
            time.sleep(0.05)
        async_s = time.perf_counter() - started
        if report["status"] != "completed":
            raise SystemExit(f"the export failed: {report}")
        rows = report["calculated_data"]["session_count"]
        plain_bytes, lines, plain_s = download(port, key, report_id, "identity")
        gzip_bytes, _, gzip_s = download(port, key, report_id, "gzip")
        peak = peak_rss_mb(server.pid)
    finally:
        server.terminate()
        server.wait(30)
    os.sched_setaffinity(0, {1}) if hasattr(os, "sched_setaffinity") else None
    raw_rows, raw_s = raw_export(db, low, high, work / "raw.csv.gz")
    assert lines == rows + 1 == raw_rows + 1, (lines, rows, raw_rows)
    raw_rate = raw_rows / raw_s
    print(f"{rows:,} sessions over 30 days ({args.calls:,} demo calls); gateway pinned to core 0,"
          f" the raw loop on core 1")
    print(f"  raw loop (sqlite3 -> csv -> gzip)   {raw_s:7.2f} s  {raw_rate:10,.0f} rows/s  1.00")
    figures = []
    for label, seconds in (("async export (job to completed)", async_s),
                           ("download, decompressed", plain_s), ("download, gzip", gzip_s)):
        rate = rows / seconds
        print(f"  {label:35s} {seconds:7.2f} s  {rate:10,.0f} rows/s  {rate / raw_rate:.2f}")
        figures.append(Figure("history export", label, "rows/s", (rate,),
                              "raw loop (sqlite3 -> csv -> gzip)", (raw_rate,),
                              higher_is_better=True))
    print(f"  file: {plain_bytes / 1e6:,.1f} MB of CSV, {gzip_bytes / 1e6:,.1f} MB gzip")
    print(f"  gateway peak RSS (VmHWM): {peak:.0f} MB (target under 100 MB)")
    shutil.rmtree(work, ignore_errors=True)
    # No baseline is measured for the memory (its target, under 100 MB, is absolute): the
    # figure is its own baseline.
    figures.append(Figure("history export", "gateway peak RSS (VmHWM) after both exports",
                          "MB", (peak,), "itself (no baseline; target under 100 MB)", (peak,)))
    return figures


# ---------------------------------------------------------------- synchronous pages

PAGE_COUNT, DEEP_OFFSET = 100, 9_900
QUICK_PAGE_CALLS = 20_000
# The sessions the window holds, in the family's order: their ids first, from the setup
# times and ids alone; the columns (CallSessionInfoType's, in COLUMNS order) read for the
# page's rows only.
PAGE_SQL = """WITH page AS (
        SELECT s.id FROM sessions s
        WHERE s.setup_time BETWEEN ? AND ? AND s.end_time IS NOT NULL
        AND s.kind IN ('call', 'video')
        ORDER BY s.setup_time, s.id LIMIT ? OFFSET ?)
    SELECT s.audio_quality, s.rule_name, a.name, s.id, s.tenant_id, s.application_id,
        (SELECT l.user_id FROM legs l WHERE l.session_id = s.id AND l.user_id IS NOT NULL
         ORDER BY l.position LIMIT 1),
        s.setup_time, s.end_time - s.setup_time, s.initiator_address, s.media_server_address,
        s.log_file_url, s.finish_reason, s.custom_data
    FROM page JOIN sessions s ON s.id = page.id
    LEFT JOIN applications a ON a.id = s.application_id
    ORDER BY s.setup_time, s.id"""
COUNT_SQL = """SELECT COUNT(*) FROM sessions
    WHERE setup_time BETWEEN ? AND ? AND end_time IS NOT NULL AND kind IN ('call', 'video')"""
# The page's other charges, the leg each names (by the session's leg id) joined.
CHARGES_SQL = """SELECT u.session_id, u.id, u.resource_type, u.cost, u.description,
        u.used_at, u.quantity, u.unit, l.id
    FROM resource_usage u
    LEFT JOIN legs l ON l.session_id = u.session_id AND l.leg_id = u.ref_leg_id
    WHERE u.session_id IN {ids}
    ORDER BY u.session_id, u.used_at, u.id"""
PG_PAGE_SQL = PAGE_SQL.replace("BETWEEN ? AND ?", "BETWEEN $1 AND $2").replace(
    "LIMIT ? OFFSET ?", "LIMIT $3 OFFSET $4")
PG_COUNT_SQL = COUNT_SQL.replace("BETWEEN ? AND ?", "BETWEEN $1 AND $2")


class SqlitePages:
    """The hand SQL through Python's sqlite3 (the page's ids in as one JSON array)."""

    engine, baseline = "sqlite", "hand SQL (sqlite3)"
    charges_sql = CHARGES_SQL.format(ids="(SELECT value FROM json_each(?))")

    def __init__(self, database: str) -> None:
        self.conn = sqlite_connect(Path(database.removeprefix("sqlite:///")))

    async def page(self, low: int, high: int, count: int, offset: int) -> Any:
        rows = self.conn.execute(PAGE_SQL, (low, high, count, offset)).fetchall()
        total = self.conn.execute(COUNT_SQL, (low, high)).fetchone()[0]
        ids = json.dumps([row[3] for row in rows])
        return rows, total, self.conn.execute(self.charges_sql, (ids,)).fetchall()

    async def plan(self, low: int, high: int, offset: int) -> list[str]:
        found = self.conn.execute(f"EXPLAIN QUERY PLAN {PAGE_SQL}",
                                  (low, high, PAGE_COUNT, offset)).fetchall()
        return [str(row[-1]) for row in found]

    async def close(self) -> None:
        self.conn.close()


class PostgresPages:
    """The hand SQL through asyncpg (the page's ids in as one array)."""

    engine, baseline = "postgresql", "hand SQL (asyncpg)"
    charges_sql = CHARGES_SQL.replace("IN {ids}", "= ANY($1::bigint[])")

    def __init__(self, dsn: str) -> None:
        self.dsn, self.conn = dsn, None

    async def open(self) -> None:
        import asyncpg

        self.conn = await asyncpg.connect(self.dsn)
        await self.conn.execute("ANALYZE")  # as a DBA would after loading

    async def page(self, low: int, high: int, count: int, offset: int) -> Any:
        rows = await self.conn.fetch(PG_PAGE_SQL, low, high, count, offset)
        total = await self.conn.fetchval(PG_COUNT_SQL, low, high)
        charges = await self.conn.fetch(self.charges_sql, [row[3] for row in rows])
        return [tuple(r) for r in rows], total, [tuple(r) for r in charges]

    async def plan(self, low: int, high: int, offset: int) -> list[str]:
        found = await self.conn.fetch(f"EXPLAIN ANALYZE {PG_PAGE_SQL}", low, high,
                                      PAGE_COUNT, offset)
        return [row[0] for row in found]

    async def close(self) -> None:
        await self.conn.close()


def seconds(text: str) -> int:
    """Unix seconds of an answer's date (the window's zone is Etc/GMT, i.e. UTC)."""
    return int(dt.datetime.strptime(text, "%Y-%m-%d %H:%M:%S")
               .replace(tzinfo=dt.timezone.utc).timestamp())


def as_hand(answer: dict[str, Any]) -> tuple[Any, ...]:
    """The method's answer laid out as the hand SQL's rows: (sessions, total, charges)."""
    sessions, charges = [], []
    for s in answer["result"]:
        sessions.append(tuple(seconds(s[c]) if c == "start_date" else s.get(c)
                              for c in COLUMNS))
        for u in s.get("other_resource_usage", ()):
            charges.append((
                s["call_session_history_id"], u["resource_usage_id"], u.get("resource_type"),
                None if u.get("cost") is None else int(u["cost"] * 1_000_000),
                u.get("description"), None if u.get("used_at") is None else seconds(u["used_at"]),
                u.get("resource_quantity"), u.get("unit"), u.get("ref_call_id")))
    return sessions, answer["total_count"], charges


def normal(hand: tuple[Any, ...]) -> tuple[Any, ...]:
    """The hand rows with the stored quantity (text) as the number the answer writes."""
    rows, total, charges = hand
    return ([tuple(r) for r in rows], total,
            [(*c[:6], None if c[6] is None else Decimal(c[6]), *c[7:]) for c in charges])


async def time_pages(database: str, hand: Any, runs: int) -> list[Figure]:
    from gateway.core.config import load_config
    from gateway.tools.commands import as_root
    from methods.history.calls import CallHistoryParams, call_history

    end = int(data_set.ANCHOR.timestamp())
    low, high = end - 30 * data_set.DAY, end - 1
    fmt = "%Y-%m-%d %H:%M:%S"
    window = {"from_date": time.strftime(fmt, time.gmtime(low)),
              "to_date": time.strftime(fmt, time.gmtime(high)), "child_account_id": "all"}
    config = load_config(environ={}, search_default=False, overrides={"database": database})
    if hasattr(hand, "open"):
        await hand.open()
    figures: list[Figure] = []
    prefix = "PostgreSQL: " if hand.engine == "postgresql" else ""

    async def work(context: Any) -> None:
        for label, offset in (("first page", 0), (f"page at offset {DEEP_OFFSET:,}",
                                                  DEEP_OFFSET)):
            params = CallHistoryParams().load({**window, "count": PAGE_COUNT, "offset": offset})
            got = as_hand(await call_history(context, params))
            expected = normal(await hand.page(low, high, PAGE_COUNT, offset))
            if got != expected:
                raise SystemExit(f"{label}: the answers differ (sessions equal: "
                                 f"{got[0] == expected[0]}, totals {got[1]} and {expected[1]},"
                                 f" charges equal: {got[2] == expected[2]})")
            method_s, hand_s = [], []
            for run in range(runs + 1):  # the first one a warm-up
                started = time.perf_counter()
                await call_history(context, params)
                middle = time.perf_counter()
                await hand.page(low, high, PAGE_COUNT, offset)
                if run:
                    method_s.append(middle - started)
                    hand_s.append(time.perf_counter() - middle)
            name = f"{prefix}GetCallHistory, {label} of {PAGE_COUNT}, 30 days"
            figure = Figure("call history", name, "s", tuple(method_s), hand.baseline,
                            tuple(hand_s))
            figures.append(figure)
            print(f"  {label:24s} ({len(got[0])} sessions of {got[1]:,}, {len(got[2])} charges)"
                  f"  GetCallHistory {figure.median * 1e3:7.2f} ms ({min(method_s) * 1e3:.2f}-"
                  f"{max(method_s) * 1e3:.2f})   {hand.baseline} {figure.baseline * 1e3:7.2f} "
                  f"ms ({min(hand_s) * 1e3:.2f}-{max(hand_s) * 1e3:.2f})   ratio "
                  f"{figure.ratio:.2f}")
        print("  hand SQL plan of the deep page: " + "\n    ".join(
            ["", *await hand.plan(low, high, DEEP_OFFSET)]))

    await as_root(config, work)
    await hand.close()
    return figures


def pages(args: argparse.Namespace) -> list[Figure]:
    """The pages' figures on each engine asked for."""
    calls = args.page_calls or (QUICK_PAGE_CALLS if args.quick else args.calls)
    figures: list[Figure] = []
    with postgres(args.engine, args.postgres) as server:
        stores: list[tuple[str, Any]] = []
        if args.engine != "postgresql":
            path = data_set.database(calls)
            stores.append((f"sqlite:///{path}", SqlitePages(f"sqlite:///{path}")))
        if server:
            _, dsn = data_set.pg_database(server, calls)
            stores.append((dsn, PostgresPages(dsn)))
        if hasattr(os, "sched_setaffinity"):
            os.sched_setaffinity(0, {0})
        for database, hand in stores:
            engine = "SQLite" if hand.engine == "sqlite" else "PostgreSQL"
            print(f"{engine}: GetCallHistory pages over 30 days of {calls:,} demo calls, in-"
                  f"process, {args.runs} runs after a warm-up, median (min-max); answers "
                  "checked equal; this process pinned to core 0")
            figures += asyncio.run(time_pages(database, hand, args.runs))
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true",
                        help=f"{data_set.QUICK_CALLS:,} calls (aggregate.py --quick's data set)")
    parser.add_argument("--calls", type=int, help="demo calls (default 1,000,000)")
    parser.add_argument("--part", choices=("export", "pages", "both"), default="both")
    parser.add_argument("--page-calls", type=int,
                        help=f"the pages' data set (default: as --calls; --quick "
                             f"{QUICK_PAGE_CALLS:,})")
    parser.add_argument("--runs", type=int, default=10, help="timed runs of each page")
    parser.add_argument("--engine", choices=("sqlite", "postgresql", "both"), default="sqlite",
                        help="the pages' engines (the export is SQLite's)")
    parser.add_argument("--postgres", metavar="DSN",
                        help="a PostgreSQL server to keep the data set on between runs "
                             "(else a throwaway cluster, the data set built in each run)")
    args = parser.parse_args()
    if args.calls is None:
        args.calls = data_set.QUICK_CALLS if args.quick else 1_000_000
    figures = []
    if args.part != "pages" and args.engine != "postgresql":
        figures += export(args)
    if args.part != "export":
        figures += pages(args)
    emit(figures)


if __name__ == "__main__":
    main()
