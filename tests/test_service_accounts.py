"""Voximplant service accounts (decisions-2026-12.md section 9, docs/auth.md "Service
accounts"): `keys.create` with `service_account` answers the vendor's credentials file and
stores only the public key; a `Bearer <jwt>` signed with its private key is accepted on
`/rpc` and on the call-history route, with the key's own role, scope, expiry, revocation,
IP allow-list and rate limit; every engine."""

from __future__ import annotations

import json
import logging
import os
import stat
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import jwt
import pytest
from aiohttp.test_utils import TestClient
from conftest import JSON, call_as_root, make_config, post
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from envelopes import auth_failed, forbidden, ok

from gateway.web import appkeys
from gateway.web.dialects import service_accounts

ROOT_ID = 1  # the root tenant is made first, as id 1 (README "Config and command line")
PING = {"jsonrpc": "2.0", "method": "ping", "id": 1}
HISTORY = {"from_date": "2026-03-01 00:00:00", "to_date": "2026-03-02 00:00:00"}
# No session in the store: an empty page, in the default zone (docs/methods/call-history.md).
EMPTY_PAGE = {"result": [], "total_count": 0, "count": 0, "timezone": "Etc/GMT"}


def sign(account: dict[str, Any], iss: Any = None, iat: float | None = None,
         lifetime: float = 24, kid: str | None = None, private_key: str | None = None,
         algorithm: str = "RS256") -> str:
    """A token as the vendor's clients make it: RS256, `kid` in the header (signed as a JWS,
    since PyJWT's own encoder takes `iss` only as a string, and the Node client sends a
    number)."""
    now = int(time.time())
    issued = now if iat is None else iat
    claims = {"iss": account["account_id"] if iss is None else iss, "iat": issued,
              "exp": issued + lifetime}
    return jwt.PyJWS().encode(json.dumps(claims).encode(), private_key or account["private_key"],
                              algorithm, {"kid": account["key_id"] if kid is None else kid})


def bearer(token: str) -> dict[str, str]:
    return {**JSON, "Authorization": f"Bearer {token}"}


async def make_account(client: TestClient, role: str = "admin", tenant: str = "root",
                       **params: Any) -> dict[str, Any]:
    made = await call_as_root(client.app, "keys.create", role=role, tenant=tenant,
                              service_account=True, **params)
    account: dict[str, Any] = made["service_account"]
    return account


async def ping(client: TestClient, token: str) -> tuple[int, Any]:
    status, answer, _ = await post(client, PING, headers=bearer(token))
    return status, answer


async def test_keys_create_answers_the_credentials_file(client: TestClient,
                                                        admin_key: str) -> None:
    status, answer, _ = await post(client, {
        "jsonrpc": "2.0", "method": "keys.create", "id": 1,
        "params": {"role": "customer", "service_account": True}}, admin_key)
    assert status == 200
    made = answer["result"]
    account = made["service_account"]
    assert set(made) == {"key_id", "key", "mor_secret", "service_account"}
    # the vendor's four fields: the tenant's integer id, the key id, the PEM of a PKCS#8 RSA
    # key, and <tenant name>@<host the request reached>
    assert list(account) == ["account_id", "key_id", "private_key", "account_email"]
    assert account["account_id"] == ROOT_ID
    assert account["key_id"] == made["key_id"]
    assert account["account_email"] == "root@127.0.0.1"
    assert account["private_key"].startswith("-----BEGIN PRIVATE KEY-----\n")
    private = serialization.load_pem_private_key(account["private_key"].encode(), None)
    assert isinstance(private, rsa.RSAPrivateKey) and private.key_size == 2048

    db = client.app[appkeys.DB]
    row = await db.fetch_one("SELECT public_key FROM api_keys WHERE key_id = ?",
                             (made["key_id"],))
    assert row is not None
    assert row["public_key"] == private.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo).decode()
    # the private key is stored nowhere: not with the key, not in the audit log
    body = account["private_key"].splitlines()[1]
    for table in ("api_keys", "audit_log", "settings"):
        rows = await db.fetch_all(f"SELECT * FROM {table}")
        assert not any(body in str(value) for r in rows for value in dict(r).values())
    audit = await db.fetch_one("SELECT args, result FROM audit_log WHERE object = ?",
                               (f"keys({made['key_id']})",))
    assert audit is not None
    assert json.loads(audit["result"]) == {
        "key_id": made["key_id"], "key": "***", "mor_secret": "***",
        "service_account": {"account_id": ROOT_ID, "key_id": made["key_id"],
                            "private_key": "***", "account_email": "root@127.0.0.1"}}
    assert json.loads(audit["args"])["service_account"] is True


async def test_the_private_key_is_never_logged(client: TestClient, admin_key: str,
                                               caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    status, answer, _ = await post(client, {
        "jsonrpc": "2.0", "method": "keys.create", "id": 1,
        "params": {"role": "admin", "service_account": True}}, admin_key)
    assert status == 200
    account = answer["result"]["service_account"]
    assert await ping(client, sign(account)) == (200, ok("pong"))
    body = account["private_key"].splitlines()[1]
    assert caplog.records and body not in caplog.text and "PRIVATE KEY" not in caplog.text


async def test_a_plain_key_has_no_service_account(client: TestClient, admin_key: str) -> None:
    made = await call_as_root(client.app, "keys.create", role="admin")
    assert set(made) == {"key_id", "key", "mor_secret"}
    row = await client.app[appkeys.DB].fetch_one(
        "SELECT public_key FROM api_keys WHERE key_id = ?", (made["key_id"],))
    assert row is not None and row["public_key"] is None


async def test_the_account_id_is_the_keys_tenant(client: TestClient, make_tenant: Any) -> None:
    tenant = await make_tenant("acme")
    account = await make_account(client, "customer", tenant="acme")
    assert (account["account_id"], account["account_email"]) == (tenant["id"], "acme@127.0.0.1")
    assert await ping(client, sign(account)) == (200, ok("pong"))


async def test_iss_as_a_number_or_its_digits(client: TestClient) -> None:
    account = await make_account(client)
    # the Python client sends iss as a string, the Node client as a number
    assert await ping(client, sign(account, iss=str(ROOT_ID))) == (200, ok("pong"))
    assert await ping(client, sign(account, iss=ROOT_ID)) == (200, ok("pong"))


async def test_the_leeway_and_the_longest_life(client: TestClient) -> None:
    account = await make_account(client)
    now = int(time.time())
    # exp 50 s ago: within the 60 s of leeway; 70 s ago: expired
    assert await ping(client, sign(account, iat=now - 74, lifetime=24)) == (200, ok("pong"))
    assert await ping(client, sign(account, iat=now - 94, lifetime=24)) == \
        (401, auth_failed("the token has expired"))
    # iat 50 s ahead: within the leeway; 70 s ahead: issued in the future
    assert await ping(client, sign(account, iat=now + 50)) == (200, ok("pong"))
    assert await ping(client, sign(account, iat=now + 70)) == \
        (401, auth_failed("the token is issued in the future"))
    # an hour from iat to exp at most
    assert await ping(client, sign(account, iat=now - 10, lifetime=3600)) == (200, ok("pong"))
    assert await ping(client, sign(account, iat=now - 10, lifetime=3601)) == \
        (401, auth_failed("the token lives longer than one hour"))
    assert await ping(client, sign(account, lifetime=-1)) == \
        (401, auth_failed("the token expires before it is issued"))


async def test_wrong_signature_kid_or_iss(client: TestClient, make_tenant: Any) -> None:
    account = await make_account(client)
    other = await make_account(client)
    plain = await call_as_root(client.app, "keys.create", role="admin")
    wrong_proof = auth_failed("the request's proof of the key is wrong")
    # signed by another account's key
    assert await ping(client, sign(account, private_key=other["private_key"])) == \
        (401, wrong_proof)
    # a kid no key has; the kid of a key that is no service account
    assert await ping(client, sign(account, kid="0123456789abcdef")) == \
        (401, auth_failed("unknown API key"))
    assert await ping(client, sign(account, kid=plain["key_id"])) == (401, wrong_proof)
    # another tenant's id, and an iss that is no account id
    tenant = await make_tenant("acme")
    assert await ping(client, sign(account, iss=tenant["id"])) == \
        (401, auth_failed("the token's issuer is not the key's account"))
    assert await ping(client, sign(account, iss="root")) == \
        (401, auth_failed("the token's iss claim must be the account id"))
    # only RS256; a token without kid
    shared = "a shared secret of at least 32 bytes"
    assert await ping(client, sign(account, private_key=shared, algorithm="HS256")) == \
        (401, auth_failed("the token must be signed with RS256"))
    token = jwt.encode({"iss": str(ROOT_ID), "iat": int(time.time()),
                        "exp": int(time.time()) + 9}, account["private_key"], algorithm="RS256")
    assert await ping(client, token) == (401, auth_failed("the token names no key (kid)"))
    # three dots' worth of junk is no JWT
    assert await ping(client, "abc.def.ghi") == \
        (401, auth_failed("the bearer token is not a valid JWT"))


async def test_the_key_rules_apply(client: TestClient) -> None:
    revoked = await make_account(client)
    await call_as_root(client.app, "keys.revoke", key_id=revoked["key_id"])
    assert await ping(client, sign(revoked)) == (401, auth_failed("the API key was revoked"))

    elsewhere = await make_account(client, ip_allow=["10.0.0.0/8"])
    assert await ping(client, sign(elsewhere)) == \
        (401, auth_failed("IP 127.0.0.1 is not allowed"))

    ingest = await make_account(client, "ingest")
    status, answer, _ = await post(client, {"jsonrpc": "2.0", "method": "GetCallHistory",
                                            "params": HISTORY, "id": 1},
                                   headers=bearer(sign(ingest)))
    assert (status, answer) == (200, forbidden("ingest", "GetCallHistory"))

    limited = await make_account(client, rate_limit=1)
    # 1 call/s with the default burst of 100 over 50/s: 2 calls in a 2 s window
    assert [(await ping(client, sign(limited)))[0] for _ in range(2)] == [200, 200]
    status, answer = await ping(client, sign(limited))
    assert status == 429
    assert answer["error"]["message"] == \
        "rate-limited: the key's limit of 2 calls in 2 s is reached"


async def test_an_expired_key_refuses_its_tokens(client: TestClient) -> None:
    account = await make_account(client)
    await client.app[appkeys.DB].execute(
        "UPDATE api_keys SET expires_at = ? WHERE key_id = ?",
        ("2020-01-01T00:00:00.000000Z", account["key_id"]))
    client.app[appkeys.AUTHENTICATOR].forget(account["key_id"])
    assert await ping(client, sign(account)) == (401, auth_failed("the API key has expired"))


async def test_a_plain_key_as_bearer_still_works(client: TestClient, admin_key: str) -> None:
    status, answer, _ = await post(client, PING, headers=bearer(admin_key))
    assert (status, answer) == (200, ok("pong"))


async def test_the_call_history_route_takes_the_token(client: TestClient) -> None:
    account = await make_account(client)
    response = await client.post("/platform_api", data={"cmd": "GetCallHistory", **HISTORY},
                                 headers={"Authorization": f"Bearer {sign(account)}"})
    assert (response.status, await response.json()) == (200, EMPTY_PAGE)
    now = int(time.time())
    expired = sign(account, iat=now - 200, lifetime=24)
    response = await client.post("/platform_api", data={"cmd": "GetCallHistory", **HISTORY},
                                 headers={"Authorization": f"Bearer {expired}"})
    assert (response.status, await response.json()) == (401, {"error": {
        "code": 100, "msg": "Authorization failed: the token has expired"}})
    wrong = sign(account, iss=ROOT_ID + 1)
    response = await client.get("/platform_api/GetCallHistory", params=HISTORY,
                                headers={"Authorization": f"Bearer {wrong}"})
    assert (response.status, await response.json()) == (401, {"error": {
        "code": 100, "msg": "Authorization failed: the token's issuer is not the key's account"}})


async def test_account_id_may_be_the_tenants_id(client: TestClient, make_tenant: Any) -> None:
    acme = await make_tenant("acme")
    made = await call_as_root(client.app, "keys.create", role="customer", tenant="acme")
    path = "/platform_api/GetCallHistory"
    for account_id in (made["key_id"], str(acme["id"])):
        response = await client.get(path, params={**HISTORY, "account_id": account_id,
                                                  "api_key": made["key"]})
        assert (response.status, await response.json()) == (200, EMPTY_PAGE)
    response = await client.get(path, params={**HISTORY, "account_id": str(ROOT_ID),
                                              "api_key": made["key"]})
    assert (response.status, await response.json()) == (401, {"error": {
        "code": 100, "msg": "Authorization failed: account_id is not the key's account"}})


async def test_the_openrpc_document_declares_the_param(client: TestClient) -> None:
    document = await (await client.get("/openrpc.json")).json()
    create = next(m for m in document["methods"] if m["name"] == "keys.create")
    param = next(p for p in create["params"] if p["name"] == "service_account")
    assert param["schema"]["type"] == "boolean"
    assert set(create["result"]["schema"]["properties"]["service_account"]["properties"]) == {
        "account_id", "key_id", "private_key", "account_email"}


def test_the_command_line_writes_the_file(engine: str, tmp_path: Path) -> None:
    config = make_config(tmp_path)
    env = {k: v for k, v in os.environ.items() if not k.startswith("GATEWAY_")}
    target = tmp_path / "account.json"
    target.write_text("old")  # a file that was there is replaced, and made private
    run = subprocess.run(
        [sys.executable, "-m", "gateway", "keys", "create", "--tenant", "root", "--role",
         "accountant", "--service-account", str(target)],
        capture_output=True, text=True, timeout=60, cwd=tmp_path,
        env={**env, "GATEWAY_DATABASE": config.database})
    assert run.returncode == 0, run.stderr
    lines = run.stdout.splitlines()
    account = json.loads(target.read_text())
    assert list(account) == ["account_id", "key_id", "private_key", "account_email"]
    assert (account["account_id"], account["account_email"]) == (ROOT_ID, "root@127.0.0.1")
    assert lines[0] == f"key_id: {account['key_id']} (tenant root, role accountant)"
    assert f"service_account: written to {target}" in lines
    assert lines[-1].startswith(f"{account['key_id']}.")
    assert "PRIVATE KEY" not in run.stdout
    assert stat.S_IMODE(target.stat().st_mode) == 0o600


def test_the_token_shape() -> None:
    assert service_accounts.token("k1.secret") is None  # a key: one dot
    assert service_accounts.token("a.b.c.d") is None
    assert service_accounts.token("a.b c.d") is None
    assert service_accounts.SHAPE.fullmatch("eyJ.eyJ.sig_-") is not None
