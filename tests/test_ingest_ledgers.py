"""`ingest.transactions`, `ingest.acd_sessions`, `ingest.code_decks` and
`ingest.currency_rates` (spec ingest.md section 2): batches, per-record errors, idempotent
by id, each entry owned by a tenant of the caller's subtree. Values are read back from the
store: times as Unix seconds (UTC), amounts as integers of millionths."""

from __future__ import annotations

import calendar
from decimal import Decimal
from typing import Any, Awaitable, Callable

import pytest
from envelopes import answer, rejection

from gateway.web import appkeys

Ingest = Callable[..., Awaitable[dict[str, Any]]]
NOT_FOUND = 'Object "{}({})" was not found!'


def at(year: int, month: int, day: int, hour: int = 0, minute: int = 0, second: int = 0) -> int:
    """Unix seconds of a UTC wall-clock time (independent of the code under test)."""
    return calendar.timegm((year, month, day, hour, minute, second, 0, 0, 0))


@pytest.fixture
def ingest(rpc: Any, ingest_key: str) -> Ingest:
    """`await ingest(method, records, key=...)` -> the result of a successful call."""
    async def send(method: str, records: list[Any], key: str | None = None) -> dict[str, Any]:
        response = await rpc(method, {"records": records}, key=key or ingest_key)
        assert set(response) == {"jsonrpc", "result", "id"}, response
        result: dict[str, Any] = response["result"]
        return result
    return send


@pytest.fixture
def rows(client: Any) -> Callable[..., Awaitable[list[dict[str, Any]]]]:
    async def fetch(sql: str, *params: Any) -> list[dict[str, Any]]:
        return list(await client.app[appkeys.DB].fetch_all(sql, params))
    return fetch


@pytest.fixture
async def tree(make_tenant: Any, make_key: Any) -> dict[str, Any]:
    """root > resA > custA1, root > resB; an ingest key at resA and one at resB."""
    ids = {name: (await make_tenant(name, parent))["id"]
           for name, parent in (("resA", "root"), ("custA1", "resA"), ("resB", "root"))}
    return {"ids": ids,
            "resA": await make_key("ingest", tenant="resA", rate_limit="unlimited"),
            "resB": await make_key("ingest", tenant="resB", rate_limit="unlimited")}


# --- ingest.transactions ----------------------------------------------------------------------

def transaction(transaction_id: int = 1, **fields: Any) -> dict[str, Any]:
    return {"transaction_id": transaction_id, "performed_at": "2026-03-01T12:00:00+02:00",
            "amount": "-12.345678", "currency": "EUR", "transaction_type": "resource_charge",
            **fields}


async def stored_transactions(rows: Any) -> list[dict[str, Any]]:
    found = await rows("SELECT * FROM transactions ORDER BY id")
    for row in found:
        del row["content_hash"]
    return found


async def test_transactions_are_stored_exactly_and_once(ingest, rows, tree):
    ids = tree["ids"]
    first = transaction(1, user_id=5, transaction_description="calls of March")
    second = transaction(2, tenant="custA1", amount="100", currency="USD",
                         transaction_type="card_payment", is_uncommitted=True,
                         performed_at="2026-03-01T10:00:00.75Z")
    assert await ingest("ingest.transactions", [first, second], key=tree["resA"]) == answer(2)
    expected = [
        {"id": 1, "tenant_id": ids["resA"], "user_id": 5, "performed_at": at(2026, 3, 1, 10),
         "amount": -12345678, "currency": "EUR", "transaction_type": "resource_charge",
         "description": "calls of March", "is_uncommitted": 0},
        {"id": 2, "tenant_id": ids["custA1"], "user_id": None, "performed_at": at(2026, 3, 1, 10),
         "amount": 100000000, "currency": "USD", "transaction_type": "card_payment",
         "description": None, "is_uncommitted": 1}]
    assert await stored_transactions(rows) == expected
    # the same batch again; then one record twice in a batch
    assert await ingest("ingest.transactions", [first, second], key=tree["resA"]) == answer(
        unchanged=2)
    assert await ingest("ingest.transactions", [second, second], key=tree["resA"]) == answer(
        unchanged=2)
    assert await stored_transactions(rows) == expected
    # an update by id
    corrected = {**first, "amount": "-12.5"}
    assert await ingest("ingest.transactions", [corrected, second, corrected],
                        key=tree["resA"]) == answer(1, 2)
    expected[0]["amount"] = -12500000
    assert await stored_transactions(rows) == expected


async def test_each_bad_transaction_is_rejected_alone(ingest, rows, tree):
    assert await ingest("ingest.transactions", [transaction(9)], key=tree["resB"]) == answer(1)
    bad = [
        (transaction(amount="0.0000001"), {"amount": "more than 6 decimal places: '0.0000001'"}),
        ({k: v for k, v in transaction().items() if k != "currency"},
         {"currency": "Missing data for required field."}),
        (transaction(currency="EURO"), {"currency": "not an ISO 4217 currency code: 'EURO'"}),
        (transaction(performed_at="2026-03-01T12:00:00"), {
            "performed_at": "the timestamp has no offset (add Z for UTC): '2026-03-01T12:00:00'"}),
        (transaction(account="x"), {"account": "Unknown field."}),
        (transaction(tenant="resB"), {"tenant": NOT_FOUND.format("tenants", "resB")}),
        (transaction(9), {"transaction_id": NOT_FOUND.format("transactions", 9)}),
        ("junk", {"record": "a record must be a JSON object"}),
    ]
    batch: list[Any] = []
    for record, _ in bad:
        batch += [record, transaction(len(batch) + 100)]
    result = await ingest("ingest.transactions", batch, key=tree["resA"])
    assert result == answer(len(bad), rejected=[
        rejection(2 * i, errors) for i, (_, errors) in enumerate(bad)])
    assert [r["id"] for r in await rows("SELECT id FROM transactions ORDER BY id")] == [
        9, *range(100, 100 + 2 * len(bad), 2)]
    assert await rows("SELECT tenant_id, amount FROM transactions WHERE id = 9") == [
        {"tenant_id": tree["ids"]["resB"], "amount": -12345678}]


async def test_a_transaction_type_outside_the_documented_list_is_rejected(ingest, rows):
    """Typed as documented for GetTransactionHistory: its transaction_type enum."""
    result = await ingest("ingest.transactions", [
        transaction(1, transaction_type="adjustment"),
        transaction(2, transaction_type="free money")])
    assert result["accepted"] == 1
    assert [(r["index"], list(r["errors"])) for r in result["rejected"]] == [
        (1, ["transaction_type"])]


async def test_an_integer_beyond_the_stores_range_is_rejected_alone(ingest, rows):
    result = await ingest("ingest.transactions", [transaction(1, user_id=2 ** 63),
                                                  transaction(2)])
    assert [(r["index"], list(r["errors"])) for r in result["rejected"]] == [(0, ["user_id"])]
    result = await ingest("ingest.acd_sessions", [acd(1, acd_queue_id=2 ** 63), acd(2)])
    assert [(r["index"], list(r["errors"])) for r in result["rejected"]] == [
        (0, ["acd_queue_id"])]


async def test_an_acd_priority_beyond_32_bits_is_treated_alike_on_every_engine(ingest, rows):
    """ACDSessionInfoType's priority is an int: stored as sent, or refused alone."""
    result = await ingest("ingest.acd_sessions", [acd(3, priority=2 ** 31), acd(4)])
    stored = await rows("SELECT priority FROM acd_sessions WHERE id = 3")
    refused = [(r["index"], list(r["errors"])) for r in result["rejected"]]
    assert (refused, stored) in (([], [{"priority": 2 ** 31}]), ([(0, ["priority"])], []))
    assert await rows("SELECT id FROM acd_sessions WHERE id = 4") == [{"id": 4}]


# --- ingest.acd_sessions ----------------------------------------------------------------------

def acd(session_id: int = 1, events: list[dict[str, Any]] | None = None,
        **fields: Any) -> dict[str, Any]:
    return {"acd_session_history_id": session_id, "acd_request_id": f"req-{session_id}",
            "begin_time": "2026-03-01T09:00:00-05:00", "events": events or [], **fields}


def event(event_id: int, type_: str = "enqueued", second: int = 0, **fields: Any) -> dict[str, Any]:
    return {"acd_session_event_id": event_id, "time": f"2026-03-01T14:00:{second:02d}Z",
            "type": type_, **fields}


async def stored_acd(rows: Any) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    sessions = await rows("SELECT * FROM acd_sessions ORDER BY id")
    for row in sessions:
        del row["content_hash"]
    return sessions, await rows("SELECT * FROM acd_session_events ORDER BY id")


async def test_acd_sessions_are_stored_with_their_events_and_events_replaced(ingest, rows):
    first = acd(1, events=[event(11), event(12, "answered", 30, user_id=4, custom_data="x")],
                acd_queue_id=3, user_id=4, priority=2, waiting_duration=30,
                in_service_duration=120, after_service_duration=10, operator_hangup=True,
                unserviced=False)
    assert await ingest("ingest.acd_sessions", [first, acd(2)]) == answer(2)
    session = {"id": 1, "tenant_id": 1, "acd_request_id": "req-1", "acd_queue_id": 3,
               "user_id": 4, "begin_time": at(2026, 3, 1, 14), "priority": 2,
               "waiting_duration": 30, "in_service_duration": 120, "after_service_duration": 10,
               "operator_hangup": 1, "unserviced": 0, "rejected": None}
    other = {"id": 2, "tenant_id": 1, "acd_request_id": "req-2", "acd_queue_id": None,
             "user_id": None, "begin_time": at(2026, 3, 1, 14), "priority": 0,
             "waiting_duration": None, "in_service_duration": None,
             "after_service_duration": None, "operator_hangup": None, "unserviced": None,
             "rejected": None}
    events = [
        {"id": 11, "acd_session_id": 1, "time": at(2026, 3, 1, 14), "type": "enqueued",
         "user_id": None, "custom_data": None},
        {"id": 12, "acd_session_id": 1, "time": at(2026, 3, 1, 14, 0, 30), "type": "answered",
         "user_id": 4, "custom_data": "x"}]
    assert await stored_acd(rows) == ([session, other], events)
    assert await ingest("ingest.acd_sessions", [first, acd(2)]) == answer(unchanged=2)
    assert await stored_acd(rows) == ([session, other], events)
    # an update replaces the events: 11 goes, 12 changes, 13 comes
    update = {**first, "events": [event(12, "hung up", 40), event(13, "wrap-up", 50)],
              "after_service_duration": 15}
    assert await ingest("ingest.acd_sessions", [update, update]) == answer(1, 1)
    assert await stored_acd(rows) == ([{**session, "after_service_duration": 15}, other], [
        {"id": 12, "acd_session_id": 1, "time": at(2026, 3, 1, 14, 0, 40), "type": "hung up",
         "user_id": None, "custom_data": None},
        {"id": 13, "acd_session_id": 1, "time": at(2026, 3, 1, 14, 0, 50), "type": "wrap-up",
         "user_id": None, "custom_data": None}])


async def test_each_bad_acd_session_is_rejected_alone(ingest, rows, tree):
    assert await ingest("ingest.acd_sessions", [acd(1, events=[event(11)])],
                        key=tree["resB"]) == answer(1)
    assert await ingest("ingest.acd_sessions", [acd(2, events=[event(21)])],
                        key=tree["resA"]) == answer(1)
    before = await stored_acd(rows)
    result = await ingest("ingest.acd_sessions", [
        acd(3, events=[event(31), event(21)]),
        acd(1),
        acd(4, tenant="resB"),
        acd(5, begin_time="2026-03-01 09:00:00"),
        acd(6, events=[{"acd_session_event_id": 61, "type": "x"}]),
        {k: v for k, v in acd(7).items() if k != "acd_request_id"},
    ], key=tree["resA"])
    assert result == answer(rejected=[
        rejection(0, {"events.1.acd_session_event_id": NOT_FOUND.format(
            "acd_session_events", 21)}),
        rejection(1, {"acd_session_history_id": NOT_FOUND.format("acd_sessions", 1)}),
        rejection(2, {"tenant": NOT_FOUND.format("tenants", "resB")}),
        rejection(3, {"begin_time": "the timestamp has no offset (add Z for UTC): "
                                    "'2026-03-01 09:00:00'"}),
        rejection(4, {"events.0.time": "Missing data for required field."}),
        rejection(5, {"acd_request_id": "Missing data for required field."}),
    ])
    assert await stored_acd(rows) == before


# --- ingest.code_decks ------------------------------------------------------------------------

def deck(deck_id: int = 7, name: str = "Europe", codes: list[tuple[str, str, str | None]]
         | None = None, **fields: Any) -> dict[str, Any]:
    codes = codes if codes is not None else [
        ("3", "Europe", None), ("37", "Europe 37", None), ("370", "Lithuania", "LT"),
        ("3706", "Lithuania Mobile", "LT")]
    return {"code_deck_id": deck_id, "name": name, "codes": [
        {"prefix": p, "name": n, "country": c} for p, n, c in codes], **fields}


async def stored_decks(rows: Any) -> tuple[list[dict[str, Any]], list[tuple[Any, ...]]]:
    decks = await rows("SELECT id, tenant_id, name FROM code_decks ORDER BY id")
    codes = await rows("SELECT code_deck_id, prefix, name, country FROM code_deck_codes "
                       "ORDER BY code_deck_id, prefix")
    return decks, [tuple(c.values()) for c in codes]


async def test_a_code_deck_is_created_then_replaced_whole(ingest, rows):
    assert await ingest("ingest.code_decks", [deck()]) == answer(1)
    lt = [(7, "3", "Europe", None), (7, "37", "Europe 37", None), (7, "370", "Lithuania", "LT"),
          (7, "3706", "Lithuania Mobile", "LT")]
    assert await stored_decks(rows) == ([{"id": 7, "tenant_id": 1, "name": "Europe"}], lt)
    assert await ingest("ingest.code_decks", [deck(), deck()]) == answer(unchanged=2)
    replaced = deck(name="Baltics", codes=[("370", "LT", "LT"), ("371", "LV", "LV")])
    assert await ingest("ingest.code_decks", [replaced]) == answer(1)
    assert await stored_decks(rows) == ([{"id": 7, "tenant_id": 1, "name": "Baltics"}], [
        (7, "370", "LT", "LT"), (7, "371", "LV", "LV")])
    # the next sessions resolve against the new codes
    assert await ingest("ingest.sessions", [{
        "session_id": "c1", "setup_time": "2026-03-01T10:00:00Z", "legs": [
            {"leg_id": "a", "role": "orig", "dst": "+37061234567", "code_deck_id": 7}]}]) \
        == answer(1)
    assert await rows("SELECT dst_code, dst_name, dst_country FROM legs") == [
        {"dst_code": "370", "dst_name": "LT", "dst_country": "LT"}]


async def test_each_bad_code_deck_is_rejected_alone(ingest, rows, tree):
    assert await ingest("ingest.code_decks", [deck(9, codes=[("1", "NANP", None)])],
                        key=tree["resB"]) == answer(1)
    assert await ingest("ingest.code_decks", [deck(7)], key=tree["resA"]) == answer(1)
    before = await stored_decks(rows)
    result = await ingest("ingest.code_decks", [
        deck(7, codes=[("370", "Lithuania", "LT"), ("370", "Lietuva", "LT")]),
        deck(9, codes=[]),
        deck(10, tenant="resB"),
        deck(11, codes=[("44", "", None)]),
        deck(12, name="Europe 2"),
    ], key=tree["resA"])
    assert result == answer(1, rejected=[
        rejection(0, {"codes": "a prefix appears twice"}),
        rejection(1, {"code_deck_id": NOT_FOUND.format("code_decks", 9)}),
        rejection(2, {"tenant": NOT_FOUND.format("tenants", "resB")}),
        rejection(3, {"codes.0.name": "Length must be between 1 and 256."}),
    ])
    decks, codes = await stored_decks(rows)
    assert (decks, codes) == (
        [*before[0], {"id": 12, "tenant_id": tree["ids"]["resA"], "name": "Europe 2"}],
        sorted(before[1] + [(12, *c[1:]) for c in before[1] if c[0] == 7]))


async def test_a_code_with_a_bad_or_missing_prefix_is_rejected_alone(ingest, rows):
    result = await ingest("ingest.code_decks", [
        deck(8, codes=[("370", "Lithuania", "LT"), ("+371", "Latvia", "LV")]),
        {**deck(9), "codes": [{"name": "Lithuania"}]},
        deck(10),
    ])
    assert result == answer(1, rejected=[
        rejection(0, {"codes.1.prefix": "1 to 16 digits"}),
        rejection(1, {"codes.0.prefix": "Missing data for required field."}),
    ])
    assert (await stored_decks(rows))[0] == [{"id": 10, "tenant_id": 1, "name": "Europe"}]


# --- ingest.currency_rates --------------------------------------------------------------------

def rate(currency: str, valid_from: str, rate_to_usd: Any) -> dict[str, Any]:
    return {"currency": currency, "valid_from": valid_from, "rate_to_usd": rate_to_usd}


async def stored_rates(rows: Any) -> list[tuple[str, str, Decimal]]:
    found = await rows("SELECT currency, valid_from, rate_to_usd FROM currency_rates "
                       "ORDER BY currency, valid_from")
    return [(r["currency"], r["valid_from"], Decimal(r["rate_to_usd"])) for r in found]


async def test_currency_rates_are_upserted_by_currency_and_day(ingest, rows):
    rates = [rate("EUR", "2026-03-01", "1.0825"), rate("EUR", "2026-03-02", "1.09"),
             rate("JPY", "2026-03-01", "0.006712"), rate("VND", "2026-03-01", "0.0000385")]
    assert await ingest("ingest.currency_rates", rates) == answer(4)
    expected = [("EUR", "2026-03-01", Decimal("1.0825")), ("EUR", "2026-03-02", Decimal("1.09")),
                ("JPY", "2026-03-01", Decimal("0.006712")),
                ("VND", "2026-03-01", Decimal("0.0000385"))]
    assert await stored_rates(rows) == expected
    assert await ingest("ingest.currency_rates", rates) == answer(unchanged=4)
    assert await ingest("ingest.currency_rates", [rates[0], rates[0]]) == answer(unchanged=2)
    # a new rate for the same currency and day replaces the old one
    assert await ingest("ingest.currency_rates", [rate("EUR", "2026-03-01", "1.0901"),
                                                  *rates[1:]]) == answer(1, 3)
    expected[0] = ("EUR", "2026-03-01", Decimal("1.0901"))
    assert await stored_rates(rows) == expected


async def test_each_bad_currency_rate_is_rejected_alone(ingest, rows):
    result = await ingest("ingest.currency_rates", [
        rate("EURO", "2026-03-01", "1.08"),
        rate("GBP", "2026-03-01", "0"),
        rate("GBP", "2026-03-01", "-1.2"),
        rate("GBP", "2026-03-01", "abc"),
        rate("GBP", "2026-02-30", "1.27"),
        {"currency": "GBP", "rate_to_usd": "1.27"},
        rate("GBP", "2026-03-01", "1.27"),
    ])
    positive = "Must be greater than 0."
    assert result == answer(1, rejected=[
        rejection(0, {"currency": "not an ISO 4217 currency code: 'EURO'"}),
        rejection(1, {"rate_to_usd": positive}),
        rejection(2, {"rate_to_usd": positive}),
        rejection(3, {"rate_to_usd": "Not a valid number."}),
        rejection(4, {"valid_from": "Not a valid date."}),
        rejection(5, {"valid_from": "Missing data for required field."}),
    ])
    assert await stored_rates(rows) == [("GBP", "2026-03-01", Decimal("1.27"))]
