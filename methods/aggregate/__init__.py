"""`aggregate_get`: grouped statistics of finished calls (docs/methods/aggregate.md)."""

from __future__ import annotations

import datetime as dt
from typing import Any
from zoneinfo import ZoneInfo

from gateway.core import roles
from gateway.core.errors import InvalidParams, Unprocessable
from gateway.query import run
from gateway.query.select import Select
from gateway.query.zones import offsets
from gateway.storage import ledgers, references, summaries
from gateway.storage.tenants import ROOT_PATH
from methods import json_schemas
from methods.aggregate import plan
from methods.aggregate.columns import CURRENCY, KEYS, UTC_DAY, View
from methods.aggregate.figures import COUNTS, MONEY, Rates, Sums, day_text, figures
from methods.aggregate.params import DEFAULT_GROUPS, GROUP_FLAGS, OBJECT_FILTERS, AggregateParams
from methods.context import Context, Params, RpcMethod

METHOD = "aggregate_get"
# A name shown beside an id -> the id's key and the table of its objects.
NAMED = {"originator_name": ("originator_id", "clients"), "device_name": ("device_id", "accounts"),
         "terminator_name": ("terminator_id", "clients"),
         "provider_name": ("provider_id", "accounts")}
Key = tuple[Any, ...]
_NUMBER, _MAYBE = {"type": "number"}, {"type": ["number", "null"]}
FIGURES = {"total_calls": {"type": "integer"}, "answered_calls": {"type": "integer"},
           "asr": _NUMBER, "billsec": {"type": "integer"}, "acd": _NUMBER, "pdd": _NUMBER,
           "price": _NUMBER, "cost": _NUMBER, "profit": _NUMBER, "margin": _MAYBE}
# The keys of the groupings asked for (docs/methods/aggregate.md), then the figures.
GROUP_KEYS = {"originator_id": {"type": "integer"}, "device_id": {"type": "integer"},
              "terminator_id": {"type": "integer"}, "provider_id": {"type": "integer"},
              "day": json_schemas.DAY,
              "hour": {"type": "string", "pattern": r"^\d{4}-\d{2}-\d{2} \d{2}:00$"},
              **{name: {"type": ["string", "null"]} for name in (
                  "originator_name", "device_name", "terminator_name", "provider_name",
                  "dst_group", "dst", "user_rate", "provider_rate")}}
RESULT = {"type": "object", "properties": {
    "aggregates": {"type": "array", "items": {
        "type": "object", "additionalProperties": False,
        "properties": {**GROUP_KEYS, **FIGURES}}},
    "totals": {"type": "object", "additionalProperties": False, "properties": FIGURES},
    "currency": {"type": "string"}, "timezone": {"type": "string"}}}


def _today(zone: ZoneInfo) -> tuple[int, int]:
    """Today's first and last second in `zone`, as Unix seconds."""
    today = dt.datetime.now(zone).date()
    start = dt.datetime.combine(today, dt.time(), zone)
    end = dt.datetime.combine(today + dt.timedelta(days=1), dt.time(), zone)
    return int(start.timestamp()), int(end.timestamp()) - 1


def _range(params: Params, zone: ZoneInfo, max_days: int) -> tuple[int, int]:
    first, last = _today(zone)
    low = first if params["from_"] is None else params["from_"]
    high = last if params["till"] is None else params["till"]
    if low > high:
        raise InvalidParams({"from": "Must not be after till."})
    if high - low >= max_days * 86_400:
        raise InvalidParams({"till": f"The range from `from` to `till` exceeds {max_days} days."})
    return low, high


async def _check_objects(context: Context, params: Params) -> None:
    for param, table in OBJECT_FILTERS.items():
        object_id = params[param]
        if object_id is not None and not await references.in_scope(
                context.db, table, object_id, context.caller.scope):
            raise InvalidParams.missing_object(param, table, object_id)


def summaries_answer(params: Params, view: View) -> bool:
    """Whether the summaries answer the request (with the calls' rows for the parts of
    15-minute buckets at its edges): no filter on numbers, and a zone whose offsets over
    the range are whole buckets."""
    return (all(params[p] is None for p in plan.RAW_ONLY)
            and all(offset % summaries.BUCKET == 0
                    for _, offset in offsets(view.zone, view.low, view.high)))


def row_keys(params: Params) -> list[str]:
    flags = [f for f in GROUP_FLAGS if params[f]] or list(DEFAULT_GROUPS)
    return [key for flag in GROUP_FLAGS if flag in flags for key in KEYS[flag]]


async def _names(context: Context, wanted: list[str], keys: list[str],
                 groups: dict[Key, Sums]) -> dict[str, tuple[int, dict[int, str | None]]]:
    """Each name wanted beside an id: where the id is in a group's key, and the names of
    the groups' ids. Groups are made by id, and the names looked up once for them: a
    name is shown where its id is, and hidden where it is."""
    out = {}
    for name, (id_key, table) in NAMED.items():
        if name in wanted:
            at = keys.index(id_key)
            ids = sorted({key[at] for key in groups if key[at] is not None})
            out[name] = (at, await references.names(context.db, table, ids))
    return out


async def _sums(context: Context, selects: list[Select], names: list[str]) -> dict[Key, Sums]:
    """Every group's sums, merged from rows per currency and UTC day (of every statement:
    the summaries' and the calls' rows of the edges add into the same groups)."""
    groups: dict[Key, Sums] = {}
    limit = context.config.limits.report_rows
    width = len(names)
    for select in selects:
        columns = [c.name for c in select.columns]
        day, currency = columns.index(UTC_DAY), columns.index(CURRENCY)
        counts = [(name, columns.index(name)) for name in COUNTS]
        money = [(name, columns.index(name)) for name in MONEY]
        async for row in run.records(context.db, select):
            key = row[:width]
            sums = groups.get(key)
            if sums is None:
                if len(groups) >= limit:
                    raise run.too_large(limit)
                sums = groups[key] = Sums()
            sums.add(row, counts, money, row[currency], row[day])
    return groups


def _render(key: Key, names: list[str],
            named: dict[str, tuple[int, dict[int, str | None]]]) -> dict[str, Any]:
    """A group's row keys by name (`key`: the values of the names not looked up)."""
    values = iter(key)
    out: dict[str, Any] = {}
    for name in names:
        if name in named:
            at, ids = named[name]
            out[name] = ids.get(key[at])
        else:
            out[name] = next(values)
    if "day" in out and out["day"] is not None:
        out["day"] = day_text(out["day"])
    if "hour" in out and out["hour"] is not None:
        out["hour"] = (dt.datetime(1970, 1, 1) + dt.timedelta(hours=out["hour"])).strftime(
            "%Y-%m-%d %H:00")
    return out


def _order(key: Key) -> tuple[Any, ...]:
    return tuple((value is None, value) for value in key)


async def aggregate(context: Context, params: Params,
                    use_summaries: bool = True) -> dict[str, Any]:
    """The statistics; from the summaries whenever they cover the request (with
    `use_summaries=False`, always from the raw calls: both give the same answer)."""
    zone = ZoneInfo(params["timezone"] or context.config.timezone)
    low, high = _range(params, zone, context.config.limits.date_range_days)
    view = View(scope=context.caller.scope, operator=context.caller.scope == ROOT_PATH,
                zone=zone, low=low, high=high, user_price=bool(params["from_user_perspective"]),
                real_billsec=bool(params["use_real_billsec"]), currency=params["a_currency"])
    await _check_objects(context, params)
    names = row_keys(params)
    keys = [name for name in names if name not in NAMED]
    summary = use_summaries and summaries_answer(params, view)
    groups = await _sums(context, plan.selects(params, view, keys, summary), keys)
    total = Sums()
    for sums in groups.values():
        total.merge(sums)
    rates = Rates(params["a_currency"], await ledgers.rates_of(
        context.db, sorted({c for _, c, _ in total.money} | {params["a_currency"]})))
    rates.check(total.money)
    profit, minimum = bool(params["profit_show"]), params["answered_calls"]
    named = await _names(context, names, keys, groups)
    rows = [{**_render(key, names, named), **figures(sums, rates, profit)}
            for key, sums in sorted(groups.items(), key=lambda item: _order(item[0]))
            if minimum is None or sums.counts["answered"] >= minimum]
    return {"aggregates": rows, "totals": figures(total, rates, profit),
            "currency": params["a_currency"], "timezone": zone.key}


METHODS = {
    METHOD: RpcMethod(
        aggregate, AggregateParams(), roles.READERS - {roles.CUSTOMER},
        "Grouped statistics of finished calls (MOR's aggregate_get): counts, seconds, "
        "ASR, ACD, PDD, price and cost, per the chosen groups, with totals.",
        result=RESULT, errors=(Unprocessable,)),
}
