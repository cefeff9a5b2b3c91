"""Storage: the backend chosen by the database URL, and the SQL of each kind of record."""

from __future__ import annotations

from gateway.storage.backend import Backend, Connection, Row


class UnsupportedDatabase(ValueError):
    """The database URL names an engine this build cannot open."""


def backend_for(url: str) -> Backend:
    """The backend for a database URL; its driver is imported only here, when used."""
    if url.startswith("sqlite:///"):
        from gateway.storage.sqlite import SQLiteBackend

        return SQLiteBackend(url.removeprefix("sqlite:///"))
    if url.startswith(("postgresql://", "postgres://")):
        from gateway.storage.postgresql import PostgreSQLBackend

        return PostgreSQLBackend(url)
    raise UnsupportedDatabase(f"unsupported database URL scheme: {url.split(':', 1)[0]}")


__all__ = ["Backend", "Connection", "Row", "UnsupportedDatabase", "backend_for"]
