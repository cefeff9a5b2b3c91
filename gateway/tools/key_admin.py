"""`gateway keys create`, `keys list` and `keys revoke`: the `keys.create`, `keys.list` and
`keys.revoke` handlers, called as the root tenant's admin, so that they make, see and change
exactly what the API methods do."""

from __future__ import annotations

import asyncio
import json
import os
from typing import Any, TextIO

from gateway.core import clock
from gateway.core.config import Config
from gateway.core.errors import InvalidParams, NotFound
from gateway.tools.commands import as_root, call, call_as_root
from methods.context import Context
from methods.paging import MAX_COUNT, MAX_OFFSET

COLUMNS = ("key_id", "tenant", "role", "state", "created_at", "last_used_at")
HEADINGS = ("KEY ID", "TENANT", "ROLE", "STATE", "CREATED", "LAST USED")


def state(key: dict[str, Any], now: int) -> str:
    """`active`, `revoked <when>` or `expired <when>`."""
    if key["revoked_at"] is not None:
        return f"revoked {key['revoked_at']}"
    if key["expires_at"] is not None and clock.parse_rfc3339(key["expires_at"]) <= now:
        return f"expired {key['expires_at']}"
    return "active"


async def listed(context: Context, tenant: str | None) -> list[dict[str, Any]]:
    """Every key of the subtree (or of `tenant`), page by page, as `keys.list` orders them."""
    params: dict[str, Any] = {"count": MAX_COUNT}
    if tenant is not None:
        params["tenant"] = tenant
    keys: list[dict[str, Any]] = []
    while True:
        page = await call(context, "keys.list", {**params, "offset": len(keys)})
        keys += page["result"]
        if (not page["result"] or len(keys) >= page["total_count"]
                or len(keys) > MAX_OFFSET):
            return keys


def table(keys: list[dict[str, Any]]) -> list[str]:
    """A heading and one line per key, in aligned columns."""
    now = int(clock.now().timestamp())
    rows = [HEADINGS] + [tuple(state(k, now) if c == "state" else str(k[c] or "-")
                               for c in COLUMNS) for k in keys]
    widths = [max(len(row[i]) for row in rows) for i in range(len(COLUMNS))]
    return ["  ".join(value.ljust(width) for value, width in zip(row, widths)).rstrip()
            for row in rows]


def list_keys(config: Config, tenant: str | None, out: TextIO) -> int:
    """`gateway keys list [--tenant NAME]`: every key, revoked and expired ones included."""
    keys = asyncio.run(as_root(config, lambda context: listed(context, tenant)))
    for line in table(keys):
        print(line, file=out)
    return 0


def revoke_key(config: Config, key_id: str, out: TextIO) -> int:
    """`gateway keys revoke KEY_ID`: the key is refused from then on."""
    try:
        asyncio.run(call_as_root(config, "keys.revoke", {"key_id": key_id}))
    except NotFound as exc:  # named as the command line names it
        raise InvalidParams({"key_id": exc.detail}) from None
    print(f"key {key_id} revoked", file=out)
    return 0


def _private_file(path: str) -> TextIO:
    """`path` opened for writing, readable and writable by its owner alone."""
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    os.fchmod(descriptor, 0o600)  # a file that was there keeps its mode otherwise
    return os.fdopen(descriptor, "w", encoding="utf-8")


def _rate_limit(text: str | None) -> Any:
    if text is None or text == "unlimited":
        return text
    return int(text) if text.isdigit() else text


def create_key(config: Config, tenant: str, role: str, out: TextIO, *,
               ip_allow: list[str] | None, expires_at: str | None, rate_limit: str | None,
               service_account: str | None) -> int:
    """`gateway keys create`: prints the key id, what the credential schemes add (a MOR
    secret; docs/auth.md) and, last, the key; a service account's file is written to
    `service_account`, readable by its owner alone."""
    params = {"tenant": tenant, "role": role, "ip_allow": ip_allow, "expires_at": expires_at,
              "rate_limit": _rate_limit(rate_limit),
              "service_account": service_account is not None or None}
    # opened first: a file that cannot be written stops the command before a key is made
    account_file = _private_file(service_account) if service_account else None
    made = asyncio.run(call_as_root(
        config, "keys.create", {k: v for k, v in params.items() if v is not None}))
    print(f"key_id: {made['key_id']} (tenant {tenant}, role {role})", file=out)
    if account_file is not None:
        with account_file:
            json.dump(made.pop("service_account"), account_file, indent=2)
            account_file.write("\n")
        print(f"service_account: written to {service_account}", file=out)
    for name, value in made.items():
        if name not in ("key_id", "key"):
            print(f"{name}: {value}", file=out)
    print(made["key"], file=out)
    return 0
