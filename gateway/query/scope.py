"""The caller's scope inside a query: a tenant column within a subtree.

A subtree is every tenant whose materialised path starts with the caller's (spec README,
Tenancy). The root's subtree is every tenant, so for the root no condition is written.
"""

from __future__ import annotations

from gateway.query.sql import TRUE, Sql
from gateway.storage.tenants import ROOT_PATH


def tenant_within(column: str, scope: str) -> Sql:
    """`column` (a tenant id) lies in the subtree whose path is `scope`."""
    if scope == ROOT_PATH:
        return TRUE
    return Sql(f"{column} IN (SELECT id FROM tenants WHERE path LIKE ? || '%')", (scope,))
