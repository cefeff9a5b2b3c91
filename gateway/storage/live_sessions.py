"""SQL of live call sessions: one row per session with its originating leg (`o`) and its
terminating leg (`t`: the attempt chosen at ingest, `sessions.term_leg`), and the
expressions of their attributes."""

from __future__ import annotations

from dataclasses import dataclass

from gateway.query.scope import tenant_within
from gateway.query.select import Filter, Join, Source
from gateway.query.sql import TRUE, Sql, when
from gateway.storage.backend import Connection
from gateway.storage.sessions import ORIG_LEG_ON, TERM_LEG_ON

LIVE_CALLS = Filter(Sql("s.kind = 'call' AND s.end_time IS NULL"))


def _leg_joins(leg: str, on: str, deck: int | None) -> tuple[Join, ...]:
    return (
        Join(leg, Sql(f"LEFT JOIN legs {leg} ON {on}")),
        Join(f"{leg}c", Sql(f"LEFT JOIN clients {leg}c ON {leg}c.id = {leg}.client_id"), (leg,)),
        Join(f"{leg}a", Sql(f"LEFT JOIN accounts {leg}a ON {leg}a.id = {leg}.account_id"),
             (leg,)),
        Join(f"{leg}rc", Sql(
            f"LEFT JOIN code_deck_codes {leg}rc ON {leg}rc.code_deck_id = "
            f"COALESCE(?, {leg}.code_deck_id) AND {leg}rc.prefix = "
            f"COALESCE({leg}.rates_code, {leg}.dst_code)", (deck,)), (leg,)),
    )


def source(deck: int | None) -> Source:
    """Sessions with their legs; `deck` names the code deck of the rate code names
    (None: each leg's own deck)."""
    return Source("sessions s", (
        Join("e", Sql("LEFT JOIN equipment e ON e.id = s.equipment_id")),
        *_leg_joins("o", ORIG_LEG_ON, deck), *_leg_joins("t", TERM_LEG_ON, deck)))


def visible(scope: str) -> Filter:
    """A session with any leg in the subtree (every session has a leg: for the root, no
    condition)."""
    within = tenant_within("x.tenant_id", scope)
    if within is TRUE:
        return Filter(TRUE)
    return Filter(Sql(f"EXISTS (SELECT 1 FROM legs x WHERE x.session_id = s.id "
                      f"AND {within.text})", within.params))


@dataclass(frozen=True)
class Attribute:
    sql: Sql
    needs: tuple[str, ...]
    text: bool = False


SESSION = {
    "source_id": Attribute(Sql("s.source_id"), (), text=True),
    "setup_time": Attribute(Sql("s.setup_time"), ()),
    "start_time": Attribute(Sql("s.start_time"), ()),
    "equipment_id": Attribute(Sql("s.equipment_id"), ()),
    "equipment_name": Attribute(Sql("e.name"), ("e",), text=True),
}


def leg_attributes(leg: str, scope: str) -> dict[str, Attribute]:
    """A leg's attributes; the commercial ones are NULL for a leg outside the subtree."""
    shown = tenant_within(f"{leg}.tenant_id", scope)

    def hidden(text: str, needs: tuple[str, ...], is_text: bool = False) -> Attribute:
        return Attribute(when(shown, Sql(text)), (leg, *needs), is_text)

    return {
        "leg_id": Attribute(Sql(f"{leg}.leg_id"), (leg,), text=True),
        "src": Attribute(Sql(f"{leg}.src"), (leg,), text=True),
        "dst": Attribute(Sql(f"{leg}.dst"), (leg,), text=True),
        "tenant_id": hidden(f"{leg}.tenant_id", ()),
        "owner_user_id": hidden(f"{leg}.owner_user_id", ()),
        "client_id": hidden(f"{leg}.client_id", ()),
        "client_name": hidden(f"{leg}c.name", (f"{leg}c",), True),
        "account_id": hidden(f"{leg}.account_id", ()),
        "account_name": hidden(f"{leg}a.name", (f"{leg}a",), True),
        "account_ident": hidden(f"{leg}a.ident", (f"{leg}a",), True),
        "rates_code": hidden(f"COALESCE({leg}.rates_code, {leg}.dst_code)", (), True),
        "rates_code_name": hidden(f"{leg}rc.name", (f"{leg}rc",), True),
    }


def seconds_since_answer(now: int) -> Sql:
    """Whole seconds from the session's answer to `now`; 0 before the answer."""
    return Sql("CASE WHEN s.start_time IS NULL OR s.start_time > ? THEN 0 "
               "ELSE ? - s.start_time END", (now, now))


async def time_range(conn: Connection) -> tuple[int, int] | None:
    """The earliest and latest setup or answer time of the live calls (None: no call)."""
    row = await conn.fetch_one(
        "SELECT MIN(setup_time) AS low, MAX(COALESCE(start_time, setup_time)) AS high "
        "FROM sessions s WHERE s.kind = 'call' AND s.end_time IS NULL")
    if row is None or row["low"] is None:
        return None
    return int(row["low"]), int(row["high"])
