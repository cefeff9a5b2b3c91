"""How `aggregate_get` reads: from the summaries (which key set, which spans) or from
the raw calls, and the filters of either."""

from __future__ import annotations

from dataclasses import replace

from gateway.query.select import Column, Select
from gateway.query.zones import offsets
from gateway.storage import finished_calls as calls
from gateway.storage import summaries
from gateway.storage.sources import Filter
from gateway.storage.sql import Sql, join, matching, one_of
from methods.aggregate import columns
from methods.aggregate.columns import (CURRENCY, UTC_DAY, Store, View, raw_store, summary_store,
                                       visible)
from methods.aggregate.params import DEFAULT_GROUPS, GROUP_FLAGS
from methods.context import Params

# The summary keys each group flag and each filter needs (day and hour: the buckets).
GROUP_KEYS = {"group_by_user": "originator_id", "group_by_device": "device_id",
              "group_by_terminator": "terminator_id", "group_by_provider": "provider_id",
              "group_by_dst_group": "dst_group", "group_by_dst": "dst",
              "group_by_user_rate": "user_rate", "group_by_provider_rate": "provider_rate"}
OBJECT_KEYS = {"s_originator_id": "originator_id", "s_terminator_id": "terminator_id",
               "s_device": "device_id", "s_provider": "provider_id"}
FILTER_KEYS = {**OBJECT_KEYS, "dst_group": "dst_group"}

PATTERN_FILTERS = (("a_src", "f.src_number"), ("a_dst", "f.dst_number"), ("clid", "f.src_number"))
RAW_ONLY = ("a_src", "a_dst", "clid", "s_duration")  # the summaries hold no numbers


def filters(params: Params, store: Store, keys: dict[str, Column], view: View) -> list[Filter]:
    where = [visible(store, view.scope)]
    if store.summary:
        where.append(Filter(_buckets(params, view)))
    else:
        prefixed = any((params[p] or "%").split("%", 1)[0] for p, _ in PATTERN_FILTERS)
        where.append(calls.set_up_between(view.low, view.high, by_time=not prefixed))
    for param, key in OBJECT_KEYS.items():
        if params[param] is not None:
            column = keys[key]
            where.append(Filter(one_of(column.expr, [params[param]]), column.needs))
    for param, expr in PATTERN_FILTERS:
        if params[param] is not None:
            where.append(Filter(matching(Sql(expr), params[param])))
    if params["s_duration"] is not None:
        where.append(Filter(Sql("f.duration >= ?", (params["s_duration"],))))
    if params["dst_group"] is not None:
        where.append(Filter(one_of(keys["dst_group"].expr, [params["dst_group"]])))
    return where


def widest_span(params: Params, view: View) -> int:
    """The widest summary span whose buckets fall within one row: a UTC day unless rows
    are hours or local days; an hour when the zone's offsets are whole hours."""
    local = params["group_by_hour"] or (params["group_by_day"] and any(
        offset for _, offset in offsets(view.zone, view.low, view.high)))
    if not local:
        return summaries.DAY
    whole_hours = all(offset % summaries.HOUR == 0
                      for _, offset in offsets(view.zone, view.low, view.high))
    return summaries.HOUR if whole_hours else summaries.BUCKET


def keyset(params: Params) -> int:
    """The smallest summary key set holding the request's groups and filters."""
    flags = [f for f in GROUP_FLAGS if params[f]] or list(DEFAULT_GROUPS)
    needed = {GROUP_KEYS[f] for f in flags if f in GROUP_KEYS} | \
        {key for param, key in FILTER_KEYS.items() if params[param] is not None}
    return next(k for k, keys in summaries.KEYSETS.items() if needed <= set(keys))


def _buckets(params: Params, view: View) -> Sql:
    parts = [Sql("(m.span = ? AND m.bucket BETWEEN ? AND ?)", piece)
             for piece in summaries.pieces(view.low, view.high, widest_span(params, view))]
    return Sql(f"m.keyset = ? AND ({join(parts, ' OR ').text})",
               (keyset(params), *join(parts, " OR ").params))


def _select(params: Params, view: View, names: list[str], store: Store) -> Select:
    keys = columns.keys(store, view)
    dims = [keys[n] for n in names] + [keys[UTC_DAY], keys[CURRENCY]]
    return Select(store.source, dims + columns.measures(store, view),
                  filters(params, store, keys, view), grouped=True)


def selects(params: Params, view: View, names: list[str], summary: bool) -> list[Select]:
    """The queries of the groups' sums: from the summaries for the window's whole
    15-minute buckets and from the calls' rows for the parts of buckets at its edges, or
    from the calls' rows alone."""
    if not summary:
        return [_select(params, view, names, raw_store())]
    inner, edges = summaries.split(view.low, view.high)
    out = [] if inner is None else \
        [_select(params, replace(view, low=inner[0], high=inner[1]), names, summary_store())]
    return out + [_select(params, replace(view, low=low, high=high), names, raw_store())
                  for low, high in edges]
