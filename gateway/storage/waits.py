"""How long work waits for a database connection: each backend times every wait for one
(the SQLite writer's lock and its readers, the PostgreSQL pool) and tells the hook it was
given, so that whoever serves metrics can count them; storage knows nothing of who
listens."""

from __future__ import annotations

from typing import Callable

READ, WRITE = "read", "write"  # a connection for reads, or for a write transaction

# (pool, seconds waited): called once per connection taken, waited for or not.
WaitHook = Callable[[str, float], None]


def ignore(pool: str, seconds: float) -> None:
    """The hook of a backend nobody listens to."""
