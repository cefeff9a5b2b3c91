"""Schema migrations: numbered SQL files per engine, applied in order, each once."""

from __future__ import annotations

from importlib import resources

from gateway.storage.backend import Connection

TABLE = "schema_migrations"


def migration_files(engine: str) -> list[tuple[str, str]]:
    """(version, sql) pairs for an engine, in version order."""
    folder = resources.files("gateway.storage").joinpath("migrations", engine)
    files = sorted((f for f in folder.iterdir() if f.name.endswith(".sql")), key=lambda f: f.name)
    return [(f.name.removesuffix(".sql"), f.read_text(encoding="utf-8")) for f in files]


def statements(sql: str) -> list[str]:
    """Split a migration file into statements. Migrations hold no `;` inside literals or
    comments; comment lines are dropped."""
    lines = [line for line in sql.splitlines() if not line.lstrip().startswith("--")]
    return [s.strip() for s in "\n".join(lines).split(";") if s.strip()]


async def pending(conn: Connection, engine: str) -> list[tuple[str, str]]:
    await conn.execute(f"CREATE TABLE IF NOT EXISTS {TABLE} "
                       "(version TEXT PRIMARY KEY, applied_at TEXT NOT NULL)")
    done = {row["version"] for row in await conn.fetch_all(f"SELECT version FROM {TABLE}")}
    return [(v, sql) for v, sql in migration_files(engine) if v not in done]
