"""The rows a session record is stored as: the session, its legs, recordings and resource
usages, built in one place for `ingest.sessions` and for the demo's bulk loader.

Building them resolves every name the record carries (its tenants, reference objects and
destinations), and refuses the record when it names what it may not, before anything of
it is written.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from decimal import Decimal
from operator import itemgetter
from typing import Any

from gateway.storage.destinations import Destinations
from gateway.storage.loading import LOADED, Loading
from gateway.storage.names import Names
from gateway.storage.sessions import LEG_COLUMNS, SESSION_COLUMNS, setup_month

ORIG, TERM, PARTICIPANT = "orig", "term", "participant"  # leg roles
SET_UP, ANSWERED, ENDED = 0, 1, 2  # session states, in the only order they move
Key = tuple[int, str]  # (tenant id, session id from the source)
# Session fields stored as sent (the others are computed).
_COPIED = ("rule_name", "custom_data", "room_id", "meeting_id", "app_type", "audio_quality",
           "finish_reason", "initiator_address", "media_server_address", "log_file_url")
_SESSION_VALUES = itemgetter(*SESSION_COLUMNS)
_LEG_VALUES = itemgetter("leg_id", *LEG_COLUMNS)


@dataclass(slots=True)
class SessionRows:
    key: Key
    state: int
    month: int  # the partition key, `sessions.setup_month`
    session: tuple[Any, ...]  # in the order of `sessions.SESSION_COLUMNS`
    legs: list[tuple[Any, ...]]  # the leg id, then `sessions.LEG_COLUMNS`
    recordings: list[tuple[Any, ...]]  # the id, then `sessions.RECORD_COLUMNS[1:]`
    resources: list[tuple[Any, ...]]  # the id, then `sessions.RESOURCE_COLUMNS[1:]`


def state_of(start_time: int | None, end_time: int | None) -> int:
    if end_time is not None:
        return ENDED
    return ANSWERED if start_time is not None else SET_UP


def term_leg(legs: list[dict[str, Any]]) -> str | None:
    """The leg id of the attempt a call is reported by: the answered one, else the
    latest (the last listed)."""
    attempts = [(leg.get("start_time") is not None, i, leg["leg_id"])
                for i, leg in enumerate(legs) if leg["role"] == TERM]
    return max(attempts)[2] if attempts else None


_SESSION_REFERENCES = (("equipment", "equipment"), ("applications", "application"))
_LEG_REFERENCES = (("clients", "client"), ("accounts", "account"), ("users", "owner_user"),
                   ("users", "user"))


def referenced(record: dict[str, Any], into: dict[str, set[int]]) -> None:
    """Add the ids of the reference objects a session record names to `into` (by
    table), so that a batch reads their owners in one query per table."""
    for table, field in _SESSION_REFERENCES:
        if record.get(field) is not None:
            into.setdefault(table, set()).add(int(record[field]["id"]))
    for leg in record.get("legs", ()):
        for table, field in _LEG_REFERENCES:
            if leg.get(field) is not None:
                into.setdefault(table, set()).add(int(leg[field]["id"]))


async def session_rows(names: Names, destinations: Destinations, record: dict[str, Any],
                       tenant_id: int, digest: str, default_deck: int | None,
                       read: Loading = LOADED) -> SessionRows:
    """The rows of a session record of the tenant `tenant_id` (`digest`: its content
    hash). Reference objects are named in the record's order: the first to name one
    owns it."""
    equipment = await names.reference("equipment", record.get("equipment"), tenant_id,
                                      "equipment")
    application = await names.reference("applications", record.get("application"),
                                        tenant_id, "application")
    setup = read.time(record["setup_time"])
    assert setup is not None, "a session record has its setup time"
    month = setup_month(setup)
    legs = [await _leg(names, destinations, leg, i, tenant_id, setup, default_deck, read)
            for i, leg in enumerate(record["legs"])]
    for leg in legs:
        leg.update(owner_id=tenant_id, setup_month=month)
    start, end = read.time(record.get("start_time")), read.time(record.get("end_time"))
    state = state_of(start, end)
    session = {c: record.get(c) for c in _COPIED}
    session.update(
        kind=record.get("kind", "call"), state=state, seq=record.get("seq"),
        content_hash=digest, setup_time=setup, start_time=start, end_time=end,
        equipment_id=equipment, application_id=application, term_leg=term_leg(legs),
        setup_month=month)
    recordings = [(
        r["record_id"], tenant_id, r.get("url"), r.get("name"), read.time(r.get("start_time")),
        r.get("duration"), r.get("file_size"), read.money(r.get("cost")),
        r.get("transcription_url"), r.get("transcription_status"), month)
        for r in record.get("records", ())]
    resources = [(
        r["resource_usage_id"], tenant_id, r["resource_type"],
        None if r.get("quantity") is None else str(Decimal(str(r["quantity"]))),
        r.get("unit"), read.money(r.get("cost")), r.get("description"),
        read.time(r.get("used_at")), r.get("ref_leg_id"), month)
        for r in record.get("resources", ())]
    return SessionRows((tenant_id, record["session_id"]), state, month, _SESSION_VALUES(session),
                       [_LEG_VALUES(leg) for leg in legs], recordings, resources)


@functools.lru_cache(maxsize=128)
def _paths(position: int) -> tuple[str, ...]:
    """The field paths of a leg's names (a refused record is told which), made once per
    position: the client's tenant, client, account, owner user, user."""
    return tuple(f"legs.{position}.{field}" for field in (
        "client.tenant", "client", "account", "owner_user", "user"))


async def _leg(names: Names, destinations: Destinations, leg: dict[str, Any], position: int,
               session_tenant: int, session_setup: int | None, default_deck: int | None,
               read: Loading) -> dict[str, Any]:
    tenant_path, client_path, account_path, owner_user_path, user_path = _paths(position)
    client = leg.get("client")
    leg_tenant = session_tenant
    if client is not None:
        if client.get("tenant") is not None:
            leg_tenant = await names.tenant(client["tenant"], tenant_path)
        else:
            leg_tenant = await names.owner("clients", int(client["id"])) or session_tenant
    client_id = await names.reference("clients", client, leg_tenant, client_path)
    account = leg.get("account")
    account_id = await names.reference("accounts", account, leg_tenant, account_path,
                                       (client_id, account and account.get("ident")))
    get = leg.get
    owner_user = await names.reference("users", get("owner_user"), leg_tenant, owner_user_path)
    user = await names.reference("users", get("user"), leg_tenant, user_path)
    deck = get("code_deck_id") or default_deck
    dst, role = get("dst"), leg["role"]
    destination = None
    if deck is not None and dst and role != PARTICIPANT:
        destination = await destinations.find(deck, dst)
    dst_code, dst_name, dst_country = destination or (None, None, None)
    setup, incoming = read.time(get("setup_time")), get("incoming")
    return {
        "leg_id": leg["leg_id"], "role": role, "position": position, "tenant_id": leg_tenant,
        "src": get("src"), "dst": dst, "incoming": None if incoming is None else int(incoming),
        "client_id": client_id, "account_id": account_id, "owner_user_id": owner_user,
        "user_id": user, "rates_code": get("rates_code"), "code_deck_id": deck,
        "dst_code": dst_code, "dst_name": dst_name, "dst_country": dst_country,
        "setup_time": setup if setup is not None else session_setup,
        "start_time": read.time(get("start_time")), "end_time": read.time(get("end_time")),
        "billsec": get("billsec"), "real_billsec": get("real_billsec"),
        "disposition": get("disposition"), "hangup_cause": get("hangup_cause"),
        "pdd_ms": get("pdd_ms"), "amount": read.money(get("amount")),
        "reseller_amount": read.money(get("reseller_amount")),
        "currency": read.currency(get("currency")), "name": get("name"),
        "participant_role": get("participant_role"), "ip": get("ip"), "agent": get("agent"),
        "call_num": get("call_num"), "call_log_id": get("call_log_id"),
        "user_ref": get("user_ref")}
