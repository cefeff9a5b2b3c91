"""What a demo run stored, per kind of record, and the one line that says so."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from gateway.tools.demo import catalogue, timeline
from gateway.tools.demo.plan import Plan


@dataclass
class Stored:
    accepted: int = 0
    unchanged: int = 0
    rejected: int = 0
    reasons: list[dict[str, Any]] = field(default_factory=list)

    @property
    def records(self) -> int:
        return self.accepted + self.unchanged + self.rejected


@dataclass
class Outcome:
    plan: Plan
    tenants_created: int = 0
    stored: dict[str, Stored] = field(default_factory=dict)
    sessions: Counter[str] = field(default_factory=Counter)
    keys: list[tuple[str, str, str]] = field(default_factory=list)
    mor_secrets: dict[str, str] = field(default_factory=dict)  # by role
    revoked: int = 0  # the earlier runs' keys revoked

    @property
    def rejected(self) -> int:
        return sum(s.rejected for s in self.stored.values())

    def summary(self) -> str:
        s, total = self.sessions, Stored()
        for each in self.stored.values():
            total.accepted += each.accepted
            total.unchanged += each.unchanged
        when = timeline.stamp(self.plan.anchor)
        return (f"demo (seed {self.plan.seed}, 30 days to {when}): "
                f"{self.stored['sessions'].records:,} sessions ({s['video']:,} video, "
                f"{s['live']:,} live, {s['records']:,} recordings), "
                f"{self.stored['queue sessions'].records:,} queue sessions, "
                f"{self.stored['transactions'].records:,} transactions, "
                f"{self.stored['currency rates'].records:,} currency rates, "
                f"1 code deck; {len(catalogue.TENANTS)} tenants "
                f"({self.tenants_created} created); records accepted={total.accepted:,} "
                f"unchanged={total.unchanged:,} rejected={self.rejected:,}")
