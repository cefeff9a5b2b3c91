"""When demo traffic happens: the anchor moment, the 30-day window before it, a day's
traffic curve in each customer's own time zone, and exact integer shares of a total.
"""

from __future__ import annotations

import datetime as dt
import time
import zoneinfo
from typing import Iterator, Sequence

from gateway.core.clock import HOUR, RFC3339_FORMAT, UTC

WINDOW_DAYS = 30
# The data ends at the start of the current UTC minute: two runs started within the same
# minute produce the same records (later runs on the same store reuse the first run's
# anchor: gateway.tools.demo.command).
ANCHOR_PERIOD_S = 60

# Calls per local hour of a working day, relative to the busiest hour: quiet nights, a
# morning peak, a lunch dip and an afternoon peak.
WORKDAY = (3, 2, 1, 1, 1, 2, 6, 18, 50, 85, 100, 95, 70, 80, 95, 90, 80, 55, 30, 18, 12, 9,
           6, 4)


def anchor_at(moment: dt.datetime) -> int:
    """The anchor (Unix seconds) of a moment: the start of its UTC period."""
    seconds = int(moment.timestamp())
    return seconds - seconds % ANCHOR_PERIOD_S


def stamp(seconds: int) -> str:
    """Unix seconds as the RFC 3339 text of ingest records."""
    return time.strftime(RFC3339_FORMAT, time.gmtime(seconds))


def day_of(seconds: int) -> str:
    """The UTC day of a moment, `YYYY-MM-DD`."""
    return time.strftime("%Y-%m-%d", time.gmtime(seconds))


def hourly_weights(start: int, hours: int,
                   parties: Sequence[tuple[str, int, int]]) -> list[tuple[int, ...]]:
    """For each hour from `start`, each party's weight: its share times the curve at its
    local hour, lowered at its local weekend. Parties are (time zone, share, weekend %)."""
    zones = [zoneinfo.ZoneInfo(zone) for zone, _, _ in parties]
    out = []
    for hour in range(hours):
        middle = dt.datetime.fromtimestamp(start + hour * HOUR + HOUR // 2, UTC)
        row = []
        for zone, (_, share, weekend) in zip(zones, parties):
            local = middle.astimezone(zone)
            day = weekend if local.weekday() >= 5 else 100
            row.append(share * WORKDAY[local.hour] * day)
        out.append(tuple(row))
    return out


def spread(total: int, weights: Sequence[int]) -> Iterator[int]:
    """`total` split in proportion to `weights`, in whole numbers that add up exactly."""
    whole = sum(weights)
    if whole == 0:
        raise ValueError("nothing to spread over")
    done = given = 0
    for weight in weights:
        done += weight
        share = total * done // whole
        yield share - given
        given = share
