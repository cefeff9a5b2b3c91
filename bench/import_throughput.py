"""Lines per second of `gateway import asterisk-csv` on a generated Master.csv, against
reading and splitting the same file with the csv module (no store), in the same run.

    python bench/import_throughput.py [--quick] [--lines 1000000]

The file is generated once into bench/.data/ (kept between runs). The import runs as a
subprocess on a fresh SQLite database, exactly as a user would run it. --quick: 50,000
lines (about 20 s).
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import os
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "bench" / ".data"
sys.path[:0] = [str(ROOT / "bench")]

from report import Figure, emit  # noqa: E402

DISPOSITIONS = ["ANSWERED"] * 6 + ["NO ANSWER"] * 2 + ["BUSY", "FAILED", "CONGESTION"]


def generate(path: Path, lines: int) -> None:
    """A Master.csv of `lines` calls over 30 days (21 columns, one leg per call)."""
    rng = random.Random(1)
    start = dt.datetime(2026, 10, 1)
    with open(path, "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle, quoting=csv.QUOTE_ALL, lineterminator="\n")
        for i in range(lines):
            begin = start + dt.timedelta(seconds=i * 2592000 // lines)
            disposition = rng.choice(DISPOSITIONS)
            billsec = rng.randint(1, 600) if disposition == "ANSWERED" else 0
            answer = begin + dt.timedelta(seconds=rng.randint(2, 20))
            end = answer + dt.timedelta(seconds=billsec)
            uniqueid = f"1727740800.{i}"
            writer.writerow([
                f"acct{i % 300}", f"3705{rng.randint(1000000, 9999999)}",
                f"3706{rng.randint(1000000, 9999999)}", "from-internal",
                f'"Caller {i % 977}" <3705{i % 977:07d}>', f"SIP/trunk-{i:08x}",
                f"SIP/carrier-{i:08x}", "Dial", "SIP/carrier,60",
                begin.strftime("%Y-%m-%d %H:%M:%S"),
                answer.strftime("%Y-%m-%d %H:%M:%S") if billsec else "",
                end.strftime("%Y-%m-%d %H:%M:%S"), str((end - begin).seconds), str(billsec),
                disposition, "DOCUMENTATION", uniqueid, "", f"carrier{i % 7}", uniqueid, str(i)])


def parse_only(path: Path) -> float:
    started = time.perf_counter()
    with open(path, newline="", encoding="utf-8") as handle:
        count = sum(1 for _ in csv.reader(handle))
    return count / (time.perf_counter() - started)


def import_rate(path: Path, lines: int) -> tuple[float, str]:
    with tempfile.TemporaryDirectory() as tmp:
        env = {**os.environ, "GATEWAY_DATABASE": f"sqlite:///{tmp}/import.db",
               "GATEWAY_LOG__LEVEL": "WARNING"}
        started = time.perf_counter()
        done = subprocess.run([sys.executable, "-m", "gateway", "import", "asterisk-csv",
                               str(path)], env=env, cwd=tmp, capture_output=True, text=True)
        elapsed = time.perf_counter() - started
        if done.returncode != 0:
            raise SystemExit(done.stderr)
        rejects = Path(f"{path}.rejects.csv")
        rejects.unlink(missing_ok=True)
    return lines / elapsed, done.stdout.strip().splitlines()[-1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="50,000 lines")
    parser.add_argument("--lines", type=int, help="lines (default 1,000,000; --quick 50,000)")
    args = parser.parse_args()
    if args.lines is None:
        args.lines = 50_000 if args.quick else 1_000_000
    DATA.mkdir(parents=True, exist_ok=True)
    path = DATA / f"master-{args.lines}.csv"
    if not path.exists():
        generate(path, args.lines)
    baseline = parse_only(path)
    rate, summary = import_rate(path, args.lines)
    print(f"{args.lines} lines ({path.stat().st_size / 1e6:.0f} MB)")
    print(f"csv module, parse only   {baseline:10.0f} lines/s")
    print(f"gateway import           {rate:10.0f} lines/s   ratio {rate / baseline:.4f}   "
          f"({summary})")
    emit([Figure("import", "gateway import asterisk-csv", "lines/s", (rate,),
                 "csv module, parse only", (baseline,), higher_is_better=True)])


if __name__ == "__main__":
    main()
