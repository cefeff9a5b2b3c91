"""The export job runner: CSV reports written in the background, gzip, into
`exports.folder` (docs/methods/call-history.md, "Async jobs").

Started and stopped by the app's lifecycle. `exports.workers` jobs run at once; a job is
claimed in the database before it runs, so two gateways on one store never run the same
job. A job a stopped gateway left running is queued again (from zero) when the next one
starts; a failure is final. Reports past `store_until` are removed with their files.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import gzip
import logging
import time
from pathlib import Path
from typing import Any, AsyncIterator, Awaitable, Callable, Mapping

import orjson
from marshmallow import Schema, ValidationError

from gateway.core.apikeys import Caller
from gateway.core.config import Config
from gateway.storage import Backend
from gateway.storage import history_reports as reports
from gateway.storage import tenants as tenant_store
from methods.context import Context, Methods, Params

log = logging.getLogger(__name__)

Write = Callable[[str], Awaitable[None]]
# An exporter writes a job's CSV text through `write` and returns its calculated data.
Exporter = Callable[[Context, Params, Write], Awaitable[dict[str, Any]]]
SWEEP_EVERY_S = 900.0
GZIP_LEVEL = 6  # zlib's default: on call-history CSV half level 9's time, 1% larger


@dataclasses.dataclass(frozen=True)
class ExportKind:
    """A history type's export: the schema that loads its saved params, and the writer."""

    schema: Schema
    export: Exporter


def file_path(folder: str, report_id: int, file_name: str) -> Path:
    return Path(folder) / f"{report_id}-{file_name}.gz"


class Runner:
    def __init__(self, db: Backend, config: Config, server_key: str, methods: Methods,
                 kinds: Mapping[str, ExportKind]) -> None:
        self.db, self.config, self.server_key, self.methods = db, config, server_key, methods
        self.kinds = kinds
        self.queue: asyncio.Queue[int] = asyncio.Queue()
        self.tasks: list[asyncio.Task[None]] = []

    async def start(self) -> None:
        Path(self.config.exports.folder).mkdir(parents=True, exist_ok=True)
        await reports.requeue_running(self.db)
        await self.sweep()
        for report_id in await reports.queued(self.db):
            self.queue.put_nowait(report_id)
        self.tasks = [asyncio.create_task(self._work()) for _ in range(self.config.exports.workers)]
        self.tasks.append(asyncio.create_task(self._sweeping()))

    async def stop(self) -> None:
        for task in self.tasks:
            task.cancel()
        for task in self.tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task

    def submit(self, report_id: int) -> None:
        self.queue.put_nowait(report_id)

    async def sweep(self) -> None:
        """Remove the reports past `store_until`, and their files."""
        for row in await reports.expired(self.db, int(time.time())):
            if row["file_name"]:
                file_path(self.config.exports.folder, int(row["id"]), row["file_name"]) \
                    .unlink(missing_ok=True)
            await reports.delete(self.db, int(row["id"]))

    async def _sweeping(self) -> None:
        while True:
            await asyncio.sleep(SWEEP_EVERY_S)
            try:
                await self.sweep()
            except Exception:  # the next sweep tries again
                log.exception("removing expired reports failed")

    async def _work(self) -> None:
        while True:
            report_id = await self.queue.get()
            try:
                if await reports.claim(self.db, report_id):
                    await self.run(report_id)
            except asyncio.CancelledError:
                raise
            except Exception:  # the job is marked failed by `run`; keep serving others
                log.exception("export %s failed", report_id)

    async def _context(self, row: Any) -> Context:
        tenant = await tenant_store.by_id(self.db, int(row["tenant_id"]))
        if tenant is None:
            raise LookupError("the report's tenant no longer exists")
        caller = Caller(key_id=row["key_id"], role=row["role"], tenant_id=int(tenant["id"]),
                        tenant=tenant["name"], scope=tenant["path"], rate_limit=None,
                        ip="export")
        return Context(db=self.db, caller=caller, config=self.config,
                       request_id=f"report-{row['id']}", server_key=self.server_key,
                       methods=self.methods)

    async def run(self, report_id: int) -> None:
        """Write a claimed job's file; mark it completed, or failed with the reason."""
        row = await reports.by_id(self.db, report_id)
        if row is None:
            return
        file_name = f"{row['history_type']}_{report_id}.csv"
        path = file_path(self.config.exports.folder, report_id, file_name)
        partial = path.with_suffix(".partial")
        try:
            kind = self.kinds.get(row["history_type"])
            if kind is None:
                raise LookupError(f"no export of {row['history_type']!r} reports")
            params = kind.schema.load(orjson.loads(row["params"]))
            async with _gzip_writer(partial) as (write, sizes):
                calculated = await kind.export(await self._context(row), params, write)
            partial.replace(path)
        except (asyncio.CancelledError, GeneratorExit):
            partial.unlink(missing_ok=True)
            raise
        except ValidationError as exc:
            partial.unlink(missing_ok=True)
            await reports.fail(self.db, report_id,
                               f"the saved params are invalid: {', '.join(sorted(exc.messages))}")
            return
        except LookupError as exc:
            partial.unlink(missing_ok=True)
            await reports.fail(self.db, report_id, str(exc))
            return
        except OSError as exc:  # the reason for the client; the file's path for the log only
            log.warning("export %s: cannot write %s: %s", report_id, partial, exc)
            with contextlib.suppress(OSError):
                partial.unlink(missing_ok=True)
            await reports.fail(self.db, report_id,
                               f"the export file could not be written: {exc.strerror}")
            return
        except Exception as exc:
            partial.unlink(missing_ok=True)
            await reports.fail(self.db, report_id, f"internal error: {type(exc).__name__}")
            raise
        await reports.complete(self.db, report_id, completed=int(time.time()),
                               file_name=file_name, file_size=sizes[0],
                               download_size=path.stat().st_size, calculated=calculated)


@contextlib.asynccontextmanager
async def _gzip_writer(path: Path) -> AsyncIterator[tuple[Write, list[int]]]:
    """An async `write(text)` into a gzip file (compressed in a thread, off the event
    loop), and the count of bytes written before compression."""
    sizes = [0]
    with await _opened(gzip.open, path, "wb", GZIP_LEVEL) as handle:
        async def write(text: str) -> None:
            data = text.encode()
            sizes[0] += len(data)
            await asyncio.to_thread(handle.write, data)
        yield write, sizes


async def _opened(opener: Callable[..., Any], *args: Any) -> Any:
    """A file opened in a thread (opening may wait: a full disk, a pipe); should this
    task be cancelled meanwhile, the file is closed as soon as it is open."""
    opening = asyncio.ensure_future(asyncio.to_thread(opener, *args))
    try:
        return await asyncio.shield(opening)
    except asyncio.CancelledError:
        opening.add_done_callback(
            lambda done: done.cancelled() or done.exception() or done.result().close())
        raise
