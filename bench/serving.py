"""What the benchmarks that run a server share: a free port, core pinning, waiting, and
the PostgreSQL server and database a benchmark measures on."""

from __future__ import annotations

import asyncio
import shutil
import socket
import sys
import time
import urllib.error
import urllib.request
from contextlib import contextmanager
from pathlib import Path
from typing import Callable, Iterator
from urllib.parse import urlsplit, urlunsplit


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def pinned(core: int | None, argv: list[str]) -> list[str]:
    """`argv` run on one core (when `taskset` is there); on any core for None."""
    if core is None or not shutil.which("taskset"):
        return argv
    return ["taskset", "-c", str(core), *argv]


def wait_up(url: str, timeout: float = 60, accept_status: bool = False) -> None:
    """Wait until `url` answers 200 (any HTTP status with `accept_status`)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            urllib.request.urlopen(url, timeout=1)
            return
        except urllib.error.HTTPError:
            if accept_status:
                return
            time.sleep(0.1)
        except OSError:
            time.sleep(0.1)
    raise SystemExit(f"server did not come up: {url}")


@contextmanager
def postgres(engine: str, dsn: str | None) -> Iterator[str | None]:
    """The PostgreSQL server to measure for `engine` (sqlite, postgresql or both): `dsn`,
    else a throwaway cluster (tests/pg_cluster.py, stopped on exit); None for sqlite, and
    for both when no server can be started here (said once)."""
    if engine == "sqlite" or dsn:
        yield None if engine == "sqlite" else dsn
        return
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))
    from pg_cluster import Unavailable, start_cluster

    try:
        cluster = start_cluster()
    except Unavailable as exc:
        if engine == "postgresql":
            raise SystemExit(f"PostgreSQL not available: {exc}")
        print(f"PostgreSQL not measured: {exc}")
        yield None
        return
    try:
        yield cluster.dsn
    finally:
        cluster.stop()


def pg_database(admin_dsn: str, name: str, build: Callable[[str], None]) -> str:
    """The DSN of database `name` on the server of `admin_dsn`, made when missing by
    `build(dsn)` under another name (renamed once complete, then ANALYZEd)."""
    import asyncpg

    def on(database: str) -> str:
        return urlunsplit(urlsplit(admin_dsn)._replace(path=f"/{database}"))

    async def admin(*statements: str) -> bool:
        conn = await asyncpg.connect(admin_dsn)
        try:
            if await conn.fetchval("SELECT 1 FROM pg_database WHERE datname = $1", name):
                return True
            for statement in statements:
                await conn.execute(statement)
            return False
        finally:
            await conn.close()

    async def analyze() -> None:
        conn = await asyncpg.connect(on(name))
        try:
            await conn.execute("ANALYZE")
        finally:
            await conn.close()

    partial = f"{name}_partial"
    if not asyncio.run(admin(f'DROP DATABASE IF EXISTS "{partial}"',
                             f'CREATE DATABASE "{partial}"')):
        started = time.perf_counter()
        print(f"building PostgreSQL database {name} (once on this server)", file=sys.stderr)
        build(on(partial))
        asyncio.run(admin(f'ALTER DATABASE "{partial}" RENAME TO "{name}"'))
        asyncio.run(analyze())
        print(f"built in {time.perf_counter() - started:.0f} s", file=sys.stderr)
    return on(name)
