"""What Voximplant's current clients (voximplant-apiclient 2.12.0, @voximplant/apiclient-nodejs
4.11.0) send to the call-history family and how they read it (decisions-2026-12.md section 9):
the `...Async` methods, `min_duration`/`max_duration`, `remote_number_list`, the params
of the current request types, and `DownloadHistoryReport` as `application/octet-stream`
on /platform_api; over the sessions of `test_call_history`, on every engine.

Session durations (end - setup), from test_call_history.SESSIONS, in start order:
h1 10:01:05 - 10:00:00 = 65 s; h3 11:00:20 - 11:00:00 = 20 s; h2 12:00:30 - 12:00:00 =
30 s; h4 09:05:00 - 09:00:00 = 300 s. Remote numbers of their calls (an originating leg
is incoming: its source; a terminating attempt: its destination): h1 `+37052000001`,
`sip:gw@carrier`; h3 `100`; h2 `+4930123`, `4930456`; h4 none (video participants).
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from typing import Any

import pytest
from envelopes import invalid, missing_object, ok
from test_call_history import RANGE, ids  # noqa: F401  (the fixture, and its data)
from test_history_exports import TRANSACTIONS, fetch, finished
from test_platform_route import credential

ALL = {"child_account_id": "all"}
TODAY = dt.datetime.now(dt.timezone.utc).date()
AUDIT_RANGE = {"from_date": f"{TODAY - dt.timedelta(days=1)} 00:00:00",
               "to_date": f"{TODAY + dt.timedelta(days=1)} 23:59:59"}
OCTET = "application/octet-stream"


@pytest.fixture
async def root(make_key: Any, ids: dict[str, int]) -> str:  # noqa: F811
    return await make_key("admin", rate_limit="unlimited")


async def sessions(rpc: Any, key: str, params: dict[str, Any]) -> list[int]:
    response = await rpc("GetCallHistory", {**RANGE, **ALL, **params}, key=key)
    assert "result" in response, response
    return [s["call_session_history_id"] for s in response["result"]["result"]]


async def report_ids(rpc: Any, key: str) -> list[int]:
    response = await rpc("GetHistoryReports", {"history_type": "all"}, key=key)
    return [r["history_report_id"] for r in response["result"]["result"]]


# --- the Async methods -----------------------------------------------------------------------

async def test_call_history_async_on_rpc_is_the_sync_csv(client: Any, rpc: Any, root: str,
                                                         ids: dict[str, int]) -> None:  # noqa: F811
    sync = await rpc("GetCallHistory", {**RANGE, **ALL, "output": "csv", "count": 1000},
                     key=root)
    text = sync["result"]["result"]
    # the header and one line per session: h1, h3, h2, h4
    assert [line.split(",")[3] for line in text.split("\r\n")[1:-1]] == \
        [str(ids[n]) for n in ("h1", "h3", "h2", "h4")]
    made = await rpc("GetCallHistoryAsync", {**RANGE, **ALL}, key=root)
    report_id = made["result"]["history_report_id"]
    assert made == ok({"result": 1, "history_report_id": report_id})
    report = await finished(rpc, root, report_id)
    assert report["status"] == "completed" and report["history_type"] == "calls"
    assert report["calculated_data"] == {"session_count": 4, "total_session_count": 4,
                                         "timezone": "Etc/GMT"}
    # the params as saved: given and defaulted, `count` and `offset` not given
    assert report["filters"] == {
        **RANGE, "timezone": "Etc/GMT", "child_account_id": "all", "with_calls": False,
        "with_records": False, "with_other_resources": True, "children_calls_only": False,
        "with_header": True, "desc_order": False, "with_total_count": True, "output": "csv"}
    assert await report_ids(rpc, root) == [report_id]
    assert await fetch(client, f"/reports/files/{report_id}", root) == (200, text.encode())


async def test_count_and_offset_of_an_export_are_accepted_not_applied(
        client: Any, rpc: Any, root: str) -> None:
    sync = await rpc("GetCallHistory", {**RANGE, "output": "csv", "count": 1000}, key=root)
    # beyond the sync cap of 1000: the clients send any count to an export
    made = await rpc("GetCallHistoryAsync", {**RANGE, "count": 5000, "offset": 20000},
                     key=root)
    report = await finished(rpc, root, made["result"]["history_report_id"])
    assert (report["filters"]["count"], report["filters"]["offset"]) == (5000, 20000)
    assert report["calculated_data"]["session_count"] == 3  # h1, h2, h4: root's own
    status, body = await fetch(client, f"/reports/files/{report['history_report_id']}", root)
    assert (status, body.decode()) == (200, sync["result"]["result"])


@pytest.mark.parametrize("form", ["path", "cmd"])
async def test_the_async_methods_on_the_route_and_the_octet_stream(
        client: Any, rpc: Any, root: str, ingest_key: str, form: str) -> None:
    stored = await rpc("ingest.transactions", {"records": TRANSACTIONS}, key=ingest_key)
    assert stored["result"]["accepted"] == 2, stored
    cases = (("GetCallHistoryAsync", {**RANGE, "child_account_id": "all"}),
             ("GetTransactionHistoryAsync", RANGE),
             ("GetAuditLogAsync", AUDIT_RANGE))
    for method, params in cases:
        sync = await rpc(method.removesuffix("Async"),
                         {**params, "output": "csv", "count": 1000}, key=root)
        text = sync["result"]["result"]
        assert text.count("\r\n") >= 3, text  # the header and at least two records
        if form == "path":
            response = await client.get(f"/platform_api/{method}",
                                        params={**credential(root), **params})
        else:
            response = await client.post("/platform_api", data={"cmd": method, **params},
                                         headers={"Authorization": f"Bearer {root}"})
        assert (response.status, response.content_type) == (200, "application/json")
        made = await response.json()
        report_id = made["history_report_id"]
        assert made == {"result": 1, "history_report_id": report_id}
        report = await finished(rpc, root, report_id)
        assert report["status"] == "completed", report
        response = await client.post("/platform_api", data={
            "cmd": "DownloadHistoryReport", "history_report_id": str(report_id),
            **credential(root)}, headers={"Accept-Encoding": "identity"})
        assert response.status == 200
        assert response.headers["Content-Type"] == OCTET  # exactly: the Node client compares
        assert response.headers["Content-Disposition"] == \
            f'attachment; filename="{report["file_name"]}"'
        assert await response.text() == text
        # gzip when accepted, still the octet stream
        response = await client.get("/platform_api/DownloadHistoryReport", params={
            "history_report_id": str(report_id), **credential(root)},
            headers={"Accept-Encoding": "gzip"})
        assert (response.headers["Content-Type"], response.headers["Content-Encoding"]) == \
            (OCTET, "gzip")
        assert await response.text() == text


async def test_the_files_url_stays_csv(client: Any, rpc: Any, root: str) -> None:
    made = await rpc("GetCallHistoryAsync", RANGE, key=root)
    report_id = made["result"]["history_report_id"]
    await finished(rpc, root, report_id)
    response = await client.get(f"/reports/files/{report_id}", headers={"X-Api-Key": root})
    assert response.headers["Content-Type"] == "text/csv; charset=utf-8"


async def test_refusals_of_an_async_method(client: Any, rpc: Any, root: str, make_key: Any,
                                           make_tenant: Any) -> None:
    assert await rpc("GetCallHistoryAsync", {**RANGE, "output": "json"}, key=root) == \
        invalid({"output": "Must be one of: csv."})
    assert await rpc("GetCallHistoryAsync", {**RANGE, "is_async": True}, key=root) == \
        invalid({"is_async": "Unknown field."})
    assert await rpc("GetCallHistoryAsync", {**RANGE, "application_id": 999}, key=root) == \
        missing_object("application_id", "applications", "999")
    assert await rpc("GetTransactionHistoryAsync", {**RANGE, "application_id": 999},
                     key=root) == missing_object("application_id", "applications", "999")
    # a tenant outside the reseller's subtree
    other = await make_tenant("other")
    res_key = await make_key("reseller", "res", rate_limit="unlimited")
    for method in ("GetCallHistoryAsync", "GetTransactionHistoryAsync"):
        assert await rpc(method, {**RANGE, "child_account_id": [other["id"]]},
                         key=res_key) == \
            missing_object("child_account_id", "tenants", str(other["id"]))
    assert await rpc("GetAuditLogAsync", {**RANGE, "to_date": "2026-03-02"}, key=root) == \
        invalid({"to_date": "Invalid date format: expected YYYY-MM-DD HH:mm:ss."})
    assert await report_ids(rpc, root) == []  # nothing was queued
    # on the route: the vendor's codes
    response = await client.get("/platform_api/GetCallHistoryAsync",
                                params={**credential(root), **RANGE, "output": "json"})
    assert (response.status, await response.json()) == \
        (400, {"error": {"code": 105, "msg": "output: Must be one of: csv."}})
    response = await client.post("/platform_api", data={
        "cmd": "GetTransactionHistoryAsync", **RANGE, "application_id": "999",
        **credential(root)})
    assert (response.status, await response.json()) == (400, {"error": {
        "code": 101, "msg": 'application_id: Object "applications(999)" was not found!'}})
    assert await report_ids(rpc, root) == []


# --- min_duration, max_duration, remote_number_list -------------------------------------------

@pytest.mark.parametrize("bounds, expected", [
    ({"min_duration": 30, "max_duration": 65}, ["h1", "h2"]),  # both ends inclusive
    ({"min_duration": 31}, ["h1", "h4"]),  # 65, 300
    ({"max_duration": 29}, ["h3"]),  # 20
    ({"min_duration": 65, "max_duration": 65}, ["h1"]),
    ({"min_duration": 0}, ["h1", "h3", "h2", "h4"]),
    ({"min_duration": 301}, []),
])
async def test_duration_bounds(rpc: Any, root: str, ids: dict[str, int],  # noqa: F811
                               bounds: dict[str, int], expected: list[str]) -> None:
    assert await sessions(rpc, root, bounds) == [ids[n] for n in expected]


async def test_duration_refusals(client: Any, rpc: Any, root: str) -> None:
    range_text = "Must be greater than or equal to 0 and less than or equal to 2147483647."
    for params, errors in (
            ({"min_duration": 66, "max_duration": 65},
             {"max_duration": "Must not be less than min_duration."}),
            ({"min_duration": -1}, {"min_duration": range_text}),
            ({"max_duration": 2147483648}, {"max_duration": range_text}),
            ({"min_duration": 1.5}, {"min_duration": "Not a valid integer."})):
        for method in ("GetCallHistory", "GetCallHistoryAsync"):
            assert await rpc(method, {**RANGE, **params}, key=root) == invalid(errors)
    response = await client.get("/platform_api/GetCallHistory", params={
        **credential(root), **RANGE, "min_duration": "-1"})
    assert (response.status, await response.json()) == \
        (400, {"error": {"code": 101, "msg": f"min_duration: {range_text}"}})


@pytest.mark.parametrize("params, expected", [
    ({"remote_number_list": ["+4930123"]}, ["h2"]),
    ({"remote_number_list": ["sip:gw@carrier", "100"]}, ["h1", "h3"]),
    ({"remote_number_list": ["4930456", "+37052000001"]}, ["h1", "h2"]),
    ({"remote_number_list": ["+37061234567"]}, []),  # h1's local number, not a remote one
    # the list, when not empty, comes before `remote_number`
    ({"remote_number": ["100"], "remote_number_list": ["+4930123"]}, ["h2"]),
    ({"remote_number": ["100"], "remote_number_list": []}, ["h3"]),
    ({"remote_number_list": [], "min_duration": 60}, ["h1", "h4"]),
    ({"remote_number_list": ["+4930123", "100"], "max_duration": 25}, ["h3"]),
])
async def test_remote_number_list(rpc: Any, root: str, ids: dict[str, int],  # noqa: F811
                                  params: dict[str, Any], expected: list[str]) -> None:
    assert await sessions(rpc, root, params) == [ids[n] for n in expected]


async def test_the_new_filters_on_the_route_and_in_an_export(
        client: Any, rpc: Any, root: str, ids: dict[str, int]) -> None:  # noqa: F811
    async def routed(extra: dict[str, str]) -> list[int]:
        response = await client.post("/platform_api", data={
            "cmd": "GetCallHistory", **RANGE, "child_account_id": "all", **extra,
            **credential(root)})
        assert response.status == 200, await response.text()
        return [s["call_session_history_id"] for s in (await response.json())["result"]]
    assert await routed({"remote_number_list": "+4930123;100"}) == [ids["h3"], ids["h2"]]
    # as the clients document it: a JSON array of strings
    assert await routed({"remote_number_list": '["+4930123", "sip:gw@carrier"]'}) == \
        [ids["h1"], ids["h2"]]
    assert await routed({"min_duration": "30", "max_duration": "65"}) == [ids["h1"], ids["h2"]]
    response = await client.get("/platform_api/GetCallHistory", params={
        **credential(root), **RANGE, "remote_number_list": "[1, 2]"})
    assert (response.status, await response.json()) == \
        (400, {"error": {"code": 101, "msg": "remote_number_list: Not a valid list."}})
    # an export applies them as the sync method does
    params = {**RANGE, **ALL, "min_duration": 25, "remote_number_list": ["+4930123", "100"]}
    sync = await rpc("GetCallHistory", {**params, "output": "csv"}, key=root)
    assert sync["result"]["count"] == 1  # h2 (30 s); h3 lasts 20 s
    made = await rpc("GetCallHistoryAsync", params, key=root)
    report = await finished(rpc, root, made["result"]["history_report_id"])
    assert report["calculated_data"]["session_count"] == 1
    assert report["filters"]["remote_number_list"] == ["+4930123", "100"]
    status, body = await fetch(client, f"/reports/files/{report['history_report_id']}", root)
    assert (status, body.decode()) == (200, sync["result"]["result"])


# --- the transaction history's current params ---------------------------------------------------

async def test_transaction_params_of_the_current_clients(rpc: Any, root: str,
                                                         ingest_key: str) -> None:
    stored = await rpc("ingest.transactions", {"records": TRANSACTIONS}, key=ingest_key)
    assert stored["result"]["accepted"] == 2, stored

    async def listed(params: dict[str, Any]) -> list[int]:
        response = await rpc("GetTransactionHistory", {**RANGE, **params}, key=root)
        assert "result" in response, response
        return [t["transaction_id"] for t in response["result"]["result"]]
    assert await listed({}) == [501, 502]
    # accepted with no effect: the accounting date is performed_at, no extended fields
    assert await listed({"use_accounting_dates": True, "with_extended_info": True}) == \
        [501, 502]
    # no stored transaction names an application, subscription, resource type, price
    # group or payment reference (application 5 is h1's, in the root's scope)
    for params in ({"application_id": 5}, {"application_name": "ivr"},
                   {"subscription_id": [1]}, {"subscription_name": ["s"]},
                   {"resource_type": ["ASR"]}, {"price_group_name": ["p"]},
                   {"payment_reference": "r"}):
        assert await listed(params) == [], params
    assert await rpc("GetTransactionHistory", {**RANGE, "decimal_separator": ";"},
                     key=root) == invalid({"decimal_separator": "Must be one of: ., ,."})
    # the decimal mark of CSV amounts: 10.50 and -0.25 (EUR: two minor digits)
    csv_page = await rpc("GetTransactionHistory", {
        **RANGE, "output": "csv", "with_header": False, "decimal_separator": ","}, key=root)
    lines = list(csv.reader(io.StringIO(csv_page["result"]["result"], newline="")))
    assert [line[3] for line in lines] == ["10,50", "-0,25"]


# --- the OpenRPC document -------------------------------------------------------------------

async def test_the_openrpc_document_describes_the_new_params(client: Any) -> None:
    response = await client.get("/openrpc.json")
    described = {m["name"]: {p["name"]: p["schema"] for p in m["params"]}
                 for m in (await response.json())["methods"]}
    for name in ("GetCallHistory", "GetCallHistoryAsync"):
        params = described[name]
        assert params["min_duration"]["minimum"] == 0
        assert params["max_duration"]["maximum"] == 2147483647
        assert params["remote_number_list"]["items"]["type"] == "string"
    for name in ("GetCallHistoryAsync", "GetTransactionHistoryAsync", "GetAuditLogAsync"):
        params = described[name]
        assert params["output"]["enum"] == ["csv"] and "is_async" not in params
        assert params["count"]["maximum"] == 2147483647
        # every other param of the sync method, in its order
        sync = [p for p in described[name.removesuffix("Async")] if p != "is_async"]
        assert list(params) == sync
    assert {"application_id", "subscription_id", "resource_type", "price_group_name",
            "use_accounting_dates", "with_extended_info", "decimal_separator",
            "payment_reference"} <= set(described["GetTransactionHistory"])
    assert "decimal_separator" in described["GetAuditLog"]


# --- GetACDHistory and GetHistoryReports: the current clients' params -------------------------

# Two queue sessions of the root: 901 with an event carrying custom data, 902 without.
ACD = [
    {"acd_session_history_id": 901, "tenant": "root", "acd_request_id": "q-1",
     "begin_time": "2026-03-01T09:00:00Z", "waiting_duration": 12,
     "events": [{"acd_session_event_id": 9001, "time": "2026-03-01T09:00:00Z",
                 "type": "Enqueued", "custom_data": '{"lang": "lt"}'},
                {"acd_session_event_id": 9002, "time": "2026-03-01T09:00:12Z",
                 "type": "Dequeued"}]},
    {"acd_session_history_id": 902, "tenant": "root", "acd_request_id": "q-2",
     "begin_time": "2026-03-01T10:00:00Z", "waiting_duration": 3, "events": []},
]


async def test_acd_params_of_the_current_clients(rpc: Any, root: str, ingest_key: str) -> None:
    stored = await rpc("ingest.acd_sessions", {"records": ACD}, key=ingest_key)
    assert stored["result"]["accepted"] == 2, stored

    async def listed(params: dict[str, Any]) -> list[int]:
        response = await rpc("GetACDHistory", {**RANGE, **params}, key=root)
        assert "result" in response, response
        return [s["acd_session_history_id"] for s in response["result"]["result"]]
    assert await listed({}) == [901, 902]
    assert await listed({"custom_data": '{"lang": "lt"}'}) == [901]  # exact
    assert await listed({"custom_data": '{"lang":'}) == []
    assert await listed({"callerid": "+37060000000"}) == []  # no caller number recorded
    assert await listed({"decimal_separator": ","}) == [901, 902]


async def test_history_reports_by_application(client: Any, rpc: Any, root: str) -> None:
    # application 5 (`ivr`) is h1's; the first job names it by id, the second names none
    by_id = await rpc("GetCallHistoryAsync", {**RANGE, "application_id": 5}, key=root)
    plain = await rpc("GetCallHistoryAsync", RANGE, key=root)
    first, second = (r["result"]["history_report_id"] for r in (by_id, plain))

    async def listed(params: dict[str, Any]) -> list[int]:
        response = await rpc("GetHistoryReports", params, key=root)
        assert "result" in response, response
        return [r["history_report_id"] for r in response["result"]["result"]]
    assert await listed({"application_id": 5}) == [first]
    assert await listed({"application_id": [5, 6]}) == [first]
    assert await listed({"application_id": "all"}) == [first, second]
    assert await listed({"application_name": ["ivr"]}) == [first]
    assert await listed({"application_name": ["other"]}) == []

    async def routed(params: dict[str, str]) -> list[int]:
        response = await client.post("/platform_api", data={
            "cmd": "GetHistoryReports", **params, **credential(root)})
        assert response.status == 200, await response.text()
        return [r["history_report_id"] for r in (await response.json())["result"]]
    assert await routed({"application_id": "5;6"}) == [first]
    assert await routed({"application_id": "all", "application_name": "ivr;x"}) == [first]
