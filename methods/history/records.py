"""`DeleteRecord`: removes one recording, by id or by URL, from every view (call history's
`records`, the video recordings), and writes the audit log (docs/methods/call-history.md)."""

from __future__ import annotations

from typing import Any

from marshmallow import Schema, ValidationError, fields, validates_schema

from gateway.core import roles
from gateway.core.errors import NotFound, Unprocessable
from gateway.query.listing import Listing, Viewer, rows, where
from gateway.storage import call_history as history
from gateway.storage import recordings
from methods import audited
from methods.context import Context, Params, RpcMethod
from methods.validators import Integer

METHOD = "DeleteRecord"
TABLE = "records"
# Who may delete (docs/auth.md): every reading role but the accountant, inside its
# scope (a customer's is its own tenant).
DELETERS = roles.READERS - {roles.ACCOUNTANT}


class DeleteRecordParams(Schema):
    record_url = fields.String(load_default=None)
    record_id = Integer(load_default=None)

    @validates_schema
    def _exactly_one(self, data: Params, **kwargs: Any) -> None:
        if (data.get("record_url") is None) == (data.get("record_id") is None):
            raise ValidationError("Give record_url or record_id (exactly one).", "record_id")


async def delete_record(context: Context, params: Params) -> dict[str, int]:
    by_id = params["record_id"] is not None
    wanted = params["record_id"] if by_id else params["record_url"]
    match = where("record_id" if by_id else "record_url", "eq", wanted)
    listing = Listing(history.RECORDS, ("record_id",), Viewer(context.caller.scope), [match],
                      [("record_id", False)], limit=2)
    found = await rows(context.db, listing)
    if not found:
        raise NotFound(TABLE, wanted)
    if len(found) > 1:
        raise Unprocessable("record-url-ambiguous", "several recordings have this URL: "
                            "delete one by its record_id")
    record_id = int(found[0]["record_id"])
    async with context.db.transaction() as conn:
        if not await recordings.delete(conn, record_id):
            raise NotFound(TABLE, wanted)  # deleted meanwhile
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
