"""The store the OpenRPC examples are answers from (methods/examples.json):
`gateway demo --calls 1000 --anchor 2026-11-30T12:00:00Z`, seed 1.

What the demo leaves to chance is fixed here, so that every build is the same store: the
clock reads the anchor (tenants' and keys' creation times, audit entries, `last_used_at`),
key ids and secrets come from a seeded generator, and the server key is set. A data-changing
example runs on a throwaway copy (`copy_store`) under the same conditions, from the same
generator state, so its answer is the same whenever and wherever it runs."""

from __future__ import annotations

import contextlib
import datetime as dt
import io
import random
import re
import shutil
import string
from pathlib import Path
from typing import Iterator

import pytest

from gateway.core import apikeys, clock
from gateway.core.config import Config, load_config
from gateway.tools.demo import run_demo

ANCHOR_TEXT = "2026-11-30T12:00:00Z"
ANCHOR = dt.datetime(2026, 11, 30, 12, 0, tzinfo=dt.timezone.utc)
CALLS, SEED = 1000, 1
# Key tokens of the data-changing examples: another sequence than the demo's own keys took.
CHANGES_SEED = 2
SERVER_KEY = "0" * 64  # MOR secrets derive from it (docs/auth.md)
KEY_LINE = re.compile(r"^(\w+) key: ([0-9a-f]{16}\.\S+)$", re.M)
_URLSAFE = string.ascii_letters + string.digits + "-_"


class SeededTokens:
    """`secrets.token_hex` and `token_urlsafe` from a seeded generator."""

    def __init__(self, seed: int) -> None:
        self._random = random.Random(seed)

    def token_hex(self, nbytes: int) -> str:
        return self._random.randbytes(nbytes).hex()

    def token_urlsafe(self, nbytes: int) -> str:
        return "".join(self._random.choice(_URLSAFE) for _ in range(-(-nbytes * 4 // 3)))


@contextlib.contextmanager
def fixed(seed: int = SEED) -> Iterator[None]:
    """The clock at the anchor, key tokens from `seed`."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(clock, "now", lambda: ANCHOR)
        patch.setattr(apikeys, "secrets", SeededTokens(seed))
        yield


def store_config(folder: Path, database: str | None = None) -> Config:
    """The store's config: a SQLite file in `folder`, or the `database` URL given."""
    return load_config(environ={}, search_default=False, overrides={
        "database": database or f"sqlite:///{folder}/gateway.db",
        "exports": {"folder": str(folder)},
        "secrets": {"server_key": SERVER_KEY},
        "limits": {"rate_per_second": 10_000, "rate_burst": 10_000}})


def build_store(folder: Path, database: str | None = None) -> dict[str, str]:
    """The anchored demo store (in `folder`, or `database`); the key the demo printed for
    each role."""
    out = io.StringIO()
    with fixed(), contextlib.redirect_stdout(out):
        code = run_demo(store_config(folder, database), calls=CALLS, seed=SEED, anchor=ANCHOR,
                        pinned=True)
    assert code == 0, out.getvalue()
    return dict(KEY_LINE.findall(out.getvalue()))


def copy_store(source: Path, target: Path) -> None:
    """A throwaway copy of the store in `source` (its SQLite files)."""
    target.mkdir(parents=True, exist_ok=True)
    for path in source.glob("gateway.db*"):
        shutil.copy2(path, target / path.name)


# Methods whose examples change data (decisions: `tenants.*`, `keys.*`, `DeleteRecord`,
# `ingest.*`; and those that queue an export, which adds a history report): each runs on
# its own throwaway copy of the store.
CHANGING = ("tenants.", "keys.", "ingest.", "DeleteRecord", "GetBriefCallHistory")


def changes_data(method: str) -> bool:
    return method.startswith(CHANGING) or method.endswith("Async")


def examples_path() -> Path:
    return Path(__file__).resolve().parent.parent / "methods" / "examples.json"
