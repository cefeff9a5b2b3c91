"""Every benchmark in one command: `python -m bench` (from the repository's root).

    python -m bench [--full] [--only NAME ...] [--out FILE]

Each benchmark runs as its own process, in its quick mode by default or in full with
`--full`, one after another (they share the machine's two cores), each bounded in time.
Their figures are gathered into one table (benchmark, figure, median with min and max,
the baseline measured in the same run, the ratio, and the target where one is set),
printed as Markdown and written as JSON to `--out` (default `bench/results-quick.json`
or `bench/results-full.json`), so that a regression is one diff away.

Needs: wrk (`apt-get install wrk`), the peers' packages (`pip install -e '.[bench]'`),
and for the PostgreSQL figures PostgreSQL's server binaries (`apt-get install
postgresql`; a throwaway cluster is started). The large data sets are built once and
cached in `bench/.data/`.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

BENCH = Path(__file__).resolve().parent
sys.path[:0] = [str(BENCH)]

from report import table  # noqa: E402  (a sibling module, as the scripts import it)


@dataclass(frozen=True)
class Benchmark:
    name: str
    script: str
    quick: tuple[str, ...]
    full: tuple[str, ...]
    limit_s: float  # the quick mode's bound; the full mode gets ten times as long


BENCHMARKS = [
    Benchmark("serving", "rpc_throughput.py", ("--seconds", "3", "--workers"), ("--workers",),
              300),
    Benchmark("record validation", "record_validation.py", ("--quick",), (), 60),
    Benchmark("ingest", "ingest_throughput.py", ("--quick",), (), 120),
    Benchmark("ingest under load", "ingest_under_load.py", ("--quick",), (), 180),
    Benchmark("import", "import_throughput.py", ("--quick",), (), 90),
    Benchmark("active sessions", "active_sessions.py", ("--quick",), (), 120),
    Benchmark("video sessions", "video_sessions.py", ("--quick",), (), 120),
    Benchmark("history export", "history_export.py", ("--quick",), (), 120),
    Benchmark("aggregate", "aggregate.py", ("--quick",), ("--full",), 240),
    Benchmark("memory under load", "memory_under_load.py", ("--quick",), (), 120),
]


def run(bench: Benchmark, full: bool, into: Path) -> tuple[bool, float]:
    """Run one benchmark (its output shown as it goes); whether it ended well, and its
    seconds."""
    args = bench.full if full else bench.quick
    limit = bench.limit_s * (10 if full else 1)
    print(f"\n## {bench.name}: bench/{bench.script} {' '.join(args)} (at most {limit:.0f} s)",
          flush=True)
    started = time.monotonic()
    try:
        done = subprocess.run([sys.executable, str(BENCH / bench.script), *args],
                              env={**os.environ, "BENCH_JSON": str(into)}, timeout=limit,
                              cwd=BENCH.parent)
        ok = done.returncode == 0
        if not ok:
            print(f"{bench.name}: exit status {done.returncode}", flush=True)
    except subprocess.TimeoutExpired:
        print(f"{bench.name}: stopped after {limit:.0f} s", flush=True)
        ok = False
    return ok, time.monotonic() - started


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__.splitlines()[0])
    parser.add_argument("--full", action="store_true", help="every benchmark in full")
    parser.add_argument("--only", nargs="+", metavar="NAME",
                        choices=[b.name for b in BENCHMARKS], help="these benchmarks only")
    parser.add_argument("--out", type=Path, help="where the JSON goes")
    args = parser.parse_args()
    chosen = [b for b in BENCHMARKS if not args.only or b.name in args.only]
    mode = "full" if args.full else "quick"
    out = args.out or BENCH / f"results-{mode}.json"
    started = time.monotonic()
    outcomes: dict[str, dict[str, object]] = {}
    with tempfile.TemporaryDirectory() as tmp:
        figures = Path(tmp) / "figures.jsonl"
        figures.touch()
        for bench in chosen:
            ok, seconds = run(bench, args.full, figures)
            outcomes[bench.name] = {"ok": ok, "seconds": round(seconds, 1)}
        rows = [json.loads(line) for line in figures.read_text().splitlines()]
    total = time.monotonic() - started
    print(f"\n# All figures ({mode} mode, {total / 60:.1f} min)\n")
    print(table(rows))
    failed = [name for name, o in outcomes.items() if not o["ok"]]
    if failed:
        print(f"\nnot finished: {', '.join(failed)}")
    out.write_text(json.dumps({
        "mode": mode, "seconds": round(total, 1), "python": platform.python_version(),
        "machine": f"{platform.machine()}, {os.cpu_count()} cores", "benchmarks": outcomes,
        "figures": rows}, indent=1) + "\n")
    print(f"written: {out}")
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
