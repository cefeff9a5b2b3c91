"""The session record of `ingest.sessions` (spec ingest.md, "The session record")."""

from __future__ import annotations

from typing import Any

from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from gateway.storage.session_rows import ORIG, PARTICIPANT, TERM
from methods.ingest import compiled
from methods.ingest.record_fields import (Currency, Money, Ref, Timestamp, identifier, ref, text,
                                          whole)
from methods.validators import Integer

DISPOSITIONS = ("ANSWERED", "NO ANSWER", "BUSY", "FAILED", "CONGESTION")
MAX_LEGS = 100  # attempts of one call or participants of one room


class ClientRef(Ref):
    tenant = text(64)


class AccountRef(Ref):
    ident = text(256)


class Leg(Schema):
    leg_id = fields.String(required=True, validate=validate.Length(min=1, max=128))
    role = fields.String(required=True, validate=validate.OneOf((ORIG, TERM, PARTICIPANT)))
    src = text(128)
    dst = text(128)
    incoming = fields.Boolean(load_default=None, allow_none=True)
    client = fields.Nested(ClientRef, load_default=None, allow_none=True)
    account = fields.Nested(AccountRef, load_default=None, allow_none=True)
    owner_user = ref()
    user = ref()
    rates_code = text(64)
    code_deck_id = identifier(required=False)
    setup_time = Timestamp(load_default=None, allow_none=True)
    start_time = Timestamp(load_default=None, allow_none=True)
    end_time = Timestamp(load_default=None, allow_none=True)
    billsec = whole()
    real_billsec = whole()
    disposition = fields.String(load_default=None, allow_none=True,
                                validate=validate.OneOf(DISPOSITIONS))
    hangup_cause = Integer(load_default=None, allow_none=True, minimum=0, maximum=127)
    pdd_ms = whole()
    amount = Money(load_default=None, allow_none=True)
    reseller_amount = Money(load_default=None, allow_none=True)
    currency = Currency(load_default=None, allow_none=True)
    name = text(256)
    participant_role = text(64)
    ip = text(64)
    agent = text(512)
    call_num = text(64)
    call_log_id = text(128)
    user_ref = text(256)

    @validates_schema
    def _money_has_currency(self, data: dict[str, Any], **kwargs: Any) -> None:
        if (data.get("amount") is not None or data.get("reseller_amount") is not None) \
                and data.get("currency") is None:
            raise ValidationError("an amount needs its currency", "currency")


class Recording(Schema):
    record_id = identifier()
    url = text(2048)
    name = text(256)
    start_time = Timestamp(load_default=None, allow_none=True)
    duration = whole()
    file_size = whole()
    cost = Money(load_default=None, allow_none=True)
    transcription_url = text(2048)
    transcription_status = fields.String(
        load_default=None, allow_none=True,
        validate=validate.OneOf(("Not required", "In progress", "Complete")))


class Resource(Schema):
    resource_usage_id = identifier()
    resource_type = fields.String(required=True, validate=validate.Length(min=1, max=64))
    quantity = fields.Decimal(load_default=None, allow_none=True, as_string=True)
    unit = text(32)
    cost = Money(load_default=None, allow_none=True)
    description = text(1024)
    used_at = Timestamp(load_default=None, allow_none=True)
    ref_leg_id = text(128)


class SessionRecord(Schema):
    session_id = fields.String(required=True, validate=validate.Length(min=1, max=128))
    kind = fields.String(load_default="call", validate=validate.OneOf(("call", "video")))
    tenant = text(64)
    seq = whole()
    setup_time = Timestamp(required=True)
    start_time = Timestamp(load_default=None, allow_none=True)
    end_time = Timestamp(load_default=None, allow_none=True)
    equipment = ref()
    application = ref()
    rule_name = text(256)
    custom_data = text(65536)
    room_id = text(128)
    meeting_id = text(128)
    app_type = fields.String(load_default=None, allow_none=True,
                             validate=validate.OneOf(("vc", "wb")))
    audio_quality = text(32)
    finish_reason = text(256)
    initiator_address = text(256)
    media_server_address = text(256)
    log_file_url = text(2048)
    legs = fields.List(fields.Nested(Leg), required=True,
                       validate=validate.Length(min=1, max=MAX_LEGS))
    records = fields.List(fields.Nested(Recording), load_default=list)
    resources = fields.List(fields.Nested(Resource), load_default=list)

    @validates_schema
    def _consistent(self, data: dict[str, Any], **kwargs: Any) -> None:
        legs = data.get("legs") or []
        ids = [leg["leg_id"] for leg in legs]
        if len(set(ids)) != len(ids):
            raise ValidationError("leg ids repeat within the session", "legs")
        roles = [leg["role"] for leg in legs]
        if data.get("kind") == "video":
            if any(r != PARTICIPANT for r in roles):
                raise ValidationError("a video session has participant legs only", "legs")
        elif roles.count(ORIG) != 1 or PARTICIPANT in roles:
            raise ValidationError("a call has exactly one orig leg and term legs", "legs")
        setup, start, end = data.get("setup_time"), data.get("start_time"), data.get("end_time")
        if setup is not None and start is not None and start < setup:
            raise ValidationError("the answer is before the setup", "start_time")
        if setup is not None and end is not None and end < setup:
            raise ValidationError("the end is before the setup", "end_time")


SESSION = SessionRecord()
LOAD_SESSION = compiled.register(SESSION)  # the fast loader of valid records
