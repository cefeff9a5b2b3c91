"""`ingest.transactions`, `ingest.acd_sessions`, `ingest.code_decks` and
`ingest.currency_rates`: the same rules as sessions (batches, per-record errors,
idempotent by id), each entry owned by a tenant of the caller's subtree."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from marshmallow import Schema, ValidationError, fields, validate, validates, validates_schema

from gateway.storage import code_decks
from gateway.storage import ledgers as store
from gateway.storage.queue_rows import event_rows, queue_session_values
from methods.context import Context
from methods.ingest.batch import Batch, Store, Writer, content_hash, not_found, run
from methods.ingest.record_fields import INT32, Currency, Money, Timestamp, identifier, text, whole
from methods.validators import Integer

# GetTransactionHistory's documented types (seed 002), and gift_revoke from the vendor's
# current type documentation.
TRANSACTION_TYPES = (
    "resource_charge", "money_distribution", "subscription_charge",
    "subscription_installation_charge", "card_periodic_payment", "card_overrun_payment",
    "card_payment", "rub_card_periodic_payment", "rub_card_overrun_payment", "rub_card_payment",
    "robokassa_payment", "gift", "promo", "adjustment", "wire_transfer", "us_wire_transfer",
    "refund", "discount", "mgp_charge", "mgp_startup", "mgp_business", "mgp_big_business",
    "mgp_enterprise", "mgp_large_enterprise", "techsupport_charge", "tax_charge",
    "monthly_fee_charge", "grace_credit_payment", "grace_credit_provision", "mau_charge",
    "mau_overrun", "im_charge", "im_overrun", "fmc_charge", "sip_registration_charge",
    "development_fee", "money_transfer_to_child", "money_transfer_to_parent",
    "money_acceptance_from_child", "money_acceptance_from_parent", "phone_number_installation",
    "phone_number_charge", "toll_free_phone_number_installation",
    "toll_free_phone_number_charge", "services", "user_money_transfer", "paypal_payment",
    "paypal_overrun_payment", "paypal_periodic_payment", "gift_revoke")
MAX_CODES = 500_000  # prefixes of one deck: the largest public decks hold about 100,000


class Transaction(Schema):
    transaction_id = identifier()
    tenant = text(64)
    user_id = identifier(required=False)
    performed_at = Timestamp(required=True)
    amount = Money(required=True)
    currency = Currency(required=True)
    transaction_type = fields.String(required=True, validate=validate.OneOf(TRANSACTION_TYPES))
    transaction_description = text(1024)
    is_uncommitted = fields.Boolean(load_default=False)


class AcdEvent(Schema):
    acd_session_event_id = identifier()
    time = Timestamp(required=True)
    type = fields.String(required=True, validate=validate.Length(min=1, max=64))
    user_id = identifier(required=False)
    custom_data = text(65536)


class AcdSession(Schema):
    acd_session_history_id = identifier()
    tenant = text(64)
    acd_request_id = fields.String(required=True, validate=validate.Length(min=1, max=128))
    acd_queue_id = identifier(required=False)
    user_id = identifier(required=False)
    begin_time = Timestamp(required=True)
    priority = Integer(load_default=0, minimum=-INT32, maximum=INT32)
    waiting_duration = whole()
    in_service_duration = whole()
    after_service_duration = whole()
    operator_hangup = fields.Boolean(load_default=None, allow_none=True)
    unserviced = fields.Boolean(load_default=None, allow_none=True)
    rejected = fields.Boolean(load_default=None, allow_none=True)
    events = fields.List(fields.Nested(AcdEvent), load_default=list)


class Code(Schema):
    prefix = fields.String(required=True, validate=validate.Regexp(
        r"^[0-9]{1,16}$", error="1 to 16 digits"))
    name = fields.String(required=True, validate=validate.Length(min=1, max=256))
    country = text(64)


class CodeDeck(Schema):
    code_deck_id = identifier()
    tenant = text(64)
    name = fields.String(required=True, validate=validate.Length(min=1, max=256))
    codes = fields.List(fields.Nested(Code), required=True,
                        validate=validate.Length(max=MAX_CODES))

    @validates("codes")
    def _unique(self, codes: list[dict[str, Any]], **kwargs: Any) -> None:
        prefixes = [c["prefix"] for c in codes if isinstance(c, dict) and "prefix" in c]
        if len(set(prefixes)) != len(prefixes):
            raise ValidationError("a prefix appears twice")


class CurrencyRate(Schema):
    currency = Currency(required=True)
    rate_to_usd = fields.Decimal(required=True, as_string=True,
                                 validate=validate.Range(min=Decimal(0), min_inclusive=False))
    valid_from = fields.Date(required=True, metadata={"description": "a UTC day, YYYY-MM-DD"})

    @validates_schema
    def _finite(self, data: dict[str, Any], **kwargs: Any) -> None:
        if "rate_to_usd" in data and not Decimal(data["rate_to_usd"]).is_finite():
            raise ValidationError("not a finite number", "rate_to_usd")


async def _owned_entry(batch: Batch, table: str, object_id: int, tenant_id: int,
                       digest: str, path: str) -> bool:
    """Whether the entry must be written: refused when owned outside the caller's scope,
    skipped when unchanged."""
    row = await store.stored(batch.conn, table, object_id)
    if row is None:
        return True
    if not await batch.in_scope(int(row["tenant_id"])):
        raise not_found(path, table, object_id)
    return bool(row["content_hash"] != digest or int(row["tenant_id"]) != tenant_id)


def _transactions(batch: Batch) -> Store:
    async def store_one(raw: dict[str, Any], t: dict[str, Any]) -> bool:
        tenant_id = await batch.tenant(t["tenant"], "tenant")
        digest = content_hash(raw)
        if not await _owned_entry(batch, "transactions", t["transaction_id"], tenant_id,
                                  digest, "transaction_id"):
            return False
        await store.upsert(batch.conn, "transactions", t["transaction_id"], {
            "tenant_id": tenant_id, "user_id": t["user_id"], "performed_at": t["performed_at"],
            "amount": t["amount"], "currency": t["currency"],
            "transaction_type": t["transaction_type"],
            "description": t["transaction_description"],
            "is_uncommitted": int(t["is_uncommitted"]), "content_hash": digest})
        return True
    return store_one


def _acd_sessions(batch: Batch) -> Store:
    async def store_one(raw: dict[str, Any], a: dict[str, Any]) -> bool:
        tenant_id = await batch.tenant(a["tenant"], "tenant")
        digest = content_hash(raw)
        session_id = a["acd_session_history_id"]
        if not await _owned_entry(batch, "acd_sessions", session_id, tenant_id, digest,
                                  "acd_session_history_id"):
            return False
        taken = await store.event_owners(batch.conn,
                                         [e["acd_session_event_id"] for e in a["events"]])
        for i, event in enumerate(a["events"]):
            if taken.get(event["acd_session_event_id"], session_id) != session_id:
                raise not_found(f"events.{i}.acd_session_event_id", "acd_session_events",
                                event["acd_session_event_id"])
        await store.upsert(batch.conn, "acd_sessions", session_id,
                           queue_session_values(a, tenant_id, digest))
        await store.replace_events(batch.conn, session_id, event_rows(a))
        return True
    return store_one


def _code_decks(batch: Batch) -> Store:
    async def store_one(raw: dict[str, Any], deck: dict[str, Any]) -> bool:
        tenant_id = await batch.tenant(deck["tenant"], "tenant")
        digest = content_hash(raw)
        row = await code_decks.get(batch.conn, deck["code_deck_id"])
        if row is not None:
            if not await batch.in_scope(int(row["tenant_id"])):
                raise not_found("code_deck_id", "code_decks", deck["code_deck_id"])
            if row["content_hash"] == digest:
                return False
        await code_decks.replace(batch.conn, deck, tenant_id, digest,
                                 [(c["prefix"], c["name"], c["country"]) for c in deck["codes"]])
        return True
    return store_one


def _currency_rates(batch: Batch) -> Store:
    async def store_one(raw: dict[str, Any], r: dict[str, Any]) -> bool:
        day = r["valid_from"].isoformat() if isinstance(r["valid_from"], dt.date) \
            else str(r["valid_from"])
        rate = str(Decimal(r["rate_to_usd"]).normalize())
        row = await store.rate(batch.conn, r["currency"], day)
        if row is not None and Decimal(row["rate_to_usd"]) == Decimal(rate):
            return False
        await store.upsert_rate(batch.conn, r["currency"], day, rate)
        return True
    return store_one


async def ingest_transactions(context: Context, records: list[Any]) -> dict[str, Any]:
    return await run(context, "ingest.transactions", records, Transaction(),
                     lambda b: Writer(_transactions(b)))


async def ingest_acd_sessions(context: Context, records: list[Any]) -> dict[str, Any]:
    return await run(context, "ingest.acd_sessions", records, AcdSession(),
                     lambda b: Writer(_acd_sessions(b)))


async def ingest_code_decks(context: Context, records: list[Any]) -> dict[str, Any]:
    return await run(context, "ingest.code_decks", records, CodeDeck(),
                     lambda b: Writer(_code_decks(b)))


async def ingest_currency_rates(context: Context, records: list[Any]) -> dict[str, Any]:
    return await run(context, "ingest.currency_rates", records, CurrencyRate(),
                     lambda b: Writer(_currency_rates(b)))


__all__ = ["ingest_transactions", "ingest_acd_sessions", "ingest_code_decks",
           "ingest_currency_rates"]
