"""HTTPS for `gateway serve`: the server's TLS context from the config's `tls.cert` and
`tls.key` (docs/configuration.md, "TLS")."""

from __future__ import annotations

import os
import ssl

from gateway.core.config import ConfigError, Tls


def server_context(tls: Tls) -> ssl.SSLContext | None:
    """The TLS context to serve with, or None for plain HTTP (neither key set). A file that
    cannot be read, or a key that is not the certificate's, is a `ConfigError` naming it."""
    if tls.cert is None or tls.key is None:
        return None
    for name, path in (("tls.cert", tls.cert), ("tls.key", tls.key)):
        if not os.path.isfile(path):
            raise ConfigError(f"invalid configuration: {name}: no such file {path}")
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    try:
        context.load_cert_chain(tls.cert, tls.key)
    except (OSError, ssl.SSLError) as exc:
        raise ConfigError(f"invalid configuration: tls.cert and tls.key ({tls.cert}, "
                          f"{tls.key}) cannot be loaded: {exc}") from None
    return context
