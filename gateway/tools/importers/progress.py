"""A progress bar of bytes read, with its rate, on stderr when stderr is a terminal."""

from __future__ import annotations

from contextlib import contextmanager
from typing import Callable, Iterator

from rich.console import Console
from rich.progress import (BarColumn, DownloadColumn, Progress, TextColumn, TimeRemainingColumn,
                           TransferSpeedColumn)

STEP_BYTES = 1 << 18  # the bar is redrawn per quarter MiB, not per line


@contextmanager
def bytes_read(label: str, total: int | None) -> Iterator[Callable[[int], None]]:
    """Yields `advance(n)`, to be called with the size of each read."""
    console = Console(stderr=True)
    with Progress(TextColumn("{task.description}"), BarColumn(), DownloadColumn(),
                  TransferSpeedColumn(), TimeRemainingColumn(), console=console,
                  disable=not console.is_terminal) as bar:
        task = bar.add_task(label, total=total)
        pending = 0

        def advance(size: int) -> None:
            nonlocal pending
            pending += size
            if pending >= STEP_BYTES:
                bar.advance(task, pending)
                pending = 0

        yield advance
        bar.advance(task, pending)
