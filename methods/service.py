"""Methods about the service itself: `ping` and `rpc.discover`."""

from __future__ import annotations

from typing import Any

from marshmallow import Schema

from gateway.core import roles
from methods import openrpc
from methods.context import Context, Params, RpcMethod


class NoParams(Schema):
    pass


async def ping(context: Context, params: Params) -> str:
    return "pong"


async def discover(context: Context, params: Params) -> dict[str, Any]:
    return openrpc.document(context.methods, context.rpc_url())


METHODS = {
    "ping": RpcMethod(ping, NoParams(), roles.EVERYONE, "Answers \"pong\": a health check.",
                      result={"type": "string", "enum": ["pong"]}, timed=False),
    "rpc.discover": RpcMethod(discover, NoParams(), roles.EVERYONE,
                              "The OpenRPC document of this API.",
                              result={"type": "object", "required": ["openrpc", "info", "methods"],
                                      "properties": {
                                          "openrpc": {"type": "string"},
                                          "info": {"type": "object"},
                                          "servers": {"type": "array",
                                                      "items": {"type": "object"}},
                                          "methods": {"type": "array",
                                                      "items": {"type": "object"}}}},
                              timed=False),
}
