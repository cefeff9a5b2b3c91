"""Microseconds per two-leg session record: marshmallow's load of the record schema against
the path `ingest.sessions` takes (the loader compiled from the schema's fields, the schema
itself for any record it leaves undecided), on the same generated records, in the same run.

    python bench/record_validation.py [--quick] [--records 20000] [--runs 3]

The records are those of bench/ingest_throughput.py (two legs, references, times, amounts);
each run loads every record once by each way, and both ways must load the same values.
--quick: 5,000 records (a few seconds).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path
from typing import Any, Callable

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "tests"), str(ROOT / "bench")]

from ingest_throughput import record  # noqa: E402
from report import Figure, emit  # noqa: E402

from methods.ingest.batch import load  # noqa: E402
from methods.ingest.session_schema import SESSION  # noqa: E402


def by_marshmallow(raw: dict[str, Any]) -> dict[str, Any]:
    return dict(SESSION.load(raw))


def by_ingest(raw: dict[str, Any]) -> dict[str, Any]:
    return load(SESSION, raw)


def per_record(way: Callable[[dict[str, Any]], dict[str, Any]],
               records: list[dict[str, Any]]) -> float:
    """Microseconds per record of one pass."""
    started = time.perf_counter()
    for raw in records:
        way(raw)
    return (time.perf_counter() - started) / len(records) * 1e6


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="5,000 records")
    parser.add_argument("--records", type=int, help="records (default 20,000; --quick 5,000)")
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    if args.records is None:
        args.records = 5_000 if args.quick else 20_000
    records = [record(i) for i in range(args.records)]
    assert all(by_ingest(raw) == by_marshmallow(raw) for raw in records[:1000])
    slow, fast, ratios = [], [], []
    for _ in range(args.runs):
        slow.append(per_record(by_marshmallow, records))
        fast.append(per_record(by_ingest, records))
        ratios.append(slow[-1] / fast[-1])
    print(f"{args.records} two-leg records, {args.runs} runs, median (min-max)")
    for name, figures in (("marshmallow load", slow), ("ingest path", fast)):
        print(f"{name:17s} {statistics.median(figures):7.1f} µs/record "
              f"({min(figures):.1f}-{max(figures):.1f})")
    print(f"{'speed-up':17s} {statistics.median(ratios):7.1f}x "
          f"({min(ratios):.1f}-{max(ratios):.1f})")
    emit([Figure("record validation", "two-leg session record, ingest path", "µs",
                 tuple(fast), "marshmallow load", tuple(slow))])


if __name__ == "__main__":
    main()
