"""Throughput and memory of a call-history CSV export of about a million rows.

    python bench/history_export.py [--quick] [--calls 1000000]

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
"""

from __future__ import annotations

import argparse
import csv
import gzip
import json
import os
import shutil
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import aggregate as data_set  # noqa: E402  (bench/aggregate.py: the cached database)
from report import Figure, emit  # noqa: E402
from serving import free_port, pinned, wait_up  # noqa: E402

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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true",
                        help=f"{data_set.QUICK_CALLS:,} calls (aggregate.py --quick's data set)")
    parser.add_argument("--calls", type=int, help="demo calls (default 1,000,000)")
    args = parser.parse_args()
    if args.calls is None:
        args.calls = data_set.QUICK_CALLS if args.quick else 1_000_000
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
    emit(figures)


if __name__ == "__main__":
    main()
