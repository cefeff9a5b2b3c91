"""FreeSWITCH `mod_cdr_csv` with its default template: one line per call.

Columns: caller_id_name, caller_id_number, destination_number, context, start_stamp,
answer_stamp, end_stamp, duration, billsec, hangup_cause, uuid, bleg_uuid, accountcode,
read_codec, write_codec. The session's id is `uuid`, its orig leg the A leg (account:
`accountcode`); a `bleg_uuid` adds the term leg, which the line describes only through
the A leg, so it carries the same parties, times, billed seconds and outcome. The
hangup cause is a Q.850 name (`q850`); the disposition is ANSWERED when the call was
answered or billed (billed without an answer stamp: answered `billsec` seconds before
its end), else follows from the cause.

A field that is not valid UTF-8 is decoded in the file's 8-bit encoding (`csvline`). A
line's identity across imports is its `uuid`, so a grown file imports its new calls only.
"""

from __future__ import annotations

import datetime as dt

from gateway.tools.importers import csvline, q850
from gateway.tools.importers.ids import derived_key
from gateway.tools.importers.lines import Line, LineRejected
from gateway.tools.importers.records import (OneLineEach, Options, Parsed, account, leg, session,
                                             whole)
from gateway.tools.importers.times import to_utc

COLUMNS = ("caller_id_name", "caller_id_number", "destination_number", "context",
           "start_stamp", "answer_stamp", "end_stamp", "duration", "billsec", "hangup_cause",
           "uuid", "bleg_uuid", "accountcode", "read_codec", "write_codec")


def _values(line: Line, options: Options) -> dict[str, str]:
    return dict(zip(COLUMNS, csvline.fields(line, (len(COLUMNS),), options.encoding)))


def _identity(uuid: str) -> str:
    return derived_key("freeswitch", uuid)


def parse(line: Line, options: Options) -> Parsed:
    values = _values(line, options)
    for column in ("start_stamp", "end_stamp", "uuid"):
        if not values[column]:
            raise LineRejected(f"{column}: empty")
    zone = options.zone
    start = to_utc(values["start_stamp"], zone, "start_stamp")
    answer = to_utc(values["answer_stamp"], zone, "answer_stamp") \
        if values["answer_stamp"] else None
    end = to_utc(values["end_stamp"], zone, "end_stamp")
    whole(values["duration"], "duration")
    billsec = whole(values["billsec"], "billsec")
    cause = values["hangup_cause"]
    if billsec > 0 and answer is None:  # billed without an answer stamp: answered then
        answer = end - dt.timedelta(seconds=billsec)
    outcome = dict(src=values["caller_id_number"], dst=values["destination_number"],
                   setup_time=start, start_time=answer, end_time=end, billsec=billsec,
                   real_billsec=billsec,
                   disposition=q850.disposition(cause, answer is not None),
                   hangup_cause=q850.CAUSES.get(cause))
    legs = [leg(options, values["uuid"], "orig", account=account(options, values["accountcode"]),
                **outcome)]
    if values["bleg_uuid"]:
        legs.append(leg(options, values["bleg_uuid"], "term", **outcome))
    return Parsed(session(options, values["uuid"], start, answer, end, legs), [line],
                  [_identity(values["uuid"])])


class FreeSwitchCsv(OneLineEach):
    def __init__(self, options: Options) -> None:
        super().__init__(parse, options)

    def identity(self, line: Line) -> str | None:
        uuid = _values(line, self.options)["uuid"]
        if not uuid:
            raise LineRejected("uuid: empty")
        return _identity(uuid)
