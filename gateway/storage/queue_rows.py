"""The rows a queue session record (`ingest.acd_sessions`) is stored as, built in one place
for ingest and for the demo's bulk loader."""

from __future__ import annotations

from typing import Any

from gateway.storage.loading import LOADED, Loading

# Fields stored as sent (the others are computed).
_COPIED = ("acd_request_id", "acd_queue_id", "user_id", "waiting_duration",
           "in_service_duration", "after_service_duration")


def _flag(value: bool | None) -> int | None:
    return None if value is None else int(value)


def queue_session_values(record: dict[str, Any], tenant_id: int, digest: str,
                         read: Loading = LOADED) -> dict[str, Any]:
    """The values of `ledgers.ACD_COLUMNS` (`digest`: the record's content hash)."""
    values = {c: record.get(c) for c in _COPIED}
    values.update(
        tenant_id=tenant_id, begin_time=read.time(record["begin_time"]),
        priority=record.get("priority", 0), operator_hangup=_flag(record.get("operator_hangup")),
        unserviced=_flag(record.get("unserviced")), rejected=_flag(record.get("rejected")),
        content_hash=digest)
    return values


def event_rows(record: dict[str, Any], read: Loading = LOADED) -> list[tuple[Any, ...]]:
    """The record's events: the id, then `ledgers.EVENT_COLUMNS` after the queue session's."""
    return [(e["acd_session_event_id"], read.time(e["time"]), e["type"], e.get("user_id"),
             e.get("custom_data")) for e in record.get("events", ())]
