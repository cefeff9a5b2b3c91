"""SQL of finished calls for statistics: one row per ended call with its originating leg
(`o`) and its reported terminating leg (`t`: `sessions.term_leg`), and the expressions
statistics group, filter and sum by.

A call counts for a caller when its originating or its reported terminating leg is in
the caller's subtree; a leg outside it shows no client, account or rate code.
"""

from __future__ import annotations

from gateway.query.scope import tenant_within
from gateway.query.select import Filter, Join, Source
from gateway.query.sql import TRUE, Sql, when

ENDED_CALLS = Filter(Sql("s.kind = 'call' AND s.end_time IS NOT NULL"))
ANSWERED = "s.start_time IS NOT NULL"
# Every terminating attempt of a call with an amount: a row per attempt (the cost side).
TERM_CHARGES = "JOIN legs x ON x.session_id = s.id AND x.role = 'term' AND x.amount IS NOT NULL"


def source(charges: bool = False) -> Source:
    """Ended calls with their legs; `charges`: one row per charged terminating attempt."""
    base = "sessions s JOIN legs o ON o.session_id = s.id AND o.role = 'orig'"
    if charges:
        base += " " + TERM_CHARGES
    return Source(base, (
        Join("t", Sql("LEFT JOIN legs t ON t.session_id = s.id AND t.leg_id = s.term_leg")),
        Join("oc", Sql("LEFT JOIN clients oc ON oc.id = o.client_id")),
        Join("oa", Sql("LEFT JOIN accounts oa ON oa.id = o.account_id")),
        Join("tc", Sql("LEFT JOIN clients tc ON tc.id = t.client_id"), ("t",)),
        Join("ta", Sql("LEFT JOIN accounts ta ON ta.id = t.account_id"), ("t",)),
    ))


def set_up_between(low: int, high: int) -> Filter:
    return Filter(Sql("s.setup_time BETWEEN ? AND ?", (low, high)))


def visible(scope: str) -> Filter:
    orig, term = tenant_within("o.tenant_id", scope), tenant_within("t.tenant_id", scope)
    if orig is TRUE:
        return Filter(TRUE)
    return Filter(Sql(f"({orig.text}) OR ({term.text})", (*orig.params, *term.params)), ("t",))


def leg_value(leg: str, expr: str, scope: str) -> Sql:
    """`expr` of leg `o` or `t`, NULL when that leg is outside the subtree."""
    return when(tenant_within(f"{leg}.tenant_id", scope), Sql(expr))
