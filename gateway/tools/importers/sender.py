"""Session records stored through `ingest.sessions`' own batch machinery (its schema,
validation, tenancy and idempotency), in batches, with each record's outcome turned into
per-line counts and rejects. With a `Registry`, what earlier imports stored is sorted out
first, and the lines stored are remembered in the transaction that stores them."""

from __future__ import annotations

from typing import Any

from gateway.storage import imports
from gateway.tools.importers.outcome import Outcome
from gateway.tools.importers.records import Parsed
from gateway.tools.importers.registry import Registry
from methods.context import Context
from methods.ingest import MAX_RECORDS
from methods.ingest.batch import Batch, run
from methods.ingest.session_schema import SESSION
from methods.ingest.sessions import SessionWriter, stored_as_sent


def reason(errors: dict[str, Any]) -> str:
    return "; ".join(f"{path}: {message}" for path, message in errors.items())


class ImportWriter(SessionWriter):
    """`ingest.sessions`' writer, which first deletes the sessions being replaced and
    notes which records changed the store, and whose lines were stored."""

    def __init__(self, batch: Batch, default_deck: int | None, registry: Registry | None,
                 deletions: list[tuple[int, str]], sessions: dict[int, Parsed],
                 changed: dict[int, bool]) -> None:
        super().__init__(batch, default_deck)
        self.registry = registry
        self.deletions = deletions
        self.sessions = sessions  # by the id of the record sent
        self.changed = changed
        self.lines: list[tuple[str, int, str]] = []

    async def prepare(self, records: list[dict[str, Any]]) -> None:
        if self.deletions:
            await imports.delete_sessions(self.batch.conn, self.deletions)
        await super().prepare(records)

    async def store(self, raw: dict[str, Any], record: dict[str, Any]) -> bool:
        changed = await super().store(raw, record)
        self.changed[id(raw)] = changed
        parsed = self.sessions[id(raw)]
        if parsed.identities:
            tenant_id = await self.batch.tenant(record["tenant"], "tenant")
            self.lines += [(identity, tenant_id, record["session_id"])
                           for identity in parsed.identities]
        return changed

    async def finish(self) -> None:
        await super().finish()
        if self.registry is not None:
            await self.registry.remember(self.batch.conn, self.lines)


class Sender:
    """Batches of up to `MAX_RECORDS` sessions."""

    def __init__(self, context: Context, outcome: Outcome, registry: Registry | None = None,
                 batch: int = MAX_RECORDS) -> None:
        self.context = context
        self.outcome = outcome
        self.registry = registry
        self.batch = batch
        self._waiting: list[Parsed] = []

    async def add(self, parsed: Parsed) -> None:
        self._waiting.append(parsed)
        if len(self._waiting) >= self.batch:
            await self._send()

    async def close(self) -> None:
        if self._waiting:
            await self._send()

    async def _send(self) -> None:
        sessions, self._waiting = self._waiting, []
        deletions: list[tuple[int, str]] = []
        if self.registry is not None:
            sessions, deletions = await self.registry.sort(sessions, self.outcome)
        if not sessions:  # deletions come only with sessions that replace them
            return
        records = [parsed.record for parsed in sessions]
        by_id = {id(record): parsed for record, parsed in zip(records, sessions)}
        changed: dict[int, bool] = {}
        deck = self.context.config.default_code_deck_id
        answer = await run(
            self.context, "ingest.sessions", records, SESSION,
            lambda batch: ImportWriter(batch, deck, self.registry, deletions, by_id, changed),
            # a remembered import stores no session twice; otherwise a re-sent one is
            # found unchanged before validation
            None if self.registry is not None else stored_as_sent)
        refused = {int(r["index"]): r["errors"] for r in answer["rejected"]}
        for index, (record, parsed) in enumerate(zip(records, sessions)):
            if index in refused:
                for line in parsed.lines:
                    self.outcome.reject(line, reason(refused[index]))
            elif changed.get(id(record), False):
                self.outcome.imported += len(parsed.lines)
            else:
                self.outcome.present += len(parsed.lines)
