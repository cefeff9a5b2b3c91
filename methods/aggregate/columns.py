"""What `aggregate_get` groups by and sums, as columns of the query layer, over either
store of ended calls: the raw records (`finished_calls`) or the summaries."""

from __future__ import annotations

from dataclasses import dataclass
from zoneinfo import ZoneInfo

from gateway.query.scope import paths_within, session_visible, tenant_within
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
# key -> (leg whose tenant may hide it: "o", "t" or None, join of a name, or None)
_KEY_SIDES = {
    "originator_id": ("o", None), "originator_name": ("o", "oc"),
    "device_id": ("o", None), "device_name": ("o", "oa"),
    "terminator_id": ("t", None), "terminator_name": ("t", "tc"),
    "provider_id": ("t", None), "provider_name": ("t", "ta"),
    "dst_group": (None, None), "dst": (None, None),
    "user_rate": ("o", None), "provider_rate": ("t", None),
}
TEXT_KEYS = {"originator_name", "device_name", "terminator_name", "provider_name", "dst_group",
             "dst", "user_rate", "provider_rate", CURRENCY}


@dataclass(frozen=True)
class Store:
    """Where ended calls are read: the expressions of one store."""

    source: Source
    columns: dict[str, str]  # key -> expression (names: the joined name column)
    tenants: dict[str, str]  # leg ("o", "t") -> its tenant id expression
    needs: dict[str, tuple[str, ...]]  # leg -> joins its columns need
    time: str  # the setup time (or its 15-minute bucket)
    charged: bool = False  # one row per charged terminating attempt (raw cost side)
    summary: bool = False


def raw_store(charged: bool = False) -> Store:
    columns = {"originator_id": "o.client_id", "originator_name": "oc.name",
               "device_id": "o.account_id", "device_name": "oa.name",
               "terminator_id": "t.client_id", "terminator_name": "tc.name",
               "provider_id": "t.account_id", "provider_name": "ta.name",
               "dst_group": "o.dst_name", "dst": "o.dst_code", "user_rate": "o.rates_code",
               "provider_rate": "t.rates_code",
               CURRENCY: "x.currency" if charged else "o.currency"}
    return Store(finished_calls.source(charged), columns, {"o": "o.tenant_id", "t": "t.tenant_id"},
                 {"o": (), "t": ("t",)}, "s.setup_time", charged)


def summary_store() -> Store:
    columns = {key: f"m.{key}" for key in summaries.KEYS}
    columns.update(originator_name="oc.name", device_name="oa.name", terminator_name="tc.name",
                   provider_name="ta.name")
    return Store(summaries.source(), columns,
                 {"o": "m.orig_tenant_id", "t": "m.term_tenant_id"}, {"o": (), "t": ()},
                 "m.bucket", summary=True)


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
    return when(tenant_within(store.tenants[leg], scope), Sql(expr))


def keys(store: Store, view: View) -> dict[str, Column]:
    """Every row key (and the hidden keys) as a column."""
    out = {}
    for name, (leg, join) in _KEY_SIDES.items():
        expr = Sql(store.columns[name]) if leg is None else \
            _shown(store, leg, view.scope, store.columns[name])
        needs = (store.needs[leg] if leg else ()) + ((join,) if join else ())
        out[name] = Column(name, expr, needs, name in TEXT_KEYS)
    local = local_time(Sql(store.time), view.zone, view.low, view.high)
    out["day"] = Column("day", Sql(f"{local.text} / {DAY}", local.params))
    out["hour"] = Column("hour", Sql(f"{local.text} / {HOUR}", local.params))
    # Raw rows carry the originating side's currency; summary rows and charges their own.
    currency = Sql(store.columns[CURRENCY]) if store.charged or store.summary \
        else _shown(store, "o", view.scope, store.columns[CURRENCY])
    out[CURRENCY] = Column(CURRENCY, currency, text=True)
    # Money needs its UTC day only where it is converted: not in the wanted currency.
    out[UTC_DAY] = Column(UTC_DAY, Sql(
        f"CASE WHEN {currency.text} = ? THEN NULL ELSE {store.time} / {DAY} END",
        (*currency.params, view.currency)))
    return out


def visible(store: Store, scope: str) -> Filter:
    """A call with any leg in the subtree: in the summaries, by the tenants of its legs."""
    if store.summary:
        return Filter(paths_within("m.leg_paths", scope))
    return Filter(session_visible("s.id", scope))


def pays_resellers(scope: str) -> bool:
    """Whether `scope` holds the resellers who pay `reseller_amount`: the root's and a
    reseller's subtree do, a customer's does not (docs/tenancy.md)."""
    return scope.count("/") <= 3  # `/1/` or `/1/<reseller>/`


def _sum(name: str, sql: Sql) -> Column:
    return Column(name, Sql(f"COALESCE({sql.text}, 0)", sql.params), aggregate="sum")


def measures(store: Store, view: View) -> list[Column]:
    """The figures of calls and their money (price, and cost unless `charges` gives it)."""
    if store.charged:
        return [_sum("cost", Sql("x.amount"))]
    orig = lambda expr: _shown(store, "o", view.scope, expr)  # noqa: E731
    price_kind = "amount" if view.user_price or not view.operator else "billed"
    if store.summary:
        raw = {name: f"m.{name}" for name in summaries.MEASURES}
        calls = _sum("calls", Sql("m.calls"))
    else:
        raw = finished_calls.CALL_VALUES
        calls = Column("calls", aggregate="count")
    out = [calls, _sum("answered", Sql(raw["answered"])),
           _sum("billsec", Sql(raw["real_billsec" if view.real_billsec else "billsec"])),
           _sum("pdd_ms", Sql(raw["pdd_ms"])), _sum("pdd_calls", Sql(raw["pdd_calls"])),
           _sum("price", orig(raw[price_kind]))]
    if not view.operator:  # a reseller's cost is what it is charged for its users' calls
        out.append(_sum("cost", orig(raw["reseller_amount"]) if pays_resellers(view.scope)
                        else Sql("NULL")))
    elif store.summary:
        out.append(_sum("cost", Sql("m.charges")))
    return out
