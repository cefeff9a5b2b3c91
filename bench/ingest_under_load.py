"""Latencies of three reports while ingest runs at the peak rate, against the same reports idle.

    python bench/ingest_under_load.py [--quick] [--seconds 60] [--engine sqlite|postgresql|both]
        [--calls 20000] [--idle-calls 100] [--runs 3] [--in-flight 4] [--postgres DSN]

The store: `gateway demo --calls N` (once per engine; each run serves a fresh copy), served
by `gateway serve` on 127.0.0.1 pinned to core 0; this process (the client) runs on core 1.
The reports (tests/live_traffic.py): `aggregate_get` over 24 hours on 15-minute boundaries
(the summary path), the live report with its rollup, and a `GetCallHistory` page with its
calls, all over /rpc as a root admin.

Each run times each report idle (--idle-calls calls after 3 warm-ups), then sends 83
records every 100 ms (830 a second, decisions 7: the set-ups, answers and ends of live
two-leg calls, and finished calls) for --seconds, batch k once batch k - 4 (--in-flight)
is answered, while one reader asks the three reports one after another in a loop. It
prints, per report, p50 and p99 idle and loaded and the ratio of the loaded p99 to the
idle p99 (the target: at most 3); the ingest rate achieved, the batches' own latencies,
the server's CPU use during the load, answers whose counts differ from what was sent,
errors by code, and answers or server log lines that mention `locked`. On SQLite it
checks the file's journal mode (WAL); on PostgreSQL it samples `pg_locks` every 20 ms for
the longest lock wait, and on the throwaway cluster logs every lock wait over one batch
interval (`log_lock_waits`, `deadlock_timeout=100ms`): their number, the longest, the
locks and the statements that waited.
Each figure is the median of the --runs runs (default 3) with min and max. --quick: one
run of 10 s of ingest on a 5,000-call store, 30 idle calls of each report (about 25 s an
engine); an option given as well is kept.

Without --postgres, a throwaway PostgreSQL cluster is started when the server binaries
are installed (tests/pg_cluster.py); otherwise only SQLite is measured.
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import json
import os
import re
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiohttp
import asyncpg

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "tests"), str(ROOT / "bench")]

from live_traffic import Sent, Traffic, reports  # noqa: E402
from report import Figure, emit  # noqa: E402
from serving import free_port, pinned, wait_up  # noqa: E402

from gateway.tools.demo.destinations import DECK_ID  # noqa: E402

INTERVAL_S = 0.1  # a batch every 100 ms
PER_BATCH = 83  # records a batch: 830 a second
IN_FLIGHT = 4  # default batches unanswered at once; below the traffic's spacing of 5
WARMUPS = 3
TARGET = 3.0  # loaded p99 at most 3x the idle p99
LOCK_SAMPLE_S = 0.02
GATEWAY = [sys.executable, "-m", "gateway"]
WAIT_LINE = re.compile(r"process \d+ (?P<what>still waiting for|acquired) (?P<lock>\w+ on \w+)"
                       r".* after (?P<ms>[\d.]+) ms")


@dataclass
class Measured:
    """One run on one engine."""
    idle: dict[str, list[float]] = field(default_factory=dict)
    loaded: dict[str, list[float]] = field(default_factory=dict)
    batch_s: list[float] = field(default_factory=list)
    records: int = 0
    seconds: float = 0.0
    mismatches: int = 0
    errors: collections.Counter[str] = field(default_factory=collections.Counter)
    locked: int = 0
    server_locked: int = 0
    server_errors: list[str] = field(default_factory=list)  # distinct log lines, the first
    live_calls: int = 0
    server_cpu: float = 0.0  # the server's CPU seconds per second during the load
    lock_wait_s: float | None = None  # PostgreSQL: the longest sampled lock wait
    waits: LockWaits | None = None  # PostgreSQL: what the cluster logged


@dataclass
class LockWaits:
    """The lock waits of one run in the throwaway cluster's log (`log_lock_waits`)."""
    count: int = 0  # waits that passed deadlock_timeout
    longest_ms: float = 0.0  # the longest of them, once the lock was acquired
    kinds: collections.Counter[str] = field(default_factory=collections.Counter)
    statements: collections.Counter[str] = field(default_factory=collections.Counter)

    @classmethod
    def read(cls, text: str) -> LockWaits:
        waits = cls()
        lines = text.splitlines()
        for n, line in enumerate(lines):
            found = WAIT_LINE.search(line)
            if not found:
                continue
            if found["what"] == "still waiting for":
                waits.count += 1
                waits.kinds[found["lock"]] += 1
                statement = next((s for s in lines[n + 1:n + 4] if "STATEMENT:" in s), "")
                waits.statements[statement.split("STATEMENT:", 1)[-1].strip()[:160]] += 1
            else:
                waits.longest_ms = max(waits.longest_ms, float(found["ms"]))
        return waits


@dataclass
class Server:
    port: int
    admin: str
    ingest: str


def p(values: list[float], q: int) -> float:
    """The q-th percentile (inclusive method); p(., 50) is the median."""
    if len(values) == 1:
        return values[0]
    return statistics.quantiles(values, n=100, method="inclusive")[q - 1]


async def call(session: aiohttp.ClientSession, server: Server, key: str, method: str,
               params: dict[str, Any], m: Measured) -> tuple[float, Any]:
    """(seconds from request to the parsed answer, the answer); errors counted in `m`."""
    body = {"jsonrpc": "2.0", "method": method, "params": params, "id": 1}
    started = time.perf_counter()
    async with session.post(f"http://127.0.0.1:{server.port}/rpc", json=body,
                            headers={"X-Api-Key": key}) as response:
        text = await response.text()
    answer = json.loads(text) if text else None
    seconds = time.perf_counter() - started
    if "locked" in text.lower():
        m.locked += 1
    if isinstance(answer, dict) and "error" in answer:
        m.errors[f"{method}: {answer['error'].get('code')}"] += 1
    elif response.status != 200 or not isinstance(answer, dict) or "result" not in answer:
        m.errors[f"{method}: HTTP {response.status}"] += 1
    return seconds, answer


async def idle(session: aiohttp.ClientSession, server: Server, calls: int, m: Measured) -> None:
    for label, (method, params) in reports(int(time.time())).items():
        for _ in range(WARMUPS):
            await call(session, server, server.admin, method, params, m)
        m.idle[label] = [(await call(session, server, server.admin, method, params, m))[0]
                         for _ in range(calls)]


async def send(session: aiohttp.ClientSession, server: Server, traffic: Traffic,
               seconds: float, window: int, m: Measured) -> None:
    """A batch every INTERVAL_S for `seconds`, at most --in-flight unanswered."""
    async def one(sent: Sent) -> None:
        took, answer = await call(session, server, server.ingest, "ingest.sessions",
                                  {"records": sent.records}, m)
        m.batch_s.append(took)
        result = answer.get("result") if isinstance(answer, dict) else None
        if result != {"accepted": sent.accepted, "unchanged": sent.unchanged, "rejected": []}:
            m.mismatches += 1
        m.records += len(sent.records)

    in_flight: collections.deque[asyncio.Task[None]] = collections.deque()
    started = time.monotonic()
    for k in range(round(seconds / INTERVAL_S)):
        await asyncio.sleep(max(0.0, started + k * INTERVAL_S - time.monotonic()))
        if len(in_flight) == window:
            await in_flight.popleft()
        in_flight.append(asyncio.create_task(one(traffic.batch())))
    await asyncio.gather(*in_flight)
    m.seconds = max(seconds, time.monotonic() - started)  # on time: exactly `seconds`
    m.live_calls = traffic.live


async def read(session: aiohttp.ClientSession, server: Server, done: asyncio.Event,
               m: Measured) -> None:
    m.loaded = {label: [] for label in reports(0)}
    while not done.is_set():
        for label, (method, params) in reports(int(time.time())).items():
            m.loaded[label].append(
                (await call(session, server, server.admin, method, params, m))[0])


async def watch_locks(dsn: str, done: asyncio.Event, m: Measured) -> None:
    """The longest wait for a lock seen in pg_locks, sampled every LOCK_SAMPLE_S."""
    connection = await asyncpg.connect(dsn)
    longest = 0.0
    try:
        while not done.is_set():
            waited = await connection.fetchval(
                "SELECT EXTRACT(EPOCH FROM max(clock_timestamp() - waitstart)) FROM pg_locks "
                "WHERE NOT granted AND waitstart IS NOT NULL")
            longest = max(longest, float(waited or 0))
            await asyncio.sleep(LOCK_SAMPLE_S)
    finally:
        await connection.close()
    m.lock_wait_s = longest


def cpu_seconds(pid: int) -> float:
    """User and system CPU time of a process so far."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


async def measure(server: Server, args: argparse.Namespace, dsn: str | None,
                  pid: int) -> Measured:
    m = Measured()
    connector = aiohttp.TCPConnector(limit=args.in_flight + 2)
    async with aiohttp.ClientSession(connector=connector) as session:
        await idle(session, server, args.idle_calls, m)
        idle_errors, m.errors = m.errors, collections.Counter()
        m.errors.update({f"idle {k}": v for k, v in idle_errors.items()})
        done = asyncio.Event()
        watchers = [asyncio.create_task(read(session, server, done, m))]
        if dsn:
            watchers.append(asyncio.create_task(watch_locks(dsn, done, m)))
        traffic = Traffic("peak", per_batch=PER_BATCH, code_deck_id=DECK_ID)
        cpu = cpu_seconds(pid)
        try:
            await send(session, server, traffic, args.seconds, args.in_flight, m)
            m.server_cpu = (cpu_seconds(pid) - cpu) / m.seconds
        finally:
            done.set()
            await asyncio.gather(*watchers)
    return m


# ---------------------------------------------------------------- the store and the server

def environment(tmp: Path, database: str) -> dict[str, str]:
    return {**os.environ, "GATEWAY_DATABASE": database, "GATEWAY_LOG__LEVEL": "WARNING",
            "GATEWAY_EXPORTS__FOLDER": str(tmp / "exports")}


def make_key(env: dict[str, str], role: str) -> str:
    made = subprocess.run([*GATEWAY, "keys", "create", "--role", role, "--rate-limit",
                           "unlimited"], env=env, capture_output=True, text=True, check=True)
    return made.stdout.strip().splitlines()[-1]


def serve_and_measure(tmp: Path, database: str, args: argparse.Namespace,
                      dsn: str | None) -> Measured:
    env = environment(tmp, database)
    port = free_port()
    server = Server(port, make_key(env, "admin"), make_key(env, "ingest"))
    log = tmp / "server.log"
    with log.open("w") as out:
        process = subprocess.Popen(
            pinned(0, [*GATEWAY, "serve", "--host", "127.0.0.1", "--port", str(port)]),
            env=env, cwd=tmp, stdout=out, stderr=subprocess.STDOUT)
        try:
            wait_up(f"http://127.0.0.1:{port}/healthz")
            m = asyncio.run(measure(server, args, dsn, process.pid))
        finally:
            process.terminate()
            process.wait(30)
    lines = log.read_text().splitlines()
    m.server_locked = sum("locked" in line.lower() for line in lines)
    m.server_errors = sorted({line[:200] for line in lines if "Error" in line})[:5]
    return m


class Engine:
    """A demo store built once, copied fresh for each run."""

    def __init__(self, name: str, tmp: Path, calls: int, admin_dsn: str | None) -> None:
        self.name, self.tmp = name, tmp
        self.databases: Any = None
        self.made: list[str] = []  # PostgreSQL databases to drop
        if admin_dsn:
            from pg_cluster import Databases
            self.databases = Databases(admin_dsn)
            self.source = self.databases.create()
            self.made.append(self.source)
            database = self.databases.dsn(self.source)
        else:
            database = f"sqlite:///{tmp / 'demo.db'}"
        started = time.perf_counter()
        done = subprocess.run([*GATEWAY, "demo", "--calls", str(calls)],
                              env=environment(tmp, database), cwd=tmp, capture_output=True,
                              text=True, check=False)
        if done.returncode != 0:
            raise SystemExit(f"gateway demo failed ({done.returncode}):\n{done.stderr[-3000:]}")
        print(f"{name}: gateway demo --calls {calls} stored in "
              f"{time.perf_counter() - started:.0f} s", flush=True)

    def copy(self, run: int) -> tuple[str, str | None]:
        """A fresh copy of the demo store: (database URL, PostgreSQL DSN or None)."""
        if self.databases is not None:
            self.made.append(self.databases.copy(self.source))
            dsn = self.databases.dsn(self.made[-1])
            return dsn, dsn
        target = self.tmp / f"run{run}.db"
        with sqlite3.connect(self.tmp / "demo.db") as source, sqlite3.connect(target) as copy:
            source.backup(copy)
        return f"sqlite:///{target}", None

    def journal_mode(self, database: str) -> str:
        with sqlite3.connect(database.removeprefix("sqlite:///")) as conn:
            return str(conn.execute("PRAGMA journal_mode").fetchone()[0])

    def close(self) -> None:
        if self.databases is not None:
            for name in self.made:
                self.databases.drop(name)
            self.databases.close()


# ---------------------------------------------------------------- the figures

def fmt(values: list[float], scale: float = 1e3, digits: int = 1) -> str:
    """The median, with min and max when there are several runs."""
    mid = f"{statistics.median(values) * scale:.{digits}f}"
    if len(values) == 1:
        return mid
    return f"{mid} ({min(values) * scale:.{digits}f}-{max(values) * scale:.{digits}f})"


def figures(name: str, runs: list[Measured]) -> list[Figure]:
    """Per report, the loaded p99 of each run against the idle p99 of each run."""
    return [Figure("ingest under load", f"{name}, {label}: p99 while ingest runs", "s",
                   tuple(p(m.loaded[label], 99) for m in runs), "p99 idle",
                   tuple(p(m.idle[label], 99) for m in runs), target=TARGET)
            for label in runs[0].idle]


def report(name: str, runs: list[Measured], extra: list[str]) -> None:
    print(f"\n{name}: {len(runs)} run(s); ms; ratio = loaded p99 / idle p99 of the same run "
          f"(target <= {TARGET:.0f})")
    table = [["report", "idle p50", "idle p99", "loaded p50", "loaded p99", "ratio",
              "loaded calls"]]
    for label in runs[0].idle:
        ratios = [p(m.loaded[label], 99) / p(m.idle[label], 99) for m in runs]
        table.append([label, *(fmt([p(getattr(m, phase)[label], q) for m in runs])
                               for phase in ("idle", "loaded") for q in (50, 99)),
                      fmt(ratios, 1, 2), str(min(len(m.loaded[label]) for m in runs))])
    widths = [max(len(row[i]) for row in table) for i in range(len(table[0]))]
    for row in table:
        print("  " + "  ".join(cell.ljust(w) if i == 0 else cell.rjust(w)
                               for i, (cell, w) in enumerate(zip(row, widths))))
    rates = [m.records / m.seconds for m in runs]
    print(f"  ingest: {fmt(rates, 1, 0)} records/s achieved (830 asked); batch of {PER_BATCH} "
          f"p50 {fmt([p(m.batch_s, 50) for m in runs])} ms, p99 "
          f"{fmt([p(m.batch_s, 99) for m in runs])} ms, max "
          f"{fmt([max(m.batch_s) for m in runs])} ms; live calls at the end "
          f"{runs[-1].live_calls:,}; server CPU during the load "
          f"{fmt([m.server_cpu for m in runs], 100, 0)}% of a core")
    errors: collections.Counter[str] = collections.Counter()
    for m in runs:
        errors.update(m.errors)
    print(f"  counts differing from what was sent: {sum(m.mismatches for m in runs)}; "
          f"errors by code: {dict(errors) or 'none'}; answers mentioning `locked`: "
          f"{sum(m.locked for m in runs)}; server log lines mentioning `locked`: "
          f"{sum(m.server_locked for m in runs)}")
    for line in sorted({e for m in runs for e in m.server_errors}):
        print(f"  server log: {line}")
    for line in extra:
        print(f"  {line}")


def run_engine(name: str, admin_dsn: str | None, args: argparse.Namespace,
               cluster: Any) -> list[Figure]:
    with tempfile.TemporaryDirectory(prefix="under-load-") as folder:
        tmp = Path(folder)
        engine = Engine(name, tmp, args.calls, admin_dsn)
        runs: list[Measured] = []
        extra: list[str] = []
        try:
            for run in range(args.runs):
                database, dsn = engine.copy(run)
                logged = cluster.log.stat().st_size if cluster is not None else 0
                if dsn is None:
                    extra.append(f"run {run + 1}: journal_mode={engine.journal_mode(database)}")
                m = serve_and_measure(tmp, database, args, dsn)
                if cluster is not None:
                    with cluster.log.open("rb") as handle:
                        handle.seek(logged)
                        m.waits = LockWaits.read(handle.read().decode(errors="replace"))
                if dsn is not None:
                    extra.extend(lock_lines(run, m))
                runs.append(m)
        finally:
            engine.close()
        report(name, runs, extra)
    return figures(name, runs)


def lock_lines(run: int, m: Measured) -> list[str]:
    out = [f"run {run + 1}: longest lock wait sampled in pg_locks "
           f"{(m.lock_wait_s or 0) * 1e3:.0f} ms"]
    if m.waits is not None:
        out.append(f"run {run + 1}: lock waits over {INTERVAL_S * 1e3:.0f} ms logged: "
                   f"{m.waits.count} (longest {m.waits.longest_ms:.0f} ms), "
                   f"{dict(m.waits.kinds)}")
        out.extend(f"    {n} x {statement}" for statement, n in m.waits.statements.most_common(3))
    return out


def log_lock_waits(dsn: str) -> None:
    """Log every lock wait longer than one batch interval (the throwaway cluster only)."""
    async def apply() -> None:
        connection = await asyncpg.connect(dsn)
        try:
            await connection.execute("ALTER SYSTEM SET log_lock_waits = on")
            await connection.execute(
                f"ALTER SYSTEM SET deadlock_timeout = '{int(INTERVAL_S * 1e3)}ms'")
            await connection.execute("SELECT pg_reload_conf()")
        finally:
            await connection.close()
    asyncio.run(apply())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true",
                        help="1 run, 10 s of ingest, 5,000 demo calls, 30 idle calls")
    parser.add_argument("--seconds", type=float, help="of ingest (default 60)")
    parser.add_argument("--engine", choices=("sqlite", "postgresql", "both"), default="both")
    parser.add_argument("--calls", type=int, help="demo sessions (20,000)")
    parser.add_argument("--idle-calls", type=int,
                        help="timed idle calls of each report (default 100)")
    parser.add_argument("--runs", type=int, help="on fresh copies (default 3)")
    parser.add_argument("--in-flight", type=int, choices=range(1, IN_FLIGHT + 1),
                        default=IN_FLIGHT, metavar="1-4",
                        help="ingest batches unanswered at once (default 4)")
    parser.add_argument("--postgres", help="a PostgreSQL server DSN (databases are created)")
    args = parser.parse_args()
    for option, default, quick in (("seconds", 60.0, 10.0), ("calls", 20_000, 5_000),
                                   ("idle_calls", 100, 30), ("runs", 3, 1)):
        if getattr(args, option) is None:
            setattr(args, option, quick if args.quick else default)
    if hasattr(os, "sched_setaffinity") and shutil.which("taskset"):
        os.sched_setaffinity(0, {1 % (os.cpu_count() or 1)})  # the client; the server on 0
    load = os.getloadavg()[0]
    cluster = None
    admin_dsn = args.postgres
    if args.engine != "sqlite" and admin_dsn is None:
        from pg_cluster import Unavailable, start_cluster
        try:
            cluster = start_cluster()
            admin_dsn = cluster.dsn
            log_lock_waits(admin_dsn)
        except Unavailable as exc:
            if args.engine == "postgresql":
                raise SystemExit(f"PostgreSQL not available: {exc}")
            print(f"PostgreSQL not measured: {exc}")
    print(f"{args.seconds:g} s of ingest at {PER_BATCH} records every "
          f"{INTERVAL_S * 1e3:.0f} ms, at most {args.in_flight} batches unanswered; "
          f"{args.idle_calls} idle calls of each report; load average at the start {load:.2f}",
          flush=True)
    measured: list[Figure] = []
    try:
        if args.engine in ("sqlite", "both"):
            measured += run_engine("SQLite", None, args, None)
        if args.engine in ("postgresql", "both") and admin_dsn:
            measured += run_engine("PostgreSQL", admin_dsn, args, cluster)
    finally:
        if cluster is not None:
            cluster.stop()
    print(f"load average at the end {os.getloadavg()[0]:.2f}")
    emit(measured)


if __name__ == "__main__":
    main()
