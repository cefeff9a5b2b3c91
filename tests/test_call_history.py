"""`GetCallHistory` on /rpc (spec methods.md section 3; CallSessionInfoType and the nested
types of vendor-notes.md section 3), over one fixed set of sessions, on every engine.

Tenants: root > res > cust1. Sessions (setup times UTC):

| session | tenant | setup          | kind  | what                                             |
|---------|--------|----------------|-------|--------------------------------------------------|
| h1      | root   | 03-01 10:00:00 | call  | app 5 `ivr`, rule `inbound`, user 7; answered |
|         |        |                |       | after 5 s, 60 s; a failed attempt; a recording; |
|         |        |                |       | an ASR charge                                    |
| h3      | cust1  | 03-01 11:00:00 | call  | user 7 of cust1's, not answered                  |
| h2      | root   | 03-01 12:00:00 | call  | not answered; user 8 on the terminating attempt   |
| h4      | root   | 03-02 09:00:00 | video | participants: users 7 and 9, 300 s              |
| live    | root   | 03-01 13:00:00 | call  | still active: in no history                      |
| old     | root   | 02-28 23:59:59 | call  | before the range                                 |
"""

from __future__ import annotations

import csv
import io
import json
from typing import Any

import pytest
from envelopes import answer, forbidden, invalid, not_found, ok

from gateway.web import appkeys

METHOD = "GetCallHistory"
RANGE = {"from_date": "2026-03-01 00:00:00", "to_date": "2026-03-02 23:59:59"}
CUSTOM = 'a,b "q"\nline'
APP = {"id": 5, "name": "ivr"}
RANGE_TEXT = "Must be greater than or equal to {} and less than or equal to {}."
BAD_DATE = "Invalid date format: expected YYYY-MM-DD HH:mm:ss."


def leg(leg_id: str, role: str, src: str | None, dst: str | None, **more: Any) -> dict:
    return {"leg_id": leg_id, "role": role, "src": src, "dst": dst, **more}


SESSIONS = [
    {"session_id": "h1", "tenant": "root", "setup_time": "2026-03-01T10:00:00Z",
     "start_time": "2026-03-01T10:00:05Z", "end_time": "2026-03-01T10:01:05Z",
     "application": APP, "rule_name": "inbound", "custom_data": CUSTOM,
     "audio_quality": "HD", "finish_reason": "Normal termination",
     "initiator_address": "10.0.0.1", "media_server_address": "10.0.0.2",
     "log_file_url": "https://logs.example/h1.log",
     "legs": [
         leg("o", "orig", "+37052000001", "+37061234567", user={"id": 7, "name": "u7"},
             start_time="2026-03-01T10:00:05Z", billsec=60, amount="0.50", currency="USD",
             disposition="ANSWERED", hangup_cause=16),
         leg("t1", "term", "37052000001", "sip:gw@carrier", disposition="FAILED",
             hangup_cause=34)],
     "records": [{"record_id": 31, "url": "https://rec.example/31.mp3", "name": "r31",
                  "start_time": "2026-03-01T10:00:05Z", "duration": 60, "file_size": 1000,
                  "cost": "0.01"}],
     "resources": [{"resource_usage_id": 41, "resource_type": "ASR", "quantity": "1.5",
                    "unit": "minute", "cost": "0.02", "description": "speech",
                    "used_at": "2026-03-01T10:00:30Z", "ref_leg_id": "o"}]},
    {"session_id": "h3", "tenant": "cust1", "setup_time": "2026-03-01T11:00:00Z",
     "end_time": "2026-03-01T11:00:20Z",
     "legs": [leg("o", "orig", "100", "200", user={"id": 70, "name": "c7"})]},
    {"session_id": "h2", "tenant": "root", "setup_time": "2026-03-01T12:00:00Z",
     "end_time": "2026-03-01T12:00:30Z",
     "legs": [leg("o", "orig", "+4930123", "+4930456"),
              leg("t", "term", "4930123", "4930456", user={"id": 8, "name": "u8"},
                  disposition="NO ANSWER")]},
    {"session_id": "h4", "kind": "video", "tenant": "root", "setup_time": "2026-03-02T09:00:00Z",
     "start_time": "2026-03-02T09:00:00Z", "end_time": "2026-03-02T09:05:00Z",
     "room_id": "room-1", "app_type": "vc",
     "legs": [leg("p1", "participant", None, None, user={"id": 7, "name": "u7"}),
              leg("p2", "participant", None, None, user={"id": 9, "name": "u9"})]},
    {"session_id": "live", "tenant": "root", "setup_time": "2026-03-01T13:00:00Z",
     "legs": [leg("o", "orig", "1", "2")]},
    {"session_id": "old", "tenant": "root", "setup_time": "2026-02-28T23:59:59Z",
     "end_time": "2026-03-01T00:00:10Z", "legs": [leg("o", "orig", "1", "2")]},
]


@pytest.fixture
async def ids(client: Any, rpc: Any, ingest_key: str, make_tenant: Any) -> dict[str, int]:
    """The stored sessions' ids by their source ids; the tenants' ids by name."""
    await make_tenant("res")
    await make_tenant("cust1", "res")
    response = await rpc("ingest.sessions", {"records": SESSIONS}, key=ingest_key)
    assert response == ok(answer(accepted=len(SESSIONS))), response
    db = client.app[appkeys.DB]
    rows = await db.fetch_all("SELECT id, source_id FROM sessions")
    tenants = await db.fetch_all("SELECT id, name FROM tenants")
    return {**{r["source_id"]: int(r["id"]) for r in rows},
            **{r["name"]: int(r["id"]) for r in tenants}}


@pytest.fixture
def history(rpc: Any, make_key: Any, ids: dict[str, int]) -> Any:
    """`await history(params, caller=(role, tenant))` -> the whole response."""
    keys: dict[tuple[str, str], str] = {}

    async def run(params: dict[str, Any], caller: tuple[str, str] = ("admin", "root")) -> Any:
        if caller not in keys:
            keys[caller] = await make_key(*caller, rate_limit="unlimited")
        return await rpc(METHOD, {**RANGE, **params}, key=keys[caller])
    return run


def listed(ids: dict[str, int], *names: str) -> list[int]:
    return [ids[n] for n in names]


async def session_ids(history: Any, params: dict[str, Any], **more: Any) -> list[int]:
    response = await history(params, **more)
    assert "result" in response, response
    return [s["call_session_history_id"] for s in response["result"]["result"]]


async def test_the_first_session_in_full(history: Any, ids: dict[str, int]) -> None:
    response = await history({"with_calls": True, "with_records": True, "count": 1})
    h1 = ids["h1"]
    calls = response["result"]["result"][0].pop("calls")
    orig, term = calls[0]["call_id"], calls[1]["call_id"]  # the legs' own ids
    assert response == ok({"result": [{
        "audio_quality": "HD", "rule_name": "inbound", "application_name": "ivr",
        "call_session_history_id": h1, "account_id": ids["root"], "application_id": 5,
        "user_id": 7, "start_date": "2026-03-01 10:00:00", "duration": 65,
        "initiator_address": "10.0.0.1", "media_server_address": "10.0.0.2",
        "log_file_url": "https://logs.example/h1.log", "finish_reason": "Normal termination",
        "custom_data": CUSTOM,
        "other_resource_usage": [{
            "resource_usage_id": 41, "resource_type": "ASR", "cost": 0.02,
            "description": "speech", "used_at": "2026-03-01 10:00:30", "transaction_id": 41,
            "resource_quantity": 1.5, "unit": "minute", "ref_call_id": orig}],
        "records": [{
            "record_id": 31, "record_name": "r31", "cost": 0.01,
            "start_time": "2026-03-01 10:00:05", "duration": 60,
            "record_url": "https://rec.example/31.mp3", "transaction_id": 31,
            "file_size": 1000}]}],
        "total_count": 3, "count": 1, "timezone": "Etc/GMT"})
    assert calls == [
        {"call_id": orig, "start_time": "2026-03-01 10:00:00", "duration": 60,
         "local_number": "+37061234567", "remote_number": "+37052000001",
         "remote_number_type": "pstn", "incoming": True, "successful": True,
         "transaction_id": orig, "media_server_address": "10.0.0.2", "cost": 0.5,
         "custom_data": CUSTOM, "end_reason": {"code": 16, "description": "ANSWERED"}},
        {"call_id": term, "start_time": "2026-03-01 10:00:00", "local_number": "37052000001",
         "remote_number": "sip:gw@carrier", "remote_number_type": "sip", "incoming": False,
         "successful": False, "transaction_id": term, "media_server_address": "10.0.0.2",
         "custom_data": CUSTOM, "end_reason": {"code": 34, "description": "FAILED"}}]


@pytest.mark.parametrize("params, expected", [
    ({}, ("h1", "h2", "h4")),
    ({"desc_order": True}, ("h4", "h2", "h1")),
    ({"count": 1, "offset": 1}, ("h2",)),
    ({"offset": 3}, ()),
    ({"from_date": "2026-03-01 10:00:01"}, ("h2", "h4")),
    ({"to_date": "2026-03-01 12:00:00"}, ("h1", "h2")),
    ({"from_date": "2026-02-28 23:59:59"}, ("old", "h1", "h2", "h4")),
    ({"user_id": [7]}, ("h1", "h4")),
    ({"user_id": [8]}, ("h2",)),  # the user of a terminating attempt: calls to the user
    ({"user_id": [8, 9]}, ("h2", "h4")),
    ({"remote_number": ["+37052000001"]}, ("h1",)),
    ({"remote_number": ["4930456"]}, ("h2",)),  # the attempt's destination
    ({"local_number": ["+37061234567", "4930123"]}, ("h1", "h2")),
    ({"application_id": 5}, ("h1",)),
    ({"application_name": "ivr", "rule_name": "inbound"}, ("h1",)),
    ({"application_name": "ivr", "rule_name": "other"}, ()),
    ({"call_session_history_custom_data": CUSTOM}, ("h1",)),
    ({"child_account_id": "all"}, ("h1", "h3", "h2", "h4")),
    ({"child_account_id": "all", "children_calls_only": True}, ("h3",)),
    ({"timezone": "Europe/Vilnius", "from_date": "2026-03-01 12:00:00",
      "to_date": "2026-03-01 14:00:00"}, ("h1", "h2")),  # 10:00 and 12:00 UTC
])
async def test_filters_order_and_paging(history: Any, ids: dict[str, int],
                                        params: dict[str, Any], expected: tuple[str, ...]):
    assert await session_ids(history, params) == listed(ids, *expected)


async def test_child_accounts_by_id_and_tenancy(history: Any, ids: dict[str, int]) -> None:
    assert await session_ids(history, {"child_account_id": [ids["cust1"]]}) == \
        listed(ids, "h1", "h3", "h2", "h4")
    # a reseller covers its own tenant (no session) unless it names its descendants
    assert await session_ids(history, {}, caller=("reseller", "res")) == []
    assert await session_ids(history, {"child_account_id": "all"},
                             caller=("reseller", "res")) == listed(ids, "h3")
    assert await history({"child_account_id": [ids["root"]]}, caller=("reseller", "res")) == \
        invalid({"child_account_id": f'Object "tenants({ids["root"]})" was not found!'})
    assert await session_ids(history, {}, caller=("accountant", "root")) == \
        listed(ids, "h1", "h2", "h4")


async def test_dates_come_back_in_the_zone_and_totals_can_be_left_out(history: Any) -> None:
    response = await history({"timezone": "Europe/Vilnius", "with_total_count": False,
                              "from_date": "2026-03-01 12:00:00", "count": 1})
    assert response["result"]["result"][0]["start_date"] == "2026-03-01 12:00:00"
    assert "total_count" not in response["result"]
    assert response["result"]["timezone"] == "Europe/Vilnius"


async def test_nested_lists_only_when_asked(history: Any) -> None:
    plain = (await history({"with_other_resources": False}))["result"]["result"]
    assert all(not {"calls", "records", "other_resource_usage"} & set(s) for s in plain)


async def test_csv_parsed_back_equals_the_json_rows(history: Any) -> None:
    rows = (await history({}))["result"]["result"]
    text = (await history({"output": "csv"}))["result"]["result"]
    assert text.endswith("\r\n")
    parsed = list(csv.DictReader(io.StringIO(text, newline="")))
    assert len(parsed) == len(rows) == 3
    for got, row in zip(parsed, rows):
        expected = {k: str(v) for k, v in row.items()
                    if k not in ("calls", "records", "other_resource_usage")}
        assert {k: v for k, v in got.items() if v != ""} == expected
    bare = (await history({"output": "csv", "with_header": False}))["result"]["result"]
    assert bare == text.split("\r\n", 1)[1]


@pytest.mark.parametrize("params, data", [
    ({"count": 1001}, {"count": RANGE_TEXT.format(1, 1000)}),
    ({"offset": 10_001}, {"offset": RANGE_TEXT.format(0, 10000)}),
    ({"call_session_history_id": list(range(1, 1002))},
     {"call_session_history_id": "At most 1000 values."}),
    ({"from_date": "2026-03-01"}, {"from_date": BAD_DATE}),
    ({"from_date": "2026-03-03 00:00:00"}, {"from_date": "Must not be after to_date."}),
    ({"rule_name": "inbound"},
     {"rule_name": "Applies only with application_id or application_name."}),
    ({"application_id": 5, "application_name": "ivr"},
     {"application_name": "Give application_id or application_name, not both."}),
    ({"application_id": 6}, {"application_id": 'Object "applications(6)" was not found!'}),
    ({"timezone": "Mars/Olympus"}, {"timezone": "Unknown time zone 'Mars/Olympus'"}),
    ({"output": "xml"}, {"output": "Must be one of: json, csv."}),
    ({"with_calls": "true"}, {"with_calls": "Not a valid boolean."}),
])
async def test_bad_params_name_the_field(history: Any, params: dict[str, Any],
                                         data: dict[str, Any]) -> None:
    assert await history(params) == invalid(data)


async def test_delete_record_removes_it_once_and_is_audited(
        client: Any, rpc: Any, history: Any, make_key: Any) -> None:
    reseller = await make_key("reseller", "res", rate_limit="unlimited")
    assert await rpc("DeleteRecord", {"record_id": 31}, key=reseller) == \
        not_found("records", "31")  # root's recording is outside the reseller's subtree
    accountant = await make_key("accountant", rate_limit="unlimited")
    assert await rpc("DeleteRecord", {"record_id": 31}, key=accountant) == \
        forbidden("accountant", "DeleteRecord")
    customer = await make_key("customer", "cust1", rate_limit="unlimited")
    assert await rpc("DeleteRecord", {"record_id": 31}, key=customer) == \
        not_found("records", "31")  # a customer may delete, in its own tenant
    assert await rpc("DeleteRecord", {"record_url": "https://rec.example/31.mp3"}) == \
        ok({"result": 1})
    assert await rpc("DeleteRecord", {"record_id": 31}) == not_found("records", "31")
    first = (await history({"with_records": True, "count": 1}))["result"]["result"][0]
    assert "records" not in first and first["other_resource_usage"]
    db = client.app[appkeys.DB]
    rows = await db.fetch_all("SELECT method, object, args, result FROM audit_log "
                              "WHERE method IN ('DeleteRecord', 'keys.create') ORDER BY id")
    (deleted,) = [r for r in rows if r["method"] == "DeleteRecord"]
    assert (deleted["object"], json.loads(deleted["args"]), json.loads(deleted["result"])) == \
        ("records(31)", {"record_url": "https://rec.example/31.mp3", "record_id": None},
         {"result": 1})
    made = json.loads(rows[0]["result"])
    assert (made["key"], made["mor_secret"]) == ("***", "***")


@pytest.mark.parametrize("params", [{}, {"record_id": 31, "record_url": "x"}])
async def test_delete_record_takes_exactly_one_of_id_and_url(rpc: Any, ids: dict[str, int],
                                                             params: dict[str, Any]) -> None:
    assert await rpc("DeleteRecord", params) == \
        invalid({"record_id": "Give record_url or record_id (exactly one)."})


async def test_paging_is_stable_while_calls_arrive(client: Any, rpc: Any, ingest_key: str,
                                                   history: Any, ids: dict[str, int]) -> None:
    """Sessions set up in the same second page by their unique id; calls arriving between
    page reads (later, as calls do) neither repeat nor skip a row of the earlier pages."""
    def same_second(n: int) -> dict[str, Any]:
        return {"session_id": f"tie{n}", "tenant": "root", "setup_time": "2026-03-02T10:00:00Z",
                "end_time": "2026-03-02T10:00:09Z", "legs": [leg("o", "orig", "1", "2")]}
    ties = [same_second(n) for n in range(5)]
    assert await rpc("ingest.sessions", {"records": ties[::-1]}, key=ingest_key) == \
        ok(answer(accepted=5))
    window = {"from_date": "2026-03-02 10:00:00"}
    seen: list[int] = []
    for page in range(3):
        seen += await session_ids(history, {**window, "count": 2, "offset": 2 * page})
        late = {**same_second(100 + page), "session_id": f"late{page}",
                "setup_time": f"2026-03-02T11:0{page}:00Z", "end_time": "2026-03-02T12:00:00Z"}
        assert await rpc("ingest.sessions", {"records": [late]}, key=ingest_key) == \
            ok(answer(accepted=1))
    stored = await client.app[appkeys.DB].fetch_all(
        "SELECT id FROM sessions WHERE source_id LIKE 'tie%' ORDER BY id")
    assert seen[:5] == [int(r["id"]) for r in stored]
    assert len(seen) == len(set(seen)) == 6  # five ties, then the first late call
