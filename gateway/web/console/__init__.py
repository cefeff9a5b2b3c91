"""The operator console: `GET /console` and its files, served from this package
(docs/console.md).

The page is static: its script calls `/rpc` with the key the operator enters, so these
views need no credential and hold no data. Only the files listed in `FILES` are served.
"""

from __future__ import annotations

from pathlib import Path

from aiohttp import web

FOLDER = Path(__file__).resolve().parent
INDEX = "index.html"
# Every file the page loads, with its type (anything else under /console/ is not found).
FILES = {
    INDEX: "text/html",
    "console.css": "text/css",
    "api.js": "text/javascript",
    "charts.js": "text/javascript",
    "dom.js": "text/javascript",
    "time.js": "text/javascript",
    "main.js": "text/javascript",
    "views/live.js": "text/javascript",
    "views/hours.js": "text/javascript",
    "views/destinations.js": "text/javascript",
    "views/exports.js": "text/javascript",
    "views/explorer.js": "text/javascript",
    "vendor/uPlot.iife.min.js": "text/javascript",
    "vendor/uPlot.min.css": "text/css",
    "vendor/LICENSE": "text/plain",
}
# The page's scripts and styles are its own files only: no inline script, no inline
# handler, nothing from another origin. Downloads are saved from blob: URLs.
POLICY = ("default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
          "connect-src 'self'; form-action 'none'; base-uri 'none'; frame-ancestors 'none'")
HEADERS = {"Content-Security-Policy": POLICY, "X-Content-Type-Options": "nosniff",
           "Referrer-Policy": "no-referrer", "Cache-Control": "no-cache"}


async def index(request: web.Request) -> web.StreamResponse:
    return _send(INDEX)


async def asset(request: web.Request) -> web.StreamResponse:
    name = request.match_info["name"]
    if name not in FILES:
        raise web.HTTPNotFound(text="no such console file")
    return _send(name)


def _send(name: str) -> web.FileResponse:
    response = web.FileResponse(FOLDER / name, headers=HEADERS)
    response.content_type = FILES[name]
    response.charset = "utf-8"
    return response


def add_routes(app: web.Application) -> None:
    app.router.add_get("/console", index)
    app.router.add_get("/console/{name:.+}", asset)
