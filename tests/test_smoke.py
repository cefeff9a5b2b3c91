async def test_ping(rpc):
    assert await rpc("ping") == {"jsonrpc": "2.0", "result": "pong", "id": 1}
