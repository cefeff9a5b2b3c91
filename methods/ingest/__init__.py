"""`ingest.*`: how data gets in (spec ingest.md). Each call takes a batch of records;
each record is validated on its own and the valid ones are stored in one transaction."""

from __future__ import annotations

from typing import Any, Awaitable, Callable

from marshmallow import Schema, fields, validate

from gateway.core import roles
from methods.context import Context, Params, RpcMethod
from methods.ingest import ledgers, sessions

MAX_RECORDS = 1000  # records per call: a batch is one transaction, kept short

RESULT = {"type": "object", "properties": {
    "accepted": {"type": "integer"}, "unchanged": {"type": "integer"},
    "rejected": {"type": "array", "items": {"type": "object", "properties": {
        "index": {"type": "integer"},
        "errors": {"type": "object", "description": "a message per field path",
                   "additionalProperties": {"type": "string"}}}}}}}


class Batch(Schema):
    # Each record is checked on its own (a bad one is rejected, not the call): the
    # document types them as objects, their fields are in docs/ingest.md.
    records = fields.List(fields.Raw(allow_none=True, metadata={"json_schema": {
                              "type": "object", "description": "a record (docs/ingest.md)"}}),
                          required=True,
                          validate=validate.Length(max=MAX_RECORDS, error=(
                              f"at most {MAX_RECORDS} records per call (the batch limit)")))


Ingest = Callable[[Context, list[Any]], Awaitable[dict[str, Any]]]


def _method(ingest: Ingest, summary: str) -> RpcMethod:
    async def handler(context: Context, params: Params) -> dict[str, Any]:
        return await ingest(context, params["records"])
    return RpcMethod(handler, Batch(), roles.INGESTERS, summary, result=RESULT)


METHODS = {
    "ingest.sessions": _method(sessions.ingest, "Upsert call and video sessions."),
    "ingest.transactions": _method(ledgers.ingest_transactions, "Upsert transactions."),
    "ingest.acd_sessions": _method(ledgers.ingest_acd_sessions,
                                   "Upsert queue sessions with their events."),
    "ingest.code_decks": _method(ledgers.ingest_code_decks,
                                 "Create or replace code decks (prefix to code name)."),
    "ingest.currency_rates": _method(ledgers.ingest_currency_rates,
                                     "Upsert exchange rates to USD."),
}
