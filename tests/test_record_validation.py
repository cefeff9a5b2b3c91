"""The compiled loader of session records against marshmallow: the same verdict, the same
loaded values (types included) and the same messages, for valid and subtly invalid records."""

from __future__ import annotations

import copy
import datetime as dt
from typing import Any

import pytest
from hypothesis import event, given, settings
from hypothesis import strategies as st
from marshmallow import ValidationError

from methods.ingest import compiled
from methods.ingest.batch import RecordRejected, load
from methods.ingest.record_fields import flatten
from methods.ingest.session_schema import LOAD_SESSION, SESSION

# Cheap examples (no store): many of them, more under the `fuzz` profile.
EXAMPLES = max(400, settings.default.max_examples)


def by_marshmallow(raw: Any) -> tuple[str, Any]:
    """The reference: the schema alone."""
    if not isinstance(raw, dict):
        return "rejected", {"record": "a record must be a JSON object"}
    try:
        return "loaded", dict(SESSION.load(raw))
    except ValidationError as exc:
        return "rejected", flatten(exc.normalized_messages())


def by_ingest(raw: Any) -> tuple[str, Any]:
    """What `ingest.sessions` does: the compiled loader first, the schema when undecided."""
    try:
        return "loaded", load(SESSION, raw)
    except RecordRejected as exc:
        return "rejected", exc.errors


def same(raw: Any) -> bool:
    """Asserts that both ways agree; True when the compiled loader decided."""
    expected, got = by_marshmallow(copy.deepcopy(raw)), by_ingest(raw)
    # repr tells True from 1, Decimal("1.0") from Decimal("1.00"), and the key order
    assert repr(got) == repr(expected)
    try:
        fast = LOAD_SESSION(raw)
    except compiled.Undecided:
        return False
    assert expected[0] == "loaded" and repr(fast) == repr(expected[1])
    return True


# --- values: canonical ones the fast path reads directly, and near misses -----------------

BAD_TIMES = [
    "1899-12-31T23:59:59Z", "1900-01-01T00:00:00Z", "1969-12-31T23:59:59Z",
    "9998-12-31T23:59:59Z", "9999-01-01T00:00:00Z", "0000-01-01T00:00:00Z",
    "1900-01-01T00:00:00+00:01", "9998-12-31T23:59:59-00:01",
    "2026-11-01T10:00:00", "2026-11-01 10:00:00Z", "2026-11-01t10:00:00z",
    "2026-02-30T00:00:00Z", "2026-11-01T24:00:00Z", "2026-11-01T10:60:00Z",
    "2026-11-01T10:00:60Z", " 2026-11-01T10:00:00Z", "2026-11-01T10:00:00Z ",
    "2026-11-01T10:00:00.999999Z", "2026-11-01T10:00:00.5+03:00", "2026-W44-7T10:00:00Z",
    "20261101T100000Z", "2026-11-01T10:00Z", "2026-11-01", "\u0662026-11-01T10:00:00Z",
    "2026-11-01T10:00:00+24:00", "2026-11-01T10:00:00-00:00", "", "Z",
]
BAD_AMOUNTS = [
    "0", "-0", "1.", ".5", "+1", "-1.5", "1e3", "1E-6", "NaN", "-Infinity", "1_000",
    "0.0000001", "1.0000000", " 1 ", "1 ", "9223372036854.775807", "9223372036854.775808",
    "-9223372036854.775808", "-9223372036854.775807", "99999999999999999999",
    "\u0663", "0x10", "--1", "-", "", "1.2.3",
]
CURRENCIES = ["EUR", "eur", "Eur", "USD", "XXX", "ZZZ", "", "EURO", "\u0131sk", "isk"]
JUNK = [True, False, 0, 1, -1, 2 ** 62, 2 ** 62 + 1, 2 ** 63 - 1, 2 ** 63, -(2 ** 63), 1.0,
        1.5, "x", "", "1", [], {}, [1], {"id": 1}, None, "a" * 129]

times = st.one_of(
    st.datetimes(min_value=dt.datetime(1890, 1, 1), max_value=dt.datetime(9999, 12, 31)).map(
        lambda d: d.strftime("%Y-%m-%dT%H:%M:%SZ")),
    st.sampled_from(BAD_TIMES))
amounts = st.one_of(
    st.decimals(allow_nan=False, allow_infinity=False, places=6,
                min_value=-10 ** 14, max_value=10 ** 14).map(str),
    st.decimals(allow_nan=True, allow_infinity=True).map(str),
    st.sampled_from(BAD_AMOUNTS))
ints = st.one_of(st.integers(-2, 5), st.integers(2 ** 62 - 1, 2 ** 63 + 1),
                 st.sampled_from([-(2 ** 63) - 1, 127, 128, True, False, 1.0]))
texts = st.one_of(st.text(max_size=6), st.sampled_from(["", "a" * 64, "a" * 65, "a" * 128,
                                                        "a" * 129, "a" * 257]))


def value_for(name: str) -> st.SearchStrategy[Any]:
    """Values that test the field `name`: its own kind, near misses and junk."""
    if name.endswith("_time") or name == "used_at":
        own: st.SearchStrategy[Any] = times
    elif name in ("amount", "reseller_amount", "cost"):
        own = amounts
    elif name == "currency":
        own = st.sampled_from(CURRENCIES)
    elif name in ("id", "billsec", "real_billsec", "pdd_ms", "hangup_cause", "seq",
                  "code_deck_id", "record_id", "duration", "file_size", "resource_usage_id"):
        own = ints
    elif name == "role":
        own = st.sampled_from(["orig", "term", "participant", "ORIG", ""])
    elif name == "kind":
        own = st.sampled_from(["call", "video", "Call"])
    elif name == "disposition":
        own = st.sampled_from(["ANSWERED", "NO ANSWER", "BUSY", "answered"])
    elif name == "incoming":
        own = st.sampled_from([True, False, "true", "yes", 1, 0, "no", "maybe"])
    elif name == "quantity":
        own = st.sampled_from(["1.5", "1.50", 2, 1.5, True, "x", "NaN", "1e2"])
    elif name in ("legs", "records", "resources"):
        own = st.sampled_from([[], None, "x", {}, ({},)])
    else:
        own = texts
    return st.one_of(own, own, st.sampled_from(JUNK))


@st.composite
def refs(draw: st.DrawFn, extra: str | None = None) -> dict[str, Any]:
    ref: dict[str, Any] = {"id": draw(st.integers(1, 10 ** 6))}
    if draw(st.booleans()):
        ref["name"] = draw(st.text(max_size=8))
    if extra and draw(st.booleans()):
        ref[extra] = draw(st.text(max_size=8))
    return ref


@st.composite
def legs(draw: st.DrawFn, leg_id: str, role: str, when: dict[str, str]) -> dict[str, Any]:
    leg: dict[str, Any] = {"leg_id": leg_id, "role": role}
    optional: dict[str, st.SearchStrategy[Any]] = {
        "src": st.text(max_size=12), "dst": st.from_regex(r"[0-9]{1,12}", fullmatch=True),
        "incoming": st.booleans(), "client": refs("tenant"), "account": refs("ident"),
        "owner_user": refs(), "user": refs(), "rates_code": st.text(max_size=4),
        "code_deck_id": st.integers(1, 99), "billsec": st.integers(0, 10 ** 5),
        "real_billsec": st.integers(0, 10 ** 5), "hangup_cause": st.integers(0, 127),
        "disposition": st.sampled_from(["ANSWERED", "NO ANSWER", "BUSY", "FAILED"]),
        "pdd_ms": st.integers(0, 10 ** 4), "name": st.text(max_size=8),
        "ip": st.sampled_from(["10.0.0.1", "::1"]), "call_num": st.text(max_size=4)}
    for name in draw(st.sets(st.sampled_from(sorted(optional)), max_size=8)):
        leg[name] = draw(optional[name])
    for name in draw(st.sets(st.sampled_from(["setup_time", "start_time", "end_time"]))):
        leg[name] = when[name]
    if draw(st.booleans()):
        leg["currency"] = draw(st.sampled_from(["EUR", "USD", "jpy"]))
        for name in draw(st.sets(st.sampled_from(["amount", "reseller_amount"]))):
            leg[name] = draw(st.sampled_from(["0.0125", "0", "-3.5", "12", "0.000001"]))
    return leg


@st.composite
def valid_records(draw: st.DrawFn) -> dict[str, Any]:
    video = draw(st.booleans())
    setup = draw(st.integers(1_700_000_000, 1_900_000_000))

    def stamp(seconds: int) -> dt.datetime:
        return dt.datetime.fromtimestamp(seconds, dt.timezone.utc)
    when = {"setup_time": stamp(setup).strftime("%Y-%m-%dT%H:%M:%SZ"),
            "start_time": stamp(setup + 5).strftime("%Y-%m-%dT%H:%M:%SZ"),
            "end_time": stamp(setup + 180).strftime("%Y-%m-%dT%H:%M:%SZ")}
    record: dict[str, Any] = {"session_id": draw(st.text(min_size=1, max_size=10)),
                              "setup_time": when["setup_time"]}
    if video or draw(st.booleans()):
        record["kind"] = "video" if video else "call"
    for name in draw(st.sets(st.sampled_from(["start_time", "end_time"]))):
        record[name] = when[name]
    count = draw(st.integers(1, 3))
    roles = ["participant"] * count if video else ["orig"] + ["term"] * (count - 1)
    record["legs"] = [draw(legs(f"l{n}", role, when)) for n, role in enumerate(roles)]
    if draw(st.booleans()):
        record["equipment"] = draw(refs())
    if draw(st.booleans()):
        record["tenant"] = draw(st.sampled_from(["acme", "a" * 64]))
    if video:
        for name in draw(st.sets(st.sampled_from(["room_id", "app_type", "audio_quality"]))):
            record[name] = "vc" if name == "app_type" else draw(st.text(max_size=6))
    if draw(st.integers(0, 3)) == 0:
        record["records"] = [{"record_id": draw(st.integers(1, 99)), "duration": 3,
                              "cost": "0.5", "start_time": when["start_time"],
                              "transcription_status": "Complete"}]
    if draw(st.integers(0, 3)) == 0:
        record["resources"] = [{"resource_usage_id": 7, "resource_type": "storage",
                                "quantity": draw(st.sampled_from(["1.5", "2"])),
                                "cost": "0.25", "used_at": when["end_time"]}]
    return record


def places(record: Any, path: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """Every dict and list in the record, and every value's path."""
    out = [path]
    if isinstance(record, dict):
        for key, value in record.items():
            out.extend(places(value, path + (key,)))
    elif isinstance(record, list):
        for index, value in enumerate(record):
            out.extend(places(value, path + (index,)))
    return out


def at(record: Any, path: tuple[Any, ...]) -> Any:
    for step in path:
        record = record[step]
    return record


@st.composite
def mutated(draw: st.DrawFn) -> dict[str, Any]:
    record = draw(valid_records())
    for _ in range(draw(st.integers(0, 3))):
        path = draw(st.sampled_from(places(record)))
        target = at(record, path)
        how = draw(st.sampled_from(["set", "set", "set", "delete", "unknown", "copy leg"]))
        if how == "set" and path:
            name = next((p for p in reversed(path) if isinstance(p, str)), "")
            at(record, path[:-1])[path[-1]] = draw(value_for(name))
        elif how == "delete" and path and isinstance(path[-1], str):
            del at(record, path[:-1])[path[-1]]
        elif how == "unknown" and isinstance(target, dict):
            target[draw(st.sampled_from(["colour", "Session_id", "legs ", ""]))] = 1
        elif how == "copy leg" and isinstance(record.get("legs"), list) and record["legs"]:
            record["legs"].append(copy.deepcopy(record["legs"][0]))
    return record


@settings(max_examples=EXAMPLES)
@given(valid_records())
def test_valid_records_are_decided_by_the_compiled_loader(record: dict[str, Any]) -> None:
    assert repr(LOAD_SESSION(copy.deepcopy(record))) == repr(dict(SESSION.load(record)))


@settings(max_examples=EXAMPLES)
@given(mutated())
def test_compiled_loader_and_fallback_agree_with_marshmallow(record: dict[str, Any]) -> None:
    decided = same(record)
    event("decided by the compiled loader" if decided else "left to marshmallow")


# --- exact cases, expected values by hand ------------------------------------------------

def call(**fields: Any) -> dict[str, Any]:
    record = {"session_id": "c1", "setup_time": "2026-11-01T10:00:00Z",
              "legs": [{"leg_id": "o", "role": "orig"}, {"leg_id": "t", "role": "term"}]}
    record.update(fields)
    return record


LEG_DEFAULTS = dict.fromkeys(
    ["src", "dst", "incoming", "client", "account", "owner_user", "user", "rates_code",
     "code_deck_id", "setup_time", "start_time", "end_time", "billsec", "real_billsec",
     "disposition", "hangup_cause", "pdd_ms", "amount", "reseller_amount", "currency", "name",
     "participant_role", "ip", "agent", "call_num", "call_log_id", "user_ref"])


def test_a_two_leg_call_loads_to_ints_and_defaults() -> None:
    raw = call(end_time="2026-11-01T12:03:00+02:00",
               legs=[{"leg_id": "o", "role": "orig", "amount": "0.0125", "currency": "eur",
                      "billsec": 175, "client": {"id": 3}},
                     {"leg_id": "t", "role": "term", "amount": "-1", "currency": "USD",
                      "incoming": False}])
    loaded = LOAD_SESSION(raw)
    assert loaded == load(SESSION, raw) == dict(SESSION.load(raw))
    # 1970-01-01 to 2026-01-01: 56 years, 14 of them leap (1972..2024), 20,454 days; Jan to
    # Oct 2026: 304 days; 20,758 days * 86,400 s = 1,793,491,200, plus 10 h = 36,000 s.
    assert loaded["setup_time"] == 1_793_527_200
    # 12:03 at +02:00 is 10:03 UTC: 1,793,527,200 + 180
    assert loaded["end_time"] == 1_793_527_380
    assert loaded["kind"] == "call" and loaded["start_time"] is None
    assert loaded["records"] == [] and loaded["resources"] == []
    orig, term = loaded["legs"]
    assert orig == {**LEG_DEFAULTS, "leg_id": "o", "role": "orig", "amount": 12_500,
                    "currency": "EUR", "billsec": 175, "client": {"id": 3, "name": None,
                                                                  "tenant": None}}
    assert term == {**LEG_DEFAULTS, "leg_id": "t", "role": "term", "amount": -1_000_000,
                    "currency": "USD", "incoming": False}
    assert type(orig["amount"]) is int and type(loaded["setup_time"]) is int


@pytest.mark.parametrize("raw, errors", [
    (call(legs=[{"leg_id": "o", "role": "orig", "billsec": True}]),
     {"legs.0.billsec": "Not a valid integer."}),
    (call(legs=[{"leg_id": "o", "role": "orig", "pdd_ms": 2 ** 63}]),
     {"legs.0.pdd_ms": "Must be greater than or equal to 0 and less than or equal to "
                       "4611686018427387904."}),
    (call(legs=[{"leg_id": "o", "role": "orig", "hangup_cause": 128}]),
     {"legs.0.hangup_cause": "Must be greater than or equal to 0 and less than or equal "
                             "to 127."}),
    (call(setup_time="1899-12-31T23:59:59Z"),
     {"setup_time": "the timestamp is outside 1900-01-01T00:00:00Z to 9998-12-31T23:59:59Z: "
                    "'1899-12-31T23:59:59Z'"}),
    (call(setup_time="9999-01-01T00:00:00Z"),
     {"setup_time": "the timestamp is outside 1900-01-01T00:00:00Z to 9998-12-31T23:59:59Z: "
                    "'9999-01-01T00:00:00Z'"}),
    (call(setup_time="2026-W44-7T10:00:00Z"),
     {"setup_time": "not an RFC 3339 timestamp: '2026-W44-7T10:00:00Z'"}),
    (call(end_time="2026-11-01T10:00:00"),
     {"end_time": "the timestamp has no offset (add Z for UTC): '2026-11-01T10:00:00'"}),
    (call(legs=[{"leg_id": "o", "role": "orig", "amount": "1", "currency": "EURO"}]),
     {"legs.0.currency": "not an ISO 4217 currency code: 'EURO'"}),
    (call(legs=[{"leg_id": "o", "role": "orig", "amount": "0.0000001", "currency": "EUR"}]),
     {"legs.0.amount": "more than 6 decimal places: '0.0000001'"}),
    (call(legs=[{"leg_id": "o", "role": "orig", "amount": "1"}]),
     {"legs.0.currency": "an amount needs its currency"}),
    (call(legs=[{"leg_id": "o", "role": "orig", "client": {"id": 1, "vat": "x"}}]),
     {"legs.0.client.vat": "Unknown field."}),
    (call(legs=[{"leg_id": "o", "role": "orig"}, {"leg_id": "o", "role": "term"}]),
     {"legs": "leg ids repeat within the session"}),
    (call(kind="video"), {"legs": "a video session has participant legs only"}),
    (call(resources=[{"resource_usage_id": 1, "resource_type": "x", "quantity": "y"}]),
     {"resources.0.quantity": "Not a valid number."}),
])
def test_the_messages_are_marshmallows(raw: dict[str, Any], errors: dict[str, str]) -> None:
    with pytest.raises(compiled.Undecided):
        LOAD_SESSION(raw)
    with pytest.raises(RecordRejected) as caught:
        load(SESSION, raw)
    assert caught.value.errors == errors
    same(raw)


def test_the_fast_readers_match_the_exact_ones() -> None:
    # 9998-12-31T23:59:59Z is the last second: END (253,370,764,800) - 1
    assert compiled.timestamp("9998-12-31T23:59:59Z") == 253_370_764_799
    assert compiled.timestamp("1900-01-01T00:00:00Z") == -2_208_988_800
    assert compiled.amount("9223372036854.775807") == 2 ** 63 - 1
    assert compiled.amount("-0.5") == -500_000 and compiled.amount("1.0000000") == 1_000_000
    for bad in ("9223372036854.775808", "NaN", "1e400", "1" * 5000):
        with pytest.raises(compiled.Undecided):
            compiled.amount(bad)


def full_call() -> dict[str, Any]:
    """A call that carries every field of the record, its legs, recordings and resources."""
    when = {"setup_time": "2026-11-01T10:00:00Z", "start_time": "2026-11-01T10:00:05Z",
            "end_time": "2026-11-01T10:03:00Z"}
    ref = {"id": 1, "name": "n"}

    def leg(leg_id: str, role: str) -> dict[str, Any]:
        return {"leg_id": leg_id, "role": role, "src": "1", "dst": "2", "incoming": True,
                "client": {**ref, "tenant": "acme"}, "account": {**ref, "ident": "i"},
                "owner_user": dict(ref), "user": dict(ref), "rates_code": "r",
                "code_deck_id": 1, **when, "billsec": 175, "real_billsec": 175,
                "disposition": "ANSWERED", "hangup_cause": 16, "pdd_ms": 10,
                "amount": "0.0125", "reseller_amount": "0.01", "currency": "EUR", "name": "n",
                "participant_role": "p", "ip": "::1", "agent": "a", "call_num": "c",
                "call_log_id": "l", "user_ref": "u"}
    return {"session_id": "c1", "kind": "call", "tenant": "acme", "seq": 1, **when,
            "equipment": dict(ref), "application": dict(ref), "rule_name": "r",
            "custom_data": "d", "room_id": "r", "meeting_id": "m", "app_type": "vc",
            "audio_quality": "q", "finish_reason": "f", "initiator_address": "i",
            "media_server_address": "m", "log_file_url": "u",
            "legs": [leg("o", "orig"), leg("t", "term")],
            "records": [{"record_id": 1, "url": "u", "name": "n", "start_time": when["start_time"],
                         "duration": 3, "file_size": 9, "cost": "0.5", "transcription_url": "t",
                         "transcription_status": "Complete"}],
            "resources": [{"resource_usage_id": 1, "resource_type": "storage", "quantity": "1.5",
                           "unit": "GB", "cost": "0.25", "description": "d",
                           "used_at": when["end_time"], "ref_leg_id": "o"}]}


def near_misses(name: str) -> list[Any]:
    if name.endswith("_time") or name == "used_at":
        own: list[Any] = BAD_TIMES
    elif name in ("amount", "reseller_amount", "cost"):
        own = BAD_AMOUNTS
    elif name == "currency":
        own = CURRENCIES
    else:
        own = []
    return own + JUNK


def test_every_field_with_every_near_miss() -> None:
    base = full_call()
    assert repr(LOAD_SESSION(copy.deepcopy(base))) == repr(dict(SESSION.load(base)))
    tried = 0
    for path in places(base)[1:]:
        name = next((p for p in reversed(path) if isinstance(p, str)), "")
        for value in near_misses(name):
            record = copy.deepcopy(base)
            at(record, path[:-1])[path[-1]] = value
            same(record)
            tried += 1
        record = copy.deepcopy(base)
        del at(record, path[:-1])[path[-1]]
        same(record)
    assert tried > 3000
