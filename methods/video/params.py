"""Params of the video session reports (docs/methods/video.md)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from gateway.core.clock import DATE_FORMAT
from methods.paging import MAX_COUNT
from methods.validators import INT64_MAX, Integer

SEARCH_KEYS = ("room_id", "session_id", "user_id", "meeting_id", "from_session_date",
               "to_session_date")
ORDER_KEYS = ("session_id", "room_id", "user_id", "meeting_id", "connect_dt", "disconnect_dt",
              "duration")
DATE_KEYS = ("from_session_date", "to_session_date")
APP_TYPES = ("vc", "wb")
ASC, DESC = "asc", "desc"
# `order_by`: ORDER_KEYS joined by commas, spaces allowed around each (as `_order` reads it)
_KEY = rf"\s*({'|'.join(ORDER_KEYS)})\s*"
_KEY_LIST = f"^{_KEY}(,{_KEY})*$"
# the last page whose first row's offset, (page - 1) * page_length, a 64-bit integer holds
MAX_PAGE = INT64_MAX // MAX_COUNT


def as_list(value: str | list[str]) -> list[str]:
    return [value] if isinstance(value, str) else value


class OneOrMany(fields.Field):
    """A string, or (ours) a list of strings: several search pairs in one call. Kept as
    given (the answer echoes it); `as_list` reads it."""

    json_schema = {"oneOf": [{"type": "string"},
                             {"type": "array", "items": {"type": "string"}, "minItems": 1}]}

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> Any:
        values = as_list(value) if isinstance(value, (str, list)) else None
        if not values or not all(isinstance(v, str) for v in values):
            raise ValidationError("Must be a string or a non-empty list of strings.")
        return value


def app_type_field() -> fields.String:
    return fields.String(load_default=None, validate=validate.OneOf(APP_TYPES), metadata={
        "description": "vc (video conference) or wb (webinar); the route's X-App-Type"})


class ListParams(Schema):
    page = Integer(load_default=1, minimum=1, maximum=MAX_PAGE)
    page_length = Integer(load_default=10, minimum=1, maximum=MAX_COUNT)
    search_by = OneOrMany(load_default=None, metadata={
        "description": f"one of {', '.join(SEARCH_KEYS)}, or a list (ours)",
        "json_schema": {"oneOf": [
            {"type": "string", "enum": list(SEARCH_KEYS)},
            {"type": "array", "items": {"type": "string", "enum": list(SEARCH_KEYS)},
             "minItems": 1}]}})
    search_string = OneOrMany(load_default=None, metadata={
        "description": "the value of each search_by key; dates YYYY-MM-DD HH:MM:SS UTC"})
    order_by = fields.String(load_default=None, metadata={
        "description": f"comma-separated keys from {', '.join(ORDER_KEYS)}; default "
                       "connect_dt, then session_id",
        "json_schema": {"type": "string", "pattern": _KEY_LIST}})
    order_qualify = fields.String(load_default=ASC, validate=validate.OneOf([ASC, DESC]))
    app_type = app_type_field()

    @validates_schema
    def _pairs(self, data: dict[str, Any], **kwargs: Any) -> None:
        keys, values = data.get("search_by"), data.get("search_string")
        if (keys is None) != (values is None):
            missing = "search_string" if values is None else "search_by"
            raise ValidationError("Required with search_by and search_string.", missing)
        if keys is None or values is None:
            return
        keys, values = as_list(keys), as_list(values)
        if len(keys) != len(values):
            raise ValidationError("Must hold as many values as search_by.", "search_string")
        for key, value in zip(keys, values):
            if key not in SEARCH_KEYS:
                raise ValidationError(f"Must be one of: {', '.join(SEARCH_KEYS)}.", "search_by")
            if key in DATE_KEYS:
                try:
                    dt.datetime.strptime(value, DATE_FORMAT)
                except ValueError:
                    raise ValidationError(f"{key}: expected YYYY-MM-DD HH:MM:SS (UTC).",
                                          "search_string") from None

    @validates_schema
    def _order(self, data: dict[str, Any], **kwargs: Any) -> None:
        if data.get("order_by") is None:
            return
        for key in data["order_by"].split(","):
            if key.strip() not in ORDER_KEYS:
                raise ValidationError(f"Must be comma-separated keys from: "
                                      f"{', '.join(ORDER_KEYS)}.", "order_by")


class SessionParams(Schema):
    session_id = fields.String(required=True, validate=validate.Length(min=1, max=128))
    app_type = app_type_field()
