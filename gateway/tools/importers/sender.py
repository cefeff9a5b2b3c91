"""Session records sent through `ingest.sessions`' handler in batches, as the API would
store them, with each answer turned into per-line counts and rejects."""

from __future__ import annotations

from typing import Any

from gateway.tools.importers.outcome import Outcome
from gateway.tools.importers.records import Parsed
from methods.context import Context
from methods.ingest import MAX_RECORDS
from methods.ingest.sessions import ingest


def reason(errors: dict[str, Any]) -> str:
    return "; ".join(f"{path}: {message}" for path, message in errors.items())


class Sender:
    """Batches of up to `MAX_RECORDS` sessions.

    The answer counts accepted and unchanged records, not which ones; so that the summary
    can count lines, each batch holds sessions made of the same number of lines (a
    session of three Asterisk legs counts three lines)."""

    def __init__(self, context: Context, outcome: Outcome, batch: int = MAX_RECORDS) -> None:
        self.context = context
        self.outcome = outcome
        self.batch = batch
        self._waiting: dict[int, list[Parsed]] = {}  # lines per session -> sessions

    async def add(self, parsed: Parsed) -> None:
        size = len(parsed.lines)
        waiting = self._waiting.setdefault(size, [])
        waiting.append(parsed)
        if len(waiting) >= self.batch:
            await self._send(self._waiting.pop(size))

    async def close(self) -> None:
        for size in sorted(self._waiting):
            await self._send(self._waiting[size])
        self._waiting.clear()

    async def _send(self, sessions: list[Parsed]) -> None:
        answer = await ingest(self.context, [parsed.record for parsed in sessions])
        for refused in answer["rejected"]:
            for line in sessions[refused["index"]].lines:
                self.outcome.reject(line, reason(refused["errors"]))
        lines = len(sessions[0].lines)
        self.outcome.imported += answer["accepted"] * lines
        self.outcome.present += answer["unchanged"] * lines
