"""`GetACDHistory` (docs/methods/call-history.md): contact-centre queue sessions of the caller's
subtree whose `begin_time` lies in a UTC range, with their events on request.

The flag filters (`operator_hangup`, `unserviced`, `rejected`) are off unless given; a
session that never reported a flag matches neither `true` nor `false`, and one without a
waiting time never passes `min_waiting_time`. `custom_data` matches a session one of
whose events carries exactly that custom data; `callerid` matches none (a queue session
here records no caller number).
"""

from __future__ import annotations

from typing import Any, Sequence

from marshmallow import Schema, fields

from gateway.core import roles
from gateway.core.clock import UTC_ZONE
from gateway.query.listing import Condition, Listing, Viewer, page, rows, where
from gateway.storage import Row
from gateway.storage import history_ledgers as ledgers
from methods import paging
from methods.answers import without_nulls
from methods.context import Context, Params, RpcMethod
from methods.history.common import (bounded_range, date_field, decimal_separator_field, flag,
                                    id_list, listed, listing_schema, order, output_field, paged,
                                    show_time, text_list)
from methods.validators import Integer

METHOD = "GetACDHistory"
# ACDSessionInfoType's scalar fields in the vendor's order (docs/methods/call-history.md): the CSV
# columns; `events` is nested, so CSV leaves it out.
COLUMNS = ("acd_session_history_id", "acd_request_id", "account_id", "begin_time", "priority",
           "acd_queue_id", "user_id", "waiting_duration", "in_service_duration",
           "after_service_duration")
FIELDS = ("id", "acd_request_id", "tenant_id", "begin_time", "priority", "acd_queue_id",
          "user_id", "waiting_duration", "in_service_duration", "after_service_duration")
MAX_EVENTS = 1000  # events of one queue session read with its page
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
    min_waiting_time = Integer(load_default=None, minimum=0, metadata={
                                          "description": "seconds waited, at least"})
    rejected = flag(None)
    with_events = flag(False)
    with_header = flag(True)
    desc_order = flag(False)
    count = paging.count_field()
    offset = paging.offset_field()
    output = output_field()
    with_total_count = flag(True)
    # the current clients' params
    callerid = fields.String(load_default=None, metadata={
        "description": "matches none: a queue session here records no caller number"})
    custom_data = fields.String(load_default=None, metadata={
        "description": "exactly the custom data of one of the session's events"})
    decimal_separator = decimal_separator_field()  # the queue history's CSV has no amounts


LISTS = (("acd_session_history_id", "id"), ("acd_request_id", "acd_request_id"),
         ("acd_queue_id", "acd_queue_id"), ("user_id", "user_id"))
FLAGS = ("operator_hangup", "unserviced", "rejected")


def _filters(params: Params) -> list[Condition]:
    found = [where(name, "in", *params[param])
             for param, name in LISTS if params[param] is not None]
    found += [where(name, "eq", int(params[name])) for name in FLAGS if params[name] is not None]
    if params["min_waiting_time"] is not None:
        found.append(where("waiting_duration", "ge", params["min_waiting_time"]))
    if params["custom_data"] is not None:
        found.append(where("event_custom_data", "any_in", params["custom_data"]))
    if params["callerid"] is not None:
        found.append(where("id", "in"))  # matches none
    return found


async def _events(context: Context, session_ids: Sequence[int]
                  ) -> dict[int, list[dict[str, Any]]]:
    """Each session's events, by time then id."""
    events: dict[int, list[dict[str, Any]]] = {i: [] for i in session_ids}
    if not session_ids:
        return events
    listing = Listing(ledgers.ACD_EVENTS, list(ledgers.ACD_EVENTS.attributes),
                      Viewer(context.caller.scope), [where("acd_session_id", "in", *session_ids)],
                      [("time", False), ("id", False)])
    for r in await rows(context.db, listing, len(session_ids) * MAX_EVENTS):
        events[r["acd_session_id"]].append(without_nulls({
            "acd_session_event_id": r["id"], "time": show_time(r["time"], UTC_ZONE),
            "type": r["type"], "user_id": r["user_id"], "custom_data": r["custom_data"]}))
    return events


def _info(row: Row) -> dict[str, Any]:
    return without_nulls({
        "acd_session_history_id": row["id"], "acd_request_id": row["acd_request_id"],
        "account_id": row["tenant_id"], "begin_time": show_time(row["begin_time"], UTC_ZONE),
        "priority": row["priority"], "acd_queue_id": row["acd_queue_id"],
        "user_id": row["user_id"], "waiting_duration": row["waiting_duration"],
        "in_service_duration": row["in_service_duration"],
        "after_service_duration": row["after_service_duration"]})


async def acd_history(context: Context, params: Params) -> dict[str, Any]:
    """Raises InvalidParams for a bad range."""
    low, high = bounded_range(params, UTC_ZONE, context.config.limits.date_range_days)
    listing = Listing(ledgers.ACD_SESSIONS, FIELDS, Viewer(context.caller.scope),
                      [where("begin_time", "between", low, high), *_filters(params)],
                      order(params, "begin_time", "id"))
    found, total = await page(context.db, paged(listing, params), params["with_total_count"])
    sessions = [_info(r) for r in found]
    if params["with_events"]:
        events = await _events(context, [r["id"] for r in found])
        for session, row in zip(sessions, found):
            session["events"] = events[row["id"]]
    return listed(sessions, total, params, COLUMNS)


METHODS = {
    METHOD: RpcMethod(
        acd_history, AcdHistoryParams(), roles.READERS,
        "Queue (ACD) sessions begun in a UTC date range (Voximplant's GetACDHistory), over "
        "the caller's subtree, with their events on request.",
        result=RESULT),
}
