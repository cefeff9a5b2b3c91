"""The floor: a bare aiohttp handler on uvloop that parses JSON-RPC with orjson and
answers `ping` and `read`, single and batched, with no validation and no key."""

from __future__ import annotations

from typing import Any

import orjson
import uvloop
from aiohttp import web
from common import OneRow, arguments


def main() -> None:
    port, path = arguments()
    db = OneRow(path)

    async def answer(call: dict[str, Any]) -> dict[str, Any]:
        result: Any = "pong" if call.get("method") == "ping" else await db.read()
        return {"jsonrpc": "2.0", "result": result, "id": call.get("id")}

    async def handle(request: web.Request) -> web.Response:
        body = orjson.loads(await request.read())
        if isinstance(body, list):
            out: Any = [await answer(call) for call in body]
        else:
            out = await answer(body)
        return web.Response(body=orjson.dumps(out), content_type="application/json")

    app = web.Application()
    app.router.add_post("/rpc", handle)
    web.run_app(app, host="127.0.0.1", port=port, print=None, access_log=None,
                loop=uvloop.new_event_loop())


if __name__ == "__main__":
    main()
