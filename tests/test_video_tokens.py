"""EnableX access tokens (decisions-2026-12.md section 10, docs/auth.md "EnableX tokens"):
`POST /ucaas/v1/login` with the key as HTTP Basic or as a JSON body, and the token it
answers sent as `Authorization: Token <token>` on the video routes, on every engine.

The sessions are test_video.py's: the admin of root sees all eight; a customer of cust2
sees v3, v5 (its leg) and its dup.
"""

from __future__ import annotations

import datetime as dt
import logging
from typing import Any

import pytest
import test_video
from envelopes import auth_failed, key_id_of, ok
from test_video import CDR, LIST, RECORDINGS, SESSIONS_PATH, S, basic, get, route_error

from gateway.core import clock
from gateway.web import appkeys
from gateway.web.dialects import tokens

# test_video.py's fixtures: its sessions, one key per caller, a call on /rpc as one
data, key_for, call = test_video.data, test_video.key_for, test_video.call
LOGIN_PATH = "/ucaas/v1/login"
LIFETIME = 900  # 15 minutes, in seconds (decisions section 10)
BAD_KEY = (401, route_error(1001, "Invalid credentials", "unknown API key"))
WRONG_PROOF = (401, route_error(1001, "Invalid credentials",
                                "the request's proof of the key is wrong"))
EXPIRED = (403, route_error(1001, "Token expired", "the token has expired"))
ROUTES = [(SESSIONS_PATH, LIST, {}), (f"{SESSIONS_PATH}/v1/cdr", CDR, {"session_id": "v1"}),
          (f"{SESSIONS_PATH}/v1/recordings", RECORDINGS, {"session_id": "v1"})]


async def login(client: Any, headers: dict[str, str] | None = None,
                json: Any = None) -> tuple[int, Any]:
    response = await client.post(LOGIN_PATH, headers=headers or {}, json=json)
    return response.status, await response.json()


async def token_of(client: Any, key: str) -> str:
    status, body = await login(client, basic(key))
    assert status == 200, body
    return str(body["access_token"])


def with_token(token: str) -> dict[str, str]:
    return {"Authorization": f"Token {token}"}


def issued(client: Any, key_id: str, expires_at: dt.datetime | None = None) -> str:
    return tokens.issue(client.app[appkeys.SERVER_KEY], key_id, expires_at)


# --- login ---------------------------------------------------------------------------------

@pytest.mark.parametrize("way", ["basic", "body"])
async def test_login(client: Any, key_for: Any, way: str) -> None:
    key = await key_for()
    key_id, _, secret = key.partition(".")
    if way == "basic":
        status, body = await login(client, basic(key))
    else:
        status, body = await login(client, json={"key_id": key_id, "secret": secret})
    assert status == 200, body
    token = body.pop("access_token")
    assert body == {"result": 0, "token_type": "Token", "expires_in": LIFETIME}
    # <key id>-<expiry>-<64 hex digits of HMAC-SHA-256>
    named, expiry, signature = token.split("-")
    assert named == key_id and len(signature) == 64
    # the expiry is 900 s after now, give or take the second the request took
    assert abs(int(expiry) - (clock.now().timestamp() + LIFETIME)) <= 2


async def test_login_expiry_is_15_minutes_from_the_clock(client: Any, key_for: Any,
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    key = await key_for()
    moment = dt.datetime(2026, 12, 2, 12, 0, 0, tzinfo=dt.timezone.utc)
    monkeypatch.setattr(clock, "now", lambda: moment)
    token = await token_of(client, key)
    # 1970-01-01 to 2026-01-01: 56 * 365 + 14 leap days = 20_454 days; to 2026-12-02: + 334
    # (January to November) + 1 = 20_789 days; then 12 h, then the token's 900 s
    assert token.split("-")[1] == str(20_789 * 86_400 + 12 * 3_600 + 900)


@pytest.mark.parametrize("case", ["wrong secret basic", "wrong secret body", "unknown key id",
                                  "no credential", "missing secret"])
async def test_login_refusals(client: Any, key_for: Any, case: str) -> None:
    key = await key_for()
    key_id, _, secret = key.partition(".")
    no_key = (401, route_error(1001, "Invalid credentials", "no API key was sent"))
    if case == "wrong secret basic":
        assert await login(client, basic(f"{key_id}.x{secret}")) == BAD_KEY
    elif case == "wrong secret body":
        assert await login(client, json={"key_id": key_id, "secret": f"x{secret}"}) == BAD_KEY
    elif case == "unknown key id":
        assert await login(client, json={"key_id": "nobody", "secret": secret}) == BAD_KEY
    elif case == "no credential":
        assert await login(client) == no_key
    else:
        assert await login(client, json={"key_id": key_id}) == no_key


@pytest.mark.parametrize("body, desc", [
    ([1, 2], "body: Must be a JSON object."),
    ({"key_id": 5, "secret": "x"}, "key_id: Not a valid string."),
    ({"key_id": "a", "secret": "b", "email": "c"}, "email: Unknown field."),
])
async def test_login_bad_bodies(client: Any, body: Any, desc: str) -> None:
    assert await login(client, json=body) == (406, route_error(1002, "Request invalid", desc))


async def test_login_is_post_only(client: Any, key_for: Any) -> None:
    response = await client.get(LOGIN_PATH, headers=basic(await key_for()))
    assert (response.status, await response.json()) == \
        (406, route_error(1002, "Request invalid", "method: GET is not allowed; use POST"))


# --- using the token -----------------------------------------------------------------------

async def test_the_list_route_answers_exactly_with_a_token(client: Any, key_for: Any) -> None:
    token = await token_of(client, await key_for())
    # 8 sessions, 3 a page: the third page holds the 7th and 8th, the two dups
    expected = {"result": 1, "search": {"page": 3, "page_length": 3, "order_qualify": "asc"},
                "sessions": [S["dup1"], S["dup2"]], "total": 8}
    assert await get(client, SESSIONS_PATH, with_token(token),
                     [("page", "3"), ("page_length", "3")]) == (200, expected)


@pytest.mark.parametrize("path, method, params", ROUTES)
async def test_each_video_route_takes_the_token(client: Any, call: Any, key_for: Any,
                                                path: str, method: str,
                                                params: dict[str, Any]) -> None:
    token = await token_of(client, await key_for())
    expected = (await call(method, params))["result"]
    assert await get(client, path, with_token(token)) == (200, expected)
    if method != LIST:
        assert expected["session"] == S["v1"]


async def test_the_token_carries_the_role_and_scope(client: Any, call: Any,
                                                    key_for: Any) -> None:
    customer = await key_for("customer", "cust2")
    status, body = await get(client, SESSIONS_PATH, with_token(await token_of(client, customer)))
    assert status == 200
    # cust2: v3 (its own), v5 (its leg) and its dup, in the default order
    assert [s["session_id"] for s in body["sessions"]] == ["v3", "v5", "dup"]
    assert body == (await call(LIST, {}, caller=("customer", "cust2")))["result"]
    ingest = await key_for("ingest", "root")
    assert await get(client, f"{SESSIONS_PATH}/v1/cdr",
                     with_token(await token_of(client, ingest))) == \
        (403, route_error(0, "Forbidden", f"the role 'ingest' may not call {CDR}"))


async def test_the_token_carries_the_ip_allow_list(client: Any, make_key: Any,
                                                   data: None) -> None:
    key = await make_key("admin", ip_allow=["10.9.9.0/24"], rate_limit="unlimited")
    # The test client connects from 127.0.0.1, outside the list: no login ...
    refused = (401, route_error(1001, "Invalid credentials", "IP 127.0.0.1 is not allowed"))
    assert await login(client, basic(key)) == refused
    # ... and a token made for the key is refused the same way.
    assert await get(client, SESSIONS_PATH, with_token(issued(client, key_id_of(key)))) == \
        refused


@pytest.mark.parametrize("path, method, params", ROUTES)
async def test_an_expired_token(client: Any, key_for: Any, monkeypatch: pytest.MonkeyPatch,
                                path: str, method: str, params: dict[str, Any]) -> None:
    key = await key_for()
    start = clock.now().replace(microsecond=0)
    monkeypatch.setattr(clock, "now", lambda: start)
    token = await token_of(client, key)
    # good for 900 s: one second before, it works; at the 900th second it has expired
    monkeypatch.setattr(clock, "now", lambda: start + dt.timedelta(seconds=LIFETIME - 1))
    assert (await get(client, path, with_token(token)))[0] == 200
    monkeypatch.setattr(clock, "now", lambda: start + dt.timedelta(seconds=LIFETIME))
    assert await get(client, path, with_token(token)) == EXPIRED


async def test_a_token_issued_with_a_past_expiry(client: Any, key_for: Any) -> None:
    key_id = key_id_of(await key_for())
    past = clock.now() - dt.timedelta(seconds=1)
    assert await get(client, SESSIONS_PATH, with_token(issued(client, key_id, past))) == EXPIRED


async def test_a_revoked_keys_token_stops_working(client: Any, rpc: Any, make_key: Any,
                                                  data: None) -> None:
    key = await make_key("admin", rate_limit="unlimited")
    token = await token_of(client, key)
    assert (await get(client, SESSIONS_PATH, with_token(token)))[0] == 200
    assert await rpc("keys.revoke", {"key_id": key_id_of(key)}) == ok({"result": 1})
    assert await get(client, SESSIONS_PATH, with_token(token)) == \
        (401, route_error(1001, "Invalid credentials", "the API key was revoked"))


def _forged(token: str, case: str) -> str:
    key_id, expiry, signature = token.split("-")
    if case == "signature":  # one hex digit changed
        return f"{key_id}-{expiry}-{'0' if signature[0] != '0' else '1'}{signature[1:]}"
    if case == "longer life":  # the expiry moved on, the signature kept
        return f"{key_id}-{int(expiry) + 3600}-{signature}"
    return tokens.issue("another server key", key_id)  # signed with another server key


@pytest.mark.parametrize("path, method, params", ROUTES)
@pytest.mark.parametrize("case", ["signature", "longer life", "another server key"])
async def test_forged_tokens(client: Any, key_for: Any, path: str, method: str,
                             params: dict[str, Any], case: str) -> None:
    token = await token_of(client, await key_for())
    assert await get(client, path, with_token(_forged(token, case))) == WRONG_PROOF


@pytest.mark.parametrize("path, method, params", ROUTES)
async def test_unknown_tokens(client: Any, key_for: Any, path: str, method: str,
                              params: dict[str, Any]) -> None:
    await key_for()
    assert await get(client, path, with_token(issued(client, "nobody"))) == BAD_KEY
    assert await get(client, path, with_token("0123-456-789")) == BAD_KEY


# --- only on the video routes --------------------------------------------------------------

async def test_the_token_is_refused_on_rpc(client: Any, key_for: Any) -> None:
    token = await token_of(client, await key_for())
    body = {"jsonrpc": "2.0", "method": "tenants.list", "params": [1, 0], "id": 1}
    for headers, reason in (({"X-Api-Key": token}, "unknown API key"),
                            ({"Authorization": f"Bearer {token}"}, "unknown API key"),
                            (with_token(token), "no API key was sent")):
        response = await client.post("/rpc", json=body, headers=headers)
        assert (response.status, await response.json()) == (401, auth_failed(reason))


async def test_the_token_is_refused_on_other_routes(client: Any, key_for: Any) -> None:
    token = await token_of(client, await key_for())
    # the active-sessions route takes the /rpc credential: JeraSoft's 401
    response = await client.post("/reports/active_sessions", json={},
                                 headers={"X-Api-Key": token})
    assert response.status == 401
    assert (await response.json())["error"]["data"]["message"] == \
        "Authentication Failed: unknown API key"
    # MOR signs with `u` and `hash`; a token in their place is no proof
    response = await client.get("/billing/api/aggregate_get", params={"u": token, "hash": "x"})
    assert response.status == 200  # MOR answers every error with 200
    assert "<error>Access Denied</error>" in await response.text()
    # the file route takes the /rpc credential
    response = await client.get("/reports/files/1", headers={"Authorization": f"Bearer {token}"})
    assert response.status == 401


async def test_the_token_is_never_logged(client: Any, key_for: Any,
                                         caplog: pytest.LogCaptureFixture) -> None:
    key = await key_for()
    with caplog.at_level(logging.DEBUG):
        token = await token_of(client, key)
        await get(client, SESSIONS_PATH, with_token(token))
        await get(client, SESSIONS_PATH, with_token(_forged(token, "signature")))
    assert caplog.records
    assert not [r for r in caplog.records if token in r.getMessage()]
    signature = token.split("-")[2]
    assert not [r for r in caplog.records if signature[1:] in r.getMessage()]


async def test_the_login_is_in_the_openapi_document(client: Any) -> None:
    response = await client.get("/openapi.json")
    operation = (await response.json())["paths"][LOGIN_PATH]["post"]
    assert operation["operationId"] == "ucaas.login"
    assert operation["security"] == [{"basic": []}, {}]
    assert operation["requestBody"]["content"]["application/json"]["schema"] == {
        "type": "object", "required": ["key_id", "secret"], "additionalProperties": False,
        "properties": {"key_id": {"type": "string"}, "secret": {"type": "string"}}}
    answer = operation["responses"]["200"]["content"]["application/json"]["schema"]
    assert answer["required"] == ["result", "access_token", "token_type", "expires_in"]
