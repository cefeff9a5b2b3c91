"""marshmallow validators shared by method schemas, and the one integer field they use."""

from __future__ import annotations

import ipaddress
import zoneinfo
from typing import Any

from marshmallow import ValidationError, fields, validate

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


class NotEmpty(validate.Validator):
    """A list of at least one value (`minItems: 1` in the OpenRPC document)."""

    json_schema = {"minItems": 1}

    def __init__(self, message: str) -> None:
        self.message = message

    def __call__(self, value: Any) -> Any:
        if not value:
            raise ValidationError(self.message)
        return value


# What a signed 64-bit column holds (SQLite's INTEGER, PostgreSQL's bigint): no integer
# param or record field may leave this range, or the driver refuses it (OverflowError).
INT64_MIN, INT64_MAX = -(2 ** 63), 2 ** 63 - 1
RANGE_MESSAGE = "Must be greater than or equal to {min} and less than or equal to {max}."


class Integer(fields.Integer):
    """A JSON integer (never a string, float or boolean) from `minimum` to `maximum`, by
    default what a signed 64-bit column holds; a narrower field names its own bounds. The
    bounds are checked before any other validator, so a value the store cannot hold never
    reaches one, and the OpenRPC and OpenAPI documents show them as `minimum` and
    `maximum` (docs/rpc.md, "Integers")."""

    def __init__(self, *, minimum: int = INT64_MIN, maximum: int = INT64_MAX,
                 **kwargs: Any) -> None:
        if not INT64_MIN <= minimum <= maximum <= INT64_MAX:
            raise ValueError(f"the bounds {minimum}..{maximum} leave the signed 64-bit range")
        super().__init__(strict=True, **kwargs)
        self.minimum, self.maximum = minimum, maximum

    @property
    def json_schema(self) -> dict[str, Any]:
        """What the OpenRPC and OpenAPI documents say of the field."""
        return {"type": "integer", "minimum": self.minimum, "maximum": self.maximum}

    def _validated(self, value: Any) -> int:
        # a plain int (never a bool) needs none of marshmallow's numeric checks
        number = value if type(value) is int else super()._validated(value)
        if not self.minimum <= number <= self.maximum:
            raise ValidationError(RANGE_MESSAGE.format(min=self.minimum, max=self.maximum))
        return number
