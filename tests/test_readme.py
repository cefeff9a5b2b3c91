"""The README's examples work as written, and so do the shell examples of docs/: each is run
with bash, as printed, against a real `gateway demo` store served by `gateway serve`."""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterator

import pytest
from conftest import missing_tool
from envelopes import ok

from gateway.web import appkeys

ROOT = Path(__file__).resolve().parent.parent
README = ROOT / "README.md"
DOCS = sorted((ROOT / "docs").rglob("*.md"))
SCRIPT = Path(sys.executable).parent / "gateway"  # .venv/bin/gateway of the checkout's venv
# Requests to the server under test must never go through an HTTP proxy of the environment.
OPENER = urllib.request.build_opener(urllib.request.ProxyHandler({}))
ANSWER = re.compile(r"^# ([{\[].*)$")  # a printed answer, under the command that gives it
MARK = "@@step-exit-status@@"
DEMO_S = 180  # `gateway demo` of 20,000 calls: about 20 s here; a loaded machine is slower
START_TIMEOUT_S = 15


def json_blocks() -> list[dict]:
    text = README.read_text(encoding="utf-8")
    return [json.loads(block) for block in re.findall(r"```json\n(.*?)```", text, re.S)]


async def test_the_readme_session_record_is_stored_as_documented(
        client, rpc, make_key, make_tenant):
    (call,) = [b for b in json_blocks() if b.get("method") == "ingest.sessions"]
    await make_tenant("acme-telecom")
    key = await make_key("ingest", rate_limit="unlimited")
    deck = {"code_deck_id": 1, "name": "World", "codes": [
        {"prefix": "370", "name": "Lithuania", "country": "LT"},
        {"prefix": "3706", "name": "Lithuania Mobile", "country": "LT"}]}
    assert await rpc("ingest.code_decks", {"records": [deck]}, key=key) == ok(
        {"accepted": 1, "unchanged": 0, "rejected": []})
    answer = await rpc(call["method"], call["params"], key=key)
    assert answer == ok({"accepted": 1, "unchanged": 0, "rejected": []})
    assert await rpc(call["method"], call["params"], key=key) == ok(
        {"accepted": 0, "unchanged": 1, "rejected": []})
    db = client.app[appkeys.DB]
    legs = await db.fetch_all(
        "SELECT leg_id, role, dst_code, dst_name, amount, reseller_amount, currency "
        "FROM legs ORDER BY position")
    assert legs == [
        {"leg_id": "in-1", "role": "orig", "dst_code": "3706", "dst_name": "Lithuania Mobile",
         "amount": 39600, "reseller_amount": 31000, "currency": "EUR"},
        {"leg_id": "out-1", "role": "term", "dst_code": None, "dst_name": None,
         "amount": None, "reseller_amount": None, "currency": None},
        {"leg_id": "out-2", "role": "term", "dst_code": "3706", "dst_name": "Lithuania Mobile",
         "amount": 19500, "reseller_amount": None, "currency": "EUR"}]
    (resource,) = await db.fetch_all("SELECT quantity, cost FROM resource_usage")
    assert resource == {"quantity": "3.25", "cost": 15000}


async def test_the_readme_live_sessions_example_answers_as_documented(
        rpc, make_key, make_tenant):
    (record_call,) = [b for b in json_blocks() if b.get("method") == "ingest.sessions"]
    (query,) = [b for b in json_blocks() if b.get("method") == "reports.active_sessions.query"]
    (expected,) = [b for b in json_blocks() if "result" in b and b.get("id") == query["id"]]
    await make_tenant("acme-telecom")
    key = await make_key("ingest", rate_limit="unlimited")
    (record,) = record_call["params"]["records"]
    live = {k: v for k, v in record.items() if k != "end_time"}
    assert await rpc("ingest.sessions", {"records": [live]}, key=key) == ok(
        {"accepted": 1, "unchanged": 0, "rejected": []})
    assert await rpc(query["method"], query["params"], id_=query["id"]) == expected


# --- the shell examples of the README and docs/ -------------------------------------------

def fenced(text: str) -> list[tuple[str, str]]:
    """(info string, body) of every fenced block of a Markdown text."""
    blocks: list[tuple[str, str]] = []
    info: str | None = None
    body: list[str] = []
    for line in text.splitlines():
        if info is None and line.startswith("```"):
            info, body = line[3:].strip(), []
        elif info is not None and line == "```":
            blocks.append((info, "".join(f"{b}\n" for b in body)))
            info = None
        elif info is not None:
            body.append(line)
    return blocks


def sh_blocks(path: Path) -> list[str]:
    return [body for info, body in fenced(path.read_text(encoding="utf-8")) if info == "sh"]


# The shell blocks that are not examples against a served store: the quick start itself
# (which the fixture below follows), and the benchmark commands of docs/performance.md
# (minutes each; bench/ runs them and its tests check them).
QUICK_START = (README, 0)
BENCHMARKS = re.compile(r"^(\.venv/bin/python (bench/\w+\.py|-m bench)( --[\w-]+( \w+)?)*"
                        r"|/usr/bin/time -v \.venv/bin/gateway demo --calls \d+)(\s+#.*)?$")


def examples() -> list[tuple[str, str]]:
    """(where, block) for every shell example to run, the README's first."""
    found = []
    for path in [README, *DOCS]:
        for index, block in enumerate(sh_blocks(path)):
            where = f"{path.relative_to(ROOT)} block {index + 1}"
            if (path, index) == QUICK_START:
                continue
            if path.name == "performance.md":
                assert BENCHMARKS.fullmatch(block.strip()), where
                continue
            found.append((where, block))
    return found


@dataclass
class Step:
    """Lines of an example up to the answer printed under them (or to a blank line)."""
    lines: list[str] = field(default_factory=list)
    answer: list[str] = field(default_factory=list)

    @property
    def code(self) -> str:
        return "\n".join(self.lines)


def steps(block: str) -> list[Step]:
    out, current = [], Step()
    for line in block.splitlines():
        answer = ANSWER.match(line)
        if answer:
            current.answer.append(answer.group(1))
            continue
        if current.answer or (not line.strip() and current.lines):
            out.append(current)
            current = Step()
        if line.strip():
            current.lines.append(line)
    if current.lines:
        out.append(current)
    return out


@dataclass
class Served:
    """A demo store served by `gateway serve`, and what `gateway demo` printed for it."""
    port: int
    printed: str
    keys: dict[str, str]
    mor_secret: str
    ready: str
    env: dict[str, str]
    log: Path  # the server's stderr


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
    return port


def quick_start() -> list[str]:
    """The quick start's two commands (the lines that are not comments)."""
    (block,) = sh_blocks(README)[:1]
    return [line for line in block.splitlines() if line.strip() and not line.startswith("#")]


def clean_env() -> dict[str, str]:
    """The process environment without GATEWAY_ variables or HTTP proxies."""
    return {k: v for k, v in os.environ.items()
            if not k.startswith("GATEWAY_") and not k.lower().endswith("_proxy")}


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    """The first quick-start command after its install: `gateway demo && gateway serve`, in
    an empty folder (so `./gateway.db`), served on a free port as the README says to."""
    if shutil.which("curl") is None:
        missing_tool("curl is needed to run the README's examples")
    folder = tmp_path_factory.mktemp("quick-start")
    env = clean_env()
    demo = subprocess.run([str(SCRIPT), "demo"], cwd=folder, env=env, capture_output=True,
                          text=True, timeout=DEMO_S)
    assert demo.returncode == 0, demo.stderr
    keys = dict(re.findall(r"^(\w+) key: (\S+)$", demo.stdout, re.M))
    (mor_secret,) = re.findall(r"^admin key's MOR secret: ([0-9a-f]{32})$", demo.stdout, re.M)
    port = free_port()
    log = folder / "serve.log"
    with open(log, "wb") as err:
        server = subprocess.Popen([str(SCRIPT), "serve", "--port", str(port)], cwd=folder,
                                  env=env, stdout=subprocess.PIPE, stderr=err)
    try:
        assert server.stdout is not None
        ready = server.stdout.readline().decode()  # the server prints it once it listens
        assert server.poll() is None, log.read_text()
        deadline = time.monotonic() + START_TIMEOUT_S
        while time.monotonic() < deadline:  # it answers as soon as it said so
            try:
                with OPENER.open(f"http://127.0.0.1:{port}/healthz", timeout=5) as response:
                    assert response.status == 200
                break
            except OSError:
                time.sleep(0.05)
        yield Served(port, demo.stdout, keys, mor_secret, ready, env, log)
    finally:
        server.terminate()
        try:
            server.wait(timeout=10)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()
        assert server.stdout is not None
        server.stdout.close()


def printed_block() -> list[str]:
    """What the README shows the first quick-start command printing."""
    text = README.read_text(encoding="utf-8")
    after = text.split("## Quick start", 1)[1]
    return next(body for info, body in fenced(after)
                if info == "" and "admin key: " in body).splitlines()


def sample(label: str) -> str:
    """The value the README shows after `label` in the demo's printed lines."""
    (line,) = [line for line in printed_block() if line.startswith(label)]
    return line[len(label):]


def as_the_reader(text: str, served: Served) -> str:
    """The example with the values the reader's own run printed, as the README says: the
    keys (and their ids) and the MOR secret for the ones shown, the port served on."""
    for role, key in served.keys.items():
        shown = sample(f"{role} key: ")
        text = text.replace(shown, key).replace(shown.split(".")[0], key.split(".")[0])
    text = text.replace(sample("admin key's MOR secret: "), served.mor_secret)
    return text.replace("localhost:8080", f"localhost:{served.port}")


def run_example(block: str, served: Served) -> list[tuple[Step, str, int]]:
    """Run the block with bash, each step followed by its exit status; each step with what
    it printed."""
    parts = steps(block)
    script = "".join(f"{step.code}\nprintf '\\n{MARK}%s\\n' $?\n" for step in parts)
    done = subprocess.run(["bash", "-c", as_the_reader(script, served)], capture_output=True,
                          text=True, timeout=60, env=served.env)
    assert done.stderr == "", done.stderr
    outputs = re.split(rf"\n{MARK}(\d+)\n", done.stdout)
    assert len(outputs) == 2 * len(parts) + 1 and outputs[-1] == "", done.stdout
    return [(step, outputs[2 * i], int(outputs[2 * i + 1])) for i, step in enumerate(parts)]


def no_error(output: str) -> None:
    """A JSON-RPC answer (or batch) without errors, an XML page without `<error>`."""
    if output.startswith("<?xml"):
        assert "<error>" not in output, output
        return
    try:
        answer = json.loads(output)
    except ValueError:
        return  # Prometheus text: checked by its grep's exit status
    for each in answer if isinstance(answer, list) else [answer]:
        assert "error" not in each and "msg" not in each, output  # JSON-RPC, EnableX


def post(port: int, body: Any, key: str) -> Any:
    request = urllib.request.Request(f"http://127.0.0.1:{port}/rpc", method="POST",
                                     data=json.dumps(body).encode(),
                                     headers={"Content-Type": "application/json",
                                              "X-Api-Key": key})
    with OPENER.open(request, timeout=10) as response:
        return json.loads(response.read())


def what_it_says(step: Step, output: str, served: Served) -> None:
    """The checks of the examples whose answers move with the clock: what their text says."""
    code = step.code
    if '"method": "tenants.list"' in code:  # the tree shows the tenant the request before made
        answers = {a["id"]: a["result"] for a in json.loads(output)}
        assert "northwind-voip" in [t["name"] for t in answers[3]["result"]]
        key = answers[4]["key"]  # allowed from 127.0.0.1: usable from this machine
        assert post(served.port, {"jsonrpc": "2.0", "method": "ping", "id": 1}, key) == ok(
            "pong")
    elif "active_sessions" in code and '"limit": 5' in code:  # the five busiest customers
        rows = json.loads(output)
        rows = rows["result"] if isinstance(rows, dict) else rows
        figures = [r for r in rows if r.get("row_type", "row") == "row"]
        assert len(figures) == 5, output
        assert len({r["orig_clients_name"] for r in figures}) == 5, output
        if '"group": "rollup"' in code:
            assert rows[-1]["row_type"] == "total" and len(rows) == 6, output
            assert rows[-1]["quantity"] >= sum(r["quantity"] for r in figures)
        order = "quantity" if '"-quantity"' in code else "duration"
        assert [r[order] for r in figures] == sorted((r[order] for r in figures), reverse=True)
    elif "GetCallHistory" in code:  # two sessions of yesterday, with their calls
        answer = json.loads(output)
        sessions = answer["result"]["result"] if "jsonrpc" in answer else answer["result"]
        assert len(sessions) == 2, output
        yesterday = time.strftime("%Y-%m-%d", time.gmtime(time.time() - 86400))
        assert all(s["start_date"].startswith(yesterday) for s in sessions), output
        assert all("calls" in s for s in sessions) == ('"with_calls": true' in code), output
    elif "aggregate_get" in code:  # one day: one row
        assert output.count("<aggregate>") == 1, output
    elif "/ucaas/v1/sessions" in code:  # one page
        page = json.loads(output)["sessions"]
        size = re.search(r"page_length=(\d+)", code)
        assert len(page) == (int(size.group(1)) if size else len(page)) and page, output
        if "order_by=duration&order_qualify=desc" in code:  # the longest first
            assert [s["duration"] for s in page] == sorted((s["duration"] for s in page),
                                                           reverse=True)
    elif "/openrpc.json" in code:
        assert json.loads(output)["openrpc"], output
    elif "gateway_rpc_calls_total" in code:
        assert all("gateway_rpc_calls_total" in line for line in output.splitlines()), output


def test_the_quick_start_is_two_commands_and_the_second_is_the_ci_test_command() -> None:
    install, test_command = quick_start()
    assert install == ("python3 -m venv .venv && .venv/bin/pip install -q -e . && "
                       ".venv/bin/gateway demo && .venv/bin/gateway serve")
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8").rstrip("\n").splitlines()[-1]
    assert test_command == ci


MOMENT = re.compile(r"to \S+\)|\d[\d,]* (?=video|live|recordings|transactions)|"
                    r"(?<=accepted=)[\d,]+")


@pytest.mark.timeout(DEMO_S + 60)
def test_the_demo_and_serve_print_what_the_readme_shows(served: Served) -> None:
    shown = printed_block()
    got = served.printed.splitlines() + [served.ready.rstrip("\n")]
    assert len(got) == len(shown), (got, shown)
    for line, printed in zip(got, shown):
        if ": " in printed and not printed.startswith("demo ("):  # `<label>: <value>`
            assert line.split(": ", 1)[0] == printed.split(": ", 1)[0]
    assert got[0] == shown[0]
    # the summary: another date, and the same figures but those that follow the time of day
    # the data ends at (the day's traffic curve: video, live, recordings, transactions and so
    # the records accepted)
    assert MOMENT.sub("", got[-2]) == MOMENT.sub("", shown[-2])
    assert got[-1] == shown[-1].replace(":8080", f":{served.port}")


@pytest.mark.timeout(DEMO_S + 120)
def test_every_shell_example_runs_as_printed_and_answers_as_shown(served: Served) -> None:
    found = examples()
    # the README's examples first, and (among others) one per method page with a vendor route
    assert found[0][0] == "README.md block 2"
    assert {"docs/methods/active-sessions.md block 1", "docs/methods/aggregate.md block 1",
            "docs/methods/call-history.md block 1", "docs/methods/video.md block 1"} <= {
        where for where, _ in found}
    for where, block in found:
        for step, output, status in run_example(block, served):
            assert status == 0, (where, step.code, output)
            if step.answer:
                assert output.strip() == "\n".join(step.answer), (where, step.code)
                continue
            if "curl" in step.code:
                assert output.strip(), (where, step.code)
            no_error(output.strip())
            what_it_says(step, output.strip(), served)


def test_the_server_log_holds_no_secret(served: Served) -> None:
    """After the examples above (keys in headers, MOR hashes in query strings), and a key
    sent in Voximplant's `api_key` query param: the access log shows every request, with
    the credential values masked, and no key secret, MOR secret or hash anywhere."""
    key = served.keys["admin"]
    key_id = key.split(".")[0]
    digest = hashlib.sha1(f"1{served.mor_secret}".encode()).hexdigest()
    for target in (f"/platform_api/GetAccountInfo?account_id={key_id}&api_key={key}",
                   f"/billing/api/aggregate_get?u={key_id}&hash={digest}&group_by_day=1"):
        try:
            with OPENER.open(f"http://127.0.0.1:{served.port}{target}", timeout=10):
                pass
        except urllib.error.HTTPError:
            pass  # what it answers is tested elsewhere; the log line is what counts here
    time.sleep(0.2)  # the access log is written once the response is sent
    log = served.log.read_text(encoding="utf-8")
    assert f'"GET /platform_api/GetAccountInfo?account_id={key_id}&api_key=*** HTTP/1.1"' in log
    assert f'"GET /billing/api/aggregate_get?u={key_id}&hash=***&group_by_day=1 HTTP/1.1"' in log
    secrets = [k.split(".", 1)[1] for k in served.keys.values()] + [served.mor_secret, digest]
    assert [s for s in secrets if s in log] == []
