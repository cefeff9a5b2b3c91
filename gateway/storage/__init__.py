"""Storage: the backend chosen by the database URL, and the SQL of each kind of record."""

from __future__ import annotations

from gateway.storage.backend import Backend, Connection, DatabaseUnavailable, Row, WriteConflict
from gateway.storage.postgresql import PostgreSQLBackend
from gateway.storage.sqlite import SQLiteBackend
from gateway.storage.waits import WaitHook, ignore


class UnsupportedDatabase(ValueError):
    """The database URL names an engine this build cannot open."""


def backend_for(url: str, waited: WaitHook = ignore) -> Backend:
    """The backend for a database URL; `waited` is told each wait for a connection."""
    if url.startswith("sqlite:///"):
        return SQLiteBackend(url.removeprefix("sqlite:///"), waited)
    if url.startswith(("postgresql://", "postgres://")):
        return PostgreSQLBackend(url, waited)
    raise UnsupportedDatabase(f"unsupported database URL scheme: {url.split(':', 1)[0]}")


__all__ = ["Backend", "Connection", "DatabaseUnavailable", "Row", "UnsupportedDatabase",
           "WriteConflict", "backend_for"]
