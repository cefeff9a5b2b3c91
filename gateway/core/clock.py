"""Time: UTC, the day and hour in seconds, the formats clients read and write, and UTC
time as the store keeps it (ISO 8601 text with a `Z`, which sorts as it compares)."""

from __future__ import annotations

import datetime as dt
import re
from zoneinfo import ZoneInfo

UTC = dt.timezone.utc
UTC_ZONE = ZoneInfo("UTC")  # UTC where an IANA zone is expected
MINUTE, HOUR, DAY = 60, 3600, 86_400  # seconds
DATE_FORMAT = "%Y-%m-%d %H:%M:%S"  # Voximplant's and EnableX's dates, in a zone they name
RFC3339_FORMAT = "%Y-%m-%dT%H:%M:%SZ"  # RFC 3339 to the second, UTC


def now() -> dt.datetime:
    return dt.datetime.now(UTC)


def to_text(moment: dt.datetime) -> str:
    """A stored timestamp: UTC, microseconds, `Z` (naive values are taken as UTC)."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def from_text(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text.replace("Z", "+00:00"))


class TimeError(ValueError):
    """A timestamp that is not RFC 3339 with an offset."""


# RFC 3339 section 5.6: full-date "T" full-time, where full-time has seconds and an offset
# (the "T" may be a space, as the RFC's note allows).
RFC3339 = re.compile(r"\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})")


# The moments a store holds: from 1900 to the end of year 9998, so that every one renders in
# every zone (a year-1 time west of UTC, or one in 9999 east of it, cannot).
EARLIEST, END = -2208988800, 253370764800  # 1900-01-01T00:00:00Z, 9999-01-01T00:00:00Z


def parse_rfc3339(text: str) -> int:
    """An RFC 3339 timestamp (with `Z` or an offset) as Unix seconds, fractions dropped."""
    if not isinstance(text, str):
        raise TimeError("expected an RFC 3339 timestamp string")
    if not RFC3339.fullmatch(text.strip()):
        if re.fullmatch(r"\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}:\d{2}(\.\d+)?", text.strip()):
            raise TimeError(f"the timestamp has no offset (add Z for UTC): {text!r}")
        raise TimeError(f"not an RFC 3339 timestamp: {text!r}")
    try:
        moment = dt.datetime.fromisoformat(text.strip().replace("z", "Z").replace("Z", "+00:00"))
    except ValueError:
        raise TimeError(f"not an RFC 3339 timestamp: {text!r}") from None
    if moment.tzinfo is None:
        raise TimeError(f"the timestamp has no offset (add Z for UTC): {text!r}")
    seconds = int(moment.timestamp() // 1)
    if not EARLIEST <= seconds < END:
        raise TimeError(f"the timestamp is outside 1900-01-01T00:00:00Z to "
                        f"9998-12-31T23:59:59Z: {text!r}")
    return seconds


def to_rfc3339(text: str | None) -> str | None:
    """A stored timestamp as clients see it: RFC 3339 to the second, UTC."""
    if text is None:
        return None
    return from_text(text).strftime(RFC3339_FORMAT)
