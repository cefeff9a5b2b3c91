"""A generated record's values read from their text as ingest's schema loads them, for
the bulk loader, which skips the schema (the generators make valid records)."""

from __future__ import annotations

import calendar
import datetime as dt
import re

from gateway.core import clock, money

_RFC3339_UTC = re.compile(r"([0-9]{4})-([0-9]{2})-([0-9]{2})T([0-9]{2}):([0-9]{2}):([0-9]{2})Z")
_DAYS: dict[str, int] = {}
_SECONDS: dict[str, int] = {}  # recent timestamps: a call's legs repeat its times
_SECONDS_KEPT = 100_000


def _parse(text: str) -> int:
    match = _RFC3339_UTC.fullmatch(text)
    if match is not None:
        day = _DAYS.get(text[:10])
        if day is None:
            try:
                dt.date(int(match[1]), int(match[2]), int(match[3]))
            except ValueError:
                return clock.parse_rfc3339(text)  # its error
            day = _DAYS[text[:10]] = calendar.timegm(
                (int(match[1]), int(match[2]), int(match[3]), 0, 0, 0))
        hour, minute, second = int(match[4]), int(match[5]), int(match[6])
        if hour < 24 and minute < 60 and second < 60:
            return day + hour * 3600 + minute * 60 + second
    return clock.parse_rfc3339(text)


def seconds(text: str | None) -> int | None:
    """An RFC 3339 timestamp as Unix seconds, as ingest loads it (the generators' own
    form, `YYYY-MM-DDTHH:MM:SSZ`, without the general parser)."""
    if text is None:
        return None
    found = _SECONDS.get(text)
    if found is None:
        found = _parse(text)
        if len(_SECONDS) >= _SECONDS_KEPT:
            _SECONDS.clear()
        _SECONDS[text] = found
    return found


def micros(text: str | None) -> int | None:
    return None if text is None else money.to_micros(text)


def currency(code: str | None) -> str | None:
    return None if code is None else money.check_currency(code.upper())
