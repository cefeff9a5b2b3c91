"""What an import did: the counts of its summary line, and the rejects file (`line,
reason,content`, one row per refused line, in the order the refusals were found)."""

from __future__ import annotations

import csv
from typing import TextIO

from gateway.tools.importers.lines import Line

REJECTS_HEADER = ("line", "reason", "content")


def rejects_path(path: str) -> str:
    return f"{path}.rejects.csv"


class Outcome:
    def __init__(self, rejects: TextIO) -> None:
        self._writer = csv.writer(rejects, lineterminator="\n")
        self._writer.writerow(REJECTS_HEADER)
        self.read = self.imported = self.present = self.rejected = 0

    def reject(self, line: Line, reason: str) -> None:
        self._writer.writerow((line.number, reason, line.content))
        self.rejected += 1

    def summary(self) -> str:
        return (f"read={self.read} imported={self.imported} present={self.present} "
                f"rejected={self.rejected}")
