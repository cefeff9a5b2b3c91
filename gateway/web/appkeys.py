"""Typed keys of the application's state."""

from __future__ import annotations

from typing import Mapping

from aiohttp import web

from gateway.core.config import Config
from gateway.storage import Backend
from gateway.web.auth import Authenticator
from gateway.web.dispatch import Dispatcher
from gateway.web.metrics import Metrics
from gateway.web.ratelimit import RateLimiter
from gateway.web.request_ids import RequestIds
from methods.context import Methods
from methods.exports import Runner

CONFIG = web.AppKey("config", Config)
METHODS = web.AppKey("methods", Methods)
DB = web.AppKey("db", Backend)
AUTHENTICATOR = web.AppKey("authenticator", Authenticator)
RATE_LIMITER = web.AppKey("rate_limiter", RateLimiter)
DISPATCHER = web.AppKey("dispatcher", Dispatcher)
METRICS = web.AppKey("metrics", Metrics)
SERVER_KEY = web.AppKey("server_key", str)
IN_FLIGHT = web.AppKey("in_flight", list)  # one-element list: requests in flight on /rpc
EXPORTS = web.AppKey("exports", Runner)
REQUEST_IDS = web.AppKey("request_ids", RequestIds)
EXPORT_KINDS = web.AppKey("export_kinds", Mapping)  # history type -> exports.ExportKind
