"""What a format makes of lines: session records for `ingest.sessions`, each with the
lines it came from (for the counts and the rejects file)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any, Callable, Protocol
from zoneinfo import ZoneInfo

from gateway.tools.importers.ids import derived_id
from gateway.tools.importers.lines import Line, LineRejected
from gateway.tools.importers.times import rfc3339


@dataclass(frozen=True)
class Options:
    """What the command line says of the file."""

    owner: str  # the owning tenant's name (the key of derived reference ids)
    zone: ZoneInfo
    tenant: str | None = None  # set in each record when `--tenant` was given
    equipment: dict[str, Any] | None = None  # `{id, name}` of `--equipment`
    code_deck: int | None = None
    encoding: str = "latin-1"  # of the fields that are not valid UTF-8 (`csvline`)


@dataclass
class Parsed:
    record: dict[str, Any]
    lines: list[Line] = field(default_factory=list)
    # each line's identity (`Format.identity`), in the order of `lines`; empty for a format
    # whose imports are not remembered
    identities: list[str] = field(default_factory=list)


class Format(Protocol):
    """Turns lines into session records; a bad line raises `LineRejected`."""

    def feed(self, line: Line) -> list[Parsed]:
        """The sessions complete once `line` is read (often none, or just its own)."""

    def finish(self) -> list[Parsed]:
        """The sessions still open at the end of the file."""

    def identity(self, line: Line) -> str | None:
        """What names `line` across imports (None: the format's imports are not
        remembered); raises `LineRejected` for a line it cannot read."""


class OneLineEach:
    """A format whose every line is one whole session (FreeSWITCH CSV, JSON lines)."""

    def __init__(self, parse: Callable[[Line, Options], Parsed], options: Options) -> None:
        self.parse = parse
        self.options = options

    def feed(self, line: Line) -> list[Parsed]:
        return [self.parse(line, self.options)]

    def finish(self) -> list[Parsed]:
        return []

    def identity(self, line: Line) -> str | None:
        return None


def session(options: Options, session_id: str, setup: dt.datetime, answer: dt.datetime | None,
            end: dt.datetime, legs: list[dict[str, Any]]) -> dict[str, Any]:
    """A finished call as `ingest.sessions` takes it."""
    record: dict[str, Any] = {"session_id": session_id, "kind": "call"}
    if options.tenant is not None:
        record["tenant"] = options.tenant
    record.update(setup_time=rfc3339(setup), start_time=answer and rfc3339(answer),
                  end_time=rfc3339(end))
    if options.equipment is not None:
        record["equipment"] = options.equipment
    record["legs"] = legs
    return record


def leg(options: Options, leg_id: str, role: str, **values: Any) -> dict[str, Any]:
    """A leg with its times as RFC 3339 and empty values left out."""
    out: dict[str, Any] = {"leg_id": leg_id, "role": role}
    for name, value in values.items():
        if isinstance(value, dt.datetime):
            value = rfc3339(value)
        if value is not None and value != "":
            out[name] = value
    if options.code_deck is not None:
        out["code_deck_id"] = options.code_deck
    return out


def account(options: Options, code: str) -> dict[str, Any] | None:
    """An account code as an account reference, its id derived from tenant and code."""
    if not code:
        return None
    return {"id": derived_id("accounts", options.owner, code), "name": code}


def whole(text: str, column: str) -> int:
    if not (text.isascii() and text.isdigit()):
        raise LineRejected(f"{column}: not a whole number of seconds: {text!r}")
    return int(text)
