"""Items sharing a key gathered while they keep coming, in bounded memory.

A group is complete once `window` lines have passed without a new member (or at the end
of the file). Its key is then remembered for `memory` more lines, so that a straggler
is refused with a reason instead of being sent as a second, partial session: the store
keeps an ended session's legs, so a later record could not add it.
"""

from __future__ import annotations

from collections import OrderedDict
from typing import Generic, TypeVar

from gateway.tools.importers.lines import LineRejected

T = TypeVar("T")


class Groups(Generic[T]):
    def __init__(self, window: int, memory: int) -> None:
        self.window = window
        self.memory = memory
        # key -> (position of its latest member, members); least recently touched first
        self._open: OrderedDict[str, tuple[int, list[T]]] = OrderedDict()
        self._closed: OrderedDict[str, int] = OrderedDict()  # key -> position closed at
        self._ready: list[list[T]] = []  # complete, not yet taken

    def add(self, key: str, item: T, position: int) -> list[list[T]]:
        """Add `item` (at line `position`); answer the groups now complete. A straggler
        raises `LineRejected`; the groups it completed come with the next call."""
        self._complete(position)
        if key in self._closed:
            raise LineRejected(
                f"a leg of {key} more than {self.window} lines after the rest of its call, "
                "which was already sent")
        members = self._open.pop(key, (position, []))[1]
        members.append(item)
        self._open[key] = (position, members)
        return self._take()

    def finish(self) -> list[list[T]]:
        self._ready.extend(members for _, members in self._open.values())
        self._open.clear()
        self._closed.clear()
        return self._take()

    def _take(self) -> list[list[T]]:
        done, self._ready = self._ready, []
        return done

    def _complete(self, position: int) -> None:
        while self._open:
            key, (last, members) = next(iter(self._open.items()))
            if position - last <= self.window:
                break
            del self._open[key]
            self._closed[key] = position
            self._ready.append(members)
        while self._closed:
            key, closed_at = next(iter(self._closed.items()))
            if position - closed_at <= self.memory:
                break
            del self._closed[key]
