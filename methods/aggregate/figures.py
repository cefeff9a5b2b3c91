"""The figures of a statistics row: sums merged per group, money converted and rounded
once, ASR, ACD, PDD and margin recomputed from sums (docs/money-and-time.md)."""

from __future__ import annotations

import bisect
import datetime as dt
from dataclasses import dataclass, field
from decimal import ROUND_HALF_EVEN, Context, Decimal, localcontext
from typing import Any, Iterable, Sequence

from gateway.core import money
from gateway.core.errors import Unprocessable
from gateway.storage import Row

USD = "USD"
COUNTS = ("calls", "answered", "billsec", "pdd_ms", "pdd_calls")
MONEY = ("price", "cost")
PERCENT = Decimal("0.01")
EXACT = Context(prec=50)  # exact enough that only the final rounding rounds
EPOCH = dt.date(1970, 1, 1)
Places = list[tuple[str, int]]  # (figure, its place in a row)
Part = tuple[str, str, "int | None"]  # (measure, currency, UTC day number: None when
# the money is in the wanted currency already)


@dataclass
class Sums:
    """A group's exact sums: counts, and money per (measure, currency, UTC day)."""

    counts: dict[str, int] = field(default_factory=lambda: dict.fromkeys(COUNTS, 0))
    money: dict[Part, int] = field(default_factory=dict)

    def add(self, row: Sequence[Any], counts: Places, money: Places, currency: str | None,
            day: int | None) -> None:
        """Add a row of values, given where each count and money sum is in it."""
        for name, i in counts:
            self.counts[name] += row[i]
        if currency is None:
            return
        for name, i in money:
            micros = row[i]
            if micros:
                part = (name, currency, day)
                self.money[part] = self.money.get(part, 0) + micros

    def merge(self, other: "Sums") -> None:
        for name, value in other.counts.items():
            self.counts[name] += value
        for part, micros in other.money.items():
            self.money[part] = self.money.get(part, 0) + micros


def day_text(day: int) -> str:
    return (EPOCH + dt.timedelta(days=day)).isoformat()


class Rates:
    """Conversions into one currency with the rates valid on each UTC day."""

    def __init__(self, target: str, rows: Iterable[Row]) -> None:
        self.target = target
        self.quantum = Decimal(1).scaleb(-money.minor_digits(target))  # its minor unit
        self.days: dict[str, list[str]] = {}
        self.rates: dict[str, list[Decimal]] = {}
        self._pairs: dict[tuple[str, int], tuple[Decimal, Decimal]] = {}  # (from, to) USD
        for r in rows:
            self.days.setdefault(r["currency"], []).append(str(r["valid_from"]))
            self.rates.setdefault(r["currency"], []).append(Decimal(r["rate_to_usd"]))

    def _to_usd(self, currency: str, day: int) -> Decimal | None:
        if currency == USD:
            return Decimal(1)
        days = self.days.get(currency, [])
        i = bisect.bisect_right(days, day_text(day))
        return self.rates[currency][i - 1] if i else None

    def check(self, parts: Iterable[Part]) -> None:
        """422 `currency-rate-missing` for the first (currency, day) with no rate."""
        for currency, day in sorted({(c, d) for _, c, d in parts
                                     if c != self.target and d is not None}):
            for code in (currency, self.target):
                if self._to_usd(code, day) is None:
                    raise Unprocessable("currency-rate-missing",
                                        f"no {code} rate for {day_text(day)}")

    def convert(self, micros: int, currency: str, day: int | None) -> Decimal:
        amount = money.from_micros(micros)
        if currency == self.target:
            return amount
        assert day is not None  # money in another currency keeps its day
        pair = self._pairs.get((currency, day))
        if pair is None:
            source, target = self._to_usd(currency, day), self._to_usd(self.target, day)
            assert source is not None and target is not None  # `check` ran first
            pair = self._pairs[(currency, day)] = (source, target)
        return amount * pair[0] / pair[1]


def _ratio(numerator: int | Decimal, denominator: int | Decimal, scale: int = 1) -> Decimal:
    if not denominator:
        return Decimal("0.00")
    return (Decimal(numerator) * scale / Decimal(denominator)).quantize(
        PERCENT, ROUND_HALF_EVEN)


def _plain(value: Decimal) -> Decimal:
    return abs(value) if value == 0 else value  # never "-0.00"


def figures(sums: Sums, rates: Rates, profit: bool) -> dict[str, Any]:
    """A row's figures (or the totals'), money converted and rounded once."""
    c = sums.counts
    quantum = rates.quantum
    with localcontext(EXACT):
        totals = dict.fromkeys(MONEY, Decimal(0))
        for (name, currency, day), micros in sums.money.items():
            totals[name] += rates.convert(micros, currency, day)
        out: dict[str, Any] = {
            "total_calls": c["calls"], "answered_calls": c["answered"],
            "asr": _ratio(c["answered"], c["calls"], 100), "billsec": c["billsec"],
            "acd": _ratio(c["billsec"], c["answered"]),
            "pdd": _ratio(c["pdd_ms"], c["pdd_calls"] * 1000),
            "price": _plain(totals["price"].quantize(quantum, ROUND_HALF_EVEN)),
            "cost": _plain(totals["cost"].quantize(quantum, ROUND_HALF_EVEN)),
        }
        if profit:
            gain = totals["price"] - totals["cost"]
            out["profit"] = _plain(gain.quantize(quantum, ROUND_HALF_EVEN))
            out["margin"] = None if totals["price"] == 0 else _plain(
                _ratio(gain, totals["price"], 100))
    return out
