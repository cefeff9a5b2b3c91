"""The demo's contact-centre queue sessions (ACD): callers waiting in a customer's queue,
then served by an agent, abandoning, or turned away when the queue is full; each with the
events the queue logged. Laid out over the month by the same traffic curve as the calls,
and cut at the anchor like them."""

from __future__ import annotations

import itertools
import json
import math
import random
from typing import Any, Iterator

from gateway.core.clock import HOUR
from gateway.tools.demo.catalogue import CUSTOMERS, ZONES, Customer, Ref
from gateway.tools.demo.plan import Plan
from gateway.tools.demo.timeline import WINDOW_DAYS, hourly_weights, spread, stamp

REJECTED_PERCENT, ABANDONED_PERCENT = 4, 14  # the rest are served
WAIT_MEDIAN_S, WAIT_SIGMA = 35, 0.9
SERVICE_MEDIAN_S, SERVICE_SIGMA = 210, 0.8
AFTER_SERVICE_S = (5, 90)  # wrap-up time
AGENT_RING_S = (2, 8)
OPERATOR_HANGUP_PERCENT = 35
PRIORITY_WEIGHTS = (85, 6, 4, 3, 1, 1)  # priority 0 to 5


def _lognormal(rng: random.Random, median: int, sigma: float, cap: int) -> int:
    return min(cap, max(1, int(rng.lognormvariate(math.log(median), sigma))))


class QueueMaker:
    def __init__(self, plan: Plan, rng: random.Random) -> None:
        self.plan = plan
        self.rng = rng
        self.session_ids = plan.ids()
        self.event_ids = plan.ids()

    def make(self, customer: Customer, queue: Ref, begin: int) -> dict[str, Any]:
        rng = self.rng
        outcome = rng.randrange(100)
        events: list[tuple[int, str, int | None, str | None]] = [(begin, "ENQUEUED", None, None)]
        record: dict[str, Any] = {
            "acd_session_history_id": next(self.session_ids), "tenant": customer.tenant,
            "acd_request_id": f"{rng.getrandbits(128):032x}", "acd_queue_id": queue.id,
            "begin_time": stamp(begin),
            "priority": rng.choices(range(len(PRIORITY_WEIGHTS)), PRIORITY_WEIGHTS)[0],
            "operator_hangup": False, "unserviced": False, "rejected": False}
        if outcome < REJECTED_PERCENT:
            reason = rng.choice(("max_queue_size", "max_waiting_time"))
            wait = rng.randint(0, 3) if reason == "max_queue_size" else 600
            record.update(rejected=True, waiting_duration=wait)
            events.append((begin + wait, "REJECTED", None, json.dumps({"reason": reason})))
        elif outcome < REJECTED_PERCENT + ABANDONED_PERCENT:
            wait = _lognormal(rng, WAIT_MEDIAN_S * 2, WAIT_SIGMA, 1800)
            record.update(unserviced=True, waiting_duration=wait)
            events.append((begin + wait, "ABANDONED", None, None))
        else:
            agent = rng.choice(customer.devices).user.id
            wait = _lognormal(rng, WAIT_MEDIAN_S, WAIT_SIGMA, 1800)
            service = _lognormal(rng, SERVICE_MEDIAN_S, SERVICE_SIGMA, 2 * HOUR)
            after = rng.randint(*AFTER_SERVICE_S)
            hangup = rng.randrange(100) < OPERATOR_HANGUP_PERCENT
            served = begin + wait
            record.update(user_id=agent, waiting_duration=wait, in_service_duration=service,
                          after_service_duration=after, operator_hangup=hangup)
            events += [
                (max(begin, served - rng.randint(*AGENT_RING_S)), "OPERATOR_DISPATCHED", agent,
                 None),
                (served, "SERVICE_STARTED", agent, None),
                (served + service, "SERVICE_FINISHED", agent,
                 json.dumps({"hangup": "operator" if hangup else "client"})),
                (served + service + after, "AFTER_SERVICE_FINISHED", agent, None)]
        self._cut(record, begin, events)
        record["events"] = [
            {k: v for k, v in (("acd_session_event_id", next(self.event_ids)),
                               ("time", stamp(moment)), ("type", kind), ("user_id", user),
                               ("custom_data", data)) if v is not None}
            for moment, kind, user, data in events]
        return record

    def _cut(self, record: dict[str, Any], begin: int,
             events: list[tuple[int, str, int | None, str | None]]) -> None:
        """A session still going on at the anchor: later events unseen, durations open."""
        anchor = self.plan.anchor
        if events[-1][0] <= anchor:
            return
        events[:] = [e for e in events if e[0] <= anchor]
        for field in ("in_service_duration", "after_service_duration", "operator_hangup"):
            record.pop(field, None)
        if not any(e[1] == "SERVICE_STARTED" for e in events):
            record["waiting_duration"] = anchor - begin
            record.pop("user_id", None)
            record.update(unserviced=False, rejected=False)


def queue_sessions(plan: Plan) -> Iterator[dict[str, Any]]:
    """`plan.queue_sessions` records, hour by hour over the window."""
    rng = random.Random(f"gateway-demo:{plan.seed}:queues")
    maker = QueueMaker(plan, rng)
    centres = [(c, q) for c in CUSTOMERS for q in c.queues]
    weights = hourly_weights(plan.start, WINDOW_DAYS * 24,
                             [(ZONES[c.tenant], c.share, c.weekend) for c, _ in centres])
    for hour, count in enumerate(spread(plan.queue_sessions, [sum(w) for w in weights])):
        cum = tuple(itertools.accumulate(weights[hour]))
        base = plan.start + hour * HOUR
        for offset in sorted(rng.randrange(HOUR) for _ in range(count)):
            customer, queue = rng.choices(centres, cum_weights=cum)[0]
            yield maker.make(customer, queue, base + offset)
