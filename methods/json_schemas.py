"""JSON Schema fragments the method schemas share in the OpenRPC document: the time
formats, as patterns that refuse impossible months, days, hours, minutes and seconds (a
day the month lacks, such as 02-30, passes the pattern and is refused by the method)."""

from __future__ import annotations

from typing import Any

_DAY = r"\d{4}-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])"
_TIME = r"([01]\d|2[0-3]):[0-5]\d:[0-5]\d"
_OFFSET = r"([Zz]|[+-]([01]\d|2[0-3]):[0-5]\d)"

# `YYYY-MM-DD`
DAY: dict[str, Any] = {"type": "string", "pattern": f"^{_DAY}$"}
# `YYYY-MM-DD HH:MM:SS`, in a zone the request names (Voximplant's and EnableX's dates)
DATE_TIME: dict[str, Any] = {"type": "string", "pattern": f"^{_DAY} {_TIME}$"}
# RFC 3339 with seconds and an offset, as params take it (gateway/core/clock.py)
RFC3339: dict[str, Any] = {"type": "string", "format": "date-time",
                           "pattern": rf"^{_DAY}[Tt ]{_TIME}(\.\d+)?{_OFFSET}$"}
# RFC 3339 to the second in UTC, as answers give it
RFC3339_UTC: dict[str, Any] = {"type": "string", "format": "date-time",
                               "pattern": f"^{_DAY}T{_TIME}Z$"}
