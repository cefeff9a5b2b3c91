"""GetTransactionHistory, GetACDHistory and GetAuditLog (methods.md section 3; the return
types in vendor-notes.md section 3), on SQLite and PostgreSQL.

The data go in through `ingest.transactions` and `ingest.acd_sessions`; the audit log is
what those ingest calls write, at moments set by a fake clock. The tenant tree is
root > res (Europe/Vilnius) > cust1, cust2 and root > other. Transactions cover the
caller's own tenant unless `child_account_id` names descendants; queue sessions and the
audit log cover the caller's subtree. Every expectation is written out: dates as the
gateway answers them, amounts as their JSON text.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
from decimal import Decimal
from typing import Any, Awaitable, Callable

import pytest
from conftest import call_as_root, make_config, post
from envelopes import forbidden, invalid, key_id_of, missing_object

from gateway.core import clock
from gateway.core.config import Config
from gateway.web import appkeys
from methods.history.common import BAD_DATE

TX, ACD, AUDIT = "GetTransactionHistory", "GetACDHistory", "GetAuditLog"
RESELLER, ROOT_ADMIN = ("reseller", "res"), ("admin", "root")
ACCOUNTANT, CUSTOMER, OTHER = ("accountant", "root"), ("customer", "cust1"), ("admin", "other")
MAIN = {"from_date": "2026-03-01 00:00:00", "to_date": "2026-03-03 23:59:59"}
VILNIUS = "Europe/Vilnius"
TENANTS = (("res", "root", VILNIUS), ("cust1", "res", None), ("cust2", "res", None),
           ("other", "root", None))
RANGE_MESSAGE = "Must be greater than or equal to {} and less than or equal to {}."
Send = Callable[..., Awaitable[Any]]


# --- the data -------------------------------------------------------------------------------

NASTY = 'Calls, "March"\nline two'  # a comma, a quote and a newline: CSV must quote it
# id: (tenant, user_id, performed_at as sent, amount as sent, currency, transaction_type,
#      description, is_uncommitted, performed_at answered in UTC, amount answered)
TRANSACTIONS: dict[int, tuple[Any, ...]] = {
    11: ("res", 5, "2026-03-01T10:00:00Z", "-1.5", "EUR", "resource_charge", NASTY, False,
         "2026-03-01 10:00:00", "-1.50"),
    12: ("res", None, "2026-03-01T12:00:00+02:00", "100", "USD", "card_payment", None, False,
         "2026-03-01 10:00:00", "100.00"),
    13: ("res", 6, "2026-03-02T00:00:00Z", "0.123456", "USD", "adjustment", None, False,
         "2026-03-02 00:00:00", "0.123456"),
    14: ("res", 5, "2026-03-03T23:59:59Z", "500", "JPY", "gift", "welcome", False,
         "2026-03-03 23:59:59", "500"),
    15: ("res", 5, "2026-02-28T23:59:59Z", "-2", "EUR", "resource_charge", None, False,
         "2026-02-28 23:59:59", "-2.00"),
    16: ("res", 6, "2026-03-02T08:00:00Z", "-20", "USD", "resource_charge", "on hold", True,
         "2026-03-02 08:00:00", "-20.00"),
    17: ("cust1", 7, "2026-03-02T12:00:00Z", "-3.5", "EUR", "resource_charge", None, False,
         "2026-03-02 12:00:00", "-3.50"),
    18: ("cust2", None, "2026-03-02T13:00:00Z", "7.125", "BHD", "refund", None, False,
         "2026-03-02 13:00:00", "7.125"),
    19: ("other", None, "2026-03-02T14:00:00Z", "9", "USD", "refund", None, False,
         "2026-03-02 14:00:00", "9.00"),
    20: ("res", None, "2026-03-04T00:00:00Z", "1", "USD", "promo", None, False,
         "2026-03-04 00:00:00", "1.00"),
    # around Vilnius's changes of clock: 2026-03-29 03:00 EET -> 04:00 EEST (01:00 UTC),
    # 2026-10-25 04:00 EEST -> 03:00 EET (01:00 UTC)
    30: ("res", None, "2026-03-29T00:30:00Z", "1", "USD", "promo", None, False,
         "2026-03-29 00:30:00", "1.00"),
    31: ("res", None, "2026-03-29T01:30:00Z", "2", "USD", "promo", None, False,
         "2026-03-29 01:30:00", "2.00"),
    32: ("res", None, "2026-10-25T00:30:00Z", "3", "USD", "promo", None, False,
         "2026-10-25 00:30:00", "3.00"),
    33: ("res", None, "2026-10-25T01:30:00Z", "4", "USD", "promo", None, False,
         "2026-10-25 01:30:00", "4.00"),
}


def transaction_record(tx_id: int) -> dict[str, Any]:
    tenant, user, at, money, currency, kind, text, held, _, _ = TRANSACTIONS[tx_id]
    record = {"transaction_id": tx_id, "tenant": tenant, "performed_at": at, "amount": money,
              "currency": currency, "transaction_type": kind, "is_uncommitted": held}
    if user is not None:
        record["user_id"] = user
    if text is not None:
        record["transaction_description"] = text
    return record


# id: (tenant, acd_request_id, acd_queue_id, user_id, begin_time as sent, priority,
#      waiting, in service, after service, operator_hangup, unserviced, rejected, events,
#      begin_time answered)
# An event: (acd_session_event_id, time as sent, type, user_id, custom_data, time answered).
ACD_SESSIONS: dict[int, tuple[Any, ...]] = {
    101: ("res", "r-1", 1, 5, "2026-03-01T11:00:00+02:00", 2, 30, 120, 10, True, False, False,
          [(1001, "2026-03-01T09:00:30Z", "Dequeued", 5, None, "2026-03-01 09:00:30"),
           (1000, "2026-03-01T09:00:00Z", "Enqueued", None, '{"lang": "lt"}',
            "2026-03-01 09:00:00"),
           (1002, "2026-03-01T09:00:00Z", "Offered", 5, None, "2026-03-01 09:00:00")],
          "2026-03-01 09:00:00"),
    102: ("res", "r-2", 2, None, "2026-03-01T09:00:00Z", None, 300, None, None, False, True,
          False, [], "2026-03-01 09:00:00"),
    103: ("cust1", "r-3", 1, 7, "2026-03-02T12:00:00Z", 1, 5, 60, 0, False, False, False,
          [(1003, "2026-03-02T12:00:05Z", "Answered", 7, "x,y", "2026-03-02 12:00:05")],
          "2026-03-02 12:00:00"),
    104: ("other", "r-4", 3, None, "2026-03-02T13:00:00Z", None, 600, None, None, False, True,
          True, [], "2026-03-02 13:00:00"),
    105: ("res", "r-5", None, None, "2026-03-03T23:59:59Z", -1, 0, None, None, None, None, True,
          [], "2026-03-03 23:59:59"),
    106: ("res", "r-6", 1, 5, "2026-02-28T23:59:59Z", None, 1, None, None, None, None, None,
          [], "2026-02-28 23:59:59"),
}
ACD_FIELDS = ("tenant", "acd_request_id", "acd_queue_id", "user_id", "begin_time", "priority",
              "waiting_duration", "in_service_duration", "after_service_duration",
              "operator_hangup", "unserviced", "rejected")


def acd_record(session_id: int) -> dict[str, Any]:
    *values, events, _ = ACD_SESSIONS[session_id]
    record = {"acd_session_history_id": session_id,
              **{k: v for k, v in zip(ACD_FIELDS, values) if v is not None},
              "events": [{"acd_session_event_id": e, "time": at, "type": kind,
                          **({"user_id": user} if user is not None else {}),
                          **({"custom_data": data} if data is not None else {})}
                         for e, at, kind, user, data, _ in events]}
    return record


# --- expected answers -----------------------------------------------------------------------

def tx_info(ids: dict[str, int], tx_id: int, performed_at: str | None = None) -> dict[str, Any]:
    tenant, _, _, _, currency, kind, text, _, utc, money = TRANSACTIONS[tx_id]
    info = {"transaction_id": tx_id, "account_id": str(ids[tenant]),
            "performed_at": performed_at or utc, "amount": money, "currency": currency,
            "transaction_type": kind}
    if text is not None:
        info["transaction_description"] = text
    return info


def acd_info(ids: dict[str, int], session_id: int, events: bool = False) -> dict[str, Any]:
    (tenant, request, queue, user, _, priority, waiting, serving, after, _, _, _, listed,
     begin) = ACD_SESSIONS[session_id]
    info: dict[str, Any] = {"acd_session_history_id": session_id, "acd_request_id": request,
                            "account_id": ids[tenant], "begin_time": begin,
                            "priority": priority or 0}
    for name, value in (("acd_queue_id", queue), ("user_id", user),
                        ("waiting_duration", waiting), ("in_service_duration", serving),
                        ("after_service_duration", after)):
        if value is not None:
            info[name] = value
    if events:
        info["events"] = [
            {"acd_session_event_id": e, "time": shown, "type": kind,
             **({"user_id": u} if u is not None else {}),
             **({"custom_data": d} if d is not None else {})}
            for e, _, kind, u, d, shown in sorted(listed, key=lambda x: (x[5], x[0]))]
    return info


def page(rows: list[dict[str, Any]], total: int | None, **extra: Any) -> dict[str, Any]:
    out: dict[str, Any] = {"result": rows}
    if total is not None:
        out["total_count"] = total
    out["count"] = len(rows)
    out.update(extra)
    return out


def written(value: Any) -> Any:
    """An answer with each `amount` as its JSON text (the JSON was read with Decimal floats)."""
    if isinstance(value, dict):
        return {k: (str(v) if k == "amount" and isinstance(v, (int, Decimal))
                    and not isinstance(v, bool) else written(v)) for k, v in value.items()}
    if isinstance(value, list):
        return [written(v) for v in value]
    return value


# --- fixtures -------------------------------------------------------------------------------

@pytest.fixture
def config(engine: str, tmp_path: Any) -> Config:
    """The test client's address is a trusted proxy, so `X-Forwarded-For` sets the
    caller's IP (the audit log's `ip`)."""
    return make_config(tmp_path, proxies={"trusted": ["127.0.0.1/32"]})


SETUP = "2026-01-01 00:00:00"  # when tenants and keys are made: outside every range asked


class FakeClock:
    """The gateway's clock (`gateway.core.clock.now`), set by the test: the audit log's
    `requested` is the moment of the change."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.set(SETUP)
        monkeypatch.setattr(clock, "now", lambda: self.moment)

    def set(self, text: str) -> None:
        self.moment = dt.datetime.fromisoformat(text).replace(tzinfo=dt.timezone.utc)


@pytest.fixture
def fake_clock(monkeypatch: pytest.MonkeyPatch) -> FakeClock:
    return FakeClock(monkeypatch)


@pytest.fixture
async def ids(client: Any, fake_clock: FakeClock) -> dict[str, int]:
    made = {"root": 1}
    for name, parent, zone in TENANTS:
        tenant = await call_as_root(client.app, "tenants.create", name=name, parent=parent,
                                    timezone=zone)
        made[name] = tenant["id"]
    return made


@pytest.fixture
def keys(make_key: Any, ids: dict[str, int]) -> Callable[..., Awaitable[str]]:
    """`await keys((role, tenant))` -> a key of that role at that tenant (made once)."""
    made: dict[tuple[str, str], str] = {}

    async def key(caller: tuple[str, str]) -> str:
        if caller not in made:
            made[caller] = await make_key(caller[0], tenant=caller[1], rate_limit="unlimited")
        return made[caller]
    return key


@pytest.fixture
def send(client: Any, keys: Any) -> Send:
    """`await send(method, params, caller)` -> the whole response, floats as Decimal."""
    async def run(method: str, params: Any, caller: tuple[str, str] = RESELLER) -> Any:
        body = {"jsonrpc": "2.0", "method": method, "params": params, "id": 1}
        response = await client.post("/rpc", json=body,
                                     headers={"X-Api-Key": await keys(caller)})
        text = await response.text()
        assert response.status == 200, text
        return json.loads(text, parse_float=Decimal)
    return run


@pytest.fixture
def fetch(send: Send) -> Send:
    """`await fetch(method, params, caller)` -> the result of a successful call, amounts as
    their JSON text."""
    async def run(method: str, params: Any, caller: tuple[str, str] = RESELLER) -> Any:
        response = await send(method, params, caller)
        assert set(response) == {"jsonrpc", "result", "id"}, response
        return written(response["result"])
    return run


@pytest.fixture
def ingest(client: Any, keys: Any) -> Send:
    """`await ingest(method, records, caller, ip)` -> the ingest call's result."""
    async def run(method: str, records: list[Any], caller: tuple[str, str] = ("ingest", "root"),
                  ip: str | None = None) -> Any:
        body = {"jsonrpc": "2.0", "method": method, "params": {"records": records}, "id": 1}
        status, answer, _ = await post(client, body, await keys(caller),
                                       {"X-Forwarded-For": ip} if ip else None)
        assert status == 200 and "result" in answer, answer
        return answer["result"]
    return run


async def write_ledgers(ingest: Send) -> None:
    """Every transaction and queue session above, sent by the root's ingest key."""
    sent = await ingest("ingest.transactions", [transaction_record(i) for i in TRANSACTIONS])
    assert sent == {"accepted": len(TRANSACTIONS), "unchanged": 0, "rejected": []}
    sent = await ingest("ingest.acd_sessions", [acd_record(i) for i in ACD_SESSIONS])
    assert sent == {"accepted": len(ACD_SESSIONS), "unchanged": 0, "rejected": []}


@pytest.fixture
async def ledgers(ingest: Send, ids: dict[str, int]) -> dict[str, int]:
    await write_ledgers(ingest)
    return ids


def tx(tx_id: int, tenant: str) -> dict[str, Any]:
    return {"transaction_id": tx_id, "tenant": tenant, "performed_at": "2026-01-01T00:00:00Z",
            "amount": "1", "currency": "USD", "transaction_type": "promo"}


# label: (requested, the ingest key's tenant, X-Forwarded-For, method, records, result);
# the arguments recorded are {"records": <how many>}
AUDITED: dict[str, tuple[Any, ...]] = {
    "A1": ("2026-03-01 10:00:00", "res", "203.0.113.7", "ingest.transactions",
           [tx(1, "res"), tx(2, "cust1")], {"accepted": 2, "unchanged": 0, "rejected": 0}),
    "A2": ("2026-03-01 10:00:00", "cust1", "198.51.100.2", "ingest.acd_sessions",
           [{"acd_session_history_id": 1, "acd_request_id": "q", "begin_time":
             "2026-01-01T00:00:00Z"}], {"accepted": 1, "unchanged": 0, "rejected": 0}),
    "A3": ("2026-03-02 12:00:00", "res", "203.0.113.7", "ingest.transactions",
           [tx(1, "res"), tx(2, "cust1")], {"accepted": 0, "unchanged": 2, "rejected": 0}),
    "A4": ("2026-03-02 13:00:00", "other", "2001:db8::1", "ingest.transactions",
           [tx(3, "other")], {"accepted": 1, "unchanged": 0, "rejected": 0}),
    "A5": ("2026-03-03 23:59:59", "root", None, "ingest.transactions",
           [tx(4, "root"), {"transaction_id": 5}],
           {"accepted": 1, "unchanged": 0, "rejected": 1}),
    "A6": ("2026-02-28 23:59:59", "res", "203.0.113.7", "ingest.currency_rates",
           [{"currency": "EUR", "rate_to_usd": "1.1", "valid_from": "2026-03-01"}],
           {"accepted": 1, "unchanged": 0, "rejected": 0}),
}


@pytest.fixture
async def audit(ingest: Send, keys: Any, ids: dict[str, int], client: Any,
                fake_clock: FakeClock) -> dict[str, Any]:
    return await write_audit(ingest, keys, ids, client, fake_clock)


async def write_audit(ingest: Send, keys: Any, ids: dict[str, int], client: Any,
                      fake_clock: FakeClock) -> dict[str, Any]:
    """The audit rows AUDITED describes, written by real ingest calls in that order; their
    ids as the store gave them, and the ingest keys' ids. The keys are made first, at
    SETUP, and the clock goes back to SETUP at the end: making a key is a change too."""
    key_ids = {t: key_id_of(await keys(("ingest", t))) for t in ids}
    log_ids = {}
    for label, (moment, tenant, ip, method, records, _) in AUDITED.items():
        fake_clock.set(moment)
        await ingest(method, records, ("ingest", tenant), ip)
        newest = await client.app[appkeys.DB].fetch_one("SELECT MAX(id) AS id FROM audit_log")
        log_ids[label] = newest["id"]
    fake_clock.set(SETUP)
    assert len(set(log_ids.values())) == len(AUDITED)
    return {"ids": ids, "log_ids": log_ids, "key_ids": key_ids}


def audit_info(audit: dict[str, Any], label: str, requested: str | None = None
               ) -> dict[str, Any]:
    moment, tenant, ip, method, records, result = AUDITED[label]
    return {"audit_log_id": audit["log_ids"][label],
            "subuser_name": audit["key_ids"][tenant], "account_id": audit["ids"][tenant],
            "requested": requested or moment, "ip": ip or "127.0.0.1", "cmd_name": method,
            "cmd_args": {"records": len(records)}, "cmd_result": result}


def with_ids(params: dict[str, Any], ids: dict[str, int]) -> dict[str, Any]:
    """Params with tenant names in `child_account_id` replaced by the tenants' ids."""
    named = params.get("child_account_id")
    if isinstance(named, list):
        return {**params, "child_account_id": [ids[n] for n in named]}
    return params


# --- GetTransactionHistory ------------------------------------------------------------------

TX_CASES = [  # (params over MAIN, caller, expected ids, total_count)
    pytest.param({}, RESELLER, [11, 12, 13, 14], 4,
                 id="default: own tenant, committed, by time then id"),
    pytest.param({"is_uncommitted": True}, RESELLER, [16], 1, id="is_uncommitted"),
    pytest.param({"is_uncommitted": False}, RESELLER, [11, 12, 13, 14], 4,
                 id="is_uncommitted false"),
    pytest.param({"transaction_id": [12, 14, 17, 19]}, RESELLER, [12, 14], 2,
                 id="transaction_id: other tenants' ids find nothing"),
    pytest.param({"transaction_type": ["resource_charge", "gift"]}, RESELLER, [11, 14], 2,
                 id="transaction_type"),
    pytest.param({"user_id": [5]}, RESELLER, [11, 14], 2, id="user_id"),
    pytest.param({"user_id": [6, 7]}, RESELLER, [13], 1, id="user_id list"),
    pytest.param({"users_transactions_only": True}, RESELLER, [11, 13, 14], 3,
                 id="users_transactions_only"),
    pytest.param({"child_account_id": ["cust1"]}, RESELLER, [11, 12, 13, 17, 14], 5,
                 id="child_account_id"),
    pytest.param({"child_account_id": "all"}, RESELLER, [11, 12, 13, 17, 18, 14], 6,
                 id="child_account_id all"),
    pytest.param({"child_account_id": ["cust2"], "children_transactions_only": True},
                 RESELLER, [18], 1, id="children_transactions_only"),
    pytest.param({"child_account_id": "all", "children_transactions_only": True}, RESELLER,
                 [17, 18], 2, id="children_transactions_only all"),
    pytest.param({"children_transactions_only": True}, RESELLER, [], 0,
                 id="children_transactions_only without children"),
    pytest.param({"child_account_id": "all", "transaction_type": ["refund"]}, RESELLER, [18],
                 1, id="filters apply to the children too"),
    pytest.param({"desc_order": True}, RESELLER, [14, 13, 12, 11], 4, id="desc_order"),
    pytest.param({"count": 2}, RESELLER, [11, 12], 4, id="count"),
    pytest.param({"count": 2, "offset": 2}, RESELLER, [13, 14], 4, id="offset"),
    pytest.param({"count": 3, "offset": 1, "desc_order": True}, RESELLER, [13, 12, 11], 4,
                 id="offset descending"),
    pytest.param({"offset": 4}, RESELLER, [], 4, id="offset past the end"),
    pytest.param({"count": 1000, "offset": 10000}, RESELLER, [], 4, id="the largest page"),
    pytest.param({"from_date": "2026-03-03 23:59:59", "to_date": "2026-03-03 23:59:59"},
                 RESELLER, [14], 1, id="one second, inclusive"),
    pytest.param({"from_date": "2026-02-28 23:59:59", "to_date": "2026-03-01 10:00:00"},
                 RESELLER, [15, 11, 12], 3, id="both ends inclusive"),
    pytest.param({"from_date": "2026-03-01 10:00:01", "to_date": "2026-03-01 23:59:59"},
                 RESELLER, [], 0, id="nothing in range"),
    pytest.param({}, ACCOUNTANT, [], 0, id="root's own tenant holds none"),
    pytest.param({"child_account_id": "all"}, ACCOUNTANT, [11, 12, 13, 17, 18, 19, 14], 7,
                 id="accountant: every descendant"),
    pytest.param({"child_account_id": ["cust2", "other"]}, ROOT_ADMIN, [18, 19], 2,
                 id="admin: grandchildren too"),
    pytest.param({}, CUSTOMER, [17], 1, id="customer"),
    pytest.param({"child_account_id": "all"}, CUSTOMER, [17], 1,
                 id="customer without descendants"),
    pytest.param({}, OTHER, [19], 1, id="another reseller"),
]


@pytest.mark.parametrize(("params", "caller", "expected", "total"), TX_CASES)
async def test_transaction_history(fetch, ledgers, params, caller, expected, total):
    result = await fetch(TX, {**MAIN, **with_ids(params, ledgers)}, caller)
    assert result == page([tx_info(ledgers, i) for i in expected], total, timezone="Etc/GMT")


async def test_every_transaction_field(fetch, ledgers):
    """TransactionInfoType: account_id as text, amounts with the currency's minor digits
    (more when stored exactly with more), the description left out when there is none."""
    result = await fetch(TX, {**MAIN, "child_account_id": "all"})
    res, cust1, cust2 = (str(ledgers[n]) for n in ("res", "cust1", "cust2"))
    assert result["result"] == [
        {"transaction_id": 11, "account_id": res, "performed_at": "2026-03-01 10:00:00",
         "amount": "-1.50", "currency": "EUR", "transaction_type": "resource_charge",
         "transaction_description": 'Calls, "March"\nline two'},
        {"transaction_id": 12, "account_id": res, "performed_at": "2026-03-01 10:00:00",
         "amount": "100.00", "currency": "USD", "transaction_type": "card_payment"},
        {"transaction_id": 13, "account_id": res, "performed_at": "2026-03-02 00:00:00",
         "amount": "0.123456", "currency": "USD", "transaction_type": "adjustment"},
        {"transaction_id": 17, "account_id": cust1, "performed_at": "2026-03-02 12:00:00",
         "amount": "-3.50", "currency": "EUR", "transaction_type": "resource_charge"},
        {"transaction_id": 18, "account_id": cust2, "performed_at": "2026-03-02 13:00:00",
         "amount": "7.125", "currency": "BHD", "transaction_type": "refund"},
        {"transaction_id": 14, "account_id": res, "performed_at": "2026-03-03 23:59:59",
         "amount": "500", "currency": "JPY", "transaction_type": "gift",
         "transaction_description": "welcome"}]


async def test_transaction_history_without_total_count(fetch, ledgers):
    result = await fetch(TX, {**MAIN, "with_total_count": False, "count": 1})
    assert result == {"result": [tx_info(ledgers, 11)], "count": 1, "timezone": "Etc/GMT"}


async def test_transaction_history_by_position(fetch, ledgers):
    """Positional params in the schema's order: from_date, to_date, timezone, ..."""
    result = await fetch(TX, [MAIN["from_date"], MAIN["to_date"], VILNIUS, [12]])
    assert result == page([tx_info(ledgers, 12, "2026-03-01 12:00:00")], 1, timezone=VILNIUS)


ZONE_CASES = [  # (timezone, from_date, to_date, [(id, performed_at as answered)])
    pytest.param(VILNIUS, "2026-03-01 12:00:00", "2026-03-02 02:00:00", [
        (11, "2026-03-01 12:00:00"), (12, "2026-03-01 12:00:00"), (13, "2026-03-02 02:00:00")],
        id="winter: UTC+2 in and out"),
    pytest.param(VILNIUS, "2026-03-01 12:00:01", "2026-03-02 01:59:59", [],
                 id="winter: one second inside each end"),
    pytest.param(VILNIUS, "2026-03-29 02:00:00", "2026-03-29 04:59:59", [
        (30, "2026-03-29 02:30:00"), (31, "2026-03-29 04:30:00")],
        id="spring: the skipped hour"),
    pytest.param(VILNIUS, "2026-03-29 00:00:00", "2026-03-29 02:59:59", [
        (30, "2026-03-29 02:30:00")], id="spring: before the change"),
    pytest.param(VILNIUS, "2026-03-29 04:00:00", "2026-03-29 23:59:59", [
        (31, "2026-03-29 04:30:00")], id="spring: after the change"),
    pytest.param(VILNIUS, "2026-10-25 03:30:00", "2026-10-25 03:30:00", [
        (32, "2026-10-25 03:30:00")], id="autumn: a repeated time is its first occurrence"),
    pytest.param(VILNIUS, "2026-10-25 03:00:00", "2026-10-25 04:00:00", [
        (32, "2026-10-25 03:30:00"), (33, "2026-10-25 03:30:00")],
        id="autumn: the repeated hour, both times"),
    pytest.param(VILNIUS, "2026-10-25 03:31:00", "2026-10-25 04:00:00", [
        (33, "2026-10-25 03:30:00")], id="autumn: from after the first 03:30"),
    pytest.param("Etc/GMT", "2026-03-29 00:00:00", "2026-03-29 23:59:59", [
        (30, "2026-03-29 00:30:00"), (31, "2026-03-29 01:30:00")], id="Etc/GMT"),
    pytest.param("America/New_York", "2026-10-24 20:30:00", "2026-10-24 21:30:00", [
        (32, "2026-10-24 20:30:00"), (33, "2026-10-24 21:30:00")], id="west of UTC"),
]


@pytest.mark.parametrize(("zone", "low", "high", "expected"), ZONE_CASES)
async def test_transaction_history_in_a_zone(fetch, ledgers, zone, low, high, expected):
    result = await fetch(TX, {"from_date": low, "to_date": high, "timezone": zone})
    assert result == page([tx_info(ledgers, i, shown) for i, shown in expected],
                          len(expected), timezone=zone)


@pytest.mark.parametrize(("caller", "local", "expected", "zone"), [
    pytest.param(RESELLER, "2026-03-01 12:00:00", [11, 12], VILNIUS, id="res: Europe/Vilnius"),
    pytest.param(CUSTOMER, "2026-03-02 14:00:00", [17], VILNIUS, id="cust1: its parent's zone"),
    pytest.param(OTHER, "2026-03-02 14:00:00", [19], "UTC", id="other: UTC")])
async def test_auto_is_the_callers_tenant_zone(fetch, ledgers, caller, local, expected, zone):
    result = await fetch(TX, {"from_date": local, "to_date": local, "timezone": "auto"}, caller)
    assert result == page([tx_info(ledgers, i, local) for i in expected], len(expected),
                          timezone=zone)


async def test_a_child_account_outside_the_subtree(send, ledgers):
    for caller, named in ((RESELLER, "other"), (RESELLER, "res"), (CUSTOMER, "res"),
                          (OTHER, "cust1")):
        response = await send(TX, {**MAIN, "child_account_id": [ledgers[named]]}, caller)
        assert response == missing_object("child_account_id", "tenants", ledgers[named]), \
            (caller, named)


async def test_the_default_count_is_20(fetch, ingest, ids):
    records = [{**transaction_record(11), "transaction_id": 500 + i,
                "performed_at": f"2026-04-01T00:00:{i:02d}Z"} for i in range(21)]
    assert (await ingest("ingest.transactions", records))["accepted"] == 21
    result = await fetch(TX, {"from_date": "2026-04-01 00:00:00",
                              "to_date": "2026-04-01 00:00:59"})
    assert [r["transaction_id"] for r in result["result"]] == list(range(500, 520))
    assert (result["total_count"], result["count"]) == (21, 20)


# --- GetACDHistory --------------------------------------------------------------------------

ACD_CASES = [  # (params over MAIN, caller, expected ids, total_count)
    pytest.param({}, RESELLER, [101, 102, 103, 105], 4,
                 id="default: the subtree, by begin_time then id"),
    pytest.param({}, ROOT_ADMIN, [101, 102, 103, 104, 105], 5, id="root admin: everything"),
    pytest.param({}, ACCOUNTANT, [101, 102, 103, 104, 105], 5, id="accountant"),
    pytest.param({}, CUSTOMER, [103], 1, id="customer: its own tenant"),
    pytest.param({}, OTHER, [104], 1, id="another reseller"),
    pytest.param({"acd_session_history_id": [102, 104, 103]}, RESELLER, [102, 103], 2,
                 id="acd_session_history_id: out of scope finds nothing"),
    pytest.param({"acd_request_id": ["r-1", "r-4"]}, RESELLER, [101], 1, id="acd_request_id"),
    pytest.param({"acd_queue_id": [1]}, RESELLER, [101, 103], 2, id="acd_queue_id"),
    pytest.param({"user_id": [5, 7]}, RESELLER, [101, 103], 2, id="user_id"),
    pytest.param({"operator_hangup": True}, RESELLER, [101], 1, id="operator_hangup"),
    pytest.param({"operator_hangup": False}, RESELLER, [102, 103], 2,
                 id="operator_hangup false: an unreported flag matches neither"),
    pytest.param({"unserviced": True}, RESELLER, [102], 1, id="unserviced"),
    pytest.param({"unserviced": False}, RESELLER, [101, 103], 2, id="unserviced false"),
    pytest.param({"rejected": True}, RESELLER, [105], 1, id="rejected"),
    pytest.param({"rejected": False}, RESELLER, [101, 102, 103], 3, id="rejected false"),
    pytest.param({"rejected": True}, ROOT_ADMIN, [104, 105], 2, id="rejected, root"),
    pytest.param({"min_waiting_time": 0}, RESELLER, [101, 102, 103, 105], 4,
                 id="min_waiting_time 0"),
    pytest.param({"min_waiting_time": 30}, RESELLER, [101, 102], 2,
                 id="min_waiting_time: at least"),
    pytest.param({"min_waiting_time": 31}, RESELLER, [102], 1, id="min_waiting_time 31"),
    pytest.param({"user_id": [5], "acd_queue_id": [2]}, RESELLER, [], 0,
                 id="filters combine with AND"),
    pytest.param({"desc_order": True}, RESELLER, [105, 103, 102, 101], 4, id="desc_order"),
    pytest.param({"count": 2, "offset": 1}, RESELLER, [102, 103], 4, id="count and offset"),
    pytest.param({"count": 1, "offset": 1, "desc_order": True}, RESELLER, [103], 4,
                 id="offset descending"),
    pytest.param({"count": 1000, "offset": 10000}, RESELLER, [], 4, id="the largest page"),
    pytest.param({"from_date": "2026-03-03 23:59:59", "to_date": "2026-03-03 23:59:59"},
                 RESELLER, [105], 1, id="one second, inclusive"),
    pytest.param({"from_date": "2026-02-28 23:59:59", "to_date": "2026-03-01 09:00:00"},
                 RESELLER, [106, 101, 102], 3, id="both ends inclusive, UTC"),
]


@pytest.mark.parametrize(("params", "caller", "expected", "total"), ACD_CASES)
async def test_acd_history(fetch, ledgers, params, caller, expected, total):
    result = await fetch(ACD, {**MAIN, **params}, caller)
    assert result == page([acd_info(ledgers, i) for i in expected], total)


async def test_acd_history_with_events(fetch, ledgers):
    """Events nested, by time then id, in UTC; a session without events has an empty
    list; optional fields without a value are left out."""
    result = await fetch(ACD, {**MAIN, "with_events": True, "with_total_count": False})
    res, cust1 = ledgers["res"], ledgers["cust1"]
    assert result == {"count": 4, "result": [
        {"acd_session_history_id": 101, "acd_request_id": "r-1", "account_id": res,
         "begin_time": "2026-03-01 09:00:00", "priority": 2, "acd_queue_id": 1, "user_id": 5,
         "waiting_duration": 30, "in_service_duration": 120, "after_service_duration": 10,
         "events": [
             {"acd_session_event_id": 1000, "time": "2026-03-01 09:00:00", "type": "Enqueued",
              "custom_data": '{"lang": "lt"}'},
             {"acd_session_event_id": 1002, "time": "2026-03-01 09:00:00", "type": "Offered",
              "user_id": 5},
             {"acd_session_event_id": 1001, "time": "2026-03-01 09:00:30", "type": "Dequeued",
              "user_id": 5}]},
        {"acd_session_history_id": 102, "acd_request_id": "r-2", "account_id": res,
         "begin_time": "2026-03-01 09:00:00", "priority": 0, "acd_queue_id": 2,
         "waiting_duration": 300, "events": []},
        {"acd_session_history_id": 103, "acd_request_id": "r-3", "account_id": cust1,
         "begin_time": "2026-03-02 12:00:00", "priority": 1, "acd_queue_id": 1, "user_id": 7,
         "waiting_duration": 5, "in_service_duration": 60, "after_service_duration": 0,
         "events": [{"acd_session_event_id": 1003, "time": "2026-03-02 12:00:05",
                     "type": "Answered", "user_id": 7, "custom_data": "x,y"}]},
        {"acd_session_history_id": 105, "acd_request_id": "r-5", "account_id": res,
         "begin_time": "2026-03-03 23:59:59", "priority": -1, "waiting_duration": 0,
         "events": []}]}
    paged = await fetch(ACD, {**MAIN, "with_events": True, "count": 1, "desc_order": True})
    assert paged == page([acd_info(ledgers, 105, events=True)], 4)


async def test_acd_history_by_position(fetch, ledgers):
    """Positional params in the seed's order: from_date, to_date, acd_session_history_id..."""
    result = await fetch(ACD, [MAIN["from_date"], MAIN["to_date"], [101, 103]])
    assert result == page([acd_info(ledgers, 101), acd_info(ledgers, 103)], 2)


async def test_acd_default_count_is_20(fetch, ingest, ids):
    records = [{"acd_session_history_id": 500 + i, "tenant": "res", "acd_request_id": f"q{i}",
                "begin_time": f"2026-04-01T00:00:{i:02d}Z"} for i in range(21)]
    assert (await ingest("ingest.acd_sessions", records))["accepted"] == 21
    result = await fetch(ACD, {"from_date": "2026-04-01 00:00:00",
                               "to_date": "2026-04-01 00:00:59"})
    assert [r["acd_session_history_id"] for r in result["result"]] == list(range(500, 520))
    assert (result["total_count"], result["count"]) == (21, 20)


# --- GetAuditLog ----------------------------------------------------------------------------

AUDIT_CASES = [  # (params over MAIN, caller, expected labels, total_count when asked)
    pytest.param({}, ROOT_ADMIN, ["A1", "A2", "A3", "A4", "A5"], None,
                 id="default: no total_count, by requested then id"),
    pytest.param({"with_total_count": True}, ROOT_ADMIN, ["A1", "A2", "A3", "A4", "A5"], 5,
                 id="with_total_count"),
    pytest.param({}, ACCOUNTANT, ["A1", "A2", "A3", "A4", "A5"], None, id="accountant"),
    pytest.param({"with_total_count": True}, RESELLER, ["A1", "A2", "A3"], 3,
                 id="reseller: its subtree"),
    pytest.param({"with_total_count": True}, CUSTOMER, ["A2"], 1, id="customer"),
    pytest.param({"with_total_count": True}, OTHER, ["A4"], 1, id="another reseller"),
    pytest.param({"audit_log_id": ["A2", "A6"]}, ROOT_ADMIN, ["A2"], None,
                 id="audit_log_id: the range still applies"),
    pytest.param({"audit_log_id": ["A4"]}, RESELLER, [], None,
                 id="audit_log_id out of scope"),
    pytest.param({"filtered_admin_user_id": ["res"]}, ROOT_ADMIN, ["A1", "A3"], None,
                 id="filtered_admin_user_id: key ids"),
    pytest.param({"filtered_admin_user_id": ["res", "root"]}, ROOT_ADMIN, ["A1", "A3", "A5"],
                 None, id="filtered_admin_user_id list"),
    pytest.param({"filtered_ip": ["203.0.113.7", "2001:db8::1"]}, ROOT_ADMIN,
                 ["A1", "A3", "A4"], None, id="filtered_ip"),
    pytest.param({"filtered_ip": ["127.0.0.1"]}, ROOT_ADMIN, ["A5"], None,
                 id="filtered_ip: the socket peer"),
    pytest.param({"filtered_cmd": ["ingest.acd_sessions"]}, ROOT_ADMIN, ["A2"], None,
                 id="filtered_cmd"),
    pytest.param({"filtered_cmd": ["ingest.currency_rates"]}, ROOT_ADMIN, [], None,
                 id="filtered_cmd outside the range"),
    pytest.param({"advanced_filters": '"unchanged":2'}, ROOT_ADMIN, ["A3"], None,
                 id="advanced_filters in the result"),
    pytest.param({"advanced_filters": '"records":2'}, ROOT_ADMIN, ["A1", "A3", "A5"], None,
                 id="advanced_filters in the arguments"),
    pytest.param({"advanced_filters": '"rejected":1'}, ROOT_ADMIN, ["A5"], None,
                 id="advanced_filters: rejected"),
    pytest.param({"advanced_filters": "Records"}, ROOT_ADMIN, [], None,
                 id="advanced_filters is case-sensitive"),
    pytest.param({"advanced_filters": "%"}, ROOT_ADMIN, [], None,
                 id="advanced_filters has no wildcards"),
    pytest.param({"advanced_filters": "rejected", "filtered_cmd": ["ingest.acd_sessions"]},
                 ROOT_ADMIN, ["A2"], None, id="filters combine with AND"),
    pytest.param({"desc_order": True}, ROOT_ADMIN, ["A5", "A4", "A3", "A2", "A1"], None,
                 id="desc_order"),
    pytest.param({"count": 2, "offset": 1, "with_total_count": True}, ROOT_ADMIN,
                 ["A2", "A3"], 5, id="count and offset"),
    pytest.param({"count": 1000, "offset": 10000}, ROOT_ADMIN, [], None,
                 id="the largest page"),
    pytest.param({"from_date": "2026-02-28 23:59:59", "to_date": "2026-03-01 10:00:00"},
                 ROOT_ADMIN, ["A6", "A1", "A2"], None, id="both ends inclusive, UTC"),
    pytest.param({"from_date": "2026-03-03 23:59:59", "to_date": "2026-03-03 23:59:59"},
                 ROOT_ADMIN, ["A5"], None, id="one second"),
]


def audit_params(params: dict[str, Any], audit: dict[str, Any]) -> dict[str, Any]:
    """Labels in `audit_log_id` as the stored ids, tenants in `filtered_admin_user_id` as
    the key ids of their ingest keys."""
    out = dict(params)
    if "audit_log_id" in out:
        out["audit_log_id"] = [audit["log_ids"][label] for label in out["audit_log_id"]]
    if "filtered_admin_user_id" in out:
        out["filtered_admin_user_id"] = [audit["key_ids"][t]
                                         for t in out["filtered_admin_user_id"]]
    return out


@pytest.mark.parametrize(("params", "caller", "expected", "total"), AUDIT_CASES)
async def test_audit_log(fetch, audit, params, caller, expected, total):
    result = await fetch(AUDIT, {**MAIN, **audit_params(params, audit)}, caller)
    assert result == page([audit_info(audit, label) for label in expected], total,
                          timezone="Etc/GMT")


async def test_every_audit_log_field(fetch, audit):
    """AuditLogInfoType from the ingest calls: the key id as subuser_name, the caller's
    tenant, the client IP (X-Forwarded-For from a trusted proxy), the method, its arguments
    and result as objects."""
    result = await fetch(AUDIT, {**MAIN, "count": 2}, RESELLER)
    ids, log_ids, key_ids = audit["ids"], audit["log_ids"], audit["key_ids"]
    assert result == {"count": 2, "timezone": "Etc/GMT", "result": [
        {"audit_log_id": log_ids["A1"], "subuser_name": key_ids["res"],
         "account_id": ids["res"], "requested": "2026-03-01 10:00:00", "ip": "203.0.113.7",
         "cmd_name": "ingest.transactions", "cmd_args": {"records": 2},
         "cmd_result": {"accepted": 2, "unchanged": 0, "rejected": 0}},
        {"audit_log_id": log_ids["A2"], "subuser_name": key_ids["cust1"],
         "account_id": ids["cust1"], "requested": "2026-03-01 10:00:00",
         "ip": "198.51.100.2", "cmd_name": "ingest.acd_sessions", "cmd_args": {"records": 1},
         "cmd_result": {"accepted": 1, "unchanged": 0, "rejected": 0}}]}


@pytest.mark.parametrize(("timezone", "caller", "shown", "zone"), [
    pytest.param(VILNIUS, ROOT_ADMIN, "2026-03-01 12:00:00", VILNIUS, id="Europe/Vilnius"),
    pytest.param("auto", RESELLER, "2026-03-01 12:00:00", VILNIUS, id="auto: res's zone"),
    pytest.param("auto", ROOT_ADMIN, "2026-03-01 10:00:00", "UTC", id="auto: root's zone"),
    pytest.param("America/New_York", ROOT_ADMIN, "2026-03-01 05:00:00", "America/New_York",
                 id="west of UTC")])
async def test_the_audit_logs_timezone_sets_the_output_only(
        fetch, audit, timezone, caller, shown, zone):
    """The filters stay UTC whatever `timezone` says."""
    result = await fetch(AUDIT, {"from_date": "2026-03-01 10:00:00",
                                 "to_date": "2026-03-01 10:00:00", "timezone": timezone},
                         caller)
    assert result == page([audit_info(audit, "A1", shown), audit_info(audit, "A2", shown)],
                          None, timezone=zone)


async def test_audit_log_by_position(fetch, audit):
    """Positional params in the seed's order: from_date, to_date, timezone, audit_log_id..."""
    result = await fetch(AUDIT, [MAIN["from_date"], MAIN["to_date"], "Etc/GMT",
                                 [audit["log_ids"]["A4"]]], ROOT_ADMIN)
    assert result == page([audit_info(audit, "A4")], None, timezone="Etc/GMT")


async def test_the_audit_logs_default_count_is_100(client, fetch, keys, ids, fake_clock):
    """101 ingest calls (two JSON-RPC batches) write 101 rows; a page holds 100 of them."""
    key = await keys(("ingest", "res"))
    fake_clock.set("2026-04-01 00:00:00")
    for first, size in ((0, 100), (100, 1)):
        batch = [{"jsonrpc": "2.0", "method": "ingest.transactions",
                  "params": {"records": []}, "id": first + i} for i in range(size)]
        status, answers, _ = await post(client, batch, key)
        assert status == 200 and all("result" in a for a in answers), answers
    fake_clock.set(SETUP)
    day = {"from_date": "2026-04-01 00:00:00", "to_date": "2026-04-01 00:00:00"}
    result = await fetch(AUDIT, {**day, "with_total_count": True}, ROOT_ADMIN)
    assert (result["total_count"], result["count"]) == (101, 100)
    ordered = [r["audit_log_id"] for r in result["result"]]
    assert ordered == sorted(ordered)
    assert (await fetch(AUDIT, {**day, "count": 1000}, ROOT_ADMIN))["count"] == 101


# --- what the three share: limits, dates, roles, CSV -----------------------------------------

ID_PARAM = {TX: "transaction_id", ACD: "acd_session_history_id", AUDIT: "audit_log_id"}
METHODS = list(ID_PARAM)
IDS = "<the method's id list>"  # stands for ID_PARAM[method] in the table below
SHARED_ERRORS = [  # (params over MAIN, the error's data)
    pytest.param({"count": 1001}, {"count": RANGE_MESSAGE.format(1, 1000)}, id="count 1001"),
    pytest.param({"count": 0}, {"count": RANGE_MESSAGE.format(1, 1000)}, id="count 0"),
    pytest.param({"count": "5"}, {"count": "Not a valid integer."}, id="count as text"),
    pytest.param({"offset": 10001}, {"offset": RANGE_MESSAGE.format(0, 10000)},
                 id="offset 10001"),
    pytest.param({"offset": -1}, {"offset": RANGE_MESSAGE.format(0, 10000)}, id="offset -1"),
    pytest.param({IDS: list(range(1, 1002))}, {IDS: "At most 1000 values."},
                 id="1001 ids"),
    pytest.param({IDS: []}, {IDS: "Empty value is not allowed"}, id="no ids"),
    pytest.param({IDS: ["1"]}, {IDS: {"0": "Not a valid integer."}}, id="an id as text"),
    pytest.param({"from_date": "2026-03-01T00:00:00"}, {"from_date": BAD_DATE},
                 id="an ISO 8601 date"),
    pytest.param({"from_date": "2026-02-30 00:00:00"}, {"from_date": BAD_DATE},
                 id="no such day"),
    pytest.param({"to_date": "2026-03-03"}, {"to_date": BAD_DATE}, id="a date alone"),
    pytest.param({"to_date": 1772582399}, {"to_date": BAD_DATE}, id="epoch seconds"),
    pytest.param({"from_date": None}, {"from_date": "Field may not be null."}, id="null date"),
    pytest.param({"from_date": "2026-03-04 00:00:00"},
                 {"from_date": "Must not be after to_date."}, id="from after to"),
    pytest.param({"from_date": "2025-03-02 23:59:59"},
                 {"to_date": "The range from from_date to to_date exceeds 366 days."},
                 id="over 366 days"),
    pytest.param({"desc_order": 1}, {"desc_order": "Not a valid boolean."}, id="flag as 1"),
    pytest.param({"with_header": "true"}, {"with_header": "Not a valid boolean."},
                 id="flag as text"),
    pytest.param({"output": "xml"}, {"output": "Must be one of: json, csv."}, id="output"),
]


def for_method(value: Any, method: str) -> Any:
    if isinstance(value, dict):
        return {(ID_PARAM[method] if k == IDS else k): v for k, v in value.items()}
    return value


@pytest.mark.parametrize("method", METHODS)
@pytest.mark.parametrize(("params", "data"), SHARED_ERRORS)
async def test_invalid_params(send, ids, method, params, data):
    response = await send(method, {**MAIN, **for_method(params, method)})
    assert response == invalid(for_method(data, method))


@pytest.mark.parametrize("method", METHODS)
async def test_dates_are_required(send, ids, method):
    response = await send(method, {})
    assert response == invalid({"from_date": "Missing data for required field.",
                                "to_date": "Missing data for required field."})


@pytest.mark.parametrize("method", METHODS)
async def test_the_largest_id_list_and_range_are_accepted(fetch, ids, method):
    result = await fetch(method, {"from_date": "2025-03-03 00:00:00", "to_date":
                                  MAIN["to_date"], ID_PARAM[method]: list(range(1, 1001))})
    assert result["result"] == []


METHOD_ERRORS = [  # (method, params over MAIN, the error's data)
    pytest.param(TX, {"transaction_type": ["gift", "free money"]}, {"transaction_type": {
        "1": "Must be one of the documented values, not 'free money'."}}, id="tx: a type"),
    pytest.param(TX, {"timezone": "Mars/Olympus"},
                 {"timezone": "Unknown time zone 'Mars/Olympus'"}, id="tx: a zone"),
    pytest.param(TX, {"child_account_id": "some"}, {"child_account_id": "Not a valid list."},
                 id="tx: child_account_id"),
    pytest.param(TX, {"timezone": VILNIUS, "from_date": "2026-03-29 03:30:00",
                      "to_date": "2026-03-29 03:59:59"},
                 {"from_date": BAD_DATE, "to_date": BAD_DATE},
                 id="tx: local times the spring change skips"),
    pytest.param(TX, {"users_transactions_only": "yes"},
                 {"users_transactions_only": "Not a valid boolean."}, id="tx: a flag"),
    pytest.param(ACD, {"min_waiting_time": -1},
                 {"min_waiting_time": RANGE_MESSAGE.format(0, 2 ** 63 - 1)},
                 id="acd: min_waiting_time"),
    pytest.param(ACD, {"min_waiting_time": "5"}, {"min_waiting_time": "Not a valid integer."},
                 id="acd: min_waiting_time as text"),
    pytest.param(ACD, {"operator_hangup": "yes"}, {"operator_hangup": "Not a valid boolean."},
                 id="acd: a flag filter"),
    pytest.param(ACD, {"acd_request_id": ["a", 1]}, {"acd_request_id": {
        "1": "Not a valid string."}}, id="acd: acd_request_id"),
    pytest.param(ACD, {"timezone": VILNIUS}, {"timezone": "Unknown field."},
                 id="acd: dates are UTC, no timezone"),
    pytest.param(ACD, {"is_async": True}, {"is_async": "Unknown field."},
                 id="acd: no background export"),
    pytest.param(TX, {"is_async": True}, {"is_async": "Only with output=csv."},
                 id="tx: async needs csv"),
    pytest.param(AUDIT, {"is_async": True}, {"is_async": "Only with output=csv."},
                 id="audit: async needs csv"),
    pytest.param(AUDIT, {"advanced_filters": ""},
                 {"advanced_filters": "Length must be between 1 and 1000."},
                 id="audit: empty advanced_filters"),
    pytest.param(AUDIT, {"filtered_admin_user_id": "abc"},
                 {"filtered_admin_user_id": "Not a valid list."}, id="audit: a list"),
    pytest.param(AUDIT, {"timezone": VILNIUS, "from_date": "2026-03-29 03:30:00",
                         "to_date": "2026-03-29 03:30:00"}, None,
                 id="audit: filters are UTC, where 03:30 exists"),
]


@pytest.mark.parametrize(("method", "params", "data"), METHOD_ERRORS)
async def test_invalid_params_of_one_method(send, ids, method, params, data):
    response = await send(method, {**MAIN, **params})
    if data is None:
        assert set(response) == {"jsonrpc", "result", "id"}, response
    else:
        assert response == invalid(data)


@pytest.mark.parametrize("method", METHODS)
@pytest.mark.parametrize("caller", [ROOT_ADMIN, RESELLER, CUSTOMER, ACCOUNTANT],
                         ids=lambda c: c[0])
async def test_reading_roles_may_call(send, ids, method, caller):
    response = await send(method, MAIN, caller)
    assert set(response) == {"jsonrpc", "result", "id"}, response


@pytest.mark.parametrize("method", METHODS)
async def test_the_ingest_role_may_not(send, ids, method):
    assert await send(method, MAIN, ("ingest", "res")) == forbidden("ingest", method)


CSV_COLUMNS = {
    TX: ["transaction_id", "account_id", "performed_at", "amount", "currency",
         "transaction_type", "transaction_description"],
    ACD: ["acd_session_history_id", "acd_request_id", "account_id", "begin_time", "priority",
          "acd_queue_id", "user_id", "waiting_duration", "in_service_duration",
          "after_service_duration"],
    AUDIT: ["audit_log_id", "subuser_name", "account_id", "requested", "ip", "cmd_name"],
}
CSV_PARAMS = {TX: {"child_account_id": "all", "timezone": VILNIUS},
              ACD: {"with_events": True}, AUDIT: {"timezone": VILNIUS}}


def as_cells(row: dict[str, Any], columns: list[str]) -> list[str]:
    return ["" if row.get(c) is None else str(row[c]) for c in columns]


@pytest.mark.parametrize("with_header", [True, False], ids=["with header", "without header"])
@pytest.mark.parametrize("method", METHODS)
async def test_csv_holds_the_json_rows_scalar_fields(fetch, ingest, keys, ids, client,
                                                     fake_clock, method, with_header):
    """RFC 4180 with CRLF line ends, one row per record, the scalar fields in vendor-notes
    order; nested lists and objects left out; the same page as the JSON answer."""
    if method == AUDIT:
        await write_audit(ingest, keys, ids, client, fake_clock)
    else:
        await write_ledgers(ingest)
    params = {**MAIN, **CSV_PARAMS[method], "count": 3, "offset": 1}
    as_json = await fetch(method, params, ROOT_ADMIN)
    as_csv = await fetch(method, {**params, "output": "csv", "with_header": with_header},
                         ROOT_ADMIN)
    text = as_csv.pop("result")
    assert as_csv == {k: v for k, v in as_json.items() if k != "result"}
    assert text.endswith("\r\n")
    rows = list(csv.reader(io.StringIO(text, newline="")))
    columns = CSV_COLUMNS[method]
    body = [as_cells(r, columns) for r in as_json["result"]]
    assert rows == ([columns] if with_header else []) + body
    assert len(body) == 3


async def test_csv_quotes_a_comma_a_quote_and_a_newline(fetch, ledgers):
    result = await fetch(TX, {**MAIN, "output": "csv", "transaction_id": [11]})
    assert result == {"result": (
        "transaction_id,account_id,performed_at,amount,currency,transaction_type,"
        "transaction_description\r\n"
        f'11,{ledgers["res"]},2026-03-01 10:00:00,-1.50,EUR,resource_charge,'
        '"Calls, ""March""\nline two"\r\n'), "total_count": 1, "count": 1,
        "timezone": "Etc/GMT"}


async def test_csv_of_an_empty_page(fetch, ids):
    result = await fetch(ACD, {**MAIN, "output": "csv", "with_header": False})
    assert result == {"result": "", "total_count": 0, "count": 0}
    result = await fetch(ACD, {**MAIN, "output": "csv"})
    assert result["result"] == ",".join(CSV_COLUMNS[ACD]) + "\r\n"
