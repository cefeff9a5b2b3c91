"""What a demo call costs: carriers' prices, the operator's wholesale price to resellers and
the retail price to customers, per minute in each currency; billed seconds; amounts.

Everything is `Decimal`: a call's amount is the exact per-minute price times its billed
seconds over 60, rounded once to the millionth the store keeps.
"""

from __future__ import annotations

import functools
from decimal import ROUND_HALF_EVEN, ROUND_HALF_UP, Decimal

from gateway.tools.demo.catalogue import Carrier
from gateway.tools.demo.destinations import Destination

# Price lists are printed in each currency at a fixed list rate (they change monthly, not
# with the daily exchange rates the store also holds).
LIST_RATES = {"USD": Decimal("1"), "EUR": Decimal("0.92"), "GBP": Decimal("0.79")}
WHOLESALE = Decimal("1.30")  # the operator's price to resellers, times the typical cost
RETAIL = Decimal("1.45")  # resellers' price to their customers, times the wholesale price
DIRECT = Decimal("1.60")  # the operator's price to its own customers, times the typical cost
PER_MINUTE = Decimal("0.0001")  # price lists quote four decimals per minute
MICRO = Decimal("0.000001")  # the store's unit (gateway.core.money.SCALE)
RECORDING_PER_MINUTE = Decimal("0.0020")
VIDEO_PER_MINUTE = Decimal("0.0040")  # per participant minute
VIDEO_RECORDING_PER_MINUTE = Decimal("0.0100")


@functools.lru_cache(maxsize=None)
def _per_minute(usd: Decimal, factor: Decimal, currency: str) -> Decimal:
    return (usd * factor * LIST_RATES[currency]).quantize(PER_MINUTE, ROUND_HALF_UP)


def carrier_rate(carrier: Carrier, destination: Destination) -> Decimal:
    return _per_minute(destination.cost, Decimal(carrier.markup) / 100, carrier.currency)


def wholesale_rate(destination: Destination, currency: str) -> Decimal:
    return _per_minute(destination.cost, WHOLESALE, currency)


def retail_rate(destination: Destination, currency: str, via_reseller: bool) -> Decimal:
    return _per_minute(destination.cost, WHOLESALE * RETAIL if via_reseller else DIRECT,
                       currency)


def billed(seconds: int, increments: tuple[int, int]) -> int:
    """Seconds billed for `seconds` of talk: a first period, then whole periods."""
    if seconds <= 0:
        return 0
    first, step = increments
    if seconds <= first:
        return first
    return first + -(-(seconds - first) // step) * step


def charge(rate_per_minute: Decimal, seconds: int) -> Decimal:
    return (rate_per_minute * seconds / 60).quantize(MICRO, ROUND_HALF_EVEN)


def per_minute_charge(rate_per_minute: Decimal, seconds: int) -> Decimal:
    """Minutes started times the rate (recordings and video are billed per minute)."""
    return (rate_per_minute * -(-seconds // 60)).quantize(MICRO)


def text(amount: Decimal) -> str:
    """An amount as the exact decimal string the ingest record carries."""
    return format(amount, "f")
