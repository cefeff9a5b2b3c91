"""fastapi-jsonrpc on uvicorn (with uvloop and httptools when installed), as its
documentation shows it: an `Entrypoint` at `/rpc` with the two methods; no key."""

from __future__ import annotations

from typing import Any

import fastapi_jsonrpc as jsonrpc
import uvicorn
from common import OneRow, arguments


def main() -> None:
    port, path = arguments()
    db = OneRow(path)
    app = jsonrpc.API()
    api = jsonrpc.Entrypoint("/rpc")

    @api.method()
    async def ping() -> str:
        return "pong"

    @api.method()
    async def read() -> list[dict[str, Any]]:
        return await db.read()

    app.bind_entrypoint(api)
    uvicorn.run(app, host="127.0.0.1", port=port, log_level="warning", access_log=False)


if __name__ == "__main__":
    main()
