"""SQL of code decks: prefixes to code names and countries, longest prefix first."""

from __future__ import annotations

from typing import Any, Sequence

from gateway.storage.backend import Connection, Row

MAX_PREFIX = 16  # E.164 numbers have at most 15 digits


def candidates(number: str) -> list[str]:
    """Every prefix of the number's digits, longest first."""
    digits = "".join(c for c in number if c.isdigit())[:MAX_PREFIX]
    return [digits[:n] for n in range(len(digits), 0, -1)]


async def codes_among(conn: Connection, deck_id: int, prefixes: Sequence[str]) -> list[Row]:
    """The deck's codes whose prefix is one of `prefixes`."""
    found: list[Row] = []
    for first in range(0, len(prefixes), 900):
        chunk = prefixes[first:first + 900]
        found += await conn.fetch_all(
            f"SELECT prefix, name, country FROM code_deck_codes WHERE code_deck_id = ? "
            f"AND prefix IN ({', '.join('?' for _ in chunk)})", (deck_id, *chunk))
    return found


async def codes(conn: Connection, deck_id: int) -> list[Row]:
    """Every code of the deck."""
    return await conn.fetch_all(
        "SELECT prefix, name, country FROM code_deck_codes WHERE code_deck_id = ?", (deck_id,))


async def get(conn: Connection, deck_id: int) -> Row | None:
    return await conn.fetch_one("SELECT id, tenant_id, name, content_hash FROM code_decks "
                                "WHERE id = ?", (deck_id,))


async def replace(conn: Connection, deck: dict[str, Any], tenant_id: int, content_hash: str,
                  codes: Sequence[tuple[str, str, str | None]]) -> None:
    """Create the deck or replace its name and every code."""
    await conn.execute(
        "INSERT INTO code_decks (id, tenant_id, name, content_hash) VALUES (?, ?, ?, ?) "
        "ON CONFLICT (id) DO UPDATE SET name = excluded.name, "
        "content_hash = excluded.content_hash",
        (deck["code_deck_id"], tenant_id, deck["name"], content_hash))
    await conn.execute("DELETE FROM code_deck_codes WHERE code_deck_id = ?",
                       (deck["code_deck_id"],))
    await conn.executemany(
        "INSERT INTO code_deck_codes (code_deck_id, prefix, name, country) VALUES (?, ?, ?, ?)",
        [(deck["code_deck_id"], prefix, name, country) for prefix, name, country in codes])


async def visible(conn: Connection, deck_id: int, scope: str) -> bool:
    """A deck owned inside the subtree `scope`, or by one of its ancestors (whose decks
    rate the subtree's calls)."""
    row = await conn.fetch_one(
        "SELECT d.id FROM code_decks d JOIN tenants t ON t.id = d.tenant_id "
        "WHERE d.id = ? AND (t.path LIKE ? || '%' OR ? LIKE t.path || '%')",
        (deck_id, scope, scope))
    return row is not None
