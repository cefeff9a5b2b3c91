"""The ids that tell requests apart in answers (`X-Request-Id`, error data) and logs."""

from __future__ import annotations

import itertools
import secrets


class RequestIds:
    """Request ids of one process: 32 hex digits, a random prefix of the process and a
    counter, cheaper than a random id per request and as unique within a log."""

    def __init__(self) -> None:
        self.prefix = secrets.token_hex(8)
        self.counter = itertools.count()

    def __call__(self) -> str:
        return f"{self.prefix}{next(self.counter):016x}"
