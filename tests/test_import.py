"""`gateway import` (spec ingest.md, section 3): the parsers record by record, then the
command as a process and in-process, with the stored rows read back through sqlite3.

Fixtures in tests/fixtures/import/: `master.csv` (Asterisk, 21 columns, UTC), `vilnius.csv`
(Asterisk, 17 columns, local time across both 2026 daylight-saving changes),
`freeswitch.csv` (the default template) and `sessions.jsonl`.
"""

from __future__ import annotations

import asyncio
import calendar
import datetime as dt
import io
import os
import sqlite3
import subprocess
import sys
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from gateway.core.config import Config, load_config
from gateway.tools import commands
from gateway.tools.importers import freeswitch, jsonl, lines, q850
from gateway.tools.importers.asterisk import AsteriskCsv
from gateway.tools.importers.command import run_import
from gateway.tools.importers.grouping import Groups
from gateway.tools.importers.ids import derived_id, derived_key
from gateway.tools.importers.lines import Line, LineRejected, read_lines
from gateway.tools.importers.records import Format, OneLineEach, Options, Parsed

FIXTURES = Path(__file__).parent / "fixtures" / "import"
COMMAND_TIMEOUT_S = 30
UTC_FILE = Options(owner="root", zone=ZoneInfo("UTC"))
ACC1 = derived_id("accounts", "root", "acc1")
ACC2 = derived_id("accounts", "root", "acc2")
CARRIER9 = derived_id("accounts", "root", "carrier9")
PBX1 = derived_id("equipment", "root", "pbx1")


def utc(text: str) -> int:
    """`YYYY-MM-DD HH:MM:SS` UTC as the Unix seconds the store keeps."""
    return calendar.timegm(dt.datetime.strptime(text, "%Y-%m-%d %H:%M:%S").timetuple())


def parse_file(parser: Format, path: Path) -> tuple[list[Parsed], list[tuple[int, str]]]:
    """What a format makes of a file: its sessions, and its refused lines with reasons."""
    done: list[Parsed] = []
    refused: list[tuple[int, str]] = []
    with open(path, "rb") as file:
        for line in read_lines(file, lambda size: None):
            try:
                if line.problem is not None:
                    raise LineRejected(line.problem)
                done += parser.feed(line)
            except LineRejected as exc:
                refused.append((line.number, exc.reason))
    return done + parser.finish(), refused


def line(text: str, number: int = 1) -> Line:
    return Line(number, text.encode(), text)


def rows(db: Path, sql: str) -> list[tuple[Any, ...]]:
    conn = sqlite3.connect(db)
    try:
        return conn.execute(sql).fetchall()
    finally:
        conn.close()


# --- Asterisk --------------------------------------------------------------------------

def test_asterisk_quoted_fields_and_an_answered_call() -> None:
    done, _ = parse_file(AsteriskCsv(UTC_FILE), FIXTURES / "master.csv")
    assert done[0].record == {
        "session_id": "1768471200.1", "kind": "call",
        "setup_time": "2026-01-15T10:00:00Z", "start_time": "2026-01-15T10:00:05Z",
        "end_time": "2026-01-15T10:01:05Z",
        "legs": [{"leg_id": "1768471200.1", "role": "orig", "src": "1001", "dst": "2002",
                  "account": {"id": ACC1, "name": "acc1"},
                  "setup_time": "2026-01-15T10:00:00Z", "start_time": "2026-01-15T10:00:05Z",
                  "end_time": "2026-01-15T10:01:05Z", "billsec": 60, "real_billsec": 60,
                  "disposition": "ANSWERED"},
                 {"leg_id": "1768471200.1/1", "role": "term", "src": "1001", "dst": "2002",
                  "setup_time": "2026-01-15T10:00:00Z", "start_time": "2026-01-15T10:00:05Z",
                  "end_time": "2026-01-15T10:01:05Z", "billsec": 60, "real_billsec": 60,
                  "disposition": "ANSWERED"}]}
    assert [n.number for n in done[0].lines] == [1]


def test_asterisk_empty_answer_and_the_number_from_the_caller_id() -> None:
    done, _ = parse_file(AsteriskCsv(UTC_FILE), FIXTURES / "master.csv")
    assert done[1].record == {
        "session_id": "1768471320.3", "kind": "call",
        "setup_time": "2026-01-15T10:02:00Z", "start_time": None,
        "end_time": "2026-01-15T10:02:20Z",
        "legs": [{"leg_id": "1768471320.3", "role": "orig", "src": "1002", "dst": "2003",
                  "account": {"id": ACC1, "name": "acc1"},
                  "setup_time": "2026-01-15T10:02:00Z", "end_time": "2026-01-15T10:02:20Z",
                  "billsec": 0, "real_billsec": 0, "disposition": "NO ANSWER"},
                 {"leg_id": "1768471320.3/3", "role": "term", "src": "1002", "dst": "2003",
                  "setup_time": "2026-01-15T10:02:00Z", "end_time": "2026-01-15T10:02:20Z",
                  "billsec": 0, "real_billsec": 0, "disposition": "NO ANSWER"}]}


def test_asterisk_every_disposition() -> None:
    done, _ = parse_file(AsteriskCsv(UTC_FILE), FIXTURES / "master.csv")
    assert [(p.record["session_id"], [leg["disposition"] for leg in p.record["legs"]])
            for p in done] == [
        # the orig leg, then each line an attempt (sequence order: lines 7, 8, 5 for .10)
        ("1768471200.1", ["ANSWERED"] * 2), ("1768471320.3", ["NO ANSWER"] * 2),
        ("1768471380.5", ["BUSY"] * 2), ("1768471440.7", ["FAILED"] * 2),
        ("1768471500.9", ["CONGESTION"] * 2),
        ("1768471500.10", ["ANSWERED", "ANSWERED", "NO ANSWER", "ANSWERED"]),
        ("1768471680.13", ["FAILED"] * 2)]


def test_asterisk_forked_legs_sharing_a_linkedid_are_one_session() -> None:
    """Lines 5, 7 and 8 share linkedid 1768471500.10, with line 6 between them. Attempts in
    sequence order: line 7 (seq 10), line 8 (seq 11), line 5 (seq 12). The calling channel
    is line 7 (uniqueid = linkedid, earliest start). Answered: lines 7 and 5, so the orig
    leg bills 117 + 116 = 233 s, answered at the earliest answer (10:05:04), ended at the
    latest end (10:07:01, line 7)."""
    done, _ = parse_file(AsteriskCsv(UTC_FILE), FIXTURES / "master.csv")
    forked = done[5]
    assert [n.number for n in forked.lines] == [5, 7, 8]
    assert forked.record == {
        "session_id": "1768471500.10", "kind": "call",
        "setup_time": "2026-01-15T10:04:58Z", "start_time": "2026-01-15T10:05:04Z",
        "end_time": "2026-01-15T10:07:01Z",
        "legs": [
            {"leg_id": "1768471500.10", "role": "orig", "src": "1005", "dst": "3003",
             "account": {"id": ACC2, "name": "acc2"}, "setup_time": "2026-01-15T10:04:58Z",
             "start_time": "2026-01-15T10:05:04Z", "end_time": "2026-01-15T10:07:01Z",
             "billsec": 233, "real_billsec": 233, "disposition": "ANSWERED"},
            {"leg_id": "1768471500.10/10", "role": "term", "src": "1005", "dst": "3003",
             "account": {"id": CARRIER9, "name": "carrier9"},
             "setup_time": "2026-01-15T10:04:58Z", "start_time": "2026-01-15T10:05:04Z",
             "end_time": "2026-01-15T10:07:01Z", "billsec": 117, "real_billsec": 117,
             "disposition": "ANSWERED"},
            {"leg_id": "1768471500.10/11", "role": "term", "src": "1005", "dst": "3004",
             "setup_time": "2026-01-15T10:04:58Z", "end_time": "2026-01-15T10:05:04Z",
             "billsec": 0, "real_billsec": 0, "disposition": "NO ANSWER"},
            {"leg_id": "1768471500.11/12", "role": "term", "src": "3003", "dst": "3003",
             "account": {"id": CARRIER9, "name": "carrier9"},
             "setup_time": "2026-01-15T10:05:04Z", "start_time": "2026-01-15T10:05:04Z",
             "end_time": "2026-01-15T10:07:00Z", "billsec": 116, "real_billsec": 116,
             "disposition": "ANSWERED"}]}


def test_asterisk_latin1_is_read_and_a_truncated_last_line_rejected() -> None:
    done, refused = parse_file(AsteriskCsv(UTC_FILE), FIXTURES / "master.csv")
    assert len(done) == 7
    assert done[6].record["legs"][0]["src"] == "Jos\u00e9"  # byte 0xe9 read as Latin-1
    assert refused == [
        (10, "not a CSV line (unexpected end of data): a quoted field is cut, "
             "or holds a line break")]


def test_asterisk_local_time_across_daylight_saving_changes() -> None:
    """Europe/Vilnius: 2026-10-25 04:00 EEST falls back to 03:00 EET (03:xx happens twice:
    the earlier, +03:00, is taken); 2026-03-29 03:00 EET springs to 04:00 EEST (03:xx
    never happens: refused)."""
    vilnius = Options(owner="root", zone=ZoneInfo("Europe/Vilnius"))
    done, refused = parse_file(AsteriskCsv(vilnius), FIXTURES / "vilnius.csv")
    assert [(p.record["session_id"], p.record["setup_time"], p.record["start_time"],
             p.record["end_time"]) for p in done] == [
        ("v1", "2026-10-24T23:59:00Z", "2026-10-25T00:00:10Z", "2026-10-25T00:30:00Z"),
        ("v2", "2026-10-25T02:10:00Z", "2026-10-25T02:10:02Z", "2026-10-25T02:20:00Z"),
        ("v3", "2026-03-29T00:59:30Z", "2026-03-29T01:00:05Z", "2026-03-29T01:01:00Z")]
    assert refused == [
        (4, "start: 2026-03-29 03:15:00 does not exist in Europe/Vilnius (the clocks skip it)")]


BASE = ('"acc1","1001","2002","ctx","1001","SIP/a","SIP/b","Dial","x","2026-01-15 10:00:00",'
        '"","2026-01-15 10:00:09",9,0,"BUSY","DOCUMENTATION"')


@pytest.mark.parametrize(("extra", "session_id", "leg_id"), [
    ('', None, None),
    (',"u1"', "u1", "u1"),
    (',"u1","field"', "u1", "u1"),
    (',"peer","L1",7', "L1", None),
    (',"u1","peer","L1",7', "L1", "u1"),
    (',"u1","field","peer","L1",7', "L1", "u1"),
], ids=["16", "17", "18", "19", "20", "21"])
def test_asterisk_column_layouts(extra: str, session_id: str | None,
                                 leg_id: str | None) -> None:
    text = BASE + extra
    parser = AsteriskCsv(UTC_FILE)
    done = parser.feed(line(text)) + parser.finish()
    record = done[0].record
    assert record["session_id"] == (session_id or derived_key("cdr", text))
    assert record["legs"][0]["leg_id"] == (leg_id or "SIP/a")  # else the calling channel
    assert record["legs"][0]["disposition"] == "BUSY"


def test_asterisk_a_line_without_ids_has_ids_derived_from_its_content() -> None:
    first = AsteriskCsv(UTC_FILE).feed(line(BASE))[0].record
    again = AsteriskCsv(UTC_FILE).feed(line(BASE, number=40))[0].record
    assert first == again
    assert first["session_id"].startswith("cdr-") and len(first["session_id"]) == 36


def test_asterisk_the_first_line_fixes_the_layout() -> None:
    parser = AsteriskCsv(UTC_FILE)
    parser.feed(line(BASE + ',"u1"'))
    with pytest.raises(LineRejected, match=r"^16 columns, expected 17 \(layout: cdr_csv "
                       r"Master.csv, 17 columns; try --layout custom or --columns\)$"):
        parser.feed(line(BASE, number=2))
    with pytest.raises(LineRejected, match="^3 columns, expected 16 or 17 or 18"):
        AsteriskCsv(UTC_FILE).feed(line('"a","b","c"'))


LAYOUT_16 = " (layout: cdr_csv Master.csv, 16 columns; try --layout custom or --columns)"


@pytest.mark.parametrize(("change", "reason"), [
    (("BUSY", "LOST"), "disposition: 'LOST' is not one of ANSWERED, NO ANSWER, BUSY, "
                       "FAILED, CONGESTION" + LAYOUT_16),
    (("9,0,", "9,x,"), "billsec: not a whole number of seconds: 'x'" + LAYOUT_16),
    (('"2026-01-15 10:00:00"', '"15/01/2026 10:00"'),
     "start: not a time as YYYY-MM-DD HH:MM:SS: '15/01/2026 10:00'" + LAYOUT_16),
    (('"2026-01-15 10:00:09"', '""'), "end: empty" + LAYOUT_16),
    (('"SIP/a"', '"SIP/a"x'), "not a CSV line (',' expected after '\"'): a quoted field is "
                              "cut, or holds a line break"),
])
def test_asterisk_bad_lines(change: tuple[str, str], reason: str) -> None:
    with pytest.raises(LineRejected) as refused:
        AsteriskCsv(UTC_FILE).feed(line(BASE.replace(*change)))
    assert refused.value.reason == reason


def test_groups_close_after_their_window_and_refuse_stragglers() -> None:
    groups: Groups[str] = Groups(window=2, memory=3)
    assert groups.add("a", "a1", 1) == []
    assert groups.add("b", "b1", 2) == []
    assert groups.add("a", "a2", 3) == []
    assert groups.add("c", "c1", 5) == [["b1"]]  # b: nothing since line 2
    with pytest.raises(LineRejected, match="^a leg of b more than 2 lines after"):
        groups.add("b", "b2", 6)
    assert groups.add("d", "d1", 7) == [["a1", "a2"]]  # the straggler's groups come next
    assert groups.add("b", "b3", 9) == [["c1"]]  # b forgotten 3 lines after it closed
    assert groups.finish() == [["d1"], ["b3"]]


# --- FreeSWITCH and JSON lines ---------------------------------------------------------

def test_freeswitch_answered_call_with_a_b_leg() -> None:
    done, _ = parse_file(OneLineEach(freeswitch.parse, UTC_FILE), FIXTURES / "freeswitch.csv")
    outcome = {"src": "1001", "dst": "442071234567", "setup_time": "2026-02-01T09:00:00Z",
               "start_time": "2026-02-01T09:00:04Z", "end_time": "2026-02-01T09:01:04Z",
               "billsec": 60, "real_billsec": 60, "disposition": "ANSWERED",
               "hangup_cause": 16}
    assert done[0].record == {
        "session_id": "3f1c-a1", "kind": "call", "setup_time": "2026-02-01T09:00:00Z",
        "start_time": "2026-02-01T09:00:04Z", "end_time": "2026-02-01T09:01:04Z",
        "legs": [{"leg_id": "3f1c-a1", "role": "orig",
                  "account": {"id": ACC1, "name": "acc1"}, **outcome},
                 {"leg_id": "3f1c-b1", "role": "term", **outcome}]}


def test_freeswitch_hangup_causes_and_a_truncated_line() -> None:
    done, refused = parse_file(OneLineEach(freeswitch.parse, UTC_FILE), FIXTURES / "freeswitch.csv")
    assert [(p.record["session_id"], len(p.record["legs"]),
             p.record["legs"][0]["disposition"], p.record["legs"][0].get("hangup_cause"))
            for p in done] == [
        ("3f1c-a1", 2, "ANSWERED", 16), ("3f1c-a2", 2, "BUSY", 17),
        ("3f1c-a3", 2, "NO ANSWER", 19), ("3f1c-a4", 1, "NO ANSWER", None),
        ("3f1c-a5", 1, "CONGESTION", 41), ("3f1c-a6", 1, "FAILED", 1)]
    assert refused == [(7, "12 columns, expected 15")]


@pytest.mark.parametrize(("cause", "answered", "disposition"), [
    ("NORMAL_CLEARING", True, "ANSWERED"), ("NORMAL_CLEARING", False, "FAILED"),
    ("USER_BUSY", False, "BUSY"), ("NO_ANSWER", False, "NO ANSWER"),
    ("NO_USER_RESPONSE", False, "NO ANSWER"), ("ORIGINATOR_CANCEL", False, "NO ANSWER"),
    ("NORMAL_CIRCUIT_CONGESTION", False, "CONGESTION"),
    ("NETWORK_OUT_OF_ORDER", False, "CONGESTION"),
    ("NORMAL_TEMPORARY_FAILURE", False, "CONGESTION"),
    ("SWITCH_CONGESTION", False, "CONGESTION"), ("REQUESTED_CHAN_UNAVAIL", False, "CONGESTION"),
    ("CALL_REJECTED", False, "FAILED"), ("RECOVERY_ON_TIMER_EXPIRE", False, "FAILED"),
    ("SOMETHING_NEW", False, "FAILED"),
])
def test_q850_dispositions(cause: str, answered: bool, disposition: str) -> None:
    assert q850.disposition(cause, answered) == disposition


def test_q850_numbers() -> None:
    assert {name: q850.CAUSES.get(name) for name in (
        "NORMAL_CLEARING", "USER_BUSY", "NO_USER_RESPONSE", "NO_ANSWER", "CALL_REJECTED",
        "UNALLOCATED_NUMBER", "NORMAL_TEMPORARY_FAILURE", "RECOVERY_ON_TIMER_EXPIRE",
        "ORIGINATOR_CANCEL")} == {
        "NORMAL_CLEARING": 16, "USER_BUSY": 17, "NO_USER_RESPONSE": 18, "NO_ANSWER": 19,
        "CALL_REJECTED": 21, "UNALLOCATED_NUMBER": 1, "NORMAL_TEMPORARY_FAILURE": 41,
        "RECOVERY_ON_TIMER_EXPIRE": 102, "ORIGINATOR_CANCEL": None}


def test_jsonl_options_fill_in_what_a_record_leaves_out() -> None:
    options = Options(owner="acme", zone=ZoneInfo("UTC"), tenant="acme",
                      equipment={"id": 5, "name": "sbc"}, code_deck=7)
    done, refused = parse_file(OneLineEach(jsonl.parse, options), FIXTURES / "sessions.jsonl")
    assert [(p.record["session_id"], p.record["tenant"], p.record["equipment"],
             [leg["code_deck_id"] for leg in p.record["legs"]], [n.number for n in p.lines])
            for p in done] == [
        ("j1", "acme", {"id": 5, "name": "sbc"}, [7], [1]),
        ("j2", "acme", {"id": 77, "name": "sbc-own"}, [9], [3]),
        ("j3", "acme", {"id": 5, "name": "sbc"}, [7], [4])]
    assert refused == [
        (5, "not JSON: unexpected end of data: line 1 column 35 (char 34)"),
        (6, "not a JSON object (one session record per line)")]


def test_an_over_long_line_is_rejected_and_the_next_one_read(
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(lines, "MAX_LINE_BYTES", 10)
    monkeypatch.setattr(lines, "CHUNK_BYTES", 4)
    read: list[int] = []
    got = list(read_lines(io.BytesIO(b"short\n" + b"x" * 25 + b"\n\r\nlast"), read.append))
    assert [(n.number, n.text, n.problem) for n in got] == [
        (1, "short", None),
        (2, None, "longer than 10 bytes (only its start is shown)"),
        (4, "last", None)]
    assert sum(read) == 6 + 26 + 2 + 4


# --- the command, as a process ---------------------------------------------------------

def gateway(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("GATEWAY_")}
    env["GATEWAY_DATABASE"] = f"sqlite:///{tmp_path}/x.db"
    return subprocess.run([sys.executable, "-m", "gateway", "import", *args], cwd=tmp_path,
                          env=env, capture_output=True, text=True, timeout=COMMAND_TIMEOUT_S)


MASTER_REJECTS = (
    'line,reason,content\n'
    '10,"not a CSV line (unexpected end of data): a quoted field is cut, or holds a line '
    'break","""acc1"",""1001"",""2007"",""from-internal"",""""""Bob"\n')


def test_asterisk_import_and_reimport(tmp_path: Path) -> None:
    path = tmp_path / "Master.csv"
    path.write_bytes((FIXTURES / "master.csv").read_bytes())
    done = gateway(tmp_path, "asterisk-csv", "Master.csv", "--equipment", "pbx1")
    assert (done.returncode, done.stdout) == (0, "read=10 imported=9 present=0 rejected=1\n")
    assert "Traceback" not in done.stderr
    assert (tmp_path / "Master.csv.rejects.csv").read_text(encoding="utf-8") == MASTER_REJECTS
    db = tmp_path / "x.db"
    assert rows(db, "SELECT source_id, tenant_id, state, setup_time, start_time, end_time, "
                    "equipment_id FROM sessions ORDER BY source_id") == [
        ("1768471200.1", 1, 2, utc("2026-01-15 10:00:00"), utc("2026-01-15 10:00:05"),
         utc("2026-01-15 10:01:05"), PBX1),
        ("1768471320.3", 1, 2, utc("2026-01-15 10:02:00"), None, utc("2026-01-15 10:02:20"),
         PBX1),
        ("1768471380.5", 1, 2, utc("2026-01-15 10:03:00"), None, utc("2026-01-15 10:03:02"),
         PBX1),
        ("1768471440.7", 1, 2, utc("2026-01-15 10:04:00"), None, utc("2026-01-15 10:04:01"),
         PBX1),
        ("1768471500.10", 1, 2, utc("2026-01-15 10:04:58"), utc("2026-01-15 10:05:04"),
         utc("2026-01-15 10:07:01"), PBX1),
        ("1768471500.9", 1, 2, utc("2026-01-15 10:05:00"), None, utc("2026-01-15 10:05:03"),
         PBX1),
        ("1768471680.13", 1, 2, utc("2026-01-15 10:08:00"), None, utc("2026-01-15 10:08:01"),
         PBX1)]
    assert rows(db, "SELECT l.leg_id, l.role, l.position, l.src, l.dst, l.account_id, "
                    "l.setup_time, l.start_time, l.end_time, l.billsec, l.real_billsec, "
                    "l.disposition FROM legs l JOIN sessions s ON s.id = l.session_id "
                    "WHERE s.source_id = '1768471500.10' ORDER BY l.position") == [
        # as test_asterisk_forked_legs_sharing_a_linkedid_are_one_session computes them
        ("1768471500.10", "orig", 0, "1005", "3003", ACC2, utc("2026-01-15 10:04:58"),
         utc("2026-01-15 10:05:04"), utc("2026-01-15 10:07:01"), 233, 233, "ANSWERED"),
        ("1768471500.10/10", "term", 1, "1005", "3003", CARRIER9, utc("2026-01-15 10:04:58"),
         utc("2026-01-15 10:05:04"), utc("2026-01-15 10:07:01"), 117, 117, "ANSWERED"),
        ("1768471500.10/11", "term", 2, "1005", "3004", None, utc("2026-01-15 10:04:58"),
         None, utc("2026-01-15 10:05:04"), 0, 0, "NO ANSWER"),
        ("1768471500.11/12", "term", 3, "3003", "3003", CARRIER9, utc("2026-01-15 10:05:04"),
         utc("2026-01-15 10:05:04"), utc("2026-01-15 10:07:00"), 116, 116, "ANSWERED")]
    assert rows(db, "SELECT id, tenant_id, name FROM equipment") == [(PBX1, 1, "pbx1")]
    assert rows(db, "SELECT id, tenant_id, name FROM accounts ORDER BY name") == [
        (ACC1, 1, "acc1"), (ACC2, 1, "acc2"), (CARRIER9, 1, "carrier9")]
    stored = rows(db, "SELECT * FROM sessions ORDER BY id"), rows(db, "SELECT * FROM legs")

    again = gateway(tmp_path, "asterisk-csv", "Master.csv", "--equipment", "pbx1")
    assert (again.returncode, again.stdout) == (0, "read=10 imported=0 present=9 rejected=1\n")
    assert (tmp_path / "Master.csv.rejects.csv").read_text(encoding="utf-8") == MASTER_REJECTS
    assert (rows(db, "SELECT * FROM sessions ORDER BY id"), rows(db, "SELECT * FROM legs")) \
        == stored


def test_a_missing_file_exits_2(tmp_path: Path) -> None:
    done = gateway(tmp_path, "jsonl", "nowhere.jsonl")
    assert (done.returncode, done.stdout) == (2, "")
    assert done.stderr == "gateway: cannot read nowhere.jsonl: No such file or directory\n"
    assert not (tmp_path / "nowhere.jsonl.rejects.csv").exists()


# --- the command, in-process (what `gateway import` runs) --------------------------------

def config_in(tmp_path: Path) -> Config:
    return load_config(environ={}, overrides={"database": f"sqlite:///{tmp_path}/x.db"},
                       search_default=False)


def fixture_copy(tmp_path: Path, name: str) -> str:
    path = tmp_path / name
    path.write_bytes((FIXTURES / name).read_bytes())
    return str(path)


@pytest.mark.parametrize(("options", "message"), [
    ({"tenant": "nobody"}, "gateway: unknown tenant 'nobody'\n"),
    ({"timezone": "Mars/Olympus"},
     "gateway: unknown time zone 'Mars/Olympus' (an IANA name such as Europe/Vilnius)\n"),
    ({"code_deck": 404}, "gateway: unknown code deck 404\n"),
])
def test_unknown_names_exit_2_before_reading(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                             options: dict[str, Any], message: str) -> None:
    path = fixture_copy(tmp_path, "master.csv")
    assert run_import(config_in(tmp_path), "asterisk-csv", path, **options) == 2
    assert capsys.readouterr() == ("", message)
    assert not Path(path + ".rejects.csv").exists()


def test_local_times_are_stored_in_utc(tmp_path: Path,
                                       capsys: pytest.CaptureFixture[str]) -> None:
    path = fixture_copy(tmp_path, "vilnius.csv")
    assert run_import(config_in(tmp_path), "asterisk-csv", path,
                      timezone="Europe/Vilnius") == 0
    assert capsys.readouterr().out == "read=4 imported=3 present=0 rejected=1\n"
    assert rows(tmp_path / "x.db", "SELECT source_id, setup_time, start_time, end_time "
                                   "FROM sessions ORDER BY source_id") == [
        ("v1", utc("2026-10-24 23:59:00"), utc("2026-10-25 00:00:10"),
         utc("2026-10-25 00:30:00")),
        ("v2", utc("2026-10-25 02:10:00"), utc("2026-10-25 02:10:02"),
         utc("2026-10-25 02:20:00")),
        ("v3", utc("2026-03-29 00:59:30"), utc("2026-03-29 01:00:05"),
         utc("2026-03-29 01:01:00"))]
    assert Path(path + ".rejects.csv").read_text(encoding="utf-8") == (
        'line,reason,content\n'
        '4,start: 2026-03-29 03:15:00 does not exist in Europe/Vilnius (the clocks skip it),'
        '"""acc1"",""1001"",""2002"",""from-internal"",""1001"",""SIP/1001-7"",'
        '""SIP/2002-8"",""Dial"",""SIP/2002"",""2026-03-29 03:15:00"","""",'
        '""2026-03-29 04:16:00"",60,0,""NO ANSWER"",""DOCUMENTATION"",""v4"""\n')


def test_freeswitch_for_a_tenant_with_a_code_deck(tmp_path: Path,
                                                  capsys: pytest.CaptureFixture[str]) -> None:
    config = config_in(tmp_path)
    acme = asyncio.run(commands.call_as_root(config, "tenants.create",
                                             {"name": "acme", "parent": "root"}))
    asyncio.run(commands.call_as_root(config, "ingest.code_decks", {"records": [
        {"code_deck_id": 7, "name": "World", "codes": [
            {"prefix": "44", "name": "United Kingdom", "country": "GB"},
            {"prefix": "4420", "name": "United Kingdom London", "country": "GB"}]}]}))
    path = fixture_copy(tmp_path, "freeswitch.csv")
    assert run_import(config, "freeswitch-csv", path, tenant="acme", code_deck=7) == 0
    assert capsys.readouterr().out == "read=7 imported=6 present=0 rejected=1\n"
    db = tmp_path / "x.db"
    assert rows(db, "SELECT s.source_id, l.leg_id, l.tenant_id, l.account_id, l.code_deck_id, "
                    "l.dst_code, l.dst_name, l.hangup_cause FROM legs l JOIN sessions s "
                    "ON s.id = l.session_id WHERE s.source_id = '3f1c-a1' "
                    "ORDER BY l.position") == [
        ("3f1c-a1", "3f1c-a1", acme["id"], derived_id("accounts", "acme", "acc1"), 7, "4420",
         "United Kingdom London", 16),
        ("3f1c-a1", "3f1c-b1", acme["id"], None, 7, "4420", "United Kingdom London", 16)]
    assert rows(db, "SELECT DISTINCT tenant_id FROM sessions") == [(acme["id"],)]


def test_jsonl_store_refusals_go_to_the_rejects_file(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    config = config_in(tmp_path)
    path = fixture_copy(tmp_path, "sessions.jsonl")
    assert run_import(config, "jsonl", path) == 0
    assert capsys.readouterr().out == "read=5 imported=2 present=0 rejected=3\n"
    with open(FIXTURES / "sessions.jsonl", encoding="utf-8") as file:
        j3 = file.read().splitlines()[3]
    assert Path(path + ".rejects.csv").read_text(encoding="utf-8") == (
        'line,reason,content\n'
        '5,not JSON: unexpected end of data: line 1 column 35 (char 34),'
        '"{""session_id"": ""j4"", ""setup_time"":"\n'
        '6,not a JSON object (one session record per line),"[""not"", ""an"", ""object""]"\n'
        '4,setup_time: Missing data for required field.,"' + j3.replace('"', '""') + '"\n')
    assert run_import(config, "jsonl", path) == 0
    assert capsys.readouterr().out == "read=5 imported=0 present=2 rejected=3\n"


def test_equipment_is_found_by_name(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    config = config_in(tmp_path)
    (tmp_path / "switch.jsonl").write_text(
        '{"session_id": "e1", "setup_time": "2026-03-01T12:00:00Z", "equipment": '
        '{"id": 42, "name": "pbx1"}, "legs": [{"leg_id": "e1", "role": "orig"}]}\n')
    assert run_import(config, "jsonl", str(tmp_path / "switch.jsonl")) == 0
    path = fixture_copy(tmp_path, "vilnius.csv")
    assert run_import(config, "asterisk-csv", path, equipment="pbx1") == 0
    assert capsys.readouterr().out.splitlines()[-1] == "read=4 imported=4 present=0 rejected=0"
    assert rows(tmp_path / "x.db", "SELECT DISTINCT equipment_id FROM sessions") == [(42,)]


def test_the_progress_bar_draws_on_a_terminal(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    """Bytes read and their rate on stderr; stdout keeps the summary line alone."""
    monkeypatch.delenv("TTY_COMPATIBLE", raising=False)
    monkeypatch.setenv("FORCE_COLOR", "1")  # rich then takes stderr for a terminal
    path = fixture_copy(tmp_path, "vilnius.csv")
    assert run_import(config_in(tmp_path), "asterisk-csv", path) == 0
    out, err = capsys.readouterr()
    assert out == "read=4 imported=4 present=0 rejected=0\n"
    size = (FIXTURES / "vilnius.csv").stat().st_size
    assert "vilnius.csv" in err and f"{size}/{size} bytes" in err  # under 1 kB: bytes
