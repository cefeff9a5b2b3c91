"""`gateway import FORMAT PATH`: exit 0 once the file was read (rejected lines included),
2 when it could not be (a missing file, an unknown tenant, zone or code deck), with the
reason on stderr and the summary line `read=N imported=N present=N rejected=N` on stdout.
"""

from __future__ import annotations

import asyncio
import os
import stat
import sys
from functools import partial
from typing import BinaryIO, Callable
from zoneinfo import ZoneInfo

from gateway.core.config import Config
from gateway.tools.commands import as_root
from gateway.tools.importers import freeswitch, jsonl, lookups, progress
from gateway.tools.importers.asterisk import AsteriskCsv
from gateway.tools.importers.lines import LineRejected, read_lines
from gateway.tools.importers.outcome import Outcome, rejects_path
from gateway.tools.importers.records import Format, OneLineEach, Options
from gateway.tools.importers.sender import Sender
from gateway.tools.importers.times import UnknownZone, zone_named
from methods.context import Context

FORMATS: dict[str, Callable[[Options], Format]] = {
    "asterisk-csv": AsteriskCsv,
    "freeswitch-csv": partial(OneLineEach, freeswitch.parse),
    "jsonl": partial(OneLineEach, jsonl.parse),
}
EXIT_READ, EXIT_UNREADABLE = 0, 2


class Unreadable(Exception):
    """The file cannot be imported at all; the message says why."""


async def _options(context: Context, tenant: str | None, equipment: str | None,
                   zone: ZoneInfo, code_deck: int | None) -> Options:
    try:
        tenant_id, owner = await lookups.tenant(context, tenant)
        if code_deck is not None:
            await lookups.check_code_deck(context, code_deck)
    except lookups.NotInStore as exc:
        raise Unreadable(str(exc)) from None
    switch = None if equipment is None else \
        await lookups.equipment(context, tenant_id, owner, equipment)
    return Options(owner=owner, zone=zone, tenant=tenant, equipment=switch,
                   code_deck=code_deck)


def _size(file: BinaryIO) -> int | None:
    """The file's size for the bar, when it has one (not a pipe)."""
    status = os.fstat(file.fileno())
    return status.st_size if stat.S_ISREG(status.st_mode) else None


async def _import(context: Context, parse: Format, file: BinaryIO, path: str) -> Outcome:
    try:
        rejects = open(rejects_path(path), "w", newline="", encoding="utf-8")
    except OSError as exc:
        raise Unreadable(f"cannot write {rejects_path(path)}: {exc.strerror}") from None
    with rejects, progress.bytes_read(os.path.basename(path), _size(file)) as advance:
        outcome = Outcome(rejects)
        sender = Sender(context, outcome)
        try:
            for line in read_lines(file, advance):
                outcome.read += 1
                try:
                    if line.problem is not None:
                        raise LineRejected(line.problem)
                    done = parse.feed(line)
                except LineRejected as exc:
                    outcome.reject(line, exc.reason)
                    continue
                for parsed in done:
                    await sender.add(parsed)
        except OSError as exc:
            raise Unreadable(f"cannot read {path} after line {outcome.read}: "
                             f"{exc.strerror or exc}") from None
        for parsed in parse.finish():
            await sender.add(parsed)
        await sender.close()
    return outcome


def run_import(config: Config, fmt: str, path: str, *, tenant: str | None = None,
               equipment: str | None = None, timezone: str = "UTC",
               code_deck: int | None = None) -> int:
    async def work(context: Context) -> Outcome:
        options = await _options(context, tenant, equipment, zone, code_deck)
        return await _import(context, FORMATS[fmt](options), file, path)

    try:
        zone = zone_named(timezone)  # refused before the store is opened, as a missing file
        try:
            file = open(path, "rb")
        except OSError as exc:
            raise Unreadable(f"cannot read {path}: {exc.strerror}") from None
        with file:
            outcome = asyncio.run(as_root(config, work))
    except (Unreadable, UnknownZone) as exc:
        print(f"gateway: {exc}", file=sys.stderr)
        return EXIT_UNREADABLE
    print(outcome.summary())
    return EXIT_READ
