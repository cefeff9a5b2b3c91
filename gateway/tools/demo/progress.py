"""The demo's progress bars on stderr (only when stderr is a terminal): one per kind of
record, with records stored, their rate and the time left."""

from __future__ import annotations

from contextlib import contextmanager
from typing import Callable, Iterator

from rich.console import Console
from rich.progress import (BarColumn, MofNCompleteColumn, Progress, ProgressColumn, Task,
                           TextColumn, TimeElapsedColumn, TimeRemainingColumn)
from rich.text import Text

Advance = Callable[[int], None]
AddTask = Callable[[str, "int | None"], Advance]


class RateColumn(ProgressColumn):
    def render(self, task: Task) -> Text:
        speed = task.finished_speed or task.speed
        return Text("" if speed is None else f"{speed:,.0f}/s", style="progress.data.speed")


@contextmanager
def bars() -> Iterator[AddTask]:
    """Yields `add(label, total)`, which returns `advance(n)` for that bar."""
    console = Console(stderr=True)
    with Progress(TextColumn("{task.description:<15}"), BarColumn(), MofNCompleteColumn(),
                  RateColumn(), TimeElapsedColumn(), TimeRemainingColumn(), console=console,
                  disable=not console.is_terminal) as progress:
        def add(label: str, total: int | None) -> Advance:
            task = progress.add_task(label, total=total)

            def advance(n: int) -> None:
                progress.advance(task, n)
            return advance
        yield add
