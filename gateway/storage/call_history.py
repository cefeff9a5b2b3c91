"""Ended call and video sessions as the call history reads them: the sessions, their
legs (calls), recordings and other charges, as record kinds of named attributes.

A session's owner fields are its own tenant's; a leg's commercial values are its
tenant's; a recording's cost is its tenant's; an other charge's cost is the tenant of
the leg it names, else its own (docs/tenancy.md, masking).
"""

from __future__ import annotations

from gateway.storage.attributes import Kind, Related, plain
from gateway.storage.sessions import SESSION, key_of, of_session, session_of
from gateway.storage.sources import Filter, Join, Source
from gateway.storage.sql import Sql

OWNER = "s.tenant_id"
_INCOMING = "COALESCE(l.incoming, CASE WHEN l.role = 'term' THEN 0 ELSE 1 END)"
_REMOTE = f"CASE WHEN {_INCOMING} = 1 THEN l.src ELSE l.dst END"
_LOCAL = f"CASE WHEN {_INCOMING} = 1 THEN l.dst ELSE l.src END"
_LEGS = f"legs l WHERE {of_session('l')}"
# the leg a resource usage `u` names (its session's, by the session's whole key)
_USED_BY = f"{key_of('u', 'tenant_id').rows('ul')} AND ul.leg_id = u.ref_leg_id"
# the first leg: a switched call's originating leg, a video session's first participant
_FIRST = f"{of_session('f')} AND f.position = (SELECT MIN(m.position) FROM legs m " \
         f"WHERE {of_session('m')})"

SESSIONS = Kind(
    Source("sessions s", (
        Join("a", Sql("LEFT JOIN applications a ON a.id = s.application_id")),
        Join("f", Sql(f"LEFT JOIN legs f ON {_FIRST}")))),
    {
        "call_session_history_id": plain("s.id"),
        "start_date": plain("s.setup_time"),
        "duration": plain("s.end_time - s.setup_time"),
        "audio_quality": plain("s.audio_quality", text=True),
        "rule_name": plain("s.rule_name", text=True, tenant=OWNER),
        "application_id": plain("s.application_id", tenant=OWNER),
        "application_name": plain("a.name", "a", text=True, tenant=OWNER),
        "account_id": plain("s.tenant_id", tenant=OWNER),
        "user_id": plain(f"(SELECT l.user_id FROM {_LEGS} AND l.user_id IS NOT NULL "
                         "ORDER BY l.position LIMIT 1)", tenant=OWNER),
        "initiator_address": plain("s.initiator_address", text=True),
        "media_server_address": plain("s.media_server_address", text=True),
        "log_file_url": plain("s.log_file_url", text=True),
        "finish_reason": plain("s.finish_reason", text=True),
        "custom_data": plain("s.custom_data", text=True),
        # the first leg's numbers and charge (the brief history)
        "remote_number": plain(_REMOTE.replace("l.", "f."), "f", text=True),
        "local_number": plain(_LOCAL.replace("l.", "f."), "f", text=True),
        "first_amount": plain("f.amount", "f", tenant="f.tenant_id"),
        "first_currency": plain("f.currency", "f", text=True, tenant="f.tenant_id"),
    },
    tenant=OWNER, session=SESSION,
    related={
        "leg_user_id": Related(_LEGS, "l.user_id"),
        "leg_remote_number": Related(_LEGS, _REMOTE),
        "leg_local_number": Related(_LEGS, _LOCAL),
        "records_cost": Related(f"records r WHERE {of_session('r', None)}", "r.cost",
                                "r.tenant_id"),
        "resources_cost": Related(
            f"resource_usage u LEFT JOIN legs ul ON {_USED_BY} "
            f"WHERE {of_session('u', None)}", "u.cost",
            "COALESCE(ul.tenant_id, u.tenant_id)"),
    },
    always=(Filter(Sql("s.end_time IS NOT NULL AND s.kind IN ('call', 'video')")),),
    key="call_session_history_id")

LEG = "l.tenant_id"
CALLS = Kind(
    Source(f"legs l JOIN sessions s ON {session_of('l')}"),
    {
        "call_id": plain("l.id"),
        "session_id": plain("l.session_id"),
        "position": plain("l.position"),
        "start": plain("COALESCE(l.setup_time, s.setup_time)"),
        "billsec": plain("l.billsec"),
        "local_number": plain(_LOCAL, text=True),
        "remote_number": plain(_REMOTE, text=True),
        "incoming": plain(_INCOMING),
        "role": plain("l.role", text=True),
        "answered_at": plain("l.start_time"),
        "amount": plain("l.amount", tenant=LEG),
        "currency": plain("l.currency", text=True, tenant=LEG),
        "hangup_cause": plain("l.hangup_cause"),
        "disposition": plain("l.disposition", text=True),
        "media_server_address": plain("s.media_server_address", text=True),
        "custom_data": plain("s.custom_data", text=True),
    },
    tenant=LEG, session=key_of("l"))

RECORDS = Kind(
    Source("records r"),
    {
        "record_id": plain("r.id"),
        "session_id": plain("r.session_id"),
        "record_name": plain("r.name", text=True),
        "cost": plain("r.cost", tenant="r.tenant_id"),
        "start_time": plain("r.start_time"),
        "duration": plain("r.duration"),
        "record_url": plain("r.url", text=True),
        "file_size": plain("r.file_size"),
        "transcription_url": plain("r.transcription_url", text=True),
        "transcription_status": plain("r.transcription_status", text=True),
    },
    tenant="r.tenant_id", session=key_of("r", "tenant_id"))

_CHARGED = "COALESCE(ul.tenant_id, u.tenant_id)"
RESOURCES = Kind(
    Source("resource_usage u", (Join("ul", Sql(
        f"LEFT JOIN legs ul ON {_USED_BY}")),)),
    {
        "resource_usage_id": plain("u.id"),
        "session_id": plain("u.session_id"),
        "resource_type": plain("u.resource_type", text=True),
        "cost": plain("u.cost", "ul", tenant=_CHARGED),
        "description": plain("u.description", text=True),
        "used_at": plain("u.used_at"),
        "resource_quantity": plain("u.quantity", text=True),
        "unit": plain("u.unit", text=True),
        "ref_call_id": plain("ul.id", "ul"),
    },
    tenant="u.tenant_id", session=key_of("u", "tenant_id"))
