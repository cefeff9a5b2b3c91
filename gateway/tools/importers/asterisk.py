"""Asterisk CDR files (`Master.csv`): one line per CDR, each line one dial attempt.

Layouts (`--layout`, `--columns`):
- `cdr_csv` (default): `cdr_csv.conf`'s 16 columns of every version, then `uniqueid`
  (`loguniqueid`), `userfield` (`loguserfield`) and `peeraccount, linkedid, sequence`
  (`newcdrcolumns`), each group present or not; so 17 columns add `uniqueid`, 18
  `uniqueid, userfield`, 19 the last three alone, 20 `uniqueid` and the last three, 21 all
  five. The first line with one of these counts fixes the file's layout.
- `custom`: the stock `cdr_custom.conf` line, 19 columns: `clid, src, dst, dcontext,
  channel, dstchannel, lastapp, lastdata, start, answer, end, duration, billsec,
  disposition, amaflags, accountcode, uniqueid, userfield, sequence`.
- `--columns a,b,c`: any order of the same names; `start`, `end`, `billsec` and
  `disposition` are required.
A line that does not fit the layout is rejected, the reason naming the layout assumed.

A session is the set of lines sharing a `linkedid`, or a `uniqueid` when the file has no
`linkedid`; a line with neither is a session of its own, its id derived from its content.
Each line is one terminating attempt, in `sequence` order (file order without one). A
line is answered when its disposition is ANSWERED, whatever its billsec; a line that is
not has no answer time even when the file writes one (an ANSWERED line without one was
answered `billsec` seconds before its end). The originating leg is the calling channel:
the line whose `uniqueid` is the session's `linkedid`, else the earliest; its `src` (or
the number of its `clid`, `"Name" <number>`), `dst` and `accountcode`, the session's
earliest start, its answer (the earliest answer of an answered line), its latest end, and
as billed seconds the sum of the answered lines' `billsec`. A terminating attempt's
account is its `peeraccount` (the called side), when the file has one.

A line's identity across imports is its `(uniqueid, sequence)`, or else its whole content.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from typing import Any

from gateway.tools.importers import csvline
from gateway.tools.importers.grouping import Groups
from gateway.tools.importers.ids import derived_key
from gateway.tools.importers.lines import Line, LineRejected
from gateway.tools.importers.records import Options, Parsed, account, leg, session, whole
from gateway.tools.importers.times import LOCAL, to_utc

BASE = ("accountcode", "src", "dst", "dcontext", "clid", "channel", "dstchannel", "lastapp",
        "lastdata", "start", "answer", "end", "duration", "billsec", "disposition", "amaflags")
NEW = ("peeraccount", "linkedid", "sequence")
LAYOUTS = {
    16: BASE,
    17: BASE + ("uniqueid",),
    18: BASE + ("uniqueid", "userfield"),
    19: BASE + NEW,
    20: BASE + ("uniqueid",) + NEW,
    21: BASE + ("uniqueid", "userfield") + NEW,
}
CUSTOM = ("clid", "src", "dst", "dcontext", "channel", "dstchannel", "lastapp", "lastdata",
          "start", "answer", "end", "duration", "billsec", "disposition", "amaflags",
          "accountcode", "uniqueid", "userfield", "sequence")
NAMES = frozenset(BASE + ("uniqueid", "userfield") + NEW)
REQUIRED = ("start", "end", "billsec", "disposition")
DISPOSITIONS = ("ANSWERED", "NO ANSWER", "BUSY", "FAILED", "CONGESTION")
# Legs of one call are written within seconds of each other; this many lines is minutes
# of a busy switch, and bounds the calls held open at once.
GROUP_WINDOW_LINES = 10_000
GROUP_MEMORY_LINES = 100_000  # how long a sent call's id is kept to refuse a straggler
CALLER_ID = re.compile(r'\s*(?:"(?P<name>[^"]*)"\s*)?<(?P<number>[^>]*)>\s*')


class BadColumns(ValueError):
    """`--columns` names an unknown column, one twice, or leaves out a required one."""


@dataclass(frozen=True)
class Layout:
    """The columns the file is read with, and how a reject reason names them."""

    columns: dict[int, tuple[str, ...]]  # by count: several for `cdr_csv`, else one
    name: str  # as the options of an import show it: cdr_csv, custom, or columns:a,b,c
    shown: str  # as a reject reason shows it
    hint: str

    def reason(self, count: int) -> str:
        return f" (layout: {self.shown}, {count} columns{self.hint})"


CDR_CSV = Layout(LAYOUTS, "cdr_csv", "cdr_csv Master.csv", "; try --layout custom or --columns")
CDR_CUSTOM = Layout({len(CUSTOM): CUSTOM}, "custom", "cdr_custom.conf stock line",
                    "; try --columns")


def layout_named(layout: str | None, columns: str | None) -> Layout:
    """The layout of `--layout` (cdr_csv, custom) or `--columns` (a comma-separated list)."""
    if columns is not None:
        names = tuple(name.strip() for name in columns.split(","))
        unknown = [name for name in names if name not in NAMES]
        if unknown:
            raise BadColumns(f"--columns: unknown column {unknown[0]!r} (one of "
                             + ", ".join(sorted(NAMES)) + ")")
        twice = sorted({name for name in names if names.count(name) > 1})
        if twice:
            raise BadColumns(f"--columns: {twice[0]!r} named twice")
        missing = [name for name in REQUIRED if name not in names]
        if missing:
            raise BadColumns(f"--columns: {missing[0]!r} is required")
        return Layout({len(names): names}, "columns:" + ",".join(names), "--columns", "")
    return CDR_CUSTOM if layout == "custom" else CDR_CSV


@dataclass(frozen=True)
class Cdr:
    line: Line
    place: int  # the line's place in the file (its number)
    columns: dict[str, str]
    start: dt.datetime
    answer: dt.datetime | None  # None unless the line is ANSWERED
    end: dt.datetime
    billsec: int

    @property
    def answered(self) -> bool:
        return self.columns["disposition"] == "ANSWERED"


def caller_number(clid: str) -> str:
    found = CALLER_ID.fullmatch(clid)
    return found.group("number") if found else clid


def _time(values: dict[str, str], column: str, zone: Any, suffix: str) -> dt.datetime:
    text = values[column]
    if not LOCAL.fullmatch(text):
        raise LineRejected(f"{column}: not a time as YYYY-MM-DD HH:MM:SS: {text!r}{suffix}")
    return to_utc(text, zone, column)  # a time the clocks skip: the zone's, not the layout's


def parse(values: dict[str, str], line: Line, zone: Any, suffix: str) -> Cdr:
    """One line's values as a CDR, or `LineRejected` (the reason ending with `suffix`, the
    layout assumed, when the values do not fit it)."""
    for column in ("start", "end"):
        if not values[column]:
            raise LineRejected(f"{column}: empty{suffix}")
    disposition = values["disposition"]
    if disposition not in DISPOSITIONS:
        raise LineRejected(f"disposition: {disposition!r} is not one of "
                           + ", ".join(DISPOSITIONS) + suffix)
    try:
        if values.get("duration"):
            whole(values["duration"], "duration")
        billsec = whole(values["billsec"], "billsec")
    except LineRejected as exc:
        raise LineRejected(exc.reason + suffix) from None
    start, end = _time(values, "start", zone, suffix), _time(values, "end", zone, suffix)
    answer = None
    if disposition == "ANSWERED":
        answer = _time(values, "answer", zone, suffix) if values.get("answer") \
            else end - dt.timedelta(seconds=billsec)
    return Cdr(line, line.number, values, start=start, answer=answer, end=end, billsec=billsec)


def _content(line: Line) -> str:
    """The line's text for the ids derived from it (its bytes, one character each, when it
    is not UTF-8): the same whatever `--encoding` says."""
    return line.text if line.text is not None else line.raw.decode("latin-1")


def _ordered(cdrs: list[Cdr]) -> list[Cdr]:
    """The attempts in `sequence` order when every line has one, else in file order."""
    sequences = [c.columns.get("sequence", "") for c in cdrs]
    if all(s.isascii() and s.isdigit() for s in sequences):
        return sorted(cdrs, key=lambda c: (int(c.columns["sequence"]), c.place))
    return sorted(cdrs, key=lambda c: c.place)


def _term_ids(cdrs: list[Cdr]) -> list[str]:
    """Each attempt's leg id: `uniqueid/sequence` (the forks of one dial share the
    uniqueid), `uniqueid/place` without a sequence, or one derived from the line."""
    ids: list[str] = []
    for place, cdr in enumerate(cdrs, 1):
        unique = cdr.columns.get("uniqueid", "")
        own = f"{unique}/{cdr.columns.get('sequence') or place}" if unique else \
            derived_key("line", _content(cdr.line))
        while own in ids:
            own = f"{own}#{place}"
        ids.append(own)
    return ids


def build(options: Options, session_id: str, cdrs: list[Cdr]) -> Parsed:
    """One session from its CDRs (in file order)."""
    attempts = _ordered(cdrs)
    linked = session_id if any(c.columns.get("linkedid") for c in cdrs) else None
    calling = min((c for c in attempts if linked and c.columns.get("uniqueid") == linked),
                  key=lambda c: c.start, default=None) or min(attempts, key=lambda c: c.start)
    answered = [c for c in attempts if c.answered]
    answer = min((c.answer for c in answered if c.answer is not None), default=None)
    setup, end = min(c.start for c in cdrs), max(c.end for c in cdrs)
    billsec = sum(c.billsec for c in answered)
    values = calling.columns
    orig_id = values.get("uniqueid") or values.get("channel") or \
        derived_key("line", _content(calling.line))
    legs = [leg(options, orig_id, "orig", src=values.get("src") or caller_number(
                    values.get("clid", "")), dst=values.get("dst"),
                account=account(options, values.get("accountcode", "")), setup_time=setup,
                start_time=answer, end_time=end, billsec=billsec, real_billsec=billsec,
                disposition="ANSWERED" if answered else attempts[-1].columns["disposition"])]
    for cdr, leg_id in zip(attempts, _term_ids(attempts)):
        line = cdr.columns
        legs.append(leg(options, leg_id, "term",
                        src=line.get("src") or caller_number(line.get("clid", "")),
                        dst=line.get("dst"), account=account(options, line.get("peeraccount", "")),
                        setup_time=cdr.start, start_time=cdr.answer, end_time=cdr.end,
                        billsec=cdr.billsec, real_billsec=cdr.billsec,
                        disposition=line["disposition"]))
    record = session(options, session_id, setup=setup, answer=answer, end=end, legs=legs)
    return Parsed(record, [c.line for c in cdrs], [identity_of(c.line, c.columns) for c in cdrs])


def identity_of(line: Line, values: dict[str, str]) -> str:
    unique, sequence = values.get("uniqueid"), values.get("sequence")
    if unique and sequence:
        return derived_key("asterisk", unique, sequence)
    return derived_key("asterisk-line", _content(line))


class AsteriskCsv:
    def __init__(self, options: Options, layout: Layout = CDR_CSV) -> None:
        self.options = options
        self.layout = layout
        self.columns: tuple[str, ...] | None = None  # fixed by the first line that fits
        self.groups: Groups[Cdr] = Groups(GROUP_WINDOW_LINES, GROUP_MEMORY_LINES)

    def _values(self, line: Line) -> tuple[dict[str, str], str]:
        counts = tuple(self.layout.columns) if self.columns is None else (len(self.columns),)
        shown = str(counts[0]) if len(counts) == 1 else f"{min(counts)} to {max(counts)}"
        suffix = f" (layout: {self.layout.shown}, {shown} columns{self.layout.hint})"
        fields = csvline.fields(line, counts, self.options.encoding, suffix)
        if self.columns is None:
            self.columns = self.layout.columns[len(fields)]
        return dict(zip(self.columns, fields)), self.layout.reason(len(self.columns))

    def identity(self, line: Line) -> str | None:
        return identity_of(line, self._values(line)[0])

    def feed(self, line: Line) -> list[Parsed]:
        values, suffix = self._values(line)
        cdr = parse(values, line, self.options.zone, suffix)
        key = values.get("linkedid") or values.get("uniqueid")
        if not key:
            own = derived_key("cdr", _content(line))
            return [build(self.options, own, [cdr])]
        return [self._built(group) for group in self.groups.add(key, cdr, line.number)]

    def finish(self) -> list[Parsed]:
        return [self._built(group) for group in self.groups.finish()]

    def _built(self, cdrs: list[Cdr]) -> Parsed:
        key = cdrs[0].columns.get("linkedid") or cdrs[0].columns["uniqueid"]
        return build(self.options, key, cdrs)
