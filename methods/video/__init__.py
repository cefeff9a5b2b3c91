"""Video session reports (docs/methods/video.md, EnableX's UCaaS reporting): ended video
sessions, paged and searchable, and each one's per-participant CDR and recordings.

What a session shows is declared in storage/video_sessions.py. A session is visible when
a participant's tenant is in the caller's subtree (docs/tenancy.md). Dates are UTC.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from gateway.core import roles
from gateway.core.errors import NotFound, Unprocessable
from gateway.query.listing import HIDDEN, Condition, Listing, Viewer, page, rows, where
from gateway.storage import Row
from gateway.storage import video_sessions as video
from gateway.storage.attributes import Kind
from methods.answers import shown, without_nulls
from methods.context import Context, Params, RpcMethod
from methods.json_schemas import DATE_TIME
from methods.video.params import DATE_FORMAT, DESC, ListParams, SessionParams, as_list

TABLE = "sessions"
ORDER_KEYS = ("session_id", "room_id", "user_id", "meeting_id", "connect_dt", "disconnect_dt",
              "duration")
DEFAULT_ORDER = ("connect_dt", "session_id")
_EQUALS = ("room_id", "session_id", "meeting_id")
_SHOWN = ("id", "session_id", "meeting_id", "room_id", "connect_dt", "disconnect_dt",
          "app_type", "user_id", "user_name", "duration")
MAX_CDR = 10_000  # participants or recordings of one session in one answer


def _utc(text: str) -> int:
    return int(dt.datetime.strptime(text, DATE_FORMAT).replace(tzinfo=dt.timezone.utc)
               .timestamp())


def _of_app(params: Params) -> list[Condition]:
    return [where("app_type", "eq", params["app_type"])] if params["app_type"] else []


def _conditions(params: Params) -> list[Condition]:
    found = _of_app(params)
    for key, value in zip(as_list(params["search_by"] or []),
                          as_list(params["search_string"] or [])):
        if key in _EQUALS:
            found.append(where(key, "eq", value))
        elif key == "user_id":  # any participant's user
            found.append(where("participant_user_id", "any_in", int(value)) if value.isdigit()
                         else where("id", "in"))
        else:
            found.append(where("connect_dt", "ge" if key == "from_session_date" else "le",
                               _utc(value)))
    return found


def _order_keys(params: Params) -> list[str]:
    keys = [k.strip() for k in params["order_by"].split(",")] if params["order_by"] \
        else list(DEFAULT_ORDER)
    return list(dict.fromkeys([*keys, "session_id", "id"]))


async def _details(context: Context, ids: list[int]) -> list[Row]:
    """The sessions' rows with owner, owner's name and minutes, in the order of `ids`."""
    if not ids:
        return []
    listing = Listing(video.SESSIONS, _SHOWN, Viewer(context.caller.scope),
                      [where("id", "in", *ids)])
    by_id = {int(r["id"]): r for r in await rows(context.db, listing, len(ids))}
    return [by_id[i] for i in ids]


def _time(seconds: int | None) -> str | None:
    if seconds is None:
        return None
    return dt.datetime.fromtimestamp(seconds, dt.timezone.utc).strftime(DATE_FORMAT)


def _session(row: Row) -> dict[str, Any]:
    connect = _time(row["connect_dt"])
    values = {"session_id": row["session_id"], "meeting_id": row["meeting_id"],
              "room_id": row["room_id"],
              "user_id": None if row["user_id"] is None else str(row["user_id"]),
              "user_name": row["user_name"], "trans_date": connect and connect[:10],
              "connect_dt": connect, "disconnect_dt": _time(row["disconnect_dt"]),
              "duration": int(row["duration"]), "app_type": row["app_type"]}
    return shown(values.items(), row.get(HIDDEN, ()))


def _echo(params: Params) -> dict[str, Any]:
    echo: dict[str, Any] = {"page": params["page"], "page_length": params["page_length"]}
    for name in ("search_by", "search_string", "order_by"):
        if params[name] is not None:
            echo[name] = params[name]
    echo["order_qualify"] = params["order_qualify"]
    return echo


async def list_sessions(context: Context, params: Params) -> dict[str, Any]:
    """A page (found by the sessions' ids first, so an index serves the default order and
    the owners and minutes are computed for the page only)."""
    descending = params["order_qualify"] == DESC
    listing = Listing(video.SESSIONS, _SHOWN, Viewer(context.caller.scope),
                      _conditions(params), [(k, descending) for k in _order_keys(params)],
                      limit=params["page_length"],
                      offset=(params["page"] - 1) * params["page_length"])
    found, total = await page(context.db, listing, True)
    return {"result": 1, "search": _echo(params), "sessions": [_session(r) for r in found],
            "total": total}


async def _one(context: Context, params: Params) -> Row:
    """The visible session with the id; 404 when none, 422 when several tenants' match."""
    listing = Listing(video.SESSIONS, ("id",), Viewer(context.caller.scope),
                      [*_of_app(params),
                       where("session_id", "eq", params["session_id"])], [("id", False)],
                      limit=2)
    found = await rows(context.db, listing)
    if not found:
        raise NotFound(TABLE, params["session_id"])
    if len(found) > 1:
        raise Unprocessable("session-id-ambiguous", f"more than one session has the id "
                            f"{params['session_id']!r}")
    return (await _details(context, [int(found[0]["id"])]))[0]


async def _of_session(context: Context, kind: Kind, session: Row,
                      order: tuple[str, ...]) -> list[Row]:
    listing = Listing(kind, list(kind.attributes), Viewer(context.caller.scope),
                      [where("session_id", "eq", session["id"])],
                      [(name, False) for name in order])
    return await rows(context.db, listing, MAX_CDR)


async def session_cdr(context: Context, params: Params) -> dict[str, Any]:
    row = await _one(context, params)
    cdr = []
    for leg in await _of_session(context, video.PARTICIPANTS, row, ("position", "id")):
        seconds = None if leg["start_time"] is None or leg["end_time"] is None \
            else leg["end_time"] - leg["start_time"]
        values = {"call_num": leg["call_num"], "call_log_id": leg["call_log_id"],
                  "connect_dt": _time(leg["start_time"]),
                  "disconnect_dt": _time(leg["end_time"]),
                  "duration": None if seconds is None else -(-seconds // 60),
                  "user_ref": leg["user_ref"], "name": leg["name"],
                  "role": leg["participant_role"], "ip": leg["ip"], "agent": leg["agent"]}
        cdr.append(without_nulls(values))
    return {"result": 1, "session": _session(row), "cdr": cdr}


async def session_recordings(context: Context, params: Params) -> dict[str, Any]:
    row = await _one(context, params)
    recordings = []
    records = await _of_session(context, video.RECORDINGS, row, ("start_time", "id"))
    for stage, record in enumerate(records, 1):
        start, length = record["start_time"], record["duration"]
        values = {"file": record["url"], "play_time": length, "stage": stage,
                  "start_time": start,
                  "end_time": None if start is None or length is None else start + length,
                  "file_size": record["file_size"]}
        recordings.append(without_nulls(values))
    return {"result": 1, "session": _session(row), "recordings": recordings}


SESSION = {"type": "object", "properties": {
    name: {"type": "integer" if name == "duration" else "string"}
    for name in ("session_id", "meeting_id", "room_id", "user_id", "user_name", "trans_date",
                 "connect_dt", "disconnect_dt", "duration", "app_type")}}
_TEXT, _WHOLE = {"type": "string"}, {"type": "integer"}
CDR_ROW = {"type": "object", "additionalProperties": False, "properties": {
    "call_num": _TEXT, "call_log_id": _TEXT, "connect_dt": DATE_TIME,
    "disconnect_dt": DATE_TIME,
    "duration": {"type": "integer", "description": "whole minutes, rounded up"},
    "user_ref": _TEXT, "name": _TEXT, "role": _TEXT, "ip": _TEXT, "agent": _TEXT}}
RECORDING = {"type": "object", "additionalProperties": False, "properties": {
    "file": _TEXT, "play_time": _WHOLE, "stage": _WHOLE,
    "start_time": {"type": "integer", "description": "Unix seconds"},
    "end_time": {"type": "integer", "description": "Unix seconds"}, "file_size": _WHOLE}}
READERS = roles.READERS
METHODS = {
    "ucaas.sessions.list": RpcMethod(
        list_sessions, ListParams(), READERS,
        "Ended video sessions, paged, searched and ordered (EnableX's GET /sessions), with "
        "our `total`.",
        result={"type": "object", "properties": {
            "result": {"const": 1}, "search": {"type": "object"},
            "sessions": {"type": "array", "items": SESSION}, "total": {"type": "integer"}}}),
    "ucaas.sessions.cdr": RpcMethod(
        session_cdr, SessionParams(), READERS,
        "A video session and its CDR: one row per participant's connection.",
        result={"type": "object", "properties": {"result": {"const": 1}, "session": SESSION,
                                                 "cdr": {"type": "array",
                                                         "items": CDR_ROW}}},
        errors=(NotFound, Unprocessable)),
    "ucaas.sessions.recordings": RpcMethod(
        session_recordings, SessionParams(), READERS,
        "A video session and its recordings, in the order they were made.",
        result={"type": "object", "properties": {"result": {"const": 1}, "session": SESSION,
                                                 "recordings": {"type": "array",
                                                                "items": RECORDING}}},
        errors=(NotFound, Unprocessable)),
}
