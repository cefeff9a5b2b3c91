"""`gateway`: the command line. Parses arguments, loads config, sets up logging, runs."""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import logging
import os
import sys
from typing import Any, Sequence

from gateway import __version__
from gateway.core import clock, logs, roles
from gateway.core.config import Config, ConfigError, load_config
from gateway.core.errors import GatewayError, InvalidParams
from gateway.storage import DatabaseUnavailable
from gateway.tools import commands, key_admin, retention
from gateway.tools.demo import run_demo
from gateway.tools.importers.command import run_import

log = logging.getLogger("gateway")


def _parser() -> argparse.ArgumentParser:
    # `--config` is accepted before or after the command (`gateway serve --config PATH`).
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--config", default=argparse.SUPPRESS,
                        help="config file (default ./config.yaml when present)")
    parser = argparse.ArgumentParser(prog="gateway", description="Telecom reporting gateway",
                                     parents=[common])
    parser.add_argument("--version", action="version", version=f"gateway {__version__}")
    sub = parser.add_subparsers(dest="command", required=True)

    serve = sub.add_parser("serve", parents=[common],
                           help="create or migrate the database and serve the API")
    serve.add_argument("--workers", type=int, default=1, help="processes sharing the port")
    serve.add_argument("--host", help="the address to listen on (default: the config's host)")
    serve.add_argument("--port", help="the port to listen on (default: the config's port)")
    sub.add_parser("migrate", parents=[common], help="create or migrate the database")

    keys = sub.add_parser("keys", help="API keys").add_subparsers(dest="action", required=True)
    create = keys.add_parser("create", parents=[common],
                             help="create a key; its plain form is the last line")
    create.add_argument("--tenant", default="root")
    create.add_argument("--role", required=True, choices=roles.ROLES)
    create.add_argument("--ip-allow", "--ip", action="append", default=[], metavar="CIDR",
                        help="an address or network the key may be used from (repeatable); "
                             "default any")
    create.add_argument("--expires", metavar="RFC3339")
    create.add_argument("--rate-limit", metavar="N|unlimited")
    create.add_argument("--service-account", metavar="FILE",
                        help="also make the key a Voximplant service account and write its "
                             "credentials file (JSON, with the only copy of its private key) "
                             "to FILE, readable by its owner alone")
    klist = keys.add_parser("list", parents=[common],
                            help="every key with its state (active, revoked, expired)")
    klist.add_argument("--tenant", help="only this tenant's keys (default every tenant's)")
    revoke = keys.add_parser("revoke", parents=[common], help="revoke a key")
    revoke.add_argument("key_id", metavar="KEY_ID")

    tenants = sub.add_parser("tenants", help="tenants").add_subparsers(
        dest="action", required=True)
    tcreate = tenants.add_parser("create", parents=[common], help="create a tenant")
    tcreate.add_argument("name")
    tcreate.add_argument("--parent", default="root")
    tcreate.add_argument("--timezone")

    imp = sub.add_parser("import", parents=[common],
                         help="import a file of finished calls from a switch")
    imp.add_argument("format", choices=("asterisk-csv", "freeswitch-csv", "jsonl"))
    imp.add_argument("path")
    imp.add_argument("--tenant", help="the owning tenant (default root)")
    imp.add_argument("--equipment", help="the switch's name, recorded as the equipment")
    imp.add_argument("--timezone", default="UTC", help="the zone the file's times are in")
    imp.add_argument("--code-deck", type=int, help="code deck for destinations")
    imp.add_argument("--encoding", help="the 8-bit encoding of fields that are not UTF-8 "
                                        "(default latin-1)")
    imp.add_argument("--layout", choices=("cdr_csv", "custom"),
                     help="asterisk-csv: cdr_csv's Master.csv (default) or the stock "
                          "cdr_custom.conf line")
    imp.add_argument("--columns", metavar="A,B,C",
                     help="asterisk-csv: the file's columns, by their cdr_csv names")
    imp.add_argument("--replace", action="store_true",
                     help="replace the calls an earlier import of the same lines stored "
                          "with other options")

    retention = sub.add_parser("retention", help="old months of data").add_subparsers(
        dest="action", required=True)
    drop = retention.add_parser("drop", parents=[common],
                                help="take every month before one out of the large tables")
    drop.add_argument("--before", required=True, type=_month, metavar="YYYY-MM",
                      help="the first month kept (UTC)")

    demo = sub.add_parser("demo", parents=[common], help="fill the store with demo data")
    demo.add_argument("--calls", type=int, default=20_000,
                      help="sessions to generate (default 20,000). Up to 200,000 they are "
                           "stored through ingest.sessions; above that by the bulk loader "
                           "(the same rows by multi-row inserts in large transactions, the "
                           "call summaries rebuilt once at the end; several times faster)")
    demo.add_argument("--seed", type=int, default=1)
    demo.add_argument("--anchor", type=_moment, metavar="RFC3339",
                      help="the moment the data ends (default now), e.g. 2026-11-30T12:00:00Z: "
                           "the same seed and anchor make the same data whenever it is run")
    return parser


def _moment(text: str) -> dt.datetime:
    try:
        return dt.datetime.fromtimestamp(clock.parse_rfc3339(text), clock.UTC)
    except clock.TimeError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def _month(text: str) -> int:
    """`2026-01` as 202601."""
    year, _, month = text.partition("-")
    if not (len(year) == 4 and len(month) == 2 and year.isdigit() and month.isdigit()
            and 1000 <= int(year) and 1 <= int(month) <= 12):
        raise argparse.ArgumentTypeError(f"not a month as YYYY-MM: {text!r}")
    return int(year) * 100 + int(month)


# The command-line form of each param whose flag is not `--` + its name with dashes.
FLAGS = {"expires_at": "--expires", "name": "NAME", "key_id": "KEY_ID"}


def flag(param: str) -> str:
    """The command line's name for a method's param (`ip_allow` -> `--ip-allow`)."""
    return FLAGS.get(param, "--" + param.replace("_", "-"))


def _messages(value: Any) -> list[str]:
    """The texts of one param's errors (a list's errors are keyed by position)."""
    if isinstance(value, dict):
        return [text for each in value.values() for text in _messages(each)]
    if isinstance(value, list):
        return [text for each in value for text in _messages(each)]
    return [str(value)]


def describe(exc: GatewayError) -> str:
    """A refusal of a method as the command line's one line, naming the flags."""
    if isinstance(exc, InvalidParams):
        return "; ".join(f"{flag(param)}: {' '.join(dict.fromkeys(_messages(value)))}"
                         for param, value in exc.fields.items())
    return str(exc.error_object()["message"])


def _run(args: argparse.Namespace, config: Config) -> int:
    if args.command == "serve":
        return commands.serve(config, args.workers)
    elif args.command == "migrate":
        print(asyncio.run(commands.migrate(config)))
    elif args.command == "keys" and args.action == "list":
        return key_admin.list_keys(config, args.tenant, sys.stdout)
    elif args.command == "keys" and args.action == "revoke":
        return key_admin.revoke_key(config, args.key_id, sys.stdout)
    elif args.command == "keys":
        return key_admin.create_key(config, args.tenant, args.role, sys.stdout,
                                    ip_allow=args.ip_allow, expires_at=args.expires,
                                    rate_limit=args.rate_limit,
                                    service_account=args.service_account)
    elif args.command == "import":
        return run_import(config, args.format, args.path, tenant=args.tenant,
                          equipment=args.equipment, timezone=args.timezone,
                          code_deck=args.code_deck, encoding=args.encoding,
                          layout=args.layout, columns=args.columns, replace=args.replace)
    elif args.command == "retention":
        for line in asyncio.run(retention.drop_months(config, args.before)):
            print(line)
    elif args.command == "demo":
        return run_demo(config, calls=args.calls, seed=args.seed, anchor=args.anchor,
                        pinned=args.anchor is not None)
    elif args.command == "tenants":
        params = {"name": args.name, "parent": args.parent, "timezone": args.timezone}
        made = asyncio.run(commands.call_as_root(
            config, "tenants.create", {k: v for k, v in params.items() if v is not None}))
        print(f"tenant {made['name']} (id {made['id']}) created under {made['parent']}")
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    # `serve --host/--port` win over the file and the environment, checked like them
    listen = {name: getattr(args, name, None) for name in ("host", "port")}
    try:
        config = load_config(getattr(args, "config", None),
                             overrides={k: v for k, v in listen.items() if v is not None})
    except ConfigError as exc:
        print(f"gateway: {exc}", file=sys.stderr)
        return 2
    logs.setup(config.log)
    try:
        return _run(args, config)
    except ConfigError as exc:  # found once the command looks closer (a TLS file)
        print(f"gateway: {exc}", file=sys.stderr)
        return 2
    except GatewayError as exc:
        print(f"gateway: {describe(exc)}", file=sys.stderr)
        return 2
    except (DatabaseUnavailable, commands.CannotServe) as exc:
        print(f"gateway: {exc}", file=sys.stderr)
        return 1
    except BrokenPipeError:  # the reader went away (`gateway keys list | head`)
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 1


if __name__ == "__main__":
    sys.exit(main())
