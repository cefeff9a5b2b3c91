"""One CSV line as its fields: quoted commas and doubled quotes as the csv module reads
them, a cut quote as a refusal rather than a guess."""

from __future__ import annotations

import csv

from gateway.tools.importers.lines import LineRejected


def split(text: str, columns: tuple[int, ...]) -> list[str]:
    """The fields of one line, refused unless their count is one of `columns`."""
    try:
        rows = list(csv.reader([text], strict=True))
    except csv.Error as exc:
        raise LineRejected(f"not a CSV line ({exc}): a quoted field is cut, "
                           "or holds a line break") from None
    fields = rows[0] if rows else []
    if len(fields) not in columns:
        expected = " or ".join(str(n) for n in columns)
        raise LineRejected(f"{len(fields)} columns, expected {expected}")
    return fields
