"""Wall-clock time of a zone, computed inside SQL the same way on both engines.

Stored times are Unix seconds in UTC. A zone's offset is constant between its transitions,
so over a known range of instants the local time is `t + CASE WHEN t < t1 THEN o0 WHEN
t < t2 THEN o1 ... ELSE on END`: plain integer arithmetic that SQLite (which knows no
zones) and PostgreSQL evaluate identically. Grouping by that value groups by what a user
of the zone reads on the clock (a repeated autumn hour is one hour, a day can have 23 or
25 hours); formatting it as if it were UTC prints the local time.
"""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from gateway.core.clock import DATE_FORMAT, DAY, UTC
from gateway.storage.sql import Sql

_INT = "CAST(? AS BIGINT)"  # typed, so that PostgreSQL infers no text for a bare CASE value


def offset_at(zone: ZoneInfo, t: int) -> int:
    offset = dt.datetime.fromtimestamp(t, zone).utcoffset()
    assert offset is not None
    return int(offset.total_seconds())


def offsets(zone: ZoneInfo, low: int, high: int) -> list[tuple[int, int]]:
    """[(from, offset), ...]: the zone's offsets from `low` to `high`, each valid from its
    instant to the next one's (the first from `low`). Transitions are found a day apart
    at most and pinned to the second (no zone changes its offset twice in a day)."""
    spans = [(low, offset_at(zone, low))]
    t = low
    while t < high:
        step = min(t + DAY, high)
        if offset_at(zone, step) != spans[-1][1]:
            lo, hi = t, step  # offset of lo is the current one; hi's differs
            while hi - lo > 1:
                mid = (lo + hi) // 2
                if offset_at(zone, mid) == spans[-1][1]:
                    lo = mid
                else:
                    hi = mid
            spans.append((hi, offset_at(zone, hi)))
        t = step
    return spans


def local_time(expr: Sql, zone: ZoneInfo, low: int, high: int) -> Sql:
    """`expr` (UTC seconds, between `low` and `high`) as wall-clock seconds in `zone`."""
    spans = offsets(zone, low, high)
    if len(spans) == 1:
        if spans[0][1] == 0:
            return expr
        return Sql(f"({expr.text} + {_INT})", (*expr.params, spans[0][1]))
    cases, params = [], []
    for (_, offset), (until, _) in zip(spans, spans[1:]):
        cases.append(f"WHEN {expr.text} < {_INT} THEN {_INT}")
        params += [*expr.params, until, offset]
    text = f"({expr.text} + CASE {' '.join(cases)} ELSE {_INT} END)"
    return Sql(text, (*expr.params, *params, spans[-1][1]))


def format_local(seconds: int | None) -> str | None:
    """Wall-clock seconds as `YYYY-MM-DD HH:MM:SS`."""
    if seconds is None:
        return None
    return dt.datetime.fromtimestamp(seconds, UTC).strftime(DATE_FORMAT)
