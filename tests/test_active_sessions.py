"""`reports.active_sessions.query` and `POST /reports/active_sessions` (spec methods.md section 1,
README "Tenancy", "Time"; the decisions of the design notes), as (request, expected rows) tables
over one fixed set of live sessions.

Tenants: root (1) > res (2) > cust1 (3), cust2 (4). Carriers A, B belong to root; cust2 also
sells termination (client 202). The seven live calls (the root admin's view is ROWS below):

| id | tenant | setup (UTC)      | answered | equip. | orig client | term attempts                 |
|----|--------|------------------|----------|--------|-------------|-------------------------------|
| s1 | cust1  | 2026-03-29 00:30 | yes      | 71     | 101         | A (answered), then B (failed) |
| s2 | cust1  | 2026-03-29 01:30 | no       | 71     | 101         | A, then B (listed last)       |
| s3 | cust2  | 2026-10-25 00:30 | yes      | 72     | 201         | A (answered, rates_code 49)   |
| s4 | cust2  | 2026-10-25 01:30 | no       | -      | 201         | none                          |
| s5 | res    | 2026-06-01 12:00 | yes      | 72     | 301         | B (answered)                  |
| s6 | root   | 2026-06-01 12:00 | no       | 71     | 401         | none                          |
| s7 | root   | 2026-06-01 12:05 | yes      | -      | 401         | 202 of cust2 (answered)       |

Plus an ended call and a live video room, which never appear. In Europe/Vilnius s1 and s2 fall
on both sides of the spring change, s3 and s4 in the repeated autumn hour (both 03:30 local).
"""

from __future__ import annotations

import datetime as dt
import time
from typing import Any

import pytest
from envelopes import answer, auth_failed, forbidden, invalid, missing_object, ok

METHOD = "reports.active_sessions.query"
ROUTE = "/reports/active_sessions"
ROOT, RES, CUST1, CUST2 = 1, 2, 3, 4
ADMIN, RESELLER, CUSTOMER1, CUSTOMER2 = ("admin", "root"), ("reseller", "res"), \
    ("customer", "cust1"), ("customer", "cust2")
ACCOUNTANT = ("accountant", "root")

LEG_FIELDS = ["leg_id", "src_party_id", "dst_party_id", "companies_id", "owner_users_id",
              "clients_id", "clients_name", "accounts_id", "accounts_name", "accounts_ident",
              "rates_code", "rates_code_name"]
HIDDEN = LEG_FIELDS[3:]  # null for a leg outside the caller's subtree
SINGULAR = ["session_id", "session_setup_time", "session_start_time", "equipment_id",
            "equipment_name"] + [f"{side}_{f}" for side in ("orig", "term") for f in LEG_FIELDS]
ALL_FIELDS = SINGULAR + ["quantity", "duration"]

# --- the data set ---------------------------------------------------------------------------

DECKS = [
    {"code_deck_id": 7, "name": "Europe", "codes": [
        {"prefix": "370", "name": "Lithuania", "country": "LT"},
        {"prefix": "3706", "name": "Lithuania Mobile", "country": "LT"},
        {"prefix": "371", "name": "Latvia", "country": "LV"},
        {"prefix": "49", "name": "Germany", "country": "DE"}]},
    {"code_deck_id": 8, "name": "Carrier", "codes": [
        {"prefix": "37", "name": "Baltics (alt)", "country": None},
        {"prefix": "370", "name": "LT (alt)", "country": "LT"},
        {"prefix": "3706", "name": "LT mobile (alt)", "country": "LT"}]},
    {"code_deck_id": 9, "tenant": "cust2", "name": "Cust2's own", "codes": [
        {"prefix": "49", "name": "C2 Germany", "country": "DE"},
        {"prefix": "3706", "name": "C2 mobile", "country": "LT"}]},
]

CUST_ONE, CUST_TWO = {"id": 101, "name": "Cust One"}, {"id": 201, "name": "Cust Two"}
RES_DIRECT, ROOT_RETAIL = {"id": 301, "name": "Res Direct"}, {"id": 401, "name": "Root Retail"}
C2_WHOLESALE = {"id": 202, "name": "C2 Wholesale", "tenant": "cust2"}
CARRIER_A = {"id": 901, "name": "Carrier A", "tenant": "root"}
CARRIER_B = {"id": 902, "name": "Carrier B", "tenant": "root"}
C1_PBX = {"id": 111, "name": "c1-pbx", "ident": "10.1.0.1"}
C1_SIP = {"id": 112, "name": "c1-sip", "ident": "10.1.0.2"}
C2_PBX = {"id": 211, "name": "c2-pbx", "ident": "10.2.0.1"}
C2_TRUNK = {"id": 212, "name": "c2-trunk", "ident": "10.2.0.9"}
RES_PBX = {"id": 311, "name": "Res-PBX", "ident": "10.3.0.1"}  # upper case sorts first
ROOT_PBX = {"id": 411, "name": "root-pbx", "ident": "10.4.0.1"}
CA_TRUNK = {"id": 911, "name": "ca-trunk", "ident": "192.0.2.1"}
CB_TRUNK = {"id": 921, "name": "cb-trunk", "ident": "192.0.2.2"}
ANN, BOB = {"id": 51, "name": "Ann Manager"}, {"id": 52, "name": "Bob Manager"}
RES_MGR, ROOT_MGR = {"id": 53, "name": "Res Manager"}, {"id": 54, "name": "Root Manager"}
DESK = {"id": 59, "name": "Carrier Desk"}
SBC1, SBC2 = {"id": 71, "name": "SBC-1"}, {"id": 72, "name": "SBC-2"}

S1_START, S3_START = "2026-03-29T00:30:05Z", "2026-10-25T00:30:03Z"
S5_START, S7_START = "2026-06-01T12:00:10Z", "2026-06-01T12:05:02Z"


def leg(leg_id: str, role: str, src: str, dst: str, client: dict[str, Any],
        account: dict[str, Any], owner: dict[str, Any], **more: Any) -> dict[str, Any]:
    return {"leg_id": leg_id, "role": role, "src": src, "dst": dst, "client": client,
            "account": account, "owner_user": owner, **more}


def call(session_id: str, tenant: str, setup: str, start: str | None,
         equipment: dict[str, Any] | None, legs: list[dict[str, Any]],
         **more: Any) -> dict[str, Any]:
    record = {"session_id": session_id, "tenant": tenant, "setup_time": setup,
              "start_time": start, "legs": legs, **more}
    return record if equipment is None else {**record, "equipment": equipment}


SESSIONS = [
    call("s1", "cust1", "2026-03-29T00:30:00Z", S1_START, SBC1, [
        leg("s1-o", "orig", "37052000001", "+37061234567", CUST_ONE, C1_PBX, ANN, code_deck_id=7,
            start_time=S1_START),
        leg("s1-t1", "term", "37052000001", "37061234567", CARRIER_A, CA_TRUNK, DESK,
            code_deck_id=8, start_time=S1_START),
        leg("s1-t2", "term", "37052000001", "37061234567", CARRIER_B, CB_TRUNK, DESK,
            code_deck_id=8, disposition="CONGESTION")]),
    call("s2", "cust1", "2026-03-29T01:30:00Z", None, SBC1, [
        leg("s2-o", "orig", "37052000002", "+37120000000", CUST_ONE, C1_SIP, ANN, code_deck_id=7),
        leg("s2-tb", "term", "37052000002", "37120000000", CARRIER_A, CA_TRUNK, DESK,
            code_deck_id=7),
        leg("s2-ta", "term", "37052000002", "37120000000", CARRIER_B, CB_TRUNK, DESK,
            code_deck_id=8)]),
    call("s3", "cust2", "2026-10-25T00:30:00Z", S3_START, SBC2, [
        leg("s3-o", "orig", "37052000003", "+4930123456", CUST_TWO, C2_PBX, BOB, code_deck_id=7),
        leg("s3-t1", "term", "37052000003", "4930123456", CARRIER_A, CA_TRUNK, DESK,
            rates_code="49", start_time=S3_START)]),
    call("s4", "cust2", "2026-10-25T01:30:00Z", None, None, [
        leg("s4-o", "orig", "37052000004", "+37061234567", CUST_TWO, C2_PBX, BOB)]),
    call("s5", "res", "2026-06-01T12:00:00Z", S5_START, SBC2, [
        leg("s5-o", "orig", "37052000005", "+37061234567", RES_DIRECT, RES_PBX, RES_MGR,
            rates_code="370", code_deck_id=7),
        leg("s5-t1", "term", "37052000005", "37061234567", CARRIER_B, CB_TRUNK, DESK,
            code_deck_id=8, start_time=S5_START)]),
    call("s6", "root", "2026-06-01T12:00:00Z", None, SBC1, [
        leg("s6-o", "orig", "37052000006", "+37061234567", ROOT_RETAIL, ROOT_PBX, ROOT_MGR,
            code_deck_id=7)]),
    call("s7", "root", "2026-06-01T12:05:00Z", S7_START, None, [
        leg("s7-o", "orig", "37052000007", "+37120000001", ROOT_RETAIL, ROOT_PBX, ROOT_MGR,
            code_deck_id=7),
        leg("s7-t1", "term", "37052000007", "37120000001", C2_WHOLESALE, C2_TRUNK, BOB,
            code_deck_id=7, start_time=S7_START)]),
    call("gone", "cust1", "2026-03-01T10:00:00Z", "2026-03-01T10:00:05Z", SBC1, [
        leg("g-o", "orig", "37052000008", "+37061234567", CUST_ONE, C1_PBX, ANN, code_deck_id=7)],
        end_time="2026-03-01T10:01:05Z"),
    call("room", "cust1", "2026-03-29T00:30:00Z", S1_START, SBC1, [
        {"leg_id": "p1", "role": "participant", "name": "Ann"}], kind="video"),
]


def row(session_id: str, setup: str, start: str | None, equipment: tuple[Any, Any],
        orig: tuple[Any, ...], term: tuple[Any, ...] = (None,) * 12) -> dict[str, Any]:
    out = {"session_id": session_id, "session_setup_time": setup, "session_start_time": start,
           "equipment_id": equipment[0], "equipment_name": equipment[1]}
    for side, values in (("orig", orig), ("term", term)):
        out.update(zip([f"{side}_{f}" for f in LEG_FIELDS], values, strict=True))
    return out


NO_EQUIPMENT = (None, None)
# The root admin's view: each session's singular fields (leg: id, src, dst, company, owner,
# client id and name, account id, name and ident, rates code and its name).
ROWS = {r["session_id"]: r for r in [
    row("s1", "2026-03-29 00:30:00", "2026-03-29 00:30:05", (71, "SBC-1"),
        ("s1-o", "37052000001", "+37061234567", CUST1, 51, 101, "Cust One", 111, "c1-pbx",
         "10.1.0.1", "3706", "Lithuania Mobile"),
        ("s1-t1", "37052000001", "37061234567", ROOT, 59, 901, "Carrier A", 911, "ca-trunk",
         "192.0.2.1", "3706", "LT mobile (alt)")),
    row("s2", "2026-03-29 01:30:00", None, (71, "SBC-1"),
        ("s2-o", "37052000002", "+37120000000", CUST1, 51, 101, "Cust One", 112, "c1-sip",
         "10.1.0.2", "371", "Latvia"),
        ("s2-ta", "37052000002", "37120000000", ROOT, 59, 902, "Carrier B", 921, "cb-trunk",
         "192.0.2.2", "37", "Baltics (alt)")),
    row("s3", "2026-10-25 00:30:00", "2026-10-25 00:30:03", (72, "SBC-2"),
        ("s3-o", "37052000003", "+4930123456", CUST2, 52, 201, "Cust Two", 211, "c2-pbx",
         "10.2.0.1", "49", "Germany"),
        ("s3-t1", "37052000003", "4930123456", ROOT, 59, 901, "Carrier A", 911, "ca-trunk",
         "192.0.2.1", "49", None)),
    row("s4", "2026-10-25 01:30:00", None, NO_EQUIPMENT,
        ("s4-o", "37052000004", "+37061234567", CUST2, 52, 201, "Cust Two", 211, "c2-pbx",
         "10.2.0.1", None, None)),
    row("s5", "2026-06-01 12:00:00", "2026-06-01 12:00:10", (72, "SBC-2"),
        ("s5-o", "37052000005", "+37061234567", RES, 53, 301, "Res Direct", 311, "Res-PBX",
         "10.3.0.1", "370", "Lithuania"),
        ("s5-t1", "37052000005", "37061234567", ROOT, 59, 902, "Carrier B", 921, "cb-trunk",
         "192.0.2.2", "3706", "LT mobile (alt)")),
    row("s6", "2026-06-01 12:00:00", None, (71, "SBC-1"),
        ("s6-o", "37052000006", "+37061234567", ROOT, 54, 401, "Root Retail", 411, "root-pbx",
         "10.4.0.1", "3706", "Lithuania Mobile")),
    row("s7", "2026-06-01 12:05:00", "2026-06-01 12:05:02", NO_EQUIPMENT,
        ("s7-o", "37052000007", "+37120000001", ROOT, 54, 401, "Root Retail", 411, "root-pbx",
         "10.4.0.1", "371", "Latvia"),
        ("s7-t1", "37052000007", "37120000001", CUST2, 52, 202, "C2 Wholesale", 212,
         "c2-trunk", "10.2.0.9", "371", "Latvia")),
]}
STARTS = {"s1": S1_START, "s3": S3_START, "s5": S5_START, "s7": S7_START}


def hide(session_id: str, side: str) -> dict[str, Any]:
    """A session's row with one leg outside the caller's subtree."""
    return {**ROWS[session_id], **{f"{side}_{f}": None for f in HIDDEN}}


class Since:
    """`duration`: the whole seconds from the given answer times to now, summed; equal within
    a few seconds per session (the clock runs between the answer and the comparison)."""

    TOLERANCE_S = 10

    def __init__(self, *starts: str) -> None:
        self.starts = [dt.datetime.fromisoformat(s).timestamp() for s in starts]

    def expected(self) -> float:
        return sum(time.time() - s for s in self.starts)

    def __eq__(self, other: object) -> bool:
        return (type(other) is int
                and abs(other - self.expected()) <= self.TOLERANCE_S * len(self.starts))

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return f"Since(~{int(self.expected())})"


def table(fields: list[str], *values: tuple[Any, ...]) -> list[dict[str, Any]]:
    """Rows written as tuples in the order of `fields`."""
    return [dict(zip(fields, v, strict=True)) for v in values]


def rollup(fields: list[str], *values: tuple[Any, ...]) -> list[dict[str, Any]]:
    """Rollup rows written as (row_type, *the values of `fields`)."""
    return [{**dict(zip(fields, v[1:], strict=True)), "row_type": v[0]} for v in values]


def ids(*session_ids: str) -> list[dict[str, Any]]:
    return [{"session_id": s} for s in session_ids]


def pick(fields: list[str], *session_ids: str) -> list[dict[str, Any]]:
    """One row per session, with the root admin's values of `fields`."""
    return [{f: ROWS[s][f] for f in fields} for s in session_ids]


@pytest.fixture
async def live(rpc: Any, ingest_key: str, make_tenant: Any) -> None:
    made = [await make_tenant("res"), await make_tenant("cust1", "res"),
            await make_tenant("cust2", "res")]
    assert [t["id"] for t in made] == [RES, CUST1, CUST2], made
    for method, records in (("ingest.code_decks", DECKS), ("ingest.sessions", SESSIONS)):
        response = await rpc(method, {"records": records}, key=ingest_key)
        assert response == ok(answer(accepted=len(records))), response


@pytest.fixture
def query(rpc: Any, live: None, make_key: Any) -> Any:
    """`await query(params, caller=(role, tenant))` -> the rows of a successful call."""
    keys: dict[tuple[str, str], str] = {}

    async def run(params: Any, caller: tuple[str, str] = ADMIN) -> Any:
        if caller not in keys:
            keys[caller] = await make_key(*caller, rate_limit="unlimited")
        response = await rpc(METHOD, params, key=keys[caller])
        assert set(response) == {"jsonrpc", "result", "id"}, response
        return response["result"]
    return run


# --- fields ---------------------------------------------------------------------------------

async def test_every_field_of_every_live_session(query):
    assert await query({"return_fields": ALL_FIELDS}) == [
        {**ROWS[s], "quantity": 1, "duration": Since(STARTS[s]) if s in STARTS else 0}
        for s in ROWS]


async def test_ended_and_video_sessions_never_appear(query):
    assert await query({"return_fields": ["session_id"]}) == ids(*ROWS)
    assert await query({"return_fields": ["session_id"], "filters": {"equipment_id": [71]}}) \
        == ids("s1", "s2", "s6")


DURATIONS = [
    ({"return_fields": ["quantity", "duration"]},
     [{"quantity": 7, "duration": Since(S1_START, S3_START, S5_START, S7_START)}]),
    ({"return_fields": ["equipment_id", "duration"]},
     table(["equipment_id", "duration"], (71, Since(S1_START)), (72, Since(S3_START, S5_START)),
           (None, Since(S7_START)))),
    ({"return_fields": ["session_id", "duration"], "filters": {"orig_accounts_id": [112, 211]}},
     table(["session_id", "duration"], ("s2", 0), ("s3", Since(S3_START)), ("s4", 0))),
    ({"return_fields": ["duration"], "filters": {"orig_accounts_id": [112]}}, [{"duration": 0}]),
]


@pytest.mark.parametrize("params, expected", DURATIONS)
async def test_duration_sums_seconds_since_answer(query, params, expected):
    assert await query(params) == expected


# --- grouping -------------------------------------------------------------------------------

Q = "quantity"
GROUPING = [
    pytest.param(["quantity"], [{Q: 7}], id="totals"),
    pytest.param(["equipment_id"], table(["equipment_id"], (71,), (72,), (None,)),
                 id="no-aggregate"),
    pytest.param(["equipment_id", Q], table(["equipment_id", Q], (71, 3), (72, 2), (None, 2)),
                 id="one-field"),
    pytest.param(["orig_rates_code_name", Q], table(
        ["orig_rates_code_name", Q], ("Germany", 1), ("Latvia", 2), ("Lithuania", 1),
        ("Lithuania Mobile", 2), (None, 1)), id="one-text-field"),
    pytest.param(["orig_accounts_name", Q], table(
        ["orig_accounts_name", Q], ("Res-PBX", 1), ("c1-pbx", 1), ("c1-sip", 1), ("c2-pbx", 2),
        ("root-pbx", 2)), id="binary-text-order"),
    pytest.param(["session_setup_time", Q], table(
        ["session_setup_time", Q], ("2026-03-29 00:30:00", 1), ("2026-03-29 01:30:00", 1),
        ("2026-06-01 12:00:00", 2), ("2026-06-01 12:05:00", 1), ("2026-10-25 00:30:00", 1),
        ("2026-10-25 01:30:00", 1)), id="setup-time"),
    pytest.param(["session_start_time", Q], table(
        ["session_start_time", Q], ("2026-03-29 00:30:05", 1), ("2026-06-01 12:00:10", 1),
        ("2026-06-01 12:05:02", 1), ("2026-10-25 00:30:03", 1), (None, 3)), id="start-time"),
    pytest.param(["equipment_name", "orig_companies_id", Q], table(
        ["equipment_name", "orig_companies_id", Q], ("SBC-1", ROOT, 1), ("SBC-1", CUST1, 2),
        ("SBC-2", RES, 1), ("SBC-2", CUST2, 1), (None, ROOT, 1), (None, CUST2, 1)),
        id="two-fields"),
    pytest.param(["orig_companies_id", "equipment_id", Q], table(
        ["orig_companies_id", "equipment_id", Q], (ROOT, 71, 1), (ROOT, None, 1), (RES, 72, 1),
        (CUST1, 71, 2), (CUST2, 72, 1), (CUST2, None, 1)), id="two-fields-order-a"),
    pytest.param(["equipment_id", "orig_companies_id", Q], table(
        ["equipment_id", "orig_companies_id", Q], (71, ROOT, 1), (71, CUST1, 2), (72, RES, 1),
        (72, CUST2, 1), (None, ROOT, 1), (None, CUST2, 1)), id="two-fields-order-b"),
    pytest.param(["term_companies_id", "orig_companies_id", "equipment_id", Q], table(
        ["term_companies_id", "orig_companies_id", "equipment_id", Q], (ROOT, RES, 72, 1),
        (ROOT, CUST1, 71, 2), (ROOT, CUST2, 72, 1), (CUST2, ROOT, None, 1),
        (None, ROOT, 71, 1), (None, CUST2, None, 1)), id="three-fields"),
]


@pytest.mark.parametrize("return_fields, expected", GROUPING)
async def test_rows_group_by_the_singular_fields(query, return_fields, expected):
    assert await query({"return_fields": return_fields}) == expected


NOTHING = {"orig_clients_id": [999]}
EMPTY = [
    pytest.param({"return_fields": ["quantity", "duration"]}, [{Q: 0, "duration": 0}],
                 id="totals"),
    pytest.param({"return_fields": ["session_id", Q]}, [], id="grouped"),
    pytest.param({"return_fields": ["session_id", Q], "limit": 5}, [], id="grouped-limit"),
    pytest.param({"return_fields": ["session_id", Q], "group": "rollup"},
                 [{"session_id": None, Q: 0, "row_type": "total"}], id="rollup"),
    pytest.param({"return_fields": [Q, "duration"], "group": "rollup"},
                 [{Q: 0, "duration": 0, "row_type": "total"}], id="rollup-totals"),
]


@pytest.mark.parametrize("params, expected", EMPTY)
async def test_no_matching_session(query, params, expected):
    assert await query({**params, "filters": NOTHING}) == expected


# --- filters --------------------------------------------------------------------------------

FILTERS = [  # (filters, the sessions that match)
    ({"orig_companies_id": [CUST1]}, ["s1", "s2"]),
    ({"orig_companies_id": [RES, CUST2]}, ["s3", "s4", "s5"]),
    ({"orig_companies_id": [99]}, []),
    ({"orig_owner_users_id": [51]}, ["s1", "s2"]),
    ({"orig_owner_users_id": [54, 53]}, ["s5", "s6", "s7"]),
    ({"orig_owner_users_id": [59]}, []),
    ({"orig_clients_id": [201]}, ["s3", "s4"]),
    ({"orig_clients_id": [901]}, []),
    ({"orig_accounts_id": [112, 411]}, ["s2", "s6", "s7"]),
    ({"orig_accounts_id": [911]}, []),
    ({"orig_rates_code": ["3706"]}, ["s1", "s6"]),
    ({"orig_rates_code": ["370"]}, ["s5"]),
    ({"orig_rates_code": ["37"]}, []),
    ({"orig_rates_code_name": ["Latvia", "Germany"]}, ["s2", "s3", "s7"]),
    ({"orig_rates_code_name": ["LT (alt)"]}, []),
    ({"term_companies_id": [ROOT]}, ["s1", "s2", "s3", "s5"]),
    ({"term_companies_id": [CUST2]}, ["s7"]),
    ({"term_companies_id": [CUST1]}, []),
    ({"term_owner_users_id": [59]}, ["s1", "s2", "s3", "s5"]),
    ({"term_owner_users_id": [52]}, ["s7"]),
    ({"term_owner_users_id": [51]}, []),
    ({"term_clients_id": [901]}, ["s1", "s3"]),  # s2's term_ leg is its last attempt (B)
    ({"term_clients_id": [902]}, ["s2", "s5"]),  # s1's term_ leg is its answered one (A)
    ({"term_clients_id": [101]}, []),
    ({"term_accounts_id": [921]}, ["s2", "s5"]),
    ({"term_accounts_id": [212]}, ["s7"]),
    ({"term_accounts_id": [111]}, []),
    ({"term_rates_code": ["3706"]}, ["s1", "s5"]),
    ({"term_rates_code": ["371"]}, ["s7"]),
    ({"term_rates_code": ["37"]}, ["s2"]),
    ({"term_rates_code": ["4"]}, []),
    ({"term_rates_code_name": ["LT mobile (alt)"]}, ["s1", "s5"]),
    ({"term_rates_code_name": ["Baltics (alt)", "Latvia"]}, ["s2", "s7"]),
    ({"term_rates_code_name": ["Germany"]}, []),  # s3's term leg has no deck
    ({"equipment_id": [71]}, ["s1", "s2", "s6"]),
    ({"equipment_id": [72, 73]}, ["s3", "s5"]),
    ({"equipment_id": [73]}, []),
    ({"orig_companies_id": [CUST1], "term_clients_id": [902]}, ["s2"]),
    ({"orig_companies_id": [CUST1], "term_clients_id": [202]}, []),
]


@pytest.mark.parametrize("filters, expected", FILTERS)
async def test_each_filter_keeps_the_sessions_with_one_of_its_values(query, filters, expected):
    assert await query({"return_fields": ["session_id"], "filters": filters}) == ids(*expected)


@pytest.mark.parametrize("filters, expected", [
    ({"orig_rates_code_name": ["LT (alt)"]}, ["s5"]),
    ({"term_rates_code_name": ["LT mobile (alt)"]}, ["s1", "s5"]),
    ({"orig_rates_code_name": ["Lithuania"]}, []),
])
async def test_rates_code_name_filters_use_the_requested_code_deck(query, filters, expected):
    assert await query({"return_fields": ["session_id"], "filters": filters,
                        "code_decks_id": 8}) == ids(*expected)


# --- order and limit ------------------------------------------------------------------------

ORDER = [  # (return_fields, order, limit, expected)
    pytest.param(["orig_companies_id", Q], ["-orig_companies_id"], None, table(
        ["orig_companies_id", Q], (CUST2, 2), (CUST1, 2), (RES, 1), (ROOT, 2)), id="desc"),
    pytest.param(["orig_rates_code_name", Q], ["-quantity"], 3, table(
        ["orig_rates_code_name", Q], ("Latvia", 2), ("Lithuania Mobile", 2), ("Germany", 1)),
        id="top-quantity"),
    pytest.param(["orig_rates_code_name", Q], ["quantity"], 4, table(
        ["orig_rates_code_name", Q], ("Germany", 1), ("Lithuania", 1), (None, 1), ("Latvia", 2)),
        id="quantity-asc-ties-nulls-last"),
    pytest.param(["equipment_id", Q], ["-equipment_id"], None, table(
        ["equipment_id", Q], (None, 2), (72, 2), (71, 3)), id="nulls-first-desc"),
    pytest.param(["term_clients_name", Q], [], None, table(
        ["term_clients_name", Q], ("C2 Wholesale", 1), ("Carrier A", 2), ("Carrier B", 2),
        (None, 2)), id="text-nulls-last"),
    pytest.param(["term_clients_name", Q], ["-term_clients_name"], None, table(
        ["term_clients_name", Q], (None, 2), ("Carrier B", 2), ("Carrier A", 2),
        ("C2 Wholesale", 1)), id="text-nulls-first-desc"),
    pytest.param(["session_id", "session_setup_time"], ["-session_setup_time"], None,
                 pick(["session_id", "session_setup_time"], "s4", "s3", "s7", "s5", "s6", "s2",
                      "s1"), id="second-field-desc-tie"),
    pytest.param(["session_id", "session_start_time"], ["session_start_time"], None,
                 pick(["session_id", "session_start_time"], "s1", "s5", "s7", "s3", "s2", "s4",
                      "s6"), id="time-nulls-last"),
    pytest.param(["session_id", "session_start_time"], ["-session_start_time"], 4,
                 pick(["session_id", "session_start_time"], "s2", "s4", "s6", "s3"),
                 id="time-nulls-first-desc"),
    pytest.param(["orig_companies_id", "term_companies_id", Q],
                 ["-term_companies_id", "orig_companies_id"], None, table(
                     ["orig_companies_id", "term_companies_id", Q], (ROOT, None, 1),
                     (CUST2, None, 1), (ROOT, CUST2, 1), (RES, ROOT, 1), (CUST1, ROOT, 2),
                     (CUST2, ROOT, 1)), id="two-entries"),
    pytest.param(["session_id"], [], 2, ids("s1", "s2"), id="limit-alone"),
    pytest.param(["session_id"], ["-session_id"], 1, ids("s7"), id="limit-1"),
]


@pytest.mark.parametrize("return_fields, order, limit, expected", ORDER)
async def test_order_then_singular_fields_then_limit(query, return_fields, order, limit,
                                                     expected):
    assert await query({"return_fields": return_fields, "order": order, "limit": limit}) \
        == expected


@pytest.mark.parametrize("order, limit, expected", [
    (["-duration"], 2, [("s1", Since(S1_START)), ("s5", Since(S5_START))]),
    (["duration"], 4, [("s2", 0), ("s4", 0), ("s6", 0), ("s3", Since(S3_START))]),
])
async def test_order_by_duration(query, order, limit, expected):
    assert await query({"return_fields": ["session_id", "duration"], "order": order,
                        "limit": limit}) == table(["session_id", "duration"], *expected)


# --- rollup ---------------------------------------------------------------------------------

OC, EQ, TC = "orig_companies_id", "equipment_id", "term_companies_id"
ROLLUPS = [  # (params, expected)
    pytest.param({"return_fields": [Q]}, [{Q: 7, "row_type": "total"}], id="no-field"),
    pytest.param({"return_fields": [EQ, Q]}, rollup(
        [EQ, Q], ("row", 71, 3), ("row", 72, 2), ("row", None, 2), ("total", None, 7)),
        id="one-field-null-group"),
    pytest.param({"return_fields": [OC, EQ, Q]}, rollup(
        [OC, EQ, Q],
        ("row", ROOT, 71, 1), ("row", ROOT, None, 1), ("subtotal", ROOT, None, 2),
        ("row", RES, 72, 1), ("subtotal", RES, None, 1),
        ("row", CUST1, 71, 2), ("subtotal", CUST1, None, 2),
        ("row", CUST2, 72, 1), ("row", CUST2, None, 1), ("subtotal", CUST2, None, 2),
        ("total", None, None, 7)), id="two-fields"),
    pytest.param({"return_fields": [TC, OC, EQ, Q]}, rollup(
        [TC, OC, EQ, Q],
        ("row", ROOT, RES, 72, 1), ("subtotal", ROOT, RES, None, 1),
        ("row", ROOT, CUST1, 71, 2), ("subtotal", ROOT, CUST1, None, 2),
        ("row", ROOT, CUST2, 72, 1), ("subtotal", ROOT, CUST2, None, 1),
        ("subtotal", ROOT, None, None, 4),
        ("row", CUST2, ROOT, None, 1), ("subtotal", CUST2, ROOT, None, 1),
        ("subtotal", CUST2, None, None, 1),
        ("row", None, ROOT, 71, 1), ("subtotal", None, ROOT, None, 1),
        ("row", None, CUST2, None, 1), ("subtotal", None, CUST2, None, 1),
        ("subtotal", None, None, None, 2),  # the sessions without a term leg
        ("total", None, None, None, 7)), id="three-fields-null-term"),
    pytest.param({"return_fields": [OC, EQ, Q], "order": ["-orig_companies_id"]}, rollup(
        [OC, EQ, Q],
        ("row", CUST2, 72, 1), ("row", CUST2, None, 1), ("subtotal", CUST2, None, 2),
        ("row", CUST1, 71, 2), ("subtotal", CUST1, None, 2),
        ("row", RES, 72, 1), ("subtotal", RES, None, 1),
        ("row", ROOT, 71, 1), ("row", ROOT, None, 1), ("subtotal", ROOT, None, 2),
        ("total", None, None, 7)), id="desc"),
    pytest.param({"return_fields": [OC, EQ, Q], "order": ["-quantity"], "limit": 2}, rollup(
        [OC, EQ, Q],
        ("row", CUST1, 71, 2), ("subtotal", CUST1, None, 2),
        ("row", ROOT, 71, 1), ("subtotal", ROOT, None, 2),  # s7 counts, though cut
        ("total", None, None, 7)), id="limit-top-quantity"),
    pytest.param({"return_fields": [TC, OC, EQ, Q], "limit": 2}, rollup(
        [TC, OC, EQ, Q],
        ("row", ROOT, RES, 72, 1), ("subtotal", ROOT, RES, None, 1),
        ("row", ROOT, CUST1, 71, 2), ("subtotal", ROOT, CUST1, None, 2),
        ("subtotal", ROOT, None, None, 4), ("total", None, None, None, 7)), id="limit-three"),
    pytest.param({"return_fields": [OC, Q], "filters": {"equipment_id": [71]}}, rollup(
        [OC, Q], ("row", ROOT, 1), ("row", CUST1, 2), ("total", None, 3)), id="filtered"),
    pytest.param({"return_fields": ["session_setup_time", "session_id", Q],
                  "filters": {"orig_companies_id": [CUST2]}, "timezone": "Europe/Vilnius"},
                 rollup(["session_setup_time", "session_id", Q],
                        ("row", "2026-10-25 03:30:00", "s3", 1),
                        ("row", "2026-10-25 03:30:00", "s4", 1),
                        ("subtotal", "2026-10-25 03:30:00", None, 2),
                        ("total", None, None, 2)), id="repeated-hour"),
]


@pytest.mark.parametrize("params, expected", ROLLUPS)
async def test_rollup(query, params, expected):
    assert await query({**params, "group": "rollup"}) == expected


# --- code decks and time zones --------------------------------------------------------------

CODES = ["session_id", "orig_rates_code", "orig_rates_code_name", "term_rates_code",
         "term_rates_code_name"]
CODE_DECKS = [
    (None, [("s1", "3706", "Lithuania Mobile", "3706", "LT mobile (alt)"),
            ("s2", "371", "Latvia", "37", "Baltics (alt)"),
            ("s3", "49", "Germany", "49", None),
            ("s4", None, None, None, None),
            ("s5", "370", "Lithuania", "3706", "LT mobile (alt)"),
            ("s6", "3706", "Lithuania Mobile", None, None),
            ("s7", "371", "Latvia", "371", "Latvia")]),
    (7, [("s1", "3706", "Lithuania Mobile", "3706", "Lithuania Mobile"),
         ("s2", "371", "Latvia", "37", None),
         ("s3", "49", "Germany", "49", "Germany"),
         ("s4", None, None, None, None),
         ("s5", "370", "Lithuania", "3706", "Lithuania Mobile"),
         ("s6", "3706", "Lithuania Mobile", None, None),
         ("s7", "371", "Latvia", "371", "Latvia")]),
    (8, [("s1", "3706", "LT mobile (alt)", "3706", "LT mobile (alt)"),
         ("s2", "371", None, "37", "Baltics (alt)"),
         ("s3", "49", None, "49", None),
         ("s4", None, None, None, None),
         ("s5", "370", "LT (alt)", "3706", "LT mobile (alt)"),
         ("s6", "3706", "LT mobile (alt)", None, None),
         ("s7", "371", None, "371", None)]),
    (9, [("s1", "3706", "C2 mobile", "3706", "C2 mobile"),
         ("s2", "371", None, "37", None),
         ("s3", "49", "C2 Germany", "49", "C2 Germany"),
         ("s4", None, None, None, None),
         ("s5", "370", None, "3706", "C2 mobile"),
         ("s6", "3706", "C2 mobile", None, None),
         ("s7", "371", None, "371", None)]),
]


@pytest.mark.parametrize("deck, expected", CODE_DECKS)
async def test_code_decks_id_names_the_codes(query, deck, expected):
    assert await query({"return_fields": CODES, "code_decks_id": deck}) == table(CODES, *expected)


async def test_grouping_on_code_names_of_another_deck(query):
    assert await query({"return_fields": ["orig_rates_code_name", Q], "code_decks_id": 9}) == \
        table(["orig_rates_code_name", Q], ("C2 Germany", 1), ("C2 mobile", 2), (None, 4))


TIMES = ["session_id", "session_setup_time", "session_start_time"]
VILNIUS = table(TIMES, ("s1", "2026-03-29 02:30:00", "2026-03-29 02:30:05"),
                ("s2", "2026-03-29 04:30:00", None),
                ("s3", "2026-10-25 03:30:00", "2026-10-25 03:30:03"),
                ("s4", "2026-10-25 03:30:00", None),
                ("s5", "2026-06-01 15:00:00", "2026-06-01 15:00:10"),
                ("s6", "2026-06-01 15:00:00", None),
                ("s7", "2026-06-01 15:05:00", "2026-06-01 15:05:02"))
TIMEZONES = [
    pytest.param({"return_fields": TIMES, "timezone": "Europe/Vilnius"}, VILNIUS, id="vilnius"),
    pytest.param({"return_fields": TIMES, "timezone": "UTC"},
                 [{k: ROWS[r["session_id"]][k] for k in TIMES} for r in VILNIUS], id="utc"),
    pytest.param({"return_fields": ["session_setup_time", Q], "timezone": "Europe/Vilnius"},
                 table(["session_setup_time", Q], ("2026-03-29 02:30:00", 1),
                       ("2026-03-29 04:30:00", 1), ("2026-06-01 15:00:00", 2),
                       ("2026-06-01 15:05:00", 1), ("2026-10-25 03:30:00", 2)),
                 id="vilnius-repeated-hour-one-row"),
    pytest.param({"return_fields": ["session_setup_time", Q], "timezone": "Asia/Kolkata"},
                 table(["session_setup_time", Q], ("2026-03-29 06:00:00", 1),
                       ("2026-03-29 07:00:00", 1), ("2026-06-01 17:30:00", 2),
                       ("2026-06-01 17:35:00", 1), ("2026-10-25 06:00:00", 1),
                       ("2026-10-25 07:00:00", 1)), id="half-hour-offset"),
    pytest.param({"return_fields": ["session_id", "session_setup_time"],
                  "order": ["-session_setup_time"], "limit": 3, "timezone": "Europe/Vilnius"},
                 table(["session_id", "session_setup_time"], ("s3", "2026-10-25 03:30:00"),
                       ("s4", "2026-10-25 03:30:00"), ("s7", "2026-06-01 15:05:00")),
                 id="vilnius-order-by-wall-time"),
]


@pytest.mark.parametrize("params, expected", TIMEZONES)
async def test_times_in_the_requested_zone(query, params, expected):
    assert await query(params) == expected


# --- tenancy --------------------------------------------------------------------------------

VISIBLE = [
    (ADMIN, ["s1", "s2", "s3", "s4", "s5", "s6", "s7"]),
    (ACCOUNTANT, ["s1", "s2", "s3", "s4", "s5", "s6", "s7"]),
    (RESELLER, ["s1", "s2", "s3", "s4", "s5", "s7"]),
    (("admin", "res"), ["s1", "s2", "s3", "s4", "s5", "s7"]),
    (CUSTOMER1, ["s1", "s2"]),
    (CUSTOMER2, ["s3", "s4", "s7"]),  # s7 through its term leg
    (("accountant", "cust2"), ["s3", "s4", "s7"]),
]


@pytest.mark.parametrize("caller, expected", VISIBLE)
async def test_a_session_is_visible_with_a_leg_in_the_callers_subtree(query, caller, expected):
    assert await query({"return_fields": ["session_id"]}, caller) == ids(*expected)
    assert await query({"return_fields": [Q]}, caller) == [{Q: len(expected)}]


@pytest.mark.parametrize("caller, expected", [
    (RESELLER, [hide("s1", "term"), hide("s2", "term"), hide("s3", "term"), ROWS["s4"],
                hide("s5", "term"), hide("s7", "orig")]),
    (CUSTOMER1, [hide("s1", "term"), hide("s2", "term")]),
    (CUSTOMER2, [hide("s3", "term"), ROWS["s4"], hide("s7", "orig")]),
])
async def test_a_leg_outside_the_subtree_keeps_only_its_id_and_parties(query, caller, expected):
    assert await query({"return_fields": SINGULAR}, caller) == expected


TENANCY = [  # (caller, params, expected): filters, grouping, order and rollup see the nulls
    (CUSTOMER1, {"return_fields": ["session_id"], "filters": {"term_clients_id": [901]}}, []),
    (CUSTOMER1, {"return_fields": [Q], "filters": {"term_companies_id": [ROOT]}}, [{Q: 0}]),
    (CUSTOMER1, {"return_fields": [Q], "filters": {"orig_companies_id": [CUST2]}}, [{Q: 0}]),
    (RESELLER, {"return_fields": ["session_id"], "filters": {"orig_clients_id": [401]}}, []),
    (CUSTOMER2, {"return_fields": ["session_id", "orig_clients_id", "term_clients_name"],
                 "filters": {"term_clients_id": [202]}},
     [{"session_id": "s7", "orig_clients_id": None, "term_clients_name": "C2 Wholesale"}]),
    (CUSTOMER2, {"return_fields": [TC, Q]}, table([TC, Q], (CUST2, 1), (None, 2))),
    (CUSTOMER2, {"return_fields": ["term_accounts_name", Q], "order": ["-term_accounts_name"]},
     table(["term_accounts_name", Q], (None, 2), ("c2-trunk", 1))),
    (CUSTOMER2, {"return_fields": [TC, Q], "group": "rollup"},
     rollup([TC, Q], ("row", CUST2, 1), ("row", None, 2), ("total", None, 3))),
    (CUSTOMER1, {"return_fields": ["orig_accounts_id", Q], "group": "rollup"},
     rollup(["orig_accounts_id", Q], ("row", 111, 1), ("row", 112, 1), ("total", None, 2))),
    (CUSTOMER1, {"return_fields": ["term_clients_id", Q], "group": "rollup"},
     rollup(["term_clients_id", Q], ("row", None, 2), ("total", None, 2))),
    (RESELLER, {"return_fields": [OC, TC, Q], "group": "rollup"}, rollup(
        [OC, TC, Q], ("row", RES, None, 1), ("subtotal", RES, None, 1),
        ("row", CUST1, None, 2), ("subtotal", CUST1, None, 2),
        ("row", CUST2, None, 2), ("subtotal", CUST2, None, 2),
        ("row", None, CUST2, 1), ("subtotal", None, None, 1), ("total", None, None, 6))),
    (CUSTOMER1, {"return_fields": ["orig_rates_code_name", Q], "code_decks_id": 7},
     table(["orig_rates_code_name", Q], ("Latvia", 1), ("Lithuania Mobile", 1))),
    (CUSTOMER2, {"return_fields": ["session_id", "orig_rates_code_name"], "code_decks_id": 9},
     table(["session_id", "orig_rates_code_name"], ("s3", "C2 Germany"), ("s4", None),
           ("s7", None))),
    (RESELLER, {"return_fields": [Q], "filters": {"orig_rates_code_name": ["C2 mobile"]},
                "code_decks_id": 9}, [{Q: 1}]),  # s1; s6 is outside
]


@pytest.mark.parametrize("caller, params, expected", TENANCY)
async def test_hidden_values_are_null_for_filters_grouping_and_rollup(query, caller, params,
                                                                      expected):
    assert await query(params, caller) == expected


async def test_a_session_id_used_by_two_tenants_is_one_group(query, rpc, ingest_key):
    twin = call("s1", "cust2", "2026-03-01T00:00:00Z", None, None, [
        leg("x-o", "orig", "37052000009", "+37061234567", CUST_TWO, C2_PBX, BOB)])
    assert await rpc("ingest.sessions", {"records": [twin]}, key=ingest_key) == ok(
        answer(accepted=1))
    params = {"return_fields": ["session_id", Q], "filters": {"orig_clients_id": [101, 201]}}
    assert await query(params) == table(["session_id", Q], ("s1", 2), ("s2", 1), ("s3", 1),
                                        ("s4", 1))
    assert await query(params, CUSTOMER1) == table(["session_id", Q], ("s1", 1), ("s2", 1))


async def test_the_ingest_role_may_not_call(rpc, live, ingest_key):
    assert await rpc(METHOD, {"return_fields": [Q]}, key=ingest_key) == forbidden("ingest", METHOD)


@pytest.mark.parametrize("params, expected", [
    ([["session_id"], {"equipment_id": [72]}, ["-session_id"], 1], ids("s5")),
    ([[EQ, Q], {"equipment_id": [72]}, [], None, "rollup", 8, "UTC"],
     rollup([EQ, Q], ("row", 72, 2), ("total", None, 2))),
])
async def test_params_by_position(query, params, expected):
    assert await query(params) == expected


# --- errors ---------------------------------------------------------------------------------

LIMIT = "Must be greater than or equal to 1 and less than or equal to 100000."
RF = {"return_fields": [Q]}
ERRORS = [  # (params, the data of the -32602 answer)
    ({}, {"return_fields": "Missing data for required field."}),
    ({"return_fields": []}, {"return_fields": "Empty value is not allowed"}),
    ({"return_fields": ["session_id", "foo", "bar"]}, {"return_fields": "Unknown field: foo"}),
    ({"return_fields": ["orig_leg_id", Q, "orig_leg_id"]},
     {"return_fields": "Duplicate field: orig_leg_id"}),
    ({**RF, "order": ["foo"]}, {"order": "Unknown field: foo"}),
    ({**RF, "order": ["-foo"]}, {"order": "Unknown field: foo"}),
    ({**RF, "order": ["orig_leg_id"]}, {"order": "Field orig_leg_id is not in return_fields"}),
    ({**RF, "order": ["-orig_leg_id"]}, {"order": "Field orig_leg_id is not in return_fields"}),
    ({**RF, "order": ["-duration"]}, {"order": "Field duration is not in return_fields"}),
    ({**RF, "filters": {"orig_clients_id": []}},
     {"filters": {"orig_clients_id": "Empty value is not allowed"}}),
    ({**RF, "filters": {"nope": [1]}}, {"filters": {"nope": "Unknown field."}}),
    ({**RF, "limit": 0}, {"limit": LIMIT}),
    ({**RF, "limit": 100001}, {"limit": LIMIT}),
    ({**RF, "group": "cube"}, {"group": "Must be one of: rollup."}),
    ({**RF, "timezone": "Mars/Olympus"}, {"timezone": "Unknown time zone 'Mars/Olympus'"}),
    ({**RF, "code_decks_id": 99}, {"code_decks_id": 'Object "code_decks(99)" was not found!'}),
    ({"return_fields": "quantity"}, {"return_fields": "Not a valid list."}),
    ({"return_fields": [Q, 7]}, {"return_fields": {"1": "Not a valid string."}}),
    ({**RF, "order": "quantity"}, {"order": "Not a valid list."}),
    ({**RF, "filters": {"orig_clients_id": ["101"]}},
     {"filters": {"orig_clients_id": {"0": "Not a valid integer."}}}),
    ({**RF, "filters": {"term_accounts_id": [1, 2.5]}},
     {"filters": {"term_accounts_id": {"1": "Not a valid integer."}}}),
    ({**RF, "filters": {"orig_rates_code": ["370", 370]}},
     {"filters": {"orig_rates_code": {"1": "Not a valid string."}}}),
    ({**RF, "filters": {"equipment_id": 71}}, {"filters": {"equipment_id": "Not a valid list."}}),
    ({**RF, "limit": "10"}, {"limit": "Not a valid integer."}),
    ({**RF, "limit": 1.5}, {"limit": "Not a valid integer."}),
    ({**RF, "code_decks_id": "7"}, {"code_decks_id": "Not a valid integer."}),
    ({**RF, "timezone": 3}, {"timezone": "Not a valid string."}),
    ({**RF, "group": 1}, {"group": "Not a valid string."}),
    ({**RF, "limit": 0, "group": "cube"}, {"limit": LIMIT, "group": "Must be one of: rollup."}),
]


@pytest.mark.parametrize("params, data", ERRORS)
async def test_invalid_params(rpc, live, params, data):
    assert await rpc(METHOD, params) == invalid(data)


async def test_a_code_deck_outside_the_callers_subtree_and_ancestors_is_not_found(
        rpc, live, make_key):
    key = await make_key("customer", "cust1", rate_limit="unlimited")
    assert await rpc(METHOD, {**RF, "code_decks_id": 9}, key=key) == missing_object(
        "code_decks_id", "code_decks", "9")


# --- the dialect route ----------------------------------------------------------------------

def route_error(envelope: dict[str, Any]) -> dict[str, Any]:
    """The body of a route error: the /rpc error object without `code`."""
    return {"error": {k: v for k, v in envelope["error"].items() if k != "code"}}


async def post_route(client: Any, body: Any, headers: dict[str, str]) -> tuple[int, Any]:
    data = body if isinstance(body, (str, bytes)) else None
    response = await client.post(ROUTE, data=data, json=None if data is not None else body,
                                 headers={"Content-Type": "application/json", **headers})
    return response.status, await response.json(content_type=None)


async def test_the_route_answers_the_rows(client, live, admin_key, make_key):
    assert await post_route(client, {"return_fields": [EQ, Q]}, {"X-Api-Key": admin_key}) == (
        200, table([EQ, Q], (71, 3), (72, 2), (None, 2)))
    key = await make_key("customer", "cust1", rate_limit="unlimited")
    assert await post_route(client, {"return_fields": [Q], "group": "rollup"},
                            {"Authorization": f"Bearer {key}"}) == (
        200, [{Q: 2, "row_type": "total"}])


async def test_route_errors(client, live, admin_key, ingest_key):
    admin = {"X-Api-Key": admin_key}
    cases = [
        ({"return_fields": []}, admin,
         400, route_error(invalid({"return_fields": "Empty value is not allowed"}))),
        ({**RF, "code_decks_id": 99}, admin,
         400, route_error(missing_object("code_decks_id", "code_decks", "99"))),
        (RF, {}, 401, route_error(auth_failed("no API key was sent"))),
        (RF, {"X-Api-Key": "nope.nope"}, 401, route_error(auth_failed("unknown API key"))),
        (RF, {"X-Api-Key": ingest_key}, 403, route_error(forbidden("ingest", METHOD))),
    ]
    for body, headers, status, expected in cases:
        assert await post_route(client, body, headers) == (status, expected), body
    for bad_body in ("{not json", '"return_fields"'):
        status, answer_ = await post_route(client, bad_body, admin)
        assert status == 400, (bad_body, answer_)
        assert set(answer_) == {"error"} and set(answer_["error"]) == {"message", "data"}, \
            answer_
