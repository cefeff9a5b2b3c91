"""marshmallow fields for ingested records: timestamps, money, currencies, references."""

from __future__ import annotations

from typing import Any

from marshmallow import Schema, ValidationError, fields, validate

from gateway.core import clock, money
from methods.validators import Integer


class Timestamp(fields.Field):
    """RFC 3339 with an offset, loaded as Unix seconds (UTC)."""

    def _deserialize(self, value: Any, attr: Any, data: Any, **kwargs: Any) -> int:
        try:
            return clock.parse_rfc3339(value)
        except clock.TimeError as exc:
            raise ValidationError(str(exc)) from None


class Money(fields.Field):
    """An exact decimal string, loaded as integer millionths."""

    def _deserialize(self, value: Any, attr: Any, data: Any, **kwargs: Any) -> int:
        try:
            return money.to_micros(value)
        except money.MoneyError as exc:
            raise ValidationError(str(exc)) from None


class Currency(fields.String):
    def _deserialize(self, value: Any, attr: Any, data: Any, **kwargs: Any) -> str:
        text = super()._deserialize(value, attr, data, **kwargs).upper()
        try:
            return money.check_currency(text)
        except money.MoneyError as exc:
            raise ValidationError(str(exc)) from None


def text(max_length: int = 1024) -> fields.String:
    return fields.String(load_default=None, allow_none=True,
                         validate=validate.Length(max=max_length))


def whole(minimum: int = 0) -> Integer:
    return Integer(load_default=None, allow_none=True, minimum=minimum, maximum=BIGGEST)


BIGGEST = 2 ** 62  # ids and counters fit a signed 64-bit column with room to spare
INT32 = 2 ** 31 - 1


def identifier(required: bool = True) -> Integer:
    if not required:
        return Integer(load_default=None, allow_none=True, minimum=1, maximum=BIGGEST)
    return Integer(required=True, minimum=1, maximum=BIGGEST)


class Ref(Schema):
    """A reference object carried by a record: created or renamed on the fly."""

    id = identifier()
    name = text(256)


def ref() -> fields.Nested:
    return fields.Nested(Ref, load_default=None, allow_none=True)


def flatten(messages: Any, prefix: str = "") -> dict[str, str]:
    """marshmallow's nested messages as `{"legs.0.client.id": "message"}`."""
    if isinstance(messages, dict):
        out: dict[str, str] = {}
        for key, value in messages.items():
            path = prefix if key == "_schema" else f"{prefix}.{key}" if prefix else str(key)
            out.update(flatten(value, path))
        return out
    if isinstance(messages, list) and all(isinstance(m, str) for m in messages):
        return {prefix or "record": " ".join(messages)}
    return {prefix or "record": str(messages)}
