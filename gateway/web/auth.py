"""Who a request's credential says the caller is: the key sent (`credential`) checked
against its stored hash (`gateway.core.apikeys`), or a proof of the key under a
registered credential scheme (`gateway.core.credentials`)."""

from __future__ import annotations

import hmac
import time
from typing import Mapping

from gateway.core import clock, roles
from gateway.core.addresses import in_networks, networks
from gateway.core.apikeys import UNLIMITED, Caller, hash_secret
from gateway.core.credentials import Credential, Issued, KeyOrder, NamedKey, Proof, Registry
from gateway.core.errors import AuthenticationFailed
from gateway.storage import Backend, Row
from gateway.storage import keys as key_store
from gateway.storage import tenants as tenant_store

TOUCH_EVERY_S = 60  # write `last_used_at` at most once a minute per key and process
# A key's stored row is reused for this long, so that a call costs no database round trip.
# A revocation through this process applies at once; one made by another process (a CLI
# command, another worker) applies at once where the backend announces it (PostgreSQL's
# LISTEN/NOTIFY, `follow`), else within this many seconds.
KEY_CACHE_S = 2.0


class WrongProof(AuthenticationFailed):
    """The key exists, but the request's proof under a credential scheme is wrong."""


class KeyExpired(AuthenticationFailed):
    """The key is right, but past its expiry (a dialect may answer it apart)."""


def root_admin(key_id: str, ip: str) -> Caller:
    """The root tenant's admin, as local tools (the command line, tests) act."""
    return Caller(key_id=key_id, role=roles.ADMIN, tenant_id=tenant_store.ROOT_ID,
                  tenant=tenant_store.ROOT, scope=tenant_store.ROOT_PATH,
                  rate_limit=UNLIMITED, ip=ip)


def credential(headers: Mapping[str, str]) -> str | None:
    """The key sent as `X-Api-Key` or `Authorization: Bearer`."""
    if key := headers.get("X-Api-Key"):
        return key.strip()
    scheme, _, value = headers.get("Authorization", "").partition(" ")
    if scheme.lower() == "bearer" and value.strip():
        return value.strip()
    return None


def credential_or_token(headers: Mapping[str, str], registry: Registry) -> Credential:
    """The key sent as `credential` reads it, or a bearer token of a registered scheme's
    shape (a service account's JWT) read into its proof."""
    sent = credential(headers)
    if sent and not headers.get("X-Api-Key") and (proof := registry.token(sent)) is not None:
        return proof
    return sent


class Authenticator:
    """Turns a credential and a client IP into a `Caller`, or raises `AuthenticationFailed`.

    A plain key is checked against its stored hash; a `Proof` against the key's secret
    under the proof's scheme, which `registry` derives from `server_key` (or against what
    the scheme's `stored` names in the key's row: a service account's public key).
    """

    def __init__(self, db: Backend, server_key: str, registry: Registry) -> None:
        self.db = db
        self.server_key = server_key
        self.registry = registry
        self._touched: dict[str, float] = {}
        self._rows: dict[str, tuple[float, Row]] = {}

    def forget(self, key_id: str) -> None:
        """Drop a cached key (after it changed, e.g. was revoked)."""
        self._rows.pop(key_id, None)

    async def follow(self) -> bool:
        """Forget each key another process announces as changed; False where the backend
        announces nothing (the cache's bound then applies)."""
        return await self.db.listen(key_store.CHANGED, self.forget)

    def issued(self, order: KeyOrder) -> Issued:
        """What the registered key-issuing hooks make of a new key: the fields they add to
        its answer, and the attributes they keep with it."""
        return self.registry.issue(self.server_key, order)

    async def _row(self, key_id: str) -> Row | None:
        moment = time.monotonic()
        cached = self._rows.get(key_id)
        if cached is not None and moment - cached[0] < KEY_CACHE_S:
            return cached[1]
        row = await key_store.by_id(self.db, key_id)
        if row is None:
            self._rows.pop(key_id, None)
        else:
            if len(self._rows) > 10_000:  # bound the cache; it refills on demand
                self._rows.clear()
            self._rows[key_id] = (moment, row)
        return row

    async def authenticate(self, credential: Credential, ip: str) -> Caller:
        if isinstance(credential, Proof):
            return await self._proven(credential, ip)
        tenant_id = credential.tenant_id if isinstance(credential, NamedKey) else None
        key = credential.key if isinstance(credential, NamedKey) else credential
        if not key:
            raise AuthenticationFailed("no API key was sent")
        key_id, dot, secret = key.partition(".")
        row = await self._row(key_id) if dot and secret else None
        if row is None or not hmac.compare_digest(
                row["secret_hash"], hash_secret(row["salt"], secret)):
            raise AuthenticationFailed("unknown API key")
        if tenant_id is not None and tenant_id != row["tenant_id"]:
            raise AuthenticationFailed("account_id is not the key's account")
        return await self._admit(key_id, row, ip)

    async def _proven(self, proof: Proof, ip: str) -> Caller:
        """The caller of a key named by its id alone, whose request proves the key under a
        registered scheme. Raises `WrongProof` when the key exists but the proof is wrong,
        `KeyExpired` when the proof has lapsed (a token), else the same refusals as a plain
        key, in the same order (the proof takes the secret's place)."""
        row = await self._row(proof.key_id) if proof.key_id else None
        if row is None:
            raise AuthenticationFailed("unknown API key")
        stored = self.registry.stored(proof.scheme)
        secret = (row[stored] if stored is not None
                  else self.registry.secret(proof.scheme, self.server_key, proof.key_id))
        if not secret or not proof.holds(secret):
            raise WrongProof("the request's proof of the key is wrong")
        if proof.tenant_id is not None and proof.tenant_id != row["tenant_id"]:
            raise WrongProof("the token's issuer is not the key's account")
        if proof.expires_at is not None and proof.expires_at <= clock.now():
            raise KeyExpired("the token has expired")
        return await self._admit(proof.key_id, row, ip)

    async def _admit(self, key_id: str, row: Row, ip: str) -> Caller:
        """The caller of a key whose secret is proven, unless the key may not be used."""
        if row["revoked_at"] is not None:
            raise AuthenticationFailed("the API key was revoked")
        if row["expires_at"] is not None and clock.from_text(row["expires_at"]) <= clock.now():
            raise KeyExpired("the API key has expired")
        allow = row["ip_allow"].split()
        if allow and not in_networks(ip, networks(allow)):
            raise AuthenticationFailed(f"IP {ip} is not allowed")
        await self._touch(key_id)
        return Caller(key_id=key_id, role=row["role"], tenant_id=row["tenant_id"],
                      tenant=row["tenant"], scope=row["tenant_path"],
                      rate_limit=row["rate_limit"], ip=ip)

    async def _touch(self, key_id: str) -> None:
        moment = time.monotonic()
        if moment - self._touched.get(key_id, -TOUCH_EVERY_S) < TOUCH_EVERY_S:
            return
        self._touched[key_id] = moment
        await key_store.touch(self.db, key_id, clock.to_text(clock.now()))
