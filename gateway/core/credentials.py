"""Credential schemes beyond the plain key, and what a new key's answer tells of them.

Some vendors' clients never send a key's secret: they sign each request with a secret of
their own (MOR's `hash`). A dialect declares such a scheme as a `Scheme`: the key's secret
under it is derived from the server key and the key id, so it is never stored. A dialect may
also declare a key-issuing hook, which adds fields to `keys.create`'s answer, the one time a
key's secrets are shown (docs/auth.md, "Credentials by route").

The app factory registers each dialect's schemes and hooks in a `Registry` and hands it to
the authenticator, which knows no scheme by name.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable, Mapping

# (server key, key id) -> the key's secret under a scheme
Derive = Callable[[str, str], str]


@dataclass(frozen=True)
class Scheme:
    """A way for a request to prove a key without carrying its secret."""

    name: str
    derive: Derive


@dataclass(frozen=True)
class Proof:
    """A request's credential under a registered scheme: the key's id, and whether the
    request holds up against the key's secret under that scheme (`holds(secret)`, which
    should compare in constant time)."""

    scheme: str
    key_id: str
    holds: Callable[[str], bool]


# What a request presents: a plain key (`<key_id>.<secret>`), a proof, or nothing.
Credential = str | Proof | None


@dataclass(frozen=True)
class IssuedKey:
    """A key just made, as a key-issuing hook sees it: its id, and its secret under any
    registered scheme (`secret(scheme_name)`)."""

    key_id: str
    secret: Callable[[str], str]


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
        """A key's secret under a registered scheme (a KeyError for an unknown scheme)."""
        return self._schemes[scheme].derive(server_key, key_id)

    def issued(self, server_key: str, key_id: str) -> dict[str, Any]:
        """The fields every hook adds for a new key, in the order they were registered."""
        key = IssuedKey(key_id, lambda scheme: self.secret(scheme, server_key, key_id))
        fields: dict[str, Any] = {}
        for hook in self._hooks:
            fields.update(hook(key))
        return fields
