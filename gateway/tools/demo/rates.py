"""Daily exchange rates to USD for the currencies the demo bills in, for every UTC day the
window touches: a small random walk from a plausible level."""

from __future__ import annotations

import random
from decimal import Decimal
from typing import Any, Iterator

from gateway.core.clock import DAY
from gateway.tools.demo.plan import Plan
from gateway.tools.demo.timeline import day_of

# USD per unit of each currency where the walk starts.
STARTING_RATES = (("EUR", Decimal("1.0850")), ("GBP", Decimal("1.2700")))
DAILY_MOVE_BP = 40  # a day's move is at most 0.40%
RATE_PLACES = Decimal("0.000001")


def currency_rates(plan: Plan) -> Iterator[dict[str, Any]]:
    rng = random.Random(f"gateway-demo:{plan.seed}:rates")
    first = plan.start - plan.start % DAY
    for currency, rate in STARTING_RATES:
        for midnight in range(first, plan.anchor + 1, DAY):
            yield {"currency": currency, "rate_to_usd": str(rate), "valid_from": day_of(midnight)}
            move = Decimal(rng.randint(-DAILY_MOVE_BP, DAILY_MOVE_BP)) / 10_000
            rate = (rate * (1 + move)).quantize(RATE_PLACES)
