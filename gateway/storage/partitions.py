"""The large tables partitioned by month on PostgreSQL (migration 0015, docs/scaling.md).

Each large table is partitioned by range of its month: `setup_month` (the UTC month of
the session's setup time as YYYYMM) where the table holds it, else the Unix seconds of
the row's own time (a call's setup time, a summary's bucket, an audit entry's time), cut
at the first second of each UTC month. So a month is one partition per table, named
`sessions_y2026m01`, and dropping a month is dropping those tables. Each table also has a
DEFAULT partition (`sessions_default`), so that no insert ever fails for want of one.

The writers make a month's partitions before they write its rows (`ensure`), inside
their own transaction; rows that reach a DEFAULT partition anyway (the partitions could
not be made in time) move to their month's partition the next time it is made. On SQLite
nothing is partitioned and `ensure` does nothing.
"""

from __future__ import annotations

import calendar
import logging
import time
from dataclasses import dataclass
from typing import Iterable

from gateway.storage.backend import Connection
from gateway.storage.dialect import Dialect

log = logging.getLogger(__name__)

LOCK = 7_150_002  # advisory lock key: one transaction makes partitions at a time
# How long making a partition may wait for the statements reading its table: past it the
# rows go to the DEFAULT partition for now, rather than holding up the writer and every
# statement queued behind its lock.
LOCK_TIMEOUT_MS = 1000
SAVEPOINT = "gateway_partitions"


@dataclass(frozen=True)
class Large:
    """A large table: its distribution column (the owning tenant), its partition key, and
    whether that key is Unix seconds (else a YYYYMM month)."""

    name: str
    tenant: str
    key: str
    by_time: bool
    # The primary key it is given once partitioned (None: it has none): its id first, so
    # that it serves the lookups by id, then the columns a partitioned (and a distributed)
    # table's key must hold.
    primary: tuple[str, ...] | None = None


LARGE = (
    Large("sessions", "tenant_id", "setup_month", False, ("id", "tenant_id", "setup_month")),
    Large("legs", "owner_id", "setup_month", False, ("id", "owner_id", "setup_month")),
    Large("session_leg_paths", "owner_id", "setup_month", False),
    Large("records", "tenant_id", "setup_month", False),
    Large("resource_usage", "tenant_id", "setup_month", False),
    Large("call_figures", "owner_id", "setup_time", True),
    Large("call_summaries", "orig_tenant_id", "bucket", True,
          ("keyset", "span", "bucket", "orig_tenant_id", "skey")),
    Large("audit_log", "tenant_id", "requested", True, ("id", "tenant_id", "requested")),
)
BY_NAME = {table.name: table for table in LARGE}
NAMES = tuple(BY_NAME)
FIRST_MONTH, LAST_MONTH = 100001, 999912  # months with a partition of their own


def month_of(seconds: int) -> int:
    """The UTC month of a Unix time, as YYYYMM."""
    when = time.gmtime(seconds)
    return when.tm_year * 100 + when.tm_mon


def is_month(month: int) -> bool:
    return FIRST_MONTH <= month <= LAST_MONTH and 1 <= month % 100 <= 12


def next_month(month: int) -> int:
    return month + 1 if month % 100 < 12 else (month // 100 + 1) * 100 + 1


def first_second(month: int) -> int:
    return calendar.timegm((month // 100, month % 100, 1, 0, 0, 0))


def partition(table: str, month: int) -> str:
    """The name of a table's partition of a month: `sessions_y2026m01`."""
    return f"{BY_NAME[table].name}_y{month // 100:04d}m{month % 100:02d}"


def default(table: str) -> str:
    return f"{BY_NAME[table].name}_default"


def bounds(table: str, month: int) -> tuple[int, int]:
    """[low, high) of the partition key in a table's partition of a month."""
    if BY_NAME[table].by_time:
        return first_second(month), first_second(next_month(month))
    return month, next_month(month)


def month_bounded(table: str, month: int, parent: str = "") -> str:
    """The statement making a table's partition of a month, of the table or of `parent`
    (DDL takes no parameters: the bounds are integers computed here, the names come from
    `LARGE`)."""
    low, high = bounds(table, month)
    return (f"CREATE TABLE IF NOT EXISTS {partition(table, month)} PARTITION OF "
            f"{parent or table} FOR VALUES FROM ({int(low)}) TO ({int(high)})")


async def missing(conn: Connection, wanted: Iterable[tuple[str, int]]) -> list[tuple[str, int]]:
    """Those of the (table, month) partitions that do not exist, in the order of `LARGE`."""
    names = {partition(table, month): (table, month) for table, month in wanted}
    if not names:
        return []
    rows = await conn.fetch_all("SELECT n FROM unnest(CAST(? AS TEXT[])) AS t (n) "
                                "WHERE to_regclass(n) IS NULL", (sorted(names),))
    return sorted((names[str(r["n"])] for r in rows),
                  key=lambda pair: (NAMES.index(pair[0]), pair[1]))


async def create(conn: Connection, table: str, month: int) -> None:
    """A table's partition of a month; the rows of that month in its DEFAULT partition
    move into it (PostgreSQL refuses the partition while they are there)."""
    key = BY_NAME[table].key
    low, high = bounds(table, month)
    where = f"{key} >= ? AND {key} < ?"
    if await conn.fetch_one(f"SELECT 1 AS found FROM {default(table)} WHERE {where} LIMIT 1",
                            (low, high)) is None:
        await conn.execute(month_bounded(table, month))
        return
    # no writer adds rows to the table while they move
    await conn.execute(f"LOCK TABLE {table} IN SHARE ROW EXCLUSIVE MODE")
    await conn.execute(f"CREATE TEMP TABLE partition_rows (LIKE {table}) ON COMMIT DROP")
    await conn.execute(f"INSERT INTO partition_rows SELECT * FROM {default(table)} "
                       f"WHERE {where}", (low, high))
    await conn.execute(f"DELETE FROM {default(table)} WHERE {where}", (low, high))
    await conn.execute(month_bounded(table, month))
    await conn.execute(f"INSERT INTO {table} SELECT * FROM partition_rows")
    await conn.execute("DROP TABLE partition_rows")


async def ensure(conn: Connection, dialect: Dialect, months: Iterable[int],
                 tables: Iterable[str] = NAMES) -> None:
    """Make the partitions of `months` of `tables` that do not exist yet, before rows of
    those months are written in this transaction (`conn`). Writers of two processes make
    them one after the other (an advisory lock), the later one finding them made. When a
    partition cannot be made (its table stays busy past LOCK_TIMEOUT_MS), none of this
    call's are, the transaction goes on, and its rows wait in the DEFAULT partition."""
    if not dialect.month_partitions:
        return
    wanted = [(table, month) for table in tables for month in sorted(set(months))
              if is_month(month)]
    if not await missing(conn, wanted):
        return
    before = await conn.fetch_one("SELECT current_setting('lock_timeout') AS value")
    assert before is not None
    await conn.execute(f"SAVEPOINT {SAVEPOINT}")
    try:
        await conn.execute("SELECT pg_advisory_xact_lock(?)", (LOCK,))
        await conn.execute("SELECT set_config('lock_timeout', ?, true)", (f"{LOCK_TIMEOUT_MS}ms",))
        for table, month in await missing(conn, wanted):  # made meanwhile by another
            await create(conn, table, month)
        await conn.execute("SELECT set_config('lock_timeout', ?, true)", (before["value"],))
    except Exception as exc:  # noqa: BLE001  whatever stopped it, the rows are kept
        await conn.execute(f"ROLLBACK TO SAVEPOINT {SAVEPOINT}")
        log.warning("month partitions not made now, rows wait in the DEFAULT partitions: %s",
                    exc)
    await conn.execute(f"RELEASE SAVEPOINT {SAVEPOINT}")
