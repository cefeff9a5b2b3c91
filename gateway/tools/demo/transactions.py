"""The demo's money movements: each customer's and reseller's daily call charges (exactly
what its calls of that UTC day cost), weekly payments, and on the first of a month the
seats fee and a charge per phone number. Charges are negative, payments positive; the
charges of a day not yet posted at the anchor are on hold (uncommitted)."""

from __future__ import annotations

import calendar
import random
import time
from decimal import Decimal
from typing import Any, Iterator

from gateway.core.clock import DAY, HOUR
from gateway.tools.demo import pricing
from gateway.tools.demo.catalogue import CUSTOMERS, RESELLER_CURRENCIES, Customer
from gateway.tools.demo.charges import Charges, DayCharge, Key
from gateway.tools.demo.plan import Plan
from gateway.tools.demo.timeline import day_of, stamp

POSTED_AFTER_S = 5 * 60  # a day's charges are posted five minutes after midnight UTC
PAYMENT_EVERY_DAYS = 7
PAYMENT_PER_SHARE = Decimal("12.50")  # a customer's weekly payment per unit of traffic share
RESELLER_PAYMENT = Decimal("2500.00")
SEAT_FEE = Decimal("4.90")  # per phone, monthly
NUMBER_FEE = Decimal("1.50")  # per public number, monthly

Entry = dict[str, Any]


def transactions(plan: Plan, charges: Charges) -> Iterator[Entry]:
    """Every transaction record, in a fixed order; ids follow that order."""
    rng = random.Random(f"gateway-demo:{plan.seed}:transactions")
    ids = plan.ids()
    for customer in CUSTOMERS:
        entries = [*_charges(customer.tenant, charges.customers, plan),
                   *_payments(customer.tenant, customer.currency,
                              PAYMENT_PER_SHARE * customer.share, customer.pays_by, plan, rng)]
        for midnight in _midnights(plan):
            if day_of(midnight).endswith("-01") and midnight >= plan.start:
                entries += _monthly(customer, midnight)
        for entry in entries:
            yield {"transaction_id": next(ids), **entry}
    for reseller, currency in RESELLER_CURRENCIES.items():
        for entry in [*_charges(reseller, charges.resellers, plan),
                      *_payments(reseller, currency, RESELLER_PAYMENT, "wire_transfer", plan,
                                 rng)]:
            yield {"transaction_id": next(ids), **entry}


def _midnights(plan: Plan) -> range:
    """The UTC midnights of the days the window touches."""
    return range(plan.start - plan.start % DAY, plan.anchor + 1, DAY)


def _charges(tenant: str, charges: dict[Key, DayCharge], plan: Plan) -> Iterator[Entry]:
    for (owner, currency, day), charge in sorted(charges.items()):
        if owner != tenant:
            continue
        posted = calendar.timegm(time.strptime(day, "%Y-%m-%d")) + DAY + POSTED_AFTER_S
        pending = posted > plan.anchor
        yield {"tenant": tenant, "performed_at": stamp(plan.anchor if pending else posted),
               "amount": pricing.text(-charge.amount), "currency": currency,
               "transaction_type": "resource_charge", "is_uncommitted": pending,
               "transaction_description":
                   f"Calls on {day}: {charge.calls} answered, {charge.seconds // 60} min billed"}


def _payments(tenant: str, currency: str, amount: Decimal, kind: str, plan: Plan,
              rng: random.Random) -> Iterator[Entry]:
    phase = rng.randrange(PAYMENT_EVERY_DAYS)
    for n, midnight in enumerate(_midnights(plan)):
        moment = midnight + rng.randint(8 * HOUR, 18 * HOUR)
        if n % PAYMENT_EVERY_DAYS == phase and plan.start <= moment <= plan.anchor:
            yield {"tenant": tenant, "performed_at": stamp(moment),
                   "amount": pricing.text(amount), "currency": currency,
                   "transaction_type": kind,
                   "transaction_description": f"Payment received ({kind.replace('_', ' ')})"}


def _monthly(customer: Customer, midnight: int) -> list[Entry]:
    moment = stamp(midnight + HOUR)
    seats = len(customer.devices)
    entries: list[Entry] = [{
        "tenant": customer.tenant, "performed_at": moment,
        "amount": pricing.text(-SEAT_FEE * seats), "currency": customer.currency,
        "transaction_type": "monthly_fee_charge",
        "transaction_description": f"Monthly fee: {seats} seats"}]
    for device in customer.devices:
        entries.append({"tenant": customer.tenant, "user_id": device.user.id,
                        "performed_at": moment, "amount": pricing.text(-NUMBER_FEE),
                        "currency": customer.currency, "transaction_type": "phone_number_charge",
                        "transaction_description": f"Number +{device.number}, monthly"})
    return entries
