"""One demo call as a switch reports it: the originating leg of a customer's phone, the
carrier attempts of least-cost routing, how it ended, what it cost; and the same call cut
at the anchor, so that a call still up at that moment is live (no end; no answer yet while
it rings).
"""

from __future__ import annotations

import itertools
import json
import math
import random
from dataclasses import dataclass
from typing import Any, Iterator

from gateway.tools.demo import causes, pricing
from gateway.tools.demo.catalogue import (CARRIER_MANAGER, CUSTOMERS, EQUIPMENT_IP, NOC, PARENTS,
                                          RESELLERS, ROOT, ROUTES, Carrier, Customer, Device, Ref)
from gateway.tools.demo.causes import ANSWERED, Ending
from gateway.tools.demo.destinations import DECK_ID, DESTINATIONS, Destination
from gateway.tools.demo.plan import Plan, leg_id
from gateway.tools.demo.timeline import day_of, stamp

MAX_ATTEMPTS = 3  # carriers tried per call before the switch gives up
NO_ROUTE_PER_MILLE = 3  # calls for which the switch finds no carrier at all
SECOND_ROUTE_PERCENT = 25  # load sharing: calls that try the second carrier first
HOME_SHARE = (3, 2)  # calls within the customer's country : international calls
SHORT_CALL_PERCENT = 7  # answered calls that last a few seconds (voicemail, wrong number)
TALK_MEDIAN_S, TALK_SIGMA = 78, 1.15  # log-normal talk time: a mean near 2.5 min, long tail
MAX_TALK_S = 4 * 3600
PDD_MEDIAN_MS, PDD_SIGMA = 2200, 0.45  # post-dial delay; international calls take longer
RING_MEDIAN_S, RING_SIGMA = 7, 0.6
RECORDING_BYTES_PER_S = 16_000  # 128 kbit/s MP3
TRANSCRIBED_PERCENT = 40
TAGGED_PERCENT = 10  # calls of contact centres that carry a CRM ticket as custom data
QUALITY, QUALITY_WEIGHTS = ("Standard", "HD", "Ultra HD"), (60, 35, 5)
NETWORK_ENDINGS = tuple(e for e, _ in causes.NETWORK)
NETWORK_WEIGHTS = tuple(itertools.accumulate(w for _, w in causes.NETWORK))
TALKING, RINGING = "talking", "ringing"


@dataclass
class Attempt:
    carrier: Carrier
    trunk: Ref
    setup: int
    start: int | None = None
    end: int | None = None
    ending: Ending | None = None
    pdd_ms: int | None = None


def compact(values: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in values.items() if v is not None}


def ref(obj: Ref, **extra: Any) -> dict[str, Any]:
    return {"id": obj.id, "name": obj.name, **extra}


def _weights(customer: Customer) -> tuple[int, ...]:
    home = sum(d.popularity for d in DESTINATIONS if d.country == customer.home)
    away = sum(d.popularity for d in DESTINATIONS if d.country != customer.home)
    return tuple(itertools.accumulate(
        d.popularity * (HOME_SHARE[0] * away if d.country == customer.home
                        else HOME_SHARE[1] * home) for d in DESTINATIONS))


class RecordMaker:
    """What every maker of session records shares: the run's plan, random stream and
    recording and resource id counters."""

    def __init__(self, plan: Plan, rng: random.Random, record_ids: Iterator[int],
                 resource_ids: Iterator[int]) -> None:
        self.plan = plan
        self.rng = rng
        self.record_ids = record_ids
        self.resource_ids = resource_ids


class CallMaker(RecordMaker):
    """Builds call records."""

    def __init__(self, plan: Plan, rng: random.Random, record_ids: Iterator[int],
                 resource_ids: Iterator[int]) -> None:
        super().__init__(plan, rng, record_ids, resource_ids)
        self._destinations = {c.client.id: _weights(c) for c in (*CUSTOMERS, NOC)}
        self._called: dict[int, tuple[int, ...]] = {}

    def make(self, customer: Customer, setup: int, session_id: str, live: str | None = None,
             equipment: Ref | None = None) -> dict[str, Any]:
        """A call of `customer` set up at `setup`; `live` forces a call still up at the
        anchor (`talking` or `ringing`)."""
        rng = self.rng
        device = rng.choice(customer.devices)
        destination = rng.choices(DESTINATIONS,
                                  cum_weights=self._destinations[customer.client.id])[0]
        number = destination.number(rng)
        attempts = self._attempts(destination, setup, live, customer.home)
        self._cut(attempts)
        final = attempts[-1] if attempts else None
        if final is None:
            end: int | None = min(setup + rng.randint(0, 1), self.plan.anchor)
            ending: Ending | None = Ending(causes.NO_ROUTE, causes.FAILED, (0, 1))
        else:
            end, ending = final.end, final.ending
        start = final.start if final is not None else None
        talk = end - start if start is not None and end is not None else None
        orig_pdd = None
        if final is not None and final.pdd_ms is not None:
            orig_pdd = (final.setup - setup) * 1000 + final.pdd_ms
        orig = self._orig_leg(customer, device, destination, number, session_id, setup, start,
                              end, ending, talk, orig_pdd)
        legs = [orig] + [self._term_leg(a, destination, device.number, number, session_id, n)
                         for n, a in enumerate(attempts, 1)]
        equipment = equipment or customer.equipment
        record = {
            "session_id": session_id, "kind": "call", "tenant": customer.tenant,
            "setup_time": stamp(setup), "start_time": start and stamp(start),
            "end_time": end and stamp(end), "equipment": ref(equipment),
            "application": ref(customer.app),
            "rule_name": "route-test" if customer is NOC else "outbound",
            "initiator_address": customer.pbx_ip,
            "media_server_address": EQUIPMENT_IP[equipment.id], "legs": legs,
        }
        if start is not None:
            record["audio_quality"] = rng.choices(QUALITY, QUALITY_WEIGHTS)[0]
        if end is not None:
            record["finish_reason"] = "Normal termination"
            record["log_file_url"] = f"https://logs.demo.example/{day_of(end)}/{session_id}.log"
        if customer.queues and rng.randrange(100) < TAGGED_PERCENT:
            record["custom_data"] = json.dumps({"ticket": f"TCK-{rng.randrange(10 ** 6):06d}"})
        if customer.records_calls and talk is not None and end is not None and start is not None:
            self._recording(record, customer, session_id, start, end, orig["leg_id"])
        return compact(record)

    def _attempts(self, destination: Destination, setup: int, live: str | None,
                  home: str) -> list[Attempt]:
        rng = self.rng
        if live is None and rng.randrange(1000) < NO_ROUTE_PER_MILLE:
            return []
        route = ROUTES[destination.region]
        if len(route) > 1 and rng.randrange(100) < SECOND_ROUTE_PERCENT:
            route = route[1:] + route[:1]
        attempts = []
        moment = setup
        for carrier in route[:MAX_ATTEMPTS]:
            trunk = rng.choice(carrier.trunks)
            if live is None and rng.randrange(1000) < carrier.failures:
                refused = rng.choices(NETWORK_ENDINGS, cum_weights=NETWORK_WEIGHTS)[0]
                end = moment + rng.randint(*refused.ring)
                attempts.append(Attempt(carrier, trunk, moment, None, end, refused))
                moment = end  # the switch advances to the next carrier at once
                continue
            median = PDD_MEDIAN_MS * (1 if destination.country == home else 1.6)
            pdd_ms = min(20_000, max(300, int(rng.lognormvariate(math.log(median), PDD_SIGMA))))
            ringing = moment + pdd_ms // 1000
            attempt = Attempt(carrier, trunk, moment, pdd_ms=pdd_ms)
            attempts.append(attempt)
            if live == RINGING:
                return attempts
            ending = self._called_party(destination, live)
            if ending is None:
                ring = min(55, max(1, round(rng.lognormvariate(math.log(RING_MEDIAN_S),
                                                               RING_SIGMA))))
                attempt.start = ringing + ring
                talk = self._talk()
                if live == TALKING:  # still talking at the anchor
                    talk += max(0, self.plan.anchor - attempt.start)
                attempt.end = attempt.start + talk
                attempt.ending = Ending(causes.NORMAL_CLEARING, ANSWERED, (0, 0))
            else:
                attempt.end = ringing + rng.randint(*ending.ring)
                attempt.ending = ending
            return attempts
        return attempts

    def _called_party(self, destination: Destination, live: str | None) -> Ending | None:
        """How the called party ends the attempt; None: it answers."""
        if live == TALKING:
            return None
        cum = self._called.get(destination.answer)
        if cum is None:
            cum = tuple(itertools.accumulate(
                [causes.ANSWER_WEIGHT * destination.answer // 100]
                + [w for _, w in causes.CALLED_PARTY]))
            self._called[destination.answer] = cum
        choice: Ending | None = self.rng.choices(
            (None, *(e for e, _ in causes.CALLED_PARTY)), cum_weights=cum)[0]
        return choice

    def _talk(self) -> int:
        rng = self.rng
        if rng.randrange(100) < SHORT_CALL_PERCENT:
            return rng.randint(1, 10)
        return min(MAX_TALK_S, max(1, int(rng.lognormvariate(math.log(TALK_MEDIAN_S),
                                                             TALK_SIGMA))))

    def _cut(self, attempts: list[Attempt]) -> None:
        """The attempts as they stand at the anchor: later ones unseen, open ones live."""
        anchor = self.plan.anchor
        while attempts and attempts[-1].setup > anchor:
            attempts.pop()
        for attempt in attempts:
            if attempt.end is not None and attempt.end > anchor:
                attempt.end = attempt.ending = None
            if attempt.start is not None and attempt.start > anchor:
                attempt.start = None

    def _orig_leg(self, customer: Customer, device: Device, destination: Destination, number: str,
                  session_id: str, setup: int, start: int | None, end: int | None,
                  ending: Ending | None, talk: int | None,
                  pdd_ms: int | None) -> dict[str, Any]:
        leg = {
            "leg_id": leg_id(session_id, 0), "role": "orig", "src": device.number,
            "dst": number, "client": ref(customer.client, tenant=customer.tenant),
            "account": ref(device.account, ident=device.ident), "owner_user": ref(customer.manager),
            "user": ref(device.user), "rates_code": destination.prefix, "code_deck_id": DECK_ID,
            "setup_time": stamp(setup), "start_time": start and stamp(start),
            "end_time": end and stamp(end), "pdd_ms": pdd_ms,
        }
        if end is not None and ending is not None:
            billsec = pricing.billed(talk or 0, customer.increments)
            leg.update(billsec=billsec, real_billsec=talk or 0,
                       disposition=ending.disposition, hangup_cause=ending.cause)
            if talk and customer.tenant != ROOT:
                via_reseller = PARENTS[customer.tenant] in RESELLERS
                currency = customer.currency
                leg["amount"] = pricing.text(pricing.charge(
                    pricing.retail_rate(destination, currency, via_reseller), billsec))
                if via_reseller:
                    leg["reseller_amount"] = pricing.text(pricing.charge(
                        pricing.wholesale_rate(destination, currency), talk))
                leg["currency"] = currency
        return compact(leg)

    def _term_leg(self, attempt: Attempt, destination: Destination, src: str, number: str,
                  session_id: str, n: int) -> dict[str, Any]:
        carrier = attempt.carrier
        leg = {
            "leg_id": leg_id(session_id, n), "role": "term", "src": src, "dst": number,
            "client": ref(carrier.client, tenant=ROOT),
            "account": ref(attempt.trunk, ident=f"sip:{attempt.trunk.name}.carrier.example"),
            "owner_user": ref(CARRIER_MANAGER), "rates_code": destination.prefix,
            "code_deck_id": DECK_ID, "setup_time": stamp(attempt.setup),
            "start_time": attempt.start and stamp(attempt.start),
            "end_time": attempt.end and stamp(attempt.end), "pdd_ms": attempt.pdd_ms,
        }
        if attempt.end is not None and attempt.ending is not None:
            talk = attempt.end - attempt.start if attempt.start is not None else 0
            billsec = pricing.billed(talk, carrier.increments)
            leg.update(billsec=billsec, real_billsec=talk,
                       disposition=attempt.ending.disposition, hangup_cause=attempt.ending.cause)
            if talk:
                leg["amount"] = pricing.text(pricing.charge(
                    pricing.carrier_rate(carrier, destination), billsec))
                leg["currency"] = carrier.currency
        return compact(leg)

    def _recording(self, record: dict[str, Any], customer: Customer, session_id: str,
                   start: int, end: int, orig_leg: str) -> None:
        rng, seconds = self.rng, end - start
        name = f"{session_id}.mp3"
        recording: dict[str, Any] = {
            "record_id": next(self.record_ids),
            "url": f"https://recordings.demo.example/{customer.tenant}/{name}", "name": name,
            "start_time": stamp(start), "duration": seconds,
            "file_size": seconds * RECORDING_BYTES_PER_S,
            "cost": pricing.text(pricing.per_minute_charge(pricing.RECORDING_PER_MINUTE,
                                                           seconds)),
            "transcription_status": "Not required"}
        record["records"] = [recording]
        if rng.randrange(100) < TRANSCRIBED_PERCENT:
            recording["transcription_status"] = "Complete"
            recording["transcription_url"] = recording["url"].replace(".mp3", ".txt")
            record["resources"] = [{
                "resource_usage_id": next(self.resource_ids), "resource_type": "TRANSCRIPTION",
                "quantity": str(-(-seconds // 60)), "unit": "min",
                "cost": pricing.text(pricing.per_minute_charge(pricing.RECORDING_PER_MINUTE,
                                                               seconds)),
                "description": "Call transcription", "used_at": stamp(end),
                "ref_leg_id": orig_leg}]
