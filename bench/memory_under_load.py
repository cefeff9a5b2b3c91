"""Memory under a mixed load: the resident memory of `gateway serve` while wrk sends a
rotating mix of reads for a while, sampled every second; it must stay flat (within 10%
of its size after the warm-up).

The store: `gateway demo` with a fixed anchor (--calls sessions over 30 days). The mix,
sent in turn on every connection (root admin key of unlimited rate; a customer key for
the scoped calls): `ping`, `tenants.list`, `aggregate_get` over the last day (summaries)
and over 30 days with an `a_dst` prefix (raw calls), `GetCallHistory` (a page of 20 with
calls), `reports.active_sessions.query` (a rollup), and the customer's own call history.
Each request is sent once first and must answer a result. The server is pinned to core 0
and wrk (16 connections) to core 1. Figures: RSS after the
warm-up (the baseline) and at the end, and the largest sample; the answers' statuses are
checked (any non-2xx stops the run).

    python bench/memory_under_load.py [--seconds 60] [--warmup 10] [--calls 20000] [--quick]

--quick: 20 s with 5 s of warm-up, over 5,000 calls.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

from report import Figure, emit
from serving import free_port, pinned, wait_up

ANCHOR = "2026-11-30T12:00:00Z"
END = 1796040000  # ANCHOR as Unix seconds
DAY = 86_400
TARGET = 1.10


def mix(customer_key: str) -> list[tuple[str, dict[str, object]]]:
    """(key to send, JSON-RPC request) in the order wrk sends them; "" is the admin key."""
    def call(method: str, params: object = None) -> dict[str, object]:
        body: dict[str, object] = {"jsonrpc": "2.0", "method": method, "id": 1}
        if params is not None:
            body["params"] = params
        return body

    day = "2026-11-29"
    history = {"from_date": f"{day} 00:00:00", "to_date": f"{day} 23:59:59", "count": 20,
               "with_calls": True}
    return [
        ("", call("ping")),
        ("", call("tenants.list", [20, 0])),
        ("", call("aggregate_get", {"from": END - 43_200 - DAY, "till": END - 43_201})),
        ("", call("aggregate_get", {"from": END - 30 * DAY, "till": END - 1, "a_dst": "3706"})),
        ("", call("GetCallHistory", {**history, "child_account_id": "all"})),
        ("", call("reports.active_sessions.query", {
            "return_fields": ["orig_clients_name", "quantity", "duration"],
            "order": ["-quantity"], "limit": 5, "group": "rollup"})),
        (customer_key, call("GetCallHistory", history)),
    ]


def lua(admin_key: str, requests: list[tuple[str, dict[str, object]]]) -> str:
    entries = ",\n".join(f"  {{{json.dumps(key or admin_key)}, {json.dumps(json.dumps(body))}}}"
                         for key, body in requests)
    return f"""local calls = {{
{entries}
}}
local i = 0
request = function()
  i = i % #calls + 1
  return wrk.format("POST", "/rpc", {{["Content-Type"] = "application/json",
                                     ["X-Api-Key"] = calls[i][1]}}, calls[i][2])
end
"""


def rss_mb(pid: int) -> float:
    status = Path(f"/proc/{pid}/status").read_text()
    match = re.search(r"VmRSS:\s+(\d+) kB", status)
    assert match, status
    return int(match.group(1)) / 1024


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--warmup", type=float, default=10)
    parser.add_argument("--calls", type=int, default=20_000)
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--quick", action="store_true", help="20 s, 5 s warm-up, 5,000 calls")
    args = parser.parse_args()
    if args.quick:
        args.seconds, args.warmup, args.calls = 20, 5, 5_000
    if not shutil.which("wrk"):
        raise SystemExit("wrk is needed: apt-get install wrk")
    with tempfile.TemporaryDirectory() as tmp:
        workdir = Path(tmp)
        port = free_port()
        env = {**os.environ, "GATEWAY_DATABASE": f"sqlite:///{workdir}/bench.db",
               "GATEWAY_LOG__LEVEL": "WARNING", "GATEWAY_PORT": str(port),
               "GATEWAY_HOST": "127.0.0.1"}

        def gateway(*argv: str) -> str:
            return subprocess.run([sys.executable, "-m", "gateway", *argv], env=env, cwd=workdir,
                                  capture_output=True, text=True, check=True).stdout

        gateway("demo", "--calls", str(args.calls), "--anchor", ANCHOR)
        admin = gateway("keys", "create", "--role", "admin", "--rate-limit",
                        "unlimited").strip().splitlines()[-1]
        customer = gateway("keys", "create", "--role", "customer", "--tenant", "baltic-freight",
                           "--rate-limit", "unlimited").strip().splitlines()[-1]
        script = workdir / "mix.lua"
        script.write_text(lua(admin, mix(customer)))
        server = subprocess.Popen(pinned(0, [sys.executable, "-m", "gateway", "serve"]), env=env,
                                  cwd=workdir, stdout=subprocess.DEVNULL,
                                  stderr=subprocess.DEVNULL)
        try:
            wait_up(f"http://127.0.0.1:{port}/healthz")
            check_answers(port, admin, mix(customer))
            samples, before = run_load(server.pid, port, script, args)
        finally:
            server.terminate()
            server.wait(15)
    warm = [mb for t, mb in samples if t >= args.warmup]
    baseline, end, peak = warm[0], warm[-1], max(warm)
    print(f"{args.calls:,} demo calls; {len(mix(''))} requests in turn on "
          f"{args.connections} connections for {args.seconds:g} s; RSS sampled every second: "
          f"{before:.1f} MB idle, {baseline:.1f} MB after {args.warmup:g} s, "
          f"{end:.1f} MB at the end, {peak:.1f} MB at most")
    emit([Figure("memory under load", "gateway RSS at the end of the mixed load", "MB",
                 (end,), f"RSS after {args.warmup:g} s of it", (baseline,), False, TARGET),
          Figure("memory under load", "gateway RSS, largest sample after the warm-up", "MB",
                 (peak,), f"RSS after {args.warmup:g} s of it", (baseline,), False, TARGET)])


def check_answers(port: int, admin_key: str, requests: list[tuple[str, dict[str, object]]]
                  ) -> None:
    """Each request of the mix answers a result (not an error) before the load starts."""
    for key, body in requests:
        sent = urllib.request.Request(
            f"http://127.0.0.1:{port}/rpc", data=json.dumps(body).encode(), method="POST",
            headers={"Content-Type": "application/json", "X-Api-Key": key or admin_key})
        with urllib.request.urlopen(sent, timeout=30) as answer:
            got = json.loads(answer.read())
        if "result" not in got:
            raise SystemExit(f"{body['method']} answered {got}")


def run_load(pid: int, port: int, script: Path, args: argparse.Namespace
             ) -> tuple[list[tuple[float, float]], float]:
    """(seconds since the start, RSS in MB) once a second while wrk runs; the idle RSS."""
    before = rss_mb(pid)
    load = subprocess.Popen(pinned(1, ["wrk", "-t1", f"-c{args.connections}",
                                       f"-d{args.seconds:g}s", "--timeout", "30s", "-s",
                                       str(script), f"http://127.0.0.1:{port}/rpc"]),
                            stdout=subprocess.PIPE, text=True)
    started, samples = time.monotonic(), []
    while load.poll() is None:
        samples.append((time.monotonic() - started, rss_mb(pid)))
        time.sleep(1)
    out = load.stdout.read() if load.stdout else ""
    if re.search(r"Non-2xx or 3xx responses: (\d+)", out) or "Socket errors" in out:
        raise SystemExit(f"errors during the run:\n{out}")
    print(out.strip())
    return samples, before


if __name__ == "__main__":
    main()
