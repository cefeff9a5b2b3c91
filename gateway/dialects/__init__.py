"""Dialect routes: thin adapters that let a client written for one vendor call the
gateway unchanged. Each translates the vendor's params, credential and error shape and
calls the same handler as `/rpc` (through `Dispatcher.call`)."""

from __future__ import annotations

from aiohttp import web

from gateway import appkeys, openapi
from gateway.dialects import active_sessions, mor, platform, video
from gateway.dialects.route import Route
from gateway.views import json_response

ROUTES = (
    Route(active_sessions.PATH, ("post",), active_sessions.METHOD, active_sessions.view,
          "apiKey", "body", active_sessions.ERROR),
    Route(mor.PATH, ("get", "post"), mor.METHOD, mor.view, "mor", "query", mor.ERROR,
          extra_params=mor.EXTRA_PARAMS, responses=mor.responses),
    *(Route(f"{platform.PREFIX}/{name}", ("get", "post"), name, platform.view, "platform",
            "query", platform.ERROR) for name in platform.METHOD_NAMES),
    *(Route(path, ("get",), name, video.view_of(name), "video", "query", video.ERROR,
            headers=video.HEADERS) for path, name in video.ROUTES),
)


async def openapi_document(request: web.Request) -> web.Response:
    return json_response(openapi.document(request.app[appkeys.METHODS], ROUTES))


def add_routes(app: web.Application) -> None:
    app.router.add_get("/openapi.json", openapi_document)
    for route in ROUTES:
        # every verb reaches the view, which answers a wrong one in the vendor's shape
        app.router.add_route("*", route.path, route.view)
    # the vendor's other spellings: `cmd` in the form, and unknown method names (code 103)
    app.router.add_route("*", platform.PREFIX, platform.view)
    app.router.add_route("*", f"{platform.PREFIX}/{{name}}", platform.view)
    app.router.add_route("*", platform.FILES, platform.report_file)
