"""Asterisk `cdr_csv` (`Master.csv`): one line per CDR, each line one leg.

Columns: the 16 of every version, then `uniqueid` (`loguniqueid`), `userfield`
(`loguserfield`) and `peeraccount, linkedid, sequence` (`newcdrcolumns`), each group
present or not; so 17 columns add `uniqueid`, 18 `uniqueid, userfield`, 19 the last
three alone, 20 `uniqueid` and the last three, 21 all five. The first line with one of
these counts fixes the file's layout; a line with another count (a truncated one) is
rejected.

Lines sharing a `linkedid` (or, without one, a `uniqueid`) are the legs of one session
whose id it is. Its `orig` leg is the line whose `uniqueid` is the `linkedid`, else the
group's first line; the others are `term` legs. The session runs from the earliest
start to the latest end and is answered when its orig leg is. A line with neither id is
a session of its own, its ids derived from its content. The orig leg's account is the
line's `accountcode`; a term leg's is its `peeraccount` (the called side), when present.
The caller id (`clid`, `"Name" <number>`) gives the number when `src` is empty; the
name has no place in a leg.
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
from gateway.tools.importers.times import to_utc

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
DISPOSITIONS = ("ANSWERED", "NO ANSWER", "BUSY", "FAILED", "CONGESTION")
# Legs of one call are written within seconds of each other; this many lines is minutes
# of a busy switch, and bounds the calls held open at once.
GROUP_WINDOW_LINES = 10_000
GROUP_MEMORY_LINES = 100_000  # how long a sent call's id is kept to refuse a straggler
CALLER_ID = re.compile(r'\s*(?:"(?P<name>[^"]*)"\s*)?<(?P<number>[^>]*)>\s*')


@dataclass(frozen=True)
class Cdr:
    line: Line
    columns: dict[str, str]
    start: dt.datetime
    answer: dt.datetime | None
    end: dt.datetime
    billsec: int


def caller_number(clid: str) -> str:
    found = CALLER_ID.fullmatch(clid)
    return found.group("number") if found else clid


def parse(line: Line, layout: tuple[str, ...], zone: Any) -> Cdr:
    """One line as a CDR, or `LineRejected`."""
    assert line.text is not None
    values = dict(zip(layout, csvline.split(line.text, (len(layout),))))
    for column in ("start", "end"):
        if not values[column]:
            raise LineRejected(f"{column}: empty")
    if values["disposition"] not in DISPOSITIONS:
        raise LineRejected(f"disposition: {values['disposition']!r} is not one of "
                           + ", ".join(DISPOSITIONS))
    whole(values["duration"], "duration")
    answer = values["answer"]
    return Cdr(line, values, start=to_utc(values["start"], zone, "start"),
               answer=to_utc(answer, zone, "answer") if answer else None,
               end=to_utc(values["end"], zone, "end"),
               billsec=whole(values["billsec"], "billsec"))


def _leg_ids(cdrs: list[Cdr]) -> list[str]:
    """Each leg's id: its `uniqueid` (Asterisk 12+ repeats it on the forks of one dial, so
    a repeat takes its `sequence`, or its place), else one derived from the line."""
    ids: list[str] = []
    for place, cdr in enumerate(cdrs, 1):
        own = cdr.columns.get("uniqueid") or derived_key("line", cdr.line.text or "")
        if own in ids:
            own = f"{own}#{cdr.columns.get('sequence') or place}"
        while own in ids:
            own = f"{own}#{place}"
        ids.append(own)
    return ids


def build(options: Options, session_id: str, cdrs: list[Cdr]) -> Parsed:
    """One session from its CDRs (in file order)."""
    linked = [c for c in cdrs if c.columns.get("uniqueid") == session_id]
    orig = linked[0] if linked else cdrs[0]
    ordered = [orig] + [c for c in cdrs if c is not orig]
    legs = []
    for cdr, leg_id in zip(ordered, _leg_ids(ordered)):
        values = cdr.columns
        role = "orig" if cdr is orig else "term"
        code = values["accountcode"] if role == "orig" else values.get("peeraccount", "")
        legs.append(leg(options, leg_id, role,
                        src=values["src"] or caller_number(values["clid"]), dst=values["dst"],
                        account=account(options, code), setup_time=cdr.start,
                        start_time=cdr.answer, end_time=cdr.end, billsec=cdr.billsec,
                        real_billsec=cdr.billsec, disposition=values["disposition"]))
    record = session(options, session_id, setup=min(c.start for c in cdrs), answer=orig.answer,
                     end=max(c.end for c in cdrs), legs=legs)
    return Parsed(record, [c.line for c in cdrs])


class AsteriskCsv:
    def __init__(self, options: Options) -> None:
        self.options = options
        self.layout: tuple[str, ...] | None = None
        self.groups: Groups[Cdr] = Groups(GROUP_WINDOW_LINES, GROUP_MEMORY_LINES)

    def _layout(self, line: Line) -> tuple[str, ...]:
        if self.layout is None:
            assert line.text is not None
            self.layout = LAYOUTS[len(csvline.split(line.text, tuple(LAYOUTS)))]
        return self.layout

    def feed(self, line: Line) -> list[Parsed]:
        cdr = parse(line, self._layout(line), self.options.zone)
        key = cdr.columns.get("linkedid") or cdr.columns.get("uniqueid")
        if not key:
            own = derived_key("cdr", line.text or "")
            return [build(self.options, own, [cdr])]
        return [self._built(group) for group in self.groups.add(key, cdr, line.number)]

    def finish(self) -> list[Parsed]:
        return [self._built(group) for group in self.groups.finish()]

    def _built(self, cdrs: list[Cdr]) -> Parsed:
        key = cdrs[0].columns.get("linkedid") or cdrs[0].columns["uniqueid"]
        return build(self.options, key, cdrs)
