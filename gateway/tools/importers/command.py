"""`gateway import FORMAT PATH`: the summary line `read=N imported=N present=N rejected=N`
on stdout, a one-line reason on stderr when there is one, and the exit status:
- 0 when at least one line was imported or found present (or the file has no lines);
- 1 when every line was rejected, or the import was refused (the file was imported
  before with other options, and `--replace` was not given);
- 2 when the file could not be read (a missing file, an unknown tenant, zone, encoding,
  code deck or column name).
"""

from __future__ import annotations

import asyncio
import os
import shutil
import stat
import sys
import tempfile
from typing import BinaryIO, Callable

from gateway.core.config import Config
from gateway.tools.commands import as_root
from gateway.tools.importers import asterisk, freeswitch, jsonl, lookups, progress
from gateway.tools.importers.csvline import DEFAULT_ENCODING, UnknownEncoding, encoding_named
from gateway.tools.importers.lines import LineRejected, read_lines
from gateway.tools.importers.outcome import Outcome, check_writable, rejects_path
from gateway.tools.importers.records import Format, OneLineEach, Options
from gateway.tools.importers.registry import Refused, Registry, options_text
from gateway.tools.importers.sender import Sender
from gateway.tools.importers.times import UnknownZone, zone_named
from methods.context import Context

FORMATS = ("asterisk-csv", "freeswitch-csv", "jsonl")
LAYOUTS = ("cdr_csv", "custom")
EXIT_IMPORTED, EXIT_NOTHING_IMPORTED, EXIT_UNREADABLE = 0, 1, 2


class Unreadable(Exception):
    """The file cannot be imported at all; the message says why."""


def _maker(fmt: str, layout: asterisk.Layout | None) -> Callable[[Options], Format]:
    if fmt == "asterisk-csv":
        assert layout is not None
        return lambda options: asterisk.AsteriskCsv(options, layout)
    if fmt == "freeswitch-csv":
        return freeswitch.FreeSwitchCsv
    return lambda options: OneLineEach(jsonl.parse, options)


async def _options(context: Context, tenant: str | None, equipment: str | None,
                   read_as: Options, code_deck: int | None) -> tuple[int, Options]:
    """The owning tenant's id, and the options of the file (`read_as`: its zone and
    encoding) with the names looked up."""
    try:
        tenant_id, owner = await lookups.tenant(context, tenant)
        if code_deck is not None:
            await lookups.check_code_deck(context, code_deck)
    except lookups.NotInStore as exc:
        raise Unreadable(str(exc)) from None
    switch = None if equipment is None else \
        await lookups.equipment(context, tenant_id, owner, equipment)
    return tenant_id, Options(owner=owner, zone=read_as.zone, tenant=tenant, equipment=switch,
                              code_deck=code_deck, encoding=read_as.encoding)


def _size(file: BinaryIO) -> int | None:
    """The file's size for the bar, when it has one (not a pipe)."""
    status = os.fstat(file.fileno())
    return status.st_size if stat.S_ISREG(status.st_mode) else None


def _seekable(file: BinaryIO) -> BinaryIO:
    """`file`, or a copy of it that can be read twice (a pipe is copied to a temporary
    file: the identities of its lines are looked up before any is stored)."""
    if file.seekable():
        return file
    copy = tempfile.TemporaryFile()
    shutil.copyfileobj(file, copy)
    copy.seek(0)
    return copy


async def _import(context: Context, parse: Format, file: BinaryIO, path: str,
                  registry: Registry | None) -> Outcome:
    outcome = Outcome(rejects_path(path))
    try:
        with progress.bytes_read(os.path.basename(path), _size(file)) as advance:
            sender = Sender(context, outcome, registry)
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
                if exc.filename == outcome.path:
                    raise Unreadable(f"cannot write {outcome.path}: {exc.strerror}") from None
                raise Unreadable(f"cannot read {path} after line {outcome.read}: "
                                 f"{exc.strerror or exc}") from None
            for parsed in parse.finish():
                await sender.add(parsed)
            await sender.close()
    finally:
        outcome.close()
    return outcome


def run_import(config: Config, fmt: str, path: str, *, tenant: str | None = None,
               equipment: str | None = None, timezone: str = "UTC",
               code_deck: int | None = None, encoding: str | None = None,
               layout: str | None = None, columns: str | None = None,
               replace: bool = False) -> int:
    async def work(context: Context) -> Outcome:
        tenant_id, options = await _options(context, tenant, equipment, read_as, code_deck)
        make = _maker(fmt, file_layout)
        registry = None
        if fmt != "jsonl":
            registry = Registry(context, fmt, os.path.basename(path), options_text({
                "tenant": options.owner, "timezone": zone.key, "encoding": codec,
                "layout": None if file_layout is None else file_layout.name,
                "equipment": equipment, "code_deck": code_deck}), tenant_id, replace)
            label = f"{os.path.basename(path)}: earlier imports"
            with progress.bytes_read(label, _size(source)) as advance:
                await registry.check(make(options), source, advance)
        return await _import(context, make(options), source, path, registry)

    try:
        # every option is checked before the store is opened, as a missing file is
        zone = zone_named(timezone)
        codec = encoding_named(encoding or DEFAULT_ENCODING)
        if fmt != "asterisk-csv" and (layout is not None or columns is not None):
            raise Unreadable("--layout and --columns apply to asterisk-csv only")
        file_layout = asterisk.layout_named(layout, columns) if fmt == "asterisk-csv" else None
        read_as = Options(owner="", zone=zone, encoding=codec)
        try:
            file = open(path, "rb")
        except OSError as exc:
            raise Unreadable(f"cannot read {path}: {exc.strerror}") from None
        try:
            check_writable(rejects_path(path))
        except OSError as exc:
            file.close()
            raise Unreadable(f"cannot write {rejects_path(path)}: {exc.strerror}") from None
        with file, _seekable(file) as source:
            outcome = asyncio.run(as_root(config, work))
    except (Unreadable, UnknownZone, UnknownEncoding, asterisk.BadColumns) as exc:
        print(f"gateway: {exc}", file=sys.stderr)
        return EXIT_UNREADABLE
    except Refused as exc:
        print(f"gateway: {exc}", file=sys.stderr)
        return EXIT_NOTHING_IMPORTED
    print(outcome.summary())
    if outcome.imported or outcome.present or not outcome.read:
        return EXIT_IMPORTED
    return EXIT_NOTHING_IMPORTED
