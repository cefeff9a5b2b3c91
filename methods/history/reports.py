"""Export jobs of the call-history family: making one (`submit`), `GetHistoryReports`
and `DownloadHistoryReport` (docs/methods/call-history.md; HistoryReportType in docs/
section 3, with our `status` and `error`).

A report belongs to the tenant of the key that asked for it: another tenant's report is
not found, as is one past `store_until`. Dates here are UTC.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, AsyncIterator, Awaitable, Callable, Sequence
from zoneinfo import ZoneInfo

import orjson
from marshmallow import Schema, ValidationError, fields, validate

from gateway.core import roles
from gateway.core.clock import UTC_ZONE
from gateway.core.errors import NotFound, Unprocessable
from gateway.query.listing import Condition, Listing, Viewer, every, page, where
from gateway.storage import Row
from gateway.storage import history_ledgers as ledgers
from gateway.storage import history_reports as store
from gateway.storage.attributes import Kind
from methods import paging
from methods.answers import without_nulls
from methods.context import Context, Params, RpcMethod
from methods.exports import Write, file_path
from methods.history import common
from methods.history.common import Date, flag, id_list, show_time
from methods.validators import Integer

TYPES = ("calls", "transactions", "audit", "call_list")
TABLE = "history_reports"
FLUSH_AT = 1 << 16  # characters of CSV handed to the file at a time
EXPORT_CHUNK = 1000  # rows rendered at a time
CSV_TYPE = "text/csv"


def saved(params: Params) -> dict[str, Any]:
    """The params as a job keeps them (dates back in their text form, defaults left out
    where they are None): what its schema loads again when the job runs."""
    out = {}
    for name, value in params.items():
        if value is None or name == "is_async":
            continue
        out[name] = value.strftime(common.DATE_FORMAT) if isinstance(value, dt.datetime) \
            else value
    return out


async def submit(context: Context, history_type: str, params: Params) -> dict[str, Any]:
    """Queue an export job for the caller; `{result: 1, history_report_id}`."""
    now = int(time.time())
    caller = context.caller
    report_id = await store.create(
        context.db, tenant_id=caller.tenant_id, key_id=caller.key_id, role=caller.role,
        history_type=history_type, params=saved(params), created=now,
        store_until=now + context.config.exports.keep_days * 86_400)
    context.submit_export(report_id)
    return {"result": 1, "history_report_id": report_id}


async def write_rows(write: Write, chunks: AsyncIterator[list[Sequence[Any]]],
                     columns: Sequence[str], with_header: bool) -> int:
    """Write CSV rows (values in `columns` order; None as empty) chunk by chunk, the
    header first even when there is no row; the count of rows."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    if with_header:
        writer.writerow(columns)
    count = 0
    async for rows in chunks:
        writer.writerows(rows)
        count += len(rows)
        if buffer.tell() >= FLUSH_AT:
            await write(buffer.getvalue())
            buffer.seek(0)
            buffer.truncate()
    await write(buffer.getvalue())
    return count


async def export_rows(context: Context, write: Write, listing: Listing,
                      render: Callable[[Row], Sequence[Any]], columns: Sequence[str],
                      with_header: bool, decimal: str | None = None) -> int:
    """Write every row of a listing as CSV, read a chunk at a time; `render` gives a row's
    values in `columns` order (amounts with the `decimal` mark). The count of rows."""
    def line(row: Row) -> Sequence[Any]:
        values = render(row)
        return values if decimal is None else common.cells(values, decimal)

    async def chunks() -> AsyncIterator[list[Sequence[Any]]]:
        batch: list[Sequence[Any]] = []
        async for row in every(context.db, listing):
            batch.append(line(row))
            if len(batch) >= EXPORT_CHUNK:
                yield batch
                batch = []
        yield batch
    return await write_rows(write, chunks(), columns, with_header)


def in_order(row: dict[str, Any], columns: Sequence[str]) -> list[Any]:
    """A record's values in `columns` order (a field left out: None)."""
    return [row.get(c) for c in columns]


@dataclass(frozen=True)
class Ledger:
    """A history method over one kind of record, read by time then id: a page (or its
    CSV), a background export of every matching row, and both from the same conditions."""

    history_type: str
    kind: Kind
    fields: Sequence[str]  # the attributes `render` reads
    time: str
    columns: Sequence[str]  # the CSV columns
    # the zone, whose records, and the conditions of a request
    matching: Callable[[Context, Params], Awaitable[tuple[ZoneInfo, Viewer, list[Condition]]]]
    render: Callable[[Row, ZoneInfo], dict[str, Any]]
    counted: str  # what calculated_data counts: `transaction_count`, ...

    async def listing(self, context: Context, params: Params) -> tuple[ZoneInfo, Listing]:
        zone, viewer, conditions = await self.matching(context, params)
        return zone, Listing(self.kind, self.fields, viewer, conditions,
                             common.order(params, self.time, "id"))

    async def submit(self, context: Context, params: Params) -> dict[str, Any]:
        """Queue the export, once the params' range and ids are found valid."""
        await self.listing(context, params)
        return await submit(context, self.history_type, params)

    async def page(self, context: Context, params: Params) -> dict[str, Any]:
        if params["is_async"]:
            return await self.submit(context, params)
        zone, listing = await self.listing(context, params)
        found, total = await page(context.db, common.paged(listing, params),
                                  params["with_total_count"])
        return common.listed([self.render(r, zone) for r in found], total, params,
                             self.columns, timezone=zone.key)

    async def export(self, context: Context, params: Params, write: Write) -> dict[str, Any]:
        zone, listing = await self.listing(context, params)
        count = await export_rows(context, write, listing,
                                  lambda r: in_order(self.render(r, zone), self.columns),
                                  self.columns, params["with_header"],
                                  params.get("decimal_separator"))
        return {f"{self.counted}_count": count, f"total_{self.counted}_count": count,
                "timezone": zone.key}


def check_async(params: Params) -> None:
    if params.get("is_async") and params["output"] != common.CSV:
        raise ValidationError("Only with output=csv.", "is_async")


def async_method(name: str, sync: str, handler: Callable[[Context, Params], Awaitable[Any]],
                 params: Schema) -> RpcMethod:
    """`<sync>Async`: the sync method's params with `output=csv`, queued as an export."""
    return RpcMethod(
        handler, params, roles.READERS,
        f"{sync} as a background CSV export (Voximplant's {name}): see GetHistoryReports "
        f"and DownloadHistoryReport.",
        result={"type": "object", "properties": {"result": {"const": 1},
                                                 "history_report_id": {"type": "integer"}}})


class HistoryTypes(fields.Field):
    """A list of history types, or `all`."""

    json_schema = {"oneOf": [
        {"type": "array", "items": {"type": "string", "enum": list(TYPES)}, "minItems": 1},
        {"type": "string", "enum": [common.ALL]}]}

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> Any:
        if value == common.ALL:
            return list(TYPES)
        return fields.List(fields.String(validate=validate.OneOf(TYPES)),
                           validate=validate.Length(min=1)).deserialize(value)


class Applications(common.ChildAccounts):
    """An application id, a list of them, or `all` (every job)."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(metadata={"json_schema": {"oneOf": [
            Integer().json_schema, {"type": "array", "items": Integer().json_schema},
            {"type": "string", "enum": [common.ALL]}]},
            "description": "jobs whose request named one of these applications by id"},
            **kwargs)

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> Any:
        if isinstance(value, int) and not isinstance(value, bool):
            value = [Integer().deserialize(value)]  # out of range: the field's own message
        return super()._deserialize(value, attr, data, **kwargs)


class HistoryReportsParams(Schema):
    history_report_id = id_list()
    history_type = HistoryTypes(load_default=lambda: ["calls"], metadata={
        "description": "calls, transactions, audit, call_list (a list), or all"})
    created_from = Date(load_default=None, metadata={"description": "UTC"})
    created_to = Date(load_default=None, metadata={"description": "UTC"})
    is_completed = flag(None)
    desc_order = flag(False)
    count = paging.count_field()
    offset = paging.offset_field()
    application_id = Applications(load_default=None)
    application_name = common.text_list()  # of the applications named by id


def _report(row: dict[str, Any]) -> dict[str, Any]:
    done = row["status"] == store.COMPLETED
    values = {
        "history_report_id": row["id"], "history_type": row["history_type"],
        "created": show_time(row["created"], UTC_ZONE), "format": "csv",
        "completed": show_time(row["completed"], UTC_ZONE) if done else None,
        "file_name": row["file_name"] if done else None,
        "file_size": row["file_size"] if done else None,
        "download_size": row["download_size"] if done else None,
        "download_count": row["download_count"],
        "last_downloaded": show_time(row["last_downloaded"], UTC_ZONE),
        "store_until": dt.datetime.fromtimestamp(row["store_until"], dt.timezone.utc)
        .date().isoformat(),
        "filters": orjson.loads(row["params"]),
        "calculated_data": orjson.loads(row["calculated_data"]) if row["calculated_data"]
        else None,
        "status": row["status"], "error": row["error"]}
    return without_nulls(values)


async def history_reports(context: Context, params: Params) -> dict[str, Any]:
    conditions = [where("store_until", "ge", int(time.time()) + 1),
                  where("history_type", "in", *params["history_type"])]
    if params["history_report_id"] is not None:
        conditions.append(where("id", "in", *params["history_report_id"]))
    if params["created_from"] is not None:
        conditions.append(where("created", "ge", common.to_utc(params["created_from"], UTC_ZONE)))
    if params["created_to"] is not None:
        conditions.append(where("created", "le", common.to_utc(params["created_to"], UTC_ZONE)))
    if params["is_completed"] is not None:
        completed = where("status", "eq", store.COMPLETED)
        conditions.append(completed if params["is_completed"] else where(
            "status", "in", store.QUEUED, store.RUNNING, store.FAILED))
    if params["application_id"] not in (None, common.ALL):
        conditions.append(where("application_id", "in", *params["application_id"]))
    if params["application_name"] is not None:
        conditions.append(where("application_name", "in", *params["application_name"]))
    listing = Listing(ledgers.HISTORY_REPORTS, list(ledgers.HISTORY_REPORTS.attributes),
                      Viewer(context.caller.scope, [context.caller.tenant_id]), conditions,
                      common.order(params, "created", "id"))
    found, total = await page(context.db, common.paged(listing, params), True)
    return paging.page([_report(r) for r in found], total or 0)


class DownloadParams(Schema):
    history_report_id = Integer(required=True)


async def ready_file(context: Context, report_id: int) -> tuple[Path, str, dict[str, Any]]:
    """The file of the caller's completed report: (path, file name, row); not found for
    another tenant's, one past `store_until`, or a missing file; 422 while not done."""
    row = await store.by_id(context.db, report_id)
    if row is None or int(row["tenant_id"]) != context.caller.tenant_id \
            or int(row["store_until"]) <= time.time():
        raise NotFound(TABLE, str(report_id))
    if row["status"] != store.COMPLETED:
        raise Unprocessable("history-report-not-ready",
                            f"the report is {row['status']}" + (
                                f": {row['error']}" if row["error"] else ""))
    path = file_path(context.config.exports.folder, report_id, row["file_name"])
    if not path.exists():
        raise NotFound(TABLE, str(report_id))
    return path, row["file_name"], row


async def counted_download(context: Context, report_id: int) -> tuple[Path, str]:
    """`ready_file`, counted as a download."""
    path, name, _ = await ready_file(context, report_id)
    await store.count_download(context.db, report_id, int(time.time()))
    return path, name


async def download_history_report(context: Context, params: Params) -> dict[str, Any]:
    """On /rpc: where the file is (`GET /reports/files/{id}` streams it)."""
    report_id = params["history_report_id"]
    _, name, row = await ready_file(context, report_id)
    return {"file_name": name, "content_type": CSV_TYPE, "size": row["file_size"],
            "url": f"/reports/files/{report_id}"}


REPORT = {"type": "object", "properties": {
    "history_report_id": {"type": "integer"}, "history_type": {"type": "string"},
    "created": {"type": "string"}, "completed": {"type": "string"},
    "status": {"type": "string", "enum": [store.QUEUED, store.RUNNING, store.COMPLETED,
                                          store.FAILED]}}}

METHODS = {
    "GetHistoryReports": RpcMethod(
        history_reports, HistoryReportsParams(), roles.READERS,
        "The caller's export jobs (Voximplant's GetHistoryReports) with our status and error.",
        result=paging.page_schema(REPORT)),
    "DownloadHistoryReport": RpcMethod(
        download_history_report, DownloadParams(), roles.READERS,
        "A completed export: its file name, type, size and the URL that streams it "
        "(on /platform_api/DownloadHistoryReport: the file itself, application/octet-stream).",
        result={"type": "object", "properties": {
            "file_name": {"type": "string"}, "content_type": {"type": "string"},
            "size": {"type": "integer"}, "url": {"type": "string"}}},
        errors=(NotFound, Unprocessable)),
}
