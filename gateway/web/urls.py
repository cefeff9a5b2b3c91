"""The absolute URL clients reach `/rpc` at, for the OpenRPC document's `servers` entry
(docs/configuration.md, `public_url`): the configured `public_url`; else the
`X-Forwarded-Proto` and `X-Forwarded-Host` a trusted proxy sent; else the request's own
scheme and host."""

from __future__ import annotations

import re

from aiohttp import web

from gateway.core import addresses
from gateway.web import appkeys

RPC_PATH = "/rpc"
# An RFC 3986 host with an optional port: a name or IPv4 address, or an IPv6 literal in
# brackets. A Host header that is not one (it comes from the client) is not echoed.
_HOST = re.compile(r"(?:[A-Za-z0-9](?:[A-Za-z0-9.-]{0,252})|\[[0-9A-Fa-f:.]+\])(?::\d{1,5})?")
_SCHEMES = ("http", "https")


def _first(value: str | None) -> str:
    """The first hop's value of a header that proxies may have made a list."""
    return (value or "").split(",")[0].strip()


def _origin(scheme: str, host: str) -> str | None:
    if scheme.lower() in _SCHEMES and _HOST.fullmatch(host):
        return f"{scheme.lower()}://{host}"
    return None


def _own_origin(request: web.Request) -> str:
    own = _origin(request.scheme, request.host)
    if own is not None:
        return own
    # the address the request came in on, when its Host header is not a host
    sockname = request.transport.get_extra_info("sockname") if request.transport else None
    host, port = (sockname[0], sockname[1]) if sockname else ("127.0.0.1", 80)
    host = f"[{host}]" if ":" in host else host
    return f"{request.scheme}://{host}:{port}"


def rpc_url(request: web.Request) -> str:
    config = request.app[appkeys.CONFIG]
    if config.public_url is not None:
        return config.public_url.rstrip("/") + RPC_PATH
    trusted = addresses.networks(config.proxies.trusted)
    if request.remote is not None and addresses.in_networks(request.remote, trusted):
        forwarded = _origin(_first(request.headers.get("X-Forwarded-Proto")) or request.scheme,
                            _first(request.headers.get("X-Forwarded-Host")) or request.host)
        if forwarded is not None:
            return forwarded + RPC_PATH
    return _own_origin(request) + RPC_PATH
