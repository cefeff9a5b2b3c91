"""One CSV line as its fields: quoted commas and doubled quotes as the csv module reads
them, a cut quote as a refusal rather than a guess.

Real switch files carry names in legacy 8-bit encodings. A line that is not valid UTF-8
is split on its bytes (read as Latin-1, which maps each byte to one character, so the
commas and quotes stay where they are), and then each field is decoded on its own: as
UTF-8 when it is valid UTF-8, else in the file's 8-bit encoding (`--encoding`, default
Latin-1). A byte that encoding does not define becomes U+FFFD; it never refuses a line.
"""

from __future__ import annotations

import codecs
import csv

from gateway.tools.importers.lines import Line, LineRejected

DEFAULT_ENCODING = "latin-1"
PROBE = ',"\r\n0123456789 -:abcxyzABCXYZ'  # what a CSV line needs to read the same


class UnknownEncoding(ValueError):
    """`--encoding` names no codec, or one in which CSV punctuation is not ASCII."""


def encoding_named(name: str) -> str:
    """The codec's canonical name, if it can decode the fields of a CSV line."""
    try:
        info = codecs.lookup(name)
    except LookupError:
        raise UnknownEncoding(f"unknown encoding {name!r} (a Python codec name such as "
                              "latin-1, cp1252 or cp1251)") from None
    try:
        ascii_compatible = PROBE.encode(info.name) == PROBE.encode("ascii")
    except (UnicodeError, TypeError, LookupError):
        ascii_compatible = False
    if not ascii_compatible:
        raise UnknownEncoding(f"encoding {name!r} is not an 8-bit encoding that keeps ASCII "
                              "as it is (such as latin-1, cp1252 or cp1251)")
    return info.name


def split(text: str, columns: tuple[int, ...], layout: str = "") -> list[str]:
    """The fields of one line, refused unless their count is one of `columns` (`layout`:
    what the reason adds when it is not)."""
    try:
        rows = list(csv.reader([text], strict=True))
    except csv.Error as exc:
        raise LineRejected(f"not a CSV line ({exc}): a quoted field is cut, "
                           "or holds a line break") from None
    fields = rows[0] if rows else []
    if len(fields) not in columns:
        expected = " or ".join(str(n) for n in columns)
        raise LineRejected(f"{len(fields)} columns, expected {expected}{layout}")
    return fields


def _field(value: str, encoding: str) -> str:
    raw = value.encode("latin-1")
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        return raw.decode(encoding, errors="replace")


def fields(line: Line, columns: tuple[int, ...], encoding: str = DEFAULT_ENCODING,
           layout: str = "") -> list[str]:
    """The fields of `line`, each decoded as the module's docstring says."""
    if line.text is not None:
        return split(line.text, columns, layout)
    return [_field(value, encoding)
            for value in split(line.raw.decode("latin-1"), columns, layout)]
