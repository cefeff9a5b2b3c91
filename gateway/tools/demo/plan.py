"""What one `gateway demo` run produces: how many sessions of each kind, over which
window, and the ids its records take (each seed has its own block, so two seeds' data sets
can share a store)."""

from __future__ import annotations

import hashlib
import itertools
import uuid
from dataclasses import dataclass
from typing import Iterator

from gateway.core.clock import DAY
from gateway.tools.demo.catalogue import EQUIPMENT
from gateway.tools.demo.timeline import WINDOW_DAYS

MIN_CALLS = 100  # fewer could not hold the live sessions and a month of traffic
MAX_CALLS = 100_000_000  # keeps each kind of id inside its seed's block (ID_BLOCK)
MIN_LIVE = 20  # live sessions at least, whatever the size: the active report needs rows
LIVE_PERCENT = 1  # and at least this share of the sessions
VIDEO_PERCENT = 5
CALLS_PER_QUEUE_SESSION = 10
ID_BLOCK = 10 ** 10  # integer ids of seed s are s * ID_BLOCK + 1, + 2, ...
MAX_SEED = 2 ** 62 // ID_BLOCK - 1  # the store takes ids below 2**62
# Bumped whenever the generators' output changes (tests/test_demo.py pins a fingerprint of
# it): a store filled by another version is refused rather than half-overwritten.
DATA_VERSION = 1
_NAMESPACE = uuid.UUID("6f1d2c4e-8a43-4f0b-9a57-2f0c1e5b7d31")


class PlanError(ValueError):
    """Arguments the demo cannot honour."""


@dataclass(frozen=True)
class Plan:
    seed: int
    calls: int  # sessions in all: calls and video rooms, ended and live
    anchor: int  # Unix seconds: the data lies in the 30 days before it

    @property
    def start(self) -> int:
        return self.anchor - WINDOW_DAYS * DAY

    @property
    def bootstrap(self) -> int:
        """The operator's route tests that come first (one per switch)."""
        return len(EQUIPMENT)

    @property
    def live(self) -> int:
        """Sessions set up in the last minutes and still up at the anchor."""
        return max(MIN_LIVE, -(-self.calls * LIVE_PERCENT // 100))

    @property
    def history(self) -> int:
        return self.calls - self.bootstrap - self.live

    @property
    def queue_sessions(self) -> int:
        return self.calls // CALLS_PER_QUEUE_SESSION

    def is_video(self, index: int) -> bool:
        """Exactly VIDEO_PERCENT of the sessions, evenly spread."""
        return (index + 1) * VIDEO_PERCENT // 100 != index * VIDEO_PERCENT // 100

    def session_id(self, index: int, video: bool) -> str:
        """A switch's call id (a UUID) or a video platform's session id (24 hex digits)."""
        key = f"gateway-demo:{self.seed}:{index}"
        if video:
            return hashlib.sha256(key.encode()).hexdigest()[:24]
        return str(uuid.uuid5(_NAMESPACE, key))

    def ids(self) -> Iterator[int]:
        """Integer ids of one kind of record, in the seed's block."""
        return itertools.count(self.seed * ID_BLOCK + 1)


def make_plan(seed: int, calls: int, anchor: int) -> Plan:
    if not MIN_CALLS <= calls <= MAX_CALLS:
        raise PlanError(f"--calls must be from {MIN_CALLS} to {MAX_CALLS:,}, not {calls}")
    if not 0 <= seed <= MAX_SEED:
        raise PlanError(f"--seed must be from 0 to {MAX_SEED}, not {seed}")
    return Plan(seed, calls, anchor)


def leg_id(session_id: str, n: int) -> str:
    return str(uuid.uuid5(_NAMESPACE, f"{session_id}:{n}"))
