"""JSON out: one encoder for every answer."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import orjson


def _exact(value: Any) -> Any:
    """Decimals (money, rates) as JSON numbers written exactly as they are."""
    if isinstance(value, Decimal):
        return orjson.Fragment(str(value))
    raise TypeError(f"not JSON serialisable: {type(value).__name__}")


def encode(payload: Any) -> bytes:
    """JSON, with decimals exact."""
    return orjson.dumps(payload, default=_exact)
