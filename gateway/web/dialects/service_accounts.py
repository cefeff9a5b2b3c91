"""Voximplant service accounts: a key with an RSA key pair, whose clients sign a short-lived
JWT instead of sending the key (docs/auth.md, "Service accounts").

`keys.create` with `service_account: true` answers the account's credentials file, the
vendor's JSON (`account_id`, `key_id`, `private_key`, `account_email`); the store keeps
only the public key. A request then sends `Authorization: Bearer <jwt>`: RS256, header
`kid` = the key id, claims `iss` = the account id (the key's tenant id, as an integer or
its digits), `iat` and `exp`, with 60 s of leeway on both and at most one hour between them.
"""

from __future__ import annotations

import datetime as dt
import re
from functools import partial
from typing import Any

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from gateway.core import clock
from gateway.core.credentials import IssuedKey, Proof, Scheme
from gateway.core.errors import AuthenticationFailed

NAME = "voximplant-jwt"
PUBLIC_KEY = "public_key"  # the key's stored attribute the signatures are checked with
OPTION = "service_account"  # keys.create's param, and the answer's field
ALGORITHM = "RS256"
KEY_BITS = 2048
LEEWAY_S = 60  # clock skew allowed on `iat` and `exp`
LONGEST_S = 3600  # the longest a token may live, from `iat` to `exp`
# A JWS in compact form: three base64url parts separated by dots (a key has one dot).
SHAPE = re.compile(r"[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+")


def credentials_file(key: IssuedKey) -> dict[str, Any]:
    """The answer's `service_account`, when `keys.create` was asked for one: the file the
    vendor's clients read. The public key is kept with the key."""
    if not key.order.options.get(OPTION):
        return {}
    private = rsa.generate_private_key(public_exponent=65537, key_size=KEY_BITS)
    key.keep(PUBLIC_KEY, private.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo).decode())
    pem = private.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                serialization.NoEncryption()).decode()
    return {OPTION: {"account_id": key.order.tenant_id, "key_id": key.key_id,
                     "private_key": pem,
                     "account_email": f"{key.order.tenant}@{key.order.host}"}}


def _number(claims: dict[str, Any], name: str) -> float:
    value = claims.get(name)
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise AuthenticationFailed(f"the token's {name} claim must be a number of seconds")
    return float(value)


def _account(value: Any) -> int:
    """`iss`: the account id, a JSON integer or a string of its digits."""
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    if isinstance(value, str) and value.isascii() and value.isdigit() and len(value) < 20:
        return int(value)
    raise AuthenticationFailed("the token's iss claim must be the account id")


def _signed(token: str, public_key: str) -> bool:
    """Whether the key's public key verifies the token's signature."""
    try:
        jwt.decode(token, public_key, algorithms=[ALGORITHM],
                   options={"verify_exp": False, "verify_iat": False, "verify_nbf": False,
                            "verify_aud": False, "verify_iss": False, "verify_sub": False,
                            "verify_jti": False})
    except (jwt.PyJWTError, ValueError):
        return False
    return True


def token(value: str) -> Proof | None:
    """A bearer JWT read into its proof (None when `value` is not of a JWT's shape). Its
    times are checked here, against the gateway's clock; its signature and issuer once
    the key is found, and its expiry (with the leeway) after that."""
    if not SHAPE.fullmatch(value):
        return None
    try:
        header = jwt.get_unverified_header(value)
        claims = jwt.decode(value, options={"verify_signature": False})
    except jwt.PyJWTError:
        raise AuthenticationFailed("the bearer token is not a valid JWT") from None
    if header.get("alg") != ALGORITHM:
        raise AuthenticationFailed(f"the token must be signed with {ALGORITHM}")
    key_id = header.get("kid")
    if not isinstance(key_id, str) or not key_id:
        raise AuthenticationFailed("the token names no key (kid)")
    account = _account(claims.get("iss"))
    issued, expires = _number(claims, "iat"), _number(claims, "exp")
    if issued > clock.now().timestamp() + LEEWAY_S:
        raise AuthenticationFailed("the token is issued in the future")
    if expires < issued:
        raise AuthenticationFailed("the token expires before it is issued")
    if expires - issued > LONGEST_S:
        raise AuthenticationFailed("the token lives longer than one hour")
    return Proof(NAME, key_id, partial(_signed, value), tenant_id=account,
                 expires_at=dt.datetime.fromtimestamp(expires + LEEWAY_S, dt.timezone.utc))


SCHEME = Scheme(NAME, stored=PUBLIC_KEY, token=token)
