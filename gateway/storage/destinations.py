"""The destination of a dialled number: the longest prefix of its digits among the codes
of its code deck, as (prefix, name, country).

The codes are read as needed and kept: those the numbers of one ingest batch could match
(`read`, a few queries per batch), or a whole deck at once (`whole_decks`, for a bulk
load, whose numbers are too many to look up).
"""

from __future__ import annotations

from typing import Iterable

from gateway.storage import code_decks
from gateway.storage.backend import Connection

Destination = tuple[str, str, str | None]  # prefix, name, country


class Destinations:
    def __init__(self, conn: Connection, whole_decks: bool = False) -> None:
        self.conn = conn
        self.whole_decks = whole_decks
        self._codes: dict[int, dict[str, Destination]] = {}
        self._longest: dict[int, int] = {}  # the longest prefix read of each deck
        self._read: set[tuple[int, str]] = set()  # (deck, number) whose prefixes are read

    async def read(self, deck: int, numbers: Iterable[str]) -> None:
        """Read the deck's codes that the numbers could match."""
        numbers = sorted(set(numbers))
        prefixes = sorted({p for number in numbers for p in code_decks.candidates(number)})
        self._keep(deck, await code_decks.codes_among(self.conn, deck, prefixes))
        self._read.update((deck, number) for number in numbers)

    async def find(self, deck: int, number: str) -> Destination | None:
        if self.whole_decks:
            if deck not in self._codes:
                self._keep(deck, await code_decks.codes(self.conn, deck))
        elif (deck, number) not in self._read:
            await self.read(deck, [number])
        codes = self._codes[deck]
        # the prefixes of code_decks.candidates(number), longest first, only as long as
        # the longest code read
        digits = number if number.isdigit() else "".join(c for c in number if c.isdigit())
        for n in range(min(len(digits), self._longest[deck], code_decks.MAX_PREFIX), 0, -1):
            found = codes.get(digits[:n])
            if found is not None:
                return found
        return None

    def _keep(self, deck: int, rows: Iterable[dict[str, object]]) -> None:
        codes = self._codes.setdefault(deck, {})
        for row in rows:
            prefix = str(row["prefix"])
            country = row["country"]
            codes[prefix] = (prefix, str(row["name"]), None if country is None else str(country))
        self._longest[deck] = max(map(len, codes), default=0)
