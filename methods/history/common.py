"""What the call-history family shares (docs/methods/call-history.md): dates in a zone, id and
text lists, paging, the tenants a call-history method covers, and CSV rows.

Dates come in and go out as `YYYY-MM-DD HH:mm:ss` in the request's `timezone` (default
`Etc/GMT`, `auto` = the caller's tenant's zone), or in UTC where the spec says so.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from dataclasses import replace
from decimal import ROUND_HALF_EVEN, Decimal
from typing import Any, Iterable, Sequence
from zoneinfo import ZoneInfo

from marshmallow import Schema, ValidationError, fields, validate

from gateway.core import money
from gateway.core.clock import DATE_FORMAT, DAY
from gateway.core.errors import InvalidParams
from gateway.query.listing import Listing, Viewer
from gateway.storage import tenants as tenant_store
from methods import json_schemas
from methods.context import Context, Params
from methods.validators import Integer, zone_name

BAD_DATE = "Invalid date format: expected YYYY-MM-DD HH:mm:ss."
DEFAULT_ZONE = "Etc/GMT"
AUTO = "auto"
MAX_IDS = 1000
MAX_INT = 2_147_483_647  # the bound of a whole-seconds or count param (32 bits)
ALL = "all"
JSON, CSV = "json", "csv"
DATE_SCHEMA = json_schemas.DATE_TIME


class Date(fields.Field):
    """`YYYY-MM-DD HH:mm:ss`, loaded as a naive datetime (its zone applies later)."""

    json_schema = DATE_SCHEMA

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> Any:
        if not isinstance(value, str):
            raise ValidationError(BAD_DATE)
        try:
            return dt.datetime.strptime(value, DATE_FORMAT)
        except ValueError:
            raise ValidationError(BAD_DATE) from None


def _zone(value: str) -> None:
    if value != AUTO:
        zone_name(value)


class _MostIds(validate.Validator):
    """1 to MAX_IDS values, with Voximplant's message for none."""

    json_schema = {"minItems": 1, "maxItems": MAX_IDS}

    def __call__(self, value: Sequence[Any]) -> Sequence[Any]:
        if not value:
            raise ValidationError("Empty value is not allowed")
        if len(value) > MAX_IDS:
            raise ValidationError(f"At most {MAX_IDS} values.")
        return value


_most_ids = _MostIds()


def id_list() -> fields.List:
    return fields.List(Integer(), load_default=None, validate=_most_ids)


def text_list(choices: Sequence[str] | None = None) -> fields.List:
    """A list of strings; with `choices`, each one of them."""
    inner = fields.String() if choices is None else fields.String(
        validate=validate.OneOf(choices, error="Must be one of the documented values, not "
                                               "{input!r}."))
    return fields.List(inner, load_default=None, validate=_most_ids)


class ChildAccounts(fields.Field):
    """A list of descendant tenant ids, or `all`."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("metadata", {"json_schema": {"oneOf": [
            {"type": "array", "items": Integer().json_schema},
            {"type": "string", "enum": [ALL]}]}})
        super().__init__(**kwargs)

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> Any:
        if value == ALL:
            return ALL
        return id_list().deserialize(value)


class StrictBoolean(fields.Boolean):
    """`true` or `false` only: `1 in {True}` holds in Python, so marshmallow's own
    Boolean with `truthy={True}` still takes 1, 0 and 1.0 (docs/rpc.md: no coercion)."""

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> Any:
        if not isinstance(value, bool):
            raise self.make_error("invalid", input=value)
        return value


def flag(default: bool | None) -> fields.Boolean:
    """A boolean param; with default None, a filter that is off unless given."""
    return StrictBoolean(load_default=default)


def date_field(description: str) -> Date:
    return Date(required=True, metadata={"json_schema": DATE_SCHEMA,
                                         "description": description})


def timezone_field(description: str = "IANA zone of the dates in and out, or `auto` (the "
                                      "tenant's zone)") -> fields.String:
    return fields.String(load_default=DEFAULT_ZONE, validate=_zone,
                         metadata={"description": description})


def output_field() -> fields.String:
    return fields.String(load_default=JSON, validate=validate.OneOf([JSON, CSV]))


def duration_field(description: str) -> Integer:
    """Whole seconds, 0 to MAX_INT; off unless given."""
    return Integer(load_default=None, minimum=0, maximum=MAX_INT,
                   metadata={"description": description})


def decimal_separator_field() -> fields.String:
    return fields.String(load_default=None, validate=validate.OneOf([".", ","]), metadata={
        "description": "the decimal mark of amounts in CSV (default `.`)"})


def async_params(base: type[Schema]) -> Schema:
    """The params of a sync method's `...Async` twin: the same, without `is_async`, with
    `output` only `csv` (the default), and `count` and `offset` accepted (the clients send
    them) but not applied: an export writes every matching record."""
    accepted = {"description": "accepted; an export writes every matching record"}
    twin = base.from_dict({
        "output": fields.String(load_default=CSV, validate=validate.OneOf([CSV])),
        "count": Integer(load_default=None, minimum=1, maximum=MAX_INT, metadata=accepted),
        "offset": Integer(load_default=None, minimum=0, maximum=MAX_INT, metadata=accepted),
    }, name=base.__name__.replace("Params", "AsyncParams"))
    return twin(exclude=("is_async",))


class NumberList(fields.List):
    """A list of phone numbers, 0 to MAX_IDS of them (empty: as if not given). On the
    route, a `;`-joined text or a JSON array of strings."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(fields.String(validate=validate.Length(min=1)), load_default=None,
                         validate=validate.Length(max=MAX_IDS), **kwargs)


async def zone_of(context: Context, name: str) -> ZoneInfo:
    if name != AUTO:
        return ZoneInfo(name)
    row = await tenant_store.by_id(context.db, context.caller.tenant_id)
    return ZoneInfo(row["timezone"] if row else "UTC")


def to_utc(value: dt.datetime, zone: ZoneInfo) -> int:
    """Unix seconds of a wall-clock time in `zone` (a repeated hour: its first time)."""
    return int(value.replace(tzinfo=zone, fold=0).timestamp())


def date_range(params: Params, zone: ZoneInfo) -> tuple[int, int]:
    low, high = to_utc(params["from_date"], zone), to_utc(params["to_date"], zone)
    if low > high:
        raise InvalidParams({"from_date": "Must not be after to_date."})
    return low, high


def _occurs(value: dt.datetime, zone: ZoneInfo) -> bool:
    """Whether a wall-clock time occurs in `zone` (a change to summer time skips some)."""
    there = value.replace(tzinfo=zone, fold=0).astimezone(dt.timezone.utc).astimezone(zone)
    return there.replace(tzinfo=None) == value


def bounded_range(params: Params, zone: ZoneInfo, max_days: int) -> tuple[int, int]:
    """`date_range`, refusing a local time that `zone` skips (an invalid date) and a range
    longer than `max_days` (docs/money-and-time.md)."""
    skipped = {name: BAD_DATE for name in ("from_date", "to_date")
               if not _occurs(params[name], zone)}
    if skipped:
        raise InvalidParams(skipped)
    low, high = date_range(params, zone)
    if high - low >= max_days * DAY:
        raise InvalidParams({"to_date": f"The range from from_date to to_date exceeds "
                                        f"{max_days} days."})
    return low, high


def show_time(seconds: int | None, zone: ZoneInfo) -> str | None:
    if seconds is None:
        return None
    return dt.datetime.fromtimestamp(seconds, zone).strftime(DATE_FORMAT)


def total(micros: int, currency: str | None) -> Decimal:
    """A sum of stored amounts, written with the currency's minor digits (half-even)."""
    digits = money.minor_digits(currency) if currency else 2
    return money.from_micros(micros).quantize(Decimal(1).scaleb(-digits), ROUND_HALF_EVEN)


def amount(micros: int | None, currency: str | None = None) -> Decimal | None:
    """Stored micro-units as a plain decimal: the currency's minor digits when exact,
    every stored digit otherwise."""
    if micros is None:
        return None
    value = money.from_micros(micros)
    digits = money.minor_digits(currency) if currency else 2
    rounded = value.quantize(Decimal(1).scaleb(-digits))
    return rounded if rounded == value else value.normalize()


async def viewer(context: Context, child_accounts: Any, children_only: bool,
                 param: str = "child_account_id") -> Viewer:
    """Whose records a call-history method lists: the caller's own tenant, plus the listed
    descendants (or all of them: the subtree); with `children_only`, the descendants
    alone. What the caller may see stays its subtree (docs/tenancy.md)."""
    caller = context.caller
    if child_accounts == ALL and not children_only:
        return Viewer(caller.scope)
    own = [] if children_only else [caller.tenant_id]
    if child_accounts is None:
        return Viewer(caller.scope, own)
    descendants = set(await tenant_store.descendant_ids(context.db, caller.scope,
                                                        caller.tenant_id))
    if child_accounts == ALL:
        return Viewer(caller.scope, own + sorted(descendants))
    for tenant_id in child_accounts:
        if tenant_id not in descendants:
            raise InvalidParams.missing_object(param, "tenants", tenant_id)
    return Viewer(caller.scope, own + sorted(set(child_accounts)))


def _cell(value: Any, decimal: str | None = None) -> Any:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if decimal is not None and isinstance(value, Decimal):
        return str(value).replace(".", decimal)
    return value


def cells(values: Sequence[Any], decimal: str | None) -> list[Any]:
    """A CSV line's values; with `decimal`, amounts written with that decimal mark."""
    return [_cell(v, decimal) for v in values]


def csv_text(rows: Iterable[dict[str, Any]], columns: Sequence[str], with_header: bool,
             decimal: str | None = None) -> str:
    """CSV (RFC 4180, CRLF) of a page: the header, then each row's fields in `columns`
    order (a missing one empty, booleans as `true`/`false`, amounts with `decimal`)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    if with_header:
        writer.writerow(columns)
    writer.writerows(cells([row.get(c) for c in columns], decimal) for row in rows)
    return buffer.getvalue()


def listed(rows: list[dict[str, Any]], total: int | None, params: Params,
           columns: Sequence[str], **extra: Any) -> dict[str, Any]:
    """A page as the family answers it: JSON rows, or (output=csv) the CSV text."""
    result: Any = rows
    if params["output"] == CSV:
        result = csv_text(rows, columns, params["with_header"],
                          params.get("decimal_separator"))
    out: dict[str, Any] = {"result": result}
    if total is not None:
        out["total_count"] = total
    out["count"] = len(rows)
    out.update(extra)
    return out


def order(params: Params, time: str, unique: str) -> list[tuple[str, bool]]:
    """By time, then by the unique id; `desc_order` reverses both."""
    return [(time, params["desc_order"]), (unique, params["desc_order"])]


def paged(listing: Listing, params: Params) -> Listing:
    """`listing` cut to the page `count` and `offset` ask for."""
    return replace(listing, limit=params["count"], offset=params["offset"])


def listing_schema(item: dict[str, Any], **extra: Any) -> dict[str, Any]:
    """JSON Schema of a listed page: `item`s, or their CSV text when output=csv."""
    return {"type": "object", "properties": {
        "result": {"oneOf": [{"type": "array", "items": item},
                             {"type": "string", "description": "the CSV text (output=csv)"}]},
        "total_count": {"type": "integer"}, "count": {"type": "integer"}, **extra}}
