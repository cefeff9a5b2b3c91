"""Params of `aggregate_get` (docs/methods/aggregate.md), in the documented order."""

from __future__ import annotations

from typing import Any

from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from methods.ingest.record_fields import Currency
from methods.validators import Integer, zone_name

GROUP_FLAGS = ("group_by_user", "group_by_device", "group_by_terminator", "group_by_provider",
               "group_by_dst_group", "group_by_dst", "group_by_day", "group_by_hour",
               "group_by_user_rate", "group_by_provider_rate")
DEFAULT_GROUPS = ("group_by_user", "group_by_terminator", "group_by_dst_group")
OBJECT_FILTERS = {"s_originator_id": "clients", "s_terminator_id": "clients",
                  "s_device": "accounts", "s_provider": "accounts"}
FLAGS = (*GROUP_FLAGS, "use_real_billsec", "from_user_perspective", "profit_show")
DEFAULT_CURRENCY = "USD"
# Unix seconds from 1970 to the end of 2099: the times a call can have, with room to spare.
TIMES = {"minimum": 0, "maximum": 4_102_444_799}


def _flag() -> Integer:
    return Integer(load_default=0, minimum=0, maximum=1, validate=validate.OneOf([0, 1]))


def _optional_int(minimum: int = 0) -> Integer:
    return Integer(load_default=None, allow_none=True, minimum=minimum, maximum=2 ** 62)


def _pattern() -> fields.String:
    return fields.String(load_default=None, allow_none=True, validate=validate.Length(max=64),
                         metadata={"description": "`%` is a wildcard; otherwise a prefix"})


class AggregateParams(Schema):
    from_ = Integer(load_default=None, allow_none=True, data_key="from", **TIMES,
                    metadata={"description": "Unix seconds; default today 00:00:00"})
    till = Integer(load_default=None, allow_none=True, **TIMES,
                   metadata={"description": "Unix seconds; default today 23:59:59"})
    a_currency = Currency(load_default=DEFAULT_CURRENCY)
    group_by_user = _flag()
    group_by_device = _flag()
    group_by_terminator = _flag()
    group_by_provider = _flag()
    group_by_dst_group = _flag()
    group_by_dst = _flag()
    group_by_day = _flag()
    group_by_hour = _flag()
    group_by_user_rate = _flag()
    group_by_provider_rate = _flag()
    s_originator_id = _optional_int(1)
    s_terminator_id = _optional_int(1)
    s_device = _optional_int(1)
    s_provider = _optional_int(1)
    a_src = _pattern()
    a_dst = _pattern()
    clid = _pattern()
    s_duration = _optional_int()
    dst_group = fields.String(load_default=None, allow_none=True,
                              validate=validate.Length(max=256))
    use_real_billsec = _flag()
    from_user_perspective = _flag()
    answered_calls = _optional_int()
    profit_show = _flag()
    timezone = fields.String(load_default=None, allow_none=True, validate=zone_name,
                             metadata={"description": "IANA zone of the defaults and of day "
                                                      "and hour grouping"})

    @validates_schema(skip_on_field_errors=True)
    def _range(self, data: dict[str, Any], **kwargs: Any) -> None:
        start, end = data["from_"], data["till"]
        if start is not None and end is not None and start > end:
            raise ValidationError("Must not be after till.", "from")
