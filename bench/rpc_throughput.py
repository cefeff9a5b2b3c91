"""Requests per second of an authenticated `ping` on /rpc, against a bare aiohttp handler.

Each server runs pinned to core 0 and wrk to core 1; each figure is the median of RUNS runs
of SECONDS seconds, with min and max, and the gateway's figure is also given as a ratio to
the bare handler measured in the same run. Needs wrk (Debian: `apt-get install wrk`).

    python bench/rpc_throughput.py [--seconds 10] [--runs 3] [--connections 64]
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from serving import free_port, pinned, wait_up

ROOT = Path(__file__).resolve().parent.parent
PING = json.dumps({"jsonrpc": "2.0", "method": "ping", "id": 1})


def wrk(url: str, key: str | None, seconds: int, connections: int, workdir: Path) -> float:
    headers = '["Content-Type"] = "application/json"'
    if key:
        headers += f', ["X-Api-Key"] = "{key}"'
    script = workdir / "post.lua"
    script.write_text(f'wrk.method = "POST"\nwrk.body = {json.dumps(PING)}\n'
                      f"wrk.headers = {{{headers}}}\n")
    out = subprocess.run(pinned(1, ["wrk", "-t1", f"-c{connections}", f"-d{seconds}s",
                                    "-s", str(script), url]),
                         capture_output=True, text=True, check=True).stdout
    if re.search(r"Non-2xx or 3xx responses: (\d+)", out):
        raise SystemExit(f"errors during the run:\n{out}")
    match = re.search(r"Requests/sec:\s+([\d.]+)", out)
    assert match, out
    return float(match.group(1))


def measure(name: str, argv: list[str], env: dict[str, str], port: int, key: str | None,
            args: argparse.Namespace, workdir: Path) -> list[float]:
    server = subprocess.Popen(pinned(0, argv), env=env, stdout=subprocess.DEVNULL,
                              stderr=subprocess.DEVNULL)
    try:
        health = f"http://127.0.0.1:{port}/healthz"
        if key is None:
            time.sleep(1.5)
        else:
            wait_up(health)
        url = f"http://127.0.0.1:{port}/rpc"
        wrk(url, key, 2, args.connections, workdir)  # warm-up
        return [wrk(url, key, args.seconds, args.connections, workdir) for _ in range(args.runs)]
    finally:
        server.terminate()
        server.wait(10)


def summary(figures: list[float]) -> str:
    return (f"{statistics.median(figures):9.0f} req/s "
            f"(min {min(figures):.0f}, max {max(figures):.0f})")


def codec_figures() -> str:
    """json against orjson on a page of 1000 report rows, both ways."""
    import orjson

    rows = [{"session_id": f"a5{i:08x}", "orig_clients_id": i % 97, "orig_rates_code": "3706",
             "orig_clients_name": f"Client \u00e9 {i}", "duration": i * 7, "quantity": 1,
             "session_start_time": "2026-11-23 10:00:00"} for i in range(1000)]
    page = {"jsonrpc": "2.0", "result": rows, "id": 1}
    text = json.dumps(page)

    def best(fn: object, n: int = 50) -> float:
        times = []
        for _ in range(5):
            start = time.perf_counter()
            for _ in range(n):
                fn()  # type: ignore[operator]
            times.append((time.perf_counter() - start) / n)
        return min(times)

    lines = []
    for name, slow, fast in (("encode", lambda: json.dumps(page), lambda: orjson.dumps(page)),
                             ("decode", lambda: json.loads(text), lambda: orjson.loads(text))):
        a, b = best(slow), best(fast)
        lines.append(f"{name} 1000 rows: json {a * 1e3:.2f} ms, orjson {b * 1e3:.2f} ms "
                     f"(orjson {a / b:.1f}x faster)")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--connections", type=int, default=64)
    args = parser.parse_args()
    if not shutil.which("wrk"):
        raise SystemExit("wrk is needed: apt-get install wrk")
    with tempfile.TemporaryDirectory() as tmp:
        workdir = Path(tmp)
        env = {**os.environ, "GATEWAY_DATABASE": f"sqlite:///{workdir}/bench.db",
               "GATEWAY_LOG__LEVEL": "WARNING"}
        made = subprocess.run([sys.executable, "-m", "gateway", "keys", "create", "--role",
                               "admin", "--rate-limit", "unlimited"], env=env, cwd=workdir,
                              capture_output=True, text=True, check=True)
        key = made.stdout.strip().splitlines()[-1]
        results: dict[str, list[float]] = {}
        for name, loop in (("bare aiohttp, asyncio loop", "asyncio"),
                           ("bare aiohttp, uvloop", "uvloop")):
            port = free_port()
            results[name] = measure(name, [sys.executable, str(ROOT / "bench/bare_server.py"),
                                           str(port), loop], env, port, None, args, workdir)
        port = free_port()
        gateway_env = {**env, "GATEWAY_PORT": str(port), "GATEWAY_HOST": "127.0.0.1"}
        results["gateway: authenticated ping"] = measure(
            "gateway", [sys.executable, "-m", "gateway", "serve"], gateway_env, port, key,
            args, workdir)
    baseline = statistics.median(results["bare aiohttp, asyncio loop"])
    print(f"{args.runs} runs of {args.seconds} s, {args.connections} connections, "
          "server on core 0, wrk on core 1")
    for name, figures in results.items():
        print(f"{name:30s} {summary(figures)}  "
              f"ratio {statistics.median(figures) / baseline:.2f}")
    print(codec_figures())


if __name__ == "__main__":
    main()
