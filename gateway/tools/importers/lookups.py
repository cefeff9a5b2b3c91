"""What the command line's names refer to in the store: the tenant, the equipment and
the code deck, checked before any line is read."""

from __future__ import annotations

from typing import Any

from gateway.storage import code_decks, references
from gateway.storage import tenants as tenant_store
from gateway.tools.importers.ids import derived_id
from methods.context import Context


class NotInStore(LookupError):
    """A name given on the command line that the store does not know."""


async def tenant(context: Context, name: str | None) -> tuple[int, str]:
    """The owning tenant's id and name (default the caller's, i.e. root)."""
    caller = context.caller
    if name is None:
        return caller.tenant_id, caller.tenant
    row = await tenant_store.by_name_in_scope(context.db, name, caller.scope)
    if row is None:
        raise NotInStore(f"unknown tenant {name!r}")
    return int(row["id"]), str(row["name"])


async def equipment(context: Context, tenant_id: int, owner: str,
                    name: str) -> dict[str, Any]:
    """`{id, name}` of the tenant's equipment called `name`; a new one's id is derived from
    tenant and name, so that every import of the same switch names the same row."""
    derived = derived_id("equipment", owner, name)
    ids = await references.ids_named(context.db, "equipment", tenant_id, name)
    found = derived if derived in ids or not ids else ids[0]
    return {"id": found, "name": name}


async def check_code_deck(context: Context, deck_id: int) -> None:
    if await code_decks.get(context.db, deck_id) is None:
        raise NotInStore(f"unknown code deck {deck_id}")
