"""SQL of the call summaries: ended calls' statistics per 15 minutes, hour and UTC day,
per key set.

A call's contribution is computed from the stored rows by the same expressions the
statistics read from the raw records, and added (or, before an amount correction,
taken out) in the transaction that changes the call, so summaries never miss a call.
One statement adds a set of calls to every key set and span: the database groups them.
"""

from __future__ import annotations

import operator
from typing import Any, Sequence

from gateway.core.clock import DAY, HOUR
from gateway.storage import leg_paths
from gateway.storage.backend import Connection, Record
from gateway.storage.finished_calls import BASE, CALL_VALUES, CHARGES, TERM_LEG, name_joins
from gateway.storage.sources import Source

BUCKET = 900  # seconds: 15 minutes, a divisor of every zone offset in use today
SPANS = (BUCKET, HOUR, DAY)  # each call counts once in each
KEYS = ("orig_tenant_id", "term_tenant_id", "leg_paths", "originator_id", "device_id",
        "terminator_id", "provider_id", "dst", "dst_group", "user_rate", "provider_rate",
        "currency")
# Key sets, smallest first: the keys each keeps (the others are NULL in its rows).
ACCOUNTS, DEFAULT, FULL = 2, 1, 0
_TENANTS = ("orig_tenant_id", "term_tenant_id", "leg_paths", "currency")
KEYSETS = {
    ACCOUNTS: (*_TENANTS, "originator_id", "device_id", "terminator_id", "provider_id"),
    DEFAULT: (*_TENANTS, "originator_id", "terminator_id", "dst_group"),
    FULL: KEYS,
}
MEASURES = ("calls", "answered", "billsec", "real_billsec", "pdd_ms", "pdd_calls", "amount",
            "billed", "reseller_amount", "charges")
_KEY_EXPRS = ("o.tenant_id", "t.tenant_id", "p.paths", "o.client_id", "o.account_id",
              "t.client_id", "t.account_id", "o.dst_code", "o.dst_name", "o.rates_code",
              "t.rates_code")
_CALL_VALUES = ("1", *(f"COALESCE({CALL_VALUES[m]}, 0)" for m in MEASURES[1:-1]), "0")
_CHARGE_VALUES = ("0",) * 9 + ("x.amount",)


def _contributions(currency: str, values: tuple[str, ...], joins: str = "") -> str:
    columns = (f"s.setup_time - s.setup_time % {BUCKET}", *_KEY_EXPRS, currency, *values)
    names = ("bucket", *KEYS, *MEASURES)
    return (f"SELECT {', '.join(f'{v} AS {n}' for v, n in zip(columns, names))} "
            f"FROM {BASE} {TERM_LEG} {leg_paths.JOIN} {joins} "
            "WHERE s.kind = 'call' AND s.end_time IS NOT NULL AND {where}")


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
        "ON CONFLICT (keyset, span, bucket, skey) DO UPDATE SET "
        + ", ".join(f"{m} = call_summaries.{m} + excluded.{m}" for m in MEASURES))


_CALLS = (f"{_contributions('o.currency', _CALL_VALUES)} UNION ALL "
          f"{_contributions('x.currency', _CHARGE_VALUES, CHARGES)}")
# A rebuild: the finest summaries from the calls, then each other from a finer one.
_FINEST = _upsert(_CALLS, [(FULL, BUCKET)])
_FROM_FINER = [
    (_upsert(f"SELECT bucket, {', '.join(KEYS)}, {', '.join(MEASURES)} FROM call_summaries "
             "WHERE keyset = ? AND span = ?", [(keyset, span)]), finer)
    for keyset in KEYSETS
    for span, finer in zip(SPANS, ((FULL, BUCKET), (keyset, BUCKET), (keyset, HOUR)))
    if (keyset, span) != (FULL, BUCKET)]
CHUNK = 1000  # session ids per statement
REBUILD_IDS = 200_000  # session ids per statement of a rebuild


_COLUMNS = ("keyset", "span", "bucket", "skey", *KEYS, *MEASURES)
_ADDED = ("(keyset, span, bucket, skey) DO UPDATE SET "
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
    """The summary rows (`_COLUMNS`) that call contributions (`_CALLS`' columns, by
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
    """Add the ended calls among `session_ids` to the summaries (`sign=-1`: take them out,
    by the key text they were added with): their contributions read by the expressions
    of the raw path, grouped here, and added by one statement per table chunk."""
    ids = sorted(set(session_ids))
    if sign > 0:
        await leg_paths.refresh(conn, ids)
    contributions: list[Record] = []
    for first in range(0, len(ids), CHUNK):
        chunk = ids[first:first + CHUNK]
        where = f"s.id IN ({', '.join('?' for _ in chunk)})"
        async for part in conn.stream(_CALLS.format(where=where), (*chunk, *chunk), CHUNK * 2):
            contributions += part
    rows = grouped(contributions, sign)
    if rows:
        await conn.insert_many("call_summaries", _COLUMNS, rows, conflict=_ADDED)


def source() -> Source:
    ids = {"oc": "m.originator_id", "oa": "m.device_id", "tc": "m.terminator_id",
           "ta": "m.provider_id"}
    return Source("call_summaries m", name_joins(ids))


def covers(low: int, high: int) -> bool:
    """Whether [low, high] is whole buckets."""
    return low % BUCKET == 0 and (high + 1) % BUCKET == 0


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
    """Summaries computed again from every ended call (after a bulk load, or when the
    table is first made): the finest from the calls, a range of session ids per
    statement, and then each coarser one from a finer one."""
    await conn.execute("DELETE FROM call_summaries")
    row = await conn.fetch_one("SELECT MIN(id) AS low, MAX(id) AS high FROM sessions")
    if row is None or row["low"] is None:
        return
    await leg_paths.refill(conn, int(row["low"]), int(row["high"]))
    ones = [1] * len(MEASURES)
    for first in range(int(row["low"]), int(row["high"]) + 1, REBUILD_IDS):
        span = (first, first + REBUILD_IDS - 1)
        await conn.execute(_FINEST.format(where="s.id BETWEEN ? AND ?"), (*span, *span, *ones))
    for sql, finer in _FROM_FINER:
        await conn.execute(sql, (*finer, *ones))
