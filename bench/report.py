"""The figures of a benchmark, in the one shape every benchmark reports: a figure's runs
(median, min, max) against a baseline measured in the same run, and their ratio.

A benchmark prints its figures as a table; when `BENCH_JSON` names a file, it also
appends them to it, one JSON object a line, for `python -m bench` to gather."""

from __future__ import annotations

import json
import os
import statistics
from dataclasses import asdict, dataclass


@dataclass(frozen=True)
class Figure:
    """One measured figure. `higher_is_better`: a rate (req/s) rather than a time; the
    ratio is always figure over baseline. `target`: the ratio asked of it, if any (at
    least it for a rate, at most it for a time)."""

    bench: str
    name: str
    unit: str
    runs: tuple[float, ...]
    baseline_name: str
    baseline_runs: tuple[float, ...]
    higher_is_better: bool = False
    target: float | None = None

    @property
    def median(self) -> float:
        return statistics.median(self.runs)

    @property
    def baseline(self) -> float:
        return statistics.median(self.baseline_runs)

    @property
    def ratio(self) -> float:
        return self.median / self.baseline if self.baseline else float("inf")

    @property
    def met(self) -> bool | None:
        if self.target is None:
            return None
        return self.ratio >= self.target if self.higher_is_better else self.ratio <= self.target

    def row(self) -> dict[str, object]:
        return {**asdict(self), "median": self.median, "min": min(self.runs),
                "max": max(self.runs), "baseline": self.baseline, "ratio": self.ratio,
                "met": self.met}


def number(value: float) -> str:
    return f"{value:,.0f}" if abs(value) >= 100 else f"{value:.3g}"


def table(rows: list[dict[str, object]]) -> str:
    """The rows as a Markdown table: figure, median (min-max), baseline, ratio, target."""
    lines = ["| benchmark | figure | median (min–max) | baseline | ratio | target |",
             "|---|---|---|---|---|---|"]
    for r in rows:
        target = "" if r["target"] is None else (
            f"{'≥' if r['higher_is_better'] else '≤'} {r['target']}: "
            f"{'met' if r['met'] else 'not met'}")
        median, low, high, base = (float(r[k]) for k in  # type: ignore[arg-type]
                                   ("median", "min", "max", "baseline"))
        lines.append(f"| {r['bench']} | {r['name']} | {number(median)} {r['unit']} "
                     f"({number(low)}–{number(high)}) | {r['baseline_name']}: {number(base)} | "
                     f"{float(r['ratio']):.2f}× | {target} |")  # type: ignore[arg-type]
    return "\n".join(lines)


def emit(figures: list[Figure]) -> None:
    rows = [f.row() for f in figures]
    print(table(rows))
    path = os.environ.get("BENCH_JSON")
    if path:
        with open(path, "a", encoding="utf-8") as out:
            for row in rows:
                out.write(json.dumps(row) + "\n")
