"""How the row builders read a record's typed values (`session_rows`, `ledgers.queue_rows`).

Ingest hands them records its schema has loaded: timestamps already Unix seconds, money
already integer millionths, currencies checked (`LOADED`). The demo's bulk loader hands
them its generated records as they are, and reads those values from their text as the
schema would load them (it skips validation: the generators make valid records).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable


@dataclass(frozen=True)
class Loading:
    time: Callable[[Any], int | None]  # an RFC 3339 timestamp as Unix seconds
    money: Callable[[Any], int | None]  # an exact decimal as integer millionths
    currency: Callable[[Any], str | None]  # an ISO 4217 code, upper case


def _as_loaded(value: Any) -> Any:
    return value


LOADED = Loading(time=_as_loaded, money=_as_loaded, currency=_as_loaded)
