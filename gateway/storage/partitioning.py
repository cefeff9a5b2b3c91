"""Migration 0015 on PostgreSQL: each large table made again as a table partitioned by
month (partitions.py), keeping every row, index and foreign key to a small table.

Per table, in one transaction with the rest of the migration: a partitioned table like it
(same columns, defaults and identity), its DEFAULT partition and one partition per month
present in the store (and the current and the next month), the rows copied into it, the
old table dropped and the new one named after it, then its indexes and constraints as
they were, except:

- a primary key is made of what it held, the tenant and the partition key
  (`Large.primary`);
- the foreign keys between large tables are dropped: a distributed table may not have
  them unless they hold the distribution column, and what their cascades did, the code
  does (`imports.delete_sessions`).

A table already partitioned is left as it is, so the step may run again after a later
migration made one of the tables afresh.
"""

from __future__ import annotations

from gateway.core import clock
from gateway.storage import partitions
from gateway.storage.backend import Connection
from gateway.storage.partitions import BY_NAME, LARGE, NAMES

_MONTHS = ("SELECT DISTINCT setup_month AS month FROM sessions UNION "
           "SELECT DISTINCT CAST(to_char(to_timestamp(requested) AT TIME ZONE 'UTC', 'YYYYMM') "
           "AS INTEGER) FROM audit_log")


async def _partitioned(conn: Connection, table: str) -> bool:
    return await conn.fetch_one("SELECT 1 AS found FROM pg_partitioned_table "
                                "WHERE partrelid = to_regclass(?)", (table,)) is not None


async def months_present(conn: Connection) -> list[int]:
    """The months of the stored sessions and audit entries, and the current and the next
    month (made ahead of their rows)."""
    now = partitions.month_of(int(clock.now().timestamp()))
    found = {int(r["month"]) for r in await conn.fetch_all(_MONTHS)}
    return sorted(m for m in found | {now, partitions.next_month(now)} if partitions.is_month(m))


async def drop_large_references(conn: Connection) -> None:
    """The foreign keys from a large table to another (legs, recordings, resource usage
    and leg paths to their session)."""
    for row in await conn.fetch_all(
            "SELECT conrelid::regclass::text AS tab, conname FROM pg_constraint "
            "WHERE contype = 'f' AND conrelid::regclass::text = ANY(CAST(? AS TEXT[])) "
            "AND confrelid::regclass::text = ANY(CAST(? AS TEXT[])) ORDER BY 1, 2",
            (list(NAMES), list(NAMES))):
        table = BY_NAME[str(row["tab"])].name  # the name as the allow-list spells it
        await conn.execute(f'ALTER TABLE {table} DROP CONSTRAINT "{row["conname"]}"')


async def _identity(conn: Connection, table: str) -> str | None:
    """The sequence of a table's identity column `id`, if it has one."""
    row = await conn.fetch_one(
        "SELECT pg_get_serial_sequence(?, 'id') AS seq FROM information_schema.columns "
        "WHERE table_schema = current_schema() AND table_name = ? AND column_name = 'id' "
        "AND is_identity = 'YES'", (table, table))
    return None if row is None else str(row["seq"])


async def partition_table(conn: Connection, table: str, months: list[int]) -> None:
    spec = BY_NAME[table]
    new = f"{spec.name}_partitioned"
    indexes = await conn.fetch_all(
        "SELECT i.indexrelid::regclass::text AS name, pg_get_indexdef(i.indexrelid) AS def, "
        "i.indisprimary AS is_primary FROM pg_index i WHERE i.indrelid = to_regclass(?) "
        "ORDER BY 1", (table,))
    references = await conn.fetch_all(
        "SELECT conname, pg_get_constraintdef(oid) AS def FROM pg_constraint "
        "WHERE conrelid = to_regclass(?) AND contype = 'f' ORDER BY 1", (table,))
    sequence = await _identity(conn, table)
    last = None
    if sequence is not None:
        row = await conn.fetch_one("SELECT pg_sequence_last_value(CAST(? AS regclass)) AS v",
                                   (sequence,))
        last = None if row is None else row["v"]
    await conn.execute(f"CREATE TABLE {new} (LIKE {spec.name} INCLUDING DEFAULTS "
                       "INCLUDING IDENTITY INCLUDING GENERATED INCLUDING STORAGE) "
                       f"PARTITION BY RANGE ({spec.key})")
    await conn.execute(f"CREATE TABLE {partitions.default(table)} PARTITION OF {new} DEFAULT")
    for month in months:
        await conn.execute(partitions.month_bounded(table, month, new))
    await conn.execute(f"INSERT INTO {new} SELECT * FROM {spec.name}")
    await conn.execute(f"DROP TABLE {spec.name}")
    await conn.execute(f"ALTER TABLE {new} RENAME TO {spec.name}")
    if sequence is not None:
        await conn.execute(f"ALTER SEQUENCE {new}_id_seq RENAME TO {spec.name}_id_seq")
        await conn.execute("SELECT setval(pg_get_serial_sequence(?, 'id'), "
                           "GREATEST(COALESCE(CAST(? AS BIGINT), 0), COALESCE(MAX(id), 0), 1), "
                           "COALESCE(CAST(? AS BIGINT), 0) > 0 OR COUNT(*) > 0) "
                           f"FROM {spec.name}", (spec.name, last, last))
    await _keys(conn, spec, indexes, references)


async def _keys(conn: Connection, spec: partitions.Large, indexes: list[dict[str, object]],
                references: list[dict[str, object]]) -> None:
    """A partitioned table's primary key, indexes and foreign keys, as the table had them
    (each statement as the catalog wrote it) but for the primary key."""
    if spec.primary is not None:
        await conn.execute(f"ALTER TABLE {spec.name} ADD CONSTRAINT {spec.name}_pkey "
                           f"PRIMARY KEY ({', '.join(spec.primary)})")
    for index in indexes:
        if not index["is_primary"]:  # the new primary key leads with what the old one held
            await conn.execute(str(index["def"]))
    for reference in references:
        await conn.execute(f'ALTER TABLE {spec.name} ADD CONSTRAINT "{reference["conname"]}" '
                           f'{reference["def"]}')


async def partition_large_tables(conn: Connection) -> None:
    """The step of migration 0015 on PostgreSQL."""
    await drop_large_references(conn)
    months = await months_present(conn)
    for spec in LARGE:
        if not await _partitioned(conn, spec.name):
            await partition_table(conn, spec.name, months)
