"""`reports.active_sessions.query` against a plain Python model (spec methods.md section 1;
README "Tenancy" and "Time"; the implementation's decisions in the design notes).

Hypothesis generates live calls in a small tenant tree (root > R > C1, C2; root > R2 > C3):
clients, accounts, owner users and equipment from small pools so that groups collide, rate
codes resolved through three code decks (the configured default, another root deck and a
deck owned by a random tenant) or a deck that does not exist, answered or not, 0 to 3 term
attempts of which at most one answered, legs in other tenants than their session, and setup
and answer times around a daylight-saving change of one of the request's time zones (with
now and then an ended call or a live video session, which never appear). It then
generates a valid request (fields, filters from existing and missing values, order, limit,
rollup, time zone, code deck) and sends it as root's admin, a reseller or a customer, by name,
by position or on the dialect route, and compares the whole answer with `report()`.

Each example lives in tenants of its own, with reference and deck ids of its own (`World`);
its sessions are ended when it finishes, so the next example's root admin no longer sees
them. `duration` depends on the clock: the model is evaluated for every whole second between
a clock reading before the call and one after it, and the answer must match one of them.
"""

from __future__ import annotations

import calendar
import datetime as dt
import functools
import itertools
import math
import time
import zoneinfo
from typing import Any, Callable

import pytest
from conftest import JSON, make_config
from hypothesis import event, given, note, settings
from hypothesis import strategies as st
from tenant_tree import LABELS, PARENT, SUBTREE, ancestors

from gateway.core.config import Config

METHOD = "reports.active_sessions.query"
ROUTE = "/reports/active_sessions"

SESSION_FIELDS = ["session_id", "session_setup_time", "session_start_time", "equipment_id",
                  "equipment_name"]
LEG_FIELDS = ["leg_id", "src_party_id", "dst_party_id", "companies_id", "owner_users_id",
              "clients_id", "clients_name", "accounts_id", "accounts_name", "accounts_ident",
              "rates_code", "rates_code_name"]
# What a caller never sees of a leg outside its subtree.
HIDDEN = LEG_FIELDS[3:]
SINGULAR = SESSION_FIELDS + [f"{side}_{f}" for side in ("orig", "term") for f in LEG_FIELDS]
AGGREGATED = ["quantity", "duration"]
FIELDS = SINGULAR + AGGREGATED
assert len(FIELDS) == 31
PARAMS = ["return_fields", "filters", "order", "limit", "group", "code_decks_id", "timezone"]
ZONES = [None, "UTC", "Europe/Vilnius", "America/New_York", "Australia/Lord_Howe"]

# filter member -> the pool of values it draws from (see `value_pools`)
FILTERS = {**{f"{side}_{name}": pool for side in ("orig", "term") for name, pool in (
    ("companies_id", "companies"), ("owner_users_id", "users"), ("clients_id", "clients"),
    ("accounts_id", "accounts"), ("rates_code", "codes"), ("rates_code_name", "names"))},
    "equipment_id": "equipment"}

# --- the tenant tree --------------------------------------------------------------------------

# (role, tenant) of the callers
CALLERS = [("admin", "root"), ("reseller", "R"), ("reseller", "R2"), ("customer", "C1"),
           ("customer", "C2")]
SESSION_TENANTS = [t for t in LABELS if t != "root"]

# --- generated values -------------------------------------------------------------------------

# Code point order differs from case-insensitive, locale, numeric and UTF-16 orders on these:
# "B" < "a", "Z" < "a" < "ä", "10" < "9", "e\u0301" < "é", "\uff5e" < "😀", "" < " x" < "x".
NAMES = ["Alpha", "alpha", "Äpfel", "apfel", "Zeta", "zeta", "ß", "ss", "10", "9", "1a", "A1",
         "日本", "😀", "\uff5e", "e\u0301", "é", "İ", "i", " x", "x"]
SESSION_IDS = ["a", "A", "ä", "B", "10", "9", "日本", "😀", "e\u0301", "é"]
LEG_IDS = ["o", "O", "t1", "t10", "t2", "ü", "Ü", "😀"]
SRCS = [None, "", "+37060000001", "37060000001", "Anna", "anna", "Ölaf", "10", "9", "😀"]
DSTS = [None, "", "+37061234567", "37052000000", "3712", "+1 202 555 0100", "12", "1",
        "61234", "999", "4930", "abc", "ä9"]
PREFIXES = ["1", "12", "3", "37", "370", "3706", "61", "9"]
RATES_CODES = ["1", "12", "370", "3706", "61", "9", "LT-MOB", "lt-mob", "Ä1", "1a"]
DECKS = ["D0", "D1", "D2"]  # D0: the configured default deck; "ghost": a deck never ingested
DEFAULT_DECK = 7
POOL = 3  # clients, accounts, owner users and equipment per example


def at(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> int:
    return calendar.timegm((year, month, day, hour, minute, 0, 0, 0, 0))


# Daylight-saving changes (UTC): Vilnius autumn and spring, New York autumn and spring,
# Lord Howe (a half-hour shift) autumn and spring. Setup times fall within 90 minutes of one,
# at offsets that meet in the repeated hour: e.g. 00:30Z and 01:30Z are both 03:30 in Vilnius.
ANCHORS = {at(2025, 10, 26, 1): "Europe/Vilnius", at(2025, 3, 30, 1): "Europe/Vilnius",
           at(2025, 11, 2, 6): "America/New_York", at(2025, 3, 9, 7): "America/New_York",
           at(2025, 4, 5, 15): "Australia/Lord_Howe",
           at(2025, 10, 4, 15, 30): "Australia/Lord_Howe"}
SETUP_OFFSETS = [-3600, -1800, -900, -1, 0, 1, 900, 1800, 3600]
ANSWER_DELAYS = [0, 1, 1800, 3600]


def maybe(strategy: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    return st.none() | strategy


@st.composite
def legs(draw: st.DrawFn) -> list[dict[str, Any]]:
    """An orig leg and 0-3 term attempts, in any order, at most one of them answered."""
    terms = draw(st.integers(0, 3))
    ids = draw(st.lists(st.sampled_from(LEG_IDS), min_size=terms + 1, max_size=terms + 1,
                        unique=True))
    orig = draw(st.integers(0, terms))
    answered = draw(maybe(st.integers(0, terms - 1))) if terms else None
    out = []
    for position, leg_id in enumerate(ids):
        term_number = position - (position > orig)
        out.append({
            "leg_id": leg_id, "role": "orig" if position == orig else "term",
            "answered": position != orig and term_number == answered,
            "src": draw(st.sampled_from(SRCS)), "dst": draw(st.sampled_from(DSTS)),
            "client": draw(maybe(st.integers(0, POOL - 1))),
            "account": draw(maybe(st.integers(0, POOL - 1))),
            "owner": draw(maybe(st.integers(0, POOL - 1))),
            "rates_code": draw(maybe(st.sampled_from(RATES_CODES))),
            "deck": draw(st.sampled_from([None, *DECKS, "ghost"]))})
    return out


# Mostly live calls; an ended call or a live video session now and then, which never appear.
sessions = st.fixed_dictionaries({
    "kind": st.sampled_from(["live call", "live call", "live call", "ended call", "video"]),
    "tenant": st.sampled_from(SESSION_TENANTS),
    "session_id": st.sampled_from(SESSION_IDS),
    "setup": st.sampled_from(SETUP_OFFSETS),
    "answer": maybe(st.sampled_from(ANSWER_DELAYS)),
    "equipment": maybe(st.integers(0, POOL - 1)),
    "legs": legs()})

name = st.sampled_from(NAMES)
worlds = st.fixed_dictionaries({
    "anchor": st.sampled_from(sorted(ANCHORS)),
    "clients": st.lists(st.tuples(st.sampled_from(LABELS), maybe(name)),
                        min_size=POOL, max_size=POOL),
    "accounts": st.lists(st.tuples(maybe(name), maybe(name)), min_size=POOL, max_size=POOL),
    "users": st.lists(name, min_size=POOL, max_size=POOL),
    "equipment": st.lists(maybe(name), min_size=POOL, max_size=POOL),
    "decks": st.fixed_dictionaries({deck: st.dictionaries(st.sampled_from(PREFIXES), name,
                                                          max_size=6) for deck in DECKS}),
    "d2_owner": st.sampled_from(LABELS),
    "sessions": st.integers(1, 10).flatmap(lambda n: st.lists(
        sessions, min_size=n, max_size=n, unique_by=lambda s: (s["tenant"], s["session_id"]))),
})


# --- one example's world, as ingested ----------------------------------------------------------

def rfc3339(seconds: int) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(seconds))


class World:
    """The generated records with this example's tenant names and ids and reference ids."""

    def __init__(self, n: int, drawn: dict[str, Any]) -> None:
        self.drawn = drawn
        self.base = 100 * n
        self.names = {label: "root" if label == "root" else f"as{n}-{label}" for label in LABELS}
        self.tenant_ids: dict[str, int] = {"root": 1}
        self.deck_ids = {"D0": DEFAULT_DECK, "D1": self.base + 90, "D2": self.base + 91,
                         "ghost": self.base + 99}
        self.deck_owner = {"D0": "root", "D1": "root", "D2": drawn["d2_owner"]}

    def ref(self, index: int) -> int:
        return self.base + 1 + index

    def setup(self, session: dict[str, Any]) -> int:
        return int(self.drawn["anchor"] + session["setup"])

    def start(self, session: dict[str, Any]) -> int | None:
        return None if session["answer"] is None else self.setup(session) + session["answer"]

    def leg_tenant(self, session: dict[str, Any], leg: dict[str, Any]) -> str:
        return session["tenant"] if leg["client"] is None else self.drawn["clients"][
            leg["client"]][0]

    def deck_records(self) -> list[dict[str, Any]]:
        return [{"code_deck_id": self.deck_ids[deck], "tenant": self.names[self.deck_owner[deck]],
                 "name": f"deck {deck}", "codes": [{"prefix": prefix, "name": code_name}
                                                   for prefix, code_name in codes.items()]}
                for deck, codes in self.drawn["decks"].items()]

    def session_records(self, ended: bool = False) -> list[dict[str, Any]]:
        return [self.record(s, ended) for s in self.drawn["sessions"]]

    def record(self, session: dict[str, Any], ended: bool) -> dict[str, Any]:
        setup, start = self.setup(session), self.start(session)
        ended = ended or session["kind"] == "ended call"
        out: dict[str, Any] = {
            "session_id": session["session_id"], "tenant": self.names[session["tenant"]],
            "setup_time": rfc3339(setup), "start_time": None if start is None else rfc3339(start),
            "end_time": rfc3339(setup + 86400) if ended else None,
            "legs": [self.leg_record(session, leg) for leg in session["legs"]]}
        if session["kind"] == "video":
            out["kind"] = "video"
            for leg in out["legs"]:
                leg["role"] = "participant"
        if session["equipment"] is not None:
            out["equipment"] = {"id": self.ref(session["equipment"]),
                                "name": self.drawn["equipment"][session["equipment"]]}
        return out

    def leg_record(self, session: dict[str, Any], leg: dict[str, Any]) -> dict[str, Any]:
        out: dict[str, Any] = {"leg_id": leg["leg_id"], "role": leg["role"]}
        for field in ("src", "dst", "rates_code"):
            if leg[field] is not None:
                out[field] = leg[field]
        if leg["deck"] is not None:
            out["code_deck_id"] = self.deck_ids[leg["deck"]]
        if leg["client"] is not None:
            tenant, client_name = self.drawn["clients"][leg["client"]]
            out["client"] = {"id": self.ref(leg["client"]), "name": client_name,
                             "tenant": self.names[tenant]}
        if leg["account"] is not None:
            account_name, ident = self.drawn["accounts"][leg["account"]]
            out["account"] = {"id": self.ref(leg["account"]), "name": account_name,
                              "ident": ident}
        if leg["owner"] is not None:
            out["owner_user"] = {"id": self.ref(leg["owner"]),
                                 "name": self.drawn["users"][leg["owner"]]}
        if leg["answered"]:
            out["start_time"] = rfc3339(self.setup(session) + 1)
        return out

    # what requests may name

    def visible_decks(self, caller: str) -> list[int]:
        near = SUBTREE[caller] | set(ancestors(caller))
        return [self.deck_ids[d] for d in DECKS if self.deck_owner[d] in near]

    def value_pools(self) -> dict[str, list[Any]]:
        """Filter values: the ones that exist, and one or two that do not."""
        refs = [self.ref(i) for i in range(POOL)]
        return {"companies": [*self.tenant_ids.values(), 10 ** 9],
                **{pool: [*refs, self.base + 50 + i] for i, pool in enumerate(
                    ("users", "clients", "accounts", "equipment"))},
                "codes": sorted({*RATES_CODES, *PREFIXES, "nope"}),
                "names": [*sorted({n for codes in self.drawn["decks"].values()
                                   for n in codes.values()}), "no such name"]}


# --- the model ---------------------------------------------------------------------------------

def local_time(seconds: int | None, zone: str | None) -> str | None:
    if seconds is None:
        return None
    moment = dt.datetime.fromtimestamp(seconds, zoneinfo.ZoneInfo(zone or "UTC"))
    return moment.strftime("%Y-%m-%d %H:%M:%S")


def destination(world: World, leg: dict[str, Any]) -> str | None:
    """The code resolved at ingest: the longest prefix of the dialled digits in the leg's deck
    (its own, else the configured default)."""
    codes = world.drawn["decks"].get(leg["deck"] or "D0", {})
    digits = "".join(c for c in leg["dst"] or "" if c in "0123456789")[:16]
    return next((digits[:n] for n in range(len(digits), 0, -1) if digits[:n] in codes), None)


def leg_view(world: World, session: dict[str, Any], leg: dict[str, Any] | None,
             caller: str, naming_deck: str | None) -> dict[str, Any]:
    if leg is None:
        return dict.fromkeys(LEG_FIELDS)
    view: dict[str, Any] = {"leg_id": leg["leg_id"], "src_party_id": leg["src"],
                            "dst_party_id": leg["dst"], **dict.fromkeys(HIDDEN)}
    tenant = world.leg_tenant(session, leg)
    if tenant not in SUBTREE[caller]:
        return view
    code = leg["rates_code"] if leg["rates_code"] is not None else destination(world, leg)
    deck = naming_deck or leg["deck"] or "D0"
    view.update(companies_id=world.tenant_ids[tenant],
                rates_code=code,
                rates_code_name=None if code is None else world.drawn["decks"].get(
                    deck, {}).get(code))
    if leg["owner"] is not None:
        view["owner_users_id"] = world.ref(leg["owner"])
    if leg["client"] is not None:
        view.update(clients_id=world.ref(leg["client"]),
                    clients_name=world.drawn["clients"][leg["client"]][1])
    if leg["account"] is not None:
        account_name, ident = world.drawn["accounts"][leg["account"]]
        view.update(accounts_id=world.ref(leg["account"]), accounts_name=account_name,
                    accounts_ident=ident)
    return view


def session_view(world: World, session: dict[str, Any], caller: str,
                 params: dict[str, Any]) -> dict[str, Any] | None:
    """The session's singular fields as the caller sees them (None: not visible), and
    `_start` and `_setup`, its answer and setup times."""
    if session["kind"] != "live call" or not any(
            world.leg_tenant(session, leg) in SUBTREE[caller] for leg in session["legs"]):
        return None
    zone = params.get("timezone")
    naming_deck = {world.deck_ids[d]: d for d in DECKS}.get(params.get("code_decks_id"))
    equipment = session["equipment"]
    orig = next(leg for leg in session["legs"] if leg["role"] == "orig")
    terms = [leg for leg in session["legs"] if leg["role"] == "term"]
    answered = [leg for leg in terms if leg["answered"]]
    term = answered[0] if answered else terms[-1] if terms else None
    view = {
        "session_id": session["session_id"],
        "session_setup_time": local_time(world.setup(session), zone),
        "session_start_time": local_time(world.start(session), zone),
        "equipment_id": None if equipment is None else world.ref(equipment),
        "equipment_name": None if equipment is None else world.drawn["equipment"][equipment],
        "_start": world.start(session), "_setup": world.setup(session)}
    for side, leg in (("orig", orig), ("term", term)):
        view.update({f"{side}_{f}": v for f, v in leg_view(
            world, session, leg, caller, naming_deck).items()})
    return view


def compare(keys: list[tuple[str, bool]]) -> Callable[[dict[str, Any], dict[str, Any]], int]:
    """Rows by `keys` ((field, descending)): nulls last ascending, first descending; text by
    code point (Python's own string order)."""
    def cmp(a: dict[str, Any], b: dict[str, Any]) -> int:
        for field, descending in keys:
            x, y = a[field], b[field]
            if x == y:
                continue
            if x is None or y is None:
                null_after = (x is None) != descending
                return 1 if null_after else -1
            result = -1 if x < y else 1
            return -result if descending else result
        return 0
    return cmp


def report(views: list[dict[str, Any]], params: dict[str, Any], now: int) -> list[dict[str, Any]]:
    """The answer the spec and the design notes call for, with `now` as the call's clock."""
    fields = params["return_fields"]
    singular = [f for f in fields if f in SINGULAR]
    aggregated = [f for f in fields if f in AGGREGATED]
    rollup = params.get("group") == "rollup"
    matching = [v for v in views
                if all(v[f] in values for f, values in (params.get("filters") or {}).items())]

    def totals(members: list[dict[str, Any]]) -> dict[str, int]:
        sums = {"quantity": len(members),
                "duration": sum(0 if v["_start"] is None else now - v["_start"] for v in members)}
        return {f: sums[f] for f in aggregated}

    def members_of(prefix: tuple[Any, ...]) -> list[dict[str, Any]]:
        return [v for v in matching
                if tuple(v[f] for f in singular[:len(prefix)]) == prefix]

    def rolled_up(prefix: tuple[Any, ...], row_type: str) -> dict[str, Any]:
        values = dict(zip(singular, prefix + (None,) * (len(singular) - len(prefix))))
        return {**values, **totals(members_of(prefix)), "row_type": row_type}

    if not singular:
        return [rolled_up((), "total")] if rollup else [totals(matching)]
    groups: dict[tuple[Any, ...], list[dict[str, Any]]] = {}
    for v in matching:
        groups.setdefault(tuple(v[f] for f in singular), []).append(v)
    rows = [{**dict(zip(singular, key)), **totals(members)} for key, members in groups.items()]
    keys = [(e[1:], True) if e.startswith("-") else (e, False) for e in params.get("order") or []]
    rows.sort(key=functools.cmp_to_key(compare(keys + [(f, False) for f in singular])))
    if params.get("limit") is not None:
        rows = rows[:params["limit"]]
    if not rollup:
        return rows

    def layout(kept: list[dict[str, Any]], prefix: tuple[Any, ...]) -> list[dict[str, Any]]:
        """Groups at the place of their first kept row, each followed by its subtotal."""
        depth = len(prefix)
        if depth == len(singular):
            return [{**row, "row_type": "row"} for row in kept]
        children: dict[Any, list[dict[str, Any]]] = {}
        for row in kept:
            children.setdefault(row[singular[depth]], []).append(row)
        out = []
        for value, rows_of_child in children.items():
            out += layout(rows_of_child, prefix + (value,))
            if depth + 1 < len(singular):
                out.append(rolled_up(prefix + (value,), "subtotal"))
        return out

    return layout(rows, ()) + [rolled_up((), "total")]


# --- requests ---------------------------------------------------------------------------------

@st.composite
def requests(draw: st.DrawFn, pools: dict[str, list[Any]], decks: list[int],
             zone: str) -> tuple[dict[str, Any], str]:
    """(params, how they are sent); params that take their default are left out or sent
    explicitly. The time zone is often the one whose clocks change near the setup times."""
    fields = draw(st.lists(st.sampled_from(FIELDS), min_size=1, max_size=len(FIELDS),
                           unique=True), label="return_fields")
    members = draw(st.lists(st.sampled_from(sorted(FILTERS)), max_size=2, unique=True))
    filters = {m: draw(st.lists(st.sampled_from(pools[FILTERS[m]]), min_size=1, max_size=4))
               for m in members}
    ordered = draw(st.lists(st.sampled_from(fields), unique=True, max_size=len(fields)))
    order = [("-" if draw(st.booleans()) else "") + f for f in ordered]
    values = {"return_fields": fields, "filters": filters, "order": order,
              "limit": draw(maybe(st.integers(1, 12) | st.just(100000))),
              "group": draw(st.sampled_from([None, "rollup"])),
              "code_decks_id": draw(maybe(st.sampled_from(decks))) if decks else None,
              "timezone": draw(st.sampled_from(ZONES) | st.just(zone))}
    defaults = {"filters": {}, "order": [], "limit": None, "group": None,
                "code_decks_id": None, "timezone": None}
    params = {p: v for p, v in values.items()
              if v != defaults.get(p, ...) or draw(st.booleans())}
    return params, draw(st.sampled_from(["by name", "by position", "route"]))


def describe(role: str, how: str, params: dict[str, Any], views: list[dict[str, Any]],
             rows: list[dict[str, Any]]) -> None:
    """What the example covers (`--hypothesis-show-statistics`)."""
    event(f"caller: {role}")
    event(f"sent {how}")
    event(f"rows: {min(len(rows), 3)}{'+' if len(rows) >= 3 else ''}"
          f"{' (rollup)' if params.get('group') else ''}")
    if any(v[f"{side}_leg_id"] is not None and v[f"{side}_companies_id"] is None
           for v in views for side in ("orig", "term")):
        event("a leg outside the caller's subtree")
    if len({(v["session_setup_time"], v["_setup"]) for v in views}) > len(
            {v["session_setup_time"] for v in views}) and params.get("timezone"):
        event("two setup times that read alike in the zone")
    if params.get("code_decks_id") is not None and any(
            f.endswith("rates_code_name") for f in params["return_fields"]):
        event("code names from the requested deck")


# --- the test ---------------------------------------------------------------------------------

EXAMPLES = itertools.count(1)
# A fuzz run has 2,000 examples: give it time (pytest-timeout's default is 60 s a test).
pytestmark = pytest.mark.timeout(max(60, 2 * settings().max_examples))


@pytest.fixture
def config(engine: str, tmp_path: Any) -> Config:
    return make_config(tmp_path, default_code_deck_id=DEFAULT_DECK)


async def call(client: Any, rpc: Any, key: str, params: dict[str, Any], how: str) -> Any:
    """The result rows, however they are asked for."""
    if how == "route":
        response = await client.post(ROUTE, json=params, headers={**JSON, "X-Api-Key": key})
        body = await response.json()
        assert response.status == 200, body
        return body
    sent: Any = params
    if how == "by position":
        sent = [params.get(p, {"filters": {}, "order": []}.get(p)) for p in PARAMS]
    answer = await rpc(METHOD, sent, key=key)
    assert "result" in answer, answer
    return answer["result"]


async def ingest(rpc: Any, key: str, method: str, records: list[dict[str, Any]]) -> None:
    answer = await rpc(method, {"records": records}, key=key)
    assert "result" in answer, answer
    result = answer["result"]
    assert (result["accepted"] + result["unchanged"], result["rejected"]) == (len(records), []), \
        result


@given(data=st.data())
async def test_active_sessions_match_the_model(client, rpc, make_tenant, make_key, ingest_key,
                                               admin_key, data):
    world = World(next(EXAMPLES), data.draw(worlds, label="world"))
    for label, parent in PARENT.items():
        made = await make_tenant(world.names[label], world.names[parent])
        world.tenant_ids[label] = made["id"]
    await ingest(rpc, ingest_key, "ingest.code_decks", world.deck_records())
    records = world.session_records()
    await ingest(rpc, ingest_key, "ingest.sessions", records)
    try:
        role, caller = data.draw(st.sampled_from(CALLERS), label="caller")
        key = admin_key if caller == "root" else await make_key(
            role, tenant=world.names[caller], rate_limit="unlimited")
        params, how = data.draw(requests(world.value_pools(), world.visible_decks(caller),
                                         ANCHORS[world.drawn["anchor"]]), label="request")
        views = [v for v in (session_view(world, s, caller, params)
                             for s in world.drawn["sessions"]) if v is not None]
        before = time.time()
        got = await call(client, rpc, key, params, how)
        after = time.time()
        clock = range(math.floor(before), math.ceil(after) + 1)
        if "duration" not in params["return_fields"]:
            clock = range(math.floor(before), math.floor(before) + 1)
        expected = [report(views, params, now) for now in clock]
        note(f"tenant ids: {world.tenant_ids}, reference ids from {world.base + 1}, "
             f"decks {world.deck_ids}")
        note(f"visible sessions: {views}")
        describe(role, how, params, views, expected[0])
        if got not in expected:
            assert got == expected[0]
    finally:
        await ingest(rpc, ingest_key, "ingest.sessions", world.session_records(ended=True))
