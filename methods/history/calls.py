"""`GetCallHistory`: ended call and video sessions, with their calls, recordings and
other charges (methods.md section 3; CallSessionInfoType in vendor-notes.md section 3).

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

from gateway import roles
from gateway.context import Context, Params, RpcMethod
from gateway.errors import InvalidParams
from gateway.query.sql import Sql, all_of, between, one_of
from gateway.storage import references
from methods import paging
from methods.answers import without_nulls
from gateway.exports import ExportKind, Write
from methods.history import common, reports
from methods.history.common import (ChildAccounts, Date, amount, flag, id_list, output_field,
                                    show_time, text_list, timezone_field)

METHOD = "GetCallHistory"
HISTORY_TYPE = "calls"
# CallSessionInfoType's scalar fields in vendor-notes order: the CSV columns.
COLUMNS = ("audio_quality", "rule_name", "application_name", "call_session_history_id",
           "account_id", "application_id", "user_id", "start_date", "duration",
           "initiator_address", "media_server_address", "log_file_url", "finish_reason",
           "custom_data")
INCOMING = "COALESCE(l.incoming, CASE WHEN l.role = 'term' THEN 0 ELSE 1 END)"
REMOTE = f"CASE WHEN {INCOMING} = 1 THEN l.src ELSE l.dst END"
LOCAL = f"CASE WHEN {INCOMING} = 1 THEN l.dst ELSE l.src END"


class CallHistoryParams(Schema):
    """In the seed's order (the order of positional params)."""

    from_date = Date(required=True)
    to_date = Date(required=True)
    timezone = timezone_field()
    call_session_history_id = id_list()
    application_id = fields.Integer(strict=True, load_default=None)
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

    @validates_schema
    def _is_async(self, data: Params, **kwargs: Any) -> None:
        reports.check_async(data)

    @validates_schema
    def _application(self, data: Params, **kwargs: Any) -> None:
        check_application(data)


def check_application(data: Params) -> None:
    if data.get("application_id") is not None and data.get("application_name") is not None:
        raise ValidationError("Give application_id or application_name, not both.",
                              "application_name")
    if data.get("rule_name") is not None and data.get("application_id") is None \
            and data.get("application_name") is None:
        raise ValidationError("Applies only with application_id or application_name.",
                              "rule_name")


async def check_range(context: Context, params: Params) -> None:
    """The date range's errors, before a job is queued."""
    common.bounded_range(params, await common.zone_of(context, params["timezone"]),
                         context.config.limits.date_range_days)


def _legs_where(condition: str, values: list[Any]) -> Sql:
    marks = ", ".join("?" for _ in values)
    return Sql(f"EXISTS (SELECT 1 FROM legs l WHERE l.session_id = s.id AND "
               f"{condition} IN ({marks}))", tuple(values))


async def _where(context: Context, params: Params, low: int, high: int) -> Sql:
    tenants = await common.covered_tenants(context, params.get("child_account_id"),
                                           params.get("children_calls_only", False))
    where = [Sql("s.end_time IS NOT NULL AND s.kind IN ('call', 'video')"),
             between(Sql("s.setup_time"), low, high), common.one_of_tenants("s.tenant_id", tenants)]
    if params["call_session_history_id"] is not None:
        where.append(one_of(Sql("s.id"), params["call_session_history_id"]))
    if params["application_id"] is not None:
        if not await references.in_scope(context.db, "applications", params["application_id"],
                                         context.caller.scope):
            raise InvalidParams.missing_object("application_id", "applications",
                                               params["application_id"])
        where.append(Sql("s.application_id = ?", (params["application_id"],)))
    if params["application_name"] is not None:
        where.append(Sql("s.application_id IN (SELECT id FROM applications WHERE name = ?)",
                         (params["application_name"],)))
    if params["rule_name"] is not None:
        where.append(Sql("s.rule_name = ?", (params["rule_name"],)))
    if params["call_session_history_custom_data"] is not None:
        where.append(Sql("s.custom_data = ?", (params["call_session_history_custom_data"],)))
    for param, expr in (("user_id", "l.user_id"), ("remote_number", REMOTE),
                        ("local_number", LOCAL)):
        if params.get(param) is not None:
            where.append(_legs_where(expr, params[param]))
    return all_of(where)


# The columns of CallSessionInfoType, in COLUMNS order (start_date: Unix seconds here).
_SESSION = (
    "SELECT s.audio_quality, s.rule_name, a.name AS application_name, "
    "s.id AS call_session_history_id, s.tenant_id AS account_id, s.application_id, "
    "(SELECT l.user_id FROM legs l WHERE l.session_id = s.id AND l.user_id IS NOT NULL "
    "ORDER BY l.position LIMIT 1) AS user_id, s.setup_time AS start_date, "
    "s.end_time - s.setup_time AS duration, s.initiator_address, s.media_server_address, "
    "s.log_file_url, s.finish_reason, s.custom_data "
    "FROM sessions s LEFT JOIN applications a ON a.id = s.application_id WHERE ")
_START = COLUMNS.index("start_date")


def _values(row: Sequence[Any], zone: ZoneInfo) -> tuple[Any, ...]:
    """A `_SESSION` row's values in COLUMNS order, the start written in `zone`."""
    return (*row[:_START], show_time(row[_START], zone), *row[_START + 1:])


def _session(row: Sequence[Any], zone: ZoneInfo) -> dict[str, Any]:
    return without_nulls(zip(COLUMNS, _values(row, zone)))


def _marks(ids: list[int]) -> str:
    return ", ".join("?" for _ in ids)


async def _calls(context: Context, ids: list[int], zone: ZoneInfo) -> dict[int, list[Any]]:
    rows = await context.db.fetch_all(
        f"SELECT l.id, l.session_id, COALESCE(l.setup_time, s.setup_time) AS start, l.billsec, "
        f"{LOCAL} AS local_number, {REMOTE} AS remote_number, {INCOMING} AS incoming, "
        "l.role, l.start_time, l.amount, l.currency, l.hangup_cause, l.disposition, "
        "s.media_server_address, s.custom_data FROM legs l JOIN sessions s ON s.id = l.session_id "
        f"WHERE l.session_id IN ({_marks(ids)}) ORDER BY l.session_id, l.position, l.id",
        ids)
    out: dict[int, list[Any]] = {}
    for r in rows:
        call = {"call_id": r["id"], "start_time": show_time(r["start"], zone),
                "duration": r["billsec"], "local_number": r["local_number"],
                "remote_number": r["remote_number"],
                "remote_number_type": _number_type(r["role"], r["remote_number"]),
                "incoming": bool(r["incoming"]), "successful": r["start_time"] is not None,
                "transaction_id": r["id"], "media_server_address": r["media_server_address"],
                "cost": amount(r["amount"], r["currency"]), "custom_data": r["custom_data"]}
        if r["hangup_cause"] is not None or r["disposition"] is not None:
            call["end_reason"] = {"code": r["hangup_cause"], "description": r["disposition"]}
        out.setdefault(r["session_id"], []).append(
            without_nulls(call))
    return out


def _number_type(role: str, number: str | None) -> str:
    """`user` for a video participant, `pstn` for a dialled number, `sip` otherwise."""
    if role == "participant":
        return "user"
    digits = (number or "").removeprefix("+")
    return "pstn" if digits.isdigit() else "sip"


async def _records(context: Context, ids: list[int], zone: ZoneInfo) -> dict[int, list[Any]]:
    rows = await context.db.fetch_all(
        "SELECT id, session_id, name, cost, start_time, duration, url, file_size, "
        "transcription_url, transcription_status FROM records "
        f"WHERE session_id IN ({_marks(ids)}) ORDER BY session_id, start_time, id", ids)
    out: dict[int, list[Any]] = {}
    for r in rows:
        record = {"record_id": r["id"], "record_name": r["name"], "cost": amount(r["cost"]),
                  "start_time": show_time(r["start_time"], zone), "duration": r["duration"],
                  "record_url": r["url"], "transaction_id": r["id"],
                  "file_size": r["file_size"], "transcription_url": r["transcription_url"],
                  "transcription_status": r["transcription_status"]}
        out.setdefault(r["session_id"], []).append(
            without_nulls(record))
    return out


async def _resources(context: Context, ids: list[int], zone: ZoneInfo) -> dict[int, list[Any]]:
    rows = await context.db.fetch_all(
        "SELECT r.id, r.session_id, r.resource_type, r.cost, r.description, r.used_at, "
        "r.quantity, r.unit, l.id AS ref_call_id FROM resource_usage r "
        "LEFT JOIN legs l ON l.session_id = r.session_id AND l.leg_id = r.ref_leg_id "
        f"WHERE r.session_id IN ({_marks(ids)}) ORDER BY r.session_id, r.used_at, r.id", ids)
    out: dict[int, list[Any]] = {}
    for r in rows:
        usage = {"resource_usage_id": r["id"], "resource_type": r["resource_type"],
                 "cost": amount(r["cost"]), "description": r["description"],
                 "used_at": show_time(r["used_at"], zone), "transaction_id": r["id"],
                 "resource_quantity": None if r["quantity"] is None else Decimal(r["quantity"]),
                 "unit": r["unit"], "ref_call_id": r["ref_call_id"]}
        out.setdefault(r["session_id"], []).append(
            without_nulls(usage))
    return out


async def every_row(context: Context, params: Params,
                    select: str) -> tuple[ZoneInfo, str, tuple[Any, ...]]:
    """The zone, and the query of every session `select` reads that the params match, in
    order (no paging)."""
    zone = await common.zone_of(context, params["timezone"])
    low, high = common.bounded_range(params, zone, context.config.limits.date_range_days)
    where = await _where(context, params, low, high)
    return zone, select + where.text + common.order_sql(params, "s.setup_time", "s.id"), \
        where.params


async def export_calls(context: Context, params: Params, write: Write) -> dict[str, Any]:
    """The file of an async GetCallHistory: every matching session, no paging."""
    zone, sql, values = await every_row(context, params, _SESSION)
    count = await reports.export_query(context, write, sql, values,
                                       lambda r: _values(r, zone), COLUMNS,
                                       params["with_header"])
    return {"session_count": count, "total_session_count": count, "timezone": zone.key}


async def call_history(context: Context, params: Params) -> dict[str, Any]:
    if params["is_async"]:
        await check_range(context, params)
        return await reports.submit(context, HISTORY_TYPE, params)
    zone = await common.zone_of(context, params["timezone"])
    low, high = common.bounded_range(params, zone, context.config.limits.date_range_days)
    where = await _where(context, params, low, high)
    order, paging = common.page_sql(params, "s.setup_time", "s.id")
    rows = await context.db.fetch_all(_SESSION + where.text + order, (*where.params, *paging))
    sessions = [_session(tuple(r.values()), zone) for r in rows]
    ids = [int(r["call_session_history_id"]) for r in rows]
    if ids and params["output"] == common.JSON:
        nested = (("with_calls", "calls", _calls), ("with_other_resources",
                  "other_resource_usage", _resources), ("with_records", "records", _records))
        for flag_name, key, read in nested:
            if params[flag_name]:
                found = await read(context, ids, zone)
                for session in sessions:
                    if session["call_session_history_id"] in found:
                        session[key] = found[session["call_session_history_id"]]
    total = None
    if params["with_total_count"]:
        row = await context.db.fetch_one(
            f"SELECT COUNT(*) AS n FROM sessions s WHERE {where.text}", where.params)
        total = int(row["n"]) if row else 0
    return common.listed(sessions, total, params, COLUMNS, timezone=zone.key)


RESULT = {"type": "object", "properties": {
    "result": {"oneOf": [{"type": "array", "items": {"type": "object"}}, {"type": "string"},
                         {"const": 1}]},
    "history_report_id": {"type": "integer"},
    "total_count": {"type": "integer"}, "count": {"type": "integer"},
    "timezone": {"type": "string"}}}

METHODS = {
    METHOD: RpcMethod(
        call_history, CallHistoryParams(), roles.READERS,
        "Ended call and video sessions set up in a date range (Voximplant's "
        "GetCallHistory), with their calls, recordings and other charges; JSON or CSV.",
        result=RESULT),
}
EXPORTS = {HISTORY_TYPE: ExportKind(CallHistoryParams(), export_calls)}
