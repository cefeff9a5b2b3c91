"""Video session reports (methods.md section 4, EnableX's UCaaS reporting): ended video
sessions, paged and searchable, and each one's per-participant CDR and recordings.

A session's owner is the user of its first participant; it connected at its start (its
setup when it never started) and disconnected at its end; its duration is the sum of its
participants' connected minutes, each rounded up. A session is visible when its tenant or
a participant's is in the caller's subtree. Dates are UTC.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from gateway import roles
from gateway.context import Context, Params, RpcMethod
from gateway.errors import NotFound, Unprocessable
from gateway.query.scope import tenant_within
from gateway.query.sql import TRUE, Sql, all_of
from methods.answers import without_nulls
from methods.video.params import DATE_FORMAT, DESC, ListParams, SessionParams, as_list

TABLE = "sessions"
# The sessions' own columns (`v`), cheap to page through; an index serves the default order.
_BASE = (
    "SELECT s.id, s.source_id AS session_id, s.meeting_id, s.room_id, "
    "COALESCE(s.start_time, s.setup_time) AS connect_dt, s.end_time AS disconnect_dt, "
    "s.app_type FROM sessions s WHERE s.kind = 'video' AND s.end_time IS NOT NULL AND ")
_MINUTES = "(p.end_time - p.start_time + 59) / 60"  # connected minutes, rounded up
# ... and what is computed from the participants: the owner and the minutes.
_COMPUTED = (
    "(SELECT o.user_id FROM legs o WHERE o.session_id = v.id ORDER BY o.position, o.id "
    "LIMIT 1) AS owner, "
    f"(SELECT COALESCE(SUM({_MINUTES}), 0) FROM legs p WHERE p.session_id = v.id "
    "AND p.start_time IS NOT NULL AND p.end_time IS NOT NULL) AS duration")
# order_by key -> (expression over `v`, whether it is text, whether it may be NULL)
ORDER = {"session_id": ("v.session_id", True, False), "room_id": ("v.room_id", True, True),
         "user_id": ("v.owner", False, True), "meeting_id": ("v.meeting_id", True, True),
         "connect_dt": ("v.connect_dt", False, False),
         "disconnect_dt": ("v.disconnect_dt", False, False),
         "duration": ("v.duration", False, False)}
COMPUTED = {"user_id", "duration"}  # order keys that need `_COMPUTED`
DEFAULT_ORDER = ("connect_dt", "session_id")
_EQUALS = {"room_id": "v.room_id", "session_id": "v.session_id", "meeting_id": "v.meeting_id"}


def _visible(scope: str) -> Sql:
    own = tenant_within("s.tenant_id", scope)
    if own is TRUE:
        return TRUE
    legs = tenant_within("l.tenant_id", scope)
    return Sql(f"({own.text} OR EXISTS (SELECT 1 FROM legs l WHERE l.session_id = s.id "
               f"AND {legs.text}))", (*own.params, *legs.params))


def _sessions(context: Context, app_type: str | None, computed: bool) -> Sql:
    """The visible ended video sessions (of one app type), as the table `v`; `computed`:
    with their owner and minutes."""
    where = all_of([_visible(context.caller.scope),
                    Sql("s.app_type = ?", (app_type,)) if app_type else TRUE])
    base = f"({_BASE}{where.text}) v"
    if computed:
        base = f"(SELECT v.*, {_COMPUTED} FROM {base}) v"
    return Sql(base, where.params)


def _utc(text: str) -> int:
    return int(dt.datetime.strptime(text, DATE_FORMAT).replace(tzinfo=dt.timezone.utc)
               .timestamp())


def _searched(params: Params) -> Sql:
    conditions = []
    for key, value in zip(as_list(params["search_by"] or []),
                          as_list(params["search_string"] or [])):
        if key in _EQUALS:
            conditions.append(Sql(f"{_EQUALS[key]} = ?", (value,)))
        elif key == "user_id":  # any participant's user
            conditions.append(Sql(
                "EXISTS (SELECT 1 FROM legs p WHERE p.session_id = v.id AND p.user_id = ?)",
                (int(value),)) if value.isdigit() else Sql("1 = 0"))
        else:
            op = ">=" if key == "from_session_date" else "<="
            conditions.append(Sql(f"v.connect_dt {op} ?", (_utc(value),)))
    return all_of(conditions)


def _order_keys(params: Params) -> list[str]:
    keys = [k.strip() for k in params["order_by"].split(",")] if params["order_by"] \
        else list(DEFAULT_ORDER)
    return list(dict.fromkeys([*keys, "session_id"]))


def _order(keys: list[str], descending: bool, engine: str) -> str:
    way = "DESC" if descending else "ASC"
    terms = []
    for key in keys:
        expr, text, nullable = ORDER[key]
        if nullable:  # NULLs after values ascending, before them descending, on both engines
            terms.append(f"({expr} IS NULL) {way}")
        terms.append(f'{expr} COLLATE "C" {way}' if text and engine == "postgresql"
                     else f"{expr} {way}")
    return ", ".join([*terms, f"v.id {way}"])


async def _details(context: Context, ids: list[int]) -> list[dict[str, Any]]:
    """The sessions' rows with owner, owner's name and minutes, in the order of `ids`."""
    if not ids:
        return []
    marks = ", ".join("?" for _ in ids)
    rows = await context.db.fetch_all(
        f"SELECT v.*, u.name AS user_name FROM (SELECT v.*, {_COMPUTED} FROM "
        f"({_BASE}s.id IN ({marks})) v) v LEFT JOIN users u ON u.id = v.owner", ids)
    by_id = {int(r["id"]): r for r in rows}
    return [by_id[i] for i in ids]


def _time(seconds: int | None) -> str | None:
    if seconds is None:
        return None
    return dt.datetime.fromtimestamp(seconds, dt.timezone.utc).strftime(DATE_FORMAT)


def _session(row: dict[str, Any]) -> dict[str, Any]:
    connect = _time(row["connect_dt"])
    values = {"session_id": row["session_id"], "meeting_id": row["meeting_id"],
              "room_id": row["room_id"],
              "user_id": None if row["owner"] is None else str(row["owner"]),
              "user_name": row["user_name"], "trans_date": connect and connect[:10],
              "connect_dt": connect, "disconnect_dt": _time(row["disconnect_dt"]),
              "duration": int(row["duration"]), "app_type": row["app_type"]}
    return without_nulls(values)


def _echo(params: Params) -> dict[str, Any]:
    echo: dict[str, Any] = {"page": params["page"], "page_length": params["page_length"]}
    for name in ("search_by", "search_string", "order_by"):
        if params[name] is not None:
            echo[name] = params[name]
    echo["order_qualify"] = params["order_qualify"]
    return echo


async def list_sessions(context: Context, params: Params) -> dict[str, Any]:
    """A page of ids first (by the sessions' own columns where the order allows: an index
    serves the default), then the page's owners and minutes."""
    keys = _order_keys(params)
    search = _searched(params)
    paged = _sessions(context, params["app_type"], computed=bool(COMPUTED & set(keys)))
    order = _order(keys, params["order_qualify"] == DESC, context.db.engine)
    rows = await context.db.fetch_all(
        f"SELECT v.id FROM {paged.text} WHERE {search.text} ORDER BY {order} LIMIT ? OFFSET ?",
        (*paged.params, *search.params, params["page_length"],
         (params["page"] - 1) * params["page_length"]))
    counted = _sessions(context, params["app_type"], computed=False)
    total = await context.db.fetch_one(
        f"SELECT COUNT(*) AS n FROM {counted.text} WHERE {search.text}",
        (*counted.params, *search.params))
    sessions = await _details(context, [int(r["id"]) for r in rows])
    return {"result": 1, "search": _echo(params), "sessions": [_session(r) for r in sessions],
            "total": int(total["n"]) if total else 0}


async def _one(context: Context, params: Params) -> dict[str, Any]:
    """The visible session with the id; 404 when none, 422 when several tenants' match."""
    source = _sessions(context, params["app_type"], computed=False)
    rows = await context.db.fetch_all(
        f"SELECT v.id FROM {source.text} WHERE v.session_id = ? ORDER BY v.id LIMIT 2",
        (*source.params, params["session_id"]))
    if not rows:
        raise NotFound(TABLE, params["session_id"])
    if len(rows) > 1:
        raise Unprocessable("session-id-ambiguous", f"more than one session has the id "
                            f"{params['session_id']!r}")
    return (await _details(context, [int(rows[0]["id"])]))[0]


async def session_cdr(context: Context, params: Params) -> dict[str, Any]:
    row = await _one(context, params)
    legs = await context.db.fetch_all(
        "SELECT call_num, call_log_id, start_time, end_time, user_ref, name, participant_role, "
        "ip, agent FROM legs WHERE session_id = ? ORDER BY position, id", (row["id"],))
    cdr = []
    for leg in legs:
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
    records = await context.db.fetch_all(
        "SELECT url, duration, start_time, file_size FROM records WHERE session_id = ? "
        "ORDER BY start_time, id", (row["id"],))
    recordings = []
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
                                                 "cdr": {"type": "array"}}},
        errors=(NotFound, Unprocessable)),
    "ucaas.sessions.recordings": RpcMethod(
        session_recordings, SessionParams(), READERS,
        "A video session and its recordings, in the order they were made.",
        result={"type": "object", "properties": {"result": {"const": 1}, "session": SESSION,
                                                 "recordings": {"type": "array"}}},
        errors=(NotFound, Unprocessable)),
}
