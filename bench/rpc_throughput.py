"""Serving speed: the gateway against the Python servers a user would choose instead, on
the same requests in the same run (decisions 8).

Servers, each a real process on loopback:
- `bare`: a bare aiohttp handler on uvloop with orjson (bench/peers/bare.py), the floor;
- `jsonrpcserver`: stock jsonrpcserver 5 in aiohttp (bench/peers/jsonrpcserver_aiohttp.py);
- `fastapi-jsonrpc`: fastapi-jsonrpc on uvicorn (bench/peers/fastapi_jsonrpc_uvicorn.py);
- `gateway`: `gateway serve` with an admin key of unlimited rate, every check on.
The peers check no key.

Requests: `ping`, and the one-row read (the gateway's `tenants.list` with `[1, 0]`; the
peers' `read`, the same row of the gateway's own SQLite file through aiosqlite), each single
and as a batch of 100 (its rate is given in calls/s: requests/s x 100).

Method: each server pinned to core 0 and wrk (one thread, 64 connections) to core 1; a 1-s
warm-up, then --runs runs of --seconds seconds; median, min and max. `--workers`: the
gateway with `serve --workers 2` against one worker, the one-row read, nothing pinned (the
load tool shares the two cores). Needs wrk (`apt-get install wrk`) and the peers' packages
(`pip install -e '.[bench]'`).

    python bench/rpc_throughput.py [--seconds 10] [--runs 3] [--connections 64] [--workers]
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
from pathlib import Path

from report import Figure, emit
from serving import free_port, pinned, wait_up

ROOT = Path(__file__).resolve().parent.parent
PEERS = ROOT / "bench" / "peers"
BATCH = 100
BENCH = "serving"


def call(method: str, params: list[int] | None, id_: int = 1) -> dict[str, object]:
    body: dict[str, object] = {"jsonrpc": "2.0", "method": method, "id": id_}
    if params is not None:
        body["params"] = params
    return body


def bodies(read: str, params: list[int] | None) -> dict[str, str]:
    """The four request bodies, by workload name."""
    return {"ping": json.dumps(call("ping", None)),
            f"ping x{BATCH}": json.dumps([call("ping", None, i) for i in range(BATCH)]),
            "read": json.dumps(call(read, params)),
            f"read x{BATCH}": json.dumps([call(read, params, i) for i in range(BATCH)])}


def wrk(url: str, body: str, key: str | None, args: argparse.Namespace, seconds: float,
        workdir: Path, core: int | None) -> float:
    """Requests per second of POSTing `body`; any non-2xx answer stops the benchmark."""
    headers = '["Content-Type"] = "application/json"'
    if key:
        headers += f', ["X-Api-Key"] = "{key}"'
    script = workdir / "post.lua"
    script.write_text(f"wrk.method = \"POST\"\nwrk.body = {json.dumps(body)}\n"
                      f"wrk.headers = {{{headers}}}\n")
    argv = ["wrk", "-t1" if core is not None else "-t2", f"-c{args.connections}",
            "--timeout", "30s", f"-d{seconds:g}s", "-s", str(script), url]
    out = subprocess.run(pinned(core, argv),
                         capture_output=True, text=True, check=True).stdout
    if re.search(r"Non-2xx or 3xx responses: (\d+)", out) or "Socket errors" in out:
        raise SystemExit(f"errors during the run against {url}:\n{out}")
    match = re.search(r"Requests/sec:\s+([\d.]+)", out)
    assert match, out
    return float(match.group(1))


class Server:
    """A server process (pinned to core 0 unless `core` is None) while measured."""

    def __init__(self, argv: list[str], env: dict[str, str], port: int,
                 health: str | None, core: int | None = 0) -> None:
        self.argv, self.env, self.port, self.health, self.core = argv, env, port, health, core

    def __enter__(self) -> str:
        self.process = subprocess.Popen(pinned(self.core, self.argv), env=self.env,
                                        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        wait_up(f"http://127.0.0.1:{self.port}{self.health or '/rpc'}",
                accept_status=self.health is None)
        return f"http://127.0.0.1:{self.port}/rpc"

    def __exit__(self, *exc: object) -> None:
        self.process.terminate()
        try:
            self.process.wait(10)
        except subprocess.TimeoutExpired:  # a peer's database thread may hold it
            self.process.kill()
            self.process.wait(10)


def measure(server: Server, workloads: dict[str, str], key: str | None,
            args: argparse.Namespace, workdir: Path, core: int | None = 1
            ) -> dict[str, list[float]]:
    """Each workload's runs, in calls/s."""
    figures = {}
    with server as url:
        for name, body in workloads.items():
            per_request = BATCH if name.endswith(f"x{BATCH}") else 1
            wrk(url, body, key, args, 1, workdir, core)  # warm-up
            figures[name] = [per_request * wrk(url, body, key, args, args.seconds, workdir,
                                               core) for _ in range(args.runs)]
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=10)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--connections", type=int, default=64)
    parser.add_argument("--workers", action="store_true",
                        help="also measure `serve --workers 2` against one worker")
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
        results: dict[str, dict[str, list[float]]] = {}
        peer_bodies = bodies("read", None)
        for name, script in (("bare", "bare.py"), ("jsonrpcserver", "jsonrpcserver_aiohttp.py"),
                             ("fastapi-jsonrpc", "fastapi_jsonrpc_uvicorn.py")):
            port = free_port()
            argv = [sys.executable, str(PEERS / script), str(port), str(workdir / "bench.db")]
            results[name] = measure(Server(argv, env, port, None), peer_bodies, None, args,
                                    workdir)

        def gateway(workers: int, core: int | None) -> Server:
            port = free_port()
            return Server([sys.executable, "-m", "gateway", "serve", "--workers", str(workers)],
                          {**env, "GATEWAY_PORT": str(port), "GATEWAY_HOST": "127.0.0.1"},
                          port, "/healthz", core)

        gateway_bodies = bodies("tenants.list", [1, 0])
        results["gateway"] = measure(gateway(1, 0), gateway_bodies, key, args, workdir)
        if args.workers:
            read = {"read": gateway_bodies["read"]}
            results["gateway, 1 worker, unpinned"] = measure(gateway(1, None), read, key, args,
                                                             workdir, None)
            results["gateway, 2 workers, unpinned"] = measure(gateway(2, None), read, key, args,
                                                              workdir, None)
    figures = figures_of(results)
    print(f"{args.runs} runs of {args.seconds:g} s, {args.connections} connections; "
          "calls/s (a batch's requests/s x 100); servers on core 0, wrk on core 1")
    emit(figures)


def figures_of(results: dict[str, dict[str, list[float]]]) -> list[Figure]:
    """Every server against the bare handler, and the gateway's targets (issue of serving
    speed): ping at least 0.5x bare, a batch at least 10x its single rate, ahead of both
    peers on every workload, and 2 workers at least 1.3x one."""
    def figure(name: str, workload: str, base: str, base_workload: str,
               target: float | None = None) -> Figure:
        return Figure(BENCH, f"{name}: {workload}", "calls/s", tuple(results[name][workload]),
                      f"{base}: {base_workload}", tuple(results[base][base_workload]), True,
                      target)

    gateway = "gateway"
    out = [figure(name, workload, "bare", workload,
                  0.5 if (name, workload) == (gateway, "ping") else None)
           for name in ("jsonrpcserver", "fastapi-jsonrpc", gateway)
           for workload in results[name]]
    out += [figure(gateway, f"{w} x{BATCH}", gateway, w, 10.0) for w in ("ping", "read")]
    out += [figure(gateway, workload, peer, workload, 1.0)
            for peer in ("jsonrpcserver", "fastapi-jsonrpc") for workload in results[peer]]
    if "gateway, 2 workers, unpinned" in results:
        out.append(figure("gateway, 2 workers, unpinned", "read", "gateway, 1 worker, unpinned",
                          "read", 1.3))
    return out


if __name__ == "__main__":
    main()
