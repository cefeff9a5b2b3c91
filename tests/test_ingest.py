"""`ingest.sessions` (spec ingest.md section 1; README "Tenancy", "Time", "Money", "Limits"),
the call-level rules every `ingest.*` method shares, and the audit log of ingest batches.

Values are read back from the store itself: times as Unix seconds (UTC), amounts as
integers of millionths (migrations 0002_store.sql)."""

from __future__ import annotations

import calendar
import json
from pathlib import Path
from typing import Any, Awaitable, Callable

import pytest
from conftest import make_config
from envelopes import answer, forbidden, invalid, key_id_of, rejection

from gateway.core.config import Config
from gateway.web import appkeys

Ingest = Callable[..., Awaitable[dict[str, Any]]]

METHODS = ("ingest.sessions", "ingest.transactions", "ingest.acd_sessions",
           "ingest.code_decks", "ingest.currency_rates")
NOT_FOUND = 'Object "{}({})" was not found!'


def at(year: int, month: int, day: int, hour: int = 0, minute: int = 0, second: int = 0) -> int:
    """Unix seconds of a UTC wall-clock time (independent of the code under test)."""
    return calendar.timegm((year, month, day, hour, minute, second, 0, 0, 0))


SETUP, START, END = "2026-03-01T10:00:00Z", "2026-03-01T10:00:05Z", "2026-03-01T10:01:05Z"
START_S, END_S = at(2026, 3, 1, 10, 0, 5), at(2026, 3, 1, 10, 1, 5)


def leg(leg_id: str = "a", role: str = "orig", **fields: Any) -> dict[str, Any]:
    return {"leg_id": leg_id, "role": role, **fields}


def call(session_id: str = "c1", *, setup: str = SETUP, start: str | None = None,
         end: str | None = None, legs: list[dict[str, Any]] | None = None,
         **fields: Any) -> dict[str, Any]:
    """A call record: one orig leg unless `legs` says otherwise."""
    return {"session_id": session_id, "setup_time": setup, "start_time": start,
            "end_time": end, "legs": [leg()] if legs is None else legs, **fields}


@pytest.fixture
def ingest(rpc: Any, ingest_key: str) -> Ingest:
    """`await ingest(records, method=..., key=...)` -> the result of a successful call."""
    async def send(records: list[Any], method: str = "ingest.sessions",
                   key: str | None = None) -> dict[str, Any]:
        response = await rpc(method, {"records": records}, key=key or ingest_key)
        assert set(response) == {"jsonrpc", "result", "id"}, response
        result: dict[str, Any] = response["result"]
        return result
    return send


@pytest.fixture
def rows(client: Any) -> Callable[..., Awaitable[list[dict[str, Any]]]]:
    """`await rows(sql, *params)` -> every row, straight from the store."""
    async def fetch(sql: str, *params: Any) -> list[dict[str, Any]]:
        return list(await client.app[appkeys.DB].fetch_all(sql, params))
    return fetch


async def session_row(rows: Any, source_id: str, columns: str) -> dict[str, Any]:
    (row,) = await rows(f"SELECT {columns} FROM sessions WHERE source_id = ?", source_id)
    return dict(row)


async def counts(rows: Any, *tables: str) -> dict[str, int]:
    out = {}
    for table in tables:
        (row,) = await rows(f"SELECT COUNT(*) AS n FROM {table}")
        out[table] = int(row["n"])
    return out


async def tenant_id(rows: Any, name: str) -> int:
    (row,) = await rows("SELECT id FROM tenants WHERE name = ?", name)
    return int(row["id"])


# --- who may call, and the call as a whole -----------------------------------------------------

async def test_every_ingest_method_requires_the_ingest_role(rpc, make_key, rows):
    for role in ("admin", "reseller", "customer", "accountant"):
        key = await make_key(role, rate_limit="unlimited")
        for method in METHODS:
            assert await rpc(method, {"records": []}, key=key) == forbidden(role, method)
    assert await rows("SELECT id FROM audit_log WHERE method LIKE 'ingest.%'") == []


async def test_the_ingest_role_may_call_every_ingest_method(ingest):
    for method in METHODS:
        assert await ingest([], method=method) == answer()


LIMIT = "at most 1000 records per call (the batch limit)"


MALFORMED_CALLS = [  # (params, the data of the -32602 answer)
    ({}, {"records": "Missing data for required field."}),
    ({"records": None}, {"records": "Field may not be null."}),
    ({"records": {"session_id": "c1"}}, {"records": "Not a valid list."}),
    ({"records": "c1"}, {"records": "Not a valid list."}),
    ({"records": [{}] * 1001}, {"records": LIMIT}),
]


async def test_a_call_is_invalid_only_without_a_list_of_at_most_1000_records(
        rpc, ingest_key, rows):
    for method in METHODS:
        for params, data in MALFORMED_CALLS:
            assert (method, await rpc(method, params, key=ingest_key)) == (method, invalid(data))
    assert await rows("SELECT id FROM audit_log WHERE method LIKE 'ingest.%'") == []


async def test_1000_records_are_one_call_each_record_judged_alone(ingest):
    result = await ingest(["x"] * 1000)
    assert result == answer(rejected=[
        rejection(i, {"record": "a record must be a JSON object"}) for i in range(1000)])


async def test_a_null_record_is_rejected_alone(ingest, rows):
    for method in METHODS:
        result = await ingest([None], method=method)
        assert result == answer(rejected=[
            rejection(0, {"record": "a record must be a JSON object"})]), method
    assert await ingest([call("c1"), None]) == answer(accepted=1, rejected=[
        rejection(1, {"record": "a record must be a JSON object"})])
    assert await rows("SELECT source_id FROM sessions") == [{"source_id": "c1"}]


async def test_records_by_position(rpc, ingest_key, rows):
    response = await rpc("ingest.sessions", [[call("p1")]], key=ingest_key)
    assert response["result"] == answer(accepted=1)
    assert await rows("SELECT source_id FROM sessions") == [{"source_id": "p1"}]


# --- each record on its own -------------------------------------------------------------------

NO_OFFSET = "the timestamp has no offset (add Z for UTC): '2026-03-01T10:00:00'"
ONE_ORIG = "a call has exactly one orig leg and term legs"

# (what is wrong, the record, the errors it answers)
BAD_RECORDS: list[tuple[str, Any, dict[str, str]]] = [
    ("a string", "c1", {"record": "a record must be a JSON object"}),
    ("a list", [call()], {"record": "a record must be a JSON object"}),
    ("a number", 7, {"record": "a record must be a JSON object"}),
    ("an unknown field", call(colour="red"), {"colour": "Unknown field."}),
    ("an unknown leg field", call(legs=[leg(colour="red")]), {"legs.0.colour": "Unknown field."}),
    ("an unknown client field", call(legs=[leg(client={"id": 1, "vat": "x"})]),
     {"legs.0.client.vat": "Unknown field."}),
    ("no setup_time", {"session_id": "x", "legs": [leg()]},
     {"setup_time": "Missing data for required field."}),
    ("no session_id", {"setup_time": SETUP, "legs": [leg()]},
     {"session_id": "Missing data for required field."}),
    ("no legs", {"session_id": "x", "setup_time": SETUP},
     {"legs": "Missing data for required field."}),
    ("no offset", call(setup="2026-03-01T10:00:00"), {"setup_time": NO_OFFSET}),
    ("not a time", call(end="yesterday"),
     {"end_time": "not an RFC 3339 timestamp: 'yesterday'"}),
    ("a leg time without offset", call(legs=[leg(start_time="2026-03-01T10:00:00")]),
     {"legs.0.start_time": NO_OFFSET}),
    ("7 decimals", call(legs=[leg(amount="0.0000001", currency="EUR")]),
     {"legs.0.amount": "more than 6 decimal places: '0.0000001'"}),
    ("a NaN amount", call(legs=[leg(amount="NaN", currency="EUR")]),
     {"legs.0.amount": "not a finite amount: 'NaN'"}),
    ("an amount as a number", call(legs=[leg(amount=0.5, currency="EUR")]),
     {"legs.0.amount": 'amounts are decimal strings, e.g. "0.0125"'}),
    ("a bad currency", call(legs=[leg(amount="1", currency="EUR"),
                                  leg("b", "term", amount="1", currency="EURO")]),
     {"legs.1.currency": "not an ISO 4217 currency code: 'EURO'"}),
    ("an amount without currency", call(legs=[leg(amount="1.5")]),
     {"legs.0.currency": "an amount needs its currency"}),
    ("a reseller amount without currency", call(legs=[leg(reseller_amount="1.5")]),
     {"legs.0.currency": "an amount needs its currency"}),
    ("no orig leg", call(legs=[leg("b", "term")]), {"legs": ONE_ORIG}),
    ("two orig legs", call(legs=[leg("a"), leg("b")]), {"legs": ONE_ORIG}),
    ("a participant in a call", call(legs=[leg("a"), leg("p", "participant")]),
     {"legs": ONE_ORIG}),
    ("duplicate leg ids", call(legs=[leg("a"), leg("a", "term")]),
     {"legs": "leg ids repeat within the session"}),
    ("a video session with a non-participant", call(kind="video", legs=[
        leg("p1", "participant"), leg("p2", "orig")]),
     {"legs": "a video session has participant legs only"}),
    ("an answer before the setup", call(start="2026-03-01T09:59:59Z"),
     {"start_time": "the answer is before the setup"}),
    ("a client id that is not an integer", call(legs=[leg(client={"id": "x"})]),
     {"legs.0.client.id": "Not a valid integer."}),
    ("several faults", call(setup="2026-03-01T10:00:00", legs=[
        leg(), leg("b", "term", amount="1", currency="EURO")]),
     {"setup_time": NO_OFFSET, "legs.1.currency": "not an ISO 4217 currency code: 'EURO'"}),
]


async def test_each_bad_record_is_rejected_alone_with_its_index_and_errors(ingest, rows):
    """Every bad record sits between two good ones; the good ones are stored."""
    batch: list[Any] = [call("good-0")]
    for n, (_, record, _) in enumerate(BAD_RECORDS, start=1):
        batch += [record, call(f"good-{n}")]
    result = await ingest(batch)
    got = {BAD_RECORDS[(r["index"] - 1) // 2][0]: r for r in result["rejected"]}
    assert got == {what: rejection(2 * n + 1, errors)
                   for n, (what, _, errors) in enumerate(BAD_RECORDS)}
    assert result == answer(accepted=len(BAD_RECORDS) + 1, rejected=result["rejected"])
    stored = await rows("SELECT source_id FROM sessions ORDER BY source_id")
    assert sorted(r["source_id"] for r in stored) == sorted(
        f"good-{n}" for n in range(len(BAD_RECORDS) + 1))


async def test_times_outside_rfc3339_are_rejected(ingest, rows):
    """RFC 3339 is ISO 8601's extended format, with seconds and an offset."""
    texts = ["20260301T100000Z", "2026-03-01T10:00Z", "2026-03-01", "2026-03-01T10:00:00"]
    result = await ingest([call(f"t{i}", setup=text) for i, text in enumerate(texts)])
    assert {texts[r["index"]]: list(r["errors"]) for r in result["rejected"]} == {
        text: ["setup_time"] for text in texts}
    assert await rows("SELECT source_id, setup_time FROM sessions") == []


async def test_times_before_1900_or_after_9998_are_rejected_and_the_edges_kept(
        ingest, rows, rpc):
    """A store holds 1900-01-01T00:00:00Z to 9998-12-31T23:59:59Z (docs/ingest.md), so that
    every stored moment renders in every zone, from -12:00 to +14:00."""
    outside = ["0001-01-01T00:00:00+01:00", "1899-12-31T23:59:59Z", "9999-01-01T00:00:00Z",
               "9998-12-31T23:00:00-01:00"]
    result = await ingest([call(f"out{i}", setup=text, end=text)
                           for i, text in enumerate(outside)])
    assert result["accepted"] == 0
    assert [(r["index"], r["errors"]["setup_time"]) for r in result["rejected"]] == [
        (i, f"the timestamp is outside 1900-01-01T00:00:00Z to 9998-12-31T23:59:59Z: {text!r}")
        for i, text in enumerate(outside)]
    edges = ["1900-01-01T00:00:00Z", "9998-12-31T23:59:59Z"]
    result = await ingest([call(f"edge{i}", setup=text, end=text)
                           for i, text in enumerate(edges)])
    assert result == {"accepted": 2, "unchanged": 0, "rejected": []}
    assert await rows("SELECT source_id, setup_time FROM sessions ORDER BY source_id") == [
        {"source_id": "edge0", "setup_time": at(1900, 1, 1)},
        {"source_id": "edge1", "setup_time": at(9998, 12, 31, 23, 59, 59)}]
    # Both render in every zone: the first in the westernmost (-12:00), the second in the
    # easternmost (+14:00), each as the day it is there.
    for zone, day, shown in (("Etc/GMT+12", "1899-12-31", "1899-12-31 12:00:00"),
                             ("Pacific/Kiritimati", "9999-01-01", "9999-01-01 13:59:59")):
        answer = await rpc("GetCallHistory", {
            "from_date": f"{day} 00:00:00", "to_date": f"{day} 23:59:59", "timezone": zone,
            "child_account_id": "all"})
        assert [s["start_date"] for s in answer["result"]["result"]] == [shown], zone


async def test_an_integer_beyond_the_stores_range_is_rejected_alone(ingest, rows):
    """Columns are 64-bit: a larger `seq` or deck id is one bad record, not a failed call."""
    result = await ingest([call("big-seq", seq=2 ** 63), call("ok"),
                           call("big-deck", legs=[leg(code_deck_id=2 ** 63)])])
    assert {r["index"]: list(r["errors"]) for r in result["rejected"]} == {
        0: ["seq"], 2: ["legs.0.code_deck_id"]}
    assert result["accepted"] == 1
    assert await rows("SELECT source_id FROM sessions") == [{"source_id": "ok"}]


# --- what is stored -------------------------------------------------------------------------

FULL_CALL = {
    "session_id": "sw1-0001", "kind": "call", "seq": 3,
    "setup_time": "2026-03-29T03:30:00+03:00",
    "start_time": "2026-03-29T00:30:04.750Z",
    "end_time": "2026-03-28T20:32:10.999999-04:00",
    "equipment": {"id": 14, "name": "SBC-1"},
    "application": {"id": 15, "name": "IVR"},
    "rule_name": "night", "custom_data": '{"campaign": 7}',
    "audio_quality": "4.2", "finish_reason": "caller hung up",
    "initiator_address": "10.0.0.1", "media_server_address": "10.0.0.2",
    "log_file_url": "https://logs.example/1",
    "legs": [
        {"leg_id": "o", "role": "orig", "src": "37060000001", "dst": "+37061234567",
         "incoming": False, "client": {"id": 10, "name": "Alpha"},
         "account": {"id": 11, "name": "alpha-pbx", "ident": "10.1.1.1"},
         "owner_user": {"id": 12, "name": "Manager"}, "user": {"id": 13, "name": "Alice"},
         "rates_code": "LT-MOB", "setup_time": "2026-03-29T00:30:00Z",
         "start_time": "2026-03-29T00:30:04Z", "end_time": "2026-03-29T00:32:10Z",
         "billsec": 126, "real_billsec": 125, "disposition": "ANSWERED", "hangup_cause": 16,
         "pdd_ms": 1800, "amount": "0.252", "reseller_amount": "0.2016", "currency": "eur"},
        {"leg_id": "t1", "role": "term", "src": "37060000001", "dst": "37061234567",
         "client": {"id": 20, "name": "Carrier X"}, "account": {"id": 21, "name": "cx-trunk"},
         "disposition": "CONGESTION", "hangup_cause": 34, "billsec": 0},
        {"leg_id": "t2", "role": "term", "src": "37060000001", "dst": "37061234567",
         "client": {"id": 30, "name": "Carrier Y"}, "account": {"id": 31, "name": "cy-trunk"},
         "start_time": "2026-03-29T00:30:04Z", "end_time": "2026-03-29T00:32:10Z",
         "billsec": 126, "real_billsec": 125, "disposition": "ANSWERED", "hangup_cause": 16,
         "amount": "0.126", "currency": "EUR"},
    ],
    "records": [{"record_id": 501, "url": "https://rec.example/501.wav", "name": "501.wav",
                 "start_time": "2026-03-29T00:30:05Z", "duration": 125, "file_size": 2000000,
                 "cost": "0.01", "transcription_url": "https://rec.example/501.txt",
                 "transcription_status": "Complete"}],
    "resources": [{"resource_usage_id": 601, "resource_type": "sms", "quantity": "2.50",
                   "unit": "message", "cost": "0.000001", "description": "reminder",
                   "used_at": "2026-03-29T00:31:00Z", "ref_leg_id": "o"}],
}

LEG_DEFAULTS = {c: None for c in (
    "src", "dst", "incoming", "client_id", "account_id", "owner_user_id", "user_id", "rates_code",
    "code_deck_id", "dst_code", "dst_name", "dst_country", "setup_time", "start_time",
    "end_time", "billsec", "real_billsec", "disposition", "hangup_cause", "pdd_ms", "amount",
    "reseller_amount", "currency", "name", "participant_role", "ip", "agent", "call_num",
    "call_log_id", "user_ref")}


async def test_a_call_is_stored_field_by_field(ingest, rows, ingest_key):
    assert await ingest([FULL_CALL]) == answer(accepted=1)
    root = await tenant_id(rows, "root")
    (session,) = await rows("SELECT * FROM sessions")
    sid = session.pop("id")
    assert session == {
        "tenant_id": root, "source_id": "sw1-0001", "kind": "call", "state": 2, "seq": 3,
        "content_hash": session["content_hash"],
        "setup_time": at(2026, 3, 29, 0, 30, 0), "start_time": at(2026, 3, 29, 0, 30, 4),
        "end_time": at(2026, 3, 29, 0, 32, 10), "equipment_id": 14, "application_id": 15,
        "rule_name": "night", "custom_data": '{"campaign": 7}', "room_id": None,
        "meeting_id": None, "app_type": None, "audio_quality": "4.2",
        "finish_reason": "caller hung up", "initiator_address": "10.0.0.1",
        "media_server_address": "10.0.0.2", "log_file_url": "https://logs.example/1",
        "term_leg": "t2", "setup_month": 202603}
    legs = await rows("SELECT * FROM legs ORDER BY position")
    for row in legs:
        del row["id"]
    common = {"session_id": sid, "tenant_id": root, "src": "37060000001", "owner_id": root,
              "setup_month": 202603}

    assert legs == [
        {**LEG_DEFAULTS, **common, "leg_id": "o", "role": "orig", "position": 0,
         "dst": "+37061234567", "incoming": 0, "client_id": 10, "account_id": 11,
         "owner_user_id": 12, "user_id": 13, "rates_code": "LT-MOB",
         "setup_time": at(2026, 3, 29, 0, 30), "start_time": at(2026, 3, 29, 0, 30, 4),
         "end_time": at(2026, 3, 29, 0, 32, 10), "billsec": 126, "real_billsec": 125,
         "disposition": "ANSWERED", "hangup_cause": 16, "pdd_ms": 1800, "amount": 252000,
         "reseller_amount": 201600, "currency": "EUR"},
        {**LEG_DEFAULTS, **common, "leg_id": "t1", "role": "term", "position": 1,
         "dst": "37061234567", "client_id": 20, "account_id": 21,
         "setup_time": at(2026, 3, 29, 0, 30), "billsec": 0, "disposition": "CONGESTION",
         "hangup_cause": 34},
        {**LEG_DEFAULTS, **common, "leg_id": "t2", "role": "term", "position": 2,
         "dst": "37061234567", "client_id": 30, "account_id": 31,
         "setup_time": at(2026, 3, 29, 0, 30), "start_time": at(2026, 3, 29, 0, 30, 4),
         "end_time": at(2026, 3, 29, 0, 32, 10), "billsec": 126, "real_billsec": 125,
         "disposition": "ANSWERED", "hangup_cause": 16, "amount": 126000, "currency": "EUR"},
    ]
    assert await rows("SELECT * FROM records") == [{
        "id": 501, "session_id": sid, "tenant_id": root, "url": "https://rec.example/501.wav",
        "name": "501.wav", "start_time": at(2026, 3, 29, 0, 30, 5), "duration": 125,
        "file_size": 2000000, "cost": 10000, "transcription_url": "https://rec.example/501.txt",
        "transcription_status": "Complete", "setup_month": 202603}]
    assert await rows("SELECT * FROM resource_usage") == [{
        "id": 601, "session_id": sid, "tenant_id": root, "resource_type": "sms",
        "quantity": "2.50", "unit": "message", "cost": 1, "description": "reminder",
        "used_at": at(2026, 3, 29, 0, 31), "ref_leg_id": "o", "setup_month": 202603}]


async def test_a_video_session_is_stored_with_its_participants(ingest, rows):
    room = {"session_id": "room-1", "kind": "video", "setup_time": SETUP, "start_time": START,
            "room_id": "r-77", "meeting_id": "m-88", "app_type": "vc", "legs": [
                {"leg_id": "p1", "role": "participant", "name": "Ann", "participant_role": "host",
                 "ip": "192.0.2.1", "agent": "Chrome/130", "user": {"id": 40, "name": "ann"},
                 "call_num": "1001", "call_log_id": "cl-1", "user_ref": "ext-ann"},
                {"leg_id": "p2", "role": "participant", "name": "Bob"}]}
    assert await ingest([room]) == answer(accepted=1)
    assert await session_row(rows, "room-1", "kind, state, room_id, meeting_id, app_type, "
                                             "start_time, end_time") == {
        "kind": "video", "state": 1, "room_id": "r-77", "meeting_id": "m-88", "app_type": "vc",
        "start_time": START_S, "end_time": None}
    assert await rows("SELECT leg_id, role, name, participant_role, ip, agent, user_id, "
                      "call_num, call_log_id, user_ref FROM legs ORDER BY position") == [
        {"leg_id": "p1", "role": "participant", "name": "Ann", "participant_role": "host",
         "ip": "192.0.2.1", "agent": "Chrome/130", "user_id": 40, "call_num": "1001",
         "call_log_id": "cl-1", "user_ref": "ext-ann"},
        {"leg_id": "p2", "role": "participant", "name": "Bob", "participant_role": None,
         "ip": None, "agent": None, "user_id": None, "call_num": None, "call_log_id": None,
         "user_ref": None}]
    assert await rows("SELECT id, name FROM users") == [{"id": 40, "name": "ann"}]


# --- the keys of the large tables (decisions 5) -----------------------------------------------

# Each large table's uniqueness rule: the owner's tenant (distribution key), the UTC month
# of the session's setup time (partition key), then what identifies a row within them.
KEYS = {"sessions": ("tenant_id", "setup_month", "source_id"),
        "legs": ("owner_id", "setup_month", "session_id", "leg_id"),
        "session_leg_paths": ("owner_id", "setup_month", "session_id"),
        "records": ("tenant_id", "setup_month", "id"),
        "resource_usage": ("tenant_id", "setup_month", "id")}
# What else is unique on PostgreSQL: the primary keys of the generated ids, with the two
# keys too since the tables are partitioned (migration 0015), the id first (its lookups).
PG_ID_KEYS = {("sessions", ("id", "tenant_id", "setup_month")),
              ("legs", ("id", "owner_id", "setup_month"))}


async def unique_rules(rows: Any, engine: str, table: str) -> set[tuple[str, ...]]:
    """The column lists of `table`'s unique indexes (constraints included)."""
    if engine == "sqlite":
        rules = set()
        for index in await rows(f"PRAGMA index_list({table})"):
            if index["unique"]:
                columns = await rows(f"PRAGMA index_info({index['name']})")
                rules.add(tuple(c["name"] for c in sorted(columns, key=lambda c: c["seqno"])))
        if table in ("sessions", "legs"):
            rules.add(("id",))  # the rowid: an INTEGER PRIMARY KEY has no index of its own
        return rules
    found = await rows(
        "SELECT array_agg(a.attname ORDER BY k.n) AS columns FROM pg_index i "
        "JOIN pg_class c ON c.oid = i.indrelid "
        "CROSS JOIN LATERAL unnest(i.indkey) WITH ORDINALITY AS k(attnum, n) "
        "JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum = k.attnum "
        "WHERE c.relname = ? AND i.indisunique GROUP BY i.indexrelid", table)
    return {tuple(r["columns"]) for r in found}


async def test_every_uniqueness_rule_of_a_large_table_holds_both_keys(rows, engine):
    for table, key in KEYS.items():
        rules = await unique_rules(rows, engine, table)
        assert key in rules, (table, rules)
        if engine == "postgresql":
            assert rules == {key} | {rule for t, rule in PG_ID_KEYS if t == table}, table


async def test_the_keys_are_the_owner_and_the_utc_month_of_the_setup_time(ingest, rows):
    record = call("k1", setup="2026-03-31T23:30:00-02:00", start="2026-04-01T01:30:05Z",
                  end="2026-04-01T01:31:00Z", legs=[leg("o"), leg("t", role="term")],
                  records=[{"record_id": 71}], resources=[{"resource_usage_id": 81,
                                                           "resource_type": "sms"}])
    assert await ingest([record]) == answer(accepted=1)
    root = await tenant_id(rows, "root")
    (session,) = await rows("SELECT id, tenant_id, setup_month FROM sessions")
    assert (session["tenant_id"], session["setup_month"]) == (root, 202604)  # 01:30 UTC
    for table in ("legs", "session_leg_paths"):
        assert {(r["owner_id"], r["setup_month"]) for r in await rows(
            f"SELECT owner_id, setup_month FROM {table}")} == {(root, 202604)}, table
    for table in ("records", "resource_usage"):
        assert await rows(f"SELECT tenant_id, setup_month FROM {table}") == [
            {"tenant_id": root, "setup_month": 202604}], table


async def test_a_session_whose_setup_moves_month_keeps_its_rows_and_ids(ingest, rows):
    first = call("m1", setup="2026-03-31T23:59:00Z", legs=[leg("o"), leg("t", role="term")],
                 records=[{"record_id": 72}])
    assert await ingest([first]) == answer(accepted=1)
    before = await rows("SELECT id, leg_id FROM legs ORDER BY leg_id")
    moved = call("m1", setup="2026-04-01T00:00:01Z", start="2026-04-01T00:00:05Z",
                 end="2026-04-01T00:01:05Z", legs=[leg("o"), leg("t", role="term")],
                 records=[{"record_id": 72}])
    assert await ingest([moved]) == answer(accepted=1)
    assert await rows("SELECT id, leg_id FROM legs ORDER BY leg_id") == before
    assert await rows("SELECT setup_month FROM sessions") == [{"setup_month": 202604}]
    for table in ("legs", "session_leg_paths", "records"):
        assert {r["setup_month"] for r in await rows(f"SELECT setup_month FROM {table}")} \
            == {202604}, table
    assert await counts(rows, "sessions", "legs", "records", "session_leg_paths") == {
        "sessions": 1, "legs": 2, "records": 1, "session_leg_paths": 1}


# --- money ------------------------------------------------------------------------------------

AMOUNTS = [  # (sent, stored millionths)
    ("0.000001", 1),
    ("12.345678", 12345678),
    ("-0.5", -500000),
    ("0", 0),
    ("0.10", 100000),
    ("1000000", 1000000000000),
    ("9223372036854.775807", 2 ** 63 - 1),
    ("-9223372036854.775807", -(2 ** 63 - 1)),
]


async def test_amounts_are_stored_as_exact_millionths(ingest, rows):
    assert await ingest([call(f"m{i}", legs=[leg(amount=text, reseller_amount=text,
                                                 currency="USD")])
                         for i, (text, _) in enumerate(AMOUNTS)]) == answer(accepted=len(AMOUNTS))
    stored = await rows("SELECT s.source_id, l.amount, l.reseller_amount FROM legs l "
                        "JOIN sessions s ON s.id = l.session_id")
    assert {r["source_id"]: (r["amount"], r["reseller_amount"]) for r in stored} == {
        f"m{i}": (micros, micros) for i, (_, micros) in enumerate(AMOUNTS)}


async def test_an_amount_out_of_range_is_rejected(ingest, rows):
    result = await ingest([call(legs=[leg(amount="9223372036854.775808", currency="USD")])])
    assert result == answer(rejected=[rejection(0, {
        "legs.0.amount": "amount out of range: '9223372036854.775808'"})])


async def test_sums_of_amounts_are_exact(ingest, rows):
    amounts = ["0.1", "0.2", "0.000001", "12.345678", "-0.5"] * 20
    records = [call(f"s{i}", legs=[leg(amount=a, currency="EUR")]) for i, a in enumerate(amounts)]
    assert await ingest(records) == answer(accepted=100)
    (total,) = await rows("SELECT SUM(amount) AS total, COUNT(*) AS n FROM legs")
    # 20 * (100000 + 200000 + 1 + 12345678 - 500000)
    assert (total["total"], total["n"]) == (242913580, 100)


# --- time -------------------------------------------------------------------------------------

TIMES = [  # (sent, stored Unix seconds)
    ("2026-03-29T03:30:00+03:00", at(2026, 3, 29, 0, 30)),
    ("2026-03-29T00:30:00Z", at(2026, 3, 29, 0, 30)),
    ("2026-03-28T19:30:00-05:00", at(2026, 3, 29, 0, 30)),
    ("2026-03-29T00:30:00.999999Z", at(2026, 3, 29, 0, 30)),
    ("2026-03-29T05:59:59.5+05:30", at(2026, 3, 29, 0, 29, 59)),
    ("2026-03-29t00:30:00z", at(2026, 3, 29, 0, 30)),
    ("2026-10-25T01:30:00+00:00", at(2026, 10, 25, 1, 30)),
    ("1969-12-31T23:59:59Z", -1),
]


async def test_times_are_stored_as_utc_seconds_fractions_dropped(ingest, rows):
    assert await ingest([call(f"t{i}", setup=text, legs=[leg(setup_time=text, end_time=text)])
                         for i, (text, _) in enumerate(TIMES)]) == answer(accepted=len(TIMES))
    stored = await rows("SELECT s.source_id, s.setup_time AS s, l.setup_time AS l, "
                        "l.end_time AS e FROM sessions s JOIN legs l ON l.session_id = s.id")
    assert {r["source_id"]: (r["s"], r["l"], r["e"]) for r in stored} == {
        f"t{i}": (epoch, epoch, epoch) for i, (_, epoch) in enumerate(TIMES)}


# --- destinations -----------------------------------------------------------------------------

LT_DECK = {"code_deck_id": 7, "name": "Europe", "codes": [
    {"prefix": "3", "name": "Europe", "country": None},
    {"prefix": "37", "name": "Europe 37", "country": None},
    {"prefix": "370", "name": "Lithuania", "country": "LT"},
    {"prefix": "3706", "name": "Lithuania Mobile", "country": "LT"}]}


async def dst_of_legs(rows: Any) -> list[dict[str, Any]]:
    return await rows("SELECT s.source_id, l.leg_id, l.code_deck_id, l.dst_code, l.dst_name, "
                      "l.dst_country FROM legs l JOIN sessions s ON s.id = l.session_id "
                      "ORDER BY s.source_id, l.position")


def dst(source_id: str, leg_id: str, deck: int | None, code: str | None = None,
        name: str | None = None, country: str | None = None) -> dict[str, Any]:
    return {"source_id": source_id, "leg_id": leg_id, "code_deck_id": deck, "dst_code": code,
            "dst_name": name, "dst_country": country}


async def test_destinations_resolve_by_the_longest_prefix_of_the_legs_deck(ingest, rows):
    assert await ingest([LT_DECK], method="ingest.code_decks") == answer(accepted=1)
    assert await ingest([
        call("d1", legs=[leg(dst="+37061234567", code_deck_id=7),
                         leg("t", "term", dst="37061234567", code_deck_id=7)]),
        call("d2", legs=[leg(dst="+370 5 2000000", code_deck_id=7)]),
        call("d3", legs=[leg(dst="+3712000000", code_deck_id=7)]),
        call("d4", legs=[leg(dst="+4930123456", code_deck_id=7)]),
        call("d5", legs=[leg(dst="+37061234567")]),
        call("d6", legs=[leg(dst="+37061234567", code_deck_id=99)]),
    ]) == answer(accepted=6)
    assert await dst_of_legs(rows) == [
        dst("d1", "a", 7, "3706", "Lithuania Mobile", "LT"),
        dst("d1", "t", 7, "3706", "Lithuania Mobile", "LT"),
        dst("d2", "a", 7, "370", "Lithuania", "LT"),
        dst("d3", "a", 7, "37", "Europe 37"),
        dst("d4", "a", 7),
        dst("d5", "a", None),
        dst("d6", "a", 99),
    ]


class TestDefaultCodeDeck:
    @pytest.fixture
    def config(self, engine: str, tmp_path: Path) -> Config:
        return make_config(tmp_path, default_code_deck_id=7)

    async def test_a_leg_without_a_deck_uses_the_configured_default(self, ingest, rows):
        assert await ingest([LT_DECK, {**LT_DECK, "code_deck_id": 8, "codes": [
            {"prefix": "370", "name": "LT (deck 8)"}]}],
            method="ingest.code_decks") == answer(accepted=2)
        assert await ingest([
            call("d1", legs=[leg(dst="+37061234567")]),
            call("d2", legs=[leg(dst="+37061234567", code_deck_id=8)]),
            call("d3", legs=[leg(dst="+4930123456")]),
        ]) == answer(accepted=3)
        assert await dst_of_legs(rows) == [
            dst("d1", "a", 7, "3706", "Lithuania Mobile", "LT"),
            dst("d2", "a", 8, "370", "LT (deck 8)"),
            dst("d3", "a", 7),
        ]


# --- idempotency ------------------------------------------------------------------------------

TABLES = ("sessions", "legs", "records", "resource_usage", "clients", "accounts", "users",
          "equipment", "applications")


async def snapshot(rows: Any) -> dict[str, list[dict[str, Any]]]:
    return {t: await rows(f"SELECT * FROM {t} ORDER BY id") for t in TABLES}


def live_room(session_id: str = "room-1") -> dict[str, Any]:
    return {"session_id": session_id, "kind": "video", "setup_time": SETUP,
            "legs": [leg("p1", "participant", name="Ann")],
            "records": [{"record_id": 900, "url": "https://rec.example/900"}]}


async def test_the_same_batch_twice_changes_nothing_the_second_time(ingest, rows):
    batch = [FULL_CALL, live_room(), call("c2", start=START)]
    assert await ingest(batch) == answer(accepted=3)
    before = await snapshot(rows)
    assert await counts(rows, "sessions", "legs", "records", "resource_usage") == {
        "sessions": 3, "legs": 5, "records": 2, "resource_usage": 1}
    assert await ingest(batch) == answer(unchanged=3)
    assert await snapshot(rows) == before


async def test_a_record_repeated_in_one_batch_counts_once(ingest, rows):
    record = call("c1", start=START, legs=[leg(amount="0.5", currency="EUR")])
    reordered = dict(reversed(list(record.items())))  # the same record, keys in another order
    assert await ingest([record, record, reordered]) == answer(accepted=1, unchanged=2)
    assert await counts(rows, "sessions", "legs") == {"sessions": 1, "legs": 1}


async def test_the_rules_hold_between_records_of_one_batch(ingest, rows):
    """Several versions of a session, a shared recording id and a renamed client, all in
    one batch, end as if they had come one call at a time."""
    result = await ingest([
        call("c1"),
        call("c1", start=START),
        {**call("c2"), "records": [{"record_id": 5}]},
        {**call("c3"), "records": [{"record_id": 5}]},
        call("c1", start=START, end=END),
        call("c1", start=START),
        call("c4", end=END),
        call("c4", start=START),
        call("c5", legs=[leg(client={"id": 1, "name": "first"})]),
        call("c6", legs=[leg(client={"id": 1, "name": "second"})]),
        {**call("c2"), "records": [{"record_id": 5, "url": "https://rec.example/5"}]},
    ])
    assert result == answer(accepted=8, unchanged=2, rejected=[
        rejection(3, {"records.0.record_id": NOT_FOUND.format("records", 5)})])
    assert await rows("SELECT source_id, state, start_time, end_time FROM sessions "
                      "ORDER BY source_id") == [
        {"source_id": "c1", "state": 2, "start_time": START_S, "end_time": END_S},
        {"source_id": "c2", "state": 0, "start_time": None, "end_time": None},
        {"source_id": "c4", "state": 2, "start_time": None, "end_time": END_S},
        {"source_id": "c5", "state": 0, "start_time": None, "end_time": None},
        {"source_id": "c6", "state": 0, "start_time": None, "end_time": None}]
    assert await rows("SELECT s.source_id, r.id, r.url FROM records r "
                      "JOIN sessions s ON s.id = r.session_id") == [
        {"source_id": "c2", "id": 5, "url": "https://rec.example/5"}]
    assert await rows("SELECT id, name FROM clients") == [{"id": 1, "name": "second"}]
    assert await counts(rows, "legs") == {"legs": 5}


# --- state moves only forward -----------------------------------------------------------------

SESSION_STATE = "state, start_time, end_time"


async def test_set_up_then_answered_then_ended(ingest, rows):
    steps = [
        (call(), {"state": 0, "start_time": None, "end_time": None}),
        (call(start=START, legs=[leg(), leg("b", "term")]),
         {"state": 1, "start_time": START_S, "end_time": None}),
        (call(start=START, end=END, legs=[leg(), leg("b", "term")]),
         {"state": 2, "start_time": START_S, "end_time": END_S}),
    ]
    for record, expected in steps:
        assert await ingest([record]) == answer(accepted=1)
        assert await session_row(rows, "c1", SESSION_STATE) == expected
    assert await counts(rows, "sessions", "legs") == {"sessions": 1, "legs": 2}


async def test_an_end_before_its_answer_ends_the_session_for_good(ingest, rows):
    assert await ingest([call()]) == answer(accepted=1)
    assert await ingest([call(end=END)]) == answer(accepted=1)
    ended = {"state": 2, "start_time": None, "end_time": END_S}
    assert await session_row(rows, "c1", SESSION_STATE) == ended
    for late in (call(start=START), call(start=START, seq=99), call()):
        assert await ingest([late]) == answer(unchanged=1)
        assert await session_row(rows, "c1", SESSION_STATE) == ended


async def test_a_late_answer_after_the_end_keeps_the_end(ingest, rows):
    assert await ingest([call(start=START, end=END)]) == answer(accepted=1)
    assert await ingest([call(start="2026-03-01T10:00:09Z", audio_quality="x")]) == answer(
        unchanged=1)
    assert await session_row(rows, "c1", SESSION_STATE + ", audio_quality") == {
        "state": 2, "start_time": START_S, "end_time": END_S, "audio_quality": None}


async def test_an_end_without_start_time_keeps_the_stored_answer(ingest, rows):
    assert await ingest([call(start=START, legs=[leg(start_time=START)])]) == answer(accepted=1)
    assert await ingest([call(end=END, legs=[leg(end_time=END)])]) == answer(accepted=1)
    assert await session_row(rows, "c1", SESSION_STATE) == {
        "state": 2, "start_time": START_S, "end_time": END_S}
    assert await rows("SELECT start_time, end_time FROM legs") == [
        {"start_time": START_S, "end_time": END_S}]


async def test_a_higher_seq_replaces_the_fields_a_lower_one_does_not(ingest, rows):
    steps = [
        (call(start=START, seq=1, audio_quality="good"), answer(accepted=1), "good"),
        (call(start=START, seq=3, audio_quality="poor"), answer(accepted=1), "poor"),
        (call(start=START, seq=2, audio_quality="fair"), answer(unchanged=1), "poor"),
        (call(start=START, seq=4, audio_quality="fine"), answer(accepted=1), "fine"),
    ]
    for record, expected, quality in steps:
        assert await ingest([record]) == expected
        assert await session_row(rows, "c1", "seq, audio_quality") == {
            "seq": record["seq"] if expected["accepted"] else 3, "audio_quality": quality}


async def test_an_ended_session_accepts_only_amount_corrections(ingest, rows):
    def ended(amount: str, reseller: str = "0.08", quality: str = "good",
              term_amount: str = "0.05") -> dict[str, Any]:
        return call(start=START, end=END, audio_quality=quality, legs=[
            leg(amount=amount, reseller_amount=reseller, currency="EUR", billsec=60),
            leg("b", "term", amount=term_amount, currency="EUR")])

    async def stored() -> tuple[Any, ...]:
        session = await session_row(rows, "c1", "audio_quality")
        legs = await rows("SELECT leg_id, amount, reseller_amount, billsec FROM legs "
                          "ORDER BY position")
        return session["audio_quality"], [tuple(r.values()) for r in legs]

    assert await ingest([ended("0.10")]) == answer(accepted=1)
    # re-rating: the amounts change
    assert await ingest([ended("0.12", reseller="0.09", term_amount="0.06")]) == answer(
        accepted=1)
    assert await stored() == ("good", [("a", 120000, 90000, 60), ("b", 60000, None, None)])
    # another field: refused
    assert await ingest([ended("0.12", reseller="0.09", term_amount="0.06",
                               quality="bad")]) == answer(unchanged=1)
    assert await stored() == ("good", [("a", 120000, 90000, 60), ("b", 60000, None, None)])
    # both: the amounts only
    assert await ingest([ended("0.15", quality="bad")]) == answer(accepted=1)
    assert await stored() == ("good", [("a", 150000, 80000, 60), ("b", 50000, None, None)])
    assert await session_row(rows, "c1", SESSION_STATE) == {
        "state": 2, "start_time": START_S, "end_time": END_S}


async def test_an_ended_session_accepts_a_corrected_charge(ingest, rows):
    """Re-rating covers a session's non-call charges as well as its legs."""
    def ended(cost: str) -> dict[str, Any]:
        return {**call(start=START, end=END), "resources": [
            {"resource_usage_id": 9, "resource_type": "sms", "cost": cost}]}

    assert await ingest([ended("0.05")]) == answer(accepted=1)
    assert await ingest([ended("0.04")]) == answer(accepted=1)
    assert await rows("SELECT id, cost FROM resource_usage") == [{"id": 9, "cost": 40000}]


# --- tenancy ----------------------------------------------------------------------------------

@pytest.fixture
async def tree(make_tenant: Any, make_key: Any) -> dict[str, str]:
    """root > resA > custA1, root > resB; an ingest key at resA and one at resB."""
    await make_tenant("resA")
    await make_tenant("custA1", "resA")
    await make_tenant("resB")
    return {"resA": await make_key("ingest", tenant="resA", rate_limit="unlimited"),
            "resB": await make_key("ingest", tenant="resB", rate_limit="unlimited")}


async def test_records_are_stored_under_a_tenant_inside_the_keys_subtree(ingest, rows, tree):
    result = await ingest([
        call("c1"),
        call("c1", tenant="custA1", legs=[leg(client={"id": 10, "name": "A1 client"})]),
        call("c1", tenant="resA"),
        call("c2", tenant="resB"),
        call("c3", tenant="root"),
        call("c4", tenant="nobody"),
        call("c5", legs=[leg(client={"id": 11, "tenant": "resB"})]),
        call("c6", legs=[leg(client={"id": 12, "name": "A1 other", "tenant": "custA1"})]),
    ], key=tree["resA"])
    assert result == answer(accepted=4, rejected=[
        rejection(3, {"tenant": NOT_FOUND.format("tenants", "resB")}),
        rejection(4, {"tenant": NOT_FOUND.format("tenants", "root")}),
        rejection(5, {"tenant": NOT_FOUND.format("tenants", "nobody")}),
        rejection(6, {"legs.0.client.tenant": NOT_FOUND.format("tenants", "resB")}),
    ])
    res_a, cust_a1 = await tenant_id(rows, "resA"), await tenant_id(rows, "custA1")
    assert await rows("SELECT s.source_id, s.tenant_id AS s, l.tenant_id AS l FROM sessions s "
                      "JOIN legs l ON l.session_id = s.id ORDER BY s.source_id, s.tenant_id") == [
        {"source_id": "c1", "s": res_a, "l": res_a},
        {"source_id": "c1", "s": cust_a1, "l": cust_a1},
        {"source_id": "c6", "s": res_a, "l": cust_a1}]
    assert await rows("SELECT id, tenant_id, name FROM clients ORDER BY id") == [
        {"id": 10, "tenant_id": cust_a1, "name": "A1 client"},
        {"id": 12, "tenant_id": cust_a1, "name": "A1 other"}]


async def test_a_reference_owned_outside_the_subtree_rejects_its_record_leaving_no_trace(
        ingest, rows, tree):
    assert await ingest([call("b1", equipment={"id": 503, "name": "B sbc"},
                              application={"id": 504, "name": "B app"}, legs=[
        leg(client={"id": 500, "name": "B client"},
            account={"id": 501, "name": "B acct", "ident": "b"},
            owner_user={"id": 502, "name": "B manager"}, user={"id": 505, "name": "B user"})])],
        key=tree["resB"]) == answer(accepted=1)
    assert await ingest([call("a0", legs=[leg(client={"id": 100, "name": "A client"})])],
                        key=tree["resA"]) == answer(accepted=1)
    before = await snapshot(rows)

    def fresh(**outside: Any) -> dict[str, Any]:
        """A record renaming client 100 and creating equipment 900, account 901, user 902,
        with one reference owned by resB."""
        legs = [leg(client={"id": 100, "name": "A client renamed"},
                    account={"id": 901, "name": "new acct"}, user={"id": 902, "name": "new"}),
                leg("t", "term", **outside.pop("term", {}))]
        return call("a1", equipment={"id": 900, "name": "new sbc"}, legs=legs, **outside)

    cases = [
        (fresh(term={"client": {"id": 500, "name": "stolen"}}), "legs.1.client.id", "clients", 500),
        (fresh(term={"account": {"id": 501}}), "legs.1.account.id", "accounts", 501),
        (fresh(term={"owner_user": {"id": 502}}), "legs.1.owner_user.id", "users", 502),
        (fresh(term={"user": {"id": 505}}), "legs.1.user.id", "users", 505),
        (fresh(application={"id": 504, "name": "x"}), "application.id", "applications", 504),
        ({**fresh(), "equipment": {"id": 503, "name": "x"}}, "equipment.id", "equipment", 503),
    ]
    result = await ingest([record for record, *_ in cases], key=tree["resA"])
    assert result == answer(rejected=[
        rejection(i, {path: NOT_FOUND.format(table, object_id)})
        for i, (_, path, table, object_id) in enumerate(cases)])
    assert await snapshot(rows) == before


async def test_an_amount_correction_passes_the_same_scope_checks(ingest, rows, tree):
    """An ended session of resB whose term leg belongs to custA1 (stored by the root key):
    resB's key may not re-rate it, by the leg's tenant or by the client's id, and nothing
    changes; resA's customer's figures stay resA's and root's to correct."""
    def ended(amount: str, term_client: dict[str, Any]) -> dict[str, Any]:
        return call("x1", tenant="resB", start=START, end=END, legs=[
            leg(amount="0.10", currency="EUR"),
            leg("t", "term", amount=amount, currency="EUR", client=term_client)])

    assert await ingest([ended("0.05", {"id": 77, "name": "A1 carrier", "tenant": "custA1"})]) \
        == answer(accepted=1)
    before = await snapshot(rows)
    result = await ingest([ended("0.01", {"id": 77, "tenant": "custA1"}),
                           ended("0.01", {"id": 77})], key=tree["resB"])
    assert result == answer(rejected=[
        rejection(0, {"legs.1.client.tenant": NOT_FOUND.format("tenants", "custA1")}),
        rejection(1, {"legs.1.client.id": NOT_FOUND.format("clients", 77)})])
    assert await snapshot(rows) == before
    # the root key may
    assert await ingest([ended("0.01", {"id": 77})]) == answer(accepted=1)
    assert await rows("SELECT leg_id, amount FROM legs ORDER BY position") == [
        {"leg_id": "a", "amount": 100000}, {"leg_id": "t", "amount": 10000}]


async def test_a_recording_or_charge_of_another_session_is_rejected(ingest, rows):
    first = {**call("c1"), "records": [{"record_id": 1}], "resources": [
        {"resource_usage_id": 2, "resource_type": "sms"}]}
    assert await ingest([first]) == answer(accepted=1)
    result = await ingest([
        {**call("c2", legs=[leg(client={"id": 7, "name": "new"})]),
         "records": [{"record_id": 3}, {"record_id": 1}]},
        {**call("c3"), "resources": [{"resource_usage_id": 2, "resource_type": "sms"}]},
        {**first, "records": [{"record_id": 1, "url": "https://rec.example/1"}]},
        "junk",
    ])
    assert result == answer(accepted=1, rejected=[
        rejection(0, {"records.1.record_id": NOT_FOUND.format("records", 1)}),
        rejection(1, {"resources.0.resource_usage_id": NOT_FOUND.format("resource_usage", 2)}),
        rejection(3, {"record": "a record must be a JSON object"}),
    ])
    assert await rows("SELECT id FROM clients") == []
    assert await rows("SELECT source_id FROM sessions") == [{"source_id": "c1"}]
    assert await rows("SELECT id, url FROM records") == [
        {"id": 1, "url": "https://rec.example/1"}]
    assert await rows("SELECT id FROM resource_usage") == [{"id": 2}]


# --- references -------------------------------------------------------------------------------

def referencing(session_id: str, names: dict[str, Any]) -> dict[str, Any]:
    return call(session_id, equipment={"id": 14, "name": names["equipment"]},
                application={"id": 15, "name": names["application"]}, legs=[
        leg(client={"id": 10, "name": names["client"]},
            account={"id": 11, "name": names["account"], "ident": names["ident"]},
            owner_user={"id": 12, "name": names["owner"]},
            user={"id": 13, "name": names["user"]})])


async def references(rows: Any) -> dict[str, list[dict[str, Any]]]:
    out = {t: await rows(f"SELECT id, tenant_id, name FROM {t} ORDER BY id")
           for t in ("clients", "users", "equipment", "applications")}
    out["accounts"] = await rows("SELECT id, tenant_id, client_id, name, ident FROM accounts")
    return out


async def test_references_are_created_and_renamed_on_the_fly(ingest, rows):
    first = {"equipment": "SBC-1", "application": "IVR", "client": "Alpha", "account": "pbx",
             "ident": "10.0.0.1", "owner": "Manager", "user": "Alice"}
    assert await ingest([referencing("c1", first)]) == answer(accepted=1)
    root = await tenant_id(rows, "root")

    def expected(n: dict[str, Any]) -> dict[str, list[dict[str, Any]]]:
        return {
            "clients": [{"id": 10, "tenant_id": root, "name": n["client"]}],
            "users": [{"id": 12, "tenant_id": root, "name": n["owner"]},
                      {"id": 13, "tenant_id": root, "name": n["user"]}],
            "equipment": [{"id": 14, "tenant_id": root, "name": n["equipment"]}],
            "applications": [{"id": 15, "tenant_id": root, "name": n["application"]}],
            "accounts": [{"id": 11, "tenant_id": root, "client_id": 10, "name": n["account"],
                          "ident": n["ident"]}]}

    assert await references(rows) == expected(first)
    renamed = {"equipment": "SBC-1b", "application": "IVR 2", "client": "Alpha Ltd",
               "account": "pbx-2", "ident": "10.0.0.2", "owner": "Boss", "user": "Alice B."}
    assert await ingest([referencing("c2", renamed)]) == answer(accepted=1)
    assert await references(rows) == expected(renamed)
    # in one batch, the later name wins
    again = {**renamed, "client": "Alpha Group"}
    assert await ingest([referencing("c3", renamed), referencing("c4", again)]) == answer(
        accepted=2)
    assert await references(rows) == expected(again)
    # a record that carries an id without a name leaves the name alone
    assert await ingest([call("c5", legs=[leg(client={"id": 10}, user={"id": 13})])]) == answer(
        accepted=1)
    assert await references(rows) == expected(again)


async def test_a_reference_named_as_stored_is_not_written_again(ingest, rows, client, engine):
    """Writing an unchanged reference row again would make concurrent batches naming the
    same objects wait for each other's commit; only new and changed objects are written."""
    db = client.app[appkeys.DB]
    await db.execute("CREATE TABLE reference_writes (id INTEGER)")
    if engine == "postgresql":
        await db.execute("CREATE FUNCTION note_write() RETURNS trigger LANGUAGE plpgsql AS "
                         "$$BEGIN INSERT INTO reference_writes VALUES (NEW.id); "
                         "RETURN NEW; END$$")
        await db.execute("CREATE TRIGGER noted AFTER INSERT OR UPDATE ON accounts "
                         "FOR EACH ROW EXECUTE FUNCTION note_write()")
    else:
        for event in ("INSERT", "UPDATE"):
            await db.execute(f"CREATE TRIGGER noted_{event} AFTER {event} ON accounts "
                             "BEGIN INSERT INTO reference_writes VALUES (NEW.id); END")
    names = {"equipment": "SBC-1", "application": "IVR", "client": "Alpha", "account": "pbx",
             "ident": "10.0.0.1", "owner": "Manager", "user": "Alice"}
    assert await ingest([referencing("c1", names)]) == answer(accepted=1)
    assert await rows("SELECT id FROM reference_writes") == [{"id": 11}]  # created
    assert await ingest([referencing("c2", names),  # as stored: not written
                         call("c3", legs=[leg(account={"id": 11})])]) == answer(accepted=2)
    assert await rows("SELECT id FROM reference_writes") == [{"id": 11}]
    assert await ingest([referencing("c4", {**names, "ident": "10.0.0.9"})]) == answer(
        accepted=1)
    assert await rows("SELECT id FROM reference_writes") == [{"id": 11}, {"id": 11}]
    (account,) = await rows("SELECT name, ident FROM accounts")
    assert dict(account) == {"name": "pbx", "ident": "10.0.0.9"}


# --- the audit log ----------------------------------------------------------------------------

async def test_every_accepted_call_writes_one_audit_row(ingest, rows, ingest_key, rpc):
    calls = [
        ("ingest.sessions", [call("c1"), call("c1"), "junk"], answer(1, 1, [
            rejection(2, {"record": "a record must be a JSON object"})])),
        ("ingest.transactions", [], answer()),
        ("ingest.acd_sessions", [], answer()),
        ("ingest.code_decks", [LT_DECK], answer(accepted=1)),
        ("ingest.currency_rates", [{"currency": "EUR", "rate_to_usd": "1.08",
                                    "valid_from": "2026-03-01"}], answer(accepted=1)),
    ]
    for method, records, expected in calls:
        assert await ingest(records, method=method) == expected
    await rpc("ingest.sessions", {"records": "x"}, key=ingest_key)  # not accepted: no row
    logged = await rows("SELECT tenant_id, key_id, role, ip, method, args, result FROM audit_log "
                        "WHERE method LIKE 'ingest.%' ORDER BY id")
    root = await tenant_id(rows, "root")
    assert [{**r, "args": json.loads(r["args"]), "result": json.loads(r["result"])}
            for r in logged] == [
        {"tenant_id": root, "key_id": key_id_of(ingest_key), "role": "ingest", "ip": "127.0.0.1",
         "method": method, "args": {"records": len(records)},
         "result": {"accepted": expected["accepted"], "unchanged": expected["unchanged"],
                    "rejected": len(expected["rejected"])}}
        for method, records, expected in calls]
