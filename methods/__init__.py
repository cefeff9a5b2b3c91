"""Method families. Each module exports `METHODS`, a plain mapping of name to method;
`all_methods` merges them explicitly."""

from __future__ import annotations

from methods import active_sessions, aggregate, history, ingest, keys, service, tenants, video
from methods.context import RpcMethod


def all_methods() -> dict[str, RpcMethod]:
    merged: dict[str, RpcMethod] = {}
    for family in (service.METHODS, keys.METHODS, tenants.METHODS, ingest.METHODS,
                   active_sessions.METHODS, aggregate.METHODS, history.METHODS,
                   video.METHODS):
        clash = merged.keys() & family.keys()
        assert not clash, f"method names defined twice: {sorted(clash)}"
        merged.update(family)
    return merged
