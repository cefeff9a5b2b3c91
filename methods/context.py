"""What a method handler is given, and what the gateway knows of each method."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Awaitable, Callable, Mapping

from marshmallow import Schema

from gateway.core.apikeys import Caller
from gateway.core.config import Config
from gateway.core.credentials import Issued, KeyOrder
from gateway.core.errors import GatewayError
from gateway.storage import Backend

Params = dict[str, Any]


@dataclass(frozen=True)
class Context:
    """Per-call dependencies, handed to every handler as its first argument."""

    db: Backend
    caller: Caller
    config: Config
    request_id: str
    server_key: str
    methods: Mapping[str, "RpcMethod"]
    # Tells the authenticator of this process that a key changed (e.g. was revoked).
    forget_key: Callable[[str], None] = lambda key_id: None
    # What the registered key-issuing hooks make of a new key (`credentials.Registry.issue`):
    # the fields they add to its answer (the secrets of the dialects' credential schemes, a
    # service account's file) and the attributes they keep with it (its public key).
    issue_key: Callable[[KeyOrder], Issued] = lambda order: Issued({}, {})
    # Hands a queued export job to the background runner (`methods.exports`).
    submit_export: Callable[[int], None] = lambda report_id: None
    # The absolute URL of `/rpc` as this request's client reaches it (the OpenRPC document's
    # `servers` entry): the HTTP layer works it out (`gateway/web/urls.py`) when asked.
    rpc_url: Callable[[], str] = lambda: "http://127.0.0.1:8080/rpc"


Handler = Callable[[Context, Params], Awaitable[Any]]


@dataclass(frozen=True)
class RpcMethod:
    """A method: its handler, its params schema (field order = positional order), the
    roles that may call it, and what the OpenRPC document says of it."""

    handler: Handler
    params: Schema
    roles: frozenset[str]
    summary: str
    result: Mapping[str, Any] = field(default_factory=dict)  # JSON Schema of the result
    errors: tuple[type[GatewayError], ...] = ()
    # Whether the call timeout bounds it: false only for what never waits on the database.
    timed: bool = True


Methods = Mapping[str, RpcMethod]
