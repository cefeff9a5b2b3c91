"""The export job runner: CSV reports written in the background, gzip, into
`exports.folder` (docs/methods/call-history.md, "Async jobs").

Started and stopped by the app's lifecycle. `exports.workers` jobs run at once. A job is
claimed in the database with a lease of `exports.lease_s` that its worker renews every
third of it, so gateways sharing one store run each job once. A gateway that stops in
order queues its running jobs again; a job whose gateway was killed is taken over (from
zero) by whichever gateway sees its lease lapse first, and the worker that lost a lease
can no longer finish its job. A failure is final. Reports past `store_until` are removed
with their files.
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
        self.lease_ms = int(config.exports.lease_s * 1000)
        self.queue: asyncio.Queue[int] = asyncio.Queue()
        self.waiting: set[int] = set()  # the ids in `queue`
        self.tasks: list[asyncio.Task[None]] = []

    async def start(self) -> None:
        Path(self.config.exports.folder).mkdir(parents=True, exist_ok=True)
        await self.sweep()
        await self.poll()
        self.tasks = [asyncio.create_task(self._work()) for _ in range(self.config.exports.workers)]
        self.tasks += [asyncio.create_task(self._every(SWEEP_EVERY_S, self.sweep)),
                       asyncio.create_task(self._every(self.config.exports.lease_s / 3,
                                                       self.poll))]

    async def stop(self) -> None:
        for task in self.tasks:
            task.cancel()
        for task in self.tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task

    def submit(self, report_id: int) -> None:
        if report_id not in self.waiting:
            self.waiting.add(report_id)
            self.queue.put_nowait(report_id)

    async def poll(self) -> None:
        """Queue here the jobs that may be claimed: queued by any gateway, or left by one
        whose lease lapsed."""
        for report_id in await reports.claimable(self.db, _now_ms()):
            self.submit(report_id)

    async def sweep(self) -> None:
        """Remove the reports past `store_until`, and their files."""
        for row in await reports.expired(self.db, int(time.time())):
            if row["file_name"]:
                file_path(self.config.exports.folder, int(row["id"]), row["file_name"]) \
                    .unlink(missing_ok=True)
            await reports.delete(self.db, int(row["id"]))

    @staticmethod
    async def _every(seconds: float, work: Callable[[], Awaitable[None]]) -> None:
        while True:
            await asyncio.sleep(seconds)
            try:
                await work()
            except Exception:  # the next round tries again
                log.exception("%s failed", work.__name__)

    async def _work(self) -> None:
        while True:
            report_id = await self.queue.get()
            self.waiting.discard(report_id)
            try:
                async with self.db.transaction() as conn:
                    attempt = await reports.claim(conn, report_id, now_ms=_now_ms(),
                                                  lease_ms=self.lease_ms)
                if attempt is not None:
                    await self._leased(report_id, attempt)
            except asyncio.CancelledError:
                raise
            except Exception:  # the job is marked failed by `run`; keep serving others
                log.exception("export %s failed", report_id)

    async def _renewed(self, report_id: int, attempt: int) -> bool:
        """Whether this worker still holds the job; a store that cannot be reached leaves
        the lease to lapse, and the job's end decides."""
        try:
            return await reports.renew(self.db, report_id, attempt,
                                       lease_until_ms=_now_ms() + self.lease_ms)
        except Exception:
            log.exception("export %s: renewing its lease failed", report_id)
            return True

    async def _leased(self, report_id: int, attempt: int) -> None:
        """Run a claimed job, renewing its lease; stop it when another worker took it
        over, and queue it again when this gateway stops."""
        job = asyncio.ensure_future(self.run(report_id, attempt))
        try:
            while not (await asyncio.wait({job}, timeout=self.config.exports.lease_s / 3))[0]:
                if not await self._renewed(report_id, attempt):
                    log.warning("export %s: another worker took it over", report_id)
                    job.cancel()
                    await asyncio.wait({job})
                    return
            job.result()
        except asyncio.CancelledError:
            job.cancel()
            await asyncio.wait({job})
            with contextlib.suppress(Exception):
                await reports.release(self.db, report_id, attempt)
            raise

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

    async def run(self, report_id: int, attempt: int) -> None:
        """Write the file of a job claimed as `attempt` (each attempt writes a file of its
        own, and earlier attempts' files are removed); mark it completed, or failed with
        the reason."""
        row = await reports.by_id(self.db, report_id)
        if row is None:
            return
        file_name = f"{row['history_type']}_{report_id}.csv"
        path = file_path(self.config.exports.folder, report_id, file_name)
        partial = path.with_suffix(f".{attempt}.partial")
        for earlier in range(1, attempt):
            path.with_suffix(f".{earlier}.partial").unlink(missing_ok=True)
        try:
            kind = self.kinds.get(row["history_type"])
            if kind is None:
                raise LookupError(f"no export of {row['history_type']!r} reports")
            params = kind.schema.load(orjson.loads(row["params"]))
            async with _gzip_writer(partial) as (write, sizes):
                calculated = await kind.export(await self._context(row), params, write)
            if not await self._renewed(report_id, attempt):  # then the lease lasts for the move
                partial.unlink(missing_ok=True)
                return
            partial.replace(path)
        except (asyncio.CancelledError, GeneratorExit):
            partial.unlink(missing_ok=True)
            raise
        except ValidationError as exc:
            partial.unlink(missing_ok=True)
            await reports.fail(self.db, report_id, attempt,
                               f"the saved params are invalid: {', '.join(sorted(exc.messages))}")
            return
        except LookupError as exc:
            partial.unlink(missing_ok=True)
            await reports.fail(self.db, report_id, attempt, str(exc))
            return
        except OSError as exc:  # the reason for the client; the file's path for the log only
            log.warning("export %s: cannot write %s: %s", report_id, partial, exc)
            with contextlib.suppress(OSError):
                partial.unlink(missing_ok=True)
            await reports.fail(self.db, report_id, attempt,
                               f"the export file could not be written: {exc.strerror}")
            return
        except Exception as exc:
            partial.unlink(missing_ok=True)
            await reports.fail(self.db, report_id, attempt,
                               f"internal error: {type(exc).__name__}")
            raise
        await reports.complete(self.db, report_id, attempt, completed=int(time.time()),
                               file_name=file_name, file_size=sizes[0],
                               download_size=path.stat().st_size, calculated=calculated)


def _now_ms() -> int:
    return int(time.time() * 1000)


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
