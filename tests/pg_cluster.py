"""PostgreSQL for the tests: a throwaway cluster for the session, a fresh database per test.

Without `GATEWAY_TEST_POSTGRES_DSN`, `start_cluster()` runs `initdb` and `pg_ctl start` in a
temporary folder on a free port of 127.0.0.1 (as user `postgres` when running as root,
since PostgreSQL refuses to run as root), with durability off (`fsync`,
`synchronous_commit`, `full_page_writes`): nothing in it needs to survive a crash.
`Cluster.stop()` stops it with `pg_ctl -m immediate stop` and removes the folder.

With `GATEWAY_TEST_POSTGRES_DSN=postgresql://user:password@host:port/maintenance-db`, that
server (PostgreSQL 13 or later) is used instead; its user needs CREATEDB.

`Databases` hands out one new database per test, `gw_<uuid>`, copied from a session
template on which the gateway's PostgreSQL migrations already ran (CREATE DATABASE ...
TEMPLATE is a file copy, much faster than migrating every database). It keeps a few
databases ready ahead of the tests and drops used ones in the background (every drop is
waited for at the end of the session), all on its own thread and event loop, so it never
touches the tests' event loops.
"""

from __future__ import annotations

import asyncio
import collections
import concurrent.futures
import os
import re
import shutil
import socket
import subprocess
import tempfile
import threading
import uuid
from pathlib import Path
from typing import Any, Coroutine, TypeVar
from urllib.parse import urlsplit, urlunsplit

import asyncpg

DSN_ENV = "GATEWAY_TEST_POSTGRES_DSN"
MISSING = "PostgreSQL server binaries not found: apt-get install postgresql"
SERVER_BINARIES = ("initdb", "pg_ctl", "postgres")
SETTINGS = ("-c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off "
            "-c full_page_writes=off")
TIMEOUT_S = 30.0
# Databases made in advance, while the tests run. CREATE DATABASE mostly waits for
# checkpoints, which concurrent ones share: 4 at a time make a database every ~8 ms where
# one at a time takes ~70 ms.
AHEAD = 6

T = TypeVar("T")


class Unavailable(Exception):
    """No PostgreSQL server can be started here (the binaries are missing)."""


def _version(bindir: Path) -> tuple[int, ...]:
    """(15,) for /usr/lib/postgresql/15/bin; () when the folder is not named by a version."""
    return tuple(int(part) for part in re.findall(r"\d+", bindir.parent.name))


def _has_server(bindir: Path) -> bool:
    return all((bindir / name).is_file() for name in SERVER_BINARIES)


def find_bindir() -> Path:
    """The server binaries: `pg_config --bindir`, else the highest /usr/lib/postgresql/*/bin.

    (Debian's `pg_config` may come from libpq-dev alone, naming a folder without a server.)
    """
    pg_config = shutil.which("pg_config")
    if pg_config:
        done = subprocess.run([pg_config, "--bindir"], capture_output=True, text=True,
                              check=False)
        bindir = Path(done.stdout.strip())
        if done.returncode == 0 and done.stdout.strip() and _has_server(bindir):
            return bindir
    installed = [b for b in Path("/usr/lib/postgresql").glob("*/bin") if _has_server(b)]
    if not installed:
        raise Unavailable(MISSING)
    return max(installed, key=_version)


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


class Cluster:
    """A PostgreSQL cluster in a temporary folder; `dsn` names its maintenance database."""

    def __init__(self, bindir: Path) -> None:
        self.bindir = bindir
        self.as_root = os.geteuid() == 0
        self.folder = Path(tempfile.mkdtemp(prefix="gateway-pg-"))
        self.data = self.folder / "data"
        self.log = self.folder / "log"
        self.port = 0
        self.running = False
        if self.as_root:
            try:
                shutil.chown(self.folder, user="postgres")
            except LookupError as exc:
                shutil.rmtree(self.folder, ignore_errors=True)
                raise RuntimeError("running as root, PostgreSQL needs a user `postgres` to "
                                   "run as (apt-get install postgresql creates it)") from exc

    @property
    def dsn(self) -> str:
        # sslmode=disable: the server has no TLS; asyncpg would try it first on every connect
        return f"postgresql://postgres@127.0.0.1:{self.port}/postgres?sslmode=disable"

    def _run(self, name: str, *args: str) -> subprocess.CompletedProcess[str]:
        command = [str(self.bindir / name), *args]
        if self.as_root:
            command = ["runuser", "-u", "postgres", "--", *command]
        return subprocess.run(command, capture_output=True, text=True, check=False,
                              cwd=self.folder, timeout=TIMEOUT_S)

    def _log_tail(self) -> str:
        try:
            return "\n".join(self.log.read_text(errors="replace").splitlines()[-20:])
        except OSError:
            return "(no log)"

    def start(self) -> None:
        # UTF8 with the C collation: the same on every machine, whatever its locale.
        done = self._run("initdb", "-D", str(self.data), "-A", "trust", "-U", "postgres",
                         "-E", "UTF8", "--locale=C", "--no-sync")
        if done.returncode != 0:
            raise RuntimeError(f"initdb failed ({done.returncode}):\n{done.stdout}{done.stderr}")
        for _ in range(3):  # the free port may be taken between the probe and the start
            self.port = _free_port()
            done = self._run("pg_ctl", "-D", str(self.data), "-l", str(self.log), "-w",
                             "-t", str(int(TIMEOUT_S)), "-o",
                             f"-p {self.port} -k {self.folder} {SETTINGS}", "start")
            if done.returncode == 0:
                self.running = True
                return
        raise RuntimeError(f"pg_ctl start failed ({done.returncode}):\n{done.stdout}"
                           f"{done.stderr}\n{self.log}:\n{self._log_tail()}")

    def stop(self) -> None:
        try:
            if self.running:
                self._run("pg_ctl", "-D", str(self.data), "-m", "immediate", "stop")
                self.running = False
        finally:
            shutil.rmtree(self.folder, ignore_errors=True)


def start_cluster() -> Cluster:
    """A running throwaway cluster; Unavailable when there are no server binaries."""
    cluster = Cluster(find_bindir())
    try:
        cluster.start()
    except BaseException:
        cluster.stop()
        raise
    return cluster


def with_database(dsn: str, name: str) -> str:
    """The same server and credentials, another database."""
    parts = urlsplit(dsn)
    return urlunsplit(parts._replace(path=f"/{name}"))


class Databases:
    """Fresh databases on one server, made and dropped on a private thread and event loop."""

    def __init__(self, admin_dsn: str) -> None:
        self.admin_dsn = admin_dsn
        self.template: str | None = None
        self.template_error: str | None = None  # why the template could not be migrated
        self._template_ready: asyncio.Event | None = None
        self._pool: Any = None  # an asyncpg.Pool on the maintenance database
        self._strategy = ""
        self._ahead: collections.deque[concurrent.futures.Future[str]] = collections.deque()
        self._drops: list[concurrent.futures.Future[None]] = []
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, daemon=True,
                                        name="test-postgres-databases")
        self._thread.start()
        try:
            self._wait(self._connect())
        except BaseException:
            self._stop_loop()
            raise

    # --- the private loop

    def _submit(self, coro: Coroutine[Any, Any, T]) -> concurrent.futures.Future[T]:
        return asyncio.run_coroutine_threadsafe(coro, self._loop)

    def _wait(self, coro: Coroutine[Any, Any, T]) -> T:
        return self._submit(coro).result(TIMEOUT_S)

    def _stop_loop(self) -> None:
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(TIMEOUT_S)
        self._loop.close()

    async def _connect(self) -> None:
        self._pool = await asyncpg.create_pool(self.admin_dsn, min_size=1, max_size=AHEAD + 2)
        async with self._pool.acquire() as conn:
            # FILE_COPY: a checkpoint and a copy of the files, faster than WAL_LOG (the
            # default since PostgreSQL 15) for small templates.
            if conn.get_server_version() >= (15,):
                self._strategy = " STRATEGY = FILE_COPY"

    # --- the template

    async def _make_template(self) -> None:
        """A database migrated once per session, or template0 if the migrations fail."""
        from gateway.storage.postgresql import PostgreSQLBackend

        name = f"gw_template_{uuid.uuid4().hex}"
        await self._pool.execute(f'CREATE DATABASE "{name}" TEMPLATE template0')
        backend = PostgreSQLBackend(with_database(self.admin_dsn, name))
        try:
            await backend.open()
        except Exception as exc:  # each test's app start will show the error itself
            self.template_error = f"{type(exc).__name__}: {exc}"
            await self._pool.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            self.template = "template0"
        else:
            self.template = name
        finally:
            await backend.close()

    async def _create(self) -> str:
        if self._template_ready is None:
            self._template_ready = asyncio.Event()
            try:
                await self._make_template()
            finally:
                self._template_ready.set()
        await self._template_ready.wait()
        if self.template is None:
            raise RuntimeError("the template database could not be created (see the first "
                               "PostgreSQL test's error)")
        name = f"gw_{uuid.uuid4().hex}"
        await self._pool.execute(f'CREATE DATABASE "{name}" TEMPLATE "{self.template}"'
                                 f"{self._strategy}")
        return name

    async def _drop(self, name: str) -> None:
        # FORCE: end the sessions a test left behind (PostgreSQL 13+).
        await self._pool.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    # --- the public, synchronous side

    def create(self) -> str:
        """The name of a new database, a copy of the migrated template."""
        while len(self._ahead) <= AHEAD:
            self._ahead.append(self._submit(self._create()))
        return self._ahead.popleft().result(TIMEOUT_S)

    def copy(self, source: str) -> str:
        """The name of a new database, a copy of `source` (which no one is connected to)."""
        async def make() -> str:
            name = f"gw_{uuid.uuid4().hex}"
            await self._pool.execute(f'CREATE DATABASE "{name}" TEMPLATE "{source}"'
                                     f"{self._strategy}")
            return name
        return self._wait(make())

    def dsn(self, name: str) -> str:
        return with_database(self.admin_dsn, name)

    def drop(self, name: str) -> None:
        """Drop a database in the background (waited for by `close`)."""
        self._drops = [f for f in self._drops if not f.done() or f.exception() is not None]
        self._drops.append(self._submit(self._drop(name)))

    def exists(self, name: str) -> bool:
        async def query() -> bool:
            return bool(await self._pool.fetchval(
                "SELECT count(*) FROM pg_database WHERE datname = $1", name))
        return self._wait(query())

    def settle(self) -> None:
        """Wait for the drops under way; raise the first that failed."""
        drops, self._drops = self._drops, []
        errors = []
        for future in drops:
            try:
                future.result(TIMEOUT_S)
            except Exception as exc:
                errors.append(exc)
        if errors:
            raise errors[0]

    def close(self) -> None:
        """Wait for the drops, drop the spares and the template, release the connections."""
        try:
            errors = []
            try:
                self.settle()
            except Exception as exc:
                errors.append(exc)
            for spare in self._ahead:
                try:
                    self._wait(self._drop(spare.result(TIMEOUT_S)))
                except Exception as exc:
                    errors.append(exc)
            if self.template and self.template != "template0":
                self._wait(self._drop(self.template))
            if errors:
                raise errors[0]
        finally:
            if self._pool is not None:
                self._wait(self._pool.close())
            self._stop_loop()
