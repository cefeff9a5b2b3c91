"""Background CSV exports of the call-history family (spec methods.md section 3, "Async
jobs"; HistoryReportType in vendor-notes.md section 3): GetCallHistory with `is_async`,
GetBriefCallHistory, GetHistoryReports, DownloadHistoryReport on /rpc, on the vendor's
route and through `GET /reports/files/{id}`; over the sessions of `test_call_history`,
on every engine."""

from __future__ import annotations

import asyncio
import csv
import datetime as dt
import gzip
import io
import os
import time
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from conftest import ENGINES
from envelopes import error, invalid, not_found, ok
from test_call_history import RANGE, SESSIONS, ids, leg  # noqa: F401  (the fixture, its data)
from test_crash import Gateway, database_url  # noqa: F401  (a fixture)

from gateway.web import appkeys

TODAY = dt.datetime.now(dt.timezone.utc).date()


@pytest.fixture
async def keys(make_key: Any, ids: dict[str, int]) -> dict[str, str]:  # noqa: F811
    return {"root": await make_key("admin", rate_limit="unlimited"),
            "res": await make_key("reseller", "res", rate_limit="unlimited")}


async def finished(rpc: Any, key: str, report_id: int) -> dict[str, Any]:
    """The report once its job has ended (within 10 s)."""
    for _ in range(200):
        response = await rpc("GetHistoryReports",
                             {"history_report_id": [report_id], "history_type": "all"}, key=key)
        report = response["result"]["result"][0]
        if report["status"] in ("completed", "failed"):
            return dict(report)
        await asyncio.sleep(0.05)
    raise AssertionError(f"report {report_id} still {report['status']}")


async def fetch(client: Any, url: str, key: str, gzipped: bool = False) -> tuple[int, bytes]:
    response = await client.get(url, headers={
        "X-Api-Key": key, "Accept-Encoding": "gzip" if gzipped else "identity"},
        auto_decompress=False)
    return response.status, await response.read()


async def test_an_async_call_history_is_every_matching_row(client: Any, rpc: Any,
                                                           keys: dict[str, str]) -> None:
    root = keys["root"]
    sync = await rpc("GetCallHistory", {**RANGE, "output": "csv", "count": 1000}, key=root)
    made = await rpc("GetCallHistory", {**RANGE, "output": "csv", "is_async": True, "count": 1,
                                        "offset": 1}, key=root)
    report_id = made["result"]["history_report_id"]
    assert made == ok({"result": 1, "history_report_id": report_id})
    report = await finished(rpc, root, report_id)
    text = sync["result"]["result"]
    created = report.pop("created")
    completed = report.pop("completed")
    assert created <= completed and len(completed) == 19
    assert report == {
        "history_report_id": report_id, "history_type": "calls", "format": "csv",
        "file_name": f"calls_{report_id}.csv", "file_size": len(text.encode()),
        "download_size": report["download_size"], "download_count": 0,
        "store_until": (dt.date.fromisoformat(created[:10]) + dt.timedelta(days=7)).isoformat(),
        "filters": {**RANGE, "timezone": "Etc/GMT", "with_calls": False, "with_records": False,
                    "with_other_resources": True, "children_calls_only": False,
                    "with_header": True, "desc_order": False, "with_total_count": True,
                    "count": 1, "offset": 1, "output": "csv"},
        "calculated_data": {"session_count": 3, "total_session_count": 3,
                            "timezone": "Etc/GMT"},
        "status": "completed"}
    where = await rpc("DownloadHistoryReport", {"history_report_id": report_id}, key=root)
    assert where == ok({"file_name": f"calls_{report_id}.csv", "content_type": "text/csv",
                        "size": len(text.encode()), "url": f"/reports/files/{report_id}"})
    assert await fetch(client, f"/reports/files/{report_id}", root) == (200, text.encode())
    status, body = await fetch(client, f"/reports/files/{report_id}", root, gzipped=True)
    assert (status, gzip.decompress(body).decode(), len(body)) == \
        (200, text, report["download_size"])
    counted = await finished(rpc, root, report_id)
    assert counted["download_count"] == 2 and "last_downloaded" in counted


async def test_the_brief_history_and_the_vendor_route(client: Any, rpc: Any,
                                                      keys: dict[str, str],
                                                      ids: dict[str, int]) -> None:  # noqa: F811
    root = keys["root"]
    made = await rpc("GetBriefCallHistory", {**RANGE, "desc_order": True}, key=root)
    report_id = made["result"]["history_report_id"]
    assert (await finished(rpc, root, report_id))["history_type"] == "call_list"
    response = await client.get("/platform_api/DownloadHistoryReport", params={
        "history_report_id": str(report_id), "account_id": root.partition(".")[0],
        "api_key": root}, headers={"Accept-Encoding": "gzip"})
    assert response.status == 200 and response.headers["Content-Encoding"] == "gzip"
    rows = list(csv.reader(io.StringIO(await response.text(), newline="")))
    assert rows == [
        ["call_session_history_id", "start_date", "duration", "remote_number", "local_number",
         "cost"],
        [str(ids["h4"]), "2026-03-02 09:00:00", "300", "", "", "0.00"],
        [str(ids["h2"]), "2026-03-01 12:00:00", "30", "+4930123", "+4930456", "0.00"],
        [str(ids["h1"]), "2026-03-01 10:00:00", "65", "+37052000001", "+37061234567", "0.53"]]


def _moved(setup: str, end: str | None) -> dict[str, Any]:
    """A call whose setup time its end record moves from February into March."""
    return {"session_id": "mv", "tenant": "root", "setup_time": setup,
            "start_time": "2026-03-01T00:00:20Z", "end_time": end,
            "legs": [leg("o", "orig", "+15550001", "+15550002", billsec=60, amount="0.30",
                         currency="USD", start_time="2026-03-01T00:00:20Z"),
                     leg("t", "term", "15550001", "15550002")],
            "records": [{"record_id": 32, "cost": "0.04", "start_time": "2026-03-01T00:00:20Z",
                         "url": "https://rec.example/32.mp3"}],
            "resources": [{"resource_usage_id": 42, "resource_type": "ASR", "cost": "0.05",
                           "used_at": "2026-03-01T00:00:30Z", "ref_leg_id": "o"}]}


async def test_a_call_moved_into_another_month_keeps_its_legs_recordings_and_charges(
        client: Any, rpc: Any, ingest_key: str, keys: dict[str, str]) -> None:
    for record in (_moved("2026-02-28T23:59:50Z", None),
                   _moved("2026-03-01T00:00:10Z", "2026-03-01T00:01:20Z")):
        response = await rpc("ingest.sessions", {"records": [record]}, key=ingest_key)
        assert response["result"]["accepted"] == 1, response
    root = keys["root"]
    listed = await rpc("GetCallHistory", {**RANGE, "remote_number": ["+15550001"],
                                          "with_calls": True, "with_records": True}, key=root)
    (session,) = listed["result"]["result"]
    assert session["start_date"] == "2026-03-01 00:00:10"
    assert [(c["local_number"], c["remote_number"]) for c in session["calls"]] == [
        ("+15550002", "+15550001"), ("15550001", "15550002")]
    assert [r["record_id"] for r in session["records"]] == [32]
    (charge,) = session["other_resource_usage"]
    assert (charge["resource_usage_id"], charge["ref_call_id"]) == \
        (42, session["calls"][0]["call_id"])
    made = await rpc("GetBriefCallHistory", {**RANGE, "remote_number": ["+15550001"]}, key=root)
    report_id = made["result"]["history_report_id"]
    assert (await finished(rpc, root, report_id))["status"] == "completed"
    status, body = await fetch(client, f"/reports/files/{report_id}", root)
    assert (status, list(csv.reader(io.StringIO(body.decode(), newline="")))[1:]) == (200, [[
        str(session["call_session_history_id"]), "2026-03-01 00:00:10", "70", "+15550001",
        "+15550002", "0.39"]])  # 0.30 for the call, 0.04 for the recording, 0.05 for ASR


async def test_reports_list_filter_and_belong_to_their_tenant(client: Any, rpc: Any,
                                                              keys: dict[str, str]) -> None:
    root, res = keys["root"], keys["res"]
    first = (await rpc("GetBriefCallHistory", RANGE, key=root))["result"]["history_report_id"]
    second = (await rpc("GetCallHistory", {**RANGE, "output": "csv", "is_async": True,
                                           "with_header": False}, key=root)
              )["result"]["history_report_id"]
    theirs = (await rpc("GetCallHistory", {**RANGE, "output": "csv", "is_async": True},
                        key=res))["result"]["history_report_id"]
    for report_id, key in ((first, root), (second, root), (theirs, res)):
        await finished(rpc, key, report_id)

    async def listed(params: dict[str, Any], key: str = root) -> list[int]:
        response = await rpc("GetHistoryReports", params, key=key)
        return [r["history_report_id"] for r in response["result"]["result"]]
    assert await listed({}) == [second]  # history_type defaults to calls
    assert await listed({"history_type": "all"}) == [first, second]
    assert await listed({"history_type": "all", "desc_order": True}) == [second, first]
    assert await listed({"history_type": ["call_list"]}) == [first]
    assert await listed({"history_type": "all", "is_completed": False}) == []
    assert await listed({"history_type": "all", "created_from": "2999-01-01 00:00:00"}) == []
    assert await listed({"history_type": "all", "count": 1, "offset": 1}) == [second]
    assert await listed({"history_type": "all"}, res) == [theirs]
    # another tenant's report is not found, on /rpc and through the file route
    assert await rpc("DownloadHistoryReport", {"history_report_id": theirs}, key=root) == \
        not_found("history_reports", str(theirs))
    status, body = await fetch(client, f"/reports/files/{theirs}", root)
    assert status == 404 and b'"code":404' in body
    assert await rpc("GetHistoryReports", {"history_type": ["bogus"]}, key=root) == \
        invalid({"history_type": {"0": "Must be one of: calls, transactions, audit, call_list."}})


async def test_not_ready_failed_and_expired_reports(client: Any, rpc: Any,
                                                    keys: dict[str, str]) -> None:
    root = keys["root"]
    db = client.app[appkeys.DB]
    key_row = await db.fetch_one("SELECT tenant_id FROM api_keys WHERE key_id = ?",
                                 (root.partition(".")[0],))
    now = int(time.time())
    waiting = await db.fetch_one(
        "INSERT INTO history_reports (tenant_id, key_id, role, history_type, params, status, "
        "created, store_until) VALUES (?, ?, 'admin', 'calls', '{}', 'running', ?, ?) "
        "RETURNING id", (key_row["tenant_id"], root.partition(".")[0], now, now + 86_400))
    assert await rpc("DownloadHistoryReport", {"history_report_id": waiting["id"]}, key=root) \
        == error(422, "history-report-not-ready: the report is running",
                 {"code": "history-report-not-ready", "message": "the report is running"})
    broken = await db.fetch_one(
        "INSERT INTO history_reports (tenant_id, key_id, role, history_type, params, status, "
        "created, store_until) VALUES (?, ?, 'admin', 'calls', '{}', 'queued', ?, ?) "
        "RETURNING id", (key_row["tenant_id"], root.partition(".")[0], now, now + 86_400))
    client.app[appkeys.EXPORTS].submit(int(broken["id"]))
    failed = await finished(rpc, root, int(broken["id"]))
    assert (failed["status"], failed["error"], "completed" in failed) == \
        ("failed", "the saved params are invalid: from_date, to_date", False)
    # a file that cannot be written: the reason, never the server's path
    folder = Path(client.app[appkeys.CONFIG].exports.folder)
    folder.rmdir()
    folder.write_text("not a folder")
    made = await rpc("GetBriefCallHistory", RANGE, key=root)
    unwritable = await finished(rpc, root, made["result"]["history_report_id"])
    assert (unwritable["status"], unwritable["error"]) == \
        ("failed", "the export file could not be written: Not a directory")
    folder.unlink()
    folder.mkdir()
    made = await rpc("GetBriefCallHistory", RANGE, key=root)
    report_id = made["result"]["history_report_id"]
    await finished(rpc, root, report_id)
    files = list(Path(client.app[appkeys.CONFIG].exports.folder).glob("*"))
    assert [f.name for f in files] == [f"{report_id}-call_list_{report_id}.csv.gz"]
    await db.execute("UPDATE history_reports SET store_until = ? WHERE id = ?", (now, report_id))
    assert await rpc("DownloadHistoryReport", {"history_report_id": report_id}, key=root) == \
        not_found("history_reports", str(report_id))
    await client.app[appkeys.EXPORTS].sweep()
    assert not files[0].exists()


@pytest.mark.parametrize("method, params, data", [
    ("GetCallHistory", {"is_async": True}, {"is_async": "Only with output=csv."}),
    ("GetCallHistory", {"is_async": True, "output": "csv", "from_date": "2026-03-05 00:00:00"},
     {"from_date": "Must not be after to_date."}),
    ("GetBriefCallHistory", {"is_async": False},
     {"is_async": "Always true: the brief history is made in the background."}),
    ("GetBriefCallHistory", {"output": "json"}, {"output": "Must be one of: csv."}),
    ("GetBriefCallHistory", {"user_id": [7]}, {"user_id": "Unknown field."}),
])
async def test_export_params(rpc: Any, keys: dict[str, str], method: str,
                             params: dict[str, Any], data: dict[str, Any]) -> None:
    assert await rpc(method, {**RANGE, **params}, key=keys["root"]) == invalid(data)


@pytest.mark.parametrize("engine", ENGINES, indirect=True)
@pytest.mark.timeout(120)
async def test_a_job_running_when_the_gateway_is_killed_runs_again_on_the_next_start(
        tmp_path: Path, database_url: str) -> None:  # noqa: F811
    """The export's file is a FIFO that nobody reads, so the job stays running (claimed,
    writing) until the gateway is killed; the next gateway runs it from zero once the
    killed one's lease (1 s here) has lapsed."""
    gateway = Gateway(tmp_path, database_url)
    gateway.env["GATEWAY_EXPORTS__LEASE_S"] = "1"
    admin = gateway.cli("keys", "create", "--role", "admin", "--rate-limit",
                        "unlimited").strip().splitlines()[-1]
    ingest = gateway.cli("keys", "create", "--role", "ingest", "--rate-limit",
                         "unlimited").strip().splitlines()[-1]
    roots = [s for s in SESSIONS if s["tenant"] == "root"]
    folder = tmp_path / "exports"
    folder.mkdir()
    os.mkfifo(folder / "1-calls_1.csv.1.partial")  # the first report's file, first attempt
    try:
        await gateway.start()
        async with aiohttp.ClientSession() as http:
            async def call(method: str, params: dict[str, Any], key: str = admin) -> Any:
                body = {"jsonrpc": "2.0", "method": method, "params": params, "id": 1}
                async with http.post(f"http://127.0.0.1:{gateway.port}/rpc", json=body,
                                     headers={"X-Api-Key": key}) as answer:
                    return (await answer.json())["result"]

            async def status() -> str:
                reports = await call("GetHistoryReports", {"history_report_id": [1]})
                return str(reports["result"][0]["status"])

            stored = await call("ingest.sessions", {"records": roots}, ingest)
            assert stored["accepted"] == len(roots)
            params = {**RANGE, "output": "csv"}
            expected = (await call("GetCallHistory", params))["result"]
            made = await call("GetCallHistory", {**params, "is_async": True})
            assert made == {"result": 1, "history_report_id": 1}
            for _ in range(100):
                if await status() == "running":
                    break
                await asyncio.sleep(0.05)
            assert await status() == "running"
        gateway.kill()
        await gateway.start()
        async with aiohttp.ClientSession() as http:
            headers = {"X-Api-Key": admin, "Accept-Encoding": "identity"}
            for _ in range(200):
                async with http.get(f"http://127.0.0.1:{gateway.port}/reports/files/1",
                                    headers=headers) as answer:
                    if answer.status == 200:
                        assert await answer.text() == expected
                        break
                await asyncio.sleep(0.05)
            else:
                raise AssertionError("the job did not complete after the restart")
    finally:
        gateway.stop()


TRANSACTIONS = [
    {"transaction_id": 501, "tenant": "root", "performed_at": "2026-03-01T08:00:00Z",
     "amount": "10.50", "currency": "USD", "transaction_type": "card_payment",
     "transaction_description": 'top-up, "card"\nsecond line'},
    {"transaction_id": 502, "tenant": "root", "performed_at": "2026-03-02T08:00:00Z",
     "amount": "-0.25", "currency": "EUR", "transaction_type": "resource_charge"}]


@pytest.mark.parametrize("method, history_type, params, calculated", [
    ("GetTransactionHistory", "transactions", {},
     {"transaction_count": 2, "total_transaction_count": 2, "timezone": "Etc/GMT"}),
    ("GetAuditLog", "audit", {"from_date": f"{TODAY - dt.timedelta(days=1)} 00:00:00",
                              "to_date": f"{TODAY + dt.timedelta(days=1)} 23:59:59"}, None),
])
async def test_async_transactions_and_audit_log_are_the_sync_csv(
        client: Any, rpc: Any, keys: dict[str, str], ingest_key: str, method: str,
        history_type: str, params: dict[str, Any], calculated: dict[str, Any] | None) -> None:
    root = keys["root"]
    stored = await rpc("ingest.transactions", {"records": TRANSACTIONS}, key=ingest_key)
    assert stored["result"]["accepted"] == 2, stored
    asked = {**RANGE, **params, "output": "csv", "count": 1000}
    answer = await rpc(method, asked, key=root)
    assert "result" in answer, answer
    sync = answer["result"]["result"]
    made = await rpc(method, {**asked, "is_async": True}, key=root)
    report = await finished(rpc, root, made["result"]["history_report_id"])
    assert (report["status"], report["history_type"]) == ("completed", history_type)
    if calculated is not None:
        assert report["calculated_data"] == calculated
    else:
        assert report["calculated_data"]["record_count"] == sync.count("\r\n") - 1 > 3
    status, body = await fetch(client, f"/reports/files/{report['history_report_id']}", root)
    assert (status, body.decode()) == (200, sync)
