"""`GetACDHistory` (methods.md section 3): contact-centre queue sessions of the caller's
subtree whose `begin_time` lies in a UTC range, with their events on request.

The flag filters (`operator_hangup`, `unserviced`, `rejected`) are off unless given; a
session that never reported a flag matches neither `true` nor `false`, and one without a
waiting time never passes `min_waiting_time`.
"""

from __future__ import annotations

from typing import Any, Sequence
from zoneinfo import ZoneInfo

from marshmallow import Schema, fields, validate

from gateway import roles
from gateway.context import Context, Params, RpcMethod
from gateway.query.scope import tenant_within
from gateway.query.sql import Sql, all_of, between, one_of
from gateway.storage import Backend, Row
from methods import paging
from methods.history.common import (bounded_range, date_field, fetch_page, flag, id_list,
                                    listed, listing_schema, output_field, show_time,
                                    text_list, without_nulls)

METHOD = "GetACDHistory"
UTC = ZoneInfo("UTC")
# ACDSessionInfoType's scalar fields in the vendor's order (vendor-notes section 3): the CSV
# columns; `events` is nested, so CSV leaves it out.
COLUMNS = ("acd_session_history_id", "acd_request_id", "account_id", "begin_time", "priority",
           "acd_queue_id", "user_id", "waiting_duration", "in_service_duration",
           "after_service_duration")
SELECTED = ("id, acd_request_id, tenant_id, begin_time, priority, acd_queue_id, user_id, "
            "waiting_duration, in_service_duration, after_service_duration")
EVENT = {"type": "object", "required": ["acd_session_event_id", "time", "type"], "properties": {
    "acd_session_event_id": {"type": "integer"}, "time": {"type": "string"},
    "type": {"type": "string"}, "user_id": {"type": "integer"},
    "custom_data": {"type": "string"}}}
ITEM = {"type": "object", "required": list(COLUMNS[:5]), "properties": {
    **{c: {"type": "integer"} for c in COLUMNS}, "acd_request_id": {"type": "string"},
    "begin_time": {"type": "string", "description": "UTC"},
    "events": {"type": "array", "items": EVENT}}}
RESULT = listing_schema(ITEM)
UTC_NOTE = "UTC, inclusive"


class AcdHistoryParams(Schema):
    """In the seed's order; `with_total_count` (not in the seed) last."""

    from_date = date_field(f"begin_time from ({UTC_NOTE})")
    to_date = date_field(f"begin_time up to ({UTC_NOTE})")
    acd_session_history_id = id_list()
    acd_request_id = text_list()
    acd_queue_id = id_list()
    user_id = id_list()
    operator_hangup = flag(None)
    unserviced = flag(None)
    min_waiting_time = fields.Integer(strict=True, load_default=None,
                                      validate=validate.Range(min=0), metadata={
                                          "description": "seconds waited, at least"})
    rejected = flag(None)
    with_events = flag(False)
    with_header = flag(True)
    desc_order = flag(False)
    count = paging.count_field()
    offset = paging.offset_field()
    output = output_field()
    with_total_count = flag(True)


LISTS = (("acd_session_history_id", "id"), ("acd_request_id", "acd_request_id"),
         ("acd_queue_id", "acd_queue_id"), ("user_id", "user_id"))
FLAGS = ("operator_hangup", "unserviced", "rejected")


def _filters(params: Params) -> list[Sql]:
    found = [one_of(Sql(column), params[param])
             for param, column in LISTS if params[param] is not None]
    found += [Sql(f"{name} = ?", (int(params[name]),))
              for name in FLAGS if params[name] is not None]
    if params["min_waiting_time"] is not None:
        found.append(Sql("waiting_duration >= ?", (params["min_waiting_time"],)))
    return found


async def _events(db: Backend, session_ids: Sequence[int]) -> dict[int, list[dict[str, Any]]]:
    """Each session's events, by time then id."""
    events: dict[int, list[dict[str, Any]]] = {i: [] for i in session_ids}
    if not session_ids:
        return events
    rows = await db.fetch_all(
        "SELECT id, acd_session_id, time, type, user_id, custom_data FROM acd_session_events "
        f"WHERE acd_session_id IN ({', '.join('?' for _ in session_ids)}) ORDER BY time, id",
        tuple(session_ids))
    for r in rows:
        events[r["acd_session_id"]].append(without_nulls({
            "acd_session_event_id": r["id"], "time": show_time(r["time"], UTC),
            "type": r["type"], "user_id": r["user_id"], "custom_data": r["custom_data"]}))
    return events


def _info(row: Row) -> dict[str, Any]:
    return without_nulls({
        "acd_session_history_id": row["id"], "acd_request_id": row["acd_request_id"],
        "account_id": row["tenant_id"], "begin_time": show_time(row["begin_time"], UTC),
        "priority": row["priority"], "acd_queue_id": row["acd_queue_id"],
        "user_id": row["user_id"], "waiting_duration": row["waiting_duration"],
        "in_service_duration": row["in_service_duration"],
        "after_service_duration": row["after_service_duration"]})


async def acd_history(context: Context, params: Params) -> dict[str, Any]:
    """Raises InvalidParams for a bad range."""
    low, high = bounded_range(params, UTC, context.config.limits.date_range_days)
    where = all_of([tenant_within("tenant_id", context.caller.scope),
                    between(Sql("begin_time"), low, high), *_filters(params)])
    rows, total = await fetch_page(context.db, SELECTED, "acd_sessions", where, params,
                                   "begin_time", "id")
    sessions = [_info(r) for r in rows]
    if params["with_events"]:
        events = await _events(context.db, [r["id"] for r in rows])
        for session, row in zip(sessions, rows):
            session["events"] = events[row["id"]]
    return listed(sessions, total, params, COLUMNS)


METHODS = {
    METHOD: RpcMethod(
        acd_history, AcdHistoryParams(), roles.READERS,
        "Queue (ACD) sessions begun in a UTC date range (Voximplant's GetACDHistory), over "
        "the caller's subtree, with their events on request.",
        result=RESULT),
}
