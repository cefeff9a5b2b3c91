"""The baseline: a bare aiohttp handler that parses a JSON body and answers JSON.

Run as `python bench/bare_server.py PORT [asyncio|uvloop]`.
"""

from __future__ import annotations

import asyncio
import json
import sys

from aiohttp import web


async def handle(request: web.Request) -> web.Response:
    body = json.loads(await request.read())
    return web.json_response({"jsonrpc": "2.0", "result": "pong", "id": body.get("id")})


def main() -> None:
    port = int(sys.argv[1])
    loop = None
    if len(sys.argv) > 2 and sys.argv[2] == "uvloop":
        import uvloop

        loop = uvloop.new_event_loop()
    else:
        loop = asyncio.new_event_loop()
    app = web.Application()
    app.router.add_post("/rpc", handle)
    web.run_app(app, host="127.0.0.1", port=port, print=None, access_log=None, loop=loop)


if __name__ == "__main__":
    main()
