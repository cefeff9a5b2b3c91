"""`gateway`: the command line. Parses arguments, loads config, sets up logging, runs."""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys
from typing import Any, Sequence

from gateway.core import logs, roles
from gateway.core.config import Config, ConfigError, load_config
from gateway.core.errors import GatewayError
from gateway.tools import commands
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
    sub = parser.add_subparsers(dest="command", required=True)

    serve = sub.add_parser("serve", parents=[common],
                           help="create or migrate the database and serve the API")
    serve.add_argument("--workers", type=int, default=1, help="processes sharing the port")
    sub.add_parser("migrate", parents=[common], help="create or migrate the database")

    keys = sub.add_parser("keys", help="API keys").add_subparsers(dest="action", required=True)
    create = keys.add_parser("create", parents=[common],
                             help="create a key; its plain form is the last line")
    create.add_argument("--tenant", default="root")
    create.add_argument("--role", required=True, choices=roles.ROLES)
    create.add_argument("--ip", action="append", default=[], metavar="CIDR")
    create.add_argument("--expires", metavar="RFC3339")
    create.add_argument("--rate-limit", metavar="N|unlimited")

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

    demo = sub.add_parser("demo", parents=[common], help="fill the store with demo data")
    demo.add_argument("--calls", type=int, default=20_000,
                      help="sessions to generate (default 20,000). Up to 200,000 they are "
                           "stored through ingest.sessions; above that by the bulk loader "
                           "(the same rows by multi-row inserts in large transactions, the "
                           "call summaries rebuilt once at the end; several times faster)")
    demo.add_argument("--seed", type=int, default=1)
    return parser


def _rate_limit(text: str | None) -> Any:
    if text is None or text == "unlimited":
        return text
    return int(text) if text.isdigit() else text


def _run(args: argparse.Namespace, config: Config) -> int:
    if args.command == "serve":
        commands.serve(config, args.workers)
    elif args.command == "migrate":
        print(asyncio.run(commands.migrate(config)))
    elif args.command == "keys":
        params = {"tenant": args.tenant, "role": args.role, "ip_allow": args.ip,
                  "expires_at": args.expires, "rate_limit": _rate_limit(args.rate_limit)}
        made = asyncio.run(commands.call_as_root(
            config, "keys.create", {k: v for k, v in params.items() if v is not None}))
        print(f"key_id: {made['key_id']} (tenant {args.tenant}, role {args.role})")
        for name, value in made.items():  # what the credential schemes add (docs/auth.md)
            if name not in ("key_id", "key"):
                print(f"{name}: {value}")
        print(made["key"])
    elif args.command == "import":
        return run_import(config, args.format, args.path, tenant=args.tenant,
                          equipment=args.equipment, timezone=args.timezone,
                          code_deck=args.code_deck)
    elif args.command == "demo":
        return run_demo(config, calls=args.calls, seed=args.seed)
    elif args.command == "tenants":
        params = {"name": args.name, "parent": args.parent, "timezone": args.timezone}
        made = asyncio.run(commands.call_as_root(
            config, "tenants.create", {k: v for k, v in params.items() if v is not None}))
        print(f"tenant {made['name']} (id {made['id']}) created under {made['parent']}")
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        config = load_config(getattr(args, "config", None))
    except ConfigError as exc:
        print(f"gateway: {exc}", file=sys.stderr)
        return 2
    logs.setup(config.log)
    try:
        return _run(args, config)
    except GatewayError as exc:
        print(f"gateway: {exc.error_object()['message']}: {exc.error_object().get('data')}",
              file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
