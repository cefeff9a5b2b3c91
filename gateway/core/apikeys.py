"""API keys: their form, their hashes, and the caller a key makes.

A key reads `<key_id>.<secret>`. The key id is public; the secret is random (192 bits),
so a salted SHA-256 is enough to store it (a slow password hash would only slow every
request down) and it is compared in constant time (gateway/web/auth.py).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from dataclasses import dataclass

from gateway.core import clock

UNLIMITED = 0  # stored rate limit meaning "no limit"; NULL means the configured default


@dataclass(frozen=True)
class Caller:
    """The authenticated caller: its key, role and scope (its tenant's subtree)."""

    key_id: str
    role: str
    tenant_id: int
    tenant: str
    scope: str
    rate_limit: int | None
    ip: str


@dataclass(frozen=True)
class NewKey:
    key_id: str
    secret: str
    salt: str
    secret_hash: str

    @property
    def plain(self) -> str:
        return f"{self.key_id}.{self.secret}"


def hash_secret(salt: str, secret: str) -> str:
    return hashlib.sha256(f"{salt}:{secret}".encode()).hexdigest()


def new_key() -> NewKey:
    key_id, secret, salt = secrets.token_hex(8), secrets.token_urlsafe(24), secrets.token_hex(8)
    return NewKey(key_id, secret, salt, hash_secret(salt, secret))


def expiry_text(value: dt.datetime | None) -> str | None:
    return clock.to_text(value) if value is not None else None
