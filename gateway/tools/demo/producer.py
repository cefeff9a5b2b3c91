"""The records of a demo generator made in a process of their own (`generated`), so that
generating them goes on while this one converts and writes the last ones: the generators
cost about as much as the rest of a bulk load together."""

from __future__ import annotations

import gc
import itertools
import multiprocessing
import queue as queue_module
import traceback
from typing import Any, Callable, Iterable, Iterator

from gateway.tools.demo.bulk import BulkError

PER_MESSAGE, QUEUED = 1000, 8  # records per message from the generator's process, messages


class _Failed:
    """What the generator's process sends when the generator raised."""

    def __init__(self, text: str) -> None:
        self.text = text


def _produce(make: Callable[..., Iterable[dict[str, Any]]], args: tuple[Any, ...],
             queue: Any, size: int) -> None:
    """The child's work: the records of `make(*args)`, `size` to a message, then None."""
    gc.set_threshold(50_000, *gc.get_threshold()[1:])
    try:
        records = iter(make(*args))
        while batch := list(itertools.islice(records, size)):
            queue.put(batch)
    except BaseException:
        queue.put(_Failed(traceback.format_exc()))
        raise
    queue.put(None)


def generated(make: Callable[..., Iterable[dict[str, Any]]],
              *args: Any) -> Iterator[dict[str, Any]]:
    """The records of `make(*args)` (a demo generator), made in a process of their own."""
    context = multiprocessing.get_context("spawn")  # no copy of this process's threads
    queue = context.Queue(maxsize=QUEUED)
    process = context.Process(target=_produce, args=(make, args, queue, PER_MESSAGE),
                              name="gateway-demo-generator", daemon=True)
    process.start()
    try:
        while True:
            try:
                batch = queue.get(timeout=1)
            except queue_module.Empty:
                if not process.is_alive():
                    raise BulkError("the generator's process ended without its records "
                                    f"(exit code {process.exitcode})") from None
                continue
            if batch is None:
                break
            if isinstance(batch, _Failed):
                raise BulkError(f"the generator failed:\n{batch.text}")
            yield from batch
        process.join()
    finally:
        if process.is_alive():
            process.terminate()
            process.join()
        queue.close()
        queue.cancel_join_thread()
