"""The command line, run as a real process (spec README, "Config and command line")."""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import re
import signal
import socket
import sqlite3
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any, Awaitable, Callable, Iterator

import pytest
from aiohttp.test_utils import TestClient

from gateway.core.config import load_config
from gateway.web.app import create_app

COMMAND_TIMEOUT_S = 30
START_TIMEOUT_S = 10
STOP_TIMEOUT_S = 10
WORKERS_STOP_S = 5  # an idle worker shuts down in well under a second
KEY = re.compile(r"[0-9a-f]{16}\.\S+")
SCRIPT = Path(sys.executable).parent / "gateway"

# Requests to the server under test must never go through an HTTP proxy of the environment.
OPENER = urllib.request.build_opener(urllib.request.ProxyHandler({}))


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    """The process environment without any GATEWAY_ variable, the database in tmp_path."""
    clean = {k: v for k, v in os.environ.items() if not k.startswith("GATEWAY_")}
    clean["GATEWAY_DATABASE"] = f"sqlite:///{tmp_path}/gateway.db"
    return clean


def gateway(tmp_path: Path, env: dict[str, str], *args: str,
            **extra_env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "gateway", *args], cwd=tmp_path,
                          env={**env, **extra_env}, capture_output=True, text=True,
                          timeout=COMMAND_TIMEOUT_S)


def create_key(tmp_path: Path, env: dict[str, str], tenant: str = "root",
               role: str = "admin") -> str:
    done = gateway(tmp_path, env, "keys", "create", "--tenant", tenant, "--role", role)
    assert done.returncode == 0, done.stderr
    return done.stdout.splitlines()[-1]


def db_rows(tmp_path: Path, sql: str) -> list[tuple[Any, ...]]:
    with sqlite3.connect(tmp_path / "gateway.db") as conn:
        rows = conn.execute(sql).fetchall()
    conn.close()
    return rows


# --- keys and tenants -------------------------------------------------------------------

def test_keys_create_prints_the_plain_key_alone_on_the_last_line(
        tmp_path: Path, env: dict[str, str]) -> None:
    done = gateway(tmp_path, env, "keys", "create", "--tenant", "root", "--role", "admin")
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    key = lines[-1]
    assert KEY.fullmatch(key), key
    key_id = key.split(".", 1)[0]
    stored = db_rows(tmp_path, "SELECT k.key_id, k.role, t.name FROM api_keys k "
                               "JOIN tenants t ON t.id = k.tenant_id")
    assert stored == [(key_id, "admin", "root")]


def test_keys_create_prints_the_mor_secret_on_the_line_before_the_key(
        tmp_path: Path, env: dict[str, str]) -> None:
    done = gateway(tmp_path, env, "keys", "create", "--tenant", "root", "--role", "admin")
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    key_id = lines[-1].split(".", 1)[0]
    [(server_key,)] = db_rows(tmp_path, "SELECT value FROM settings WHERE name = 'server_key'")
    expected = hmac.new(server_key.encode(), key_id.encode(), hashlib.sha256).hexdigest()[:32]
    assert lines[-2].split()[-1] == expected
    assert expected not in lines[-1]


def test_two_keys_differ(tmp_path: Path, env: dict[str, str]) -> None:
    assert create_key(tmp_path, env) != create_key(tmp_path, env)


async def test_tenants_create_then_a_key_for_the_new_tenant_works(
        tmp_path: Path, env: dict[str, str],
        aiohttp_client: Callable[..., Awaitable[TestClient]]) -> None:
    done = gateway(tmp_path, env, "tenants", "create", "acme", "--parent", "root")
    assert done.returncode == 0, done.stderr
    assert "acme" in done.stdout
    key = create_key(tmp_path, env, tenant="acme", role="admin")
    assert KEY.fullmatch(key)
    assert db_rows(tmp_path, "SELECT t.name, p.name FROM tenants t "
                             "LEFT JOIN tenants p ON p.id = t.parent_id ORDER BY t.id") == [
        ("root", None), ("acme", "root")]
    # the key authenticates on the real app, scoped to acme's subtree
    client = await aiohttp_client(create_app(load_config(
        None, environ={}, search_default=False,
        overrides={"database": env["GATEWAY_DATABASE"],
                   "exports": {"folder": str(tmp_path / "exports")}})))
    body = [{"jsonrpc": "2.0", "method": "ping", "id": 1},
            {"jsonrpc": "2.0", "method": "tenants.list", "id": 2}]
    response = await client.post("/rpc", json=body, headers={"X-Api-Key": key})
    assert response.status == 200
    answers = {a["id"]: a for a in await response.json()}
    assert answers[1] == {"jsonrpc": "2.0", "result": "pong", "id": 1}
    listed = answers[2]["result"]
    assert [(t["name"], t["parent"]) for t in listed["result"]] == [("acme", "root")]
    assert listed["total_count"] == 1


def test_keys_create_for_an_unknown_tenant_exits_2_naming_tenant(
        tmp_path: Path, env: dict[str, str]) -> None:
    done = gateway(tmp_path, env, "keys", "create", "--tenant", "nosuch", "--role", "admin")
    assert done.returncode == 2
    assert done.stdout == ""
    assert "tenant" in done.stderr
    assert "nosuch" in done.stderr
    assert db_rows(tmp_path, "SELECT COUNT(*) FROM api_keys") == [(0,)]


def test_tenants_create_under_an_unknown_parent_exits_2(tmp_path: Path,
                                                        env: dict[str, str]) -> None:
    done = gateway(tmp_path, env, "tenants", "create", "acme", "--parent", "nosuch")
    assert done.returncode == 2
    assert "parent" in done.stderr
    assert db_rows(tmp_path, "SELECT name FROM tenants") == [("root",)]


def test_a_bad_config_exits_2_naming_the_key_and_touches_nothing(
        tmp_path: Path, env: dict[str, str]) -> None:
    done = gateway(tmp_path, env, "keys", "create", "--role", "admin", GATEWAY_PORT="x")
    assert done.returncode == 2
    assert done.stdout == ""
    assert re.search(r"\bport\b", done.stderr), done.stderr
    assert not (tmp_path / "gateway.db").exists()


# --- migrate ----------------------------------------------------------------------------

def test_migrate_on_an_empty_database_creates_the_root_tenant(tmp_path: Path,
                                                              env: dict[str, str]) -> None:
    done = gateway(tmp_path, env, "migrate")
    assert done.returncode == 0, done.stderr
    assert db_rows(tmp_path, "SELECT id, name, parent_id FROM tenants") == [(1, "root", None)]


def test_migrate_twice_keeps_one_root(tmp_path: Path, env: dict[str, str]) -> None:
    assert gateway(tmp_path, env, "migrate").returncode == 0
    assert gateway(tmp_path, env, "migrate").returncode == 0
    assert db_rows(tmp_path, "SELECT id, name FROM tenants") == [(1, "root")]


def test_the_console_script_runs_migrate(tmp_path: Path, env: dict[str, str]) -> None:
    done = subprocess.run([str(SCRIPT), "migrate"], cwd=tmp_path, env=env, capture_output=True,
                          text=True, timeout=COMMAND_TIMEOUT_S)
    assert done.returncode == 0, done.stderr
    assert db_rows(tmp_path, "SELECT id, name FROM tenants") == [(1, "root")]


def test_migrate_with_a_missing_config_file_exits_2(tmp_path: Path, env: dict[str, str]) -> None:
    done = gateway(tmp_path, env, "--config", str(tmp_path / "missing.yaml"), "migrate")
    assert done.returncode == 2
    assert "missing.yaml" in done.stderr
    assert not (tmp_path / "gateway.db").exists()


def test_config_yaml_in_the_working_folder_is_read(tmp_path: Path, env: dict[str, str]) -> None:
    (tmp_path / "config.yaml").write_text(f"database: sqlite:///{tmp_path}/from-cwd.db\n",
                                          encoding="utf-8")
    without_database = {k: v for k, v in env.items() if k != "GATEWAY_DATABASE"}
    done = gateway(tmp_path, without_database, "migrate")
    assert done.returncode == 0, done.stderr
    assert (tmp_path / "from-cwd.db").is_file()
    assert not (tmp_path / "gateway.db").exists()


def test_config_path_wins_over_the_working_folders_config_yaml(
        tmp_path: Path, env: dict[str, str]) -> None:
    (tmp_path / "config.yaml").write_text("port: x\n", encoding="utf-8")
    other = tmp_path / "other.yaml"
    other.write_text("port: 9000\n", encoding="utf-8")
    assert gateway(tmp_path, env, "migrate").returncode == 2
    done = gateway(tmp_path, env, "migrate", "--config", str(other))
    assert done.returncode == 0, done.stderr
    assert db_rows(tmp_path, "SELECT id, name FROM tenants") == [(1, "root")]


# --- serve ------------------------------------------------------------------------------

def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
    return port


def get(url: str) -> tuple[int, dict[str, str], bytes]:
    with OPENER.open(url, timeout=5) as response:
        return response.status, dict(response.headers), response.read()


def post_json(url: str, body: Any, key: str) -> tuple[int, dict[str, str], Any]:
    request = urllib.request.Request(url, data=json.dumps(body).encode(), method="POST",
                                     headers={"Content-Type": "application/json",
                                              "X-Api-Key": key})
    with OPENER.open(request, timeout=5) as response:
        return response.status, dict(response.headers), json.loads(response.read())


def wait_healthy(process: subprocess.Popen[bytes], base: str, log: Path) -> None:
    deadline = time.monotonic() + START_TIMEOUT_S
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"the server exited with {process.returncode}: {log.read_text()}")
        try:
            status, _, _ = get(f"{base}/healthz")
            if status == 200:
                return
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            pass
        time.sleep(0.05)
    pytest.fail(f"the server did not answer /healthz within {START_TIMEOUT_S} s: "
                f"{log.read_text()}")


def stop(process: subprocess.Popen[bytes]) -> int:
    """SIGTERM, then wait; kill only if it does not stop in time."""
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
    try:
        return process.wait(timeout=STOP_TIMEOUT_S)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout=STOP_TIMEOUT_S)
        raise


@pytest.fixture
def serve(tmp_path: Path, env: dict[str, str]) -> Iterator[Any]:
    """`serve(*args, **env)` -> (process, log path); every started server is stopped."""
    started: list[subprocess.Popen[bytes]] = []

    def start(*args: str, **extra_env: str) -> tuple[subprocess.Popen[bytes], Path]:
        log = tmp_path / f"serve-{len(started)}.log"
        with open(log, "wb") as out:
            process = subprocess.Popen([sys.executable, "-m", "gateway", "serve", *args],
                                       cwd=tmp_path, env={**env, **extra_env},
                                       stdout=out, stderr=subprocess.STDOUT)
        started.append(process)
        return process, log

    try:
        yield start
    finally:
        for process in started:
            if process.poll() is None:
                stop(process)


def check_ping(base: str, key: str) -> None:
    status, health_headers, body = get(f"{base}/healthz")
    assert status == 200
    assert json.loads(body) == {"status": "ok", "database": "ok"}
    status, headers, answer = post_json(f"{base}/rpc",
                                        {"jsonrpc": "2.0", "method": "ping", "id": 1}, key)
    assert status == 200
    assert answer == {"jsonrpc": "2.0", "result": "pong", "id": 1}
    assert headers.get("X-Request-Id")
    assert health_headers.get("X-Request-Id")
    assert headers["X-Request-Id"] != health_headers["X-Request-Id"]


def test_serve_answers_ping_over_http_and_stops_on_sigterm(
        tmp_path: Path, env: dict[str, str], serve: Any) -> None:
    key = create_key(tmp_path, env)
    port = free_port()
    process, log = serve(GATEWAY_HOST="127.0.0.1", GATEWAY_PORT=str(port))
    try:
        wait_healthy(process, f"http://127.0.0.1:{port}", log)
        check_ping(f"http://127.0.0.1:{port}", key)
    finally:
        code = stop(process)
    assert code == 0, log.read_text()


def test_serve_refuses_a_request_without_a_key(tmp_path: Path, env: dict[str, str],
                                               serve: Any) -> None:
    port = free_port()
    process, log = serve(GATEWAY_HOST="127.0.0.1", GATEWAY_PORT=str(port))
    try:
        wait_healthy(process, f"http://127.0.0.1:{port}", log)
        with pytest.raises(urllib.error.HTTPError) as refused:
            post_json(f"http://127.0.0.1:{port}/rpc",
                      {"jsonrpc": "2.0", "method": "ping", "id": 1}, "")
        assert refused.value.code == 401
        assert refused.value.headers.get("X-Request-Id")
        answer = json.loads(refused.value.read())
        refused.value.close()
        assert answer["id"] is None
        assert answer["error"]["code"] == 401
    finally:
        code = stop(process)
    assert code == 0, log.read_text()
    # the first start created the root tenant
    assert db_rows(tmp_path, "SELECT id, name FROM tenants") == [(1, "root")]


def test_serve_reads_the_port_from_config_path(tmp_path: Path, env: dict[str, str],
                                               serve: Any) -> None:
    key = create_key(tmp_path, env)
    port = free_port()
    config = tmp_path / "settings.yaml"
    config.write_text(f"host: 127.0.0.1\nport: {port}\n", encoding="utf-8")
    process, log = serve("--config", str(config))
    try:
        wait_healthy(process, f"http://127.0.0.1:{port}", log)
        check_ping(f"http://127.0.0.1:{port}", key)
    finally:
        code = stop(process)
    assert code == 0, log.read_text()


def test_serve_with_a_bad_config_exits_2(tmp_path: Path, env: dict[str, str]) -> None:
    done = gateway(tmp_path, env, "serve", GATEWAY_PORT="70000")
    assert done.returncode == 2
    assert re.search(r"\bport\b", done.stderr), done.stderr


def children_of(pid: int) -> list[int]:
    """The ids of the live processes whose parent is `pid` (Linux /proc)."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        fields = stat.rsplit(")", 1)[1].split()
        if int(fields[1]) == pid and fields[0] != "Z":
            found.append(int(entry.name))
    return found


def alive(pid: int) -> bool:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] != "Z"


def reap(pids: list[int]) -> list[int]:
    """Stop the given processes (SIGTERM, then SIGKILL); the ids that were still alive."""
    left = [p for p in pids if alive(p)]
    for pid in left:
        os.kill(pid, signal.SIGTERM)
    deadline = time.monotonic() + STOP_TIMEOUT_S
    while any(alive(p) for p in left) and time.monotonic() < deadline:
        time.sleep(0.05)
    for pid in left:
        if alive(pid):
            os.kill(pid, signal.SIGKILL)
    return left


def test_serve_with_workers_stops_every_worker_on_sigterm(
        tmp_path: Path, env: dict[str, str], serve: Any) -> None:
    port = free_port()
    process, log = serve("--workers", "2", GATEWAY_HOST="127.0.0.1", GATEWAY_PORT=str(port))
    workers: list[int] = []
    try:
        wait_healthy(process, f"http://127.0.0.1:{port}", log)
        deadline = time.monotonic() + START_TIMEOUT_S
        while len(workers) < 2 and time.monotonic() < deadline:
            workers = children_of(process.pid)
            time.sleep(0.05)
        assert len(workers) == 2, workers
        code = stop(process)
        deadline = time.monotonic() + WORKERS_STOP_S
        while any(alive(w) for w in workers) and time.monotonic() < deadline:
            time.sleep(0.05)
        still_serving = [w for w in workers if alive(w)]
    finally:
        if process.poll() is None:
            stop(process)
        reap(workers)
    assert still_serving == [], "workers left running after SIGTERM to gateway serve"
    assert code == 0, log.read_text()


# --- serve: the ready line, --host and --port, and what stops it ---------------------------

def one_line(stderr: str) -> str:
    """A refusal is one line of its own, without a traceback."""
    assert "Traceback" not in stderr, stderr
    lines = stderr.strip().splitlines()
    assert len(lines) == 1, stderr
    return lines[0]


def serve_until_ready(arguments: list[str], folder: Path, env: dict[str, str], port: int,
                      check: Callable[[], None]) -> tuple[int, bytes]:
    """`gateway serve ARGUMENTS`: its first line must be the ready line for `port`; then
    `check()` runs and the server is stopped. Its exit code and what it printed after."""
    process = subprocess.Popen([sys.executable, "-m", "gateway", "serve", *arguments],
                               cwd=folder, env=env, stdout=subprocess.PIPE,
                               stderr=subprocess.DEVNULL)
    try:
        assert process.stdout is not None
        assert process.stdout.readline() == f"serving on http://127.0.0.1:{port}\n".encode()
        check()
    finally:
        code = stop(process)
        rest = process.stdout.read() if process.stdout else b""
        if process.stdout:
            process.stdout.close()
    return code, rest


def test_serve_prints_one_line_once_it_listens_on_host_and_port(
        tmp_path: Path, env: dict[str, str]) -> None:
    key = create_key(tmp_path, env)
    port = free_port()
    # --host and --port win over the environment (which names another port)
    code, rest = serve_until_ready(
        ["--host", "127.0.0.1", "--port", str(port)], tmp_path,
        {**env, "GATEWAY_PORT": str(free_port())}, port,
        lambda: check_ping(f"http://127.0.0.1:{port}", key))  # it listens when it says so
    assert code == 0
    assert rest == b""  # the line is printed once


def test_serve_with_workers_prints_the_ready_line_once(tmp_path: Path,
                                                       env: dict[str, str]) -> None:
    port = free_port()

    def healthy() -> None:
        status, _, _ = get(f"http://127.0.0.1:{port}/healthz")
        assert status == 200
    code, rest = serve_until_ready(["--workers", "2", "--port", str(port)], tmp_path, env,
                                   port, healthy)
    assert code == 0
    assert rest == b""


@pytest.mark.parametrize("workers", ["1", "2"])
def test_serve_on_a_port_in_use_says_so_in_one_line_and_exits_1(
        tmp_path: Path, env: dict[str, str], workers: str) -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        done = gateway(tmp_path, env, "serve", "--workers", workers, "--port", str(port))
    assert done.returncode == 1
    assert one_line(done.stderr) == (
        f"gateway: cannot listen on http://127.0.0.1:{port}: Address already in use")
    assert done.stdout == ""


def test_serve_with_an_unreachable_postgresql_server_says_so_in_one_line_and_exits_1(
        tmp_path: Path, env: dict[str, str]) -> None:
    port = free_port()  # nothing listens there
    done = gateway(tmp_path, env, "serve", "--port", str(free_port()),
                   GATEWAY_DATABASE=f"postgresql://gw:s3cret@127.0.0.1:{port}/gateway")
    assert done.returncode == 1
    line = one_line(done.stderr)
    assert line.startswith(
        f"gateway: cannot connect to PostgreSQL at postgresql://gw:***@127.0.0.1:{port}/gateway: "
    ), line
    assert "s3cret" not in line
    assert done.stdout == ""


@pytest.mark.parametrize("url", ["postgresql://gw@db:port/gateway",
                                 "postgresql://gw@db:99999/gateway"])
def test_serve_with_a_malformed_postgresql_url_names_database_and_exits_2(
        tmp_path: Path, env: dict[str, str], url: str) -> None:
    done = gateway(tmp_path, env, "serve", GATEWAY_DATABASE=url)
    assert done.returncode == 2
    assert one_line(done.stderr).startswith(
        "gateway: invalid configuration: database: not a valid PostgreSQL URL: ")
    assert done.stdout == ""


def test_serve_with_a_bad_port_flag_names_port(tmp_path: Path, env: dict[str, str]) -> None:
    done = gateway(tmp_path, env, "serve", "--port", "70000")
    assert done.returncode == 2
    assert re.search(r"\bport: ", one_line(done.stderr))


# --- errors name the flags -------------------------------------------------------------------

@pytest.mark.parametrize(("args", "message"), [
    (["--ip-allow", "x"], "gateway: --ip-allow: Not an IPv4 or IPv6 CIDR: 'x'"),
    (["--ip", "10.0.0.0/8", "--ip", "y"], "gateway: --ip-allow: Not an IPv4 or IPv6 CIDR: 'y'"),
    (["--expires", "2020-01-01T00:00:00Z"], "gateway: --expires: Must be in the future."),
    (["--rate-limit", "0"], "gateway: --rate-limit: "),
    (["--tenant", "nosuch"], 'gateway: --tenant: Object "tenants(nosuch)" was not found!'),
], ids=["ip-allow", "ip-second", "expires-past", "rate-zero", "tenant-unknown"])
def test_a_refused_key_is_one_line_naming_the_flag(tmp_path: Path, env: dict[str, str],
                                                   args: list[str], message: str) -> None:
    done = gateway(tmp_path, env, "keys", "create", "--role", "admin", *args)
    assert done.returncode == 2
    line = one_line(done.stderr)
    # the whole line, or (for --rate-limit, whose text is the method's) the flag's name
    assert line == message or (message.endswith(": ") and line.startswith(message)), line
    assert db_rows(tmp_path, "SELECT COUNT(*) FROM api_keys") == [(0,)]


def test_a_refused_tenant_names_the_flag(tmp_path: Path, env: dict[str, str]) -> None:
    done = gateway(tmp_path, env, "tenants", "create", "acme", "--timezone", "Mars/Base")
    assert done.returncode == 2
    assert one_line(done.stderr).startswith("gateway: --timezone: ")


# --- keys list, keys revoke, --version ---------------------------------------------------------

def test_keys_list_shows_every_key_and_its_state(tmp_path: Path, env: dict[str, str]) -> None:
    assert gateway(tmp_path, env, "tenants", "create", "acme").returncode == 0
    first = create_key(tmp_path, env).split(".")[0]
    second = create_key(tmp_path, env, tenant="acme", role="reseller").split(".")[0]
    done = gateway(tmp_path, env, "keys", "revoke", first)
    assert done.returncode == 0, done.stderr
    assert done.stdout == f"key {first} revoked\n"
    done = gateway(tmp_path, env, "keys", "list")
    assert done.returncode == 0, done.stderr
    heading, *lines = done.stdout.splitlines()
    assert heading.split() == ["KEY", "ID", "TENANT", "ROLE", "STATE", "CREATED", "LAST", "USED"]
    moment = r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ"
    # oldest first: id, tenant, role, state (with when), created, last used ("-": never)
    # in columns as wide as their widest value, two spaces apart ("revoked <moment>": 28)
    assert re.fullmatch(rf"{first}  root    admin     revoked {moment}  {moment}  -",
                        lines[0]), lines
    assert re.fullmatch(rf"{second}  acme    reseller  active{' ' * 24}{moment}  -",
                        lines[1]), lines
    assert len(lines) == 2
    only = gateway(tmp_path, env, "keys", "list", "--tenant", "acme")
    assert only.returncode == 0, only.stderr
    assert [line.split()[0] for line in only.stdout.splitlines()[1:]] == [second]


async def test_a_key_revoked_on_the_command_line_is_refused(
        tmp_path: Path, env: dict[str, str],
        aiohttp_client: Callable[..., Awaitable[TestClient]]) -> None:
    key = create_key(tmp_path, env)
    assert gateway(tmp_path, env, "keys", "revoke", key.split(".")[0]).returncode == 0
    client = await aiohttp_client(create_app(load_config(
        None, environ={}, search_default=False,
        overrides={"database": env["GATEWAY_DATABASE"],
                   "exports": {"folder": str(tmp_path / "exports")}})))
    response = await client.post("/rpc", json={"jsonrpc": "2.0", "method": "ping", "id": 1},
                                 headers={"X-Api-Key": key})
    assert response.status == 401


def test_keys_revoke_of_an_unknown_key_names_key_id_and_exits_2(
        tmp_path: Path, env: dict[str, str]) -> None:
    done = gateway(tmp_path, env, "keys", "revoke", "0123456789abcdef")
    assert done.returncode == 2
    assert one_line(done.stderr) == (
        'gateway: KEY_ID: Object "keys(0123456789abcdef)" was not found!')
    assert done.stdout == ""


def test_version_is_the_packages(tmp_path: Path, env: dict[str, str]) -> None:
    setup = (Path(__file__).resolve().parent.parent / "setup.cfg").read_text(encoding="utf-8")
    (version,) = re.findall(r"^version = (\S+)$", setup, re.M)
    done = gateway(tmp_path, env, "--version")
    assert done.returncode == 0
    assert done.stdout == f"gateway {version}\n"


# --- the environment ---------------------------------------------------------------------------

def test_an_unknown_gateway_variable_stops_any_command_with_its_name(
        tmp_path: Path, env: dict[str, str]) -> None:
    done = gateway(tmp_path, env, "migrate", GATEWAY_PROT="9000")
    assert done.returncode == 2
    assert one_line(done.stderr) == ("gateway: unknown environment variable GATEWAY_PROT: "
                                     "no configuration key has that name")
    assert not (tmp_path / "gateway.db").exists()


def test_the_test_suites_variables_are_left_alone(tmp_path: Path, env: dict[str, str]) -> None:
    done = gateway(tmp_path, env, "migrate", GATEWAY_TEST_POSTGRES_DSN="postgresql://x@y/z")
    assert done.returncode == 0, done.stderr


def test_migrate_on_a_real_postgresql_server_without_the_database_says_so_in_one_line(
        tmp_path: Path, env: dict[str, str], postgres: Any) -> None:
    dsn = postgres.dsn("no_such_database")
    done = gateway(tmp_path, env, "migrate", GATEWAY_DATABASE=dsn)
    assert done.returncode == 1
    line = one_line(done.stderr)
    assert line.startswith("gateway: cannot connect to PostgreSQL at "), line
    assert 'database "no_such_database" does not exist' in line, line


def test_serve_on_a_real_postgresql_database_prints_the_ready_line(
        tmp_path: Path, env: dict[str, str], postgres: Any) -> None:
    name = postgres.create()
    try:
        port = free_port()
        process = subprocess.Popen([sys.executable, "-m", "gateway", "serve", "--port",
                                    str(port)], cwd=tmp_path,
                                   env={**env, "GATEWAY_DATABASE": postgres.dsn(name)},
                                   stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
        try:
            assert process.stdout is not None
            assert process.stdout.readline() == f"serving on http://127.0.0.1:{port}\n".encode()
            status, _, body = get(f"http://127.0.0.1:{port}/healthz")
            assert (status, json.loads(body)) == (200, {"status": "ok", "database": "ok"})
        finally:
            assert stop(process) == 0
            if process.stdout:
                process.stdout.close()
    finally:
        postgres.drop(name)


def test_a_sqlite_file_that_cannot_be_made_says_so_in_one_line(tmp_path: Path,
                                                               env: dict[str, str]) -> None:
    (tmp_path / "plain-file").write_text("not a folder", encoding="utf-8")
    done = gateway(tmp_path, env, "serve",
                   GATEWAY_DATABASE=f"sqlite:///{tmp_path}/plain-file/gateway.db")
    assert done.returncode == 1
    assert one_line(done.stderr).startswith(
        f"gateway: cannot open the SQLite database {tmp_path}/plain-file/gateway.db: ")
