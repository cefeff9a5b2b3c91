"""The tenant tree the property tests generate data in: root > R > C1, C2 and root > R2 > C3."""

from __future__ import annotations

PARENT = {"R": "root", "R2": "root", "C1": "R", "C2": "R", "C3": "R2"}
LABELS = ["root", *PARENT]


def ancestors(label: str) -> list[str]:
    chain = [label]
    while chain[-1] in PARENT:
        chain.append(PARENT[chain[-1]])
    return chain


SUBTREE = {label: {t for t in LABELS if label in ancestors(t)} for label in LABELS}
