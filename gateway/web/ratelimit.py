"""Per-key rate limits, with `limits`' moving window kept in memory.

A key allows `rate` calls a second with bursts of `burst`: a moving window of
`burst / rate` seconds holding `rate * window` calls. A batch costs one unit per member and
is charged all or nothing (`limits` refuses a hit whose whole cost does not fit).
"""

from __future__ import annotations

import asyncio
import contextlib
import math
import time

from limits import RateLimitItemPerSecond
from limits.aio.storage import MemoryStorage
from limits.aio.strategies import MovingWindowRateLimiter

from gateway.core.apikeys import UNLIMITED, Caller
from gateway.core.config import Limits
from gateway.core.errors import RateLimited


class RateLimiter:
    def __init__(self, limits: Limits) -> None:
        self.default_rate = limits.rate_per_second
        self.window_s = max(1, math.ceil(limits.rate_burst / limits.rate_per_second))
        self.storage = MemoryStorage()
        self.strategy = MovingWindowRateLimiter(self.storage)

    async def charge(self, caller: Caller, cost: int) -> None:
        """Take `cost` units from the caller's key, or raise `RateLimited`."""
        rate = self.default_rate if caller.rate_limit is None else caller.rate_limit
        if rate == UNLIMITED:
            return
        item = RateLimitItemPerSecond(rate * self.window_s, self.window_s)
        if await self.strategy.hit(item, caller.key_id, cost=cost):
            return
        stats = await self.strategy.get_window_stats(item, caller.key_id)
        retry_ms = max(1, math.ceil((stats.reset_time - time.time()) * 1000))
        raise RateLimited(f"the key's limit of {rate * self.window_s} calls in "
                          f"{self.window_s} s is reached", retry_ms)

    async def close(self) -> None:
        timer = self.storage.timer
        if timer is not None and not timer.done():
            timer.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await timer
