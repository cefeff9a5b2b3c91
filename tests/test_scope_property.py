"""One scope rule for every method (docs/tenancy.md and
docs/money-and-time.md), against a plain Python model.

Hypothesis generates a tenant tree (root, one to three resellers, up to two customers each)
and the clients of its tenants: a retail client in every tenant, two carriers of root and a
transit client of each reseller. It then generates sessions whose legs belong to different
tenants (a leg's tenant is its client's, or else the record's tenant): ended calls (an
originating leg, and terminating attempts through root's carriers, through resellers'
transit clients, which never answer, or with no client at all), live calls and ended video
sessions, with amounts and `reseller_amount`s on the legs. It asks as a caller at each
level of the tree (an admin, reseller, customer or accountant key):

- which sessions each method lists: the live report, `aggregate_get` (grouped by user and
  device, and by terminator and provider; on the summary path and on the raw path; a
  customer may not call it), `GetCallHistory` with `child_account_id="all"` (JSON, CSV and
  its async export file) and without it, `GetBriefCallHistory` (whose params have no
  `child_account_id`) and `ucaas.sessions.list`. A session is visible when any of its legs
  has its tenant in the caller's subtree; the history without `child_account_id` lists the
  sessions with a leg in the caller's own tenant;
- which values it may see: a hidden leg's commercial fields, group keys and amounts are
  null (present, with the value null, in JSON; an empty cell in CSV), the session owner's
  fields are null when the session's own tenant is outside the scope, `reseller_amount`
  only reaches the reseller who pays it and its ancestors, the Brief `cost` adds only
  visible amounts (half-even, with the currency's minor digits), and a call seen only
  through a reseller's transit leg counts in that reseller's `aggregate_get` without adding
  to its price and cost;
- and that no hidden value (a client's, account's or account manager's name or id, an
  amount, the session owner's user and application) appears anywhere in any answer or file.
  Every name ends in `-secret`, ids have eight digits, and amounts read `K004.17`,
  `K004.125` or `K004.135` with a different K for every amount, so that no sum of two or
  more amounts reads like one amount.

Where the spec leaves a detail open the model accepts either reading: which descendants'
legs the history of the caller's own tenant shows, and whether the Brief `cost` of a call
is what its client is charged (its first leg) or every visible amount of the call.

Every test first runs the worlds of `SCENARIOS`, then generated ones. Each example lives in
tenants, reference ids and a UTC day of its own (`World`); its live calls are ended when it
finishes. Shrinking is off: an example costs a fresh tree, its keys and a round of
exports, so a failure is reported as generated, with the world and the answers written out
by `note()`.
"""

from __future__ import annotations

import asyncio
import calendar
import contextlib
import csv
import io
import itertools
import json
import re
import time
from dataclasses import dataclass, field
from decimal import ROUND_HALF_EVEN, Decimal
from typing import Any, AsyncIterator, Iterable

import pytest
from hypothesis import Phase, event, example, given, note, settings
from hypothesis import strategies as st

from gateway.web import appkeys

ACTIVE, AGGREGATE = "reports.active_sessions.query", "aggregate_get"
HISTORY, BRIEF, VIDEO = "GetCallHistory", "GetBriefCallHistory", "ucaas.sessions.list"
CENT = Decimal("0.01")
DAY = 86_400
FIRST_DAY = calendar.timegm((2025, 1, 1, 0, 0, 0, 0, 0, 0))
# An example costs a fresh tree, its keys and a round of exports: a few of them keep each
# test within seconds on either engine; a fuzz run (HYPOTHESIS_PROFILE=fuzz) takes its
# profile's count, and a second per example.
EXAMPLES = 15 if settings().max_examples < 100 else settings().max_examples
pytestmark = pytest.mark.timeout(max(60, EXAMPLES))
NO_SHRINK = (Phase.explicit, Phase.reuse, Phase.generate)
WORLDS = itertools.count(1)

# CallSessionInfoType's owner fields (docs/tenancy.md) and its CSV columns (docs/methods/
# call-history.md, in order).
OWNER = ("account_id", "user_id", "application_id", "application_name", "rule_name")
HISTORY_COLUMNS = ["audio_quality", "rule_name", "application_name", "call_session_history_id",
                   "account_id", "application_id", "user_id", "start_date", "duration",
                   "initiator_address", "media_server_address", "log_file_url",
                   "finish_reason", "custom_data"]
BRIEF_COLUMNS = ["call_session_history_id", "start_date", "duration", "remote_number",
                 "local_number", "cost"]
LIVE_FIELDS = ["session_id", "orig_clients_id", "orig_clients_name", "term_clients_id",
               "term_clients_name", "term_accounts_name", "quantity"]


def rfc3339(seconds: int) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(seconds))


def wall(seconds: int) -> str:
    """`YYYY-MM-DD HH:mm:ss` in UTC (the history's and the video list's dates)."""
    return time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime(seconds))


def written(value: Decimal) -> Decimal:
    """A sum as written: the currency's minor digits (USD: 2), half-even."""
    return value.quantize(CENT, rounding=ROUND_HALF_EVEN)


# --- the generated world -------------------------------------------------------------------

FRACTIONS = [None, "17", "17", "125", "135"]  # an amount's decimals; None: no amount


@dataclass
class Client:
    """A reference object owned by a tenant, with its account and owner user."""

    key: str  # "<tenant label>/<kind><number>"
    tenant: str
    id: int
    name: str
    account_id: int
    account_name: str
    ident: str
    owner_id: int
    owner_name: str

    def secrets(self) -> tuple[list[str], list[int]]:
        return ([self.name, self.account_name, self.ident, self.owner_name],
                [self.id, self.account_id, self.owner_id])


@dataclass
class Leg:
    leg_id: str
    role: str  # orig | term | participant
    tenant: str  # the client's tenant, else the record's
    src: str
    dst: str
    client: Client | None = None
    answered: bool = False
    amount: Decimal | None = None
    reseller_amount: Decimal | None = None
    payer: str | None = None  # the reseller charged `reseller_amount`
    user: tuple[int, str] | None = None
    billsec: int | None = None


@dataclass
class Session:
    source_id: str
    kind: str  # call | video
    live: bool
    tenant: str  # the record's (the session's own) tenant
    setup: int
    start: int | None
    end: int
    legs: list[Leg]
    application: tuple[int, str] | None = None
    rule_name: str | None = None

    @property
    def orig(self) -> Leg:
        return self.legs[0]

    def term(self) -> Leg | None:
        """The reported terminating leg: the answered one, else the latest attempt."""
        terms = [leg for leg in self.legs if leg.role == "term"]
        answered = [leg for leg in terms if leg.answered]
        return answered[0] if answered else terms[-1] if terms else None

    def owner_secrets(self) -> tuple[list[str], list[int]]:
        names: list[str] = [] if self.rule_name is None else [self.rule_name]
        ids: list[int] = []
        if self.application is not None:
            ids.append(self.application[0])
            names.append(self.application[1])
        for leg in self.legs:
            if leg.user is not None:
                ids.append(leg.user[0])
                names.append(leg.user[1])
        return names, ids


ROLES_AT = {"root": ["admin", "accountant"], "reseller": ["admin", "reseller", "accountant"],
            "customer": ["customer", "accountant"]}


class World:
    """One example: its tree, clients, sessions and callers, with names and ids of its own."""

    def __init__(self, n: int, drawn: dict[str, Any]) -> None:
        self.n = n
        self.low = FIRST_DAY + n * DAY
        self.high = self.low + DAY - 1
        self.parent: dict[str, str | None] = {"root": None}
        for r, customers in enumerate(drawn["resellers"], 1):
            self.parent[f"R{r}"] = "root"
            for c in range(1, customers + 1):
                self.parent[f"C{r}{c}"] = f"R{r}"
        self.labels = list(self.parent)
        self.names = {t: "root" if t == "root" else f"sp{n}-{t}" for t in self.labels}
        self.tenant_ids: dict[str, int] = {}
        self.clients = {c.key: c for c in self._clients()}
        self._money = itertools.count(1)
        self._refs = itertools.count(1)
        self.sessions = [self._session(i, s) for i, s in enumerate(drawn["sessions"])]
        self.callers: list[tuple[str, str]] = drawn["callers"]

    # the tree

    def level(self, label: str) -> str:
        return "root" if label == "root" else "reseller" if label[0] == "R" else "customer"

    def ancestors(self, label: str) -> list[str]:
        chain = [label]
        while self.parent[chain[-1]] is not None:
            chain.append(self.parent[chain[-1]])  # type: ignore[arg-type]
        return chain

    def subtree(self, label: str) -> set[str]:
        return {t for t in self.labels if label in self.ancestors(t)}

    def payer(self, label: str) -> str | None:
        """The reseller charged for a call of a client of `label`."""
        return next((t for t in self.ancestors(label) if self.level(t) == "reseller"), None)

    # reference objects and amounts

    def _clients(self) -> Iterable[Client]:
        kinds = {"root": ["retail1", "carrier1", "carrier2"],
                 "reseller": ["retail1", "transit1"], "customer": ["retail1"]}
        number = itertools.count(1)
        for label in self.labels:
            for kind in kinds[self.level(label)]:
                i = next(number)
                tag = f"{self.n}x{i}"
                yield Client(f"{label}/{kind}", label, 71_000_000 + 1000 * self.n + i,
                             f"{kind[:-1]}-{tag}-secret", 72_000_000 + 1000 * self.n + i,
                             f"trunk-{tag}-secret", f"ident-{tag}-secret",
                             73_000_000 + 1000 * self.n + i, f"manager-{tag}-secret")

    def client_keys(self, kind: str) -> list[str]:
        return [k for k in self.clients if k.split("/")[1].startswith(kind)]

    def amount(self, fraction: str | None) -> Decimal | None:
        """A distinct amount: K004.17, K004.125 or K004.135 (see the module's docstring)."""
        if fraction is None:
            return None
        return Decimal(f"{next(self._money) * 1000 + 4}.{fraction}")

    def ref(self, base: int) -> int:
        return base + 1000 * self.n + next(self._refs)

    def number(self, i: int, j: int, side: int) -> str:
        return f"+{side}{self.n:04d}{i:02d}{j}0"

    # sessions

    def _session(self, i: int, d: dict[str, Any]) -> Session:
        setup = self.low + 600 + 300 * i
        orig_client = self.clients.get(d["orig"]) if d["orig"] else None
        tenant = d["tenant"] or (orig_client.tenant if orig_client else "root")
        source_id = f"sp{self.n}-s{i}"
        if d["kind"] == "video":
            return self._video(i, d, source_id, tenant, setup)
        orig = self._leg(i, 0, "orig", orig_client, tenant)
        if orig_client is not None:
            orig.amount = self.amount(d["orig_amount"])
            orig.payer = self.payer(orig_client.tenant)
            if orig.payer is not None:
                orig.reseller_amount = self.amount(d["reseller_amount"])
        if d["user"]:
            ref = self.ref(81_000_000)
            orig.user = (ref, f"user-{self.n}x{i}-secret")
        legs = [orig]
        answered = False
        for j, (key, answers, fraction) in enumerate(d["attempts"], 1):
            client = self.clients[key] if key else None
            leg = self._leg(i, j, "term", client, tenant)
            carrier = client is not None and "/carrier" in key
            leg.answered = carrier and answers and not answered
            answered = answered or leg.answered
            if leg.answered or (client is not None and "/transit" in key):
                leg.amount = self.amount(fraction)
            legs.append(leg)
        start = setup + 3 if answered else None
        if answered:
            orig.answered, orig.billsec = True, d["billsec"]
        end = setup + 20 if start is None else start + d["billsec"] + 1
        session = Session(source_id, "call", d["kind"] == "live", tenant, setup, start, end,
                          legs)
        if d["app"]:
            session.application = (self.ref(91_000_000), f"app-{self.n}x{i}-secret")
            session.rule_name = f"rule-{self.n}x{i}-secret"
        return session

    def _video(self, i: int, d: dict[str, Any], source_id: str, tenant: str,
               setup: int) -> Session:
        legs = []
        for j, key in enumerate(d["participants"]):
            leg = self._leg(i, j, "participant", self.clients[key] if key else None, tenant)
            leg.user = (self.ref(81_000_000), f"guest-{self.n}x{i}x{j}-secret")
            legs.append(leg)
        return Session(source_id, "video", False, tenant, setup, setup + 2, setup + 62, legs)

    def _leg(self, i: int, j: int, role: str, client: Client | None, tenant: str) -> Leg:
        return Leg("o" if role == "orig" else f"{role[0]}{j}", role,
                   client.tenant if client else tenant, self.number(i, j, 1),
                   self.number(i, j, 2), client)

    # as ingested

    def records(self, ended: bool = False) -> list[dict[str, Any]]:
        return [self.record(s, ended) for s in self.sessions]

    def record(self, s: Session, ended: bool = False) -> dict[str, Any]:
        out: dict[str, Any] = {
            "session_id": s.source_id, "tenant": self.names[s.tenant],
            "setup_time": rfc3339(s.setup),
            "start_time": None if s.start is None else rfc3339(s.start),
            "end_time": None if s.live and not ended else rfc3339(s.end),
            "legs": [self.leg_record(s, leg) for leg in s.legs]}
        if s.kind == "video":
            out.update(kind="video", room_id=f"room-{s.source_id}",
                       meeting_id=f"meeting-{s.source_id}", app_type="vc")
        if s.application is not None:
            out["application"] = {"id": s.application[0], "name": s.application[1]}
            out["rule_name"] = s.rule_name
        return out

    def leg_record(self, s: Session, leg: Leg) -> dict[str, Any]:
        out: dict[str, Any] = {"leg_id": leg.leg_id, "role": leg.role, "src": leg.src,
                               "dst": leg.dst}
        c = leg.client
        if c is not None:
            out.update(client={"id": c.id, "name": c.name, "tenant": self.names[c.tenant]},
                       account={"id": c.account_id, "name": c.account_name, "ident": c.ident},
                       owner_user={"id": c.owner_id, "name": c.owner_name})
        if leg.user is not None:
            out["user"] = {"id": leg.user[0], "name": leg.user[1]}
        if leg.amount is not None or leg.reseller_amount is not None:
            out["currency"] = "USD"
        for name in ("amount", "reseller_amount"):
            if getattr(leg, name) is not None:
                out[name] = str(getattr(leg, name))
        if s.kind == "video":
            out.update(start_time=rfc3339(s.start or s.setup), end_time=rfc3339(s.end))
        elif leg.answered:
            out.update(start_time=rfc3339(s.start or s.setup), disposition="ANSWERED")
            if leg.billsec is not None:
                out.update(billsec=leg.billsec, real_billsec=leg.billsec)
        elif leg.role == "term":
            out["disposition"] = "NO ANSWER"
        return out

    def describe(self) -> str:
        lines = [f"tree {self.parent}, tenant ids {self.tenant_ids}, day {wall(self.low)}"]
        for s in self.sessions:
            legs = ", ".join(
                f"{leg.leg_id}:{leg.client.key if leg.client else '-'}@{leg.tenant}"
                f"{' answered' if leg.answered else ''}"
                f"{f' amount {leg.amount}' if leg.amount is not None else ''}"
                f"{f' reseller {leg.reseller_amount}' if leg.reseller_amount else ''}"
                for leg in s.legs)
            state = "live" if s.live else "ended"
            lines.append(f"{s.source_id} {state} {s.kind} of {s.tenant}: {legs}")
        return "\n".join(lines)


# --- the strategies ------------------------------------------------------------------------

def labels_of(resellers: list[int]) -> list[str]:
    return ["root", *(label for r, customers in enumerate(resellers, 1)
                      for label in [f"R{r}", *(f"C{r}{c}" for c in range(1, customers + 1))])]


def maybe(strategy: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    return st.none() | strategy


@st.composite
def worlds(draw: st.DrawFn) -> dict[str, Any]:
    resellers = draw(st.lists(st.integers(0, 2), min_size=1, max_size=3), label="resellers")
    labels = labels_of(resellers)
    probe = World(0, {"resellers": resellers, "sessions": [], "callers": []})
    retail, carriers = probe.client_keys("retail"), probe.client_keys("carrier")
    transit = probe.client_keys("transit")
    fraction = st.sampled_from(FRACTIONS)
    attempt = st.tuples(maybe(st.sampled_from(carriers + transit + transit)), st.booleans(),
                        fraction)
    # the session's own tenant: mostly its originating client's (None), else any
    tenant = st.sampled_from([None, None] + labels)
    call = st.fixed_dictionaries({
        "kind": st.sampled_from(["call", "call", "call", "live"]), "tenant": tenant,
        "orig": maybe(st.sampled_from(retail)), "orig_amount": fraction,
        "reseller_amount": fraction, "user": st.booleans(), "app": st.booleans(),
        "attempts": st.lists(attempt, max_size=3), "billsec": st.integers(1, 600)})
    video = st.fixed_dictionaries({
        "kind": st.just("video"), "tenant": tenant, "orig": st.none(),
        "participants": st.lists(maybe(st.sampled_from(retail)), min_size=1, max_size=3)})
    sessions = draw(st.lists(call | video, min_size=2, max_size=8), label="sessions")
    # a caller at each level of the tree, of a role and at a tenant of that level
    callers = []
    for level in ("root", "reseller", "customer"):
        tenants = [t for t in labels if probe.level(t) == level]
        if tenants:
            callers.append((draw(st.sampled_from(ROLES_AT[level])), draw(st.sampled_from(
                tenants))))
    return {"resellers": resellers, "sessions": sessions, "callers": callers}


def a_call(orig: str | None, attempts: list[tuple[str | None, bool, str | None]],
           tenant: str | None = None, reseller: str | None = None,
           kind: str = "call") -> dict[str, Any]:
    """A drawn call, as `worlds` draws them: answered by its answering carrier, if any."""
    return {"kind": kind, "tenant": tenant, "orig": orig, "orig_amount": "17",
            "reseller_amount": reseller, "user": True, "app": True, "attempts": attempts,
            "billsec": 60}


# Worlds every test tries first (hypothesis' explicit examples).
SCENARIOS = {
    # root's client calls through R1's transit client, which fails, then a carrier of
    # root: R1 sees the call through its transit leg only
    "transit": {"resellers": [1], "sessions": [
        a_call("root/retail1", [("R1/transit1", False, "17"), ("root/carrier1", True, "17")],
               kind=kind) for kind in ("call", "live")],
        "callers": [("reseller", "R1"), ("admin", "root"), ("customer", "C11")]},
    # C11's client calls through a carrier of root; R1 pays its reseller_amount
    "carrier": {"resellers": [1], "sessions": [
        a_call("C11/retail1", [("root/carrier1", True, "17")], reseller="17", kind=kind)
        for kind in ("call", "live")],
        "callers": [("customer", "C11"), ("accountant", "C11"), ("reseller", "R1"),
                    ("accountant", "root")]},
    # sessions of a tenant the caller does not see, with a leg of the caller's: a call of
    # root from C11's client, a call of R1 from root's client, a video session of root
    # with a participant of C11's
    "owner": {"resellers": [1], "sessions": [
        a_call("C11/retail1", [], tenant="root"),
        a_call("root/retail1", [(None, False, None)], tenant="R1"),
        {"kind": "video", "tenant": "root", "orig": None, "participants": ["C11/retail1"]}],
        "callers": [("customer", "C11"), ("reseller", "R1")]},
}


def scenarios(test: Any) -> Any:
    for drawn in reversed(SCENARIOS.values()):
        test = example(drawn=drawn)(test)
    return test


# --- the model -----------------------------------------------------------------------------

class Scope:
    """What one caller may see (docs/tenancy.md).

    `strict` holds the tenants whose legs must be shown, `loose` the tenants whose legs may
    be: the same set (the subtree) everywhere but in the history of the caller's own tenant
    (no `child_account_id`), whose listed descendants' legs the spec lets either way.
    """

    def __init__(self, world: World, label: str, own_only: bool = False) -> None:
        self.world, self.label = world, label
        self.loose = world.subtree(label)
        self.strict = {label} if own_only else self.loose

    def lists(self, s: Session) -> bool:
        """A session is listed when one of its legs has its tenant in `strict`."""
        return any(leg.tenant in self.strict for leg in s.legs)

    def shows(self, tenant: str) -> bool | None:
        """True: shown; False: hidden; None: either."""
        return True if tenant in self.strict else None if tenant in self.loose else False


def hidden_values(world: World, label: str) -> tuple[set[str], set[str]]:
    """(names, numbers) that no answer to a caller at `label` may contain."""
    scope = world.subtree(label)
    names: set[str] = set()
    numbers: set[str] = set()
    for c in world.clients.values():
        if c.tenant not in scope:
            found_names, found_ids = c.secrets()
            names.update(found_names)
            numbers.update(map(str, found_ids))
    for s in world.sessions:
        if s.tenant not in scope:
            found_names, found_ids = s.owner_secrets()
            names.update(found_names)
            numbers.update(map(str, found_ids))
        for leg in s.legs:
            if leg.amount is not None and leg.tenant not in scope:
                numbers.update({str(leg.amount), str(written(leg.amount))})
            if leg.reseller_amount is not None and leg.payer not in scope:
                numbers.update({str(leg.reseller_amount), str(written(leg.reseller_amount))})
    return names, numbers


def leaks(text: str, hidden: tuple[set[str], set[str]]) -> list[str]:
    names, numbers = hidden
    found = sorted(name for name in names if name in text)
    return found + sorted(number for number in numbers
                          if re.search(rf"(?<![\d.]){re.escape(number)}(?!\d)", text))


def live_rows(world: World, label: str) -> list[dict[str, Any]]:
    """The live report's rows (docs/methods/active-sessions.md) for `LIVE_FIELDS`."""
    scope = Scope(world, label)
    rows = []
    for s in world.sessions:
        if not s.live or not scope.lists(s):
            continue
        row: dict[str, Any] = {"session_id": s.source_id, "quantity": 1}
        for side, leg in (("orig", s.orig), ("term", s.term())):
            c = leg.client if leg is not None and scope.shows(leg.tenant) else None
            row[f"{side}_clients_id"] = c.id if c else None
            row[f"{side}_clients_name"] = c.name if c else None
        term = s.term()
        c = term.client if term is not None and scope.shows(term.tenant) else None
        row["term_accounts_name"] = c.account_name if c else None
        rows.append(row)
    return sorted(rows, key=lambda r: r["session_id"])


def ended_calls(world: World, scope: Scope) -> list[Session]:
    return [s for s in world.sessions if s.kind == "call" and not s.live and scope.lists(s)]


Figures = dict[str, Any]
MEASURES = ("total_calls", "answered_calls", "billsec", "price", "cost")
# aggregate_get's group keys (docs/methods/aggregate.md): which leg, and its client or account
GROUPS = {"group_by_user": ("originator", "orig", "client"),
          "group_by_device": ("device", "orig", "account"),
          "group_by_terminator": ("terminator", "term", "client"),
          "group_by_provider": ("provider", "term", "account")}


def amounts(legs: Iterable[Leg]) -> Decimal:
    return sum((leg.amount for leg in legs if leg.amount is not None), Decimal(0))


def no_calls() -> Figures:
    return {"total_calls": 0, "answered_calls": 0, "billsec": 0, "price": Decimal(0),
            "cost": Decimal(0)}


def group_key(s: Session, scope: Scope, flags: list[str]) -> tuple[Any, ...]:
    """The session's group keys, `(id, name)` for each flag: null when the leg is hidden
    (docs/tenancy.md) or has no client."""
    out: list[Any] = []
    for flag in flags:
        _, side, what = GROUPS[flag]
        leg = s.orig if side == "orig" else s.term()
        c = leg.client if leg is not None and scope.shows(leg.tenant) else None
        out += [None, None] if c is None else [c.id, c.name] if what == "client" else [
            c.account_id, c.account_name]
    return tuple(out)


def aggregate_expected(world: World, label: str,
                       flags: list[str]) -> tuple[dict[Any, Figures], Figures]:
    """`aggregate_get` grouped by `flags`: ({group keys: figures}, totals).

    Prices (docs/methods/aggregate.md, docs/tenancy.md): for the root, `price` is each call's
    `reseller_amount`, else its `amount`, and `cost` its terminating legs' amounts; for a
    reseller's tenant, `price` and `cost` are `amount` and `reseller_amount` of the calls of
    its own users (their originating leg in its subtree). For other tenants the spec does
    not say: no price is expected (the hidden values are still searched for).
    """
    scope = Scope(world, label)
    level = world.level(label)
    rows: dict[Any, Figures] = {}
    totals = no_calls()
    for s in ended_calls(world, scope):
        orig = s.orig
        figures: Figures = {"total_calls": 1, "answered_calls": int(s.start is not None),
                            "billsec": orig.billsec or 0, "price": Decimal(0),
                            "cost": Decimal(0)}
        if level == "root":
            figures["price"] = orig.reseller_amount or orig.amount or Decimal(0)
            figures["cost"] = amounts(s.legs[1:])
        elif level == "reseller" and orig.tenant in scope.strict:
            figures["price"] = orig.amount or Decimal(0)
            figures["cost"] = orig.reseller_amount or Decimal(0)
        row = rows.setdefault(group_key(s, scope, flags), no_calls())
        for name in MEASURES:
            row[name] += figures[name]
            totals[name] += figures[name]
    for figures in [*rows.values(), totals]:
        figures["price"], figures["cost"] = written(figures["price"]), written(figures["cost"])
    return rows, totals


def owner_view(world: World, s: Session, scope: Scope) -> dict[str, Any] | None:
    """The session owner's fields as the scope shows them (None: hidden;
    docs/tenancy.md). `user_id` is the originating leg's user for a call; for a video session,
    one of its participants' (the spec does not say which): `...` stands for "any"."""
    if not scope.shows(s.tenant):
        return None
    user: Any = s.orig.user[0] if s.kind == "call" and s.orig.user else None
    if s.kind == "video":
        user = ...
    app = s.application
    return {"account_id": world.tenant_ids[s.tenant], "user_id": user,
            "application_id": app[0] if app else None,
            "application_name": app[1] if app else None, "rule_name": s.rule_name}


def brief_costs(s: Session, scope: Scope) -> set[Decimal]:
    """The Brief `cost`s the spec allows: the sum of the visible amounts of the session's
    legs (or of its first leg alone, what its client is charged), written half-even with
    the minor digits; the legs of descendants in the own-tenant history either way."""
    out = set()
    for shown in ({True}, {True, None}):
        visible = [leg for leg in s.legs if scope.shows(leg.tenant) in shown]
        for legs in (visible, [leg for leg in visible if leg is s.orig]):
            out.add(written(amounts(legs)))
    return out


# --- talking to the gateway ----------------------------------------------------------------

@dataclass
class Caller:
    """A key of one role at one tenant of the world, and what it may not learn."""

    client: Any
    world: World
    role: str
    label: str
    key: str
    hidden: tuple[set[str], set[str]] = field(init=False)

    def __post_init__(self) -> None:
        self.hidden = hidden_values(self.world, self.label)

    def __str__(self) -> str:
        return f"{self.role} of {self.label}"

    def no_leaks(self, text: str, where: str) -> None:
        found = leaks(text, self.hidden)
        assert not found, f"{where} as {self} shows hidden values {found}: {text[:2000]}"

    async def answer(self, method: str, params: dict[str, Any]) -> dict[str, Any]:
        """The whole JSON-RPC response (numbers as Decimals), its text searched for leaks."""
        body = {"jsonrpc": "2.0", "method": method, "params": params, "id": 1}
        response = await self.client.post("/rpc", json=body, headers={"X-Api-Key": self.key})
        text = await response.text()
        assert response.status == 200, text
        self.no_leaks(text, method)
        parsed: dict[str, Any] = json.loads(text, parse_float=Decimal)
        return parsed

    async def call(self, method: str, params: dict[str, Any], quiet: bool = False) -> Any:
        answer = await self.answer(method, params)
        assert "result" in answer, f"{method} {params} as {self}: {answer}"
        if not quiet:
            note(f"{method} {params} as {self}: {answer['result']}")
        return answer["result"]

    async def report(self, report_id: int) -> str:
        """The file of an async export, once made, fetched as the spec describes
        (docs/methods/call-history.md: GetHistoryReports, DownloadHistoryReport, its url)."""
        for _ in range(400):
            listed = await self.call("GetHistoryReports", {"history_report_id": [report_id],
                                                           "history_type": "all"}, quiet=True)
            (report,) = listed["result"]
            if "completed" in report or report.get("status") == "failed":
                break
            await asyncio.sleep(0.025)
        assert "completed" in report, f"report {report_id} of {self}: {report}"
        where = await self.call("DownloadHistoryReport", {"history_report_id": report_id},
                                quiet=True)
        response = await self.client.get(where["url"], headers={
            "X-Api-Key": self.key, "Accept-Encoding": "identity"})
        text = await response.text()
        assert response.status == 200, text
        self.no_leaks(text, f"the file of report {report_id}")
        note(f"report {report_id} of {self}: {text}")
        return str(text)


async def ingest(client: Any, key: str, records: list[dict[str, Any]]) -> None:
    body = {"jsonrpc": "2.0", "method": "ingest.sessions", "params": {"records": records},
            "id": 1}
    response = await client.post("/rpc", json=body, headers={"X-Api-Key": key})
    answer = await response.json()
    result = answer.get("result", {})
    assert result.get("rejected") == [] and result["accepted"] + result["unchanged"] == \
        len(records), answer


@contextlib.asynccontextmanager
async def built(client: Any, make_tenant: Any, make_key: Any, ingest_key: str,
                drawn: dict[str, Any]) -> AsyncIterator[tuple[World, list[Caller], dict]]:
    """The world stored, its callers' keys, and the stored sessions' ids by source id; its
    live calls end when the example does (so that no later example sees them)."""
    world = World(next(WORLDS), drawn)
    for label in world.labels[1:]:
        made = await make_tenant(world.names[label], world.names[world.parent[label] or "root"])
        world.tenant_ids[label] = made["id"]
    (root,) = await client.app[appkeys.DB].fetch_all(
        "SELECT id FROM tenants WHERE name = 'root'")
    world.tenant_ids["root"] = int(root["id"])
    note(world.describe())
    await ingest(client, ingest_key, world.records())
    try:
        callers = [Caller(client, world, role, label, await make_key(
            role, world.names[label], rate_limit="unlimited")) for role, label in world.callers]
        ids = await stored_ids(client, world)
        yield world, callers, ids
    finally:
        if any(s.live for s in world.sessions):
            await ingest(client, ingest_key, [world.record(s, ended=True)
                                              for s in world.sessions if s.live])


async def stored_ids(client: Any, world: World) -> dict[int, Session]:
    """`call_session_history_id` -> the session (the gateway's own ids, from its store)."""
    rows = await client.app[appkeys.DB].fetch_all("SELECT id, source_id FROM sessions")
    by_source = {s.source_id: s for s in world.sessions}
    return {int(r["id"]): by_source[r["source_id"]] for r in rows
            if r["source_id"] in by_source}


# --- the checks ----------------------------------------------------------------------------
# Each takes `where` (the method and the caller) for its messages.

def same_sessions(got: Iterable[Any], expected: Iterable[Any], by_id: dict[Any, Session],
                  where: str) -> None:
    """The listed sessions are the expected ones, each once."""
    got, expected = sorted(got), sorted(expected)
    if got != expected:
        def named(keys: Iterable[Any]) -> list[str]:
            return [by_id[k].source_id if k in by_id else str(k) for k in keys]
        raise AssertionError(
            f"{where} lists the wrong sessions: missing {named(set(expected) - set(got))}, "
            f"not visible {named(set(got) - set(expected))}, listed {named(got)}")


def check_owner(world: World, got: dict[str, Any], s: Session, scope: Scope, where: str,
                empty: Any = None) -> None:
    """The owner fields of one listed session (`empty`: how a null is written)."""
    view = owner_view(world, s, scope)
    if scope.shows(s.tenant) is False:
        assert {f: got.get(f, "absent") for f in OWNER} == dict.fromkeys(OWNER, empty), \
            f"{where}: {s.source_id} belongs to {s.tenant}, outside the scope: its owner's " \
            f"fields must be {empty!r}"
    elif view is not None:
        for name, value in view.items():
            if value is not ...:
                written_as = value if empty is None or value is None else str(value)
                assert got.get(name, empty) == (empty if value is None else written_as), \
                    f"{where}: {name} of {s.source_id}"


def check_calls(got: list[dict[str, Any]], s: Session, scope: Scope, where: str) -> None:
    """CallInfoType: one call per leg, its `cost` null (and present) when the leg is hidden."""
    by_parties = {frozenset((c.get("local_number"), c.get("remote_number"))): c for c in got}
    assert len(got) == len(s.legs) == len(by_parties), f"{where}: the calls of {s.source_id}"
    for leg in s.legs:
        call = by_parties[frozenset((leg.src, leg.dst))]
        shown = scope.shows(leg.tenant)
        if shown is False:
            assert call.get("cost", "absent") is None, \
                f"{where}: leg {leg.leg_id} of {s.source_id} belongs to {leg.tenant}, " \
                f"outside the scope: its cost must be null, not {call.get('cost', 'absent')}"
        elif shown:
            assert call.get("cost") == leg.amount, f"{where}: leg {leg.leg_id} of {s.source_id}"


def listed_ids(ids: dict[int, Session], scope: Scope) -> list[int]:
    """The ended sessions (calls and video) the scope lists."""
    return [i for i, s in ids.items() if not s.live and scope.lists(s)]


def check_history(world: World, ids: dict[int, Session], scope: Scope,
                  result: dict[str, Any], where: str) -> None:
    """A JSON page of GetCallHistory (with_calls) holding every matching session."""
    got = result["result"]
    expected = listed_ids(ids, scope)
    same_sessions((x["call_session_history_id"] for x in got), expected, ids, where)
    assert result["total_count"] == len(expected), f"{where}: total_count"
    for x in got:
        s = ids[x["call_session_history_id"]]
        check_owner(world, x, s, scope, where)
        check_calls(x.get("calls", []), s, scope, where)


def csv_rows(text: str, columns: list[str], where: str) -> list[dict[str, str]]:
    reader = csv.DictReader(io.StringIO(text, newline=""))
    assert reader.fieldnames == columns, f"{where}: columns {reader.fieldnames}"
    return list(reader)


def check_history_csv(world: World, ids: dict[int, Session], scope: Scope, text: str,
                      where: str) -> None:
    rows = csv_rows(text, HISTORY_COLUMNS, where)
    same_sessions((int(r["call_session_history_id"]) for r in rows), listed_ids(ids, scope),
                  ids, where)
    for r in rows:
        check_owner(world, r, ids[int(r["call_session_history_id"])], scope, where, empty="")


def check_brief(ids: dict[int, Session], scope: Scope, text: str, where: str) -> None:
    rows = csv_rows(text, BRIEF_COLUMNS, where)
    same_sessions((int(r["call_session_history_id"]) for r in rows), listed_ids(ids, scope),
                  ids, where)
    for r in rows:
        s = ids[int(r["call_session_history_id"])]
        if r["cost"] not in ("", "0"):
            assert re.fullmatch(r"-?\d+\.\d\d", r["cost"]), f"{where}: {s.source_id}"
        allowed = brief_costs(s, scope)
        assert Decimal(r["cost"] or 0) in allowed, \
            f"{where}: the cost of {s.source_id} is {r['cost']}, not a sum of its visible " \
            f"amounts: one of {sorted(map(str, allowed))}"


def check_aggregate(result: dict[str, Any], world: World, label: str, flags: list[str],
                    where: str) -> None:
    rows, totals = aggregate_expected(world, label, flags)
    money = world.level(label) in ("root", "reseller")
    measures = list(MEASURES if money else MEASURES[:3])
    keys = [f"{GROUPS[flag][0]}_{part}" for flag in flags for part in ("id", "name")]
    got = {tuple(r[k] for k in keys): {m: r[m] for m in measures}
           for r in result["aggregates"]}
    assert len(got) == len(result["aggregates"]), f"{where}: {result['aggregates']}"
    assert {m: result["totals"][m] for m in measures} == {m: totals[m] for m in measures}, \
        f"{where}: totals"
    assert got == {k: {m: r[m] for m in measures} for k, r in rows.items()}, \
        f"{where}: rows by {', '.join(keys)}"


def coverage(world: World, callers: list[Caller]) -> None:
    """What the example covers (`--hypothesis-show-statistics`)."""
    for caller in callers:
        scope = Scope(world, caller.label)
        event(f"caller: {caller.role} of a {world.level(caller.label)}")
        for s in world.sessions:
            legs = [leg.tenant in scope.loose for leg in s.legs]
            if any(legs) and not all(legs):
                event("a session with legs in and out of the scope")
            if any(legs) and s.tenant not in scope.loose:
                event("a visible session of a tenant out of the scope")
            if s.kind == "call" and not legs[0] and any(
                    leg.tenant in scope.loose and leg.client and "/transit" in leg.client.key
                    for leg in s.legs[1:]):
                event("a call seen only through a transit attempt")


# --- the tests -----------------------------------------------------------------------------

SETTINGS = settings(max_examples=EXAMPLES, phases=NO_SHRINK, deadline=None)


@SETTINGS
@scenarios
@given(drawn=worlds())
async def test_the_live_report_shows_the_sessions_with_a_leg_in_scope(
        client, make_tenant, make_key, ingest_key, drawn):
    async with built(client, make_tenant, make_key, ingest_key, drawn) as (world, callers, _):
        coverage(world, callers)
        for caller in callers:
            rows = await caller.call(ACTIVE, {"return_fields": LIVE_FIELDS})
            expected = live_rows(world, caller.label)
            by_source = {s.source_id: s for s in world.sessions}
            where = f"the live report as {caller}"
            same_sessions((r["session_id"] for r in rows), (r["session_id"] for r in expected),
                          by_source, where)
            assert sorted(rows, key=lambda r: r["session_id"]) == expected, where


@SETTINGS
@scenarios
@given(drawn=worlds())
async def test_aggregate_get_counts_the_sessions_with_a_leg_in_scope(
        client, make_tenant, make_key, ingest_key, drawn):
    async with built(client, make_tenant, make_key, ingest_key, drawn) as (world, callers, _):
        coverage(world, callers)
        for caller in callers:
            day = {"from": world.low, "till": world.high}
            if caller.role == "customer":
                answer = await caller.answer(AGGREGATE, {**day, "group_by_user": 1})
                assert answer.get("error", {}).get("code") == 403, answer
                continue
            for flags in (["group_by_user", "group_by_device"],
                          ["group_by_terminator", "group_by_provider"]):
                params = {**day, **dict.fromkeys(flags, 1)}
                # the summaries answer whole 15-minute buckets; a partial edge or a number
                # filter reads the raw calls (docs/methods/aggregate.md)
                for path, sent in (("summaries", params),
                                   ("raw, a partial edge", {**params, "from": world.low + 1}),
                                   ("raw, a_src", {**params, "a_src": "%"})):
                    check_aggregate(await caller.call(AGGREGATE, sent), world, caller.label,
                                    flags, f"aggregate_get {sent} ({path}) as {caller}")


@SETTINGS
@scenarios
@given(drawn=worlds())
async def test_the_call_history_lists_and_masks_by_legs(
        client, make_tenant, make_key, ingest_key, drawn):
    async with built(client, make_tenant, make_key, ingest_key, drawn) as stored:
        world, callers, ids = stored
        coverage(world, callers)
        for caller in callers:
            dates = {"from_date": wall(world.low), "to_date": wall(world.high), "count": 1000}
            subtree = Scope(world, caller.label)
            every = {**dates, "child_account_id": "all"}
            result = await caller.call(HISTORY, {**every, "with_calls": True})
            check_history(world, ids, subtree, result,
                          f"GetCallHistory (all) as {caller}")
            result = await caller.call(HISTORY, {**every, "output": "csv"})
            check_history_csv(world, ids, subtree, result["result"],
                              f"GetCallHistory (all, csv) as {caller}")
            result = await caller.call(HISTORY, {**dates, "with_calls": True})
            check_history(world, ids, Scope(world, caller.label, own_only=True), result,
                          f"GetCallHistory (own tenant) as {caller}")


@SETTINGS
@scenarios
@given(drawn=worlds())
async def test_history_exports_list_and_mask_by_legs(
        client, make_tenant, make_key, ingest_key, drawn):
    async with built(client, make_tenant, make_key, ingest_key, drawn) as stored:
        world, callers, ids = stored
        coverage(world, callers)
        dates = {"from_date": wall(world.low), "to_date": wall(world.high)}
        jobs = []
        for caller in callers:
            made = await caller.call(HISTORY, {**dates, "child_account_id": "all",
                                               "output": "csv", "is_async": True})
            brief = await caller.call(BRIEF, dates)
            jobs.append((caller, made["history_report_id"], brief["history_report_id"]))
        for caller, calls_report, brief_report in jobs:
            check_history_csv(world, ids, Scope(world, caller.label),
                              await caller.report(calls_report),
                              f"the GetCallHistory (all) file as {caller}")
            check_brief(ids, Scope(world, caller.label, own_only=True),
                        await caller.report(brief_report),
                        f"the GetBriefCallHistory file as {caller}")


@SETTINGS
@scenarios
@given(drawn=worlds())
async def test_the_video_list_shows_the_sessions_with_a_leg_in_scope(
        client, make_tenant, make_key, ingest_key, drawn):
    async with built(client, make_tenant, make_key, ingest_key, drawn) as (world, callers, _):
        coverage(world, callers)
        for caller in callers:
            scope = Scope(world, caller.label)
            where = f"ucaas.sessions.list as {caller}"
            result = await caller.call(VIDEO, {
                "search_by": ["from_session_date", "to_session_date"],
                "search_string": [wall(world.low), wall(world.high)], "page_length": 1000})
            expected = {s.source_id: s for s in world.sessions
                        if s.kind == "video" and scope.lists(s)}
            same_sessions((x["session_id"] for x in result["sessions"]), expected,
                          {s.source_id: s for s in world.sessions}, where)
            assert result["total"] == len(expected), f"{where}: total"
            for x in result["sessions"]:
                s = expected[x["session_id"]]
                if scope.shows(s.tenant) is False:
                    assert (x.get("user_id", "absent"), x.get("user_name", "absent")) == \
                        (None, None), f"{where}: {s.source_id} belongs to {s.tenant}, " \
                        "outside the scope: its owner must be null"
                else:
                    assert x["user_id"] in {str(leg.user[0]) for leg in s.legs if leg.user}, \
                        f"{where}: the owner of {s.source_id}"
