"""`GetBriefCallHistory`: a CSV of sessions, one line each, always made in the
background (docs/methods/call-history.md): `call_session_history_id, start_date, duration,
remote_number, local_number, cost`.

A session's numbers are its first leg's (a switched call's originating leg), and its cost
is what that leg was charged plus the session's recordings and other charges.
"""

from __future__ import annotations

from typing import Any
from zoneinfo import ZoneInfo

from marshmallow import Schema, fields, validate, validates_schema

from gateway.core import roles
from gateway.storage import Row
from methods.context import Context, Params, RpcMethod
from methods.exports import ExportKind, Write
from methods.history import calls, common, reports
from methods.history.common import (Date, StrictBoolean, flag, id_list, show_time, text_list,
                                    timezone_field)
from methods.validators import Integer

METHOD = "GetBriefCallHistory"
HISTORY_TYPE = "call_list"
COLUMNS = ("call_session_history_id", "start_date", "duration", "remote_number",
           "local_number", "cost")
_FIELDS = ("call_session_history_id", "start_date", "duration", "remote_number",
           "local_number", "first_amount", "first_currency")
_SUMS = ("records_cost", "resources_cost")


class BriefParams(Schema):
    """The seed's params, in its order."""

    from_date = Date(required=True)
    to_date = Date(required=True)
    timezone = timezone_field()
    call_session_history_id = id_list()
    application_id = Integer(load_default=None)
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


def _brief(row: Row, zone: ZoneInfo) -> list[Any]:
    """A session's line: its cost sums only the amounts the caller may see."""
    cost = sum(int(row[n] or 0) for n in ("first_amount", *_SUMS))
    return [row["call_session_history_id"], show_time(row["start_date"], zone), row["duration"],
            row["remote_number"], row["local_number"], common.total(cost, row["first_currency"])]


async def export_brief(context: Context, params: Params, write: Write) -> dict[str, Any]:
    zone, listing = await calls.sessions_listing(context, params, _FIELDS, _SUMS)
    count = await reports.export_rows(context, write, listing, lambda r: _brief(r, zone),
                                      COLUMNS, params["with_header"])
    return {"session_count": count, "total_session_count": count, "timezone": zone.key}


async def brief_call_history(context: Context, params: Params) -> dict[str, Any]:
    await calls.check_request(context, params)
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
