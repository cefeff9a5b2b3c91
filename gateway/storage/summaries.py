"""SQL of the call summaries: ended calls' statistics per 15 minutes, hour and UTC day,
per key set.

A call's contribution is its rows of `call_figures` (finished_calls.py), the rows the
statistics read when the summaries cannot answer; both are written (or, before an amount
correction, taken out) in the transaction that changes the call, so summaries never miss
a call. The contributions of a set of calls are grouped per key set, span and bucket here,
and added by one statement.
"""

from __future__ import annotations

import operator
from typing import Any, Sequence

from gateway.core.clock import DAY, HOUR
from gateway.storage import leg_paths
from gateway.storage.backend import Connection, Record
from gateway.storage.finished_calls import FILL, KEYS, MEASURES
from gateway.storage.sources import Source

BUCKET = 900  # seconds: 15 minutes, a divisor of every zone offset in use today
SPANS = (BUCKET, HOUR, DAY)  # each call counts once in each
# Key sets, smallest first: the keys each keeps (the others are NULL in its rows).
ACCOUNTS, DEFAULT, FULL = 2, 1, 0
_TENANTS = ("orig_tenant_id", "term_tenant_id", "leg_paths", "currency")
KEYSETS = {
    ACCOUNTS: (*_TENANTS, "originator_id", "device_id", "terminator_id", "provider_id"),
    DEFAULT: (*_TENANTS, "originator_id", "terminator_id", "dst_group"),
    FULL: KEYS,
}
# A summary row's key: its tenant (the originating leg's) is part of `skey` too, and is
# there for the partitioned table's key (migration 0015: it holds the distribution column).
_KEY = "(keyset, span, bucket, orig_tenant_id, skey)"
# The calls' rows (`call_figures`) as contributions: their 15-minute bucket, keys, figures.
_CONTRIBUTIONS = (f"SELECT setup_time - setup_time % {BUCKET} AS bucket, {', '.join(KEYS)}, "
                  f"{', '.join(MEASURES)} FROM call_figures WHERE {{where}}")


def _kept(key: str) -> str:
    sets = ", ".join(str(k) for k, keys in KEYSETS.items() if key in keys)
    return f"CASE WHEN k.keyset IN ({sets}) THEN c.{key} END"


def _part(key: str) -> str:
    """A key's part of `skey`: its text with its length before it (NULL: `~`), so that
    different keys never make the same text."""
    text = f"CAST(g.{key} AS TEXT)"
    return f"CASE WHEN g.{key} IS NULL THEN '~' ELSE length({text}) || ':' || {text} END"


def _upsert(rows: str, sets: list[tuple[int, int]]) -> str:
    """The statement adding `rows` (a bucket, the keys and the measures) to the summaries
    of each (key set, span) in `sets`, grouped by the database."""
    pairs = ", ".join(f"({keyset}, {span})" for keyset, span in sets)
    return (
        f"WITH c AS ({rows}), k (keyset, span) AS (VALUES {pairs}) "
        f"INSERT INTO call_summaries (keyset, span, bucket, skey, {', '.join(KEYS)}, "
        f"{', '.join(MEASURES)}) "
        f"SELECT g.keyset, g.span, g.bucket, {' || '.join(_part(k) for k in KEYS)}, "
        f"{', '.join(f'g.{k}' for k in KEYS)}, {', '.join(f'g.{m}' for m in MEASURES)} FROM ("
        "SELECT k.keyset, k.span, c.bucket - c.bucket % k.span AS bucket, "
        f"{', '.join(f'{_kept(k)} AS {k}' for k in KEYS)}, "
        f"{', '.join(f'CAST(? AS BIGINT) * SUM(c.{m}) AS {m}' for m in MEASURES)} "
        "FROM c CROSS JOIN k "
        f"GROUP BY 1, 2, 3, {', '.join(str(i + 4) for i in range(len(KEYS)))}"
        ") g WHERE 1 = 1 "  # WHERE: SQLite's upsert after a SELECT needs one
        f"ON CONFLICT {_KEY} DO UPDATE SET "
        + ", ".join(f"{m} = call_summaries.{m} + excluded.{m}" for m in MEASURES))


# A rebuild: the finest summaries from the calls' rows, then each other from a finer one.
_FINEST = _upsert(_CONTRIBUTIONS, [(FULL, BUCKET)])
_FROM_FINER = [
    (_upsert(f"SELECT bucket, {', '.join(KEYS)}, {', '.join(MEASURES)} FROM call_summaries "
             "WHERE keyset = ? AND span = ?", [(keyset, span)]), finer)
    for keyset in KEYSETS
    for span, finer in zip(SPANS, ((FULL, BUCKET), (keyset, BUCKET), (keyset, HOUR)))
    if (keyset, span) != (FULL, BUCKET)]
CHUNK = 1000  # session ids per statement
REBUILD_IDS = 200_000  # session ids per statement of a rebuild


_COLUMNS = ("keyset", "span", "bucket", "skey", *KEYS, *MEASURES)
_ADDED = (f"{_KEY} DO UPDATE SET "
          + ", ".join(f"{m} = call_summaries.{m} + excluded.{m}" for m in MEASURES))
# Per key set, its keys picked from a call's keys followed by NULL (the keys it drops).
_KEPT_KEYS = {keyset: operator.itemgetter(*(i if k in keys else len(KEYS)
                                            for i, k in enumerate(KEYS)))
              for keyset, keys in KEYSETS.items()}


def _floor(value: int, span: int) -> int:
    """`value - value % span` as SQL computes it (the remainder takes the sign of the
    dividend), for the times before 1970 too."""
    remainder = abs(value) % span
    return value - (remainder if value >= 0 else -remainder)


def _text(key: object) -> str:
    """A key's part of `skey`, as `_part` spells it in SQL."""
    return "~" if key is None else f"{len(str(key))}:{key}"


def grouped(contributions: Sequence[Record], sign: int) -> list[tuple[object, ...]]:
    """The summary rows (`_COLUMNS`) that call contributions (`_CONTRIBUTIONS`, by
    position) add (`sign=-1`: take out), grouped by key set, span, bucket and keys."""
    out: dict[tuple[int, int, int, str], list[Any]] = {}
    start = 1 + len(KEYS)  # the first measure, in a contribution
    kept = [(keyset, _KEPT_KEYS[keyset]) for keyset in KEYSETS]
    for row in contributions:
        keys = (*row[1:start], None)  # a key set's NULL is the last one
        parts = (*(_text(k) for k in keys[:-1]), "~")
        values = [int(v) * sign for v in row[start:]]
        bucket = int(row[0])
        buckets = [(span, _floor(bucket, span)) for span in SPANS]
        for keyset, pick in kept:
            skey = "".join(pick(parts))
            these = None
            for span, at_bucket in buckets:
                at = (keyset, span, at_bucket, skey)
                found = out.get(at)
                if found is None:
                    these = these or pick(keys)
                    out[at] = [*at, *these, *values]
                else:
                    found[-len(MEASURES):] = map(operator.add, found[-len(MEASURES):], values)
    return [tuple(row) for row in out.values()]


async def add(conn: Connection, session_ids: Sequence[int], sign: int = 1) -> None:
    """Add the ended calls among `session_ids` to the statistics: their rows written to
    `call_figures` and added to the summaries, grouped here, by one statement per table
    chunk (`sign=-1`: taken out of both, by the rows they were added with)."""
    ids = sorted(set(session_ids))
    if sign > 0:
        await leg_paths.refresh(conn, ids)
    contributions: list[Record] = []
    for first in range(0, len(ids), CHUNK):
        chunk = ids[first:first + CHUNK]
        marks = ", ".join("?" for _ in chunk)
        if sign > 0:
            await conn.execute(FILL.format(where=f"s.id IN ({marks})"), (*chunk, *chunk))
        where = f"session_id IN ({marks})"
        async for part in conn.stream(_CONTRIBUTIONS.format(where=where), chunk, CHUNK * 2):
            contributions += part
        if sign < 0:
            await conn.execute(f"DELETE FROM call_figures WHERE {where}", chunk)
    rows = grouped(contributions, sign)
    if rows:
        await conn.insert_many("call_summaries", _COLUMNS, rows, conflict=_ADDED)


SOURCE = Source("call_summaries m")


def split(low: int, high: int) -> tuple[tuple[int, int] | None, list[tuple[int, int]]]:
    """[low, high] as the whole buckets it holds (None: it holds none) and the parts of
    buckets at its edges that it holds, each as [first, last] seconds."""
    first, end = -(-low // BUCKET) * BUCKET, (high + 1) // BUCKET * BUCKET
    if first >= end:
        return None, [(low, high)]
    return (first, end - 1), [(a, b) for a, b in ((low, first - 1), (end, high)) if a <= b]


def pieces(low: int, high: int, widest: int) -> list[tuple[int, int, int]]:
    """[low, high] (whole 15-minute buckets) as the fewest buckets of spans up to
    `widest`: (span, first bucket, last bucket) triples."""
    out = []
    start, end = low, high + 1
    spans = [s for s in SPANS if s <= widest]
    for i, span in enumerate(spans):
        wider = spans[i + 1] if i + 1 < len(spans) else None
        head_end = end if wider is None else min(end, -(-start // wider) * wider)
        tail_start = end if wider is None else max(head_end, end // wider * wider)
        if head_end > start:
            out.append((span, start, head_end - span))
        if end > tail_start and wider is not None:
            out.append((span, tail_start, end - span))
        start, end = head_end, tail_start
        if start >= end:
            break
    return out


async def rebuild(conn: Connection) -> None:
    """The calls' rows and the summaries computed again from every ended call (after a
    bulk load, or when a table is first made): the rows and the finest summaries a range
    of session ids per statement, then each coarser summary from a finer one."""
    await conn.execute("DELETE FROM call_summaries")
    await conn.execute("DELETE FROM call_figures")
    row = await conn.fetch_one("SELECT MIN(id) AS low, MAX(id) AS high FROM sessions")
    if row is None or row["low"] is None:
        return
    await leg_paths.refill(conn, int(row["low"]), int(row["high"]))
    ones = [1] * len(MEASURES)
    for first in range(int(row["low"]), int(row["high"]) + 1, REBUILD_IDS):
        span = (first, first + REBUILD_IDS - 1)
        await conn.execute(FILL.format(where="s.id BETWEEN ? AND ?"), (*span, *span))
        await conn.execute(_FINEST.format(where="session_id BETWEEN ? AND ?"), (*span, *ones))
    for sql, finer in _FROM_FINER:
        await conn.execute(sql, (*finer, *ones))
