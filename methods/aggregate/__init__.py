"""`aggregate_get`: grouped statistics of finished calls (methods.md section 2)."""

from __future__ import annotations

import datetime as dt
from typing import Any, Sequence
from zoneinfo import ZoneInfo

from gateway import roles
from gateway.context import Context, Params, RpcMethod
from gateway.errors import InvalidParams, Unprocessable
from gateway.query import run
from gateway.query.select import Column, Filter, Select
from gateway.query.sql import Sql, one_of, starts_with
from gateway.storage import finished_calls as calls
from gateway.storage import ledgers, references
from gateway.storage.tenants import ROOT_PATH
from methods.aggregate import columns
from methods.aggregate.columns import CURRENCY, KEYS, UTC_DAY, View
from methods.aggregate.figures import Rates, Sums, day_text, figures
from methods.aggregate.params import (DEFAULT_GROUPS, GROUP_FLAGS, OBJECT_FILTERS,
                                      AggregateParams)

METHOD = "aggregate_get"
Key = tuple[Any, ...]
RESULT = {"type": "object", "properties": {
    "aggregates": {"type": "array", "items": {"type": "object"}},
    "totals": {"type": "object"}, "currency": {"type": "string"},
    "timezone": {"type": "string"}}}


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


def _pattern(expr: Sql, value: str) -> Sql:
    """`%` is a wildcard; otherwise a prefix."""
    if "%" not in value:
        return starts_with(expr, value)
    escaped = value.replace("\\", "\\\\").replace("_", "\\_")
    return Sql(f"{expr.text} LIKE ? ESCAPE '\\'", (*expr.params, escaped))


async def _filters(context: Context, params: Params, keys: dict[str, Column],
                   low: int, high: int) -> list[Filter]:
    scope = context.caller.scope
    where = [calls.ENDED_CALLS, calls.set_up_between(low, high), calls.visible(scope)]
    for param, table in OBJECT_FILTERS.items():
        object_id = params[param]
        if object_id is None:
            continue
        if not await references.in_scope(context.db, table, object_id, scope):
            raise InvalidParams.missing_object(param, table, object_id)
        column = keys[{"s_originator_id": "originator_id", "s_terminator_id": "terminator_id",
                       "s_device": "device_id", "s_provider": "provider_id"}[param]]
        where.append(Filter(one_of(column.expr, [object_id]), column.needs))
    for param, expr in (("a_src", "o.src"), ("a_dst", "o.dst"), ("clid", "o.src")):
        if params[param] is not None:
            where.append(Filter(_pattern(Sql(expr), params[param])))
    if params["s_duration"] is not None:
        where.append(Filter(Sql("COALESCE(o.billsec, 0) >= ?", (params["s_duration"],))))
    if params["dst_group"] is not None:
        where.append(Filter(Sql("o.dst_name = ?", (params["dst_group"],))))
    return where


def row_keys(params: Params) -> list[str]:
    flags = [f for f in GROUP_FLAGS if params[f]] or list(DEFAULT_GROUPS)
    return [key for flag in GROUP_FLAGS if flag in flags for key in KEYS[flag]]


async def _sums(context: Context, selects: Sequence[Select],
                names: list[str]) -> dict[Key, Sums]:
    """Every group's sums, merged from rows per currency and UTC day."""
    groups: dict[Key, Sums] = {}
    limit = context.config.limits.report_rows
    for select in selects:
        async for row in run.stream(context.db, select):
            key = tuple(row[n] for n in names)
            sums = groups.get(key)
            if sums is None:
                if len(groups) >= limit:
                    raise run.too_large(limit)
                sums = groups[key] = Sums()
            sums.add(row, row[CURRENCY], row[UTC_DAY])
    return groups


def _render(key: Key, names: list[str]) -> dict[str, Any]:
    out = dict(zip(names, key))
    if "day" in out and out["day"] is not None:
        out["day"] = day_text(out["day"])
    if "hour" in out and out["hour"] is not None:
        out["hour"] = (dt.datetime(1970, 1, 1) + dt.timedelta(hours=out["hour"])).strftime(
            "%Y-%m-%d %H:00")
    return out


def _order(key: Key) -> tuple[Any, ...]:
    return tuple((value is None, value) for value in key)


async def aggregate(context: Context, params: Params) -> dict[str, Any]:
    zone = ZoneInfo(params["timezone"] or context.config.timezone)
    low, high = _range(params, zone, context.config.limits.date_range_days)
    view = View(scope=context.caller.scope, operator=context.caller.scope == ROOT_PATH,
                zone=zone, low=low, high=high, user_price=bool(params["from_user_perspective"]),
                real_billsec=bool(params["use_real_billsec"]))
    names = row_keys(params)
    keys = columns.keys(view)
    where = await _filters(context, params, keys, low, high)
    dims = [keys[n] for n in names] + [keys[UTC_DAY], keys[CURRENCY]]
    selects = [Select(calls.source(), dims + columns.call_measures(view), where, grouped=True)]
    if view.operator:  # the carriers' charges, per attempt
        charged = columns.keys(view, charges=True)
        selects.append(Select(calls.source(charges=True),
                              [charged[n] for n in names] + [charged[UTC_DAY], charged[CURRENCY],
                                                             columns.CHARGES],
                              where, grouped=True))
    groups = await _sums(context, selects, names)
    total = Sums()
    for sums in groups.values():
        total.merge(sums)
    rates = Rates(params["a_currency"], await ledgers.rates_of(
        context.db, sorted({c for _, c, _ in total.money} | {params["a_currency"]})))
    rates.check(total.money)
    profit, minimum = bool(params["profit_show"]), params["answered_calls"]
    rows = [{**_render(key, names), **figures(sums, rates, profit)}
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
