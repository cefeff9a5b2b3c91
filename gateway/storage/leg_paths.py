"""The tenants of every leg of an ended call, kept beside the session as one text.

The summaries group calls by this text, so that a caller who sees a call only through one
of its legs (a reseller's transit attempt that failed, say) finds it there as in the raw
records (docs/tenancy.md: a session is visible when any leg is in the caller's scope).
The text is each leg tenant's materialised path once, in code-point order, each after a
`|` and the last one followed by `|`: `|/1/4/|/1/4/9/|`. A subtree `/1/4/` holds one of
them exactly when the text contains `|/1/4/`. Tenants never move, so the text never goes
stale.
"""

from __future__ import annotations

from typing import Iterable, Sequence

from gateway.storage.backend import Connection
from gateway.storage.sessions import of_session, session_of

SEPARATOR = "|"
_PATHS = ("SELECT x.session_id, s.tenant_id, s.setup_month, t.path "
          "FROM legs x JOIN tenants t ON t.id = x.tenant_id "
          f"JOIN sessions s ON {session_of('x')} "
          "WHERE s.kind = 'call' AND s.end_time IS NOT NULL AND {where}")
CHUNK = 1000  # session ids per statement
REBUILD_IDS = 50_000  # session ids per statement of a refill
# The join that gives a call's text as `p.paths`.
JOIN = f"LEFT JOIN session_leg_paths p ON {of_session('p')}"


def text(paths: Iterable[str]) -> str:
    return "".join(f"{SEPARATOR}{p}" for p in sorted(set(paths))) + SEPARATOR


def pattern(scope: str) -> str:
    """The LIKE pattern of a text holding a tenant of the subtree `scope`."""
    return f"%{SEPARATOR}{scope}%"


async def _refresh(conn: Connection, where: str, params: Sequence[object]) -> None:
    paths: dict[tuple[int, int, int], list[str]] = {}
    for row in await conn.fetch_all(_PATHS.format(where=where), params):
        key = (int(row["session_id"]), int(row["tenant_id"]), int(row["setup_month"]))
        paths.setdefault(key, []).append(row["path"])
    await conn.insert_many(
        "session_leg_paths", ("session_id", "owner_id", "setup_month", "paths"),
        [(*key, text(p)) for key, p in paths.items()],
        conflict="(owner_id, setup_month, session_id) DO UPDATE SET paths = excluded.paths")


async def refresh(conn: Connection, session_ids: Sequence[int]) -> None:
    """Write the text of the ended calls among `session_ids`."""
    ids = sorted(set(session_ids))
    for first in range(0, len(ids), CHUNK):
        chunk = ids[first:first + CHUNK]
        await _refresh(conn, f"s.id IN ({', '.join('?' for _ in chunk)})", chunk)


async def refill(conn: Connection, low: int, high: int) -> None:
    """Write the text of every ended call whose session id is in [low, high]."""
    for first in range(low, high + 1, REBUILD_IDS):
        await _refresh(conn, "s.id BETWEEN ? AND ?", (first, first + REBUILD_IDS - 1))
