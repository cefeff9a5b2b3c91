"""What records name, resolved against the store for one caller: tenants by name inside
the caller's scope, and the reference objects (`references.TABLES`) a record creates or
renames on the fly, owned by the tenant that names them first.

One ingest batch and one whole bulk load each keep a `Names`. A record's reference
objects are noted as it is read (`reference`) and written only once the record is
accepted (`take`), so a record refused later leaves no trace (`discard`).
"""

from __future__ import annotations

from typing import Any, Callable

from gateway.storage import references
from gateway.storage import tenants as tenant_store
from gateway.storage.backend import Connection
from gateway.storage.references import Change

# The exception refusing a record that names what it may not: (field path, table, id or
# tenant name) -> exception.
Refuse = Callable[[str, str, object], Exception]
_COLUMNS = {table: ("name", *extra) for table, extra in references.TABLES.items()}


class Names:
    def __init__(self, conn: Connection, tenant_id: int, scope: str, refuse: Refuse) -> None:
        self.conn = conn
        self.tenant_id = tenant_id  # the caller's own: a record that names none is its
        self.scope = scope
        self.refuse = refuse
        self._tenants: dict[str, int] = {}
        self._paths: dict[int, str] = {}
        # (table, id) -> (owner, values) as last taken, and as the current record names it
        self._taken: dict[tuple[str, int], tuple[int, tuple[Any, ...]]] = {}
        self._pending: dict[tuple[str, int], tuple[int, tuple[Any, ...]]] = {}
        # (table, id) -> the stored owner (None: not stored), as read ahead (`read_owners`)
        self._owners: dict[tuple[str, int], int | None] = {}

    async def tenant(self, name: str | None, path: str) -> int:
        """The id of the tenant called `name` inside the scope (None: the caller's)."""
        if name is None:
            return self.tenant_id
        found = self._tenants.get(name)
        if found is None:
            row = await tenant_store.by_name_in_scope(self.conn, name, self.scope)
            if row is None:
                raise self.refuse(path, "tenants", name)
            found = self._tenants[name] = int(row["id"])
            self._paths[found] = str(row["path"])
        return found

    async def in_scope(self, tenant_id: int) -> bool:
        if tenant_id not in self._paths:
            row = await tenant_store.by_id(self.conn, tenant_id)
            self._paths[tenant_id] = "" if row is None else str(row["path"])
        path = self._paths[tenant_id]
        return bool(path) and path.startswith(self.scope)

    async def read_owners(self, wanted: dict[str, set[int]]) -> None:
        """Read the owners of the reference objects a batch names (`{table: ids}`) in one
        query per table, before its records are read one by one."""
        for table, ids in wanted.items():
            ids = {i for i in ids if (table, i) not in self._owners}
            found = await references.owners(self.conn, table, sorted(ids))
            self._owners.update(((table, i), found.get(i)) for i in ids)

    async def owner(self, table: str, object_id: int) -> int | None:
        """The tenant owning `table(object_id)`, or None while it does not exist."""
        key = (table, object_id)
        taken = self._taken.get(key)
        if taken is not None:
            return taken[0]
        if key in self._owners:
            return self._owners[key]
        return await references.owner(self.conn, table, object_id)

    async def reference(self, table: str, ref: dict[str, Any] | None, tenant_id: int,
                        path: str, extra: tuple[Any, ...] = ()) -> int | None:
        """The id of a reference object a record carries (`extra`: the values of its
        table's other columns), noted for creation (owned by `tenant_id`) or renaming;
        refused when it belongs to a tenant outside the caller's subtree."""
        if ref is None:
            return None
        object_id = int(ref["id"])
        key = (table, object_id)
        values = (ref.get("name"), *extra)
        taken = self._taken.get(key)
        if taken is not None and taken[1] == values:
            return object_id  # as written already (its owner was checked then)
        owner = await self.owner(table, object_id)
        if owner is not None and not await self.in_scope(owner):
            raise self.refuse(f"{path}.id", table, object_id)
        self._pending[key] = (owner or tenant_id, values)
        return object_id

    def take(self) -> list[Change]:
        """The reference objects the current record creates or changes, for the caller to
        write (`references.upsert`); from now on they count as written."""
        if not self._pending:
            return []
        out = [(table, object_id, owner, dict(zip(_COLUMNS[table], values)))
               for (table, object_id), (owner, values) in self._pending.items()]
        self._taken.update(self._pending)
        self._pending.clear()
        return out

    def discard(self) -> None:
        """Forget what the current record named (it was refused)."""
        self._pending.clear()
