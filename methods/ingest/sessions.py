"""`ingest.sessions`: live session events and finished calls, upserted in batches.

State moves only forward (set up -> answered -> ended); an ended session accepts only
amount corrections; the same record twice changes nothing (spec ingest.md, "Rules").
"""

from __future__ import annotations

from typing import Any

from gateway.storage import references, session_writer
from gateway.storage import sessions as store
from gateway.storage import summaries
from gateway.storage import tenants as tenant_store
from gateway.storage.destinations import Destinations
from gateway.storage.session_rows import (ENDED, PARTICIPANT, Key, SessionRows, referenced,
                                          session_rows, state_of)
from methods.context import Context
from methods.ingest.batch import Batch, RecordRejected, Writer, content_hash, not_found, run
from methods.ingest.session_schema import SESSION

INSERT, REPLACE, AMOUNTS, UNCHANGED = "insert", "replace", "amounts", "unchanged"


def decide(existing: dict[str, Any] | None, record: dict[str, Any], digest: str) -> str:
    """What a record does to the stored session (spec ingest.md, "Rules")."""
    if existing is None:
        return INSERT
    if existing["content_hash"] == digest:
        return UNCHANGED
    state = state_of(record["start_time"], record["end_time"])
    if existing["state"] == ENDED:
        return AMOUNTS if state == ENDED else UNCHANGED
    if state < existing["state"]:
        return UNCHANGED
    if state == existing["state"] and record["seq"] is not None \
            and existing["seq"] is not None and record["seq"] <= existing["seq"]:
        return UNCHANGED
    return REPLACE


_ATTACHMENTS = (("records", "records", "record_id"),
                ("resource_usage", "resources", "resource_usage_id"))


class SessionWriter(Writer):
    """Stores the session records of one batch through the one write path
    (`storage.session_writer`).

    What the batch needs is read for all its records at once (`prepare`): the sessions
    stored already, destinations, the owners of reference objects, recordings and
    resource usages. New and replaced sessions, with the reference objects they name, are
    kept and written together when the batch ends (`finish`), or earlier when a later
    record of the same batch touches one of them."""

    def __init__(self, batch: Batch, default_deck: int | None) -> None:
        super().__init__()
        self.batch = batch
        self.default_deck = default_deck
        self._known: dict[Key, dict[str, Any] | None] = {}
        self._destinations = Destinations(batch.conn)
        self._references = references.Changes()
        self._new: dict[Key, SessionRows] = {}
        self._replaced: dict[Key, tuple[int, SessionRows]] = {}
        # replaced sessions whose setup time changed month -> the month they are stored in
        self._moved: dict[int, int] = {}
        # (table, id) of a recording or resource usage -> the session storing it (as read
        # ahead), and -> the key of the record of this batch that names it
        self._attachment_owners: dict[tuple[str, int], int] = {}
        self._claimed: dict[tuple[str, int], Key] = {}
        # Ended calls whose statistics are added to the summaries by `finish`, when
        # everything the batch does to them is written.
        self._ended: set[int] = set()

    async def prepare(self, records: list[dict[str, Any]]) -> None:
        by_tenant: dict[int, set[str]] = {}
        numbers: dict[int, set[str]] = {}
        named: dict[str, set[int]] = {}
        attached: dict[str, list[int]] = {table: [] for table, _, _ in _ATTACHMENTS}
        for record in records:
            try:
                tenant_id = await self.batch.tenant(record["tenant"], "tenant")
            except RecordRejected:
                continue  # refused with its reason when the record is stored
            by_tenant.setdefault(tenant_id, set()).add(record["session_id"])
            referenced(record, named)
            for table, field, key in _ATTACHMENTS:
                attached[table] += [item[key] for item in record[field]]
            for leg in record["legs"]:
                deck = leg["code_deck_id"] or self.default_deck
                if deck is not None and leg["dst"] and leg["role"] != PARTICIPANT:
                    numbers.setdefault(deck, set()).add(leg["dst"])
        lock = self.batch.dialect.lock_rows
        for tenant_id, source_ids in sorted(by_tenant.items()):  # locked in one order
            ordered = sorted(source_ids)
            for first in range(0, len(ordered), 500):
                chunk = ordered[first:first + 500]
                found = {r["source_id"]: r for r in await store.find_many(
                    self.batch.conn, tenant_id, chunk, lock)}
                for source_id in chunk:
                    self._known[(tenant_id, source_id)] = found.get(source_id)
        await self.batch.read_owners(named)
        for table, ids in attached.items():
            if ids:
                owners = await store.owners(self.batch.conn, table, sorted(set(ids)))
                self._attachment_owners.update(((table, i), owners.get(i, 0)) for i in ids)
        for deck, dialled in numbers.items():
            await self._destinations.read(deck, dialled)

    async def _existing(self, key: Key) -> dict[str, Any] | None:
        if key in self._new or key in self._replaced:
            await self._write()  # a later record of this batch touches a kept session
        if key not in self._known:
            self._known[key] = await store.find(self.batch.conn, *key,
                                                self.batch.dialect.lock_rows)
        return self._known[key]

    async def store(self, raw: dict[str, Any], record: dict[str, Any]) -> bool:
        """Store one validated record; True when it changed the store."""
        batch = self.batch
        tenant_id = await batch.tenant(record["tenant"], "tenant")
        key = (tenant_id, record["session_id"])
        existing = await self._existing(key)
        digest = content_hash(raw)
        action = decide(existing, record, digest)
        if action == UNCHANGED:
            return False
        # Every check comes before anything is kept, for a correction too: a refused
        # record leaves no trace.
        session_id = None if existing is None else int(existing["id"])
        try:
            rows = await session_rows(batch, self._destinations, record, tenant_id, digest,
                                      self.default_deck)
            claims = await self._check_attachments(key, session_id, record)
        except RecordRejected:
            batch.discard()
            raise
        self._known.pop(key, None)  # what is stored changes: read it again if needed
        if action == AMOUNTS:
            assert session_id is not None
            batch.discard()  # an ended session keeps its names: only amounts change
            if session_id not in self._ended:  # its figures change: out now, in at finish
                await summaries.add(batch.conn, [session_id], -1)
                self._ended.add(session_id)
            return await self._correct_amounts(session_id, record, digest)
        self._references.add(batch.take())
        self._claimed.update(claims)
        if session_id is None:
            self._new[key] = rows
        else:
            self._replaced[key] = (session_id, rows)
            if existing is not None and existing["setup_month"] != rows.month:
                self._moved[session_id] = int(existing["setup_month"])
            if rows.state == ENDED:
                self._ended.add(session_id)
        return True

    async def finish(self) -> None:
        """Write what was kept, and add the calls that ended to the summaries."""
        await self._write()
        if self._ended:
            ended, self._ended = self._ended, set()
            await summaries.add(self.batch.conn, sorted(ended))

    async def _write(self) -> None:
        """Write the reference objects, new and replaced sessions kept so far."""
        conn = self.batch.conn
        await references.upsert_many(conn, self._references.take())
        new, self._new = self._new, {}
        ids = await session_writer.insert(conn, self.batch.dialect, list(new.values()))
        self._ended.update(ids[key] for key, rows in new.items() if rows.state == ENDED)
        replaced, self._replaced = self._replaced, {}
        moved, self._moved = self._moved, {}
        await session_writer.replace(conn, self.batch.dialect, list(replaced.values()), moved)
        # what the batch claimed is stored now: later checks read the store again
        self._claimed.clear()
        self._attachment_owners.clear()

    async def _check_attachments(self, key: Key, session_id: int | None,
                                 record: dict[str, Any]) -> dict[tuple[str, int], Key]:
        """Recording and resource ids are gateway-wide: one of another session is refused
        (so is one that another record of this batch names). The ids the record claims."""
        claims: dict[tuple[str, int], Key] = {}
        for table, field, id_field in _ATTACHMENTS:
            items = record[field]
            if not items:
                continue
            ids = [item[id_field] for item in items]
            unknown = [i for i in ids if (table, i) not in self._attachment_owners]
            if unknown:
                owners = await store.owners(self.batch.conn, table, unknown)
                self._attachment_owners.update(((table, i), owners.get(i, 0)) for i in unknown)
            for i, object_id in enumerate(ids):
                owner = self._attachment_owners[(table, object_id)]
                if (owner and owner != session_id) \
                        or self._claimed.get((table, object_id), key) != key:
                    raise not_found(f"{field}.{i}.{id_field}", table, object_id)
                claims[(table, object_id)] = key
        return claims

    async def _correct_amounts(self, session_id: int, record: dict[str, Any],
                               digest: str) -> bool:
        """Re-rating of an ended session: the legs' amounts and the costs of its
        recordings and resource usages; nothing else of it changes."""
        stored = await store.leg_amounts(self.batch.conn, session_id)
        changes = [(leg["leg_id"], leg["amount"], leg["reseller_amount"], leg["currency"])
                   for leg in record["legs"]
                   if leg["leg_id"] in stored and stored[leg["leg_id"]] != (
                       leg["amount"], leg["reseller_amount"], leg["currency"])]
        costs = await store.attachment_costs(self.batch.conn, session_id)
        corrected: dict[str, list[tuple[int, Any]]] = {"records": [], "resource_usage": []}
        for table, field, key in (("records", "records", "record_id"),
                                  ("resource_usage", "resources", "resource_usage_id")):
            for item in record[field]:
                stored_cost = costs.get((table, item[key]), item["cost"])
                if stored_cost != item["cost"]:
                    corrected[table].append((item[key], item["cost"]))
        await store.set_hash(self.batch.conn, session_id, digest)
        if changes:
            await store.correct_amounts(self.batch.conn, session_id, changes)
        for table, items in corrected.items():
            if items:
                await store.correct_costs(self.batch.conn, table, items)
        return bool(changes) or any(corrected.values())


async def stored_as_sent(context: Context, records: list[Any]) -> set[int]:
    """Records whose session is stored with the same fingerprint: a re-sent batch (a
    re-import, a second demo run) costs one query per tenant instead of validation."""
    wanted: dict[str | None, dict[str, list[int]]] = {}
    for index, raw in enumerate(records):
        if isinstance(raw, dict) and isinstance(raw.get("session_id"), str) \
                and isinstance(raw.get("tenant"), (str, type(None))):
            wanted.setdefault(raw.get("tenant"), {}).setdefault(raw["session_id"], []).append(
                index)
    known: set[int] = set()
    for tenant, sessions in wanted.items():
        # A session sent more than once in the batch may change in between (a correction
        # and back): only the batch's own order decides, so none of its records is skipped.
        sessions = {sid: indexes for sid, indexes in sessions.items() if len(indexes) == 1}
        tenant_id = context.caller.tenant_id
        if tenant is not None:
            row = await tenant_store.by_name_in_scope(context.db, tenant, context.caller.scope)
            if row is None:
                continue
            tenant_id = int(row["id"])
        ids = sorted(sessions)
        for first in range(0, len(ids), 500):
            for row in await store.find_many(context.db, tenant_id, ids[first:first + 500]):
                for index in sessions[row["source_id"]]:
                    if row["content_hash"] == content_hash(records[index]):
                        known.add(index)
    return known


async def ingest(context: Context, records: list[Any]) -> dict[str, Any]:
    deck = context.config.default_code_deck_id
    return await run(context, "ingest.sessions", records, SESSION,
                     lambda batch: SessionWriter(batch, deck), stored_as_sent)
