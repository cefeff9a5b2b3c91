"""SQL of finished calls for statistics: one row per ended call with its originating leg
(`o`) and its reported terminating leg (`t`: `sessions.term_leg`), and what a call
counts for. The summaries (`summaries.py`) add up the same expressions."""

from __future__ import annotations

from gateway.storage.sessions import ORIG_LEG_ON, TERM_LEG_ON
from gateway.storage.sources import Filter, Join, Source
from gateway.storage.sql import Sql

ENDED_CALLS = Filter(Sql("s.kind = 'call' AND s.end_time IS NOT NULL"))
BASE = f"sessions s JOIN legs o ON {ORIG_LEG_ON}"
TERM_LEG = f"LEFT JOIN legs t ON {TERM_LEG_ON}"
# Every terminating attempt of a call that carries an amount: a row per attempt.
CHARGES = "JOIN legs x ON x.session_id = s.id AND x.role = 'term' AND x.amount IS NOT NULL"
_ANSWERED = "s.start_time IS NOT NULL"
_WITH_PDD = f"{_ANSWERED} AND o.pdd_ms IS NOT NULL"
# What one call adds to each figure (NULL counts as nothing).
CALL_VALUES = {
    "answered": f"CASE WHEN {_ANSWERED} THEN 1 ELSE 0 END",
    "billsec": "o.billsec",
    "real_billsec": "o.real_billsec",
    "pdd_ms": f"CASE WHEN {_WITH_PDD} THEN o.pdd_ms ELSE 0 END",
    "pdd_calls": f"CASE WHEN {_WITH_PDD} THEN 1 ELSE 0 END",
    "amount": "o.amount",
    "billed": "COALESCE(o.reseller_amount, o.amount)",  # what the operator bills
    "reseller_amount": "o.reseller_amount",
}


def name_joins(ids: dict[str, str], needs: tuple[str, ...] = ()) -> tuple[Join, ...]:
    """Joins of the client and account names of both sides, by their id expressions."""
    return tuple(Join(alias, Sql(f"LEFT JOIN {table} {alias} ON {alias}.id = {ids[alias]}"),
                      needs if alias.startswith("t") else ())
                 for alias, table in (("oc", "clients"), ("oa", "accounts"),
                                      ("tc", "clients"), ("ta", "accounts")))


def source(charged: bool = False) -> Source:
    """Ended calls with their legs; `charged`: a row per charged terminating attempt."""
    base = f"{BASE} {CHARGES}" if charged else BASE
    ids = {"oc": "o.client_id", "oa": "o.account_id", "tc": "t.client_id", "ta": "t.account_id"}
    return Source(base, (Join("t", Sql(TERM_LEG)), *name_joins(ids, ("t",))))


def set_up_between(low: int, high: int) -> Filter:
    return Filter(Sql("s.setup_time BETWEEN ? AND ?", (low, high)))
