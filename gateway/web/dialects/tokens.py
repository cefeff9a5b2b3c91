"""EnableX's access tokens (docs/auth.md, "EnableX tokens"): what `POST /ucaas/v1/login`
issues for a key, and how a video route reads one back.

A token is `<key id>-<expiry, Unix seconds>-<signature>`, the signature an HMAC-SHA-256 of
the key id and expiry under the key's token secret, itself derived from the server key and
the key id (as MOR's secret is). So no table holds tokens, every process that shares the
server key accepts them, and a token is only as good as its key: the authenticator checks
the key's revocation, expiry, IP allow-list and role on every request.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import re

from gateway.core import clock
from gateway.core.credentials import Proof, Scheme

SCHEME = "enablex-token"  # the credential scheme of a token
LIFETIME_S = 900  # 15 minutes (docs/auth.md; the vendor states both 15 and 20 minutes)
TOKEN_TYPE = "Token"  # as the token is sent: `Authorization: Token <token>`
# A key id, a whole number of seconds, 64 hex digits: never the shape of a key
# (`<key id>.<secret>`), nor of a JWT (three parts separated by dots).
SHAPE = re.compile(r"([A-Za-z0-9_]{1,64})-([0-9]{1,12})-([0-9a-f]{64})")


def token_secret(server_key: str, key_id: str) -> str:
    """The key's secret for signing tokens; derived, never stored."""
    return hmac.new(server_key.encode(), f"{SCHEME}:{key_id}".encode(),
                    hashlib.sha256).hexdigest()


def _signature(secret: str, key_id: str, expiry: int) -> str:
    return hmac.new(secret.encode(), f"{key_id}-{expiry}".encode(), hashlib.sha256).hexdigest()


def issue(server_key: str, key_id: str, expires_at: dt.datetime | None = None) -> str:
    """A token for the key, good until `expires_at` (by default `LIFETIME_S` from now)."""
    if expires_at is None:
        expires_at = clock.now() + dt.timedelta(seconds=LIFETIME_S)
    expiry = int(expires_at.timestamp())
    return f"{key_id}-{expiry}-{_signature(token_secret(server_key, key_id), key_id, expiry)}"


def proof(text: str) -> Proof | None:
    """The proof a token makes of its key (its signature, checked under the scheme, and its
    expiry), or None when the text does not have a token's shape."""
    match = SHAPE.fullmatch(text)
    if match is None:
        return None
    key_id, expiry, given = match[1], int(match[2]), match[3]
    return Proof(SCHEME, key_id,
                 lambda secret: hmac.compare_digest(_signature(secret, key_id, expiry), given),
                 expires_at=dt.datetime.fromtimestamp(expiry, clock.UTC))


TOKEN_SCHEME = Scheme(SCHEME, token_secret)
