"""The shared query layer on both engines: ordering, grouping, rollup, limits, zones."""

from __future__ import annotations

from typing import Any
from zoneinfo import ZoneInfo

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient

from gateway.core.errors import Unprocessable
from gateway.query import listing, run
from gateway.query.select import Column, Order, Select
from gateway.query.zones import format_local, local_time, offsets
from gateway.storage import finished_calls
from gateway.storage.attributes import Kind, plain
from gateway.storage.sources import Filter, Source
from gateway.storage.sql import Sql, join, matching, starts_with
from gateway.storage.tenants import ROOT_PATH
from gateway.web import appkeys

VILNIUS = ZoneInfo("Europe/Vilnius")
SPRING = 1774746000  # 2026-03-29 01:00 UTC: Vilnius goes from +02:00 to +03:00
AUTUMN = 1792890000  # 2026-10-25 01:00 UTC: back to +02:00 (03:00-04:00 local repeats)

# (kind, name, amount): a NULL name, names that order differently by code point than by
# a locale's rules, and a group that a limit cuts off.
ROWS = [("a", "b", 1), ("a", "B", 2), ("a", None, 3), ("b", "ä", 4), ("b", "b", 5),
        ("b", "b", 6), (None, "z", 7)]


def _values(rows: list[tuple[Any, ...]]) -> Source:
    """A literal table `v(kind, name, amount)`, written the same for both engines."""
    selects = " UNION ALL ".join(
        "SELECT " + ", ".join(f"{_literal(v)} AS {c}" for v, c in zip(row, ("kind", "name", "n")))
        for row in rows)
    return Source(f"({selects}) v")


def _literal(value: Any) -> str:
    if value is None:
        return "CAST(NULL AS TEXT)"
    return str(value) if isinstance(value, int) else f"'{value}'"


KIND = Column("kind", Sql("v.kind"), text=True)
NAME = Column("name", Sql("v.name"), text=True)
COUNT = Column("count", aggregate="count")
TOTAL = Column("total", Sql("v.n"), aggregate="sum")


@pytest.fixture
def db(client: TestClient, app: web.Application) -> Any:
    return app[appkeys.DB]


async def test_listing_orders_nulls_last_ascending_and_text_by_code_point(db: Any) -> None:
    select = Select(_values(ROWS), [NAME, Column("n", Sql("v.n"))],
                    order=[Order(NAME), Order(Column("n", Sql("v.n")))])
    rows = await run.fetch(db, select, 100)
    assert [(r["name"], r["n"]) for r in rows] == [
        ("B", 2), ("b", 1), ("b", 5), ("b", 6), ("z", 7), ("ä", 4), (None, 3)]


async def test_descending_puts_nulls_first_and_limit_offset_cut(db: Any) -> None:
    n = Column("n", Sql("v.n"))
    select = Select(_values(ROWS), [NAME, n], order=[Order(NAME, True), Order(n)],
                    limit=3, offset=1)
    assert [r["n"] for r in await run.fetch(db, select, 100)] == [4, 7, 1]


async def test_grouping_sums_measures_per_group(db: Any) -> None:
    select = Select(_values(ROWS), [KIND, COUNT, TOTAL], grouped=True,
                    order=[Order(TOTAL, True), Order(KIND)])
    assert await run.fetch(db, select, 100) == [
        {"kind": "b", "count": 3, "total": 15}, {"kind": None, "count": 1, "total": 7},
        {"kind": "a", "count": 3, "total": 6}]


async def test_records_stream_as_tuples_in_the_order_of_the_columns(db: Any) -> None:
    select = Select(_values(ROWS), [TOTAL, KIND], grouped=True, order=[Order(KIND)])
    assert [row async for row in run.records(db, select)] == [
        (6, "a"), (15, "b"), (7, None)]


async def test_no_dimension_gives_one_row_of_totals_even_when_nothing_matches(db: Any) -> None:

    select = Select(_values(ROWS), [COUNT, TOTAL], where=[Filter(Sql("v.n > ?", (99,)))],
                    grouped=True)
    assert await run.fetch(db, select, 100) == [{"count": 0, "total": 0}]
    assert await run.rollup(db, select, 100) == [("total", {"count": 0, "total": 0})]


async def test_rollup_lays_groups_out_at_their_first_row_with_subtotals(db: Any) -> None:
    select = Select(_values(ROWS), [KIND, NAME, TOTAL], grouped=True, rollup=True,
                    order=[Order(TOTAL, True), Order(KIND), Order(NAME)])
    assert await run.rollup(db, select, 100) == [
        ("row", {"kind": "b", "name": "b", "total": 11}),
        ("row", {"kind": "b", "name": "ä", "total": 4}),
        ("subtotal", {"kind": "b", "name": None, "total": 15}),
        ("row", {"kind": None, "name": "z", "total": 7}),
        ("subtotal", {"kind": None, "name": None, "total": 7}),
        ("row", {"kind": "a", "name": None, "total": 3}),  # a real NULL name, not a subtotal
        ("row", {"kind": "a", "name": "B", "total": 2}),
        ("row", {"kind": "a", "name": "b", "total": 1}),
        ("subtotal", {"kind": "a", "name": None, "total": 6}),
        ("total", {"kind": None, "name": None, "total": 28})]


async def test_rollup_with_a_limit_keeps_subtotals_of_every_matching_row(db: Any) -> None:
    select = Select(_values(ROWS), [KIND, NAME, COUNT], grouped=True, rollup=True,
                    order=[Order(KIND), Order(NAME)], limit=2)
    assert await run.rollup(db, select, 100) == [
        ("row", {"kind": "a", "name": "B", "count": 1}),
        ("row", {"kind": "a", "name": "b", "count": 1}),
        ("subtotal", {"kind": "a", "name": None, "count": 3}),
        ("total", {"kind": None, "name": None, "count": 7})]


async def test_rollup_over_three_dimensions(db: Any) -> None:
    n = Column("n", Sql("v.n"))
    select = Select(_values(ROWS[:3]), [KIND, NAME, n, COUNT], grouped=True, rollup=True,
                    order=[Order(KIND), Order(NAME), Order(n)])
    assert [(t, r["name"], r["n"], r["count"]) for t, r in await run.rollup(db, select, 100)] == [
        ("row", "B", 2, 1), ("subtotal", "B", None, 1),
        ("row", "b", 1, 1), ("subtotal", "b", None, 1),
        ("row", None, 3, 1), ("subtotal", None, None, 1),
        ("subtotal", None, None, 3), ("total", None, None, 3)]


@pytest.mark.parametrize("rollup", [False, True], ids=["rows", "rollup"])
async def test_more_rows_than_allowed_without_a_limit_is_report_too_large(
        db: Any, rollup: bool) -> None:
    select = Select(_values(ROWS), [NAME, COUNT], grouped=True, rollup=rollup,
                    order=[Order(NAME)])
    with pytest.raises(Unprocessable) as caught:
        await (run.rollup if rollup else run.fetch)(db, select, 3)
    assert caught.value.error_object()["data"] == {
        "code": "report-too-large",
        "message": "the report has more than 3 rows; narrow it or set a limit"}
    limited = Select(_values(ROWS), [NAME, COUNT], grouped=True, order=[Order(NAME)], limit=2)
    assert len(await run.fetch(db, limited, 1)) == 2  # a limit is the caller's choice


def test_offsets_over_both_daylight_saving_changes() -> None:
    assert offsets(VILNIUS, SPRING - 86_400 * 3, AUTUMN + 86_400 * 3) == [
        (SPRING - 86_400 * 3, 7200), (SPRING, 10_800), (AUTUMN, 7200)]
    assert offsets(ZoneInfo("UTC"), 0, 10 ** 9) == [(0, 0)]


async def test_local_time_in_sql_across_the_autumn_change(db: Any) -> None:
    # 00:30 and 01:30 UTC are both 03:30 on Vilnius clocks; 02:30 UTC is 04:30.
    times = [AUTUMN - 1800, AUTUMN + 1800, AUTUMN + 5400, SPRING - 1, SPRING]
    source = Source("(" + " UNION ALL ".join(f"SELECT {t} AS t" for t in times) + ") v")
    local = Column("local", local_time(Sql("v.t"), VILNIUS, min(times), max(times)))
    select = Select(source, [local, COUNT], grouped=True, order=[Order(local)])
    rows = await run.fetch(db, select, 100)
    assert [(format_local(r["local"]), r["count"]) for r in rows] == [
        ("2026-03-29 02:59:59", 1), ("2026-03-29 04:00:00", 1),
        ("2026-10-25 03:30:00", 2), ("2026-10-25 04:30:00", 1)]


async def test_starts_with_matches_wildcards_literally(db: Any) -> None:
    source = _values([("x", "1%2", 1), ("x", "1_2", 2), ("x", "152", 3)])
    n = Column("n", Sql("v.n"))
    for prefix, expected in (("1%", [1]), ("1_", [2]), ("15", [3]), ("1", [1, 2, 3])):

        select = Select(source, [n], where=[Filter(starts_with(Sql("v.name"), prefix))],
                        order=[Order(n)])
        assert [r["n"] for r in await run.fetch(db, select, 100)] == expected


# Texts around the prefixes below: case, a letter past ASCII, the last code points before
# and after the surrogates, and the last code point of all.
PREFIXED = ["ab", "ab1", "AB2", "abz", "ab\uffff", "ac", "a", "äb", "x\ud7ff", "x\ud7ffy",
            "x\ue000", "z\U0010ffff", "z\U0010ffff1", "+37061"]


@pytest.mark.parametrize("pattern, expected", [
    ("ab", ["ab", "ab1", "abz", "ab\uffff"]),  # case counts, on every engine
    ("AB", ["AB2"]),
    ("a", ["ab", "ab1", "abz", "ab\uffff", "ac", "a"]),
    ("ä", ["äb"]),
    ("x\ud7ff", ["x\ud7ff", "x\ud7ffy"]),  # its successor is past the surrogates
    ("z\U0010ffff", ["z\U0010ffff", "z\U0010ffff1"]),  # no successor: the match alone
    ("+3706", ["+37061"]),
    ("ab%", ["ab", "ab1", "abz", "ab\uffff"]),
    ("a%1", ["ab1"]),
    ("%1", ["ab1", "z\U0010ffff1", "+37061"]),
])
async def test_a_prefix_matches_by_code_point_what_starts_with_it(
        db: Any, pattern: str, expected: list[str]) -> None:
    """MOR's number patterns (`matching`): the text before the first `%` is found as a
    range by code point as well, which must keep every match and add none."""
    source = _values([("x", name, i) for i, name in enumerate(PREFIXED)])
    n = Column("n", Sql("v.n"))
    select = Select(source, [n], where=[Filter(matching(Sql("v.name"), pattern))],
                    order=[Order(n)])
    assert [PREFIXED[r["n"]] for r in await run.fetch(db, select, 100)] == expected


@pytest.mark.parametrize("engine", ["sqlite"], indirect=True)
async def test_a_number_prefix_is_found_through_the_index_of_numbers(db: Any) -> None:
    """The calls of a number prefix are read from the index of the calls' dialled numbers
    alone (it holds every column), not by reading every call of the window (migration
    0014)."""
    where = join([finished_calls.set_up_between(0, 2 ** 40, by_time=False).sql,
                  starts_with(Sql("f.dst_number"), "3706")], " AND ")
    plan = await db.fetch_all(
        f"EXPLAIN QUERY PLAN SELECT SUM(f.calls) FROM call_figures f WHERE {where.text}",
        where.params)
    assert [row["detail"] for row in plan] == [
        "SEARCH f USING COVERING INDEX call_figures_dst (dst_number>? AND dst_number<?)"]


def test_a_fragment_cannot_be_pasted_as_text() -> None:
    with pytest.raises(TypeError):
        f"{Sql('x = ?', (1,))}"


# (id, name, owner) as `_values` columns (kind, name, n): names repeat, so the order of a
# page rests on the id after the name
NAMED = [(i, "abc"[i % 3], 1) for i in range(1, 31)]
KEYED = Kind(_values(NAMED), {"id": plain("v.kind"), "name": plain("v.name", text=True),
                              "tenfold": plain("(SELECT v.kind * 10)")},
             tenant="v.n", key="id")


@pytest.mark.parametrize("descending", [False, True])
@pytest.mark.parametrize("limit, offset", [(4, 0), (4, 9), (5, 27), (3, 30)])
async def test_a_page_found_by_its_keys_first_is_the_same_page(
        db: Any, descending: bool, limit: int, offset: int) -> None:
    """A kind with a key is paged by its keys first, then its values are read for the
    page: the rows, values and order are those of the whole ordered list cut at the page."""
    whole = sorted(NAMED, key=lambda r: (r[1], r[0]), reverse=descending)
    expected = [{"id": i, "name": name, "tenfold": 10 * i}
                for i, name, _ in whole[offset:offset + limit]]
    asked = listing.Listing(KEYED, ("id", "name", "tenfold"), listing.Viewer(ROOT_PATH),
                            order=[("name", descending), ("id", descending)],
                            limit=limit, offset=offset)
    assert await listing.rows(db, asked) == expected
