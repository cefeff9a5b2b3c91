"""The call history's ledgers as record kinds: transactions, the audit log, queue (ACD)
sessions and their events, and the history reports (export jobs). Each is its tenant's."""

from __future__ import annotations

from gateway.storage.attributes import Attribute, Kind, Related, plain
from gateway.storage.sources import Source


def _columns(*names: str, text: tuple[str, ...] = ()) -> dict[str, Attribute]:
    return {n: plain(n, text=n in text) for n in names}


TRANSACTIONS = Kind(Source("transactions"), {
    **_columns("id", "tenant_id", "user_id", "performed_at", "amount", "is_uncommitted"),
    **_columns("currency", "transaction_type", "description",
               text=("currency", "transaction_type", "description")),
}, tenant="tenant_id")

AUDIT = Kind(Source("audit_log"), {
    **_columns("id", "tenant_id", "requested"),
    **_columns("key_id", "ip", "method", "args", "result",
               text=("key_id", "ip", "method", "args", "result")),
}, tenant="tenant_id")

ACD_SESSIONS = Kind(Source("acd_sessions"), {
    **_columns("id", "tenant_id", "begin_time", "priority", "acd_queue_id", "user_id",
               "waiting_duration", "in_service_duration", "after_service_duration",
               "operator_hangup", "unserviced", "rejected"),
    **_columns("acd_request_id", text=("acd_request_id",)),
}, tenant="tenant_id", related={
    # the custom data its events carry (the session's own, as the queue reported it)
    "event_custom_data": Related(
        "acd_session_events ce WHERE ce.acd_session_id = acd_sessions.id", "ce.custom_data"),
})

ACD_EVENTS = Kind(Source("acd_session_events e JOIN acd_sessions a ON a.id = e.acd_session_id"), {
    "id": plain("e.id"), "acd_session_id": plain("e.acd_session_id"), "time": plain("e.time"),
    "type": plain("e.type", text=True), "user_id": plain("e.user_id"),
    "custom_data": plain("e.custom_data", text=True),
}, tenant="a.tenant_id")

HISTORY_REPORTS = Kind(Source("history_reports"), {
    **_columns("id", "tenant_id", "created", "completed", "file_size", "download_size",
               "download_count", "last_downloaded", "store_until", "application_id"),
    **_columns("history_type", "file_name", "params", "calculated_data", "status", "error",
               text=("history_type", "file_name", "params", "calculated_data", "status",
                     "error")),
    # the name of the application the job's request named by id
    "application_name": plain("(SELECT ap.name FROM applications ap "
                              "WHERE ap.id = history_reports.application_id)", text=True),
}, tenant="tenant_id")
