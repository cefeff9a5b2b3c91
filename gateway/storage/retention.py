"""Retention: the months before a given one taken out of every large table at once
(`gateway retention drop --before YYYY-MM`, docs/scaling.md).

On PostgreSQL a month is a partition of each large table (partitions.py): those of the
months before go whole (DROP TABLE), and the rows of those months that wait in a DEFAULT
partition are deleted. On SQLite the same rows are deleted. Either way a session goes with
its legs, leg paths, recordings, resource usage, its rows of the statistics and their
summaries; the audit entries of those months go too. The small tables (keys, tenants,
reference objects, code decks, rates, transactions, queue sessions, import lines, export
jobs) are left as they are.
"""

from __future__ import annotations

from gateway.storage import partitions
from gateway.storage.backend import Connection
from gateway.storage.dialect import Dialect
from gateway.storage.partitions import LARGE

# A session's rows before the session itself, so that nothing is left without it.
_ORDER = tuple(reversed(LARGE))


async def _partitions_before(conn: Connection, table: str, month: int) -> list[str]:
    """A table's month partitions (named as `partitions.partition` names them) of the
    months before `month`, oldest first."""
    rows = await conn.fetch_all(
        "SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid "
        "WHERE i.inhparent = to_regclass(?) ORDER BY 1", (table,))
    named = {partitions.partition(table, m): m for m in
             (_month_in(str(r["relname"]), table) for r in rows) if m is not None}
    return [name for name, m in sorted(named.items(), key=lambda item: item[1]) if m < month]


def _month_in(name: str, table: str) -> int | None:
    """The month of a partition's name, or None (the DEFAULT partition, or not ours)."""
    prefix = f"{table}_y"
    text = name.removeprefix(prefix)
    if text == name or len(text) != 7 or text[4] != "m" or not (text[:4] + text[5:]).isdigit():
        return None
    month = int(text[:4]) * 100 + int(text[5:])
    return month if partitions.is_month(month) else None


async def drop_before(conn: Connection, dialect: Dialect, month: int) -> list[str]:
    """Take every row of the months before `month` (YYYYMM) out of the large tables; one
    line per partition dropped or table deleted from."""
    done = []
    for spec in _ORDER:
        low = partitions.bounds(spec.name, month)[0]
        target = spec.name
        if dialect.month_partitions:
            for name in await _partitions_before(conn, spec.name, month):
                await conn.execute(f"DROP TABLE {name}")
                done.append(f"dropped {name}")
            target = partitions.default(spec.name)
        deleted = await conn.execute(f"DELETE FROM {target} WHERE {spec.key} < ?", (low,))
        if deleted:
            done.append(f"deleted {deleted} rows of {target}")
    return done
