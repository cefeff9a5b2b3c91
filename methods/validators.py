"""marshmallow validators shared by method schemas."""

from __future__ import annotations

import ipaddress
import zoneinfo

from marshmallow import ValidationError, validate

tenant_name = validate.Regexp(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$",
                              error="1 to 64 letters, digits, '_', '.' or '-', "
                                    "starting with a letter or digit")


def zone_name(value: str) -> None:
    try:
        zoneinfo.ZoneInfo(value)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        raise ValidationError(f"Unknown time zone {value!r}") from None


def cidr(value: str) -> None:
    try:
        ipaddress.ip_network(value, strict=False)
    except ValueError:
        raise ValidationError(f"Not an IPv4 or IPv6 CIDR: {value!r}") from None
