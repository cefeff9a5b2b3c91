"""The video session list deep in its pages: page 500 of 10 over 1,000,000 sessions,
ordered by date (the default order), against hand-written SQL for the same page.

    python bench/video_sessions.py [--quick] [--sessions 1000000] [--runs 10]
        [--engine sqlite|postgresql|both] [--postgres DSN]

The data: ended video sessions of 2 to 4 participants each (users of a few hundred
customers, a tenth of the sessions recorded), spread over 30 days, stored once through
the bulk loader (`gateway.tools.demo.bulk.load_sessions`, the rows the ingest path writes) and
cached in `bench/.data/`. `ucaas.sessions.list` runs in-process as the root admin on the
gateway's backend; the hand SQL runs in the same process (pinned to core 0), with Python's
sqlite3 on SQLite and asyncpg on PostgreSQL: it pages the sessions by connect time, session
id and id, computes the page's owners and minutes, and counts the sessions (the method's
`total`). Both answers are checked equal before timing. --quick: 100,000 sessions (their
data set built once in about half a minute; the timed runs take a second).

--engine (default sqlite): postgresql or both measure the same on PostgreSQL, the same
records bulk-loaded into a throwaway cluster (tests/pg_cluster.py; its processes not
pinned), or into a database kept on the server of --postgres between runs.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import os
import random
import sqlite3
import statistics
import sys
import time
from pathlib import Path
from typing import Any, Iterator

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from report import Figure, emit  # noqa: E402
from serving import pg_database, postgres  # noqa: E402

DATA = Path(__file__).resolve().parent / ".data"
DATA_VERSION = 1
ANCHOR = dt.datetime(2026, 10, 1, tzinfo=dt.timezone.utc)
PAGE, PAGE_LENGTH = 500, 10
ENGINES = {"sqlite": "SQLite", "postgresql": "PostgreSQL"}
# The figures' names on each engine (SQLite's as before the engines were two).
PREFIX = {"sqlite": "", "postgresql": "PostgreSQL: "}
BASELINE = {"sqlite": "hand SQL", "postgresql": "hand SQL (asyncpg)"}

HAND = """SELECT v.session_id, v.meeting_id, v.room_id, v.connect, v.end_time, v.app_type,
    (SELECT o.user_id FROM legs o WHERE o.session_id = v.id ORDER BY o.position, o.id
     LIMIT 1) AS owner,
    (SELECT COALESCE(SUM((p.end_time - p.start_time + 59) / 60), 0) FROM legs p
     WHERE p.session_id = v.id AND p.start_time IS NOT NULL AND p.end_time IS NOT NULL)
    AS minutes
    FROM (SELECT s.id, s.source_id AS session_id, s.meeting_id, s.room_id,
          COALESCE(s.start_time, s.setup_time) AS connect, s.end_time, s.app_type
          FROM sessions s WHERE s.kind = 'video' AND s.end_time IS NOT NULL
          ORDER BY COALESCE(s.start_time, s.setup_time), s.source_id, s.id
          LIMIT ? OFFSET ?) v
    ORDER BY v.connect, v.session_id, v.id"""


def iso(seconds: int) -> str:
    return dt.datetime.fromtimestamp(seconds, dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def records(count: int, seed: int = 1) -> Iterator[dict[str, Any]]:
    rng = random.Random(seed)
    start = int(ANCHOR.timestamp()) - 30 * 86_400
    for n in range(count):
        connect = start + rng.randrange(30 * 86_400)
        length = rng.randrange(60, 3_600)
        legs = []
        for p in range(rng.randrange(2, 5)):
            joined = connect + rng.randrange(0, 120)
            user = rng.randrange(1, 5_000)
            legs.append({"leg_id": f"p{p}", "role": "participant",
                         "user": {"id": user, "name": f"user {user}"},
                         "name": f"User {user}", "participant_role": "moderator" if p == 0
                         else "participant", "ip": f"10.0.{p}.{n % 250}", "agent": "bench",
                         "call_num": f"{n}-{p}", "call_log_id": f"log-{n}-{p}",
                         "user_ref": f"ref-{user}", "start_time": iso(joined),
                         "end_time": iso(joined + rng.randrange(30, length))})
        record = {"session_id": f"vs-{n:07d}", "kind": "video", "setup_time": iso(connect - 5),
                  "start_time": iso(connect), "end_time": iso(connect + length),
                  "room_id": f"room-{n % 20_000}", "meeting_id": f"meet-{n}",
                  "app_type": "vc" if n % 5 else "wb", "legs": legs}
        if n % 10 == 0:
            record["records"] = [{"record_id": n + 1, "url": f"https://rec.example/{n}.mp4",
                                  "start_time": iso(connect), "duration": length,
                                  "file_size": length * 100_000}]
        yield record


def fill(database: str, count: int) -> None:
    """Store the `count` sessions in `database` through the bulk loader."""
    from gateway.core.config import load_config
    from gateway.tools.commands import as_root
    from gateway.tools.demo import bulk

    config = load_config(environ={}, search_default=False, overrides={"database": database})
    asyncio.run(as_root(config, lambda context: bulk.load_sessions(context, records(count))))


def database(count: int) -> Path:
    DATA.mkdir(parents=True, exist_ok=True)
    path = DATA / f"video-v{DATA_VERSION}-{count}.db"
    if path.exists():
        return path
    partial = path.with_name(path.name + ".partial")
    partial.unlink(missing_ok=True)
    started = time.perf_counter()
    print(f"building {path.name}: {count:,} video sessions through the bulk loader (once)",
          file=sys.stderr)
    fill(f"sqlite:///{partial}", count)
    with sqlite3.connect(partial) as conn:
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    partial.rename(path)
    for leftover in (Path(f"{partial}-wal"), Path(f"{partial}-shm")):
        leftover.unlink(missing_ok=True)
    print(f"built in {time.perf_counter() - started:.0f} s", file=sys.stderr)
    return path


COUNT = "SELECT COUNT(*) FROM sessions WHERE kind = 'video' AND end_time IS NOT NULL"
# The same on PostgreSQL: $n placeholders, the session id compared byte by byte (as the
# method orders it, and as the index sessions_video_connect holds it there).
PG_HAND = HAND.replace("LIMIT ? OFFSET ?", "LIMIT $1 OFFSET $2").replace(
    "source_id, s.id", 'source_id COLLATE "C", s.id').replace(
    "v.session_id, v.id", 'v.session_id COLLATE "C", v.id')


class SqliteHand:
    """The hand SQL through Python's sqlite3."""

    def __init__(self, path: Path) -> None:
        self.conn = sqlite3.connect(path)

    async def page(self) -> tuple[list[tuple[Any, ...]], int]:
        """The page, and the total the method's answer carries too."""
        rows = self.conn.execute(HAND, (PAGE_LENGTH, (PAGE - 1) * PAGE_LENGTH)).fetchall()
        return rows, self.conn.execute(COUNT).fetchone()[0]

    async def plan(self) -> str:
        plan = self.conn.execute("EXPLAIN QUERY PLAN " + HAND, (PAGE_LENGTH, 0)).fetchall()
        return "; ".join(str(row[-1]) for row in plan)


class PostgresHand:
    """The hand SQL through asyncpg, on a connection of its own."""

    def __init__(self, dsn: str) -> None:
        self.dsn, self.conn = dsn, None

    async def page(self) -> tuple[list[tuple[Any, ...]], int]:
        if self.conn is None:
            import asyncpg
            self.conn = await asyncpg.connect(self.dsn)
        rows = await self.conn.fetch(PG_HAND, PAGE_LENGTH, (PAGE - 1) * PAGE_LENGTH)
        return [tuple(r) for r in rows], await self.conn.fetchval(COUNT)

    async def plan(self) -> str:
        rows = await self.conn.fetch("EXPLAIN " + PG_HAND, PAGE_LENGTH, (PAGE - 1) * PAGE_LENGTH)
        return "\n    " + "\n    ".join(r[0] for r in rows)


def as_hand(session: dict[str, Any]) -> tuple[Any, ...]:
    def seconds(text: str) -> int:
        return int(dt.datetime.strptime(text, "%Y-%m-%d %H:%M:%S")
                   .replace(tzinfo=dt.timezone.utc).timestamp())
    return (session["session_id"], session["meeting_id"], session["room_id"],
            seconds(session["connect_dt"]), seconds(session["disconnect_dt"]),
            session["app_type"], int(session["user_id"]), session["duration"])


def measure(engine: str, database: str, hand: Any, runs: int) -> list[Figure]:
    from gateway.core.config import load_config
    from gateway.tools.commands import as_root
    from methods.video import list_sessions
    from methods.video.params import ListParams

    config = load_config(environ={}, search_default=False, overrides={"database": database})
    params = ListParams().load({"page": PAGE, "page_length": PAGE_LENGTH})
    figures: list[Figure] = []

    async def work(context: Any) -> None:
        got = await list_sessions(context, params)
        expected = await hand.page()
        assert ([as_hand(s) for s in got["sessions"]], got["total"]) == expected, "differ"
        method_s, hand_s = [], []
        for _ in range(runs):
            started = time.perf_counter()
            await list_sessions(context, params)
            method_s.append(time.perf_counter() - started)
            started = time.perf_counter()
            await hand.page()
            hand_s.append(time.perf_counter() - started)
        method_ms, hand_ms = statistics.median(method_s) * 1e3, statistics.median(hand_s) * 1e3
        print(f"{ENGINES[engine]}: {got['total']:,} video sessions; page {PAGE} of "
              f"{PAGE_LENGTH} by connect time; {runs} runs, median (min-max); this process "
              "pinned to core 0")
        print(f"  ucaas.sessions.list {method_ms:8.2f} ms ({min(method_s) * 1e3:.2f}-"
              f"{max(method_s) * 1e3:.2f})")
        print(f"  hand SQL            {hand_ms:8.2f} ms ({min(hand_s) * 1e3:.2f}-"
              f"{max(hand_s) * 1e3:.2f})   ratio {method_ms / hand_ms:.2f}")
        print("  hand SQL plan: " + await hand.plan())
        figures.append(Figure("video sessions", f"{PREFIX[engine]}ucaas.sessions.list, page "
                              f"{PAGE} of {PAGE_LENGTH} by connect time", "s", tuple(method_s),
                              BASELINE[engine], tuple(hand_s)))

    asyncio.run(as_root(config, work))
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="100,000 sessions")
    parser.add_argument("--sessions", type=int,
                        help="video sessions (default 1,000,000; --quick 100,000)")
    parser.add_argument("--runs", type=int, default=10)
    parser.add_argument("--engine", choices=("sqlite", "postgresql", "both"), default="sqlite")
    parser.add_argument("--postgres", metavar="DSN",
                        help="a PostgreSQL server to keep the data set on between runs "
                             "(else a throwaway cluster, the data set loaded in each run)")
    args = parser.parse_args()
    if args.sessions is None:
        args.sessions = 100_000 if args.quick else 1_000_000
    figures: list[Figure] = []
    with postgres(args.engine, args.postgres) as server:
        runs = []
        if args.engine != "postgresql":
            path = database(args.sessions)
            runs.append(("sqlite", f"sqlite:///{path}", SqliteHand(path)))
        if server:
            dsn = pg_database(server, f"video_v{DATA_VERSION}_{args.sessions}",
                              lambda target: fill(target, args.sessions))
            runs.append(("postgresql", dsn, PostgresHand(dsn)))
        if hasattr(os, "sched_setaffinity"):
            os.sched_setaffinity(0, {0})
        for engine, url, hand in runs:
            figures += measure(engine, url, hand, args.runs)
    emit(figures)


if __name__ == "__main__":
    main()
