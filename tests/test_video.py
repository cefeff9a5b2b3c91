"""Video session reports (spec methods.md section 4, README "Video routes", vendor-notes.md
section 4, seed 003): `ucaas.sessions.list`, `ucaas.sessions.cdr` and
`ucaas.sessions.recordings` on /rpc, and `GET /ucaas/v1/sessions[/{id}/cdr|/recordings]`,
over one fixed set of sessions, on every engine.

Tenants: root > res > cust1, cust2. Video sessions (UTC, 2026; owner = first leg's user):

| session | tenant | connect_dt     | disconnect_dt  | room | meeting | app | owner | minutes     |
|---------|--------|----------------|----------------|------|---------|-----|-------|-------------|
| v1      | root   | 04-01 10:00:00 | 04-01 10:05:00 | r-a  | m-1     | vc  | 11    | 5+2 = 7     |
| v2      | cust1  | 04-01 11:00:00 | 04-01 11:00:30 | r-b  | m-2     | wb  | 13    | 1           |
| v3      | cust2  | 04-01 12:00:00 | 04-01 12:10:00 | r-a  | m-3     | vc  | 14    | 10+1+0 = 11 |
| v4      | res    | 04-02 08:00:00 | 04-02 09:07:00 | r-c  | m-1     | vc  | 12    | 67          |
| v5      | cust1  | 04-02 09:00:00 | 04-02 09:01:00 | r-b  | m-4     | wb  | 15    | 1+1 = 2     |
| v6      | root   | 04-02 09:00:00 | 04-02 09:07:00 | r-c  | m-5     | vc  | 13    | 7           |
| dup     | cust1  | 04-03 07:00:00 | 04-03 07:02:00 | r-d  | m-6     | vc  | 15    | 2           |
| dup     | cust2  | 04-03 08:00:00 | 04-03 08:03:00 | r-d  | m-7     | wb  | 14    | 3           |

v1 was set up at 09:59:50 (connect_dt is its start time); v3 has no start time (connect_dt is
its setup time); v5's second participant is a leg of cust2 (its client's tenant). Also a
call `c1` and a live video session `live`: neither is ever listed or found.
"""

from __future__ import annotations

import base64
import datetime as dt
from typing import Any

import pytest
from envelopes import answer, forbidden, key_id_of, not_found, ok

from gateway.core import clock
from gateway.web import appkeys

LIST, CDR, RECORDINGS = "ucaas.sessions.list", "ucaas.sessions.cdr", "ucaas.sessions.recordings"
SESSIONS_PATH = "/ucaas/v1/sessions"


def at(day: str, time: str) -> str:
    return f"2026-{day}T{time}Z"


def participant(leg_id: str, user: tuple[int, str] | None, start: str, end: str,
                **more: Any) -> dict[str, Any]:
    leg: dict[str, Any] = {"leg_id": leg_id, "role": "participant",
                           "start_time": start, "end_time": end, **more}
    if user is not None:
        leg["user"] = {"id": user[0], "name": user[1]}
    return leg


def full_leg(leg_id: str, user: tuple[int, str], start: str, end: str, n: int,
             **more: Any) -> dict[str, Any]:
    """A participant with every CDR field."""
    return participant(leg_id, user, start, end, name=f"{user[1]} {leg_id}",
                       participant_role="moderator" if n == 1 else "participant",
                       ip=f"10.1.0.{n}", agent=f"Agent/{n}", call_num=f"cn-{leg_id}-{n}",
                       call_log_id=f"log-{leg_id}-{n}", user_ref=f"ref-{user[0]}", **more)


ANN, BOB, CAT, DAN, EVE = (11, "Ann"), (12, "Bob"), (13, "Cat"), (14, "Dan"), (15, "Eve")


def video(session_id: str, tenant: str, setup: str, end: str, room: str, meeting: str,
          app_type: str, legs: list[dict[str, Any]], start: str | None = None,
          **more: Any) -> dict[str, Any]:
    record = {"session_id": session_id, "kind": "video", "tenant": tenant, "setup_time": setup,
              "end_time": end, "room_id": room, "meeting_id": meeting, "app_type": app_type,
              "legs": legs, **more}
    if start is not None:
        record["start_time"] = start
    return record


V1_RECORDS = [  # sent out of order: stages go by start time, then record id
    {"record_id": 103, "url": "https://rec.example/103.mp4", "name": "r103",
     "start_time": at("04-01", "10:00:10"), "duration": 61, "file_size": 800},
    {"record_id": 101, "url": "https://rec.example/101.mp4", "name": "r101",
     "start_time": at("04-01", "10:00:10"), "duration": 120, "file_size": 5000},
    {"record_id": 102, "url": "https://rec.example/102.mp4", "name": "r102",
     "start_time": at("04-01", "10:00:05"), "duration": 30, "file_size": 300},
]

SESSIONS = [
    video("v1", "root", at("04-01", "09:59:50"), at("04-01", "10:05:00"), "r-a", "m-1", "vc",
          [full_leg("p1", ANN, at("04-01", "10:00:00"), at("04-01", "10:05:00"), 1),   # 300 s
           full_leg("p2", CAT, at("04-01", "10:01:00"), at("04-01", "10:02:01"), 2)],  # 61 s
          start=at("04-01", "10:00:00"), records=V1_RECORDS),
    video("v2", "cust1", at("04-01", "11:00:00"), at("04-01", "11:00:30"), "r-b", "m-2", "wb",
          [full_leg("p1", CAT, at("04-01", "11:00:00"), at("04-01", "11:00:30"), 1)],
          start=at("04-01", "11:00:00")),
    video("v3", "cust2", at("04-01", "12:00:00"), at("04-01", "12:10:00"), "r-a", "m-3", "vc",
          [full_leg("p1", DAN, at("04-01", "12:00:00"), at("04-01", "12:10:00"), 1),   # 600 s
           full_leg("p2", ANN, at("04-01", "12:00:00"), at("04-01", "12:00:59"), 2),   # 59 s
           participant("p3", EVE, at("04-01", "12:05:00"), at("04-01", "12:05:00"))]),  # 0 s
    video("v4", "res", at("04-02", "08:00:00"), at("04-02", "09:07:00"), "r-c", "m-1", "vc",
          [full_leg("p1", BOB, at("04-02", "08:00:00"), at("04-02", "09:07:00"), 1)],
          start=at("04-02", "08:00:00"),
          records=[{"record_id": 104, "url": "https://rec.example/104.mp4", "name": "r104",
                    "start_time": at("04-02", "08:01:00"), "duration": 60, "file_size": 700}]),
    video("v5", "cust1", at("04-02", "09:00:00"), at("04-02", "09:01:00"), "r-b", "m-4", "wb",
          [full_leg("p1", EVE, at("04-02", "09:00:00"), at("04-02", "09:01:00"), 1),
           full_leg("p2", DAN, at("04-02", "09:00:00"), at("04-02", "09:00:01"), 2,
                    client={"id": 901, "name": "c2", "tenant": "cust2"})],
          start=at("04-02", "09:00:00")),
    video("v6", "root", at("04-02", "09:00:00"), at("04-02", "09:07:00"), "r-c", "m-5", "vc",
          [full_leg("p1", CAT, at("04-02", "09:00:00"), at("04-02", "09:07:00"), 1)],
          start=at("04-02", "09:00:00")),
    video("dup", "cust1", at("04-03", "07:00:00"), at("04-03", "07:02:00"), "r-d", "m-6", "vc",
          [full_leg("p1", EVE, at("04-03", "07:00:00"), at("04-03", "07:02:00"), 1)],
          start=at("04-03", "07:00:00")),
    video("dup", "cust2", at("04-03", "08:00:00"), at("04-03", "08:03:00"), "r-d", "m-7", "wb",
          [full_leg("p1", DAN, at("04-03", "08:00:00"), at("04-03", "08:03:00"), 1)],
          start=at("04-03", "08:00:00")),
    # never listed: a call, and a video session still going on
    {"session_id": "c1", "tenant": "root", "setup_time": at("04-01", "10:30:00"),
     "start_time": at("04-01", "10:30:05"), "end_time": at("04-01", "10:31:00"),
     "legs": [{"leg_id": "o", "role": "orig", "src": "1", "dst": "2",
               "user": {"id": 11, "name": "Ann"}}]},
    {"session_id": "live", "kind": "video", "tenant": "root",
     "setup_time": at("04-02", "11:00:00"), "start_time": at("04-02", "11:00:00"),
     "room_id": "r-a", "meeting_id": "m-1", "app_type": "vc",
     "legs": [{"leg_id": "p1", "role": "participant", "user": {"id": 11, "name": "Ann"},
               "start_time": at("04-02", "11:00:00")}]},
]


def session(session_id: str, meeting: str, room: str, owner: tuple[int, str], connect: str,
            disconnect: str, minutes: int, app_type: str) -> dict[str, Any]:
    return {"session_id": session_id, "meeting_id": meeting, "room_id": room,
            "user_id": str(owner[0]), "user_name": owner[1], "trans_date": connect[:10],
            "connect_dt": connect, "disconnect_dt": disconnect, "duration": minutes,
            "app_type": app_type}


# The expected session objects, by label ("dup1" is cust1's dup, "dup2" cust2's).
S = {
    "v1": session("v1", "m-1", "r-a", ANN, "2026-04-01 10:00:00", "2026-04-01 10:05:00", 7, "vc"),
    "v2": session("v2", "m-2", "r-b", CAT, "2026-04-01 11:00:00", "2026-04-01 11:00:30", 1, "wb"),
    "v3": session("v3", "m-3", "r-a", DAN, "2026-04-01 12:00:00", "2026-04-01 12:10:00", 11,
                  "vc"),
    "v4": session("v4", "m-1", "r-c", BOB, "2026-04-02 08:00:00", "2026-04-02 09:07:00", 67,
                  "vc"),
    "v5": session("v5", "m-4", "r-b", EVE, "2026-04-02 09:00:00", "2026-04-02 09:01:00", 2, "wb"),
    "v6": session("v6", "m-5", "r-c", CAT, "2026-04-02 09:00:00", "2026-04-02 09:07:00", 7, "vc"),
    "dup1": session("dup", "m-6", "r-d", EVE, "2026-04-03 07:00:00", "2026-04-03 07:02:00", 2,
                    "vc"),
    "dup2": session("dup", "m-7", "r-d", DAN, "2026-04-03 08:00:00", "2026-04-03 08:03:00", 3,
                    "wb"),
}
ALL = ("v1", "v2", "v3", "v4", "v5", "v6", "dup1", "dup2")  # the default order


def ids_of(*labels: str) -> list[str]:
    """The session ids, in order, of the labelled sessions (the two dups read alike)."""
    return [S[label]["session_id"] for label in labels]


# --- fixtures ------------------------------------------------------------------------------

@pytest.fixture
async def data(rpc: Any, ingest_key: str, make_tenant: Any) -> None:
    await make_tenant("res")
    await make_tenant("cust1", "res")
    await make_tenant("cust2", "res")
    response = await rpc("ingest.sessions", {"records": SESSIONS}, key=ingest_key)
    assert response == ok(answer(accepted=len(SESSIONS))), response


@pytest.fixture
def key_for(make_key: Any, data: None) -> Any:
    """`await key_for(role, tenant)` -> a key (one per caller, made once)."""
    made: dict[tuple[str, str], str] = {}

    async def get(role: str = "admin", tenant: str = "root") -> str:
        if (role, tenant) not in made:
            made[(role, tenant)] = await make_key(role, tenant, rate_limit="unlimited")
        return made[(role, tenant)]
    return get


@pytest.fixture
def call(rpc: Any, key_for: Any) -> Any:
    """`await call(method, params, caller=(role, tenant))` -> the whole JSON-RPC response."""
    async def run(method: str, params: Any, caller: tuple[str, str] = ("admin", "root")) -> Any:
        return await rpc(method, params, key=await key_for(*caller))
    return run


async def listed(call: Any, params: dict[str, Any], **more: Any) -> list[str]:
    response = await call(LIST, params, **more)
    assert "result" in response, response
    return [s["session_id"] for s in response["result"]["sessions"]]


def basic(key: str) -> dict[str, str]:
    key_id, _, secret = key.partition(".")
    token = base64.b64encode(f"{key_id}:{secret}".encode()).decode()
    return {"Authorization": f"Basic {token}"}


def token(key: str) -> dict[str, str]:
    return {"Authorization": f"Token {key}"}


async def get(client: Any, path: str, headers: dict[str, str] | None = None,
              params: Any = None) -> tuple[int, Any]:
    response = await client.get(path, headers=headers or {}, params=params)
    return response.status, await response.json()


def route_error(code: int, msg: str, desc: str) -> dict[str, Any]:
    return {"result": code, "msg": msg, "desc": desc}


def invalid_fields(response: Any) -> set[str]:
    """The fields a -32602 answer names (asserting it is one)."""
    assert "error" in response, response
    error = response["error"]
    assert (error["code"], error["message"]) == (-32602, "Invalid request"), response
    return set(error["data"])


def desc_of(response: Any) -> str:
    """The route's `desc` for the -32602 answer of the same call on /rpc."""
    return "; ".join(f"{field}: {message}" for field, message in
                     response["error"]["data"].items())


# --- the list ------------------------------------------------------------------------------

async def test_the_whole_list_by_default(call: Any) -> None:
    assert await call(LIST, {}) == ok({
        "result": 1, "search": {"page": 1, "page_length": 10, "order_qualify": "asc"},
        "sessions": [S[label] for label in ALL], "total": 8})


@pytest.mark.parametrize("params, expected", [
    # each search key
    ({"search_by": "room_id", "search_string": "r-a"}, ("v1", "v3")),
    ({"search_by": "room_id", "search_string": "r-x"}, ()),
    ({"search_by": "session_id", "search_string": "v2"}, ("v2",)),
    ({"search_by": "session_id", "search_string": "dup"}, ("dup1", "dup2")),
    ({"search_by": "session_id", "search_string": "c1"}, ()),  # a call
    ({"search_by": "session_id", "search_string": "live"}, ()),  # not ended
    ({"search_by": "user_id", "search_string": "11"}, ("v1", "v3")),  # any participant
    ({"search_by": "user_id", "search_string": "13"}, ("v1", "v2", "v6")),
    ({"search_by": "user_id", "search_string": "14"}, ("v3", "v5", "dup2")),
    ({"search_by": "user_id", "search_string": "abc"}, ()),  # not a number: nothing
    ({"search_by": "user_id", "search_string": "99"}, ()),
    ({"search_by": "meeting_id", "search_string": "m-1"}, ("v1", "v4")),
    ({"search_by": "from_session_date", "search_string": "2026-04-02 09:00:00"},
     ("v5", "v6", "dup1", "dup2")),  # inclusive
    ({"search_by": "to_session_date", "search_string": "2026-04-01 12:00:00"},
     ("v1", "v2", "v3")),  # inclusive; v3's connect_dt is its setup time
    ({"search_by": "to_session_date", "search_string": "2026-04-01 09:59:59"},
     ()),  # v1 was set up before, but connected at 10:00:00
    ({"search_by": ["from_session_date", "to_session_date"],
      "search_string": ["2026-04-01 11:00:00", "2026-04-02 08:00:00"]}, ("v2", "v3", "v4")),
    ({"search_by": ["room_id", "user_id"], "search_string": ["r-b", "14"]}, ("v5",)),
    ({"search_by": ["room_id"], "search_string": ["r-c"]}, ("v4", "v6")),
    # app_type
    ({"app_type": "wb"}, ("v2", "v5", "dup2")),
    ({"app_type": "vc"}, ("v1", "v3", "v4", "v6", "dup1")),
    ({"app_type": "wb", "search_by": "room_id", "search_string": "r-d"}, ("dup2",)),
])
async def test_search(call: Any, params: dict[str, Any], expected: tuple[str, ...]) -> None:
    response = await call(LIST, params)
    echo = {"page": 1, "page_length": 10, "order_qualify": "asc",
            **{k: v for k, v in params.items() if k in ("search_by", "search_string")}}
    assert response == ok({"result": 1, "search": echo,
                           "sessions": [S[label] for label in expected],
                           "total": len(expected)})


ORDERS = [  # order_by, asc, desc (ties broken by session_id, in the same direction)
    ("session_id", "dup dup v1 v2 v3 v4 v5 v6", "v6 v5 v4 v3 v2 v1 dup dup"),
    ("room_id", "v1 v3 v2 v5 v4 v6 dup dup", "dup dup v6 v4 v5 v2 v3 v1"),
    ("user_id", "v1 v4 v2 v6 dup v3 dup v5", "v5 dup v3 dup v6 v2 v4 v1"),
    ("meeting_id", "v1 v4 v2 v3 v5 v6 dup dup", "dup dup v6 v5 v3 v2 v4 v1"),
    ("connect_dt", "v1 v2 v3 v4 v5 v6 dup dup", "dup dup v6 v5 v4 v3 v2 v1"),
    ("disconnect_dt", "v1 v2 v3 v5 v4 v6 dup dup", "dup dup v6 v4 v5 v3 v2 v1"),
    ("duration", "v2 dup v5 dup v1 v6 v3 v4", "v4 v3 v6 v1 dup v5 dup v2"),
    ("room_id,duration", "v1 v3 v2 v5 v6 v4 dup dup", "dup dup v4 v6 v5 v2 v3 v1"),
    ("duration,connect_dt", "v2 v5 dup dup v1 v6 v3 v4", "v4 v3 v6 v1 dup dup v5 v2"),
    (None, "v1 v2 v3 v4 v5 v6 dup dup", "dup dup v6 v5 v4 v3 v2 v1"),  # connect_dt, session_id
]


@pytest.mark.parametrize("order_by, qualify, expected", [
    (order_by, qualify, expected) for order_by, asc, desc in ORDERS
    for qualify, expected in (("asc", asc), ("desc", desc))])
async def test_order(call: Any, order_by: str | None, qualify: str, expected: str) -> None:
    params = {"order_qualify": qualify, **({"order_by": order_by} if order_by else {})}
    response = await call(LIST, params)
    result = response["result"]
    assert result["search"] == {"page": 1, "page_length": 10, **params}
    assert [s["session_id"] for s in result["sessions"]] == expected.split()
    assert result["total"] == 8


async def test_ties_of_the_dups_keep_their_rows_whole(call: Any) -> None:
    """Ordered by duration, each dup is its own row (2 and 3 minutes)."""
    sessions = (await call(LIST, {"order_by": "duration"}))["result"]["sessions"]
    assert sessions == [S[label] for label in
                        ("v2", "dup1", "v5", "dup2", "v1", "v6", "v3", "v4")]


@pytest.mark.parametrize("page, page_length, expected", [
    (1, 3, ("v1", "v2", "v3")),
    (2, 3, ("v4", "v5", "v6")),
    (3, 3, ("dup1", "dup2")),  # the last page
    (4, 3, ()),  # past the end
    (9, 1, ()),
    (8, 1, ("dup2",)),
    (1, 1000, ALL),
    (2, 1000, ()),
    (1, 8, ALL),
])
async def test_paging(call: Any, page: int, page_length: int, expected: tuple[str, ...]) -> None:
    assert await call(LIST, {"page": page, "page_length": page_length}) == ok({
        "result": 1, "search": {"page": page, "page_length": page_length,
                                "order_qualify": "asc"},
        "sessions": [S[label] for label in expected], "total": 8})


async def test_params_by_position(call: Any) -> None:
    response = await call(LIST, [2, 3])
    assert [s["session_id"] for s in response["result"]["sessions"]] == ids_of("v4", "v5", "v6")
    assert response["result"]["search"] == {"page": 2, "page_length": 3, "order_qualify": "asc"}
    assert await call(CDR, ["v2"]) == await call(CDR, {"session_id": "v2"})


@pytest.mark.parametrize("params, field", [
    ({"page": 0}, "page"),
    ({"page": -1}, "page"),
    ({"page": "2"}, "page"),  # strict types on /rpc
    ({"page": 1.5}, "page"),
    ({"page": True}, "page"),
    ({"page_length": 0}, "page_length"),
    ({"page_length": 1001}, "page_length"),
    ({"page_length": "10"}, "page_length"),
    ({"order_qualify": "down"}, "order_qualify"),
    ({"order_qualify": "ASC"}, "order_qualify"),
    ({"order_by": "name"}, "order_by"),
    ({"order_by": "room_id,bogus"}, "order_by"),
    ({"order_by": "app_type"}, "order_by"),
    ({"search_by": "name", "search_string": "x"}, "search_by"),
    ({"search_by": "app_type", "search_string": "vc"}, "search_by"),
    ({"search_by": "room_id", "search_string": 5}, "search_string"),
    ({"app_type": "xx"}, "app_type"),
    ({"app_type": "VC"}, "app_type"),
    ({"bogus": 1}, "bogus"),  # unknown params are rejected
])
async def test_bad_list_params_name_the_field(call: Any, params: dict[str, Any],
                                              field: str) -> None:
    assert invalid_fields(await call(LIST, params)) == {field}


# The last page: its first row's offset, (page - 1) * 1000 at the longest page, must fit
# a signed 64-bit integer; (2**63 - 1) // 1000 = 9223372036854775 keeps it there.
PAGE_RANGE = "Must be greater than or equal to 1 and less than or equal to 9223372036854775."


async def test_page_zero_reads_as_the_design_says(call: Any) -> None:
    assert (await call(LIST, {"page": 0}))["error"]["data"] == {"page": PAGE_RANGE}


@pytest.mark.parametrize("params", [
    {"search_by": "room_id"},  # each requires the other
    {"search_string": "r-a"},
    {"search_by": ["room_id", "user_id"], "search_string": ["r-a"]},  # lengths differ
    {"search_by": ["room_id"], "search_string": ["r-a", "11"]},
    {"search_by": "from_session_date", "search_string": "2026-04-01"},  # not a date-time
    {"search_by": "to_session_date", "search_string": "yesterday"},
])
async def test_search_pairs_that_do_not_match(call: Any, params: dict[str, Any]) -> None:
    """Which of the two the error names is not settled: one of them, or both."""
    fields = invalid_fields(await call(LIST, params))
    assert fields and fields <= {"search_by", "search_string"}


# --- scope and roles -----------------------------------------------------------------------

@pytest.mark.parametrize("caller, expected", [
    (("admin", "root"), ALL),
    (("accountant", "root"), ALL),
    (("reseller", "res"), ("v2", "v3", "v4", "v5", "dup1", "dup2")),
    (("admin", "res"), ("v2", "v3", "v4", "v5", "dup1", "dup2")),
    (("customer", "cust1"), ("v2", "v5", "dup1")),
    (("customer", "cust2"), ("v3", "v5", "dup2")),  # v5 through its cust2 participant
    (("accountant", "cust2"), ("v3", "v5", "dup2")),
])
async def test_scope(call: Any, caller: tuple[str, str], expected: tuple[str, ...]) -> None:
    response = await call(LIST, {}, caller=caller)
    assert [s["session_id"] for s in response["result"]["sessions"]] == ids_of(*expected)
    assert response["result"]["total"] == len(expected)


async def test_a_customer_sees_its_own_sessions_whole(call: Any) -> None:
    response = await call(LIST, {"page_length": 2}, caller=("customer", "cust1"))
    assert response == ok({"result": 1,
                           "search": {"page": 1, "page_length": 2, "order_qualify": "asc"},
                           "sessions": [S["v2"], S["v5"]], "total": 3})
    assert await call(CDR, {"session_id": "dup"}, caller=("customer", "cust1")) == ok({
        "result": 1, "session": S["dup1"], "cdr": [cdr_row("p1", EVE, "04-03", "07:00:00",
                                                           "07:02:00", 1, 2)]})


@pytest.mark.parametrize("method", [LIST, CDR, RECORDINGS])
async def test_the_ingest_role_may_not_call(call: Any, method: str) -> None:
    params = {} if method == LIST else {"session_id": "v1"}
    assert await call(method, params, caller=("ingest", "root")) == forbidden("ingest", method)


@pytest.mark.parametrize("method", [CDR, RECORDINGS])
@pytest.mark.parametrize("caller, session_id", [
    (("admin", "root"), "nope"),
    (("admin", "root"), "c1"),  # a call
    (("admin", "root"), "live"),  # not ended
    (("customer", "cust2"), "v1"),  # another tenant's
    (("customer", "cust2"), "v2"),
    (("customer", "cust1"), "v3"),
    (("reseller", "res"), "v1"),
    (("reseller", "res"), "v6"),
])
async def test_unknown_or_out_of_scope_sessions(call: Any, method: str,
                                                caller: tuple[str, str], session_id: str) -> None:
    assert await call(method, {"session_id": session_id}, caller=caller) == \
        not_found("sessions", session_id)


@pytest.mark.parametrize("method", [CDR, RECORDINGS])
@pytest.mark.parametrize("caller", [("admin", "root"), ("reseller", "res"),
                                    ("accountant", "root")])
async def test_an_ambiguous_session_id(call: Any, method: str, caller: tuple[str, str]) -> None:
    response = await call(method, {"session_id": "dup"}, caller=caller)
    assert "error" in response, response
    error = response["error"]
    assert error["code"] == 422 and error["data"]["code"] == "session-id-ambiguous", response
    assert error["message"] == f"session-id-ambiguous: {error['data']['message']}"


@pytest.mark.parametrize("caller, session_id, label", [
    (("customer", "cust1"), "dup", "dup1"),
    (("customer", "cust2"), "dup", "dup2"),
    (("customer", "cust2"), "v5", "v5"),  # through its leg
    (("reseller", "res"), "v3", "v3"),
])
async def test_one_session_in_scope_is_found(call: Any, caller: tuple[str, str],
                                             session_id: str, label: str) -> None:
    for method in (CDR, RECORDINGS):
        response = await call(method, {"session_id": session_id}, caller=caller)
        assert "result" in response, response
        assert response["result"]["session"]["connect_dt"] == S[label]["connect_dt"]


@pytest.mark.parametrize("params, field", [
    ({}, "session_id"),
    ({"session_id": 5}, "session_id"),
    ({"session_id": "v1", "app_type": "xx"}, "app_type"),
    ({"session_id": "v1", "bogus": 1}, "bogus"),
])
@pytest.mark.parametrize("method", [CDR, RECORDINGS])
async def test_bad_session_params(call: Any, method: str, params: dict[str, Any],
                                  field: str) -> None:
    assert invalid_fields(await call(method, params)) == {field}


# --- CDR and recordings ----------------------------------------------------------------------

def cdr_row(leg_id: str, user: tuple[int, str], day: str, start: str, end: str, n: int,
            minutes: int) -> dict[str, Any]:
    return {"call_num": f"cn-{leg_id}-{n}", "call_log_id": f"log-{leg_id}-{n}",
            "connect_dt": f"2026-{day} {start}", "disconnect_dt": f"2026-{day} {end}",
            "duration": minutes, "user_ref": f"ref-{user[0]}", "name": f"{user[1]} {leg_id}",
            "role": "moderator" if n == 1 else "participant", "ip": f"10.1.0.{n}",
            "agent": f"Agent/{n}"}


@pytest.mark.parametrize("session_id, label, rows", [
    ("v1", "v1", [cdr_row("p1", ANN, "04-01", "10:00:00", "10:05:00", 1, 5),
                  cdr_row("p2", CAT, "04-01", "10:01:00", "10:02:01", 2, 2)]),  # 61 s: 2 min
    ("v3", "v3", [cdr_row("p1", DAN, "04-01", "12:00:00", "12:10:00", 1, 10),
                  cdr_row("p2", ANN, "04-01", "12:00:00", "12:00:59", 2, 1),
                  # a participant with no CDR fields: they are left out
                  {"connect_dt": "2026-04-01 12:05:00", "disconnect_dt": "2026-04-01 12:05:00",
                   "duration": 0}]),
    ("v4", "v4", [cdr_row("p1", BOB, "04-02", "08:00:00", "09:07:00", 1, 67)]),
    ("v5", "v5", [cdr_row("p1", EVE, "04-02", "09:00:00", "09:01:00", 1, 1),
                  cdr_row("p2", DAN, "04-02", "09:00:00", "09:00:01", 2, 1)]),  # 1 s: 1 min
])
async def test_cdr(call: Any, session_id: str, label: str, rows: list[dict[str, Any]]) -> None:
    assert await call(CDR, {"session_id": session_id}) == \
        ok({"result": 1, "session": S[label], "cdr": rows})


def recording(record_id: int, start: int, seconds: int, size: int, stage: int) -> dict[str, Any]:
    return {"file": f"https://rec.example/{record_id}.mp4", "play_time": seconds,
            "stage": stage, "start_time": start, "end_time": start + seconds, "file_size": size}


T_0405, T_0410 = 1775037605, 1775037610  # 2026-04-01 10:00:05 and 10:00:10 UTC
T_0801 = 1775116860  # 2026-04-02 08:01:00 UTC


@pytest.mark.parametrize("session_id, label, rows", [
    ("v1", "v1", [recording(102, T_0405, 30, 300, 1), recording(101, T_0410, 120, 5000, 2),
                  recording(103, T_0410, 61, 800, 3)]),
    ("v4", "v4", [recording(104, T_0801, 60, 700, 1)]),
    ("v2", "v2", []),
])
async def test_recordings(call: Any, session_id: str, label: str,
                          rows: list[dict[str, Any]]) -> None:
    assert await call(RECORDINGS, {"session_id": session_id}) == \
        ok({"result": 1, "session": S[label], "recordings": rows})


def test_the_unix_times_are_right() -> None:
    def unix(text: str) -> int:
        return int(dt.datetime.fromisoformat(text).replace(tzinfo=dt.timezone.utc).timestamp())
    assert (T_0405, T_0410, T_0801) == (unix("2026-04-01 10:00:05"),
                                        unix("2026-04-01 10:00:10"), unix("2026-04-02 08:01:00"))


@pytest.mark.parametrize("method", [CDR, RECORDINGS])
@pytest.mark.parametrize("app_type, found", [("vc", True), ("wb", False)])
async def test_app_type_filters_a_session(call: Any, method: str, app_type: str,
                                          found: bool) -> None:
    response = await call(method, {"session_id": "v1", "app_type": app_type})
    if found:
        assert response["result"]["session"] == S["v1"]
    else:
        assert response == not_found("sessions", "v1")


async def test_optional_fields_with_no_value_are_left_out(call: Any, rpc: Any,
                                                          ingest_key: str) -> None:
    bare = {"session_id": "bare", "kind": "video", "tenant": "res",
            "setup_time": at("04-05", "10:00:00"), "end_time": at("04-05", "10:00:00"),
            "legs": [{"leg_id": "p1", "role": "participant",
                      "start_time": at("04-05", "10:00:00"), "end_time": at("04-05", "10:00:00")}]}
    assert await rpc("ingest.sessions", {"records": [bare]}, key=ingest_key) == \
        ok(answer(accepted=1))
    expected = {"session_id": "bare", "trans_date": "2026-04-05",
                "connect_dt": "2026-04-05 10:00:00", "disconnect_dt": "2026-04-05 10:00:00",
                "duration": 0}
    response = await call(LIST, {"search_by": "session_id", "search_string": "bare"})
    assert response["result"]["sessions"] == [expected]
    assert await call(RECORDINGS, {"session_id": "bare"}) == \
        ok({"result": 1, "session": expected, "recordings": []})
    # neither vc nor wb
    assert await listed(call, {"app_type": "vc", "search_by": "session_id",
                               "search_string": "bare"}) == []


# --- the routes ------------------------------------------------------------------------------

@pytest.mark.parametrize("query, headers, params", [
    ([], {}, {}),
    ([("page", "2"), ("page_length", "3")], {}, {"page": 2, "page_length": 3}),
    ([("page", "4"), ("page_length", "3")], {}, {"page": 4, "page_length": 3}),
    ([("page_length", "1000")], {}, {"page_length": 1000}),
    ([("search_by", "room_id"), ("search_string", "r-a")], {},
     {"search_by": "room_id", "search_string": "r-a"}),
    ([("search_by", "user_id"), ("search_string", "14")], {},
     {"search_by": "user_id", "search_string": "14"}),
    ([("search_by", "from_session_date"), ("search_string", "2026-04-01 11:00:00"),
      ("search_by", "to_session_date"), ("search_string", "2026-04-02 08:00:00")], {},
     {"search_by": ["from_session_date", "to_session_date"],
      "search_string": ["2026-04-01 11:00:00", "2026-04-02 08:00:00"]}),
    ([("order_by", "room_id,duration"), ("order_qualify", "desc")], {},
     {"order_by": "room_id,duration", "order_qualify": "desc"}),
    ([], {"X-App-Type": "wb"}, {"app_type": "wb"}),
    ([("order_by", "duration")], {"X-App-Type": "vc"}, {"app_type": "vc", "order_by": "duration"}),
])
async def test_the_list_route_answers_as_rpc(client: Any, call: Any, key_for: Any,
                                             query: list[tuple[str, str]],
                                             headers: dict[str, str],
                                             params: dict[str, Any]) -> None:
    key = await key_for()
    expected = (await call(LIST, params))["result"]
    for credential in (basic(key), token(key)):
        assert await get(client, SESSIONS_PATH, {**credential, **headers}, query) == \
            (200, expected)


async def test_the_route_answers_exactly(client: Any, key_for: Any) -> None:
    status, body = await get(client, SESSIONS_PATH, basic(await key_for()),
                             [("page", "3"), ("page_length", "3")])
    assert (status, body) == (200, {
        "result": 1, "search": {"page": 3, "page_length": 3, "order_qualify": "asc"},
        "sessions": [S["dup1"], S["dup2"]], "total": 8})


@pytest.mark.parametrize("session_id", ["v1", "v3", "v2"])
@pytest.mark.parametrize("kind, method", [("cdr", CDR), ("recordings", RECORDINGS)])
async def test_the_session_routes_answer_as_rpc(client: Any, call: Any, key_for: Any,
                                                kind: str, method: str, session_id: str) -> None:
    key = await key_for()
    expected = (await call(method, {"session_id": session_id}))["result"]
    for credential in (basic(key), token(key)):
        assert await get(client, f"{SESSIONS_PATH}/{session_id}/{kind}", credential) == \
            (200, expected)


@pytest.mark.parametrize("kind", ["cdr", "recordings"])
async def test_the_session_routes_take_the_app_type_header(client: Any, key_for: Any,
                                                           kind: str) -> None:
    key = await key_for()
    path = f"{SESSIONS_PATH}/v1/{kind}"
    status, body = await get(client, path, {**basic(key), "X-App-Type": "vc"})
    assert (status, body["session"]) == (200, S["v1"])
    assert await get(client, path, {**basic(key), "X-App-Type": "wb"}) == \
        (404, route_error(0, "Not found", 'Object "sessions(v1)" was not found!'))


@pytest.mark.parametrize("kind", ["cdr", "recordings"])
@pytest.mark.parametrize("caller, session_id", [
    (("admin", "root"), "nope"),
    (("admin", "root"), "c1"),
    (("admin", "root"), "live"),
    (("customer", "cust2"), "v1"),
])
async def test_unknown_sessions_on_the_routes(client: Any, key_for: Any, kind: str,
                                              caller: tuple[str, str], session_id: str) -> None:
    assert await get(client, f"{SESSIONS_PATH}/{session_id}/{kind}",
                     basic(await key_for(*caller))) == \
        (404, route_error(0, "Not found", f'Object "sessions({session_id})" was not found!'))


@pytest.mark.parametrize("kind", ["cdr", "recordings"])
async def test_an_ambiguous_session_on_the_routes(client: Any, key_for: Any, kind: str) -> None:
    status, body = await get(client, f"{SESSIONS_PATH}/dup/{kind}", token(await key_for()))
    assert (status, body["result"], body["msg"]) == (406, 1002, "Request invalid"), body
    assert isinstance(body["desc"], str) and body["desc"], body


# (query, headers, the same call's params on /rpc, result, msg); /rpc names the first param
ROUTE_INVALID = [
    ([("page", "0")], {}, {"page": 0}, 1101, "Invalid page"),
    ([("page", "-3")], {}, {"page": -3}, 1101, "Invalid page"),
    ([("page", "abc")], {}, {"page": "abc"}, 1101, "Invalid page"),
    ([("page_length", "1001")], {}, {"page_length": 1001}, 1102, "Invalid page_length"),
    ([("page_length", "0")], {}, {"page_length": 0}, 1102, "Invalid page_length"),
    ([("page_length", "x")], {}, {"page_length": "x"}, 1102, "Invalid page_length"),
    ([("order_qualify", "down")], {}, {"order_qualify": "down"}, 1105, "Invalid order_qualify"),
    ([], {"X-App-Type": "xx"}, {"app_type": "xx"}, 1403, "Invalid application type"),
    ([("order_by", "name")], {}, {"order_by": "name"}, 1002, "Request invalid"),
    ([("search_by", "name"), ("search_string", "x")], {},
     {"search_by": "name", "search_string": "x"}, 1002, "Request invalid"),
    ([("bogus", "1")], {}, {"bogus": 1}, 1002, "Request invalid"),
]


@pytest.mark.parametrize("query, headers, params, code, msg", ROUTE_INVALID)
async def test_validation_on_the_list_route(client: Any, call: Any, key_for: Any,
                                            query: list[tuple[str, str]],
                                            headers: dict[str, str], params: dict[str, Any],
                                            code: int, msg: str) -> None:
    """406 with the vendor's code; `desc` is the field message of the /rpc error."""
    on_rpc = await call(LIST, params)
    assert invalid_fields(on_rpc) == {next(iter(params))}
    assert await get(client, SESSIONS_PATH, {**basic(await key_for()), **headers}, query) == \
        (406, route_error(code, msg, desc_of(on_rpc)))


async def test_page_zero_on_the_route_reads_as_the_design_says(client: Any,
                                                               key_for: Any) -> None:
    assert await get(client, SESSIONS_PATH, basic(await key_for()), [("page", "0")]) == \
        (406, route_error(1101, "Invalid page", f"page: {PAGE_RANGE}"))


@pytest.mark.parametrize("query", [
    [("search_by", "room_id")],
    [("search_string", "r-a")],
    [("search_by", "room_id"), ("search_by", "user_id"), ("search_string", "r-a")],
])
async def test_unmatched_search_pairs_on_the_route(client: Any, key_for: Any,
                                                   query: list[tuple[str, str]]) -> None:
    status, body = await get(client, SESSIONS_PATH, basic(await key_for()), query)
    assert (status, body["result"], body["msg"]) == (406, 1002, "Request invalid"), body
    assert body["desc"].startswith(("search_by: ", "search_string: ")), body


async def test_the_session_route_takes_the_app_type_check(client: Any, key_for: Any) -> None:
    status, body = await get(client, f"{SESSIONS_PATH}/v1/cdr",
                             {**basic(await key_for()), "X-App-Type": "xx"})
    assert (status, body["result"], body["msg"]) == (406, 1403, "Invalid application type")
    assert body["desc"].startswith("app_type: "), body


# --- credentials ---------------------------------------------------------------------------

async def expire(client: Any, key: str) -> None:
    """keys.create refuses a past expiry: set it in the database."""
    async with client.app[appkeys.DB].transaction() as conn:
        changed = await conn.execute(
            "UPDATE api_keys SET expires_at = ? WHERE key_id = ?",
            (clock.to_text(clock.now() - dt.timedelta(seconds=1)), key_id_of(key)))
    assert changed == 1


@pytest.mark.parametrize("path", [SESSIONS_PATH, f"{SESSIONS_PATH}/v1/cdr",
                                  f"{SESSIONS_PATH}/v1/recordings"])
@pytest.mark.parametrize("case", ["none", "wrong secret basic", "wrong secret token",
                                  "unknown key id", "not basic", "revoked",
                                  "expired basic", "expired token", "ingest"])
async def test_credentials_on_the_routes(client: Any, rpc: Any, key_for: Any, make_key: Any,
                                         path: str, case: str) -> None:
    key = await key_for()
    key_id, _, secret = key.partition(".")
    bad = (401, route_error(1001, "Invalid credentials", "unknown API key"))
    prefix = "Authentication Failed: "
    if case == "none":
        expected = (401, route_error(1001, "Invalid credentials", "no API key was sent"))
        headers: dict[str, str] = {}
    elif case == "wrong secret basic":
        expected, headers = bad, basic(f"{key_id}.{secret[::-1]}x")
    elif case == "wrong secret token":
        expected, headers = bad, token(f"{key_id}.{secret[::-1]}x")
    elif case == "unknown key id":
        expected, headers = bad, basic(f"nobody.{secret}")
    elif case == "not basic":  # the secret alone as a token
        expected, headers = bad, token(secret)
    elif case == "revoked":
        other = await make_key("admin", rate_limit="unlimited")
        assert await rpc("keys.revoke", {"key_id": key_id_of(other)}) == ok({"result": 1})
        expected = (401, route_error(1001, "Invalid credentials", "the API key was revoked"))
        headers = basic(other)
    elif case.startswith("expired"):
        other = await make_key("admin", rate_limit="unlimited",
                               expires_at=(clock.now() + dt.timedelta(hours=1)).isoformat())
        await expire(client, other)
        expected = (403, route_error(1001, "Token expired", "the API key has expired"))
        headers = basic(other) if case == "expired basic" else token(other)
    else:
        method = {SESSIONS_PATH: LIST}.get(path, CDR if path.endswith("cdr") else RECORDINGS)
        expected = (403, route_error(0, "Forbidden",
                                     f"the role 'ingest' may not call {method}"))
        headers = basic(await key_for("ingest", "root"))
    status, body = await get(client, path, headers)
    if expected[1]["result"] == 1001 and body.get("desc", "").startswith(prefix):
        body = {**body, "desc": body["desc"][len(prefix):]}  # see test_auth_desc_wording
    assert (status, body) == expected


async def test_auth_desc_wording(client: Any, key_for: Any) -> None:
    """The design: `desc` is "for auth the reason text", i.e. the <reason> of the /rpc
    envelope's "Authentication Failed: <reason>", without that prefix."""
    key = await key_for()
    key_id, _, secret = key.partition(".")
    assert await get(client, SESSIONS_PATH, basic(f"{key_id}.x{secret}")) == \
        (401, route_error(1001, "Invalid credentials", "unknown API key"))


@pytest.mark.parametrize("role, tenant", [("customer", "cust1"), ("reseller", "res"),
                                          ("accountant", "root"), ("admin", "cust2")])
async def test_every_reporting_role_may_use_the_routes(client: Any, call: Any, key_for: Any,
                                                       role: str, tenant: str) -> None:
    key = await key_for(role, tenant)
    expected = (await call(LIST, {}, caller=(role, tenant)))["result"]
    assert await get(client, SESSIONS_PATH, token(key)) == (200, expected)


# --- one store, every dialect ------------------------------------------------------------

async def test_a_video_session_shows_in_the_call_history_and_a_deletion_in_both(
        call: Any, client: Any) -> None:
    """v4 (tenant res) through GetCallHistory: its participant as a call, its recording;
    DeleteRecord takes the recording out of both views."""
    params = {"from_date": "2026-04-02 08:00:00", "to_date": "2026-04-02 08:00:00",
              "child_account_id": "all", "with_calls": True, "with_records": True}
    (session,) = (await call("GetCallHistory", params))["result"]["result"]
    (leg,) = session["calls"]
    assert (session["start_date"], session["duration"], session["user_id"]) == \
        ("2026-04-02 08:00:00", 67 * 60, BOB[0])
    assert (leg["start_time"], leg["remote_number_type"], leg["incoming"],
            leg["successful"]) == ("2026-04-02 08:00:00", "user", True, True)
    assert session["records"] == [{
        "record_id": 104, "record_name": "r104", "start_time": "2026-04-02 08:01:00",
        "duration": 60, "record_url": "https://rec.example/104.mp4", "transaction_id": 104,
        "file_size": 700}]
    videos = await call("ucaas.sessions.recordings", {"session_id": "v4"})
    assert [r["file"] for r in videos["result"]["recordings"]] == \
        ["https://rec.example/104.mp4"]
    assert await call("DeleteRecord", {"record_id": 104}) == ok({"result": 1})
    again = (await call("GetCallHistory", params))["result"]["result"][0]
    assert "records" not in again
    videos = await call("ucaas.sessions.recordings", {"session_id": "v4"})
    assert videos["result"]["recordings"] == []
