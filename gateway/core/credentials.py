"""Credential schemes beyond the plain key, and what a new key's answer tells of them.

Some vendors' clients never send a key's secret: they sign each request with a secret of
their own (MOR's `hash`). A dialect declares such a scheme as a `Scheme`: the key's secret
under it is derived from the server key and the key id, so it is never stored. A dialect may
also declare a key-issuing hook, which adds fields to `keys.create`'s answer, the one time a
key's secrets are shown (docs/auth.md, "Credentials by route").

A scheme may instead check a proof against something stored with the key (`stored`: a
service account's public key, which a key-issuing hook asked to `keep`), and may read a
bearer token of its own shape into a proof (`token`: a signed JWT rather than a key).

The app factory registers each dialect's schemes and hooks in a `Registry` and hands it to
the authenticator, which knows no scheme by name.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any, Callable, Mapping

# (server key, key id) -> the key's secret under a scheme
Derive = Callable[[str, str], str]


@dataclass(frozen=True)
class Proof:
    """A request's credential under a registered scheme: the key's id, and whether the
    request holds up against the key's secret under that scheme (`holds(secret)`, which
    should compare in constant time). A proof that lapses (a token) says when, in
    `expires_at`: once its proof holds, a lapsed one is refused as an expired key."""

    scheme: str
    key_id: str
    holds: Callable[[str], bool]
    expires_at: dt.datetime | None = None
    # the tenant the request names, when it names one: it must be the key's
    tenant_id: int | None = None


# A bearer token -> its proof under a scheme, or None when the token is not of the
# scheme's shape (an AuthenticationFailed when it is, but cannot be used).
TokenReader = Callable[[str], Proof | None]


@dataclass(frozen=True)
class Scheme:
    """A way for a request to prove a key without carrying its secret: the key's secret
    under it is derived (`derive`), or is the key's stored attribute named `stored`."""

    name: str
    derive: Derive | None = None
    stored: str | None = None
    token: TokenReader | None = None


@dataclass(frozen=True)
class NamedKey:
    """A plain key sent with the id of the tenant it should belong to."""

    key: str
    tenant_id: int


# What a request presents: a plain key (`<key_id>.<secret>`), one naming its tenant, a
# proof, or nothing.
Credential = str | NamedKey | Proof | None


@dataclass(frozen=True)
class KeyOrder:
    """A key being made, as `keys.create` describes it to the hooks: its id, its tenant,
    the host it is served as, and the method's params (`options`)."""

    key_id: str
    tenant_id: int = 0
    tenant: str = ""
    host: str = ""
    options: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class IssuedKey:
    """A key just made, as a key-issuing hook sees it: its id, and its secret under any
    registered scheme (`secret(scheme_name)`), and its order; `keep(name, value)` stores a
    public attribute with the key (what a scheme's `stored` names)."""

    key_id: str
    secret: Callable[[str], str]
    order: KeyOrder = KeyOrder("")
    keep: Callable[[str, str], None] = lambda name, value: None


@dataclass(frozen=True)
class Issued:
    """What the hooks made of a new key: the fields of its answer, and the attributes to
    store with it."""

    fields: dict[str, Any]
    kept: dict[str, str]


# A key-issuing hook: the fields it adds to `keys.create`'s answer for a new key.
KeyHook = Callable[[IssuedKey], Mapping[str, Any]]


class Registry:
    """The credential schemes and key-issuing hooks the app's dialects registered."""

    def __init__(self) -> None:
        self._schemes: dict[str, Scheme] = {}
        self._hooks: list[KeyHook] = []

    def add_scheme(self, scheme: Scheme) -> None:
        if scheme.name in self._schemes:
            raise ValueError(f"the credential scheme {scheme.name!r} is registered twice")
        self._schemes[scheme.name] = scheme

    def add_key_hook(self, hook: KeyHook) -> None:
        self._hooks.append(hook)

    def secret(self, scheme: str, server_key: str, key_id: str) -> str:
        """A key's secret under a registered scheme that derives it (a KeyError for an
        unknown scheme, a ValueError for one that does not derive)."""
        derive = self._schemes[scheme].derive
        if derive is None:
            raise ValueError(f"the credential scheme {scheme!r} derives no secret")
        return derive(server_key, key_id)

    def stored(self, scheme: str) -> str | None:
        """The stored attribute a scheme checks proofs against, if it does."""
        return self._schemes[scheme].stored

    def token(self, value: str) -> Proof | None:
        """A bearer token read into its proof by the first scheme whose shape it has."""
        for scheme in self._schemes.values():
            if scheme.token is not None and (proof := scheme.token(value)) is not None:
                return proof
        return None

    def issue(self, server_key: str, order: KeyOrder) -> Issued:
        """The fields every hook adds for a new key, in the order they were registered,
        and the attributes they keep with it."""
        kept: dict[str, str] = {}
        key = IssuedKey(order.key_id,
                        lambda scheme: self.secret(scheme, server_key, order.key_id),
                        order, kept.__setitem__)
        fields: dict[str, Any] = {}
        for hook in self._hooks:
            fields.update(hook(key))
        return Issued(fields, kept)

    def issued(self, server_key: str, key_id: str) -> dict[str, Any]:
        """The fields every hook adds for a key known by its id alone."""
        return self.issue(server_key, KeyOrder(key_id)).fields
