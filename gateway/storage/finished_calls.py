"""SQL of finished calls for statistics: what an ended call counts for, computed from its
originating leg (`o`) and its reported terminating leg (`t`: `sessions.term_leg`), and
kept as the call's rows of `call_figures` (migration 0014): one for the call, and one
for each of its terminating attempts that carries an amount (the carrier's charge). The
raw path of the statistics reads those rows; the summaries (`summaries.py`) add them up."""

from __future__ import annotations

from gateway.storage import leg_paths, partitions
from gateway.storage.sessions import ORIG_LEG_ON, TERM_LEG_ON, of_session
from gateway.storage.sources import Filter, Source
from gateway.storage.sql import Sql

BASE = f"sessions s JOIN legs o ON {ORIG_LEG_ON}"
TERM_LEG = f"LEFT JOIN legs t ON {TERM_LEG_ON}"
# Every terminating attempt of a call that carries an amount: a row per attempt.
CHARGES = f"JOIN legs x ON {of_session('x')} AND x.role = 'term' AND x.amount IS NOT NULL"
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
# The keys a call is grouped and filtered by, and its figures, as `call_figures` and
# `call_summaries` name them; then the expressions of the keys.
KEYS = ("orig_tenant_id", "term_tenant_id", "leg_paths", "originator_id", "device_id",
        "terminator_id", "provider_id", "dst", "dst_group", "user_rate", "provider_rate",
        "currency")
MEASURES = ("calls", "answered", "billsec", "real_billsec", "pdd_ms", "pdd_calls", "amount",
            "billed", "reseller_amount", "charges")
_KEY_EXPRS = ("o.tenant_id", "t.tenant_id", "p.paths", "o.client_id", "o.account_id",
              "t.client_id", "t.account_id", "o.dst_code", "o.dst_name", "o.rates_code",
              "t.rates_code")
_CALL_ROW = ("1", *(f"COALESCE({CALL_VALUES[m]}, 0)" for m in MEASURES[1:-1]), "0")
_CHARGE_ROW = ("0",) * 9 + ("x.amount",)
# What a row holds besides the keys and figures: whose call it is, when it was set up
# (exactly, and its partition month), its numbers and its billed seconds.
CALL_COLUMNS = {"session_id": "s.id", "owner_id": "s.tenant_id", "setup_month": "s.setup_month",
                "setup_time": "s.setup_time", "src_number": "o.src", "dst_number": "o.dst",
                "duration": "COALESCE(o.billsec, 0)"}
COLUMNS = (*CALL_COLUMNS, *KEYS, *MEASURES)


def _rows(currency: str, values: tuple[str, ...], joins: str = "") -> str:
    exprs = (*CALL_COLUMNS.values(), *_KEY_EXPRS, currency, *values)
    return (f"SELECT {', '.join(f'{e} AS {n}' for e, n in zip(exprs, COLUMNS))} "
            f"FROM {BASE} {TERM_LEG} {leg_paths.JOIN} {joins} "
            "WHERE s.kind = 'call' AND s.end_time IS NOT NULL AND {where}")


# Writes the rows of the ended calls among the sessions `{where}` selects (its parameters
# given twice: once for the calls, once for the charged attempts).
FILL = (f"INSERT INTO call_figures ({', '.join(COLUMNS)}) "
        f"{_rows('o.currency', _CALL_ROW)} UNION ALL {_rows('x.currency', _CHARGE_ROW, CHARGES)}")


SOURCE = Source("call_figures f")  # the rows of ended calls


def set_up_between(low: int, high: int, by_time: bool = True) -> Filter:
    """Calls set up in [low, high]; `by_time=False` when another condition finds fewer
    rows through its own index (a number prefix): the unary `+` keeps the planner from
    walking the index of setup times instead, which it would prefer without statistics.
    The whole months around [low, high] are then a condition of their own, which reads
    only their partitions on PostgreSQL (partitions.py) and selects every row of them."""
    first, last = partitions.month_of(low), partitions.month_of(high)
    if by_time or not (partitions.is_month(first) and partitions.is_month(last)):
        return Filter(Sql(f"{'' if by_time else '+'}f.setup_time BETWEEN ? AND ?", (low, high)))
    months = (partitions.first_second(first),
              partitions.first_second(partitions.next_month(last)))
    return Filter(Sql("+f.setup_time BETWEEN ? AND ? AND f.setup_time >= ? "
                      "AND f.setup_time < ?", (low, high, *months)))
