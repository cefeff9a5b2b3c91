"""Stock jsonrpcserver 5 in an aiohttp handler, as its documentation shows it: `dispatch`
of the body's text, with the methods as `@method` functions; no key."""

from __future__ import annotations

from aiohttp import web
from common import OneRow, arguments
from jsonrpcserver import Result, Success, async_dispatch, method


def main() -> None:
    port, path = arguments()
    db = OneRow(path)

    @method
    async def ping() -> Result:
        return Success("pong")

    @method
    async def read() -> Result:
        return Success(await db.read())

    async def handle(request: web.Request) -> web.Response:
        text = await async_dispatch(await request.text())
        return web.Response(text=text, content_type="application/json")

    app = web.Application()
    app.router.add_post("/rpc", handle)
    web.run_app(app, host="127.0.0.1", port=port, print=None, access_log=None)


if __name__ == "__main__":
    main()
