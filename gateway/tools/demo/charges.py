"""What the demo's calls cost each customer and each reseller per UTC day, summed exactly
as the sessions stream past, for the daily charge transactions that follow them."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from gateway.tools.demo.catalogue import PARENTS


@dataclass
class DayCharge:
    calls: int = 0
    seconds: int = 0
    amount: Decimal = Decimal(0)


Key = tuple[str, str, str]  # tenant, currency, UTC day


class Charges:
    """Sums per (tenant, currency, day): customers' `amount`, resellers' `reseller_amount`."""

    def __init__(self) -> None:
        self.customers: defaultdict[Key, DayCharge] = defaultdict(DayCharge)
        self.resellers: defaultdict[Key, DayCharge] = defaultdict(DayCharge)

    def observe(self, record: dict[str, Any]) -> dict[str, Any]:
        """Note a session record's charges; return the record unchanged."""
        if record["kind"] != "call":
            return record
        orig = record["legs"][0]
        if "amount" not in orig:
            return record
        day = record["setup_time"][:10]
        key = (record["tenant"], orig["currency"], day)
        self._add(self.customers[key], orig["billsec"], orig["amount"])
        if "reseller_amount" in orig:
            reseller = PARENTS[record["tenant"]]
            self._add(self.resellers[(reseller, orig["currency"], day)], orig["real_billsec"],
                      orig["reseller_amount"])
        return record

    @staticmethod
    def _add(day: DayCharge, seconds: int, amount: str) -> None:
        day.calls += 1
        day.seconds += seconds
        day.amount += Decimal(amount)
