"""How demo calls end: Q.850 hangup causes with the disposition each maps to (as
Asterisk's CDRs map them), and how often each happens.

A call's fate is drawn in two steps, as on a real switch: each carrier attempt may be
refused by the network (congestion and the like: the switch then tries the next carrier),
and the attempt that gets through ends as the called party makes it end.
"""

from __future__ import annotations

from dataclasses import dataclass

ANSWERED, NO_ANSWER, BUSY, FAILED, CONGESTION = (
    "ANSWERED", "NO ANSWER", "BUSY", "FAILED", "CONGESTION")
NORMAL_CLEARING = 16
NO_ROUTE = 3


@dataclass(frozen=True)
class Ending:
    cause: int
    disposition: str
    ring: tuple[int, int]  # seconds from ringing to the end, lowest and highest


# The called party's side, per mille of attempts that get through. The answered share is
# scaled by each destination's answer rate.
ANSWER_WEIGHT = 470
CALLED_PARTY: tuple[tuple[Ending, int], ...] = (
    (Ending(19, NO_ANSWER, (30, 60)), 120),  # no answer: the switch gave up ringing
    (Ending(16, NO_ANSWER, (3, 25)), 55),  # the caller hung up while it rang
    (Ending(18, NO_ANSWER, (8, 20)), 20),  # no user responding
    (Ending(17, BUSY, (0, 1)), 90),  # user busy
    (Ending(20, FAILED, (0, 2)), 25),  # subscriber absent (a mobile switched off)
    (Ending(1, FAILED, (0, 1)), 25),  # unallocated number
    (Ending(21, FAILED, (0, 3)), 15),  # call rejected
    (Ending(27, FAILED, (0, 2)), 10),  # destination out of order
    (Ending(28, FAILED, (0, 1)), 5),  # invalid number format
    (Ending(31, FAILED, (0, 3)), 5),  # normal, unspecified
    (Ending(127, FAILED, (0, 2)), 5),  # interworking, unspecified
)

# The network's side: why a carrier attempt is refused (the switch then advances).
NETWORK: tuple[tuple[Ending, int], ...] = (
    (Ending(34, CONGESTION, (0, 1)), 40),  # no circuit/channel available
    (Ending(42, CONGESTION, (0, 1)), 20),  # switching equipment congestion
    (Ending(41, CONGESTION, (0, 2)), 15),  # temporary failure
    (Ending(38, CONGESTION, (0, 2)), 10),  # network out of order
    (Ending(44, CONGESTION, (0, 1)), 5),  # requested channel not available
    (Ending(NO_ROUTE, FAILED, (0, 1)), 5),  # no route to destination
    (Ending(102, FAILED, (3, 6)), 5),  # recovery on timer expiry
)
