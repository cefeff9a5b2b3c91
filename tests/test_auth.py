"""Authentication and roles on `/rpc` (spec README: "Keys, roles and credentials",
"The shared error envelope")."""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import re
import socket
from pathlib import Path
from typing import Any

import pytest
from aiohttp.test_utils import TestClient
from conftest import call_as_root, make_config, post
from envelopes import auth_failed, forbidden, key_id_of
from multidict import CIMultiDict

from gateway.core import clock, roles
from gateway.core.config import Config
from gateway.web import appkeys

PING = {"jsonrpc": "2.0", "method": "ping", "id": 7}
PONG = {"jsonrpc": "2.0", "result": "pong", "id": 7}
RFC3339_SECONDS = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$")

# The gateway's wording of the reasons the spec lists (missing, unknown, revoked, expired).
NO_KEY = "no API key was sent"
UNKNOWN_KEY = "unknown API key"
REVOKED = "the API key was revoked"
EXPIRED = "the API key has expired"


async def assert_refused(client: TestClient, reason: str, key: str | None = None,
                         headers: dict[str, str] | None = None) -> None:
    status, body, response_headers = await post(client, PING, key, headers)
    assert (status, body) == (401, auth_failed(reason))
    assert re.fullmatch(r"[0-9a-f]{32}", response_headers["X-Request-Id"])


async def assert_accepted(client: TestClient, key: str | None = None,
                          headers: dict[str, str] | None = None) -> None:
    status, body, _ = await post(client, PING, key, headers)
    assert (status, body) == (200, PONG)


async def api_key_rows(client: TestClient) -> list[dict[str, Any]]:
    return await client.app[appkeys.DB].fetch_all("SELECT * FROM api_keys ORDER BY key_id")


async def listed_key(rpc: Any, key_id: str) -> dict[str, Any]:
    answer = await rpc("keys.list", {"count": 1000})
    (entry,) = [k for k in answer["result"]["result"] if k["key_id"] == key_id]
    return dict(entry)


# --- how the key is sent -------------------------------------------------------------------

async def test_key_as_x_api_key(client, make_key):
    await assert_accepted(client, await make_key("customer"))


@pytest.mark.parametrize("scheme", ["Bearer", "bearer"])
async def test_key_as_bearer_token(client, make_key, scheme):
    key = await make_key("customer")
    await assert_accepted(client, headers={"Authorization": f"{scheme} {key}"})


# --- refusals ------------------------------------------------------------------------------

async def test_missing_key(client):
    await assert_refused(client, NO_KEY)


@pytest.mark.parametrize("authorization", ["Basic dXNlcjpwYXNz", "Bearer ", "Token abc.def"])
async def test_authorization_that_is_not_a_bearer_key_counts_as_missing(client, authorization):
    await assert_refused(client, NO_KEY, headers={"Authorization": authorization})


async def test_malformed_key_without_a_dot(client, make_key):
    key = await make_key("admin")
    await assert_refused(client, UNKNOWN_KEY, key.replace(".", ""))
    await assert_refused(client, UNKNOWN_KEY, key_id_of(key))


async def test_key_id_with_an_empty_secret(client, make_key):
    key = await make_key("admin")
    await assert_refused(client, UNKNOWN_KEY, key_id_of(key) + ".")


async def test_unknown_key_id(client, make_key):
    secret = (await make_key("admin")).partition(".")[2]
    await assert_refused(client, UNKNOWN_KEY, f"0123456789abcdef.{secret}")


async def test_right_key_id_with_a_wrong_secret(client, make_key):
    key = await make_key("admin")
    await assert_refused(client, UNKNOWN_KEY, key_id_of(key) + ".not-the-secret")
    await assert_refused(client, UNKNOWN_KEY, key + "x")


async def test_wrong_secret_as_bearer(client, make_key):
    key = await make_key("admin")
    await assert_refused(client, UNKNOWN_KEY,
                         headers={"Authorization": f"Bearer {key_id_of(key)}.wrong"})


async def test_revoked_key(client, rpc, make_key):
    key = await make_key("customer")
    await assert_accepted(client, key)
    answer = await rpc("keys.revoke", {"key_id": key_id_of(key)})
    assert answer == {"jsonrpc": "2.0", "result": {"result": 1}, "id": 1}
    await assert_refused(client, REVOKED, key)
    await assert_refused(client, REVOKED, headers={"Authorization": f"Bearer {key}"})


async def test_revoked_key_with_a_wrong_secret_is_only_unknown(client, rpc, make_key):
    key = await make_key("customer")
    await rpc("keys.revoke", {"key_id": key_id_of(key)})
    await assert_refused(client, UNKNOWN_KEY, key_id_of(key) + ".wrong")


async def test_expired_key(client, make_key):
    """The stored expiry is in the past (set through the app's database before first use)."""
    key = await make_key("customer", expires_at=(clock.now() + dt.timedelta(hours=1)).isoformat())
    async with client.app[appkeys.DB].transaction() as conn:
        changed = await conn.execute(
            "UPDATE api_keys SET expires_at = ? WHERE key_id = ?",
            (clock.to_text(clock.now() - dt.timedelta(seconds=1)), key_id_of(key)))
    assert changed == 1
    await assert_refused(client, EXPIRED, key)
    await assert_refused(client, EXPIRED, headers={"Authorization": f"Bearer {key}"})


async def test_key_expires_while_in_use(client, make_key, monkeypatch):
    """A key that worked is refused once its expiry passes (the clock is moved, not waited)."""
    expires = clock.now().replace(microsecond=0) + dt.timedelta(hours=1)
    key = await make_key("customer", expires_at=expires.isoformat())
    await assert_accepted(client, key)
    monkeypatch.setattr(clock, "now", lambda: expires - dt.timedelta(seconds=1))
    await assert_accepted(client, key)
    monkeypatch.setattr(clock, "now", lambda: expires)
    await assert_refused(client, EXPIRED, key)


# --- IP allow-lists --------------------------------------------------------------------------

async def test_ipv4_inside_the_allow_list(client, make_key):
    await assert_accepted(client, await make_key("customer", ip_allow=["127.0.0.0/8"]))


async def test_ipv4_outside_the_allow_list(client, make_key):
    key = await make_key("customer", ip_allow=["10.0.0.0/8"])
    status, body, _ = await post(client, PING, key)
    assert status == 401
    assert body["error"]["message"] == \
        "utoken-auth-failed: Authentication Failed: IP 127.0.0.1 is not allowed"
    assert body == auth_failed("IP 127.0.0.1 is not allowed")


async def test_any_matching_network_of_the_allow_list_is_enough(client, make_key):
    key = await make_key("customer", ip_allow=["10.0.0.0/8", "2001:db8::/32", "127.0.0.1/32"])
    await assert_accepted(client, key)


async def test_untrusted_peer_x_forwarded_for_is_ignored(client, make_key):
    # No trusted proxies by default: the socket peer (127.0.0.1) is the client.
    v6_only = await make_key("customer", ip_allow=["2001:db8::/32"])
    await assert_refused(client, "IP 127.0.0.1 is not allowed", v6_only,
                         headers={"X-Forwarded-For": "2001:db8::5"})
    loopback = await make_key("customer", ip_allow=["127.0.0.1/32"])
    await assert_accepted(client, loopback, headers={"X-Forwarded-For": "10.9.9.9"})


class TestBehindATrustedProxy:
    """`proxies.trusted` holds the test client's address, so `X-Forwarded-For` counts."""

    @pytest.fixture
    def config(self, tmp_path: Path) -> Config:
        return make_config(tmp_path, proxies={"trusted": ["127.0.0.1/32"]})

    @pytest.mark.parametrize("forwarded", ["2001:db8::5", "2001:db8::5, 127.0.0.1"])
    async def test_ipv6_inside_the_allow_list(self, client, make_key, forwarded):
        key = await make_key("customer", ip_allow=["2001:db8::/32"])
        await assert_accepted(client, key, headers={"X-Forwarded-For": forwarded})

    async def test_ipv6_outside_the_allow_list(self, client, make_key):
        key = await make_key("customer", ip_allow=["2001:db9::/32"])
        await assert_refused(client, "IP 2001:db8::5 is not allowed", key,
                             headers={"X-Forwarded-For": "2001:db8::5"})

    async def test_bearer_key_behind_the_proxy(self, client, make_key):
        key = await make_key("customer", ip_allow=["2001:db9::/32"])
        await assert_refused(client, "IP 2001:db8::5 is not allowed",
                             headers={"X-Forwarded-For": "2001:db8::5",
                                      "Authorization": f"Bearer {key}"})

    async def test_the_forwarded_ipv4_is_the_client(self, client, make_key):
        key = await make_key("customer", ip_allow=["127.0.0.0/8"])
        await assert_refused(client, "IP 192.0.2.7 is not allowed", key,
                             headers={"X-Forwarded-For": "192.0.2.7"})

    async def test_without_the_header_the_peer_is_the_client(self, client, make_key):
        key = await make_key("customer", ip_allow=["127.0.0.1/32"])
        await assert_accepted(client, key)

    async def test_x_forwarded_for_sent_as_several_header_lines(self, client, make_key):
        """HTTP makes repeated header lines one comma-separated list (RFC 9110, 5.3): a
        client's own `X-Forwarded-For: 10.1.2.3` followed by the one the proxy appended
        is `10.1.2.3, 2001:db8::5`, whose first untrusted hop is the proxy's."""
        key = await make_key("customer", ip_allow=["10.0.0.0/8"])
        headers = CIMultiDict([("Content-Type", "application/json"), ("X-Api-Key", key),
                               ("X-Forwarded-For", "10.1.2.3"),
                               ("X-Forwarded-For", "2001:db8::5")])
        response = await client.post("/rpc", json=PING, headers=headers)
        assert (response.status, await response.json()) == \
            (401, auth_failed("IP 2001:db8::5 is not allowed"))


def _ipv6_loopback_works() -> bool:
    try:
        with socket.socket(socket.AF_INET6, socket.SOCK_STREAM) as sock:
            sock.bind(("::1", 0))
    except OSError:
        return False
    return True


@pytest.mark.skipif(not _ipv6_loopback_works(), reason="cannot bind ::1 on this machine")
async def test_real_server_on_ipv6_loopback(app, aiohttp_server, aiohttp_client):
    server = await aiohttp_server(app, host="::1")
    v6_client = await aiohttp_client(server)
    allowed = await call_as_root(app, "keys.create", role="customer", ip_allow=["::1/128"])
    await assert_accepted(v6_client, allowed["key"])
    refused = await call_as_root(app, "keys.create", role="customer", ip_allow=["127.0.0.1/32"])
    await assert_refused(v6_client, "IP ::1 is not allowed", refused["key"])


# --- roles -----------------------------------------------------------------------------------

async def test_ingest_key_may_not_list_keys(rpc, make_key):
    key = await make_key("ingest")
    assert await rpc("keys.list", {}, key=key) == forbidden("ingest", "keys.list")


@pytest.mark.parametrize("role", ["customer", "reseller", "accountant"])
@pytest.mark.parametrize("method, params", [
    ("keys.create", {"tenant": "root", "role": "customer"}),
    ("tenants.create", {"name": "newco", "parent": "root"}),
])
async def test_non_admin_roles_may_not_create_keys_or_tenants(
        client, rpc, make_key, role, method, params):
    key = await make_key(role)
    assert await rpc(method, params, key=key) == forbidden(role, method)
    listed = await call_as_root(client.app, "tenants.list")
    assert [t["name"] for t in listed["result"]] == ["root"]


@pytest.mark.parametrize("role", roles.ROLES)
async def test_every_role_may_ping(rpc, make_key, role):
    key = await make_key(role)
    assert await rpc("ping", key=key) == {"jsonrpc": "2.0", "result": "pong", "id": 1}


@pytest.mark.parametrize("role", roles.ROLES)
async def test_every_role_may_discover(client, rpc, make_key, role):
    key = await make_key(role)
    answer = await rpc("rpc.discover", key=key)
    document = await (await client.get("/openrpc.json")).json()
    assert answer == {"jsonrpc": "2.0", "result": document, "id": 1}
    assert [m["name"] for m in document["methods"]] == sorted(client.app[appkeys.METHODS])


# --- how secrets are kept --------------------------------------------------------------------

async def test_secret_is_stored_only_as_a_salted_hash(client, rpc):
    made = [(await rpc("keys.create", {"role": role}))["result"] for role in ("admin", "ingest")]
    rows = await api_key_rows(client)
    for created in made:
        secret = created["key"].partition(".")[2]
        assert created["key"] == f"{created['key_id']}.{secret}"
        for row in rows:
            for column, value in row.items():
                assert secret not in str(value), (column, row["key_id"])
                assert created["key"] not in str(value), (column, row["key_id"])
                assert created["mor_secret"] not in str(value), (column, row["key_id"])
        (row,) = [r for r in rows if r["key_id"] == created["key_id"]]
        assert row["secret_hash"] != hashlib.sha256(secret.encode()).hexdigest()
        assert row["salt"]
    salts = {r["key_id"]: r["salt"] for r in rows if r["key_id"] in {m["key_id"] for m in made}}
    assert len(salts) == 2
    assert len(set(salts.values())) == 2


async def test_mor_secret_is_the_hmac_of_the_key_id(client, rpc):
    answer = await rpc("keys.create", {"role": "customer"})
    created = answer["result"]
    assert set(created) == {"key_id", "key", "mor_secret"}
    server_key = client.app[appkeys.SERVER_KEY]
    expected = hmac.new(server_key.encode(), created["key_id"].encode(),
                        hashlib.sha256).hexdigest()[:32]
    assert created["mor_secret"] == expected
    assert re.fullmatch(r"[0-9a-f]{32}", created["mor_secret"])


async def test_server_key_is_generated_into_the_database(client):
    server_key = client.app[appkeys.SERVER_KEY]
    row = await client.app[appkeys.DB].fetch_one(
        "SELECT value FROM settings WHERE name = 'server_key'")
    assert row == {"value": server_key}
    assert len(server_key) >= 32


class TestConfiguredServerKey:
    @pytest.fixture
    def config(self, tmp_path: Path) -> Config:
        return make_config(tmp_path, secrets={"server_key": "configured-server-key"})

    async def test_mor_secret_uses_the_configured_server_key(self, client, rpc):
        assert client.app[appkeys.SERVER_KEY] == "configured-server-key"
        created = (await rpc("keys.create", {"role": "customer"}))["result"]
        expected = hmac.new(b"configured-server-key", created["key_id"].encode(),
                            hashlib.sha256).hexdigest()[:32]
        assert created["mor_secret"] == expected

    async def test_configured_server_key_is_not_generated_into_the_database(self, client):
        """README: the server key "is generated into the database on first start unless
        the config sets it"."""
        rows = await client.app[appkeys.DB].fetch_all(
            "SELECT name FROM settings WHERE name = 'server_key'")
        assert rows == []


# --- last use --------------------------------------------------------------------------------

async def test_last_used_at_is_null_until_the_key_is_used(client, rpc, make_key):
    key = await make_key("customer")
    assert (await listed_key(rpc, key_id_of(key)))["last_used_at"] is None
    before = clock.now().replace(microsecond=0)
    await assert_accepted(client, key)
    after = clock.now()
    used = (await listed_key(rpc, key_id_of(key)))["last_used_at"]
    assert RFC3339_SECONDS.fullmatch(used), used
    assert before <= clock.from_text(used) <= after


async def test_a_refused_request_does_not_count_as_use(client, rpc, make_key):
    key = await make_key("customer", ip_allow=["10.0.0.0/8"])
    await assert_refused(client, "IP 127.0.0.1 is not allowed", key)
    assert (await listed_key(rpc, key_id_of(key)))["last_used_at"] is None
