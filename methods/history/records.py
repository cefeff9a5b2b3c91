"""`DeleteRecord`: removes one recording, by id or by URL, from every view (call history's
`records`, the video recordings), and writes the audit log (methods.md section 3)."""

from __future__ import annotations

from typing import Any

from marshmallow import Schema, ValidationError, fields, validates_schema

from gateway import roles
from gateway.context import Context, Params, RpcMethod
from gateway.errors import NotFound, Unprocessable
from gateway.query.scope import tenant_within
from gateway.query.sql import Sql, all_of
from methods import audited

METHOD = "DeleteRecord"
TABLE = "records"
# Who may delete (spec README, roles): every reading role but the accountant, inside its
# scope (a customer's is its own tenant).
DELETERS = roles.READERS - {roles.ACCOUNTANT}


class DeleteRecordParams(Schema):
    record_url = fields.String(load_default=None)
    record_id = fields.Integer(strict=True, load_default=None)

    @validates_schema
    def _exactly_one(self, data: Params, **kwargs: Any) -> None:
        if (data.get("record_url") is None) == (data.get("record_id") is None):
            raise ValidationError("Give record_url or record_id (exactly one).", "record_id")


async def delete_record(context: Context, params: Params) -> dict[str, int]:
    by_id = params["record_id"] is not None
    match = Sql("id = ?", (params["record_id"],)) if by_id else \
        Sql("url = ?", (params["record_url"],))
    where = all_of([match, tenant_within("tenant_id", context.caller.scope)])
    wanted = params["record_id"] if by_id else params["record_url"]
    async with context.db.transaction() as conn:
        rows = await conn.fetch_all(f"SELECT id FROM records WHERE {where.text} ORDER BY id",
                                    where.params)
        if not rows:
            raise NotFound(TABLE, wanted)
        if len(rows) > 1:
            raise Unprocessable("record-url-ambiguous", f"{len(rows)} recordings have this "
                                "URL: delete one by its record_id")
        record_id = int(rows[0]["id"])
        await conn.execute("DELETE FROM records WHERE id = ?", (record_id,))
        await audited.record(conn, context, METHOD, params, {"result": 1},
                             f"records({record_id})")
    return {"result": 1}


METHODS = {
    METHOD: RpcMethod(
        delete_record, DeleteRecordParams(), DELETERS,
        "Removes one recording (and its transcription link) by id or URL, everywhere it "
        "shows (Voximplant's DeleteRecord); the audit log records it.",
        result={"type": "object", "properties": {"result": {"const": 1}}},
        errors=(NotFound, Unprocessable)),
}
