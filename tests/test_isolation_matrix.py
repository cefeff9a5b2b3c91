"""Tenant isolation, method by method and role by role (spec README "Tenancy", "Keys, roles
and credentials"; decisions-2026-12.md section 1; docs/tenancy.md).

Two sibling resellers sit under root, each with two customers:

    root > res-a > cus-a1, cus-a2        root > res-b > cus-b1, cus-b2

Each reseller's switch (an `ingest` key of the reseller) sends the same day of traffic: the
same session ids (`s-1`, `s-2`, `live-1`, `v-1`), the same phone numbers and the same
reference names (`Acme`, `Globex`, `pbx-1`, `Ann`, `dialer`), with reference ids, amounts,
recording URLs and one session (`solo-a` / `solo-b`, from a number of its own) that differ.
Each side also holds transactions, a queue session, a video session of its own and export
jobs made by its keys.

Side A is then asked by every method `rpc.discover` lists (read at test time: a new method
must join the table) and by every dialect route of the OpenAPI document, as each of A's
callers: A's admin, A's reseller, A's customer (`cus-a1`) and A's accountant (the roles of
gateway/core/roles.py that read; root's admin is asked for comparison). The probes aim
at side B on purpose: filters naming B's ids and numbers, ordering, rollup, grouping,
`child_account_id`, B's report ids, record ids and URLs guessed with A's key. Every answer
must be free of B's *markers* (`Foreign`): no B session id, number, name, id, amount,
recording URL, key id, report id, audit entry or tenant (what a caller sent itself may come
back, as in an error naming the id it asked for); a guessed B object answers the
documented not-found. What the two sides share (session ids, numbers, names) cannot be told
apart in a text, so the exact answers are checked too: which rows each caller lists, and
totals that are the sums of its own calls, worked out by hand below; A's figures plus B's
are root's, and root sees both sides. Either side's switch is refused when it names the
other side's tenant or objects, and changes nothing.
"""

from __future__ import annotations

import base64
import calendar
import csv
import datetime as dt
import gzip
import hashlib
import io
import json
import re
from dataclasses import dataclass, field
from typing import Any, Callable, Iterable

import pytest
from conftest import call_as_root
from envelopes import answer, forbidden, missing_object, not_found, ok
from test_history_exports import finished

from gateway.web import appkeys

pytestmark = pytest.mark.timeout(60)

# --- the data, by side ---------------------------------------------------------------------

SIDES = ("a", "b")
BASE = {"a": 71_000_000, "b": 82_000_000}  # reference, record and ledger ids of each side
DAY = "2026-03-01"
RANGE = {"from_date": f"{DAY} 00:00:00", "to_date": f"{DAY} 23:59:59"}
FROM = calendar.timegm((2026, 3, 1, 0, 0, 0, 0, 0, 0))
TILL = FROM + 86_399
TODAY = dt.datetime.now(dt.timezone.utc).date()
AUDIT_RANGE = {"from_date": f"{TODAY - dt.timedelta(days=1)} 00:00:00",
               "to_date": f"{TODAY + dt.timedelta(days=1)} 23:59:59"}

# Every amount of a side, each with four decimals of its own, so that no amount and no sum
# of one side reads like one of the other side's. The sums a report writes come to whole
# cents on each side (`s1` + `solo`, `s1_reseller` + `solo`, `term`), so that A's written
# totals plus B's are root's.
AMOUNTS = {
    "a": {"s1": "1.1017", "s1_reseller": "0.7017", "term": "0.3031", "solo": "3.3083",
          "record": "0.0507", "voicemail": "0.0219", "tx_reseller": "5.5051",
          "tx_customer": "0.6061"},
    "b": {"s1": "2.2023", "s1_reseller": "0.8023", "term": "0.4069", "solo": "4.4077",
          "record": "0.0709", "voicemail": "0.0331", "tx_reseller": "6.6053",
          "tx_customer": "0.7071"},
}
SOLO_NUMBER = {"a": "+37069990001", "b": "+37069990002"}
SOLO_NAME = {"a": "Alpha Solo Ltd", "b": "Bravo Solo Ltd"}
SHARED_URL = "https://rec.example/shared/s-2.mp3"
# Shared by both sides: session ids, numbers, names.
CALLER, CALLED, OTHER_CALLER, OTHER_CALLED = ("+37060000001", "+37052000001", "+37060000002",
                                              "+37120000002")


def ids(side: str) -> dict[str, int]:
    n = BASE[side]
    return {"acme": n + 101, "globex": n + 102, "solo": n + 103, "pbx1": n + 111,
            "pbx2": n + 112, "solo_pbx": n + 113, "ann": n + 121, "mgr": n + 131,
            "record": n + 401, "video_record": n + 402, "voicemail": n + 501,
            "tx_reseller": n + 601, "tx_customer": n + 602, "acd": n + 701,
            "app": n + 801, "sbc": n + 901, "deck": n + 1001, "shared_record": n + 403}


def tenants(side: str) -> tuple[str, str, str]:
    return f"res-{side}", f"cus-{side}1", f"cus-{side}2"


def record_url(side: str, name: str) -> str:
    return f"https://rec.example/{side}/{name}"


def at(clock: str) -> str:
    return f"{DAY}T{clock}Z"


def sessions(side: str) -> list[dict[str, Any]]:
    """One side's traffic: what its reseller's switch sends."""
    i, money = ids(side), AMOUNTS[side]
    reseller, customer1, customer2 = tenants(side)
    usd = {"currency": "USD"}
    acme = {"id": i["acme"], "name": "Acme"}
    pbx1 = {"id": i["pbx1"], "name": "pbx-1", "ident": "10.0.0.1"}
    s1 = {
        "session_id": "s-1", "tenant": customer1, "setup_time": at("10:00:00"),
        "start_time": at("10:00:05"), "end_time": at("10:01:05"),
        "equipment": {"id": i["sbc"], "name": "sbc-1"},
        "application": {"id": i["app"], "name": "dialer"}, "rule_name": "rule-1",
        "custom_data": "cd-shared",
        "legs": [
            {"leg_id": "o", "role": "orig", "src": CALLER, "dst": CALLED, "client": acme,
             "account": pbx1, "owner_user": {"id": i["mgr"], "name": "Mgr"},
             "user": {"id": i["ann"], "name": "Ann"}, "rates_code": "LT-FIX",
             "code_deck_id": i["deck"],
             "setup_time": at("10:00:00"), "start_time": at("10:00:05"),
             "end_time": at("10:01:05"), "billsec": 60, "real_billsec": 58,
             "disposition": "ANSWERED", "hangup_cause": 16, "pdd_ms": 1000,
             "amount": money["s1"], "reseller_amount": money["s1_reseller"], **usd},
            {"leg_id": "t", "role": "term", "src": CALLER, "dst": CALLED.lstrip("+"),
             "setup_time": at("10:00:01"), "start_time": at("10:00:05"),
             "end_time": at("10:01:05"), "billsec": 60, "disposition": "ANSWERED",
             "hangup_cause": 16, "amount": money["term"], **usd}],
        "records": [{"record_id": i["record"], "url": record_url(side, "s-1.mp3"),
                     "name": "call.mp3", "start_time": at("10:00:05"), "duration": 60,
                     "file_size": 1000, "cost": money["record"]}],
        "resources": [{"resource_usage_id": i["voicemail"], "resource_type": "voicemail",
                       "quantity": 1, "unit": "pcs", "cost": money["voicemail"],
                       "description": "vm", "used_at": at("10:01:00"), "ref_leg_id": "o"}],
    }
    s2 = {
        "session_id": "s-2", "tenant": customer2, "setup_time": at("11:00:00"),
        "start_time": None, "end_time": at("11:00:20"),
        "legs": [{"leg_id": "o", "role": "orig", "src": OTHER_CALLER, "dst": OTHER_CALLED,
                  "client": {"id": i["globex"], "name": "Globex"},
                  "account": {"id": i["pbx2"], "name": "pbx-2", "ident": "10.0.0.2"},
                  "setup_time": at("11:00:00"), "end_time": at("11:00:20"),
                  "disposition": "NO ANSWER", "hangup_cause": 19}],
        # the same URL on both sides (a recording store shared by the two switches)
        "records": [{"record_id": i["shared_record"], "url": SHARED_URL, "name": "vm.mp3",
                     "start_time": at("11:00:00"), "duration": 5, "file_size": 10}],
    }
    solo = {
        "session_id": f"solo-{side}", "tenant": reseller, "setup_time": at("12:00:00"),
        "start_time": at("12:00:05"), "end_time": at("12:02:05"),
        "legs": [{"leg_id": "o", "role": "orig", "src": SOLO_NUMBER[side], "dst": CALLED,
                  "client": {"id": i["solo"], "name": SOLO_NAME[side]},
                  "code_deck_id": i["deck"],
                  "account": {"id": i["solo_pbx"], "name": "solo-pbx", "ident": "10.0.0.3"},
                  "setup_time": at("12:00:00"), "start_time": at("12:00:05"),
                  "end_time": at("12:02:05"), "billsec": 120, "real_billsec": 120,
                  "disposition": "ANSWERED", "hangup_cause": 16, "pdd_ms": 3000,
                  "amount": money["solo"], **usd}],
    }
    live = {
        "session_id": "live-1", "tenant": customer1, "setup_time": at("13:00:00"),
        "start_time": at("13:00:02"), "end_time": None,
        "equipment": {"id": i["sbc"], "name": "sbc-1"},
        "legs": [{"leg_id": "o", "role": "orig", "src": CALLER, "dst": CALLED,
                  "client": acme, "account": pbx1, "setup_time": at("13:00:00"),
                  "start_time": at("13:00:02")}],
    }
    ann = {"id": i["ann"], "name": "Ann"}
    video = {
        "session_id": "v-1", "kind": "video", "tenant": customer1,
        "setup_time": at("14:00:00"), "start_time": at("14:00:00"), "end_time": at("14:05:00"),
        "room_id": "room-1", "meeting_id": "meet-1", "app_type": "vc",
        "legs": [{"leg_id": "p1", "role": "participant", "user": ann, "name": "Ann",
                  "participant_role": "moderator", "ip": "10.1.0.1", "agent": "Agent/1",
                  "call_num": "cn-1", "call_log_id": "log-1", "user_ref": "ref-1",
                  "start_time": at("14:00:00"), "end_time": at("14:05:00")}],
        "records": [{"record_id": i["video_record"], "url": record_url(side, "v-1.mp4"),
                     "name": "room.mp4", "start_time": at("14:00:10"), "duration": 120,
                     "file_size": 5000}],
    }
    own_video = {
        "session_id": f"v-{side}", "kind": "video", "tenant": reseller,
        "setup_time": at("15:00:00"), "start_time": at("15:00:00"), "end_time": at("15:01:00"),
        "room_id": f"room-{side}", "meeting_id": f"meet-{side}", "app_type": "wb",
        "legs": [{"leg_id": "p1", "role": "participant", "user": ann,
                  "start_time": at("15:00:00"), "end_time": at("15:01:00")}],
    }
    return [s1, s2, solo, live, video, own_video]


def transactions(side: str) -> list[dict[str, Any]]:
    i, money = ids(side), AMOUNTS[side]
    reseller, customer1, _ = tenants(side)
    return [{"transaction_id": i["tx_reseller"], "tenant": reseller,
             "performed_at": at("08:00:00"), "amount": money["tx_reseller"], "currency": "USD",
             "transaction_type": "card_payment", "transaction_description": "top-up"},
            {"transaction_id": i["tx_customer"], "tenant": customer1,
             "performed_at": at("08:30:00"), "amount": money["tx_customer"],
             "currency": "USD", "transaction_type": "resource_charge"}]


def code_decks(side: str) -> list[dict[str, Any]]:
    """Each reseller's code deck: the same prefixes and names, under ids of its own."""
    return [{"code_deck_id": ids(side)["deck"], "tenant": tenants(side)[0], "name": "Europe",
             "codes": [{"prefix": "370", "name": "Lithuania", "country": "LT"},
                       {"prefix": "3705", "name": "Lithuania Vilnius", "country": "LT"}]}]


def acd_sessions(side: str) -> list[dict[str, Any]]:
    i = ids(side)
    return [{"acd_session_history_id": i["acd"], "tenant": tenants(side)[0],
             "acd_request_id": f"req-{side}", "acd_queue_id": 1, "user_id": i["ann"],
             "begin_time": at("09:00:00"), "waiting_duration": 30, "in_service_duration": 60,
             "events": []}]


# --- the world: tenants, keys, data, exports ---------------------------------------------

# The callers of side A the matrix asks as (label: tenant, role), and side B's mirror.
CALLERS = {"root": ("root", "admin"), "admin": ("res-{}", "admin"),
           "reseller": ("res-{}", "reseller"), "customer": ("cus-{}1", "customer"),
           "accountant": ("res-{}", "accountant")}
A_CALLERS = ("admin", "reseller", "customer", "accountant")

# Who may call what (spec README, the roles table): everything else answers 403.
READERS = {"admin", "reseller", "customer", "accountant"}
MAY_CALL: dict[str, set[str]] = {
    "ping": READERS, "rpc.discover": READERS, "keys.list": {"admin"},
    "tenants.list": {"admin"}, "aggregate_get": {"admin", "reseller", "accountant"},
}
# Methods that change data: the matrix leaves them out (their probes with B's ids are in
# test_b_objects_guessed_with_a_key_are_not_found).
WRITES = {"keys.create", "keys.revoke", "tenants.create", "ingest.sessions",
          "ingest.transactions", "ingest.acd_sessions", "ingest.code_decks",
          "ingest.currency_rates", "DeleteRecord"}


@dataclass
class Side:
    name: str
    tenant_ids: dict[str, int] = field(default_factory=dict)
    keys: dict[str, dict[str, str]] = field(default_factory=dict)  # label: keys.create result
    history_ids: dict[str, int] = field(default_factory=dict)  # session id: gateway id
    reports: list[int] = field(default_factory=list)
    audit_ids: list[int] = field(default_factory=list)

    def key(self, label: str) -> str:
        return self.keys[label]["key"]


@dataclass
class World:
    sides: dict[str, Side]
    root_key: dict[str, str]


@pytest.fixture
async def world(client: Any, rpc: Any, make_tenant: Any) -> World:
    app = client.app

    async def new_key(tenant: str, role: str) -> dict[str, str]:
        return dict(await call_as_root(app, "keys.create", tenant=tenant, role=role,
                                       rate_limit="unlimited"))

    root_key = await new_key("root", "admin")
    sides: dict[str, Side] = {}
    for side in SIDES:
        reseller, customer1, customer2 = tenants(side)
        made = Side(side)
        made.tenant_ids[reseller] = (await make_tenant(reseller))["id"]
        for customer in (customer1, customer2):
            made.tenant_ids[customer] = (await make_tenant(customer, reseller))["id"]
        for label, (tenant, role) in CALLERS.items():
            if label != "root":
                made.keys[label] = await new_key(tenant.format(side), role)
        made.keys["ingest"] = await new_key(reseller, "ingest")
        for method, records in (("ingest.code_decks", code_decks(side)),
                                ("ingest.sessions", sessions(side)),
                                ("ingest.transactions", transactions(side)),
                                ("ingest.acd_sessions", acd_sessions(side))):
            response = await rpc(method, {"records": records}, key=made.key("ingest"))
            assert response == ok(answer(accepted=len(records))), (side, method, response)
        sides[side] = made
    db = app[appkeys.DB]
    for made in sides.values():
        for row in await db.fetch_all(
                "SELECT id, source_id FROM sessions WHERE tenant_id IN (?, ?, ?)",
                tuple(made.tenant_ids.values())):
            made.history_ids[row["source_id"]] = int(row["id"])
    # Export jobs of each side: its reseller's calls, its customer's brief list and its
    # accountant's transactions.
    for made in sides.values():
        for label, method, params in (
                ("reseller", "GetCallHistoryAsync", {**RANGE, "child_account_id": "all"}),
                ("customer", "GetBriefCallHistory", RANGE),
                ("accountant", "GetTransactionHistoryAsync",
                 {**RANGE, "child_account_id": "all"})):
            response = await rpc(method, params, key=made.key(label))
            made.reports.append(response["result"]["history_report_id"])
        for label, report in zip(("reseller", "customer", "accountant"), made.reports):
            assert (await finished(rpc, made.key(label), report))["status"] == "completed"
        key_ids = tuple(k["key_id"] for k in made.keys.values())
        marks = ", ".join("?" * len(key_ids))
        made.audit_ids = [int(row["id"]) for row in await db.fetch_all(
            f"SELECT id FROM audit_log WHERE key_id IN ({marks})", key_ids)]
    assert all(made.audit_ids for made in sides.values())
    return World(sides, root_key)


# --- the foreign markers ------------------------------------------------------------------

@dataclass
class Foreign:
    """Everything of one side that the other side may never see."""

    texts: list[str]
    ids: dict[str, set[int]]  # field name: the side's gateway-assigned ids
    tenant_ids: set[int]

    @classmethod
    def of(cls, made: Side) -> "Foreign":
        side = made.name
        texts = [f"solo-{side}", f"v-{side}", f"room-{side}", f"meet-{side}", f"req-{side}",
                 SOLO_NUMBER[side], SOLO_NUMBER[side].lstrip("+"), SOLO_NAME[side],
                 record_url(side, "s-1.mp3"), record_url(side, "v-1.mp4"),
                 *tenants(side), *AMOUNTS[side].values(),
                 *(str(value) for value in ids(side).values()),
                 *(key["key_id"] for key in made.keys.values())]
        return cls(texts, {"call_session_history_id": set(made.history_ids.values()),
                           "history_report_id": set(made.reports),
                           "audit_log_id": set(made.audit_ids)},
                   set(made.tenant_ids.values()))

    def found_in(self, response: Any, sent: Any = None) -> list[str]:
        """The markers an answer (JSON, or the text of CSV, XML or a file) shows, but for
        those the caller sent itself in `sent` (an error naming the id it was given, the
        video list's `search` echo)."""
        text = response if isinstance(response, str) else json.dumps(response)
        known = json.dumps(sent)
        found = [marker for marker in self.texts
                 if _shows(text, marker) and not _shows(known, marker)]
        for name, value in _fields(response):
            if name in self.ids and _integer(value) in self.ids[name]:
                found.append(f"{name}={value}")
            if name == "account_id" and _integer(value) in self.tenant_ids:
                found.append(f"{name}={value}")
        return found


def _shows(text: str, marker: str) -> bool:
    return re.search(rf"(?<![\w.]){re.escape(marker)}(?![\w])", text) is not None


def _integer(value: Any) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def _fields(value: Any) -> Iterable[tuple[str, Any]]:
    if isinstance(value, dict):
        for name, item in value.items():
            yield name, item
            yield from _fields(item)
    elif isinstance(value, list):
        for item in value:
            yield from _fields(item)


def assert_clean(response: Any, foreign: Foreign, case: Any, sent: Any = None) -> None:
    found = foreign.found_in(response, sent)
    assert not found, (case, found, response)


def assert_answered(response: Any, params: dict[str, Any], case: Any) -> None:
    """A result, or the documented refusal of an object of B that the probe named: the
    invalid-params object message on that param, or the object's not-found."""
    if "result" in response:
        return
    error = response["error"]
    if error["code"] == -32602:
        assert all(name in params and re.fullmatch(r'Object "\w+\(.+\)" was not found!', text)
                   for name, text in error["data"].items()), (case, response)
    else:
        assert error["code"] == 404 and error["data"]["code"] == "not_found", (case, response)


# --- the matrix of /rpc methods -----------------------------------------------------------

Probe = Callable[[World], dict[str, Any]]
LIVE = ["session_id", "equipment_id", "orig_clients_id", "orig_clients_name",
        "orig_accounts_id", "orig_accounts_name", "orig_src_party_id", "orig_dst_party_id",
        "quantity"]


def b(name: str) -> Callable[[World], int]:
    return lambda w: ids("b")[name]


def report(side: str, n: int) -> Probe:
    """The n-th export job of a side (its reseller's calls, its customer's brief list, its
    accountant's transactions)."""
    return lambda w: {"history_report_id": w.sides[side].reports[n]}


# Every read method, with its probes: params built from the world, several aimed at side B.
CASES: dict[str, list[Probe]] = {
    "ping": [lambda w: {}],
    "rpc.discover": [lambda w: {}],
    "keys.list": [lambda w: {"count": 1000},
                  lambda w: {"tenant": "res-b"}],
    "tenants.list": [lambda w: {"count": 1000}],
    "reports.active_sessions.query": [
        lambda w: {"return_fields": LIVE},
        lambda w: {"return_fields": ["session_id", "quantity"]},
        lambda w: {"return_fields": ["quantity"]},
        lambda w: {"return_fields": LIVE, "filters": {"orig_clients_id": [b("acme")(w)]}},
        lambda w: {"return_fields": LIVE, "filters": {"orig_accounts_id": [b("pbx1")(w)]}},
        lambda w: {"return_fields": LIVE, "filters": {"equipment_id": [b("sbc")(w)]}},
        lambda w: {"return_fields": ["orig_clients_name", "session_id", "quantity"],
                   "order": ["-quantity", "orig_clients_name"], "group": "rollup"},
        lambda w: {"return_fields": [*LIVE, "orig_rates_code_name"],
                   "code_decks_id": b("deck")(w)},
    ],
    "aggregate_get": [
        lambda w: {"from": FROM, "till": TILL},
        lambda w: {"from": FROM, "till": TILL, "group_by_user": 1, "group_by_device": 1,
                   "group_by_day": 1, "profit_show": 1},
        lambda w: {"from": FROM, "till": TILL, "from_user_perspective": 1,
                   "group_by_hour": 1},
        lambda w: {"from": FROM, "till": TILL, "a_src": SOLO_NUMBER["b"]},
        lambda w: {"from": FROM, "till": TILL, "a_src": "+3706999%"},
        lambda w: {"from": FROM, "till": TILL, "s_originator_id": b("acme")(w)},
        lambda w: {"from": FROM, "till": TILL, "s_device": b("pbx1")(w)},
        lambda w: {"from": FROM, "till": TILL, "group_by_dst_group": 1, "group_by_dst": 1,
                   "dst_group": "Lithuania Vilnius"},
        lambda w: {"from": FROM + 1, "till": TILL - 1, "group_by_user": 1,
                   "group_by_provider": 1, "group_by_user_rate": 1, "answered_calls": 1},
    ],
    "GetCallHistory": [
        lambda w: {**RANGE, "child_account_id": "all", "with_calls": True,
                   "with_records": True, "count": 1000},
        lambda w: {**RANGE, "with_calls": True, "with_records": True},
        lambda w: {**RANGE, "child_account_id": "all", "desc_order": True, "output": "csv"},
        lambda w: {**RANGE, "child_account_id": "all",
                   "remote_number": [SOLO_NUMBER["b"], CALLED]},
        lambda w: {**RANGE, "child_account_id": "all",
                   "call_session_history_id": sorted(w.sides["b"].history_ids.values())},
        lambda w: {**RANGE, "child_account_id": [w.sides["b"].tenant_ids["cus-b1"]]},
        lambda w: {**RANGE, "child_account_id": "all", "user_id": [b("ann")(w)]},
        lambda w: {**RANGE, "child_account_id": "all", "application_id": b("app")(w)},
        lambda w: {**RANGE, "child_account_id": "all", "application_name": "dialer",
                   "with_calls": True},
    ],
    "GetCallHistoryAsync": [lambda w: {**RANGE, "child_account_id": "all"}],
    "GetBriefCallHistory": [lambda w: RANGE],
    "GetHistoryReports": [
        lambda w: {"history_type": "all", "count": 1000},
        lambda w: {"history_type": "all", "history_report_id": w.sides["b"].reports},
    ],
    "DownloadHistoryReport": [report("a", 0), report("a", 1), report("a", 2),
                              report("b", 0), report("b", 1), report("b", 2)],
    "GetTransactionHistory": [
        lambda w: {**RANGE, "child_account_id": "all", "count": 1000},
        lambda w: {**RANGE, "child_account_id": "all",
                   "transaction_id": [b("tx_reseller")(w), b("tx_customer")(w)]},
        lambda w: {**RANGE, "child_account_id": [w.sides["b"].tenant_ids["res-b"]]},
        lambda w: {**RANGE, "child_account_id": "all", "output": "csv"},
    ],
    "GetTransactionHistoryAsync": [lambda w: {**RANGE, "child_account_id": "all"}],
    "GetACDHistory": [
        lambda w: {**RANGE, "with_events": True, "count": 1000},
        lambda w: {**RANGE, "acd_session_history_id": [b("acd")(w)]},
        lambda w: {**RANGE, "user_id": [b("ann")(w)]},
    ],
    "GetAuditLog": [
        lambda w: {**AUDIT_RANGE, "with_total_count": True, "count": 1000},
        lambda w: {**AUDIT_RANGE, "with_total_count": True,
                   "filtered_admin_user_id": [w.sides["b"].keys["ingest"]["key_id"]]},
        lambda w: {**AUDIT_RANGE, "with_total_count": True,
                   "advanced_filters": SOLO_NAME["b"]},
        lambda w: {**AUDIT_RANGE, "audit_log_id": w.sides["b"].audit_ids},
    ],
    "GetAuditLogAsync": [lambda w: AUDIT_RANGE],
    "ucaas.sessions.list": [
        lambda w: {"page_length": 1000},
        lambda w: {"search_by": "user_id", "search_string": str(b("ann")(w))},
        lambda w: {"search_by": "session_id", "search_string": "v-b"},
        lambda w: {"order_by": "duration,session_id", "order_qualify": "desc"},
    ],
    "ucaas.sessions.cdr": [lambda w: {"session_id": "v-1"}, lambda w: {"session_id": "v-b"}],
    "ucaas.sessions.recordings": [lambda w: {"session_id": "v-1"},
                                  lambda w: {"session_id": "v-b"}],
}


def probes(method: str, world: World) -> list[dict[str, Any]]:
    return [probe(world) for probe in CASES[method]]


def may_call(method: str, role: str) -> bool:
    return role in MAY_CALL.get(method, READERS)


async def discovered(rpc: Any, key: str) -> set[str]:
    document = (await rpc("rpc.discover", key=key))["result"]
    return {method["name"] for method in document["methods"]}


async def test_the_table_covers_every_discovered_read_method(rpc: Any, admin_key: str) -> None:
    assert set(CASES) == await discovered(rpc, admin_key) - WRITES


async def test_no_method_shows_side_b_to_any_caller_of_side_a(rpc: Any, world: World) -> None:
    foreign = Foreign.of(world.sides["b"])
    methods = await discovered(rpc, world.root_key["key"])
    assert methods - WRITES == set(CASES)
    for method in sorted(methods - WRITES):
        for label in A_CALLERS:
            key = world.sides["a"].keys[label]["key"]
            role = CALLERS[label][1]
            for params in probes(method, world):
                case = (method, label, params)
                response = await rpc(method, params, key=key)
                if not may_call(method, role):
                    assert response == forbidden(role, method), case
                    continue
                assert_answered(response, params, case)
                assert_clean(response, foreign, case, params)


# --- exactly what each caller sees ----------------------------------------------------------

ENDED = ("s-1", "s-2", "solo-{}", "v-1", "v-{}")  # a side's ended sessions (history)
# label: (the ended sessions of its side it lists with child_account_id=all, and without)
HISTORY = {"admin": (ENDED, ("solo-{}", "v-{}")),
           "reseller": (ENDED, ("solo-{}", "v-{}")),
           "accountant": (ENDED, ("solo-{}", "v-{}")),
           "customer": (("s-1", "v-1"), ("s-1", "v-1"))}


def history_ids(world: World, side: str, names: Iterable[str]) -> list[int]:
    made = world.sides[side]
    return sorted(made.history_ids[name.format(side)] for name in names)


async def listed(rpc: Any, method: str, params: dict[str, Any], key: str,
                 field_name: str) -> tuple[list[Any], Any]:
    response = await rpc(method, params, key=key)
    assert "result" in response, (method, params, response)
    result = response["result"]
    return sorted(row[field_name] for row in result["result"]), result.get("total_count")


async def test_each_caller_lists_exactly_its_own_rows(rpc: Any, world: World) -> None:
    a, b = world.sides["a"], world.sides["b"]
    root = world.root_key["key"]
    # root sees both sides
    every = history_ids(world, "a", ENDED) + history_ids(world, "b", ENDED)
    assert await listed(rpc, "GetCallHistory", {**RANGE, "child_account_id": "all"}, root,
                        "call_session_history_id") == (sorted(every), 10)
    assert await listed(rpc, "GetCallHistory", RANGE, root, "call_session_history_id") == \
        ([], 0)
    for label, (subtree, own) in HISTORY.items():
        key = a.key(label)
        case = label
        assert await listed(rpc, "GetCallHistory", {**RANGE, "child_account_id": "all"}, key,
                            "call_session_history_id") == \
            (history_ids(world, "a", subtree), len(subtree)), case
        assert await listed(rpc, "GetCallHistory", RANGE, key, "call_session_history_id") == \
            (history_ids(world, "a", own), len(own)), case
        # B's gateway ids, B's own number, B's user: nothing
        for params in ({"call_session_history_id": sorted(b.history_ids.values())},
                       {"remote_number": [SOLO_NUMBER["b"]]},
                       {"user_id": [ids("b")["ann"]]}):
            assert await listed(rpc, "GetCallHistory",
                                {**RANGE, "child_account_id": "all", **params}, key,
                                "call_session_history_id") == ([], 0), (case, params)
        # the shared number finds A's call only (an originating leg is incoming: its remote
        # number is its source)
        assert await listed(rpc, "GetCallHistory",
                            {**RANGE, "child_account_id": "all", "remote_number": [CALLER]},
                            key, "call_session_history_id") == \
            (history_ids(world, "a", ["s-1"]), 1), case

    # transactions: own tenant, plus child_account_id
    tx = {"admin": ("tx_reseller", "tx_customer"), "reseller": ("tx_reseller", "tx_customer"),
          "accountant": ("tx_reseller", "tx_customer"), "customer": ("tx_customer",)}
    for label, names in tx.items():
        expected = sorted(ids("a")[name] for name in names)
        assert await listed(rpc, "GetTransactionHistory", {**RANGE, "child_account_id": "all"},
                            a.key(label), "transaction_id") == (expected, len(expected)), label
    assert await listed(rpc, "GetTransactionHistory", {**RANGE, "child_account_id": "all"},
                        root, "transaction_id") == (
        sorted(ids(s)[n] for s in SIDES for n in ("tx_reseller", "tx_customer")), 4)

    # queue sessions and audit entries: the subtree
    for label in ("admin", "reseller", "accountant", "customer"):
        expected = [] if label == "customer" else [ids("a")["acd"]]
        assert await listed(rpc, "GetACDHistory", RANGE, a.key(label),
                            "acd_session_history_id") == (expected, len(expected)), label
        audit = [] if label == "customer" else sorted(a.audit_ids)
        assert await listed(rpc, "GetAuditLog", {**AUDIT_RANGE, "with_total_count": True,
                                                 "count": 1000},
                            a.key(label), "audit_log_id") == (audit, len(audit)), label
    assert await listed(rpc, "GetACDHistory", RANGE, root, "acd_session_history_id") == \
        ([ids("a")["acd"], ids("b")["acd"]], 2)

    # export jobs: those of keys of the caller's own tenant only (root's own: none)
    jobs = {"admin": [a.reports[0], a.reports[2]], "reseller": [a.reports[0], a.reports[2]],
            "accountant": [a.reports[0], a.reports[2]], "customer": [a.reports[1]]}
    for label, expected in jobs.items():
        assert await listed(rpc, "GetHistoryReports", {"history_type": "all"}, a.key(label),
                            "history_report_id") == (expected, len(expected)), label
    assert await listed(rpc, "GetHistoryReports", {"history_type": "all"}, root,
                        "history_report_id") == ([], 0)


LIVE_FIELDS = ["session_id", "orig_clients_id", "orig_clients_name", "quantity"]


def live_row(side: str) -> dict[str, Any]:
    return {"session_id": "live-1", "orig_clients_id": ids(side)["acme"],
            "orig_clients_name": "Acme", "quantity": 1}


async def test_the_live_report_groups_filters_and_rolls_up_own_sessions_only(
        rpc: Any, world: World) -> None:
    method = "reports.active_sessions.query"
    root = world.root_key["key"]
    assert await rpc(method, {"return_fields": LIVE_FIELDS}, key=root) == \
        ok([live_row("a"), live_row("b")])
    assert await rpc(method, {"return_fields": ["session_id", "quantity"]}, key=root) == \
        ok([{"session_id": "live-1", "quantity": 2}])
    for label in A_CALLERS:
        key = world.sides["a"].key(label)
        assert await rpc(method, {"return_fields": LIVE_FIELDS}, key=key) == \
            ok([live_row("a")]), label
        assert await rpc(method, {"return_fields": ["session_id", "quantity"]}, key=key) == \
            ok([{"session_id": "live-1", "quantity": 1}]), label
        assert await rpc(method, {"return_fields": ["quantity"]}, key=key) == \
            ok([{"quantity": 1}]), label
        assert await rpc(method, {"return_fields": ["orig_clients_name", "quantity"],
                                  "group": "rollup", "order": ["-quantity"]}, key=key) == \
            ok([{"orig_clients_name": "Acme", "quantity": 1, "row_type": "row"},
                {"orig_clients_name": None, "quantity": 1, "row_type": "total"}]), label
        for member, name in (("orig_clients_id", "acme"), ("orig_accounts_id", "pbx1"),
                             ("equipment_id", "sbc")):
            assert await rpc(method, {"return_fields": LIVE_FIELDS,
                                      "filters": {member: [ids("b")[name]]}}, key=key) == \
                ok([]), (label, member)


def totals(result: dict[str, Any]) -> dict[str, Any]:
    keys = ("total_calls", "answered_calls", "asr", "billsec", "acd", "price", "cost")
    return {k: result["totals"][k] for k in keys}


# Hand sums of the ended calls of each side (s-1 answered 60 s, s-2 not answered, solo
# answered 120 s): for its reseller, price = its users' amounts (s-1 + solo), cost = their
# reseller_amount (s-1's); for root, price = reseller_amount where recorded, else amount
# (s-1's reseller_amount + solo), cost = the terminating legs' amounts (s-1's term leg).
SIDE_TOTALS = {
    "a": {"total_calls": 3, "answered_calls": 2, "asr": 66.67, "billsec": 180, "acd": 90,
          "price": 4.41, "cost": 0.70},  # 1.1017 + 3.3083; 0.7017
    "b": {"total_calls": 3, "answered_calls": 2, "asr": 66.67, "billsec": 180, "acd": 90,
          "price": 6.61, "cost": 0.80},  # 2.2023 + 4.4077; 0.8023
}
ROOT_TOTALS = {"total_calls": 6, "answered_calls": 4, "asr": 66.67, "billsec": 360, "acd": 90,
               "price": 9.22,  # (0.7017 + 3.3083) + (0.8023 + 4.4077)
               "cost": 0.71}  # 0.3031 + 0.4069
USER_PRICES = {"a": 4.41, "b": 6.61, "root": 11.02}  # from_user_perspective=1: the amounts


async def test_totals_are_the_sums_of_own_calls_and_add_up_to_roots(
        rpc: Any, world: World) -> None:
    window = {"from": FROM, "till": TILL}
    root = world.root_key["key"]
    response = await rpc("aggregate_get", window, key=root)
    assert "result" in response, response
    got_root = response["result"]
    assert totals(got_root) == ROOT_TOTALS
    raw_root = (await rpc("aggregate_get", {"from": FROM + 1, "till": TILL - 1}, key=root))
    assert totals(raw_root["result"]) == ROOT_TOTALS
    root_user = (await rpc("aggregate_get", {**window, "from_user_perspective": 1},
                           key=root))["result"]
    assert root_user["totals"]["price"] == USER_PRICES["root"]
    parts = []
    for side in SIDES:
        for label in ("admin", "reseller", "accountant"):
            key = world.sides[side].key(label)
            result = (await rpc("aggregate_get", {**window, "group_by_user": 1},
                                key=key))["result"]
            assert totals(result) == SIDE_TOTALS[side], (side, label)
            # a partial edge: the raw records instead of the 15-minute summaries
            raw = (await rpc("aggregate_get", {"from": FROM + 1, "till": TILL - 1,
                                               "group_by_device": 1}, key=key))["result"]
            assert totals(raw) == SIDE_TOTALS[side], (side, label)
            i = ids(side)
            assert [(row["originator_id"], row["originator_name"], row["total_calls"],
                     row["billsec"]) for row in result["aggregates"]] == [
                (i["acme"], "Acme", 1, 60), (i["globex"], "Globex", 1, 0),
                (i["solo"], SOLO_NAME[side], 1, 120)], (side, label)
            user = (await rpc("aggregate_get", {**window, "from_user_perspective": 1},
                              key=key))["result"]
            assert user["totals"]["price"] == USER_PRICES[side], (side, label)
        parts.append((SIDE_TOTALS[side], USER_PRICES[side]))
    # A + B = root: counts and seconds, and the end users' prices
    for name in ("total_calls", "answered_calls", "billsec"):
        assert parts[0][0][name] + parts[1][0][name] == got_root["totals"][name], name
    assert round(parts[0][1] + parts[1][1], 2) == root_user["totals"]["price"]
    # filters aimed at B find nothing of A's, and B's number finds nothing
    key = world.sides["a"].key("reseller")
    empty = {"total_calls": 0, "answered_calls": 0, "asr": 0, "billsec": 0, "acd": 0,
             "price": 0, "cost": 0}
    for params in ({"a_src": SOLO_NUMBER["b"]}, {"a_src": "+3706999%"},
                   {"a_src": CALLER}):
        result = (await rpc("aggregate_get", {**window, **params}, key=key))["result"]
        expected = {"+3706999%": {"total_calls": 1, "answered_calls": 1, "asr": 100,
                                  "billsec": 120, "acd": 120, "price": 3.31, "cost": 0},
                    CALLER: {"total_calls": 1, "answered_calls": 1, "asr": 100, "billsec": 60,
                             "acd": 60, "price": 1.10, "cost": 0.70}}.get(params["a_src"],
                                                                          empty)
        assert totals(result) == expected, params
    for param, name, table in (("s_originator_id", "acme", "clients"),
                               ("s_device", "pbx1", "accounts")):
        assert await rpc("aggregate_get", {**window, param: ids("b")[name]}, key=key) == \
            missing_object(param, table, str(ids("b")[name]))


async def test_root_sees_both_sides(rpc: Any, world: World) -> None:
    """The markers are real: root's answers show both sides' (and so would A's, were B's
    rows in them)."""
    root = world.root_key["key"]
    for method, params in (
            ("GetCallHistory", {**RANGE, "child_account_id": "all", "with_calls": True,
                                "with_records": True, "count": 1000}),
            ("GetTransactionHistory", {**RANGE, "child_account_id": "all"}),
            ("GetACDHistory", RANGE),
            ("ucaas.sessions.list", {"page_length": 1000}),
            ("GetAuditLog", {**AUDIT_RANGE, "count": 1000}),
            ("tenants.list", {"count": 1000})):
        response = await rpc(method, params, key=root)
        for side in SIDES:
            assert Foreign.of(world.sides[side]).found_in(response), (method, side, response)
    videos = await rpc("ucaas.sessions.list", {"page_length": 1000}, key=root)
    assert sorted(s["session_id"] for s in videos["result"]["sessions"]) == \
        ["v-1", "v-1", "v-a", "v-b"]
    assert videos["result"]["total"] == 4


# --- B's objects, guessed with A's keys -----------------------------------------------------

async def test_b_objects_guessed_with_a_key_are_not_found(client: Any, rpc: Any,
                                                          world: World) -> None:
    a, b = world.sides["a"], world.sides["b"]
    i = ids("b")
    for label in A_CALLERS:
        key = a.key(label)
        role = CALLERS[label][1]
        for report in b.reports:
            assert await rpc("DownloadHistoryReport", {"history_report_id": report},
                             key=key) == not_found("history_reports", str(report)), label
            response = await client.get(f"/reports/files/{report}", headers={"X-Api-Key": key})
            assert (response.status, await response.json()) == \
                (404, {"error": not_found("history_reports", str(report))["error"]}), label
        for params, shown in (({"record_id": i["record"]}, str(i["record"])),
                              ({"record_id": i["video_record"]}, str(i["video_record"])),
                              ({"record_url": record_url("b", "s-1.mp3")},
                               record_url("b", "s-1.mp3"))):
            expected = forbidden(role, "DeleteRecord") if role == "accountant" else \
                not_found("records", shown)
            assert await rpc("DeleteRecord", params, key=key) == expected, (label, params)
        for method in ("ucaas.sessions.cdr", "ucaas.sessions.recordings"):
            assert await rpc(method, {"session_id": "v-b"}, key=key) == \
                not_found("sessions", "v-b"), (label, method)
        for method in ("GetCallHistory", "GetTransactionHistory", "GetCallHistoryAsync",
                       "GetTransactionHistoryAsync"):
            tenant = b.tenant_ids["cus-b1"]
            assert await rpc(method, {**RANGE, "child_account_id": [tenant]}, key=key) == \
                missing_object("child_account_id", "tenants", str(tenant)), (label, method)
        assert await rpc("GetCallHistory", {**RANGE, "application_id": i["app"]}, key=key) == \
            missing_object("application_id", "applications", str(i["app"])), label
        for method, params in (
                ("GetHistoryReports", {"history_type": "all", "history_report_id": b.reports}),
                ("GetTransactionHistory", {**RANGE, "child_account_id": "all",
                                           "transaction_id": [i["tx_reseller"],
                                                              i["tx_customer"]]}),
                ("GetACDHistory", {**RANGE, "acd_session_history_id": [i["acd"]]}),
                ("GetAuditLog", {**AUDIT_RANGE, "with_total_count": True,
                                 "audit_log_id": b.audit_ids}),
                ("GetAuditLog", {**AUDIT_RANGE, "with_total_count": True,
                                 "filtered_admin_user_id": [b.keys["ingest"]["key_id"]]})):
            response = await rpc(method, params, key=key)
            assert (response["result"]["result"], response["result"]["total_count"]) == \
                ([], 0), (label, method, params)
    # admin of A: B's keys and tenants
    admin = a.key("admin")
    assert await rpc("keys.revoke", {"key_id": b.keys["reseller"]["key_id"]}, key=admin) == \
        not_found("keys", b.keys["reseller"]["key_id"])
    assert await rpc("keys.list", {"tenant": "res-b"}, key=admin) == \
        missing_object("tenant", "tenants", "res-b")
    assert await rpc("keys.create", {"tenant": "cus-b1", "role": "admin"}, key=admin) == \
        missing_object("tenant", "tenants", "cus-b1")
    assert await rpc("tenants.create", {"name": "intruder", "parent": "res-b"}, key=admin) == \
        missing_object("parent", "tenants", "res-b")
    listed_keys = await rpc("keys.list", {"count": 1000}, key=admin)
    assert sorted(k["key_id"] for k in listed_keys["result"]["result"]) == \
        sorted(k["key_id"] for k in a.keys.values())
    tree = await rpc("tenants.list", {"count": 1000}, key=admin)
    assert [t["name"] for t in tree["result"]["result"]] == ["res-a", "cus-a1", "cus-a2"]
    # nothing of B's was deleted or revoked: its recording is still there for root
    history = await rpc("GetCallHistory", {**RANGE, "child_account_id": "all",
                                           "with_records": True, "count": 1000},
                        key=world.root_key["key"])
    urls = sorted(r["record_url"] for s in history["result"]["result"]
                  for r in s.get("records", []))
    assert urls == sorted([SHARED_URL] * 2 + [record_url(side, name) for side in SIDES
                                              for name in ("s-1.mp3", "v-1.mp4")])
    assert await rpc("ping", key=b.key("reseller")) == ok("pong")


async def test_a_shared_video_id_is_a_side_s_own_and_ambiguous_only_for_root(
        rpc: Any, world: World) -> None:
    for label in A_CALLERS:
        key = world.sides["a"].key(label)
        cdr = await rpc("ucaas.sessions.cdr", {"session_id": "v-1"}, key=key)
        assert cdr["result"]["session"]["user_id"] == str(ids("a")["ann"]), (label, cdr)
        assert [c["call_log_id"] for c in cdr["result"]["cdr"]] == ["log-1"], label
        recordings = await rpc("ucaas.sessions.recordings", {"session_id": "v-1"}, key=key)
        assert [r["file"] for r in recordings["result"]["recordings"]] == \
            [record_url("a", "v-1.mp4")], label
        videos = await rpc("ucaas.sessions.list", {"page_length": 1000}, key=key)
        own = ["v-1"] if label == "customer" else ["v-1", "v-a"]
        assert (sorted(s["session_id"] for s in videos["result"]["sessions"]),
                videos["result"]["total"]) == (own, len(own)), label
    response = await rpc("ucaas.sessions.cdr", {"session_id": "v-1"},
                         key=world.root_key["key"])
    assert response["error"]["code"] == 422, response
    assert response["error"]["data"]["code"] == "session-id-ambiguous", response


# --- export files ---------------------------------------------------------------------------

def csv_rows(text: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(text, newline="")))


async def test_export_files_hold_only_own_rows(client: Any, rpc: Any, world: World) -> None:
    a, b = world.sides["a"], world.sides["b"]
    foreign = Foreign.of(b)
    s1, v1 = a.history_ids["s-1"], a.history_ids["v-1"]
    expected = {  # report: (the key that may fetch it, the column to read, its values)
        a.reports[0]: ("reseller", "call_session_history_id",
                       [str(n) for n in history_ids(world, "a", ENDED)]),
        a.reports[1]: ("customer", "call_session_history_id", [str(s1), str(v1)]),
        a.reports[2]: ("accountant", "transaction_id",
                       [str(ids("a")["tx_reseller"]), str(ids("a")["tx_customer"])]),
    }
    for report, (label, column, values) in expected.items():
        key = a.key(label)
        response = await client.get(f"/reports/files/{report}",
                                    headers={"X-Api-Key": key, "Accept-Encoding": "gzip"},
                                    auto_decompress=False)
        assert response.status == 200, report
        text = gzip.decompress(await response.read()).decode()
        assert_clean(text, foreign, report)
        assert sorted(row[column] for row in csv_rows(text)) == sorted(values), (report, text)
        routed = await client.get("/platform_api/DownloadHistoryReport", params={
            "account_id": a.keys[label]["key_id"], "api_key": key,
            "history_report_id": str(report)})
        assert (routed.status, await routed.text()) == (200, text), report
    brief = csv_rows((await (await client.get(f"/reports/files/{a.reports[1]}", headers={
        "X-Api-Key": a.key("customer")})).read()).decode())
    # s-1: its first leg 1.1017 + its recording 0.0507 + its voicemail 0.0219 = 1.1743
    assert [(row["call_session_history_id"], row["cost"]) for row in brief] == \
        [(str(s1), "1.17"), (str(v1), "0.00")]
    transactions = csv_rows((await (await client.get(f"/reports/files/{a.reports[2]}", headers={
        "X-Api-Key": a.key("accountant")})).read()).decode())
    assert sorted(row["amount"] for row in transactions) == sorted(
        [AMOUNTS["a"]["tx_reseller"], AMOUNTS["a"]["tx_customer"]])


# --- the dialect routes ---------------------------------------------------------------------

MOR_HASH_ORDER = (
    "from till a_currency group_by_user group_by_device group_by_terminator group_by_provider "
    "group_by_dst_group group_by_dst group_by_day group_by_hour group_by_user_rate "
    "group_by_provider_rate s_originator_id s_terminator_id s_device s_provider a_src a_dst "
    "clid s_duration dst_group use_real_billsec from_user_perspective answered_calls "
    "profit_show timezone format").split()


def mor_fields(params: dict[str, str], key: dict[str, str]) -> list[tuple[str, str]]:
    """`u`, the params and `hash`, computed as methods.md section 2 says."""
    text = "".join(params[name] for name in MOR_HASH_ORDER if name in params) + \
        key["mor_secret"]
    return [("u", key["key_id"]), *params.items(),
            ("hash", hashlib.sha1(text.encode()).hexdigest())]


async def on_route(client: Any, verb: str, path: str, key: dict[str, str],
                   params: dict[str, str]) -> tuple[int, str]:
    """A dialect route called as its vendor's clients call it: (status, body text)."""
    plain = key["key"]
    if path == "/reports/active_sessions":
        response = await client.post(path, json=params, headers={"X-Api-Key": plain})
    elif path.startswith("/billing/"):
        fields = mor_fields(params, key)
        response = await (client.get(path, params=fields) if verb == "get"
                          else client.post(path, data=fields))
    elif path.startswith("/platform_api"):
        fields = {"account_id": key["key_id"], "api_key": plain, **params}
        response = await (client.get(path, params=fields) if verb == "get"
                          else client.post(path, data=fields))
    elif path == "/ucaas/v1/login":
        secret = plain.partition(".")[2]
        basic = base64.b64encode(f"{key['key_id']}:{secret}".encode()).decode()
        login = await client.post(path, headers={"Authorization": f"Basic {basic}"})
        assert login.status == 200, await login.text()
        token = (await login.json())["access_token"]
        response = await client.get("/ucaas/v1/sessions", params=params,
                                    headers={"Authorization": f"Token {token}"})
    elif path.startswith("/ucaas/"):
        response = await client.get(path, params=params,
                                    headers={"Authorization": f"Token {plain}"})
    else:
        response = await client.get(path, headers={"X-Api-Key": plain})
    return response.status, await response.text()


def joined(values: Iterable[Any]) -> str:
    return ";".join(str(v) for v in values)


Route = Callable[[World], tuple[str, str, dict[str, str]]]  # verb, path, params
WINDOW = {"from": str(FROM), "till": str(TILL)}
ALL = {**RANGE, "child_account_id": "all"}

# Every route of the OpenAPI document (by its path template), with its probes.
ROUTES: dict[str, list[Route]] = {
    "/reports/active_sessions": [
        lambda w: ("post", "/reports/active_sessions", {"return_fields": LIVE}),
        lambda w: ("post", "/reports/active_sessions", {
            "return_fields": LIVE, "filters": {"orig_clients_id": [ids("b")["acme"]]}}),
        lambda w: ("post", "/reports/active_sessions", {
            "return_fields": ["orig_clients_name", "quantity"], "group": "rollup"}),
    ],
    "/billing/api/aggregate_get": [
        lambda w: ("get", "/billing/api/aggregate_get", {**WINDOW, "format": "json"}),
        lambda w: ("post", "/billing/api/aggregate_get", {**WINDOW, "group_by_user": "1"}),
        lambda w: ("get", "/billing/api/aggregate_get", {
            **WINDOW, "group_by_device": "1", "group_by_day": "1", "profit_show": "1"}),
        lambda w: ("get", "/billing/api/aggregate_get", {
            **WINDOW, "s_originator_id": str(ids("b")["acme"])}),
        lambda w: ("get", "/billing/api/aggregate_get", {
            **WINDOW, "a_src": SOLO_NUMBER["b"], "format": "json"}),
    ],
    "/platform_api/GetCallHistory": [
        lambda w: ("get", "/platform_api/GetCallHistory", {
            **ALL, "with_calls": "true", "with_records": "true", "count": "1000"}),
        lambda w: ("post", "/platform_api/GetCallHistory", {**ALL, "output": "csv"}),
        lambda w: ("get", "/platform_api/GetCallHistory", {
            **RANGE, "child_account_id": str(w.sides["b"].tenant_ids["cus-b1"])}),
        lambda w: ("get", "/platform_api/GetCallHistory", {
            **ALL, "call_session_history_id": joined(w.sides["b"].history_ids.values())}),
        lambda w: ("get", "/platform_api/GetCallHistory", {
            **ALL, "remote_number_list": json.dumps([SOLO_NUMBER["b"]])}),
    ],
    "/platform_api/GetCallHistoryAsync": [
        lambda w: ("post", "/platform_api/GetCallHistoryAsync", ALL)],
    "/platform_api/GetBriefCallHistory": [
        lambda w: ("get", "/platform_api/GetBriefCallHistory", RANGE)],
    "/platform_api/GetHistoryReports": [
        lambda w: ("get", "/platform_api/GetHistoryReports", {"history_type": "all"}),
        lambda w: ("get", "/platform_api/GetHistoryReports", {
            "history_type": "all", "history_report_id": joined(w.sides["b"].reports)}),
    ],
    "/platform_api/DownloadHistoryReport": [
        (lambda n: lambda w: ("get", "/platform_api/DownloadHistoryReport", {
            "history_report_id": str((w.sides["a"].reports + w.sides["b"].reports)[n])}))(n)
        for n in range(6)],
    "/platform_api/DeleteRecord": [
        lambda w: ("post", "/platform_api/DeleteRecord", {"record_id": str(ids("b")["record"])}),
        lambda w: ("get", "/platform_api/DeleteRecord", {
            "record_url": record_url("b", "v-1.mp4")}),
    ],
    "/platform_api/GetTransactionHistory": [
        lambda w: ("get", "/platform_api/GetTransactionHistory", ALL),
        lambda w: ("get", "/platform_api/GetTransactionHistory", {
            **ALL, "transaction_id": joined([ids("b")["tx_reseller"], ids("b")["tx_customer"]])}),
    ],
    "/platform_api/GetTransactionHistoryAsync": [
        lambda w: ("get", "/platform_api/GetTransactionHistoryAsync", ALL)],
    "/platform_api/GetACDHistory": [
        lambda w: ("get", "/platform_api/GetACDHistory", {**RANGE, "with_events": "true"}),
        lambda w: ("get", "/platform_api/GetACDHistory", {
            **RANGE, "acd_session_history_id": str(ids("b")["acd"])}),
    ],
    "/platform_api/GetAuditLog": [
        lambda w: ("get", "/platform_api/GetAuditLog", {
            **AUDIT_RANGE, "with_total_count": "true", "count": "1000"}),
        lambda w: ("get", "/platform_api/GetAuditLog", {
            **AUDIT_RANGE, "filtered_admin_user_id": w.sides["b"].keys["ingest"]["key_id"]}),
    ],
    "/platform_api/GetAuditLogAsync": [
        lambda w: ("post", "/platform_api/GetAuditLogAsync", AUDIT_RANGE)],
    "/ucaas/v1/sessions": [
        lambda w: ("get", "/ucaas/v1/sessions", {"page_length": "1000"}),
        lambda w: ("get", "/ucaas/v1/sessions", {
            "search_by": "user_id", "search_string": str(ids("b")["ann"])}),
        lambda w: ("get", "/ucaas/v1/sessions", {
            "order_by": "duration,session_id", "order_qualify": "desc"}),
    ],
    "/ucaas/v1/sessions/{session_id}/cdr": [
        lambda w: ("get", "/ucaas/v1/sessions/v-1/cdr", {}),
        lambda w: ("get", "/ucaas/v1/sessions/v-b/cdr", {}),
    ],
    "/ucaas/v1/sessions/{session_id}/recordings": [
        lambda w: ("get", "/ucaas/v1/sessions/v-1/recordings", {}),
        lambda w: ("get", "/ucaas/v1/sessions/v-b/recordings", {}),
    ],
    "/ucaas/v1/login": [lambda w: ("post", "/ucaas/v1/login", {"page_length": "1000"})],
}
# Not in the OpenAPI document, served all the same: the vendor clients' `POST /platform_api`
# with `cmd`, and the files of export jobs.
EXTRA_ROUTES: list[Route] = [
    lambda w: ("post", "/platform_api", {"cmd": "GetCallHistory", **ALL, "with_calls": "true"}),
    lambda w: ("post", "/platform_api", {"cmd": "GetHistoryReports", "history_type": "all"}),
    *((lambda n: lambda w: ("get", f"/reports/files/"
                                   f"{(w.sides['a'].reports + w.sides['b'].reports)[n]}", {}))(n)
      for n in range(6)),
]


async def test_no_route_shows_side_b_to_any_caller_of_side_a(client: Any,
                                                             world: World) -> None:
    document = await (await client.get("/openapi.json")).json()
    assert set(ROUTES) == set(document["paths"])
    foreign = Foreign.of(world.sides["b"])
    for label in A_CALLERS:
        key = world.sides["a"].keys[label]
        for probe in [*(p for probes_ in ROUTES.values() for p in probes_), *EXTRA_ROUTES]:
            verb, path, params = probe(world)
            case = (label, verb, path, params)
            status, text = await on_route(client, verb, path, key, params)
            assert status in (200, 400, 403, 404), (case, status, text)
            assert_clean(text, foreign, case, case)  # a guessed id in the path may come back


def route_json(status_text: tuple[int, str]) -> tuple[int, Any]:
    status, text = status_text
    return status, json.loads(text)


async def test_the_routes_answer_side_a_s_own_figures(client: Any, world: World) -> None:
    a, b = world.sides["a"], world.sides["b"]
    i = ids("b")
    for label in A_CALLERS:
        key = a.keys[label]
        role = CALLERS[label][1]
        assert route_json(await on_route(client, "post", "/reports/active_sessions", key, {
            "return_fields": LIVE_FIELDS})) == (200, [live_row("a")]), label
        mor = await on_route(client, "get", "/billing/api/aggregate_get", key,
                             {**WINDOW, "format": "json"})
        if role == "customer":
            assert mor[0] == 200 and "<error>" in mor[1], mor
        else:
            assert mor[0] == 200 and totals(json.loads(mor[1])) == SIDE_TOTALS["a"], (label, mor)
            status, text = await on_route(client, "get", "/billing/api/aggregate_get", key, {
                **WINDOW, "s_originator_id": str(i["acme"])})
            assert (status, text.endswith("<status><error>User was not found</error></status>")
                    ) == (200, True), (label, text)
        status, history = route_json(await on_route(
            client, "get", "/platform_api/GetCallHistory", key, {**ALL, "count": "1000"}))
        expected = history_ids(world, "a", HISTORY[label][0])
        assert (status, sorted(s["call_session_history_id"] for s in history["result"])) == \
            (200, expected), label
        for report in b.reports:
            assert route_json(await on_route(
                client, "get", "/platform_api/DownloadHistoryReport", key,
                {"history_report_id": str(report)})) == (404, {"error": {
                    "code": 101, "msg": f'Object "history_reports({report})" was not found!'}}), \
                (label, report)
        deleted = route_json(await on_route(client, "post", "/platform_api/DeleteRecord", key,
                                            {"record_id": str(i["record"])}))
        if role == "accountant":
            assert deleted[0] == 403 and deleted[1]["error"]["code"] == 104, deleted
        else:
            assert deleted == (404, {"error": {
                "code": 101, "msg": f'Object "records({i["record"]})" was not found!'}}), label
        status, videos = route_json(await on_route(client, "get", "/ucaas/v1/sessions", key,
                                                   {"page_length": "1000"}))
        own = ["v-1"] if label == "customer" else ["v-1", "v-a"]
        assert (status, sorted(v["session_id"] for v in videos["sessions"]),
                videos["total"]) == (200, own, len(own)), label
        assert route_json(await on_route(client, "get", "/ucaas/v1/sessions/v-b/cdr", key,
                                         {})) == \
            (404, {"result": 0, "msg": "Not found",
                   "desc": 'Object "sessions(v-b)" was not found!'}), label
        status, recordings = route_json(await on_route(
            client, "get", "/ucaas/v1/sessions/v-1/recordings", key, {}))
        assert (status, [r["file"] for r in recordings["recordings"]]) == \
            (200, [record_url("a", "v-1.mp4")]), label


def hijack(side: str, victim: str) -> list[tuple[dict[str, Any], str, str, Any]]:
    """Records of `side`'s switch that name `victim`'s tenant or objects: (record, the path
    refused, table, id)."""
    v = ids(victim)
    own = tenants(side)[1]

    def call(**legs: Any) -> dict[str, Any]:
        return {"session_id": "s-1", "tenant": own, "setup_time": at("10:00:00"),
                "start_time": at("10:00:05"), "end_time": at("10:01:05"),
                "legs": [{"leg_id": "o", "role": "orig", "src": CALLER, "dst": CALLED,
                          **legs}]}

    return [
        ({**call(), "tenant": tenants(victim)[1]}, "tenant", "tenants", tenants(victim)[1]),
        (call(client={"id": v["acme"], "name": "Hijacked"}), "legs.0.client.id", "clients",
         v["acme"]),
        (call(account={"id": v["pbx1"], "name": "hijacked"}), "legs.0.account.id", "accounts",
         v["pbx1"]),
        (call(user={"id": v["ann"], "name": "Hijacked"}), "legs.0.user.id", "users", v["ann"]),
        ({**call(), "application": {"id": v["app"], "name": "x"}}, "application.id",
         "applications", v["app"]),
        ({**call(), "equipment": {"id": v["sbc"], "name": "x"}}, "equipment.id", "equipment",
         v["sbc"]),
        ({**call(), "records": [{"record_id": v["record"], "url": "https://evil.example/"}]},
         "records.0.record_id", "records", v["record"]),
        ({**call(), "resources": [{"resource_usage_id": v["voicemail"],
                                   "resource_type": "sms"}]},
         "resources.0.resource_usage_id", "resource_usage", v["voicemail"]),
    ]


async def test_one_side_s_switch_cannot_write_into_the_other_side(rpc: Any,
                                                                  world: World) -> None:
    a, b = world.sides["a"], world.sides["b"]
    key = a.key("reseller")

    async def view() -> list[Any]:
        return [await rpc("GetCallHistory", {**ALL, "with_calls": True, "with_records": True,
                                             "count": 1000}, key=key),
                await rpc("aggregate_get", {"from": FROM, "till": TILL, "group_by_user": 1,
                                            "group_by_device": 1}, key=key),
                await rpc("reports.active_sessions.query", {"return_fields": LIVE}, key=key),
                await rpc("GetTransactionHistory", ALL, key=key),
                await rpc("GetACDHistory", RANGE, key=key)]

    before = await view()
    cases = hijack("b", "a")
    response = await rpc("ingest.sessions", {"records": [r for r, *_ in cases]},
                         key=b.key("ingest"))
    assert response == ok(answer(rejected=[
        {"index": n, "errors": {path: f'Object "{table}({object_id})" was not found!'}}
        for n, (_, path, table, object_id) in enumerate(cases)]))
    i = ids("a")
    ledgers = (
        ("ingest.transactions", {**transactions("b")[0], "transaction_id": i["tx_reseller"],
                                 "amount": "9.99"}, "transaction_id", "transactions",
         i["tx_reseller"]),
        ("ingest.acd_sessions", {**acd_sessions("b")[0], "acd_session_history_id": i["acd"]},
         "acd_session_history_id", "acd_sessions", i["acd"]),
        ("ingest.code_decks", {**code_decks("b")[0], "code_deck_id": i["deck"]},
         "code_deck_id", "code_decks", i["deck"]))
    for method, record, path, table, object_id in ledgers:
        assert await rpc(method, {"records": [record]}, key=b.key("ingest")) == ok(answer(
            rejected=[{"index": 0, "errors": {
                path: f'Object "{table}({object_id})" was not found!'}}])), method
    assert await view() == before


async def test_a_key_paired_with_b_s_identity_is_refused(client: Any, world: World) -> None:
    """A's secret under B's name: B's tenant id as the Voximplant `account_id`, B's key id
    as MOR's `u` or as EnableX's user name."""
    a, b = world.sides["a"], world.sides["b"]
    for label in A_CALLERS:
        key = a.keys[label]
        for account_id in (str(b.tenant_ids["res-b"]), b.keys[label]["key_id"]):
            response = await client.get("/platform_api/GetCallHistory", params={
                **ALL, "account_id": account_id, "api_key": key["key"]})
            body = await response.json()
            assert (response.status, body["error"]["code"]) == (401, 100), (label, body)
        fields = dict(mor_fields(WINDOW, key))
        fields["u"] = b.keys[label]["key_id"]
        response = await client.get("/billing/api/aggregate_get", params=fields)
        text = await response.text()
        assert response.status == 200 and "<error>" in text and "<aggregate" not in text, text
        secret = key["key"].partition(".")[2]
        basic = base64.b64encode(f"{b.keys[label]['key_id']}:{secret}".encode()).decode()
        response = await client.get("/ucaas/v1/sessions",
                                    headers={"Authorization": f"Basic {basic}"})
        assert (response.status, (await response.json())["result"]) == (401, 1001), label


async def test_a_shared_recording_url_deletes_the_caller_s_own_recording(
        rpc: Any, world: World) -> None:
    """Both sides hold a recording at SHARED_URL: for root the URL is ambiguous; A's key
    deletes A's and only A's, and B's key B's."""
    root = world.root_key["key"]

    async def recordings() -> list[int]:
        history = await rpc("GetCallHistory", {**ALL, "with_records": True, "count": 1000},
                            key=root)
        return sorted(r["record_id"] for s in history["result"]["result"]
                      for r in s.get("records", []) if r["record_url"] == SHARED_URL)

    assert await recordings() == [ids("a")["shared_record"], ids("b")["shared_record"]]
    response = await rpc("DeleteRecord", {"record_url": SHARED_URL}, key=root)
    assert response["error"]["code"] == 422, response
    assert response["error"]["data"]["code"] == "record-url-ambiguous", response
    assert await rpc("DeleteRecord", {"record_url": SHARED_URL},
                     key=world.sides["a"].key("customer")) == not_found("records", SHARED_URL)
    assert await rpc("DeleteRecord", {"record_url": SHARED_URL},
                     key=world.sides["a"].key("reseller")) == ok({"result": 1})
    assert await recordings() == [ids("b")["shared_record"]]
    assert await rpc("DeleteRecord", {"record_url": SHARED_URL},
                     key=world.sides["a"].key("admin")) == not_found("records", SHARED_URL)
    assert await rpc("DeleteRecord", {"record_url": SHARED_URL},
                     key=world.sides["b"].key("reseller")) == ok({"result": 1})
    assert await recordings() == []


async def test_exports_aimed_at_b_write_none_of_b_s_rows(client: Any, rpc: Any,
                                                         world: World) -> None:
    a, b = world.sides["a"], world.sides["b"]
    key = a.key("reseller")
    header_only = (
        ("GetCallHistoryAsync", {**ALL, "call_session_history_id":
                                 sorted(b.history_ids.values())}),
        ("GetCallHistoryAsync", {**ALL, "remote_number": [SOLO_NUMBER["b"]]}),
        ("GetBriefCallHistory", {**RANGE, "call_session_history_id":
                                 sorted(b.history_ids.values())}),
        ("GetTransactionHistoryAsync", {**ALL, "transaction_id": [ids("b")["tx_reseller"]]}),
        ("GetAuditLogAsync", {**AUDIT_RANGE, "filtered_admin_user_id":
                              [b.keys["ingest"]["key_id"]]}))
    for method, params in header_only:
        report = (await rpc(method, params, key=key))["result"]["history_report_id"]
        assert (await finished(rpc, key, report))["status"] == "completed", method
        response = await client.get(f"/reports/files/{report}", headers={"X-Api-Key": key})
        text = await response.text()
        assert (response.status, len(text.splitlines())) == (200, 1), (method, text)
    audit = (await rpc("GetAuditLogAsync", AUDIT_RANGE, key=key))["result"]["history_report_id"]
    await finished(rpc, key, audit)
    text = await (await client.get(f"/reports/files/{audit}", headers={"X-Api-Key": key})).text()
    assert_clean(text, Foreign.of(b), "audit export")
    assert sorted(int(row["audit_log_id"]) for row in csv_rows(text)) == sorted(a.audit_ids)
    # A's tries at B's jobs counted no download of them
    for report in b.reports:
        listed_ = await rpc("GetHistoryReports", {"history_type": "all",
                                                  "history_report_id": [report]},
                            key=b.key("customer" if report == b.reports[1] else "reseller"))
        assert [r["download_count"] for r in listed_["result"]["result"]] == [0], report
