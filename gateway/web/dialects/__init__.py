"""Dialect routes: thin adapters that let a client written for one vendor call the
gateway unchanged. Each dialect is a declaration (`dialect.py`) that one view runs
(`driver.py`), calling the same handlers as `/rpc`; the app factory adds their routes and
registers their credential schemes with the authenticator's registry."""

from __future__ import annotations

import re

from aiohttp import web

from gateway.core.credentials import Registry
from gateway.web.dialects import active_sessions, files, login, mor, platform, video
from gateway.web.dialects.dialect import Dialect
from gateway.web.dialects.driver import view_of

DIALECTS: tuple[Dialect, ...] = (active_sessions.DIALECT, mor.DIALECT, platform.DIALECT,
                                 video.DIALECT, login.DIALECT, files.DIALECT)


# A path param is any text up to the next `/` (aiohttp's default leaves out `{` and `}`,
# and a path holding them would get its plain 404 instead of the vendor's answer).
_PARAM = re.compile(r"\{(\w+)\}")


def add_routes(app: web.Application) -> None:
    for dialect in DIALECTS:
        for route in dialect.routes:
            # every verb reaches the view, which answers a wrong one in the vendor's shape
            app.router.add_route("*", _PARAM.sub(r"{\1:[^/]+}", route.path),
                                 view_of(dialect, route))


def register_credentials(registry: Registry) -> Registry:
    """Each dialect's credential scheme and key-issuing hook, registered."""
    for dialect in DIALECTS:
        if dialect.credential.scheme is not None:
            registry.add_scheme(dialect.credential.scheme)
        if dialect.credential.key_hook is not None:
            registry.add_key_hook(dialect.credential.key_hook)
    return registry
