"""SQL of live call sessions: one row per session with its originating leg (`o`) and its
terminating leg (`t`: the attempt chosen at ingest, `sessions.term_leg`), and the
expressions of their attributes."""

from __future__ import annotations

from gateway.storage.attributes import Attribute, plain
from gateway.storage.backend import Connection
from gateway.storage.sessions import ORIG_LEG_ON, TERM_LEG_ON
from gateway.storage.sources import Filter, Join, Source
from gateway.storage.sql import Sql

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


SESSION = {
    "source_id": plain("s.source_id", text=True),
    "setup_time": plain("s.setup_time"),
    "start_time": plain("s.start_time"),
    "equipment_id": plain("s.equipment_id"),
    "equipment_name": plain("e.name", "e", text=True),
}


def leg_attributes(leg: str) -> dict[str, Attribute]:
    """A leg's attributes; the commercial ones are the leg's tenant's (docs/tenancy.md)."""
    tenant = f"{leg}.tenant_id"

    def commercial(expr: str, *needs: str, text: bool = False) -> Attribute:
        return plain(expr, leg, *needs, text=text, tenant=tenant)

    return {
        "leg_id": plain(f"{leg}.leg_id", leg, text=True),
        "src": plain(f"{leg}.src", leg, text=True),
        "dst": plain(f"{leg}.dst", leg, text=True),
        "tenant_id": commercial(f"{leg}.tenant_id"),
        "owner_user_id": commercial(f"{leg}.owner_user_id"),
        "client_id": commercial(f"{leg}.client_id"),
        "client_name": commercial(f"{leg}c.name", f"{leg}c", text=True),
        "account_id": commercial(f"{leg}.account_id"),
        "account_name": commercial(f"{leg}a.name", f"{leg}a", text=True),
        "account_ident": commercial(f"{leg}a.ident", f"{leg}a", text=True),
        "rates_code": commercial(f"COALESCE({leg}.rates_code, {leg}.dst_code)", text=True),
        "rates_code_name": commercial(f"{leg}rc.name", f"{leg}rc", text=True),
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
