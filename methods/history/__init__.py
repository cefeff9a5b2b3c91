"""The call-history family (methods.md section 3): call history, transactions, queue
history and the audit log, on `/rpc` and on `/platform_api/{MethodName}`."""

from __future__ import annotations

from gateway.context import RpcMethod
from methods.history import calls

METHODS: dict[str, RpcMethod] = {
    **calls.METHODS,
}
