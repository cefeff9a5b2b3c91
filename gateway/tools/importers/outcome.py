"""What an import did: the counts of its summary line, and the rejects file (`line,
reason,content`, one row per refused line, in the order the refusals were found).

The rejects file is written only when a line is refused: a run without refusals leaves
none behind, and removes the one an earlier run of the same file left.
"""

from __future__ import annotations

import csv
import os
from typing import Any, TextIO

from gateway.tools.importers.lines import Line

REJECTS_HEADER = ("line", "reason", "content")


def rejects_path(path: str) -> str:
    return f"{path}.rejects.csv"


def check_writable(path: str) -> None:
    """Raise `OSError` when the rejects file could not be written, without changing it."""
    existed = os.path.exists(path)
    with open(path, "a", encoding="utf-8"):
        pass
    if not existed:
        os.remove(path)


class Outcome:
    def __init__(self, path: str | None) -> None:
        self.path = path  # of the rejects file (None: refusals are only counted)
        self._file: TextIO | None = None
        self._writer: Any = None
        self.read = self.imported = self.present = self.rejected = 0

    def reject(self, line: Line, reason: str) -> None:
        if self._writer is None and self.path is not None:
            self._file = open(self.path, "w", newline="", encoding="utf-8")
            self._writer = csv.writer(self._file, lineterminator="\n")
            self._writer.writerow(REJECTS_HEADER)
        if self._writer is not None:
            self._writer.writerow((line.number, reason, line.content))
        self.rejected += 1

    def close(self) -> None:
        """Close the rejects file; without refusals, remove a stale one."""
        if self._file is not None:
            self._file.close()
            self._file = None
        elif self.path is not None and os.path.exists(self.path):
            os.remove(self.path)

    def summary(self) -> str:
        return (f"read={self.read} imported={self.imported} present={self.present} "
                f"rejected={self.rejected}")
