"""The file as numbered physical lines, read in binary and decoded one at a time. A line
that is not valid UTF-8 keeps only its bytes: the CSV formats decode its fields in the
file's 8-bit encoding (`csvline.fields`), JSON lines refuses it (`not_utf8`)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import BinaryIO, Callable, Iterator

MAX_LINE_BYTES = 1 << 20  # one session record with its legs; a longer line is not a CDR
CHUNK_BYTES = 1 << 16  # how much of an over-long line is skipped at a time


class LineRejected(Exception):
    """A line refused before it reaches the store, with the reason written to rejects."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class Line:
    number: int  # 1-based, counting every physical line (as an editor does)
    raw: bytes  # without its line break
    text: str | None  # None when the line is not valid UTF-8, or has a `problem`
    problem: str | None = None  # why the line cannot be read at all (too long)

    @property
    def content(self) -> str:
        """The line as the rejects file shows it: undecodable bytes as `\\xNN`."""
        if self.text is not None:
            return self.text
        return self.raw.decode("utf-8", errors="backslashreplace")


def _skip_rest(file: BinaryIO, on_bytes: Callable[[int], None]) -> None:
    while True:
        chunk = file.readline(CHUNK_BYTES)
        on_bytes(len(chunk))
        if not chunk or chunk.endswith(b"\n"):
            return


def not_utf8(raw: bytes) -> str:
    """Where `raw` stops being UTF-8, as a reason."""
    try:
        raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        return f"not valid UTF-8: byte 0x{raw[exc.start]:02x} at column {exc.start + 1}"
    return "valid UTF-8"


def _decoded(number: int, raw: bytes) -> Line:
    if number == 1:
        raw = raw.removeprefix(b"\xef\xbb\xbf")  # a byte order mark written by some editors
    try:
        text: str | None = raw.decode("utf-8")
    except UnicodeDecodeError:
        text = None
    return Line(number, raw, text)


def read_lines(file: BinaryIO, on_bytes: Callable[[int], None]) -> Iterator[Line]:
    """Every non-blank line of `file`; `on_bytes` hears how many bytes each read took."""
    number = 0
    while True:
        raw = file.readline(MAX_LINE_BYTES + 1)
        if not raw:
            return
        on_bytes(len(raw))
        number += 1
        if len(raw) > MAX_LINE_BYTES and not raw.endswith(b"\n"):
            _skip_rest(file, on_bytes)
            yield Line(number, raw[:80], None,
                       f"longer than {MAX_LINE_BYTES} bytes (only its start is shown)")
            continue
        raw = raw.rstrip(b"\r\n")
        if raw.strip():
            yield _decoded(number, raw)
