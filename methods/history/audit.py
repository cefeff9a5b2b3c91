"""`GetAuditLog` (docs/methods/call-history.md): the gateway's own record of every change made
through it, over the caller's subtree. The date filters are UTC; `timezone` only sets how
`requested` is written.

What the vendor's AuditLogInfoType holds, from our rows: `subuser_name` is the key id of
the call (there are no sub-users), `account_id` the caller's tenant, `cmd_name` the
method, `cmd_args` and `cmd_result` the stored JSON. `advanced_filters` keeps the rows
whose arguments or result, as stored JSON text, contain the given text (case-sensitive on
every engine).
"""

from __future__ import annotations

from typing import Any
from zoneinfo import ZoneInfo

import orjson
from marshmallow import Schema, fields, validate, validates_schema

from gateway.core import roles
from gateway.core.clock import UTC_ZONE
from gateway.query.listing import Condition, Viewer, either, where
from gateway.storage import Row
from gateway.storage import history_ledgers as ledgers
from methods import paging
from methods.answers import without_nulls
from methods.context import Context, Params, RpcMethod
from methods.exports import ExportKind
from methods.history import reports
from methods.history.common import (async_params, bounded_range, date_field,
                                    decimal_separator_field, flag, id_list, listing_schema,
                                    output_field, show_time, text_list, timezone_field, zone_of)

METHOD = "GetAuditLog"
ASYNC_METHOD = "GetAuditLogAsync"
HISTORY_TYPE = "audit"
DEFAULT_COUNT = 100  # the vendor's default for this method (seed 002)
MAX_SEARCH = 1000  # characters of `advanced_filters`: a value to look for, not a document
# AuditLogInfoType's scalar fields in the vendor's order (docs/methods/call-history.md), less
# `subuser_id` (we have no sub-users): the CSV columns. `cmd_args` and `cmd_result` are
# objects, so CSV leaves them out.
COLUMNS = ("audit_log_id", "subuser_name", "account_id", "requested", "ip", "cmd_name")
FIELDS = ("id", "key_id", "tenant_id", "requested", "ip", "method", "args", "result")
ITEM = {"type": "object", "required": ["audit_log_id", "account_id", "requested", "cmd_name"],
        "properties": {
            "audit_log_id": {"type": "integer"},
            "subuser_name": {"type": "string", "description": "the key id of the call"},
            "account_id": {"type": "integer"}, "requested": {"type": "string"},
            "ip": {"type": "string"}, "cmd_name": {"type": "string"},
            "cmd_args": {"type": "object"}, "cmd_result": {"type": "object"}}}
RESULT = listing_schema(ITEM, timezone={"type": "string"})
UTC_NOTE = "UTC, inclusive"


class AuditLogParams(Schema):
    """In the seed's order."""

    from_date = date_field(f"requested from ({UTC_NOTE})")
    to_date = date_field(f"requested up to ({UTC_NOTE})")
    timezone = timezone_field("IANA zone `requested` is written in, or `auto` (the "
                              "tenant's zone); the date filters stay UTC")
    audit_log_id = id_list()
    filtered_admin_user_id = text_list()
    filtered_ip = text_list()
    filtered_cmd = text_list()
    advanced_filters = fields.String(load_default=None,
                                     validate=validate.Length(min=1, max=MAX_SEARCH),
                                     metadata={"description": "text the stored arguments or "
                                                              "result contain"})
    with_header = flag(True)
    desc_order = flag(False)
    with_total_count = flag(False)
    count = paging.count_field(DEFAULT_COUNT)
    offset = paging.offset_field()
    output = output_field()
    is_async = flag(False)
    decimal_separator = decimal_separator_field()  # the audit log's CSV has no amounts

    @validates_schema
    def _is_async(self, data: Params, **kwargs: Any) -> None:
        reports.check_async(data)


LISTS = (("audit_log_id", "id"), ("filtered_admin_user_id", "key_id"), ("filtered_ip", "ip"),
         ("filtered_cmd", "method"))


def _filters(params: Params) -> list[Condition]:
    found = [where(name, "in", *params[param])
             for param, name in LISTS if params[param] is not None]
    if params["advanced_filters"] is not None:
        text = params["advanced_filters"]
        found.append(either(where("args", "contains", text), where("result", "contains", text)))
    return found


def _stored(text: str | None) -> Any:
    return None if text is None else orjson.loads(text)


def _info(row: Row, zone: ZoneInfo) -> dict[str, Any]:
    return without_nulls({
        "audit_log_id": row["id"], "subuser_name": row["key_id"], "account_id": row["tenant_id"],
        "requested": show_time(row["requested"], zone), "ip": row["ip"],
        "cmd_name": row["method"], "cmd_args": _stored(row["args"]),
        "cmd_result": _stored(row["result"])})


async def _matching(context: Context, params: Params
                    ) -> tuple[ZoneInfo, Viewer, list[Condition]]:
    """Raises InvalidParams for a bad range."""
    zone = await zone_of(context, params["timezone"])
    low, high = bounded_range(params, UTC_ZONE, context.config.limits.date_range_days)
    return zone, Viewer(context.caller.scope), [where("requested", "between", low, high),
                                                *_filters(params)]


LEDGER = reports.Ledger(HISTORY_TYPE, ledgers.AUDIT, FIELDS, "requested", COLUMNS, _matching,
                        _info, "record")


ASYNC_PARAMS = async_params(AuditLogParams)
METHODS = {
    METHOD: RpcMethod(
        LEDGER.page, AuditLogParams(), roles.READERS,
        "Changes made through the gateway in a UTC date range (Voximplant's GetAuditLog), "
        "over the caller's subtree.",
        result=RESULT),
    ASYNC_METHOD: reports.async_method(ASYNC_METHOD, METHOD, LEDGER.submit, ASYNC_PARAMS),
}
# Loads the params saved by either method.
EXPORTS = {HISTORY_TYPE: ExportKind(ASYNC_PARAMS, LEDGER.export)}
