"""`tenants.create` and `tenants.list`: the tenant tree, inside the caller's subtree."""

from __future__ import annotations

from typing import Any

from marshmallow import Schema, fields

from gateway.core import clock, roles
from gateway.core.errors import InvalidParams, Unprocessable
from gateway.storage import Connection, Row, WriteConflict
from gateway.storage import tenants as store
from methods import audited, json_schemas, paging
from methods.context import Context, Params, RpcMethod
from methods.validators import tenant_name, zone_name

TENANT = {"type": "object", "properties": {
    "id": {"type": "integer"}, "name": {"type": "string"},
    "parent": {"type": ["string", "null"]}, "timezone": {"type": "string"},
    "created_at": json_schemas.RFC3339_UTC}}


def tenant_view(row: Row) -> dict[str, Any]:
    return {"id": row["id"], "name": row["name"], "parent": row["parent"],
            "timezone": row["timezone"], "created_at": clock.to_rfc3339(row["created_at"])}


async def tenant_in_scope(conn: Connection, context: Context, param: str, name: str) -> Row:
    """The tenant named by a param, or the `-32602` object message when out of scope."""
    row = await store.by_name_in_scope(conn, name, context.caller.scope)
    if row is None:
        raise InvalidParams.missing_object(param, "tenants", name)
    return row


class CreateParams(Schema):
    name = fields.String(required=True, validate=tenant_name)
    parent = fields.String(load_default=None, metadata={
        "description": "the parent tenant's name; default the caller's tenant"})
    timezone = fields.String(load_default=None, validate=zone_name, metadata={
        "description": "IANA zone of `auto`; default the parent's"})


async def create(context: Context, params: Params) -> dict[str, Any]:
    try:
        return await _create(context, params)
    except WriteConflict:  # the same name was created at once: run again, it sees it exists
        return await _create(context, params)


async def _create(context: Context, params: Params) -> dict[str, Any]:
    async with context.db.transaction() as conn:
        parent = await tenant_in_scope(conn, context, "parent",
                                       params["parent"] or context.caller.tenant)
        if await store.by_name(conn, params["name"]) is not None:
            raise Unprocessable("tenant-exists",
                                f"a tenant named {params['name']!r} already exists")
        row = await store.create(conn, params["name"], parent,
                                 params["timezone"] or parent["timezone"])
        made = tenant_view(row)
        await audited.record(conn, context, "tenants.create", params, made,
                             f"tenants({row['id']})")
    return made


class ListParams(Schema):
    count = paging.count_field()
    offset = paging.offset_field()


async def list_(context: Context, params: Params) -> dict[str, Any]:
    scope = context.caller.scope
    rows, total = await store.subtree_page(context.db, scope, params["count"], params["offset"])
    return paging.page([tenant_view(r) for r in rows], total)


METHODS = {
    "tenants.create": RpcMethod(create, CreateParams(), roles.ADMINS,
                                "Create a tenant inside the caller's subtree.", result=TENANT,
                                errors=(Unprocessable,)),
    "tenants.list": RpcMethod(list_, ListParams(), roles.ADMINS,
                              "The tenants of the caller's subtree, in tree order.",
                              result=paging.page_schema(TENANT)),
}
