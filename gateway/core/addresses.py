"""Client addresses: CIDR lists, membership, and the client behind trusted proxies.

Used by key allow-lists (`auth`), `metrics.allow` and `proxies.trusted`; an IPv4-mapped
IPv6 peer counts as its IPv4 address, so a dual-stack socket matches IPv4 lists.
"""

from __future__ import annotations

import functools
import ipaddress
from typing import Iterable

IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network


def networks(cidrs: Iterable[str]) -> tuple[IPNetwork, ...]:
    return _parsed(tuple(cidrs))


@functools.lru_cache(maxsize=1024)
def _parsed(cidrs: tuple[str, ...]) -> tuple[IPNetwork, ...]:
    """The lists in use (config, key allow-lists) are parsed once, not per request."""
    return tuple(ipaddress.ip_network(c, strict=False) for c in cidrs)


def _address(text: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address:
    address = ipaddress.ip_address(text.strip().strip("[]"))
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped:
        return address.ipv4_mapped
    return address


def in_networks(ip: str, nets: Iterable[IPNetwork]) -> bool:
    try:
        address = _address(ip)
    except ValueError:
        return False
    return any(address in net for net in nets)


def client_ip(peer: str | None, forwarded_for: str | None, trusted: tuple[IPNetwork, ...]) -> str:
    """The socket peer, or the first untrusted hop of `X-Forwarded-For` (from the right)
    when the peer is a trusted proxy."""
    ip = peer or ""
    if not forwarded_for or not in_networks(ip, trusted):
        return ip
    for hop in reversed([h.strip() for h in forwarded_for.split(",") if h.strip()]):
        ip = hop
        if not in_networks(hop, trusted):
            break
    return ip
