"""Dialect routes: thin adapters that let a client written for one vendor call the
gateway unchanged. Each translates the vendor's params, credential and error shape and
calls the same handler as `/rpc` (through `Dispatcher.call`)."""

from __future__ import annotations

from aiohttp import web

from gateway.dialects import active_sessions


def add_routes(app: web.Application) -> None:
    app.router.add_route("*", active_sessions.PATH, active_sessions.view)
