"""The servers the gateway is measured against, each serving the same two JSON-RPC methods
on `POST /rpc`, single and in batches: `ping`, and `read` (one row of the gateway's own
SQLite file through aiosqlite, the row `tenants.list [1, 0]` answers). None of them checks
a key. Each is run as `python bench/peers/NAME.py PORT DATABASE_FILE`."""
