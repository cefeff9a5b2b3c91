"""`ingest.sessions`: live session events and finished calls, upserted in batches.

State moves only forward (set up -> answered -> ended); an ended session accepts only
amount corrections; the same record twice changes nothing (spec ingest.md, "Rules").
"""

from __future__ import annotations

from typing import Any

from gateway.context import Context
from gateway.storage import code_decks
from gateway.storage import sessions as store
from methods.ingest.batch import Batch, RecordRejected, content_hash, not_found, run
from methods.ingest.session_schema import PARTICIPANT, SESSION

SET_UP, ANSWERED, ENDED = 0, 1, 2
INSERT, REPLACE, AMOUNTS, UNCHANGED = "insert", "replace", "amounts", "unchanged"


def state_of(record: dict[str, Any]) -> int:
    if record["end_time"] is not None:
        return ENDED
    return ANSWERED if record["start_time"] is not None else SET_UP


def decide(existing: dict[str, Any] | None, record: dict[str, Any], digest: str) -> str:
    """What a record does to the stored session (spec ingest.md, "Rules")."""
    if existing is None:
        return INSERT
    if existing["content_hash"] == digest:
        return UNCHANGED
    state = state_of(record)
    if existing["state"] == ENDED:
        return AMOUNTS if state == ENDED else UNCHANGED
    if state < existing["state"]:
        return UNCHANGED
    if state == existing["state"] and record["seq"] is not None \
            and existing["seq"] is not None and record["seq"] <= existing["seq"]:
        return UNCHANGED
    return REPLACE


class SessionWriter:
    """Stores session records of one batch."""

    def __init__(self, batch: Batch, default_deck: int | None) -> None:
        self.batch = batch
        self.default_deck = default_deck
        self._destinations: dict[tuple[int, str], dict[str, Any] | None] = {}

    async def store(self, raw: dict[str, Any], record: dict[str, Any]) -> bool:
        """Store one validated record; True when it changed the store."""
        batch = self.batch
        tenant_id = await batch.tenant(record["tenant"], "tenant")
        existing = await store.find(batch.conn, tenant_id, record["session_id"])
        digest = content_hash(raw)
        action = decide(existing, record, digest)
        if action == UNCHANGED:
            return False
        if action == AMOUNTS:
            assert existing is not None
            return await self._correct_amounts(existing["id"], record, digest)
        # Every check comes before the first write: a refused record leaves no trace.
        try:
            values = await self._session_values(record, tenant_id, digest)
            legs = [await self._leg_values(leg, i, tenant_id, record)
                    for i, leg in enumerate(record["legs"])]
            await self._check_attachments(None if existing is None else existing["id"], record)
        except RecordRejected:
            batch.discard()
            raise
        await batch.write_references()
        if existing is None:
            session_id = await store.insert(batch.conn, tenant_id, record["session_id"], values)
        else:
            session_id = existing["id"]
            await store.update(batch.conn, session_id, values)
            await store.delete_other_legs(batch.conn, session_id,
                                          [leg["leg_id"] for leg in legs])
        await store.upsert_legs(batch.conn, session_id, legs)
        await self._attachments(session_id, tenant_id, record)
        return True

    async def _session_values(self, record: dict[str, Any], tenant_id: int,
                              digest: str) -> dict[str, Any]:
        batch = self.batch
        return {
            **{c: record.get(c) for c in store.SESSION_COLUMNS},
            "state": state_of(record), "content_hash": digest,
            "equipment_id": await batch.reference("equipment", record["equipment"], tenant_id,
                                                  "equipment"),
            "application_id": await batch.reference("applications", record["application"],
                                                    tenant_id, "application"),
        }

    async def _leg_values(self, leg: dict[str, Any], position: int, session_tenant: int,
                          record: dict[str, Any]) -> dict[str, Any]:
        batch, path = self.batch, f"legs.{position}"
        client = leg["client"]
        leg_tenant = session_tenant
        if client is not None:
            if client.get("tenant") is not None:
                leg_tenant = await batch.tenant(client["tenant"], f"{path}.client.tenant")
            else:
                leg_tenant = await batch.owner("clients", client["id"]) or session_tenant
        client_id = await batch.reference("clients", client, leg_tenant, f"{path}.client")
        account = leg["account"]
        account_id = await batch.reference("accounts", account, leg_tenant, f"{path}.account",
                                           client_id=client_id,
                                           ident=account and account.get("ident"))
        values = {c: leg.get(c) for c in store.LEG_COLUMNS}
        values.update(
            leg_id=leg["leg_id"], position=position, tenant_id=leg_tenant,
            incoming=None if leg["incoming"] is None else int(leg["incoming"]),
            client_id=client_id, account_id=account_id,
            owner_user_id=await batch.reference("users", leg["owner_user"], leg_tenant,
                                                f"{path}.owner_user"),
            user_id=await batch.reference("users", leg["user"], leg_tenant, f"{path}.user"),
            setup_time=leg["setup_time"] if leg["setup_time"] is not None
            else record["setup_time"])
        deck = leg["code_deck_id"] or self.default_deck
        values["code_deck_id"] = deck
        destination = None
        if deck is not None and leg["dst"] and leg["role"] != PARTICIPANT:
            destination = await self._destination(deck, leg["dst"])
        values.update(dst_code=destination and destination["prefix"],
                      dst_name=destination and destination["name"],
                      dst_country=destination and destination["country"])
        return values

    async def _destination(self, deck: int, number: str) -> dict[str, Any] | None:
        key = (deck, number)
        if key not in self._destinations:
            found = await code_decks.longest_prefix(self.batch.conn, deck, number)
            self._destinations[key] = found
        return self._destinations[key]

    async def _check_attachments(self, session_id: int | None, record: dict[str, Any]) -> None:
        """Recording and resource ids are gateway-wide: one of another session is refused."""
        for table, field, key in (("records", "records", "record_id"),
                                  ("resource_usage", "resources", "resource_usage_id")):
            items = record[field]
            if not items:
                continue
            taken = await store.owners(self.batch.conn, table, [item[key] for item in items])
            for i, item in enumerate(items):
                if item[key] in taken and taken[item[key]] != session_id:
                    raise not_found(f"{field}.{i}.{key}", table, item[key])

    async def _attachments(self, session_id: int, tenant_id: int, record: dict[str, Any]) -> None:
        conn = self.batch.conn
        if not record["records"] and not record["resources"]:
            return
        await store.upsert_records(conn, [
            {"id": r["record_id"], "session_id": session_id, "tenant_id": tenant_id,
             **{c: r.get(c) for c in store.RECORD_COLUMNS[2:]}} for r in record["records"]])
        await store.upsert_resources(conn, [
            {"id": r["resource_usage_id"], "session_id": session_id, "tenant_id": tenant_id,
             **{c: r.get(c) for c in store.RESOURCE_COLUMNS[2:]},
             "quantity": None if r["quantity"] is None else str(r["quantity"])}
            for r in record["resources"]])

    async def _correct_amounts(self, session_id: int, record: dict[str, Any],
                               digest: str) -> bool:
        stored = await store.leg_amounts(self.batch.conn, session_id)
        changes = [(leg["leg_id"], leg["amount"], leg["reseller_amount"], leg["currency"])
                   for leg in record["legs"]
                   if leg["leg_id"] in stored and stored[leg["leg_id"]] != (
                       leg["amount"], leg["reseller_amount"], leg["currency"])]
        await store.set_hash(self.batch.conn, session_id, digest)
        if changes:
            await store.correct_amounts(self.batch.conn, session_id, changes)
        return bool(changes)


async def ingest(context: Context, records: list[Any]) -> dict[str, Any]:
    deck = context.config.default_code_deck_id
    return await run(context, "ingest.sessions", records, SESSION,
                     lambda batch: SessionWriter(batch, deck).store)
