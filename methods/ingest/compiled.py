"""A fast loader compiled from a marshmallow schema's declared fields, for the records of a
batch. It loads a valid record to exactly what `schema.load` gives; anything it cannot
accept (a wrong type, a value out of range, an unknown field, a schema check that fails)
raises `Undecided`, and the record then goes through the schema itself, which gives the
per-field messages (docs/performance.md, "Record validation")."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any, Callable

from marshmallow import RAISE, Schema, ValidationError, fields, missing, validate
from marshmallow.decorators import VALIDATES_SCHEMA

from gateway.core import clock, money
from methods.ingest.record_fields import Currency, Money, Timestamp
from methods.validators import Integer


class Undecided(Exception):
    """The fast loader does not accept the record: the schema decides."""


Check = Callable[[Any], Any]  # a present, non-null value to its loaded form, or Undecided
Loader = Callable[[Any], dict[str, Any]]

EPOCH = dt.datetime(1970, 1, 1)
SECOND = dt.timedelta(seconds=1)
MICROS = 1_000_000
UTC_SECONDS = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}Z")


def timestamp(value: Any) -> int:
    """`YYYY-MM-DDTHH:MM:SSZ` read directly; any other form by `clock.parse_rfc3339`."""
    if type(value) is str and UTC_SECONDS.fullmatch(value):
        try:
            moment = dt.datetime.fromisoformat(value[:19])
        except ValueError:
            raise Undecided from None
        seconds = (moment - EPOCH) // SECOND
        if clock.EARLIEST <= seconds < clock.END:
            return seconds
        raise Undecided
    try:
        return clock.parse_rfc3339(value)
    except clock.TimeError:
        raise Undecided from None


def amount(value: Any) -> int:
    """Plain ASCII decimals (`-12.0125`) read directly; any other form by `money.to_micros`."""
    if type(value) is str and len(value) <= 40 and value.isascii():
        whole, dot, fraction = value.partition(".")
        negative = whole[:1] == "-"
        digits = whole[1:] if negative else whole
        if digits.isdigit() and len(fraction) <= 6 and (not dot or fraction.isdigit()):
            micros = int(digits) * MICROS + (int(fraction.ljust(6, "0")) if dot else 0)
            if micros < 2 ** 63:
                return -micros if negative else micros
    try:
        return money.to_micros(value)
    except money.MoneyError:
        raise Undecided from None


def currency(value: Any) -> str:
    if type(value) is not str:
        raise Undecided
    try:
        return money.check_currency(value.upper())
    except money.MoneyError:
        raise Undecided from None


def _string(field: fields.String) -> Check:
    low, high, choices = 0, None, None
    for rule in field.validators:
        if type(rule) is validate.Length and rule.equal is None:
            low = max(low, rule.min or 0)
            high = rule.max if high is None or rule.max is not None and rule.max < high else high
        elif type(rule) is validate.OneOf and all(type(c) is str for c in rule.choices):
            choices = frozenset(rule.choices) if choices is None else choices & set(rule.choices)
        else:
            return _generic(field)

    def check(value: Any) -> str:
        if type(value) is not str or len(value) < low or high is not None and len(value) > high \
                or choices is not None and value not in choices:
            raise Undecided
        return value
    return check


def _integer(field: Integer) -> Check:
    low, high = field.minimum, field.maximum

    def check(value: Any) -> int:
        if type(value) is not int or not low <= value <= high:
            raise Undecided
        return value
    return check


def _boolean(value: Any) -> bool:
    if type(value) is not bool:
        raise Undecided
    return value


def _generic(field: fields.Field) -> Check:
    """A field the compiler has no direct check for: its own `deserialize`."""
    def check(value: Any) -> Any:
        try:
            return field.deserialize(value)
        except ValidationError:
            raise Undecided from None
    return check


def _list(field: fields.List) -> Check:
    inner = _value(field.inner)
    low, high = 0, None
    for rule in field.validators:
        if type(rule) is validate.Length and rule.equal is None and high is None:
            low, high = rule.min or 0, rule.max
        else:
            return _generic(field)

    def check(value: Any) -> list[Any]:
        if type(value) is not list or len(value) < low or high is not None and len(value) > high:
            raise Undecided
        return [inner(item) for item in value]
    return check


def _value(field: fields.Field) -> Check:
    """The check of a present, non-null value of the field (its exact class decides: a
    subclass may load otherwise, and gets its own `deserialize`)."""
    kind = type(field)
    if field.validators and kind not in (fields.String, fields.List):
        return _generic(field)
    if kind is Timestamp:
        return timestamp
    if kind is Money:
        return amount
    if kind is Currency:
        return currency
    if kind is fields.String and isinstance(field, fields.String):
        return _string(field)
    if kind is Integer and isinstance(field, Integer):
        return _integer(field)
    if kind is fields.Boolean and isinstance(field, fields.Boolean) \
            and field.truthy == fields.Boolean.truthy and field.falsy == fields.Boolean.falsy:
        return _boolean
    if kind is fields.Nested and isinstance(field, fields.Nested) and not field.many \
            and field.only is None and not field.exclude and field.unknown is None:
        nested = compile_schema(field.schema)

        def check(value: Any) -> dict[str, Any]:
            if type(value) is not dict:
                raise Undecided
            return nested(value)
        return check
    if kind is fields.List and isinstance(field, fields.List):
        return _list(field)
    return _generic(field)


_LOADERS: dict[Schema, Loader] = {}


def register(schema: Schema) -> Loader:
    """Compile `schema` and have `loader_of` give its fast loader."""
    _LOADERS[schema] = compile_schema(schema)
    return _LOADERS[schema]


def loader_of(schema: Schema) -> Loader | None:
    return _LOADERS.get(schema)


def compile_schema(schema: Schema) -> Loader:
    """The fast loader of `schema`: a dict of the schema's fields (and no other key) to what
    `schema.load` gives, or `Undecided`. Only schemas that raise on unknown fields and whose
    only hooks are schema validators (after field errors) compile."""
    hooks = {tag for tag, hooked in schema._hooks.items() if hooked}
    if schema.unknown != RAISE or schema.many or schema.partial or schema.only \
            or schema.exclude or hooks - {VALIDATES_SCHEMA}:
        raise ValueError(f"{type(schema).__name__}: not a schema the fast loader handles")
    for _, many, options in schema._hooks[VALIDATES_SCHEMA]:
        if many or options.get("pass_original") or not options["skip_on_field_errors"]:
            raise ValueError(f"{type(schema).__name__}: a schema validator it cannot run")
    # The loaded record starts as a copy of `template` (every field in declared order, at its
    # default), and only the fields the record carries are checked.
    template: dict[str, Any] = {}
    slots: dict[str, tuple[Check, bool]] = {}
    required, made, absent = set(), [], set()
    for name, field in schema.load_fields.items():
        if field.data_key not in (None, name) or field.attribute not in (None, name):
            raise ValueError(f"{name}: a field loaded under another name")
        slots[name] = _value(field), field.allow_none
        default = field.load_default
        template[name] = None if callable(default) or default is missing else default
        if field.required:
            required.add(name)
        elif default is missing:
            absent.add(name)
        elif callable(default):
            made.append((name, default))
    need = frozenset(required)
    checks = [getattr(schema, name) for name, *_ in schema._hooks[VALIDATES_SCHEMA]]

    def load(raw: Any) -> dict[str, Any]:
        if not need.issubset(raw):
            raise Undecided
        out = template.copy()
        for name, value in raw.items():
            try:
                check, allow_none = slots[name]
            except KeyError:
                raise Undecided from None
            if value is not None:
                out[name] = check(value)
            elif not allow_none:
                raise Undecided
        if made:
            for name, make in made:
                if name not in raw:
                    out[name] = make()
        if absent:
            for name in absent:
                if name not in raw:
                    del out[name]
        if checks:
            try:
                for validator in checks:
                    validator(out, partial=None, many=False, unknown=RAISE)
            except ValidationError:
                raise Undecided from None
        return out
    return load
