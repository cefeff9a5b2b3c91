"""The demo's sessions in the order a switch would send them: the operator's route tests
first, then a month of traffic hour by hour (more in each customer's business hours, in its
own time zone), then the sessions still up at the anchor.

A lazy iterator: only one hour's set-up times are ever held, whatever the size.
"""

from __future__ import annotations

import itertools
import math
import random
from typing import Any, Iterator

from gateway.core.clock import HOUR
from gateway.tools.demo.calls import RINGING, TALKING, CallMaker
from gateway.tools.demo.catalogue import CUSTOMERS, EQUIPMENT, NOC, VIDEO_SERVER, ZONES, Customer
from gateway.tools.demo.plan import Plan
from gateway.tools.demo.timeline import WINDOW_DAYS, hourly_weights, spread
from gateway.tools.demo.video import VideoMaker

LIVE_RINGING_PERCENT = 20  # live calls still ringing at the anchor; the others talk
LIVE_RING_S = (1, 25)
LIVE_TALK_MEDIAN_S, LIVE_TALK_SIGMA = 150, 1.0  # how long a live call has been up
LIVE_TALK_MAX_S = 3 * HOUR
LIVE_VIDEO_S = (60, 50 * 60)


def _parties() -> list[tuple[str, int, int]]:
    return [(ZONES[c.tenant], c.share, c.weekend) for c in CUSTOMERS]


def sessions(plan: Plan) -> Iterator[dict[str, Any]]:
    """Every session record of the plan, `plan.calls` of them."""
    rng = random.Random(f"gateway-demo:{plan.seed}:sessions")
    record_ids, resource_ids = plan.ids(), plan.ids()
    calls = CallMaker(plan, rng, record_ids, resource_ids)
    video = VideoMaker(plan, rng, record_ids, resource_ids)
    index = itertools.count()

    def one(customer: Customer, setup: int) -> dict[str, Any]:
        n = next(index)
        if plan.is_video(n):
            return video.make(customer, setup, plan.session_id(n, True))
        return calls.make(customer, setup, plan.session_id(n, False))

    for minute, equipment in enumerate(EQUIPMENT, 1):
        setup, n = plan.start + 60 * minute, next(index)
        if equipment is VIDEO_SERVER:
            yield video.make(NOC, setup, plan.session_id(n, True))
        else:
            yield calls.make(NOC, setup, plan.session_id(n, False), equipment=equipment)

    weights = hourly_weights(plan.start, WINDOW_DAYS * 24, _parties())
    for hour, count in enumerate(spread(plan.history, [sum(w) for w in weights])):
        cum = tuple(itertools.accumulate(weights[hour]))
        base = plan.start + hour * HOUR
        for offset in sorted(rng.randrange(HOUR) for _ in range(count)):
            yield one(rng.choices(CUSTOMERS, cum_weights=cum)[0], base + offset)

    cum = tuple(itertools.accumulate(weights[-1]))
    for _ in range(plan.live):
        customer = rng.choices(CUSTOMERS, cum_weights=cum)[0]
        n = next(index)
        if plan.is_video(n):
            age = rng.randint(*LIVE_VIDEO_S)
            yield video.make(customer, plan.anchor - age, plan.session_id(n, True), live=True)
        elif rng.randrange(100) < LIVE_RINGING_PERCENT:
            age = rng.randint(*LIVE_RING_S)
            yield calls.make(customer, plan.anchor - age, plan.session_id(n, False),
                             live=RINGING)
        else:
            age = min(LIVE_TALK_MAX_S, int(rng.lognormvariate(math.log(LIVE_TALK_MEDIAN_S),
                                                              LIVE_TALK_SIGMA))) + 5
            yield calls.make(customer, plan.anchor - age, plan.session_id(n, False),
                             live=TALKING)
