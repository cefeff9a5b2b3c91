"""SQL of the call summaries: ended calls' statistics per 15 minutes (UTC) and key set.

A call's contribution is computed from the stored rows by the same expressions the
statistics read from the raw records, and added (or, before an amount correction,
taken out) in the transaction that changes the call, so summaries never miss a call.
"""

from __future__ import annotations

from typing import Any, Sequence

import orjson

from gateway.query.select import Source
from gateway.storage.backend import Connection
from gateway.storage.finished_calls import BASE, CALL_VALUES, CHARGES, TERM_LEG, name_joins

BUCKET = 900  # seconds: 15 minutes, a divisor of every zone offset in use today
HOUR, DAY = 3600, 86_400
SPANS = (BUCKET, HOUR, DAY)  # each call counts once in each
KEYS = ("orig_tenant_id", "term_tenant_id", "originator_id", "device_id", "terminator_id",
        "provider_id", "dst", "dst_group", "user_rate", "provider_rate", "currency")
# Key sets: every key, and the keys of the default grouping (the others are NULL there).
FULL, DEFAULT = 0, 1
DEFAULT_KEYS = ("orig_tenant_id", "term_tenant_id", "originator_id", "terminator_id",
                "dst_group", "currency")
_KEEP = tuple(k in DEFAULT_KEYS for k in KEYS)
MEASURES = ("calls", "answered", "billsec", "real_billsec", "pdd_ms", "pdd_calls", "amount",
            "billed", "reseller_amount", "charges")
_KEY_EXPRS = (f"(s.setup_time / {BUCKET}) * {BUCKET}", "o.tenant_id", "t.tenant_id",
              "o.client_id", "o.account_id", "t.client_id", "t.account_id", "o.dst_code",
              "o.dst_name", "o.rates_code", "t.rates_code")
_CALL_SUMS = ("COUNT(*)", *(f"SUM(COALESCE({CALL_VALUES[m]}, 0))" for m in MEASURES[1:-1]),
              "0")
_CHARGE_SUMS = ("0",) * 9 + ("SUM(x.amount)",)
_FROM = f"FROM {BASE} {TERM_LEG}"


def _contributions(currency: str, sums: tuple[str, ...], joins: str = "") -> str:
    values = (*_KEY_EXPRS, currency, *sums)
    return (f"SELECT {', '.join(f'{v} AS v{i}' for i, v in enumerate(values))} {_FROM} {joins} "
            "WHERE s.kind = 'call' AND s.end_time IS NOT NULL AND s.id IN ({ids}) "
            f"GROUP BY {', '.join(str(i + 1) for i in range(len(_KEY_EXPRS) + 1))}")


_CALLS = _contributions("o.currency", _CALL_SUMS)
_CHARGES = _contributions("x.currency", _CHARGE_SUMS, CHARGES)
_COLUMNS = ("keyset", "span", "bucket", "skey", *KEYS, *MEASURES)
_UPSERT = (
    f"INSERT INTO call_summaries ({', '.join(_COLUMNS)}) "
    f"VALUES ({', '.join('?' for _ in _COLUMNS)}) ON CONFLICT (keyset, span, bucket, skey) "
    "DO UPDATE SET "
    + ", ".join(f"{m} = call_summaries.{m} + excluded.{m}" for m in MEASURES))
CHUNK = 500  # session ids per statement


async def add(conn: Connection, session_ids: Sequence[int], sign: int = 1) -> None:
    """Add the ended calls among `session_ids` to the summaries (`sign=-1`: take them out)."""
    totals: dict[tuple[Any, ...], list[int]] = {}
    ids = sorted(set(session_ids))
    width = 1 + len(KEYS)  # bucket and keys
    for first in range(0, len(ids), CHUNK):
        chunk = ids[first:first + CHUNK]
        marks = ", ".join("?" for _ in chunk)
        for sql in (_CALLS, _CHARGES):
            for row in await conn.fetch_all(sql.format(ids=marks), chunk):
                values = [row[f"v{i}"] for i in range(len(row))]
                bucket, key = int(values[0]), tuple(values[1:width])
                short = tuple(v if keep else None for v, keep in zip(key, _KEEP))
                measures = [sign * int(value or 0) for value in values[width:]]
                for keyset, k in ((FULL, key), (DEFAULT, short)):
                    for span in SPANS:
                        sums = totals.setdefault((keyset, span, bucket - bucket % span, k),
                                                 [0] * len(MEASURES))
                        for i, value in enumerate(measures):
                            sums[i] += value
    if totals:
        await conn.executemany(_UPSERT, [
            (keyset, span, bucket, orjson.dumps(key).decode(), *key, *sums)
            for (keyset, span, bucket, key), sums in totals.items()])


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
    table is first made)."""
    await conn.execute("DELETE FROM call_summaries")
    last = 0
    while True:
        rows = await conn.fetch_all(
            "SELECT id FROM sessions WHERE id > ? AND kind = 'call' AND end_time IS NOT NULL "
            "ORDER BY id LIMIT ?", (last, CHUNK * 20))
        if not rows:
            return
        await add(conn, [int(r["id"]) for r in rows])
        last = int(rows[-1]["id"])
