"""`aggregate_get` on /rpc (spec methods.md section 2, README "Tenancy", "Time", "Money",
"Limits"; the decisions of the design notes), as (request, expected) tables over one fixed set of
ended calls, on every engine.

Tenants: root > res > cust1, cust2. Carriers A (901, trunk 911) and B (902, trunk 921) belong to
root. Code deck 7: 370 Lithuania, 3706 Lithuania Mobile, 371 Latvia, 49 Germany. Rates to USD:
EUR 1.10 from 2026-03-01 and 1.20 from 2026-03-02, JPY 0.0064 and KWD 3.20 from 2026-03-01; no
rate at all before 2026-03-01. The calls of MAIN (2026-03-01 to 2026-03-03, UTC); price and cost
are the root's (reseller_amount else amount; the term legs' amounts), in USD:

| call | setup (UTC)    | client/dev | term attempts  | dst  | billsec | pdd   | price (cost)    |
|------|----------------|------------|----------------|------|---------|-------|-----------------|
| c1   | 03-01 10:00:00 | 101/111    | A ans., B fail | 3706 | 120/118 | 1.5   | 0.80 (0.50) EUR |
| c2   | 03-01 11:30:00 | 101/112    | A, B failed    | 371  | -       |       | -               |
| c3   | 03-01 23:59:59 | 201/211    | A busy, B ans. | 49   | 60/57   | 2.0   | 0.60 (0.20)     |
| c4   | 03-02 00:00:00 | 201/211    | A answered     | 3706 | 30/29   |       | 0.2875 (0.10) E |
| c5   | 03-02 08:00:00 | 101/111    | none           | 370  | -       |       | -               |
| c6   | 03-02 15:00:00 | 101/112    | B answered     | 3706 | 90/87   | 2.5   | 1.205 (0.40)    |
| c9   | 03-02 18:00:00 | 401/411    | A answered     | 3706 | 10/10   |       | 0.10 (0.02)     |
| c7   | 03-03 12:00:00 | 201/211    | A answered     | 371  | 45/44   | 1.015 | 0.25 (0.05) EUR |
| c8   | 03-03 23:59:59 | 101/111    | B failed       | 49   | -       |       | -               |

Clients 101 (cust1), 201 (cust2), 401 (root); E: EUR. USD: c1 0.88 (0.55), c4 0.345 (0.12),
c7 0.30 (0.06).
End-user amounts (`amount`): c1 1.00 EUR, c3 0.75, c4 0.45 EUR, c6 1.50, c7 0.25 EUR, c9 0.10 USD.
Outside MAIN: c10 (2026-02-26, USD only), c0 (2026-02-27, EUR: no rate that day), six calls
around the autumn change of Europe/Vilnius (2026-10-25), a live call and a video room.
Money is compared as written in the JSON text (minor digits included: 1.50 is `1.50`); ASR,
ACD, PDD and margin as exact decimals.
"""

from __future__ import annotations

import calendar
import datetime as dt
import json
import time
import zoneinfo
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from conftest import make_config
from envelopes import answer, error, forbidden, invalid, missing_object, ok

from gateway.core.config import Config

METHOD = "aggregate_get"
ADMIN, RESELLER, ACCOUNTANT = ("admin", "root"), ("reseller", "res"), ("accountant", "root")


def at(year: int, month: int, day: int, hour: int = 0, minute: int = 0, second: int = 0) -> int:
    """Unix seconds of a UTC wall-clock time."""
    return calendar.timegm((year, month, day, hour, minute, second, 0, 0, 0))


def iso(seconds: int) -> str:
    return dt.datetime.fromtimestamp(seconds, dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


MAIN = {"from": at(2026, 3, 1), "till": at(2026, 3, 3, 23, 59, 59)}

# --- the data set ---------------------------------------------------------------------------

DECK = {"code_deck_id": 7, "name": "Europe", "codes": [
    {"prefix": "370", "name": "Lithuania", "country": "LT"},
    {"prefix": "3706", "name": "Lithuania Mobile", "country": "LT"},
    {"prefix": "371", "name": "Latvia", "country": "LV"},
    {"prefix": "49", "name": "Germany", "country": "DE"}]}
RATES = [{"currency": "EUR", "rate_to_usd": "1.10", "valid_from": "2026-03-01"},
         {"currency": "EUR", "rate_to_usd": "1.20", "valid_from": "2026-03-02"},
         {"currency": "JPY", "rate_to_usd": "0.0064", "valid_from": "2026-03-01"},
         {"currency": "KWD", "rate_to_usd": "3.20", "valid_from": "2026-03-01"}]

CUST_ONE, CUST_TWO = {"id": 101, "name": "Cust One"}, {"id": 201, "name": "Cust Two"}
RETAIL = {"id": 401, "name": "Root Retail"}
CARRIER_A = {"id": 901, "name": "Carrier A", "tenant": "root"}
CARRIER_B = {"id": 902, "name": "Carrier B", "tenant": "root"}
C1_PBX, C1_SIP = {"id": 111, "name": "c1-pbx"}, {"id": 112, "name": "c1-sip"}
C2_PBX, ROOT_PBX = {"id": 211, "name": "c2-pbx"}, {"id": 411, "name": "root-pbx"}
CA_TRUNK, CB_TRUNK = {"id": 911, "name": "ca-trunk"}, {"id": 921, "name": "cb-trunk"}


def eur(amount: str, reseller: str | None = None) -> dict[str, str]:
    return {"amount": amount, "currency": "EUR",
            **({} if reseller is None else {"reseller_amount": reseller})}


def usd(amount: str, reseller: str | None = None) -> dict[str, str]:
    return {**eur(amount, reseller), "currency": "USD"}


def orig(client: dict[str, Any], account: dict[str, Any], src: str, dst: str, rate: str,
         billsec: int = 0, real: int = 0, **more: Any) -> dict[str, Any]:
    return {"leg_id": "o", "role": "orig", "src": src, "dst": dst, "client": client,
            "account": account, "rates_code": rate, "code_deck_id": 7, "billsec": billsec,
            "real_billsec": real, **more}


def term(leg_id: str, carrier: dict[str, Any], trunk: dict[str, Any], rate: str,
         disposition: str, **more: Any) -> dict[str, Any]:
    return {"leg_id": leg_id, "role": "term", "client": carrier, "account": trunk,
            "rates_code": rate, "disposition": disposition, **more}


def call(session_id: str, tenant: str, setup: int, answer_s: int | None, seconds: int,
         *legs: dict[str, Any]) -> dict[str, Any]:
    """An ended call: answered `answer_s` seconds after setup (None: never), ended `seconds`
    after its answer (or its setup)."""
    start = None if answer_s is None else iso(setup + answer_s)
    return {"session_id": session_id, "tenant": tenant, "setup_time": iso(setup),
            "start_time": start, "end_time": iso(setup + (answer_s or 0) + seconds),
            "legs": [{**leg, "start_time": start} if leg.get("disposition") == "ANSWERED"
                     else leg for leg in legs]}


def failed(session_id: str, setup: int) -> dict[str, Any]:
    return call(session_id, "cust1", setup, None, 0,
                orig(CUST_ONE, C1_PBX, "37052000100", "+37061234567", "U-3706"))


A, B = (CARRIER_A, CA_TRUNK), (CARRIER_B, CB_TRUNK)
SESSIONS = [
    call("c0", "cust1", at(2026, 2, 27, 12), 5, 60,
         orig(CUST_ONE, C1_PBX, "37052000000", "+37061230000", "U-3706", 60, 60,
              **eur("2.00", "1.50")),
         term("t1", *A, "P-A-3706", "ANSWERED", **eur("0.90"))),
    call("c10", "cust2", at(2026, 2, 26, 12), 1, 10,
         orig(CUST_TWO, C2_PBX, "4930444", "+4930000000", "U-49", 10, 10, **usd("0.05")),
         term("t1", *B, "P-B-49", "ANSWERED", **usd("0.01"))),
    call("c1", "cust1", at(2026, 3, 1, 10), 4, 120,
         orig(CUST_ONE, C1_PBX, "37052000001", "+37061234567", "U-3706", 120, 118,
              pdd_ms=1500, **eur("1.00", "0.80")),
         term("t1", *A, "P-A-3706", "ANSWERED", billsec=120, **eur("0.50")),
         term("t2", *B, "P-B-3706", "CONGESTION")),  # reported by the answered attempt
    call("c2", "cust1", at(2026, 3, 1, 11, 30), None, 20,
         orig(CUST_ONE, C1_SIP, "37052000002", "+37120000000", "U-371"),
         term("t1", *A, "P-A-371", "CONGESTION"), term("t2", *B, "P-B-371", "NO ANSWER")),
    call("c3", "cust2", at(2026, 3, 1, 23, 59, 59), 3, 60,
         orig(CUST_TWO, C2_PBX, "4930111", "+4930123456", "U-49", 60, 57, pdd_ms=2000,
              **usd("0.75", "0.60")),
         term("t1", *A, "P-A-49", "BUSY"), term("t2", *B, "P-B-49", "ANSWERED", **usd("0.20"))),
    call("c4", "cust2", at(2026, 3, 2), 3, 30,
         orig(CUST_TWO, C2_PBX, "4930222", "+37061111111", "U-3706", 30, 29,
              **eur("0.45", "0.2875")),
         term("t1", *A, "P-A-3706", "ANSWERED", **eur("0.10"))),
    call("c5", "cust1", at(2026, 3, 2, 8), None, 10,
         orig(CUST_ONE, C1_PBX, "37052000005", "+37052999999", "U-370")),
    call("c6", "cust1", at(2026, 3, 2, 15), 2, 90,
         orig(CUST_ONE, C1_SIP, "37052000006", "+37061234500", "U-3706", 90, 87, pdd_ms=2500,
              **usd("1.50", "1.205")),
         term("t1", *B, "P-B-3706", "ANSWERED", **usd("0.40"))),
    call("c7", "cust2", at(2026, 3, 3, 12), 1, 45,
         orig(CUST_TWO, C2_PBX, "4930333", "+37120000001", "U-371", 45, 44, pdd_ms=1015,
              **eur("0.25")),
         term("t1", *A, "P-A-371", "ANSWERED", **eur("0.05"))),
    call("c8", "cust1", at(2026, 3, 3, 23, 59, 59), None, 6,
         orig(CUST_ONE, C1_PBX, "37052000008", "+4930999999", "U-49"),
         term("t1", *B, "P-B-49", "FAILED")),
    call("c9", "root", at(2026, 3, 2, 18), 1, 10,
         orig(RETAIL, ROOT_PBX, "37052000009", "+37069999999", "U-3706", 10, 10, **usd("0.10")),
         term("t1", *A, "P-A-3706", "ANSWERED", **usd("0.02"))),
    # Europe/Vilnius, 2026-10-25: 03:00-03:59 local happens twice (00:00 and 01:00 UTC)
    failed("d1", at(2026, 10, 24, 21)),  # local 10-25 00:00 (EEST)
    failed("d2", at(2026, 10, 24, 20, 59, 59)),  # local 10-24 23:59:59
    call("d3", "cust1", at(2026, 10, 25, 0, 30), 2, 30,  # local 03:30 EEST
         orig(CUST_ONE, C1_PBX, "37052000100", "+37061234567", "U-3706", 30, 30)),
    failed("d4", at(2026, 10, 25, 1, 30)),  # local 03:30 EET
    failed("d5", at(2026, 10, 25, 21, 59, 59)),  # local 10-25 23:59:59 (EET)
    failed("d6", at(2026, 10, 25, 22)),  # local 10-26 00:00
    # never counted: a live call and a video room (2026-03-02 09:00 and 10:00 UTC)
    {**call("live", "cust1", at(2026, 3, 2, 9), 2, 0,
            orig(CUST_ONE, C1_PBX, "37052000011", "+37061234567", "U-3706", 0, 0,
                 **usd("9.00"))), "end_time": None},
    {"session_id": "room", "kind": "video", "tenant": "cust1",
     "setup_time": iso(at(2026, 3, 2, 10)), "start_time": iso(at(2026, 3, 2, 10, 0, 5)),
     "end_time": iso(at(2026, 3, 2, 10, 30)),
     "legs": [{"leg_id": "p1", "role": "participant", "name": "Ann"}]},
]

# --- expectations ---------------------------------------------------------------------------

FIGURES = ["total_calls", "answered_calls", "asr", "billsec", "acd", "pdd", "price", "cost"]
PROFIT = ("profit", "margin")
MONEY = {"price", "cost", "profit"}  # compared as written: str of the exact JSON number
RATIOS = {"asr", "acd", "pdd", "margin"}  # compared as exact decimals
USER, DEVICE = ["originator_id", "originator_name"], ["device_id", "device_name"]
TERM, PROV = ["terminator_id", "terminator_name"], ["provider_id", "provider_name"]
DEFAULT_KEYS = USER + TERM + ["dst_group"]

ONE, TWO, ROOT_RETAIL = (101, "Cust One"), (201, "Cust Two"), (401, "Root Retail")
CA, CB, NULL2 = (901, "Carrier A"), (902, "Carrier B"), (None, None)
CAT, CBT = (911, "ca-trunk"), (921, "cb-trunk")
PBX1, SIP1, PBX2, PBX_ROOT = (111, "c1-pbx"), (112, "c1-sip"), (211, "c2-pbx"), (411, "root-pbx")

# One call's figures as the root sees it: total, answered, asr, billsec, acd, pdd, price, cost
FAIL = (1, 0, 0, 0, 0, 0, "0.00", "0.00")
C1 = (1, 1, 100, 120, 120, 1.5, "0.88", "0.55")
C3 = (1, 1, 100, 60, 60, 2, "0.60", "0.20")
C4 = (1, 1, 100, 30, 30, 0, "0.34", "0.12")  # 0.345: half-even
C6 = (1, 1, 100, 90, 90, 2.5, "1.20", "0.40")  # 1.205: half-even
C7 = (1, 1, 100, 45, 45, 1.02, "0.30", "0.06")  # pdd 1.015: half-even
C9 = (1, 1, 100, 10, 10, 0, "0.10", "0.02")
CALLS = {"c1": C1, "c2": FAIL, "c3": C3, "c4": C4, "c5": FAIL, "c6": C6, "c7": C7, "c8": FAIL,
         "c9": C9}
HOURS = {"c1": "2026-03-01 10:00", "c2": "2026-03-01 11:00", "c3": "2026-03-01 23:00",
         "c4": "2026-03-02 00:00", "c5": "2026-03-02 08:00", "c6": "2026-03-02 15:00",
         "c9": "2026-03-02 18:00", "c7": "2026-03-03 12:00", "c8": "2026-03-03 23:00"}
# rows of several calls
LT_MOBILE = (4, 4, 100, 250, 62.5, 2, "2.53", "1.09")  # c1 c4 c6 c9
LATVIA = (2, 1, 50, 45, 45, 1.02, "0.30", "0.06")  # c2 c7
GERMANY = (2, 1, 50, 60, 60, 2, "0.60", "0.20")  # c3 c8
A_3706 = (3, 3, 100, 160, 53.33, 1.5, "1.32", "0.69")  # c1 c4 c9: 1.325 half-even
USER_ONE = (5, 2, 40, 210, 105, 2, "2.08", "0.95")  # c1 c2 c5 c6 c8: 2.085 half-even
USER_TWO = (3, 3, 100, 135, 45, 1.51, "1.24", "0.38")  # c3 c4 c7: 1.245 half-even
DAY1 = (3, 2, 66.67, 180, 90, 1.75, "1.48", "0.75")
DAY2 = (4, 3, 75, 130, 43.33, 2.5, "1.65", "0.54")
DAY3 = (2, 1, 50, 45, 45, 1.02, "0.30", "0.06")
# the sum of the rows' rounded prices is 3.42; the exact sum 3.43
TOTAL = (9, 6, 66.67, 355, 59.17, 1.75, "3.43", "1.35")
EMPTY = (0, 0, 0, 0, 0, 0, "0.00", "0.00")


def flat(values: tuple[Any, ...]) -> list[Any]:
    out: list[Any] = []
    for value in values:
        out.extend(value) if isinstance(value, tuple) else out.append(value)
    return out


def exact(field: str, value: Any) -> Any:
    return Decimal(str(value)) if field in RATIOS and value is not None else value


def rows(keys: list[str], *values: tuple[Any, ...], extra: tuple[str, ...] = ()) -> list[dict]:
    """Expected rows: each tuple holds the group keys (pairs as tuples) then the figures."""
    fields = keys + FIGURES + list(extra)
    return [{f: exact(f, v) for f, v in zip(fields, flat(r), strict=True)} for r in values]


def totals(*values: Any, extra: tuple[str, ...] = ()) -> dict[str, Any]:
    return rows([], values, extra=extra)[0]


def by_hour(*calls: str) -> list[dict[str, Any]]:
    return rows(["hour"], *[(HOURS[c], CALLS[c]) for c in sorted(calls, key=HOURS.get)])


def written(value: Any) -> Any:
    """A result with each amount as its JSON text (the JSON was read with Decimal floats);
    an amount that is not a JSON number stays recognisable."""
    if isinstance(value, dict):
        return {k: (str(v) if isinstance(v, (int, Decimal)) and not isinstance(v, bool)
                    else f"not a number: {v!r}") if k in MONEY else written(v)
                for k, v in value.items()}
    if isinstance(value, list):
        return [written(v) for v in value]
    return value


# --- fixtures -------------------------------------------------------------------------------

@pytest.fixture
async def ingest(rpc: Any, ingest_key: str) -> Any:
    async def send(records: list[Any], method: str = "ingest.sessions") -> None:
        response = await rpc(method, {"records": records}, key=ingest_key)
        assert response == ok(answer(accepted=len(records))), response
    return send


@pytest.fixture
async def data(ingest: Any, make_tenant: Any) -> None:
    for name, parent in (("res", "root"), ("cust1", "res"), ("cust2", "res")):
        await make_tenant(name, parent)
    await ingest([DECK], "ingest.code_decks")
    await ingest(RATES, "ingest.currency_rates")
    await ingest(SESSIONS)


@pytest.fixture
def send(client: Any, make_key: Any, admin_key: str) -> Any:
    """`await send(params, caller=(role, tenant))` -> the whole response, floats as Decimal."""
    keys: dict[tuple[str, str], str] = {ADMIN: admin_key}

    async def run(params: Any, caller: tuple[str, str] = ADMIN) -> Any:
        if caller not in keys:
            keys[caller] = await make_key(*caller, rate_limit="unlimited")
        body = {"jsonrpc": "2.0", "method": METHOD, "params": params, "id": 1}
        response = await client.post("/rpc", json=body, headers={"X-Api-Key": keys[caller]})
        assert response.status == 200, await response.text()
        return json.loads(await response.text(), parse_float=Decimal)
    return run


@pytest.fixture
def query(send: Any, data: None) -> Any:
    """`await query(params, caller)` -> the result of a successful call, amounts as written."""
    async def run(params: Any, caller: tuple[str, str] = ADMIN) -> Any:
        response = await send(params, caller)
        assert set(response) == {"jsonrpc", "result", "id"}, response
        return written(response["result"])
    return run


# --- grouping -------------------------------------------------------------------------------

DEFAULT_ROWS = rows(  # user + terminator + destination group
    DEFAULT_KEYS, (ONE, CA, "Lithuania Mobile", C1), (ONE, CB, "Germany", FAIL),
    (ONE, CB, "Latvia", FAIL), (ONE, CB, "Lithuania Mobile", C6),
    (ONE, NULL2, "Lithuania", FAIL), (TWO, CA, "Latvia", C7), (TWO, CA, "Lithuania Mobile", C4),
    (TWO, CB, "Germany", C3), (ROOT_RETAIL, CA, "Lithuania Mobile", C9))
GROUPINGS = [  # (flags, expected rows); every one over MAIN as the root admin
    pytest.param({}, DEFAULT_ROWS, id="default"),
    pytest.param({"group_by_user": 1}, rows(
        USER, (ONE, USER_ONE), (TWO, USER_TWO), (ROOT_RETAIL, C9)), id="user"),
    pytest.param({"group_by_device": 1}, rows(
        DEVICE, (PBX1, 3, 1, 33.33, 120, 120, 1.5, "0.88", "0.55"),
        (SIP1, 2, 1, 50, 90, 90, 2.5, "1.20", "0.40"), (PBX2, USER_TWO), (PBX_ROOT, C9)),
        id="device"),
    pytest.param({"group_by_terminator": 1}, rows(
        TERM, (CA, 4, 4, 100, 205, 51.25, 1.26, "1.62", "0.75"),  # 1.625 half-even
        (CB, 4, 2, 50, 150, 75, 2.25, "1.80", "0.60"),  # 1.805 half-even
        (NULL2, FAIL)), id="terminator"),
    pytest.param({"group_by_provider": 1}, rows(
        PROV, (CAT, 4, 4, 100, 205, 51.25, 1.26, "1.62", "0.75"),
        (CBT, 4, 2, 50, 150, 75, 2.25, "1.80", "0.60"), (NULL2, FAIL)), id="provider"),
    pytest.param({"group_by_dst_group": 1}, rows(
        ["dst_group"], ("Germany", GERMANY), ("Latvia", LATVIA), ("Lithuania", FAIL),
        ("Lithuania Mobile", LT_MOBILE)), id="dst-group"),
    pytest.param({"group_by_dst": 1}, rows(
        ["dst"], ("370", FAIL), ("3706", LT_MOBILE), ("371", LATVIA), ("49", GERMANY)),
        id="dst-text-order"),
    pytest.param({"group_by_day": 1}, rows(
        ["day"], ("2026-03-01", DAY1), ("2026-03-02", DAY2), ("2026-03-03", DAY3)), id="day"),
    pytest.param({"group_by_hour": 1}, by_hour(*CALLS), id="hour"),
    pytest.param({"group_by_user_rate": 1}, rows(
        ["user_rate"], ("U-370", FAIL), ("U-3706", LT_MOBILE), ("U-371", LATVIA),
        ("U-49", GERMANY)), id="user-rate"),
    pytest.param({"group_by_provider_rate": 1}, rows(
        ["provider_rate"], ("P-A-3706", A_3706), ("P-A-371", C7), ("P-B-3706", C6),
        ("P-B-371", FAIL), ("P-B-49", GERMANY), (None, FAIL)), id="provider-rate"),
    pytest.param({"group_by_user": 0, "profit_show": 0}, DEFAULT_ROWS, id="zero-flags-default"),
    pytest.param({"group_by_user": 1, "group_by_day": 1}, rows(
        USER + ["day"], (ONE, "2026-03-01", 2, 1, 50, 120, 120, 1.5, "0.88", "0.55"),
        (ONE, "2026-03-02", 2, 1, 50, 90, 90, 2.5, "1.20", "0.40"),
        (ONE, "2026-03-03", FAIL), (TWO, "2026-03-01", C3), (TWO, "2026-03-02", C4),
        (TWO, "2026-03-03", C7), (ROOT_RETAIL, "2026-03-02", C9)), id="user-day"),
    pytest.param({"group_by_dst_group": 1, "group_by_provider": 1, "group_by_terminator": 1},
                 rows(TERM + PROV + ["dst_group"], (CA, CAT, "Latvia", C7),
                      (CA, CAT, "Lithuania Mobile", A_3706), (CB, CBT, "Germany", GERMANY),
                      (CB, CBT, "Latvia", FAIL), (CB, CBT, "Lithuania Mobile", C6),
                      (NULL2, NULL2, "Lithuania", FAIL)), id="terminator-provider-dst-group"),
    pytest.param({"group_by_provider_rate": 1, "group_by_user_rate": 1, "group_by_device": 1},
                 rows(DEVICE + ["user_rate", "provider_rate"],
                      (PBX1, "U-370", None, FAIL), (PBX1, "U-3706", "P-A-3706", C1),
                      (PBX1, "U-49", "P-B-49", FAIL), (SIP1, "U-3706", "P-B-3706", C6),
                      (SIP1, "U-371", "P-B-371", FAIL), (PBX2, "U-3706", "P-A-3706", C4),
                      (PBX2, "U-371", "P-A-371", C7), (PBX2, "U-49", "P-B-49", C3),
                      (PBX_ROOT, "U-3706", "P-A-3706", C9)), id="device-rates"),
    pytest.param({"group_by_dst": 1, "group_by_device": 1, "group_by_user": 1},
                 rows(USER + DEVICE + ["dst"], (ONE, PBX1, "370", FAIL), (ONE, PBX1, "3706", C1),
                      (ONE, PBX1, "49", FAIL), (ONE, SIP1, "3706", C6), (ONE, SIP1, "371", FAIL),
                      (TWO, PBX2, "3706", C4), (TWO, PBX2, "371", C7), (TWO, PBX2, "49", C3),
                      (ROOT_RETAIL, PBX_ROOT, "3706", C9)), id="user-device-dst"),
]


@pytest.mark.parametrize("flags, expected", GROUPINGS)
async def test_grouping(query, flags, expected):
    result = await query({**MAIN, **flags})
    assert result == {"aggregates": expected, "totals": totals(*TOTAL), "currency": "USD",
                      "timezone": "UTC"}
    assert [list(r) for r in result["aggregates"]] == [list(r) for r in expected]  # key order


async def test_totals_are_recomputed_from_the_sums_not_averaged_from_rows(query):
    result = await query({**MAIN, "group_by_day": 1})
    asrs = [r["asr"] for r in result["aggregates"]]
    assert asrs == [Decimal("66.67"), 75, 50]  # their mean is 63.89
    assert result["totals"] == totals(*TOTAL)  # 6 answered of 9: 66.67


async def test_every_key_in_order_with_profit(query):
    result = await query({**MAIN, **{f: 1 for f in (
        "group_by_user", "group_by_device", "group_by_terminator", "group_by_provider",
        "group_by_dst_group", "group_by_dst", "group_by_day", "group_by_hour",
        "group_by_user_rate", "group_by_provider_rate", "profit_show")}, "s_originator_id": 401})
    keys = USER + DEVICE + TERM + PROV + ["dst_group", "dst", "day", "hour", "user_rate",
                                          "provider_rate"]
    expected = rows(keys, (ROOT_RETAIL, PBX_ROOT, CA, CAT, "Lithuania Mobile", "3706",
                           "2026-03-02", "2026-03-02 18:00", "U-3706", "P-A-3706", C9, "0.08",
                           80), extra=PROFIT)
    assert result["aggregates"] == expected
    assert list(result["aggregates"][0]) == keys + FIGURES + list(PROFIT)
    assert list(result["totals"]) == FIGURES + list(PROFIT)


async def test_live_calls_and_video_sessions_never_count(query):
    # the live call (09:00) and the video room (10:00) are the only sessions of these hours
    result = await query({"from": at(2026, 3, 2, 9), "till": at(2026, 3, 2, 10, 59, 59),
                          "group_by_hour": 1})
    assert result["aggregates"] == [] and result["totals"] == totals(*EMPTY)


@pytest.mark.parametrize("caller, params", [
    (ADMIN, {}),
    (ADMIN, {"group_by_user": 1, "group_by_day": 1, "profit_show": 1, "a_currency": "EUR"}),
    (ADMIN, {"group_by_hour": 1, "use_real_billsec": 1, "timezone": "Asia/Kolkata"}),
    (RESELLER, {"group_by_provider": 1, "group_by_dst": 1, "from_user_perspective": 1}),
])
async def test_summaries_and_raw_records_give_the_same_answer(query, caller, params):
    whole = await query({**MAIN, **params}, caller)  # 15-minute edges: summaries may answer
    assert await query({**MAIN, **params, "from": MAIN["from"] - 1}, caller) == whole
    assert await query({**MAIN, **params, "s_duration": 0}, caller) == whole  # raw records


async def test_a_re_rated_call_counts_with_its_new_amounts(query, ingest):
    c6 = next(s for s in SESSIONS if s["session_id"] == "c6")
    await ingest([{**c6, "legs": [{**c6["legs"][0], "reseller_amount": "1.305"}, c6["legs"][1]]}])
    for params in (MAIN, {**MAIN, "s_duration": 0}):
        result = await query({**params, "group_by_user": 1})
        assert result["aggregates"][0] == rows(USER, (ONE, USER_ONE[:6], "2.18", "0.95"))[0]
        assert result["totals"] == totals(*TOTAL[:6], "3.53", "1.35")  # 2.185: half-even


# --- filters --------------------------------------------------------------------------------

FILTERS = [  # (filter, the calls of MAIN that match); rows by hour, one per call
    ({"s_originator_id": 201}, ["c3", "c4", "c7"]),
    ({"s_originator_id": 401}, ["c9"]),
    ({"s_originator_id": 901}, []),  # a carrier: a client, but never an originator here
    ({"s_terminator_id": 901}, ["c1", "c4", "c7", "c9"]),  # not c2, c3: A not reported
    ({"s_terminator_id": 902}, ["c2", "c3", "c6", "c8"]),
    ({"s_device": 112}, ["c2", "c6"]),
    ({"s_device": 411}, ["c9"]),
    ({"s_provider": 911}, ["c1", "c4", "c7", "c9"]),
    ({"s_provider": 921}, ["c2", "c3", "c6", "c8"]),
    ({"a_src": "4930"}, ["c3", "c4", "c7"]),
    ({"a_src": "3705200000"}, ["c1", "c2", "c5", "c6", "c8", "c9"]),
    ({"a_src": "%222"}, ["c4"]),
    ({"a_src": "49%3"}, ["c7"]),
    ({"a_src": "222"}, []),  # a prefix, not a substring
    ({"a_dst": "+3706"}, ["c1", "c4", "c6", "c9"]),
    ({"a_dst": "+370"}, ["c1", "c4", "c5", "c6", "c9"]),
    ({"a_dst": "%4567"}, ["c1"]),
    ({"a_dst": "3706"}, []),  # the number as received starts with +
    ({"clid": "4930"}, ["c3", "c4", "c7"]),
    ({"clid": "%9"}, ["c9"]),
    ({"clid": "%0000%"}, ["c1", "c2", "c5", "c6", "c8", "c9"]),
    ({"s_duration": 0}, list(CALLS)),
    ({"s_duration": 60}, ["c1", "c3", "c6"]),
    ({"s_duration": 61}, ["c1", "c6"]),
    ({"s_duration": 121}, []),
    ({"dst_group": "Latvia"}, ["c2", "c7"]),
    ({"dst_group": "Lithuania"}, ["c5"]),  # equal, not a prefix
    ({"dst_group": "lithuania"}, []),
    ({"s_originator_id": 101, "s_terminator_id": 902}, ["c2", "c6", "c8"]),
    ({"a_src": "3705", "s_duration": 1}, ["c1", "c6", "c9"]),
    ({"s_device": 111, "dst_group": "Germany"}, ["c8"]),
]


@pytest.mark.parametrize("params, calls", FILTERS)
async def test_filter(query, params, calls):
    result = await query({**MAIN, **params, "group_by_hour": 1})
    assert result["aggregates"] == by_hour(*calls)
    assert result["totals"]["total_calls"] == len(calls)


OBJECT_ERRORS = [  # (caller, param, id, table)
    (ADMIN, "s_originator_id", 5, "clients"),
    (ADMIN, "s_originator_id", 911, "clients"),  # an account's id
    (ADMIN, "s_terminator_id", 5, "clients"),
    (ADMIN, "s_device", 5, "accounts"),
    (ADMIN, "s_device", 101, "accounts"),  # a client's id
    (ADMIN, "s_provider", 5, "accounts"),
    (RESELLER, "s_originator_id", 401, "clients"),  # root's own client
    (RESELLER, "s_terminator_id", 901, "clients"),  # root's carrier
    (RESELLER, "s_device", 411, "accounts"),
    (RESELLER, "s_provider", 911, "accounts"),
]


@pytest.mark.parametrize("caller, param, id_, table", OBJECT_ERRORS)
async def test_an_unknown_or_out_of_scope_object(send, data, caller, param, id_, table):
    assert await send({**MAIN, param: id_}, caller) == missing_object(param, table, str(id_))


# --- time range -----------------------------------------------------------------------------

C3_SETUP, C4_SETUP = at(2026, 3, 1, 23, 59, 59), at(2026, 3, 2)
C8_SETUP = at(2026, 3, 3, 23, 59, 59)
RANGES = [  # (from, till, calls)
    (C3_SETUP, C4_SETUP, ["c3", "c4"]),
    (C3_SETUP + 1, C4_SETUP, ["c4"]),
    (C3_SETUP, C4_SETUP - 1, ["c3"]),
    (C4_SETUP, C4_SETUP, ["c4"]),
    (C8_SETUP, C8_SETUP, ["c8"]),
    (C8_SETUP - 1, C8_SETUP - 1, []),
    (at(2026, 3, 1, 10), at(2026, 3, 1, 11, 30), ["c1", "c2"]),
]


@pytest.mark.parametrize("from_, till, calls", RANGES)
async def test_from_and_till_are_inclusive_to_the_second(query, from_, till, calls):
    result = await query({"from": from_, "till": till, "group_by_hour": 1})
    assert result["aggregates"] == by_hour(*calls)


DAY_S = 86400
TOO_LONG = {"till": "The range from `from` to `till` exceeds 366 days."}
RANGE_ERRORS = [  # (params, data of the -32602 answer)
    ({"from": C4_SETUP, "till": C3_SETUP}, {"from": "Must not be after till."}),
    ({"from": at(2026, 3, 1), "till": at(2026, 3, 1) + 367 * DAY_S - 1}, TOO_LONG),
    ({"from": at(2020, 1, 1), "till": at(2026, 3, 3)}, TOO_LONG),
    ({"till": at(2026, 3, 3)}, {"from": "Must not be after till."}),  # from: today, later
    ({"from": at(2025, 1, 1)}, TOO_LONG),  # till: today, 2026-11 or later
]


@pytest.mark.parametrize("params, data_", RANGE_ERRORS)
async def test_range_errors_name_the_field(send, data, params, data_):
    assert await send(params) == invalid(data_)


@pytest.mark.parametrize("params", [
    {"from": at(2026, 3, 1), "till": at(2026, 3, 1) + 366 * DAY_S - 1},  # 366 whole days
    {"from": at(2026, 3, 1)},  # till: today 23:59:59
])
async def test_a_range_within_the_limit(query, params):
    # MAIN and the six calls of October; nothing is dated later than October
    assert await query({**params, "group_by_user": 1}) == {
        "aggregates": rows(USER, (ONE, 11, 3, 27.27, 240, 80, 2, "2.08", "0.95"),
                           (TWO, USER_TWO), (ROOT_RETAIL, C9)),
        "totals": totals(15, 7, 46.67, 385, 55, 1.75, "3.43", "1.35"),
        "currency": "USD", "timezone": "UTC"}


async def test_the_default_range_is_today_in_the_configured_zone(query, ingest):
    now = int(time.time())
    midnight = now - now % DAY_S
    await ingest([failed("today", max(now - 180, midnight)), failed("yesterday", midnight - 1)])
    assert await query({}) == {
        "aggregates": rows(DEFAULT_KEYS, (ONE, NULL2, "Lithuania Mobile", FAIL)),
        "totals": totals(*FAIL), "currency": "USD", "timezone": "UTC"}


# --- days and hours in a zone ---------------------------------------------------------------

VILNIUS = "Europe/Vilnius"
OCTOBER = {"from": at(2026, 10, 24, 20), "till": at(2026, 10, 26)}
ONE_ANSWERED = (1, 1, 100, 30, 30, 0, "0.00", "0.00")  # d3
ZONES = [  # (params, expected rows)
    pytest.param({**OCTOBER, "group_by_day": 1, "timezone": VILNIUS}, rows(
        ["day"], ("2026-10-24", FAIL), ("2026-10-25", 4, 1, 25, 30, 30, 0, "0.00", "0.00"),
        ("2026-10-26", FAIL)), id="vilnius-days"),
    pytest.param({**OCTOBER, "group_by_hour": 1, "timezone": VILNIUS}, rows(
        ["hour"], ("2026-10-24 23:00", FAIL), ("2026-10-25 00:00", FAIL),
        ("2026-10-25 03:00", 2, 1, 50, 30, 30, 0, "0.00", "0.00"),  # the repeated hour
        ("2026-10-25 23:00", FAIL), ("2026-10-26 00:00", FAIL)), id="vilnius-hours"),
    pytest.param({"from": at(2026, 10, 24, 21), "till": at(2026, 10, 25, 21, 59, 59),
                  "group_by_day": 1, "timezone": VILNIUS},
                 rows(["day"], ("2026-10-25", 4, 1, 25, 30, 30, 0, "0.00", "0.00")),
                 id="vilnius-25-hour-day"),
    pytest.param({**OCTOBER, "group_by_day": 1, "timezone": "UTC"}, rows(
        ["day"], ("2026-10-24", 2, 0, 0, 0, 0, 0, "0.00", "0.00"),
        ("2026-10-25", 4, 1, 25, 30, 30, 0, "0.00", "0.00")), id="utc-days"),
    pytest.param({**OCTOBER, "group_by_hour": 1}, rows(
        ["hour"], ("2026-10-24 20:00", FAIL), ("2026-10-24 21:00", FAIL),
        ("2026-10-25 00:00", ONE_ANSWERED), ("2026-10-25 01:00", FAIL),
        ("2026-10-25 21:00", FAIL), ("2026-10-25 22:00", FAIL)), id="utc-hours"),
    pytest.param({**MAIN, "group_by_day": 1, "timezone": "Asia/Kolkata"}, rows(
        ["day"], ("2026-03-01", 2, 1, 50, 120, 120, 1.5, "0.88", "0.55"),  # c1 c2
        ("2026-03-02", 5, 4, 80, 190, 47.5, 2.25, "2.25", "0.74"),  # c3 c4 c5 c6 c9
        ("2026-03-03", C7), ("2026-03-04", FAIL)), id="kolkata-days"),  # c8: 05:29:59
]


@pytest.mark.parametrize("params, expected", ZONES)
async def test_days_and_hours_in_the_requested_zone(query, params, expected):
    result = await query(params)
    assert result["aggregates"] == expected
    assert result["timezone"] == params.get("timezone", "UTC")


# --- currencies -----------------------------------------------------------------------------

def days(*money: tuple[str, str]) -> list[dict[str, Any]]:
    """MAIN by UTC day, with the given (price, cost) per day."""
    return rows(["day"], *[(day, figures[:6], m) for (day, figures), m in zip(
        (("2026-03-01", DAY1), ("2026-03-02", DAY2), ("2026-03-03", DAY3)), money,
        strict=True)])


CURRENCIES = [  # (a_currency, rows by day, (price, cost) of the totals, the answer's currency)
    pytest.param("USD", days(("1.48", "0.75"), ("1.65", "0.54"), ("0.30", "0.06")),
                 ("3.43", "1.35"), "USD", id="usd"),
    # EUR: 03-01 0.80 + 0.60/1.10 = 1.3454..; 03-02 0.2875 + 1.305/1.20 = 1.375 (half-even)
    pytest.param("EUR", days(("1.35", "0.68"), ("1.38", "0.45"), ("0.25", "0.05")),
                 ("2.97", "1.18"), "EUR", id="eur"),
    pytest.param("eur", days(("1.35", "0.68"), ("1.38", "0.45"), ("0.25", "0.05")),
                 ("2.97", "1.18"), "EUR", id="lower-case"),
    # JPY (0 digits): 03-01 (0.88 + 0.60) / 0.0064 = 231.25
    pytest.param("JPY", days(("231", "117"), ("258", "84"), ("47", "9")),
                 ("536", "211"), "JPY", id="jpy"),
    # KWD (3 digits): 03-01 1.48 / 3.20 = 0.4625 (half-even)
    pytest.param("KWD", days(("0.462", "0.234"), ("0.516", "0.169"), ("0.094", "0.019")),
                 ("1.072", "0.422"), "KWD", id="kwd"),
]


@pytest.mark.parametrize("currency, expected, total_money, answered_in", CURRENCIES)
async def test_amounts_in_a_currency(query, currency, expected, total_money, answered_in):
    assert await query({**MAIN, "group_by_day": 1, "a_currency": currency}) == {
        "aggregates": expected, "totals": totals(*TOTAL[:6], *total_money),
        "currency": answered_in, "timezone": "UTC"}


@pytest.mark.parametrize("params, expected", [
    ({"from": at(2026, 2, 27), "till": at(2026, 2, 27, 23, 59, 59), "a_currency": "eur"},
     totals(1, 1, 100, 60, 60, 0, "1.50", "0.90")),  # c0: EUR only; no EUR rate that day
    ({"from": at(2026, 2, 26), "till": at(2026, 2, 26, 23, 59, 59)},
     totals(1, 1, 100, 10, 10, 0, "0.05", "0.01")),  # c10: USD only; no rate at all that day
])
async def test_an_amount_in_the_target_currency_needs_no_rate(query, params, expected):
    assert (await query(params))["totals"] == expected


def rate_missing(message: str) -> dict[str, Any]:
    return error(422, f"currency-rate-missing: {message}",
                 {"code": "currency-rate-missing", "message": message})


@pytest.mark.parametrize("params, message", [
    ({"from": at(2026, 2, 27), "till": MAIN["till"]}, "no EUR rate for 2026-02-27"),
    ({"from": at(2026, 2, 26), "till": MAIN["till"], "group_by_day": 1},
     "no EUR rate for 2026-02-27"),
    ({**MAIN, "a_currency": "GBP"}, "no GBP rate for 2026-03-01"),
    ({"from": at(2026, 2, 26), "till": at(2026, 2, 26, 23, 59, 59), "a_currency": "JPY"},
     "no JPY rate for 2026-02-26"),
])
async def test_a_missing_rate(send, data, params, message):
    assert await send(params) == rate_missing(message)


# --- options --------------------------------------------------------------------------------

OPTIONS = [  # (caller, params, expected rows, expected totals, extra figures)
    pytest.param(ADMIN, {"group_by_user": 1, "use_real_billsec": 1}, rows(
        USER, (ONE, 5, 2, 40, 205, 102.5, 2, "2.08", "0.95"),
        (TWO, 3, 3, 100, 130, 43.33, 1.51, "1.24", "0.38"), (ROOT_RETAIL, C9)),
        totals(9, 6, 66.67, 345, 57.5, 1.75, "3.43", "1.35"), id="real-billsec"),
    pytest.param(ADMIN, {"group_by_user": 1, "from_user_perspective": 1}, rows(
        USER, (ONE, USER_ONE[:6], "2.60", "0.95"), (TWO, USER_TWO[:6], "1.59", "0.38"),
        (ROOT_RETAIL, C9)), totals(*TOTAL[:6], "4.29", "1.35"), id="user-perspective"),
    pytest.param(ADMIN, {"group_by_user": 1, "answered_calls": 0}, rows(
        USER, (ONE, USER_ONE), (TWO, USER_TWO), (ROOT_RETAIL, C9)), totals(*TOTAL),
        id="answered-0"),
    pytest.param(ADMIN, {"group_by_user": 1, "answered_calls": 2}, rows(
        USER, (ONE, USER_ONE), (TWO, USER_TWO)), totals(*TOTAL), id="answered-2"),
    pytest.param(ADMIN, {"group_by_user": 1, "answered_calls": 3}, rows(
        USER, (TWO, USER_TWO)), totals(*TOTAL), id="answered-3"),
    pytest.param(ADMIN, {"group_by_user": 1, "answered_calls": 4}, [], totals(*TOTAL),
                 id="answered-4"),
    pytest.param(ADMIN, {"group_by_day": 1, "profit_show": 1}, rows(
        ["day"], ("2026-03-01", DAY1, "0.73", 49.32), ("2026-03-02", DAY2, "1.11", 67.27),
        ("2026-03-03", DAY3, "0.24", 80), extra=PROFIT),
        totals(*TOTAL, "2.08", 60.64, extra=PROFIT), id="profit-by-day"),
    pytest.param(ADMIN, {"group_by_dst": 1, "profit_show": 1}, rows(
        ["dst"], ("370", FAIL, "0.00", None), ("3706", LT_MOBILE, "1.44", 56.92),
        ("371", LATVIA, "0.24", 80), ("49", GERMANY, "0.40", 66.67), extra=PROFIT),
        totals(*TOTAL, "2.08", 60.64, extra=PROFIT), id="profit-margin-null"),
    pytest.param(ADMIN, {"group_by_dst": 1, "profit_show": 1, "answered_calls": 1}, rows(
        ["dst"], ("3706", LT_MOBILE, "1.44", 56.92), ("371", LATVIA, "0.24", 80),
        ("49", GERMANY, "0.40", 66.67), extra=PROFIT),
        totals(*TOTAL, "2.08", 60.64, extra=PROFIT), id="profit-answered-1"),
]


# --- tenancy and roles ----------------------------------------------------------------------

# A reseller: terminator and provider hidden; price = amount, cost = reseller_amount; no c9
RES_TOTAL = (8, 5, 62.5, 345, 69, 1.75, "4.19", "3.03")
RES_USERS = rows(USER, (ONE, USER_ONE[:6], "2.60", "2.08"),  # cost 0.88 + 1.205
                 (TWO, USER_TWO[:6], "1.59", "0.94"))  # cost 0.60 + 0.345 + 0 (c7 has none)
TENANCY = [  # (caller, params, expected rows, expected totals)
    pytest.param(RESELLER, {}, rows(
        DEFAULT_KEYS, (ONE, NULL2, "Germany", FAIL), (ONE, NULL2, "Latvia", FAIL),
        (ONE, NULL2, "Lithuania", FAIL),
        (ONE, NULL2, "Lithuania Mobile", 2, 2, 100, 210, 105, 2, "2.60", "2.08"),
        (TWO, NULL2, "Germany", 1, 1, 100, 60, 60, 2, "0.75", "0.60"),
        (TWO, NULL2, "Latvia", 1, 1, 100, 45, 45, 1.02, "0.30", "0.00"),
        (TWO, NULL2, "Lithuania Mobile", 1, 1, 100, 30, 30, 0, "0.54", "0.34")),
        totals(*RES_TOTAL), id="reseller-default"),
    pytest.param(RESELLER, {"group_by_user": 1}, RES_USERS, totals(*RES_TOTAL),
                 id="reseller-user"),
    pytest.param(RESELLER, {"group_by_user": 1, "from_user_perspective": 1}, RES_USERS,
                 totals(*RES_TOTAL), id="reseller-user-perspective"),
    pytest.param(("admin", "res"), {"group_by_user": 1}, RES_USERS, totals(*RES_TOTAL),
                 id="admin-of-res"),
    pytest.param(RESELLER, {"group_by_terminator": 1, "group_by_provider": 1,
                            "group_by_provider_rate": 1},
                 rows(TERM + PROV + ["provider_rate"], (NULL2, NULL2, None, RES_TOTAL)),
                 totals(*RES_TOTAL), id="reseller-hidden-keys"),
    pytest.param(RESELLER, {"group_by_day": 1, "profit_show": 1}, rows(
        ["day"], ("2026-03-01", 3, 2, 66.67, 180, 90, 1.75, "1.85", "1.48", "0.37", 20),
        ("2026-03-02", 3, 2, 66.67, 120, 60, 2.5, "2.04", "1.55", "0.49", 24.02),
        ("2026-03-03", 2, 1, 50, 45, 45, 1.02, "0.30", "0.00", "0.30", 100), extra=PROFIT),
        totals(*RES_TOTAL, "1.16", 27.68, extra=PROFIT), id="reseller-profit"),
    pytest.param(RESELLER, {"s_originator_id": 201, "group_by_device": 1},
                 rows(DEVICE, (PBX2, USER_TWO[:6], "1.59", "0.94")),
                 totals(*USER_TWO[:6], "1.59", "0.94"), id="reseller-filter"),
    pytest.param(ACCOUNTANT, {"group_by_user": 1}, rows(
        USER, (ONE, USER_ONE), (TWO, USER_TWO), (ROOT_RETAIL, C9)), totals(*TOTAL),
        id="accountant"),
    # a customer's key never sees reseller_amount: its cost is nothing
    pytest.param(("accountant", "cust1"), {"group_by_user": 1},
                 rows(USER, (ONE, USER_ONE[:6], "2.60", "0.00")),
                 totals(*USER_ONE[:6], "2.60", "0.00"), id="customer-accountant"),
]


@pytest.mark.parametrize("caller, params, expected, expected_totals", OPTIONS + TENANCY)
async def test_options_and_tenancy(query, caller, params, expected, expected_totals):
    result = await query({**MAIN, **params}, caller)
    assert result["aggregates"] == expected
    assert result["totals"] == expected_totals


@pytest.mark.parametrize("role, tenant", [("customer", "cust1"), ("ingest", "root")])
async def test_customer_and_ingest_keys_may_not_call(send, data, role, tenant):
    assert await send(MAIN, (role, tenant)) == forbidden(role, METHOD)


# --- types ----------------------------------------------------------------------------------

NOT_INT, NOT_STR = "Not a valid integer.", "Not a valid string."
TYPES = [  # (params, data of the -32602 answer)
    ({"group_by_user": "1"}, {"group_by_user": NOT_INT}),
    ({"group_by_day": True}, {"group_by_day": NOT_INT}),
    ({"profit_show": False}, {"profit_show": NOT_INT}),
    ({"use_real_billsec": 1.0}, {"use_real_billsec": NOT_INT}),
    ({"group_by_hour": 2},
     {"group_by_hour": "Must be greater than or equal to 0 and less than or equal to 1."}),
    ({"from": "1772323200"}, {"from": NOT_INT}),
    ({"from": "2026-03-01 00:00:00"}, {"from": NOT_INT}),
    ({"till": 1.5}, {"till": NOT_INT}),
    ({"s_originator_id": "101"}, {"s_originator_id": NOT_INT}),
    ({"s_device": True}, {"s_device": NOT_INT}),
    ({"s_duration": "60"}, {"s_duration": NOT_INT}),
    ({"answered_calls": "2"}, {"answered_calls": NOT_INT}),
    ({"a_src": 4930}, {"a_src": NOT_STR}),
    ({"dst_group": ["Latvia"]}, {"dst_group": NOT_STR}),
    ({"a_currency": 978}, {"a_currency": NOT_STR}),
    ({"a_currency": "XYZ"}, {"a_currency": "not an ISO 4217 currency code: 'XYZ'"}),
    ({"timezone": "Mars/Olympus"}, {"timezone": "Unknown time zone 'Mars/Olympus'"}),
    ({"format": "json"}, {"format": "Unknown field."}),  # route only
    ({"group_by_user": "1", "from": "x", "colour": 1},
     {"group_by_user": NOT_INT, "from": NOT_INT, "colour": "Unknown field."}),
]


@pytest.mark.parametrize("params, data_", TYPES)
async def test_types_are_strict(send, data, params, data_):
    assert await send({**MAIN, **params}) == invalid(data_)


@pytest.mark.parametrize("params, expected", [
    ([MAIN["from"], MAIN["till"], "USD", 1], rows(
        USER, (ONE, USER_ONE), (TWO, USER_TWO), (ROOT_RETAIL, C9))),
    ([MAIN["from"], MAIN["till"], "usd", 0, 0, 0, 0, 0, 0, 1], rows(
        ["day"], ("2026-03-01", DAY1), ("2026-03-02", DAY2), ("2026-03-03", DAY3))),
])
async def test_params_by_position(query, params, expected):
    assert (await query(params))["aggregates"] == expected


# --- a configured zone ----------------------------------------------------------------------

KIRITIMATI = "Pacific/Kiritimati"  # UTC+14, no daylight saving


class TestConfiguredZone:
    @pytest.fixture
    def config(self, engine: str, tmp_path: Path) -> Config:
        return make_config(tmp_path, timezone=KIRITIMATI)

    async def test_days_are_local_to_the_configured_zone(self, query):
        assert await query({**MAIN, "group_by_day": 1}) == {
            "aggregates": rows(
                ["day"],
                ("2026-03-02", 5, 3, 60, 210, 70, 1.75, "1.82", "0.87"),  # c1-c5: 1.825
                ("2026-03-03", 2, 2, 100, 100, 50, 2.5, "1.30", "0.42"),  # c6 c9: 1.305
                ("2026-03-04", DAY3)),  # c7 c8
            "totals": totals(*TOTAL), "currency": "USD", "timezone": KIRITIMATI}
        result = await query({**MAIN, "group_by_day": 1, "timezone": "UTC"})
        assert result["aggregates"] == rows(
            ["day"], ("2026-03-01", DAY1), ("2026-03-02", DAY2), ("2026-03-03", DAY3))
        assert result["timezone"] == "UTC"

    async def test_the_default_range_is_today_in_the_configured_zone(self, query, ingest):
        local = dt.datetime.now(zoneinfo.ZoneInfo(KIRITIMATI))
        midnight = int(local.replace(hour=0, minute=0, second=0, microsecond=0).timestamp())
        await ingest([failed("before", midnight - 1), failed("first", midnight)])
        result = await query({})
        assert result["totals"] == totals(*FAIL) and result["timezone"] == KIRITIMATI
        now = int(time.time())
        utc_today = sum(t >= now - now % DAY_S for t in (midnight - 1, midnight))
        assert (await query({"timezone": "UTC"}))["totals"]["total_calls"] == utc_today
