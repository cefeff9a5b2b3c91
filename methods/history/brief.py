"""`GetBriefCallHistory`: a CSV of sessions, one line each, always made in the
background (methods.md section 3): `call_session_history_id, start_date, duration,
remote_number, local_number, cost`.

A session's numbers are its first leg's (a switched call's originating leg), and its cost
is what that leg was charged plus the session's recordings and other charges.
"""

from __future__ import annotations

from typing import Any

from marshmallow import Schema, fields, validate, validates_schema

from gateway import roles
from gateway.context import Context, Params, RpcMethod
from gateway.exports import ExportKind, Write
from methods.history import calls, common, reports
from methods.history.common import (Date, StrictBoolean, flag, id_list, show_time, text_list,
                                    timezone_field)

METHOD = "GetBriefCallHistory"
HISTORY_TYPE = "call_list"
COLUMNS = ("call_session_history_id", "start_date", "duration", "remote_number",
           "local_number", "cost")
_BRIEF = (
    f"SELECT s.id, s.setup_time, s.end_time, {calls.REMOTE} AS remote_number, "
    f"{calls.LOCAL} AS local_number, l.currency, COALESCE(l.amount, 0) "
    "+ COALESCE((SELECT SUM(r.cost) FROM records r WHERE r.session_id = s.id), 0) "
    "+ COALESCE((SELECT SUM(u.cost) FROM resource_usage u WHERE u.session_id = s.id), 0) "
    "AS cost FROM sessions s JOIN legs l ON l.session_id = s.id AND l.position = "
    "(SELECT MIN(f.position) FROM legs f WHERE f.session_id = s.id) WHERE ")


class BriefParams(Schema):
    """The seed's params, in its order."""

    from_date = Date(required=True)
    to_date = Date(required=True)
    timezone = timezone_field()
    call_session_history_id = id_list()
    application_id = fields.Integer(strict=True, load_default=None)
    application_name = fields.String(load_default=None)
    rule_name = fields.String(load_default=None)
    remote_number = text_list()
    local_number = text_list()
    call_session_history_custom_data = fields.String(load_default=None)
    with_header = flag(True)
    desc_order = flag(False)
    output = fields.String(load_default=common.CSV, validate=validate.OneOf([common.CSV]))
    is_async = StrictBoolean(load_default=True, validate=validate.Equal(
        True, error="Always true: the brief history is made in the background."))

    @validates_schema
    def _application(self, data: Params, **kwargs: Any) -> None:
        calls.check_application(data)


def _brief(row: Any, zone: Any) -> dict[str, Any]:
    return {"call_session_history_id": row["id"], "start_date": show_time(row["setup_time"], zone),
            "duration": row["end_time"] - row["setup_time"],
            "remote_number": row["remote_number"], "local_number": row["local_number"],
            "cost": common.amount(int(row["cost"]), row["currency"])}


async def export_brief(context: Context, params: Params, write: Write) -> dict[str, Any]:
    zone, sql, values = await calls.every_row(context, params, _BRIEF)
    count = await reports.export_query(
        context, write, sql, values, lambda r: reports.in_order(_brief(r, zone), COLUMNS),
        COLUMNS, params["with_header"])
    return {"session_count": count, "total_session_count": count, "timezone": zone.key}


async def brief_call_history(context: Context, params: Params) -> dict[str, Any]:
    await calls.check_range(context, params)
    return await reports.submit(context, HISTORY_TYPE, params)


METHODS = {
    METHOD: RpcMethod(
        brief_call_history, BriefParams(), roles.READERS,
        "A CSV of sessions, one line each (Voximplant's GetBriefCallHistory), made in the "
        "background: see GetHistoryReports and DownloadHistoryReport.",
        result={"type": "object", "properties": {"result": {"const": 1},
                                                 "history_report_id": {"type": "integer"}}}),
}
EXPORTS = {HISTORY_TYPE: ExportKind(BriefParams(), export_brief)}
