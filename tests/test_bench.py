"""The benchmarks in bench/ still start: each command-line script answers `--help` (its
imports and argument parser run, no measurement), and each module the scripts share
imports. Their figures are measured by hand (docs/performance.md), not here."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

BENCH = Path(__file__).resolve().parent.parent / "bench"
# Modules the scripts import, not commands of their own.
SHARED = {"serving.py", "report.py"}
SCRIPTS = sorted(p.name for p in BENCH.glob("*.py") if p.name not in SHARED | {"__main__.py"})


def test_every_script_is_a_command_or_a_shared_module() -> None:
    assert SCRIPTS == ["active_sessions.py", "aggregate.py", "history_export.py",
                       "import_throughput.py", "ingest_throughput.py", "ingest_under_load.py",
                       "memory_under_load.py", "record_validation.py", "rpc_throughput.py",
                       "video_sessions.py"]


@pytest.mark.parametrize("script", SCRIPTS)
def test_a_benchmark_script_starts(script: str) -> None:
    done = subprocess.run([sys.executable, str(BENCH / script), "--help"], cwd=BENCH.parent,
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith(f"usage: {script}")


@pytest.mark.parametrize("module", sorted(SHARED))
def test_a_shared_module_imports(module: str) -> None:
    done = subprocess.run([sys.executable, "-c", f"import {module[:-3]}"], cwd=BENCH,
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr


def test_the_one_benchmark_command_starts_and_names_every_script() -> None:
    """`python -m bench` runs every command-line script above (its `--only` names them)."""
    done = subprocess.run([sys.executable, "-m", "bench", "--help"], cwd=BENCH.parent,
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("usage: python -m bench")
    sys.path.insert(0, str(BENCH))
    try:
        from bench.__main__ import BENCHMARKS
    finally:
        sys.path.remove(str(BENCH))
    assert sorted(b.script for b in BENCHMARKS) == SCRIPTS
