"""The three ways data gets in (docs/ingest.md) store the same rows and summaries for the
same calls, on every engine:

1. `ingest.sessions` on /rpc, with a key of role `ingest`;
2. `gateway import asterisk-csv` (in-process, through the function the command runs);
3. the demo's bulk loader (`gateway.tools.demo.bulk`).

Importer against ingest: a small `Master.csv` (below) is imported into one fresh store, and
the `ingest.sessions` records its lines mean, written by hand from the documented rules
(docs/ingest.md "asterisk-csv", decisions-2026-12 section 6), are sent to another on /rpc.
Both stores get the tenant the file is imported for first, so tenant ids agree, and the
importer emits the calls in file order (each call's lines are together), which is the
order of the records sent: so ids agree too, and every data table is compared row for
row, ids and content hashes included. `aggregate_get` (from the summaries and from the raw
records) and `GetCallHistory` must then answer the same.

Demo loader against ingest: tests/test_bulk.py compares its table list and
`aggregate_get`'s answers; here the same data set (fewer calls) is also compared on what
that list leaves out, `session_leg_paths` (the tenants of every leg of an ended call), and
on `GetCallHistory`.

Left out as different by design: the import's own bookkeeping (`imports`,
`import_lines`), keys (`api_keys`), the audit log and `settings`.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import itertools
from pathlib import Path
from typing import Any, Awaitable, Callable

import pytest
from test_bulk import second_config  # noqa: F401 (a fixture)
from test_bulk import ANCHOR, FIRST_DAY, LAST_DAY, SEED, TABLES, fill, reseller

from gateway.core.clock import DAY
from gateway.core.config import Config
from gateway.storage import Backend
from gateway.storage import tenants as tenant_store
from gateway.tools.commands import as_root, call
from gateway.tools.demo.plan import make_plan
from gateway.tools.importers.command import run_import
from gateway.tools.importers.ids import derived_id
from methods.aggregate import aggregate
from methods.aggregate.params import AggregateParams
from methods.context import Context

TABLES_COMPARED = {**TABLES, "session_leg_paths": "*"}
TENANT = "acme"
SWITCH = "pbx-1"

# Master.csv, `cdr_csv` with all 21 columns: accountcode, src, dst, dcontext, clid, channel,
# dstchannel, lastapp, lastdata, start, answer, end, duration, billsec, disposition,
# amaflags, uniqueid, userfield, peeraccount, linkedid, sequence. Times UTC, 2026-11-23:
# - 1795424400.1 answered by carrier-a, 195 s;
# - 1795424700.3 a failover: NO ANSWER from carrier-a (the file writes an answer time
#   anyway), then ANSWERED by carrier-b, 120 s; both lines of the calling channel
#   (uniqueid = linkedid), sequence 5 then 6;
# - 1795425000.6 BUSY, `src` empty: the number is the caller id's.
MASTER_CSV = (
    '"acme-pbx","1001","37061234567","from-internal","""Ona"" <1001>","SIP/1001-00000001",'
    '"SIP/carrier-a-00000002","Dial","SIP/carrier-a/37061234567,60","2026-11-23 09:00:00",'
    '"2026-11-23 09:00:06","2026-11-23 09:03:21",201,195,"ANSWERED","DOCUMENTATION",'
    '"1795424400.1","","carrier-a","1795424400.1",1\n'
    '"acme-pbx","1002","442071111111","from-internal","""Jonas"" <1002>","SIP/1002-00000003",'
    '"SIP/carrier-a-00000004","Dial","SIP/carrier-a/442071111111,30","2026-11-23 09:05:00",'
    '"2026-11-23 09:05:15","2026-11-23 09:05:30",30,0,"NO ANSWER","DOCUMENTATION",'
    '"1795424700.3","","carrier-a","1795424700.3",5\n'
    '"acme-pbx","1002","442071111111","from-internal","""Jonas"" <1002>","SIP/1002-00000003",'
    '"SIP/carrier-b-00000005","Dial","SIP/carrier-b/442071111111,30","2026-11-23 09:05:30",'
    '"2026-11-23 09:05:34","2026-11-23 09:07:34",124,120,"ANSWERED","DOCUMENTATION",'
    '"1795424700.3","","carrier-b","1795424700.3",6\n'
    '"acme-office","","37052000111","from-internal","""Reception"" <1003>",'
    '"SIP/1003-00000006","SIP/carrier-a-00000007","Dial","SIP/carrier-a/37052000111,30",'
    '"2026-11-23 09:10:00","","2026-11-23 09:10:07",7,0,"BUSY","DOCUMENTATION",'
    '"1795425000.6","","carrier-a","1795425000.6",7\n'
)


# Reference ids the importer derives from the owning tenant and the name (gateway/tools/
# importers/ids.py): accounts from account codes (the orig leg's `accountcode`, a term
# leg's `peeraccount`), the equipment from `--equipment`. Clients: none (a line names no
# customer or carrier, only accounts).
def account(code: str) -> dict[str, Any]:
    return {"id": derived_id("accounts", TENANT, code), "name": code}


EQUIPMENT = {"id": derived_id("equipment", TENANT, SWITCH), "name": SWITCH}


def session(session_id: str, setup: str, answer: str | None, end: str,
            legs: list[dict[str, Any]]) -> dict[str, Any]:
    """A finished call as the documented rules make it of its lines (`--tenant acme
    --equipment pbx-1`); an unanswered call's `start_time` is null. (A session's content
    hash is taken of the record as sent: the same call with `start_time` left out stores
    every column the same but that hash.)"""
    return {"session_id": session_id, "kind": "call", "tenant": TENANT, "setup_time": setup,
            "start_time": answer, "end_time": end, "equipment": EQUIPMENT, "legs": legs}


# The records the file means, by hand. Session id: the linkedid. The orig leg: the calling
# channel (uniqueid = linkedid, earliest start), id its uniqueid, account its accountcode;
# times the session's (earliest start, earliest answer of an ANSWERED line, latest end);
# billsec and real_billsec the sum of the ANSWERED lines' billsec; disposition ANSWERED when
# any line is, else the last attempt's. One term leg per line in sequence order, id
# `uniqueid/sequence`, account the peeraccount, the line's own times, seconds and
# disposition, no answer time unless ANSWERED. Empty values are left out of a leg.
RECORDS = [
    session("1795424400.1", "2026-11-23T09:00:00Z", "2026-11-23T09:00:06Z",
            "2026-11-23T09:03:21Z", [
                {"leg_id": "1795424400.1", "role": "orig", "src": "1001", "dst": "37061234567",
                 "account": account("acme-pbx"), "setup_time": "2026-11-23T09:00:00Z",
                 "start_time": "2026-11-23T09:00:06Z", "end_time": "2026-11-23T09:03:21Z",
                 "billsec": 195, "real_billsec": 195, "disposition": "ANSWERED"},
                {"leg_id": "1795424400.1/1", "role": "term", "src": "1001",
                 "dst": "37061234567", "account": account("carrier-a"),
                 "setup_time": "2026-11-23T09:00:00Z", "start_time": "2026-11-23T09:00:06Z",
                 "end_time": "2026-11-23T09:03:21Z", "billsec": 195, "real_billsec": 195,
                 "disposition": "ANSWERED"}]),
    # setup 09:05:00 (line 2's start), answer 09:05:34 (line 3's: line 2's 09:05:15 is a NO
    # ANSWER's), end 09:07:34 (line 3's); billsec 0 + 120 = 120 (only line 3 is answered)
    session("1795424700.3", "2026-11-23T09:05:00Z", "2026-11-23T09:05:34Z",
            "2026-11-23T09:07:34Z", [
                {"leg_id": "1795424700.3", "role": "orig", "src": "1002", "dst": "442071111111",
                 "account": account("acme-pbx"), "setup_time": "2026-11-23T09:05:00Z",
                 "start_time": "2026-11-23T09:05:34Z", "end_time": "2026-11-23T09:07:34Z",
                 "billsec": 120, "real_billsec": 120, "disposition": "ANSWERED"},
                {"leg_id": "1795424700.3/5", "role": "term", "src": "1002",
                 "dst": "442071111111", "account": account("carrier-a"),
                 "setup_time": "2026-11-23T09:05:00Z", "end_time": "2026-11-23T09:05:30Z",
                 "billsec": 0, "real_billsec": 0, "disposition": "NO ANSWER"},
                {"leg_id": "1795424700.3/6", "role": "term", "src": "1002",
                 "dst": "442071111111", "account": account("carrier-b"),
                 "setup_time": "2026-11-23T09:05:30Z", "start_time": "2026-11-23T09:05:34Z",
                 "end_time": "2026-11-23T09:07:34Z", "billsec": 120, "real_billsec": 120,
                 "disposition": "ANSWERED"}]),
    # src empty: the number of the caller id `"Reception" <1003>`
    session("1795425000.6", "2026-11-23T09:10:00Z", None, "2026-11-23T09:10:07Z", [
        {"leg_id": "1795425000.6", "role": "orig", "src": "1003", "dst": "37052000111",
         "account": account("acme-office"), "setup_time": "2026-11-23T09:10:00Z",
         "end_time": "2026-11-23T09:10:07Z", "billsec": 0, "real_billsec": 0,
         "disposition": "BUSY"},
        {"leg_id": "1795425000.6/7", "role": "term", "src": "1003", "dst": "37052000111",
         "account": account("carrier-a"), "setup_time": "2026-11-23T09:10:00Z",
         "end_time": "2026-11-23T09:10:07Z", "billsec": 0, "real_billsec": 0,
         "disposition": "BUSY"}]),
]

# 2026-01-01T00:00:00Z is 1767225600; 2026-11-23 is day 326 after it (Jan..Oct: 304 days,
# then 22 more), so 1767225600 + 326 * 86400 = 1795392000; 09:00 is 1795392000 + 32400.
NOV23 = {"from": 1795392000, "till": 1795392000 + 86399}
NINE = {"from": 1795424400, "till": 1795424400 + 3599}  # 09:00:00 to 09:59:59
NINE_RAW = {"from": 1795424400, "till": 1795424400 + 3598}  # off the buckets: raw records
REQUESTS: list[dict[str, Any]] = [
    NOV23, NINE, NINE_RAW,
    {**NOV23, "group_by_device": 1, "group_by_provider": 1, "group_by_dst": 1,
     "use_real_billsec": 1},
    {**NINE, "group_by_hour": 1, "group_by_terminator": 1, "timezone": "Europe/Vilnius"},
    {**NOV23, "answered_calls": 3, "s_duration": 60},
]
HISTORY = {"from_date": "2026-11-23 00:00:00", "to_date": "2026-11-23 23:59:59",
           "child_account_id": "all", "with_calls": True, "with_records": True,
           "count": 1000}


def utc_text(seconds: int) -> str:
    """Unix seconds as a history date (`YYYY-MM-DD HH:mm:ss`, UTC: the default `Etc/GMT`)."""
    return dt.datetime.fromtimestamp(seconds, dt.timezone.utc).strftime("%Y-%m-%d %H:%M:%S")


async def _rows(db: Backend) -> dict[str, list[tuple[Any, ...]]]:
    out = {}
    for table, columns in TABLES_COMPARED.items():
        rows = await db.fetch_all(f"SELECT {columns} FROM {table}")
        out[table] = sorted((tuple(r.items()) for r in rows), key=repr)
    return out


def rows(config: Config) -> dict[str, list[tuple[Any, ...]]]:
    return asyncio.run(as_root(config, lambda context: _rows(context.db)))


def same(got: dict[str, list[Any]], expected: dict[str, list[Any]], what: str) -> None:
    """Every compared table holds the same rows (the first difference named)."""
    for table in TABLES_COMPARED:
        one, other = got[table], expected[table]
        assert len(one) == len(other), (what, table, len(one), len(other))
        first = next((i for i, (a, b) in enumerate(zip(one, other)) if a != b), None)
        if first is not None:
            got_row, expected_row = dict(one[first]), dict(other[first])
            differing = {column: (got_row.get(column), value)
                         for column, value in expected_row.items()
                         if got_row.get(column) != value}
            pytest.fail(f"{what}: {table} row {expected_row}: differs in (got, expected) "
                        f"{differing}", pytrace=False)


def as_each(config: Config, ask: Callable[[Context], Awaitable[Any]]) -> list[Any]:
    """`ask`'s answer as the root admin and as the reseller `acme` would see it."""
    async def work(context: Context) -> list[Any]:
        row = await tenant_store.by_name(context.db, TENANT)
        assert row is not None
        return [await ask(context), await ask(reseller(context, row))]
    return asyncio.run(as_root(config, work))


async def _aggregates(context: Context) -> list[Any]:
    return [(request, summaries, await aggregate(context, AggregateParams().load(request),
                                                 summaries))
            for request, summaries in itertools.product(REQUESTS, (True, False))]


async def _history(context: Context) -> Any:
    return await call(context, "GetCallHistory", HISTORY)


async def test_an_imported_file_stores_what_its_records_sent_to_ingest_store(
        rpc: Any, ingest_key: str, config: Config, second_config: Config,  # noqa: F811
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    # the store of /rpc (`config`) and the store imported into (`second_config`)
    made = await rpc("tenants.create", {"name": TENANT, "parent": "root"})
    assert "result" in made, made
    await asyncio.to_thread(asyncio.run, as_root(second_config, lambda context: call(
        context, "tenants.create", {"name": TENANT, "parent": "root"})))

    sent = await rpc("ingest.sessions", {"records": RECORDS}, key=ingest_key)
    assert sent == {"jsonrpc": "2.0", "id": 1,
                    "result": {"accepted": 3, "unchanged": 0, "rejected": []}}

    path = tmp_path / "Master.csv"
    path.write_text(MASTER_CSV, encoding="ascii")
    code = await asyncio.to_thread(run_import, second_config, "asterisk-csv", str(path),
                                   tenant=TENANT, equipment=SWITCH)
    out, err = capsys.readouterr()
    assert (code, out.splitlines()[-1], err) == \
        (0, "read=4 imported=4 present=0 rejected=0", "")
    assert not (tmp_path / "Master.csv.rejects.csv").exists()

    ingested = await asyncio.to_thread(rows, config)
    imported = await asyncio.to_thread(rows, second_config)
    assert len(ingested["sessions"]) == 3 and len(ingested["legs"]) == 7  # 2 + 3 + 2 legs
    assert len(ingested["call_summaries"]) > 0 and len(ingested["session_leg_paths"]) == 3
    same(imported, ingested, "import against ingest.sessions")
    # the failover's legs as the rules store them: 09:05:00 is 1795424400 + 300, the
    # answer 09:05:34 is 1795424400 + 334; no answer for the NO ANSWER attempt
    legs = [dict(r) for r in imported["legs"] if dict(r)["leg_id"].startswith("1795424700.3")]
    assert sorted((r["leg_id"], r["role"], r["setup_time"], r["start_time"], r["billsec"],
                   r["disposition"], r["account_id"]) for r in legs) == [
        ("1795424700.3", "orig", 1795424700, 1795424734, 120, "ANSWERED",
         account("acme-pbx")["id"]),
        ("1795424700.3/5", "term", 1795424700, None, 0, "NO ANSWER", account("carrier-a")["id"]),
        ("1795424700.3/6", "term", 1795424730, 1795424734, 120, "ANSWERED",
         account("carrier-b")["id"])]

    by_ingest = await asyncio.to_thread(as_each, config, _aggregates)
    by_import = await asyncio.to_thread(as_each, second_config, _aggregates)
    for one, other in zip(by_import, by_ingest):
        for (request, summaries, got), (_, _, expected) in zip(one, other):
            assert got == expected, (request, summaries)
    # the hour, as root, from the summaries: 3 calls, 2 answered (ASR 2 / 3 = 66.67 %),
    # 195 + 120 = 315 billed seconds, ACD 315 / 2 = 157.50
    totals = by_import[0][2][2]["totals"]
    assert (totals["total_calls"], totals["answered_calls"], str(totals["asr"]),
            totals["billsec"], str(totals["acd"])) == (3, 2, "66.67", 315, "157.50")
    assert by_import[1][2][2]["totals"]["total_calls"] == 3  # acme's own calls

    history_ingested = await asyncio.to_thread(as_each, config, _history)
    history_imported = await asyncio.to_thread(as_each, second_config, _history)
    assert history_imported == history_ingested
    assert [(page["total_count"], len(page["result"])) for page in history_imported] == \
        [(3, 3), (3, 3)]  # every call, as root and as acme

    # the same file imported into the store that took the records: every line is found
    # stored exactly so (`present`), and nothing changes
    again = tmp_path / "again"
    again.mkdir()
    (again / "Master.csv").write_text(MASTER_CSV, encoding="ascii")
    code = await asyncio.to_thread(run_import, config, "asterisk-csv",
                                   str(again / "Master.csv"), tenant=TENANT, equipment=SWITCH)
    out, err = capsys.readouterr()
    assert (code, out.splitlines()[-1], err) == \
        (0, "read=4 imported=0 present=4 rejected=0", "")
    same(await asyncio.to_thread(rows, config), ingested, "import after ingest.sessions")


async def test_the_demo_loader_stores_leg_paths_and_history_as_ingest_does(
        config: Config, second_config: Config,  # noqa: F811
        monkeypatch: pytest.MonkeyPatch) -> None:
    """The demo's data set through the ingest functions (`config`) and through the bulk
    loader (`second_config`); test_bulk compares the rest."""
    plan = make_plan(SEED, 200, ANCHOR)
    by_ingest = await asyncio.to_thread(fill, config, False, monkeypatch, plan)
    by_bulk = await asyncio.to_thread(fill, second_config, True, monkeypatch, plan)
    assert by_ingest.rejected == by_bulk.rejected == 0
    assert by_bulk.stored["sessions"].accepted == by_ingest.stored["sessions"].accepted == 200
    ingested = await asyncio.to_thread(rows, config)
    loaded = await asyncio.to_thread(rows, second_config)
    ended = [dict(r) for r in ingested["sessions"] if dict(r)["end_time"] is not None]
    # a text for each ended call (storage/leg_paths.py), none for video sessions
    assert len(ingested["session_leg_paths"]) == \
        sum(r["kind"] == "call" for r in ended) > 0
    same(loaded, ingested, "bulk loader against ingest")

    span = {"from_date": utc_text(FIRST_DAY - DAY), "to_date": utc_text(LAST_DAY + DAY - 1),
            "child_account_id": "all",
            "with_calls": True, "with_records": True, "count": 1000}

    async def history(context: Context) -> Any:
        return await call(context, "GetCallHistory", span)
    expected = await asyncio.to_thread(asyncio.run, as_root(config, history))
    got = await asyncio.to_thread(asyncio.run, as_root(second_config, history))
    assert got == expected
    assert expected["total_count"] == len(ended)
