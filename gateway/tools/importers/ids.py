"""Ids derived from content, so that importing the same file again names the same
sessions, legs, accounts and equipment without looking anything up."""

from __future__ import annotations

import hashlib

# Derived reference ids live in [2**52, 2**53): above any id a source numbers from 1,
# and still exact as a JavaScript number.
DERIVED_BASE = 2 ** 52
SEPARATOR = "\x1f"  # unit separator: never part of a name, so parts cannot run together


def _digest(parts: tuple[str, ...]) -> bytes:
    return hashlib.sha256(SEPARATOR.join(parts).encode("utf-8")).digest()


def derived_id(*parts: str) -> int:
    """An integer reference id for `parts` (e.g. table, tenant, name)."""
    return DERIVED_BASE + int.from_bytes(_digest(parts)[:8], "big") % DERIVED_BASE


def derived_key(prefix: str, *parts: str) -> str:
    """A string id for `parts`, e.g. a session id for a line that carries none."""
    return f"{prefix}-{_digest(parts).hex()[:32]}"
