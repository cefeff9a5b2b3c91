"""What `aggregate_get` groups by and sums, as columns of the query layer over ended
calls (`gateway.storage.finished_calls`)."""

from __future__ import annotations

from dataclasses import dataclass
from zoneinfo import ZoneInfo

from gateway.query.select import Column
from gateway.query.sql import Sql
from gateway.query.zones import local_time
from gateway.storage import finished_calls as calls

DAY, HOUR = 86_400, 3_600
# group flag -> the row keys it adds, in row order
KEYS = {
    "group_by_user": ("originator_id", "originator_name"),
    "group_by_device": ("device_id", "device_name"),
    "group_by_terminator": ("terminator_id", "terminator_name"),
    "group_by_provider": ("provider_id", "provider_name"),
    "group_by_dst_group": ("dst_group",),
    "group_by_dst": ("dst",),
    "group_by_day": ("day",),
    "group_by_hour": ("hour",),
    "group_by_user_rate": ("user_rate",),
    "group_by_provider_rate": ("provider_rate",),
}
# Hidden keys every query groups by too: money is summed exactly per currency and UTC day.
UTC_DAY, CURRENCY = "utc_day", "currency"
TEXT_KEYS = {"originator_name", "device_name", "terminator_name", "provider_name", "dst_group",
             "dst", "user_rate", "provider_rate", CURRENCY}


@dataclass(frozen=True)
class View:
    """Who asks and how: the caller's scope, whether it is the operator (the root), the
    zone and range of day/hour keys, and the price and seconds wanted."""

    scope: str
    operator: bool
    zone: ZoneInfo
    low: int
    high: int
    user_price: bool  # from_user_perspective
    real_billsec: bool


def keys(view: View, charges: bool = False) -> dict[str, Column]:
    """Every row key (and the hidden keys) as a column."""
    o = lambda expr: calls.leg_value("o", expr, view.scope)  # noqa: E731
    t = lambda expr: calls.leg_value("t", expr, view.scope)  # noqa: E731
    local = local_time(Sql("s.setup_time"), view.zone, view.low, view.high)
    exprs = {
        "originator_id": (o("o.client_id"), ()), "originator_name": (o("oc.name"), ("oc",)),
        "device_id": (o("o.account_id"), ()), "device_name": (o("oa.name"), ("oa",)),
        "terminator_id": (t("t.client_id"), ("t",)),
        "terminator_name": (t("tc.name"), ("t", "tc")),
        "provider_id": (t("t.account_id"), ("t",)),
        "provider_name": (t("ta.name"), ("t", "ta")),
        "dst_group": (Sql("o.dst_name"), ()), "dst": (Sql("o.dst_code"), ()),
        "day": (Sql(f"{local.text} / {DAY}", local.params), ()),
        "hour": (Sql(f"{local.text} / {HOUR}", local.params), ()),
        "user_rate": (o("o.rates_code"), ()), "provider_rate": (t("t.rates_code"), ("t",)),
        UTC_DAY: (Sql(f"s.setup_time / {DAY}"), ()),
        CURRENCY: (Sql("x.currency") if charges else o("o.currency"), ()),
    }
    return {name: Column(name, expr, needs, name in TEXT_KEYS)
            for name, (expr, needs) in exprs.items()}


def _sum(name: str, expr: str, view: View, orig_only: bool = False) -> Column:
    sql = calls.leg_value("o", expr, view.scope) if orig_only else Sql(expr)
    return Column(name, Sql(f"COALESCE({sql.text}, 0)", sql.params), aggregate="sum")


def call_measures(view: View) -> list[Column]:
    """The figures of calls, and their money on the originating side."""
    answered = calls.ANSWERED
    with_pdd = f"{answered} AND o.pdd_ms IS NOT NULL"
    seconds = "o.real_billsec" if view.real_billsec else "o.billsec"
    if view.user_price or not view.operator:
        price = "o.amount"
    else:
        price = "COALESCE(o.reseller_amount, o.amount)"
    measures = [
        Column("calls", aggregate="count"),
        _sum("answered", f"CASE WHEN {answered} THEN 1 ELSE 0 END", view),
        _sum("billsec", seconds, view),
        _sum("pdd_ms", f"CASE WHEN {with_pdd} THEN o.pdd_ms ELSE 0 END", view),
        _sum("pdd_calls", f"CASE WHEN {with_pdd} THEN 1 ELSE 0 END", view),
        _sum("price", price, view, orig_only=True),
    ]
    if not view.operator:  # a reseller's cost is what it is charged for its users' calls
        measures.append(_sum("cost", "o.reseller_amount", view, orig_only=True))
    return measures


CHARGES = Column("cost", Sql("x.amount"), aggregate="sum")
