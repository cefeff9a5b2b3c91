"""JSON Lines: one `ingest.sessions` record per line, sent as it is.

The command line's options fill in what a record leaves out (its tenant, its equipment,
each leg's code deck); a record's own values win.
"""

from __future__ import annotations

from typing import Any

import orjson

from gateway.tools.importers.lines import Line, LineRejected, not_utf8
from gateway.tools.importers.records import Options, Parsed


def parse(line: Line, options: Options) -> Parsed:
    if line.text is None:
        raise LineRejected(not_utf8(line.raw))
    try:
        record: Any = orjson.loads(line.text)
    except orjson.JSONDecodeError as exc:
        raise LineRejected(f"not JSON: {exc}") from None
    if not isinstance(record, dict):
        raise LineRejected("not a JSON object (one session record per line)")
    if options.tenant is not None:
        record.setdefault("tenant", options.tenant)
    if options.equipment is not None:
        record.setdefault("equipment", options.equipment)
    legs = record.get("legs")
    if options.code_deck is not None and isinstance(legs, list):
        for leg in legs:
            if isinstance(leg, dict):
                leg.setdefault("code_deck_id", options.code_deck)
    return Parsed(record, [line])
