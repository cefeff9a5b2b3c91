"""What the command line does, each command one coroutine over an opened store.

Key and tenant commands call the same handlers as the API, as the root tenant's admin, so
they validate exactly as `keys.create` and `tenants.create` do.
"""

from __future__ import annotations

import asyncio
import multiprocessing
import shutil
import signal
import socket
import sys
import tempfile
import time
from dataclasses import replace
from functools import partial
from typing import Any, Awaitable, Callable, TypeVar

from gateway.core.config import Config
from gateway.core.credentials import Registry
from gateway.storage import Backend, backend_for
from gateway.web import connections, dialects, metrics, tls
from gateway.web.access_log import AccessLogger
from gateway.web.app import create_app, prepare_store
from gateway.web.auth import root_admin
from gateway.web.dispatch import bind_params
from methods import all_methods
from methods.context import Context

T = TypeVar("T")


async def with_store(config: Config, work: Callable[[Backend, str], Awaitable[T]]) -> T:
    """Open (create or migrate) the database, run `work(db, server_key)`, close it."""
    db = backend_for(config.database)
    await db.open()
    try:
        return await work(db, await prepare_store(db, config))
    finally:
        await db.close()


async def migrate(config: Config) -> str:
    async def noop(db: Backend, server_key: str) -> str:
        return f"database ready: {config.database}"
    return await with_store(config, noop)


async def as_root(config: Config, work: Callable[[Context], Awaitable[T]]) -> T:
    """Open the store and run `work` with the context of the root tenant's admin (what
    local tools such as `import` and `demo` act as)."""
    # a key made here gets what the dialects' key-issuing hooks add, as on the API
    credentials = dialects.register_credentials(Registry())

    async def run(db: Backend, server_key: str) -> T:
        return await work(Context(db=db, caller=root_admin("command-line", "local"),
                                  config=config, request_id="command-line",
                                  server_key=server_key, methods=all_methods(),
                                  issue_key=partial(credentials.issue, server_key),
                                  rpc_url=lambda: f"{url(config.host, config.port)}/rpc"))
    return await with_store(config, run)


async def call(context: Context, method: str, params: dict[str, Any]) -> Any:
    """Call a method's handler with its params loaded by its schema (no role check: the
    caller is a local tool)."""
    spec = context.methods[method]
    return await spec.handler(context, bind_params(spec, (), params))


async def call_as_root(config: Config, method: str, params: dict[str, Any]) -> Any:
    """Call a method's handler as the root tenant's admin."""
    return await as_root(config, lambda context: call(context, method, params))


class CannotServe(Exception):
    """The configured address cannot be listened on; the message says which and why."""


def url(host: str, port: int) -> str:
    """The address `host:port` as a URL (an IPv6 host in brackets)."""
    return f"http://[{host}]:{port}" if ":" in host else f"http://{host}:{port}"


def listening_sockets(host: str, port: int, reuse_port: bool) -> list[socket.socket]:
    """Sockets bound to every address of `host` (not listening yet), as aiohttp would bind
    them; `CannotServe` when one cannot be bound (the port is taken, the address is not
    this machine's)."""
    try:
        addresses = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM,
                                       flags=socket.AI_PASSIVE)
    except socket.gaierror as exc:
        raise CannotServe(f"cannot listen on {url(host, port)}: {exc.strerror}") from None
    bound: list[socket.socket] = []
    chosen = port  # port 0: every address gets the port the first one was given
    try:
        for family, kind, proto, _, address in addresses:
            sock = socket.socket(family, kind, proto)
            bound.append(sock)
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            if reuse_port:
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
            if family == socket.AF_INET6:
                sock.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
            sock.bind((address[0], chosen, *address[2:]))
            chosen = chosen or sock.getsockname()[1]
    except OSError as exc:
        for sock in bound:
            sock.close()
        raise CannotServe(f"cannot listen on {url(host, port)}: {exc.strerror}") from None
    return bound


def _serve_one(config: Config, reuse_port: bool, ready: Callable[[int], None],
               metrics_folder: str | None = None) -> None:
    # A worker starts with the default signal actions (not its parent's handlers): a
    # SIGTERM before the app is up simply ends it; once up, aiohttp shuts it down.
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    signal.signal(signal.SIGINT, signal.SIG_DFL)
    sockets = listening_sockets(config.host, config.port, reuse_port)
    port = sockets[0].getsockname()[1]
    connections.run_app(create_app(config, metrics_folder=metrics_folder),
                        limits=config.limits, sock=sockets,
                        print=lambda message: ready(port),
                        ssl_context=tls.server_context(config.tls), loop=_event_loop(),
                        access_log_class=AccessLogger,
                        shutdown_timeout=config.limits.shutdown_grace_s)


def _event_loop() -> asyncio.AbstractEventLoop:
    """uvloop where installed (it serves about a fifth more requests: bench/), else asyncio."""
    try:
        import uvloop
    except ImportError:  # pragma: no cover - uvloop is not built for Windows
        return asyncio.new_event_loop()
    return uvloop.new_event_loop()


def _started(event: Any, port: int) -> None:
    event.set()


def _worker(config: Config, started: Any, metrics_folder: str) -> None:
    metrics.multiprocess(metrics_folder)  # before the app makes its metrics
    try:
        _serve_one(config, True, partial(_started, started), metrics_folder)
    except CannotServe as exc:
        print(f"gateway: {exc}", file=sys.stderr, flush=True)
        sys.exit(1)


WORKER_STOP_S = 5.0  # a worker gets this long to finish after SIGTERM, then it is killed


def _say_ready(config: Config, port: int) -> None:
    link = url(config.host, port)
    if tls.server_context(config.tls) is not None:
        link = link.replace("http://", "https://", 1)
    print(f"serving on {link}", flush=True)


def serve(config: Config, workers: int) -> int:
    """Serve in this process, or in `workers` processes sharing the port; print one line
    once the port is listened on. `CannotServe` when it cannot be bound, and
    `DatabaseUnavailable` when the database cannot be opened, before anything is served."""
    tls.server_context(config.tls)  # a TLS file that cannot be used stops start-up first
    asyncio.run(migrate(config))  # create or migrate once, and find a database fault first
    if workers == 1:
        _serve_one(config, False, partial(_say_ready, config))
        return 0
    probe = listening_sockets(config.host, config.port, True)
    config = replace(config, port=probe[0].getsockname()[1])  # port 0: one port for all
    for sock in probe:
        sock.close()
    # The workers' metrics, in files that `/metrics` adds up, whichever worker answers:
    # a fresh folder for each run, so that no count of an earlier run is added in.
    folder = tempfile.mkdtemp(prefix="gateway-metrics-")
    try:
        return _run_workers(config, workers, folder)
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def _run_workers(config: Config, workers: int, metrics_folder: str) -> int:
    started = [multiprocessing.Event() for _ in range(workers)]
    processes = [multiprocessing.Process(target=_worker, args=(config, event, metrics_folder))
                 for event in started]
    stopping: list[float] = []
    ended: set[int] = set()

    def stop(signum: int, frame: object) -> None:
        stopping.append(time.monotonic())
        for process in processes:
            if process.pid is not None and process.is_alive():
                process.terminate()  # each worker shuts down gracefully on SIGTERM

    # Handlers first: a SIGTERM while the workers start must still reach them.
    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    for process in processes:
        process.start()
    announced, failed = False, False
    while any(p.is_alive() for p in processes):
        if not announced and all(event.is_set() for event in started):
            _say_ready(config, config.port)
            announced = True
        if not stopping and any(p.exitcode not in (None, 0) for p in processes):
            failed = True
            stop(signal.SIGTERM, None)  # a worker that failed ends the others
        if stopping and time.monotonic() - stopping[0] > WORKER_STOP_S:
            for process in processes:
                if process.is_alive():
                    process.kill()  # past its grace period
        for process in processes:
            process.join(0.1)
            if process.exitcode is not None and process.pid and process.pid not in ended:
                ended.add(process.pid)
                metrics.process_ended(process.pid, metrics_folder)
    return 1 if failed or (not stopping and any(p.exitcode for p in processes)) else 0
