"""`gateway demo`: a deterministic, realistic month of data (spec ingest.md, section 4).

The data set is laid out relative to an anchor moment, injected here so that two runs can
be compared row for row. SQLite only: the demo goes through the ingest functions, whose own
tests cover both engines.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import hashlib
import hmac
import io
import itertools
import re
import sqlite3
import subprocess
import sys
from collections import defaultdict
from decimal import Decimal
from pathlib import Path
from typing import Any, Awaitable, Callable

import orjson
import phonenumbers
import pytest
from aiohttp.test_utils import TestClient

from gateway.core import money, roles
from gateway.core.clock import DAY
from gateway.core.config import Config, load_config
from gateway.tools.commands import call_as_root
from gateway.tools.demo import catalogue, command, run_demo
from gateway.tools.demo.charges import Charges
from gateway.tools.demo.destinations import DESTINATIONS, code_deck
from gateway.tools.demo.plan import DATA_VERSION, Plan, make_plan
from gateway.tools.demo.queues import queue_sessions
from gateway.tools.demo.rates import currency_rates
from gateway.tools.demo.timeline import WINDOW_DAYS, anchor_at
from gateway.tools.demo.traffic import sessions
from gateway.tools.demo.transactions import transactions
from gateway.web.app import create_app

ANCHOR = dt.datetime(2024, 3, 31, 14, 37, 5, tzinfo=dt.timezone.utc)  # a DST weekend in Europe
END = anchor_at(ANCHOR)  # 14:37:00 UTC: the data ends at the start of the anchor's minute
START = END - WINDOW_DAYS * DAY
CALLS, SEED = 500, 7
DATA_TABLES = ("tenants", "clients", "accounts", "users", "equipment", "applications",
               "code_decks", "code_deck_codes", "currency_rates", "sessions", "legs", "records",
               "resource_usage", "transactions", "acd_sessions", "acd_session_events")
KEY_LINE = re.compile(r"^(\w+) key: ([0-9a-f]{16}\.\S+)$", re.M)


def demo_config(folder: Path) -> Config:
    return load_config(environ={}, search_default=False, overrides={
        "database": f"sqlite:///{folder}/gateway.db", "exports": {"folder": str(folder)}})


def run(folder: Path, seed: int = SEED, calls: int = CALLS,
        anchor: dt.datetime = ANCHOR) -> tuple[int, str]:
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        code = run_demo(demo_config(folder), calls=calls, seed=seed, anchor=anchor)
    return code, out.getvalue()


def rows(folder: Path, sql: str) -> list[tuple[Any, ...]]:
    with contextlib.closing(sqlite3.connect(folder / "gateway.db")) as conn:
        return conn.execute(sql).fetchall()


def snapshot(folder: Path) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every data table (tenants without their creation time)."""
    out = {}
    for table in DATA_TABLES:
        columns = "id, name, parent_id, path, timezone" if table == "tenants" else "*"
        out[table] = sorted(rows(folder, f"SELECT {columns} FROM {table}"), key=repr)
    return out


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    """One demo run into a fresh database: (its folder, what it printed)."""
    folder = tmp_path_factory.mktemp("demo")
    code, printed = run(folder)
    assert code == 0, printed
    return folder, printed


# --- what it prints ---------------------------------------------------------------------

def test_it_prints_a_key_for_each_role_and_one_summary_line(demo: tuple[Path, str]) -> None:
    folder, printed = demo
    keys = dict(KEY_LINE.findall(printed))
    assert sorted(keys) == sorted(roles.ROLES)
    stored = dict(rows(folder, "SELECT k.role, t.name FROM api_keys k "
                               "JOIN tenants t ON t.id = k.tenant_id"))
    assert stored == {"admin": "root", "reseller": "acme-telecom", "customer": "baltic-freight",
                      "accountant": "root", "ingest": "root"}
    assert {k.split(".")[0] for k in keys.values()} == set(
        r[0] for r in rows(folder, "SELECT key_id FROM api_keys"))
    summary = printed.splitlines()[-1]
    assert summary.startswith("demo (seed 7, 30 days to 2024-03-31T14:37:00Z): 500 sessions")
    assert "rejected=0" in summary and "unchanged=0" in summary


async def test_every_printed_key_answers_ping(
        demo: tuple[Path, str],
        aiohttp_client: Callable[..., Awaitable[TestClient]]) -> None:
    folder, printed = demo
    client = await aiohttp_client(create_app(demo_config(folder)))
    for role, key in KEY_LINE.findall(printed):
        response = await client.post("/rpc", json={"jsonrpc": "2.0", "method": "ping", "id": 1},
                                     headers={"X-Api-Key": key})
        assert response.status == 200, role
        assert await response.json() == {"jsonrpc": "2.0", "result": "pong", "id": 1}, role


def test_bad_arguments_exit_2_and_touch_nothing(tmp_path: Path,
                                                capsys: pytest.CaptureFixture[str]) -> None:
    assert run_demo(demo_config(tmp_path), calls=10, seed=1) == 2
    assert run_demo(demo_config(tmp_path), calls=1000, seed=-1) == 2
    assert "--calls" in capsys.readouterr().err
    assert not (tmp_path / "gateway.db").exists()


def test_the_command_line_runs_it(tmp_path: Path) -> None:
    done = subprocess.run([sys.executable, "-m", "gateway", "demo", "--calls", "100",
                           "--seed", "3"], cwd=tmp_path, capture_output=True, text=True,
                          timeout=60, env={"GATEWAY_DATABASE": f"sqlite:///{tmp_path}/g.db",
                                           "PATH": ""})
    assert done.returncode == 0, done.stderr
    assert len(KEY_LINE.findall(done.stdout)) == len(roles.ROLES)
    assert ": 100 sessions" in done.stdout.splitlines()[-1]


# --- determinism and idempotency --------------------------------------------------------

def test_the_same_seed_and_anchor_give_the_same_rows(demo: tuple[Path, str],
                                                     tmp_path: Path) -> None:
    code, _ = run(tmp_path)
    assert code == 0
    assert snapshot(tmp_path) == snapshot(demo[0])


def test_a_later_run_changes_nothing_and_prints_new_keys(demo: tuple[Path, str]) -> None:
    folder, first = demo
    before = snapshot(folder)
    later = ANCHOR + dt.timedelta(days=2, hours=5)  # the first run's anchor is kept
    code, second = run(folder, anchor=later)
    assert code == 0, second
    assert re.search(r"accepted=0 unchanged=[\d,]+ rejected=0$", second.strip()), second
    assert "30 days to 2024-03-31T14:37:00Z" in second and "(0 created)" in second
    assert snapshot(folder) == before
    assert not set(KEY_LINE.findall(first)) & set(KEY_LINE.findall(second))


def test_another_size_for_a_seed_already_stored_is_refused(
        demo: tuple[Path, str], capsys: pytest.CaptureFixture[str]) -> None:
    folder, _ = demo
    before = snapshot(folder)
    assert run_demo(demo_config(folder), calls=CALLS * 2, seed=SEED) == 2
    assert f"--calls {CALLS}" in capsys.readouterr().err
    assert snapshot(folder) == before


def test_a_store_filled_by_another_data_version_is_refused(
        demo: tuple[Path, str], monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    folder, _ = demo
    before = snapshot(folder)
    monkeypatch.setattr(command, "DATA_VERSION", DATA_VERSION + 1)
    assert run_demo(demo_config(folder), calls=CALLS, seed=SEED) == 2
    assert "another version" in capsys.readouterr().err
    assert snapshot(folder) == before


def fingerprint(plan: Plan) -> str:
    """A digest of every record the generators make for a plan."""
    digest, charges = hashlib.sha256(), Charges()
    for record in itertools.chain([code_deck()], currency_rates(plan),
                                  map(charges.observe, sessions(plan)),
                                  queue_sessions(plan)):
        digest.update(orjson.dumps(record, option=orjson.OPT_SORT_KEYS))
    for record in transactions(plan, charges):
        digest.update(orjson.dumps(record, option=orjson.OPT_SORT_KEYS))
    return digest.hexdigest()


# The generated data, pinned. When a change of the generators changes it, bump
# gateway.tools.demo.plan.DATA_VERSION (so stores filled by the old version are refused rather
# than half-overwritten) and update this pair.
PINNED = (1, "7e505621f79506e55c8d6af43e3f8ae3ca02717e724eafea27dbb5dda582a16d")


def test_the_data_version_moves_with_the_data() -> None:
    assert (DATA_VERSION, fingerprint(make_plan(1, 300, END))) == PINNED


def test_seeds_have_disjoint_ids() -> None:
    def ids(seed: int) -> tuple[set[str], set[int]]:
        plan = make_plan(seed, 1000, END)
        found = list(sessions(plan))
        return ({s["session_id"] for s in found},
                {r["record_id"] for s in found for r in s.get("records", ())})
    (sessions_a, records_a), (sessions_b, records_b) = ids(1), ids(2)
    assert len(sessions_a) == 1000
    assert not sessions_a & sessions_b
    assert records_a and not records_a & records_b


def test_the_generator_is_lazy() -> None:
    first = list(itertools.islice(sessions(make_plan(1, 10_000_000, END)), 3))
    assert len(first) == 3  # nothing is built up front, whatever the size


# --- what the data looks like -----------------------------------------------------------

def test_shares_of_video_live_and_answered_sessions(demo: tuple[Path, str]) -> None:
    folder, _ = demo
    [(total, video, live, ringing)] = rows(folder, """
        SELECT COUNT(*), SUM(kind = 'video'), SUM(end_time IS NULL),
               SUM(end_time IS NULL AND start_time IS NULL) FROM sessions""")
    assert total == CALLS
    assert 0.04 <= video / total <= 0.065
    assert live >= max(20, total // 100)
    assert 0 < ringing < live  # some still ringing, most talking
    [(ended, answered, acd, pdd)] = rows(folder, """
        SELECT COUNT(*), SUM(l.disposition = 'ANSWERED'),
               AVG(CASE WHEN l.disposition = 'ANSWERED' THEN l.billsec END),
               AVG(CASE WHEN l.disposition = 'ANSWERED' THEN l.pdd_ms END)
        FROM sessions s JOIN legs l ON l.session_id = s.id AND l.role = 'orig'
        WHERE s.kind = 'call' AND s.end_time IS NOT NULL""")
    assert 0.45 <= answered / ended <= 0.65
    assert 90 <= acd <= 240
    assert 1000 <= pdd <= 6000
    causes = dict(rows(folder, "SELECT hangup_cause, disposition FROM legs "
                               "WHERE disposition IS NOT NULL GROUP BY 1, 2"))
    assert causes[16] in ("ANSWERED", "NO ANSWER") and causes[17] == "BUSY"
    assert causes[19] == "NO ANSWER" and causes[34] == "CONGESTION" and causes[1] == "FAILED"
    assert rows(folder, "SELECT COUNT(*) FROM legs WHERE role != 'participant' "
                        "AND dst_code IS NULL") == [(0,)]


def test_more_calls_in_business_hours(demo: tuple[Path, str]) -> None:
    by_hour = dict(rows(demo[0], "SELECT (setup_time / 3600) % 24, COUNT(*) FROM sessions "
                                 "GROUP BY 1"))
    night = sum(by_hour.get(h, 0) for h in (1, 2, 3, 4))
    afternoon = sum(by_hour.get(h, 0) for h in (13, 14, 15, 16))
    assert afternoon > 5 * night


def test_video_rooms_have_participants_and_recordings(demo: tuple[Path, str]) -> None:
    folder, _ = demo
    [(rooms, apps, legs, recorded)] = rows(folder, """
        SELECT COUNT(DISTINCT s.room_id), COUNT(DISTINCT s.app_type), COUNT(l.id),
               COUNT(DISTINCT r.session_id)
        FROM sessions s JOIN legs l ON l.session_id = s.id
        LEFT JOIN records r ON r.session_id = s.id WHERE s.kind = 'video'""")
    assert rooms > 3 and apps == 2 and recorded > 0
    assert rows(folder, "SELECT DISTINCT l.role FROM legs l JOIN sessions s "
                        "ON s.id = l.session_id WHERE s.kind = 'video'") == [("participant",)]
    assert rows(folder, "SELECT COUNT(*) FROM sessions WHERE kind = 'video' AND "
                        "(meeting_id IS NULL OR room_id IS NULL)") == [(0,)]


def test_tenants_carriers_and_ledgers_are_where_they_belong(demo: tuple[Path, str]) -> None:
    folder, _ = demo
    owners = dict(rows(folder, "SELECT c.id, t.name FROM clients c "
                               "JOIN tenants t ON t.id = c.tenant_id"))
    for carrier in catalogue.CARRIERS:
        assert owners[carrier.client.id] == "root"
    for customer in catalogue.CUSTOMERS:
        assert owners[customer.client.id] == customer.tenant
    assert {n for (n,) in rows(folder, "SELECT DISTINCT t.name FROM equipment e "
                                       "JOIN tenants t ON t.id = e.tenant_id")} == {"root"}
    kinds = dict(rows(folder, "SELECT transaction_type, COUNT(*) FROM transactions GROUP BY 1"))
    assert kinds["resource_charge"] > 0 and kinds["card_payment"] > 0
    assert rows(folder, "SELECT COUNT(*) FROM acd_sessions") == [(CALLS // 10,)]
    assert rows(folder, "SELECT COUNT(*) FROM acd_session_events")[0][0] > CALLS // 10
    days = rows(folder, "SELECT currency, COUNT(*) FROM currency_rates GROUP BY 1")
    assert days == [("EUR", WINDOW_DAYS + 1), ("GBP", WINDOW_DAYS + 1)]
    assert rows(folder, "SELECT COUNT(*) FROM code_deck_codes")[0][0] == len(
        code_deck()["codes"])


def test_every_time_lies_in_the_30_days_before_the_anchor(demo: tuple[Path, str]) -> None:
    folder, _ = demo
    for table, column in (("sessions", "setup_time"), ("sessions", "start_time"),
                          ("sessions", "end_time"), ("legs", "setup_time"),
                          ("legs", "start_time"), ("legs", "end_time"),
                          ("records", "start_time"), ("resource_usage", "used_at"),
                          ("transactions", "performed_at"), ("acd_sessions", "begin_time"),
                          ("acd_session_events", "time")):
        [(low, high)] = rows(folder, f"SELECT MIN({column}), MAX({column}) FROM {table}")
        assert START <= low <= high <= END, (table, column)
    [(first_day, last_day)] = rows(folder, "SELECT MIN(valid_from), MAX(valid_from) "
                                           "FROM currency_rates")
    assert (first_day, last_day) == ("2024-03-01", "2024-03-31")


# --- money ------------------------------------------------------------------------------

def test_amounts_are_stored_exactly_as_generated(demo: tuple[Path, str]) -> None:
    folder, _ = demo
    plan = make_plan(SEED, CALLS, END)
    sample = [s for s in itertools.islice(sessions(plan), 200) if s["kind"] == "call"]
    expected = {(s["session_id"], leg["leg_id"]): (money.to_micros(leg["amount"]),
                                                   leg.get("reseller_amount"), leg["currency"])
                for s in sample for leg in s["legs"] if "amount" in leg}
    assert len(expected) > 100
    stored = {(source, leg): (amount, reseller, currency)
              for source, leg, amount, reseller, currency in rows(folder, """
                  SELECT s.source_id, l.leg_id, l.amount, l.reseller_amount, l.currency
                  FROM legs l JOIN sessions s ON s.id = l.session_id
                  WHERE l.amount IS NOT NULL""")}
    for key, (micros, reseller, currency) in expected.items():
        amount, stored_reseller, stored_currency = stored[key]
        assert amount == micros and stored_currency == currency
        assert stored_reseller == (None if reseller is None else money.to_micros(reseller))


def test_daily_charges_are_the_exact_sum_of_the_days_calls(demo: tuple[Path, str]) -> None:
    folder, _ = demo
    calls: dict[tuple[str, str, str], int] = defaultdict(int)
    for tenant, currency, day, micros in rows(folder, """
            SELECT t.name, l.currency, date(s.setup_time, 'unixepoch'), SUM(l.amount)
            FROM sessions s JOIN legs l ON l.session_id = s.id AND l.role = 'orig'
            JOIN tenants t ON t.id = s.tenant_id
            WHERE l.amount IS NOT NULL GROUP BY 1, 2, 3"""):
        calls[(tenant, currency, day)] = micros
    charged = {(tenant, currency, description.split()[2].rstrip(":")): -micros
               for tenant, currency, description, micros in rows(folder, """
                   SELECT t.name, x.currency, x.description, x.amount FROM transactions x
                   JOIN tenants t ON t.id = x.tenant_id
                   WHERE x.transaction_type = 'resource_charge'""")
               if tenant not in catalogue.RESELLERS}
    assert charged == calls
    # and the generator's own decimal sums agree with the store's integer sums
    plan = make_plan(SEED, CALLS, END)
    charges = Charges()
    for record in sessions(plan):
        charges.observe(record)
    generated = {key: money.to_micros(str(-Decimal(t["amount"])))
                 for t in transactions(plan, charges)
                 if t["transaction_type"] == "resource_charge"
                 and t["tenant"] not in catalogue.RESELLERS
                 for key in [(t["tenant"], t["currency"],
                              t["transaction_description"].split()[2].rstrip(":"))]}
    assert generated == calls


# --- the catalogue ----------------------------------------------------------------------

def test_dialled_numbers_are_real_and_resolve_to_their_destination() -> None:
    import random

    rng = random.Random(0)
    prefixes = sorted((c["prefix"] for c in code_deck()["codes"]), key=len, reverse=True)
    for destination in DESTINATIONS:
        for _ in range(20):
            number = destination.number(rng)
            parsed = phonenumbers.parse("+" + number)
            assert phonenumbers.is_valid_number(parsed), (destination.name, number)
            assert phonenumbers.region_code_for_number(parsed) in (destination.country, "CA")
            if destination.name.endswith("Mobile"):
                assert phonenumbers.number_type(parsed) in (
                    phonenumbers.PhoneNumberType.MOBILE,
                    phonenumbers.PhoneNumberType.FIXED_LINE_OR_MOBILE), number
            longest = next(p for p in prefixes if number.startswith(p))
            assert longest == destination.prefix, (number, longest)
    for customer in (*catalogue.CUSTOMERS, catalogue.NOC):
        for device in customer.devices:
            assert phonenumbers.is_valid_number(phonenumbers.parse("+" + device.number)), \
                device


# --- the keys of a later run ------------------------------------------------------------

def test_a_later_run_revokes_the_keys_the_run_before_printed(tmp_path: Path) -> None:
    printed = []
    for _ in range(3):
        code, out = run(tmp_path, seed=11, calls=100)
        assert code == 0, out
        printed.append(dict(KEY_LINE.findall(out)))
    ids = [{key.split(".")[0] for key in keys.values()} for keys in printed]
    # 3 runs x 5 roles: 15 keys, the last run's 5 alone valid, none added beyond them
    stored = dict(rows(tmp_path, "SELECT key_id, revoked_at IS NULL FROM api_keys"))
    assert len(stored) == 15
    assert {k for k, valid in stored.items() if valid} == ids[2]
    assert {k for k, valid in stored.items() if not valid} == ids[0] | ids[1]
    assert "the 5 keys of the previous run are revoked" in out


def test_a_later_run_leaves_keys_made_otherwise_alone_and_prints_a_mor_secret(
        tmp_path: Path) -> None:
    assert run(tmp_path, seed=12, calls=100)[0] == 0
    # a key made as `gateway keys create` makes it
    mine = asyncio.run(call_as_root(demo_config(tmp_path), "keys.create", {"role": "admin"}))
    code, out = run(tmp_path, seed=12, calls=100)
    assert code == 0, out
    assert rows(tmp_path, f"SELECT revoked_at IS NULL FROM api_keys "
                          f"WHERE key_id = '{mine['key_id']}'") == [(1,)]
    # the MOR secret printed is the one MOR's route checks for the admin key printed
    (secret,) = re.findall(r"^admin key's MOR secret: ([0-9a-f]{32})$", out, re.M)
    (admin,) = [k for r, k in KEY_LINE.findall(out) if r == "admin"]
    [(server_key,)] = rows(tmp_path, "SELECT value FROM settings WHERE name = 'server_key'")
    key_id = admin.split(".")[0]
    assert secret == hmac.new(server_key.encode(), key_id.encode(),
                              hashlib.sha256).hexdigest()[:32]
