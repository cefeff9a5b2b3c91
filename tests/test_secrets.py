"""No credential is kept anywhere (docs/auth.md; spec README "Keys, roles and credentials",
decisions-2026-12.md section 12 "Server key"): keys are made by `gateway keys create`
(one with a service account), `gateway demo` and `keys.create`, then used on every route
(/rpc with X-Api-Key, Bearer and a service account's JWT; MOR's `u` + `hash`;
/platform_api with `api_key` in the query and a JWT; the video routes with HTTP Basic,
`Token <key>` and a login token; an export job and its download) through a real
`gateway serve` logging at DEBUG, as text or JSON. Then the server's log, every row of every
table and every file under the exports folder and the store's folder are searched for each
key (whole, and its secret), its HTTP Basic credential, each MOR secret (printed, or
derived for the demo keys whose secret is not printed) and `hash`, each service account's
private key (its PEM body, its lines, and the PEM, the body and the DER in base64) and
each token (service accounts' JWTs, video login tokens), also hex-encoded. The same
credentials are also sent where they are refused (a revoked key, one key's id with another
key's secret, an expired token, a wrong hash, a forbidden call). Key ids are public and
may appear; so may `secrets.server_key`. Every engine."""

from __future__ import annotations

import asyncio
import base64
import datetime as dt
import gzip
import hashlib
import hmac
import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path
from typing import Any, Iterator

import aiohttp
import asyncpg
import jwt
import pytest
from conftest import ENGINES, database_url
from envelopes import auth_failed, forbidden
from gateway_process import free_port, healthy

LOG_FORMATS = ("text", "json")
WHERE = ("log", "database", "files")
HASH_ORDER = ("from till a_currency group_by_user group_by_device group_by_terminator "
              "group_by_provider group_by_dst_group group_by_dst group_by_day group_by_hour "
              "group_by_user_rate group_by_provider_rate s_originator_id s_terminator_id "
              "s_device s_provider a_src a_dst clid s_duration dst_group use_real_billsec "
              "from_user_perspective answered_calls profit_show timezone format").split()


class Needles:
    """What must appear nowhere: (label, text) pairs."""

    def __init__(self) -> None:
        self.items: list[tuple[str, str]] = []

    def add(self, label: str, text: str) -> None:
        assert text, label
        self.items.append((label, text))

    def key(self, label: str, key: str) -> None:
        key_id, dot, secret = key.partition(".")
        assert dot and len(key_id) == 16 and len(secret) == 32, key
        self.add(f"{label} key", key)
        self.add(f"{label} key's secret", secret)
        self.add(f"{label} key's HTTP Basic credential",
                 base64.b64encode(f"{key_id}:{secret}".encode()).decode())

    def mor_secret(self, label: str, secret: str) -> None:
        assert len(secret) == 32, secret
        self.add(f"{label} MOR secret", secret)

    def private_key(self, label: str, pem: str) -> None:
        lines = pem.strip().splitlines()
        assert lines[0] == "-----BEGIN PRIVATE KEY-----" and lines[-1] == \
            "-----END PRIVATE KEY-----", lines[:1]
        body = lines[1:-1]
        self.add(f"{label} private key's PEM body", "".join(body))
        for n, line in enumerate(body):
            # a line is 64 base64 characters (the last one fewer): unique enough
            self.add(f"{label} private key's PEM line {n + 1}", line)
        der = base64.b64decode("".join(body))
        forms = {"PEM": pem.encode(), "PEM body": "".join(body).encode(), "DER": der,
                 "PEM as a JSON string": json.dumps(pem)[1:-1].encode()}
        for encode in (base64.b64encode, base64.urlsafe_b64encode):
            for form, data in forms.items():
                # inside a longer encoded text, one of the three alignments matches; the
                # last group, which depends on what follows, is left out
                for shift in range(3):
                    self.add(f"{label} private key's {form} in {encode.__name__} "
                             f"(from byte {shift})", encode(data[shift:]).decode()[:-4])

    def token(self, label: str, token: str) -> None:
        self.add(label, token)
        if token.count(".") == 2:  # a JWT: its signature alone
            self.add(f"{label}'s signature", token.rsplit(".", 1)[1])


def hits(haystacks: dict[str, str], needles: Needles) -> list[str]:
    """Every (place, needle) where a needle is found, also hex-encoded (a bytea or blob)."""
    found = []
    for place, text in haystacks.items():
        lowered = text.lower()
        for label, needle in needles.items:
            if needle in text:
                found.append(f"{place}: {label} ({needle[:40]})")
            elif needle.encode().hex() in lowered:
                found.append(f"{place}: {label}, hex-encoded ({needle[:40]})")
    return found


def mor_hash(fields: dict[str, str], secret: str) -> str:
    """docs/auth.md "The MOR secret and `hash`"."""
    text = "".join(fields[name] for name in HASH_ORDER if name in fields) + secret
    return hashlib.sha1(text.encode()).hexdigest()


def sign(account: dict[str, Any]) -> str:
    """A token as the vendor's Python client makes it (docs/auth.md)."""
    now = int(time.time())
    claims = {"iss": str(account["account_id"]), "iat": now - 5, "exp": now + 24}
    return jwt.PyJWS().encode(json.dumps(claims).encode(), account["private_key"], "RS256",
                              {"kid": account["key_id"]})


class Run:
    """A store filled and used through the command line and a `gateway serve`."""

    def __init__(self, tmp_path: Path, database: str, log_format: str) -> None:
        self.tmp_path = tmp_path
        self.store = tmp_path / "store"  # the SQLite database's folder (nothing else in it)
        self.exports = tmp_path / "exports"
        self.private = tmp_path / "private"  # the service account's file, written on purpose
        for folder in (self.store, self.exports, self.private):
            folder.mkdir()
        self.database = database.replace(f"{tmp_path}/gateway.db", f"{self.store}/gateway.db")
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.env = {**os.environ, "GATEWAY_DATABASE": self.database,
                    "GATEWAY_HOST": "127.0.0.1", "GATEWAY_PORT": str(self.port),
                    "GATEWAY_EXPORTS__FOLDER": str(self.exports),
                    "GATEWAY_LOG__LEVEL": "DEBUG", "GATEWAY_LOG__FORMAT": log_format}
        self.env.pop("GATEWAY_SECRETS__SERVER_KEY", None)  # generated into the store
        self.log_path = tmp_path / "server.log"
        self.logs: list[str] = []  # the command line's stderr
        self.shown: list[str] = []  # its stdout, which prints the new keys on purpose
        self.needles = Needles()

    def cli(self, *args: str) -> list[str]:
        done = subprocess.run([sys.executable, "-m", "gateway", *args], env=self.env,
                              cwd=self.tmp_path, capture_output=True, text=True, timeout=60)
        self.logs.append(done.stderr)
        self.shown.append(done.stdout)
        assert done.returncode == 0, done.stderr
        return done.stdout.splitlines()

    def serve(self) -> subprocess.Popen[bytes]:
        with open(self.log_path, "ab") as log:
            return subprocess.Popen([sys.executable, "-m", "gateway", "serve"], env=self.env,
                                    cwd=self.tmp_path, stdout=log, stderr=subprocess.STDOUT)

    async def started(self, http: aiohttp.ClientSession,
                      process: subprocess.Popen[bytes]) -> None:
        try:
            await healthy(http, self.base, process)
        except AssertionError:
            raise AssertionError(self.log_path.read_text()) from None

    # -- the keys, made three ways

    def make_keys(self) -> dict[str, Any]:
        lines = self.cli("demo", "--calls", "100")
        demo = {}
        for line in lines:
            role, sep, key = line.partition(" key: ")
            if sep:
                demo[role] = key
                self.needles.key(f"demo's {role}", key)
        assert set(demo) == {"admin", "reseller", "customer", "accountant", "ingest"}, lines
        (mor,) = [line.split(": ", 1)[1] for line in lines
                  if line.startswith("admin key's MOR secret: ")]
        self.needles.mor_secret("demo's admin", mor)

        account_file = self.private / "account.json"
        lines = self.cli("keys", "create", "--role", "admin", "--rate-limit", "unlimited",
                         "--service-account", str(account_file))
        cli_key = lines[-1]
        self.needles.key("the command line's admin", cli_key)
        assert lines[1] == f"service_account: written to {account_file}", lines
        assert lines[2].startswith("mor_secret: "), lines
        cli_mor = lines[2].removeprefix("mor_secret: ")
        self.needles.mor_secret("the command line's admin", cli_mor)
        self.shown.append(account_file.read_text())
        cli_account = json.loads(self.shown[-1])
        self.needles.private_key("the command line's service account", cli_account["private_key"])

        lines = self.cli("keys", "create", "--role", "accountant")
        self.needles.key("the command line's accountant", lines[-1])
        self.needles.mor_secret("the command line's accountant",
                                lines[-2].removeprefix("mor_secret: "))
        return {"demo": demo, "demo_mor": mor, "cli": cli_key, "cli_mor": cli_mor,
                "cli_account": cli_account, "accountant": lines[-1]}

    async def rpc(self, http: aiohttp.ClientSession, method: str, params: Any,
                  headers: dict[str, str]) -> Any:
        body = {"jsonrpc": "2.0", "method": method, "id": 1,
                **({} if params is None else {"params": params})}
        async with http.post(f"{self.base}/rpc", json=body, headers=headers) as answer:
            result = await answer.json()
            assert answer.status == 200 and "result" in result, (method, result)
            return result["result"]

    async def rpc_keys(self, http: aiohttp.ClientSession, admin: str) -> dict[str, Any]:
        made = await self.rpc(http, "keys.create", {"role": "admin", "service_account": True,
                                                    "rate_limit": "unlimited"},
                              {"X-Api-Key": admin})
        self.needles.key("keys.create's admin", made["key"])
        self.needles.mor_secret("keys.create's admin", made["mor_secret"])
        self.needles.private_key("keys.create's service account",
                                 made["service_account"]["private_key"])
        plain = await self.rpc(http, "keys.create", {"role": "reseller", "tenant": "root"},
                               {"Authorization": f"Bearer {admin}"})
        self.needles.key("keys.create's reseller", plain["key"])
        self.needles.mor_secret("keys.create's reseller", plain["mor_secret"])
        return {"rpc": made["key"], "rpc_mor": made["mor_secret"],
                "rpc_account": made["service_account"], "reseller": plain["key"]}

    # -- the keys, used on every route

    async def use(self, http: aiohttp.ClientSession, keys: dict[str, Any]) -> None:
        plain = [*keys["demo"].values(), keys["cli"], keys["accountant"], keys["rpc"],
                 keys["reseller"]]
        for key in plain:
            for headers in ({"X-Api-Key": key}, {"Authorization": f"Bearer {key}"}):
                assert await self.rpc(http, "ping", None, headers) == "pong"
        for n, account in enumerate((keys["cli_account"], keys["rpc_account"])):
            token = sign(account)
            self.needles.token(f"a JWT of service account {n + 1}", token)
            assert await self.rpc(http, "ping", None,
                                  {"Authorization": f"Bearer {token}"}) == "pong"
            await self.history(http, {}, {"Authorization": f"Bearer {token}"})
        for key, secret in ((keys["demo"]["admin"], keys["demo_mor"]),
                            (keys["cli"], keys["cli_mor"]), (keys["rpc"], keys["rpc_mor"])):
            await self.mor(http, key, secret)
        for key in (keys["demo"]["admin"], keys["cli"], keys["rpc"]):
            key_id = key.partition(".")[0]
            await self.history(http, {"account_id": key_id, "api_key": key}, {})
            await self.history(http, {"api_key": key}, {})
            await self.video(http, key)
        await self.export(http, keys["cli"], keys["rpc"])
        await self.refused(http, keys)

    async def refused(self, http: aiohttp.ClientSession, keys: dict[str, Any]) -> None:
        """Real credentials refused: a revoked key, one key's id with another's secret, a
        token expired or from another issuer, a wrong MOR hash, a role's forbidden call."""
        revoked = keys["reseller"]
        assert await self.rpc(http, "keys.revoke", {"key_id": revoked.partition(".")[0]},
                              {"X-Api-Key": keys["cli"]}) is not None
        mixed = f"{keys['cli'].partition('.')[0]}.{keys['rpc'].partition('.')[2]}"
        now = int(time.time())
        account = keys["rpc_account"]
        expired = jwt.PyJWS().encode(json.dumps({
            "iss": account["account_id"], "iat": now - 200, "exp": now - 176}).encode(),
            account["private_key"], "RS256", {"kid": account["key_id"]})
        stranger = jwt.PyJWS().encode(json.dumps({
            "iss": 999, "iat": now - 5, "exp": now + 24}).encode(),
            account["private_key"], "RS256", {"kid": account["key_id"]})
        for label, token in (("an expired JWT", expired), ("another issuer's JWT", stranger)):
            self.needles.token(label, token)
        ping = {"jsonrpc": "2.0", "method": "ping", "id": 1}
        for headers, reason in (
                ({"X-Api-Key": revoked}, "the API key was revoked"),
                ({"Authorization": f"Bearer {revoked}"}, "the API key was revoked"),
                ({"Authorization": f"Bearer {expired}"}, "the token has expired"),
                ({"Authorization": f"Bearer {stranger}"},
                 "the token's issuer is not the key's account")):
            async with http.post(f"{self.base}/rpc", json=ping, headers=headers) as answer:
                assert (answer.status, await answer.json()) == (401, auth_failed(reason))
        async with http.post(f"{self.base}/rpc", json=ping,
                             headers={"X-Api-Key": mixed}) as answer:
            assert answer.status == 401, await answer.text()
        for query in ({"account_id": revoked.partition(".")[0], "api_key": revoked},
                      {"api_key": mixed}):
            async with http.get(f"{self.base}/platform_api/GetCallHistory",
                                params=query) as answer:
                refusal = await answer.json()
                assert answer.status == 401 and refusal["error"]["code"] == 100, refusal
        for key in (revoked, mixed):
            key_id, _, secret = key.partition(".")
            basic = base64.b64encode(f"{key_id}:{secret}".encode()).decode()
            async with http.get(f"{self.base}/ucaas/v1/sessions",
                                headers={"Authorization": f"Basic {basic}"}) as answer:
                refusal = await answer.json()
                assert (answer.status, refusal["result"], refusal["msg"]) == \
                    (401, 1001, "Invalid credentials"), refusal
        # the hash of other fields than those sent
        fields = {"from": str(now - 86400), "till": str(now), "format": "json"}
        wrong = mor_hash({**fields, "till": str(now - 1)}, keys["cli_mor"])
        self.needles.add("a wrong MOR hash", wrong)
        async with http.get(f"{self.base}/billing/api/aggregate_get", params={
                **fields, "u": keys["cli"].partition(".")[0], "hash": wrong}) as answer:
            assert "Incorrect hash" in await answer.text()
        body = {**ping, "method": "keys.create", "params": {"role": "admin"}}
        async with http.post(f"{self.base}/rpc", json=body,
                             headers={"X-Api-Key": keys["accountant"]}) as answer:
            assert (answer.status, await answer.json()) == (
                200, forbidden("accountant", "keys.create"))

    async def history(self, http: aiohttp.ClientSession, query: dict[str, str],
                      headers: dict[str, str]) -> None:
        now = dt.datetime.now(dt.timezone.utc)
        fields = {"from_date": (now - dt.timedelta(days=31)).strftime("%Y-%m-%d %H:%M:%S"),
                  "to_date": now.strftime("%Y-%m-%d %H:%M:%S"), **query}
        async with http.get(f"{self.base}/platform_api/GetCallHistory", params=fields,
                            headers=headers) as answer:
            result = await answer.json()
            assert answer.status == 200 and "result" in result, result

    async def mor(self, http: aiohttp.ClientSession, key: str, secret: str) -> None:
        now = int(time.time())
        fields = {"from": str(now - 30 * 86400), "till": str(now), "format": "json"}
        signed = {**fields, "u": key.partition(".")[0], "hash": mor_hash(fields, secret)}
        # a request's hash replays it (gateway/web/access_log.py masks it too)
        self.needles.add(f"a MOR hash of {signed['u']}", signed["hash"])
        async with http.get(f"{self.base}/billing/api/aggregate_get", params=signed) as answer:
            body = await answer.text()
            assert answer.status == 200 and "error" not in body, body
        async with http.post(f"{self.base}/billing/api/aggregate_get", data=signed) as answer:
            body = await answer.text()
            assert answer.status == 200 and "error" not in body, body

    async def video(self, http: aiohttp.ClientSession, key: str) -> None:
        key_id, _, secret = key.partition(".")
        basic = {"Authorization": "Basic " + base64.b64encode(
            f"{key_id}:{secret}".encode()).decode()}
        sessions = f"{self.base}/ucaas/v1/sessions"
        async with http.get(sessions, params={"page": "1"}, headers=basic) as answer:
            assert answer.status == 200 and (await answer.json())["result"] == 1
        async with http.get(sessions, params={"page": "1"},
                            headers={"Authorization": f"Token {key}"}) as answer:
            assert answer.status == 200 and (await answer.json())["result"] == 1
        logins: list[dict[str, Any]] = [{"headers": basic},
                                        {"json": {"key_id": key_id, "secret": secret}}]
        for login in logins:
            async with http.post(f"{self.base}/ucaas/v1/login", **login) as answer:
                made = await answer.json()
                assert answer.status == 200 and made["result"] == 0, made
            self.needles.token(f"a video login token of {key_id}", made["access_token"])
            async with http.get(sessions, params={"page": "1"}, headers={
                    "Authorization": f"Token {made['access_token']}"}) as answer:
                assert answer.status == 200 and (await answer.json())["result"] == 1

    async def export(self, http: aiohttp.ClientSession, key: str, other: str) -> None:
        now = dt.datetime.now(dt.timezone.utc)
        fields = {"from_date": (now - dt.timedelta(days=31)).strftime("%Y-%m-%d %H:%M:%S"),
                  "to_date": now.strftime("%Y-%m-%d %H:%M:%S"), "output": "csv"}
        made = await self.rpc(http, "GetCallHistory", {**fields, "is_async": True},
                              {"X-Api-Key": key})
        ids = [made["history_report_id"]]
        async with http.get(f"{self.base}/platform_api/GetCallHistory", params={
                **fields, "is_async": "true", "account_id": other.partition(".")[0],
                "api_key": other}) as answer:
            made = await answer.json()
            assert answer.status == 200 and made.get("result") == 1, made
            ids.append(made["history_report_id"])
        for report_id, owner in zip(ids, (key, other)):
            for _ in range(200):
                listed = await self.rpc(http, "GetHistoryReports", {
                    "history_report_id": [report_id], "history_type": "all"},
                    {"X-Api-Key": owner})
                status = listed["result"][0]["status"]
                if status not in ("queued", "running"):
                    break
                await asyncio.sleep(0.05)
            assert status == "completed", listed
            for headers in ({"X-Api-Key": owner}, {"Authorization": f"Bearer {owner}"},
                            {"X-Api-Key": owner, "Accept-Encoding": "gzip"}):
                async with http.get(f"{self.base}/reports/files/{report_id}",
                                    headers=headers) as answer:
                    assert answer.status == 200 and await answer.read()
            async with http.get(f"{self.base}/platform_api/DownloadHistoryReport", params={
                    "history_report_id": str(report_id), "account_id": owner.partition(".")[0],
                    "api_key": owner}) as answer:
                assert answer.status == 200 and await answer.read()

    async def go(self) -> None:
        keys = self.make_keys()
        process = self.serve()
        try:
            async with aiohttp.ClientSession(
                    timeout=aiohttp.ClientTimeout(total=30)) as http:
                await self.started(http, process)
                keys.update(await self.rpc_keys(http, keys["cli"]))
                await self.use(http, keys)
                await self.derived_mor_secrets(keys["demo"], keys["demo_mor"])
        finally:
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
            process.wait(10)

    async def derived_mor_secrets(self, demo: dict[str, str], admin_mor: str) -> None:
        """The MOR secrets of demo's other keys, which it does not print: the first 32 hex
        digits of HMAC-SHA256(server key, key id) (docs/auth.md), the server key being the
        one generated into the store."""
        query = "SELECT value FROM settings WHERE name = 'server_key'"
        if self.database.startswith("sqlite:///"):
            with sqlite3.connect(self.database.removeprefix("sqlite:///")) as db:
                (server_key,) = db.execute(query).fetchone()
        else:
            conn = await asyncpg.connect(self.database)
            try:
                server_key = await conn.fetchval(query)
            finally:
                await conn.close()

        def derive(key: str) -> str:
            return hmac.new(server_key.encode(), key.partition(".")[0].encode(),
                            hashlib.sha256).hexdigest()[:32]

        assert derive(demo["admin"]) == admin_mor
        for role, key in demo.items():
            if role != "admin":
                self.needles.add(f"the derived MOR secret of demo's {role} key", derive(key))

    # -- where to look

    async def database_rows(self) -> str:
        lines = []
        if self.database.startswith("sqlite:///"):
            with sqlite3.connect(self.database.removeprefix("sqlite:///")) as db:
                tables = [name for (name,) in db.execute(
                    "SELECT name FROM sqlite_master WHERE type = 'table'")]
                for table in tables:
                    for row in db.execute(f'SELECT * FROM "{table}"'):
                        lines.append(f"{table}: " + " | ".join(
                            value.hex() if isinstance(value, bytes) else str(value)
                            for value in row))
            assert "api_keys" in tables and "audit_log" in tables, tables
            return "\n".join(lines)
        conn = await asyncpg.connect(self.database)
        try:
            tables = [(r["table_schema"], r["table_name"]) for r in await conn.fetch(
                "SELECT table_schema, table_name FROM information_schema.tables "
                "WHERE table_type = 'BASE TABLE' "
                "AND table_schema NOT IN ('pg_catalog', 'information_schema')")]
            for schema, table in tables:
                # a row as text: every column, bytea as hex
                for row in await conn.fetch(f'SELECT CAST(t AS text) AS row '
                                            f'FROM "{schema}"."{table}" AS t'):
                    lines.append(f"{schema}.{table}: {row['row']}")
        finally:
            await conn.close()
        assert ("public", "api_keys") in tables and ("public", "audit_log") in tables, tables
        return "\n".join(lines)

    def files(self) -> Iterator[tuple[str, str]]:
        count = 0
        for folder in (self.exports, self.store):
            for path in sorted(folder.rglob("*")):
                if not path.is_file():
                    continue
                data = path.read_bytes()
                if data[:2] == b"\x1f\x8b":
                    data = gzip.decompress(data)
                count += 1
                yield str(path.relative_to(self.tmp_path)), data.decode("latin-1")
        assert count >= 2, "no export file"  # the two exports at least

    async def haystacks(self) -> dict[str, dict[str, str]]:
        log = self.log_path.read_text(errors="replace")
        assert "GET /healthz HTTP/1.1" in log, log[-2000:]  # the access log is on
        # and it holds the requests that carry a credential in their query
        assert "api_key=***" in log and "hash=***" in log, log[-2000:]
        # with each request's fields (docs/operations.md), on /rpc and every dialect route
        for dialect in ("jsonrpc", "mor", "platform", "video", "video-login", "files"):
            assert f"dialect={dialect} " in log or f'"dialect":"{dialect}"' in log, dialect
        return {"log": {"the server's log": log,
                        "the command line's stderr": "\n".join(self.logs)},
                "database": {"the database": await self.database_rows()},
                "files": dict(self.files())}


# (engine, log format) -> (haystacks, needles): one run serves the three searches
_RUNS: dict[tuple[str, str], tuple[dict[str, dict[str, str]], Needles, str]] = {}
_FAILED: dict[tuple[str, str], str] = {}


async def searched(tmp_path: Path, engine: str, log_format: str) -> tuple[
        dict[str, dict[str, str]], Needles, str]:
    """The places to search, what to look for, and what the command line printed."""
    if (engine, log_format) in _FAILED:
        pytest.fail(f"the run failed: {_FAILED[engine, log_format]}")
    if (engine, log_format) not in _RUNS:
        run = Run(tmp_path, database_url(tmp_path), log_format)
        try:
            await run.go()
            haystacks = await run.haystacks()
        except Exception as exc:
            _FAILED[engine, log_format] = repr(exc)[:500]
            raise
        _RUNS[engine, log_format] = (haystacks, run.needles, "\n".join(run.shown))
    return _RUNS[engine, log_format]


def cases() -> list[Any]:
    return [pytest.param(engine, log_format, where, id=f"{engine}-{log_format}-{where}")
            for engine in ENGINES for log_format in LOG_FORMATS for where in WHERE]


@pytest.mark.parametrize("engine, log_format, where", cases(), indirect=["engine"])
@pytest.mark.timeout(90)
async def test_no_credential_is_kept(tmp_path: Path, engine: str, log_format: str,
                                     where: str) -> None:
    haystacks, needles, shown = await searched(tmp_path, engine, log_format)
    # the search finds what it looks for: in the command line's answers, which print the
    # keys, the MOR secrets and the service account's file on purpose
    pem_line = "the command line's service account private key's PEM line"
    printed = {label for label, _ in needles.items
               if label.startswith(("demo's ", "the command line's "))
               and label.endswith((" key", " key's secret", " MOR secret"))
               or label.startswith(pem_line)}
    assert len(printed) == 5 * 2 + 2 * 2 + 3 + 26  # a 2048-bit key's PKCS#8 PEM: 26 lines
    assert {label for label, _ in needles.items if any(
        f"shown: {label} (" in hit for hit in hits({"shown": shown}, needles))} >= printed
    found = hits(haystacks[where], needles)
    assert found == [], "\n".join(found)
