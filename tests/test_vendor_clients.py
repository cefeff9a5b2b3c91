"""Voximplant's official clients, unchanged, against `gateway serve` over HTTPS
(decisions-2026-12.md section 9; docs/auth.md "Service accounts"): the Python client
`voximplant-apiclient` 2.12.0 and the Node client `@voximplant/apiclient-nodejs` 4.11.0,
each with a service account's credentials file, pointed at 127.0.0.1 by its host option and
trusting the test's CA (`REQUESTS_CA_BUNDLE` for Python, `NODE_EXTRA_CA_CERTS` for Node).
They call the History group: the 8 methods and the 3 Async ones, and the download, on a
SQLite store and on a PostgreSQL one.

The data (UTC), ingested through `/rpc` as the spec's ingest.md says; root is tenant 1:

| session | setup          | end      | what                                                   |
|---------|----------------|----------|--------------------------------------------------------|
| c1      | 03-01 10:00:00 | 10:01:05 | app 5 `ivr`, rule `inbound`, user 7; 0.50 USD;         |
|         |                |          | record 31 (0.01)                                       |
| c2      | 03-01 12:00:00 | 12:00:30 | no answer, no user; 0.10 USD; record 32 (0.02)         |
| c3      | 03-05 08:00:00 | 08:00:10 | outside every range asked; records 33 and 34 (deleted  |
|         |                |          | by the clients)                                        |

Transactions 21 (03-01 10:05, -1.5 EUR) and 22 (03-01 11:00, 100 USD); queue session 101
(03-01 09:00) with two events.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import os
import shutil
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterator

import httpx
import pytest
from conftest import missing_tool
from tls_gateway import HttpsGateway, make_certificates
from voximplant.apiclient import VoximplantAPI, VoximplantAPIConfig, VoximplantException

UTC = dt.timezone.utc
NODE_FOLDER = Path(__file__).parent / "node"
ROOT_ID = 1
DAY = {"from_date": dt.datetime(2026, 3, 1, tzinfo=UTC),
       "to_date": dt.datetime(2026, 3, 1, 23, 59, 59, tzinfo=UTC)}


def leg(src: str, dst: str, **more: Any) -> dict[str, Any]:
    return {"leg_id": "o", "role": "orig", "src": src, "dst": dst, **more}


def record(record_id: int, start: str, duration: int, cost: str) -> dict[str, Any]:
    return {"record_id": record_id, "url": f"https://rec.example/{record_id}.mp3",
            "name": f"r{record_id}", "start_time": start, "duration": duration,
            "file_size": 1000, "cost": cost}


SESSIONS = [
    {"session_id": "c1", "setup_time": "2026-03-01T10:00:00Z",
     "start_time": "2026-03-01T10:00:05Z", "end_time": "2026-03-01T10:01:05Z",
     "application": {"id": 5, "name": "ivr"}, "rule_name": "inbound",
     "legs": [leg("+37052000001", "+37061234567", user={"id": 7, "name": "u7"},
                  start_time="2026-03-01T10:00:05Z", billsec=60, amount="0.50",
                  currency="USD", disposition="ANSWERED", hangup_cause=16)],
     "records": [record(31, "2026-03-01T10:00:05Z", 60, "0.01")]},
    {"session_id": "c2", "setup_time": "2026-03-01T12:00:00Z",
     "end_time": "2026-03-01T12:00:30Z",
     "legs": [leg("+4930123", "+4930456", amount="0.10", currency="USD",
                  disposition="NO ANSWER", hangup_cause=19)],
     "records": [record(32, "2026-03-01T12:00:00Z", 30, "0.02")]},
    {"session_id": "c3", "setup_time": "2026-03-05T08:00:00Z",
     "start_time": "2026-03-05T08:00:00Z", "end_time": "2026-03-05T08:00:10Z",
     "legs": [leg("100", "200", billsec=10, disposition="ANSWERED", hangup_cause=16)],
     "records": [record(33, "2026-03-05T08:00:00Z", 10, "0.01"),
                 record(34, "2026-03-05T08:00:00Z", 10, "0.01")]},
]
TRANSACTIONS = [
    {"transaction_id": 21, "tenant": "root", "performed_at": "2026-03-01T10:05:00Z",
     "amount": "-1.5", "currency": "EUR", "transaction_type": "resource_charge",
     "transaction_description": "call charges", "is_uncommitted": False},
    {"transaction_id": 22, "tenant": "root", "performed_at": "2026-03-01T11:00:00Z",
     "amount": "100", "currency": "USD", "transaction_type": "card_payment",
     "is_uncommitted": False},
]
ACD_SESSIONS = [
    {"acd_session_history_id": 101, "tenant": "root", "acd_request_id": "r-1",
     "acd_queue_id": 1, "user_id": 5, "begin_time": "2026-03-01T09:00:00Z", "priority": 2,
     "waiting_duration": 30, "in_service_duration": 120, "after_service_duration": 10,
     "operator_hangup": True, "unserviced": False, "rejected": False,
     "events": [{"acd_session_event_id": 1001, "time": "2026-03-01T09:00:30Z",
                 "type": "Dequeued", "user_id": 5},
                {"acd_session_event_id": 1000, "time": "2026-03-01T09:00:00Z",
                 "type": "Enqueued"}]},
]

# --- what the gateway answers, by hand from docs/methods/call-history.md ---------------------
# duration = end - setup: c1 10:01:05 - 10:00:00 = 65 s, c2 12:00:30 - 12:00:00 = 30 s


def sessions(ids: dict[str, int]) -> list[dict[str, Any]]:
    return [{"rule_name": "inbound", "application_name": "ivr",
             "call_session_history_id": ids["c1"], "account_id": ROOT_ID, "application_id": 5,
             "user_id": 7, "start_date": "2026-03-01 10:00:00", "duration": 65},
            {"call_session_history_id": ids["c2"], "account_id": ROOT_ID,
             "start_date": "2026-03-01 12:00:00", "duration": 30}]


# The Brief list: the first leg's numbers (an originating leg is incoming: remote = src),
# cost = leg + recording, in USD's 2 digits: c1 0.50 + 0.01 = 0.51, c2 0.10 + 0.02 = 0.12.
def brief_csv(ids: dict[str, int]) -> str:
    return ("call_session_history_id,start_date,duration,remote_number,local_number,cost\r\n"
            f"{ids['c1']},2026-03-01 10:00:00,65,+37052000001,+37061234567,0.51\r\n"
            f"{ids['c2']},2026-03-01 12:00:00,30,+4930123,+4930456,0.12\r\n")


# CallSessionInfoType's scalar fields in their documented order.
def calls_csv(ids: dict[str, int]) -> str:
    return ("audio_quality,rule_name,application_name,call_session_history_id,account_id,"
            "application_id,user_id,start_date,duration,initiator_address,"
            "media_server_address,log_file_url,finish_reason,custom_data\r\n"
            f",inbound,ivr,{ids['c1']},1,5,7,2026-03-01 10:00:00,65,,,,,\r\n"
            f",,,{ids['c2']},1,,,2026-03-01 12:00:00,30,,,,,\r\n")


# account_id of a transaction is the tenant's id as a string; amounts with the currency's
# digits (EUR and USD: 2)
TRANSACTION_ROWS = [
    {"transaction_id": 21, "account_id": "1", "performed_at": "2026-03-01 10:05:00",
     "amount": -1.5, "currency": "EUR", "transaction_type": "resource_charge",
     "transaction_description": "call charges"},
    {"transaction_id": 22, "account_id": "1", "performed_at": "2026-03-01 11:00:00",
     "amount": 100.0, "currency": "USD", "transaction_type": "card_payment"}]
TRANSACTIONS_CSV = (
    "transaction_id,account_id,performed_at,amount,currency,transaction_type,"
    "transaction_description\r\n"
    "21,1,2026-03-01 10:05:00,-1.50,EUR,resource_charge,call charges\r\n"
    "22,1,2026-03-01 11:00:00,100.00,USD,card_payment,\r\n")
ACD_ROW = {"acd_session_history_id": 101, "acd_request_id": "r-1", "account_id": ROOT_ID,
           "begin_time": "2026-03-01 09:00:00", "priority": 2, "acd_queue_id": 1,
           "user_id": 5, "waiting_duration": 30, "in_service_duration": 120,
           "after_service_duration": 10}
ACD_EVENTS = [{"acd_session_event_id": 1000, "time": "2026-03-01 09:00:00", "type": "Enqueued"},
              {"acd_session_event_id": 1001, "time": "2026-03-01 09:00:30", "type": "Dequeued",
               "user_id": 5}]
AUDIT_COLUMNS = "audit_log_id,subuser_name,account_id,requested,ip,cmd_name"


@dataclass(frozen=True)
class Served:
    gateway: HttpsGateway
    ca: Path
    account: Path  # an admin service account's credentials file
    account_key_id: str
    impostor: Path  # the same key id and account, another account's private key
    ingest_account: Path  # a service account of role ingest
    ids: dict[str, int]  # session ids by source id

    @property
    def host(self) -> str:
        return f"127.0.0.1:{self.gateway.port}"


def _write(path: Path, account: dict[str, Any]) -> Path:
    path.write_text(json.dumps(account))
    return path


# Each session's id, found by its setup time in the call history.
SETUP_TIMES = {"2026-03-01 10:00:00": "c1", "2026-03-01 12:00:00": "c2",
               "2026-03-05 08:00:00": "c3"}


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def served(request: pytest.FixtureRequest,
           tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    """The gateway on each engine: a SQLite file, or a fresh database of the test
    PostgreSQL server."""
    folder = tmp_path_factory.mktemp("vendor-clients")
    certificates = make_certificates(folder)
    databases, database = None, None
    if request.param == "postgresql":
        databases = request.getfixturevalue("postgres")
        database = databases.create()
    gateway = HttpsGateway(folder, certificates,
                           database=databases.dsn(database) if databases else None)
    try:
        admin, ingest = gateway.key("admin"), gateway.key("ingest")
        gateway.start()

        def account(role: str) -> dict[str, Any]:
            made = gateway.rpc(admin, "keys.create", {
                "role": role, "service_account": True, "rate_limit": "unlimited"})
            file: dict[str, Any] = made["service_account"]
            return file

        main, other, ingesting = account("admin"), account("admin"), account("ingest")
        impostor = {**main, "private_key": other["private_key"]}
        for method, records, count in (("ingest.sessions", SESSIONS, 3),
                                       ("ingest.transactions", TRANSACTIONS, 2),
                                       ("ingest.acd_sessions", ACD_SESSIONS, 1)):
            assert gateway.rpc(ingest, method, {"records": records}) == \
                {"accepted": count, "unchanged": 0, "rejected": []}
        history = gateway.rpc(admin, "GetCallHistory", {
            "from_date": "2026-03-01 00:00:00", "to_date": "2026-03-05 23:59:59"})
        ids = {SETUP_TIMES[row["start_date"]]: row["call_session_history_id"]
               for row in history["result"]}
        assert sorted(ids) == ["c1", "c2", "c3"]
        yield Served(gateway, certificates.ca, _write(folder / "account.json", main),
                     main["key_id"], _write(folder / "impostor.json", impostor),
                     _write(folder / "ingest.json", ingesting), ids)
    finally:
        gateway.stop()
        if databases is not None:
            databases.drop(database)


def audit_window() -> dict[str, dt.datetime]:
    now = dt.datetime.now(UTC).replace(microsecond=0)
    return {"from_date": now - dt.timedelta(hours=1), "to_date": now + dt.timedelta(hours=1)}


# --- the Python client ------------------------------------------------------------------------

def utc(text: str) -> dt.datetime:
    """A date as the Python client gives it back (it parses the gateway's UTC dates)."""
    return dt.datetime.strptime(text, "%Y-%m-%d %H:%M:%S").replace(tzinfo=UTC)


def python_rows(rows: list[dict[str, Any]], *dates: str) -> list[dict[str, Any]]:
    return [{k: utc(v) if k in dates else v for k, v in row.items()} for row in rows]


@pytest.fixture
def python(served: Served, monkeypatch: pytest.MonkeyPatch) -> VoximplantAPI:
    """The client, trusting the test CA the way it reads a CA bundle (REQUESTS_CA_BUNDLE)."""
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(served.ca))
    return VoximplantAPI(str(served.account), endpoint=served.host)


def python_completed(api: VoximplantAPI, report_id: int) -> dict[str, Any]:
    for _ in range(200):
        listed = api.get_history_reports(history_report_id=report_id, history_type="all")
        if listed["result"] and "completed" in listed["result"][0]:
            report: dict[str, Any] = listed["result"][0]
            return report
        time.sleep(0.1)
    raise AssertionError(f"history report {report_id} was not completed")


def test_python_get_call_history(python: VoximplantAPI, served: Served) -> None:
    assert python.get_call_history(**DAY) == {
        "result": python_rows(sessions(served.ids), "start_date"),
        "total_count": 2, "count": 2, "timezone": "Etc/GMT"}
    assert python.get_call_history(**DAY, desc_order=True, count=1, with_total_count=False) \
        == {"result": python_rows(sessions(served.ids)[1:], "start_date"), "count": 1,
            "timezone": "Etc/GMT"}


def test_python_get_transaction_history(python: VoximplantAPI) -> None:
    assert python.get_transaction_history(**DAY) == {
        "result": python_rows(TRANSACTION_ROWS, "performed_at"), "total_count": 2, "count": 2,
        "timezone": "Etc/GMT"}


def test_python_get_acd_history(python: VoximplantAPI) -> None:
    assert python.get_acd_history(**DAY) == {
        "result": python_rows([ACD_ROW], "begin_time"), "total_count": 1, "count": 1}
    events = python.get_acd_history(**DAY, with_events=True)["result"][0]["events"]
    assert events == python_rows(ACD_EVENTS, "time")


def test_python_delete_record_and_get_audit_log(python: VoximplantAPI, served: Served) -> None:
    assert python.delete_record(record_id=33) == {"result": 1}
    with pytest.raises(VoximplantException) as gone:
        python.delete_record(record_id=33)
    assert (gone.value.code, gone.value.message) == (101, 'Object "records(33)" was not found!')
    listed = python.get_audit_log(**audit_window(), filtered_cmd=["DeleteRecord"])
    mine = [e for e in listed["result"] if e["cmd_args"].get("record_id") == 33]
    assert len(mine) == 1
    entry = mine[0]
    assert isinstance(entry["audit_log_id"], int)
    assert isinstance(entry.pop("requested"), dt.datetime)
    assert {k: v for k, v in entry.items() if k not in ("audit_log_id", "cmd_args")} == {
        "subuser_name": served.account_key_id, "account_id": ROOT_ID, "ip": "127.0.0.1",
        "cmd_name": "DeleteRecord", "cmd_result": {"result": 1}}


def test_python_brief_history_reports_and_download(python: VoximplantAPI,
                                                   served: Served) -> None:
    queued = python.get_brief_call_history("csv", **DAY)
    assert set(queued) == {"result", "history_report_id"} and queued["result"] == 1
    report = python_completed(python, queued["history_report_id"])
    expected = brief_csv(served.ids)
    assert {k: report[k] for k in ("history_report_id", "history_type", "format", "file_size",
                                   "download_count", "status")} == {
        "history_report_id": queued["history_report_id"], "history_type": "call_list",
        "format": "csv", "file_size": len(expected.encode()), "download_count": 0,
        "status": "completed"}
    assert isinstance(report["created"], dt.datetime)
    assert python.download_history_report(queued["history_report_id"]) == \
        {"file_content": expected}
    assert python_completed(python, queued["history_report_id"])["download_count"] == 1


def test_python_async_methods(python: VoximplantAPI, served: Served) -> None:
    exports = (
        (python.get_call_history_async(**DAY, output="csv"), calls_csv(served.ids), "calls"),
        (python.get_transaction_history_async(**DAY, output="csv"), TRANSACTIONS_CSV,
         "transactions"))
    for queued, expected, history_type in exports:
        assert set(queued) == {"result", "history_report_id"} and queued["result"] == 1
        report = python_completed(python, queued["history_report_id"])
        assert (report["history_type"], report["status"]) == (history_type, "completed")
        assert python.download_history_report(queued["history_report_id"]) == \
            {"file_content": expected}
    # the audit log's export holds what GetAuditLog lists for the same filters
    window = audit_window()
    listed = python.get_audit_log(**window, filtered_cmd=["keys.create"])["result"]
    assert len(listed) == 5  # the fixture made 2 keys with the command line, 3 on /rpc
    queued = python.get_audit_log_async(**window, filtered_cmd=["keys.create"], output="csv")
    python_completed(python, queued["history_report_id"])
    text = python.download_history_report(queued["history_report_id"])["file_content"]
    assert text == AUDIT_COLUMNS + "\r\n" + "".join(
        f"{e['audit_log_id']},{e['subuser_name']},{e['account_id']},"
        f"{e['requested']:%Y-%m-%d %H:%M:%S},{e['ip']},keys.create\r\n" for e in listed)


def test_python_refusals(served: Served, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(served.ca))
    impostor = VoximplantAPI(str(served.impostor), endpoint=served.host)
    with pytest.raises(VoximplantException) as refused:
        impostor.get_call_history(**DAY)
    assert (refused.value.code, refused.value.message) == \
        (100, "Authorization failed: the request's proof of the key is wrong")
    # the client's own account_id option is what it sends as iss
    other = VoximplantAPI(config=VoximplantAPIConfig(str(served.account), served.host, 999))
    with pytest.raises(VoximplantException) as refused:
        other.get_call_history(**DAY)
    assert (refused.value.code, refused.value.message) == \
        (100, "Authorization failed: the token's issuer is not the key's account")
    ingest = VoximplantAPI(str(served.ingest_account), endpoint=served.host)
    with pytest.raises(VoximplantException) as refused:
        ingest.get_call_history(**DAY)
    assert (refused.value.code, refused.value.message) == \
        (104, "the role 'ingest' may not call GetCallHistory")


def test_python_checks_the_certificate(served: Served, monkeypatch: pytest.MonkeyPatch) -> None:
    """Without the CA's bundle the client does not trust the gateway: the TLS is real."""
    monkeypatch.delenv("REQUESTS_CA_BUNDLE", raising=False)
    monkeypatch.delenv("CURL_CA_BUNDLE", raising=False)
    api = VoximplantAPI(str(served.account), endpoint=served.host)
    with pytest.raises(httpx.ConnectError, match="CERTIFICATE_VERIFY_FAILED"):
        api.get_call_history(**DAY)


# --- the Node client --------------------------------------------------------------------------

def node_or_skip() -> str:
    """The `node` program; without it the Node tests skip, except under CI, where they fail."""
    node = shutil.which("node")
    missing = None
    if node is None:
        missing = "node is not installed"
    elif not (NODE_FOLDER / "node_modules" / "@voximplant" / "apiclient-nodejs").is_dir():
        missing = "the Node client is not installed: npm ci --prefix tests/node"
    if missing is not None:
        missing_tool(missing)
    assert node is not None
    return node


def when(moment: dt.datetime) -> dict[str, str]:
    """A date param for the Node client, which takes a Date (history.js makes one)."""
    return {"$date": moment.isoformat()}


NODE_DAY = {"fromDate": when(DAY["from_date"]), "toDate": when(DAY["to_date"])}


def run_node(served: Served, credentials: Path, calls: list[Any]) -> list[dict[str, Any]]:
    done = subprocess.run(
        [node_or_skip(), str(NODE_FOLDER / "history.js"), str(credentials), served.host],
        input=json.dumps(calls), capture_output=True, text=True, timeout=60,
        env={**os.environ, "NODE_EXTRA_CA_CERTS": str(served.ca)})
    assert done.returncode == 0, done.stderr
    answers: list[dict[str, Any]] = json.loads(done.stdout)
    return answers


def camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(part.title() for part in rest)


def node_rows(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Rows as the Node client gives them back: camelCase names, values as they came (and a
    nested list, such as a queue session's `events`, left as it came: the client reads it
    through a transformer of the request direction, which keeps it)."""
    return [{camel(k): v for k, v in row.items()} for row in rows]


def test_node_history_methods(served: Served) -> None:
    window = audit_window()
    calls: list[Any] = [
        ["getCallHistory", NODE_DAY],
        ["getTransactionHistory", NODE_DAY],
        ["getACDHistory", {**NODE_DAY, "withEvents": True}],
        ["deleteRecord", {"recordId": 34}],
        ["getAuditLog", {"fromDate": when(window["from_date"]),
                         "toDate": when(window["to_date"])}],
        ["getBriefCallHistory", {**NODE_DAY, "output": "csv"}],
    ]
    got = run_node(served, served.account, calls)
    assert got[0] == {"answer": {"result": node_rows(sessions(served.ids)), "totalCount": 2,
                                 "count": 2, "timezone": "Etc/GMT"}}
    assert got[1] == {"answer": {"result": node_rows(TRANSACTION_ROWS), "totalCount": 2,
                                 "count": 2, "timezone": "Etc/GMT"}}
    assert got[2] == {"answer": {"result": node_rows([{**ACD_ROW, "events": ACD_EVENTS}]),
                                 "totalCount": 1, "count": 1}}
    assert got[3] == {"answer": {"result": 1}}
    deleted = [e for e in got[4]["answer"]["result"]
               if e["cmdName"] == "DeleteRecord" and e["cmdArgs"].get("record_id") == 34]
    assert [(e["subuserName"], e["accountId"], e["ip"], e["cmdResult"]) for e in deleted] == \
        [(served.account_key_id, ROOT_ID, "127.0.0.1", {"result": 1})]
    brief = got[5]["answer"]
    assert set(brief) == {"result", "historyReportId"} and brief["result"] == 1

    report_id = brief["historyReportId"]
    waited, downloaded = run_node(served, served.account, [
        ["$wait", {"historyReportId": report_id}],
        ["downloadHistoryReport", {"historyReportId": report_id}]])
    report = waited["answer"]["result"][0]
    assert (report["historyReportId"], report["historyType"], report["format"]) == \
        (report_id, "call_list", "csv")
    assert downloaded == {"answer": {"fileContent": brief_csv(served.ids)}}


def test_node_async_methods(served: Served) -> None:
    queued = run_node(served, served.account, [
        ["getCallHistoryAsync", {**NODE_DAY, "output": "csv"}],
        ["getTransactionHistoryAsync", {**NODE_DAY, "output": "csv"}]])
    report_ids = [q["answer"]["historyReportId"] for q in queued]
    assert [q["answer"]["result"] for q in queued] == [1, 1]
    got = run_node(served, served.account, [
        step for report_id in report_ids
        for step in (["$wait", {"historyReportId": report_id}],
                     ["downloadHistoryReport", {"historyReportId": report_id}])])
    assert [got[1], got[3]] == [{"answer": {"fileContent": calls_csv(served.ids)}},
                                {"answer": {"fileContent": TRANSACTIONS_CSV}}]
    window = audit_window()
    audit = run_node(served, served.account, [
        ["getAuditLogAsync", {"fromDate": when(window["from_date"]),
                              "toDate": when(window["to_date"]), "output": "csv"}]])
    report_id = audit[0]["answer"]["historyReportId"]
    _, downloaded = run_node(served, served.account, [
        ["$wait", {"historyReportId": report_id}],
        ["downloadHistoryReport", {"historyReportId": report_id}]])
    rows = list(csv.reader(io.StringIO(downloaded["answer"]["fileContent"], newline="")))
    assert rows[0] == AUDIT_COLUMNS.split(",")
    # every change made in the window is a row: the fixture's 2 keys made with the command
    # line and 3 on /rpc among them
    assert sum(row[5] == "keys.create" for row in rows[1:]) == 5


def test_node_refusals(served: Served) -> None:
    got = run_node(served, served.impostor, [["getCallHistory", NODE_DAY]])
    assert got == [{"refused": {"status": 401, "contentType": "application/json", "data": {
        "error": {"code": 100,
                  "msg": "Authorization failed: the request's proof of the key is wrong"}}}}]
    got = run_node(served, served.ingest_account, [["getCallHistory", NODE_DAY]])
    assert got == [{"refused": {"status": 403, "contentType": "application/json", "data": {
        "error": {"code": 104, "msg": "the role 'ingest' may not call GetCallHistory"}}}}]
