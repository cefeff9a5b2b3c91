"""Two-leg call traffic as a switch sends it, in batches of a fixed number of records.

Each batch holds `per_batch` `ingest.sessions` records: the set-ups of `new_calls` live
calls, the answers and ends of live calls set up in earlier batches (6 in 10 are
answered, then all end), a record sent before sent again as it was (every `resend_every`
batches), and finished calls sent once, complete, to fill the batch. The events of one
call are at least `spacing` batches apart, so a sender that waits for batch k's answer
before sending batch k + spacing sees them stored in order; a batch never holds two
records of one call.

`Traffic` keeps what it sent: the session ids, and for each batch the `accepted` and
`unchanged` counts the ingest answer must give (every first record of an event changes
the store; a record sent again as it was changes nothing). A record is sent again only
`spacing` batches after it was first sent.

`reports(now)` are the three reports read while it runs: `aggregate_get` over the 24
hours up to the end of the next hour's last 15-minute bucket (both edges on 15-minute
boundaries and no number filter, so the summaries answer it), the live report grouped by
customer with its rollup, and a `GetCallHistory` page of the same hours with the calls.
"""

from __future__ import annotations

import collections
import random
import time
from dataclasses import dataclass, field
from typing import Any

ANSWERED_SHARE = 0.6  # of the live calls
FINISHED_ANSWERED_SHARE = 0.4  # of the finished calls: about the ASR of §7's peak
FAILURES = (("NO ANSWER", 19), ("BUSY", 17), ("CONGESTION", 34), ("FAILED", 38))
CUSTOMERS = tuple((7001 + i, f"Peak Customer {i + 1}") for i in range(40))
CARRIERS = tuple((7901 + i, f"Peak Carrier {chr(65 + i)}") for i in range(5))
EQUIPMENT = {"id": 7801, "name": "sbc-peak-1"}


BUCKET = 900  # the summaries' finest span (docs/methods/aggregate.md)


def reports(now: int) -> dict[str, tuple[str, dict[str, Any]]]:
    """The reports by label: (method, params by name)."""
    till = (now + 3600) // BUCKET * BUCKET + BUCKET - 1
    low = till + 1 - 86_400
    shown = "%Y-%m-%d %H:%M:%S"
    return {
        "aggregate_get (summaries, 24 h)": ("aggregate_get", {"from": low, "till": till}),
        "live report (rollup by customer)": ("reports.active_sessions.query", {
            "return_fields": ["orig_clients_name", "quantity", "duration"],
            "order": ["-quantity"], "limit": 10, "group": "rollup"}),
        "GetCallHistory (page of 20, with calls)": ("GetCallHistory", {
            "from_date": time.strftime(shown, time.gmtime(low)),
            "to_date": time.strftime(shown, time.gmtime(till)),
            "child_account_id": "all", "with_calls": True, "count": 20}),
    }


def stamp(seconds: int) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(seconds))


@dataclass
class Call:
    """What a live call has been through so far."""
    session_id: str
    setup: int
    customer: int
    carrier: int
    dst: str
    start: int | None = None


@dataclass
class Sent:
    """One batch: its records and the counts its answer must give."""
    records: list[dict[str, Any]]
    accepted: int
    unchanged: int


@dataclass
class Traffic:
    prefix: str
    per_batch: int = 83
    new_calls: int = 20
    spacing: int = 5
    longest: int = 300  # batches a call may stay answered before it ends
    resend_every: int = 0  # 0: no record sent again
    code_deck_id: int | None = None
    seed: int = 1
    sessions: set[str] = field(default_factory=set)
    _rng: random.Random = field(init=False)
    _due: dict[int, list[Call]] = field(default_factory=lambda: collections.defaultdict(list))
    _carried: list[Call] = field(default_factory=list)
    _ended: list[tuple[int, dict[str, Any]]] = field(default_factory=list)
    _count: int = 0
    _tick: int = 0

    def __post_init__(self) -> None:
        self._rng = random.Random(self.seed)
        assert self.new_calls + 1 < self.per_batch

    @property
    def live(self) -> int:
        """Calls set up and not ended yet."""
        return sum(len(calls) for calls in self._due.values()) + len(self._carried)

    def batch(self, now: int | None = None) -> Sent:
        """The next batch, its times at `now` (Unix seconds, default the clock)."""
        now = int(time.time()) if now is None else now
        tick, self._tick = self._tick, self._tick + 1
        records: list[dict[str, Any]] = []
        unchanged = 0
        if self.resend_every and tick % self.resend_every == 0:
            stored = [r for sent_in, r in self._ended if sent_in <= tick - self.spacing]
            if stored:
                records.append(self._rng.choice(stored))
                unchanged = 1
        due = self._carried + self._due.pop(tick, [])
        room = self.per_batch - len(records) - self.new_calls
        self._carried = due[room:]
        for call in due[:room]:
            records.append(self._advance(call, tick, now))
        for _ in range(self.new_calls):
            call = self._new_call(now)
            self._due[tick + self.spacing + self._rng.randrange(3 * self.spacing)].append(call)
            records.append(self._record(call, None, None))
        while len(records) < self.per_batch:
            records.append(self._finished(now))
        return Sent(records, len(records) - unchanged, unchanged)

    def _new_call(self, now: int) -> Call:
        self._count += 1
        session_id = f"{self.prefix}-{self._count}"
        self.sessions.add(session_id)
        customer = self._rng.randrange(len(CUSTOMERS))
        carrier = self._rng.randrange(len(CARRIERS))
        dst = f"3706{self._rng.randrange(10 ** 7):07d}"
        return Call(session_id, now, customer, carrier, dst)

    def _advance(self, call: Call, tick: int, now: int) -> dict[str, Any]:
        """The call's next event: answered (then due to end), or ended."""
        if call.start is None and self._rng.random() < ANSWERED_SHARE:
            call.start = max(now, call.setup)
            later = self.spacing + self._rng.randrange(max(1, self.longest - self.spacing))
            self._due[tick + later].append(call)
            return self._record(call, call.start, None)
        end = max(now, call.start or call.setup)
        record = self._record(call, call.start, end)
        self._ended.append((tick, record))
        return record

    def _finished(self, now: int) -> dict[str, Any]:
        call = self._new_call(now - self._rng.randrange(60, 600))
        if self._rng.random() < FINISHED_ANSWERED_SHARE:
            call.start = call.setup + self._rng.randrange(2, 12)
            end = min(now, call.start + self._rng.randrange(5, 400))
        else:
            end = call.setup + self._rng.randrange(3, 40)
        return self._record(call, call.start, end)

    def _record(self, call: Call, start: int | None, end: int | None) -> dict[str, Any]:
        client_id, client_name = CUSTOMERS[call.customer]
        carrier_id, carrier_name = CARRIERS[call.carrier]
        src = f"3705{2000000 + call.customer:07d}"
        orig: dict[str, Any] = {
            "leg_id": "orig", "role": "orig", "src": src, "dst": call.dst,
            "client": {"id": client_id, "name": client_name},
            "account": {"id": client_id * 10, "name": f"peak-dev-{client_id}"},
            "rates_code": "3706"}
        term: dict[str, Any] = {
            "leg_id": "term-1", "role": "term", "src": src, "dst": call.dst,
            "client": {"id": carrier_id, "name": carrier_name},
            "account": {"id": carrier_id * 10, "name": f"peak-trunk-{carrier_id}"}}
        if self.code_deck_id is not None:
            orig["code_deck_id"] = term["code_deck_id"] = self.code_deck_id
        record: dict[str, Any] = {
            "session_id": call.session_id, "setup_time": stamp(call.setup),
            "start_time": None if start is None else stamp(start),
            "end_time": None if end is None else stamp(end),
            "equipment": EQUIPMENT, "legs": [orig, term]}
        if end is not None:
            self._end_legs(orig, term, start, end)
        return record

    def _end_legs(self, orig: dict[str, Any], term: dict[str, Any], start: int | None,
                  end: int) -> None:
        if start is None:
            disposition, cause = self._rng.choice(FAILURES)
            for leg in (orig, term):
                leg.update(disposition=disposition, hangup_cause=cause, billsec=0)
            return
        seconds = end - start
        billed = -(-seconds // 60) * 60  # per started minute
        for leg, rate in ((orig, 125), (term, 90)):  # ten-thousandths of a USD a minute
            leg.update(disposition="ANSWERED", hangup_cause=16, billsec=billed,
                       real_billsec=seconds, amount=f"{billed // 60 * rate / 10_000:.4f}",
                       currency="USD", start_time=stamp(start), end_time=stamp(end))
