"""The call-history family (docs/methods/call-history.md): call history, transactions, queue
history and the audit log, on `/rpc` and on `/platform_api/{MethodName}`."""

from __future__ import annotations

from methods.context import RpcMethod
from methods.exports import ExportKind
from methods.history import acd, audit, brief, calls, records, reports, transactions

METHODS: dict[str, RpcMethod] = {
    **calls.METHODS,
    **brief.METHODS,
    **reports.METHODS,
    **records.METHODS,
    **transactions.METHODS,
    **acd.METHODS,
    **audit.METHODS,
}
# history type -> its background export
EXPORTS: dict[str, ExportKind] = {
    **calls.EXPORTS,
    **brief.EXPORTS,
    **transactions.EXPORTS,
    **audit.EXPORTS,
}
