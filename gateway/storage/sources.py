"""Where a record kind's rows come from: its base table and the joins its attributes may
need, and a condition with the joins it needs. Storage declares them (`attributes`); the
query layer writes them into SELECTs (gateway/query/select.py)."""

from __future__ import annotations

from dataclasses import dataclass

from gateway.storage.sql import Sql, join


@dataclass(frozen=True)
class Join:
    """A join a column may need; written only when a selected or filtered column needs it."""

    name: str
    sql: Sql
    needs: tuple[str, ...] = ()


@dataclass(frozen=True)
class Source:
    """FROM: a base table (with alias) and the joins columns may ask for, in join order."""

    base: str
    joins: tuple[Join, ...] = ()

    def from_clause(self, needed: set[str]) -> Sql:
        wanted = set()
        pending = list(needed)
        by_name = {j.name: j for j in self.joins}
        while pending:
            name = pending.pop()
            if name not in wanted:
                wanted.add(name)
                pending.extend(by_name[name].needs)
        return join([Sql(self.base)] + [j.sql for j in self.joins if j.name in wanted], " ")


@dataclass(frozen=True)
class Filter:
    """A condition and the joins it needs."""

    sql: Sql
    needs: tuple[str, ...] = ()
