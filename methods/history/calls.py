"""`GetCallHistory`: ended call and video sessions, with their calls, recordings and
other charges, as CallSessionInfoType (docs/methods/call-history.md).

A session's calls are its legs: the originating leg and each terminating attempt of a
switched call, each participant of a video session. A leg is incoming when the ingest
said so, else when it is not a terminating attempt; its remote number is its source when
incoming and its destination otherwise (the local number the other one).
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any, Sequence
from zoneinfo import ZoneInfo

from marshmallow import Schema, ValidationError, fields, validates_schema

from gateway.core import roles
from gateway.core.errors import InvalidParams
from gateway.query.listing import HIDDEN, Condition, Listing, Viewer, page, rows, where
from gateway.storage import Row
from gateway.storage import call_history as history
from gateway.storage import references
from methods import paging
from methods.answers import shown
from methods.context import Context, Params, RpcMethod
from methods.exports import ExportKind, Write
from methods.history import common, reports
from methods.history.common import (ChildAccounts, Date, NumberList, amount, async_params,
                                    duration_field, flag, id_list, output_field, show_time,
                                    text_list, timezone_field)
from methods.json_schemas import DATE_TIME
from methods.validators import Integer

METHOD = "GetCallHistory"
ASYNC_METHOD = "GetCallHistoryAsync"
HISTORY_TYPE = "calls"
# CallSessionInfoType's scalar fields in the vendor's order (docs/methods/call-history.md):
# the CSV columns.
COLUMNS = ("audio_quality", "rule_name", "application_name", "call_session_history_id",
           "account_id", "application_id", "user_id", "start_date", "duration",
           "initiator_address", "media_server_address", "log_file_url", "finish_reason",
           "custom_data")
MAX_NESTED = 1000  # calls, recordings or charges of one session read with its page


class CallHistoryParams(Schema):
    """In the seed's order (the order of positional params)."""

    from_date = Date(required=True)
    to_date = Date(required=True)
    timezone = timezone_field()
    call_session_history_id = id_list()
    application_id = Integer(load_default=None)
    application_name = fields.String(load_default=None)
    user_id = id_list()
    rule_name = fields.String(load_default=None)
    remote_number = text_list()
    local_number = text_list()
    call_session_history_custom_data = fields.String(load_default=None)
    with_calls = flag(False)
    with_records = flag(False)
    with_other_resources = flag(True)
    child_account_id = ChildAccounts(load_default=None)
    children_calls_only = flag(False)
    with_header = flag(True)
    desc_order = flag(False)
    with_total_count = flag(True)
    count = paging.count_field()
    offset = paging.offset_field()
    output = output_field()
    is_async = flag(False)
    min_duration = duration_field("sessions lasting at least this many seconds")
    max_duration = duration_field("sessions lasting at most this many seconds")
    remote_number_list = NumberList(metadata={
        "description": "any call's remote number is one of these; when not empty, "
                       "`remote_number` is not applied"})

    @validates_schema
    def _is_async(self, data: Params, **kwargs: Any) -> None:
        reports.check_async(data)

    @validates_schema
    def _application(self, data: Params, **kwargs: Any) -> None:
        check_application(data)

    @validates_schema
    def _durations(self, data: Params, **kwargs: Any) -> None:
        low, high = data.get("min_duration"), data.get("max_duration")
        if low is not None and high is not None and low > high:
            raise ValidationError("Must not be less than min_duration.", "max_duration")


def check_application(data: Params) -> None:
    if data.get("application_id") is not None and data.get("application_name") is not None:
        raise ValidationError("Give application_id or application_name, not both.",
                              "application_name")
    if data.get("rule_name") is not None and data.get("application_id") is None \
            and data.get("application_name") is None:
        raise ValidationError("Applies only with application_id or application_name.",
                              "rule_name")


async def check_request(context: Context, params: Params) -> None:
    """The errors of the date range, of `child_account_id` and of `application_id`,
    before a job is queued."""
    await sessions_listing(context, params, ())


async def _conditions(context: Context, params: Params, low: int, high: int) -> list[Condition]:
    out = [where("start_date", "between", low, high)]
    if params["call_session_history_id"] is not None:
        out.append(where("call_session_history_id", "in", *params["call_session_history_id"]))
    if params["application_id"] is not None:
        if not await references.in_scope(context.db, "applications", params["application_id"],
                                         context.caller.scope):
            raise InvalidParams.missing_object("application_id", "applications",
                                               params["application_id"])
        out.append(where("application_id", "eq", params["application_id"]))
    for param, name in (("application_name", "application_name"), ("rule_name", "rule_name"),
                        ("call_session_history_custom_data", "custom_data")):
        if params[param] is not None:
            out.append(where(name, "eq", params[param]))
    remote = "remote_number_list" if params.get("remote_number_list") else "remote_number"
    for param, name in (("user_id", "leg_user_id"), (remote, "leg_remote_number"),
                        ("local_number", "leg_local_number")):
        if params.get(param) is not None:
            out.append(where(name, "any_in", *params[param]))
    if params.get("min_duration") is not None:
        out.append(where("duration", "ge", params["min_duration"]))
    if params.get("max_duration") is not None:
        out.append(where("duration", "le", params["max_duration"]))
    return out


async def sessions_listing(context: Context, params: Params, fields: Sequence[str],
                           sums: Sequence[str] = ()) -> tuple[ZoneInfo, Listing]:
    """The zone, and the listing of the sessions the params match, in the family's order
    (start time, then id), not yet paged."""
    zone = await common.zone_of(context, params["timezone"])
    low, high = common.bounded_range(params, zone, context.config.limits.date_range_days)
    viewer = await common.viewer(context, params.get("child_account_id"),
                                 params.get("children_calls_only", False))
    return zone, Listing(history.SESSIONS, fields, viewer,
                         await _conditions(context, params, low, high),
                         common.order(params, "start_date", "call_session_history_id"),
                         sums=sums)


def _values(row: Row, zone: ZoneInfo) -> list[Any]:
    """A session's values in COLUMNS order, the start written in `zone`."""
    return [show_time(row[c], zone) if c == "start_date" else row[c] for c in COLUMNS]


def _session(row: Row, zone: ZoneInfo) -> dict[str, Any]:
    return shown(zip(COLUMNS, _values(row, zone)), row.get(HIDDEN, ()))


def _number_type(role: str, number: str | None) -> str:
    """`user` for a video participant, `pstn` for a dialled number, `sip` otherwise."""
    if role == "participant":
        return "user"
    digits = (number or "").removeprefix("+")
    return "pstn" if digits.isdigit() else "sip"


def _call(r: Row, zone: ZoneInfo) -> dict[str, Any]:
    hidden = {"cost"} if "amount" in r.get(HIDDEN, ()) else set()
    call = {"call_id": r["call_id"], "start_time": show_time(r["start"], zone),
            "duration": r["billsec"], "local_number": r["local_number"],
            "remote_number": r["remote_number"],
            "remote_number_type": _number_type(r["role"], r["remote_number"]),
            "incoming": bool(r["incoming"]), "successful": r["answered_at"] is not None,
            "transaction_id": r["call_id"], "media_server_address": r["media_server_address"],
            "cost": amount(r["amount"], r["currency"]), "custom_data": r["custom_data"]}
    if r["hangup_cause"] is not None or r["disposition"] is not None:
        call["end_reason"] = {"code": r["hangup_cause"], "description": r["disposition"]}
    return shown(call.items(), hidden)


def _record(r: Row, zone: ZoneInfo) -> dict[str, Any]:
    return shown({
        "record_id": r["record_id"], "record_name": r["record_name"], "cost": amount(r["cost"]),
        "start_time": show_time(r["start_time"], zone), "duration": r["duration"],
        "record_url": r["record_url"], "transaction_id": r["record_id"],
        "file_size": r["file_size"], "transcription_url": r["transcription_url"],
        "transcription_status": r["transcription_status"]}.items(), r.get(HIDDEN, ()))


def _resource(r: Row, zone: ZoneInfo) -> dict[str, Any]:
    quantity = r["resource_quantity"]
    return shown({
        "resource_usage_id": r["resource_usage_id"], "resource_type": r["resource_type"],
        "cost": amount(r["cost"]), "description": r["description"],
        "used_at": show_time(r["used_at"], zone), "transaction_id": r["resource_usage_id"],
        "resource_quantity": None if quantity is None else Decimal(quantity),
        "unit": r["unit"], "ref_call_id": r["ref_call_id"]}.items(), r.get(HIDDEN, ()))


# What a session's nested lists read: (flag, answer key, kind, order, rendering)
_NESTED = (
    ("with_calls", "calls", history.CALLS, ("position", "call_id"), _call),
    ("with_other_resources", "other_resource_usage", history.RESOURCES,
     ("used_at", "resource_usage_id"), _resource),
    ("with_records", "records", history.RECORDS, ("start_time", "record_id"), _record),
)


async def _nested(context: Context, params: Params, viewer: Viewer, ids: list[int],
                  zone: ZoneInfo, sessions: list[dict[str, Any]]) -> None:
    """Add each wanted nested list to the sessions of a page."""
    by_id = {s["call_session_history_id"]: s for s in sessions}
    for flag_name, key, kind, order, render in _NESTED:
        if not params[flag_name]:
            continue
        listing = Listing(kind, list(kind.attributes), viewer,
                          [where("session_id", "in", *ids)],
                          [("session_id", False), *((name, False) for name in order)])
        for row in await rows(context.db, listing, len(ids) * MAX_NESTED):
            by_id[row["session_id"]].setdefault(key, []).append(render(row, zone))


async def export_calls(context: Context, params: Params, write: Write) -> dict[str, Any]:
    """The file of an async GetCallHistory: every matching session, no paging."""
    zone, listing = await sessions_listing(context, params, COLUMNS)
    count = await reports.export_rows(context, write, listing, lambda r: _values(r, zone),
                                      COLUMNS, params["with_header"])
    return {"session_count": count, "total_session_count": count, "timezone": zone.key}


async def call_history_async(context: Context, params: Params) -> dict[str, Any]:
    await check_request(context, params)
    return await reports.submit(context, HISTORY_TYPE, params)


async def call_history(context: Context, params: Params) -> dict[str, Any]:
    if params["is_async"]:
        return await call_history_async(context, params)
    zone, listing = await sessions_listing(context, params, COLUMNS)
    found, total = await page(context.db, common.paged(listing, params),
                              params["with_total_count"])
    sessions = [_session(r, zone) for r in found]
    ids = [int(r["call_session_history_id"]) for r in found]
    if ids and params["output"] == common.JSON:
        await _nested(context, params, listing.viewer, ids, zone, sessions)
    return common.listed(sessions, total, params, COLUMNS, timezone=zone.key)


_TEXT, _WHOLE = {"type": ["string", "null"]}, {"type": ["integer", "null"]}
_AMOUNT, _WHEN = {"type": ["number", "null"]}, {"oneOf": [DATE_TIME, {"type": "null"}]}


def _object(properties: dict[str, Any]) -> dict[str, Any]:
    return {"type": "object", "additionalProperties": False, "properties": properties}


CALL = _object({
    "call_id": _WHOLE, "start_time": _WHEN, "duration": _WHOLE, "local_number": _TEXT,
    "remote_number": _TEXT, "remote_number_type": {"enum": ["user", "pstn", "sip"]},
    "incoming": {"type": "boolean"}, "successful": {"type": "boolean"},
    "transaction_id": _WHOLE, "media_server_address": _TEXT, "cost": _AMOUNT,
    "custom_data": _TEXT,
    "end_reason": _object({"code": _WHOLE, "description": _TEXT})})
RECORD = _object({
    "record_id": _WHOLE, "record_name": _TEXT, "cost": _AMOUNT, "start_time": _WHEN,
    "duration": _WHOLE, "record_url": _TEXT, "transaction_id": _WHOLE, "file_size": _WHOLE,
    "transcription_url": _TEXT, "transcription_status": _TEXT})
RESOURCE = _object({
    "resource_usage_id": _WHOLE, "resource_type": _TEXT, "cost": _AMOUNT,
    "description": _TEXT, "used_at": _WHEN, "transaction_id": _WHOLE,
    "resource_quantity": _AMOUNT, "unit": _TEXT, "ref_call_id": _WHOLE})
# CallSessionInfoType (docs/methods/call-history.md), its lists as the flags ask
SESSION = _object({
    **{name: _TEXT for name in COLUMNS},
    **{name: _WHOLE for name in ("call_session_history_id", "account_id", "application_id",
                                 "user_id", "duration")},
    "start_date": _WHEN,
    "calls": {"type": "array", "items": CALL},
    "other_resource_usage": {"type": "array", "items": RESOURCE},
    "records": {"type": "array", "items": RECORD}})
RESULT = {"type": "object", "properties": {
    "result": {"oneOf": [{"type": "array", "items": SESSION}, {"type": "string"},
                         {"const": 1}]},
    "history_report_id": {"type": "integer"},
    "total_count": {"type": "integer"}, "count": {"type": "integer"},
    "timezone": {"type": "string"}}}

ASYNC_PARAMS = async_params(CallHistoryParams)
METHODS = {
    METHOD: RpcMethod(
        call_history, CallHistoryParams(), roles.READERS,
        "Ended call and video sessions set up in a date range (Voximplant's "
        "GetCallHistory), with their calls, recordings and other charges; JSON or CSV.",
        result=RESULT),
    ASYNC_METHOD: reports.async_method(ASYNC_METHOD, METHOD, call_history_async, ASYNC_PARAMS),
}
# Loads the params saved by either method.
EXPORTS = {HISTORY_TYPE: ExportKind(ASYNC_PARAMS, export_calls)}
