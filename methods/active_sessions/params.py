"""Params of `reports.active_sessions.query` (docs/methods/active-sessions.md)."""

from __future__ import annotations

from typing import Any

from marshmallow import Schema, ValidationError, fields, validate, validates, validates_schema

from methods.validators import Integer, NotEmpty, zone_name

LEG_FIELDS = ("leg_id", "src_party_id", "dst_party_id", "companies_id", "owner_users_id",
              "clients_id", "clients_name", "accounts_id", "accounts_name", "accounts_ident",
              "rates_code", "rates_code_name")
SINGULAR = ("session_id", "session_setup_time", "session_start_time", "equipment_id",
            "equipment_name", *(f"orig_{f}" for f in LEG_FIELDS),
            *(f"term_{f}" for f in LEG_FIELDS))
AGGREGATED = ("quantity", "duration")
FIELDS = SINGULAR + AGGREGATED
ROLLUP = "rollup"
MAX_LIMIT = 100_000  # the spec's bound on `limit`: the top rows of a report, not a dump

EMPTY = "Empty value is not allowed"


_not_empty = NotEmpty(EMPTY)


def _ids() -> fields.List:
    return fields.List(Integer(), validate=_not_empty)


def _texts() -> fields.List:
    return fields.List(fields.String(), validate=_not_empty)


class Filters(Schema):
    """Each member is a list of accepted values ("one of")."""

    orig_companies_id = _ids()
    orig_owner_users_id = _ids()
    orig_clients_id = _ids()
    orig_accounts_id = _ids()
    orig_rates_code = _texts()
    orig_rates_code_name = _texts()
    term_companies_id = _ids()
    term_owner_users_id = _ids()
    term_clients_id = _ids()
    term_accounts_id = _ids()
    term_rates_code = _texts()
    term_rates_code_name = _texts()
    equipment_id = _ids()


def _field_name(value: str) -> None:
    if value not in FIELDS:
        raise ValidationError(f"Unknown field: {value}")


class QueryParams(Schema):
    return_fields = fields.List(fields.String(), required=True, metadata={
        "description": "fields of each row: singular fields group, aggregated fields sum",
        "json_schema": {"type": "array", "items": {"type": "string", "enum": list(FIELDS)},
                        "minItems": 1, "uniqueItems": True}})
    filters = fields.Nested(Filters, load_default=dict)
    order = fields.List(fields.String(), load_default=list, metadata={
        "description": "`field` or `-field` (descending); each in return_fields",
        "json_schema": {"type": "array", "items": {"type": "string", "enum": [
            *FIELDS, *(f"-{name}" for name in FIELDS)]}}})
    limit = Integer(load_default=None, allow_none=True, minimum=1, maximum=MAX_LIMIT)
    group = fields.String(load_default=None, allow_none=True, validate=validate.OneOf([ROLLUP]))
    code_decks_id = Integer(load_default=None, allow_none=True, metadata={
        "description": "code deck of *_rates_code_name; default each leg's own deck"})
    timezone = fields.String(load_default=None, allow_none=True, validate=zone_name,
                             metadata={"description": "IANA zone of the times; default UTC"})

    @validates("return_fields")
    def _return_fields(self, value: list[str], **kwargs: Any) -> None:
        if not value:
            raise ValidationError(EMPTY)
        seen: set[str] = set()
        for name in value:
            _field_name(name)
            if name in seen:
                raise ValidationError(f"Duplicate field: {name}")
            seen.add(name)

    @validates("order")
    def _order(self, value: list[str], **kwargs: Any) -> None:
        for entry in value:
            _field_name(entry.removeprefix("-"))

    @validates_schema(skip_on_field_errors=True)
    def _order_in_fields(self, data: dict[str, Any], **kwargs: Any) -> None:
        for entry in data["order"]:
            name = entry.removeprefix("-")
            if name not in data["return_fields"]:
                raise ValidationError(f"Field {name} is not in return_fields", "order")
