"""A soak: mixed load at a fixed rate against a real `gateway serve` process (decisions 12
and 14: the CI soak runs at a fixed 300 mixed calls/s for 60 s).

The store: `gateway demo --calls 2000` in a tmp folder, then keys of unlimited rate
(admin and ingest in root, a reseller in acme-telecom). One `gateway serve`, on SQLite by
default. The load, from this process through one aiohttp client session of at most
IN_FLIGHT requests at once, repeats a cycle of 30 calls, paced so that the calls add up
to the rate (300 calls/s: a cycle every 100 ms):

- 1 `ingest.sessions` of 25 two-leg records, 5 of them new live calls (tests/live_traffic.py;
  at 300 calls/s, 250 records a second), at most 4 batches unanswered;
- 1 JSON-RPC batch of 5 reports as the admin: `aggregate_get` over 24 hours, the live
  report with its rollup, and 3 `GetCallHistory` pages with the calls (offsets 0, 20, 40;
  only the first with `total_count`);
- 24 single reports in turn: `aggregate_get`, the live report (twice in six) and a
  first `GetCallHistory` page (with the calls and the total) as the admin, and later pages
  without the calls or the total (offset 20 as the reseller, 40 as the admin). Every
  EXPORT_EVERY_S one of them is a `GetCallHistoryAsync` instead (7 days of demo calls, the
  same every time); then `GetHistoryReports` follows the export (at most once a second)
  until it is completed, when `DownloadHistoryReport` and a GET of its file (whose CSV rows
  must be the report's `session_count`) take two more turns.

Every SAMPLE_S seconds one line is printed: the p50 and p99 latency of the HTTP requests
answered in the last SAMPLE_S seconds (a batch is one request), the calls answered, the
errors, the 503 busy answers, the server's RSS (VmRSS) and its CPU use. An error is any
JSON-RPC error object or any HTTP status but 200, a request that failed or took longer than
REQUEST_TIMEOUT_S, an ingest answer whose counts differ from what was sent, a failed
export, or a downloaded export whose rows differ from its count; a documented 503 busy
(decisions 12) is not an error and is counted apart. At the end a summary: p50 and p99
overall, the calls and the rate achieved (the load falls behind the rate asked when the
server cannot keep up: at most IN_FLIGHT requests are ever unanswered), errors, busy, RSS
min and max, and the latencies of each method.

It passes with no error, and with the RSS of every sample after the warm-up (WARMUP_S)
within 10% of its value at the end of the warm-up.

Two environment variables choose the profile (the gateway's config check ignores
`GATEWAY_TEST_*`): `GATEWAY_TEST_SOAK_S` (seconds of load, default 60) and
`GATEWAY_TEST_SOAK_RATE` (calls a second, default 300). The 60-s CI soak takes about 70 s.
The 10-minute soak:

    GATEWAY_TEST_SOAK_S=600 .venv/bin/python -m pytest -q -s tests/test_soak.py

(`-s` shows the lines as they come). `GATEWAY_TEST_SOAK_ENGINES=postgresql` (or
`sqlite,postgresql`) runs it on PostgreSQL too (a throwaway cluster, or
$GATEWAY_TEST_POSTGRES_DSN); CI runs SQLite only, in its budget.
"""

from __future__ import annotations

import asyncio
import collections
import csv
import io
import json
import os
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Awaitable, Callable

import aiohttp
import pytest
from conftest import database_url
from gateway_process import Gateway
from live_traffic import Traffic, reports

from gateway.tools.demo.destinations import DECK_ID

SOAK_S = float(os.environ.get("GATEWAY_TEST_SOAK_S") or 60)
RATE = float(os.environ.get("GATEWAY_TEST_SOAK_RATE") or 300)
SOAK_ENGINES = tuple(e.strip() for e in
                     (os.environ.get("GATEWAY_TEST_SOAK_ENGINES") or "sqlite").split(","))
DEMO_CALLS = 2000
SAMPLE_S = 10.0
WARMUP_S = 20.0
RSS_TOLERANCE = 0.10
IN_FLIGHT = 16  # HTTP requests unanswered at once
INGEST_IN_FLIGHT = 4  # below the traffic's spacing of 5 (tests/live_traffic.py)
PER_BATCH = 25  # records of one ingest.sessions
NEW_CALLS = 5  # calls set up in each
CYCLE_CALLS = 30  # 1 ingest + a batch of 5 + 24 singles
BATCH_CALLS = 5
SINGLES = CYCLE_CALLS - 1 - BATCH_CALLS
EXPORT_EVERY_S = 5.0
POLL_EVERY_S = 1.0
REQUEST_TIMEOUT_S = 30.0
SHOWN = "%Y-%m-%d %H:%M:%S"

pytestmark = pytest.mark.timeout(SOAK_S + 90)


@dataclass
class Done:
    """One HTTP request answered (or failed)."""
    at: float  # monotonic seconds when it ended
    seconds: float
    calls: int
    errors: int
    busy: int


@dataclass
class Load:
    """What the load saw."""
    started: float = 0.0
    done: list[Done] = field(default_factory=list)
    errors: collections.Counter[str] = field(default_factory=collections.Counter)
    samples: list[str] = field(default_factory=list)  # the first few error texts
    busy: collections.Counter[str] = field(default_factory=collections.Counter)
    exports: collections.Counter[str] = field(default_factory=collections.Counter)
    by_kind: dict[str, list[float]] = field(  # seconds, by method ("batch", "export file")
        default_factory=lambda: collections.defaultdict(list))

    def error(self, what: str, text: str) -> None:
        self.errors[what] += 1
        if len(self.samples) < 5:
            self.samples.append(f"{what}: {text[:400]}")


@dataclass
class Keys:
    admin: str
    ingest: str
    reseller: str


@dataclass
class Sample:
    t: float
    p50_ms: float
    p99_ms: float
    calls: int
    errors: int
    busy: int
    rss_kib: int
    cpu: float  # the server's CPU seconds a second over the window

    def line(self) -> str:
        return (f"soak t={self.t:4.0f}s  p50 {self.p50_ms:7.1f} ms  p99 {self.p99_ms:7.1f} ms  "
                f"calls {self.calls:6d}  errors {self.errors}  busy {self.busy}  "
                f"RSS {self.rss_kib / 1024:7.1f} MiB  server CPU {self.cpu:4.0%}")


def rss_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise AssertionError(f"no VmRSS for process {pid}")


def cpu_seconds(pid: int) -> float:
    """User and system CPU time of a process so far."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def percentile(values: list[float], q: int) -> float:
    """The q-th percentile (inclusive method); 0 for no values."""
    if not values:
        return 0.0
    if len(values) == 1:
        return values[0]
    return statistics.quantiles(values, n=100, method="inclusive")[q - 1]


def is_busy(status: int, answer: Any) -> bool:
    """The documented 503 busy (docs/rpc.md): HTTP 503, error code 503, `data.code` busy."""
    error = answer.get("error") if isinstance(answer, dict) else None
    return (status == 503 and isinstance(error, dict) and error.get("code") == 503
            and isinstance(error.get("data"), dict) and error["data"].get("code") == "busy")


def page(history: tuple[str, dict[str, Any]], offset: int) -> tuple[str, dict[str, Any]]:
    """A later `GetCallHistory` page of the same hours, without the calls and without the
    total (which the first page has: counting every session of the hours grows with the
    store, about 0.1 s a call for the admin at 80,000 sessions on SQLite)."""
    method, params = history
    return method, {**params, "offset": offset, "with_calls": False, "with_total_count": False}


class Soak:
    def __init__(self, port: int, keys: Keys, http: aiohttp.ClientSession) -> None:
        self.url = f"http://127.0.0.1:{port}"
        self.keys, self.http = keys, http
        self.load = Load()
        self.slots = asyncio.Semaphore(IN_FLIGHT)
        self.tasks: set[asyncio.Task[None]] = set()
        now = int(time.time())
        self.export_params = {  # 7 days of demo calls, ending a day before the ingest
            "from_date": time.strftime(SHOWN, time.gmtime(now - 8 * 86_400)),
            "to_date": time.strftime(SHOWN, time.gmtime(now - 86_400)),
            "child_account_id": "all"}
        self.next_export = 0.0
        self.pending: dict[int, float] = {}  # export id: when to look at it next
        self.downloads: list[int] = []  # completed, not downloaded yet
        self.counts: dict[int, int] = {}  # completed: its session_count

    # ------------------------------------------------------------------ one request

    async def post(self, key: str, body: Any, what: str) -> Any:
        """POST /rpc; timed and counted; the parsed answer (None when it failed)."""
        calls = len(body) if isinstance(body, list) else 1
        started = time.monotonic()
        errors = busy = 0
        answer: Any = None
        try:
            async with self.http.post(f"{self.url}/rpc", json=body,
                                      headers={"X-Api-Key": key}) as response:
                status, text = response.status, await response.text()
            answer = json.loads(text) if text else None
            if is_busy(status, answer):
                busy = calls
                self.load.busy[what] += 1
                answer = None
            elif status != 200:
                errors = calls
                self.load.error(f"{what}: HTTP {status}", text)
                answer = None
            else:
                for one in answer if isinstance(answer, list) else [answer]:
                    if not isinstance(one, dict) or "result" not in one:
                        errors += 1
                        code = one.get("error", {}).get("code") if isinstance(one, dict) else None
                        self.load.error(f"{what}: error {code}", json.dumps(one))
        except (aiohttp.ClientError, asyncio.TimeoutError, ValueError) as exc:
            errors = calls
            self.load.error(f"{what}: {type(exc).__name__}", repr(exc))
            answer = None
        self.load.done.append(Done(time.monotonic(), time.monotonic() - started, calls,
                                   errors, busy))
        self.load.by_kind[what].append(self.load.done[-1].seconds)
        return None if errors else answer

    async def call(self, key: str, method: str, params: dict[str, Any]) -> Any:
        """One call; its result, or None."""
        answer = await self.post(key, {"jsonrpc": "2.0", "method": method, "params": params,
                                       "id": 1}, method)
        return None if answer is None else answer["result"]

    # ------------------------------------------------------------------ the mix

    async def ingest(self, traffic: Traffic) -> None:
        sent = traffic.batch()
        result = await self.call(self.keys.ingest, "ingest.sessions", {"records": sent.records})
        expected = {"accepted": sent.accepted, "unchanged": sent.unchanged, "rejected": []}
        if result is not None and result != expected:
            self.load.error("ingest.sessions: counts differ", f"{result} != {expected}")

    async def batch(self, k: int) -> None:
        now = int(time.time())
        chosen = list(reports(now).values())
        history = chosen[2][1]
        chosen += [("GetCallHistory", {**history, "offset": 20, "with_total_count": False}),
                   ("GetCallHistory", {**history, "offset": 40, "with_total_count": False})]
        body = [{"jsonrpc": "2.0", "method": method, "params": params, "id": n}
                for n, (method, params) in enumerate(chosen, 1)]
        answer = await self.post(self.keys.admin, body, "batch")
        if answer is not None and sorted(one.get("id") for one in answer) != [1, 2, 3, 4, 5]:
            self.load.error("batch: ids differ", json.dumps(answer)[:400])

    def single(self, k: int) -> Callable[[], Awaitable[None]]:
        """The k-th single call: an export's next step when one is due, else a report."""
        now = time.monotonic()
        if now >= self.next_export:
            self.next_export = max(self.next_export + EXPORT_EVERY_S, now)
            return self.start_export
        if self.downloads:
            return self.download_export(self.downloads.pop(0))
        for report_id, when in self.pending.items():
            if now >= when:
                self.pending[report_id] = now + POLL_EVERY_S
                return self.follow_export(report_id)
        agg, live, history = reports(int(time.time())).values()
        key, (method, params) = [
            (self.keys.admin, agg), (self.keys.admin, live), (self.keys.admin, history),
            (self.keys.reseller, page(history, 20)), (self.keys.admin, live),
            (self.keys.admin, page(history, 40))][k % 6]

        async def report() -> None:
            await self.call(key, method, params)
        return report

    async def start_export(self) -> None:
        result = await self.call(self.keys.admin, "GetCallHistoryAsync", self.export_params)
        if result is None:
            return
        if not (isinstance(result, dict) and result.get("result") == 1
                and isinstance(result.get("history_report_id"), int)):
            self.load.error("GetCallHistoryAsync: answer", json.dumps(result))
            return
        self.load.exports["started"] += 1
        self.pending[result["history_report_id"]] = time.monotonic() + POLL_EVERY_S

    def follow_export(self, report_id: int) -> Callable[[], Awaitable[None]]:
        async def follow() -> None:
            result = await self.call(self.keys.admin, "GetHistoryReports",
                                     {"history_report_id": [report_id]})
            if result is None or report_id not in self.pending:
                return
            found = result.get("result") if isinstance(result, dict) else None
            if not (isinstance(found, list) and len(found) == 1):
                self.load.error("GetHistoryReports: answer", json.dumps(result))
                del self.pending[report_id]
                return
            status = found[0].get("status")
            if status == "failed":
                self.load.error("export failed", json.dumps(found[0]))
                del self.pending[report_id]
            elif status == "completed":
                del self.pending[report_id]
                self.counts[report_id] = found[0]["calculated_data"]["session_count"]
                self.downloads.append(report_id)
        return follow

    def download_export(self, report_id: int) -> Callable[[], Awaitable[None]]:
        async def download() -> None:
            result = await self.call(self.keys.admin, "DownloadHistoryReport",
                                     {"history_report_id": report_id})
            if result is None:
                return
            started = time.monotonic()
            errors = 0
            try:
                async with self.http.get(f"{self.url}{result['url']}",
                                         headers={"X-Api-Key": self.keys.admin}) as response:
                    status, text = response.status, await response.text()
                if status != 200:
                    errors = 1
                    self.load.error(f"export file: HTTP {status}", text)
                else:
                    rows = list(csv.reader(io.StringIO(text, newline="")))
                    expected = self.counts.pop(report_id)
                    if len(rows) != expected + 1:  # the header line, then one row a session
                        errors = 1
                        self.load.error("export file: rows",
                                        f"{len(rows) - 1} rows, session_count {expected}")
                    else:
                        self.load.exports["downloaded"] += 1
            except (aiohttp.ClientError, asyncio.TimeoutError, KeyError, TypeError) as exc:
                errors = 1
                self.load.error(f"export file: {type(exc).__name__}", repr(exc))
            self.load.done.append(Done(time.monotonic(), time.monotonic() - started, 1,
                                       errors, 0))
            self.load.by_kind["export file"].append(self.load.done[-1].seconds)
        return download

    # ------------------------------------------------------------------ pacing

    async def paced(self, rate: float, until: float,
                    make: Callable[[int], Callable[[], Awaitable[None]]],
                    window: int = 0) -> None:
        """make(k)() for k = 0, 1, ... at `rate` a second until `until`, each in a slot;
        with `window`, request k waits for request k - window to be answered."""
        mine: collections.deque[asyncio.Task[None]] = collections.deque()
        k = 0
        while (due := self.load.started + k / rate) < until and time.monotonic() < until:
            await asyncio.sleep(max(0.0, due - time.monotonic()))
            if window and len(mine) == window:
                await mine.popleft()
            await self.slots.acquire()
            task = asyncio.create_task(self.run(make(k)))
            self.tasks.add(task)
            task.add_done_callback(self.tasks.discard)
            if window:
                mine.append(task)
            k += 1

    async def run(self, step: Callable[[], Awaitable[None]]) -> None:
        try:
            async with asyncio.timeout(REQUEST_TIMEOUT_S):
                await step()
        except TimeoutError:
            self.load.error("timeout", f"no answer within {REQUEST_TIMEOUT_S:.0f} s")
            self.load.done.append(Done(time.monotonic(), REQUEST_TIMEOUT_S, 1, 1, 0))
        finally:
            self.slots.release()

    async def sample(self, pid: int, until: float, samples: list[Sample]) -> None:
        n = 1
        seen = 0
        cpu = cpu_seconds(pid)
        while (at := self.load.started + n * SAMPLE_S) <= until + 1e-6:
            await asyncio.sleep(max(0.0, at - time.monotonic()))
            window = self.load.done[seen:]
            seen = len(self.load.done)
            latencies = [d.seconds * 1e3 for d in window]
            sample = Sample(n * SAMPLE_S, percentile(latencies, 50), percentile(latencies, 99),
                            sum(d.calls for d in window), sum(d.errors for d in window),
                            sum(d.busy for d in window), rss_kib(pid),
                            (cpu_seconds(pid) - cpu) / SAMPLE_S)
            cpu = cpu_seconds(pid)
            samples.append(sample)
            print(sample.line(), flush=True)
            n += 1

    async def soak(self, pid: int, seconds: float, rate: float) -> list[Sample]:
        traffic = Traffic("soak", per_batch=PER_BATCH, new_calls=NEW_CALLS, code_deck_id=DECK_ID)
        cycle_rate = rate / CYCLE_CALLS
        self.load.started = time.monotonic()
        self.next_export = self.load.started
        until = self.load.started + seconds
        samples: list[Sample] = []
        sampler = asyncio.create_task(self.sample(pid, until, samples))
        await asyncio.gather(
            self.paced(cycle_rate, until, lambda k: lambda: self.ingest(traffic),
                       window=INGEST_IN_FLIGHT),
            self.paced(cycle_rate, until, lambda k: lambda: self.batch(k)),
            self.paced(cycle_rate * SINGLES, until, self.single))
        await sampler
        while self.tasks:  # the last requests answer after the last sample
            await asyncio.gather(*list(self.tasks))
        return samples


# ---------------------------------------------------------------------- the server

def gateway_cli(env: dict[str, str], cwd: Path, *args: str) -> str:
    done = subprocess.run([sys.executable, "-m", "gateway", *args], env=env, cwd=cwd,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    return done.stdout


def make_store(env: dict[str, str], cwd: Path) -> Keys:
    """The demo store, and keys of unlimited rate (the demo's keys have the default)."""
    gateway_cli(env, cwd, "demo", "--calls", str(DEMO_CALLS))

    def key(*args: str) -> str:
        return gateway_cli(env, cwd, "keys", "create", *args, "--rate-limit",
                           "unlimited").strip().splitlines()[-1]
    return Keys(admin=key("--role", "admin"), ingest=key("--role", "ingest"),
                reseller=key("--role", "reseller", "--tenant", "acme-telecom"))


def summary(samples: list[Sample], load: Load, seconds: float, rate: float,
            engine: str) -> str:
    latencies = [d.seconds * 1e3 for d in load.done]
    calls = sum(d.calls for d in load.done)
    rss = [s.rss_kib / 1024 for s in samples]
    lines = [
        f"soak summary ({engine}, {seconds:g} s at {rate:g} calls/s asked): "
        f"{calls} calls in {len(load.done)} requests (achieved {calls / seconds:.0f} calls/s), "
        f"p50 {percentile(latencies, 50):.1f} ms, p99 {percentile(latencies, 99):.1f} ms, "
        f"max {max(latencies, default=0):.0f} ms; errors {sum(load.errors.values())}, "
        f"busy {sum(load.busy.values())}; RSS min {min(rss):.1f} MiB, max {max(rss):.1f} MiB; "
        f"exports started {load.exports['started']}, downloaded {load.exports['downloaded']}"]
    lines += [f"  {what}: {len(seconds)} requests, p50 {percentile(seconds, 50) * 1e3:.1f} ms, "
              f"p99 {percentile(seconds, 99) * 1e3:.1f} ms"
              for what, seconds in sorted(load.by_kind.items())]
    lines += [f"  error: {n} x {what}" for what, n in load.errors.most_common()]
    lines += [f"  busy: {n} x {what}" for what, n in load.busy.most_common()]
    lines += [f"  e.g. {text}" for text in load.samples]
    return "\n".join(lines)


@pytest.mark.parametrize("engine", SOAK_ENGINES, indirect=True)
async def test_soak_of_mixed_load(engine: str, tmp_path: Path) -> None:
    gateway = Gateway(tmp_path, database_url(tmp_path))
    gateway.env["GATEWAY_EXPORTS__FOLDER"] = str(tmp_path / "exports")
    keys = make_store(gateway.env, tmp_path)
    await gateway.start()
    try:
        assert gateway.process is not None
        pid = gateway.process.pid
        timeout = aiohttp.ClientTimeout(total=REQUEST_TIMEOUT_S)
        connector = aiohttp.TCPConnector(limit=IN_FLIGHT)
        async with aiohttp.ClientSession(connector=connector, timeout=timeout) as http:
            soak = Soak(gateway.port, keys, http)
            samples = await soak.soak(pid, SOAK_S, RATE)
        assert gateway.process.poll() is None, "the gateway stopped during the soak"
    finally:
        gateway.stop()
    report = summary(samples, soak.load, SOAK_S, RATE, engine)
    print(report, flush=True)

    table = "\n".join(s.line() for s in samples)
    assert sum(soak.load.errors.values()) == 0, f"{report}\n{table}"
    assert soak.load.exports["downloaded"] >= 1, f"{report}\n{table}"
    warmed = [s for s in samples if s.t >= WARMUP_S]
    assert warmed and warmed[0].t == WARMUP_S, table
    base = warmed[0].rss_kib
    drifted = [s for s in warmed[1:] if abs(s.rss_kib - base) > RSS_TOLERANCE * base]
    assert not drifted, (f"RSS moved more than {RSS_TOLERANCE:.0%} from "
                         f"{base / 1024:.1f} MiB (at {WARMUP_S:g} s):\n{table}")
