"""What one ingest batch knows while it stores records: the caller's scope, the tenants
and reference objects seen so far, and the rejection of a single record."""

from __future__ import annotations

import hashlib
from typing import Any, Awaitable, Callable

import orjson
from marshmallow import Schema, ValidationError

from gateway.storage import Connection, WriteConflict
from gateway.storage.names import Names
from methods import audited
from methods.context import Context
from methods.ingest import compiled
from methods.ingest.record_fields import flatten


class RecordRejected(Exception):
    """One record refused, with its reasons per field path; the batch goes on."""

    def __init__(self, errors: dict[str, str]) -> None:
        super().__init__(errors)
        self.errors = errors


def not_found(path: str, table: str, object_id: object) -> RecordRejected:
    return RecordRejected({path: f'Object "{table}({object_id})" was not found!'})


class Batch(Names):
    """What one batch has resolved, inside its transaction (`conn`). A record's reference
    objects are kept once it passes every check (`take`)."""

    def __init__(self, conn: Connection, context: Context) -> None:
        super().__init__(conn, context.caller.tenant_id, context.caller.scope, not_found)
        self.dialect = context.db.dialect


# Stores one validated record (raw form, loaded form); True when it changed the store.
Store = Callable[[dict[str, Any], dict[str, Any]], Awaitable[bool]]


class Writer:
    """Stores the records of one batch. `prepare` sees every valid record first (to read
    what the batch needs in a few queries); `finish` writes what was kept for the end."""

    def __init__(self, store: Store | None = None) -> None:
        self._store = store

    async def prepare(self, records: list[dict[str, Any]]) -> None:
        """Nothing to read ahead by default."""

    async def store(self, raw: dict[str, Any], record: dict[str, Any]) -> bool:
        assert self._store is not None
        return await self._store(raw, record)

    async def finish(self) -> None:
        """Nothing kept for the end by default."""


def load(schema: Schema, raw: Any) -> dict[str, Any]:
    """One record through its schema (its compiled loader first, where it has one), or
    `RecordRejected` with every reason."""
    if not isinstance(raw, dict):
        raise RecordRejected({"record": "a record must be a JSON object"})
    fast = compiled.loader_of(schema)
    if fast is not None:
        try:
            return fast(raw)
        except compiled.Undecided:
            pass  # the schema decides, with its messages
    try:
        return dict(schema.load(raw))
    except ValidationError as exc:
        raise RecordRejected(flatten(exc.normalized_messages())) from None


def content_hash(raw: Any) -> str:
    """A record's fingerprint: the same record sent twice has the same one."""
    return hashlib.sha256(orjson.dumps(raw, option=orjson.OPT_SORT_KEYS)).hexdigest()


# Runs of a batch's transaction before a collision with concurrent batches is an error.
CONFLICT_ATTEMPTS = 8

# Indexes of the records known to be stored already exactly as sent (read before the
# batch's transaction; such records skip validation and count as unchanged).
Precheck = Callable[[Context, list[Any]], Awaitable[set[int]]]


async def run(context: Context, method: str, records: list[Any], schema: Schema,
              make_writer: Callable[[Batch], Writer],
              precheck: Precheck | None = None) -> dict[str, Any]:
    """Validate each record on its own, store the valid ones in one transaction, write
    the batch to the audit log, and answer `{accepted, unchanged, rejected}`."""
    rejected: list[dict[str, Any]] = []
    loaded: list[tuple[int, dict[str, Any], dict[str, Any]]] = []
    known = await precheck(context, records) if precheck else set()
    unchanged = len(known)
    for index, raw in enumerate(records):
        if index in known:
            continue
        try:
            loaded.append((index, raw, load(schema, raw)))
        except RecordRejected as exc:
            rejected.append({"index": index, "errors": exc.errors})
    for attempt in range(1, CONFLICT_ATTEMPTS + 1):
        try:
            return await _store(context, method, len(records), loaded, make_writer,
                                unchanged, rejected)
        except WriteConflict:
            # a concurrent batch stored some of the same sessions first: run again, this
            # batch sees them as stored
            if attempt == CONFLICT_ATTEMPTS:
                raise
    raise AssertionError("unreachable")


async def _store(context: Context, method: str, count: int,
                 loaded: list[tuple[int, dict[str, Any], dict[str, Any]]],
                 make_writer: Callable[[Batch], Writer], unchanged: int,
                 rejected: list[dict[str, Any]]) -> dict[str, Any]:
    """Store the valid records in one transaction with the batch's audit entry
    (`unchanged` and `rejected`: the batch's records settled before)."""
    accepted = 0
    rejected = list(rejected)
    async with context.db.transaction() as conn:
        batch = Batch(conn, context)
        writer = make_writer(batch)
        await writer.prepare([record for _, _, record in loaded])
        for index, raw, record in loaded:
            try:
                changed = await writer.store(raw, record)
            except RecordRejected as exc:
                batch.discard()
                rejected.append({"index": index, "errors": exc.errors})
                continue
            accepted += changed
            unchanged += not changed
        await writer.finish()
        rejected.sort(key=lambda r: int(r["index"]))
        await audited.record(
            conn, context, method, {"records": count},
            {"accepted": accepted, "unchanged": unchanged, "rejected": len(rejected)})
    return {"accepted": accepted, "unchanged": unchanged, "rejected": rejected}
