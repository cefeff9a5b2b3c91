"""`reports.active_sessions.query`: the live sessions report (docs/methods/active-sessions.md)."""

from __future__ import annotations

import time
from typing import Any
from zoneinfo import ZoneInfo

from gateway.core import roles
from gateway.core.errors import InvalidParams, Unprocessable
from gateway.query import run
from gateway.query.scope import session_visible
from gateway.query.select import Order, Select
from gateway.query.zones import format_local
from gateway.storage import Row, code_decks
from gateway.storage import live_sessions as live
from gateway.storage.sources import Filter
from gateway.storage.sql import one_of
from methods import json_schemas
from methods.active_sessions.columns import TIME_FIELDS, columns
from methods.active_sessions.params import AGGREGATED, FIELDS, ROLLUP, QueryParams
from methods.context import Context, Params, RpcMethod


def _field_schema(name: str) -> dict[str, Any]:
    """A field's JSON Schema; null where a rollup's subtotal or total leaves it out."""
    if name in TIME_FIELDS:
        return {"oneOf": [json_schemas.DATE_TIME, {"type": "null"}]}
    whole = name in AGGREGATED or (name.endswith("_id") and not name.endswith(
        ("leg_id", "party_id")) and name != "session_id")
    return {"type": ["integer" if whole else "string", "null"]}


ROW = {"type": "object", "additionalProperties": False,
       "description": "the requested fields (and row_type with rollup)",
       "properties": {**{name: _field_schema(name) for name in FIELDS},
                      "row_type": {"type": "string", "enum": ["row", "subtotal", "total"]}}}


async def _deck(context: Context, deck_id: int | None) -> int | None:
    if deck_id is not None and not await code_decks.visible(
            context.db, deck_id, context.caller.scope):
        raise InvalidParams.missing_object("code_decks_id", "code_decks", deck_id)
    return deck_id


def _uses_times(params: Params) -> bool:
    named = {*params["return_fields"], *(o.removeprefix("-") for o in params["order"])}
    return bool(named & set(TIME_FIELDS))


def select(params: Params, catalogue: dict[str, Any], deck: int | None, scope: str) -> Select:
    fields = [catalogue[name] for name in params["return_fields"]]
    singular = [c for c in fields if not c.is_measure]
    order = [Order(catalogue[o.removeprefix("-")], o.startswith("-")) for o in params["order"]]
    order += [Order(c) for c in singular]  # then by the singular fields, ascending
    where = [live.LIVE_CALLS, Filter(session_visible(scope))]
    for name, values in params["filters"].items():
        column = catalogue[name]
        where.append(Filter(one_of(column.expr, values), column.needs))
    return Select(live.source(deck), fields, where, grouped=True, order=order,
                  limit=params["limit"], rollup=params["group"] == ROLLUP)


def _render(row: Row, names: list[str]) -> dict[str, Any]:
    return {name: format_local(row[name]) if name in TIME_FIELDS else row[name]
            for name in names}


async def query(context: Context, params: Params) -> list[dict[str, Any]]:
    zone = ZoneInfo(params["timezone"] or "UTC")
    deck = await _deck(context, params["code_decks_id"])
    span = await live.time_range(context.db) if _uses_times(params) else None
    catalogue = columns(context.caller.scope, int(time.time()), zone, span)
    report = select(params, catalogue, deck, context.caller.scope)
    names, max_rows = params["return_fields"], context.config.limits.report_rows
    if not report.rollup:
        return [_render(row, names) for row in await run.fetch(context.db, report, max_rows)]
    return [{**_render(row, names), "row_type": kind}
            for kind, row in await run.rollup(context.db, report, max_rows)]


METHODS = {
    "reports.active_sessions.query": RpcMethod(
        query, QueryParams(), roles.READERS,
        "The live sessions report: chosen fields grouped and summed, filtered, ordered, "
        "limited, optionally rolled up.",
        result={"type": "array", "items": ROW}, errors=(Unprocessable,)),
}
