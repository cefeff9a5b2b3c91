"""The 31 fields of the live sessions report as columns of the query layer."""

from __future__ import annotations

from dataclasses import replace
from zoneinfo import ZoneInfo

from gateway.query.listing import column_of
from gateway.query.select import Column
from gateway.query.zones import local_time
from gateway.storage import live_sessions as live
from methods.active_sessions.params import LEG_FIELDS

TIME_FIELDS = ("session_setup_time", "session_start_time")
# report field of a leg -> the leg attribute it shows
_LEG = dict(zip(LEG_FIELDS, ("leg_id", "src", "dst", "tenant_id", "owner_user_id", "client_id",
                             "client_name", "account_id", "account_name", "account_ident",
                             "rates_code", "rates_code_name")))
_SESSION = {"session_id": "source_id", "session_setup_time": "setup_time",
            "session_start_time": "start_time", "equipment_id": "equipment_id",
            "equipment_name": "equipment_name"}


def columns(scope: str, now: int, zone: ZoneInfo,
            time_range: tuple[int, int] | None) -> dict[str, Column]:
    """Every field's column, for a caller's scope, one `now`, and the zone of the times
    (`time_range`: the span of the stored times the zone's offsets must cover)."""
    out: dict[str, Column] = {}
    for name, attribute in _SESSION.items():
        column = column_of(name, live.SESSION[attribute], scope)
        if name in TIME_FIELDS and time_range is not None:
            column = replace(column, expr=local_time(column.expr, zone, *time_range))
        out[name] = column
    for leg in ("orig", "term"):
        attributes = live.leg_attributes(leg[0])
        for name, attribute in _LEG.items():
            out[f"{leg}_{name}"] = column_of(f"{leg}_{name}", attributes[attribute], scope)
    out["quantity"] = Column("quantity", aggregate="count")
    out["duration"] = Column("duration", live.seconds_since_answer(now), aggregate="sum")
    return out
