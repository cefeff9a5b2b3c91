"""`keys.create`, `keys.list` and `keys.revoke`, inside the caller's subtree."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from marshmallow import Schema, ValidationError, fields, validate, validates

from gateway.core import apikeys, clock, roles
from gateway.core.credentials import KeyOrder
from gateway.core.errors import NotFound
from gateway.storage import Row
from gateway.storage import keys as store
from methods import audited, json_schemas, paging
from methods.context import Context, Params, RpcMethod
from methods.tenants import tenant_in_scope
from methods.validators import Integer, cidr

UNLIMITED = "unlimited"

_MAYBE_WHEN = {"oneOf": [json_schemas.RFC3339_UTC, {"type": "null"}]}
KEY = {"type": "object", "properties": {
    "key_id": {"type": "string"}, "tenant": {"type": "string"},
    "role": {"type": "string", "enum": list(roles.ROLES)},
    "ip_allow": {"type": "array", "items": {"type": "string"}},
    "expires_at": _MAYBE_WHEN,
    "rate_limit": {"oneOf": [{"type": "integer"}, {"enum": [UNLIMITED, None]}]},
    "created_at": json_schemas.RFC3339_UTC, "revoked_at": _MAYBE_WHEN,
    "last_used_at": _MAYBE_WHEN}}
SERVICE_ACCOUNT = {"type": "object", "properties": {
    "account_id": {"type": "integer"}, "key_id": {"type": "string"},
    "private_key": {"type": "string"}, "account_email": {"type": "string"}}}


MAX_RATE = 1_000_000  # requests per second: far beyond what one key could need
RATE = Integer(minimum=1, maximum=MAX_RATE)


class RateLimitField(fields.Field):
    """A positive integer (requests per second) or "unlimited"."""

    def _deserialize(self, value: Any, attr: Any, data: Any, **kwargs: Any) -> int:
        if value == UNLIMITED:
            return apikeys.UNLIMITED
        if isinstance(value, int) and not isinstance(value, bool):
            return int(RATE.deserialize(value))  # out of range: the integers' message
        raise ValidationError('Must be an integer from 1 to 1000000, or "unlimited".')


class CreateParams(Schema):
    tenant = fields.String(load_default=None, metadata={
        "description": "the key's tenant; default the caller's"})
    role = fields.String(required=True, validate=validate.OneOf(roles.ROLES))
    ip_allow = fields.List(fields.String(validate=cidr), load_default=list,
                           validate=validate.Length(max=100))
    expires_at = fields.AwareDateTime(load_default=None, metadata={"description": "RFC 3339"})
    rate_limit = RateLimitField(load_default=None, metadata={
        "json_schema": {"oneOf": [RATE.json_schema,
                                  {"type": "string", "enum": [UNLIMITED]}]},
        "description": "requests per second, or \"unlimited\"; default the configured limit"})
    service_account = fields.Boolean(load_default=False, metadata={
        "description": "also make the key a Voximplant service account: the answer's "
                       "`service_account` is its credentials file, the only copy of its "
                       "private key"})

    @validates("expires_at")
    def _in_future(self, value: Any, **kwargs: Any) -> None:
        if value is not None and value <= clock.now():
            raise ValidationError("Must be in the future.")


async def create(context: Context, params: Params) -> dict[str, Any]:
    async with context.db.transaction() as conn:
        tenant = await tenant_in_scope(conn, context, "tenant",
                                       params["tenant"] or context.caller.tenant)
        key = apikeys.new_key()
        # the registered key-issuing hooks add to the answer and keep attributes with the
        # key (docs/auth.md); the host names a service account's e-mail
        host = urlsplit(context.config.public_url or context.rpc_url()).hostname or "localhost"
        issued = context.issue_key(KeyOrder(key.key_id, tenant["id"], tenant["name"], host,
                                            params))
        await store.insert(conn, {
            "key_id": key.key_id, "tenant_id": tenant["id"], "role": params["role"],
            "salt": key.salt, "secret_hash": key.secret_hash,
            "ip_allow": " ".join(params["ip_allow"]),
            "expires_at": apikeys.expiry_text(params["expires_at"]),
            "rate_limit": params["rate_limit"], **issued.kept})
        made = {"key_id": key.key_id, "key": key.plain, **issued.fields}
        await audited.record(conn, context, "keys.create", params, made, f"keys({key.key_id})")
    return made


def key_view(row: Row) -> dict[str, Any]:
    rate = row["rate_limit"]
    return {"key_id": row["key_id"], "tenant": row["tenant"], "role": row["role"],
            "ip_allow": row["ip_allow"].split(),
            "expires_at": clock.to_rfc3339(row["expires_at"]),
            "rate_limit": UNLIMITED if rate == apikeys.UNLIMITED else rate,
            "created_at": clock.to_rfc3339(row["created_at"]),
            "revoked_at": clock.to_rfc3339(row["revoked_at"]),
            "last_used_at": clock.to_rfc3339(row["last_used_at"])}


class ListParams(Schema):
    tenant = fields.String(load_default=None, metadata={
        "description": "only this tenant's keys; default every key of the subtree"})
    count = paging.count_field()
    offset = paging.offset_field()


async def list_(context: Context, params: Params) -> dict[str, Any]:
    scope = context.caller.scope
    tenant_id = None
    if params["tenant"] is not None:
        tenant_id = (await tenant_in_scope(context.db, context, "tenant", params["tenant"]))["id"]
    rows = await store.in_scope(context.db, scope, tenant_id, params["count"], params["offset"])
    total = await store.count_in_scope(context.db, scope, tenant_id)
    return paging.page([key_view(r) for r in rows], total)


class RevokeParams(Schema):
    key_id = fields.String(required=True, validate=validate.Length(min=1, max=64))


async def revoke(context: Context, params: Params) -> dict[str, int]:
    async with context.db.transaction() as conn:
        if await store.by_id_in_scope(conn, params["key_id"], context.caller.scope) is None:
            raise NotFound("keys", params["key_id"])
        await store.revoke(conn, params["key_id"])
        await audited.record(conn, context, "keys.revoke", params, {"result": 1},
                             f"keys({params['key_id']})")
    context.forget_key(params["key_id"])
    return {"result": 1}


METHODS = {
    "keys.create": RpcMethod(
        create, CreateParams(), roles.ADMINS,
        "Create an API key in the caller's subtree; the plain key is shown only here.",
        result={"type": "object", "properties": {"key_id": {"type": "string"},
                                                 "key": {"type": "string"},
                                                 "mor_secret": {"type": "string"},
                                                 "service_account": SERVICE_ACCOUNT}}),
    "keys.list": RpcMethod(list_, ListParams(), roles.ADMINS,
                           "The keys of the caller's subtree, without secrets.",
                           result=paging.page_schema(KEY)),
    "keys.revoke": RpcMethod(revoke, RevokeParams(), roles.ADMINS,
                             "Revoke a key of the caller's subtree.",
                             result={"type": "object", "properties": {"result": {"const": 1}}},
                             errors=(NotFound,)),
}
