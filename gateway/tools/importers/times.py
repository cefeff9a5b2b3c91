"""Switch times (`YYYY-MM-DD HH:MM:SS` in the file's zone) as UTC (docs/money-and-time.md):
an ambiguous local time takes the earlier occurrence, a nonexistent one is refused."""

from __future__ import annotations

import datetime as dt
import re
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from gateway.core.clock import RFC3339_FORMAT, UTC
from gateway.tools.importers.lines import LineRejected

# What both switches write: `YYYY-MM-DD HH:MM:SS`, local time, no offset.
LOCAL = re.compile(r"\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}", re.ASCII)


class UnknownZone(ValueError):
    """`--timezone` names no IANA zone."""


def zone_named(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise UnknownZone(f"unknown time zone {name!r} (an IANA name such as "
                          "Europe/Vilnius)") from None


def to_utc(text: str, zone: ZoneInfo, column: str) -> dt.datetime:
    """A local wall-clock time in `zone` as an aware UTC datetime."""
    try:
        if not LOCAL.fullmatch(text):
            raise ValueError(text)
        naive = dt.datetime.fromisoformat(text)  # the pattern leaves it no other reading
    except ValueError:
        raise LineRejected(f"{column}: not a time as YYYY-MM-DD HH:MM:SS: {text!r}") from None
    local = naive.replace(tzinfo=zone, fold=0)  # fold=0: the earlier of a repeated hour
    moment = local.astimezone(UTC)
    if moment.astimezone(zone).replace(tzinfo=None) != naive:
        raise LineRejected(f"{column}: {text} does not exist in {zone.key} "
                           "(the clocks skip it)")
    return moment


def rfc3339(moment: dt.datetime) -> str:
    return moment.astimezone(UTC).strftime(RFC3339_FORMAT)
