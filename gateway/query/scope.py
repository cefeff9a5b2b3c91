"""The caller's scope inside a query (docs/tenancy.md).

A subtree is every tenant whose materialised path starts with the caller's. The root's
subtree is every tenant, so for the root no condition is written. One rule decides which
sessions a caller sees: a session is visible when any of its legs has its tenant in the
caller's scope. A leg outside the scope keeps its session visible, but its commercial
values are written as NULL (`shown`).
"""

from __future__ import annotations

from typing import Sequence

from gateway.storage import leg_paths
from gateway.storage.sessions import SESSION, SessionKey
from gateway.storage.sql import FALSE, TRUE, Sql, one_of, when
from gateway.storage.tenants import ROOT_PATH


def tenant_within(column: str, scope: str) -> Sql:
    """`column` (a tenant id) lies in the subtree whose path is `scope`."""
    if scope == ROOT_PATH:
        return TRUE
    return Sql(f"{column} IN (SELECT id FROM tenants WHERE path LIKE ? || '%')", (scope,))


def tenant_among(column: str, tenant_ids: Sequence[int]) -> Sql:
    """`column` is one of `tenant_ids` (none: nothing matches)."""
    return one_of(Sql(column), list(tenant_ids)) if tenant_ids else FALSE


def any_leg(session: SessionKey, condition: Sql) -> Sql:
    """Some leg `x` of the session `session` meets `condition` (on `x.tenant_id`)."""
    if condition is TRUE:
        return TRUE  # every session has a leg
    return Sql(f"EXISTS (SELECT 1 FROM legs x WHERE {session.rows('x')} "
               f"AND {condition.text})", condition.params)


def session_visible(scope: str, session: SessionKey = SESSION) -> Sql:
    """The session (by default the session `s`) has a leg in the subtree `scope`."""
    return any_leg(session, tenant_within("x.tenant_id", scope))


def paths_within(paths: str, scope: str) -> Sql:
    """A `leg_paths` text (storage/leg_paths.py) holds a tenant of the subtree `scope`."""
    if scope == ROOT_PATH:
        return TRUE
    return Sql(f"{paths} LIKE ?", (leg_paths.pattern(scope),))


def shown(tenant: str, scope: str, expr: Sql) -> Sql:
    """`expr` where the tenant `tenant` is in the subtree `scope`, else NULL."""
    return when(tenant_within(tenant, scope), expr)
