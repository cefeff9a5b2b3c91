"""What one ingest batch knows while it stores records: the caller's scope, the tenants
and reference objects seen so far, and the rejection of a single record."""

from __future__ import annotations

import hashlib
from typing import Any, Awaitable, Callable

import orjson
from marshmallow import Schema, ValidationError

from gateway.context import Context
from gateway.storage import Connection, references
from gateway.storage import tenants as tenant_store
from methods import audited
from methods.ingest.record_fields import flatten


class RecordRejected(Exception):
    """One record refused, with its reasons per field path; the batch goes on."""

    def __init__(self, errors: dict[str, str]) -> None:
        super().__init__(errors)
        self.errors = errors


def not_found(path: str, table: str, object_id: object) -> RecordRejected:
    return RecordRejected({path: f'Object "{table}({object_id})" was not found!'})


class Batch:
    """Caches lookups for the records of one batch, inside one transaction."""

    def __init__(self, conn: Connection, context: Context) -> None:
        self.conn = conn
        self.caller = context.caller
        self._tenants: dict[str, tuple[int, str]] = {}
        self._paths: dict[int, str] = {}
        self._refs: dict[tuple[str, int], tuple[int, tuple[Any, ...]]] = {}
        self._pending: dict[tuple[str, int], tuple[int, dict[str, Any], tuple[Any, ...]]] = {}

    async def tenant(self, name: str | None, path: str) -> int:
        """The id of the tenant called `name` (default the caller's) inside the scope."""
        if name is None:
            return self.caller.tenant_id
        if name not in self._tenants:
            row = await tenant_store.by_name_in_scope(self.conn, name, self.caller.scope)
            if row is None:
                raise not_found(path, "tenants", name)
            self._tenants[name] = (int(row["id"]), str(row["path"]))
            self._paths[int(row["id"])] = str(row["path"])
        return self._tenants[name][0]

    async def in_scope(self, tenant_id: int) -> bool:
        if tenant_id not in self._paths:
            row = await tenant_store.by_id(self.conn, tenant_id)
            self._paths[tenant_id] = "" if row is None else str(row["path"])
        path = self._paths[tenant_id]
        return bool(path) and path.startswith(self.caller.scope)

    async def owner(self, table: str, object_id: int) -> int | None:
        cached = self._refs.get((table, object_id))
        if cached is not None:
            return cached[0]
        return await references.owner(self.conn, table, object_id)

    async def reference(self, table: str, ref: dict[str, Any] | None, tenant_id: int,
                        path: str, **extra: Any) -> int | None:
        """Check a reference object carried by a record and queue its creation or
        renaming; refuse one that belongs to a tenant outside the caller's subtree.

        Nothing is written until `write_references`, so a record refused later leaves
        no trace (`discard`)."""
        if ref is None:
            return None
        object_id = int(ref["id"])
        owner = await self.owner(table, object_id)
        if owner is not None and not await self.in_scope(owner):
            raise not_found(f"{path}.id", table, object_id)
        values = {"name": ref.get("name"), **extra}
        stamp = tuple(values.get(c) for c in ("name", *references.TABLES[table]))
        cached = self._refs.get((table, object_id))
        if cached is None or cached[1] != stamp:
            self._pending[(table, object_id)] = (owner or tenant_id, values, stamp)
        return object_id

    async def write_references(self) -> None:
        for (table, object_id), (owner, values, stamp) in self._pending.items():
            await references.upsert(self.conn, table, object_id, owner, values)
            self._refs[(table, object_id)] = (owner, stamp)
        self._pending.clear()

    def discard(self) -> None:
        self._pending.clear()


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
    """One record through its schema, or `RecordRejected` with every reason."""
    if not isinstance(raw, dict):
        raise RecordRejected({"record": "a record must be a JSON object"})
    try:
        return dict(schema.load(raw))
    except ValidationError as exc:
        raise RecordRejected(flatten(exc.normalized_messages())) from None


def content_hash(raw: Any) -> str:
    """A record's fingerprint: the same record sent twice has the same one."""
    return hashlib.sha256(orjson.dumps(raw, option=orjson.OPT_SORT_KEYS)).hexdigest()


# Indexes of the records known to be stored already exactly as sent (read before the
# batch's transaction; such records skip validation and count as unchanged).
Precheck = Callable[[Context, list[Any]], Awaitable[set[int]]]


async def run(context: Context, method: str, records: list[Any], schema: Schema,
              make_writer: Callable[[Batch], Writer],
              precheck: Precheck | None = None) -> dict[str, Any]:
    """Validate each record on its own, store the valid ones in one transaction, write
    the batch to the audit log, and answer `{accepted, unchanged, rejected}`."""
    accepted = unchanged = 0
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
            conn, context, method, {"records": len(records)},
            {"accepted": accepted, "unchanged": unchanged, "rejected": len(rejected)})
    return {"accepted": accepted, "unchanged": unchanged, "rejected": rejected}
