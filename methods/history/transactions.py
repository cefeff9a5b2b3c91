"""`GetTransactionHistory` (docs/methods/call-history.md): the money ledger of the caller's tenant,
or of the descendants `child_account_id` names, with dates in and out in `timezone`.

Vendor seed 002: `is_uncommitted` defaults to false, so held transactions show only when
asked for; `users_transactions_only` keeps the transactions that name a user.
"""

from __future__ import annotations

from typing import Any
from zoneinfo import ZoneInfo

from marshmallow import Schema, fields, validates_schema

from gateway.core import roles
from gateway.core.errors import InvalidParams
from gateway.query.listing import Condition, Viewer, where
from gateway.storage import Row
from gateway.storage import history_ledgers as ledgers
from gateway.storage import references
from methods import paging
from methods.answers import without_nulls
from methods.context import Context, Params, RpcMethod
from methods.exports import ExportKind
from methods.history import reports
from methods.history.common import (ChildAccounts, amount, async_params, bounded_range, date_field,
                                    decimal_separator_field, flag, id_list, listing_schema,
                                    output_field, show_time, text_list, timezone_field, viewer,
                                    zone_of)
from methods.ingest.ledgers import TRANSACTION_TYPES
from methods.validators import Integer

METHOD = "GetTransactionHistory"
ASYNC_METHOD = "GetTransactionHistoryAsync"
HISTORY_TYPE = "transactions"
# TransactionInfoType's fields in the vendor's order (docs/methods/call-history.md): the CSV
# columns.
COLUMNS = ("transaction_id", "account_id", "performed_at", "amount", "currency",
           "transaction_type", "transaction_description")
FIELDS = ("id", "tenant_id", "performed_at", "amount", "currency", "transaction_type",
          "description")
ITEM = {"type": "object", "required": list(COLUMNS[:-1]), "properties": {
    "transaction_id": {"type": "integer"},
    "account_id": {"type": "string", "description": "the tenant's id, as text"},
    "performed_at": {"type": "string"}, "amount": {"type": "number"},
    "currency": {"type": "string"}, "transaction_type": {"type": "string"},
    "transaction_description": {"type": "string"}}}
RESULT = listing_schema(ITEM, timezone={"type": "string"})


class TransactionHistoryParams(Schema):
    """In the seed's order, `with_total_count` and `with_header` beside their neighbours."""

    from_date = date_field("from this time on, inclusive, in `timezone`")
    to_date = date_field("up to this time, inclusive, in `timezone`")
    timezone = timezone_field()
    transaction_id = id_list()
    transaction_type = text_list(TRANSACTION_TYPES)
    user_id = id_list()
    child_account_id = ChildAccounts(load_default=None)
    children_transactions_only = flag(False)
    users_transactions_only = flag(False)
    desc_order = flag(False)
    with_total_count = flag(True)
    count = paging.count_field()
    offset = paging.offset_field()
    output = output_field()
    with_header = flag(True)
    is_uncommitted = flag(False)
    is_async = flag(False)
    # The current clients' params. A transaction here names no application, subscription,
    # resource type, price group or payment reference, so a filter on one matches none.
    application_id = Integer(load_default=None)
    application_name = fields.String(load_default=None)
    subscription_id = id_list()
    subscription_name = text_list()
    resource_type = text_list()
    price_group_name = text_list()
    payment_reference = fields.String(load_default=None)
    use_accounting_dates = flag(False)  # a transaction's accounting date is its performed_at
    with_extended_info = flag(False)  # there are no extended fields to add
    decimal_separator = decimal_separator_field()

    @validates_schema
    def _is_async(self, data: Params, **kwargs: Any) -> None:
        reports.check_async(data)


# params no stored transaction has a value for
UNRECORDED = ("application_id", "application_name", "subscription_id", "subscription_name",
              "resource_type", "price_group_name", "payment_reference")


def _filters(params: Params) -> list[Condition]:
    found = [where("is_uncommitted", "eq", int(params["is_uncommitted"]))]
    for param, name in (("transaction_id", "id"), ("transaction_type", "transaction_type"),
                        ("user_id", "user_id")):
        if params[param] is not None:
            found.append(where(name, "in", *params[param]))
    if params["users_transactions_only"]:
        found.append(where("user_id", "null", False))
    if any(params.get(name) is not None for name in UNRECORDED):
        found.append(where("id", "in"))  # matches none
    return found


def _info(row: Row, zone: ZoneInfo) -> dict[str, Any]:
    return without_nulls({
        "transaction_id": row["id"], "account_id": str(row["tenant_id"]),
        "performed_at": show_time(row["performed_at"], zone),
        "amount": amount(row["amount"], row["currency"]), "currency": row["currency"],
        "transaction_type": row["transaction_type"],
        "transaction_description": row["description"]})


async def _matching(context: Context, params: Params
                    ) -> tuple[ZoneInfo, Viewer, list[Condition]]:
    """Raises InvalidParams for a bad range or a `child_account_id` outside the subtree."""
    zone = await zone_of(context, params["timezone"])
    low, high = bounded_range(params, zone, context.config.limits.date_range_days)
    whose = await viewer(context, params["child_account_id"],
                         params["children_transactions_only"])
    application = params.get("application_id")
    if application is not None and not await references.in_scope(
            context.db, "applications", application, context.caller.scope):
        raise InvalidParams.missing_object("application_id", "applications", application)
    return zone, whose, [where("performed_at", "between", low, high), *_filters(params)]


LEDGER = reports.Ledger(HISTORY_TYPE, ledgers.TRANSACTIONS, FIELDS, "performed_at", COLUMNS,
                        _matching, _info, "transaction")


ASYNC_PARAMS = async_params(TransactionHistoryParams)
METHODS = {
    METHOD: RpcMethod(
        LEDGER.page, TransactionHistoryParams(), roles.READERS,
        "Transactions performed in a date range (Voximplant's GetTransactionHistory): the "
        "caller's tenant, or the descendants `child_account_id` names.",
        result=RESULT),
    ASYNC_METHOD: reports.async_method(ASYNC_METHOD, METHOD, LEDGER.submit, ASYNC_PARAMS),
}
# Loads the params saved by either method.
EXPORTS = {HISTORY_TYPE: ExportKind(ASYNC_PARAMS, LEDGER.export)}
