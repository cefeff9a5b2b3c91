"""What the command line does, each command one coroutine over an opened store.

Key and tenant commands call the same handlers as the API, as the root tenant's admin, so
they validate exactly as `keys.create` and `tenants.create` do.
"""

from __future__ import annotations

import asyncio
import multiprocessing
import signal
import time
from functools import partial
from typing import Any, Awaitable, Callable, TypeVar

from aiohttp import web

from gateway.core.config import Config
from gateway.core.credentials import Registry
from gateway.storage import Backend, backend_for
from gateway.web import dialects
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
                                  issue_key=partial(credentials.issued, server_key)))
    return await with_store(config, run)


async def call(context: Context, method: str, params: dict[str, Any]) -> Any:
    """Call a method's handler with its params loaded by its schema (no role check: the
    caller is a local tool)."""
    spec = context.methods[method]
    return await spec.handler(context, bind_params(spec, (), params))


async def call_as_root(config: Config, method: str, params: dict[str, Any]) -> Any:
    """Call a method's handler as the root tenant's admin."""
    return await as_root(config, lambda context: call(context, method, params))


def _serve_one(config: Config, reuse_port: bool) -> None:
    # A worker starts with the default signal actions (not its parent's handlers): a
    # SIGTERM before the app is up simply ends it; once up, aiohttp shuts it down.
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    signal.signal(signal.SIGINT, signal.SIG_DFL)
    web.run_app(create_app(config), host=config.host, port=config.port,
                reuse_port=reuse_port or None, print=None, loop=_event_loop())


def _event_loop() -> asyncio.AbstractEventLoop:
    """uvloop where installed (it serves about a fifth more requests: bench/), else asyncio."""
    try:
        import uvloop
    except ImportError:  # pragma: no cover - uvloop is not built for Windows
        return asyncio.new_event_loop()
    return uvloop.new_event_loop()


WORKER_STOP_S = 5.0  # a worker gets this long to finish after SIGTERM, then it is killed


def serve(config: Config, workers: int) -> None:
    """Serve in this process, or in `workers` processes sharing the port."""
    if workers == 1:
        _serve_one(config, False)
        return
    processes = [multiprocessing.Process(target=_serve_one, args=(config, True))
                 for _ in range(workers)]
    stopping: list[float] = []

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
    while any(p.is_alive() for p in processes):
        if stopping and time.monotonic() - stopping[0] > WORKER_STOP_S:
            for process in processes:
                if process.is_alive():
                    process.kill()  # past its grace period
        for process in processes:
            process.join(0.1)
