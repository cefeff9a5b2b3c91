"""UTC time as the store keeps it: ISO 8601 text with a `Z`, which sorts as it compares."""

from __future__ import annotations

import datetime as dt

UTC = dt.timezone.utc


def now() -> dt.datetime:
    return dt.datetime.now(UTC)


def to_text(moment: dt.datetime) -> str:
    """A stored timestamp: UTC, microseconds, `Z` (naive values are taken as UTC)."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def from_text(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text.replace("Z", "+00:00"))


def to_rfc3339(text: str | None) -> str | None:
    """A stored timestamp as clients see it: RFC 3339 to the second, UTC."""
    if text is None:
        return None
    return from_text(text).strftime("%Y-%m-%dT%H:%M:%SZ")
