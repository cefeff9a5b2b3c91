"""`gateway demo`: fill the store with the demo data set through the ingest functions, in
batches streamed from lazy generators (or, for more than `BULK_ABOVE` calls, by the bulk
loader, `gateway.tools.demo.bulk`, which stores the same rows), then print a fresh key for each
role and one line saying what was stored.

The data is laid out relative to an anchor (the moment it ends): now, or `--anchor`, so that
the same seed and anchor make the same records whenever the command runs.

Idempotent per seed: the first run notes its anchor, size and
data version in the store's settings, and later runs with that seed rebuild exactly the
same records from them, which the ingest path reports unchanged; only the keys are new (and
the keys of the run before are revoked). A
later run with another size, or from another version of the generators, is refused: its
different records would land on the same ids.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import itertools
import sys
from collections import Counter
from dataclasses import replace
from typing import Any, Awaitable, Callable, Iterable, Iterator

from gateway.core import clock
from gateway.core.config import Config
from gateway.core.errors import NotFound, Unprocessable
from gateway.storage import settings as settings_store
from gateway.tools.commands import as_root, call
from gateway.tools.demo import bulk, catalogue, producer, timeline
from gateway.tools.demo.charges import Charges
from gateway.tools.demo.destinations import code_deck
from gateway.tools.demo.outcome import Outcome, Stored
from gateway.tools.demo.plan import DATA_VERSION, Plan, PlanError, make_plan
from gateway.tools.demo.progress import AddTask, bars
from gateway.tools.demo.queues import queue_sessions
from gateway.tools.demo.rates import currency_rates
from gateway.tools.demo.traffic import sessions
from gateway.tools.demo.transactions import transactions
from methods.context import Context
from methods.ingest import MAX_RECORDS, ledgers
from methods.ingest import sessions as ingest_sessions

BATCH = MAX_RECORDS  # one ingest call (one transaction) per full batch
# Larger data sets skip the ingest functions: `gateway.tools.demo.bulk` writes the same rows by
# multi-row inserts and rebuilds the call summaries once (several times faster).
BULK_ABOVE = 200_000
DEMO_KEYS = "demo.keys"  # the settings entry of the ids of the keys the last run printed
SHOWN_REJECTIONS = 5  # a rejected demo record is a bug: show the first few, not thousands

Ingest = Callable[[Context, list[Any]], Awaitable[dict[str, Any]]]


async def _settle(context: Context, plan: Plan, pinned: bool) -> Plan:
    """The plan of the data set the store holds for this seed (its first run's anchor), or
    this plan, then noted as the seed's. A `pinned` anchor must be the one the store holds."""
    async with context.db.transaction() as conn:
        noted = await settings_store.get_or_create(
            conn, f"demo.seed.{plan.seed}", f"{plan.anchor} {plan.calls} {DATA_VERSION}")
    anchor, calls, version = (int(n) for n in noted.split())
    if version != DATA_VERSION:
        raise PlanError(f"this store holds the demo data of seed {plan.seed} made by another "
                        f"version of the demo (data version {version}, this is "
                        f"{DATA_VERSION}); use a fresh database or another --seed")
    if calls != plan.calls:
        raise PlanError(f"this store holds the demo data of seed {plan.seed} made with "
                        f"--calls {calls}; run it with that size, or with another --seed")
    if pinned and anchor != plan.anchor:
        raise PlanError(f"this store holds the demo data of seed {plan.seed} anchored at "
                        f"{timeline.stamp(anchor)}; run it with that --anchor (or none), or "
                        "with another --seed")
    return replace(plan, anchor=anchor)


async def _tenants(context: Context) -> int:
    """Create the demo's tenants that are missing; how many were created."""
    created = 0
    for tenant in catalogue.TENANTS:
        try:
            await call(context, "tenants.create", {
                "name": tenant.name, "parent": tenant.parent, "timezone": tenant.timezone})
        except Unprocessable as exc:
            if exc.text_code != "tenant-exists":
                raise
            continue
        created += 1
    return created


async def _store(context: Context, ingest: Ingest, records: Iterable[dict[str, Any]],
                 advance: Callable[[int], None]) -> Stored:
    stored, pending, offset = Stored(), iter(records), 0
    while batch := list(itertools.islice(pending, BATCH)):
        answer = await ingest(context, batch)
        stored.accepted += answer["accepted"]
        stored.unchanged += answer["unchanged"]
        stored.rejected += len(answer["rejected"])
        for rejection in answer["rejected"][:SHOWN_REJECTIONS - len(stored.reasons)]:
            stored.reasons.append({"record": offset + rejection["index"],
                                   "errors": rejection["errors"]})
        offset += len(batch)
        advance(len(batch))
    return stored


def is_bulk(calls: int) -> bool:
    """Whether a data set of `calls` sessions is written by the bulk loader."""
    return calls > BULK_ABOVE


def _census(records: Iterable[dict[str, Any]], counts: Counter[str]) -> Iterator[dict[str, Any]]:
    for record in records:
        counts[record["kind"]] += 1
        counts["live"] += "end_time" not in record
        counts["records"] += len(record.get("records", ()))
        yield record


async def fill(context: Context, plan: Plan, add: AddTask) -> Outcome:
    """Store the plan's data set as the caller of `context`, then create the keys."""
    outcome = Outcome(plan, tenants_created=await _tenants(context))
    stored = outcome.stored
    stored["code deck"] = await _store(context, ledgers.ingest_code_decks, [code_deck()],
                                       lambda n: None)
    stored["currency rates"] = await _store(context, ledgers.ingest_currency_rates,
                                            currency_rates(plan), lambda n: None)
    charges, bulk_path = Charges(), is_bulk(plan.calls)
    generated = producer.generated(sessions, plan) if bulk_path else sessions(plan)
    records = map(charges.observe, _census(generated, outcome.sessions))
    if bulk_path:
        stored["sessions"] = await bulk.load_sessions(context, records,
                                                      add("sessions", plan.calls))
        done = add("summaries", 1)
        await bulk.rebuild_summaries(context)
        done(1)
    else:
        stored["sessions"] = await _store(context, ingest_sessions.ingest, records,
                                          add("sessions", plan.calls))
    stored["transactions"] = await _store(context, ledgers.ingest_transactions,
                                          transactions(plan, charges), add("transactions", None))
    if bulk_path:
        stored["queue sessions"] = await bulk.load_queue_sessions(
            context, producer.generated(queue_sessions, plan),
            add("queue sessions", plan.queue_sessions))
    else:
        stored["queue sessions"] = await _store(context, ledgers.ingest_acd_sessions,
                                                queue_sessions(plan),
                                                add("queue sessions", plan.queue_sessions))
    await _rotate_keys(context, outcome)
    return outcome


async def _rotate_keys(context: Context, outcome: Outcome) -> None:
    """Create a key per role, then revoke the keys earlier runs made, so that the store
    holds no demo key but the ones just printed. The keys' ids are noted in the settings
    (the old and new ones together until the old ones are revoked, so that a run stopped
    half-way leaves none behind for the next run)."""
    async with context.db.transaction() as conn:
        earlier = (await settings_store.get(conn, DEMO_KEYS) or "").split()
    made = []
    for role, tenant in catalogue.KEY_TENANTS:
        key = await call(context, "keys.create", {"tenant": tenant, "role": role})
        made.append(key["key_id"])
        outcome.keys.append((role, tenant, key["key"]))
        outcome.mor_secrets[role] = key.get("mor_secret", "")
    await _note_keys(context, earlier + made)
    for key_id in earlier:
        try:
            await call(context, "keys.revoke", {"key_id": key_id})
        except NotFound:  # not in this store any more: nothing to revoke
            continue
    outcome.revoked = len(earlier)
    await _note_keys(context, made)


async def _note_keys(context: Context, key_ids: list[str]) -> None:
    async with context.db.transaction() as conn:
        await settings_store.delete(conn, DEMO_KEYS)
        await settings_store.add(conn, DEMO_KEYS, " ".join(key_ids))


def run_demo(config: Config, calls: int = 20_000, seed: int = 1,
             anchor: dt.datetime | None = None, pinned: bool = False) -> int:
    """`gateway demo`: 0 when everything was stored, 1 when a record was refused, 2 for
    arguments it cannot honour. `anchor` (default now) is the moment the data ends, unless
    the store already holds this seed's data set; a `pinned` anchor (`--anchor`) that is
    not the stored one is refused instead."""
    try:
        plan = make_plan(seed, calls, timeline.anchor_at(anchor or clock.now()))
    except PlanError as exc:
        print(f"gateway demo: {exc}", file=sys.stderr)
        return 2

    async def work(context: Context) -> Outcome:
        settled = await _settle(context, plan, pinned)
        with bars() as add:
            return await fill(context, settled, add)

    try:
        outcome = asyncio.run(as_root(config, work))
    except PlanError as exc:
        print(f"gateway demo: {exc}", file=sys.stderr)
        return 2
    for label, stored in outcome.stored.items():
        for reason in stored.reasons:
            print(f"gateway demo: {label} record {reason['record']} refused: "
                  f"{reason['errors']}", file=sys.stderr)
    tenants = {role: tenant for role, tenant, _ in outcome.keys}
    print("Keys for the README's example calls ("
          + ", ".join(f"{role} in {tenant}" for role, tenant in tenants.items()) + "):")
    for role, _, key in outcome.keys:
        print(f"{role} key: {key}")
    # for the examples of MOR's route (docs/methods/aggregate.md), which sign with it
    print(f"admin key's MOR secret: {outcome.mor_secrets['admin']}")
    if outcome.revoked:
        print(f"the {outcome.revoked} keys of the previous run are revoked")
    print(outcome.summary())
    return 1 if outcome.rejected else 0
