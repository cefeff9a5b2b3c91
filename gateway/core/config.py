"""Configuration: `config.yaml` (optional) < environment, validated into frozen dataclasses.

Each key is a dataclass field; its type, default and validator live beside it. Environment
overrides are `GATEWAY_` + the upper-case key path joined by `__`
(`GATEWAY_LIMITS__BATCH_CALLS=50`). A bad or unknown key, or a `GATEWAY_` variable that names
no key (other than the test suite's `GATEWAY_TEST_*`), stops start-up with its name.
"""

from __future__ import annotations

import dataclasses
import functools
import ipaddress
import os
import types
import typing
import urllib.parse
import zoneinfo
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Mapping

import yaml
from marshmallow import Schema, ValidationError, fields, validate

ENV_PREFIX = "GATEWAY_"
TEST_PREFIX = "GATEWAY_TEST_"  # the test suite's own variables, not configuration
DEFAULT_FILE = "config.yaml"


class ConfigError(Exception):
    """A configuration that cannot be used; the message names the key."""


def _zone(value: str) -> None:
    try:
        zoneinfo.ZoneInfo(value)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError) as exc:
        raise ValidationError(f"unknown time zone {value!r}") from exc


def _database_url(value: str) -> None:
    if value.startswith("sqlite:///"):
        if value == "sqlite:///":
            raise ValidationError("sqlite:/// names no file: sqlite:///relative/path or "
                                  "sqlite:////absolute/path")
        return
    if not value.startswith(("postgresql://", "postgres://")):
        raise ValidationError("must be sqlite:///PATH or postgresql://...")
    parts = urllib.parse.urlsplit(value)
    if "," not in parts.netloc:  # several hosts (libpq's failover form) carry several ports
        try:
            parts.port
        except ValueError as exc:
            raise ValidationError(f"not a valid PostgreSQL URL: {exc}") from None


def _public_url(value: str) -> None:
    parts = urllib.parse.urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ValidationError("must be an absolute http:// or https:// URL")


def _cidr(value: str) -> None:
    try:
        ipaddress.ip_network(value, strict=False)
    except ValueError as exc:
        raise ValidationError(f"not a CIDR: {value!r}") from exc


def _check(validator: Any) -> dict[str, Any]:
    return {"validate": validator}


@dataclass(frozen=True)
class Limits:
    # 1 MiB: the largest report request (filters, field lists, a batch of 100 calls) is
    # a few KiB; anything near a mebibyte is a mistake or abuse.
    body_bytes: int = field(default=1 << 20, metadata=_check(validate.Range(min=1024)))
    # 16 MiB: an ingest batch of 1000 sessions with legs, records and resources.
    ingest_body_bytes: int = field(default=16 << 20, metadata=_check(validate.Range(min=1024)))
    # 100 calls per batch: enough to fetch a dashboard in one round trip, small enough that
    # one batch cannot monopolise the database pool.
    batch_calls: int = field(default=100, metadata=_check(validate.Range(min=1)))
    # Calls of one batch that run at once (the others wait their turn, within their own
    # timeout): a batch of heavy reports leaves database connections to other requests
    # (SQLite has 4 readers).
    batch_parallel: int = field(default=2, metadata=_check(validate.Range(min=1)))
    # Per key: 50 requests/s on average with bursts of 100 (a dashboard refreshing widgets).
    rate_per_second: int = field(default=50, metadata=_check(validate.Range(min=1)))
    rate_burst: int = field(default=100, metadata=_check(validate.Range(min=1)))
    # Requests in flight per process before new ones get 503 busy.
    concurrency: int = field(default=256, metadata=_check(validate.Range(min=1)))
    # Seconds a call may run before it is cancelled and answers the timeout error.
    call_timeout_s: float = field(default=30.0, metadata=_check(validate.Range(min=0.001)))
    # Seconds `serve` gives the calls in flight at SIGTERM (or SIGINT) before it stops
    # them: as long as a call may run.
    shutdown_grace_s: float = field(default=30.0, metadata=_check(validate.Range(min=0)))
    date_range_days: int = field(default=366, metadata=_check(validate.Range(min=1)))
    report_rows: int = field(default=100_000, metadata=_check(validate.Range(min=1)))
    # 64 MiB: the answers of one request together (a batch of 100 call-history pages of
    # 1000 sessions with their calls is about 120 MB); beyond it each answer still to come
    # is `422 response-too-large`.
    response_bytes: int = field(default=64 << 20, metadata=_check(validate.Range(min=1024)))
    # Seconds a client has to send the request line and headers (slowloris), counted from
    # the connection's start or the first byte of a request; then the connection is closed.
    header_timeout_s: float = field(default=10.0, metadata=_check(validate.Range(min=0.001)))
    # Seconds to receive the whole body once the headers are in; then 408 and the close.
    body_timeout_s: float = field(default=30.0, metadata=_check(validate.Range(min=0.001)))
    # Open connections per client address (the socket peer); more are closed at once.
    connections_per_ip: int = field(default=256, metadata=_check(validate.Range(min=1)))
    # Addresses the per-address cap does not apply to: loopback unless configured
    # (`[]` caps every address; a reverse proxy in front belongs here).
    connections_per_ip_exempt: tuple[str, ...] = ("127.0.0.0/8", "::1/128")


@dataclass(frozen=True)
class Exports:
    folder: str = "./exports"
    workers: int = field(default=2, metadata=_check(validate.Range(min=1)))
    keep_days: int = field(default=7, metadata=_check(validate.Range(min=1)))
    # Seconds a running job's claim lasts unless its gateway renews it (every third of
    # it): how long a job of a killed gateway waits before another gateway takes it over.
    lease_s: float = field(default=30.0, metadata=_check(validate.Range(min=0.3)))


@dataclass(frozen=True)
class Metrics:
    allow: tuple[str, ...] = ("127.0.0.0/8", "::1/128")


@dataclass(frozen=True)
class Proxies:
    trusted: tuple[str, ...] = ()


@dataclass(frozen=True)
class Secrets:
    server_key: str | None = None


@dataclass(frozen=True)
class Log:
    format: str = field(default="text", metadata=_check(validate.OneOf(["text", "json"])))
    level: str = field(default="INFO", metadata=_check(
        validate.OneOf(["DEBUG", "INFO", "WARNING", "ERROR"])))


@dataclass(frozen=True)
class Tls:
    """HTTPS for `gateway serve`: the server's certificate chain and its private key, PEM
    files (both, or neither for plain HTTP)."""

    cert: str | None = None
    key: str | None = None

    def __post_init__(self) -> None:
        if (self.cert is None) != (self.key is None):
            raise ConfigError("invalid configuration: tls.cert and tls.key must be set together")


@dataclass(frozen=True)
class Config:
    database: str = field(default="sqlite:///./gateway.db", metadata=_check(_database_url))
    host: str = "127.0.0.1"
    port: int = field(default=8080, metadata=_check(validate.Range(min=0, max=65535)))
    timezone: str = field(default="UTC", metadata=_check(_zone))
    default_code_deck_id: int | None = None
    # Where clients reach the gateway (the OpenRPC document's `servers` URL), when the
    # request's own scheme and host are not it.
    public_url: str | None = field(default=None, metadata=_check(_public_url))
    limits: Limits = field(default_factory=Limits)
    exports: Exports = field(default_factory=Exports)
    metrics: Metrics = field(default_factory=Metrics)
    proxies: Proxies = field(default_factory=Proxies)
    secrets: Secrets = field(default_factory=Secrets)
    log: Log = field(default_factory=Log)
    tls: Tls = field(default_factory=Tls)


_CIDR_LISTS = {(Metrics, "allow"), (Proxies, "trusted"), (Limits, "connections_per_ip_exempt")}


def _marshmallow_field(owner: type, f: dataclasses.Field[Any]) -> fields.Field:
    hint = typing.get_type_hints(owner)[f.name]
    validator = f.metadata.get("validate")
    optional = isinstance(hint, types.UnionType) and type(None) in typing.get_args(hint)
    if optional:
        hint = next(a for a in typing.get_args(hint) if a is not type(None))
    kwargs: dict[str, Any] = {"allow_none": optional}
    if dataclasses.is_dataclass(hint):
        return fields.Nested(_schema_for(typing.cast(type, hint)), **kwargs)
    if typing.get_origin(hint) is tuple:
        inner = _cidr if (owner, f.name) in _CIDR_LISTS else None
        return fields.List(fields.String(validate=inner), **kwargs)
    kind = {str: fields.String, int: fields.Integer, float: fields.Float}[hint]
    if kind is fields.Integer:
        kwargs["strict"] = False
    return kind(validate=validator, **kwargs)


@functools.lru_cache(maxsize=None)
def _schema_for(cls: type) -> type[Schema]:
    attrs = {f.name: _marshmallow_field(cls, f) for f in dataclasses.fields(cls)}
    return Schema.from_dict(attrs, name=f"{cls.__name__}Schema")


def _build(cls: type, data: Mapping[str, Any]) -> Any:
    kwargs: dict[str, Any] = {}
    for f in dataclasses.fields(cls):
        if f.name not in data:
            continue
        value = data[f.name]
        hint = typing.get_type_hints(cls)[f.name]
        if dataclasses.is_dataclass(hint) and value is not None:
            value = _build(typing.cast(type, hint), value)
        elif isinstance(value, list):
            value = tuple(value)
        kwargs[f.name] = value
    return cls(**kwargs)


def _flatten(messages: Any, prefix: str = "") -> list[str]:
    if isinstance(messages, dict):
        out: list[str] = []
        for key, value in messages.items():
            out += _flatten(value, f"{prefix}{key}." if not isinstance(key, int) else prefix)
        return out
    text = "; ".join(messages) if isinstance(messages, list) else str(messages)
    return [f"{prefix.rstrip('.')}: {text}"]


def _known_paths(cls: type, prefix: tuple[str, ...] = ()) -> dict[str, tuple[str, ...]]:
    """Environment name suffix -> key path, for every leaf key."""
    paths: dict[str, tuple[str, ...]] = {}
    for f in dataclasses.fields(cls):
        hint = typing.get_type_hints(cls)[f.name]
        path = prefix + (f.name,)
        if dataclasses.is_dataclass(hint):
            paths.update(_known_paths(typing.cast(type, hint), path))
        else:
            paths["__".join(path).upper()] = path
    return paths


def _is_list_key(path: tuple[str, ...]) -> bool:
    owner: Any = Config
    for part in path[:-1]:
        owner = typing.get_type_hints(owner)[part]
    return typing.get_origin(typing.get_type_hints(owner)[path[-1]]) is tuple


def _env_overrides(environ: Mapping[str, str]) -> dict[str, Any]:
    overrides: dict[str, Any] = {}
    known = _known_paths(Config)
    unknown = sorted(name for name in environ if name.startswith(ENV_PREFIX)
                     and not name.startswith(TEST_PREFIX) and name[len(ENV_PREFIX):] not in known)
    if unknown:
        raise ConfigError(f"unknown environment variable{'s' * (len(unknown) > 1)} "
                          f"{', '.join(unknown)}: no configuration key has that name")
    for name, value in environ.items():
        if not name.startswith(ENV_PREFIX) or name[len(ENV_PREFIX):] not in known:
            continue
        path = known[name[len(ENV_PREFIX):]]
        node = overrides
        for part in path[:-1]:
            node = node.setdefault(part, {})
        if _is_list_key(path):
            node[path[-1]] = [v.strip() for v in value.split(",") if v.strip()]
        else:
            node[path[-1]] = value
    return overrides


def _merge(base: dict[str, Any], extra: Mapping[str, Any]) -> dict[str, Any]:
    merged = dict(base)
    for key, value in extra.items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = _merge(merged[key], value)
        else:
            merged[key] = value
    return merged


def _read_file(path: str | None, search_default: bool) -> dict[str, Any]:
    if path is None:
        if not search_default or not Path(DEFAULT_FILE).is_file():
            return {}
        path = DEFAULT_FILE
    try:
        with open(path, encoding="utf-8") as handle:
            data = yaml.safe_load(handle)
    except OSError as exc:
        raise ConfigError(f"config file {path}: {exc.strerror}") from exc
    except yaml.YAMLError as exc:
        raise ConfigError(f"config file {path}: not valid YAML: {exc}") from exc
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise ConfigError(f"config file {path}: the top level must be a mapping of keys")
    return data


def load_config(path: str | None = None, environ: Mapping[str, str] | None = None,
                overrides: Mapping[str, Any] | None = None, *,
                search_default: bool = True) -> Config:
    """Load and validate the configuration; raise `ConfigError` naming the bad key.

    Without `path`, `./config.yaml` is read when present (unless `search_default` is off);
    `environ` defaults to the process environment; `overrides` win over both."""
    data = _read_file(path, search_default)
    data = _merge(data, _env_overrides(os.environ if environ is None else environ))
    data = _merge(data, overrides or {})
    try:
        loaded = _schema_for(Config)().load(data)
    except ValidationError as exc:
        raise ConfigError("invalid configuration: "
                          + ", ".join(_flatten(exc.normalized_messages()))) from exc
    return typing.cast(Config, _build(Config, loaded))
