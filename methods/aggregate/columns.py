"""What `aggregate_get` groups by and sums, as columns of the query layer, over either
store of ended calls: the calls' rows (`finished_calls`) or the summaries."""

from __future__ import annotations

from dataclasses import dataclass
from zoneinfo import ZoneInfo

from gateway.query.scope import paths_within, tenant_within
from gateway.query.select import Column
from gateway.query.zones import local_time
from gateway.storage import finished_calls, summaries
from gateway.storage.sources import Filter, Source
from gateway.storage.sql import Sql, when

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
# key -> the leg whose tenant may hide it: "o", "t" or None (the names of the ids are
# looked up for the grouped rows: methods/aggregate/__init__.py)
_KEY_SIDES = {
    "originator_id": "o", "device_id": "o", "terminator_id": "t", "provider_id": "t",
    "dst_group": None, "dst": None, "user_rate": "o", "provider_rate": "t",
}
TEXT_KEYS = {"dst_group", "dst", "user_rate", "provider_rate", CURRENCY}


@dataclass(frozen=True)
class Store:
    """Where ended calls are read: the rows of the calls (`call_figures`) or the
    summaries. Both name their keys and figures alike (finished_calls.KEYS, MEASURES)."""

    source: Source
    alias: str
    time: str  # the setup time (or its 15-minute bucket)
    summary: bool = False

    def column(self, name: str) -> str:
        return f"{self.alias}.{name}"


_TENANTS = {"o": "orig_tenant_id", "t": "term_tenant_id"}  # leg -> its tenant's key


def raw_store() -> Store:
    return Store(finished_calls.SOURCE, "f", "f.setup_time")


def summary_store() -> Store:
    return Store(summaries.SOURCE, "m", "m.bucket", summary=True)


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
    currency: str  # a_currency: what money is converted into


def _shown(store: Store, leg: str, scope: str, expr: str) -> Sql:
    return when(tenant_within(store.column(_TENANTS[leg]), scope), Sql(expr))


def keys(store: Store, view: View) -> dict[str, Column]:
    """Every row key (and the hidden keys) as a column."""
    out = {}
    for name, leg in _KEY_SIDES.items():
        expr = Sql(store.column(name)) if leg is None else \
            _shown(store, leg, view.scope, store.column(name))
        out[name] = Column(name, expr, text=name in TEXT_KEYS)
    local = local_time(Sql(store.time), view.zone, view.low, view.high)
    out["day"] = Column("day", Sql(f"{local.text} / {DAY}", local.params))
    out["hour"] = Column("hour", Sql(f"{local.text} / {HOUR}", local.params))
    # A call's row holds the originating side's money in its currency, an attempt's row
    # the charge in the attempt's.
    currency = Sql(store.column(CURRENCY))
    out[CURRENCY] = Column(CURRENCY, currency, text=True)
    # Money needs its UTC day only where it is converted: not in the wanted currency.
    out[UTC_DAY] = Column(UTC_DAY, Sql(
        f"CASE WHEN {currency.text} = ? THEN NULL ELSE {store.time} / {DAY} END",
        (*currency.params, view.currency)))
    return out


def visible(store: Store, scope: str) -> Filter:
    """A call with any leg in the subtree, by the tenants of its legs."""
    return Filter(paths_within(store.column("leg_paths"), scope))


def pays_resellers(scope: str) -> bool:
    """Whether `scope` holds the resellers who pay `reseller_amount`: the root's and a
    reseller's subtree do, a customer's does not (docs/tenancy.md)."""
    return scope.count("/") <= 3  # `/1/` or `/1/<reseller>/`


def _sum(name: str, sql: Sql) -> Column:
    return Column(name, Sql(f"COALESCE({sql.text}, 0)", sql.params), aggregate="sum")


def measures(store: Store, view: View) -> list[Column]:
    """The figures of calls and their money: price, and cost (the operator's: what the
    carriers charge; a reseller's: what it is charged for its users' calls)."""
    orig = lambda name: _shown(store, "o", view.scope, store.column(name))  # noqa: E731
    price_kind = "amount" if view.user_price or not view.operator else "billed"
    if view.operator:
        cost = Sql(store.column("charges"))
    else:
        cost = orig("reseller_amount") if pays_resellers(view.scope) else Sql("NULL")
    return [_sum("calls", Sql(store.column("calls"))),
            _sum("answered", Sql(store.column("answered"))),
            _sum("billsec", Sql(store.column("real_billsec" if view.real_billsec else "billsec"))),
            _sum("pdd_ms", Sql(store.column("pdd_ms"))),
            _sum("pdd_calls", Sql(store.column("pdd_calls"))),
            _sum("price", orig(price_kind)), _sum("cost", cost)]
