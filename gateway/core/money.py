"""Money: exact decimals in, integers of millionths stored, exact decimals out.

Amounts are kept as integers of 10**-6 of the currency unit: exact in both engines and
exact to sum in SQL. Currencies are ISO 4217 codes as babel's CLDR data lists them, which
also gives each currency's minor digits.
"""

from __future__ import annotations

import functools
from decimal import Decimal, InvalidOperation

from babel.numbers import get_currency_precision, list_currencies

SCALE = 6  # decimal places kept: a per-second rate times a call's seconds fits
UNIT = 10 ** SCALE


class MoneyError(ValueError):
    """An amount or currency that cannot be stored exactly."""


@functools.lru_cache(maxsize=1)
def _currencies() -> frozenset[str]:
    return frozenset(list_currencies())


def check_currency(code: str) -> str:
    if code not in _currencies():
        raise MoneyError(f"not an ISO 4217 currency code: {code!r}")
    return code


def minor_digits(code: str) -> int:
    """Digits after the decimal point in the currency's amounts (USD 2, JPY 0, BHD 3)."""
    return int(get_currency_precision(code))


def to_micros(text: str) -> int:
    """An exact decimal string as millionths; more than 6 decimal places is refused."""
    if not isinstance(text, str):
        raise MoneyError("amounts are decimal strings, e.g. \"0.0125\"")
    try:
        value = Decimal(text.strip())
    except InvalidOperation:
        raise MoneyError(f"not a decimal number: {text!r}") from None
    if not value.is_finite():
        raise MoneyError(f"not a finite amount: {text!r}")
    scaled = value.scaleb(SCALE)
    if scaled != scaled.to_integral_value():
        raise MoneyError(f"more than {SCALE} decimal places: {text!r}")
    micros = int(scaled)
    if abs(micros) >= 2 ** 63:
        raise MoneyError(f"amount out of range: {text!r}")
    return micros


def from_micros(micros: int) -> Decimal:
    return Decimal(micros).scaleb(-SCALE)
