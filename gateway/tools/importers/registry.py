"""What earlier imports stored, so that a file imported again stores only its new lines
(spec docs/ingest.md, "Files from switches"; storage in gateway/storage/imports.py).

Each line has an identity (`Format.identity`). Before anything is stored, the whole file
is read once for the identities an earlier import stored under other options (another
tenant, zone, encoding, layout, equipment or code deck): such an import is refused with
a message naming the earlier import, unless `--replace`, which deletes the earlier
import's sessions in the transaction that stores them again. Then, batch by batch, a
session whose lines were all stored is present; a new line of a session an earlier run
stored is rejected as a late leg of an ended session; the rest is stored, and its lines
are remembered in the same transaction.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass, field
from typing import Any, BinaryIO, Callable

from gateway.core.clock import RFC3339_FORMAT, UTC
from gateway.storage import Connection, imports
from gateway.tools.importers.lines import LineRejected, read_lines
from gateway.tools.importers.outcome import Outcome
from gateway.tools.importers.records import Format, Parsed
from methods.context import Context

CHUNK = 500  # identities looked up per query
# The options that change what an import stores, in the order a message shows them.
SHOWN = ("tenant", "timezone", "encoding", "layout", "equipment", "code_deck")


class Refused(Exception):
    """The file was imported before with other options; the message names that import."""


def options_text(values: dict[str, Any]) -> str:
    return json.dumps({name: values.get(name) for name in SHOWN}, sort_keys=True)


def _flag(name: str, value: Any) -> str:
    flag = "--" + name.replace("_", "-")
    return f"no {flag}" if value is None else f"{flag} {value}"


def describe(text: str) -> str:
    values = json.loads(text)
    return " ".join(_flag(n, values.get(n)) for n in SHOWN if values.get(n) is not None)


def when(seconds: int) -> str:
    return dt.datetime.fromtimestamp(seconds, UTC).strftime(RFC3339_FORMAT)


@dataclass
class Registry:
    context: Context
    format: str
    file_name: str
    options: str  # `options_text` of this import
    tenant_id: int  # the owning tenant's
    replace: bool = False
    import_id: int | None = None  # this import's, once it stored a line
    replaced: set[int] = field(default_factory=set)  # earlier imports being replaced

    def _refusal(self, row: dict[str, Any]) -> str:
        earlier, now = json.loads(str(row["options"])), json.loads(self.options)
        changed = " ".join(_flag(n, now.get(n)) for n in SHOWN if earlier.get(n) != now.get(n))
        return (f"{self.file_name}: its lines were imported with other options by import "
                f"{row['import_id']} ({row['file_name']}, {when(int(row['imported_at']))}: "
                f"{describe(str(row['options']))}); this import has {changed}. Import it with "
                "the same options, or add --replace to delete that import's calls and store "
                "them again")

    async def check(self, parse: Format, file: BinaryIO,
                    on_bytes: Callable[[int], None] = lambda size: None) -> None:
        """Read the whole file for lines an earlier import stored under other options:
        `Refused` without `--replace`. The file is left at its start."""
        pending: list[str] = []
        conflict: dict[str, Any] | None = None

        async def look_up() -> dict[str, Any] | None:
            known = await imports.known_lines(self.context.db, pending)
            pending.clear()
            return next((row for row in known.values() if row["options"] != self.options),
                        None)

        for line in read_lines(file, on_bytes):
            if line.problem is not None:
                continue
            try:
                identity = parse.identity(line)
            except LineRejected:
                continue  # rejected with its reason when the file is imported
            if identity is None:
                break  # the format's imports are not remembered
            pending.append(identity)
            if len(pending) >= CHUNK:
                conflict = conflict or await look_up()
        if pending:
            conflict = conflict or await look_up()
        file.seek(0)
        if conflict is not None and not self.replace:
            raise Refused(self._refusal(conflict))

    async def sort(self, sessions: list[Parsed],
                   outcome: Outcome) -> tuple[list[Parsed], list[tuple[int, str]]]:
        """The sessions of a batch to store, and the earlier sessions to delete first;
        what was stored before counts as present, a late leg as rejected."""
        db = self.context.db
        known = await imports.known_lines(db, [i for p in sessions for i in p.identities])
        fresh = [p.record["session_id"] for p in sessions
                 if not any(i in known for i in p.identities)]
        stored_before = await imports.imported_sessions(db, self.tenant_id, fresh)
        to_store: list[Parsed] = []
        deletions: list[tuple[int, str]] = []
        for parsed in sessions:
            rows = [known.get(identity) for identity in parsed.identities]
            conflicting = [r for r in rows if r is not None and r["options"] != self.options]
            if conflicting:
                if not self.replace:  # imported meanwhile by another run
                    raise Refused(self._refusal(conflicting[0]))
                deletions += [(int(r["tenant_id"]), str(r["source_id"])) for r in conflicting]
                self.replaced.update(int(r["import_id"]) for r in conflicting)
                to_store.append(parsed)
                continue
            session_id = parsed.record["session_id"]
            if all(r is not None for r in rows):
                outcome.present += len(parsed.lines)
                continue
            earlier = next((int(r["import_id"]) for r in rows if r is not None),
                           stored_before.get(session_id))
            if earlier is None:
                to_store.append(parsed)
                continue
            for line, row in zip(parsed.lines, rows):
                if row is None:
                    outcome.reject(line, f"late leg of an ended session: {session_id} was "
                                         f"stored by import {earlier}")
                else:
                    outcome.present += 1
        return to_store, deletions

    async def remember(self, conn: Connection, lines: list[tuple[str, int, str]]) -> None:
        """Lines `(identity, tenant_id, source_id)` stored in the transaction `conn`."""
        if lines and self.import_id is None:
            now = int(dt.datetime.now(UTC).timestamp())
            self.import_id = await imports.create(conn, self.format, self.file_name,
                                                  self.options, now)
        if self.import_id is not None:
            await imports.add_lines(conn, self.import_id, lines)
        if self.replaced:
            await imports.drop_empty(conn, sorted(self.replaced))
