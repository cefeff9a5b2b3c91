"""The application factory."""

from __future__ import annotations

import secrets
from functools import partial
from typing import AsyncIterator, Mapping

from aiohttp import web

from gateway.core.config import Config
from gateway.core.credentials import Registry
from gateway.storage import Backend, backend_for
from gateway.storage import settings as settings_store
from gateway.storage import tenants as tenant_store
from gateway.web import appkeys, console, dialects, views
from gateway.web.auth import Authenticator
from gateway.web.dispatch import Dispatcher
from gateway.web.metrics import Metrics
from gateway.web.middlewares import add_request_id, request_id
from gateway.web.ratelimit import RateLimiter
from gateway.web.request_ids import RequestIds
from methods import all_methods, ingest
from methods.context import Methods
from methods.exports import ExportKind, Runner
from methods.history import EXPORTS


async def prepare_store(db: Backend, config: Config) -> str:
    """Create the root tenant on an empty database; return the server key."""
    async with db.transaction() as conn:
        await tenant_store.ensure_root(conn)
        if config.secrets.server_key:
            return config.secrets.server_key
        return await settings_store.get_or_create(conn, "server_key", secrets.token_hex(32))


async def _database(credentials: Registry, app: web.Application) -> AsyncIterator[None]:
    db = backend_for(app[appkeys.CONFIG].database, app[appkeys.METRICS].pool_waited)
    await db.open()
    try:
        app[appkeys.DB] = db
        app[appkeys.SERVER_KEY] = server_key = await prepare_store(db, app[appkeys.CONFIG])
        app[appkeys.AUTHENTICATOR] = authenticator = Authenticator(db, server_key, credentials)
        await authenticator.follow()
        yield
    finally:
        await db.close()


async def _exports(app: web.Application) -> AsyncIterator[None]:
    runner = Runner(app[appkeys.DB], app[appkeys.CONFIG], app[appkeys.SERVER_KEY],
                    app[appkeys.METHODS], app[appkeys.EXPORT_KINDS])
    app[appkeys.EXPORTS] = runner
    await runner.start()
    yield
    await runner.stop()


async def _rate_limiter(app: web.Application) -> AsyncIterator[None]:
    limiter = RateLimiter(app[appkeys.CONFIG].limits)
    app[appkeys.RATE_LIMITER] = limiter
    yield
    await limiter.close()


def create_app(config: Config, methods: Methods | None = None,
               export_kinds: Mapping[str, ExportKind] | None = None,
               metrics_folder: str | None = None) -> web.Application:
    """The gateway as an aiohttp application; `methods` defaults to every method family,
    and `export_kinds` (the background CSV exports) to the history family's.
    `metrics_folder`: where the workers of `serve --workers N` keep their metrics."""
    if methods is None:
        methods = all_methods()
    if export_kinds is None:
        export_kinds = EXPORTS
    limits = config.limits
    app = web.Application(middlewares=[request_id],
                          client_max_size=max(limits.body_bytes, limits.ingest_body_bytes))
    app[appkeys.CONFIG] = config
    app[appkeys.METHODS] = methods
    app[appkeys.EXPORT_KINDS] = export_kinds
    app[appkeys.IN_FLIGHT] = [0]
    app[appkeys.REQUEST_IDS] = RequestIds()
    app[appkeys.METRICS] = Metrics(metrics_folder, frozenset(ingest.METHODS))
    app[appkeys.DISPATCHER] = Dispatcher(methods, limits.call_timeout_s, limits.response_bytes,
                                         limits.batch_parallel, app[appkeys.METRICS].observe)
    app.on_response_prepare.append(add_request_id)
    # the dialects' credential schemes and key-issuing hooks, for the authenticator
    credentials = dialects.register_credentials(Registry())
    app.cleanup_ctx.append(partial(_database, credentials))
    app.cleanup_ctx.append(_exports)
    app.cleanup_ctx.append(_rate_limiter)
    app.router.add_route("*", "/rpc", views.rpc)
    app.router.add_get("/healthz", views.healthz)
    app.router.add_get("/openrpc.json", views.openrpc_document)
    app.router.add_get("/openapi.json", views.openapi_document)
    app.router.add_get("/metrics", views.metrics)
    dialects.add_routes(app)
    console.add_routes(app)
    return app
