"""The PostgreSQL half of the suite itself (tests/pg_cluster.py, the `engine` fixture): each
test gets a database of its own, already migrated, that the gateway's backend opens and
that is dropped after the test."""

from __future__ import annotations

from pathlib import Path

from conftest import database_url
from pg_cluster import Databases, with_database

from gateway.core.config import Config
from gateway.storage import backend_for, migrations


async def test_a_new_database_is_migrated_and_opens_with_nothing_pending(
        postgres: Databases) -> None:
    assert postgres.template_error is None, f"the PostgreSQL migrations fail: " \
                                            f"{postgres.template_error}"
    name = postgres.create()
    try:
        backend = backend_for(postgres.dsn(name))
        await backend.open()
        try:
            applied = await backend.fetch_all(
                f"SELECT version FROM {migrations.TABLE} ORDER BY version")
            # every migration, applied once to the template rather than by each test
            assert [r["version"] for r in applied] == [
                v for v, _ in migrations.migration_files("postgresql")]
        finally:
            await backend.close()
    finally:
        postgres.drop(name)
    postgres.settle()
    assert not postgres.exists(name)


def test_databases_are_new_and_distinct(postgres: Databases) -> None:
    first, second = postgres.create(), postgres.create()
    try:
        assert first != second
        assert first.startswith("gw_") and postgres.exists(first) and postgres.exists(second)
    finally:
        postgres.drop(first)
        postgres.drop(second)
    postgres.settle()
    assert not postgres.exists(first) and not postgres.exists(second)


def test_the_config_names_this_tests_database(engine: str, config: Config,
                                              tmp_path: Path) -> None:
    assert config.database == database_url(tmp_path)
    if engine == "sqlite":
        assert config.database == f"sqlite:///{tmp_path}/gateway.db"
    else:
        assert config.database.startswith("postgresql://")
        assert "/gw_" in config.database


def test_with_database_keeps_the_server_credentials_and_options() -> None:
    assert with_database("postgresql://u:p@h:5433/postgres?sslmode=disable", "gw_x") == \
        "postgresql://u:p@h:5433/gw_x?sslmode=disable"
    assert with_database("postgresql://u@h", "gw_x") == "postgresql://u@h/gw_x"
