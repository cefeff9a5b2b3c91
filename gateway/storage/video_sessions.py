"""Ended video sessions as the video reports read them, with their participants (CDR) and
recordings, as record kinds of named attributes.

A session connected at its start (its setup when it never started) and disconnected at
its end; its owner is its first participant's user, an owner field of the session's own
tenant (docs/tenancy.md); its duration is the sum of its participants' connected minutes,
each rounded up.
"""

from __future__ import annotations

from gateway.storage.attributes import Kind, Related, plain
from gateway.storage.sessions import SESSION, key_of, of_session
from gateway.storage.sources import Filter, Join, Source
from gateway.storage.sql import Sql

OWNER = "s.tenant_id"
_OWNER_ID = f"(SELECT o.user_id FROM legs o WHERE {of_session('o')} ORDER BY o.position, o.id " \
            "LIMIT 1)"
_MINUTES = "(p.end_time - p.start_time + 59) / 60"  # connected minutes, rounded up

SESSIONS = Kind(
    Source("sessions s", (Join("u", Sql(f"LEFT JOIN users u ON u.id = {_OWNER_ID}")),)),
    {
        "id": plain("s.id"),
        "session_id": plain("s.source_id", text=True),
        "meeting_id": plain("s.meeting_id", text=True),
        "room_id": plain("s.room_id", text=True),
        "connect_dt": plain("COALESCE(s.start_time, s.setup_time)"),
        "disconnect_dt": plain("s.end_time"),
        "app_type": plain("s.app_type", text=True),
        "user_id": plain(_OWNER_ID, tenant=OWNER),
        "user_name": plain("u.name", "u", text=True, tenant=OWNER),
        "duration": plain(f"(SELECT COALESCE(SUM({_MINUTES}), 0) FROM legs p WHERE "
                          f"{of_session('p')} AND p.start_time IS NOT NULL AND "
                          "p.end_time IS NOT NULL)"),
    },
    tenant=OWNER, session=SESSION,
    related={"participant_user_id": Related(f"legs p WHERE {of_session('p')}", "p.user_id")},
    always=(Filter(Sql("s.kind = 'video' AND s.end_time IS NOT NULL")),), key="id")

PARTICIPANTS = Kind(Source("legs l"), {
    "id": plain("l.id"), "session_id": plain("l.session_id"), "position": plain("l.position"),
    "call_num": plain("l.call_num", text=True), "call_log_id": plain("l.call_log_id", text=True),
    "start_time": plain("l.start_time"), "end_time": plain("l.end_time"),
    "user_ref": plain("l.user_ref", text=True), "name": plain("l.name", text=True),
    "participant_role": plain("l.participant_role", text=True), "ip": plain("l.ip", text=True),
    "agent": plain("l.agent", text=True),
}, tenant="l.tenant_id", session=key_of("l"))

RECORDINGS = Kind(Source("records r"), {
    "id": plain("r.id"), "session_id": plain("r.session_id"), "url": plain("r.url", text=True),
    "duration": plain("r.duration"), "start_time": plain("r.start_time"),
    "file_size": plain("r.file_size"),
}, tenant="r.tenant_id", session=key_of("r", "tenant_id"))
